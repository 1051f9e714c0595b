"""`scripts/bench`: the real-scale benchmark (issue 7). A benchmark, not a test: it prints
what it measured and exits 1 when a target is missed, but nothing in CI runs it.

In one invocation, on one full extract (`python -m iclsc generate --scale full`, or an
existing one with --reuse):

1. the reference pass: one DuckDB query that reads every interventions CSV of the extract
   and counts distinct users and distinct providers per installation x month x programme;
2. the full build: `./scripts/run` (the real main job: preflight, expectations, dbt build,
   publication) on a fresh warehouse; target: at most 4 times the reference;
3. the incremental run: the year without its last period's transmissions is built on a
   fresh warehouse, then the last period is added and `./scripts/run` runs again on that
   warehouse; target: at most 15% of the full build.

The peak memory is that of the whole process tree of each command (the resident set of the
process and all its descendants, summed, sampled every 0.2 s from /proc: an upper bound,
since shared pages count once per process); target: at most 12 GB. The run summaries give
each step's time; a logged event whose name says suppression, protection or audit, with a
duration, is printed too (the release's joint protection and audit).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from iclsc import project_dir
from iclsc.generate import contract
from iclsc.warehouse import duckdb_memory_limit

TARGET_RATIO = 4.0
TARGET_PEAK_BYTES = 12 * 10**9
TARGET_INCREMENTAL = 0.15
SAMPLE_SECONDS = 0.2

REFERENCE_QUERY = """
select
    code_installation,
    substr(date_intervention, 1, 7) as month,
    code_programme,
    count(distinct no_dossier) as users,
    count(distinct no_intervenant) as providers
from read_csv(?, header = true, all_varchar = true)
group by code_installation, substr(date_intervention, 1, 7), code_programme
"""


@dataclass
class Measured:
    name: str
    seconds: float
    peak_bytes: int
    returncode: int
    cpu_seconds: float = 0.0  # user + system time of the process tree (load-independent)


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants."""
    children, total, stack = _children(), 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(name: str, command: list[str], env: dict[str, str], log_path: Path) -> Measured:
    """Runs a command to its end, its output in log_path; wall time and peak tree memory."""
    shown = " ".join(c if len(c) < 80 else "..." for c in command)
    print(f"[bench] {name}: {shown}", file=sys.stderr, flush=True)
    peak = 0
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log_path.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, cwd=project_dir(), stdout=log, stderr=subprocess.STDOUT
        )
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss(process.pid))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    # Descendants count once waited for (every process of a run waits for its own).
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    result = Measured(name, seconds, peak, returncode, cpu)
    print(
        f"[bench] {name}: {seconds:.1f} s ({cpu:.1f} s CPU), peak {peak / 1e9:.2f} GB, "
        f"exit {returncode}",
        file=sys.stderr,
        flush=True,
    )
    if returncode != 0:
        print(f"[bench] {name} failed; its output: {log_path}", file=sys.stderr)
    return result


def last_period_transmissions(raw_dir: Path) -> tuple[tuple[int, int], set[str]]:
    with (raw_dir / contract.TRANSMISSIONS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    last = max((int(r["annee_financiere"]), int(r["periode"])) for r in rows)
    ids = {
        r["id_transmission"]
        for r in rows
        if (int(r["annee_financiere"]), int(r["periode"])) == last
    }
    return last, ids


def without_last_period(raw_dir: Path, out: Path) -> tuple[tuple[int, int], int]:
    """The extract as it stood before its last period arrived: links to every file except
    that period's transmissions, and transmissions.csv without them."""
    last, dropped = last_period_transmissions(raw_dir)
    shutil.rmtree(out, ignore_errors=True)
    (out / contract.TRANSMISSIONS_DIR).mkdir(parents=True)
    os.symlink(raw_dir / contract.INSTALLATIONS_FILE, out / contract.INSTALLATIONS_FILE)
    for folder in (raw_dir / contract.TRANSMISSIONS_DIR).iterdir():
        if folder.name not in dropped:
            os.symlink(folder, out / contract.TRANSMISSIONS_DIR / folder.name)
    with (raw_dir / contract.TRANSMISSIONS_FILE).open(encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",", 1)[0] not in dropped]
    (out / contract.TRANSMISSIONS_FILE).write_text("".join(kept), encoding="utf-8")
    rows = 0
    for transmission_id in dropped:
        path = raw_dir / contract.TRANSMISSIONS_DIR / transmission_id / contract.INTERVENTIONS_FILE
        with path.open("rb") as handle:
            rows += sum(1 for _ in handle) - 1
    return last, rows


