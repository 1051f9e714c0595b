"""One establishment's activity over the whole window: episodes, requests, interventions.

Everything is vectorised with numpy over the establishment's files; the result holds codes
as small integers (indices into the model's code lists) so it stays compact until written.

Episode timeline: a request is received on day `s`; the first in-person intervention comes
`delay` days later (within the priority's target most of the time), sometimes after a
telephone call; then the user is seen at a personal pace until the episode ends. Episodes
that began before the window carry no request (it is in no transmission of the extract).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iclsc.generate import model as m
from iclsc.generate.model import CompiledModel
from iclsc.generate.population import Population
from iclsc.generate.sampling import weekday
from iclsc.generate.structure import Structure

KIND_FIRST, KIND_CALL, KIND_FOLLOW_UP = 0, 1, 2
TYPE_I, TYPE_F, TYPE_G = 0, 1, 2
NO_INTERVENTION_START = 30_000_000
NO_DEMANDE_START = 2_000_000
PROVIDER_NUMBERS = (100_000, 1_000_000)
DURATION_SPREAD = 0.6  # sd of log episode length


@dataclass
class Window:
    start: int  # day numbers, inclusive
    end: int
    period_starts: np.ndarray  # day number of each period's first day

    def period_of(self, days: np.ndarray) -> np.ndarray:
        return (np.searchsorted(self.period_starts, days, side="right") - 1).astype(np.int16)


@dataclass
class Activity:
    """Requests and intervention rows of one establishment. File indices are global rows of
    Population.files; installation indices are global indices of Structure.installations."""

    establishment: int
    req_no: np.ndarray
    req_file: np.ndarray
    req_installation: np.ndarray
    req_day: np.ndarray
    req_centre: np.ndarray
    req_priority: np.ndarray
    req_period: np.ndarray
    # Intervention rows, sorted by (period, day, number, file).
    no: np.ndarray
    file: np.ndarray
    request: np.ndarray  # index into the req_* arrays, -1 = none
    installation: np.ndarray
    day: np.ndarray
    centre: np.ndarray
    programme: np.ndarray
    type: np.ndarray
    mode: np.ndarray
    lieu: np.ndarray
    raison: np.ndarray
    acte: np.ndarray
    category: np.ndarray
    provider: np.ndarray  # provider number
    minutes: np.ndarray
    period: np.ndarray
    n_providers: int

    ROW_FIELDS = (
        "no", "file", "request", "installation", "day", "centre", "programme", "type", "mode",
        "lieu", "raison", "acte", "category", "provider", "minutes", "period",
    )  # fmt: skip


def _take(rows: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in rows.items()}


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def shift_weekends(rng, days: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Moves a Saturday or Sunday to the next Monday with the given probability."""
    dow = weekday(days)
    move = (dow >= 5) & (rng.random(days.shape[0]) < probability)
    return days + np.where(move, 7 - dow, 0)


def first_visit_day(rng, start: np.ndarray, delay: np.ndarray, probability) -> np.ndarray:
    """A first visit drawn on a weekend moves to the Friday before when that is not before
    the request (the target stays met), else to the Monday after."""
    day = start + delay
    dow = weekday(day)
    move = (dow >= 5) & (rng.random(day.shape[0]) < probability)
    friday = day - (dow - 4)
    monday = day + (7 - dow)
    return np.where(move, np.where(friday >= start, friday, monday), day)


