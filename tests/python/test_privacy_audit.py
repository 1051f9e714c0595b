"""The audit: what an attacker can prove from published files, by integer programming.

Each case is one an attacker really uses; where a naive check would pass, the test shows it
passing and the audit refusing.
"""

from __future__ import annotations

import ctypes

import pytest
from privacy_tables import one_way, table

from iclsc.privacy import certify
from iclsc.privacy.audit import audit_tables
from iclsc.privacy.cube import CubeError
from iclsc.privacy.system import InconsistentRelease


def exposed(result) -> dict[str, str]:
    return {f.cell: f.reason for f in result.exposures}


def finding(result, fragment: str, measure: str | None = None):
    for f in result.findings:
        if fragment in f.cell and (measure is None or f.measure == measure):
            return f
    raise AssertionError(f"no finding for {fragment}")


def naive_line_rule(values: dict[str, int | None]) -> bool:
    """The usual check: no relation holds exactly one withheld cell."""
    return sum(v is None for v in values.values()) != 1


def test_a_singleton_is_pinned():
    result = audit_tables([one_way({"A": None, "B": 49}, 50)])
    assert "pinned at 1" in exposed(result)["code=A"]


def test_two_small_cells_in_one_row_protect_nothing():
    # Each is withheld, so the line rule is satisfied, but together they hold 4 persons and
    # each is at least 1 (zeros are published): each is at most 3.
    cells = {"A": None, "B": None, "C": 46}
    assert naive_line_rule(cells)
    result = audit_tables([one_way(cells, 50)])
    assert set(exposed(result)) == {"code=A", "code=B"}
    a = finding(result, "code=A")
    assert (a.low, a.high) == (1, 3)


def test_a_large_enough_complement_protects():
    result = audit_tables([one_way({"A": None, "B": None, "C": 28}, 50)])
    assert not result.exposures
    a = finding(result, "code=A")
    assert a.high >= 5 and a.high > a.low


def test_a_complement_on_a_structural_zero_protects_nothing():
    # A naive rule picks the smallest cell, a known zero: withheld, it is still known (a
    # true zero is published, so a withheld cell is at least 1 and A + Z = 3 gives A <= 2).
    result = audit_tables([one_way({"A": None, "Z": None, "B": 47}, 50)])
    assert "code=A" in exposed(result)


def test_a_distinct_count_margin_below_the_sum_of_its_members():
    # One person uses two programmes: the total (10) is less than SAPA + SM (6 + 5). Persons
    # do not add along programme: the attacker gets 10 <= 6 + SM and SM <= 10, so SM is in
    # [4, 10] and safe. Declaring them additive would "prove" SM = 4, which is false.
    rows = [["Total", "false", 10], ["SAPA", "false", 6], ["SM", "true", ""]]
    honest = table("p", [("code", "Total", None)], [("nb_usagers", False, "persons", None)], rows)
    result = audit_tables([honest], exact_all=True)
    sm = finding(result, "code=SM")
    assert (sm.low, sm.high) == (4, 10) and not sm.exposed
    naive = table("p", [("code", "Total", None)], [("nb_usagers", True, "persons", None)], rows)
    assert finding(audit_tables([naive]), "code=SM").reason == "pinned at 4 by the relations"


def test_hours_are_audited_in_exact_minutes():
    # 1.50 h = 0.75 h + A: A is 45 minutes exactly, although 0.75 looks rounded.
    rows = [["Total", "false", "1.50"], ["A", "true", ""], ["B", "false", "0.75"]]
    hours = table("h", [("code", "Total", None)], [("nb_heures", True, None, "hours")], rows)
    assert "pinned at 45" in exposed(audit_tables([hours]))["code=A"]


def test_a_decimal_without_integer_basis_is_refused():
    rows = [["Total", "false", "1.5"], ["A", "false", "1.5"]]
    rate = table("r", [("code", "Total", None)], [("taux", True, None, None)], rows, kind="number")
    with pytest.raises(CubeError, match="integer basis"):
        audit_tables([rate])


