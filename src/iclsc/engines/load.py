"""`python -m iclsc load-raw`: copies the raw extract into the warehouse of ICLSC_TARGET.

PostgreSQL and Spark do not read the extract where it lies, as DuckDB does: this loads
every raw file into the source tables the staging models read (schema of the dbt source
`iclsc`), each row with its file and record number. `./scripts/run` does it before dbt.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from iclsc.engines import LOADED_TARGETS, EngineError, target_name


def log(message: str) -> None:
    print(f"[iclsc] {message}", file=sys.stderr, flush=True)


def load_raw(raw_dir: Path, target: str | None = None) -> dict[str, int]:
    target = target or target_name()
    if not raw_dir.is_dir():
        raise EngineError(f"the extract directory {raw_dir} does not exist")
    if target == "postgres":
        from iclsc.engines import postgres

        return postgres.load_raw(raw_dir, log)
    if target == "spark":
        from iclsc.engines import spark

        try:
            return spark.load_raw(raw_dir, log)
        finally:
            spark.stop()
    raise EngineError(f"ICLSC_TARGET={target}: reads the raw files in place, nothing to load")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=Path(os.environ.get("ICLSC_RAW_DIR", "data/raw")),
        help="the raw extract (ICLSC_RAW_DIR, default data/raw)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        target = target_name()
        if target not in LOADED_TARGETS:
            log(f"ICLSC_TARGET={target} reads the raw files in place: nothing to load")
            return 0
        load_raw(args.raw_dir.resolve(), target)
    except EngineError as error:
        log(f"raw load refused: {error}")
        return 2
    return 0
