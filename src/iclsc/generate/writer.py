"""CSV files exactly as the contract says: UTF-8, comma, header, `"` quoting only where a
value needs it, empty field = null, `\\n` line ends.

Large tables go through pyarrow without quoting (fast); pyarrow refuses a value that would
need quotes, and such a table is then written by the csv module, which quotes only those
values. Either way the bytes are the same for the same table.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from iclsc.generate.contract import TIMESTAMP_FORMAT

_FAST = pacsv.WriteOptions(
    include_header=True, delimiter=",", eol="\n", quoting_style="none", quoting_header="none"
)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(TIMESTAMP_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        raise TypeError("write booleans as codes (O/N, true/false), not Python bools")
    return str(value)


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text(v) for v in row])


def write_table(path: Path, table: pa.Table) -> None:
    try:
        pacsv.write_csv(table, path, write_options=_FAST)
    except pa.ArrowInvalid:
        write_rows(
            path, table.column_names, zip(*(c.to_pylist() for c in table.columns), strict=True)
        )
