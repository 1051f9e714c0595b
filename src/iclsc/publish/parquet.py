"""Parquet copies of the published datasets, built from the very strings of the CSV files.

The copy holds the same rows in the same order, with explicit types: dimensions and codes
stay strings ("01" keeps its zero), counts are int64, decimals keep their declared precision
and scale, the suppressed flag is a boolean, and a withheld measure is null. Each copy is
described in its CSV resource (`iclsc:copies`, with its size and checksum): the contract
keeps every resource of datapackage.json a CSV file.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from iclsc.publish.manifest import Dataset, Field

MEDIATYPE = "application/vnd.apache.parquet"


def arrow_type(published: Field) -> pa.DataType:
    kind = published.frictionless_type
    if kind == "string":
        return pa.string()
    if kind == "integer":
        return pa.int64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "date":
        return pa.date32()
    match = re.fullmatch(
        r"\s*(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*", published.data_type
    )
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    return pa.float64()


def _value(text: str, published: Field):
    if text == "":
        return None
    kind = published.frictionless_type
    if kind == "string":
        return text
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return date.fromisoformat(text)
    if published.scale is not None:
        return Decimal(text)
    return float(text)


def arrow_table(dataset: Dataset, rows: list[list[str]]) -> pa.Table:
    columns = {}
    for index, published in enumerate(dataset.fields):
        values = [_value(row[index], published) for row in rows]
        columns[published.name] = pa.array(values, type=arrow_type(published))
    schema = pa.schema(
        [
            pa.field(
                f.name,
                arrow_type(f),
                nullable=f.role != "dimension",
                metadata={"title": f.title, "description": f.description},
            )
            for f in dataset.fields
        ],
        metadata={"title": dataset.title, "description": dataset.description},
    )
    return pa.Table.from_pydict(columns, schema=schema)


def parquet_path(dataset: Dataset) -> str:
    return f"parquet/{dataset.resource}.parquet"


def write_parquet(directory: Path, dataset: Dataset, rows: list[list[str]]) -> dict:
    """Writes the copy and returns its description for the CSV resource."""
    relative = parquet_path(dataset)
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    # Parquet holds no timestamp: the same rows give the same bytes with the same pyarrow.
    pq.write_table(
        arrow_table(dataset, rows),
        path,
        compression="zstd",
        write_statistics=True,
        store_schema=True,
    )
    data = path.read_bytes()
    return {
        "path": relative,
        "format": "parquet",
        "mediatype": MEDIATYPE,
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
    }
