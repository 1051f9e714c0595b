"""The dbt state of a release: the manifest that built it, for state-aware builds.

Each release carries `dbt-state/manifest.json`. Against it, `dbt build --select
state:modified+ --state <release>/dbt-state` rebuilds only the models changed since that
release and what depends on them (`python -m iclsc changed` does it, see iclsc.changed).

Two source properties come from the environment, not from the code: the extract directory
(source meta `raw_dir`, from ICLSC_RAW_DIR) and the database (the DuckDB file's name). dbt
compares both, so against a release built elsewhere every source, and so every model,
looks modified. `localize` gives the release's sources this environment's values of these
two properties only; any other change of a source still counts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

STATE_DIR = "dbt-state"
MANIFEST = "manifest.json"
# Source meta keys rendered from the environment (models/staging/iclsc/_iclsc__sources.yml).
ENVIRONMENT_META = ("raw_dir",)


def add_dbt_state(release) -> None:
    """Release step: the manifest the release was built from, in dbt-state/."""
    from iclsc.runs.redact import known_directories, redact_text

    folder = release.directory / STATE_DIR
    folder.mkdir()
    # dbt writes absolute paths (compiled_path, build_path, root_path, the extract's folder
    # in the sources' meta): public, they become placeholders; `localize` restores what
    # state comparison needs from the environment.
    directories = known_directories(publish_dir=release.directory.parent)
    (folder / MANIFEST).write_text(
        redact_text(json.dumps(release.manifest, ensure_ascii=False), directories),
        encoding="utf-8",
    )


def _meta_dicts(source: dict) -> list[dict]:
    return [
        d
        for d in (
            source.get("meta"),
            source.get("source_meta"),
            (source.get("config") or {}).get("meta"),
            (source.get("unrendered_config") or {}).get("meta"),
        )
        if isinstance(d, dict)
    ]


def localize(state: dict, current: dict) -> dict:
    """The state manifest with its sources' environment-bound properties set to this one's."""
    localized = copy.deepcopy(state)
    for unique_id, source in localized.get("sources", {}).items():
        here = current.get("sources", {}).get(unique_id)
        if here is None:
            continue
        source["database"] = here.get("database")
        here_meta = next(iter(_meta_dicts(here)), {})
        for meta in _meta_dicts(source):
            for key in ENVIRONMENT_META:
                if key in meta and key in here_meta:
                    meta[key] = here_meta[key]
    return localized


def write_localized(state_dir: Path, current_manifest: Path, out_dir: Path) -> Path:
    state = json.loads((state_dir / MANIFEST).read_text(encoding="utf-8"))
    current = json.loads(current_manifest.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).write_text(
        json.dumps(localize(state, current), ensure_ascii=False), encoding="utf-8"
    )
    return out_dir
