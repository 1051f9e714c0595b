"""The open-data catalogue end to end, on a tiny extract modified on purpose.

The session's tiny build (`dbt build`: every model and test) is copied and published. Then,
as in production, transmissions arrive and the same warehouse is updated incrementally
(`dbt build` again; after the revision with every test, which must still hold) and
published again:

1. a resubmission of a closed period of 2025-2026 that changes the duration of one
   intervention (+60 minutes) and the act of another (published nowhere): exactly the
   published cells that hold the first intervention change, by exactly one hour;
2. the same extract built from scratch holds the same published tables, row for row;
3. a later transmission that reopens the only closed period of 2026-2027: that period
   leaves the release, while the internal marts still show it; the year still open never
   reaches an annual table.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import Build, make_build

pytestmark = pytest.mark.slow

YEAR = 2025  # closed in the tiny extract
YEAR_LABEL = "2025-2026"
REVISED_PERIOD = 5
OPEN_YEAR = 2026  # P01 closed, P02 open for some establishments, P03 open
OPEN_YEAR_LABEL = "2026-2027"
REOPENED_PERIOD = 1
ROLES = {"dimension", "measure", "suppressed"}
WITHOUT_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


# --------------------------------------------------------------------------- helpers


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv_rows(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def header_of(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def latest_transmission(raw: Path, establishment: str, year: int, period: int) -> dict:
    candidates = [
        row
        for row in read_csv_rows(raw / "transmissions.csv")
        if (row["code_etablissement"], row["annee_financiere"], row["periode"])
        == (establishment, str(year), str(period))
    ]
    return max(candidates, key=lambda row: row["date_transmission"])


def resubmit(raw: Path, original: dict, closed: bool, edit=None) -> str:
    """Adds a later transmission of the same establishment, year and period: a copy of the
    latest one's files, changed by `edit(interventions)`. Returns its id."""
    received = datetime.fromisoformat(original["date_transmission"]).replace(year=2026, month=7)
    received = received.replace(day=9, hour=23, minute=59, second=59)
    new_id = f"{original['code_etablissement']}-{original['annee_financiere']}-P"
    new_id += f"{int(original['periode']):02d}-{received:%Y%m%d%H%M%S}"
    shutil.copytree(
        raw / "transmissions" / original["id_transmission"], raw / "transmissions" / new_id
    )
    if edit is not None:
        path = raw / "transmissions" / new_id / "interventions.csv"
        header = header_of(path)
        rows = read_csv_rows(path)
        edit(rows)
        write_csv_rows(path, rows, header)
    transmissions = raw / "transmissions.csv"
    header = header_of(transmissions)
    rows = read_csv_rows(transmissions)
    rows.append(
        {
            **original,
            "id_transmission": new_id,
            "date_transmission": received.isoformat(timespec="seconds"),
            "periode_fermee": "O" if closed else "N",
        }
    )
    write_csv_rows(transmissions, rows, header)
    return new_id


def run(build: Build, *args: str) -> None:
    """dbt (or a command of the package) on a build; fails the test with its output."""
    result = build.dbt(*args, check=False) if args[0] in {"build", "run"} else build.iclsc(*args)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
    )


def publish(build: Build, publish_dir: Path, release_id: str) -> Path:
    run(build, "publish", "--publish-dir", str(publish_dir), "--release-id", release_id)
    return publish_dir / release_id


