"""The engine tier: one tiny extract through DuckDB, PostgreSQL and Spark, the same release.

Each engine runs the real pipeline (`python -m iclsc run`, what ./scripts/run does) on the
same extract, with rows added that staging must refuse or repair (dates and numbers each
engine's own cast reads differently, quoted empty fields, a line break and an apostrophe
inside quoted values, a lowercase NAM with spaces, a non-ASCII code, a repeated row). The
published tables must be identical byte for byte, and so must what staging made of every
raw row (the quarantine and the row reconciliation) and the keyed pseudonyms.

Then a transmission arrives late, as in production: a closed period of a closed year is
resubmitted with one intervention an hour longer and another gone. PostgreSQL and Spark
update their warehouse incrementally (each engine's own incremental strategy), DuckDB
builds the revised extract from scratch: every published table must hold the same rows.

PostgreSQL is a throwaway server (scripts/postgres-local) and Spark a local session, both
started here and stopped at the end.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from iclsc import project_dir
from iclsc.generate import generate
from iclsc.pseudonym import hmac_pads, pseudonym

pytestmark = [pytest.mark.slow, pytest.mark.engines]

ENGINES = ("duckdb", "postgres", "spark")
LOADED_ENGINES = ENGINES[1:]
KEY = "engine-tier-test-key-0123456789"
RELEASE_ID = "engines-test"
DIRTY_NAM = "gagv 9451 0127"


def latest_transmission(raw: Path) -> str:
    """A transmission whose rows staging checks (the latest of its period)."""
    with (raw / "transmissions.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    latest: dict[tuple, dict] = {}
    for row in rows:
        period = (row["code_etablissement"], row["annee_financiere"], row["periode"])
        if period not in latest or row["date_transmission"] > latest[period]["date_transmission"]:
            latest[period] = row
    return sorted(row["id_transmission"] for row in latest.values())[0]


def append_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def add_dirty_rows(raw: Path) -> str:
    """Rows each engine's own parser would read differently; returns their transmission."""
    transmission = latest_transmission(raw)
    folder = raw / "transmissions" / transmission
    with (folder / "interventions.csv").open(encoding="utf-8", newline="") as stream:
        header, model, *_ = list(csv.reader(stream))
    with (folder / "usagers.csv").open(encoding="utf-8", newline="") as stream:
        _, user, *_ = list(csv.reader(stream))

    def intervention(number: str, **changes: str) -> list[str]:
        row = dict(zip(header, model, strict=True))
        row["no_intervention"] = number
        row.update(changes)
        return [row[column] for column in header]

    append_rows(
        folder / "interventions.csv",
        [
            intervention("99000001", date_intervention="2025-02-30"),
            intervention("99000002", date_intervention=model[4][:5] + "4-5"),
            intervention("99000003", duree_minutes="5.6"),
            intervention("99000004", duree_minutes="99999999999"),
            intervention("99000005", duree_minutes="+30"),
            intervention("99000006", code_type=""),
            intervention("99000007", code_installation="ZZZZ0000"),
            model,
        ],
    )
    # A quoted empty field, a line break and an apostrophe inside quoted names, a
    # lowercase NAM with spaces, a non-ASCII sex code and an impossible birth date.
    with (folder / "usagers.csv").open("a", encoding="utf-8", newline="") as stream:
        stream.write(f'9900001,"{DIRTY_NAM}","O\'Neil","Marie\nClaire",1980-02-29,F,"",{user[7]}\n')
        stream.write(f'9900002,"",Tremblay,"",1980-01-01,é,H0H 0H0,{user[7]}\n')
        stream.write(f"9900003,,Roy,Luc,1981-02-29,M,,{user[7]}\n")
    return transmission


