"""End to end on a dirty extract: injected row faults change no published number and each is
counted in the quarantine; the release carries the quality report and the Data Docs."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from iclsc import pipeline
from iclsc.generate import faults, generate
from iclsc.publish import manifest
from iclsc.quality import expectations

pytestmark = pytest.mark.slow


def run_pipeline(raw: Path, work: Path, monkeypatch) -> Path:
    work.mkdir()
    monkeypatch.setenv("ICLSC_RAW_DIR", str(raw))
    monkeypatch.setenv("ICLSC_DUCKDB_PATH", str(work / "warehouse.duckdb"))
    monkeypatch.setenv("ICLSC_DUCKDB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("ICLSC_PSEUDO_KEY", "a-test-key-of-more-than-16-bytes")
    code = pipeline.run(argparse.Namespace(publish_dir=work / "publication", release_id="r1"))
    assert code == pipeline.EXIT_OK
    return work / "publication" / "latest"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("faults")
    clean = root / "clean-raw"
    generate(clean, "tiny", 42)
    dirty = faults.copy_extract(clean, root / "dirty-raw")
    expected = faults.inject_row_faults(dirty)
    clean_release = run_pipeline(clean, root / "clean", monkeypatch)
    dirty_release = run_pipeline(dirty, root / "dirty", monkeypatch)
    monkeypatch.undo()
    return {
        "clean": clean_release,
        "dirty": dirty_release,
        "dirty_raw": dirty,
        "warehouse": root / "dirty" / "warehouse.duckdb",
        "expected": expected,
    }


def test_faults_change_no_published_number(runs):
    for name in ("services-annuels.csv",):
        assert (runs["dirty"] / name).read_bytes() == (runs["clean"] / name).read_bytes()


def test_each_fault_is_counted_in_the_quarantine(runs):
    with duckdb.connect(str(runs["warehouse"]), read_only=True) as connection:
        for expected in runs["expected"]:
            (count,) = connection.execute(
                "select count(*) from staging.stg_iclsc__quarantine "
                "where source_file = ? and row_status = ? and quarantine_reason like ?",
                [expected.source_file, expected.row_status, f"%{expected.reason}%"],
            ).fetchone()
            assert count == expected.rows, expected
        per_file: dict[str, int] = {}
        for expected in runs["expected"]:
            per_file[expected.source_file] = per_file.get(expected.source_file, 0) + expected.rows
        for source_file, rows in per_file.items():
            (count,) = connection.execute(
                "select count(*) from staging.stg_iclsc__quarantine where source_file = ?",
                [source_file],
            ).fetchone()
            assert count == rows, source_file  # nothing else of the file was refused
        reconciliation = connection.execute(
            "select source_file, rows_read from staging.stg_iclsc__row_reconciliation"
        ).fetchall()
    for source_file, rows_read in reconciliation:
        with (runs["dirty_raw"] / source_file).open(encoding="utf-8-sig", newline="") as handle:
            assert rows_read == sum(1 for _ in csv.reader(handle)) - 1, source_file


def test_the_release_carries_the_quality_report_and_the_data_docs(runs):
    release = runs["dirty"]
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert "qualite-transmissions" in {r["name"] for r in package["resources"]}
    with (release / "qualite-transmissions.csv").open(encoding="utf-8", newline="") as handle:
        report = list(csv.DictReader(handle))
    quarantined = sum(int(r["nb_lignes_quarantaine"]) for r in report)
    duplicates = sum(int(r["nb_lignes_doublons"]) for r in report)
    superseded = sum(int(r["nb_lignes_remplacees"]) for r in report)
    # The unlisted folder names no establishment: its rows are in the quarantine only.
    assert quarantined == sum(
        e.rows for e in runs["expected"] if e.row_status == "quarantined"
    ) - sum(e.rows for e in runs["expected"] if e.fault == "unlisted folder")
    assert duplicates == 2
    assert superseded >= sum(e.rows for e in runs["expected"] if e.row_status == "superseded")
    for site in ("livraisons", "publication"):
        assert (release / "qualite" / "data-docs" / site / "index.html").is_file()
    summary = json.loads((release / "qualite" / "validations.json").read_text(encoding="utf-8"))
    assert summary["reconciliation"] == []
    assert summary["publication"] == []
    assert any("programme" in failed for failed in summary["livraisons"])


def test_the_published_suite_refuses_a_small_count_of_persons(runs, tmp_path):
    loaded = manifest.load_manifest(Path(__file__).resolve().parents[2] / "target")
    datasets = [d for d in manifest.published_datasets(loaded) if d.resource == "services-annuels"]
    shutil.copy(runs["dirty"] / "services-annuels.csv", tmp_path / "services-annuels.csv")
    path = tmp_path / "services-annuels.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("nb_usagers")
    published = next(r for r in rows[1:] if r[at])
    published[at] = "3"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    outcomes = expectations.validate_published(tmp_path, datasets, tmp_path / "docs")
    assert [o.expectation for o in outcomes if o.is_error] == [
        "expect_column_values_to_not_be_in_set"
    ]
