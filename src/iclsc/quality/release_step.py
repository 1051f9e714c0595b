"""The quality part of a release (registered in iclsc.publish.release.EXTRA_STEPS).

- Great Expectations on every published CSV file (an error refuses the release);
- the Data Docs of that validation and, when this build's extract was validated by the run,
  of its raw deliveries, under `qualite/data-docs/`;
- the rows dbt read from each raw file against the records the preflight counted with its
  own CSV reader (a difference means rows were lost or invented on the way: refused);
- `qualite/validations.json`, a summary of all of the above.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from iclsc.quality import expectations, preflight

DOCS_DIR = "qualite/data-docs"
SUMMARY = "qualite/validations.json"


def built_raw_dir(manifest: dict) -> str | None:
    """The raw directory this build read (dbt renders it into the sources' meta)."""
    for source in manifest.get("sources", {}).values():
        raw_dir = (source.get("source_meta") or {}).get("raw_dir")
        if raw_dir:
            return str(Path(raw_dir).resolve())
    return None


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def reconcile(records: dict[str, int], warehouse) -> list[str]:
    """Files whose rows read by dbt differ from the records the preflight counted."""
    _, rows = warehouse.query(
        "select source_file, rows_read from staging.stg_iclsc__row_reconciliation"
    )
    read = {source_file: int(count) for source_file, count in rows}
    problems = []
    for source_file in sorted(set(records) | set(read)):
        counted, loaded = records.get(source_file, 0), read.get(source_file, 0)
        if counted != loaded:
            problems.append(
                f"{source_file}: {counted} record(s) in the file, {loaded} row(s) read by dbt"
            )
    return problems


def quality_step(release) -> None:
    from iclsc.publish.release import GateError
    from iclsc.warehouse import open_warehouse

    built = built_raw_dir(release.manifest)
    docs = release.directory / DOCS_DIR
    published = expectations.validate_published(
        release.directory, release.datasets, docs / "publication"
    )
    summary: dict = {
        "publication": [str(o) for o in published],
        "raw_dir": built,
        "livraisons": None,
        "reconciliation": None,
    }
    raw_marker = _read_json(expectations.context_dir() / expectations.RAW_MARKER)
    if raw_marker and raw_marker.get("raw_dir") == built:
        shutil.copytree(expectations.context_dir() / "docs", docs / "livraisons")
        summary["livraisons"] = raw_marker["failed"]
    preflight_report = _read_json(preflight.report_path())
    problems = []
    if preflight_report and preflight_report.get("readable_dir") == built:
        with open_warehouse() as warehouse:
            problems = reconcile(preflight_report["records"], warehouse)
        summary["reconciliation"] = problems
    (release.directory / SUMMARY).write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    errors = [f"[expectations] {o}" for o in published if o.is_error]
    errors += [f"[reconciliation] {p}" for p in problems]
    if errors:
        raise GateError(errors)
