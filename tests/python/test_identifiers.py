"""What counts as an identifier-like value in a published file."""

from __future__ import annotations

import pytest

from iclsc.identifiers import scan_rows, value_problem


@pytest.mark.parametrize(
    "value",
    ["TREM12345678", "x TREM12345678 y", "H2X 1Y4", "h2x1y4", "1980-05-17", "a" * 40 + "0" * 24],
)
def test_identifier_like_values_are_found(value):
    assert value_problem(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        "2025-2026",
        "0312",
        "SAPA",
        "Total",
        "2025-04-01",
        "10310000-2025-P13-20260407105319",
        "65-74",
        "1298.25",
        "Soutien à l'autonomie des personnes âgées",
        "abcd12345678ef",  # a NAM shape inside a longer run: part of a hash, not a NAM
    ],
)
def test_published_values_are_not_flagged(value):
    assert value_problem(value) is None


def test_columns_named_like_identifiers_are_found():
    findings = scan_rows("t.csv", ["code_rss", "nam", "person_id"], [["01", "", ""]])
    assert {f.column for f in findings} == {"nam", "person_id"}
    assert all(f.row == 1 for f in findings)


def test_findings_name_file_row_and_column():
    findings = scan_rows("t.csv", ["a", "b"], [["x", "y"], ["z", "G1A 2B3"]])
    assert [str(f) for f in findings] == ["t.csv, row 3, column b: value looks like a postal code"]