def query(build: Build, sql: str) -> list[tuple]:
    with duckdb.connect(str(build.duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def exports(build: Build) -> dict[str, list[tuple]]:
    """Every row of every export table, sorted."""
    tables = query(
        build, "select table_name from information_schema.tables where table_schema = 'exports'"
    )
    return {
        name: sorted(query(build, f'select * from exports."{name}"'), key=repr)
        for (name,) in tables
    }


@dataclass
class Release:
    directory: Path
    package: dict

    @classmethod
    def read(cls, directory: Path) -> Release:
        return cls(directory, json.loads((directory / "datapackage.json").read_text("utf-8")))

    def resources(self) -> dict[str, dict]:
        return {resource["name"]: resource for resource in self.package["resources"]}

    def rows(self, name: str) -> list[dict[str, str]]:
        return read_csv_rows(self.directory / self.resources()[name]["path"])

    def statistical(self) -> list[str]:
        return [name for name, r in self.resources().items() if r.get("iclsc:universe")]

    def cells(self, name: str) -> dict[tuple, dict[str, str]]:
        resource = self.resources()[name]
        key = resource["schema"]["primaryKey"]
        return {tuple(row[k] for k in key): row for row in self.rows(name)}


@dataclass
class Catalogue:
    before: Release
    revised: Release
    reopened: Release
    warehouse: Build
    touched: dict  # the classification of the revised intervention
    incremental_exports: dict[str, list[tuple]]  # after the revision, built incrementally
    full_exports: dict[str, list[tuple]]  # the same extract built from scratch


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory, tiny_build) -> Catalogue:
    root = tmp_path_factory.mktemp("catalogue")
    publish_dir = root / "publication"
    raw = tiny_build.raw_dir
    establishment = read_csv_rows(raw / "installations.csv")[0]["code_etablissement"]

    # The session's tiny build (dbt build: every model and test) is the warehouse in place.
    warehouse = make_build(root / "incremental", raw)
    shutil.copyfile(tiny_build.duckdb_path, warehouse.duckdb_path)
    shutil.copytree(tiny_build.target_dir, warehouse.target_dir)
    before = Release.read(publish(warehouse, publish_dir, "r0"))

    # 1. A resubmission of a closed period: one duration and one act change.
    revised_raw = root / "raw-1"
    shutil.copytree(raw, revised_raw)
    original = latest_transmission(revised_raw, establishment, YEAR, REVISED_PERIOD)
    chosen = {}

    def edit(rows: list[dict[str, str]]) -> None:
        individual = [row for row in rows if row["code_type"] == "I"]
        chosen["duration"], chosen["act"] = individual[0], individual[-1]
        individual[0]["duree_minutes"] = str(int(individual[0]["duree_minutes"]) + 60)
        individual[-1]["code_acte"] = "01" if individual[-1]["code_acte"] != "01" else "02"

    resubmit(revised_raw, original, closed=True, edit=edit)
    intervention_id = f"{establishment}:{chosen['duration']['no_intervention']}"
    columns = [
        "period_code",
        "residence_rss_code",
        "residence_rls_code",
        "programme_code",
        "age_group",
        "sex",
        "mode_code",
        "installation_rss_code",
        "installation_rls_code",
        "installation_clsc_code",
        "lieu_code",
        "is_home_support",
    ]
    found = query(
        warehouse,
        f"select {', '.join(columns)} from intermediate.int_interventions_classified "
        f"where intervention_id = '{intervention_id}'",
    )
    assert len(found) == 1, "the revised intervention is individual: one row"
    touched = dict(zip(columns, found[0], strict=True))
    warehouse = replace(warehouse, raw_dir=revised_raw)
    run(warehouse, "build")
    revised = Release.read(publish(warehouse, publish_dir, "r1"))

    # 2. The same extract from scratch: every published table, as the warehouse holds it.
    fresh = make_build(root / "fresh", revised_raw)
    run(fresh, "build", *WITHOUT_TESTS)
    incremental_exports, full_exports = exports(warehouse), exports(fresh)

    # 3. A later transmission reopens a closed period of the open year.
    reopened_raw = root / "raw-2"
    shutil.copytree(revised_raw, reopened_raw)
    resubmit(
        reopened_raw,
        latest_transmission(reopened_raw, establishment, OPEN_YEAR, REOPENED_PERIOD),
        closed=False,
    )
    warehouse = replace(warehouse, raw_dir=reopened_raw)
    run(warehouse, "build", *WITHOUT_TESTS)
    reopened = Release.read(publish(warehouse, publish_dir, "r2"))
    return Catalogue(
        before, revised, reopened, warehouse, touched, incremental_exports, full_exports
    )


def expected_touched(touched: dict) -> dict[str, str]:
    """The value each published dimension takes for the revised intervention."""
    return {
        "annee_financiere": YEAR_LABEL,
        "periode": touched["period_code"],
        "code_rss": touched["residence_rss_code"],
        "code_rls": touched["residence_rls_code"],
        "code_rss_installation": touched["installation_rss_code"],
        "code_rls_installation": touched["installation_rls_code"],
        "code_clsc_installation": touched["installation_clsc_code"],
        "code_programme": touched["programme_code"],
        "groupe_age": touched["age_group"],
        "sexe": touched["sex"],
        "code_mode": touched["mode_code"],
        "code_lieu": touched["lieu_code"],
    }


# --------------------------------------------------------------------------- tests


EXPECTED_RESOURCES = {
    "services-annuels": "services",
    "services-periodes": "services",
    "taux-usagers-annuels": "services",
    "modes-intervention-periodes": "services",
    "services-installations-annuels": "services",
    "soutien-domicile-annuel": "soutien-domicile",
    "acces-delais-annuels": "acces",
    "acces-delais-periodes": "acces",
}


def test_release_holds_the_catalogue_with_roles_per_the_contract(catalogue):
    resources = catalogue.before.resources()
    assert {
        name: r.get("iclsc:universe") for name, r in resources.items() if name in EXPECTED_RESOURCES
    } == EXPECTED_RESOURCES
    assert "dictionnaire-donnees" in resources
    for name, resource in resources.items():
        assert resource["format"] == "csv" and resource["encoding"] == "utf-8", name
        schema = resource["schema"]
        assert schema["missingValues"] == [""] and schema["primaryKey"], name
        for published in schema["fields"]:
            assert {"name", "type", "title", "description"} <= published.keys(), name
            assert published["iclsc:role"] in ROLES, (name, published["name"])
        if name in EXPECTED_RESOURCES:
            roles = [f["iclsc:role"] for f in schema["fields"]]
            assert roles.count("suppressed") == 1 and "measure" in roles, name
            dimensions = [f["name"] for f in schema["fields"] if f["iclsc:role"] == "dimension"]
            assert schema["primaryKey"] == dimensions, name
            for published in schema["fields"]:
                if published["iclsc:role"] == "measure":
                    assert "iclsc:additive" in published, (name, published["name"])
        assert catalogue.before.rows(name), f"{name} is empty"


def test_dictionary_describes_every_published_field_and_the_extract(catalogue):
    dictionary = catalogue.before.rows("dictionnaire-donnees")
    described = {(row["jeu_de_donnees"], row["champ"]) for row in dictionary}
    for name, resource in catalogue.before.resources().items():
        for published in resource["schema"]["fields"]:
            assert (name, published["name"]) in described, (name, published["name"])
    for table, column in [("interventions", "code_mode"), ("usagers", "nam")]:
        assert (f"extrait/{table}.csv", column) in described
    lists = {row["champ"] for row in dictionary if row["jeu_de_donnees"] == "listes-codes"}
    for row in dictionary:
        if row["liste_codes"]:
            assert row["liste_codes"] in lists, row
    regulation = [row for row in dictionary if row["jeu_de_donnees"] == "reglement"]
    assert regulation and any(row["element_reglement"] for row in regulation)
    assert any(not row["element_reglement"] for row in regulation), "absent elements stay listed"


def test_a_resubmission_changes_exactly_the_cells_it_touches(catalogue):
    changed_resources = set()
    for name in catalogue.before.statistical():
        resource = catalogue.before.resources()[name]
        key = resource["schema"]["primaryKey"]
        value_of = expected_touched(catalogue.touched)
        totals = {f["name"]: f.get("iclsc:total") for f in resource["schema"]["fields"]}
        before, after = catalogue.before.cells(name), catalogue.revised.cells(name)
        assert before.keys() == after.keys(), f"{name}: the cells themselves changed"
        holds_hours = any(f["name"] == "nb_heures" for f in resource["schema"]["fields"])
        if (
            resource["iclsc:universe"] == "soutien-domicile"
            and not catalogue.touched["is_home_support"]
        ):
            holds_hours = False
        expected = set()
        if holds_hours:
            for cell, row in before.items():
                dimensions = dict(zip(key, cell, strict=True))
                if row["cellule_supprimee"] == "false" and all(
                    value in (value_of[column], totals[column])
                    for column, value in dimensions.items()
                ):
                    expected.add(cell)
        changed = {cell for cell in before if before[cell] != after[cell]}
        assert changed == expected, f"{name}: changed cells differ from the touched cells"
        for cell in changed:
            difference = {k for k in before[cell] if before[cell][k] != after[cell][k]}
            assert difference == {"nb_heures"}, (name, cell, difference)
            hours = Decimal(after[cell]["nb_heures"]) - Decimal(before[cell]["nb_heures"])
            assert hours == 1, (name, cell)
        if changed:
            changed_resources.add(name)
    assert {"services-annuels", "services-periodes", "services-installations-annuels"} <= (
        changed_resources
    ), "the revision must reach the annual, period and installation tables"
    assert "taux-usagers-annuels" not in changed_resources
    assert "acces-delais-annuels" not in changed_resources


def test_an_incremental_run_gives_what_a_full_build_does(catalogue):
    assert catalogue.incremental_exports.keys() == catalogue.full_exports.keys()
    assert len(catalogue.incremental_exports) >= len(EXPECTED_RESOURCES)
    for name, rows in catalogue.incremental_exports.items():
        assert rows == catalogue.full_exports[name], name


def test_an_open_period_never_reaches_a_release(catalogue):
    reopened = f"P{REOPENED_PERIOD:02d}"
    period_tables = 0
    for name in catalogue.reopened.statistical():
        rows = catalogue.reopened.rows(name)
        fields = [f["name"] for f in catalogue.reopened.resources()[name]["schema"]["fields"]]
        if "periode" not in fields:
            # annual tables: the closed year only, never the year still open
            assert {row["annee_financiere"] for row in rows} == {YEAR_LABEL}, name
            continue
        period_tables += 1
        shown = {(row["annee_financiere"], row["periode"]) for row in rows}
        before = {(row["annee_financiere"], row["periode"]) for row in catalogue.revised.rows(name)}
        assert (OPEN_YEAR_LABEL, reopened) in before, f"{name}: the period was published"
        assert (OPEN_YEAR_LABEL, reopened) not in shown, f"{name}: the reopened period stays"
        assert (YEAR_LABEL, "P13") in shown, f"{name}: the closed periods stay published"
        # the last period of the tiny extract was never closed: never published
        assert (OPEN_YEAR_LABEL, "P03") not in shown | before, name
    assert period_tables >= 3
    # open periods stay visible internally
    internal = query(
        catalogue.warehouse,
        "select count(*) from marts.services_residence_cells "
        f"where fiscal_year = {OPEN_YEAR} and period_code = '{reopened}'",
    )
    assert internal[0][0] > 0
    status = query(
        catalogue.warehouse,
        "select period_code, is_closed from intermediate.int_partitions "
        f"where fiscal_year = {OPEN_YEAR} and period_code in ('{reopened}', 'Total')",
    )
    assert dict(status) == {reopened: False, "Total": False}
