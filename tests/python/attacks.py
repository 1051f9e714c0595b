"""An outside attacker who links the home-support universe with the services universe.

Home support (`soutien-domicile-annuel`: fiscal year x RSS of residence x place x mode)
counts the interventions of programme SAPA or of a home-support centre d'activités; the
services tables count every intervention by programme, RSS of residence and mode. Neither
table's audit sees the other universe, but an attacker holds both, and these relations hold
for any extract (the attack checks them on the published cells, so a wrong one fails):

- home support contains programme SAPA: HS(year, rss, Total, Total) >= SAPA(year, rss);
  for a mode, the interventions of HS(year, rss, Total, mode) >= the sum over the periods of
  SAPA(year, period, rss, mode), and its persons >= each period's;
- home support is contained in all programmes: HS(year, rss, Total, Total) <= services
  (year, rss, programme Total); HS(year, rss, Total, mode) interventions <= the sum over the
  periods of services(year, period, rss, programme Total, mode).

With the additivity of each universe (events add up along every dimension; distinct persons
lie between the largest member and the sum of the members), the attacker bounds every
withheld cell of both sides by integer programming, with and without the cross-universe
relations. A cell is exposed when its interval is one value, or when it counts persons and
its upper bound is below 5. Hours are left out (rounded to hundredths of an hour, they do
not give exact integer relations); persons and interventions are attacked.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

TOTAL = "Total"
BIG = 10**9
LIEU, HMODE, HRSS = ("hs", "code_lieu"), ("hs", "code_mode"), ("hs", "code_rss")
PERIOD, SRSS = ("mo", "periode"), ("sa", "code_rss")
MEASURES = {"nb_usagers": "persons", "nb_interventions": "events"}


def additivity(release: Path, measure: str) -> set[tuple[str, str]]:
    """(table, dimension) pairs along which the measure adds up, per datapackage.json."""
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    tables = {"soutien-domicile-annuel": "hs", "services-annuels": "sa"}
    tables["modes-intervention-periodes"] = "mo"
    along = set()
    for resource in package["resources"]:
        if resource["name"] not in tables:
            continue
        dims = [f["name"] for f in resource["schema"]["fields"] if f["iclsc:role"] == "dimension"]
        for f in resource["schema"]["fields"]:
            if f["name"] == measure:
                additive = f["iclsc:additive"]
                names = dims if additive is True else (additive or [])
                along.update((tables[resource["name"]], d) for d in names)
    return along


def _rows(release: Path, resource: str) -> list[dict]:
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    (path,) = [r["path"] for r in package["resources"] if r["name"] == resource]
    with (release / path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Finding:
    cell: tuple
    measure: str
    alone: tuple[int, int]
    linked: tuple[int, int]

    @property
    def exposed(self) -> bool:
        # A value proved to be 0 is no disclosure (the rule publishes zeros).
        low, high = self.linked
        return high > 0 and (low == high or (MEASURES[self.measure] == "persons" and high < 5))


class Model:
    """Variables (withheld cells) and constants (published cells) of one measure."""

    def __init__(self, measure: str, adds_along: set):
        self.measure = measure
        self.adds_along = adds_along
        self.index: dict[tuple, int] = {}
        self.value: dict[tuple, int] = {}
        self.rows: list[tuple[dict[int, int], float, float, bool]] = []

    def add_cell(self, key: tuple, row: dict) -> None:
        if row["cellule_supprimee"] == "true":
            self.index.setdefault(key, len(self.index))
        else:
            self.value[key] = int(row[self.measure])

    def has(self, key: tuple) -> bool:
        return key in self.index or key in self.value

    def relate(self, terms: list[tuple[tuple, int]], low: float, high: float, cross: bool):
        """low <= sum(coefficient * cell) <= high; False when the published cells break it."""
        entries: dict[int, int] = {}
        shift = 0
        for key, coefficient in terms:
            if key in self.value:
                shift += coefficient * self.value[key]
            else:
                v = self.index[key]
                entries[v] = entries.get(v, 0) + coefficient
        if not entries:
            return low - 1e-9 <= shift <= high + 1e-9
        self.rows.append((entries, low - shift, high - shift, cross))
        return True

    def additive(self, margin: tuple, members: list[tuple], along: tuple) -> bool:
        """The margin equals the sum of its members where the measure adds up along that
        dimension (the datapackage says where); otherwise, as distinct units, it lies
        between its largest member and the sum of its members."""
        if not all(self.has(k) for k in [margin, *members]):
            return True
        terms = [(margin, 1)] + [(m, -1) for m in members]
        if along in self.adds_along:
            return self.relate(terms, 0, 0, False)
        ok = self.relate(terms, -BIG, 0, False)
        for m in members:
            ok &= self.relate([(margin, 1), (m, -1)], 0, BIG, False)
        return ok

    def interval(self, key: tuple, cross: bool) -> tuple[int, int]:
        n = len(self.index)
        rows = [r for r in self.rows if cross or not r[3]]
        matrix = np.zeros((len(rows), n))
        for i, (entries, _, _, _) in enumerate(rows):
            for v, c in entries.items():
                matrix[i, v] = c
        constraints = (
            [LinearConstraint(matrix, [r[1] for r in rows], [r[2] for r in rows])] if rows else []
        )
        # A withheld cell may hold 0 (a complement on a structural zero).
        bounds = Bounds(np.zeros(n), np.full(n, BIG))
        goal = np.zeros(n)
        goal[self.index[key]] = 1
        ends = []
        for sign in (1, -1):
            result = milp(
                sign * goal,
                constraints=constraints,
                integrality=np.ones(n),
                bounds=bounds,
            )
            if result.status != 0:
                raise AssertionError(f"{key} {self.measure}: {result.message}")
            ends.append(round(float(result.x[self.index[key]])))
        return ends[0], ends[1]


def attack(release: Path) -> tuple[list[Finding], list[str]]:
    """Every withheld cell of the linked slices, bounded alone and with the other universe;
    and the cross-universe relations the published cells break (must be none)."""
    hs = _rows(release, "soutien-domicile-annuel")
    annual = _rows(release, "services-annuels")
    modes = _rows(release, "modes-intervention-periodes")
    years = sorted({r["annee_financiere"] for r in hs})
    findings: list[Finding] = []
    broken: list[str] = []
    for measure in MEASURES:
        model = Model(measure, additivity(release, measure))
        lieux, hs_modes, rss_codes = set(), set(), set()
        for r in hs:
            key = ("hs", r["annee_financiere"], r["code_rss"], r["code_lieu"], r["code_mode"])
            model.add_cell(key, r)
            lieux.add(r["code_lieu"])
            hs_modes.add(r["code_mode"])
            rss_codes.add(r["code_rss"])
        for r in annual:
            if (r["code_rls"], r["groupe_age"], r["sexe"]) != (TOTAL, TOTAL, TOTAL):
                continue
            if r["code_programme"] in ("SAPA", TOTAL) and r["annee_financiere"] in years:
                key = ("sa", r["annee_financiere"], r["code_rss"], r["code_programme"])
                model.add_cell(key, r)
        periods: dict[str, set] = {}
        for r in modes:
            if r["code_programme"] in ("SAPA", TOTAL) and r["annee_financiere"] in years:
                key = (
                    "mo",
                    r["annee_financiere"],
                    r["periode"],
                    r["code_rss"],
                    r["code_programme"],
                    r["code_mode"],
                )
                model.add_cell(key, r)
                periods.setdefault(r["annee_financiere"], set()).add(r["periode"])
        lieux.discard(TOTAL)
        hs_modes.discard(TOTAL)
        rss_codes.discard(TOTAL)
        for y in years:
            ps = sorted(periods.get(y, ()))
            # Home support: additive along place, mode and RSS.
            for s in [*rss_codes, TOTAL]:
                for m in [*hs_modes, TOTAL]:
                    model.additive(
                        ("hs", y, s, TOTAL, m), [("hs", y, s, x, m) for x in lieux], LIEU
                    )
                for x in [*lieux, TOTAL]:
                    model.additive(
                        ("hs", y, s, x, TOTAL), [("hs", y, s, x, m) for m in hs_modes], HMODE
                    )
            for x in [*lieux, TOTAL]:
                for m in [*hs_modes, TOTAL]:
                    model.additive(
                        ("hs", y, TOTAL, x, m), [("hs", y, s, x, m) for s in rss_codes], HRSS
                    )
            # Services: additive along RSS, mode and period (an intervention is in one).
            for prog in ("SAPA", TOTAL):
                for s in [*rss_codes, TOTAL]:
                    for p in ps:
                        members = [("mo", y, p, s, prog, m) for m in hs_modes]
                        if all(model.has(k) for k in members):
                            model.additive(
                                ("mo", y, p, s, prog, TOTAL), members, ("mo", "code_mode")
                            )
                    annual_key = ("sa", y, s, prog)
                    if model.has(annual_key) and ps:
                        model.additive(
                            annual_key, [("mo", y, p, s, prog, TOTAL) for p in ps], PERIOD
                        )
                model.additive(
                    ("sa", y, TOTAL, prog), [("sa", y, s, prog) for s in rss_codes], SRSS
                )
            # Across the universes.
            for s in [*rss_codes, TOTAL]:
                pairs = [
                    ([("hs", y, s, TOTAL, TOTAL), ("sa", y, s, "SAPA")], [1, -1], 0, BIG),
                    ([("sa", y, s, TOTAL), ("hs", y, s, TOTAL, TOTAL)], [1, -1], 0, BIG),
                ]
                for m in hs_modes:
                    for prog, low, high in (("SAPA", 0, BIG), (TOTAL, -BIG, 0)):
                        members = [("mo", y, p, s, prog, m) for p in ps]
                        if not all(model.has(k) for k in members):
                            continue
                        if MEASURES[measure] == "events":
                            keys = [("hs", y, s, TOTAL, m), *members]
                            pairs.append((keys, [1] + [-1] * len(members), low, high))
                        elif prog == "SAPA":
                            for k in members:
                                pairs.append(([("hs", y, s, TOTAL, m), k], [1, -1], 0, BIG))
                for keys, coefficients, low, high in pairs:
                    if not all(model.has(k) for k in keys):
                        continue
                    if not model.relate(
                        list(zip(keys, coefficients, strict=True)), low, high, cross=True
                    ):
                        broken.append(f"{measure}: {keys}")
        for key in model.index:
            findings.append(
                Finding(key, measure, model.interval(key, False), model.interval(key, True))
            )
    return findings, broken


def naive_differences(release: Path) -> list[str]:
    """The attack of one subtraction, table by table: where a measure counting persons or
    events adds up along a dimension, a published margin whose members are all published
    but one gives that one. Returns every withheld cell so recovered with a value other
    than 0 (a value proved to be 0 is no disclosure)."""
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    recovered = []
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        flags = [f["name"] for f in fields if f["iclsc:role"] == "suppressed"]
        if not flags:
            continue
        flag = flags[0]
        dims = [f for f in fields if f["iclsc:role"] == "dimension"]
        measures = [f for f in fields if f["iclsc:role"] == "measure" and f.get("iclsc:counts")]
        rows = _rows(release, resource["name"])
        for dim in dims:
            total = dim.get("iclsc:total")
            adding = [
                m["name"]
                for m in measures
                if m["iclsc:additive"] is True
                or (isinstance(m["iclsc:additive"], list) and dim["name"] in m["iclsc:additive"])
            ]
            if total is None or not adding:
                continue
            others = [d["name"] for d in dims if d["name"] != dim["name"]]
            groups: dict[tuple, tuple[list, list]] = {}
            for row in rows:
                group = groups.setdefault(tuple(row[o] for o in others), ([], []))
                group[0 if row[dim["name"]] == total else 1].append(row)
            for key, (margins, members) in groups.items():
                hidden = [m for m in members if m[flag] == "true"]
                if len(margins) != 1 or margins[0][flag] == "true" or len(hidden) != 1:
                    continue
                for name in adding:
                    value = int(margins[0][name]) - sum(
                        int(m[name]) for m in members if m[flag] != "true"
                    )
                    if value != 0:
                        recovered.append(
                            f"{resource['name']}: {name} = {value} at {key} "
                            f"{dim['name']}={hidden[0][dim['name']]}"
                        )
    return recovered
