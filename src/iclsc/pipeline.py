"""`python -m iclsc run`: the main job behind ./scripts/run, safe to start from cron or an
orchestrator after each financial period.

A run is a list of steps (`STEPS`): prepare the extract, check its structure (preflight)
and its deliveries (Great Expectations), build the warehouse with `dbt build` (every model
and every test), publish a release through the gates. Nothing is published unless every
step passed. Around the steps:

- one run at a time: a run takes OS locks (runs/lock.py) on the publish directory, the dbt
  target directory and the warehouse before it touches anything; a second run exits at once
  with EXIT_LOCKED and names the running one;
- the period: `--fiscal-year/--period` (or ICLSC_FISCAL_YEAR/ICLSC_PERIOD) publishes what
  was closed as of that period (the dbt var `publish_through`), so a past period can be
  rebuilt; the same extract and period give the same CSV bytes;
- structured logs (JSON lines on stderr and in the run's log directory) and a run summary,
  both copied into the release;
- `--resume` continues a failed build with `dbt retry` instead of rebuilding everything.

A feature adds a step by inserting a `Step` into STEPS (see `step_index`); a step raises
`StepFailed(exit_code, message)` to stop the run, and may record a gate in the summary.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from iclsc import project_dir, pseudonym
from iclsc.runs.lock import LockHeld, RunLock, lock_beside, lock_in, stale_message
from iclsc.runs.log import RunLog, iso, utc_now
from iclsc.runs.redact import copy_public_jsonl, known_directories, write_public_json
from iclsc.runs.summary import RunSummary, dbt_results, published_counts, warehouse_rows

SAMPLE_SCALE = "tiny"
SAMPLE_SEED = 42

# Exit codes, one per gate (documented in README.md).
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_CONFIGURATION = 2
EXIT_PUBLICATION_GATE = 3
EXIT_DBT_BUILD = 4
EXIT_RAW_INVALID = 5  # iclsc.quality.preflight: a raw file is structurally broken
EXIT_RAW_EXPECTATIONS = 6  # iclsc.quality.expectations: a raw delivery failed an error check
# EX_TEMPFAIL of sysexits.h: another run is in progress, nothing was done, try again later.
EXIT_LOCKED = 75
# A run stopped by a signal exits 128 + its number (130 for SIGINT, 143 for SIGTERM).
EXIT_SIGNAL_BASE = 128

PERIODS_PER_YEAR = 13
# What the last build of a target directory was, beside dbt's own artifacts: --resume reads it.
BUILD_STATE_FILE = "iclsc-build.json"
# The project code each warehouse was last built with, by a build that passed: a run on
# changed code rebuilds the incremental models from scratch (--full-refresh), or their
# partitions kept from earlier runs would mix two versions of the logic.
WAREHOUSE_STATE_FILE = "iclsc-warehouse.json"
# What decides the warehouse's content: SQL, macros, seeds and the project's variables.
LOGIC_PATHS = ("models", "macros", "seeds", "snapshots", "dbt_project.yml")
RUN_LOG_FILE = "run.jsonl"
SUMMARY_FILE = "run-summary.json"
RELEASE_LOG_FILE = "run-log.jsonl"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
MISSING_KEY = (
    f"{pseudonym.KEY_ENV} is not set. A real extract needs a secret pseudonymisation key "
    "(at least 16 bytes); the development key is for the synthetic sample only."
)


class StepFailed(Exception):
    """Stops the run with an exit code; nothing is published and `latest` stays."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(BaseException):
    """A signal asked the run to stop (SIGTERM from an orchestrator, Ctrl-C)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class RunContext:
    """What the steps of a run share."""

    run_id: str
    started: datetime
    publish_dir: Path
    target_dir: Path
    release_id: str
    publish_through: dict | None
    resume: bool
    log: RunLog
    summary: RunSummary
    log_dir: Path
    raw_dir: Path | None = None
    extract_fingerprint: str | None = None
    logic_fingerprint: str | None = None  # of the project code (logic_fingerprint())
    readable_dir: Path | None = None  # what dbt reads: the extract, or the preflight's fixed copy
    is_sample: bool = False
    env: dict[str, str] = field(default_factory=dict)
    lock: RunLock | None = None
    release_dir: Path | None = None
    built_before: bool = False  # --resume found the last build complete: publish only

    @property
    def lock_fds(self) -> tuple[int, ...]:
        return self.lock.fds if self.lock else ()


@dataclass(frozen=True)
class Step:
    name: str
    function: Callable[[RunContext], None]


# The log of the run in progress, for `log()`.
_active_log: RunLog | None = None


def log(message: str, **fields) -> None:
    """A message in the log of the run in progress (a JSON line), for code without a context."""
    if _active_log is not None:
        _active_log.info("message", message=message, **fields)
    else:
        record = {"ts": iso(utc_now()), "level": "info", "event": "message", "message": message}
        print(json.dumps({**fields, **record}, default=str), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paths and config


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_command(arguments: list[str]) -> list[str]:
    """dbt on ICLSC_TARGET, through `python -m iclsc dbt`: it hands the key to the engine
    (iclsc.engines) in the process where dbt runs."""
    return [sys.executable, "-m", "iclsc", "dbt", *arguments, "--project-dir", str(project_dir())]


def in_project(path: Path) -> Path:
    return path if path.is_absolute() else project_dir() / path


def target_dir() -> Path:
    """dbt's target directory: DBT_TARGET_PATH (as dbt reads it) or target/."""
    return in_project(Path(os.environ.get("DBT_TARGET_PATH") or "target"))


