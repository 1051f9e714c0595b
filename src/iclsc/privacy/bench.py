"""Information loss of our suppression against a naive hypercube pattern (issue 4, item 6).

`scripts/bench_suppression` (`python -m iclsc.privacy.bench`): generates realistic
microdata from a seed (persons in territories, sexes and age groups, served by the
providers of their territory, each with a few interventions), builds tables of distinct
counts with every margin (2-D, and 3-D with a territory hierarchy RLS in RSS), applies the
primary rule, then protects each table twice:

- ours: `protect`, as the publication runs it (final audit included);
- hypercube: a GHMITER-like pattern. The table is cut into subtables (in every dimension a
  parent and its children); a withheld cell of a subtable is protected there by a hypercube
  whose corners are, in each dimension, its own position and one other of the subtable.
  Every corner is withheld (never a zero, which is published), and the hypercube lets the
  cell move: up to at least 5 persons when it has fewer, and by at least 1. The cheapest
  hypercube (fewest new cells, then fewest persons) is taken, subtable by subtable, until
  every withheld cell has a withheld hypercube in every subtable it belongs to.

Prints, per table: cells, primary cells, a lower bound on the cells any pattern safe from
the public and the insiders withholds (`lower_bound`: below it, a pattern is exposed
somewhere, though the audits printed here may not see where), cells withheld by each
pattern and by the hypercube repaired until safe (`h+rep`: our protection started from the
hypercube's pattern, which it only adds to), the share of persons in withheld cells
(persons summed over withheld cells over persons summed over all cells), seconds, the
exposures `audit_tables` finds in each pattern from the published rows, and those the
insiders find (each provider of a withheld cell with 1 or 2 providers, knowing their own
share of the withheld cells: the hypercube method does not consider insiders, ours does).
Exits 1 when ours has any exposure, when a hypercube that is safe (no exposure, public or
insider) withholds fewer cells than ours on some table, or when ours withholds more cells
in total than the hypercube repaired until safe. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds

from iclsc.privacy.audit import audit_tables
from iclsc.privacy.certify import milp
from iclsc.privacy.cube import TOTAL, Table, build_cubes
from iclsc.privacy.protect import Part, protect, truth_of
from iclsc.privacy.recount import Share

RULE = {"min_persons": 5, "min_providers": 3}
RESOURCE = "t"
UNIVERSE = "u"
TOTAL_LABEL = "Total"


@dataclass(frozen=True)
class Axis:
    """One dimension of a table: its columns (coarse to fine), its positions (one value per
    column, TOTAL at the total; the top first) and, per position, its parent position."""

    columns: tuple[str, ...]
    positions: tuple[tuple, ...]
    parent: dict

    def groups(self) -> list[tuple[tuple, list[tuple]]]:
        """(parent, children) for every position that has children, top first."""
        children: dict[tuple, list[tuple]] = defaultdict(list)
        for position in self.positions:
            if position in self.parent:
                children[self.parent[position]].append(position)
        return [(p, children[p]) for p in self.positions if p in children]

    def path(self, record: dict) -> list[tuple]:
        """The positions a record falls in, finest first."""
        position = tuple(record[c] for c in self.columns)
        out = [position]
        while position in self.parent:
            position = self.parent[position]
            out.append(position)
        return out


def flat(name: str, codes: list[str]) -> Axis:
    top = (TOTAL,)
    return Axis((name,), (top, *[(c,) for c in codes]), {(c,): top for c in codes})


def hierarchy(coarse: str, fine: str, tree: dict[str, list[str]]) -> Axis:
    """A territory hierarchy: fine codes nested in coarse codes (a row at the coarse level
    has the fine column at its total)."""
    top = (TOTAL, TOTAL)
    positions, parent = [top], {}
    for up, codes in tree.items():
        positions.append((up, TOTAL))
        parent[(up, TOTAL)] = top
        for code in codes:
            positions.append((up, code))
            parent[(up, code)] = (up, TOTAL)
    return Axis((coarse, fine), tuple(positions), parent)


@dataclass
class Generated:
    """A table of distinct counts over every cell (margins included) of some records."""

    name: str
    axes: list[Axis]
    records: list[dict]
    keys: list[tuple] = field(default_factory=list)
    persons: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    providers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    events: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    person_sets: list[set] = field(default_factory=list)
    provider_sets: list[set] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [c for axis in self.axes for c in axis.columns]

    @property
    def primary(self) -> np.ndarray:
        small = (self.persons >= 1) & (self.persons < RULE["min_persons"])
        few = (self.persons >= 1) & (self.providers < RULE["min_providers"])
        return small | few

    def is_margin(self, cell: int) -> bool:
        return any(v is TOTAL for v in self.keys[cell])


def build(name: str, axes: list[Axis], records: list[dict]) -> Generated:
    """Counts every cell: each record adds its person, provider and event to every cell
    whose positions contain it (its own and every margin above it)."""
    table = Generated(name, axes, records)
    table.keys = [
        tuple(v for position in combo for v in position)
        for combo in itertools.product(*[axis.positions for axis in axes])
    ]
    index = {key: i for i, key in enumerate(table.keys)}
    n = len(table.keys)
    persons = [set() for _ in range(n)]
    providers = [set() for _ in range(n)]
    events = [set() for _ in range(n)]
    for record in records:
        for combo in itertools.product(*[axis.path(record) for axis in axes]):
            cell = index[tuple(v for position in combo for v in position)]
            persons[cell].add(record["person"])
            providers[cell].add(record["provider"])
            events[cell].add(record["event"])
    table.person_sets, table.provider_sets = persons, providers
    table.persons = np.array([len(s) for s in persons], dtype=np.int64)
    table.providers = np.array([len(s) for s in providers], dtype=np.int64)
    table.events = np.array([len(s) for s in events], dtype=np.int64)
    return table


def descriptor(table: Generated) -> dict:
    fields = []
    for axis in table.axes:
        for i, column in enumerate(axis.columns):
            spec = {
                "name": column,
                "type": "string",
                "iclsc:role": "dimension",
                "iclsc:total": TOTAL_LABEL,
            }
            if i:
                spec["iclsc:parent"] = axis.columns[i - 1]
            fields.append(spec)
    fields.append({"name": "supprime", "type": "boolean", "iclsc:role": "suppressed"})
    for name, counts in (("nb_usagers", "persons"), ("nb_interventions", "events")):
        fields.append(
            {
                "name": name,
                "type": "integer",
                "iclsc:role": "measure",
                "iclsc:additive": True,
                "iclsc:counts": counts,
                "iclsc:nonzero": True,
            }
        )
    return {"name": RESOURCE, "iclsc:universe": UNIVERSE, "schema": {"fields": fields}}


def published(table: Generated, withheld: np.ndarray) -> Table:
    """The table as published with this pattern: withheld rows flagged and emptied."""
    rows = []
    for cell, key in enumerate(table.keys):
        codes = [TOTAL_LABEL if v is TOTAL else v for v in key]
        if withheld[cell]:
            rows.append([*codes, "true", "", ""])
        else:
            rows.append([*codes, "false", str(table.persons[cell]), str(table.events[cell])])
    return Table.from_descriptor(descriptor(table), rows)


class MemoryRecounter:
    """recount.Recounter over the records of a generated table."""

    def __init__(self, table: Generated):
        self.table = table
        self.index = {key: i for i, key in enumerate(table.keys)}

    def unions(self, wanted: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
        out = {}
        for set_id, keys in wanted.items():
            cells = [self.index[tuple(key)] for key in keys]
            persons = set().union(*(self.table.person_sets[c] for c in cells))
            providers = set().union(*(self.table.provider_sets[c] for c in cells))
            out[set_id] = (len(persons), len(providers))
        return out

    def shares(self, wanted: dict[str, tuple]) -> dict[str, list[Share]]:
        columns = self.table.columns
        out = {}
        for set_id, key in wanted.items():
            by_provider: dict[str, list[dict]] = defaultdict(list)
            for record in self.table.records:
                if all(v is TOTAL or record[c] == v for c, v in zip(columns, key, strict=True)):
                    by_provider[record["provider"]].append(record)
            out[set_id] = [
                Share(
                    provider,
                    len({r["person"] for r in rows}),
                    len({r["event"] for r in rows}),
                    sum({r["event"]: r["minutes"] for r in rows}.values()),
                )
                for provider, rows in sorted(by_provider.items())
            ]
        return out


def _start(table: Generated, pattern: np.ndarray | None = None):
    """The table published with a pattern (the primary rule's by default), its cubes (a
    withheld cell without values) and true counts."""
    start = published(table, table.primary if pattern is None else pattern)
    cubes = build_cubes([start])
    cube = cubes[UNIVERSE]
    for c in range(len(cube.keys)):
        if cube.withheld[c]:
            for m in cube.measures:
                cube.values[m][c] = None
    truth_rows = [
        {
            "persons": int(table.persons[i]),
            "providers": int(table.providers[i]),
            "interventions": int(table.events[i]),
        }
        for i in range(len(table.keys))
    ]
    truth = truth_of(
        cube,
        [start],
        {RESOURCE: truth_rows},
        {RESOURCE: {"nb_usagers": "persons", "nb_interventions": "interventions"}},
    )
    return start, cubes, truth


def ours(table: Generated, pattern: np.ndarray | None = None) -> np.ndarray:
    """Our pattern: the primary rule (or a given pattern, which it only adds to), then
    `protect` as the publication runs it."""
    return protected(table, pattern)[0]


def protected(table: Generated, pattern: np.ndarray | None = None):
    """`ours`, with the protection's result (its reports per part)."""
    start, cubes, truth = _start(table, pattern)
    cube = cubes[UNIVERSE]
    result = protect(
        cubes,
        {UNIVERSE: truth},
        {UNIVERSE: MemoryRecounter(table)},
        {},
        RULE,
        tables=[start],
    )
    withheld = np.zeros(len(table.keys), dtype=bool)
    for row, cell in enumerate(cube.row_cells[RESOURCE]):
        withheld[row] = cube.withheld[cell]
    return withheld, result


