"""Unattended runs: the lock, period runs, logs and summary, resume, state-aware builds.

The end-to-end tests run `python -m iclsc run` in subprocesses on a tiny extract, each
workspace (warehouse, dbt target, logs, releases) in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iclsc import pipeline, project_dir
from iclsc.pipeline import EXIT_CONFIGURATION, EXIT_DBT_BUILD, EXIT_LOCKED, EXIT_OK
from iclsc.runs.lock import LockHeld, RunLock, lock_in
from iclsc.runs.log import RunLog

DEV_KEY = "iclsc-development-key-NOT-FOR-REAL-DATA"

# A run whose first step waits while a file exists: the test decides when it goes on. It
# also shows how a feature adds a step (pipeline.STEPS).
HELD_RUN = """
import os, sys, time
from pathlib import Path
from iclsc import cli, pipeline

def hold(ctx):
    hold_file = Path(os.environ["ICLSC_TEST_HOLD_FILE"])
    ctx.log.info("holding", hold_file=hold_file)
    deadline = time.monotonic() + 600
    while hold_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)

pipeline.STEPS.insert(0, pipeline.Step("hold", hold))
sys.exit(cli.main(["run", *sys.argv[1:]]))
"""

# A run whose extract loses its installations file just before dbt reads it.
LOSING_RUN = """
import os, sys
from pathlib import Path
from iclsc import cli, pipeline

def lose_file(ctx):
    readable = Path(ctx.env["ICLSC_RAW_DIR"])
    (readable / "installations.csv").rename(sys.argv[1])

pipeline.STEPS.insert(pipeline.step_index("build"), pipeline.Step("lose-file", lose_file))
sys.exit(cli.main(["run"]))
"""

# Takes a lock, starts a child that inherits it (as dbt does), then dies without cleanup.
ORPHANING_RUN = """
import os, subprocess, sys
from pathlib import Path
from iclsc.runs.lock import RunLock

lock = RunLock([Path(sys.argv[1])], {"pid": os.getpid(), "host": sys.argv[2], "run_id": "crashed"})
lock.acquire()
child = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)"],
    pass_fds=lock.fds,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
print(child.pid, flush=True)
os._exit(9)
"""


# --------------------------------------------------------------------------- helpers


def events(text: str) -> list[dict]:
    """Every stderr line of a run is a JSON object (the structured log)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def named(found: list[dict], event: str) -> list[dict]:
    return [e for e in found if e["event"] == event]


def releases(publish_dir: Path) -> list[Path]:
    return sorted(
        p for p in publish_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "latest"))
    )


class Workspace:
    def __init__(self, root: Path, raw_dir: Path):
        self.root = root
        self.raw_dir = raw_dir
        self.publish_dir = root / "publication"
        self.target_dir = root / "target"
        self.log_dir = root / "logs"
        self.env = dict(os.environ)
        self.env.update(
            ICLSC_RAW_DIR=str(raw_dir),
            ICLSC_PSEUDO_KEY=DEV_KEY,
            ICLSC_DUCKDB_PATH=str(root / "warehouse" / "iclsc.duckdb"),
            ICLSC_DUCKDB_MEMORY_LIMIT="2GB",
            ICLSC_PUBLISH_DIR=str(self.publish_dir),
            ICLSC_LOG_DIR=str(self.log_dir),
            DBT_TARGET_PATH=str(self.target_dir),
            DBT_PROFILES_DIR=str(project_dir() / "profiles"),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        for name in ("ICLSC_FISCAL_YEAR", "ICLSC_PERIOD", "ICLSC_TARGET"):
            self.env.pop(name, None)

    def run(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "iclsc", "run", *args],
            env={**self.env, **(env or {})},
            cwd=project_dir(),
            capture_output=True,
            text=True,
            timeout=900,
        )

    def start_held(self, hold_file: Path, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", HELD_RUN, *args],
            env={**self.env, "ICLSC_TEST_HOLD_FILE": str(hold_file)},
            cwd=project_dir(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ensure_release(self) -> Path:
        if not (self.publish_dir / "latest").exists():
            done = self.run()
            assert done.returncode == EXIT_OK, done.stderr[-3000:]
        return (self.publish_dir / "latest").resolve()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_extract) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("workspace"), tiny_extract)


def wait_first_exit(processes: list[subprocess.Popen], timeout: float) -> subprocess.Popen:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                return process
        time.sleep(0.05)
    for process in processes:
        process.kill()
    raise AssertionError("no run exited: the second run did not refuse")


