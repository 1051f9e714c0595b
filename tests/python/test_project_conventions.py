"""House rules checked on the dbt manifest and the built warehouse (dbt-project-evaluator style).

Every model and every column described; every model's grain tested (unique + not_null);
only staging reads sources; no published column is sensitive.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

GRAIN_TESTS = {
    ("unique", "not_null"),
    ("unique_combination", "not_null_combination"),
}


@pytest.fixture(scope="module")
def manifest(tiny_build):
    return json.loads((tiny_build.target_dir / "manifest.json").read_text(encoding="utf-8"))


def project_models(manifest):
    project = manifest["metadata"]["project_name"]
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == project
    ]


def attached_tests(manifest, model_id):
    found = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and model_id in node["depends_on"]["nodes"]:
            meta = node.get("test_metadata") or {}
            attached = node.get("attached_node")
            if attached == model_id and meta.get("name"):
                found.add((meta["name"], node.get("column_name")))
    return found


def test_every_model_and_column_is_described(manifest, tiny_build):
    connection = duckdb.connect(str(tiny_build.duckdb_path), read_only=True)
    problems = []
    for node in project_models(manifest):
        if not node["description"].strip():
            problems.append(f"{node['name']}: no description")
        documented = {name.lower() for name, c in node["columns"].items() if c["description"]}
        actual = {
            row[0].lower()
            for row in connection.execute(
                "select column_name from information_schema.columns"
                " where table_schema = ? and table_name = ?",
                [node["schema"], node["alias"]],
            ).fetchall()
        }
        if not actual:
            problems.append(f"{node['name']}: not built")
        for column in sorted(actual - documented):
            problems.append(f"{node['name']}.{column}: not described")
        for column in sorted(set(node["columns"]) - actual):
            problems.append(f"{node['name']}.{column}: documented but absent")
    connection.close()
    assert problems == []


def test_every_model_has_a_grain_test(manifest):
    missing = []
    for node in project_models(manifest):
        tests = attached_tests(manifest, node["unique_id"])
        names = {name for name, _ in tests}
        column_grain = any(
            ("unique", column) in tests and ("not_null", column) in tests
            for _, column in tests
            if column
        )
        combination_grain = {"unique_combination", "not_null_combination"} <= names
        if not (column_grain or combination_grain):
            missing.append(node["name"])
    assert missing == []


def test_only_staging_reads_sources(manifest):
    offenders = [
        node["name"]
        for node in project_models(manifest)
        if node["fqn"][1] != "staging"
        and any(dep.startswith("source.") for dep in node["depends_on"]["nodes"])
    ]
    assert offenders == []


def test_no_sensitive_column_outside_the_internal_layers(manifest):
    offenders = [
        f"{node['name']}.{name}"
        for node in project_models(manifest)
        if node["fqn"][1] in {"marts", "exports"}
        for name, column in node["columns"].items()
        if (column.get("meta") or {}).get("sensitive")
    ]
    assert offenders == []


def test_identifier_columns_are_marked_sensitive(manifest):
    identifiers = {"person_id", "provider_id", "user_file_id", "birth_date"}
    unmarked = [
        f"{node['name']}.{name}"
        for node in project_models(manifest)
        for name, column in node["columns"].items()
        if name in identifiers and not (column.get("meta") or {}).get("sensitive")
    ]
    assert unmarked == []


IDENTIFIER_CHECK = "assert_no_identifiers_after_staging"


def test_the_identifier_check_runs_after_every_model_past_staging(manifest):
    """It reads whatever relations the warehouse holds when it runs: it must depend on
    every model outside staging that no other model reads (all the others are upstream of
    these). Without that, dbt ran it first and it checked nothing on a fresh warehouse."""
    models = {node["unique_id"]: node for node in project_models(manifest)}
    readers = {parent for node in models.values() for parent in node["depends_on"]["nodes"]}
    last = {
        node_id
        for node_id, node in models.items()
        if node["fqn"][1] != "staging" and node_id not in readers
    }
    (check,) = [n for n in manifest["nodes"].values() if n["name"] == IDENTIFIER_CHECK]
    assert last and sorted(last - set(check["depends_on"]["nodes"])) == []


def test_the_identifier_check_finds_a_nam_planted_past_staging(manifest, tiny_build, tmp_path):
    """On a copy of the built warehouse, the check passes; with one value of a mart made to
    look like a NAM, it fails and names the model and the column."""
    node = next(n for n in project_models(manifest) if n["name"] == "services_residence_cells")
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_build.duckdb_path, copy)
    env = {"ICLSC_DUCKDB_PATH": str(copy), "DBT_TARGET_PATH": str(tmp_path / "target")}
    select = ("test", "--select", IDENTIFIER_CHECK)
    clean = tiny_build.dbt(*select, check=False, **env)
    assert clean.returncode == 0, clean.stdout[-3000:]
    connection = duckdb.connect(str(copy))
    connection.execute(
        f'update "{node["schema"]}"."{node["alias"]}" set programme_code = \'ABCD12345678\''
        f' where rowid = (select min(rowid) from "{node["schema"]}"."{node["alias"]}")'
    )
    connection.close()
    planted = tiny_build.dbt(*select, "--store-failures", check=False, **env)
    assert planted.returncode != 0, planted.stdout[-3000:]
    assert f"FAIL 1 {IDENTIFIER_CHECK}" in planted.stdout, planted.stdout[-3000:]
    connection = duckdb.connect(str(copy), read_only=True)
    (schema,) = connection.execute(
        "select table_schema from information_schema.tables where table_name = ?",
        [IDENTIFIER_CHECK],
    ).fetchone()
    found = connection.execute(f'select * from "{schema}"."{IDENTIFIER_CHECK}"').fetchall()
    connection.close()
    assert found == [
        ("services_residence_cells", "programme_code", "value looks like a NAM or a postal code")
    ]


# PostgreSQL's identifiers: dbt names a unit test's relation after the test, and a longer
# name stops the unit test there with "Relation name ... is longer than 63 characters".
POSTGRES_MAX_IDENTIFIER = 63


def test_unit_test_names_fit_postgres_identifiers(manifest):
    unit_tests = list(manifest.get("unit_tests", {}).values())
    assert unit_tests, "the manifest holds no unit test"
    too_long = [
        unit_test["name"]
        for unit_test in unit_tests
        if len(unit_test["name"]) > POSTGRES_MAX_IDENTIFIER
    ]
    assert too_long == []


def test_one_default_duckdb_memory_limit():
    """profiles/profiles.yml (read by dbt) and the Python connections (raw expectations, the
    benchmark's reference pass) fall back on the same memory_limit, and README states it."""
    from iclsc import project_dir
    from iclsc.warehouse import DEFAULT_DUCKDB_MEMORY_LIMIT

    profiles = (project_dir() / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert f"env_var('ICLSC_DUCKDB_MEMORY_LIMIT', '{DEFAULT_DUCKDB_MEMORY_LIMIT}')" in profiles
    readme = (project_dir() / "README.md").read_text(encoding="utf-8")
    limit = DEFAULT_DUCKDB_MEMORY_LIMIT
    row = f"| `ICLSC_DUCKDB_MEMORY_LIMIT` | DuckDB `memory_limit` | `{limit}` |"
    assert row in readme
