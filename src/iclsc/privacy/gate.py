"""The two privacy steps of a publication (called by iclsc.publish.release).

- `protect_release`, right after the exports are read: the joint complementary suppression
  (protect), from the true counts the internal twins of the exports hold; it withholds
  more rows of release.rows (never fewer) and keeps what reviewers need in release.extra;
- `audit_release_gate`, once the candidate release (CSVs and datapackage.json) is written in
  its hidden folder and before it is renamed into place: the audit, reading only those
  files and the earlier releases; any exposure refuses the release.

What the release gains: `confidentialite/verification.csv` (for every withheld value, the
interval the audit proved) and `confidentialite/resume.json` (cells and margins withheld
per table, the audit's counts). Both are functions of the published files only. The true
information loss (persons in withheld cells) stays internal, in the dbt target folder:
published exactly, it would be one more equation for an attacker.
"""

from __future__ import annotations

import json
from pathlib import Path

from iclsc.privacy.audit import audit_release, earlier_releases, earlier_values, read_release
from iclsc.privacy.cube import CubeError, Table, build_cubes
from iclsc.privacy.protect import ProtectionError, protect, truth_of
from iclsc.privacy.recount import Recounter
from iclsc.privacy.system import InconsistentRelease
from iclsc.publish import datapackage, tables

FOLDER = "confidentialite"


class PrivacyError(RuntimeError):
    pass


def _node(manifest: dict, name: str) -> dict:
    project = manifest["metadata"].get("project_name", "iclsc")
    for node in manifest["nodes"].values():
        if (node["resource_type"], node["name"], node["package_name"]) == ("model", name, project):
            return node
    raise PrivacyError(f"the privacy relation {name} is not a model of the project")


def table_of(dataset, rows: list[list[str]]) -> Table:
    descriptor = {
        "name": dataset.resource,
        "iclsc:universe": dataset.universe,
        "schema": {"fields": [datapackage.field_descriptor(f) for f in dataset.fields]},
    }
    return Table.from_descriptor(descriptor, rows)


def _privacy_meta(dataset) -> dict:
    meta = dataset.meta.get("privacy") or {}
    missing = [k for k in ("cells", "measures", "records") if not meta.get(k)]
    if missing:
        raise PrivacyError(
            f"{dataset.model}: meta.iclsc.privacy needs {', '.join(missing)} (docs/privacy.md)"
        )
    unmapped = [m.name for m in dataset.measures if m.name not in meta["measures"]]
    if unmapped:
        raise PrivacyError(f"{dataset.model}: no true-count column for {unmapped}")
    return meta


def _true_rows(warehouse, manifest, dataset, rows) -> list[dict]:
    meta = _privacy_meta(dataset)
    node = _node(manifest, meta["cells"])
    relation = warehouse.relation(node["schema"], node.get("alias") or node["name"])
    dims = dataset.dimensions
    wanted = ["persons", "providers", *sorted(set(meta["measures"].values()))]
    columns = ", ".join(warehouse.quote(c) for c in [f.name for f in dims] + wanted)
    _names, found = warehouse.query(f"select {columns} from {relation}")
    by_key = {}
    for row in found:
        key = tuple(tables.format_value(v, f) for v, f in zip(row[: len(dims)], dims, strict=True))
        by_key[key] = dict(zip(wanted, (int(v) for v in row[len(dims) :]), strict=True))
    positions = [[f.name for f in dataset.fields].index(f.name) for f in dims]
    true_rows = []
    for row in rows:
        key = tuple(row[p] for p in positions)
        if key not in by_key:
            raise PrivacyError(f"{meta['cells']}: no true counts for {dataset.resource} {key}")
        true_rows.append(by_key[key])
    return true_rows


def protect_release(release, warehouse, publish_dir: Path, settings: dict, log=None) -> dict:
    """Withholds, in release.rows, every row the joint protection adds; returns its report.

    Raises PrivacyError when the release cannot be protected (nothing is published then).
    """
    try:
        return _protect_release(release, warehouse, publish_dir, settings, log)
    except (CubeError, InconsistentRelease, ProtectionError) as error:
        raise PrivacyError(f"[privacy] {error}") from error