# --------------------------------------------------------------------------- the lock


def test_a_held_lock_refuses_and_names_its_holder(tmp_path):
    details = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": "2026-05-02T06:00:00Z",
        "run_id": "first",
        "release_dir": "/srv/releases/20260502T060000Z",
    }
    paths = [tmp_path / "a.lock", tmp_path / "b.lock"]
    with RunLock(paths, details):
        with pytest.raises(LockHeld) as refused:
            RunLock(list(reversed(paths)), {"pid": 1, "run_id": "second"}).acquire()
        message = str(refused.value)
        for expected in (str(os.getpid()), "(alive)", socket.gethostname(), "first"):
            assert expected in message
        assert "2026-05-02T06:00:00Z" in message and "20260502T060000Z" in message
        # The refused run left the holder's details as they were.
        assert json.loads(paths[0].read_text())["run_id"] == "first"
    # Released: empty files, free for the next run, which finds nothing stale.
    assert paths[0].read_text() == ""
    with RunLock(paths, {"run_id": "third"}) as third:
        assert third.stale == []


def test_a_lock_left_by_a_dead_run_is_cleared_and_reported(tmp_path):
    path = tmp_path / "run.lock"
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys\nfrom pathlib import Path\nfrom iclsc.runs.lock import RunLock\n"
            "RunLock([Path(sys.argv[1])], {'pid': os.getpid(), 'host': sys.argv[2],"
            " 'run_id': 'crashed'}).acquire()\nos._exit(9)",
            str(path),
            socket.gethostname(),
        ],
        check=False,
    )
    assert crashed.returncode == 9
    assert json.loads(path.read_text())["run_id"] == "crashed"  # the dead run's details stay
    with RunLock([path], {"run_id": "next"}) as lock:
        assert [s["run_id"] for s in lock.stale] == ["crashed"]
        assert json.loads(path.read_text())["run_id"] == "next"
    from iclsc.runs.lock import stale_message

    assert "no longer alive" in stale_message(lock.stale[0])