def part_of(table: Generated, pattern: np.ndarray | None = None) -> Part:
    """The protection's view of the table published with a pattern (the primary rule's by
    default): its audit and insiders (`Part.public_exposures`, `Part.insider_exposures`)
    judge any pattern, the hypercube's included."""
    _, cubes, truth = _start(table, pattern)
    cube = cubes[UNIVERSE]
    (part, cells), *rest = cube.parts().items()
    if rest:
        raise ValueError(f"{table.name}: one part expected")
    return Part(cube, part, cells, truth, RULE, {}, MemoryRecounter(table))


def lower_bound(table: Generated) -> int:
    """Fewer cells than this, no pattern is safe from the public audit and the insiders
    (a provider of a cell with fewer than 3 providers, knowing their share), none that
    withholds a zero: the primary cells plus the least number of cells satisfying the
    line closure's constraints (`Part.closure_program`, each of which such a pattern
    satisfies), by an integer program solved to optimality (or its proven bound)."""
    primary = int(table.primary.sum())
    program = part_of(table).closure_program("shares", limit=None)
    if program is None:
        return primary
    order, constraint = program
    n = len(order)
    result = milp(
        c=np.ones(n),
        constraints=[constraint],
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), np.ones(n)),
    )
    if result.status != 0:
        raise RuntimeError(f"{table.name}: the lower bound's integer program: {result.message}")
    return primary + math.ceil(result.fun - 1e-6)


