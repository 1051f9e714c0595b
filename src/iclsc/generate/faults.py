"""Fault injection for tests: copies a generated extract and makes it dirty, as real extracts
are (docs/iclsc-extract-contract.md: bad encodings, unknown codes, duplicates, impossible
dates, missing files, truncated rows).

Row faults only ADD rows (or a whole superseded transmission, or an unlisted folder) to the
latest transmission of a closed period, so a pipeline that handles them publishes exactly
the numbers of the clean extract; each returns where its rows went and the status and
reason staging must give them. Structural faults break one file and return the file and the
problem the preflight must name.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from iclsc.generate import contract


@dataclass(frozen=True)
class Expected:
    """Rows a fault added, and what staging must make of them."""

    fault: str
    source_file: str  # relative to the raw directory
    row_status: str  # quarantined, duplicate or superseded
    reason: str  # a part of the quarantine reason
    rows: int


def copy_extract(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def _latest(raw: Path, fiscal_year: str, period: str) -> dict[str, str]:
    """The latest transmission of the first establishment, for a year and period."""
    _, rows = _read(raw / contract.TRANSMISSIONS_FILE)
    header = list(contract.TRANSMISSIONS_COLUMNS)
    transmissions = [dict(zip(header, row, strict=True)) for row in rows]
    first = transmissions[0]["code_etablissement"]
    candidates = [
        t
        for t in transmissions
        if t["code_etablissement"] == first
        and t["annee_financiere"] == fiscal_year
        and t["periode"] == period
    ]
    return max(candidates, key=lambda t: t["date_transmission"])


def inject_row_faults(raw: Path, fiscal_year: str = "2025", period: str = "5") -> list[Expected]:
    """Adds every row-level fault to the latest transmission of (first establishment, year,
    period); returns what staging must do with each."""
    target = _latest(raw, fiscal_year, period)
    folder = f"{contract.TRANSMISSIONS_DIR}/{target['id_transmission']}"
    interventions_file = f"{folder}/{contract.INTERVENTIONS_FILE}"
    header, rows = _read(raw / interventions_file)
    col = {name: i for i, name in enumerate(header)}
    _, users = _read(raw / folder / contract.USAGERS_FILE)
    individual = [r for r in rows if r[col["code_type"]] == "I"]
    base = individual[0]

    def variant(number: str, **changes: str) -> list[str]:
        row = list(base)
        row[col["no_intervention"]] = number
        for column, value in changes.items():
            row[col[column]] = value
        return row

    added = [
        list(rows[0]),  # exact duplicate
        variant(
            base[col["no_intervention"]], duree_minutes=str(int(base[col["duree_minutes"]]) + 7)
        ),
        variant("FAUTE-CODE", code_programme="XXXX"),
        variant("FAUTE-DATE", date_intervention="2025-02-30"),
        variant("FAUTE-HORS-PERIODE", date_intervention=f"{int(fiscal_year) - 3}-06-15"),
        variant("FAUTE-USAGER", no_dossier="FAUTE-INCONNU"),
        variant("FAUTE-DEMANDE", no_demande="FAUTE-INCONNUE"),
        variant("FAUTE-GROUPE", code_type="G", no_dossier=users[0][0], duree_minutes="30"),
        variant("FAUTE-GROUPE", code_type="G", no_dossier=users[1][0], duree_minutes="45"),
    ]
    _write(raw / interventions_file, header, rows + added)
    expected = [
        Expected("exact duplicate", interventions_file, "duplicate", "doublon exact", 1),
        Expected("key duplicate", interventions_file, "duplicate", "doublon de cle", 1),
        Expected("invalid code", interventions_file, "quarantined", "programme-services", 1),
        Expected("impossible date", interventions_file, "quarantined", "date manquante", 1),
        Expected(
            "date outside the period", interventions_file, "quarantined", "hors de la periode", 1
        ),
        Expected("orphan user", interventions_file, "quarantined", "usager absent", 1),
        Expected("orphan request", interventions_file, "quarantined", "demande absente", 1),
        Expected(
            "inconsistent group", interventions_file, "quarantined", "intervention repetee", 2
        ),
    ]

    # A superseded transmission: an earlier version of the same period, with other rows.
    old_id = f"{target['id_transmission']}-ANCIENNE"
    old_folder = raw / contract.TRANSMISSIONS_DIR / old_id
    shutil.copytree(raw / folder, old_folder)
    _write(
        old_folder / contract.INTERVENTIONS_FILE,
        header,
        [variant(f"ANCIENNE-{k}", duree_minutes="999") for k in range(3)],
    )
    t_header, t_rows = _read(raw / contract.TRANSMISSIONS_FILE)
    earlier = dict(target, id_transmission=old_id)
    earlier["date_transmission"] = target["date_transmission"][:10] + "T00:00:01"
    if earlier["date_transmission"] >= target["date_transmission"]:
        raise AssertionError("the injected transmission must be earlier")
    t_rows.append([earlier[c] for c in t_header])
    _write(raw / contract.TRANSMISSIONS_FILE, t_header, t_rows)
    for name in contract.TRANSMISSION_FILES:
        n = len(_read(old_folder / name)[1])
        expected.append(
            Expected(
                "superseded transmission",
                f"{contract.TRANSMISSIONS_DIR}/{old_id}/{name}",
                "superseded",
                "remplacee",
                n,
            )
        )

    # A folder that transmissions.csv does not list.
    unlisted = "FAUTE-DOSSIER-NON-DECLARE"
    shutil.copytree(raw / folder, raw / contract.TRANSMISSIONS_DIR / unlisted)
    for name in contract.TRANSMISSION_FILES:
        n = len(_read(raw / contract.TRANSMISSIONS_DIR / unlisted / name)[1])
        expected.append(
            Expected(
                "unlisted folder",
                f"{contract.TRANSMISSIONS_DIR}/{unlisted}/{name}",
                "quarantined",
                "transmission absente",
                n,
            )
        )

    # Safe to fix: a byte order mark and CRLF line ends, no value changed.
    demandes = raw / folder / contract.DEMANDES_FILE
    demandes.write_bytes(b"\xef\xbb\xbf" + demandes.read_bytes().replace(b"\n", b"\r\n"))
    return expected


# --------------------------------------------------------------------------- structural faults


def _some_transmission_file(raw: Path, name: str) -> str:
    folder = sorted((raw / contract.TRANSMISSIONS_DIR).iterdir())[0]
    return f"{contract.TRANSMISSIONS_DIR}/{folder.name}/{name}"


def wrong_encoding(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.USAGERS_FILE)
    path = raw / relative
    path.write_bytes(
        path.read_bytes().decode("utf-8").encode("latin-1", "replace") + "é\n".encode("latin-1")
    )
    return relative, "not UTF-8"


def missing_column(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.INTERVENTIONS_FILE)
    header, rows = _read(raw / relative)
    _write(raw / relative, header[:-1], [r[:-1] for r in rows])
    return relative, "missing column(s) duree_minutes"


def extra_column(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.DEMANDES_FILE)
    header, rows = _read(raw / relative)
    _write(raw / relative, [*header, "commentaire"], [[*r, "x"] for r in rows])
    return relative, "unexpected column(s) 'commentaire'"


def other_delimiter(raw: Path) -> tuple[str, str]:
    relative = contract.INSTALLATIONS_FILE
    header, rows = _read(raw / relative)
    text = "\n".join(";".join(r) for r in [header, *rows]) + "\n"
    (raw / relative).write_bytes(text.encode("utf-8"))
    return relative, "semicolon"


def truncated_last_line(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.INTERVENTIONS_FILE)
    path = raw / relative
    path.write_bytes(path.read_bytes()[:-12])
    return relative, "truncated"


def empty_file(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.DEMANDES_FILE)
    (raw / relative).write_bytes(b"")
    return relative, "empty"


def missing_file(raw: Path) -> tuple[str, str]:
    relative = _some_transmission_file(raw, contract.USAGERS_FILE)
    (raw / relative).unlink()
    return relative, "missing"


def missing_folder(raw: Path) -> tuple[str, str]:
    folder = sorted((raw / contract.TRANSMISSIONS_DIR).iterdir())[-1]
    shutil.rmtree(folder)
    return f"{contract.TRANSMISSIONS_DIR}/{folder.name}", "has no folder"


STRUCTURAL_FAULTS = {
    "wrong encoding": wrong_encoding,
    "missing column": missing_column,
    "extra column": extra_column,
    "other delimiter": other_delimiter,
    "truncated last line": truncated_last_line,
    "empty file": empty_file,
    "missing file": missing_file,
    "missing folder": missing_folder,
}