def test_a_child_of_a_dead_run_keeps_the_lock(tmp_path):
    """A run killed while dbt runs must not let another run write beside that dbt."""
    path = tmp_path / "run.lock"
    parent = subprocess.run(
        [sys.executable, "-c", ORPHANING_RUN, str(path), socket.gethostname()],
        capture_output=True,
        text=True,
        check=False,
    )
    child_pid = int(parent.stdout.split()[0])
    try:
        with pytest.raises(LockHeld) as refused:
            RunLock([path], {"run_id": "next"}).acquire()
        assert "no longer alive" in str(refused.value)
        assert "still runs" in str(refused.value)
    finally:
        os.kill(child_pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:  # the orphan is reparented; the kernel frees the lock once it is reaped
        try:
            lock = RunLock([path], {"run_id": "next"}).acquire()
            break
        except LockHeld:
            assert time.monotonic() < deadline, "the lock outlived every process holding it"
            time.sleep(0.1)
    assert [s["run_id"] for s in lock.stale] == ["crashed"]
    lock.release()


# --------------------------------------------------------------------------- in-process runs


def run_args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    return parser.parse_args(
        ["--publish-dir", str(tmp_path / "pub"), "--log-dir", str(tmp_path / "logs"), *extra]
    )


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("ICLSC_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("ICLSC_FISCAL_YEAR", raising=False)
    monkeypatch.delenv("ICLSC_PERIOD", raising=False)


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        (["--period", "3"], {}, "both the fiscal year and the period"),
        (["--fiscal-year", "2025", "--period", "14"], {}, "between 1 and 13"),
        ([], {"ICLSC_FISCAL_YEAR": "2025", "ICLSC_PERIOD": "P3"}, "not a whole number"),
        ([], {"ICLSC_FISCAL_YEAR": "25", "ICLSC_PERIOD": "3"}, "is not a start year"),
    ],
)
def test_a_bad_period_is_a_configuration_error(
    tmp_path, monkeypatch, quiet_env, capsys, flags, env, expected
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert pipeline.run(run_args(tmp_path, *flags)) == EXIT_CONFIGURATION
    logged = events(capsys.readouterr().err)
    assert expected in named(logged, "configuration")[0]["message"]
    assert not (tmp_path / "pub").exists()  # refused before touching anything


def test_the_period_comes_from_flags_or_environment(monkeypatch):
    args = argparse.Namespace(fiscal_year=None, period=None)
    monkeypatch.setenv("ICLSC_FISCAL_YEAR", "2025")
    monkeypatch.setenv("ICLSC_PERIOD", "13")
    assert pipeline.publish_through_from(args) == {"fiscal_year": 2025, "period": 13}
    args = argparse.Namespace(fiscal_year=2024, period=7)
    assert pipeline.publish_through_from(args) == {"fiscal_year": 2024, "period": 7}
    assert pipeline.build_arguments({"fiscal_year": 2024, "period": 7}) == [
        "build",
        "--vars",
        '{"publish_through": {"fiscal_year": 2024, "period": 7}}',
        "--exclude",
        "resource_type:unit_test",
    ]


def test_a_run_clears_what_a_crashed_run_left(tmp_path, monkeypatch, quiet_env, capsys):
    publish_dir = tmp_path / "pub"
    (publish_dir / ".incoming-20260101T000000Z").mkdir(parents=True)
    (publish_dir / ".incoming-20260101T000000Z" / "half.csv").write_text("a\n")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    crashed = {"pid": int(dead.stdout), "host": socket.gethostname(), "run_id": "crashed"}
    lock_in(publish_dir).write_text(json.dumps(crashed))
    ran = []

    def step(ctx):
        ran.append(ctx)
        pipeline.log("a step without its context logs too", rows=3)

    monkeypatch.setattr(pipeline, "STEPS", [pipeline.Step("noop", step)])
    assert pipeline.run(run_args(tmp_path)) == EXIT_OK
    logged = events(capsys.readouterr().err)
    message = named(logged, "message")[0]
    assert message["rows"] == 3 and message["run_id"] == ran[0].run_id
    assert "crashed" in named(logged, "stale_lock_cleared")[0]["message"]
    assert named(logged, "leftover_removed")
    assert not list(publish_dir.glob(".incoming-*"))
    assert lock_in(publish_dir).read_text() == ""
    assert len(ran) == 1


def test_publish_alone_takes_the_same_lock(tmp_path, quiet_env, capsys):
    from iclsc import publish

    publish_dir = tmp_path / "pub"
    args = argparse.Namespace(publish_dir=publish_dir, target_dir=None, release_id=None)
    with RunLock([lock_in(publish_dir)], {"pid": os.getpid(), "run_id": "scheduled"}):
        assert publish.run(args) == EXIT_LOCKED
    assert "scheduled" in capsys.readouterr().err
    assert releases(publish_dir) == []


def resume_context(tmp_path: Path, results: list[tuple[str, str]], **state) -> pipeline.RunContext:
    """A --resume run over a target directory whose last build is described by `state`."""
    import io

    from iclsc.runs.log import utc_now
    from iclsc.runs.summary import RunSummary

    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "installations.csv").write_text("code_installation\n")
    target = tmp_path / "target"
    ctx = pipeline.RunContext(
        run_id="now",
        started=utc_now(),
        publish_dir=tmp_path / "pub",
        target_dir=target,
        release_id="r",
        publish_through=None,
        resume=True,
        log=RunLog("now", None, stream=io.StringIO()),
        summary=RunSummary("now", utc_now(), []),
        log_dir=tmp_path / "logs",
        raw_dir=raw,
        extract_fingerprint=pipeline.extract_fingerprint(raw),
        logic_fingerprint=pipeline.logic_fingerprint(),
    )
    built = {
        "run_id": "failed",
        "raw_dir": str(raw),
        "extract_fingerprint": ctx.extract_fingerprint,
        "logic_fingerprint": ctx.logic_fingerprint,
        "publish_through": {"fiscal_year": 2025, "period": 13},
        "finished": True,
        "invocation_id": "i1",
        **state,
    }
    pipeline.write_json(target / pipeline.BUILD_STATE_FILE, built)
    pipeline.write_json(
        target / "run_results.json",
        {
            "metadata": {"invocation_id": "i1"},
            "results": [{"unique_id": u, "status": status} for u, status in results],
        },
    )
    return ctx


FAILED_BUILD = [("seed.a", "success"), ("model.b", "error"), ("test.c", "skipped")]
FULL_BUILD = [
    "build",
    "--vars",
    '{"publish_through": {"fiscal_year": 2025, "period": 13}}',
    "--exclude",
    "resource_type:unit_test",
]