def _sortable(key: tuple) -> tuple:
    return tuple((0, "") if v is TOTAL else (1, str(v)) for v in key)


def hypercube(table: Generated) -> tuple[np.ndarray, int]:
    """The naive pattern (module doc): returns it and the number of (cell, subtable) pairs
    left without a valid hypercube at the end (none exists; the audit judges them)."""
    withheld = table.primary.copy()
    index = {key: i for i, key in enumerate(table.keys)}
    offsets = np.cumsum([0, *[len(axis.columns) for axis in table.axes]])

    def split(cell: int) -> list[tuple]:
        key = table.keys[cell]
        return [tuple(key[offsets[i] : offsets[i + 1]]) for i in range(len(table.axes))]

    def cell_at(positions) -> int:
        return index[tuple(v for position in positions for v in position)]

    def corners(spans, own, other) -> list[tuple[int, int]]:
        """(cell, sign) of each corner; the sign says how the corner moves when the cell
        moves up: a step to a sibling flips it, a step between a margin and a child (the
        subtable's parent is its first position) keeps it."""
        flips = [
            o != span[0] and q != span[0] for span, o, q in zip(spans, own, other, strict=True)
        ]
        out = []
        for choice in itertools.product((False, True), repeat=len(own)):
            sign = -1 if sum(f for f, moved in zip(flips, choice, strict=True) if moved) % 2 else 1
            positions = [q if moved else o for o, q, moved in zip(own, other, choice, strict=True)]
            out.append((cell_at(positions), sign))
        return out

    def protects(cell: int, found: list[tuple[int, int]]) -> bool:
        """No corner is a zero, the cell can move in every measure, and up to the
        threshold of persons."""
        if any(table.persons[c] == 0 for c, _ in found):
            return False
        for values in (table.persons, table.events):
            up = min((values[c] - 1 for c, s in found if s < 0), default=np.inf)
            down = min(values[c] - 1 for c, s in found if s > 0)
            if up < 1 and down < 1:
                return False
        up = min((table.persons[c] - 1 for c, s in found if s < 0), default=np.inf)
        return table.persons[cell] + up >= RULE["min_persons"]

    subtables = [
        [[parent, *children] for parent, children in groups]
        for groups in itertools.product(*[axis.groups() for axis in table.axes])
    ]
    changed, unprotectable = True, 0
    while changed:
        changed, unprotectable = False, 0
        for spans in subtables:
            inside = sorted(
                (cell_at(positions) for positions in itertools.product(*spans)),
                key=lambda c: _sortable(table.keys[c]),
            )
            for cell in inside:
                if not withheld[cell]:
                    continue
                own = split(cell)
                alternatives = [
                    [p for p in span if p != o] for span, o in zip(spans, own, strict=True)
                ]
                best, best_cost, protected = None, None, False
                for other in itertools.product(*alternatives):
                    found = corners(spans, own, other)
                    if not protects(cell, found):
                        continue
                    new = sorted({c for c, _ in found if not withheld[c]})
                    if not new:
                        protected = True
                        break
                    cost = (len(new), int(table.persons[new].sum()))
                    if best_cost is None or cost < best_cost:
                        best, best_cost = new, cost
                if protected:
                    continue
                if best is None:
                    unprotectable += 1
                    continue
                withheld[best] = True
                changed = True
    return withheld, unprotectable


