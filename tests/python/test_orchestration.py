"""The Dagster definitions: they load, schedule each financial period, and materialise a
release in-process on a tiny extract, under the pipeline's lock."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

# The orchestration extra; ./scripts/test installs it (a missing install fails, not skips).
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    Definitions,
    build_schedule_context,
)

from iclsc import pipeline
from iclsc.fiscal import fiscal_periods
from iclsc.runs.lock import RunLock, lock_in

DEV_KEY = "iclsc-development-key-NOT-FOR-REAL-DATA"
JOB = "iclsc_period_job"


@pytest.fixture(scope="module")
def dagster_env(tmp_path_factory, tiny_extract):
    root = tmp_path_factory.mktemp("dagster")
    env = {
        "ICLSC_RAW_DIR": str(tiny_extract),
        "ICLSC_PSEUDO_KEY": DEV_KEY,
        "ICLSC_DUCKDB_PATH": str(root / "warehouse" / "iclsc.duckdb"),
        "ICLSC_DUCKDB_MEMORY_LIMIT": "2GB",
        "ICLSC_PUBLISH_DIR": str(root / "publication"),
        "ICLSC_LOG_DIR": str(root / "logs"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    with mock.patch.dict(os.environ, env):
        os.environ.pop("ICLSC_FISCAL_YEAR", None)
        os.environ.pop("ICLSC_PERIOD", None)
        from iclsc.orchestration import defs

        yield defs, root


def cut_off(fiscal_year: int, period: int) -> dict:
    return {"resources": {"iclsc_run": {"config": {"fiscal_year": fiscal_year, "period": period}}}}


# dbt assets are keyed by their schema and name (the layer, then the model).
EXPORT = AssetKey(["exports", "exp_services_annuels"])
RELEASE = AssetKey("iclsc_release")


def test_the_definitions_load(dagster_env):
    defs, _ = dagster_env
    assert isinstance(defs, Definitions)
    Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    keys = set(graph.get_all_asset_keys())
    assert {EXPORT, AssetKey(["intermediate", "int_periods_closed"]), RELEASE} <= keys
    assert EXPORT in graph.get(RELEASE).parent_keys
    checks = set(graph.asset_check_keys)
    # dbt tests are asset checks, for example the grain tests of the export.
    assert any(c.asset_key == EXPORT for c in checks)
    assert len(checks) > 100
    assert sorted(s.name for s in repository.schedule_defs) == [
        f"iclsc_period_{n:02d}" for n in range(1, 14)
    ]
    assert defs.resolve_job_def(JOB) is not None


def test_each_period_is_scheduled_once_a_few_days_after_it_ends(dagster_env):
    from iclsc.orchestration.schedules import RUN_DELAY_DAYS, TIMEZONE, period_due_on

    defs, _ = dagster_env
    schedules = {s.name: s for s in defs.get_repository_def().schedule_defs}
    periods = fiscal_periods(2025) + fiscal_periods(2026)
    day, due = date(2025, 4, 6), []  # 2024-2025 P13 is due on 5 April 2025
    while day <= date(2027, 4, 10):
        if (found := period_due_on(day)) is not None:
            due.append((day, found))
        day += timedelta(days=1)
    assert [p for _, p in due] == periods
    assert all(day == p.end_date + timedelta(days=RUN_DELAY_DAYS) for day, p in due)

    for day, period in due[:13]:
        six = datetime(day.year, day.month, day.day, 6, tzinfo=ZoneInfo(TIMEZONE))
        for name, schedule in schedules.items():
            for moment in (six, six - timedelta(days=1)):
                with build_schedule_context(scheduled_execution_time=moment) as context:
                    tick = schedule.evaluate_tick(context)
                requested = tick.run_requests or []
                if moment == six and name == f"iclsc_period_{period.period:02d}":
                    assert [r.run_key for r in requested] == [f"2025-P{period.period:02d}"]
                    assert requested[0].run_config == cut_off(2025, period.period)
                else:
                    assert requested == [] and tick.skip_message


def test_a_held_lock_fails_the_dagster_run_before_dbt(dagster_env):
    defs, root = dagster_env
    publish_dir = root / "publication"
    holder = {"pid": os.getpid(), "host": "elsewhere", "run_id": "cron-run", "started_at": "now"}
    with RunLock([lock_in(publish_dir)], holder):
        result = defs.resolve_job_def(JOB).execute_in_process(
            run_config=cut_off(2025, 13),
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_failure)
    assert "cron-run" in str(failure.event_specific_data)
    assert not (root / "target" / "dagster" / "build" / "run_results.json").exists()
    assert not (publish_dir / "latest").exists()


@pytest.mark.slow
def test_the_period_job_materialises_a_release_in_process(dagster_env):
    defs, root = dagster_env
    result = defs.resolve_job_def(JOB).execute_in_process(
        run_config=cut_off(2025, 13),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {EXPORT, RELEASE} <= materialised
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert len(evaluations) > 100
    # dbt's error-severity tests block; a warn-severity one reports (the data-quality
    # criteria: on the tiny extract, a breakdown level of services-annuels withheld whole).
    # A check that did not pass is one that dbt itself reported as a warning.
    build_results = json.loads(
        Path(root / "target" / "dagster" / "build" / "run_results.json").read_text()
    )
    warned = {
        r["unique_id"].split(".")[2] for r in build_results["results"] if r["status"] == "warn"
    }
    failed = [e for e in evaluations if not e.passed]
    assert all(e.severity == AssetCheckSeverity.WARN and e.check_name in warned for e in failed), [
        (e.check_name, e.severity) for e in failed
    ]

    release = (root / "publication" / "latest").resolve()
    summary = json.loads((release / pipeline.SUMMARY_FILE).read_text())
    assert summary["mode"] == "dagster" and summary["outcome"] == "published"
    assert summary["publish_through"] == {"fiscal_year": 2025, "period": 13}
    gates = {g["name"]: g["outcome"] for g in summary["gates"]}
    assert {"dbt build", "publication"} <= gates.keys() and set(gates.values()) == {"passed"}
    # The same steps as ./scripts/run, the build run by dagster-dbt.
    assert [s["name"] for s in summary["steps"]] == [s.name for s in pipeline.STEPS]
    assert (release / "services-annuels.csv").stat().st_size > 0
    assert lock_in(root / "publication").read_text() == ""
    assert build_results["args"]["vars"] == {"publish_through": {"fiscal_year": 2025, "period": 13}}