def _protect_release(release, warehouse, publish_dir, settings, log) -> dict:
    # Datasets outside any universe count no person (the quality report counts file rows):
    # the rule does not apply to them and they withhold nothing.
    datasets = [d for d in release.datasets if d.universe]
    table_list = [table_of(d, release.rows[d.resource]) for d in datasets]
    cubes = build_cubes(table_list)
    truth_rows, columns = {}, {}
    records: dict[str, str] = {}
    for dataset, table in zip(datasets, table_list, strict=True):
        meta = _privacy_meta(dataset)
        truth_rows[table.resource] = _true_rows(
            warehouse, release.manifest, dataset, release.rows[dataset.resource]
        )
        columns[table.resource] = dict(meta["measures"])
        if records.setdefault(table.universe, meta["records"]) != meta["records"]:
            raise PrivacyError(f"{table.universe}: its tables name two records relations")
    truths = {u: truth_of(cube, table_list, truth_rows, columns) for u, cube in cubes.items()}
    recounters = {}
    for universe, name in records.items():
        node = _node(release.manifest, name)
        recounters[universe] = Recounter(
            warehouse,
            warehouse.relation(node["schema"], node.get("alias") or node["name"]),
            cubes[universe].dimension_names,
        )
    notes: list[str] = []
    universes = {t.resource: t.universe for t in table_list}
    history = [read_release(path, universes) for path in releases_in(publish_dir)]
    earlier = earlier_values(cubes, history, notes)
    result = protect(cubes, truths, recounters, earlier, settings, log=log)
    added = result.withheld_rows(table_list)
    for dataset in datasets:
        names = [f.name for f in dataset.fields]
        flag = names.index(dataset.suppressed.name)
        measures = [names.index(f.name) for f in dataset.measures]
        for i in added[dataset.resource]:
            row = release.rows[dataset.resource][i]
            row[flag] = "true"
            for at in measures:
                row[at] = ""
    return internal_report(result, truths, notes)


def internal_report(result, truths, notes) -> dict:
    parts = []
    for report in result.reports:
        cube = result.cubes[report.universe]
        truth = truths[report.universe]
        cells = [c for c, _ in enumerate(cube.keys) if cube.part_of(c) == report.part]
        withheld = [c for c in cells if cube.withheld[c]]
        persons_all = int(sum(truth.persons[c] for c in cells))
        persons_withheld = int(sum(truth.persons[c] for c in withheld))
        parts.append(
            {
                "universe": report.universe,
                "part": list(report.part),
                "cells": len(cells),
                "withheld": len(withheld),
                "withheld_by_exports": report.withheld_before,
                "added": dict(report.added),
                "margins_withheld": sum(cube.is_margin(c) for c in withheld),
                "person_cells_withheld_share": round(persons_withheld / max(persons_all, 1), 6),
                "rounds": report.rounds,
                "integer_programs": report.integer_programs,
                "insiders_checked": report.attackers,
            }
        )
    return {"seconds": round(result.seconds, 2), "parts": parts, "notes": notes}


def public_summary(release_dir: Path, audit) -> dict:
    by_resource = {}
    for table in read_release(release_dir):
        at = table.header.index(table.suppressed)
        dims = [table.header.index(d.name) for d in table.dimensions if d.total is not None]
        totals = {table.header.index(d.name): d.total for d in table.dimensions}
        withheld = [row for row in table.rows if row[at] == "true"]
        by_resource[table.resource] = {
            "cells": len(table.rows),
            "withheld": len(withheld),
            "margins_withheld": sum(any(row[i] == totals[i] for i in dims) for row in withheld),
        }
    return {"tables": by_resource, "audit": audit.summary()}


def audit_release_gate(candidate: Path, settings: dict) -> list[str]:
    """Audits the candidate release folder; writes its files there; returns the exposures."""
    try:
        result = audit_release(candidate, settings)
    except (CubeError, InconsistentRelease) as error:
        return [f"[privacy] the audit cannot read the release: {error}"]
    folder = candidate / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "verification.csv").write_bytes(result.csv_bytes())
    summary = public_summary(candidate, result)
    summary["audit"].pop("seconds", None)
    (folder / "resume.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return [f"{f.universe} [{f.measure or 'cell'}] {f.cell}: {f.reason}" for f in result.exposures]


def releases_in(publish_dir: Path) -> list[Path]:
    """The complete releases of a publish folder (an attacker has every one of them)."""
    if not publish_dir.is_dir():
        return []
    return earlier_releases(publish_dir / ".candidate")


def write_internal_report(target_dir: Path, release_id: str, report: dict) -> None:
    """Information loss of a release, for reviewers: in the dbt target folder, not published."""
    folder = target_dir / "privacy"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{release_id}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
