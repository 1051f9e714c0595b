"""Checks a release must pass before it is published, reading only what will be published.

- no value or column that looks like an identifier (iclsc.identifiers);
- the privacy rule as far as the files show it: a withheld row has every measure empty, a
  published row has them all (a statistic with an `iclsc:basis` is empty exactly when its
  basis count is 0: a median of nothing does not exist), and no published count of persons
  is between 1 and min_persons - 1;
- no withheld cell is alone in an additivity relation (a margin and its members along one
  hierarchy), where one subtraction would reveal it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from iclsc import identifiers, project_dir
from iclsc.publish.manifest import Dataset


@dataclass(frozen=True)
class Violation:
    gate: str
    resource: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.gate}] {self.resource}: {self.detail}"


def project_vars(path: Path | None = None) -> dict:
    path = path or project_dir() / "dbt_project.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("vars", {})


def hierarchies(dataset: Dataset) -> list[list[str]]:
    """Dimension chains, coarse to fine, built from iclsc:parent; dimensions with a total only."""
    with_total = [f for f in dataset.dimensions if f.total is not None]
    children = {f.parent: f.name for f in with_total if f.parent}
    chains = []
    for root in (f for f in with_total if not f.parent):
        chain = [root.name]
        while chain[-1] in children:
            chain.append(children[chain[-1]])
        chains.append(chain)
    return chains


def check_identifiers(dataset: Dataset, rows: list[list[str]]) -> list[Violation]:
    header = [f.name for f in dataset.fields]
    return [
        Violation("identifiers", dataset.resource, str(finding))
        for finding in identifiers.scan_rows(dataset.path, header, rows)
    ]


def check_rule(dataset: Dataset, rows: list[list[str]], min_persons: int) -> list[Violation]:
    violations = []
    names = [f.name for f in dataset.fields]
    suppressed_at = names.index(dataset.suppressed.name)
    measures = [(names.index(f.name), f) for f in dataset.measures]
    basis_at = {f.name: names.index(f.basis) for f in dataset.measures if f.basis}
    for row_number, row in enumerate(rows, start=2):
        withheld = row[suppressed_at] == "true"
        if row[suppressed_at] not in ("true", "false"):
            violations.append(
                Violation(
                    "rule",
                    dataset.resource,
                    f"row {row_number}: suppressed flag {row[suppressed_at]!r}",
                )
            )
            continue
        for index, measure in measures:
            value = row[index]
            if not withheld and measure.name in basis_at:
                undefined = row[basis_at[measure.name]] == "0"
                if undefined != (value == ""):
                    violations.append(
                        Violation(
                            "rule",
                            dataset.resource,
                            f"row {row_number}: {measure.name} must be empty exactly when "
                            f"{measure.basis} is 0",
                        )
                    )
                continue
            if withheld and value != "":
                violations.append(
                    Violation(
                        "rule",
                        dataset.resource,
                        f"row {row_number}: withheld row shows {measure.name}",
                    )
                )
            elif not withheld and value == "":
                violations.append(
                    Violation(
                        "rule",
                        dataset.resource,
                        f"row {row_number}: published row lacks {measure.name}",
                    )
                )
            elif not withheld and measure.counts == "persons" and 0 < int(value) < min_persons:
                violations.append(
                    Violation(
                        "rule",
                        dataset.resource,
                        f"row {row_number}: {measure.name} = {value} is below {min_persons}",
                    )
                )
    return violations


def check_lone_withheld(dataset: Dataset, rows: list[list[str]]) -> list[Violation]:
    names = [f.name for f in dataset.fields]
    totals = {f.name: f.total for f in dataset.dimensions}
    chains = hierarchies(dataset)
    suppressed_at = names.index(dataset.suppressed.name)
    key_at = [names.index(f.name) for f in dataset.dimensions]
    withheld: dict[tuple, int] = defaultdict(int)
    members: dict[tuple, int] = defaultdict(int)
    margins: set[tuple] = set()
    for row in rows:
        is_withheld = row[suppressed_at] == "true"
        key = {names[i]: row[i] for i in key_at}
        for chain_index, chain in enumerate(chains):
            depth = sum(1 for column in chain if key[column] != totals[column])
            if depth < len(chain):  # the row is the margin of its own relation
                relation = (chain_index, tuple(sorted(key.items())))
                withheld[relation] += is_withheld
                margins.add(relation)
            if depth >= 1:  # the row is a member of its parent's relation
                parent = dict(key)
                parent[chain[depth - 1]] = totals[chain[depth - 1]]
                relation = (chain_index, tuple(sorted(parent.items())))
                withheld[relation] += is_withheld
                members[relation] += 1
    return [
        Violation(
            "complementary",
            dataset.resource,
            f"one withheld cell along {chains[relation[0]]} in {dict(relation[1])}",
        )
        # without its margin in the table, a relation gives nothing to subtract from here
        # (the periods of a year: the year is in the annual table, checked jointly)
        for relation, count in withheld.items()
        if count == 1 and members[relation] > 0 and relation in margins
    ]


def run_gates(dataset: Dataset, rows: list[list[str]], settings: dict) -> list[Violation]:
    return (
        check_identifiers(dataset, rows)
        + check_rule(dataset, rows, int(settings["min_persons"]))
        + check_lone_withheld(dataset, rows)
    )