def resubmit_a_closed_period(raw: Path, fiscal_year: str = "2025", period: str = "5") -> None:
    """A later transmission of a closed period of a closed year (the first establishment's):
    a copy of the latest one with one intervention an hour longer and another removed."""
    with (raw / "transmissions.csv").open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    transmissions = [dict(zip(header, row, strict=True)) for row in rows]
    establishment = transmissions[0]["code_etablissement"]
    original = max(
        (
            t
            for t in transmissions
            if (t["code_etablissement"], t["annee_financiere"], t["periode"])
            == (establishment, fiscal_year, period)
        ),
        key=lambda t: t["date_transmission"],
    )
    new_id = f"{establishment}-{fiscal_year}-P{int(period):02d}-20260709235959"
    folder = raw / "transmissions" / new_id
    shutil.copytree(raw / "transmissions" / original["id_transmission"], folder)
    with (folder / "interventions.csv").open(encoding="utf-8", newline="") as stream:
        columns, *interventions = list(csv.reader(stream))
    individual = [row for row in interventions if row[columns.index("code_type")] == "I"]
    longer, removed = individual[0], individual[-1]
    duration = columns.index("duree_minutes")
    longer[duration] = str(int(longer[duration]) + 60)
    interventions.remove(removed)
    with (folder / "interventions.csv").open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows([columns, *interventions])
    resubmission = {**original, "id_transmission": new_id, "periode_fermee": "O"}
    resubmission["date_transmission"] = "2026-07-09T23:59:59"
    append_rows(raw / "transmissions.csv", [[resubmission[column] for column in header]])


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("engines") / "raw"
    generate(raw, "tiny", 42)
    add_dirty_rows(raw)
    return raw


@pytest.fixture(scope="module")
def postgres_env():
    """A throwaway PostgreSQL server; its libpq variables."""
    script = project_dir() / "scripts" / "postgres-local"
    # Not below pytest's temporary folder: the server's account must reach its directory.
    directory = tempfile.mkdtemp(prefix="iclsc-pg-")
    started = subprocess.run(
        [str(script), "start", directory], capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, f"could not start PostgreSQL: {started.stderr}"
    env = dict(assignment.split("=", 1) for assignment in shlex.split(started.stdout)[1:])

    def interrupt(signum, frame):
        # SIGTERM (a CI timeout, a kill) would end pytest without teardown, leaving the
        # server running: as an interruption, the child in progress is stopped (child)
        # and the server below.
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield env
    finally:
        subprocess.run([str(script), "stop", directory], check=False)
        signal.signal(signal.SIGTERM, previous)


def child(arguments: list[str], env: dict[str, str], stdin: str | None = None):
    """A child process of the tier, run to its end; if the test is interrupted, stopped with
    SIGTERM (the pipeline then stops its own dbt and Spark cleanly), killed only if it has
    not stopped within a minute."""
    with subprocess.Popen(
        arguments,
        env=env,
        cwd=project_dir(),
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(stdin)
        except BaseException:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
    return subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)


def engine_env(target: str, work: Path, postgres: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "ICLSC_", "DBT_"))}
    env.update(
        ICLSC_TARGET=target,
        ICLSC_PSEUDO_KEY=KEY,
        ICLSC_DUCKDB_PATH=str(work / "warehouse.duckdb"),
        ICLSC_DUCKDB_MEMORY_LIMIT="2GB",
        ICLSC_SPARK_DIR=str(work / "spark"),
        DBT_PROFILES_DIR=str(project_dir() / "profiles"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
    )
    if target == "postgres":
        env.update(postgres)
    return env


def read_rows(env: dict[str, str], queries: dict[str, str]) -> dict[str, list[str]]:
    """The rows of each query through the publisher's reader, as sorted JSON lines (values
    as the publisher reads them: an integer, a decimal's digits, a boolean, text, null)."""
    reader = (
        "import json, sys\n"
        "from iclsc.warehouse import open_warehouse\n"
        "queries = json.load(sys.stdin)\n"
        "with open_warehouse() as warehouse:\n"
        "    print(json.dumps({name: sorted(json.dumps(list(row), default=str)\n"
        "                                   for row in warehouse.query(sql)[1])\n"
        "                      for name, sql in queries.items()}))\n"
    )
    done = child([sys.executable, "-c", reader], env, stdin=json.dumps(queries))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def staged_rows(env: dict[str, str]) -> dict[str, list[list]]:
    """What staging made of the raw rows, and the pseudonyms, read through the reader."""
    queries = {
        "quarantine": "select raw_file, source_file, source_record, quarantine_column, "
        "quarantine_reason from staging.stg_iclsc__quarantine",
        "reconciliation": "select raw_file, source_file, rows_read, rows_staged, "
        "rows_quarantined, rows_superseded, rows_duplicate "
        "from staging.stg_iclsc__row_reconciliation",
        "pseudonyms": "select user_file_id, person_id, is_nam_linked "
        "from staging.stg_iclsc__usagers",
        "durations": "select intervention_id, duration_minutes "
        "from staging.stg_iclsc__interventions",
    }
    return {
        name: [json.loads(row) for row in rows] for name, rows in read_rows(env, queries).items()
    }


# The fingerprints incremental models compare with what they hold: strings of ordered lists
# (dbt.listagg) hashed with md5, so they are the same on every engine when each joins its
# lists in the order asked; one that ignored the order could change between two runs.
PARTITIONS = (
    "select fiscal_year, period_code, period_fingerprint, cumulative_fingerprint, "
    "history_fingerprint from intermediate.int_partitions"
)


def export_rows(env: dict[str, str]) -> dict[str, list[str]]:
    """Every row of every export table (the manifest of the last dbt run names them)."""
    manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text("utf-8"))
    queries = {
        node["name"]: f"select * from {node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "exports"
    }
    return read_rows(env, queries)