def microdata(
    rng: np.random.Generator, tree: dict[str, list[str]], persons: int, ages: list[str]
) -> list[dict]:
    """Realistic records, one per intervention: territories of very unequal size, age
    shares that differ by territory, a few providers per territory (a person sees one or
    two of them), one to several interventions per person."""
    territories = [(up, code) for up, codes in tree.items() for code in codes]
    size = rng.lognormal(0.0, 1.0, len(territories))
    size /= size.sum()
    providers = {t: [f"{t[1]}-p{i}" for i in range(int(rng.integers(3, 9)))] for t in territories}
    base = np.array([0.08, 0.12, 0.2, 0.3, 0.3][: len(ages)])
    age_share = {}
    for t in territories:
        shares = base * rng.uniform(0.5, 1.5, len(ages))
        age_share[t] = shares / shares.sum()
    records = []
    for i in range(persons):
        territory = territories[int(rng.choice(len(territories), p=size))]
        age = ages[int(rng.choice(len(ages), p=age_share[territory]))]
        sex = "F" if rng.random() < 0.55 else "M"
        own = providers[territory]
        seen = rng.choice(own, size=min(len(own), int(rng.integers(1, 3))), replace=False)
        for j in range(1 + int(rng.poisson(1.5))):
            records.append(
                {
                    "person": f"u{i}",
                    "provider": str(seen[j % len(seen)]),
                    "event": f"u{i}-e{j}",
                    "minutes": int(rng.integers(15, 91)),
                    "rss": territory[0],
                    "rls": territory[1],
                    "sexe": sex,
                    "age": age,
                }
            )
    return records


