"""Great Expectations on raw deliveries, measured in SQL on every row: a file where half the
rows break a format is an error naming the transmission, the check and the share of rows."""

from __future__ import annotations

import csv

import pytest

from iclsc.generate import contract, faults, generate
from iclsc.quality import expectations

pytestmark = pytest.mark.slow


def test_half_broken_dates_are_an_error_with_their_share(tmp_path):
    clean = tmp_path / "clean"
    generate(clean, "tiny", 42)
    raw = faults.copy_extract(clean, tmp_path / "raw")
    path = sorted(raw.glob(f"transmissions/*/{contract.INTERVENTIONS_FILE}"))[0]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("date_intervention")
    for number, row in enumerate(rows[1:]):
        if number % 3:
            year, month, day = row[at].split("-")
            row[at] = f"{day}/{month}/{year}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    broken = sum(1 for number in range(len(rows) - 1) if number % 3)

    outcomes = expectations.validate_raw(raw, tmp_path / "docs")

    label = f"{path.parent.name}.interventions"
    assert {(o.validation, o.expectation, o.column, o.severity) for o in outcomes} == {
        (label, "expect_column_values_to_match_regex", "date_intervention", "critical"),
        (label, "expect_column_values_to_match_regex", "date_intervention", "warning"),
    }
    for outcome in outcomes:
        assert outcome.unexpected_percent == pytest.approx(100 * broken / (len(rows) - 1))
    assert (tmp_path / "docs" / "index.html").is_file()
