"""`python -m iclsc dbt ARGS...`: runs dbt on ICLSC_TARGET with the pseudonymisation secret.

The secret must reach the engine's sessions without passing through SQL, logs or the
manifest, and each engine takes it differently (iclsc.engines): this prepares the engine
in this process, then runs dbt here (dbtRunner), so dbt's connections inherit it. On
DuckDB it changes nothing: the dbt plugin iclsc.dbt_plugin does the same work.
"""

from __future__ import annotations

import argparse
import sys

from iclsc.engines import EngineError, prepare_dbt_session, target_name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt")


def run(args: argparse.Namespace) -> int:
    from dbt.cli.main import dbtRunner

    from iclsc.pseudonym import MissingKeyError

    try:
        target = target_name()
        if target != "duckdb":
            prepare_dbt_session(target)
    except (EngineError, MissingKeyError) as error:
        print(f"[iclsc] {error}", file=sys.stderr, flush=True)
        return 2
    try:
        result = dbtRunner().invoke(list(args.dbt_args))
    finally:
        if target == "spark":
            from iclsc.engines import spark

            spark.stop()
    if result.exception is not None:
        print(f"[iclsc] dbt stopped: {result.exception}", file=sys.stderr, flush=True)
        return 2
    return 0 if result.success else 1