def territory_tree(regions: int, per_region: int) -> dict[str, list[str]]:
    return {f"R{r + 1}": [f"L{r + 1}{k + 1}" for k in range(per_region)] for r in range(regions)}


# name: (regions, territories per region, age groups, persons)
SIZES = {
    "small": (2, 2, 3, 300),
    "medium": (3, 3, 4, 1500),
    "large": (4, 4, 5, 5000),
}
AGES = ["0-17", "18-44", "45-64", "65-74", "75+"]


def generated_tables(size: str, seed: int) -> list[Generated]:
    """A 2-D table (territory x age, the territory flat at RLS level) and a hierarchical
    3-D table (RSS > RLS x sex x age), from the same records."""
    regions, per_region, n_ages, persons = SIZES[size]
    tree = territory_tree(regions, per_region)
    ages = AGES[:n_ages]
    records = microdata(np.random.default_rng(seed), tree, persons, ages)
    codes = [code for codes in tree.values() for code in codes]
    return [
        build(f"{size}-2d", [flat("rls", codes), flat("age", ages)], records),
        build(
            f"{size}-3d",
            [hierarchy("rss", "rls", tree), flat("sexe", ["F", "M"]), flat("age", ages)],
            records,
        ),
    ]


@dataclass
class Outcome:
    name: str
    cells: int
    primary: int
    withheld: dict[str, int]
    person_share: dict[str, float]
    seconds: dict[str, float]
    exposures: dict[str, int]
    insider_exposures: dict[str, int]
    unprotectable: int
    bound: int = 0


def insider_exposures(table: Generated, withheld: np.ndarray) -> int:
    """Exposures the insiders find in a pattern: each provider of a withheld cell with fewer
    than 3 providers knows their own share of every withheld cell (the whole cell when they
    are alone in it), and bounds the others with the published rows (`Part`'s insiders, as
    the protection models them, judging any pattern)."""
    part = part_of(table, withheld)
    _, state = part.public_exposures()
    return len(part.insider_exposures(state))


def compare(table: Generated) -> Outcome:
    """Both patterns on one table, each audited from its published rows alone."""
    patterns, seconds = {}, {}
    started = time.perf_counter()
    patterns["ours"] = ours(table)
    seconds["ours"] = time.perf_counter() - started
    started = time.perf_counter()
    patterns["hypercube"], unprotectable = hypercube(table)
    seconds["hypercube"] = time.perf_counter() - started
    started = time.perf_counter()
    patterns["repaired"] = ours(table, patterns["hypercube"])
    seconds["repaired"] = seconds["hypercube"] + time.perf_counter() - started
    total_persons = max(int(table.persons.sum()), 1)
    return Outcome(
        name=table.name,
        cells=len(table.keys),
        primary=int(table.primary.sum()),
        withheld={k: int(p.sum()) for k, p in patterns.items()},
        person_share={
            k: float(table.persons[p].sum()) / total_persons for k, p in patterns.items()
        },
        seconds=seconds,
        exposures={
            k: len(audit_tables([published(table, p)], settings=RULE).exposures)
            for k, p in patterns.items()
        },
        insider_exposures={k: insider_exposures(table, p) for k, p in patterns.items()},
        unprotectable=unprotectable,
        bound=lower_bound(table),
    )


