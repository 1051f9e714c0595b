"""The synthetic extract generator: contract layout, determinism, and realistic structure."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from iclsc import cli
from iclsc.fiscal import fiscal_periods
from iclsc.generate import contract, generate
from iclsc.generate.sampling import ConditionalChoice, largest_remainder
from iclsc.generate.scales import SCALES
from iclsc.generate.seeds import load_reference, read_csv, seeds_dir
from iclsc.generate.structure import build_structure
from iclsc.generate.writer import write_table

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
NAM = re.compile(r"^[A-Z]{4}\d{8}$")
POSTAL = re.compile(r"^[ABCEGHJKLMNPRSTVXY]\d[ABCEGHJKLMNPRSTVWXYZ] \d[ABCEGHJKLMNPRSTVWXYZ]\d$")


# --------------------------------------------------------------------------- helpers


@dataclass
class Extract:
    root: Path
    installations: list[dict[str, str]]
    transmissions: list[dict[str, str]]
    tables: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)

    def rows(self, transmission_id: str, name: str) -> list[dict[str, str]]:
        return self.tables[transmission_id][name]

    def latest(self) -> list[dict[str, str]]:
        """The latest transmission of each establishment, year and period."""
        best: dict[tuple, dict[str, str]] = {}
        for t in self.transmissions:
            key = (t["code_etablissement"], t["annee_financiere"], t["periode"])
            if key not in best or t["date_transmission"] > best[key]["date_transmission"]:
                best[key] = t
        return list(best.values())

    def latest_rows(self, name: str):
        for t in self.latest():
            for row in self.rows(t["id_transmission"], name):
                yield t, row


def load(root: Path) -> Extract:
    extract = Extract(
        root,
        read_csv(root / contract.INSTALLATIONS_FILE),
        read_csv(root / contract.TRANSMISSIONS_FILE),
    )
    for t in extract.transmissions:
        folder = root / contract.TRANSMISSIONS_DIR / t["id_transmission"]
        extract.tables[t["id_transmission"]] = {
            name: read_csv(folder / name) for name in contract.TRANSMISSION_FILES
        }
    return extract


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def period_bounds(fiscal_year: str, period: str):
    p = fiscal_periods(int(fiscal_year))[int(period) - 1]
    return p.start_date, p.end_date


def ascii_letters(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z]", "", plain.upper())


def seed_codes(filename: str, column: str) -> set[str]:
    return {r[column] for r in read_csv(seeds_dir() / filename)}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "raw"
    generate(out, "tiny", 42)
    return out


@pytest.fixture(scope="module")
def tiny(tiny_dir) -> Extract:
    return load(tiny_dir)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Extract:
    out = tmp_path_factory.mktemp("small") / "raw"
    generate(out, "small", 42)
    return load(out)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_in_any_number_of_processes(tiny_dir, tmp_path):
    again = tmp_path / "again"
    generate(again, "tiny", 42, jobs=2)
    assert tree_hash(again) == tree_hash(tiny_dir)


def test_another_seed_gives_other_bytes(tiny_dir, tmp_path):
    other = tmp_path / "other"
    generate(other, "tiny", 43)
    assert tree_hash(other) != tree_hash(tiny_dir)
    # The structure does not depend on the seed, the activity does.
    assert (other / "installations.csv").read_bytes() == (
        tiny_dir / "installations.csv"
    ).read_bytes()


def test_refuses_to_write_into_a_non_empty_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate(tmp_path, "tiny", 42)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_a_previous_extract(tiny_dir, tmp_path):
    out = tmp_path / "raw"
    generate(out, "tiny", 43)
    generate(out, "tiny", 42, overwrite=True)
    assert tree_hash(out) == tree_hash(tiny_dir)


def test_command_line(tmp_path):
    out = tmp_path / "raw"
    code = cli.main(["generate", "--out", str(out), "--scale", "tiny", "--no-progress"])
    assert code == 0
    assert (out / "transmissions.csv").is_file()


# --------------------------------------------------------------------------- layout and format


def test_layout_matches_the_contract(tiny, tiny_dir):
    top = sorted(p.name for p in tiny_dir.iterdir())
    assert top == ["installations.csv", "transmissions", "transmissions.csv"]
    ids = [t["id_transmission"] for t in tiny.transmissions]
    assert len(ids) == len(set(ids))
    assert sorted(p.name for p in (tiny_dir / "transmissions").iterdir()) == sorted(ids)
    for transmission_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", transmission_id)
        folder = tiny_dir / "transmissions" / transmission_id
        assert sorted(p.name for p in folder.iterdir()) == sorted(contract.TRANSMISSION_FILES)


def test_headers_are_the_contract_columns_in_order(tiny_dir):
    def header(path: Path) -> tuple[str, ...]:
        return tuple(path.read_text(encoding="utf-8").split("\n", 1)[0].split(","))

    assert header(tiny_dir / "installations.csv") == contract.INSTALLATIONS_COLUMNS
    assert header(tiny_dir / "transmissions.csv") == contract.TRANSMISSIONS_COLUMNS
    for folder in (tiny_dir / "transmissions").iterdir():
        for name, columns in contract.TRANSMISSION_FILES.items():
            assert header(folder / name) == columns, folder / name


def test_csv_format(tiny_dir):
    for path in tiny_dir.rglob("*.csv"):
        data = path.read_bytes()
        text = data.decode("utf-8")
        assert "\r" not in text
        assert text.endswith("\n")
        rows = list(csv.reader(text.splitlines()))
        width = len(rows[0])
        assert all(len(r) == width for r in rows), path
        for line in text.splitlines():
            if '"' in line:  # quoting only where needed
                assert any(("," in v or '"' in v) for v in next(csv.reader([line]))), line


def test_writer_quotes_only_values_that_need_it(tmp_path):
    path = tmp_path / "x.csv"
    write_table(path, pa.table({"a": ["plain", "with, comma", None], "b": [1, 2, 3]}))
    assert path.read_text(encoding="utf-8") == 'a,b\nplain,1\n"with, comma",2\n,3\n'
    write_table(path, pa.table({"a": ["plain", None], "b": [1, None]}))
    assert path.read_text(encoding="utf-8") == "a,b\nplain,1\n,\n"


def test_installations(tiny):
    clsc = {r["clsc_code"]: r for r in read_csv(seeds_dir() / "reference/ref_clsc.csv")}
    rts = {r["rts_code"]: r for r in read_csv(seeds_dir() / "reference/ref_rts.csv")}
    codes = [r["code_installation"] for r in tiny.installations]
    assert len(codes) == len(set(codes)) == 12
    by_establishment = defaultdict(set)
    for row in tiny.installations:
        assert len(row["code_installation"]) == 8
        assert re.fullmatch(r"\d{8}", row["code_etablissement"])
        territory = clsc[row["code_clsc"]]
        by_establishment[row["code_etablissement"]].add(territory["rts_code"])
        assert row["nom_installation"].startswith("CLSC ")
        assert "[" not in row["nom_etablissement"]
    # One establishment per RTS.
    assert all(len(v) == 1 for v in by_establishment.values())
    assert {next(iter(v)) for v in by_establishment.values()} <= set(rts)
    assert {clsc[r["code_clsc"]]["rss_code"] for r in tiny.installations} == {"11", "13"}


def test_full_structure_has_458_installations_covering_every_territory():
    ref = load_reference()
    structure = build_structure(ref, SCALES["full"])
    assert len(structure.installations) == 458
    assert len(structure.establishments) == len(ref.rts) == 25
    assert {i.territory for i in structure.installations} == set(range(len(ref.clsc)))
    codes = [i.code for i in structure.installations]
    assert len(set(codes)) == 458 and all(len(c) == 8 for c in codes)
    per_territory = Counter(i.territory for i in structure.installations)
    populations = [t.population for t in structure.territories]
    biggest = int(np.argmax(populations))
    smallest = int(np.argmin(populations))
    assert per_territory[biggest] > per_territory[smallest] == 1


# --------------------------------------------------------------------------- codes and dates


def test_every_code_is_in_its_seed(tiny):
    modes = seed_codes("codes/code_modes.csv", "mode_code")
    lieux = seed_codes("codes/code_lieux.csv", "lieu_code")
    raisons = seed_codes("codes/code_raisons.csv", "code")
    actes = seed_codes("codes/code_actes.csv", "code")
    categories = seed_codes("codes/code_categories_intervenants.csv", "code")
    centres = {
        r["centre_activites_code"]: r
        for r in read_csv(seeds_dir() / "reference/ref_centres_activites.csv")
    }
    programmes = {
        r["programme_code"]
        for r in read_csv(seeds_dir() / "reference/ref_programmes.csv")
        if r["programme_category"] == "programme-services"
    }
    priorities = seed_codes("reference/ref_priorities.csv", "priority_code")
    sexes = seed_codes("reference/ref_sexes.csv", "sex_code")
    territories = seed_codes("reference/ref_clsc.csv", "clsc_code")
    installations = {r["code_installation"] for r in tiny.installations}
    seen_programmes = set()
    for t in tiny.transmissions:
        for row in tiny.rows(t["id_transmission"], "interventions.csv"):
            assert row["code_mode"] in modes
            assert row["code_lieu"] in lieux
            assert row["code_raison"] in raisons
            assert row["code_acte"] in actes
            assert row["code_categorie_intervenant"] in categories
            assert row["code_programme"] in programmes
            assert row["code_type"] in contract.INTERVENTION_TYPES
            assert row["code_installation"] in installations
            centre = centres[row["code_centre_activites"]]
            assert row["code_centre_activites"] != "4112"  # archived 2023-03-31
            if centre["programme_codes"]:
                assert row["code_programme"] in centre["programme_codes"].split(";")
            assert int(row["duree_minutes"]) > 0
            seen_programmes.add(row["code_programme"])
        for row in tiny.rows(t["id_transmission"], "demandes.csv"):
            assert row["code_priorite"] in priorities
            assert row["code_centre_activites"] in centres
            assert row["code_installation"] in installations
        for row in tiny.rows(t["id_transmission"], "usagers.csv"):
            assert row["sexe"] in sexes
            assert row["code_clsc_residence"] in territories
    assert seen_programmes == programmes  # every programme-services, never ADMIN/SS/GBÉ


def test_code_seeds_are_marked_illustrative():
    for name in ("code_raisons", "code_actes", "code_categories_intervenants"):
        rows = read_csv(seeds_dir() / f"codes/{name}.csv")
        assert list(rows[0]) == ["code", "label", "is_illustrative"]
        assert 10 <= len(rows) <= 20
        assert all(r["is_illustrative"] == "true" for r in rows)
    modes = {r["mode_code"]: r for r in read_csv(seeds_dir() / "codes/code_modes.csv")}
    in_person = {r["mode_label"] for r in modes.values() if r["is_in_person"] == "true"}
    assert not any("phone" in x or "Visio" in x for x in in_person)
    lieux = read_csv(seeds_dir() / "codes/code_lieux.csv")
    assert any(r["is_home"] == "true" and "Domicile" in r["lieu_label"] for r in lieux)
    centres = read_csv(seeds_dir() / "reference/ref_centres_activites.csv")
    new = [r for r in centres if r["is_verified"] == "false"]
    assert new and all("illustratif" in r["centre_activites_name"] for r in new)
    assert all(r["programme_codes"] and r["is_home_support"] in ("true", "false") for r in new)


def test_rows_fall_within_their_transmission_period(tiny):
    as_of = SCALES["tiny"].as_of
    for t in tiny.transmissions:
        start, end = period_bounds(t["annee_financiere"], t["periode"])
        assert TIMESTAMP.match(t["date_transmission"])
        received = datetime.fromisoformat(t["date_transmission"]).date()
        assert end < received <= as_of
        for row in tiny.rows(t["id_transmission"], "interventions.csv"):
            assert DATE.match(row["date_intervention"])
            assert start <= date.fromisoformat(row["date_intervention"]) <= end
        for row in tiny.rows(t["id_transmission"], "demandes.csv"):
            assert start <= date.fromisoformat(row["date_reception"]) <= end


def test_keys_are_unique_within_an_establishment(tiny):
    requests = defaultdict(set)
    pairs = Counter()
    files = Counter()
    for t, row in tiny.latest_rows("demandes.csv"):
        key = (t["code_etablissement"], row["no_demande"])
        assert key not in requests[key[0]]
        requests[key[0]].add(key)
    for t, row in tiny.latest_rows("interventions.csv"):
        pairs[(t["code_etablissement"], row["no_intervention"], row["no_dossier"])] += 1
        if row["no_demande"]:
            assert (t["code_etablissement"], row["no_demande"]) in requests[t["code_etablissement"]]
    assert max(pairs.values()) == 1
    for t in tiny.transmissions:
        for row in tiny.rows(t["id_transmission"], "usagers.csv"):
            files[(t["id_transmission"], row["no_dossier"])] += 1
    assert max(files.values()) == 1


# --------------------------------------------------------------------------- users


def test_usagers_holds_exactly_the_referenced_users(tiny):
    for t in tiny.transmissions:
        tables = tiny.tables[t["id_transmission"]]
        referenced = {r["no_dossier"] for r in tables["interventions.csv"]}
        referenced |= {r["no_dossier"] for r in tables["demandes.csv"]}
        assert {r["no_dossier"] for r in tables["usagers.csv"]} == referenced


def test_a_user_has_the_same_attributes_in_every_transmission(tiny):
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for t in tiny.transmissions:
        for row in tiny.rows(t["id_transmission"], "usagers.csv"):
            key = (t["code_etablissement"], row["no_dossier"])
            assert seen.setdefault(key, row) == row


def test_nam_shape_and_birth_date(tiny):
    users = {}
    for t in tiny.transmissions:
        for row in tiny.rows(t["id_transmission"], "usagers.csv"):
            users[(t["code_etablissement"], row["no_dossier"])] = row
    missing = 0
    for row in users.values():
        assert DATE.match(row["date_naissance"])
        assert POSTAL.match(row["code_postal"]), row["code_postal"]
        if not row["nam"]:
            missing += 1
            continue
        nam = row["nam"]
        assert NAM.match(nam), nam
        born = date.fromisoformat(row["date_naissance"])
        month = int(nam[6:8])
        assert nam[4:6] == f"{born.year % 100:02d}"
        assert nam[8:10] == f"{born.day:02d}"
        if row["sexe"] == "F":
            assert month == born.month + 50
        elif row["sexe"] == "M":
            assert month == born.month
        else:
            assert month in (born.month, born.month + 50)
        assert nam[:3] == (ascii_letters(row["nom"]) + "XXX")[:3]
        assert nam[3] == ascii_letters(row["prenom"])[0]
    assert 0 < missing < 0.1 * len(users)


def test_residence_and_postal_letter(tiny):
    clsc = {r["clsc_code"]: r for r in read_csv(seeds_dir() / "reference/ref_clsc.csv")}
    for t in tiny.transmissions:
        for row in tiny.rows(t["id_transmission"], "usagers.csv"):
            region = clsc[row["code_clsc_residence"]]["rss_code"]
            expected = {"11": "G", "13": "H"}[region]
            assert row["code_postal"][0] == expected


def test_same_person_in_two_establishments_and_two_files(small):
    files_by_nam = defaultdict(set)
    identity = {}
    for t in small.transmissions:
        for row in small.rows(t["id_transmission"], "usagers.csv"):
            if row["nam"]:
                files_by_nam[row["nam"]].add((t["code_etablissement"], row["no_dossier"]))
                who = (row["nom"], row["prenom"], row["date_naissance"])
                assert identity.setdefault(row["nam"], who) == who
    moved = [f for f in files_by_nam.values() if len({e for e, _ in f}) > 1]
    doubled = [f for f in files_by_nam.values() if len(f) > len({e for e, _ in f})]
    n = len(files_by_nam)
    assert 0.002 * n < len(moved) < 0.03 * n
    assert 0 < len(doubled) < 0.02 * n


# --------------------------------------------------------------------------- interventions


def test_couple_family_and_group_interventions_repeat_one_number(small):
    by_number = defaultdict(list)
    for t, row in small.latest_rows("interventions.csv"):
        by_number[(t["code_etablissement"], row["no_intervention"])].append(row)
    sizes = defaultdict(list)
    shared = (
        "code_installation", "date_intervention", "no_intervenant", "duree_minutes",
        "code_centre_activites", "code_programme", "code_type", "code_mode", "code_lieu",
        "code_categorie_intervenant",
    )  # fmt: skip
    group_programmes = Counter()
    for rows in by_number.values():
        kind = rows[0]["code_type"]
        sizes[kind].append(len(rows))
        for column in shared:
            assert len({r[column] for r in rows}) == 1, (column, rows)
        assert len({r["no_dossier"] for r in rows}) == len(rows)
        if kind == "G":
            group_programmes[rows[0]["code_programme"]] += 1
    assert set(sizes["I"]) == {1}
    assert sizes["F"] and min(sizes["F"]) >= 2 and max(sizes["F"]) <= 4
    assert sizes["G"] and min(sizes["G"]) >= 3 and max(sizes["G"]) <= 12
    top = {p for p, _ in group_programmes.most_common(4)}
    assert len(top & {"SPUB", "SM", "JD"}) >= 2


def test_about_17_interventions_per_user_per_year_and_sapa_largest(small):
    rows, users, programmes, per_user = 0, set(), Counter(), Counter()
    for t, row in small.latest_rows("interventions.csv"):
        if t["annee_financiere"] == "2025":
            rows += 1
            key = (t["code_etablissement"], row["no_dossier"])
            users.add(key)
            per_user[key] += 1
            programmes[row["code_programme"]] += 1
    average = rows / len(users)
    assert 14 <= average <= 20
    assert programmes.most_common(1)[0][0] == "SAPA"
    assert programmes["SAPA"] < 0.6 * rows
    assert 150_000 <= sum(1 for _ in small.latest_rows("interventions.csv")) <= 250_000
    # A long tail: the busiest users get many times the median.
    counts = np.array(sorted(per_user.values()))
    assert np.percentile(counts, 99) > 5 * np.median(counts)


def test_programmes_fit_ages(small):
    born = {}
    for t in small.transmissions:
        for row in small.rows(t["id_transmission"], "usagers.csv"):
            born[(t["code_etablissement"], row["no_dossier"])] = row["date_naissance"]
    ages = defaultdict(list)
    for t, row in small.latest_rows("interventions.csv"):
        birth = date.fromisoformat(born[(t["code_etablissement"], row["no_dossier"])])
        day = date.fromisoformat(row["date_intervention"])
        assert birth <= day
        ages[row["code_programme"]].append((day - birth).days / 365.25)
    assert np.mean(np.array(ages["SAPA"]) >= 65) > 0.8
    assert np.mean(np.array(ages["JD"]) < 18) > 0.8  # family rows attach other young users
    assert np.mean(np.array(ages["SPUB"]) < 5) > 0.3


def test_home_support_is_mostly_at_home_and_in_person(small):
    centres = {
        r["centre_activites_code"]: r["is_home_support"] == "true"
        for r in read_csv(seeds_dir() / "reference/ref_centres_activites.csv")
    }
    home = {
        r["lieu_code"]
        for r in read_csv(seeds_dir() / "codes/code_lieux.csv")
        if r["is_home"] == "true"
    }
    in_person = {
        r["mode_code"]
        for r in read_csv(seeds_dir() / "codes/code_modes.csv")
        if r["is_in_person"] == "true"
    }
    at_home = Counter()
    present = Counter()
    total = Counter()
    for _, row in small.latest_rows("interventions.csv"):
        kind = centres[row["code_centre_activites"]]
        total[kind] += 1
        at_home[kind] += row["code_lieu"] in home
        present[kind] += row["code_mode"] in in_person
    assert at_home[True] / total[True] > 0.85
    assert present[True] / total[True] > 0.85
    assert at_home[False] / total[False] < 0.25
    assert 0.4 < present[False] / total[False] < 0.85


def test_video_grows_over_time(small):
    video = Counter()
    total = Counter()
    for t, row in small.latest_rows("interventions.csv"):
        year = t["annee_financiere"]
        total[year] += 1
        video[year] += row["code_mode"] == "03"
    assert video["2026"] / total["2026"] > video["2025"] / total["2025"]


def test_most_users_are_served_in_their_own_territory(small):
    territory_of = {r["code_installation"]: r["code_clsc"] for r in small.installations}
    residence = {}
    for t in small.transmissions:
        for row in small.rows(t["id_transmission"], "usagers.csv"):
            residence[(t["code_etablissement"], row["no_dossier"])] = row["code_clsc_residence"]
    same = total = 0
    for t, row in small.latest_rows("interventions.csv"):
        total += 1
        same += (
            territory_of[row["code_installation"]]
            == residence[(t["code_etablissement"], row["no_dossier"])]
        )
    assert 0.75 < same / total < 0.97


def test_providers_have_one_category_and_mostly_one_installation(small):
    category = defaultdict(set)
    places = defaultdict(Counter)
    for t, row in small.latest_rows("interventions.csv"):
        key = (t["code_etablissement"], row["no_intervenant"])
        category[key].add(row["code_categorie_intervenant"])
        places[key][row["code_installation"]] += 1
    assert all(len(c) == 1 for c in category.values())
    main = sum(c.most_common(1)[0][1] for c in places.values())
    assert main / sum(c.total() for c in places.values()) > 0.8
    # Several providers in a typical installation x programme cell.
    cell_providers = defaultdict(set)
    for _, row in small.latest_rows("interventions.csv"):
        cell_providers[(row["code_installation"], row["code_programme"])].add(row["no_intervenant"])
    assert np.median([len(p) for p in cell_providers.values()]) >= 3


# --------------------------------------------------------------------------- requests


def test_requests_mostly_meet_their_target(small):
    targets = {
        r["priority_code"]: int(r["target_delay_days"])
        for r in read_csv(seeds_dir() / "reference/ref_priorities.csv")
    }
    in_person = {
        r["mode_code"]
        for r in read_csv(seeds_dir() / "codes/code_modes.csv")
        if r["is_in_person"] == "true"
    }
    requests = {}
    priorities = Counter()
    for t, row in small.latest_rows("demandes.csv"):
        requests[(t["code_etablissement"], row["no_demande"])] = row
        priorities[row["code_priorite"]] += 1
    first_visit = {}
    answered = set()
    for t, row in small.latest_rows("interventions.csv"):
        if not row["no_demande"]:
            continue
        key = (t["code_etablissement"], row["no_demande"])
        request = requests[key]
        day = date.fromisoformat(row["date_intervention"])
        assert day >= date.fromisoformat(request["date_reception"])
        answered.add(key)
        if row["code_mode"] in in_person:
            first_visit[key] = min(first_visit.get(key, day), day)
    met = [
        (first_visit[k] - date.fromisoformat(r["date_reception"])).days
        <= targets[r["code_priorite"]]
        for k, r in requests.items()
        if k in first_visit
    ]
    share = float(np.mean(met))
    assert 0.6 < share < 0.95
    waiting = [k for k in requests if k not in answered]
    assert waiting  # still waiting at the as-of date
    total = sum(priorities.values())
    assert priorities["P1"] < priorities["P2"] < priorities["P3"] < priorities["P4"]
    assert 0.02 < priorities["P1"] / total < 0.1
    assert any(not r["no_demande"] for _, r in small.latest_rows("interventions.csv"))


# --------------------------------------------------------------------------- transmissions


def test_resubmissions_replace_an_earlier_transmission(tiny):
    by_period = defaultdict(list)
    for t in tiny.transmissions:
        by_period[(t["code_etablissement"], t["annee_financiere"], t["periode"])].append(t)
    resent = {
        k: sorted(v, key=lambda t: t["date_transmission"])
        for k, v in by_period.items()
        if len(v) > 1
    }
    assert resent
    for versions in resent.values():
        first, last = versions[0], versions[-1]
        assert last["date_transmission"] > first["date_transmission"]
        assert last["periode_fermee"] == "O"
        old = {
            (r["no_intervention"], r["no_dossier"]): r
            for r in tiny.rows(first["id_transmission"], "interventions.csv")
        }
        new = {
            (r["no_intervention"], r["no_dossier"]): r
            for r in tiny.rows(last["id_transmission"], "interventions.csv")
        }
        assert set(old) < set(new)  # late entries arrive
        changed = [k for k in old if old[k] != new[k]]
        assert len(changed) < 0.05 * len(old) + 1  # a few corrected rows, the rest identical


def test_last_period_open_and_earlier_ones_closed(small):
    latest = small.latest()
    periods = sorted({(int(t["annee_financiere"]), int(t["periode"])) for t in latest})
    last, previous = periods[-1], periods[-2]
    assert last == (2026, 8)
    establishments = {t["code_etablissement"] for t in latest}
    open_previous = set()
    for t in latest:
        key = (int(t["annee_financiere"]), int(t["periode"]))
        if key == last:
            assert t["periode_fermee"] == "N"
        elif key == previous:
            if t["periode_fermee"] == "N":
                open_previous.add(t["code_etablissement"])
        else:
            assert t["periode_fermee"] == "O"
    assert 0 < len(open_previous) < len(establishments) / 2
    # Every establishment sent every period.
    assert len(latest) == len(establishments) * (13 + 8)


def test_tiny_size(tiny):
    rows = sum(1 for _ in tiny.latest_rows("interventions.csv"))
    users = {(t["code_etablissement"], r["no_dossier"]) for t, r in tiny.latest_rows("usagers.csv")}
    assert 3_000 <= rows <= 9_000
    assert 150 <= len(users) <= 600
    periods = {(t["annee_financiere"], t["periode"]) for t in tiny.transmissions}
    assert len(periods) == 13 + 3


# --------------------------------------------------------------------------- helpers


def test_conditional_choice_follows_each_rows_weights():
    table = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    choice = ConditionalChoice(table)
    rng = np.random.default_rng(0)
    condition = np.repeat([0, 1, 2], 30_000)
    drawn = choice.draw(rng, condition)
    for k in range(3):
        freq = np.bincount(drawn[condition == k], minlength=3) / 30_000
        assert np.allclose(freq, table[k] / table[k].sum(), atol=0.01)
        assert np.all(freq[table[k] == 0] == 0)


def test_largest_remainder():
    out = largest_remainder([5, 1, 1, 93], 10, minimum=1)
    assert out.sum() == 10 and out.min() >= 1 and out[3] == out.max()


def test_the_full_extract_is_taken_after_its_year_closed():
    """`full` is the annual publication's extract: every establishment's latest transmission
    of every period says closed, so the full build counts the annual tables too."""
    from iclsc.generate.sampling import rng_for
    from iclsc.generate.schedule import build_schedule

    scale = SCALES["full"]
    structure = build_structure(load_reference(), scale)
    periods = scale.periods()
    args = (structure.establishments, periods, scale.as_of, scale.share_previous_open)
    schedule = build_schedule(rng_for(42, 0), *args, scale.share_resubmitted, True)
    latest = {}
    for t in sorted(schedule, key=lambda t: t.received_at):
        latest[(t.establishment, t.period_index)] = t
    assert len(latest) == len(structure.establishments) * 13
    assert all(t.closed for t in latest.values())
    assert max(t.received_at.date() for t in schedule) <= scale.as_of
    assert scale.closes_last_period
    # the same schedule taken before the closing leaves period 13 open everywhere
    before = build_schedule(rng_for(42, 0), *args, scale.share_resubmitted, False)
    assert not any(t.closed for t in before if t.period_index == 12 and not t.superseded)


def test_periods_of_each_scale():
    assert [(p.fiscal_year, p.period) for p in SCALES["full"].periods()] == [
        (2025, k) for k in range(1, 14)
    ]
    for scale in SCALES.values():
        last = scale.periods()[-1]
        assert last.end_date + timedelta(days=15) <= scale.as_of
