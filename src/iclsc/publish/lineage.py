"""The lineage of a release: `dbt docs generate --static`, checked, in `lineage/index.html`.

The docs are generated afresh for each release (in a temporary target folder, so the
project's target/ is untouched), from the same project and warehouse. Before they ship:
- the pseudonymisation key, and the HMAC pads the warehouse receives, appear nowhere (by
  design the key never reaches SQL; this proves it for the file that ships);
- the catalogue holds no row data: only tables, columns and types, no statistics;
- no value of the project's manifest or catalogue looks like a NAM or a postal code;
- every published dataset appears as an exposure in the embedded manifest;
- absolute paths of the build machine (project folder, raw extract) are replaced by names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from iclsc import identifiers, project_dir, pseudonym

DIRECTORY = "lineage"
INDEX = f"{DIRECTORY}/index.html"
# Statistics a catalogue may hold without showing a row: dbt's own placeholder.
ALLOWED_STATS = {"has_stats"}


class LineageError(RuntimeError):
    pass


def generate(work_dir: Path) -> Path:
    """Runs `dbt docs generate --static` into work_dir; returns static_index.html."""
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir() / "profiles"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    # Through `python -m iclsc dbt`: on PostgreSQL and Spark it opens the engine's session
    # the way the build did (iclsc.engines); on DuckDB it is plain dbt.
    command = [
        sys.executable,
        "-m",
        "iclsc",
        "dbt",
        "docs",
        "generate",
        "--static",
        "--target-path",
        str(work_dir),
        "--project-dir",
        str(project_dir()),
        "--log-path",
        str(work_dir / "logs"),
        "--quiet",
    ]
    done = subprocess.run(
        command, env=env, cwd=project_dir(), capture_output=True, text=True, check=False
    )
    index = work_dir / "static_index.html"
    if done.returncode != 0 or not index.is_file():
        raise LineageError(
            "dbt docs generate --static failed:\n" + (done.stdout + done.stderr)[-4000:]
        )
    return index


def embedded_json(page: str, name: str) -> dict:
    """The manifest or catalog that static_index.html embeds (`manifest:{...},catalog:{...}`)."""
    match = re.search(r"\b" + name + r':(?=\{"metadata")', page)
    if not match:
        raise LineageError(f"static_index.html embeds no {name}")
    data, _ = json.JSONDecoder().raw_decode(page, match.end())
    return data


def secrets() -> list[str]:
    """Every form in which the key could leak: the key itself and its HMAC pads."""
    value = os.environ.get(pseudonym.KEY_ENV, "")
    if not value:
        return []
    inner, outer = pseudonym.hmac_pads(value.encode("utf-8"))
    return [value, inner.hex(), outer.hex()]


def check(page: str, published_models: list[str]) -> list[str]:
    problems = []
    for secret in secrets():
        if secret.lower() in page.lower():
            problems.append("the pseudonymisation key (or an HMAC pad derived from it) appears")
            break
    catalog = embedded_json(page, "catalog")
    for kind in ("nodes", "sources"):
        for unique_id, entry in catalog.get(kind, {}).items():
            stats = set(entry.get("stats", {})) - ALLOWED_STATS
            if stats:
                problems.append(f"catalog {unique_id} holds statistics {sorted(stats)}")
    manifest = embedded_json(page, "manifest")
    # The project's content only: dbt's own page code holds CSS colours like #A0A0A0.
    content = json.dumps(manifest, ensure_ascii=False) + json.dumps(catalog, ensure_ascii=False)
    for pattern, what in ((identifiers.NAM, "a NAM"), (identifiers.POSTAL_CODE, "a postal code")):
        found = pattern.search(content)
        if found:
            problems.append(f"a value looks like {what}: {found.group(0)!r}")
    exposed = {
        node
        for exposure in manifest.get("exposures", {}).values()
        for node in exposure.get("depends_on", {}).get("nodes", [])
    }
    problems += [
        f"published model {model} is no exposure's dependency"
        for model in published_models
        if model not in exposed
    ]
    return problems


def without_statistics(page: str) -> str:
    """Drops the table statistics an engine puts in the catalogue (dbt-spark: bytes, rows)."""
    match = re.search(r"\bcatalog:(?=\{\"metadata\")", page)
    if not match:
        return page
    catalog, end = json.JSONDecoder().raw_decode(page, match.end())
    for kind in ("nodes", "sources"):
        for entry in catalog.get(kind, {}).values():
            stats = entry.get("stats") or {}
            entry["stats"] = {name: stats[name] for name in stats if name in ALLOWED_STATS}
    compact = json.dumps(catalog, ensure_ascii=False, separators=(",", ":"))
    return page[: match.end()] + compact + page[end:]


def anonymise_paths(page: str) -> str:
    """Replaces the build machine's folders by their names."""
    replacements = {str(project_dir()): "."}
    raw = os.environ.get("ICLSC_RAW_DIR")
    if raw:
        replacements[str(Path(raw).resolve())] = "$ICLSC_RAW_DIR"
        replacements[raw] = "$ICLSC_RAW_DIR"
    for path, name in sorted(replacements.items(), key=lambda item: -len(item[0])):
        if len(path) > 1:
            page = page.replace(json.dumps(path)[1:-1], name).replace(path, name)
    return page


def write_lineage(release_dir: Path, published_models: list[str]) -> Path:
    with tempfile.TemporaryDirectory(prefix="iclsc-docs-") as work:
        index = generate(Path(work))
        page = without_statistics(anonymise_paths(index.read_text(encoding="utf-8")))
    problems = check(page, published_models)
    if problems:
        raise LineageError("the lineage docs cannot ship:\n  " + "\n  ".join(problems))
    target = release_dir / INDEX
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
