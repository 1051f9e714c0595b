"""The published datasets, as dbt describes them in target/manifest.json.

Every model under models/exports is a published dataset. Its model meta `iclsc` gives the
resource name and French title; its column descriptions (French) and column meta give the
datapackage fields, in the order the model documents them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("dimension", "measure", "suppressed")


class ManifestError(RuntimeError):
    pass


@dataclass(frozen=True)
class Field:
    name: str
    data_type: str
    title: str
    description: str
    role: str
    properties: dict = field(default_factory=dict)  # iclsc:total, iclsc:parent, ...

    @property
    def total(self) -> str | None:
        return self.properties.get("iclsc:total")

    @property
    def parent(self) -> str | None:
        return self.properties.get("iclsc:parent")

    @property
    def counts(self) -> str | None:
        return self.properties.get("iclsc:counts")

    @property
    def basis(self) -> str | None:
        """The count a statistic is computed on: the statistic is empty when it is 0."""
        return self.properties.get("iclsc:basis")

    @property
    def scale(self) -> int | None:
        """Decimal places of a decimal(p, s) field."""
        match = re.fullmatch(r"\s*(decimal|numeric)\s*\(\s*\d+\s*,\s*(\d+)\s*\)\s*", self.data_type)
        return int(match.group(2)) if match else None

    @property
    def frictionless_type(self) -> str:
        data_type = self.data_type.lower()
        if data_type.startswith(("varchar", "text", "string", "char")):
            return "string"
        if data_type in {"integer", "bigint", "int", "smallint", "hugeint"}:
            return "integer"
        if data_type.startswith(("decimal", "numeric", "double", "float", "real")):
            return "number"
        if data_type == "boolean":
            return "boolean"
        if data_type == "date":
            return "date"
        raise ManifestError(f"field {self.name}: no published type for data_type {self.data_type}")


@dataclass(frozen=True)
class Dataset:
    model: str
    schema: str
    relation: str
    resource: str
    title: str
    description: str
    fields: list[Field]
    unique_id: str = ""
    # The model's meta.iclsc: universe (tables of one cube, docs/privacy.md) and privacy
    # (the internal relations the protection reads).
    meta: dict = field(default_factory=dict)

    @property
    def universe(self) -> str | None:
        return self.meta.get("universe")

    @property
    def dimensions(self) -> list[Field]:
        return [f for f in self.fields if f.role == "dimension"]

    @property
    def measures(self) -> list[Field]:
        return [f for f in self.fields if f.role == "measure"]

    @property
    def suppressed(self) -> Field:
        return next(f for f in self.fields if f.role == "suppressed")

    @property
    def path(self) -> str:
        return f"{self.resource}.csv"


def load_manifest(target_dir: Path) -> dict:
    path = target_dir / "manifest.json"
    if not path.is_file():
        raise ManifestError(f"{path} is missing: run dbt build (or dbt parse) first")
    return json.loads(path.read_text(encoding="utf-8"))


def _field(model: str, column: dict) -> Field:
    meta = column.get("meta") or {}
    name = column["name"]
    problems = []
    if not column.get("description"):
        problems.append("no description")
    if not column.get("data_type"):
        problems.append("no data_type")
    if not meta.get("title"):
        problems.append("no meta.title")
    role = meta.get("iclsc:role")
    if role not in ROLES:
        problems.append(f"meta iclsc:role is {role!r}, not one of {ROLES}")
    if problems:
        raise ManifestError(f"{model}.{name}: " + "; ".join(problems))
    properties = {k: v for k, v in meta.items() if k.startswith("iclsc:") and k != "iclsc:role"}
    return Field(
        name=name,
        data_type=column["data_type"],
        title=meta["title"],
        description=" ".join(column["description"].split()),
        role=role,
        properties=properties,
    )


def published_datasets(manifest: dict) -> list[Dataset]:
    datasets = []
    project = manifest["metadata"].get("project_name", "iclsc")
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != project:
            continue
        if len(node["fqn"]) < 2 or node["fqn"][1] != "exports":
            continue
        meta = (node.get("config", {}).get("meta") or node.get("meta") or {}).get("iclsc") or {}
        if not meta.get("resource") or not meta.get("title"):
            raise ManifestError(f"{node['name']}: meta.iclsc needs resource and title")
        if not node.get("description"):
            raise ManifestError(f"{node['name']}: no description")
        fields = [_field(node["name"], column) for column in node["columns"].values()]
        if sum(f.role == "suppressed" for f in fields) != 1:
            raise ManifestError(f"{node['name']}: needs exactly one field with role suppressed")
        names = {f.name for f in fields}
        for published in fields:
            if published.basis is not None and published.basis not in names:
                raise ManifestError(
                    f"{node['name']}.{published.name}: iclsc:basis {published.basis!r} "
                    "is not a field of the table"
                )
        datasets.append(
            Dataset(
                model=node["name"],
                schema=node["schema"],
                relation=node.get("alias") or node["name"],
                resource=meta["resource"],
                title=meta["title"],
                description=" ".join(node["description"].split()),
                fields=fields,
                unique_id=node["unique_id"],
                meta=meta,
            )
        )
    return sorted(datasets, key=lambda d: d.resource)
