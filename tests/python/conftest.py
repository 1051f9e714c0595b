"""Shared fixtures: a tiny synthetic extract built by dbt into its own warehouse.

dbt runs in a subprocess, one invocation at a time, each on its own DuckDB file and its own
target directory, so tests never touch the developer's warehouse or release.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from iclsc import project_dir, pseudonym
from iclsc.generate import generate

ROOT = project_dir()


@dataclass(frozen=True)
class Build:
    """A built warehouse: where its extract, database, dbt artifacts and releases live."""

    raw_dir: Path
    duckdb_path: Path
    target_dir: Path
    publish_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ICLSC_RAW_DIR=str(self.raw_dir),
            ICLSC_DUCKDB_PATH=str(self.duckdb_path),
            ICLSC_DUCKDB_MEMORY_LIMIT="2GB",
            ICLSC_PUBLISH_DIR=str(self.publish_dir),
            ICLSC_PSEUDO_KEY=env.get("ICLSC_PSEUDO_KEY") or pseudonym.DEVELOPMENT_KEY,
            DBT_PROFILES_DIR=str(ROOT / "profiles"),
            DBT_TARGET_PATH=str(self.target_dir),
            DBT_LOG_PATH=str(self.target_dir / "logs"),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            GX_ANALYTICS_ENABLED="false",
        )
        env.update(extra)
        return env

    def dbt(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        dbt = Path(sys.executable).with_name("dbt")
        result = subprocess.run(
            [str(dbt), *args, "--project-dir", str(ROOT)],
            env=self.env(**env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}")
        return result

    def iclsc(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "iclsc", *args],
            env=self.env(**env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )


def rewrite_csv(path: Path, change) -> int:
    """Rewrite a raw CSV file row by row: `change(row)` edits a row in place and says whether
    it changed it. Returns how many rows changed (adversarial and unusual extracts)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    changed = sum(1 for row in rows if change(row))
    if rows:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return changed


def make_build(base: Path, raw_dir: Path | None = None) -> Build:
    base.mkdir(parents=True, exist_ok=True)
    return Build(
        raw_dir=raw_dir or base / "raw",
        duckdb_path=base / "warehouse.duckdb",
        target_dir=base / "target",
        publish_dir=base / "publication",
    )


@pytest.fixture(scope="session")
def tiny_extract(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("tiny") / "raw"
    generate(raw, "tiny", 42)
    return raw


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory, tiny_extract) -> Build:
    """The tiny extract, built by `dbt build` (every model, every test)."""
    build = make_build(tmp_path_factory.mktemp("tiny-build"), tiny_extract)
    build.dbt("build")
    return build


@pytest.fixture(scope="session")
def tiny_release(tiny_build) -> Path:
    """The tiny build published once as release r1 (shared by the publication tests and the
    attacks on the default release)."""
    result = tiny_build.iclsc(
        "publish",
        "--publish-dir",
        str(tiny_build.publish_dir),
        "--target-dir",
        str(tiny_build.target_dir),
        "--release-id",
        "r1",
    )
    assert result.returncode == 0, result.stderr
    return tiny_build.publish_dir / "r1"
