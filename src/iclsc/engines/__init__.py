"""The engines the warehouse can be built on, chosen by ICLSC_TARGET.

- `duckdb` (default): embedded, reads the raw CSV files directly; the dbt plugin
  `iclsc.dbt_plugin` hands it the pseudonymisation pads.
- `postgres`: a shared PostgreSQL warehouse, reached through the standard libpq variables
  (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE); `python -m iclsc load-raw` copies the
  raw files into it first (iclsc.engines.postgres).
- `spark`: a local Spark session (pyspark, Java 17) through dbt-spark's `session` method;
  `load-raw` reads the raw files with spark.read.csv (iclsc.engines.spark).

On every engine the pseudonymisation secret reaches the warehouse out of band, never in
SQL text, dbt logs or the manifest: that is why dbt runs through `python -m iclsc dbt`,
which prepares the engine's session in the process where dbt runs.
"""

from __future__ import annotations

import os

TARGETS = ("duckdb", "postgres", "spark")
# Targets whose raw tables are loaded by the project before dbt runs (DuckDB reads files).
LOADED_TARGETS = ("postgres", "spark")


class EngineError(RuntimeError):
    """A configuration or input problem on an engine, with a message meant for a person."""


def target_name() -> str:
    target = os.environ.get("ICLSC_TARGET", "duckdb")
    if target not in TARGETS:
        raise EngineError(f"ICLSC_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
    return target


def prepare_dbt_session(target: str) -> None:
    """Gives the engine session that dbt will use in this process its secret and settings."""
    if target == "postgres":
        from iclsc.engines import postgres

        postgres.pass_key_to_sessions()
    elif target == "spark":
        from iclsc.engines import spark

        spark.register_pads(spark.session())
