"""PostgreSQL: connection, the pseudonymisation key, and the raw load (COPY).

The connection comes from the standard libpq variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE), for dbt (profiles/profiles.yml) and for the project's own code.

The key reaches every dbt session as the custom setting `iclsc.pseudo_key` (hex of the
key's bytes), through PGOPTIONS in the environment of the process that runs dbt: libpq
sends it in the connection's startup packet, so it is in no SQL text, no dbt log and no
manifest. The macro `pseudonymize` computes pgcrypto's hmac() with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from iclsc.engines import EngineError
from iclsc.engines.raw import RawTable, check_file, raw_source
from iclsc.pseudonym import key_from_env

KEY_SETTING = "iclsc.pseudo_key"
REQUIRED_ENV = ("PGHOST", "PGUSER", "PGDATABASE")


def connect():
    import psycopg2

    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        raise EngineError(
            "ICLSC_TARGET=postgres needs the connection in the libpq variables: "
            + ", ".join(missing)
            + " not set (PGPORT and PGPASSWORD are optional)"
        )
    # An empty DSN: libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE itself.
    return psycopg2.connect("")


def key_option(key: bytes) -> str:
    """The libpq `-c` option that sets the key for a session (hex: nothing to escape)."""
    return f"-c {KEY_SETTING}={key.hex()}"


def pass_key_to_sessions() -> None:
    """Every PostgreSQL connection this process opens from now on carries the key."""
    option = key_option(key_from_env())
    current = os.environ.get("PGOPTIONS", "")
    if option not in current:
        os.environ["PGOPTIONS"] = f"{current} {option}".strip()


def _load_table(cursor, schema: str, table: RawTable, raw_dir: Path) -> int:
    from psycopg2 import sql

    columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
    target = sql.Identifier(schema, table.name)
    cursor.execute(sql.SQL("drop table if exists {}").format(target))
    cursor.execute(
        sql.SQL(
            "create table {} ({}, source_file text not null, source_record bigint not null)"
        ).format(
            target,
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in table.columns),
        )
    )
    # COPY numbers the records of a file in file order through the identity column.
    cursor.execute(
        sql.SQL(
            "create temporary table iclsc_raw_file ({}, source_record bigint generated always "
            "as identity) on commit drop"
        ).format(
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in table.columns)
        )
    )
    # FORCE_NULL: a quoted empty field is null too, as DuckDB reads it.
    copy = sql.SQL(
        "copy iclsc_raw_file ({}) from stdin with (format csv, header true, delimiter ',', "
        "quote '\"', escape '\"', encoding 'UTF8', force_null ({}))"
    ).format(columns, columns)
    rows = 0
    for path, relative in table.files(raw_dir):
        check_file(path, relative, table)
        with path.open("rb") as stream:
            try:
                cursor.copy_expert(copy.as_string(cursor), stream)
            except Exception as error:
                raise EngineError(f"{relative}: {str(error).strip()}") from None
        cursor.execute(
            sql.SQL("insert into {} select {}, %s, source_record from iclsc_raw_file").format(
                target, columns
            ),
            (relative,),
        )
        rows += cursor.rowcount
        cursor.execute("truncate iclsc_raw_file restart identity")
    cursor.execute("drop table iclsc_raw_file")
    return rows


def load_raw(raw_dir: Path, log=print) -> dict[str, int]:
    """Replaces the raw tables with the extract's files, all or nothing (one transaction)."""
    from psycopg2 import sql

    source = raw_source()
    counts = {}
    connection = connect()
    try:
        with connection, connection.cursor() as cursor:
            # pgcrypto gives hmac() to the pseudonyms; it is a trusted extension (PG 13+).
            cursor.execute("create extension if not exists pgcrypto")
            cursor.execute(
                sql.SQL("create schema if not exists {}").format(sql.Identifier(source.schema))
            )
            for table in source.tables:
                counts[table.name] = _load_table(cursor, source.schema, table, raw_dir)
                log(f"loaded {counts[table.name]} rows into {source.schema}.{table.name}")
    finally:
        connection.close()
    return counts
