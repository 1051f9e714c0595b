"""The joint gate: the tables of one universe, read as the views of one cube they are.

A universe (resource property `iclsc:universe`) is one cube: a column with the same name is
the same dimension (same codes, same total label), a dimension absent from a table stands
at its total, a measure with the same name has the same definition. So the tables of a
universe must agree, and be protected together:

- a cell published in two tables shows the same values and the same suppressed flag;
- no withheld cell is alone in an additivity relation of the cube (a margin and its
  members along one hierarchy, taken from any tables of the universe), where one
  subtraction across tables would reveal it.

It reads only what will be published. The per-table gates stay; this one sees across
tables.
"""

from __future__ import annotations

from collections import defaultdict

from iclsc.publish.gates import Violation
from iclsc.publish.manifest import Dataset


def _universe_dimensions(
    universe: str, datasets: list[Dataset]
) -> tuple[list[str], dict[str, str | None], dict[str, str | None], list[Violation]]:
    """The cube's dimensions, their total label and parent, agreed by every table."""
    totals: dict[str, str | None] = {}
    parents: dict[str, str | None] = {}
    violations = []
    for dataset in datasets:
        for dimension in dataset.dimensions:
            for kind, seen, value in (
                ("total", totals, dimension.total),
                ("parent", parents, dimension.parent),
            ):
                if dimension.name in seen and seen[dimension.name] != value:
                    violations.append(
                        Violation(
                            "universe",
                            universe,
                            f"dimension {dimension.name} has {kind} {value!r} in "
                            f"{dataset.resource} but {seen[dimension.name]!r} elsewhere",
                        )
                    )
                seen.setdefault(dimension.name, value)
    names = sorted(totals)
    for dataset in datasets:
        present = {f.name for f in dataset.dimensions}
        for name in names:
            if name not in present and totals[name] is None:
                violations.append(
                    Violation(
                        "universe",
                        universe,
                        f"{dataset.resource} lacks dimension {name}, which has no total",
                    )
                )
    return names, totals, parents, violations


def _chains(names: list[str], totals: dict, parents: dict) -> list[list[str]]:
    with_total = [name for name in names if totals[name] is not None]
    children = {parents[name]: name for name in with_total if parents[name]}
    chains = []
    for root in (name for name in with_total if not parents[name]):
        chain = [root]
        while chain[-1] in children:
            chain.append(children[chain[-1]])
        chains.append(chain)
    return chains


def check_universe(
    universe: str, datasets: list[Dataset], rows: dict[str, list[list[str]]]
) -> list[Violation]:
    names, totals, parents, violations = _universe_dimensions(universe, datasets)
    if violations:
        return violations
    # cell key (every dimension of the cube) -> (resource, withheld, {measure: value})
    cells: dict[tuple, tuple[str, bool, dict[str, str]]] = {}
    for dataset in datasets:
        fields = [f.name for f in dataset.fields]
        suppressed_at = fields.index(dataset.suppressed.name)
        dimension_at = {f.name: fields.index(f.name) for f in dataset.dimensions}
        measure_at = {f.name: fields.index(f.name) for f in dataset.measures}
        for row in rows[dataset.resource]:
            key = tuple(
                row[dimension_at[name]] if name in dimension_at else totals[name] for name in names
            )
            withheld = row[suppressed_at] == "true"
            values = {name: row[index] for name, index in measure_at.items()}
            if key not in cells:
                cells[key] = (dataset.resource, withheld, values)
                continue
            other, other_withheld, other_values = cells[key]
            shown = dict(zip(names, key, strict=True))
            if withheld != other_withheld:
                violations.append(
                    Violation(
                        "universe",
                        universe,
                        f"cell {shown} is withheld in one of {other}, {dataset.resource} only",
                    )
                )
            for name in values.keys() & other_values.keys():
                if values[name] != other_values[name]:
                    violations.append(
                        Violation(
                            "universe",
                            universe,
                            f"cell {shown}: {name} is {other_values[name]!r} in {other} "
                            f"but {values[name]!r} in {dataset.resource}",
                        )
                    )

    position = {name: index for index, name in enumerate(names)}
    chains = _chains(names, totals, parents)
    withheld_in: dict[tuple, int] = defaultdict(int)
    members: dict[tuple, int] = defaultdict(int)
    for key, (_, withheld, _) in cells.items():
        for chain_index, chain in enumerate(chains):
            depth = sum(1 for name in chain if key[position[name]] != totals[name])
            if depth < len(chain):
                withheld_in[(chain_index, key)] += withheld
            if depth >= 1:
                parent = list(key)
                parent[position[chain[depth - 1]]] = totals[chain[depth - 1]]
                relation = (chain_index, tuple(parent))
                withheld_in[relation] += withheld
                members[relation] += 1
    for relation, count in withheld_in.items():
        # a relation counts only when its margin is published somewhere in the universe
        if count == 1 and members[relation] > 0 and relation[1] in cells:
            violations.append(
                Violation(
                    "universe",
                    universe,
                    f"one withheld cell along {chains[relation[0]]} in "
                    f"{dict(zip(names, relation[1], strict=True))}",
                )
            )
    return violations


def check_universes(datasets: list[Dataset], rows: dict[str, list[list[str]]]) -> list[Violation]:
    by_universe: dict[str, list[Dataset]] = defaultdict(list)
    for dataset in datasets:
        if dataset.universe:
            by_universe[dataset.universe].append(dataset)
    violations = []
    for universe, members in sorted(by_universe.items()):
        violations += check_universe(universe, members, rows)
    return violations