def run_environment(work: Path, name: str, raw_dir: Path, memory_limit: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ICLSC_RAW_DIR=str(raw_dir),
        ICLSC_PUBLISH_DIR=str(work / f"publication-{name}"),
        ICLSC_DUCKDB_PATH=str(work / f"{name}.duckdb"),
        ICLSC_DUCKDB_MEMORY_LIMIT=memory_limit,
        DBT_TARGET_PATH=str(work / f"target-{name}"),
        ICLSC_LOG_DIR=str(work / f"logs-{name}"),
    )
    env.setdefault("ICLSC_PSEUDO_KEY", "iclsc-development-key-NOT-FOR-REAL-DATA")
    return env


def fresh(work: Path, name: str) -> None:
    for path in (work / f"{name}.duckdb", work / f"{name}.duckdb.wal"):
        path.unlink(missing_ok=True)
    for path in (work / f"publication-{name}", work / f"target-{name}", work / f"logs-{name}"):
        shutil.rmtree(path, ignore_errors=True)


def run_summary(work: Path, name: str) -> dict:
    """The summary of the latest run logged under this name."""
    summaries = sorted((work / f"logs-{name}").glob("*/run-summary.json"))
    return json.loads(summaries[-1].read_text(encoding="utf-8")) if summaries else {}


def timed_events(work: Path, name: str) -> list[tuple[str, float]]:
    """Events of the latest run whose name says suppression, protection or audit, with a
    duration (logged by the release's protection and audit, when present)."""
    logs = sorted((work / f"logs-{name}").glob("*/run.jsonl"))
    found = []
    if not logs:
        return found
    for line in logs[-1].read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        label = " ".join(str(event.get(k, "")) for k in ("event", "step", "message"))
        seconds = event.get("duration_seconds", event.get("seconds"))
        if seconds is not None and any(
            word in label for word in ("suppression", "protect", "audit")
        ):
            found.append((label.strip(), float(seconds)))
    return found


