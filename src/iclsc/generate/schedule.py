"""When each establishment sends each period, and which periods are sent twice.

One transmission per establishment and period, received some days after the period ends.
The last period is still open (`N`) everywhere, the one before it for a few establishments,
unless the extract is taken after the last period closed (`closes_last_period`).
A few earlier periods are sent twice: the first transmission misses late entries and has a
few rows that the second one corrects; the second (greater `date_transmission`) replaces it
entirely and is closed (`O`), the first was often still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from iclsc.fiscal import FiscalPeriod
from iclsc.generate.contract import PERIOD_CLOSED, PERIOD_OPEN
from iclsc.generate.structure import Establishment

SEND_DELAY_DAYS = (4, 15)  # after the end of the period
FIRST_SEND_DELAY_DAYS = (4, 12)  # of a period that will be sent again
RESEND_DELAY_DAYS = (10, 45)  # after the first transmission
FIRST_OF_TWO_OPEN = 0.6  # the first transmission of a resubmitted period was still open
WORKDAY_HOURS = (7, 19)


@dataclass(frozen=True)
class Transmission:
    id: str
    establishment: int
    establishment_code: str
    period_index: int  # index into the scale's periods
    fiscal_year: int
    period: int
    received_at: datetime
    closed: bool
    # True for an earlier transmission that a later one of the same period replaces; the
    # only or latest transmission of a period carries the complete rows.
    superseded: bool

    @property
    def periode_fermee(self) -> str:
        return PERIOD_CLOSED if self.closed else PERIOD_OPEN


def transmission_id(establishment_code: str, period: FiscalPeriod, at: datetime) -> str:
    """A safe folder name: letters, digits and hyphens only."""
    return f"{establishment_code}-{period.fiscal_year}-P{period.period:02d}-{at:%Y%m%d%H%M%S}"


def _received(rng: np.random.Generator, day: date, as_of: date) -> datetime:
    day = min(day, as_of)
    seconds = int(rng.integers(WORKDAY_HOURS[0] * 3600, WORKDAY_HOURS[1] * 3600))
    return datetime.combine(day, time()) + timedelta(seconds=seconds)


def build_schedule(
    rng: np.random.Generator,
    establishments: list[Establishment],
    periods: list[FiscalPeriod],
    as_of: date,
    share_previous_open: float,
    share_resubmitted: float,
    closes_last_period: bool = False,
) -> list[Transmission]:
    n_e, n_p = len(establishments), len(periods)
    previous_open = np.zeros(n_e, dtype=bool)
    if n_p >= 2:
        count = max(1, round(share_previous_open * n_e))
        previous_open[rng.choice(n_e, size=count, replace=False)] = True
    # Resubmissions only for periods settled well before the as-of date.
    resubmitted = np.zeros((n_e, n_p), dtype=bool)
    if n_p >= 3:
        resubmitted[:, : n_p - 2] = rng.random((n_e, n_p - 2)) < share_resubmitted
        if not resubmitted.any():
            resubmitted[rng.integers(n_e), rng.integers(n_p - 2)] = True

    out: list[Transmission] = []
    for e, establishment in enumerate(establishments):
        for k, period in enumerate(periods):
            same = dict(
                establishment=e,
                establishment_code=establishment.code,
                period_index=k,
                fiscal_year=period.fiscal_year,
                period=period.period,
            )
            closed = closes_last_period or not (k == n_p - 1 or (k == n_p - 2 and previous_open[e]))
            if resubmitted[e, k]:
                first = _received(
                    rng,
                    period.end_date + timedelta(days=int(rng.integers(*FIRST_SEND_DELAY_DAYS))),
                    as_of,
                )
                first_closed = bool(rng.random() >= FIRST_OF_TWO_OPEN)
                again = first.date() + timedelta(days=int(rng.integers(*RESEND_DELAY_DAYS)))
                second = _received(rng, again, as_of)
                if second <= first:
                    raise AssertionError("a resubmission must come after the first transmission")
                versions = [(first, first_closed, True), (second, True, False)]
            else:
                day = period.end_date + timedelta(days=int(rng.integers(*SEND_DELAY_DAYS)))
                versions = [(_received(rng, day, as_of), closed, False)]
            for at, is_closed, superseded in versions:
                out.append(
                    Transmission(
                        id=transmission_id(establishment.code, period, at),
                        received_at=at,
                        closed=is_closed,
                        superseded=superseded,
                        **same,
                    )
                )
    ids = [t.id for t in out]
    if len(set(ids)) != len(ids):
        raise AssertionError("transmission ids must be unique")
    return out
