"""Recounts on the microdata, in plain portable SQL through iclsc.warehouse.

A cell with margins covers the finest cells (leaves) below it; the protection expands every
cell it asks about into its leaves itself (from the published frame, which holds every leaf
of every record: a test of the marts requires it), registers the (set, leaf) list as a
temporary relation and joins it to the universe's records on equal codes. Equalities only:
the join stays a hash join on every engine, whatever the size of the records.

- `unions`: distinct persons and providers of a union of cells (cells must not protect
  each other: a derivable sum of withheld cells must itself pass the rule);
- `shares`: per cell and provider, that provider's own persons, interventions and minutes
  (what an insider knows of a cell).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

WANTED = "iclsc_privacy_wanted"


@dataclass
class Share:
    provider: str
    persons: int
    interventions: int
    minutes: int


class Recounter:
    def __init__(self, warehouse, records: str, dimensions: list[str]):
        """records: the qualified records relation; dimensions: its key columns (published
        names, the universe's dimensions at their finest level)."""
        self.warehouse = warehouse
        self.records = records
        self.dimensions = dimensions
        self.queries = 0

    def _register(self, leaves: dict[str, list[tuple]]) -> bool:
        rows = [(set_id, *leaf) for set_id, keys in leaves.items() for leaf in keys]
        if not rows:
            return False
        self.warehouse.register(WANTED, ["set_id", *self.dimensions], rows)
        return True

    def _join(self) -> str:
        quote = self.warehouse.quote
        return " and ".join(f"records.{quote(d)} = wanted.{quote(d)}" for d in self.dimensions)

    def unions(self, leaves: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
        """set id -> (distinct persons, distinct providers) over the leaves of the set."""
        if not self._register(leaves):
            return {}
        self.queries += 1
        try:
            _, rows = self.warehouse.query(
                f"""
                select
                    wanted.set_id,
                    count(distinct records.person_id) as persons,
                    count(distinct records.provider_id) as providers
                from {WANTED} as wanted
                inner join {self.records} as records
                    on {self._join()}
                group by wanted.set_id
                """
            )
        finally:
            self.warehouse.unregister(WANTED)
        counted = {set_id: (0, 0) for set_id in leaves}
        counted.update({row[0]: (int(row[1]), int(row[2])) for row in rows})
        return counted

    def shares(self, leaves: dict[str, list[tuple]]) -> dict[str, list[Share]]:
        """cell id -> each provider's own share of the cell, providers in order."""
        if not self._register(leaves):
            return {}
        self.queries += 1
        try:
            _, rows = self.warehouse.query(
                f"""
                with

                matched as (
                    select
                        wanted.set_id,
                        records.provider_id,
                        records.person_id,
                        records.intervention_id,
                        records.minutes
                    from {WANTED} as wanted
                    inner join {self.records} as records
                        on {self._join()}
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
                ),

                final as (
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
                )

                select * from final
                """
            )
        finally:
            self.warehouse.unregister(WANTED)
        shares: dict[str, list[Share]] = defaultdict(list)
        for set_id, provider, persons, interventions, minutes in rows:
            shares[set_id].append(
                Share(str(provider), int(persons), int(interventions), int(minutes))
            )
        return {k: sorted(v, key=lambda s: s.provider) for k, v in shares.items()}
