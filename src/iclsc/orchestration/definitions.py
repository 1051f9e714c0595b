"""Dagster definitions: dbt assets and checks, the release, the period job and schedules.

No `from __future__ import annotations` here: Dagster reads the type hints of asset functions.
"""

import os
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from iclsc import pipeline, project_dir
from iclsc.orchestration.resources import IclscRun
from iclsc.orchestration.schedules import period_schedules
from iclsc.runs.summary import dbt_results

# The manifest Dagster reads its assets from, apart from the pipeline's own target/: parsing
# it never touches the artifacts of a run in progress.
MANIFEST_TARGET = "target/dagster"


class IclscTranslator(DagsterDbtTranslator):
    """dbt tests become asset checks; each layer (staging, marts, exports...) is a group."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


# What dbt parses: a change to any of these makes the manifest stale.
PROJECT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests/dbt")


def is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    parsed = manifest.stat().st_mtime
    for name in PROJECT_SOURCES:
        path = project_dir() / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file())
        if any(f.stat().st_mtime > parsed for f in files):
            return True
    return False


def dbt_project() -> DbtProject:
    project = DbtProject(
        project_dir=project_dir(),
        target_path=MANIFEST_TARGET,
        profiles_dir=os.environ.get("DBT_PROFILES_DIR") or project_dir() / "profiles",
    )
    # `dagster dev` re-parses on every load; elsewhere the manifest is parsed when missing or
    # older than the project, so the assets always describe the project as it is.
    project.prepare_if_dev()
    if is_stale(project.manifest_path):
        project.preparer.prepare(project)
    return project


DBT_PROJECT = dbt_project()
TRANSLATOR = IclscTranslator()


@contextmanager
def environment(**values: str):
    """Environment variables set while dbt's subprocess starts, then restored."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    name="iclsc_dbt",
)
def iclsc_dbt(context: AssetExecutionContext, dbt: DbtCliResource, iclsc_run: IclscRun):
    """dbt build of the selected models with their tests, at the run's cut-off period."""
    ctx = iclsc_run.context
    record = ctx.summary.start_step("build")
    ctx.log.info("step_started", step="build")
    arguments = pipeline.build_arguments(ctx.publish_through)
    # dagster-dbt hands dbt this process's environment: dbt reads what the preflight returned.
    with environment(ICLSC_RAW_DIR=ctx.env.get("ICLSC_RAW_DIR") or str(ctx.raw_dir)):
        invocation = dbt.cli(arguments, context=context, target_path=ctx.target_dir)
    try:
        yield from invocation.stream()
    finally:
        results = pipeline.read_json(ctx.target_dir / "run_results.json") or {}
        ctx.summary.dbt = dbt_results(results)
        passed = invocation.is_successful()
        ctx.summary.gate(
            "dbt build",
            "passed" if passed else "failed",
            pipeline.EXIT_DBT_BUILD,
            tests=ctx.summary.dbt["nodes"].get("test", {}),
            failed=ctx.summary.dbt["failed"],
        )
        ctx.summary.end_step(
            record, "passed" if passed else "failed", None if passed else pipeline.EXIT_DBT_BUILD
        )
        ctx.log.info("step_finished", step="build", outcome=record.outcome)


def export_keys() -> list[AssetKey]:
    """The asset keys of the published datasets (models under models/exports)."""
    from iclsc.publish.manifest import load_manifest, published_datasets

    manifest = load_manifest(DBT_PROJECT.manifest_path.parent)
    project = manifest["metadata"].get("project_name", "iclsc")
    return [
        TRANSLATOR.get_asset_key(manifest["nodes"][f"model.{project}.{dataset.model}"])
        for dataset in published_datasets(manifest)
    ]


@asset(deps=export_keys(), group_name="release", kinds={"python"})
def iclsc_release(context: AssetExecutionContext, iclsc_run: IclscRun) -> MaterializeResult:
    """The release: CSV and datapackage.json through the publication gates, then `latest`."""
    ctx = iclsc_run.context
    # The steps after the build, as a run has them (publish, and what features insert there).
    for step in pipeline.STEPS[pipeline.step_index("build") + 1 :]:
        IclscRun.step(ctx, step.name, step.function)
    published = ctx.summary.published
    return MaterializeResult(
        metadata={
            "release_dir": str(ctx.release_dir),
            "rows": published.get("rows", 0),
            "cells_withheld": published.get("cells_withheld", 0),
            "publish_through": str(ctx.publish_through),
        }
    )


period_job = define_asset_job(
    "iclsc_period_job",
    selection=AssetSelection.all(),
    # One process for the run: the run's lock and summary span the build and the release.
    executor_def=in_process_executor,
    description="Builds the warehouse at a period's cut-off and publishes a release.",
)

defs = Definitions(
    assets=[iclsc_dbt, iclsc_release],
    jobs=[period_job],
    schedules=period_schedules(period_job),
    resources={
        "dbt": DbtCliResource(project_dir=DBT_PROJECT),
        "iclsc_run": IclscRun(),
    },
    executor=in_process_executor,
)
