"""Persons and their user files: the one global step of the generator (cheap: integers only).

Persons are drawn by CLSC territory, sex and age group from the 2024 population projection,
weighted by how much each age group uses the CLSC. Each person gets a file (`no_dossier`) in
the establishment of their territory; a few get a second file: in another establishment
after a move (same NAM), or by mistake in the same establishment (same NAM).

The step is global because NAMs must be unique across establishments; every later step
works on one establishment at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iclsc.generate import names
from iclsc.generate.model import AGE_GROUPS, SEXES, CompiledModel
from iclsc.generate.sampling import ConditionalChoice, categorical
from iclsc.generate.seeds import Reference
from iclsc.generate.structure import Structure

MAX_AGE = 104
SHARE_SEX_X = 0.001
SHARE_NAM_MISSING = 0.03
SHARE_MOVED = 0.01  # persons with a file in a second establishment
SHARE_MOVED_SAME_REGION = 0.6
SHARE_SECOND_FILE = 0.005  # persons with two files in the same establishment
NEWBORN_BEFORE_WINDOW_DAYS = 200  # age-0 persons are born from this long before the window
NO_DOSSIER_START = 1_000_000


@dataclass
class Persons:
    territory: np.ndarray  # of residence when first drawn
    age_group: np.ndarray
    cell_sex: np.ndarray  # 0 = F, 1 = M: the sex of the population cell (and of the NAM)
    sex: np.ndarray  # index into SEX_CODES
    birth: np.ndarray  # day number
    surname: np.ndarray
    first_name: np.ndarray
    has_nam: np.ndarray
    nam_suffix: np.ndarray


@dataclass
class Files:
    """User files, sorted by establishment; `offsets[e]:offsets[e + 1]` are establishment e's."""

    person: np.ndarray
    establishment: np.ndarray
    territory: np.ndarray  # code_clsc_residence
    fsa: np.ndarray  # index into fsa_codes
    ldu: np.ndarray  # the last three characters, as 0..(10 * 20 * 10 - 1)
    active_from: np.ndarray  # day number: the file is used from this day...
    active_to: np.ndarray  # ... to this day
    no_dossier: np.ndarray
    offsets: np.ndarray


@dataclass
class Population:
    persons: Persons
    files: Files
    fsa_codes: list[str]
    territory_fsa_start: np.ndarray
    territory_fsa_count: np.ndarray
    sex_codes: tuple[str, ...] = ("F", "M", "X")


def single_age_table(ref: Reference) -> np.ndarray:
    """P(age | sex, age group) over ages 0..MAX_AGE; condition = age group * 2 + sex."""
    by_sex = {sex: np.zeros(MAX_AGE + 1) for sex in SEXES}
    for row in ref.population_single_age:
        age = int(row["age"])
        by_sex[row["sex"]][age] = float(row["population_2024"])
    for sex in SEXES:
        open_group = by_sex[sex][90]  # "90" is 90 and over: spread it with a decay
        decay = 0.78 ** np.arange(MAX_AGE + 1 - 90)
        by_sex[sex][90:] = open_group * decay / decay.sum()
    table = np.zeros((len(AGE_GROUPS) * len(SEXES), MAX_AGE + 1))
    for g, group in enumerate(ref.age_groups):
        low, high = int(group["min_age"]), min(int(group["max_age"]), MAX_AGE)
        for s, sex in enumerate(SEXES):
            table[g * len(SEXES) + s, low : high + 1] = by_sex[sex][low : high + 1]
    return table


