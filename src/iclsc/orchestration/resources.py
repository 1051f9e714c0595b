"""The run resource: what `python -m iclsc run` does around its steps, for a Dagster run.

Initialised once per run (the job uses the in-process executor): it takes the pipeline's
locks, runs the pipeline's steps before the build (the extract, the key, the checks of the
raw files), and gives the assets one RunContext, so the build
and the publication of a Dagster run share a log, a summary and a lock, exactly as the
steps of ./scripts/run do. A lock held by another run fails the run at once, before dbt.
"""

import argparse
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource, Failure, InitResourceContext
from pydantic import PrivateAttr

from iclsc import pipeline
from iclsc.runs.lock import LockHeld, RunLock
from iclsc.runs.log import RunLog, iso, utc_now
from iclsc.runs.summary import RunSummary


class IclscRun(ConfigurableResource):
    """A period run: `fiscal_year` and `period` give the cut-off; both unset publish all closed."""

    fiscal_year: int | None = None
    period: int | None = None
    publish_dir: str | None = None  # default ICLSC_PUBLISH_DIR, then publication
    log_dir: str | None = None  # default ICLSC_LOG_DIR, then logs/runs

    _context: pipeline.RunContext | None = PrivateAttr(default=None)

    @property
    def context(self) -> pipeline.RunContext:
        if self._context is None:
            raise RuntimeError("the iclsc_run resource is used outside a run")
        return self._context

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator["IclscRun"]:
        started = utc_now()
        run_id = f"{started:%Y%m%dT%H%M%SZ}-dagster-{context.run.run_id[:8]}"
        args = argparse.Namespace(
            fiscal_year=self.fiscal_year,
            period=self.period,
            log_dir=Path(self.log_dir) if self.log_dir else None,
        )
        log_dir = pipeline.log_root(args) / run_id
        log = RunLog(run_id, log_dir / pipeline.RUN_LOG_FILE)
        summary = RunSummary(run_id, started, ["dagster", context.run.run_id])
        publish_dir = pipeline.in_project(
            Path(self.publish_dir or os.environ.get("ICLSC_PUBLISH_DIR") or "publication")
        ).resolve()
        target_dir = pipeline.target_dir() / "dagster" / "build"
        try:
            publish_through = pipeline.publish_through_from(args)
        except pipeline.StepFailed as failure:
            log.close()
            raise Failure(
                description=str(failure), metadata={"exit_code": failure.exit_code}
            ) from None
        release_id = pipeline.new_release_id(publish_dir, started)
        details = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": iso(started),
            "run_id": run_id,
            "release_dir": str(publish_dir / release_id),
            "command": f"dagster run {context.run.run_id}",
            "log": str(log.path),
        }
        lock = RunLock(pipeline.lock_paths(publish_dir, target_dir), details)
        try:
            lock.acquire()
        except LockHeld as held:
            log.error("locked", message=str(held), lock=held.path, holder=held.holder)
            pipeline.finish(
                log, summary, log_dir, "refused: another run in progress", pipeline.EXIT_LOCKED
            )
            raise Failure(
                description=str(held), metadata={"exit_code": pipeline.EXIT_LOCKED}
            ) from None
        summary.facts.update(
            mode="dagster",
            publish_through=publish_through,
            publish_dir=str(publish_dir),
            release={"id": release_id, "dir": str(publish_dir / release_id)},
        )
        ctx = pipeline.RunContext(
            run_id=run_id,
            started=started,
            publish_dir=publish_dir,
            target_dir=target_dir,
            release_id=release_id,
            publish_through=publish_through,
            resume=False,
            log=log,
            summary=summary,
            log_dir=log_dir,
            lock=lock,
        )
        try:
            for stale in lock.stale:
                log.warning("stale_lock_cleared", message=pipeline.stale_message(stale))
            pipeline.clean_leftovers(ctx)
            # The steps before the build (prepare, preflight, expectations...), as a run has them.
            for step in pipeline.STEPS[: pipeline.step_index("build")]:
                self.step(ctx, step.name, step.function)
            self._context = ctx
            yield self
        finally:
            self._context = None
            failed = next((s for s in summary.steps if s.outcome != "passed"), None)
            if failed is not None:
                outcome, code = "failed", failed.exit_code or pipeline.EXIT_UNEXPECTED
            elif ctx.release_dir is not None:
                outcome, code = "published", pipeline.EXIT_OK
            else:  # a selection without the release: built, nothing published
                outcome, code = "built", pipeline.EXIT_OK
            pipeline.finish(log, summary, log_dir, outcome, code)
            lock.release()

    @staticmethod
    def step(ctx: pipeline.RunContext, name: str, function) -> None:
        """Runs a pipeline step, recorded in the summary; its failure fails the Dagster step."""
        record = ctx.summary.start_step(name)
        ctx.log.info("step_started", step=name)
        try:
            function(ctx)
        except Exception as error:
            if not isinstance(error, pipeline.StepFailed):
                ctx.summary.end_step(record, "error", pipeline.EXIT_UNEXPECTED)
                ctx.log.error("step_error", step=name, error=f"{type(error).__name__}: {error}")
                raise
            failure = error
            ctx.summary.end_step(record, "failed", failure.exit_code)
            ctx.log.error(
                "step_failed", step=name, exit_code=failure.exit_code, message=str(failure)
            )
            raise Failure(
                description=str(failure), metadata={"exit_code": failure.exit_code}
            ) from None
        ctx.summary.end_step(record, "passed")
        ctx.log.info("step_finished", step=name)
