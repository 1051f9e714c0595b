"""Recounts on the microdata, in plain portable SQL through iclsc.warehouse.

The records of a universe (models/privacy/prv_*_records) carry the published codes of every
dimension at its finest level; a cell is the records that equal its codes where it is not
at its total. The cells asked about are grouped by which dimensions they fix, and each group
is one equality join of a small inline table of codes (`values`) with the records: the join
stays a hash join on every engine, whatever the size of the records, and needs no
temporary relation (which every engine creates differently).

- `unions`: distinct persons and providers of a union of cells (cells must not protect
  each other: a derivable sum of withheld cells must itself pass the rule);
- `shares`: per cell and provider, that provider's own persons, interventions and minutes
  (what an insider knows of a cell).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

# Codes go into SQL as literals: only what the published codes are made of.
CODE = re.compile(r"[0-9A-Za-z_. +\-À-ÿ]*")


class RecountError(ValueError):
    pass


@dataclass
class Share:
    provider: str
    persons: int
    interventions: int
    minutes: int


def _literal(value: str) -> str:
    if not CODE.fullmatch(value):
        raise RecountError(f"code {value!r} cannot be recounted (unexpected characters)")
    return f"'{value}'"


class Recounter:
    def __init__(self, warehouse, records: str, dimensions: list[str]):
        """records: the qualified records relation; dimensions: the universe's dimensions
        (published names), in the order of the cube's keys."""
        self.warehouse = warehouse
        self.records = records
        self.dimensions = dimensions
        self.queries = 0

    def _matched(self, wanted: dict[str, list[tuple]], columns: list[str]) -> str | None:
        """A select of (set_id, the records' columns) for every record in a wanted cell."""
        quote = self.warehouse.quote
        by_pattern: dict[tuple[int, ...], list[tuple[str, tuple]]] = defaultdict(list)
        for set_id, keys in sorted(wanted.items()):
            for key in keys:
                fixed = tuple(i for i, v in enumerate(key) if v is not None)
                by_pattern[fixed].append((set_id, tuple(key[i] for i in fixed)))
        selects = []
        for number, (fixed, rows) in enumerate(sorted(by_pattern.items())):
            names = ["set_id"] + [f"d{i}" for i in fixed]
            values = ", ".join(
                "(" + ", ".join(_literal(v) for v in (set_id, *codes)) + ")"
                for set_id, codes in sorted(set(rows))
            )
            condition = " and ".join(
                f"records.{quote(self.dimensions[i])} = wanted_{number}.d{i}" for i in fixed
            )
            selected = ", ".join(f"records.{quote(c)}" for c in columns)
            selects.append(
                f"select wanted_{number}.set_id, {selected}\n"
                f"from (values {values}) as wanted_{number} ({', '.join(names)})\n"
                f"inner join {self.records} as records\n"
                f"    on {condition or '1 = 1'}"
            )
        if not selects:
            return None
        return "\nunion all\n".join(selects)

    def unions(self, wanted: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
        """set id -> (distinct persons, distinct providers) over the union of its cells.

        wanted: set id -> cell keys (one code per dimension, None at its total)."""
        matched = self._matched(wanted, ["person_id", "provider_id"])
        counted = {set_id: (0, 0) for set_id in wanted}
        if matched is None:
            return counted
        self.queries += 1
        _, rows = self.warehouse.query(
            f"""
            select
                set_id,
                count(distinct person_id) as persons,
                count(distinct provider_id) as providers
            from (
            {matched}
            ) as matched
            group by set_id
            """
        )
        counted.update({str(row[0]): (int(row[1]), int(row[2])) for row in rows})
        return counted

    def shares(self, wanted: dict[str, tuple]) -> dict[str, list[Share]]:
        """cell id -> each provider's own share of the cell, providers in order."""
        matched = self._matched(
            {cell: [key] for cell, key in wanted.items()},
            ["provider_id", "person_id", "intervention_id", "minutes"],
        )
        if matched is None:
            return {}
        self.queries += 1
        _, rows = self.warehouse.query(
            f"""
            with

            matched as (
                {matched}
            ),

            persons as (
                select
                    set_id,
                    provider_id,
                    count(distinct person_id) as persons
                from matched
                group by set_id, provider_id
            ),

            events as (
                select
                    set_id,
                    provider_id,
                    intervention_id,
                    max(minutes) as minutes
                from matched
                group by set_id, provider_id, intervention_id
            ),

            event_totals as (
                select
                    set_id,
                    provider_id,
                    count(*) as interventions,
                    sum(minutes) as minutes
                from events
                group by set_id, provider_id
            )

            select
                persons.set_id,
                persons.provider_id,
                persons.persons,
                event_totals.interventions,
                event_totals.minutes
            from persons
            inner join event_totals
                on
                    persons.set_id = event_totals.set_id
                    and persons.provider_id = event_totals.provider_id
            """
        )
        shares: dict[str, list[Share]] = defaultdict(list)
        for set_id, provider, persons, interventions, minutes in rows:
            shares[str(set_id)].append(
                Share(str(provider), int(persons), int(interventions), int(minutes))
            )
        return {k: sorted(v, key=lambda s: s.provider) for k, v in shares.items()}