def draw_population(
    rng: np.random.Generator,
    ref: Reference,
    model: CompiledModel,
    structure: Structure,
    n_persons: int,
    window_start: int,
    window_end: int,
) -> Population:
    territories = structure.territories
    territory_of_code = {t.code: t.index for t in territories}
    age_index = {g: i for i, g in enumerate(AGE_GROUPS)}
    n_cells = len(territories) * len(AGE_GROUPS) * len(SEXES)

    # Cell = (territory * 8 + age group) * 2 + sex.
    weight = np.zeros(n_cells)
    for row in ref.population_clsc:
        t = territory_of_code.get(row["clsc_code"])
        if t is None:
            continue
        a = age_index[row["age_group"]]
        s = SEXES.index(row["sex"])
        weight[(t * len(AGE_GROUPS) + a) * len(SEXES) + s] = float(row["population"])
    weight *= np.repeat(np.tile(model.use_rate, len(territories)), len(SEXES))
    counts = rng.multinomial(n_persons, weight / weight.sum())
    cell = np.repeat(np.arange(n_cells), counts)
    cell_sex = (cell % len(SEXES)).astype(np.int8)
    age_group = ((cell // len(SEXES)) % len(AGE_GROUPS)).astype(np.int8)
    territory = (cell // (len(SEXES) * len(AGE_GROUPS))).astype(np.int32)
    n = cell.shape[0]

    ages = ConditionalChoice(single_age_table(ref)).draw(rng, age_group * 2 + cell_sex)
    birth = window_start - np.floor((ages + rng.random(n)) * 365.25).astype(np.int64)
    newborn = ages == 0
    birth[newborn] = rng.integers(
        window_start - NEWBORN_BEFORE_WINDOW_DAYS, window_end - 5, newborn.sum()
    )
    sex = cell_sex.copy()
    sex[rng.random(n) < SHARE_SEX_X] = 2

    surname = categorical(rng, names.zipf_weights(len(names.SURNAMES)), n)
    first_name = np.where(
        cell_sex == 0,
        categorical(rng, names.zipf_weights(len(names.FEMALE_FIRST_NAMES), 0.7), n),
        categorical(rng, names.zipf_weights(len(names.MALE_FIRST_NAMES), 0.7), n),
    )
    has_nam = rng.random(n) >= SHARE_NAM_MISSING
    nam_suffix = rng.integers(0, 100, n).astype(np.int16)
    persons = Persons(
        territory, age_group, cell_sex, sex, birth, surname, first_name, has_nam, nam_suffix
    )
    make_nams_unique(rng, persons)

    fsa_codes, fsa_start, fsa_count = draw_fsas(rng, structure)
    files = draw_files(rng, structure, persons, fsa_start, fsa_count, window_start, window_end)
    return Population(persons, files, fsa_codes, fsa_start, fsa_count)


def nam_key(persons: Persons) -> np.ndarray:
    """What the NAM encodes, as one integer: two persons with equal keys share a NAM."""
    surname_letters = np.array([names.nam_letters(s, 3) for s in names.SURNAMES])
    _, surname_code = np.unique(surname_letters, return_inverse=True)
    first = names_first_initial_index(persons)
    yymmdd = birth_yymmdd(persons.birth) + np.where(persons.cell_sex == 0, 5000, 0)
    return (
        (surname_code[persons.surname].astype(np.int64) * 26 + first) * 1_000_000 + yymmdd
    ) * 100 + persons.nam_suffix


def names_first_initial_index(persons: Persons) -> np.ndarray:
    female = np.array([ord(names.nam_letters(x, 1)) - 65 for x in names.FEMALE_FIRST_NAMES])
    male = np.array([ord(names.nam_letters(x, 1)) - 65 for x in names.MALE_FIRST_NAMES])
    return np.where(persons.cell_sex == 0, female[persons.first_name], male[persons.first_name])


def birth_yymmdd(birth: np.ndarray) -> np.ndarray:
    days = birth.astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return (year % 100) * 10_000 + month * 100 + day


def make_nams_unique(rng: np.random.Generator, persons: Persons) -> None:
    """Real NAMs are unique: redraw the last two digits of a NAM another person already has."""
    for _ in range(50):
        key = nam_key(persons)
        key = np.where(persons.has_nam, key, -1 - np.arange(key.shape[0]))
        _, first = np.unique(key, return_index=True)
        duplicate = np.ones(key.shape[0], dtype=bool)
        duplicate[first] = False
        if not duplicate.any():
            return
        persons.nam_suffix[duplicate] = rng.integers(0, 100, duplicate.sum())
    raise RuntimeError("could not make NAMs unique")


def draw_fsas(rng: np.random.Generator, structure: Structure):
    codes: list[str] = []
    start = np.zeros(len(structure.territories), dtype=np.int32)
    count = np.zeros(len(structure.territories), dtype=np.int32)
    for t in structure.territories:
        k = int(min(8, 2 + t.population // 50_000))
        start[t.index] = len(codes)
        count[t.index] = k
        codes.extend(names.territory_fsas(rng, t.rss_code, k))
    return codes, start, count


def draw_files(
    rng: np.random.Generator,
    structure: Structure,
    persons: Persons,
    fsa_start: np.ndarray,
    fsa_count: np.ndarray,
    window_start: int,
    window_end: int,
) -> Files:
    n = persons.territory.shape[0]
    territory_establishment = np.array([t.establishment for t in structure.territories])
    territory_population = np.array([t.population for t in structure.territories], dtype=float)
    n_establishments = len(structure.establishments)

    def place(territory: np.ndarray):
        fsa = fsa_start[territory] + np.floor(rng.random(territory.shape[0]) * fsa_count[territory])
        return fsa.astype(np.int32), rng.integers(0, 2000, territory.shape[0]).astype(np.int16)

    person = np.arange(n)
    territory = persons.territory.copy()
    fsa, ldu = place(territory)
    active_from = persons.birth.copy()
    active_to = np.full(n, window_end, dtype=np.int64)

    eligible = np.flatnonzero(persons.has_nam & (persons.age_group > 0))
    n_moved = max(2, round(SHARE_MOVED * n)) if n_establishments > 1 else 0
    n_second = max(2, round(SHARE_SECOND_FILE * n))
    chosen = rng.choice(eligible, size=min(eligible.shape[0], n_moved + n_second), replace=False)
    moved, second = chosen[:n_moved], chosen[n_moved:]

    # Moves: the first file stops at the move, the new one starts the next day.
    origin = territory_establishment[territory[moved]]
    region = np.array([e.rss_code for e in structure.establishments])
    destination = np.empty(moved.shape[0], dtype=np.int64)
    for k, e in enumerate(origin):
        same_region = np.flatnonzero((region == region[e]) & (np.arange(n_establishments) != e))
        others = same_region
        if same_region.shape[0] == 0 or rng.random() >= SHARE_MOVED_SAME_REGION:
            others = np.flatnonzero(np.arange(n_establishments) != e)
        destination[k] = rng.choice(others)
    new_territory = np.empty(moved.shape[0], dtype=np.int32)
    for k, e in enumerate(destination):
        candidates = np.flatnonzero(territory_establishment == e)
        p = territory_population[candidates] / territory_population[candidates].sum()
        new_territory[k] = rng.choice(candidates, p=p)
    move_day = rng.integers(window_start + 30, window_end - 30, moved.shape[0])
    move_day = np.maximum(move_day, active_from[moved] + 1)
    active_to[moved] = move_day
    moved_fsa, moved_ldu = place(new_territory)

    second_fsa, second_ldu = place(territory[second])
    person = np.concatenate([person, moved, second])
    territory = np.concatenate([territory, new_territory, territory[second]])
    fsa = np.concatenate([fsa, moved_fsa, second_fsa])
    ldu = np.concatenate([ldu, moved_ldu, second_ldu])
    active_from = np.concatenate([active_from, move_day + 1, active_from[second]])
    active_to = np.concatenate([active_to, np.full(moved.shape[0], window_end), active_to[second]])
    establishment = territory_establishment[territory]

    # File numbers: increasing with random gaps, in a random order within each establishment.
    order = np.lexsort((rng.random(person.shape[0]), establishment))
    gaps = rng.integers(1, 5, person.shape[0])
    counts = np.bincount(establishment, minlength=n_establishments)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    running = np.concatenate([[0], np.cumsum(gaps)])
    no_dossier = NO_DOSSIER_START + running[1:] - np.repeat(running[offsets[:-1]], counts)

    return Files(
        person=person[order].astype(np.int32),
        establishment=establishment[order].astype(np.int16),
        territory=territory[order].astype(np.int32),
        fsa=fsa[order],
        ldu=ldu[order],
        active_from=active_from[order],
        active_to=active_to[order],
        no_dossier=no_dossier.astype(np.int64),
        offsets=offsets,
    )
