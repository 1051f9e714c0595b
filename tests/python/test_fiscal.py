"""The fiscal period rule against the published calendars and the seed written from it."""

from __future__ import annotations

import csv
import itertools
from datetime import date, timedelta

import pytest

from iclsc import project_dir
from iclsc.fiscal import fiscal_periods, period_of, write_seed

SEEDS = project_dir() / "seeds" / "reference"


def read(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_rule_reproduces_every_published_calendar():
    published = read(SEEDS / "ref_published_fiscal_periods.csv")
    assert len(published) == 26
    for row in published:
        period = fiscal_periods(int(row["fiscal_year"]))[int(row["period"]) - 1]
        assert period.start_date.isoformat() == row["start_date"], row
        assert period.end_date.isoformat() == row["end_date"], row
        assert period.n_days == int(row["n_days"]), row


@pytest.mark.parametrize("year", range(2015, 2036))
def test_periods_tile_the_fiscal_year(year):
    periods = fiscal_periods(year)
    assert len(periods) == 13
    assert periods[0].start_date == date(year, 4, 1)
    assert periods[-1].end_date == date(year + 1, 3, 31)
    assert periods[0].end_date.weekday() == 5  # a Saturday
    assert 22 <= periods[0].n_days <= 28
    for before, after in itertools.pairwise(periods):
        assert after.start_date == before.end_date + timedelta(days=1)
    for middle in periods[1:12]:
        assert middle.n_days == 28
        assert middle.start_date.weekday() == 6  # Sunday to Saturday


def test_period_of_finds_the_period_of_every_day():
    day = date(2024, 4, 1)
    while day <= date(2026, 3, 31):
        period = period_of(day)
        assert period.start_date <= day <= period.end_date
        day += timedelta(days=1)


def test_committed_seed_is_the_rule(tmp_path):
    written = tmp_path / "periods.csv"
    write_seed(written)
    assert written.read_bytes() == (SEEDS / "ref_fiscal_periods.csv").read_bytes()
