"""The Frictionless Data Package descriptor of a release (the contract's section 3)."""

from __future__ import annotations

import hashlib

from iclsc import pseudonym
from iclsc.publish.manifest import Dataset, Field

PACKAGE_NAME = "iclsc-donnees-ouvertes"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}


def field_descriptor(published: Field) -> dict:
    descriptor = {
        "name": published.name,
        "type": published.frictionless_type,
        "title": published.title,
        "description": published.description,
        "iclsc:role": published.role,
    }
    descriptor.update(published.properties)
    if published.frictionless_type == "boolean":
        descriptor["trueValues"] = ["true"]
        descriptor["falseValues"] = ["false"]
    if published.role == "dimension":
        descriptor["constraints"] = {"required": True}
    return descriptor


def resource_descriptor(dataset: Dataset, data: bytes) -> dict:
    descriptor = {
        "name": dataset.resource,
        "path": dataset.path,
        "profile": "tabular-data-resource",
        "title": dataset.title,
        "description": dataset.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "dialect": {"delimiter": ",", "header": True, "quoteChar": '"'},
        "schema": {
            "fields": [field_descriptor(f) for f in dataset.fields],
            "primaryKey": [f.name for f in dataset.dimensions],
            "missingValues": [""],
        },
    }
    if dataset.universe:
        # Tables of one universe are views of one cube: protected and audited together.
        descriptor["iclsc:universe"] = dataset.universe
    return descriptor


def package_descriptor(release_id: str, created: str, resources: list[dict]) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "id": release_id,
        "version": release_id,
        "title": "Statistiques des services des CLSC (I-CLSC), données ouvertes",
        "description": (
            "Statistiques agrégées du système d'information I-CLSC sur les services rendus "
            "dans les CLSC du Québec. Chaque cellule publiée compte au moins 5 usagers "
            "distincts et 3 intervenants distincts; les cellules qui ne respectent pas cette "
            "règle, et celles qui permettraient de les recalculer, sont supprimées."
        ),
        "created": created,
        "licenses": [LICENSE],
        "iclsc:pseudonymisation": (
            "development-key" if pseudonym.is_development_key() else "secret-key"
        ),
        "resources": resources,
    }
