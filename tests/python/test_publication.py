"""Publication: a release per the contract, through the gates, moved into place atomically."""

from __future__ import annotations

import csv
import json
import os
import shutil

import pytest
from conftest import make_build
from frictionless import Package

from iclsc import identifiers
from iclsc.publish import gates
from iclsc.publish.manifest import Dataset, Field


@pytest.fixture(scope="module")
def release(tiny_release):
    return tiny_release


def descriptor(release_dir):
    return json.loads((release_dir / "datapackage.json").read_text(encoding="utf-8"))


def rows_of(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_latest_points_to_the_release(release):
    latest = release.parent / "latest"
    assert latest.is_symlink()
    assert latest.resolve() == release.resolve()
    assert not list(release.parent.glob(".incoming-*"))


def test_datapackage_follows_the_contract(release):
    package = descriptor(release)
    assert package["resources"], "no resource"
    for resource in package["resources"]:
        assert resource["format"] == "csv"
        assert resource["encoding"] == "utf-8"
        schema = resource["schema"]
        assert schema["missingValues"] == [""]
        assert schema["primaryKey"]
        roles = {}
        for field in schema["fields"]:
            for key in ("name", "type", "title", "description", "iclsc:role"):
                assert field.get(key), (resource["name"], field.get("name"), key)
            roles[field["name"]] = field["iclsc:role"]
            if field["iclsc:role"] == "measure":
                assert "iclsc:additive" in field
            if field["iclsc:role"] == "suppressed":
                assert field["type"] == "boolean"
        assert set(schema["primaryKey"]) == {n for n, r in roles.items() if r == "dimension"}
        assert list(roles.values()).count("suppressed") == 1


def test_frictionless_validates_the_release(release):
    report = Package(str(release / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


def test_csv_files_are_utf8_comma_with_header_and_codes_as_text(release):
    for resource in descriptor(release)["resources"]:
        data = (release / resource["path"]).read_bytes()
        text = data.decode("utf-8")
        header = text.split("\n", 1)[0].split(",")
        assert header == [f["name"] for f in resource["schema"]["fields"]]
        assert data.endswith(b"\n") and b"\r" not in data
    services = rows_of(release / "services-annuels.csv")
    assert any(row["code_rss"] == "06" for row in services)  # leading zero kept


def test_no_identifier_like_value_is_published(release):
    for resource in descriptor(release)["resources"]:
        assert identifiers.scan_csv(release / resource["path"]) == []


def test_published_cells_respect_the_rule(release):
    package = descriptor(release)
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        suppressed = next(f["name"] for f in fields if f["iclsc:role"] == "suppressed")
        measures = [f for f in fields if f["iclsc:role"] == "measure"]
        persons = [f["name"] for f in measures if f.get("iclsc:counts") == "persons"]
        rows = rows_of(release / resource["path"])
        if persons and "iclsc:portal" in resource:  # datasets counting persons, not the diff
            assert any(row[suppressed] == "true" for row in rows), "nothing withheld in tiny?"
        for row in rows:
            if row[suppressed] == "true":
                assert all(row[m["name"]] == "" for m in measures), row
            else:
                # a statistic with an iclsc:basis (a median delay) does not exist, and is
                # empty, exactly when its basis count is 0
                for m in measures:
                    undefined = "iclsc:basis" in m and row[m["iclsc:basis"]] == "0"
                    assert (row[m["name"]] == "") == undefined, (m["name"], row)
                for name in persons:
                    assert not 0 < int(row[name]) < 5, row


def test_margins_are_distinct_counts_not_sums(tiny_build, release):
    """A person served in two programmes counts once in the programme total: the published
    grand total is the distinct count, below the sum of the programme cells' true counts
    (read where the protection reads them, since on the tiny extract the programme cells
    themselves are withheld)."""
    import duckdb

    rows = rows_of(release / "services-annuels.csv")
    grand = [
        r
        for r in rows
        if r["code_rss"] == "Total"
        and r["code_programme"] == "Total"
        and r["groupe_age"] == "Total"
        and r["sexe"] == "Total"
    ]
    year = grand[0]["annee_financiere"]
    connection = duckdb.connect(str(tiny_build.duckdb_path), read_only=True)
    (persons,) = connection.execute(
        "select count(distinct person_id) from intermediate.int_interventions_classified"
        " where fiscal_year = ?",
        [int(year[:4])],
    ).fetchone()
    (programme_sum,) = connection.execute(
        "select sum(persons) from privacy.prv_services_cells where annee_financiere = ?"
        " and code_programme <> 'Total' and periode = 'Total' and code_mode = 'Total'"
        " and code_rss = 'Total' and groupe_age = 'Total' and sexe = 'Total'"
        " and code_rss_installation = 'Total'",
        [year],
    ).fetchone()
    connection.close()
    assert int(grand[0]["nb_usagers"]) == persons
    assert programme_sum > persons  # someone used two programmes


def test_a_failed_publication_leaves_latest_as_it_was(tiny_build, release, tmp_path):
    broken_target = tmp_path / "target"
    shutil.copytree(tiny_build.target_dir, broken_target, ignore=shutil.ignore_patterns("logs"))
    manifest_path = broken_target / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for node in manifest["nodes"].values():
        if node["name"] == "exp_services_annuels":
            node["alias"] = "no_such_relation"
    manifest_path.write_text(json.dumps(manifest))
    before = sorted(p.name for p in tiny_build.publish_dir.iterdir())
    result = tiny_build.iclsc(
        "publish",
        "--publish-dir",
        str(tiny_build.publish_dir),
        "--target-dir",
        str(broken_target),
        "--release-id",
        "broken",
    )
    assert result.returncode != 0
    assert sorted(p.name for p in tiny_build.publish_dir.iterdir()) == before
    assert os.readlink(tiny_build.publish_dir / "latest") == "r1"


def dataset() -> Dataset:
    def field(name, role, **properties):
        return Field(name, "varchar", name, name, role, properties)

    return Dataset(
        model="m",
        schema="s",
        relation="r",
        resource="t",
        title="t",
        description="t",
        fields=[
            field("a", "dimension", **{"iclsc:total": "Total"}),
            field("b", "dimension", **{"iclsc:total": "Total"}),
            field("s", "suppressed"),
            Field("n", "bigint", "n", "n", "measure", {"iclsc:counts": "persons"}),
        ],
    )


def grid(withheld: set[tuple[str, str]], value: str = "9"):
    rows = []
    for a in ("Total", "x", "y"):
        for b in ("Total", "u", "v"):
            hidden = (a, b) in withheld
            rows.append([a, b, "true" if hidden else "false", "" if hidden else value])
    return rows


def test_gate_finds_a_lone_withheld_cell():
    assert gates.check_lone_withheld(dataset(), grid({("x", "u")}))
    rectangle = {("x", "u"), ("x", "v"), ("y", "u"), ("y", "v")}
    assert gates.check_lone_withheld(dataset(), grid(rectangle)) == []


def test_gate_finds_small_counts_and_half_withheld_rows():
    violations = gates.check_rule(dataset(), grid(set(), value="3"), min_persons=5)
    assert len(violations) == 9
    bad = grid(set())
    bad[0][2] = "true"  # withheld but shows its measure
    assert gates.check_rule(dataset(), bad, min_persons=5)


def test_run_refuses_a_real_extract_without_a_key(tmp_path, tiny_extract):
    build = make_build(tmp_path, tiny_extract)
    env = build.env()
    del env["ICLSC_PSEUDO_KEY"]
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "iclsc", "run"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "ICLSC_PSEUDO_KEY" in result.stderr
    assert not build.publish_dir.exists()


def test_the_release_passes_its_own_audit(tiny_build, release):
    """The audit, reading only the published files, finds no withheld value an attacker can
    pin or bound below the rule; the release carries its verification."""
    result = tiny_build.iclsc("audit", str(release))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    verification = rows_of(release / "confidentialite" / "verification.csv")
    assert verification, "every withheld cell has its interval in the release"
    summary = json.loads((release / "confidentialite" / "resume.json").read_text())
    assert summary["audit"]["exposed"] == 0
    withheld = sum(t["withheld"] for t in summary["tables"].values())
    assert withheld > 0


def test_the_sql_pattern_alone_is_refused_by_the_audit_gate(tiny_build, release, monkeypatch):
    """Without the joint protection (the exports' SQL pattern as it is), the audit of the
    candidate finds exposed cells on the tiny extract: the release is refused, nothing is
    published and latest stays where it was."""
    from iclsc.privacy import gate
    from iclsc.publish import release as releasing

    for name, value in tiny_build.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gate, "protect_release", lambda *args, **kwargs: {})
    before = sorted(p.name for p in tiny_build.publish_dir.iterdir())
    with pytest.raises(releasing.GateError) as refused:
        releasing.publish(tiny_build.publish_dir, tiny_build.target_dir, release_id="unprotected")
    assert refused.value.violations
    assert all(" [" in v for v in refused.value.violations), refused.value.violations[:3]
    assert sorted(p.name for p in tiny_build.publish_dir.iterdir()) == before
    assert os.readlink(tiny_build.publish_dir / "latest") == release.name
