"""The two privacy steps of a publication (called by iclsc.publish.release).

- `protect_release`, right after the exports are read: the joint complementary suppression
  (protect), from the true counts the internal twins of the exports hold; it withholds
  more rows of release.rows (never fewer) and keeps what reviewers need in release.extra;
- `audit_release_gate`, once the candidate release (CSVs and datapackage.json) is written in
  its hidden folder and before it is renamed into place: the audit, reading only those
  files and the earlier releases; any exposure refuses the release.

What the release gains: `confidentialite/verification.csv` (for every withheld value, two
values feasible tables take, the proved minimum and maximum where low_exact and high_exact
say so) and `confidentialite/resume.json` (cells and margins withheld
per table, the audit's counts). Both are functions of the published files only. The true
information loss (persons in withheld cells) stays internal, in the dbt target folder:
published exactly, it would be one more equation for an attacker.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from iclsc.privacy.audit import audit_release, earlier_releases, earlier_values, read_release
from iclsc.privacy.cube import CubeError, Table, build_cubes
from iclsc.privacy.protect import ProtectionError, Truth, protect
from iclsc.privacy.recount import Recounter, RecountError
from iclsc.privacy.system import InconsistentRelease
from iclsc.publish import datapackage

FOLDER = "confidentialite"


class PrivacyError(RuntimeError):
    pass


def _node(manifest: dict, name: str) -> dict:
    project = manifest["metadata"].get("project_name", "iclsc")
    for node in manifest["nodes"].values():
        if (node["resource_type"], node["name"], node["package_name"]) == ("model", name, project):
            return node
    raise PrivacyError(f"the privacy relation {name} is not a model of the project")


def _relation(warehouse, manifest: dict, name: str) -> str:
    node = _node(manifest, name)
    quote = warehouse.quote
    return f"{quote(node['schema'])}.{quote(node.get('alias') or node['name'])}"


def table_of(dataset, rows: list[list[str]]) -> Table:
    descriptor = {
        "name": dataset.resource,
        "iclsc:universe": dataset.universe,
        "schema": {"fields": [datapackage.field_descriptor(f) for f in dataset.fields]},
    }
    return Table.from_descriptor(descriptor, rows)


def universe_meta(datasets, cubes) -> dict[str, dict]:
    """Per universe: the relations the protection reads (meta.iclsc.privacy of its exports,
    which must agree) and the true-count column of every measure the cube audits."""
    found: dict[str, dict] = {}
    for dataset in datasets:
        meta = dataset.meta.get("privacy") or {}
        missing = [k for k in ("cells", "measures", "records") if not meta.get(k)]
        if missing:
            raise PrivacyError(
                f"{dataset.model}: meta.iclsc.privacy needs {', '.join(missing)} (docs/privacy.md)"
            )
        known = found.setdefault(
            dataset.universe,
            {"cells": meta["cells"], "records": meta["records"], "measures": {}},
        )
        if (known["cells"], known["records"]) != (meta["cells"], meta["records"]):
            raise PrivacyError(f"{dataset.universe}: its tables name two privacy relations")
        for name, column in meta["measures"].items():
            if known["measures"].setdefault(name, column) != column:
                raise PrivacyError(f"{dataset.universe}: {name} has two true-count columns")
    for universe, cube in cubes.items():
        unmapped = sorted(set(cube.measures) - set(found[universe]["measures"]))
        if unmapped:
            raise PrivacyError(f"{universe}: no true-count column for {unmapped}")
    return found


def true_counts(warehouse, manifest, cube, meta) -> Truth:
    """The true counts of every cell of a cube, from its universe's cells relation."""
    names = cube.dimension_names
    totals = [d.total for d in cube.dimensions]
    columns = {m: meta["measures"][m] for m in cube.measures}
    wanted = ["persons", "providers", *sorted(set(columns.values()))]
    quote = warehouse.quote
    selected = ", ".join(quote(c) for c in [*names, *wanted])
    _, found = warehouse.query(
        f"select {selected} from {_relation(warehouse, manifest, meta['cells'])}"
    )
    by_key = {}
    for row in found:
        key = tuple(
            None if str(v) == total else str(v)
            for v, total in zip(row[: len(names)], totals, strict=True)
        )
        by_key[key] = dict(zip(wanted, (int(v) for v in row[len(names) :]), strict=True))
    n = len(cube.keys)
    persons = np.zeros(n, dtype=np.int64)
    providers = np.zeros(n, dtype=np.int64)
    values = {m: np.zeros(n, dtype=np.int64) for m in cube.measures}
    for cell, key in enumerate(cube.keys):
        counts = by_key.get(key)
        if counts is None:
            raise PrivacyError(f"{meta['cells']}: no true counts for {cube.label(cell)}")
        persons[cell] = counts["persons"]
        providers[cell] = counts["providers"]
        for m, column in columns.items():
            values[m][cell] = counts[column]
    return Truth(values, columns, persons, providers)


def protect_release(release, warehouse, publish_dir: Path, settings: dict, log=None) -> dict:
    """Withholds, in release.rows, every row the joint protection adds; returns its report.

    Raises PrivacyError when the release cannot be protected (nothing is published then).
    """
    try:
        return _protect_release(release, warehouse, publish_dir, settings, log)
    except (CubeError, InconsistentRelease, ProtectionError, RecountError) as error:
        raise PrivacyError(f"[privacy] {error}") from error


def _protect_release(release, warehouse, publish_dir, settings, log) -> dict:
    started = time.perf_counter()
    # Datasets outside any universe count no person (the quality report counts file rows):
    # the rule does not apply to them and they withhold nothing.
    datasets = [d for d in release.datasets if d.universe]
    table_list = [table_of(d, release.rows[d.resource]) for d in datasets]
    cubes = build_cubes(table_list)
    metas = universe_meta(datasets, cubes)
    truths, recounters = {}, {}
    for universe, cube in cubes.items():
        truths[universe] = true_counts(warehouse, release.manifest, cube, metas[universe])
        recounters[universe] = Recounter(
            warehouse,
            _relation(warehouse, release.manifest, metas[universe]["records"]),
            cube.dimension_names,
        )
    notes: list[str] = []
    universes = {t.resource: t.universe for t in table_list}
    history = [read_release(path, universes) for path in releases_in(publish_dir)]
    earlier = earlier_values(cubes, history, notes)
    result = protect(
        cubes,
        truths,
        recounters,
        earlier,
        settings,
        log=log,
        tables=table_list,
        history=history,
    )
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
    report = internal_report(result, truths, notes)
    report["recount_queries"] = sum(r.queries for r in recounters.values())
    # The whole step (true counts read, recounts included); `seconds` is the search alone.
    report["protection_seconds"] = round(time.perf_counter() - started, 2)
    if log:
        log(
            f"privacy: protection in {report['protection_seconds']} s, "
            f"{sum(sum(p['added'].values()) for p in report['parts'])} cell(s) added to the "
            "exports' pattern"
        )
    return report


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
                "republished": report.republished,
                "republish_integer_programs": report.republish_programs,
                "republish_untried": report.untried,
                "margins_withheld": sum(cube.is_margin(c) for c in withheld),
                "person_cells_withheld_share": round(persons_withheld / max(persons_all, 1), 6),
                "rounds": report.rounds,
                "integer_programs": report.integer_programs,
                "insiders_checked": report.attackers,
            }
        )
    return {
        "seconds": round(result.seconds, 2),
        "parts": parts,
        "final_audits": result.audits,
        "notes": notes,
    }


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
