"""Reads a published dataset from the warehouse and writes it as canonical CSV.

Every value is formatted here, not by the engine, so that DuckDB, PostgreSQL and Spark
publish the same bytes: integers as digits, decimals with the field's scale, booleans as
true/false, null as an empty field; rows in primary-key order with margins first.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from iclsc.publish.manifest import Dataset, Field


class TableError(RuntimeError):
    pass


def format_value(value, published: Field) -> str:
    if value is None:
        return ""
    kind = published.frictionless_type
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TableError(f"{published.name}: {value!r} is not a boolean")
        return "true" if value else "false"
    if kind == "integer":
        if isinstance(value, bool) or int(value) != value:
            raise TableError(f"{published.name}: {value!r} is not an integer")
        return str(int(value))
    if kind == "number":
        scale = published.scale
        number = Decimal(str(value))
        if scale is None:
            raise TableError(f"{published.name}: publish numbers as decimal(p, s)")
        return str(number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN))
    if kind == "date":
        return value.isoformat()
    return str(value)


def sort_key(row: list[str], dataset: Dataset) -> tuple:
    """Primary-key order, each margin ('Total') before the members it sums."""
    key = []
    for index, published in enumerate(dataset.fields):
        if published.role == "dimension":
            value = row[index]
            key.append((0 if value == published.total else 1, value))
    return tuple(key)


def read_rows(warehouse, dataset: Dataset) -> list[list[str]]:
    columns = ", ".join(warehouse.quote(f.name) for f in dataset.fields)
    relation = f"{warehouse.quote(dataset.schema)}.{warehouse.quote(dataset.relation)}"
    names, rows = warehouse.query(f"select {columns} from {relation}")
    if [n.lower() for n in names] != [f.name for f in dataset.fields]:
        raise TableError(f"{dataset.model}: columns {names} differ from the documented fields")
    formatted = [
        [format_value(value, f) for value, f in zip(row, dataset.fields, strict=True)]
        for row in rows
    ]
    formatted.sort(key=lambda row: sort_key(row, dataset))
    return formatted


def csv_bytes(dataset: Dataset, rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([f.name for f in dataset.fields])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_csv(path: Path, dataset: Dataset, rows: list[list[str]]) -> bytes:
    data = csv_bytes(dataset, rows)
    path.write_bytes(data)
    return data
