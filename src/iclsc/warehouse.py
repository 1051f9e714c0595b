"""Read access to the built warehouse, whatever engine dbt built it on.

The publication reads the export relations through this module only, then formats every
value itself, so that the same extract gives the same bytes on every engine. The privacy
protection reads its internal relations here too, and hands the warehouse small lists of
keys (`register`) that plain portable SQL then joins: every engine can hold a temporary
relation, only the way to create one differs, and it stays in this module.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from iclsc import project_dir


def target_name() -> str:
    return os.environ.get("ICLSC_TARGET", "duckdb")


def duckdb_path() -> Path:
    path = Path(os.environ.get("ICLSC_DUCKDB_PATH", "warehouse/iclsc.duckdb"))
    return path if path.is_absolute() else project_dir() / path


class DuckDBWarehouse:
    def __init__(self, path: Path):
        import duckdb

        if not path.is_file():
            raise FileNotFoundError(f"no DuckDB warehouse at {path}: run dbt build first")
        self._connection = duckdb.connect(str(path), read_only=True)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self._connection.execute(sql)
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def relation(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def register(self, name: str, columns: list[str], rows: list[tuple]) -> None:
        """A temporary relation `name` (text columns) for the queries that follow."""
        import pyarrow as pa

        table = pa.table(
            {c: pa.array([row[i] for row in rows], type=pa.string()) for i, c in enumerate(columns)}
        )
        self._connection.register(name, table)

    def unregister(self, name: str) -> None:
        self._connection.unregister(name)

    def close(self) -> None:
        self._connection.close()


@contextmanager
def open_warehouse(target: str | None = None):
    target = target or target_name()
    if target == "duckdb":
        warehouse = DuckDBWarehouse(duckdb_path())
    else:
        raise ValueError(f"ICLSC_TARGET={target!r}: no warehouse reader for this target")
    try:
        yield warehouse
    finally:
        warehouse.close()