def test_resume_retries_a_failed_build_with_its_period(tmp_path):
    ctx = resume_context(tmp_path, FAILED_BUILD)
    assert pipeline.plan_build(ctx) == ["retry"]
    assert ctx.publish_through == {"fiscal_year": 2025, "period": 13}


def test_resume_publishes_a_build_that_passed(tmp_path):
    ctx = resume_context(tmp_path, [("seed.a", "success"), ("test.c", "pass")])
    assert pipeline.plan_build(ctx) is None


@pytest.mark.parametrize(
    "state", [{"finished": False}, {"invocation_id": "another dbt command since"}]
)
def test_resume_builds_again_when_the_last_build_cannot_be_continued(tmp_path, state):
    ctx = resume_context(tmp_path, FAILED_BUILD, **state)
    assert pipeline.plan_build(ctx) == FULL_BUILD


def test_resume_refuses_an_extract_that_changed(tmp_path):
    ctx = resume_context(tmp_path, FAILED_BUILD)
    (ctx.raw_dir / "transmissions.csv").write_text("id_transmission\n")
    ctx.extract_fingerprint = pipeline.extract_fingerprint(ctx.raw_dir)
    with pytest.raises(pipeline.StepFailed) as refused:
        pipeline.plan_build(ctx)
    assert refused.value.exit_code == EXIT_CONFIGURATION
    assert "extract content" in str(refused.value)


def test_resume_refuses_a_build_of_other_project_code(tmp_path):
    ctx = resume_context(tmp_path, FAILED_BUILD, logic_fingerprint="code of another version")
    with pytest.raises(pipeline.StepFailed) as refused:
        pipeline.plan_build(ctx)
    assert refused.value.exit_code == EXIT_CONFIGURATION
    assert "project code" in str(refused.value)


