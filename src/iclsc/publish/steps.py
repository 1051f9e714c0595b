"""The publication steps of a release, in the order release.py runs them.

Data steps run right after the datasets are written: Parquet copies, then the diff with the
previous release (a resource of its own). Document steps run after the EXTRA_STEPS of other
features: the methodology, the portal metadata (CKAN and DCAT, which list the methodology
among each dataset's files), the lineage docs, the pages. The inventory of every file, with
its size and checksum, comes last, just before datapackage.json.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from iclsc import identifiers, pseudonym
from iclsc.publish import (
    datapackage,
    diff,
    documents,
    lineage,
    metadata,
    methodology,
    pages,
    parquet,
    portal,
    tables,
)

if TYPE_CHECKING:
    from iclsc.publish.release import Release

PORTAL_DIR = "portail"
CHANGELOG_MD = "changelog.md"
CHANGELOG_HTML = "changelog.html"
CATALOGUE = f"{PORTAL_DIR}/catalogue.dcat.jsonld"


class StepError(RuntimeError):
    pass


def _resource(release: Release, name: str) -> dict:
    return next(r for r in release.resources if r["name"] == name)


def _released(release: Release) -> date:
    return date.fromisoformat(release.created[:10])


def extract_facts(warehouse, loaded_manifest: dict) -> dict:
    """When the last transmission arrived, and from how many establishments (if staged)."""
    node = next(
        (
            n
            for n in loaded_manifest["nodes"].values()
            if n["resource_type"] == "model" and n["name"] == "stg_iclsc__transmissions"
        ),
        None,
    )
    if node is None or not {"transmitted_at", "establishment_code"} <= set(node["columns"]):
        return {}
    relation = (
        f"{warehouse.quote(node['schema'])}.{warehouse.quote(node.get('alias') or node['name'])}"
    )
    _, rows = warehouse.query(
        f"select max(transmitted_at), count(distinct establishment_code) from {relation}"
    )
    last, establishments = rows[0]
    if last is None:
        return {}
    return {"last_transmission": str(last)[:10], "establishments": int(establishments)}


# --------------------------------------------------------------------------- data steps


def write_parquet_copies(release: Release) -> None:
    for dataset in release.datasets:
        copy = parquet.write_parquet(release.directory, dataset, release.rows[dataset.resource])
        _resource(release, dataset.resource)["iclsc:copies"] = [copy]


def write_diff(release: Release) -> None:
    from iclsc.publish import dictionary

    result = diff.compare(
        release.previous,
        release.datasets,
        release.rows,
        release.portal,
        generated=frozenset({dictionary.RESOURCE}),
    )
    rows = diff.diff_rows(result)
    # Built from published values only; scanned all the same, like every published file.
    findings = identifiers.scan_rows(
        diff.DIFF_DATASET.path, [f.name for f in diff.DIFF_DATASET.fields], rows
    )
    if findings:
        raise StepError(
            "the diff holds identifier-like values: " + "; ".join(map(str, findings[:5]))
        )
    data = tables.write_csv(release.directory / diff.DIFF_DATASET.path, diff.DIFF_DATASET, rows)
    descriptor = datapackage.resource_descriptor(diff.DIFF_DATASET, data)
    descriptor["iclsc:previous"] = result.previous_id
    release.resources.append(descriptor)
    titles = {d.resource: d.title for d in release.datasets}
    text = diff.changelog(result, release.release_id, titles)
    (release.directory / CHANGELOG_MD).write_text(text, encoding="utf-8")
    body = "<pre>" + _escape(text) + "</pre>"
    (release.directory / CHANGELOG_HTML).write_text(
        pages.page_shell(f"Changements {release.release_id}", body, 0, []), encoding="utf-8"
    )
    release.extra["diff"] = diff.summary(result)
    release.extra["previous_resources"] = result.previous_resources


def _escape(text: str) -> str:
    import html

    return html.escape(text)


# --------------------------------------------------------------------------- documents


def _analysis(release: Release) -> dict:
    if "analysis" not in release.extra:
        release.extra["analysis"] = {
            d.resource: {
                "coverage": portal.coverage(
                    d, release.portal[d.resource], release.rows[d.resource]
                ),
                "numbers": methodology.count(d, release.rows[d.resource]),
            }
            for d in release.datasets
        }
    return release.extra["analysis"]


def write_methodology(release: Release) -> None:
    analysis = _analysis(release)
    blocks = methodology.release_blocks(
        release.release_id, release.created, pseudonym.is_development_key()
    )
    for dataset in release.datasets:
        blocks += methodology.dataset_blocks(
            dataset,
            release.portal[dataset.resource],
            analysis[dataset.resource]["coverage"],
            analysis[dataset.resource]["numbers"],
            release.settings,
            release.extract,
            _released(release),
            release.extra.get("diff", {}).get(dataset.resource),
        )
    (release.directory / methodology.MARKDOWN).write_text(
        documents.to_markdown(blocks), encoding="utf-8"
    )
    (release.directory / methodology.HTML).write_text(
        pages.page_shell(
            f"Méthodologie {release.release_id}", documents.to_html_fragment(blocks), 0, []
        ),
        encoding="utf-8",
    )


def _file_entry(release: Release, relative: str, name: str, description: str, fmt: str) -> dict:
    data = (release.directory / relative).read_bytes()
    return {
        "path": relative,
        "name": name,
        "description": description,
        "format": fmt,
        "mediatype": _mediatype(relative),
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
    }


def _mediatype(relative: str) -> str:
    if relative.endswith(".parquet"):
        return parquet.MEDIATYPE
    if relative.endswith(".md"):
        return "text/markdown"
    if relative.endswith(".jsonld"):
        return "application/ld+json"
    return mimetypes.guess_type(relative)[0] or "application/octet-stream"


def dataset_files(release: Release, dataset) -> list[dict]:
    """What a dataset's portal entry offers: the CSV, its Parquet copy, the methodology."""
    return [
        _file_entry(
            release,
            dataset.path,
            f"{dataset.title} (CSV)",
            "Les données, une ligne par cellule, totaux compris (UTF-8, virgule, point décimal).",
            "CSV",
        ),
        _file_entry(
            release,
            parquet.parquet_path(dataset),
            f"{dataset.title} (Parquet)",
            "Les mêmes données en Parquet, avec des types explicites.",
            "Parquet",
        ),
        _file_entry(
            release,
            methodology.HTML,
            "Méthodologie",
            "Méthodologie de la version : extraction, fermeture des périodes, règle de "
            "confidentialité, suppression complémentaire, limites connues.",
            "HTML",
        ),
    ]


