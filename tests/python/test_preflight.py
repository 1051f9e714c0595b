"""The preflight of the raw extract: every structural fault stops the run with an error that
names the file and the problem; the safe fixes are reported and change no value."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from iclsc import cli, pipeline
from iclsc.generate import faults, generate
from iclsc.quality import preflight


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "raw"
    generate(out, "tiny", 42)
    return out


def test_a_clean_extract_passes_with_nothing_to_fix(clean):
    report = preflight.check_raw(clean)
    assert report.ok and not report.findings
    assert report.records["installations.csv"] == 12
    assert preflight.prepare(report, clean.parent / "unused") == clean


@pytest.mark.parametrize("fault", sorted(faults.STRUCTURAL_FAULTS))
def test_a_broken_file_is_an_error_naming_it(fault, clean, tmp_path):
    raw = faults.copy_extract(clean, tmp_path / "raw")
    relative, problem = faults.STRUCTURAL_FAULTS[fault](raw)
    report = preflight.check_raw(raw)
    assert not report.ok
    named = [f for f in report.errors if f.file == relative]
    assert named, [str(f) for f in report.findings]
    assert any(problem in f.problem for f in named), [str(f) for f in named]
    assert cli.main(["check-raw", str(raw)]) == preflight.EXIT_RAW_INVALID


def test_the_encoding_error_gives_the_byte_offset(clean, tmp_path):
    raw = faults.copy_extract(clean, tmp_path / "raw")
    relative, _ = faults.wrong_encoding(raw)
    data = (raw / relative).read_bytes()
    (error,) = preflight.check_raw(raw).errors
    offset = int(error.problem.rsplit(" ", 1)[1])
    assert data[offset] >= 0x80
    data[:offset].decode("utf-8")  # everything before the offset is valid
    assert error.line == data[:offset].count(b"\n") + 1


def test_bom_and_crlf_are_fixed_in_a_copy_and_reported(clean, tmp_path):
    raw = faults.copy_extract(clean, tmp_path / "raw")
    relative = "transmissions.csv"
    original = (raw / relative).read_bytes()
    (raw / relative).write_bytes(b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n"))
    report = preflight.check_raw(raw)
    assert report.ok
    assert {(f.level, f.file) for f in report.findings} == {("fixed", relative)}
    readable = preflight.prepare(report, tmp_path / "prepared")
    assert (readable / relative).read_bytes() == original
    assert not (readable / relative).is_symlink()
    assert (readable / "installations.csv").is_symlink()
    assert (raw / relative).read_bytes().startswith(b"\xef\xbb\xbf")  # raw left as it was


def test_an_unlisted_folder_is_a_warning(clean, tmp_path):
    raw = faults.copy_extract(clean, tmp_path / "raw")
    first = sorted((raw / "transmissions").iterdir())[0]
    (raw / "transmissions" / "NON-DECLARE").mkdir()
    for name in ("usagers.csv", "demandes.csv", "interventions.csv"):
        (raw / "transmissions" / "NON-DECLARE" / name).write_bytes((first / name).read_bytes())
    report = preflight.check_raw(raw)
    assert report.ok
    assert [f.file for f in report.findings] == ["transmissions/NON-DECLARE"]


def test_the_run_stops_before_the_build_and_leaves_latest(clean, tmp_path, monkeypatch):
    raw = faults.copy_extract(clean, tmp_path / "raw")
    faults.extra_column(raw)
    publish_dir = tmp_path / "publication"
    (publish_dir / "20250101T000000Z").mkdir(parents=True)
    os.symlink("20250101T000000Z", publish_dir / "latest")
    monkeypatch.setenv("ICLSC_RAW_DIR", str(raw))
    monkeypatch.setenv("ICLSC_PSEUDO_KEY", "a-test-key-of-more-than-16-bytes")
    code = pipeline.run(argparse.Namespace(publish_dir=publish_dir, release_id=None))
    assert code == pipeline.EXIT_RAW_INVALID == preflight.EXIT_RAW_INVALID
    assert os.readlink(publish_dir / "latest") == "20250101T000000Z"
    # Hidden entries are the run's lock file (iclsc.runs.lock), never a release.
    published = sorted(p.name for p in publish_dir.iterdir() if not p.name.startswith("."))
    assert published == ["20250101T000000Z", "latest"]


def test_the_fast_count_is_the_csv_readers_or_defers_to_it(clean):
    """The numpy count of quote-free files agrees with the CSV reader on every file of the
    extract, and hands any file it cannot vouch for back to the reader."""
    import csv

    from iclsc.generate import contract

    columns = contract.TRANSMISSION_FILES[contract.INTERVENTIONS_FILE]
    for path in sorted(clean.glob(f"transmissions/*/{contract.INTERVENTIONS_FILE}")):
        data = path.read_bytes()
        with path.open(encoding="utf-8", newline="") as handle:
            records = sum(1 for _ in csv.reader(handle)) - 1
        assert preflight._quote_free_records(data, columns) == records
        header, first, rest = data.split(b"\n", 2)
        for broken in (
            header + b"\n" + first + b",\n" + rest,  # an extra field
            header + b"\n" + first + b"\n\n" + rest,  # an empty line
            header + b"\n" + first.replace(b",", b'",', 1) + b"\n" + rest,  # a quote
            data.rstrip(b"\n"),  # no line end at the end
            header.replace(b"no_dossier", b"dossier") + b"\n" + first + b"\n" + rest,
        ):
            assert preflight._quote_free_records(broken, columns) is None
