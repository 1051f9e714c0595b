"""Read access to the built warehouse, whatever engine dbt built it on.

The publication reads the export relations through this module only, then formats every
value itself, so that the same extract gives the same bytes on every engine. Every reader
returns Python values of the same kinds: int for integers, Decimal for decimals, bool,
datetime.date, str and None.

Engines (ICLSC_TARGET): duckdb (the file at ICLSC_DUCKDB_PATH), postgres (the libpq
variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) and spark (the local session's
warehouse at ICLSC_SPARK_DIR); see iclsc.engines.

The privacy
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
    from iclsc import engines

    return engines.target_name()


# DuckDB's memory_limit when ICLSC_DUCKDB_MEMORY_LIMIT is unset (profiles/profiles.yml says
# the same). The whole run must stay within 12 GB (issue 7): DuckDB spills beyond its limit,
# and dbt's and the run's Python processes take the rest (about 1 GB at full scale).
DEFAULT_DUCKDB_MEMORY_LIMIT = "10GB"


def duckdb_memory_limit() -> str:
    return os.environ.get("ICLSC_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)


def duckdb_path() -> Path:
    path = Path(os.environ.get("ICLSC_DUCKDB_PATH", "warehouse/iclsc.duckdb"))
    return path if path.is_absolute() else project_dir() / path


class DuckDBWarehouse:
    def __init__(self, path: Path):
        import duckdb

        if not path.is_file():
            raise FileNotFoundError(f"no DuckDB warehouse at {path}: run dbt build first")
        self._connection = duckdb.connect(
            str(path), read_only=True, config={"memory_limit": duckdb_memory_limit()}
        )

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


class PostgresWarehouse:
    """A read-only session on the PostgreSQL warehouse (psycopg2)."""

    def __init__(self):
        from iclsc.engines import postgres

        self._connection = postgres.connect()
        self._connection.set_session(readonly=True, autocommit=True)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            columns = [description[0] for description in cursor.description]
            return columns, cursor.fetchall()

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def close(self) -> None:
        self._connection.close()


class SparkSessionReader:
    """Queries on the local Spark session of this process (iclsc.engines.spark)."""

    def __init__(self):
        from iclsc.engines import spark

        self._session = spark.session()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        from pyspark.sql.types import TimestampType

        frame = self._session.sql(sql)
        # pyspark hands timestamps over in the local time zone of this process; as wall
        # clock times of the session (UTC) they read as on the other engines.
        frame = frame.select(
            *[
                frame[field.name].cast("timestamp_ntz").alias(field.name)
                if isinstance(field.dataType, TimestampType)
                else frame[field.name]
                for field in frame.schema.fields
            ]
        )
        return list(frame.columns), [tuple(row) for row in frame.collect()]


class SparkWarehouse:
    """The Spark warehouse, read in a child process that ends when the reader closes (its
    metastore is then free for the next process, e.g. dbt docs generate)."""

    def __init__(self):
        from iclsc.engines.spark_reader import ChildReader

        self._reader = ChildReader()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        return self._reader.query(sql)

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def close(self) -> None:
        self._reader.close()


@contextmanager
def open_warehouse(target: str | None = None):
    target = target or target_name()
    if target == "duckdb":
        warehouse = DuckDBWarehouse(duckdb_path())
    elif target == "postgres":
        warehouse = PostgresWarehouse()
    elif target == "spark":
        warehouse = SparkWarehouse()
    else:
        raise ValueError(f"ICLSC_TARGET={target!r}: no warehouse reader for this target")
    try:
        yield warehouse
    finally:
        warehouse.close()


def identity() -> str:
    """Which warehouse the current target builds into (not secret: no password)."""
    target = target_name()
    if target == "duckdb":
        return f"duckdb:{duckdb_path().resolve()}"
    if target == "postgres":
        return (
            f"postgres:{os.environ.get('PGHOST', '')}:{os.environ.get('PGPORT', '5432')}/"
            f"{os.environ.get('PGDATABASE', '')}"
        )
    from iclsc.engines.spark import spark_dir

    return f"spark:{spark_dir()}"