def write_portal_metadata(release: Release) -> None:
    analysis = _analysis(release)
    released = _released(release)
    previous = release.extra.get("previous_resources", {})
    changes = release.extra.get("diff", {})
    graph = []
    (release.directory / PORTAL_DIR).mkdir(exist_ok=True)
    for dataset in release.datasets:
        meta = release.portal[dataset.resource]
        before = previous.get(dataset.resource, {})
        change = changes.get(dataset.resource, {"changed": True})
        issued = before.get("iclsc:issued") or released.isoformat()
        modified = (
            released.isoformat()
            if change.get("changed") or not before.get("iclsc:modified")
            else before["iclsc:modified"]
        )
        resource = _resource(release, dataset.resource)
        resource["iclsc:issued"] = issued
        resource["iclsc:modified"] = modified
        resource["iclsc:portal"] = meta.name
        info = {
            "id": release.release_id,
            "released": released,
            "issued": issued,
            "modified": modified,
            "extract": release.extract,
            "version_notes": methodology.change_sentence(change)
            if "status" in change
            else "Nouvelle version.",
        }
        covered = analysis[dataset.resource]["coverage"]
        description = metadata.notes(
            dataset,
            meta,
            covered,
            analysis[dataset.resource]["numbers"],
            release.settings,
            release.extract,
            released,
        )
        files = dataset_files(release, dataset)
        package = metadata.ckan_package(dataset, meta, covered, description, info, files)
        missing = metadata.missing_ckan_fields(package, bool(covered.periods))
        if missing:
            raise StepError(f"dataset {dataset.resource}: CKAN metadata lacks {', '.join(missing)}")
        node = metadata.dcat_dataset(dataset, meta, covered, description, info, files)
        graph.append(node)
        _write_json(release.directory / PORTAL_DIR / f"{dataset.resource}.ckan.json", package)
        _write_json(
            release.directory / PORTAL_DIR / f"{dataset.resource}.dcat.jsonld",
            metadata.dcat_document([node]),
        )
    _write_json(release.directory / CATALOGUE, metadata.dcat_document(graph))


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_lineage(release: Release) -> None:
    lineage.write_lineage(release.directory, [d.unique_id for d in release.datasets])


def _exposure_id(dataset, meta: portal.PortalMeta) -> str:
    package = dataset.unique_id.split(".")[1]
    return f"exposure.{package}.{meta.exposure}"


