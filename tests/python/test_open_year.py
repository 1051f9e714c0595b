"""An extract whose only fiscal year is still open publishes: the annual tables hold no row
yet, and their metadata say so instead of refusing the release.

This is the first runs of a new system mid-year, and the `full` sample (one year whose
period 13 is not closed yet). The run must publish the period tables and the annual tables
empty, with portal metadata that state no temporal coverage (not an empty one).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
from conftest import make_build, rewrite_csv

from iclsc.publish.metadata import NO_PERIOD_YET

EXIT_OK = 0


def _open_the_year(raw: Path, fiscal_year: int) -> int:
    """Mark every transmission of the year's period 13 open; return how many."""

    def reopen(row: dict) -> bool:
        if row["annee_financiere"] == str(fiscal_year) and row["periode"] == "13":
            row["periode_fermee"] = "N"
            return True
        return False

    return rewrite_csv(raw / "transmissions.csv", reopen)


@pytest.fixture(scope="module")
def open_year_release(tmp_path_factory, tiny_extract) -> Path:
    base = tmp_path_factory.mktemp("open-year")
    raw = base / "raw"
    shutil.copytree(tiny_extract, raw)
    assert _open_the_year(raw, 2025) > 0
    build = make_build(base, raw)
    done = build.iclsc("run")
    assert done.returncode == EXIT_OK, (done.stdout + done.stderr)[-4000:]
    return (build.publish_dir / "latest").resolve()


def _annual_resources(release: Path) -> list[dict]:
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return [
        r
        for r in descriptor["resources"]
        if "iclsc:portal" in r
        and not any(f["name"] == "periode" for f in r["schema"]["fields"])
        and any(f["name"] == "annee_financiere" for f in r["schema"]["fields"])
    ]


def test_the_annual_tables_are_published_empty_and_the_period_tables_are_not(
    open_year_release,
):
    annual = _annual_resources(open_year_release)
    assert annual, "the release lacks the annual tables"
    for resource in annual:
        with (open_year_release / resource["path"]).open(encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        # the header alone: no row, and no NULL row left by an empty external model
        assert lines == [",".join(f["name"] for f in resource["schema"]["fields"])], resource[
            "name"
        ]
    with (open_year_release / "services-periodes.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) > 1


def test_portal_metadata_state_no_coverage_and_why(open_year_release):
    for resource in _annual_resources(open_year_release):
        portal = open_year_release / "portail"
        package = json.loads((portal / f"{resource['name']}.ckan.json").read_text())
        keys = {e["key"] for e in package["extras"]}
        assert not keys & {"temporal_start", "temporal_end"}, resource["name"]
        assert "Périodes couvertes : aucune" in package["notes"]
        assert "aucune des périodes qu'il couvre n'est fermée" in package["notes"]
        dcat = json.loads((portal / f"{resource['name']}.dcat.jsonld").read_text())
        assert "dct:temporal" not in json.dumps(dcat), "an empty period of time is no coverage"
        page = (open_year_release / "pages" / f"{resource['name']}.html").read_text()
        # the page says why in the portal notes' own words
        assert html.escape(NO_PERIOD_YET) in page
