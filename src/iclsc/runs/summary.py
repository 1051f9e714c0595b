"""The run summary (`run-summary.json`): what a run read, refused, published and withheld,
how long each step took, and which gates it passed.

The pipeline keeps one per run in the run's log directory, and writes a copy into the
release it publishes. Counts only: no value of any row.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from iclsc import __version__
from iclsc.runs.log import iso, utc_now

ROW_FATES = ("rows_read", "rows_staged", "rows_quarantined", "rows_superseded", "rows_duplicate")
RECONCILIATION_MODEL = "stg_iclsc__row_reconciliation"
QUARANTINE_MODEL = "stg_iclsc__quarantine"


@dataclass
class StepRecord:
    name: str
    started: datetime
    finished: datetime | None = None
    outcome: str = "running"
    exit_code: int | None = None

    def as_dict(self, now: datetime | None = None) -> dict:
        end = self.finished or now or utc_now()
        record = {
            "name": self.name,
            "outcome": self.outcome,
            "started_at": iso(self.started),
            "duration_seconds": round((end - self.started).total_seconds(), 3),
        }
        if self.exit_code is not None:
            record["exit_code"] = self.exit_code
        return record


@dataclass
class RunSummary:
    run_id: str
    started: datetime
    command: list[str]
    outcome: str = "running"
    exit_code: int | None = None
    finished: datetime | None = None
    facts: dict = field(default_factory=dict)  # parameters: extract, period, release, mode
    steps: list[StepRecord] = field(default_factory=list)
    gates: list[dict] = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    dbt: dict = field(default_factory=dict)
    published: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def start_step(self, name: str) -> StepRecord:
        record = StepRecord(name, utc_now())
        self.steps.append(record)
        return record

    @staticmethod
    def end_step(record: StepRecord, outcome: str, exit_code: int | None = None) -> None:
        record.finished = utc_now()
        record.outcome = outcome
        record.exit_code = exit_code

    def gate(self, name: str, outcome: str, exit_code: int, **details) -> None:
        """Records a gate: `outcome` passed or failed; `exit_code` is the run's code on failure."""
        self.gates = [g for g in self.gates if g["name"] != name]
        self.gates.append({"name": name, "outcome": outcome, "exit_code": exit_code, **details})

    def finish(self, outcome: str, exit_code: int) -> None:
        self.finished = utc_now()
        self.outcome = outcome
        self.exit_code = exit_code

    def as_dict(self) -> dict:
        now = self.finished or utc_now()
        return {
            "run_id": self.run_id,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "started_at": iso(self.started),
            "finished_at": iso(self.finished) if self.finished else None,
            "duration_seconds": round((now - self.started).total_seconds(), 3),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "iclsc_version": __version__,
            "command": self.command,
            **self.facts,
            "steps": [s.as_dict(now) for s in self.steps],
            "gates": self.gates,
            "rows": self.rows,
            "dbt": self.dbt,
            "published": self.published,
            "notes": self.notes,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(
            json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        os.replace(temporary, path)


def dbt_results(run_results: dict) -> dict:
    """Node counts by resource type and status, from target/run_results.json."""
    by_type: dict[str, Counter] = {}
    failed = []
    for result in run_results.get("results", []):
        resource_type = result["unique_id"].split(".", 1)[0]
        by_type.setdefault(resource_type, Counter())[result["status"]] += 1
        if result["status"] in ("error", "fail"):
            failed.append(result["unique_id"])
    return {
        "command": (run_results.get("args") or {}).get("which"),
        "invocation_id": (run_results.get("metadata") or {}).get("invocation_id"),
        "elapsed_seconds": round(float(run_results.get("elapsed_time") or 0.0), 3),
        "nodes": {kind: dict(sorted(counts.items())) for kind, counts in sorted(by_type.items())},
        "failed": sorted(failed),
    }


def _relation(manifest: dict, model: str, warehouse) -> str | None:
    project = manifest["metadata"].get("project_name", "iclsc")
    node = manifest["nodes"].get(f"model.{project}.{model}")
    if node is None:
        return None
    name = node.get("alias") or node["name"]
    return f"{warehouse.quote(node['schema'])}.{warehouse.quote(name)}"


def warehouse_rows(manifest: dict, warehouse) -> dict:
    """Rows read and what became of them, per raw file, and the quarantine by reason."""
    rows: dict = {}
    reconciliation = _relation(manifest, RECONCILIATION_MODEL, warehouse)
    if reconciliation:
        sums = ", ".join(f"sum({fate})" for fate in ROW_FATES)
        _, found = warehouse.query(
            f"select raw_file, {sums} from {reconciliation} group by raw_file order by raw_file"
        )
        by_file = {
            raw_file: {fate: int(n or 0) for fate, n in zip(ROW_FATES, counts, strict=True)}
            for raw_file, *counts in found
        }
        rows["by_file"] = by_file
        rows["total"] = {
            fate: sum(counts[fate] for counts in by_file.values()) for fate in ROW_FATES
        }
    quarantine = _relation(manifest, QUARANTINE_MODEL, warehouse)
    if quarantine:
        _, found = warehouse.query(
            f"select raw_file, quarantine_reason, count(*) from {quarantine} "
            "group by raw_file, quarantine_reason order by raw_file, quarantine_reason"
        )
        rows["quarantine_reasons"] = [
            {"raw_file": raw_file, "reason": reason, "rows": int(n)}
            for raw_file, reason, n in found
        ]
    return rows


def published_counts(release) -> dict:
    """Rows and withheld cells (rows whose measures are withheld) of each published dataset."""
    resources = {}
    for dataset in release.datasets:
        rows = release.rows[dataset.resource]
        flag = [f.name for f in dataset.fields].index(dataset.suppressed.name)
        descriptor = next((r for r in release.resources if r.get("name") == dataset.resource), {})
        resources[dataset.resource] = {
            "path": dataset.path,
            "rows": len(rows),
            "cells_withheld": sum(1 for row in rows if row[flag] == "true"),
            "bytes": descriptor.get("bytes"),
            "hash": descriptor.get("hash"),
        }
    return {
        "resources": resources,
        "rows": sum(r["rows"] for r in resources.values()),
        "cells_withheld": sum(r["cells_withheld"] for r in resources.values()),
    }