def write_pages(release: Release) -> None:
    analysis = _analysis(release)
    pages.write_assets(release.directory)
    development = pseudonym.is_development_key()
    entries = []
    released = _released(release)
    for dataset in release.datasets:
        meta = release.portal[dataset.resource]
        covered = analysis[dataset.resource]["coverage"]
        numbers = analysis[dataset.resource]["numbers"]
        resource = _resource(release, dataset.resource)
        facts = {
            "Périodes couvertes": ", ".join(covered.labels()) or "aucune",
            "Mise à jour": portal.update_schedule(meta, released),
            "Cellules": f"{numbers.cells}, dont {numbers.withheld} supprimées "
            f"({methodology.percent(numbers.withheld_share)})",
            "Territoire": f"{meta.spatial_label}; niveau le plus fin : {meta.spatial_granularity}",
            "Diffusé le": resource.get("iclsc:issued", ""),
            "Modifié le": resource.get("iclsc:modified", ""),
            "Version": release.release_id,
            "Organisation": meta.organisation_title,
            "Contact": f"{meta.contact_name} <{meta.contact_email}>",
            "Licence": "Creative Commons Attribution 4.0 (CC-BY 4.0)",
            "Mots-clés": ", ".join(meta.keywords),
            "Clé de pseudonymisation": "développement" if development else "secrète",
        }
        links = {
            "Données (CSV)": f"../{dataset.path}",
            "Données (Parquet)": f"../{parquet.parquet_path(dataset)}",
            "Méthodologie": f"../{methodology.HTML}#{dataset.resource}",
            "Changements depuis la version précédente": f"../{CHANGELOG_HTML}",
            "Métadonnées CKAN (JSON)": f"../{PORTAL_DIR}/{dataset.resource}.ckan.json",
            "Métadonnées DCAT (JSON-LD)": f"../{PORTAL_DIR}/{dataset.resource}.dcat.jsonld",
            "Traçabilité des calculs (dbt docs)": f"../{lineage.INDEX}#!/exposure/"
            + _exposure_id(dataset, meta),
            "Fiche sur le portail": meta.url,
        }
        content, _ = pages.dataset_page(dataset, meta, release.rows[dataset.resource], facts, links)
        page_path = f"{pages.PAGES}/{dataset.resource}.html"
        pages.write_page(release.directory / page_path, content)
        entries.append(
            {
                "title": dataset.title,
                "summary": meta.summary,
                "page": page_path,
                "coverage": ", ".join(covered.labels()) or "aucune",
                "cells": numbers.cells,
                "withheld": numbers.withheld,
                "csv": dataset.path,
                "parquet": parquet.parquet_path(dataset),
                "methodology": f"{methodology.HTML}#{dataset.resource}",
            }
        )
    documents_links = {
        "Méthodologie": methodology.HTML,
        "Changements depuis la version précédente": CHANGELOG_HTML,
        "Changements (données, CSV)": diff.DIFF_DATASET.path,
        "Traçabilité des calculs (dbt docs)": lineage.INDEX,
        "Description du paquet (datapackage.json)": "datapackage.json",
        "Catalogue DCAT (JSON-LD)": CATALOGUE,
        "Sommes de contrôle (SHA256SUMS)": SUMS,
    }
    known = {v.split("#")[0] for v in documents_links.values()} | {e["page"] for e in entries}
    for extra in sorted(release.directory.rglob("*.html")):
        relative = extra.relative_to(release.directory).as_posix()
        top = relative.split("/")[0]
        if (
            relative in known
            or top in (pages.PAGES, pages.ASSETS, lineage.DIRECTORY)
            or relative == pages.INDEX
        ):
            continue
        if "/" in relative and not relative.endswith("/index.html"):
            continue
        documents_links[relative] = relative
    pages.write_page(
        release.directory / pages.INDEX,
        pages.index_page(release.release_id, entries, documents_links, development),
    )


# --------------------------------------------------------------------------- inventory

SUMS = "SHA256SUMS"


def inventory(directory: Path) -> list[dict]:
    """Every file of the release but datapackage.json and SHA256SUMS, with size and checksum."""
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative in ("datapackage.json", SUMS):
            continue
        data = path.read_bytes()
        files.append(
            {
                "path": relative,
                "mediatype": _mediatype(relative),
                "bytes": len(data),
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            }
        )
    return files


def write_sums(directory: Path) -> None:
    """SHA256SUMS for `sha256sum -c`: every file, datapackage.json included."""
    lines = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative == SUMS:
            continue
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {relative}")
    (directory / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