def test_published_values_that_break_a_declared_relation_are_refused():
    with pytest.raises(InconsistentRelease):
        audit_tables([one_way({"A": 10, "B": 10}, 50)])


def two_by_two(rows_a: dict, universe="u", name="a"):
    dims = [("region", "Total", None), ("sexe", "Total", None)]
    rows = [
        [r, s, "true" if v is None else "false", "" if v is None else v]
        for (r, s), v in rows_a.items()
    ]
    return table(name, dims, [("nb_usagers", True, "persons", None)], rows, universe=universe)


FULL = {
    ("Total", "Total"): 100,
    ("Total", "F"): 50,
    ("Total", "M"): 50,
    ("R1", "Total"): 40,
    ("R1", "F"): 20,
    ("R1", "M"): 20,
    ("R2", "Total"): 60,
    ("R2", "F"): 30,
    ("R2", "M"): 30,
}


def test_a_rectangle_of_four_withheld_cells_protects_each():
    cells = dict(FULL)
    for key in [("R1", "F"), ("R1", "M"), ("R2", "F"), ("R2", "M")]:
        cells[key] = None
    assert not audit_tables([two_by_two(cells)]).exposures


def test_a_cell_withheld_in_one_table_and_published_in_another_is_exposed():
    cells = dict(FULL)
    for key in [("R1", "F"), ("R1", "M"), ("R2", "F"), ("R2", "M")]:
        cells[key] = None
    # A second table of the same universe, by region only: its rows are the sex totals.
    by_region = table(
        "b",
        [("region", "Total", None)],
        [("nb_usagers", True, "persons", None)],
        [["Total", "false", 100], ["R1", "false", 40], ["R2", "false", 60]],
    )
    assert not audit_tables([two_by_two(cells), by_region]).exposures
    cells[("R1", "Total")] = None
    cells[("R1", "F")] = None
    reasons = exposed(audit_tables([two_by_two(cells), by_region]))
    assert any("published in b" in reason for reason in reasons.values())


def test_an_earlier_release_of_the_same_period_is_known_to_the_attacker():
    cells = dict(FULL)
    for key in [("R1", "F"), ("R1", "M"), ("R2", "F"), ("R2", "M")]:
        cells[key] = None
    now = two_by_two(cells)
    assert not audit_tables([now]).exposures
    # Last release published R1 x F (a pattern that changed since): the rectangle opens.
    before = dict(FULL)
    for key in [("R1", "M"), ("R2", "F"), ("R2", "M"), ("R1", "Total")]:
        before[key] = None
    result = audit_tables([now], history=[[two_by_two(before)]])
    assert result.known_from_earlier == 1
    assert {"region=R1, sexe=M", "region=R2, sexe=F", "region=R2, sexe=M"} <= set(exposed(result))


def test_a_corrected_earlier_release_is_not_used():
    cells = dict(FULL)
    for key in [("R1", "F"), ("R1", "M"), ("R2", "F"), ("R2", "M")]:
        cells[key] = None
    stale = dict(FULL)
    stale[("Total", "Total")] = 101
    stale[("R2", "Total")] = 61
    stale[("R2", "M")] = 31
    result = audit_tables([two_by_two(cells)], history=[[two_by_two(stale)]])
    assert result.known_from_earlier == 0 and result.notes


def test_what_the_solver_prints_in_c_stays_off_standard_output(capfd):
    # HiGHS prints a debugging line with printf during some integer programs; the audit's
    # output (JSON on stdout) must not carry it. The C buffer is flushed inside the guard.
    libc = ctypes.CDLL(None)
    print("before", flush=True)
    with certify._stdout_to_null():
        libc.printf(b"HighsMipSolverData stray line\n")
    print("after", flush=True)
    libc.fflush(None)
    out = capfd.readouterr().out
    assert "stray" not in out and "before" in out and "after" in out
