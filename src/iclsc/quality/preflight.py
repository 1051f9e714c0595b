"""`python -m iclsc check-raw DIR`: the structural check of a raw extract, before dbt reads it.

DuckDB's multi-file `read_csv` takes the schema of the first file it opens: an extra column
in another file is dropped, a missing column shifts nothing but yields nulls, and a missing
transmission folder just yields no rows. None of that may pass silently, so every file the
models read is checked here first, with Python's own CSV reader:

- present, not empty, UTF-8 (an error names the byte offset and the line);
- header exactly the contract's columns, in order; comma delimiter (another one is named);
- every record has as many fields as the header; no unterminated quoted field;
- the file ends with a line end (otherwise the last line may be truncated);
- every transmission of transmissions.csv has its folder and its three files; a folder that
  transmissions.csv does not list is reported (its rows are quarantined by staging).

What is safe to fix, and is fixed (in a prepared copy, never in the raw directory): a UTF-8
byte order mark, and CRLF line ends. Both change no value: the BOM is not part of the
first column's name, and the CR of a CRLF pair is part of no field. Anything else is an
error: the run stops before the build, publishes nothing and leaves `latest` as it was.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from iclsc.generate import contract

# Exit code of `check-raw` and of `./scripts/run` when the extract is structurally broken.
EXIT_RAW_INVALID = 5

BOM = b"\xef\xbb\xbf"
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
SAFE_FOLDER = re.compile(r"[A-Za-z0-9._-]+")
# Per file, the first few bad records are named; the rest are counted.
SHOWN_PER_FILE = 3

ERROR, FIXED, WARNING = "error", "fixed", "warning"


@dataclass(frozen=True)
class Finding:
    level: str  # error, fixed or warning
    file: str  # relative to the raw directory
    problem: str
    line: int | None = None  # physical line, 1 = header

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{self.level}: {where}: {self.problem}"


@dataclass
class Report:
    raw_dir: Path
    findings: list[Finding] = field(default_factory=list)
    # Data records (rows after the header) of every file that parsed, by relative path.
    records: dict[str, int] = field(default_factory=dict)
    # Files that need the safe fixes, by relative path.
    fixed_files: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        counts = {level: 0 for level in (ERROR, FIXED, WARNING)}
        for finding in self.findings:
            counts[finding.level] += 1
        return (
            f"{len(self.records)} file(s), {sum(self.records.values())} record(s): "
            f"{counts[ERROR]} error(s), {counts[FIXED]} fix(es), {counts[WARNING]} warning(s)"
        )


def normalize(data: bytes) -> bytes:
    """The safe fixes: drop a UTF-8 byte order mark, turn CRLF line ends into LF."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return data.replace(b"\r\n", b"\n")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_file(
    raw_dir: Path, relative: str, columns: tuple[str, ...], require_records: bool, report: Report
) -> None:
    """Checks one CSV file against its contract columns; adds findings and its record count."""
    path = raw_dir / relative
    if not path.is_file():
        report.findings.append(Finding(ERROR, relative, "file is missing"))
        return
    data = path.read_bytes()
    if not data:
        report.findings.append(Finding(ERROR, relative, "file is empty (no header)"))
        return
    findings: list[Finding] = []
    has_bom = data.startswith(BOM)
    try:
        data[len(BOM) if has_bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + (len(BOM) if has_bom else 0)
        report.findings.append(
            Finding(
                ERROR,
                relative,
                f"not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset}",
                _line_of(data, offset),
            )
        )
        return
    if has_bom:
        findings.append(Finding(FIXED, relative, "UTF-8 byte order mark removed"))
    has_crlf = b"\r\n" in data
    if has_crlf:
        findings.append(Finding(FIXED, relative, "CRLF line ends converted to LF"))
    # Each pass over the bytes counts at full scale (2.5 GB): normalise only what needs it,
    # and look for a line end or a carriage return in the bytes (neither byte occurs
    # inside a UTF-8 multibyte character), not in a decoded copy.
    clean = normalize(data) if has_bom or has_crlf else data
    if b"\r" in clean:
        offset = clean.index(b"\r")
        report.findings.append(
            Finding(
                ERROR,
                relative,
                "carriage return outside a CRLF line end",
                _line_of(clean, offset),
            )
        )
        return
    if not clean.endswith(b"\n"):
        findings.append(
            Finding(
                ERROR,
                relative,
                "the last line has no line end: the file looks truncated",
                clean.count(b"\n") + 1,
            )
        )
    fast = _quote_free_records(clean, columns)
    if fast is not None:
        if require_records and fast == 0:
            findings.append(Finding(ERROR, relative, "file has a header but no record"))
        report.findings.extend(findings)
        report.records[relative] = fast
        if has_bom or has_crlf:
            report.fixed_files.add(relative)
        return
    text = clean.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            report.findings.append(Finding(ERROR, relative, "file has no header"))
            return
        problem = _header_problem(header, columns)
        if problem:
            report.findings.extend([*findings, Finding(ERROR, relative, problem, 1)])
            return
        records, bad, shown = 0, 0, []
        line = reader.line_num
        for record in reader:
            records += 1
            if len(record) != len(columns):
                bad += 1
                if len(shown) < SHOWN_PER_FILE:
                    shown.append(
                        Finding(
                            ERROR,
                            relative,
                            f"record {records} has {len(record)} field(s), "
                            f"the header {len(columns)}",
                            line + 1,
                        )
                    )
            line = reader.line_num
    except csv.Error as error:
        report.findings.extend(
            [*findings, Finding(ERROR, relative, f"unreadable CSV: {error}", reader.line_num)]
        )
        return
    findings += shown
    if bad > len(shown):
        findings.append(
            Finding(ERROR, relative, f"{bad - len(shown)} more record(s) with a wrong field count")
        )
    if require_records and records == 0:
        findings.append(Finding(ERROR, relative, "file has a header but no record"))
    report.findings.extend(findings)
    report.records[relative] = records
    if has_bom or has_crlf:
        report.fixed_files.add(relative)


def _quote_free_records(data: bytes, columns: tuple[str, ...]) -> int | None:
    """The record count of a well-formed file without any quote character, found with numpy
    several times faster than with the CSV reader (the full extract has 35 million records).
    Without a quote, the CSV reader splits a record on every comma and a line on every line
    end, so a file whose separators after the header are, line after line, exactly the
    header's commas then a line end holds that many records of the right field count, as
    the reader would count them. None for anything else (a quote or a NUL byte, another
    header, a line with another field count, an empty line, no line end at the end): the
    CSV reader then checks the file and names what is wrong."""
    import numpy as np

    if b'"' in data or b"\0" in data:
        return None
    end_of_header = data.find(b"\n")
    if end_of_header < 0 or data[:end_of_header].decode("utf-8").split(",") != list(columns):
        return None
    body = np.frombuffer(data, dtype=np.uint8)[end_of_header + 1 :]
    separators = body[(body == ord(",")) | (body == ord("\n"))]
    if separators.size % len(columns):
        return None
    lines = separators.reshape(-1, len(columns))
    if (lines[:, -1] != ord("\n")).any() or (lines[:, :-1] != ord(",")).any():
        return None
    return int(lines.shape[0])


def _header_problem(header: list[str], columns: tuple[str, ...]) -> str | None:
    if header == list(columns):
        return None
    if len(header) == 1:
        for delimiter, name in OTHER_DELIMITERS.items():
            if delimiter in header[0]:
                return f"the delimiter is a {name} ({delimiter!r}), not a comma"
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    parts = []
    if missing:
        parts.append("missing column(s) " + ", ".join(missing))
    if extra:
        parts.append("unexpected column(s) " + ", ".join(repr(c) for c in extra))
    if not parts:
        parts.append("columns in another order than " + ",".join(columns))
    return "header: " + "; ".join(parts)


def _listed_transmissions(raw_dir: Path) -> list[str]:
    path = raw_dir / contract.TRANSMISSIONS_FILE
    text = normalize(path.read_bytes()).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [(row.get("id_transmission") or "").strip() for row in reader]


def check_raw(raw_dir: Path) -> Report:
    """Every structural check of the extract in `raw_dir`."""
    raw_dir = Path(raw_dir)
    report = Report(raw_dir)
    if not raw_dir.is_dir():
        report.findings.append(Finding(ERROR, str(raw_dir), "the extract directory is missing"))
        return report
    check_file(raw_dir, contract.INSTALLATIONS_FILE, contract.INSTALLATIONS_COLUMNS, True, report)
    check_file(raw_dir, contract.TRANSMISSIONS_FILE, contract.TRANSMISSIONS_COLUMNS, True, report)
    folders_dir = raw_dir / contract.TRANSMISSIONS_DIR
    present = (
        {p.name for p in folders_dir.iterdir() if p.is_dir()} if folders_dir.is_dir() else set()
    )
    listed: set[str] = set()
    if contract.TRANSMISSIONS_FILE in report.records:
        # Unsafe names are quarantined by staging; they name no folder to look for.
        listed = {i for i in _listed_transmissions(raw_dir) if SAFE_FOLDER.fullmatch(i)}
    for transmission_id in sorted(listed - present):
        report.findings.append(
            Finding(
                ERROR,
                f"{contract.TRANSMISSIONS_DIR}/{transmission_id}",
                "transmission listed in transmissions.csv has no folder",
            )
        )
    for transmission_id in sorted(present - listed):
        report.findings.append(
            Finding(
                WARNING,
                f"{contract.TRANSMISSIONS_DIR}/{transmission_id}",
                "folder not listed in transmissions.csv: staging quarantines its rows",
            )
        )
    for transmission_id in sorted(present):
        folder = f"{contract.TRANSMISSIONS_DIR}/{transmission_id}"
        for name, columns in contract.TRANSMISSION_FILES.items():
            check_file(raw_dir, f"{folder}/{name}", columns, False, report)
        for extra in sorted(
            p.name
            for p in (raw_dir / folder).iterdir()
            if p.name not in contract.TRANSMISSION_FILES
        ):
            report.findings.append(
                Finding(WARNING, f"{folder}/{extra}", "unexpected file, ignored")
            )
    return report


def _mirrored_files(raw_dir: Path) -> Iterator[str]:
    for name in (contract.INSTALLATIONS_FILE, contract.TRANSMISSIONS_FILE):
        yield name
    folders_dir = raw_dir / contract.TRANSMISSIONS_DIR
    for folder in sorted(p for p in folders_dir.iterdir() if p.is_dir()):
        for name in contract.TRANSMISSION_FILES:
            yield f"{contract.TRANSMISSIONS_DIR}/{folder.name}/{name}"


def prepare(report: Report, work_dir: Path) -> Path:
    """The directory dbt should read: the raw directory itself when nothing needed a fix,
    else `work_dir` holding a fixed copy of each fixed file and a link to every other one
    (same relative paths, so quarantined rows still name their raw file)."""
    if not report.ok:
        raise ValueError("the extract has errors: nothing to prepare")
    if not report.fixed_files:
        return report.raw_dir
    work_dir.mkdir(parents=True, exist_ok=False)
    for relative in _mirrored_files(report.raw_dir):
        source = (report.raw_dir / relative).resolve()
        target = work_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in report.fixed_files:
            target.write_bytes(normalize(source.read_bytes()))
        else:
            os.symlink(source, target)
    return work_dir


def prepared_dir() -> Path:
    """Where a run keeps the fixed copies: inside the run's dbt target directory
    (DBT_TARGET_PATH, default target/), replaced each run, so that runs with their own
    target directories never share it."""
    from iclsc.pipeline import target_dir

    return target_dir() / "raw-prepared"


def report_path() -> Path:
    """Where a run leaves its preflight counts for the release to reconcile."""
    from iclsc.pipeline import target_dir

    return target_dir() / "preflight.json"


def preflight_for_run(raw_dir: Path, log: Callable[[str], None]) -> Path | None:
    """The pipeline's step: checks the extract, logs every finding, and returns the directory
    dbt should read, or None when the run must stop."""
    report = check_raw(raw_dir)
    for finding in report.findings:
        log(f"check-raw {finding}")
    log(f"check-raw {raw_dir}: {report.summary()}")
    if not report.ok:
        log("the raw extract is structurally broken: nothing built, nothing published")
        return None
    work_dir = prepared_dir()
    shutil.rmtree(work_dir, ignore_errors=True)
    readable = prepare(report, work_dir)
    if readable != report.raw_dir:
        log(f"check-raw: dbt reads the fixed copy in {readable}")
    report_path().parent.mkdir(parents=True, exist_ok=True)
    report_path().write_text(
        json.dumps(
            {
                "raw_dir": str(Path(raw_dir).resolve()),
                "readable_dir": str(Path(readable).resolve()),
                "findings": [str(f) for f in report.findings],
                "records": report.records,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return readable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw_dir", type=Path, help="the raw extract directory")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    report = check_raw(args.raw_dir)
    if args.json:
        print(
            json.dumps(
                {
                    "raw_dir": str(report.raw_dir),
                    "ok": report.ok,
                    "findings": [asdict(f) for f in report.findings],
                    "records": report.records,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for finding in report.findings:
            print(finding, file=sys.stderr)
        print(f"check-raw {report.raw_dir}: {report.summary()}", file=sys.stderr)
    return 0 if report.ok else EXIT_RAW_INVALID
