"""What changed since the previous release, cell by cell, from the published files alone.

The previous release is the one `latest` points to when the new one is built. Each dataset
is compared on its primary key (its dimensions): a cell of a period the previous release did
not have belongs to a newly published period; a cell present in both is revised when a
published measure changed (late data or a correction), newly withheld or newly published
when its suppression changed. Every value shown comes from one of the two releases' CSV
files, so the diff reveals nothing that the two releases do not already show.

The changes are published as a dataset (roles per the contract) and as a French changelog.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from iclsc.publish.manifest import Dataset, Field
from iclsc.publish.portal import PortalMeta

RESOURCE = "changements"
ALL = "toutes"

# type_changement: code -> French label
KINDS = {
    "nouveau_jeu": "nouveau jeu de données",
    "jeu_retire": "jeu de données retiré",
    "structure_modifiee": "structure modifiée (champs ou clé)",
    "nouvelle_periode": "période nouvellement publiée",
    "periode_retiree": "période retirée",
    "nouvelle_cellule": "cellule ajoutée dans une période déjà publiée",
    "cellule_retiree": "cellule retirée",
    "revisee": "valeur révisée (données tardives ou correction)",
    "supprimee": "valeur publiée auparavant, maintenant supprimée",
    "publiee": "valeur supprimée auparavant, maintenant publiée",
}


def _field(name: str, data_type: str, title: str, description: str, role: str, **props) -> Field:
    return Field(
        name, data_type, title, description, role, {f"iclsc:{k}": v for k, v in props.items()}
    )


COUNT_MEASURE = "nb_cellules"
VERSIONS = ("precedente", "nouvelle")

DIFF_DATASET = Dataset(
    model="",
    schema="",
    relation="",
    resource=RESOURCE,
    title="Changements depuis la version précédente",
    description=(
        "Ce qui a changé dans chaque jeu de données depuis la version précédente de la "
        "publication, cellule par cellule : périodes nouvellement publiées, valeurs révisées "
        "par des données tardives ou des corrections, cellules nouvellement supprimées ou "
        "publiées. Une ligne par cellule, mesure et version (précédente, nouvelle); pour une "
        "période ou un jeu ajouté ou retiré, une ligne qui en donne le nombre de cellules. "
        "Les valeurs viennent des fichiers publiés des deux versions."
    ),
    fields=[
        _field(
            "jeu_de_donnees",
            "varchar",
            "Jeu de données",
            "Nom de la ressource (jeu de données) dans datapackage.json.",
            "dimension",
        ),
        _field(
            "cellule",
            "varchar",
            "Cellule",
            "Clé de la cellule : ses dimensions sous la forme nom=valeur séparées par des "
            "points-virgules; la période seule pour une période ajoutée ou retirée; "
            f"« {ALL} » pour un jeu ajouté, retiré ou restructuré.",
            "dimension",
        ),
        _field(
            "mesure",
            "varchar",
            "Mesure",
            "Nom de la mesure qui change, ou nb_cellules (nombre de cellules) pour une période "
            "ou un jeu ajouté, retiré ou restructuré.",
            "dimension",
        ),
        _field(
            "version",
            "varchar",
            "Version",
            "precedente (la version précédente) ou nouvelle (cette version).",
            "dimension",
        ),
        _field(
            "type_changement",
            "varchar",
            "Type de changement",
            "Nature du changement : " + "; ".join(f"{k} = {v}" for k, v in KINDS.items()) + ".",
            "dimension",
        ),
        _field(
            "cellule_supprimee",
            "boolean",
            "Valeur supprimée",
            "Vrai lorsque la valeur est supprimée dans cette version-là du jeu (règle de "
            "confidentialité); la valeur est alors vide.",
            "suppressed",
        ),
        _field(
            "valeur",
            "double",
            "Valeur",
            "Valeur publiée de la mesure dans la version indiquée.",
            "measure",
            additive=False,
        ),
    ],
)


@dataclass(frozen=True)
class Change:
    """One changed measure of one cell. None: the cell is absent from that version."""

    resource: str
    cell: str
    measure: str
    kind: str
    old: str | None = None
    new: str | None = None
    old_withheld: bool = False
    new_withheld: bool = False

    def rows(self) -> list[list[str]]:
        out = []
        sides = (
            (VERSIONS[0], self.old, self.old_withheld),
            (VERSIONS[1], self.new, self.new_withheld),
        )
        for version, value, withheld in sides:
            if value is None:
                continue
            flag = "true" if withheld else "false"
            shown = "" if withheld else value
            out.append([self.resource, self.cell, self.measure, version, self.kind, flag, shown])
        return out


@dataclass
class DatasetDiff:
    resource: str
    changes: list[Change] = field(default_factory=list)
    new_periods: list[str] = field(default_factory=list)
    removed_periods: list[str] = field(default_factory=list)
    cells_before: int = 0
    cells_after: int = 0
    status: str = "compared"  # compared, new, removed, restructured

    @property
    def counts(self) -> Counter:
        return Counter(c.kind for c in self.changes)

    @property
    def changed(self) -> bool:
        return self.status != "compared" or bool(self.changes)

    @property
    def changed_cells(self) -> int:
        return len(
            {c.cell for c in self.changes if c.kind not in ("nouvelle_periode", "periode_retiree")}
        )


@dataclass
class ReleaseDiff:
    previous_id: str | None
    datasets: dict[str, DatasetDiff] = field(default_factory=dict)
    previous_resources: dict[str, dict] = field(default_factory=dict)

    @property
    def changes(self) -> list[Change]:
        return [c for d in self.datasets.values() for c in d.changes]


class DiffError(RuntimeError):
    pass


def previous_release(publish_dir: Path) -> Path | None:
    """The release `latest` points to, if any (the one the new release will replace)."""
    link = publish_dir / "latest"
    if not link.exists():
        return None
    target = link.resolve()
    if not (target / "datapackage.json").is_file():
        raise DiffError(f"{link} points to {target}, which has no datapackage.json")
    return target


def cell_key(names: list[str], values: list[str]) -> str:
    for name, value in zip(names, values, strict=True):
        if ";" in value or "=" in value:
            raise DiffError(f"dimension {name} value {value!r} holds ';' or '=': no cell key")
    return ";".join(f"{n}={v}" for n, v in zip(names, values, strict=True))


def read_resource(release_dir: Path, resource: dict) -> tuple[list[str], list[list[str]]]:
    path = release_dir / resource["path"]
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, list(reader)


def _period_of(names: list[str], row: list[str], meta: PortalMeta | None) -> str | None:
    """The key of the period a row belongs to ('annee_financiere=2025-2026'), if known."""
    if meta is None:
        return None
    columns = [meta.fiscal_year_field] + ([meta.period_field] if meta.period_field else [])
    if any(c not in names for c in columns):
        return None
    values = [row[names.index(c)] for c in columns]
    return cell_key(columns, values)


def _count_change(resource: str, cell: str, kind: str, before: int | None, after: int | None):
    """A period or a dataset added, removed or restructured: its number of cells."""
    return Change(
        resource,
        cell,
        COUNT_MEASURE,
        kind,
        None if before is None else str(before),
        None if after is None else str(after),
    )


def compare_dataset(
    dataset: Dataset,
    rows: list[list[str]],
    previous_dir: Path,
    previous: dict,
    meta: PortalMeta | None,
) -> DatasetDiff:
    result = DatasetDiff(dataset.resource, cells_after=len(rows))
    schema = previous.get("schema", {})
    old_names = [f["name"] for f in schema.get("fields", [])]
    names = [f.name for f in dataset.fields]
    key = [f.name for f in dataset.dimensions]
    measures = [f.name for f in dataset.measures]
    header, old_rows = read_resource(previous_dir, previous)
    result.cells_before = len(old_rows)
    if old_names != names or schema.get("primaryKey") != key:
        result.status = "restructured"
        result.changes.append(
            _count_change(dataset.resource, ALL, "structure_modifiee", len(old_rows), len(rows))
        )
        return result
    if header != names:
        raise DiffError(f"{previous_dir / previous['path']}: header differs from its schema")
    key_at = [names.index(k) for k in key]
    measure_at = [(m, names.index(m)) for m in measures]
    suppressed_at = names.index(dataset.suppressed.name)

    def index(table: list[list[str]]) -> dict[str, list[str]]:
        return {cell_key(key, [row[i] for i in key_at]): row for row in table}

    before, after = index(old_rows), index(rows)
    periods_before = Counter(_period_of(names, r, meta) for r in old_rows)
    periods_after = Counter(_period_of(names, r, meta) for r in rows)
    new_periods = set(periods_after) - set(periods_before) - {None}
    removed_periods = set(periods_before) - set(periods_after) - {None}
    result.new_periods = sorted(new_periods)
    result.removed_periods = sorted(removed_periods)
    for period in result.new_periods:
        result.changes.append(
            _count_change(dataset.resource, period, "nouvelle_periode", None, periods_after[period])
        )
    for period in result.removed_periods:
        result.changes.append(
            _count_change(dataset.resource, period, "periode_retiree", periods_before[period], None)
        )

    for cell, row in after.items():
        old = before.get(cell)
        is_withheld = row[suppressed_at] == "true"
        if old is None:
            if _period_of(names, row, meta) in new_periods:
                continue  # counted once, as its period
            for name, at in measure_at:
                result.changes.append(
                    Change(
                        dataset.resource,
                        cell,
                        name,
                        "nouvelle_cellule",
                        new=row[at],
                        new_withheld=is_withheld,
                    )
                )
            continue
        was_withheld = old[suppressed_at] == "true"
        for name, at in measure_at:
            if old[at] == row[at] and was_withheld == is_withheld:
                continue
            if is_withheld and not was_withheld:
                kind = "supprimee"
            elif was_withheld and not is_withheld:
                kind = "publiee"
            else:
                kind = "revisee"
            result.changes.append(
                Change(
                    dataset.resource, cell, name, kind, old[at], row[at], was_withheld, is_withheld
                )
            )
    for cell, old in before.items():
        if cell in after or _period_of(names, old, meta) in removed_periods:
            continue
        was_withheld = old[suppressed_at] == "true"
        for name, at in measure_at:
            result.changes.append(
                Change(
                    dataset.resource,
                    cell,
                    name,
                    "cellule_retiree",
                    old=old[at],
                    old_withheld=was_withheld,
                )
            )
    return result


def compare(
    previous_dir: Path | None,
    datasets: list[Dataset],
    rows: dict[str, list[list[str]]],
    metas: dict[str, PortalMeta],
    generated: frozenset[str] = frozenset(),
) -> ReleaseDiff:
    """Dataset by dataset, against the previous release. `generated` names resources the
    publication derives from the others (the data dictionary): not data, not compared."""
    skipped = {RESOURCE, *generated}
    previous: dict[str, dict] = {}
    previous_id = None
    if previous_dir is not None:
        descriptor = json.loads((previous_dir / "datapackage.json").read_text(encoding="utf-8"))
        resources = descriptor.get("resources", [])
        previous = {r["name"]: r for r in resources if r["name"] not in skipped}
        previous_id = descriptor.get("id", previous_dir.name)
    diff = ReleaseDiff(previous_id=previous_id, previous_resources=previous)
    for dataset in datasets:
        count = len(rows[dataset.resource])
        if dataset.resource not in previous:
            result = DatasetDiff(dataset.resource, cells_after=count, status="new")
            result.changes.append(_count_change(dataset.resource, ALL, "nouveau_jeu", None, count))
        else:
            result = compare_dataset(
                dataset,
                rows[dataset.resource],
                previous_dir,
                previous[dataset.resource],
                metas.get(dataset.resource),
            )
        diff.datasets[dataset.resource] = result
    published = {d.resource for d in datasets}
    for name in sorted(set(previous) - published):
        gone = DatasetDiff(name, status="removed")
        _, old_rows = read_resource(previous_dir, previous[name])
        gone.changes.append(_count_change(name, ALL, "jeu_retire", len(old_rows), None))
        diff.datasets[name] = gone
    return diff


def diff_rows(diff: ReleaseDiff) -> list[list[str]]:
    order = list(KINDS)
    rows = [row for change in diff.changes for row in change.rows()]
    rows.sort(key=lambda r: (r[0], order.index(r[4]), r[1], r[2], VERSIONS.index(r[3])))
    return rows


# --------------------------------------------------------------------------- changelog


def _largest_revisions(result: DatasetDiff, limit: int) -> list[Change]:
    revised = [
        c for c in result.changes if c.kind == "revisee" and not (c.old_withheld or c.new_withheld)
    ]
    revised.sort(key=lambda c: (-abs(float(c.new) - float(c.old)), c.cell, c.measure))
    return revised[:limit]


def changelog(diff: ReleaseDiff, release_id: str, titles: dict[str, str], limit: int = 15) -> str:
    lines = [f"# Changements de la version {release_id}", ""]
    if diff.previous_id is None:
        lines += [
            "Première version publiée : tous les jeux de données sont nouveaux, aucune "
            "comparaison n'est possible.",
            "",
        ]
    else:
        lines += [
            f"Comparaison cellule par cellule avec la version précédente, {diff.previous_id}. "
            "Le détail est dans la ressource `changements` (changements.csv) : une ligne par "
            "cellule, mesure et version (précédente, nouvelle) qui change.",
            "",
        ]
    for resource, result in sorted(diff.datasets.items()):
        lines += [f"## {titles.get(resource, resource)} (`{resource}`)", ""]
        if result.status == "new":
            lines += [f"Nouveau jeu de données : {result.cells_after} cellules.", ""]
            continue
        if result.status == "removed":
            lines += ["Jeu de données retiré de la publication.", ""]
            continue
        if result.status == "restructured":
            lines += [
                "Structure modifiée (champs ou clé primaire) : les cellules ne sont pas "
                "comparables à la version précédente.",
                "",
            ]
            continue
        if not result.changes:
            lines += [
                f"Aucun changement : les {result.cells_after} cellules sont identiques.",
                "",
            ]
            continue
        lines.append(f"Cellules : {result.cells_before} avant, {result.cells_after} maintenant.")
        lines.append("")
        if result.new_periods:
            lines.append(
                "Périodes nouvellement publiées : "
                + ", ".join(_period_label(p) for p in result.new_periods)
                + "."
            )
        if result.removed_periods:
            lines.append(
                "Périodes retirées : "
                + ", ".join(_period_label(p) for p in result.removed_periods)
                + "."
            )
        if result.new_periods or result.removed_periods:
            lines.append("")
        counts = result.counts
        lines += ["| type de changement | changements |", "|---|---:|"]
        for kind in KINDS:
            if counts.get(kind):
                lines.append(f"| {KINDS[kind]} | {counts[kind]} |")
        lines.append("")
        largest = _largest_revisions(result, limit)
        if largest:
            lines += [
                f"Plus grandes révisions ({len(largest)} sur {counts['revisee']}) :",
                "",
                "| cellule | mesure | avant | maintenant |",
                "|---|---|---:|---:|",
            ]
            lines += [f"| {c.cell} | {c.measure} | {c.old} | {c.new} |" for c in largest]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _period_label(key: str) -> str:
    return " ".join(part.split("=", 1)[1] for part in key.split(";"))


def summary(diff: ReleaseDiff) -> dict:
    """Numbers per dataset, for the metadata, the methodology and the pages."""
    out: dict = defaultdict(dict)
    for resource, result in diff.datasets.items():
        out[resource] = {
            "status": result.status,
            "changed": result.changed,
            "new_periods": [_period_label(p) for p in result.new_periods],
            "removed_periods": [_period_label(p) for p in result.removed_periods],
            "counts": dict(result.counts),
            "changed_cells": result.changed_cells,
        }
    return dict(out)
