"""Assembles a release, runs the gates, and publishes it atomically.

A release is built in a hidden folder beside the others, renamed into place only when it is
complete and every gate passed, and only then does `latest` move (an atomic symlink swap).
A failure leaves the previous releases and `latest` untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iclsc.privacy import gate as privacy
from iclsc.publish import (
    datapackage,
    dictionary,
    diff,
    gates,
    manifest,
    portal,
    state,
    steps,
    tables,
    universes,
)
from iclsc.warehouse import open_warehouse


class GateError(RuntimeError):
    def __init__(self, violations: list):
        self.violations = violations
        shown = "\n".join(f"  {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"{len(violations)} publication gate violation(s):\n{shown}{more}")


@dataclass
class Release:
    """What the steps of a publication share; extra steps add files and resources to it."""

    release_id: str
    created: str
    directory: Path
    manifest: dict
    datasets: list[manifest.Dataset]
    rows: dict[str, list[list[str]]] = field(default_factory=dict)
    resources: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    portal: dict[str, portal.PortalMeta] = field(default_factory=dict)
    previous: Path | None = None  # the release `latest` pointed to, compared with this one
    settings: dict = field(default_factory=dict)  # dbt_project.yml vars
    extract: dict = field(default_factory=dict)  # facts about the extract (last transmission)


def _quality_step(release: Release) -> None:
    """Great Expectations on the published files, Data Docs, raw rows reconciled."""
    from iclsc.quality.release_step import quality_step

    quality_step(release)


# Steps run after the datasets are written and before datapackage.json: each takes the
# Release and may add files, resources or properties. Later features register here.
EXTRA_STEPS: list[Callable[[Release], None]] = [
    _quality_step,
    dictionary.add_dictionary,
    state.add_dbt_state,
]

# The publication's own steps (src/iclsc/publish/steps.py), around EXTRA_STEPS: the data
# steps before them, the documents (which describe every file, theirs included) after.
DATA_STEPS: list[Callable[[Release], None]] = [steps.write_parquet_copies, steps.write_diff]
DOCUMENT_STEPS: list[Callable[[Release], None]] = [
    steps.write_methodology,
    steps.write_portal_metadata,
    steps.write_lineage,
    steps.write_pages,
]


def _log(message: str) -> None:
    # The run's log when a run publishes, stderr otherwise (a cycle at import time).
    from iclsc.pipeline import log

    log(message)


def new_release_id(publish_dir: Path, now: datetime) -> str:
    base = now.strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while (publish_dir / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def point_latest(publish_dir: Path, release_id: str) -> None:
    link = publish_dir / "latest"
    temporary = publish_dir / f".latest-{release_id}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(release_id, target_is_directory=True)
    os.replace(temporary, link)


def publish(
    publish_dir: Path,
    target_dir: Path,
    release_id: str | None = None,
    now: datetime | None = None,
    extra_steps: Sequence[Callable[[Release], None]] = (),
) -> Path:
    """Publishes a release; `extra_steps` run after EXTRA_STEPS (the caller's own files)."""
    now = now or datetime.now(UTC)
    publish_dir.mkdir(parents=True, exist_ok=True)
    release_id = release_id or new_release_id(publish_dir, now)
    final_dir = publish_dir / release_id
    if final_dir.exists():
        raise FileExistsError(f"release {final_dir} already exists")
    loaded = manifest.load_manifest(target_dir)
    datasets = manifest.published_datasets(loaded)
    if not datasets:
        raise manifest.ManifestError("no published dataset (models/exports) in the manifest")
    # Before anything is read or written: every dataset needs its portal metadata.
    portal_meta = portal.all_portal_meta(loaded, datasets)
    previous = diff.previous_release(publish_dir)

    incoming = publish_dir / f".incoming-{release_id}"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    try:
        release = Release(
            release_id=release_id,
            created=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            directory=incoming,
            manifest=loaded,
            datasets=datasets,
            portal=portal_meta,
            previous=previous,
            settings=gates.project_vars(),
        )
        with open_warehouse() as warehouse:
            for dataset in datasets:
                release.rows[dataset.resource] = tables.read_rows(warehouse, dataset)
            release.extract = steps.extract_facts(warehouse, loaded)
            # Joint complementary suppression over every table of every universe, and the
            # earlier releases (docs/privacy.md): only ever withholds more.
            try:
                release.extra["privacy"] = privacy.protect_release(
                    release, warehouse, publish_dir, release.settings, log=_log
                )
            except privacy.PrivacyError as error:
                raise GateError([str(error)]) from error

        settings = release.settings
        violations = []
        for dataset in datasets:
            violations += gates.run_gates(dataset, release.rows[dataset.resource], settings)
        violations += universes.check_universes(datasets, release.rows)
        if violations:
            raise GateError(violations)

        for dataset in datasets:
            data = tables.write_csv(
                incoming / dataset.path, dataset, release.rows[dataset.resource]
            )
            release.resources.append(datapackage.resource_descriptor(dataset, data))
        for step in (*DATA_STEPS, *EXTRA_STEPS, *extra_steps, *DOCUMENT_STEPS):
            step(release)
        descriptor = datapackage.package_descriptor(release_id, release.created, release.resources)
        descriptor["iclsc:files"] = steps.inventory(incoming)
        (incoming / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        # The audit reads only the candidate's files (and the earlier releases beside it):
        # any exposure refuses the release before it is renamed into place. Its files
        # (confidentialite/) join the inventory.
        started = time.perf_counter()
        exposures = privacy.audit_release_gate(incoming, settings)
        release.extra["privacy"]["audit_seconds"] = round(time.perf_counter() - started, 2)
        _log(
            f"privacy: audit of the candidate in {release.extra['privacy']['audit_seconds']} s, "
            f"{len(exposures)} exposure(s)"
        )
        if exposures:
            raise GateError(exposures)
        descriptor["iclsc:files"] = steps.inventory(incoming)
        (incoming / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        privacy.write_internal_report(target_dir, release_id, release.extra["privacy"])
        steps.write_sums(incoming)
        os.rename(incoming, final_dir)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    point_latest(publish_dir, release_id)
    return final_dir