def simulate_establishment(
    rng: np.random.Generator,
    establishment: int,
    model: CompiledModel,
    structure: Structure,
    population: Population,
    window: Window,
    provider_load: int,
    min_providers: int,
) -> Activity:
    files = population.files
    persons = population.persons
    lo, hi = files.offsets[establishment], files.offsets[establishment + 1]
    file_ids = np.arange(lo, hi)
    person = files.person[lo:hi]
    age = persons.age_group[person].astype(np.int64)
    sex = persons.cell_sex[person].astype(np.int64)
    n_files = hi - lo

    # --- Episodes: a main programme, more episodes in it, sometimes another programme.
    main = model.programme_choice.draw(rng, age * 2 + sex)
    extra = rng.poisson(model.extra_same_programme[main])
    other = rng.random(n_files) < m.OTHER_PROGRAMME_PROBABILITY
    other_programme = model.programme_choice.draw(rng, age * 2 + sex)
    ep_file = np.concatenate([np.arange(n_files), np.repeat(np.arange(n_files), extra),
                              np.flatnonzero(other)])  # fmt: skip
    ep_programme = np.concatenate([main, np.repeat(main, extra), other_programme[other]])
    ep_age, ep_sex = age[ep_file], sex[ep_file]
    line = model.line_choice.draw(rng, (ep_programme * 8 + ep_age) * 2 + ep_sex)
    n_ep = ep_file.shape[0]

    # Installation: one of the user's territory, sometimes another one of the establishment.
    inst_territory = np.array([i.territory for i in structure.installations])
    inst_establishment = np.array([i.establishment for i in structure.installations])
    own = np.flatnonzero(inst_establishment == establishment)  # sorted by territory
    territory_of_inst = inst_territory[own]
    ep_territory = files.territory[lo:hi][ep_file]
    first = np.searchsorted(territory_of_inst, ep_territory, side="left")
    count = np.searchsorted(territory_of_inst, ep_territory, side="right") - first
    local = first + np.floor(rng.random(n_ep) * count).astype(np.int64)
    elsewhere = (rng.random(n_ep) < m.SERVED_OUTSIDE_TERRITORY) | (count == 0)
    local[elsewhere] = rng.integers(0, own.shape[0], elsewhere.sum())
    ep_inst_local = local

    # --- Timeline.
    duration = np.maximum(
        1, np.round(model.line_duration[line] * rng.lognormal(0, DURATION_SPREAD, n_ep))
    ).astype(np.int64)
    has_request = rng.random(n_ep) < model.line_request[line]
    priority = np.searchsorted(
        np.cumsum(model.priority_shares), rng.random(n_ep) * model.priority_shares.sum(), "right"
    ).astype(np.int8)
    target = model.priority_targets[priority].astype(np.int64)
    met = rng.random(n_ep) < model.target_met[priority]
    delay_met = np.floor(rng.random(n_ep) ** 0.8 * (target + 1)).astype(np.int64)
    late_mean = np.maximum(m.LATE_TAIL_MIN_DAYS, m.LATE_TAIL_FACTOR * target)
    delay_late = target + 1 + np.floor(rng.exponential(late_mean)).astype(np.int64)
    delay = np.where(has_request, np.where(met, delay_met, delay_late), 0)

    active_from = files.active_from[lo:hi][ep_file]
    active_to = files.active_to[lo:hi][ep_file]
    earliest = window.start - duration - delay
    start = earliest + np.floor(rng.random(n_ep) * (window.end - earliest + 1)).astype(np.int64)
    newborn = model.line_newborn[line]
    birth = persons.birth[person][ep_file]
    start = np.where(newborn, birth + rng.integers(1, 11, n_ep), start)
    start = np.maximum(start, active_from)
    home = model.line_home[line]
    weekend_shift = np.where(
        model.line_home_help[line],
        m.WEEKEND_SHIFT_HOME_HELP,
        np.where(home, m.WEEKEND_SHIFT_HOME, m.WEEKEND_SHIFT_CLINIC),
    )
    first_day = first_visit_day(rng, start, delay, weekend_shift)
    end_day = first_day + duration
    personal = rng.gamma(model.line_dispersion[line], 1.0 / model.line_dispersion[line])
    pace = model.line_rate[line] * np.minimum(personal, m.MAX_PERSONAL_PACE)
    open_from = np.maximum(window.start, active_from)
    open_to = np.minimum(window.end, active_to)
    request_seen = has_request & (start >= window.start) & (start <= open_to)

    # --- Requests received in the window (some still wait for their first visit).
    req_episode = np.flatnonzero(request_seen)
    req_order = np.lexsort((rng.random(req_episode.shape[0]), start[req_episode]))
    req_episode = req_episode[req_order]
    req_no = NO_DEMANDE_START + np.cumsum(rng.integers(1, 3, req_episode.shape[0]))
    ep_request = np.full(n_ep, -1, dtype=np.int64)
    ep_request[req_episode] = np.arange(req_episode.shape[0])

    # --- Intervention rows: the first visit, a call before it, the follow-ups.
    has_first = (first_day >= open_from) & (first_day <= open_to)
    call = has_request & (first_day - start >= 2) & (rng.random(n_ep) < m.CALL_BEFORE_FIRST_VISIT)
    call_day = start + np.floor(rng.random(n_ep) * (first_day - start)).astype(np.int64)
    call &= (call_day >= open_from) & (call_day <= open_to)
    follow_from = np.maximum(first_day + 1, open_from)
    follow_to = np.minimum(end_day, open_to)
    span = np.maximum(0, follow_to - follow_from + 1)
    n_follow = rng.poisson(pace * span)

    first_ep = np.flatnonzero(has_first)
    call_ep = np.flatnonzero(call)
    follow_ep = np.repeat(np.arange(n_ep), n_follow)
    follow_day = follow_from[follow_ep] + np.floor(
        rng.random(follow_ep.shape[0]) * span[follow_ep]
    ).astype(np.int64)
    follow_day = shift_weekends(rng, follow_day, weekend_shift[follow_ep])
    keep = follow_day <= open_to[follow_ep]
    follow_ep, follow_day = follow_ep[keep], follow_day[keep]

    row_ep = np.concatenate([first_ep, call_ep, follow_ep])
    row_day = np.concatenate([first_day[first_ep], call_day[call_ep], follow_day])
    kind = np.concatenate([
        np.full(first_ep.shape[0], KIND_FIRST, np.int8),
        np.full(call_ep.shape[0], KIND_CALL, np.int8),
        np.full(follow_ep.shape[0], KIND_FOLLOW_UP, np.int8),
    ])  # fmt: skip
    n = row_ep.shape[0]
    row_line = line[row_ep]
    row_home = home[row_ep]

    category = model.category_choice.draw(rng, row_line)
    mode = draw_modes(rng, model, row_home, category, row_day - window.start)
    first_visit = (kind == KIND_FIRST) & has_request[row_ep]
    mode[first_visit] = m.MODE_IN_PERSON
    mode[kind == KIND_CALL] = m.MODE_PHONE
    lieu = draw_lieux(rng, model, model.line_lieu_profile[row_line], mode)
    raison = model.raison_choice.draw(rng, row_line)
    acte = draw_actes(rng, model, category, kind, row_line)
    minutes = draw_minutes(rng, model, category, mode)

    rows = {
        "ep": row_ep,
        "day": row_day,
        "kind": kind,
        "category": category,
        "mode": mode.astype(np.int16),
        "lieu": lieu,
        "raison": raison,
        "acte": acte,
        "minutes": minutes,
        "type": np.zeros(n, dtype=np.int8),
    }

    # --- Providers, chosen before couples, families and groups copy their anchor's row.
    n_inst = own.shape[0]
    n_cat = len(model.categories)
    years = (window.end - window.start + 1) / 365.25
    pool = rows["category"].astype(np.int64) * n_inst + ep_inst_local[row_ep]
    pool_rows = np.bincount(pool, minlength=n_cat * n_inst)
    size = np.where(
        pool_rows > 0,
        np.maximum(
            np.minimum(min_providers, pool_rows), np.round(pool_rows / (provider_load * years))
        ),
        0,
    ).astype(np.int64)
    size = np.maximum(size, (pool_rows > 0).astype(np.int64))
    pool_offset = np.concatenate([[0], np.cumsum(size)])
    n_providers = int(pool_offset[-1])
    category_offset = np.append(pool_offset[np.arange(n_cat) * n_inst], n_providers)
    category_size = np.diff(category_offset)
    cat = rows["category"].astype(np.int64)
    mixed = (row_ep.astype(np.uint64) * np.uint64(2654435761) + cat.astype(np.uint64) * 40503) % (
        np.uint64(1) << np.uint64(32)
    )
    usual = pool_offset[pool] + (mixed % size[pool].astype(np.uint64)).astype(np.int64)
    anyone_here = pool_offset[pool] + np.floor(rng.random(n) * size[pool]).astype(np.int64)
    anyone_away = category_offset[cat] + np.floor(rng.random(n) * category_size[cat]).astype(
        np.int64
    )
    u = rng.random(n)
    provider = np.where(
        u < m.PROVIDER_AWAY,
        anyone_away,
        np.where(rng.random(n) < m.PROVIDER_CONTINUITY, usual, anyone_here),
    )
    rows["provider"] = provider

    # --- Couples/families and groups: one intervention, several users.
    rows, attached = attach_families_and_groups(
        rng, model, rows, line, ep_file, ep_programme, ep_inst_local, files, lo
    )

    # --- Numbers: requests and interventions in date order, with gaps.
    base_ep = rows["ep"]
    n_base = base_ep.shape[0]
    order = np.lexsort((rng.random(n_base), rows["day"]))
    numbers = np.empty(n_base, dtype=np.int64)
    numbers[order] = NO_INTERVENTION_START + np.cumsum(rng.integers(1, 4, n_base))
    rows["no"] = numbers
    rows["file"] = file_ids[ep_file[base_ep]]
    rows["request"] = ep_request[base_ep]
    if attached is not None:
        anchor, attached_file = attached
        extra_rows = _take(rows, anchor)
        extra_rows["file"] = file_ids[attached_file]
        extra_rows["request"] = np.full(anchor.shape[0], -1, dtype=np.int64)
        rows = _concat(rows, extra_rows)

    ep = rows.pop("ep")
    rows.pop("kind")
    rows["installation"] = own[ep_inst_local[ep]]
    rows["centre"] = model.line_centre[line[ep]]
    rows["programme"] = model.line_programme[line[ep]]
    rows["period"] = window.period_of(rows["day"])
    numbers_of_providers = np.sort(
        rng.choice(PROVIDER_NUMBERS[1] - PROVIDER_NUMBERS[0], n_providers, replace=False)
    )
    rows["provider"] = PROVIDER_NUMBERS[0] + rng.permutation(numbers_of_providers)[rows["provider"]]
    order = np.lexsort((rows["file"], rows["no"], rows["day"], rows["period"]))
    rows = _take(rows, order)

    req_day = start[req_episode]
    return Activity(
        establishment=establishment,
        req_no=req_no,
        req_file=file_ids[ep_file[req_episode]],
        req_installation=own[ep_inst_local[req_episode]],
        req_day=req_day,
        req_centre=model.line_centre[line[req_episode]],
        req_priority=priority[req_episode],
        req_period=window.period_of(req_day),
        n_providers=n_providers,
        **{k: rows[k] for k in Activity.ROW_FIELDS},
    )


