"""What a direct identifier looks like, for the checks that nothing identifying is published.

The same patterns guard the warehouse (tests/dbt/assert_no_identifiers_after_staging.sql)
and every published file (the publication gate). A NAM or postal code must stand alone,
not inside a longer run of letters and digits, so hex pseudonyms do not match by chance.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

NAM = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{4}\d{8}(?![A-Za-z0-9])")
POSTAL_CODE = re.compile(
    r"(?<![A-Za-z0-9])[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d(?![A-Za-z0-9])", re.IGNORECASE
)
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# A hex run this long is a hash: a pseudonym must never be published.
PSEUDONYM = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])")
IDENTIFIER_COLUMN = re.compile(
    r"^(nam|nom|prenom|code_postal|postal_code|date_naissance|birth_date|dob|no_dossier|"
    r"no_intervenant|person_id|provider_id|user_file_id)$",
    re.IGNORECASE,
)
# No event the project handles is older; an older date is presumably a birth date.
EARLIEST_EVENT_DATE = date(2015, 4, 1)


@dataclass(frozen=True)
class Finding:
    file: str
    row: int  # 1 = header
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.problem}"


def value_problem(value: str) -> str | None:
    """Why a published value looks like an identifier, or None."""
    if NAM.search(value):
        return "value looks like a NAM"
    if POSTAL_CODE.search(value):
        return "value looks like a postal code"
    if PSEUDONYM.search(value):
        return "value looks like a pseudonym (hash)"
    for match in ISO_DATE.finditer(value):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
        if found < EARLIEST_EVENT_DATE:
            return "date before the earliest event: looks like a birth date"
    return None


def scan_rows(name: str, header: list[str], rows: Iterable[list[str]]) -> list[Finding]:
    findings = [
        Finding(name, 1, column, "column named like an identifier")
        for column in header
        if IDENTIFIER_COLUMN.match(column)
    ]
    for row_number, row in enumerate(rows, start=2):
        for column, value in zip(header, row, strict=False):
            problem = value_problem(value) if value else None
            if problem:
                findings.append(Finding(name, row_number, column, problem))
    return findings


def scan_csv(path: Path, name: str | None = None) -> list[Finding]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return scan_rows(name or path.name, header, reader)
