"""`python -m iclsc changed`: build only what changed since a release (dbt state selection).

Every release carries the manifest that built it (`dbt-state/manifest.json`). This command
compares the project as it is with that manifest and builds the modified nodes and what
depends on them: `dbt build --select state:modified+ --state ...`, after giving the
release's sources this environment's extract directory and database (iclsc.publish.state),
which would otherwise make every source, and so every model, look modified.

- a developer with a built warehouse: `python -m iclsc changed` (state:modified+);
- CI on an empty warehouse: `python -m iclsc changed --with-parents` (@state:modified: the
  modified nodes, their descendants, and every parent those need);
- `--list` prints what would be built (dbt ls) and builds nothing.
Arguments after `--` go to dbt.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from iclsc import project_dir
from iclsc.publish import state


def default_state_dir() -> Path:
    publish_dir = Path(os.environ.get("ICLSC_PUBLISH_DIR", "publication"))
    if not publish_dir.is_absolute():
        publish_dir = project_dir() / publish_dir
    return publish_dir / "latest" / state.STATE_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="a release's dbt-state folder (default: <ICLSC_PUBLISH_DIR>/latest/dbt-state)",
    )
    parser.add_argument(
        "--with-parents",
        action="store_true",
        help="also build the parents the changed nodes need (an empty warehouse, as in CI)",
    )
    parser.add_argument("--list", action="store_true", help="list what would be built")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="after --: passed to dbt")


def dbt(arguments: list[str], env: dict[str, str]) -> int:
    from iclsc.pipeline import dbt_command

    command = dbt_command(arguments)
    return subprocess.run(command, env=env, cwd=project_dir(), check=False).returncode


def run(args: argparse.Namespace) -> int:
    state_dir = args.state or default_state_dir()
    if not (state_dir / state.MANIFEST).is_file():
        print(f"no dbt state at {state_dir}: give --state <release>/dbt-state", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir() / "profiles"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    extra = [a for a in args.dbt_args if a != "--"]
    selector = "@state:modified" if args.with_parents else "state:modified+"
    with tempfile.TemporaryDirectory(prefix="iclsc-changed-") as scratch:
        work = Path(scratch)
        parsed = dbt(
            ["--quiet", "parse", "--target-path", str(work / "current"), "--log-path", str(work)],
            env,
        )
        if parsed != 0:
            return parsed
        localized = state.write_localized(state_dir, work / "current" / "manifest.json", work)
        if args.list:
            return dbt(
                [
                    "--quiet",
                    "ls",
                    "--select",
                    selector,
                    "--state",
                    str(localized),
                    "--target-path",
                    str(work / "ls"),
                    "--log-path",
                    str(work),
                    *extra,
                ],
                env,
            )
        return dbt(["build", "--select", selector, "--state", str(localized), *extra], env)