def draw_modes(rng, model: CompiledModel, home, category, days_in) -> np.ndarray:
    n = home.shape[0]
    years = days_in / 365.25
    shares = np.where(
        home[:, None], np.array(m.MODE_SHARES_HOME), np.array(m.MODE_SHARES_CLINIC)
    ).astype(np.float64)
    growth = np.where(home, m.VIDEO_GROWTH_PER_YEAR_HOME, m.VIDEO_GROWTH_PER_YEAR_CLINIC) * years
    growth = np.minimum(growth, shares[:, m.MODE_PHONE] * 0.5)
    shares[:, m.MODE_VIDEO] += growth
    shares[:, m.MODE_PHONE] -= growth
    more_video = model.category_more_video[category]
    moved = np.where(more_video, shares[:, m.MODE_VIDEO], 0.0)
    shares[:, m.MODE_VIDEO] += moved
    shares[:, m.MODE_IN_PERSON] -= moved
    cumulative = np.cumsum(shares, axis=1)
    u = rng.random(n) * cumulative[:, -1]
    mode = (u[:, None] >= cumulative[:, :-1]).sum(axis=1).astype(np.int16)
    mode[model.category_always_in_person[category]] = m.MODE_IN_PERSON
    return mode


def draw_lieux(rng, model: CompiledModel, profile, mode) -> np.ndarray:
    lieu = model.lieu_choice.draw(rng, profile)
    lieu[mode == 3] = model.code_index["lieux"][m.LIEU_WITHOUT_USER]
    remote = (mode == m.MODE_PHONE) | (mode == m.MODE_VIDEO) | (mode == 4)
    lieu[remote] = model.code_index["lieux"][m.LIEU_REMOTE]
    return lieu


