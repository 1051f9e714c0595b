"""`python -m iclsc run`: the main job behind ./scripts/run.

Generates the sample extract when no extract is given, builds the warehouse with
`dbt build` (every model and every test) on ICLSC_TARGET, then publishes a release through
the gates. On PostgreSQL and Spark the raw files are loaded into the warehouse first
(`python -m iclsc load-raw`). Nothing is published unless every step passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from iclsc import engines, project_dir, pseudonym

SAMPLE_SCALE = "small"
SAMPLE_SEED = 42

# Exit codes, one per gate (documented in README.md).
EXIT_OK = 0
EXIT_CONFIGURATION = 2
EXIT_PUBLICATION_GATE = 3
EXIT_DBT_BUILD = 4
EXIT_RAW_INVALID = 5  # iclsc.quality.preflight: a raw file is structurally broken
EXIT_RAW_EXPECTATIONS = 6  # iclsc.quality.expectations: a raw delivery failed an error check


def log(message: str) -> None:
    print(f"[iclsc] {message}", file=sys.stderr, flush=True)


def target_dir() -> Path:
    """Where dbt writes its artifacts (DBT_TARGET_PATH, as dbt reads it)."""
    path = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return path if path.is_absolute() else project_dir() / path


def dbt_environment(raw_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ICLSC_RAW_DIR"] = str(raw_dir)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir() / "profiles"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["GX_ANALYTICS_ENABLED"] = "false"
    return env


def run_iclsc(arguments: list[str], env: dict[str, str]) -> int:
    """A step in its own process: dbt and Spark keep global state, one run each."""
    command = [sys.executable, "-m", "iclsc", *arguments]
    log("running python -m iclsc " + " ".join(arguments))
    return subprocess.run(command, env=env, cwd=project_dir(), check=False).returncode


def run_dbt(arguments: list[str], env: dict[str, str]) -> int:
    # Through `python -m iclsc dbt`: it hands the key to the engine (iclsc.engines).
    return run_iclsc(["dbt", *arguments, "--project-dir", str(project_dir())], env)


def resolve_raw_dir() -> tuple[Path, bool]:
    """The extract to read, and whether it is the synthetic sample."""
    given = os.environ.get("ICLSC_RAW_DIR")
    if given:
        return Path(given).resolve(), False
    return (project_dir() / "data" / "raw").resolve(), True


def ensure_key(is_sample: bool) -> bool:
    if os.environ.get(pseudonym.KEY_ENV):
        return True
    if not is_sample:
        log(
            f"{pseudonym.KEY_ENV} is not set. A real extract needs a secret pseudonymisation "
            "key (at least 16 bytes); the development key is for the synthetic sample only."
        )
        return False
    os.environ[pseudonym.KEY_ENV] = pseudonym.DEVELOPMENT_KEY
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish-dir",
        type=Path,
        default=Path(os.environ.get("ICLSC_PUBLISH_DIR", "publication")),
    )
    parser.add_argument("--release-id", default=None)


def run(args: argparse.Namespace) -> int:
    raw_dir, is_sample = resolve_raw_dir()
    if not ensure_key(is_sample):
        return EXIT_CONFIGURATION
    pseudonym.warn_if_development_key()
    if is_sample and not raw_dir.exists():
        from iclsc.generate import generate

        log(f"no extract given: generating the {SAMPLE_SCALE} sample into {raw_dir}")
        generate(raw_dir, SAMPLE_SCALE, SAMPLE_SEED)
    if not raw_dir.is_dir():
        log(f"the extract directory {raw_dir} does not exist")
        return EXIT_CONFIGURATION

    from iclsc.quality import expectations, preflight

    readable_dir = preflight.preflight_for_run(raw_dir, log)
    if readable_dir is None:
        return EXIT_RAW_INVALID
    if not expectations.validate_raw_for_run(readable_dir, log):
        return EXIT_RAW_EXPECTATIONS

    try:
        target = engines.target_name()
    except engines.EngineError as error:
        log(str(error))
        return EXIT_CONFIGURATION
    env = dbt_environment(readable_dir)
    if target in engines.LOADED_TARGETS and run_iclsc(["load-raw"], env) != 0:
        log(f"loading the extract into {target} failed: nothing published, latest left as it was")
        return EXIT_DBT_BUILD
    build = ["build"]
    if target == "spark":
        # dbt unit tests feed a model its inputs as CTEs of one query, which complementary
        # suppression cannot read on Spark (it runs its rounds as separate statements). The
        # unit tests run on DuckDB and PostgreSQL; the engine tests compare Spark's release
        # with DuckDB's, byte for byte.
        build += ["--exclude", "resource_type:unit_test"]
    if run_dbt(build, env) != 0:
        log("dbt build failed: nothing published, latest left as it was")
        return EXIT_DBT_BUILD

    from iclsc.publish.manifest import ManifestError
    from iclsc.publish.release import GateError, publish

    publish_dir = (
        args.publish_dir if args.publish_dir.is_absolute() else project_dir() / args.publish_dir
    )
    try:
        release_dir = publish(publish_dir, target_dir(), args.release_id)
    except GateError as error:
        log(f"publication refused: {error}")
        return EXIT_PUBLICATION_GATE
    except ManifestError as error:
        log(f"publication refused, the dbt metadata is incomplete: {error}")
        return EXIT_CONFIGURATION
    log(f"published {release_dir}; {publish_dir / 'latest'} points to it")
    pseudonym.warn_if_development_key()
    return EXIT_OK
