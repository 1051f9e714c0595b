"""`python -m iclsc publish`: publish a release from a built warehouse."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish-dir",
        type=Path,
        default=Path(os.environ.get("ICLSC_PUBLISH_DIR", "publication")),
        help="where releases go (ICLSC_PUBLISH_DIR, default publication)",
    )
    parser.add_argument(
        "--target-dir",
        type=Path,
        default=None,
        help="dbt artifacts (default: DBT_TARGET_PATH, else target/)",
    )
    parser.add_argument("--release-id", default=None, help="default: a UTC timestamp")


def run(args: argparse.Namespace) -> int:
    from iclsc.pipeline import EXIT_LOCKED, lock_paths, target_dir
    from iclsc.publish.manifest import ManifestError
    from iclsc.publish.release import GateError, publish
    from iclsc.runs.lock import LockHeld, RunLock

    args.target_dir = args.target_dir or target_dir()
    # The same locks as `python -m iclsc run`: never publish while a run rebuilds the warehouse.
    details = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": "publish"}
    details["started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    details["command"] = "python -m iclsc publish"
    try:
        lock = RunLock(lock_paths(args.publish_dir, args.target_dir), details).acquire()
    except LockHeld as held:
        print(f"not published: {held}", file=sys.stderr)
        return EXIT_LOCKED
    try:
        release_dir = publish(args.publish_dir, args.target_dir, args.release_id)
    except GateError as error:
        print(f"publication refused: {error}", file=sys.stderr)
        return 3
    except ManifestError as error:
        print(f"publication refused, the dbt metadata is incomplete:\n{error}", file=sys.stderr)
        return 2
    finally:
        lock.release()
    print(f"published {release_dir}")
    return 0
