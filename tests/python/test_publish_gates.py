"""Publication gates of the catalogue, on hand-made tables: each would fail if its claim
were false (a joint subtraction across tables, a shared cell shown two ways, a statistic
that exists with nothing to compute it on)."""

from __future__ import annotations

from iclsc.publish import gates, universes
from iclsc.publish.manifest import Dataset, Field


def dimension(name: str, total: str | None = "Total", parent: str | None = None) -> Field:
    properties = {}
    if total is not None:
        properties["iclsc:total"] = total
    if parent:
        properties["iclsc:parent"] = parent
    return Field(name, "varchar", name, name, "dimension", properties)


def measure(name: str, **properties) -> Field:
    return Field(
        name, "bigint", name, name, "measure", {f"iclsc:{k}": v for k, v in properties.items()}
    )


SUPPRESSED = Field("cellule_supprimee", "boolean", "s", "s", "suppressed")


def annual() -> Dataset:
    fields = [dimension("annee_financiere", None), dimension("code_rss"), SUPPRESSED]
    fields.append(measure("nb_interventions", counts="events", additive=True))
    return Dataset("a", "s", "a", "annuel", "t", "d", fields, meta={"universe": "u"})


def periods() -> Dataset:
    fields = [dimension("annee_financiere", None), dimension("periode"), dimension("code_rss")]
    fields += [SUPPRESSED, measure("nb_interventions", counts="events", additive=True)]
    return Dataset("p", "s", "p", "periodes", "t", "d", fields, meta={"universe": "u"})


ANNUAL_ROWS = [
    ["2025-2026", "Total", "false", "30"],
    ["2025-2026", "01", "false", "30"],
]


def period_rows(withheld: set[str]) -> list[list[str]]:
    rows = []
    for period, value in (("P01", "10"), ("P02", "8"), ("P03", "12")):
        for rss in ("Total", "01"):
            hidden = period in withheld
            rows.append(
                ["2025-2026", period, rss, "true" if hidden else "false", "" if hidden else value]
            )
    return rows


def test_a_period_withheld_alone_under_a_published_year_is_caught_across_tables():
    datasets = [annual(), periods()]
    alone = {"annuel": ANNUAL_ROWS, "periodes": period_rows({"P02"})}
    found = universes.check_universes(datasets, alone)
    assert found and all("along ['periode']" in str(v) for v in found)
    protected = {"annuel": ANNUAL_ROWS, "periodes": period_rows({"P02", "P03"})}
    assert universes.check_universes(datasets, protected) == []
    # each table alone shows nothing wrong: the relation spans two tables
    assert gates.check_lone_withheld(periods(), alone["periodes"]) == []


def test_a_cell_shown_two_ways_in_one_universe_is_caught():
    twin = annual()
    twin = Dataset("b", "s", "b", "annuel-bis", "t", "d", twin.fields, meta={"universe": "u"})
    rows = {
        "annuel": ANNUAL_ROWS,
        "annuel-bis": [ANNUAL_ROWS[0], ["2025-2026", "01", "false", "31"]],
    }
    found = universes.check_universes([annual(), twin], rows)
    assert any("nb_interventions is '30'" in str(v) for v in found)
    rows["annuel-bis"] = [ANNUAL_ROWS[0], ["2025-2026", "01", "true", ""]]
    assert any(
        "withheld in one of" in str(v) for v in universes.check_universes([annual(), twin], rows)
    )


def test_a_table_lacking_a_dimension_without_total_is_refused():
    other = Dataset(
        "c",
        "s",
        "c",
        "autre",
        "t",
        "d",
        [dimension("code_rss"), SUPPRESSED],
        meta={"universe": "u"},
    )
    found = universes.check_universes([annual(), other], {"annuel": ANNUAL_ROWS, "autre": []})
    assert any("lacks dimension annee_financiere" in str(v) for v in found)


def test_a_statistic_is_empty_exactly_when_its_basis_is_zero():
    fields = [
        dimension("code_rss"),
        SUPPRESSED,
        measure("nb_demandes_servies", counts="events", additive=True),
        measure("delai_median_jours", additive=False, basis="nb_demandes_servies"),
    ]
    table = Dataset("x", "s", "x", "acces", "t", "d", fields)
    good = [["Total", "false", "12", "7"], ["01", "false", "0", ""], ["02", "true", "", ""]]
    assert gates.check_rule(table, good, 5) == []
    bad = [["Total", "false", "12", ""], ["01", "false", "0", "3"]]
    assert len(gates.check_rule(table, bad, 5)) == 2
