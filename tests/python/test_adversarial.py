"""Extracts shaped to defeat the protection still publish, and what they publish passes the
audit.

One provider renders every intervention of an establishment: every cell of its territory
has a sole provider (withheld by the rule, and an insider who knows the whole cell), and its
margins are made of such cells. Withholding that many cells leaves large systems of
relations; the audit must still settle every withheld cell (or the run publishes nothing,
which is safe but leaves the public without the data).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from adversarial_shapes import SHAPES
from attacks import attack, naive_differences
from conftest import ROOT, make_build, rewrite_csv

EXIT_OK = 0
EXIT_GATE = 3
SOLE_PROVIDER = "582484"


def assert_audit_passes(release: Path) -> None:
    """`python -m iclsc audit` on the release, from its published files only: exit 0."""
    audit = subprocess.run(
        [sys.executable, "-m", "iclsc", "audit", str(release)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-3000:]


def _one_provider_for(raw: Path, establishment: str) -> int:
    """Give every intervention of the establishment to one provider; return how many."""

    def sole(row: dict) -> bool:
        row["no_intervenant"] = SOLE_PROVIDER
        return True

    paths = sorted((raw / "transmissions").glob(f"{establishment}-*/interventions.csv"))
    return sum(rewrite_csv(path, sole) for path in paths)


@pytest.fixture(scope="module")
def sole_provider_release(tmp_path_factory, tiny_extract) -> Path:
    base = tmp_path_factory.mktemp("sole-provider")
    raw = base / "raw"
    shutil.copytree(tiny_extract, raw)
    with (raw / "transmissions.csv").open(newline="", encoding="utf-8") as handle:
        establishment = next(csv.DictReader(handle))["code_etablissement"]
    assert _one_provider_for(raw, establishment) > 100
    build = make_build(base, raw)
    done = build.iclsc("run")
    assert done.returncode == EXIT_OK, (done.stdout + done.stderr)[-4000:]
    return (build.publish_dir / "latest").resolve()


def test_a_sole_provider_establishment_publishes_a_release_that_passes_its_audit(
    sole_provider_release,
):
    assert_audit_passes(sole_provider_release)
    summary = json.loads(
        (sole_provider_release / "confidentialite" / "resume.json").read_text(encoding="utf-8")
    )
    withheld = sum(t["withheld"] for t in summary["tables"].values())
    assert withheld > 0, "a sole provider's cells must be withheld"


@pytest.fixture(scope="module", params=["every_shape", "all_sapa"])
def shaped_run(request, tmp_path_factory, tiny_extract):
    """One full run per adversarial extract (tests/python/adversarial_shapes.py); each costs
    a tiny run (about 2 CPU-minutes), so the shapes that touch separate establishments
    share one extract."""
    base = tmp_path_factory.mktemp(request.param)
    raw = base / "raw"
    shutil.copytree(tiny_extract, raw)
    assert SHAPES[request.param](raw) > 0
    build = make_build(base, raw)
    return build, build.iclsc("run")


def test_an_adversarial_extract_publishes_a_release_no_attack_opens_or_publishes_nothing(
    shaped_run,
):
    build, done = shaped_run
    assert done.returncode in (EXIT_OK, EXIT_GATE), (done.stdout + done.stderr)[-4000:]
    latest = build.publish_dir / "latest"
    if done.returncode == EXIT_GATE:
        assert not latest.exists(), "a refused run must publish nothing"
        return
    release = latest.resolve()
    assert_audit_passes(release)
    assert naive_differences(release) == []
    findings, broken = attack(release)
    assert not broken, broken[:5]
    assert not [f for f in findings if f.exposed], [f for f in findings if f.exposed][:5]