def run(sizes: list[str], seed: int, out=sys.stdout) -> tuple[list[Outcome], int]:
    """Prints the comparison and returns the outcomes and the exit code."""
    header = (
        f"{'table':<12} {'cells':>6} {'primary':>7} {'bound':>5} {'ours':>5} {'hyper':>5} "
        f"{'h+rep':>5} {'ours %pers':>10} {'hyper %pers':>11} {'ours s':>7} {'hyper s':>7} "
        f"{'ours exp':>8} {'hyper exp':>9} {'ours ins':>8} {'hyper ins':>9}"
    )
    print(header, file=out)
    outcomes = []
    for size in sizes:
        for table in generated_tables(size, seed):
            o = compare(table)
            outcomes.append(o)
            print(
                f"{o.name:<12} {o.cells:>6} {o.primary:>7} {o.bound:>5} {o.withheld['ours']:>5} "
                f"{o.withheld['hypercube']:>5} {o.withheld['repaired']:>5} "
                f"{100 * o.person_share['ours']:>9.1f}% "
                f"{100 * o.person_share['hypercube']:>10.1f}% {o.seconds['ours']:>7.1f} "
                f"{o.seconds['hypercube']:>7.1f} {o.exposures['ours']:>8} "
                f"{o.exposures['hypercube']:>9} {o.insider_exposures['ours']:>8} "
                f"{o.insider_exposures['hypercube']:>9}",
                file=out,
                flush=True,
            )

    def total(pattern: str) -> int:
        return sum(o.withheld[pattern] for o in outcomes)

    def exposed(o: Outcome, pattern: str) -> int:
        return o.exposures[pattern] + o.insider_exposures[pattern]

    ours_total, hyper_total, repaired_total = total("ours"), total("hypercube"), total("repaired")
    ratio = ours_total / hyper_total if hyper_total else float("nan")
    print(
        f"total withheld: ours {ours_total}, hypercube {hyper_total} (ratio {ratio:.2f}), "
        f"hypercube repaired by our protection until safe {repaired_total}; exposures "
        f"(public + insider): ours {sum(exposed(o, 'ours') for o in outcomes)}, hypercube "
        f"{sum(exposed(o, 'hypercube') for o in outcomes)}, repaired "
        f"{sum(exposed(o, 'repaired') for o in outcomes)}",
        file=out,
    )
    print(
        f"no pattern safe from the public and the insiders withholds fewer than "
        f"{sum(o.bound for o in outcomes)} cells (bound)",
        file=out,
    )
    failed = []
    if any(exposed(o, "ours") for o in outcomes):
        failed.append("the audit finds exposures in our pattern")
    # The hypercube is compared as it is where it is safe, and made safe where it is not (a
    # pattern that exposes a cell is not an alternative the publication could take).
    beaten = [
        o.name
        for o in outcomes
        if o.withheld["ours"] > o.withheld["hypercube"] and not exposed(o, "hypercube")
    ]
    if beaten:
        failed.append(f"a safe hypercube withholds fewer cells than ours on {', '.join(beaten)}")
    if ours_total > repaired_total:
        failed.append("ours withholds more cells than the hypercube repaired until safe")
    if ours_total > hyper_total and not failed:
        print(
            "note: the hypercube withholds fewer cells in total, only where it is exposed",
            file=out,
        )
    for reason in failed:
        print(f"FAILED: {reason}", file=out)
    lacking = sum(o.unprotectable for o in outcomes)
    if lacking:
        print(f"note: {lacking} withheld cell(s) had no valid hypercube in some subtable", file=out)
    return outcomes, 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench_suppression", description=__doc__)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument(
        "--sizes", default="small,medium,large", help=f"comma-separated, of {sorted(SIZES)}"
    )
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose among {sorted(SIZES)}")
    return run(sizes, args.seed)[1]


if __name__ == "__main__":
    sys.exit(main())