def run_module(env: dict[str, str], *arguments: str) -> None:
    """`python -m iclsc ARGUMENTS` on an engine; fails the test with its output."""
    done = child([sys.executable, "-m", "iclsc", *arguments], env)
    output = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, f"{env['ICLSC_TARGET']}: {' '.join(arguments)} failed\n{output}"


@pytest.fixture(scope="module")
def runs(extract, postgres_env, tmp_path_factory) -> dict[str, dict]:
    results = {}
    for target in ENGINES:
        started = time.monotonic()
        work = tmp_path_factory.mktemp(target)
        env = engine_env(target, work, postgres_env)
        env["ICLSC_RAW_DIR"] = str(extract)
        done = child(
            [
                sys.executable,
                "-m",
                "iclsc",
                "run",
                "--publish-dir",
                str(work / "publication"),
                "--release-id",
                RELEASE_ID,
            ],
            env,
        )
        assert done.returncode == 0, f"{target}: run failed\n{done.stderr[-6000:]}"
        if target == "postgres":
            # A run leaves dbt's unit tests to CI (the session build runs them on DuckDB;
            # Spark cannot run those of complementary suppression): here, on PostgreSQL.
            unit_tests = ["--select", "resource_type:unit_test"]
            run_module(env, "dbt", "test", *unit_tests, "--project-dir", str(project_dir()))
        # What each engine costs, for whoever reads the output with -s (not a check).
        print(f"[engines] {target}: pipeline in {time.monotonic() - started:.0f} s")
        results[target] = {
            "release": work / "publication" / RELEASE_ID,
            "staged": staged_rows(env),
            "partitions": read_rows(env, {"partitions": PARTITIONS})["partitions"],
            "work": work,
            "env": env,
        }
    return results


