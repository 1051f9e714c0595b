"""The fiscal period calendar of the Québec health network: the one place its rule lives.

No official rule was found (see the extract contract). The published calendars fit this one:
the fiscal year starts on 1 April; period 1 ends on the fourth Saturday of April; periods 2
to 12 are 28-day blocks running Sunday to Saturday; period 13 ends on 31 March. The rule is
tested against every published calendar in seeds/reference/ref_published_fiscal_periods.csv.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

PERIODS_PER_YEAR = 13
FIRST_SEED_YEAR = 2015
LAST_SEED_YEAR = 2035
SATURDAY = 5  # date.weekday()


@dataclass(frozen=True)
class FiscalPeriod:
    fiscal_year: int  # the calendar year in which the fiscal year starts (2024 = 2024-2025)
    period: int
    start_date: date
    end_date: date

    @property
    def n_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def label(self) -> str:
        return f"{self.fiscal_year}-{self.fiscal_year + 1}"


def fourth_saturday_of_april(year: int) -> date:
    first = date(year, 4, 1)
    first_saturday = first + timedelta(days=(SATURDAY - first.weekday()) % 7)
    return first_saturday + timedelta(weeks=3)


def fiscal_periods(fiscal_year: int) -> list[FiscalPeriod]:
    """The 13 periods of a fiscal year, by the rule above."""
    periods = []
    start = date(fiscal_year, 4, 1)
    end = fourth_saturday_of_april(fiscal_year)
    for number in range(1, PERIODS_PER_YEAR + 1):
        if number == PERIODS_PER_YEAR:
            end = date(fiscal_year + 1, 3, 31)
        periods.append(FiscalPeriod(fiscal_year, number, start, end))
        start = end + timedelta(days=1)
        end = start + timedelta(days=27)
    return periods


def period_of(day: date) -> FiscalPeriod:
    """The fiscal period that contains a day."""
    fiscal_year = day.year if day >= date(day.year, 4, 1) else day.year - 1
    for period in fiscal_periods(fiscal_year):
        if period.start_date <= day <= period.end_date:
            return period
    raise AssertionError(f"no period contains {day}")  # the periods tile the year


def write_seed(path: Path, first_year: int = FIRST_SEED_YEAR, last_year: int = LAST_SEED_YEAR):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["fiscal_year", "period", "start_date", "end_date", "n_days"])
        for year in range(first_year, last_year + 1):
            for p in fiscal_periods(year):
                writer.writerow(
                    [
                        p.fiscal_year,
                        p.period,
                        p.start_date.isoformat(),
                        p.end_date.isoformat(),
                        p.n_days,
                    ]
                )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--first-year", type=int, default=FIRST_SEED_YEAR)
    parser.add_argument("--last-year", type=int, default=LAST_SEED_YEAR)


def run(args: argparse.Namespace) -> int:
    write_seed(args.out, args.first_year, args.last_year)
    return 0