def lock_paths(publish_dir: Path, target: Path) -> list[Path]:
    """The lock files of everything a run writes: releases, dbt artifacts, the warehouse."""
    from iclsc.warehouse import duckdb_path, target_name

    paths = [lock_in(publish_dir), lock_beside(target)]
    if target_name() == "duckdb":
        paths.append(lock_beside(duckdb_path()))
    return paths


def dbt_environment(raw_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ICLSC_RAW_DIR"] = str(raw_dir)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir() / "profiles"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["GX_ANALYTICS_ENABLED"] = "false"
    return env


def resolve_raw_dir() -> tuple[Path, bool]:
    """The extract to read, and whether it is the synthetic sample."""
    given = os.environ.get("ICLSC_RAW_DIR")
    if given:
        return Path(given).resolve(), False
    return (project_dir() / "data" / "raw").resolve(), True


def ensure_key(is_sample: bool) -> bool:
    if os.environ.get(pseudonym.KEY_ENV):
        return True
    if not is_sample:
        return False
    os.environ[pseudonym.KEY_ENV] = pseudonym.DEVELOPMENT_KEY
    return True


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise StepFailed(EXIT_CONFIGURATION, f"{name}={value!r} is not a whole number") from None


def publish_through_from(args: argparse.Namespace) -> dict | None:
    """The cut-off period of the run: flags first, then ICLSC_FISCAL_YEAR/ICLSC_PERIOD."""
    fiscal_year = args.fiscal_year
    if fiscal_year is None:
        fiscal_year = _env_int("ICLSC_FISCAL_YEAR")
    period = args.period if args.period is not None else _env_int("ICLSC_PERIOD")
    if fiscal_year is None and period is None:
        return None
    if fiscal_year is None or period is None:
        raise StepFailed(
            EXIT_CONFIGURATION,
            "give both the fiscal year and the period (--fiscal-year and --period, or "
            "ICLSC_FISCAL_YEAR and ICLSC_PERIOD), or neither to publish every closed period",
        )
    if not 1 <= period <= PERIODS_PER_YEAR:
        raise StepFailed(EXIT_CONFIGURATION, f"period {period} is not between 1 and 13")
    if not 2000 <= fiscal_year <= 2100:
        raise StepFailed(
            EXIT_CONFIGURATION,
            f"fiscal year {fiscal_year} is not a start year such as 2025 (for 2025-2026)",
        )
    return {"fiscal_year": fiscal_year, "period": period}


def build_arguments(publish_through: dict | None) -> list[str]:
    arguments = ["build"]
    if publish_through is not None:
        arguments += ["--vars", json.dumps({"publish_through": publish_through})]
    # dbt unit tests check the models' logic on fixed inputs, not the data: they are for
    # development and CI (./scripts/test runs them on DuckDB, the engine tier on PostgreSQL),
    # and a production run need not spend their fixed cost on every period. Data tests stay.
    arguments += ["--exclude", "resource_type:unit_test"]
    return arguments


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


# --------------------------------------------------------------------------- dbt subprocess


def relay_dbt_line(log: RunLog, line: str) -> None:
    """One line of dbt's JSON log output, as an event of the run's log."""
    line = line.strip()
    if not line:
        return
    try:
        event = json.loads(line)
        info = event["info"]
    except (json.JSONDecodeError, KeyError, TypeError):
        log.info("dbt_output", text=ANSI_ESCAPE.sub("", line))
        return
    level = {"warn": "warning", "error": "error", "debug": "debug"}.get(info.get("level"), "info")
    if level == "debug":
        return
    fields = {"dbt_event": info.get("name"), "msg": ANSI_ESCAPE.sub("", info.get("msg") or "")}
    node = (event.get("data") or {}).get("node_info") or {}
    if node.get("unique_id"):
        fields["node"] = node["unique_id"]
        fields["node_status"] = node.get("node_status")
    log.event("dbt", level, **fields)


def run_dbt(ctx: RunContext, arguments: list[str]) -> int:
    """Runs dbt in a subprocess that inherits the run's locks; relays its log as JSON lines."""
    command = dbt_command(arguments)
    env = dict(ctx.env)
    env.update(
        DBT_LOG_FORMAT="json",
        DBT_USE_COLORS="false",
        DBT_TARGET_PATH=str(ctx.target_dir),
        DBT_LOG_PATH=str(ctx.log_dir),
    )
    ctx.log.info("dbt_started", arguments=arguments)
    process = subprocess.Popen(
        command,
        env=env,
        cwd=project_dir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        pass_fds=ctx.lock_fds,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            relay_dbt_line(ctx.log, line)
        return process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --------------------------------------------------------------------------- steps


def prepare(ctx: RunContext) -> None:
    """The extract and the key; generates the synthetic sample when no extract is given."""
    raw_dir, is_sample = resolve_raw_dir()
    ctx.raw_dir, ctx.is_sample = raw_dir, is_sample
    ctx.summary.facts["extract"] = {"raw_dir": str(raw_dir), "sample": is_sample}
    if not ensure_key(is_sample):
        raise StepFailed(EXIT_CONFIGURATION, MISSING_KEY)
    warn_if_development_key(ctx.log)
    if is_sample and not raw_dir.exists():
        from iclsc.generate import generate

        ctx.log.info("sample_generation", scale=SAMPLE_SCALE, seed=SAMPLE_SEED, raw_dir=raw_dir)
        generate(raw_dir, SAMPLE_SCALE, SAMPLE_SEED)
    if not raw_dir.is_dir():
        raise StepFailed(EXIT_CONFIGURATION, f"the extract directory {raw_dir} does not exist")
    ctx.extract_fingerprint = extract_fingerprint(raw_dir)
    ctx.summary.facts["extract"]["fingerprint"] = ctx.extract_fingerprint
    ctx.logic_fingerprint = logic_fingerprint()
    ctx.env = dbt_environment(raw_dir)


def extract_fingerprint(raw_dir: Path) -> str:
    """Names, sizes and modification times of the extract's files: --resume refuses to
    continue a build on an extract that changed since (stat only, no file is read)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        status = path.stat()
        digest.update(
            f"{path.relative_to(raw_dir)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()


def preflight(ctx: RunContext) -> None:
    """The structure of every raw file (iclsc.quality.preflight); dbt reads what it returns."""
    from iclsc.quality import preflight as structure

    readable = structure.preflight_for_run(ctx.raw_dir, log)
    if readable is None:
        ctx.summary.gate("raw structure", "failed", EXIT_RAW_INVALID)
        raise StepFailed(
            EXIT_RAW_INVALID,
            "the raw extract is structurally broken (see the check-raw messages): "
            "nothing built, nothing published",
        )
    ctx.summary.gate("raw structure", "passed", EXIT_RAW_INVALID)
    ctx.readable_dir = Path(readable)
    ctx.env = dbt_environment(ctx.readable_dir)


def raw_expectations(ctx: RunContext) -> None:
    """Great Expectations on each raw delivery (iclsc.quality.expectations)."""
    from iclsc.quality import expectations

    if not expectations.validate_raw_for_run(ctx.readable_dir or ctx.raw_dir, log):
        ctx.summary.gate("raw expectations", "failed", EXIT_RAW_EXPECTATIONS)
        raise StepFailed(
            EXIT_RAW_EXPECTATIONS,
            "a raw delivery failed an expectation with severity error: nothing published",
        )
    ctx.summary.gate("raw expectations", "passed", EXIT_RAW_EXPECTATIONS)


def load_raw(ctx: RunContext) -> None:
    """On PostgreSQL and Spark, copies the extract into the warehouse (`python -m iclsc
    load-raw`, in its own process: Spark keeps global state); DuckDB reads the files."""
    from iclsc import engines

    target = engines.target_name()
    if target not in engines.LOADED_TARGETS:
        return
    ctx.log.info("load_raw_started", target=target)
    returncode = subprocess.run(
        [sys.executable, "-m", "iclsc", "load-raw"],
        env=ctx.env,
        cwd=project_dir(),
        check=False,
        pass_fds=ctx.lock_fds,
    ).returncode
    if returncode != 0:
        raise StepFailed(
            EXIT_DBT_BUILD,
            f"loading the extract into {target} failed (exit {returncode}): nothing published, "
            "latest left as it was",
        )


def logic_fingerprint() -> str:
    """SHA-256 of the files that decide what the models compute (paths and bytes)."""
    root = project_dir()
    digest = hashlib.sha256()
    for top in LOGIC_PATHS:
        path = root / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def needs_full_refresh(ctx: RunContext) -> str | None:
    """Why this build must rebuild the incremental models from scratch, or None."""
    from iclsc.warehouse import identity

    built = (read_json(ctx.target_dir / WAREHOUSE_STATE_FILE) or {}).get(identity())
    if built is None:
        return "no build of this warehouse with this target directory is on record"
    if built.get("logic_fingerprint") != ctx.logic_fingerprint:
        return f"the project code changed since run {built.get('run_id')} built the warehouse"
    return None


def record_built_logic(ctx: RunContext) -> None:
    from iclsc.warehouse import identity

    path = ctx.target_dir / WAREHOUSE_STATE_FILE
    state = read_json(path) or {}
    state[identity()] = {"logic_fingerprint": ctx.logic_fingerprint, "run_id": ctx.run_id}
    write_json(path, state)


def plan_build(ctx: RunContext) -> list[str] | None:
    """The dbt arguments of this run's build; None when --resume finds the last build passed."""
    if not ctx.resume:
        return build_arguments(ctx.publish_through)
    previous = read_json(ctx.target_dir / BUILD_STATE_FILE)
    results = read_json(ctx.target_dir / "run_results.json")
    if previous is None or results is None:
        ctx.log.warning("resume_from_scratch", reason="no earlier build in this target directory")
        return build_arguments(ctx.publish_through)
    if ctx.publish_through is None:
        ctx.publish_through = previous.get("publish_through")
        ctx.summary.facts["publish_through"] = ctx.publish_through
    differences = [
        name
        for name, now, then in (
            ("extract", str(ctx.raw_dir), previous.get("raw_dir")),
            ("extract content", ctx.extract_fingerprint, previous.get("extract_fingerprint")),
            ("project code", ctx.logic_fingerprint, previous.get("logic_fingerprint")),
            ("period", ctx.publish_through, previous.get("publish_through")),
        )
        if now != then
    ]
    if differences:
        raise StepFailed(
            EXIT_CONFIGURATION,
            f"--resume continues the build of run {previous.get('run_id')}, which had another "
            f"{' and '.join(differences)} ({previous.get('raw_dir')}, "
            f"{previous.get('publish_through')}): run again without --resume",
        )
    invocation = (results.get("metadata") or {}).get("invocation_id")
    if not previous.get("finished") or previous.get("invocation_id") != invocation:
        ctx.log.warning(
            "resume_from_scratch",
            reason="the last build stopped before dbt wrote its results, or dbt ran since",
        )
        return build_arguments(ctx.publish_through)
    unfinished = [
        r["unique_id"]
        for r in results.get("results", [])
        if r["status"] in ("error", "fail", "skipped", "runtime error")
    ]
    if unfinished:
        ctx.log.info(
            "resume_with_retry", failed_run_id=previous.get("run_id"), nodes=len(unfinished)
        )
        return ["retry"]
    ctx.log.info("resume_publish_only", built_by_run_id=previous.get("run_id"))
    return None


def build(ctx: RunContext) -> None:
    """dbt build (or dbt retry on --resume): every model and every test must pass."""
    arguments = plan_build(ctx)
    state_path = ctx.target_dir / BUILD_STATE_FILE
    if arguments is None:
        ctx.built_before = True
        results = read_json(ctx.target_dir / "run_results.json") or {}
        ctx.summary.dbt = dbt_results(results)
        ctx.summary.gate(
            "dbt build",
            "passed",
            EXIT_DBT_BUILD,
            tests=ctx.summary.dbt["nodes"].get("test", {}),
            by_run=(read_json(state_path) or {}).get("run_id"),
        )
        return
    if arguments[0] == "build":
        reason = needs_full_refresh(ctx)
        if reason is not None:
            ctx.log.info("full_refresh", reason=reason)
            arguments = [*arguments, "--full-refresh"]
    write_json(
        state_path,
        {
            "run_id": ctx.run_id,
            "started_at": iso(utc_now()),
            "raw_dir": str(ctx.raw_dir),
            "extract_fingerprint": ctx.extract_fingerprint,
            "logic_fingerprint": ctx.logic_fingerprint,
            "publish_through": ctx.publish_through,
            "dbt_arguments": arguments,
            "finished": False,
        },
    )
    returncode = run_dbt(ctx, arguments)
    results = read_json(ctx.target_dir / "run_results.json") or {}
    state = read_json(state_path) or {}
    state.update(
        finished=True,
        dbt_exit_code=returncode,
        invocation_id=(results.get("metadata") or {}).get("invocation_id"),
    )
    write_json(state_path, state)
    ctx.summary.dbt = dbt_results(results)
    outcome = "passed" if returncode == 0 else "failed"
    ctx.summary.gate(
        "dbt build",
        outcome,
        EXIT_DBT_BUILD,
        tests=ctx.summary.dbt["nodes"].get("test", {}),
        failed=ctx.summary.dbt["failed"],
    )
    if returncode != 0:
        raise StepFailed(
            EXIT_DBT_BUILD,
            f"dbt {arguments[0]} failed (exit {returncode}; failed: "
            f"{', '.join(ctx.summary.dbt['failed']) or 'see the dbt log'}): nothing published, "
            "latest left as it was; fix the cause and run again with --resume",
        )
    record_built_logic(ctx)


def count_rows(ctx: RunContext) -> None:
    """Rows read, staged and quarantined, from the warehouse (for the summary only)."""
    from iclsc.publish.manifest import load_manifest
    from iclsc.warehouse import open_warehouse

    try:
        manifest = load_manifest(ctx.target_dir)
        with open_warehouse() as warehouse:
            ctx.summary.rows = warehouse_rows(manifest, warehouse)
    except Exception as error:  # the summary must not stop a publication
        ctx.log.warning("summary_rows_unavailable", error=f"{type(error).__name__}: {error}")
        ctx.summary.notes.append(f"rows not counted: {type(error).__name__}: {error}")


def attach_run_files(ctx: RunContext, release) -> None:
    """Release step: the run summary and the run's log so far, inside the release."""
    from iclsc.runs.summary import StepRecord

    ctx.summary.gate("publication", "passed", EXIT_PUBLICATION_GATE, violations={})
    ctx.summary.published = published_counts(release)
    snapshot = RunSummary(**{**ctx.summary.__dict__})
    snapshot.steps = [StepRecord(**s.__dict__) for s in ctx.summary.steps]
    for record in snapshot.steps:
        if record.outcome == "running":
            record.finished, record.outcome = utc_now(), "passed"
    snapshot.finish("published", EXIT_OK)
    # The release is public: no host, process id or absolute path (iclsc.runs.redact).
    directories = known_directories(
        publish_dir=ctx.publish_dir,
        log_dir=ctx.log_dir,
        target=ctx.target_dir,
        raw_dir=ctx.raw_dir,
        readable_dir=ctx.readable_dir,
    )
    write_public_json(snapshot.as_dict(), release.directory / SUMMARY_FILE, directories, indent=2)
    if ctx.log.path is not None:
        copy_public_jsonl(ctx.log.path, release.directory / RELEASE_LOG_FILE, directories)


def publish_release(ctx: RunContext) -> None:
    """Assembles the release, runs the publication gates, moves `latest`."""
    from iclsc.publish.manifest import ManifestError
    from iclsc.publish.release import GateError, publish

    count_rows(ctx)
    try:
        ctx.release_dir = publish(
            ctx.publish_dir,
            ctx.target_dir,
            ctx.release_id,
            extra_steps=[lambda release: attach_run_files(ctx, release)],
        )
    except GateError as error:
        violations = Counter(getattr(v, "gate", "other") for v in error.violations)
        ctx.summary.gate(
            "publication",
            "failed",
            EXIT_PUBLICATION_GATE,
            violations=dict(sorted(violations.items())),
        )
        raise StepFailed(EXIT_PUBLICATION_GATE, f"publication refused: {error}") from None
    except ManifestError as error:
        raise StepFailed(
            EXIT_CONFIGURATION, f"publication refused, the dbt metadata is incomplete: {error}"
        ) from None
    ctx.log.info("published", release_dir=ctx.release_dir, latest=ctx.publish_dir / "latest")


STEPS: list[Step] = [
    Step("prepare", prepare),
    Step("preflight", preflight),
    Step("expectations", raw_expectations),
    Step("load-raw", load_raw),
    Step("build", build),
    Step("publish", publish_release),
]


def step_index(name: str) -> int:
    """Where a step is in STEPS, to insert another before or after it."""
    return next(i for i, step in enumerate(STEPS) if step.name == name)


# --------------------------------------------------------------------------- the run


def warn_if_development_key(log: RunLog) -> None:
    if pseudonym.is_development_key():
        log.warning(
            "development_key",
            message="DEVELOPMENT PSEUDONYMISATION KEY IN USE: the key is public, so the "
            "pseudonyms of this run protect nothing. Synthetic data only; never real data.",
        )
        if sys.stderr.isatty():
            pseudonym.warn_if_development_key()


def clean_leftovers(ctx: RunContext) -> None:
    """What an interrupted publication left in the publish directory (we hold its lock)."""
    for leftover in sorted(ctx.publish_dir.glob(".incoming-*")) + sorted(
        ctx.publish_dir.glob(".latest-*")
    ):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink()
        else:
            shutil.rmtree(leftover, ignore_errors=True)
        ctx.log.warning("leftover_removed", path=leftover)


def new_run_id(started: datetime) -> str:
    return f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def log_root(args: argparse.Namespace) -> Path:
    return in_project(Path(args.log_dir or os.environ.get("ICLSC_LOG_DIR") or "logs/runs"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish-dir",
        type=Path,
        default=Path(os.environ.get("ICLSC_PUBLISH_DIR", "publication")),
        help="where releases go (ICLSC_PUBLISH_DIR, default publication)",
    )
    parser.add_argument("--release-id", default=None, help="default: the run's start, UTC")
    parser.add_argument(
        "--fiscal-year",
        type=int,
        default=None,
        help="publish what was closed as of this fiscal year's --period "
        "(ICLSC_FISCAL_YEAR; 2025 = 2025-2026); default: every closed period",
    )
    parser.add_argument(
        "--period", type=int, default=None, help="financial period 1-13 (ICLSC_PERIOD)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the last failed build with dbt retry, then publish",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="run logs and summaries, one folder per run (ICLSC_LOG_DIR, default logs/runs)",
    )


def _on_signal(signum, frame) -> None:
    raise Interrupted(signum)


def with_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """The command's defaults for what a caller's Namespace leaves out (tests, other code)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for name, value in vars(parser.parse_args([])).items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return args


def check_configuration() -> None:
    """What is refused before the lock, touching nothing: a real extract, missing or keyless."""
    from iclsc import engines

    try:
        engines.target_name()
    except engines.EngineError as error:
        raise StepFailed(EXIT_CONFIGURATION, str(error)) from None
    raw_dir, is_sample = resolve_raw_dir()
    if is_sample:
        return
    if not os.environ.get(pseudonym.KEY_ENV):
        raise StepFailed(EXIT_CONFIGURATION, MISSING_KEY)
    if not raw_dir.is_dir():
        raise StepFailed(EXIT_CONFIGURATION, f"the extract directory {raw_dir} does not exist")


def run(args: argparse.Namespace) -> int:
    args = with_defaults(args)
    started = utc_now()
    run_id = new_run_id(started)
    log_dir = log_root(args) / run_id
    log = RunLog(run_id, log_dir / RUN_LOG_FILE)
    command = ["python -m iclsc run", *sys.argv[2:]] if sys.argv[1:2] == ["run"] else sys.argv
    summary = RunSummary(run_id, started, command)
    publish_dir = in_project(args.publish_dir).resolve()
    log.info("run_started", pid=os.getpid(), host=socket.gethostname(), log_dir=log_dir)
    try:
        publish_through = publish_through_from(args)
        check_configuration()
    except StepFailed as failure:
        log.error("configuration", message=str(failure))
        return finish(log, summary, log_dir, "failed", failure.exit_code)
    summary.facts.update(
        mode="resume" if args.resume else "build",
        publish_through=publish_through,
        publish_dir=str(publish_dir),
    )
    if publish_through is not None:
        describe_period(log, publish_through)

    release_id = args.release_id or new_release_id(publish_dir, started)
    details = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": iso(started),
        "run_id": run_id,
        "release_dir": str(publish_dir / release_id),
        "command": " ".join(command),
        "log": str(log.path),
    }
    lock = RunLock(lock_paths(publish_dir, target_dir()), details)
    try:
        lock.acquire()
    except LockHeld as held:
        log.error("locked", message=str(held), lock=held.path, holder=held.holder)
        return finish(log, summary, log_dir, "refused: another run in progress", EXIT_LOCKED)
    except OSError as error:  # a file system without locks, or no right to write there
        log.error("lock_unavailable", error=f"{type(error).__name__}: {error}")
        return finish(log, summary, log_dir, "error", EXIT_UNEXPECTED)

    global _active_log
    _active_log = log
    previous_handlers = install_signal_handlers()
    ctx = RunContext(
        run_id=run_id,
        started=started,
        publish_dir=publish_dir,
        target_dir=target_dir(),
        release_id=release_id,
        publish_through=publish_through,
        resume=args.resume,
        log=log,
        summary=summary,
        log_dir=log_dir,
        lock=lock,
    )
    summary.facts["release"] = {"id": release_id, "dir": str(publish_dir / release_id)}
    try:
        for stale in lock.stale:
            log.warning("stale_lock_cleared", message=stale_message(stale), previous=stale)
        clean_leftovers(ctx)
        if (publish_dir / release_id).exists():
            raise StepFailed(EXIT_CONFIGURATION, f"release {publish_dir / release_id} exists")
        return run_steps(ctx)
    except StepFailed as failure:
        log.error("configuration", message=str(failure))
        return finish(log, summary, log_dir, "failed", failure.exit_code)
    except (Interrupted, KeyboardInterrupt) as stop:
        return finish(log, summary, log_dir, "interrupted", interrupted(log, stop, None))
    finally:
        _active_log = None
        restore_signal_handlers(previous_handlers)
        lock.release()


def run_steps(ctx: RunContext) -> int:
    for step in STEPS:
        record = ctx.summary.start_step(step.name)
        try:
            ctx.log.info("step_started", step=step.name)
            if ctx.lock:
                ctx.lock.update(step=step.name)
            step.function(ctx)
        except StepFailed as failure:
            ctx.summary.end_step(record, "failed", failure.exit_code)
            ctx.log.error(
                "step_failed", step=step.name, exit_code=failure.exit_code, message=str(failure)
            )
            return finish(ctx.log, ctx.summary, ctx.log_dir, "failed", failure.exit_code)
        except (Interrupted, KeyboardInterrupt) as stop:
            code = interrupted(ctx.log, stop, step.name)
            ctx.summary.end_step(record, "interrupted", code)
            return finish(ctx.log, ctx.summary, ctx.log_dir, "interrupted", code)
        except Exception as error:
            ctx.summary.end_step(record, "error", EXIT_UNEXPECTED)
            ctx.log.error(
                "step_error",
                step=step.name,
                error=f"{type(error).__name__}: {error}",
                traceback=traceback.format_exc(),
            )
            return finish(ctx.log, ctx.summary, ctx.log_dir, "error", EXIT_UNEXPECTED)
        ctx.summary.end_step(record, "passed")
        ctx.log.info(
            "step_finished", step=step.name, duration_seconds=record.as_dict()["duration_seconds"]
        )
    warn_if_development_key(ctx.log)
    return finish(ctx.log, ctx.summary, ctx.log_dir, "published", EXIT_OK)


def interrupted(log: RunLog, stop: BaseException, step: str | None) -> int:
    """Logs a stop by signal; the exit code 128 + the signal's number."""
    signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
    log.error("interrupted", step=step, signal=signal.Signals(signum).name)
    return EXIT_SIGNAL_BASE + int(signum)


def finish(log: RunLog, summary: RunSummary, log_dir: Path, outcome: str, code: int) -> int:
    summary.finish(outcome, code)
    summary.write(log_dir / SUMMARY_FILE)
    log.event(
        "run_finished",
        "info" if code == EXIT_OK else "error",
        outcome=outcome,
        exit_code=code,
        duration_seconds=summary.as_dict()["duration_seconds"],
        summary=log_dir / SUMMARY_FILE,
    )
    log.close()
    return code


def describe_period(log: RunLog, publish_through: dict) -> None:
    from iclsc.fiscal import fiscal_periods

    period = fiscal_periods(publish_through["fiscal_year"])[publish_through["period"] - 1]
    log.info(
        "publish_through",
        fiscal_year=period.label,
        period=period.period,
        period_end=period.end_date.isoformat(),
    )
    if period.end_date >= date.today():
        log.warning(
            "period_not_over",
            message=f"period {period.period} of {period.label} ends on {period.end_date}: "
            "nothing of it can be closed yet",
        )


def new_release_id(publish_dir: Path, started: datetime) -> str:
    from iclsc.publish.release import new_release_id as next_free

    return next_free(publish_dir, started)


def install_signal_handlers() -> dict:
    handlers = {}
    # signal.signal fails outside the main thread (an orchestrator calling run() in a worker).
    with contextlib.suppress(ValueError):
        handlers[signal.SIGTERM] = signal.signal(signal.SIGTERM, _on_signal)
    return handlers


def restore_signal_handlers(handlers: dict) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
