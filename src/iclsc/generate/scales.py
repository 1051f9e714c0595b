"""The three sizes of synthetic extract. Each has a fixed "as of" date: nothing depends on
the day the generator runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from iclsc.fiscal import FiscalPeriod, fiscal_periods


@dataclass(frozen=True)
class Scale:
    name: str
    as_of: date  # the day the extract is taken; every transmission is received by then
    fiscal_years: tuple[tuple[int, int], ...]  # (fiscal year, last period included)
    rss_codes: tuple[str, ...] | None  # regions covered; None = all 18
    n_installations: int | None  # None = one per CLSC territory
    n_persons: int  # persons drawn (some hold two files)
    provider_load: int  # interventions a full-time provider records in a year
    min_providers: int  # providers at least, per installation and job category in use
    share_previous_open: float  # establishments whose next-to-last period is still open
    share_resubmitted: float  # earlier periods sent twice
    jobs: int  # worker processes (output does not depend on it)
    # The extract is taken after the establishments closed its last period: a year-end
    # extract, whose annual tables are complete. Otherwise the last period is still open.
    closes_last_period: bool = False

    def periods(self) -> list[FiscalPeriod]:
        out = []
        for year, last in self.fiscal_years:
            out.extend(p for p in fiscal_periods(year) if p.period <= last)
        return out


SCALES: dict[str, Scale] = {
    # Unit tests: Gaspésie-Îles-de-la-Madeleine (2 establishments) and Laval, one
    # installation per territory (12), 2025-2026 closed and 2026-2027 P1-P3 (P3 open).
    "tiny": Scale(
        name="tiny",
        as_of=date(2026, 7, 10),
        fiscal_years=((2025, 13), (2026, 3)),
        rss_codes=("11", "13"),
        n_installations=None,
        n_persons=330,
        provider_load=1200,
        min_providers=2,
        share_previous_open=0.34,
        share_resubmitted=0.08,
        jobs=1,
    ),
    # The sample run in CI: every region and territory, 2025-2026 closed, 2026-2027 P1-P8.
    "small": Scale(
        name="small",
        as_of=date(2026, 11, 27),
        fiscal_years=((2025, 13), (2026, 8)),
        rss_codes=None,
        n_installations=200,
        n_persons=10_000,
        provider_load=1200,
        min_providers=2,
        share_previous_open=0.2,
        share_resubmitted=0.05,
        jobs=1,
    ),
    # The real size: one fiscal year, 458 installations, about 1.5 million users, taken
    # once every establishment closed the year (the annual publication), so that the full
    # build counts the annual tables too.
    "full": Scale(
        name="full",
        as_of=date(2026, 5, 20),
        fiscal_years=((2025, 13),),
        rss_codes=None,
        n_installations=458,
        n_persons=1_500_000,
        provider_load=1200,
        min_providers=1,
        share_previous_open=0.0,
        share_resubmitted=0.05,
        jobs=2,
        closes_last_period=True,
    ),
}