@pytest.fixture(scope="module")
def revised(runs, extract, tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """The export tables after a resubmission: on PostgreSQL and Spark, the warehouse of the
    first run updated incrementally; on DuckDB, a warehouse built from scratch. Models only
    (the first run ran every test on every engine)."""
    raw = tmp_path_factory.mktemp("revised") / "raw"
    shutil.copytree(extract, raw)
    resubmit_a_closed_period(raw)
    models_only = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    tables = {"before": export_rows(runs["duckdb"]["env"])}
    for target in ENGINES:
        started = time.monotonic()
        if target == "duckdb":
            work = tmp_path_factory.mktemp("duckdb-full")
            env = engine_env(target, work, {})
        else:
            env = dict(runs[target]["env"])
        env["ICLSC_RAW_DIR"] = str(raw)
        if target in LOADED_ENGINES:
            run_module(env, "load-raw")
        run_module(env, "dbt", "build", *models_only, "--project-dir", str(project_dir()))
        print(f"[engines] {target}: revision in {time.monotonic() - started:.0f} s")
        tables[target] = export_rows(env)
    return tables


def published_tables(release: Path) -> tuple[dict[str, bytes], list[dict]]:
    """The release's CSV files and the datapackage's resources (schemas, sizes, hashes).

    Other files of a release hold the time they were made (Data Docs, the lineage of the
    build) or the engine's own description of the warehouse (the dbt catalogue), not data.
    """
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    tables = {path.name: path.read_bytes() for path in sorted(release.glob("*.csv"))}
    return tables, descriptor["resources"]


def test_every_engine_publishes_the_same_bytes(runs):
    tables, resources = published_tables(runs["duckdb"]["release"])
    assert "services-annuels.csv" in tables
    for target in ENGINES[1:]:
        other_tables, other_resources = published_tables(runs[target]["release"])
        assert other_resources == resources, f"{target}: datapackage resources differ"
        assert sorted(other_tables) == sorted(tables), f"{target}: other CSV files"
        for name, data in tables.items():
            assert other_tables[name] == data, f"{target}: {name} differs from DuckDB's"


def test_every_engine_stages_every_raw_row_alike(runs):
    reference = runs["duckdb"]["staged"]
    reasons = {row[4] for row in reference["quarantine"]}
    # The added rows reached staging and were judged, not lost or read as valid.
    assert {
        "date manquante ou invalide",
        "duree non entiere ou non positive",
        "type autre que I, F ou G",
        "installation inconnue",
        "code de sexe inconnu",
    } <= reasons
    assert any(row[6] > 0 for row in reference["reconciliation"])  # the repeated row
    for target in ENGINES[1:]:
        for name, rows in reference.items():
            assert runs[target]["staged"][name] == rows, f"{target}: {name} differs"


def test_every_engine_fingerprints_the_partitions_alike(runs):
    reference = runs["duckdb"]["partitions"]
    assert len(reference) > 13, "fewer partitions than a year's periods"
    for target in ENGINES[1:]:
        assert runs[target]["partitions"] == reference, f"{target}: other fingerprints"


def test_every_engine_computes_the_keyed_pseudonym(runs):
    nam = DIRTY_NAM.upper().replace(" ", "")
    expected = pseudonym(nam, KEY.encode("utf-8"))
    for target in ENGINES:
        person_ids = {row[1] for row in runs[target]["staged"]["pseudonyms"]}
        assert expected in person_ids, f"{target}: no HMAC-SHA256 pseudonym of the NAM"


def test_no_engine_writes_the_key_into_sql_logs_or_manifest(runs):
    """The key reaches every engine out of band: no dbt artefact or log holds it or its pads."""
    inner, outer = hmac_pads(KEY.encode("utf-8"))
    secrets = [KEY, KEY.encode("utf-8").hex(), inner.hex(), outer.hex()]
    for target in ENGINES:
        work = runs[target]["work"]
        scanned = 0
        for folder in (work / "target", work / "logs"):
            for path in folder.rglob("*"):
                if path.is_file():
                    text = path.read_text(encoding="utf-8", errors="replace").lower()
                    scanned += 1
                    found = [s for s in secrets if s.lower() in text]
                    assert not found, f"{target}: {path.relative_to(work)} holds the key"
        assert scanned > 10, f"{target}: dbt wrote almost nothing to scan"


def test_an_incremental_run_on_every_engine_gives_what_a_full_build_does(revised):
    full = revised["duckdb"]
    assert full.keys() == revised["before"].keys()
    # The resubmission reached the published tables: the comparison is not of the old rows.
    assert full != revised["before"], "the resubmission changed no published row"
    for target in LOADED_ENGINES:
        assert revised[target].keys() == full.keys(), f"{target}: other export tables"
        for name, rows in full.items():
            assert revised[target][name] == rows, f"{target}: {name} differs after the revision"