def draw_actes(rng, model: CompiledModel, category, kind, line) -> np.ndarray:
    acte = model.acte_choice.draw(rng, category)
    index = model.code_index["actes"]
    u = rng.random(acte.shape[0])
    acte[(kind == KIND_FIRST) & (u < 0.7)] = index[m.ACTE_ASSESSMENT]
    calls = kind == KIND_CALL
    acte[calls] = model.acte_before_visit.draw(rng, np.zeros(calls.sum(), dtype=np.int64))
    nurse = category == model.code_index["categories"]["01"]
    follow = kind == KIND_FOLLOW_UP
    acte[follow & nurse & model.line_perinatal[line] & (u < 0.6)] = index[m.ACTE_PERINATAL]
    acte[follow & model.line_vaccination[line] & (u < 0.8)] = index[m.ACTE_VACCINE]
    return acte


def draw_minutes(rng, model: CompiledModel, category, mode, factor=1.0) -> np.ndarray:
    median = model.minutes_by_category[category] * model.minutes_factor_by_mode[mode] * factor
    raw = median * rng.lognormal(0, m.MINUTES_SPREAD, category.shape[0])
    return np.clip(np.round(raw / 5) * 5, 5, 480).astype(np.int16)


def attach_families_and_groups(
    rng, model: CompiledModel, rows, line, ep_file, ep_programme, ep_inst_local, files, lo
):
    """Turns some follow-up rows into couple/family (F) or group (G) interventions.

    The anchor row keeps its user; other users of the same installation and programme are
    attached to it (one row each, same number, date, provider, duration...). Returns the
    rows and (anchor row index, attached file) for the copies, or None.
    """
    n = rows["ep"].shape[0]
    row_line = line[rows["ep"]]
    eligible = (rows["kind"] == KIND_FOLLOW_UP) & (
        (rows["mode"] == m.MODE_IN_PERSON) | (rows["mode"] == m.MODE_VIDEO)
    )
    u = rng.random(n)
    family = eligible & (u < model.line_family[row_line])
    group = eligible & ~family & (u < model.line_family[row_line] + model.line_group[row_line])
    anchor = np.flatnonzero(family | group)
    if anchor.shape[0] == 0:
        return rows, None
    is_group = group[anchor]
    family_size = 2 + model.family_sizes.draw(rng, np.zeros(anchor.shape[0], dtype=np.int64))
    group_size = np.clip(
        m.GROUP_SIZE_MIN + rng.poisson(m.GROUP_SIZE_MEAN_EXTRA, anchor.shape[0]),
        m.GROUP_SIZE_MIN,
        m.GROUP_SIZE_MAX,
    )
    wanted = np.where(is_group, group_size, family_size) - 1

    # Candidates: episodes of the same installation and programme.
    pool_key = ep_inst_local * len(model.programmes) + ep_programme
    by_pool = np.argsort(pool_key, kind="stable")
    sorted_key = pool_key[by_pool]
    anchor_ep = rows["ep"][anchor]
    key = pool_key[anchor_ep]
    first = np.searchsorted(sorted_key, key, side="left")
    count = np.searchsorted(sorted_key, key, side="right") - first
    tries = wanted + 3
    which = np.repeat(np.arange(anchor.shape[0]), tries)
    pick = first[which] + np.floor(rng.random(which.shape[0]) * count[which]).astype(np.int64)
    candidate_file = ep_file[by_pool[pick]]  # local file index
    day = rows["day"][anchor][which]
    global_file = lo + candidate_file
    valid = (
        (candidate_file != ep_file[anchor_ep][which])
        & (files.active_from[global_file] <= day)
        & (files.active_to[global_file] >= day)
    )
    # One row per (intervention, user), at most `wanted` per intervention.
    pair = which.astype(np.int64) * (ep_file.max() + 1) + candidate_file
    _, first_seen = np.unique(
        np.where(valid, pair, -1 - np.arange(pair.shape[0])), return_index=True
    )
    keep = np.zeros(pair.shape[0], dtype=bool)
    keep[first_seen] = True
    keep &= valid
    kept = np.flatnonzero(keep)
    rank = np.arange(kept.shape[0]) - np.searchsorted(which[kept], which[kept], side="left")
    kept = kept[rank < wanted[which[kept]]]
    got = np.bincount(which[kept], minlength=anchor.shape[0])
    enough = np.where(is_group, got >= m.GROUP_SIZE_MIN - 1, got >= 1)
    kept = kept[enough[which[kept]]]

    # Anchor rows become F or G: their mode, place, act and duration change.
    final = anchor[enough]
    final_group = is_group[enough]
    rows["type"][final] = np.where(final_group, TYPE_G, TYPE_F)
    fam, grp = final[~final_group], final[final_group]
    shares_f, shares_g = np.array(m.MODE_SHARES_FAMILY), np.array(m.MODE_SHARES_GROUP)
    rows["mode"][fam] = np.searchsorted(np.cumsum(shares_f), rng.random(fam.shape[0]), "right")
    rows["mode"][grp] = np.searchsorted(np.cumsum(shares_g), rng.random(grp.shape[0]), "right")
    profiles = model.lieu_profiles
    home_line = model.line_home[line[rows["ep"][fam]]]
    fam_profile = np.where(home_line, profiles.index("home"), profiles.index("family"))
    school = model.line_school[line[rows["ep"][grp]]]
    grp_profile = np.where(school, profiles.index("group_school"), profiles.index("group"))
    rows["lieu"][fam] = draw_lieux(rng, model, fam_profile, rows["mode"][fam])
    rows["lieu"][grp] = draw_lieux(rng, model, grp_profile, rows["mode"][grp])
    rows["acte"][grp] = model.code_index["actes"][m.ACTE_GROUP]
    rows["minutes"][fam] = draw_minutes(
        rng, model, rows["category"][fam], rows["mode"][fam], m.MINUTES_FACTOR_FAMILY
    )
    group_minutes = m.MINUTES_GROUP * rng.lognormal(0, m.MINUTES_SPREAD, grp.shape[0])
    rows["minutes"][grp] = np.clip(np.round(group_minutes / 5) * 5, 30, 240)
    return rows, (anchor[which[kept]], candidate_file[kept])
