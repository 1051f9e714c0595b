"""One schedule per financial period: each runs the period job a few days after its period ends.

Period ends move from year to year (P1 ends on the fourth Saturday of April; P13 on 31 March;
iclsc.fiscal), so no cron expression can name them. Each schedule ticks daily and asks for a
run only on the day its period became due; its run key (`2025-P13`) makes the request
idempotent: Dagster launches one run per key, however often the schedule is evaluated.
"""

from __future__ import annotations

from datetime import date, timedelta

from dagster import (
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from iclsc.fiscal import PERIODS_PER_YEAR, FiscalPeriod, period_of

# Establishments transmit a period's files in the days after it ends; the run waits this long.
RUN_DELAY_DAYS = 5
DAILY_AT_SIX = "0 6 * * *"
TIMEZONE = "America/Toronto"  # Québec's time zone (America/Montreal is an alias of it)


def period_due_on(day: date) -> FiscalPeriod | None:
    """The period whose run is due on this day, if any: RUN_DELAY_DAYS after its end."""
    candidate = period_of(day - timedelta(days=RUN_DELAY_DAYS))
    return candidate if candidate.end_date + timedelta(days=RUN_DELAY_DAYS) == day else None


def run_key(period: FiscalPeriod) -> str:
    return f"{period.fiscal_year}-P{period.period:02d}"


def run_config(period: FiscalPeriod) -> dict:
    cut_off = {"fiscal_year": period.fiscal_year, "period": period.period}
    return {"resources": {"iclsc_run": {"config": cut_off}}}


def period_schedule(number: int, job) -> ScheduleDefinition:
    @schedule(
        name=f"iclsc_period_{number:02d}",
        cron_schedule=DAILY_AT_SIX,
        execution_timezone=TIMEZONE,
        job=job,
        description=(
            f"Publishes what was closed as of financial period {number}, "
            f"{RUN_DELAY_DAYS} days after the period ends."
        ),
        tags={"iclsc/period": str(number)},
    )
    def _period(context: ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date()
        due = period_due_on(day)
        if due is None or due.period != number:
            return SkipReason(f"{day}: no run of period {number} due")
        return RunRequest(
            run_key=run_key(due),
            run_config=run_config(due),
            tags={"iclsc/fiscal_year": str(due.fiscal_year), "iclsc/period": str(due.period)},
        )

    return _period


def period_schedules(job) -> list[ScheduleDefinition]:
    return [period_schedule(number, job) for number in range(1, PERIODS_PER_YEAR + 1)]