def test_a_build_of_changed_code_rebuilds_from_scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLSC_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    ctx = resume_context(tmp_path, FAILED_BUILD)
    assert "no build of this warehouse" in pipeline.needs_full_refresh(ctx)
    pipeline.record_built_logic(ctx)
    assert pipeline.needs_full_refresh(ctx) is None
    # another warehouse built from the same target directory is not on record
    monkeypatch.setenv("ICLSC_DUCKDB_PATH", str(tmp_path / "other.duckdb"))
    assert "no build of this warehouse" in pipeline.needs_full_refresh(ctx)
    monkeypatch.setenv("ICLSC_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    ctx.logic_fingerprint = "the code after an upgrade"
    assert "project code changed" in pipeline.needs_full_refresh(ctx)


def test_the_logic_fingerprint_follows_the_models_not_the_docs(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "project_dir", lambda: tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.sql").write_text("select 1 as a\n")
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    first = pipeline.logic_fingerprint()
    (tmp_path / "README.md").write_text("changed prose\n")
    assert pipeline.logic_fingerprint() == first
    (tmp_path / "models" / "m.sql").write_text("select 2 as a\n")
    assert pipeline.logic_fingerprint() != first


def test_dbt_output_becomes_log_events(tmp_path):
    log_path = tmp_path / "run.jsonl"
    log = RunLog("r1", log_path, stream=open(os.devnull, "w"))  # noqa: SIM115
    line = json.dumps(
        {
            "info": {"name": "LogModelResult", "level": "error", "msg": "\x1b[31mERROR\x1b[0m x"},
            "data": {"node_info": {"unique_id": "model.iclsc.x", "node_status": "error"}},
        }
    )
    pipeline.relay_dbt_line(log, line)
    pipeline.relay_dbt_line(log, json.dumps({"info": {"name": "Debug", "level": "debug"}}))
    pipeline.relay_dbt_line(log, "not json")
    log.close()
    logged = events(log_path.read_text())
    assert [e["event"] for e in logged] == ["dbt", "dbt_output"]
    assert logged[0]["level"] == "error" and logged[0]["msg"] == "ERROR x"
    assert logged[0]["node"] == "model.iclsc.x" and logged[0]["run_id"] == "r1"


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_two_runs_started_together_one_publishes_the_other_refuses(workspace, tmp_path):
    # A release published earlier: `latest` must survive the refused run untouched.
    publish_dir = workspace.publish_dir
    earlier = publish_dir / "20000101T000000Z"
    earlier.mkdir(parents=True)
    (earlier / "datapackage.json").write_text('{"id": "earlier"}\n')
    (publish_dir / "latest").symlink_to(earlier.name, target_is_directory=True)

    hold_file = tmp_path / "hold"
    hold_file.touch()
    first = workspace.start_held(hold_file, "--fiscal-year", "2025", "--period", "13")
    second = workspace.start_held(hold_file, "--fiscal-year", "2025", "--period", "13")
    try:
        loser = wait_first_exit([first, second], timeout=120)
        winner = second if loser is first else first
        _, loser_err = loser.communicate(timeout=30)
        assert loser.returncode == EXIT_LOCKED, loser_err[-3000:]
        assert winner.poll() is None  # refused while the winner still runs: it did not wait

        refusal = named(events(loser_err), "locked")[0]
        assert refusal["level"] == "error"
        assert refusal["holder"]["pid"] == winner.pid
        for expected in (f"pid {winner.pid}", socket.gethostname(), "started", "release"):
            assert expected in refusal["message"]
        # The refused run harmed nothing: the winner's lock details, the earlier release,
        # `latest`, the dbt target are as they were.
        lock_details = json.loads(lock_in(publish_dir).read_text())
        assert lock_details["pid"] == winner.pid
        assert (publish_dir / "latest").resolve() == earlier.resolve()
        assert (earlier / "datapackage.json").read_text() == '{"id": "earlier"}\n'
        assert not (workspace.target_dir / pipeline.BUILD_STATE_FILE).exists()
        assert releases(publish_dir) == [earlier]
    finally:
        hold_file.unlink(missing_ok=True)
    _, winner_err = winner.communicate(timeout=900)
    assert winner.returncode == EXIT_OK, winner_err[-3000:]

    new = [r for r in releases(publish_dir) if r != earlier]
    assert len(new) == 1
    release = new[0]
    assert (publish_dir / "latest").resolve() == release.resolve()
    assert (earlier / "datapackage.json").read_text() == '{"id": "earlier"}\n'
    assert release.name == lock_details["release_dir"].rsplit("/", 1)[-1]
    assert lock_in(publish_dir).read_text() == ""  # released

    # The run summary and the log ship with the release.
    summary = json.loads((release / pipeline.SUMMARY_FILE).read_text())
    assert summary["outcome"] == "published"
    assert summary["publish_through"] == {"fiscal_year": 2025, "period": 13}
    steps = [s["name"] for s in summary["steps"]]
    assert steps[0] == "hold" and steps[-1] == "publish"
    assert steps.index("prepare") < steps.index("build") < steps.index("publish")
    assert all(s["outcome"] == "passed" and s["duration_seconds"] >= 0 for s in summary["steps"])
    gates = {g["name"]: g["outcome"] for g in summary["gates"]}
    assert {"dbt build", "publication"} <= gates.keys()
    assert set(gates.values()) == {"passed"}
    assert {g["name"]: g["exit_code"] for g in summary["gates"]}["dbt build"] == EXIT_DBT_BUILD
    assert summary["dbt"]["nodes"]["test"]["pass"] > 0
    totals = summary["rows"]["total"]
    assert totals["rows_read"] == sum(
        totals[f] for f in ("rows_staged", "rows_quarantined", "rows_superseded", "rows_duplicate")
    )
    assert totals["rows_read"] > 0
    resource = summary["published"]["resources"]["services-annuels"]
    csv_lines = (release / "services-annuels.csv").read_text().splitlines()
    assert resource["rows"] == len(csv_lines) - 1
    assert resource["cells_withheld"] == sum(",true," in line for line in csv_lines)
    assert resource["cells_withheld"] > 0
    logged = events((release / pipeline.RELEASE_LOG_FILE).read_text())
    assert {e["run_id"] for e in logged} == {summary["run_id"]}
    assert named(logged, "dbt") and named(logged, "step_finished")
    # The last record of the run (after the release was assembled) is in the run's log dir.
    final = json.loads((workspace.log_dir / summary["run_id"] / pipeline.SUMMARY_FILE).read_text())
    assert final["outcome"] == "published" and final["exit_code"] == EXIT_OK
    # The manifest that built it, for state-aware builds.
    assert json.loads((release / "dbt-state" / "manifest.json").read_text())["nodes"]
    # The release is public: it names no directory of the machine, its host or processes;
    # the run's own log keeps them for the operators.
    machine = [str(workspace.root), str(workspace.raw_dir), str(project_dir())]
    for public in (pipeline.SUMMARY_FILE, pipeline.RELEASE_LOG_FILE, "dbt-state/manifest.json"):
        text = (release / public).read_text()
        assert not [m for m in machine if m in text], public
        assert '"host"' not in text and '"pid"' not in text, public
    assert "<publish_dir>" in (release / pipeline.SUMMARY_FILE).read_text()
    private = (workspace.log_dir / summary["run_id"] / pipeline.RUN_LOG_FILE).read_text()
    assert str(workspace.raw_dir) in private and '"host"' in private
    run_results = json.loads((workspace.target_dir / "run_results.json").read_text())
    assert run_results["args"]["vars"] == {"publish_through": {"fiscal_year": 2025, "period": 13}}


@pytest.mark.slow
def test_the_same_input_gives_the_same_release(workspace):
    before = workspace.ensure_release()
    period = json.loads((before / pipeline.SUMMARY_FILE).read_text())["publish_through"]
    flags = []
    if period:
        flags = ["--fiscal-year", str(period["fiscal_year"]), "--period", str(period["period"])]
    again = workspace.run(*flags)
    assert again.returncode == EXIT_OK, again.stderr[-3000:]
    # same code, same warehouse: the incremental models keep their partitions
    assert named(events(again.stderr), "full_refresh") == []
    after = (workspace.publish_dir / "latest").resolve()
    assert after != before
    first = json.loads((before / "datapackage.json").read_text())
    second = json.loads((after / "datapackage.json").read_text())
    # A release diff (`iclsc:previous`) compares with the release before it: the second run's
    # diff says that nothing changed. Every other resource is the same, byte for byte.
    diffs = {r["name"] for r in first["resources"] if "iclsc:previous" in r}
    data = [r for r in first["resources"] if r["name"] not in diffs]
    assert data and data == [r for r in second["resources"] if r["name"] not in diffs]
    for resource in data:
        assert (after / resource["path"]).read_bytes() == (before / resource["path"]).read_bytes()
    for parquet in before.glob("parquet/*"):
        assert (after / "parquet" / parquet.name).read_bytes() == parquet.read_bytes()
    for resource in (r for r in second["resources"] if r["name"] in diffs):
        assert len((after / resource["path"]).read_text().splitlines()) == 1  # header only
    assert {key for key in first if first[key] != second[key]} <= {
        "id",
        "version",
        "created",
        "resources",  # the release diff only, checked above
        "iclsc:files",  # documents and run files that name the release or the run
    }


def test_a_warehouse_built_by_older_code_is_rebuilt_not_refused(workspace):
    """An upgrade changes an incremental model's columns: the scheduled run after it must
    not fail on dbt's schema check (nor keep partitions computed by the older logic)."""
    import duckdb

    workspace.ensure_release()
    warehouse = Path(workspace.env["ICLSC_DUCKDB_PATH"])
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table intermediate.int_person_years drop column source_fingerprint")
    state_path = workspace.target_dir / pipeline.WAREHOUSE_STATE_FILE
    state = json.loads(state_path.read_text())
    assert len(state) == 1, state
    for built in state.values():
        built["logic_fingerprint"] = "the code before the upgrade"
    state_path.write_text(json.dumps(state))

    done = workspace.run()
    assert done.returncode == EXIT_OK, done.stderr[-3000:]
    refreshed = named(events(done.stderr), "full_refresh")
    assert refreshed and "project code changed" in refreshed[0]["reason"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'intermediate' and table_name = 'int_person_years'"
            ).fetchall()
        }
    assert "source_fingerprint" in columns


@pytest.mark.slow
def test_a_failed_build_resumes_with_dbt_retry(workspace, tmp_path):
    workspace.ensure_release()
    latest = (workspace.publish_dir / "latest").resolve()
    before = releases(workspace.publish_dir)
    # The installations file goes missing after the checks of the extract and before dbt
    # reads it (the storage failed): staging fails, downstream is skipped.
    raw_dir = tmp_path / "raw"
    shutil.copytree(workspace.raw_dir, raw_dir)
    failed = subprocess.run(
        [sys.executable, "-c", LOSING_RUN, str(tmp_path / "installations.csv")],
        env={**workspace.env, "ICLSC_RAW_DIR": str(raw_dir)},
        cwd=project_dir(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert failed.returncode == EXIT_DBT_BUILD, failed.stderr[-3000:]
    failure = named(events(failed.stderr), "step_failed")[0]
    assert "base_iclsc__installations" in failure["message"]
    assert (workspace.publish_dir / "latest").resolve() == latest
    assert releases(workspace.publish_dir) == before
    full = json.loads((workspace.target_dir / "run_results.json").read_text())

    (tmp_path / "installations.csv").rename(raw_dir / "installations.csv")
    resumed = workspace.run("--resume", env={"ICLSC_RAW_DIR": str(raw_dir)})
    assert resumed.returncode == EXIT_OK, resumed.stderr[-3000:]
    logged = events(resumed.stderr)
    assert named(logged, "resume_with_retry")
    assert named(logged, "dbt_started")[0]["arguments"] == ["retry"]
    retried = json.loads((workspace.target_dir / "run_results.json").read_text())
    retried_ids = {r["unique_id"] for r in retried["results"]}
    # Hooks (operations) run on every dbt invocation, a retry included.
    succeeded_before = {
        r["unique_id"]
        for r in full["results"]
        if r["status"] == "success" and not r["unique_id"].startswith("operation.")
    }
    assert "model.iclsc.base_iclsc__installations" in retried_ids
    assert not retried_ids & succeeded_before  # what had passed was not rebuilt
    assert (workspace.publish_dir / "latest").resolve() not in before


@pytest.mark.slow
def test_resume_refuses_another_period(workspace):
    workspace.ensure_release()
    refused = workspace.run("--resume", "--fiscal-year", "2024", "--period", "2")
    assert refused.returncode == EXIT_CONFIGURATION
    assert (
        "run again without --resume" in named(events(refused.stderr), "step_failed")[0]["message"]
    )


def test_a_terminated_run_stops_cleanly(workspace, tmp_path):
    hold_file = tmp_path / "hold"
    hold_file.touch()
    held = workspace.start_held(hold_file)
    try:
        deadline = time.monotonic() + 120
        details: dict = {}
        while details.get("step") != "hold":  # the run holds its lock and waits in its step
            assert time.monotonic() < deadline and held.poll() is None
            time.sleep(0.05)
            text = (
                lock_in(workspace.publish_dir).read_text() if workspace.publish_dir.exists() else ""
            )
            details = json.loads(text) if text.strip() else {}
        held.send_signal(signal.SIGTERM)
        _, err = held.communicate(timeout=60)
    finally:
        hold_file.unlink(missing_ok=True)
    assert held.returncode == 128 + signal.SIGTERM
    assert named(events(err), "interrupted")[0]["signal"] == "SIGTERM"
    assert lock_in(workspace.publish_dir).read_text() == ""
    summary = json.loads(
        (workspace.log_dir / details["run_id"] / pipeline.SUMMARY_FILE).read_text()
    )
    assert summary["outcome"] == "interrupted"


# --------------------------------------------------------------------------- state


@pytest.mark.slow
def test_state_selects_only_what_changed_since_the_release(workspace, tmp_path):
    release = workspace.ensure_release()
    state_dir = release / "dbt-state"
    # Another environment: another extract directory and another warehouse file name.
    elsewhere = {
        "ICLSC_RAW_DIR": str(tmp_path / "another" / "raw"),
        "ICLSC_DUCKDB_PATH": str(tmp_path / "dev.duckdb"),
    }

    def changed(project: Path) -> set[str]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "iclsc",
                "changed",
                "--state",
                str(state_dir),
                "--list",
                "--",
                "--output",
                "name",
            ],
            env={**workspace.env, **elsewhere, "ICLSC_PROJECT_DIR": str(project)},
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return {line.strip() for line in done.stdout.splitlines() if line.strip()}

    assert changed(project_dir()) == set()

    copy = tmp_path / "project"
    for name in ("models", "macros", "seeds", "tests/dbt", "profiles", "analyses"):
        if (project_dir() / name).exists():
            shutil.copytree(project_dir() / name, copy / name)
    shutil.copy(project_dir() / "dbt_project.yml", copy)
    model = copy / "models" / "intermediate" / "int_fiscal_years_closed.sql"
    text = model.read_text()
    assert "count(*) as n_periods_present" in text
    model.write_text(
        text.replace("count(*) as n_periods_present", "count(period) as n_periods_present")
    )
    selected = changed(copy)
    assert {"int_fiscal_years_closed", "services_residence_cells", "exp_services_annuels"} <= (
        selected
    )
    assert not {name for name in selected if name.startswith(("stg_", "base_"))}
    assert "int_periods_closed" not in selected
