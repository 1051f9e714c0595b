"""The release package, its portal metadata, methodology, lineage docs, pages, diff and upload.

Two releases are built from two `tiny` extracts: the generated one (the session's tiny build),
and the same with a late transmission (a resubmitted period carrying more interventions),
whose models dbt reruns on a copy of the first warehouse.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from iclsc import project_dir, pseudonym
from iclsc.publish import diff, lineage, metadata, portal, upload
from iclsc.publish.manifest import Dataset, Field, load_manifest, published_datasets
from iclsc.publish.release import publish

pytestmark = pytest.mark.slow

DEV_KEY = pseudonym.DEVELOPMENT_KEY
FIRST = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
SECOND = datetime(2026, 8, 12, 12, 0, tzinfo=UTC)


def dbt(arguments: list[str], env: dict, target: Path) -> None:
    executable = Path(sys.executable).with_name("dbt")
    command = [str(executable), *arguments, "--target-path", str(target)]
    command += ["--project-dir", str(project_dir()), "--log-path", str(target / "logs")]
    done = subprocess.run(command, env=env, cwd=project_dir(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@contextmanager
def environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def add_late_transmission(raw: Path) -> str:
    """Resends period 5 of 2025 for one establishment with 40 more interventions."""
    with (raw / "transmissions.csv").open(newline="", encoding="utf-8") as handle:
        transmissions = list(csv.DictReader(handle))
    candidates = [
        t for t in transmissions if t["annee_financiere"] == "2025" and t["periode"] == "5"
    ]
    latest = max(candidates, key=lambda t: (t["code_etablissement"], t["date_transmission"]))
    new_id = f"{latest['code_etablissement']}-2025-P05-20260801000000"
    shutil.copytree(
        raw / "transmissions" / latest["id_transmission"], raw / "transmissions" / new_id
    )
    path = raw / "transmissions" / new_id / "interventions.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    late = [dict(row, no_intervention="9" + row["no_intervention"]) for row in rows[:40]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows + late)
    row = dict(
        latest, id_transmission=new_id, date_transmission="2026-08-01T00:00:00", periode_fermee="O"
    )
    with (raw / "transmissions.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=list(row), lineterminator="\n").writerow(row)
    return latest["code_etablissement"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_build):
    """Two releases in one publish dir: r1 from the tiny build, r2 with a late transmission."""
    root = tmp_path_factory.mktemp("publication")
    raw_b = root / "raw-b"
    shutil.copytree(tiny_build.raw_dir, raw_b)
    add_late_transmission(raw_b)
    names = ("ICLSC_RAW_DIR", "ICLSC_DUCKDB_PATH", "ICLSC_PSEUDO_KEY", "DBT_PROFILES_DIR")
    env_a = {k: v for k, v in tiny_build.env().items() if k in names}
    publish_dir = root / "pub"
    with environment(**env_a):
        first = publish(publish_dir, tiny_build.target_dir, "r1", FIRST)
    # The second warehouse: the first one's seeds and tests, its models rerun on extract B.
    shutil.copyfile(tiny_build.duckdb_path, root / "b.duckdb")
    env_b = dict(env_a, ICLSC_RAW_DIR=str(raw_b), ICLSC_DUCKDB_PATH=str(root / "b.duckdb"))
    dbt_env = dict(tiny_build.env(), **env_b)
    dbt(["run"], dbt_env, root / "target-b")
    with environment(**env_b):
        second = publish(publish_dir, root / "target-b", "r2", SECOND)
    return {
        "root": root,
        "publish_dir": publish_dir,
        "first": first,
        "second": second,
        "target": tiny_build.target_dir,
        "env_a": env_a,
    }


def descriptor(release: Path) -> dict:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the package


def test_release_is_a_valid_data_package(built):
    from frictionless import validate

    for release in (built["first"], built["second"]):
        report = validate(release / "datapackage.json")
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    assert (built["publish_dir"] / "latest").resolve() == built["second"]


def test_every_file_has_its_size_and_checksum(built):
    release = built["second"]
    package = descriptor(release)
    for resource in package["resources"]:
        data = (release / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        for copy in resource.get("iclsc:copies", []):
            copied = (release / copy["path"]).read_bytes()
            assert copy["hash"] == "sha256:" + hashlib.sha256(copied).hexdigest()
    listed = {f["path"]: f for f in package["iclsc:files"]}
    on_disk = {
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and p.name not in ("datapackage.json", "SHA256SUMS")
    }
    assert set(listed) == on_disk
    for path, entry in listed.items():
        assert (
            entry["hash"] == "sha256:" + hashlib.sha256((release / path).read_bytes()).hexdigest()
        )
    done = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=release)
    assert done.returncode == 0


def test_parquet_copy_holds_the_csv_with_explicit_types(built):
    release = built["second"]
    resource = next(r for r in descriptor(release)["resources"] if r["name"] == "services-annuels")
    table = pq.read_table(release / resource["iclsc:copies"][0]["path"])
    rows = read_csv(release / resource["path"])
    assert table.num_rows == len(rows)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["code_rls"] == "string" and types["annee_financiere"] == "string"
    assert types["nb_usagers"] == "int64" and types["cellule_supprimee"] == "bool"
    assert types["nb_heures"] == "decimal128(18, 2)"
    codes = table.column("code_rls").to_pylist()
    assert any(code.startswith("0") for code in codes), "codes keep their leading zero"
    assert codes == [row["code_rls"] for row in rows]
    hours = [None if v is None else f"{v:.2f}" for v in table.column("nb_heures").to_pylist()]
    assert hours == [row["nb_heures"] or None for row in rows]
    schema_types = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    assert schema_types["code_rss"] == "string" and schema_types["nb_usagers"] == "integer"


# --------------------------------------------------------------------------- portal metadata


def test_every_dataset_has_complete_portal_metadata(built):
    from rdflib import Graph, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF

    release = built["second"]
    datasets = [r for r in descriptor(release)["resources"] if "iclsc:portal" in r]
    assert datasets, "no dataset carries portal metadata"
    for resource in datasets:
        package = json.loads((release / "portail" / f"{resource['name']}.ckan.json").read_text())
        # tiny covers periods in every dataset (its first year is closed)
        assert metadata.missing_ckan_fields(package, True) == []
        extras = {e["key"]: e["value"] for e in package["extras"]}
        assert package["license_id"] == "cc-by"
        fields = resource["schema"]["fields"]
        by_period = any(f["name"] == "periode" for f in fields)
        # tiny closes 2025-2026 and its period 1 of 2026-2027 (which ends on 2026-04-25)
        assert extras["temporal_start"] == "2025-04-01"
        assert extras["temporal_end"] == ("2026-04-25" if by_period else "2026-03-31")
        assert "irr" not in extras["frequency"].lower()
        assert re.search(
            r"Prochaines fins de période : \d{4}-\d{2}-\d{2}", extras["update_schedule"]
        )
        if any(f.get("iclsc:counts") == "persons" for f in fields):
            assert "de 1 à 4 usagers distincts" in package["notes"]
            assert "moins de 3 intervenants distincts" in package["notes"]
            assert "Suppression complémentaire" in package["notes"]
        else:
            assert "ne s'y applique donc pas" in package["notes"]
        assert extras["issued"] == "2026-07-15", "issued is the first release's date"
        changed = (built["first"] / resource["path"]).read_bytes() != (
            release / resource["path"]
        ).read_bytes()
        # the late data changed most datasets; one it does not touch keeps its date
        assert extras["modified"] == ("2026-08-12" if changed else "2026-07-15"), resource["name"]
        assert {r["format"] for r in package["resources"]} == {"CSV", "Parquet", "HTML"}

        graph = Graph().parse(
            release / "portail" / f"{resource['name']}.dcat.jsonld", format="json-ld"
        )
        subject = URIRef(package["url"])
        assert (subject, RDF.type, DCAT.Dataset) in graph
        vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
        for prop in (
            DCTERMS.title,
            DCTERMS.description,
            DCAT.keyword,
            DCAT.theme,
            DCTERMS.publisher,
            DCAT.contactPoint,
            DCTERMS.license,
            DCTERMS.accrualPeriodicity,
            DCTERMS.temporal,
            DCTERMS.spatial,
            DCTERMS.issued,
            DCTERMS.modified,
            DCAT.distribution,
        ):
            assert graph.value(subject, prop) is not None, f"{resource['name']}: no {prop}"
        contact = graph.value(subject, DCAT.contactPoint)
        assert str(graph.value(contact, vcard.hasEmail)).startswith("mailto:")
        temporal = graph.value(subject, DCTERMS.temporal)
        assert str(graph.value(temporal, DCAT.startDate)) == "2025-04-01"
        distributions = list(graph.objects(subject, DCAT.distribution))
        assert len(distributions) == 3
        for distribution in distributions:
            assert graph.value(distribution, DCAT.accessURL) is not None
            assert graph.value(distribution, DCAT.byteSize) is not None


def test_a_dataset_without_exposure_is_refused_by_name(built, tmp_path):
    loaded = load_manifest(built["target"])
    datasets = published_datasets(loaded)
    loaded["exposures"] = {}
    with pytest.raises(portal.PortalMetadataError, match=r"dataset services-annuels .*no exposure"):
        portal.all_portal_meta(loaded, datasets)

    loaded = load_manifest(built["target"])
    exposure = next(iter(loaded["exposures"].values()))
    del exposure["config"]["meta"]["iclsc"]["keywords"]
    exposure["meta"] = exposure["config"]["meta"]
    exposure["owner"]["email"] = None
    with pytest.raises(portal.PortalMetadataError) as caught:
        portal.all_portal_meta(loaded, datasets)
    message = str(caught.value)
    assert "services-annuels" in message and "keywords" in message and "owner.email" in message

    target = tmp_path / "target"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps(loaded), encoding="utf-8")
    before = (built["publish_dir"] / "latest").resolve()
    with environment(**built["env_a"]), pytest.raises(portal.PortalMetadataError):
        publish(built["publish_dir"], target, "refused", SECOND)
    assert (built["publish_dir"] / "latest").resolve() == before
    assert not (built["publish_dir"] / "refused").exists()
    assert not list(built["publish_dir"].glob(".incoming-*"))


# --------------------------------------------------------------------------- methodology


def test_methodology_carries_the_numbers_of_its_release(built):
    release = built["second"]
    text = (release / "methodologie.md").read_text(encoding="utf-8")
    rows = read_csv(release / "services-annuels.csv")
    withheld = sum(row["cellule_supprimee"] == "true" for row in rows)
    assert f"| cellules supprimées | {withheld} |" in text
    assert f"| cellules publiées (lignes du fichier) | {len(rows)} |" in text
    assert "Cette version couvre : 2025-2026 (du 2025-04-01 au 2026-03-31)." in text
    assert "moins fiable que les autres champs" in text
    assert "Suppression complémentaire" in text and "de 1 à 4 usagers distincts" in text
    assert "Transmissions reçues jusqu'au 2026-08-01" in text, "the late transmission counts"
    html = (release / "methodologie.html").read_text(encoding="utf-8")
    assert 'id="services-annuels"' in html


# --------------------------------------------------------------------------- diff


def test_the_late_transmission_shows_as_revisions(built):
    first, second = built["first"], built["second"]
    changes = [
        row
        for row in read_csv(second / "changements.csv")
        if row["jeu_de_donnees"] == "services-annuels"
    ]
    assert changes, "the late interventions changed published cells"
    kinds = {row["type_changement"] for row in changes}
    assert "revisee" in kinds
    assert kinds <= set(diff.KINDS)
    old = {diff.cell_key(KEY, [r[k] for k in KEY]): r for r in read_csv(first / CSV_NAME)}
    new = {diff.cell_key(KEY, [r[k] for k in KEY]): r for r in read_csv(second / CSV_NAME)}
    changed = set()
    for row in changes:
        source = old if row["version"] == "precedente" else new
        cell = source[row["cellule"]]
        assert row["cellule_supprimee"] == cell["cellule_supprimee"]
        assert row["valeur"] == cell[row["mesure"]], "every value comes from a published file"
        changed.add((row["cellule"], row["mesure"]))
    measures = ("nb_usagers", "nb_interventions", "nb_heures")
    unchanged = [(c, m) for c in new for m in measures if (c, m) not in changed]
    assert all(old[c][m] == new[c][m] for c, m in unchanged), "a change is missing from the diff"
    pairs = {}
    for row in changes:
        if row["type_changement"] == "revisee" and row["mesure"] == "nb_interventions":
            pairs.setdefault(row["cellule"], {})[row["version"]] = int(row["valeur"])
    assert pairs and all(p["nouvelle"] > p["precedente"] for p in pairs.values())
    log = (second / "changelog.md").read_text(encoding="utf-8")
    assert "Comparaison cellule par cellule avec la version précédente, r1" in log
    assert "valeur révisée" in log
    first_log = (first / "changelog.md").read_text(encoding="utf-8")
    assert "Première version publiée" in first_log
    first_changes = read_csv(first / "changements.csv")
    first_datasets = [r for r in descriptor(first)["resources"] if "iclsc:portal" in r]
    assert sorted(
        (r["jeu_de_donnees"], r["type_changement"], r["valeur"]) for r in first_changes
    ) == sorted(
        (r["name"], "nouveau_jeu", str(len(read_csv(first / r["path"])))) for r in first_datasets
    )
    resource = next(r for r in descriptor(second)["resources"] if r["name"] == "changements")
    roles = [f["iclsc:role"] for f in resource["schema"]["fields"]]
    assert roles.count("suppressed") == 1 and roles.count("measure") == 1
    assert resource["iclsc:previous"] == "r1"


CSV_NAME = "services-annuels.csv"
KEY = ["annee_financiere", "code_rss", "code_rls", "code_programme", "groupe_age", "sexe"]


def _toy_dataset() -> Dataset:
    def dim(name, total=None):
        return Field(
            name, "varchar", name, name, "dimension", {"iclsc:total": total} if total else {}
        )

    return Dataset(
        model="exp_toy",
        schema="",
        relation="",
        resource="toy",
        title="toy",
        description="toy",
        fields=[
            dim("annee_financiere"),
            dim("sexe", "Total"),
            Field("cellule_supprimee", "boolean", "s", "s", "suppressed"),
            Field("nb_usagers", "bigint", "u", "u", "measure", {"iclsc:counts": "persons"}),
        ],
        unique_id="model.iclsc.exp_toy",
    )


def test_diff_classifies_every_kind_of_change(tmp_path):
    dataset = _toy_dataset()
    header = [f.name for f in dataset.fields]
    old_rows = [
        ["2024-2025", "Total", "false", "20"],
        ["2024-2025", "F", "false", "12"],
        ["2024-2025", "M", "false", "8"],
        ["2024-2025", "X", "true", ""],
    ]
    new_rows = [
        ["2024-2025", "Total", "false", "21"],  # revised
        ["2024-2025", "F", "true", ""],  # newly withheld
        ["2024-2025", "M", "true", ""],  # newly withheld
        ["2025-2026", "Total", "false", "30"],  # new period
        ["2025-2026", "F", "false", "30"],
    ]  # X of 2024-2025 removed
    with (tmp_path / "toy.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *old_rows])
    previous = {
        "name": "toy",
        "path": "toy.csv",
        "schema": {
            "fields": [{"name": n} for n in header],
            "primaryKey": ["annee_financiere", "sexe"],
        },
    }
    (tmp_path / "datapackage.json").write_text(json.dumps({"id": "old", "resources": [previous]}))
    meta = portal.PortalMeta(
        exposure="e",
        name="toy",
        summary="",
        url="",
        contact_name="",
        contact_email="",
        organisation_name="",
        organisation_title="",
        keywords=[],
        category="",
        theme="",
        frequency="ANNUAL",
        fiscal_year_field="annee_financiere",
        period_field=None,
        spatial_label="",
        spatial_uri="",
        spatial_granularity="",
    )
    result = diff.compare(tmp_path, [dataset], {"toy": new_rows}, {"toy": meta})
    found = {(c.cell, c.kind, c.old, c.new, c.old_withheld, c.new_withheld) for c in result.changes}
    assert found == {
        ("annee_financiere=2025-2026", "nouvelle_periode", None, "2", False, False),
        ("annee_financiere=2024-2025;sexe=Total", "revisee", "20", "21", False, False),
        ("annee_financiere=2024-2025;sexe=F", "supprimee", "12", "", False, True),
        ("annee_financiere=2024-2025;sexe=M", "supprimee", "8", "", False, True),
        ("annee_financiere=2024-2025;sexe=X", "cellule_retiree", "", None, True, False),
    }
    assert result.datasets["toy"].new_periods == ["annee_financiere=2025-2026"]
    rows = diff.diff_rows(result)
    withheld = [r for r in rows if r[5] == "true"]
    assert withheld and all(r[6] == "" for r in withheld), "a withheld value stays empty"
    assert all(r[6] != "" for r in rows if r[5] == "false")
    republished = [["2024-2025", "Total", "false", "20"], ["2024-2025", "X", "false", "5"]]
    again = diff.compare(tmp_path, [dataset], {"toy": republished}, {"toy": meta})
    assert ("annee_financiere=2024-2025;sexe=X", "publiee", "", "5") in {
        (c.cell, c.kind, c.old, c.new) for c in again.changes
    }


# --------------------------------------------------------------------------- lineage


def test_lineage_docs_ship_without_secrets_or_rows(built):
    release = built["second"]
    page = (release / lineage.INDEX).read_text(encoding="utf-8")
    manifest = lineage.embedded_json(page, "manifest")
    exposures = manifest["exposures"]
    assert any(
        "model.iclsc.exp_services_annuels" in e["depends_on"]["nodes"] for e in exposures.values()
    )
    with environment(ICLSC_PSEUDO_KEY=DEV_KEY):
        assert lineage.check(page, ["model.iclsc.exp_services_annuels"]) == []
        for secret in lineage.secrets():
            assert secret not in page
    assert str(project_dir()) not in page, "the build machine's folders are not shipped"
    catalog = lineage.embedded_json(page, "catalog")
    assert all(set(n["stats"]) <= {"has_stats"} for n in catalog["nodes"].values())


def test_lineage_check_catches_a_leaked_key_and_row_statistics(built):
    page = (built["second"] / lineage.INDEX).read_text(encoding="utf-8")
    with environment(ICLSC_PSEUDO_KEY=DEV_KEY):
        leaked = page.replace("</body>", f"<!-- {DEV_KEY} --></body>")
        assert any("pseudonymisation key" in p for p in lineage.check(leaked, []))
        inner_pad = pseudonym.hmac_pads(DEV_KEY.encode())[0].hex()
        assert lineage.check(page + inner_pad, []) != []
        stats = page.replace('"has_stats"', '"row_count": {"value": 12}, "has_stats"', 1)
        assert any("statistics" in p for p in lineage.check(stats, []))
        assert any("no exposure" in p for p in lineage.check(page, ["model.iclsc.exp_not_exposed"]))


# --------------------------------------------------------------------------- pages


class DomSummary(HTMLParser):
    """What the rendered DOM shows: chart hosts, their marks, the table rows, the body flags."""

    def __init__(self):
        super().__init__()
        self.body: dict = {}
        self.charts: list[dict] = []
        self.marks = 0
        self.svgs = 0
        self.table_status = None
        self.table_rows = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "body":
            self.body = attributes
        if "data-chart" in attributes:
            self.charts.append(attributes)
        if tag == "svg" and "marks" in classes:
            self.svgs += 1
        if tag == "path" and attributes.get("aria-roledescription") == "bar":
            self.marks += 1
        if tag == "path" and "mark-line" in str(attributes.get("class")):
            self.marks += 1
        if attributes.get("id") == "table":
            self.table_status = attributes.get("data-status")
            self.table_rows = attributes.get("data-rows")


def render(page: Path, profile: Path) -> str:
    chromium = shutil.which("chromium")
    assert chromium, (
        "Debian's chromium is missing: ./scripts/test installs it (apt-get install chromium)"
    )
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        # Any request to the network fails: the page must render from its own files.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=20000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_dataset_pages_render_their_charts_in_chromium(built, tmp_path):
    release = built["second"]
    package = descriptor(release)
    datasets = [r["name"] for r in package["resources"] if "iclsc:portal" in r]
    for name in datasets:
        page = release / "pages" / f"{name}.html"
        source = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=\"https?:", source), "no script from the network"
        declared = len(re.findall(r"data-chart=\"spec-\d+\"", source))
        # one bar chart per dimension with a total (services-annuels has five), at least one
        assert declared >= (3 if name == "services-annuels" else 1), f"{name}: {declared} charts"
        summary = DomSummary()
        summary.feed(render(page, tmp_path / f"profile-{uuid.uuid4().hex}"))
        assert summary.body.get("data-errors") is None, summary.body.get("data-errors")
        assert summary.body.get("data-charts-rendered") == str(declared), summary.body
        assert summary.body.get("data-charts-failed") == "0"
        assert [c.get("data-status") for c in summary.charts] == ["rendered"] * declared
        assert summary.svgs == declared
        assert summary.marks > 0, "the charts draw bars"
        assert summary.table_status == "rendered" and int(summary.table_rows) > 0
    index = release / "index.html"
    text = index.read_text(encoding="utf-8")
    for name in datasets:
        assert f'href="pages/{name}.html"' in text
    for document in (
        "methodologie.html",
        "changelog.html",
        "lineage/index.html",
        "datapackage.json",
    ):
        assert f'href="{document}"' in text
        assert (release / document).is_file()
    assert (release / "assets" / "LICENCE-vega.txt").read_text().count("BSD 3-Clause") == 1


# --------------------------------------------------------------------------- upload


def test_upload_to_a_fake_ckan(built, capsys):
    from ckanapi import RemoteCKAN
    from fake_ckan import FakeCKAN

    release = built["second"]
    with FakeCKAN(api_key="secret-test-key") as fake:
        with RemoteCKAN(fake.url) as anonymous:
            planned = upload.upload(release, anonymous, apply=False)
        assert [a["action"] for a in planned][:1] == ["package_create"]
        n_datasets = len([r for r in descriptor(release)["resources"] if "iclsc:portal" in r])
        assert fake.calls == ["package_show"] * n_datasets, "a dry run only reads"
        assert fake.packages == {}

        with environment(TEST_CKAN_KEY="secret-test-key"):
            args = ["upload", str(release), "--portal", fake.url, "--apikey-env", "TEST_CKAN_KEY"]
            from iclsc import cli

            assert cli.main([*args, "--apply"]) == 0
            package = fake.by_name("iclsc-services-annuels")
            assert package is not None
            assert package["license_id"] == "cc-by"
            assert {r["format"] for r in package["resources"]} == {"CSV", "Parquet", "HTML"}
            csv_resource = next(r for r in package["resources"] if r["format"] == "CSV")
            sent = fake.uploads[csv_resource["id"]]
            assert sent == (release / "services-annuels.csv").read_bytes()

            # Again: the package is updated and its resources replaced, not duplicated.
            assert cli.main([*args, "--apply"]) == 0
            assert "package_update" in fake.calls
            package = fake.by_name("iclsc-services-annuels")
            assert len(package["resources"]) == 3
        assert cli.main([*args, "--apply"]) == upload.EXIT_CONFIGURATION, "no key, no write"

    with RemoteCKAN("http://127.0.0.1:9") as nowhere:
        assert upload.is_local(nowhere.address)
    items = upload.packages(release)
    assert upload.placeholder_contacts(items), "the placeholder contact is recognised"
    with environment(CKAN_API_KEY="any"):
        code = cli.main(["upload", str(release), "--portal", "https://portal.invalid", "--apply"])
    assert code == upload.EXIT_CONFIGURATION, "a placeholder contact never reaches a real portal"
    capsys.readouterr()


# --------------------------------------------------------------------------- any new export


def test_a_new_export_with_the_same_metadata_shape_just_works(tmp_path):
    """A period-level dataset (a dimension without total among them) gets metadata and a page."""
    from datetime import date

    from iclsc.publish import methodology, pages

    def dim(name, total=None, parent=None):
        props = {"iclsc:total": total} if total else {}
        if parent:
            props["iclsc:parent"] = parent
        return Field(name, "varchar", name.title(), f"La {name}.", "dimension", props)

    dataset = Dataset(
        model="exp_toy_periodes",
        schema="exports",
        relation="exp_toy_periodes",
        resource="toy-periodes",
        title="Jeu d'essai par période",
        description="Un jeu d'essai.",
        fields=[
            dim("annee_financiere"),
            dim("periode"),
            dim("priorite"),
            dim("code_rss", "Total"),
            dim("code_rls", "Total", "code_rss"),
            Field("cellule_supprimee", "boolean", "Supprimée", "s", "suppressed"),
            Field("nb_demandes", "bigint", "Demandes", "d", "measure", {"iclsc:counts": "events"}),
            Field("delai_median", "decimal(9, 1)", "Délai médian", "m", "measure", {}),
        ],
        unique_id="model.iclsc.exp_toy_periodes",
    )
    manifest = {
        "exposures": {
            "exposure.iclsc.toy": {
                "name": "toy",
                "url": "https://example.invalid/toy",
                "description": "Pour essayer.",
                "owner": {"name": "Équipe", "email": "equipe@example.invalid"},
                "depends_on": {"nodes": ["model.iclsc.exp_toy_periodes"]},
                "config": {
                    "meta": {
                        "iclsc": {
                            "dataset": "toy-periodes",
                            "organisation": {"name": "org", "title": "Organisation"},
                            "keywords": ["essai"],
                            "category": "sante",
                            "theme": "HEAL",
                            "frequency": "PERIOD",
                            "temporal": {"fiscal_year": "annee_financiere", "period": "periode"},
                            "spatial": {
                                "label": "Québec",
                                "uri": "https://x",
                                "granularity": "RLS",
                            },
                        }
                    }
                },
            }
        }
    }
    meta = portal.portal_meta(manifest, dataset)
    rows = []
    for period in ("4", "5"):
        for priority in ("P1", "P2"):
            for rss, rls in (("Total", "Total"), ("06", "Total"), ("06", "0611"), ("06", "0612")):
                withheld = rls == "0612" and priority == "P2"
                values = ["", ""] if withheld else ["12", "3.5"]
                rows.append(
                    ["2026-2027", period, priority, rss, rls, str(withheld).lower(), *values]
                )
    covered = portal.coverage(dataset, meta, rows)
    assert covered.labels() == ["2026-2027 P4", "2026-2027 P5"]
    assert covered.start == date(2026, 6, 21) and covered.end == date(2026, 8, 15)
    schedule = portal.update_schedule(meta, date(2026, 8, 20))
    assert "Une nouvelle période financière s'ajoute" in schedule
    assert "2026-09-12 (fin de P6 2026-2027)" in schedule
    numbers = methodology.count(dataset, rows)
    assert (numbers.cells, numbers.withheld) == (16, 2)
    files = [
        {
            "path": "toy.csv",
            "name": "CSV",
            "description": "d",
            "format": "CSV",
            "mediatype": "text/csv",
            "bytes": 1,
            "hash": "sha256:00",
        },
    ]
    info = {
        "id": "r9",
        "released": date(2026, 8, 20),
        "issued": "2026-08-20",
        "modified": "2026-08-20",
        "extract": {},
        "version_notes": "Nouveau.",
    }
    notes = metadata.notes(
        dataset,
        meta,
        covered,
        numbers,
        {"min_persons": 5, "min_providers": 3},
        {},
        date(2026, 8, 20),
    )
    package = metadata.ckan_package(dataset, meta, covered, notes, info, files)
    assert metadata.missing_ckan_fields(package, True) == []
    assert "Seules les périodes fermées sont publiées" in package["notes"]

    specs = pages.chart_specs(dataset, meta, rows)
    # priorite has no total: charted by its members, the other dimensions at their totals
    assert [s["title"] for s in specs] == [
        "Évolution du total",
        "Par priorite",
        "Par code_rss",
        "Par code_rls",
    ]
    pages.write_assets(tmp_path)
    content, declared = pages.dataset_page(dataset, meta, rows, {"Version": "r9"}, {})
    pages.write_page(tmp_path / "pages" / "toy.html", content)
    summary = DomSummary()
    summary.feed(render(tmp_path / "pages" / "toy.html", tmp_path / "profile"))
    assert summary.body.get("data-charts-rendered") == str(declared) == "4", summary.body
    assert summary.body.get("data-errors") is None
    assert summary.table_rows == "16"
