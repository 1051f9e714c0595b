"""The main job end to end: `python -m iclsc run` on the default sample scale."""

from __future__ import annotations

import json

import pytest
from conftest import make_build

from iclsc import pseudonym
from iclsc.generate import generate
from iclsc.pipeline import SAMPLE_SCALE, SAMPLE_SEED


@pytest.mark.slow
def test_the_default_sample_builds_and_publishes(tmp_path):
    build = make_build(tmp_path)
    generate(build.raw_dir, SAMPLE_SCALE, SAMPLE_SEED)
    result = build.iclsc("run", ICLSC_PSEUDO_KEY=pseudonym.DEVELOPMENT_KEY)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "DEVELOPMENT PSEUDONYMISATION KEY" in result.stderr
    latest = build.publish_dir / "latest"
    package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    assert package["iclsc:pseudonymisation"] == "development-key"
    for resource in package["resources"]:
        assert (latest / resource["path"]).stat().st_size == resource["bytes"]