def print_steps(work: Path, name: str) -> None:
    summary = run_summary(work, name)
    for step in summary.get("steps", []):
        print(f"    step {step.get('name')}: {step.get('duration_seconds')} s")
    for label, seconds in timed_events(work, name):
        print(f"    {label}: {seconds:.1f} s")


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {cpus} cores ({model}), {memory:.1f} GiB; "
        f"load average {load}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where the extract, warehouses, releases and logs go (default target/bench)",
    )
    parser.add_argument(
        "--raw-dir", type=Path, default=None, help="the full extract (default WORK_DIR/raw)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the extract in --raw-dir if it exists"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--scale", default="full", help="extract scale (full; small for a quick trial)"
    )
    parser.add_argument(
        "--memory-limit",
        default=duckdb_memory_limit(),
        help="DuckDB memory_limit of the runs and of the reference (ICLSC_DUCKDB_MEMORY_LIMIT)",
    )
    parser.add_argument("--no-incremental", action="store_true", help="skip the incremental case")
    parser.add_argument(
        "--no-full",
        action="store_true",
        help="skip the reference and the full build (the incremental case alone, to run "
        "beside another invocation: its share is then computed by hand)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    work = (args.work_dir or project_dir() / "target" / "bench").resolve()
    work.mkdir(parents=True, exist_ok=True)
    raw = (args.raw_dir or work / "raw").resolve()
    python = sys.executable
    run_script = str(project_dir() / "scripts" / "run")
    print(f"[bench] machine: {machine()}", file=sys.stderr)

    generated = None
    if not (args.reuse and (raw / contract.TRANSMISSIONS_FILE).is_file()):
        generated = measure(
            "generate",
            [python, "-m", "iclsc", "generate", "--out", str(raw), "--scale", args.scale,
             "--seed", str(args.seed), "--overwrite", "--no-progress"],
            dict(os.environ),
            work / "generate.log",
        )  # fmt: skip
        if generated.returncode != 0:
            return 1

    reference_code = (
        "import duckdb, sys\n"
        "connection = duckdb.connect()\n"
        "connection.execute(f\"set memory_limit = '{sys.argv[2]}'\")\n"
        f"rows = connection.execute({REFERENCE_QUERY!r}, [sys.argv[1]]).fetchall()\n"
        "print(len(rows), 'cells')\n"
    )
    pattern = str(raw / contract.TRANSMISSIONS_DIR / "*" / contract.INTERVENTIONS_FILE)
    reference = None
    if not args.no_full:
        reference = measure(
            "reference",
            [python, "-c", reference_code, pattern, args.memory_limit],
            dict(os.environ),
            work / "reference.log",
        )

    full = None
    if not args.no_full:
        fresh(work, "full")
        full = measure(
            "full build",
            [run_script],
            run_environment(work, "full", raw, args.memory_limit),
            work / "full.log",
        )

    incremental = base = None
    if not args.no_incremental:
        partial = work / "raw-without-last-period"
        last, added_rows = without_last_period(raw, partial)
        print(
            f"[bench] incremental: the year without {last[0]}-P{last[1]:02d} "
            f"({added_rows} intervention rows held back), then with it",
            file=sys.stderr,
        )
        fresh(work, "incremental")
        base = measure(
            "build without the last period",
            [run_script],
            run_environment(work, "incremental", partial, args.memory_limit),
            work / "incremental-base.log",
        )
        if base.returncode == 0:
            incremental = measure(
                "incremental run (last period added)",
                [run_script],
                run_environment(work, "incremental", raw, args.memory_limit),
                work / "incremental.log",
            )

    measured = [m for m in (full, base, incremental) if m is not None]
    peak = max((m.peak_bytes for m in measured), default=0)
    print()
    print(f"machine:            {machine()}")
    if generated:
        gigabytes = generated.peak_bytes / 1e9
        print(f"generator:          {generated.seconds:.1f} s, peak {gigabytes:.2f} GB")
    missed = []
    # What this invocation could not compare (--no-full, --no-incremental): never "met".
    unmeasured = []
    if reference is None or full is None:
        unmeasured.append("ratio")
    if reference is not None and full is not None:
        ratio = full.seconds / reference.seconds
        print(
            f"reference pass:     {reference.seconds:.1f} s, {reference.cpu_seconds:.1f} s CPU "
            "(one DuckDB query, distinct users and providers per installation x month x "
            "programme)"
        )
        print(
            f"full build:         {full.seconds:.1f} s, {full.cpu_seconds:.1f} s CPU "
            f"(./scripts/run, exit {full.returncode})"
        )
        print_steps(work, "full")
        print(f"ratio:              {ratio:.2f} (target <= {TARGET_RATIO:g})")
        if reference.cpu_seconds:
            # On a shared machine wall time depends on the neighbours; CPU time much less.
            cpu_ratio = full.cpu_seconds / reference.cpu_seconds
            print(f"ratio of CPU times: {cpu_ratio:.2f} (the same comparison, load-independent)")
        if full.returncode != 0:
            missed.append("the full build failed")
        if ratio > TARGET_RATIO:
            missed.append("ratio")
    print(
        f"peak memory:        {peak / 1e9:.2f} GB, process tree (target <= "
        f"{TARGET_PEAK_BYTES / 1e9:g} GB; DuckDB memory_limit {args.memory_limit})"
    )
    if peak > TARGET_PEAK_BYTES:
        missed.append("peak memory")
    if incremental is not None and base is not None:
        print(
            f"build without last: {base.seconds:.1f} s, {base.cpu_seconds:.1f} s CPU "
            f"(exit {base.returncode})"
        )
        print(
            f"incremental run:    {incremental.seconds:.1f} s, {incremental.cpu_seconds:.1f} s "
            f"CPU (exit {incremental.returncode})"
        )
        if full is not None:
            share = incremental.seconds / full.seconds
            print(
                f"  share of full:    {100 * share:.1f}% (target <= "
                f"{100 * TARGET_INCREMENTAL:g}%); in CPU time "
                f"{100 * incremental.cpu_seconds / max(full.cpu_seconds, 1e-9):.1f}%"
            )
            if share > TARGET_INCREMENTAL:
                missed.append("incremental cost")
        else:
            unmeasured.append("incremental cost")
        print_steps(work, "incremental")
        if incremental.returncode != 0:
            missed.append("the incremental run failed")
    elif not args.no_incremental:
        missed.append("the build without the last period failed")
    else:
        unmeasured.append("incremental cost")
    print(f"targets missed:     {', '.join(missed) if missed else 'none'}")
    if unmeasured:
        print(f"not measured here:  {', '.join(unmeasured)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
