"""The data dictionary, published as an open dataset (`dictionnaire-donnees`).

Every field of the raw extract and of every published table, with its type, French title
and definition, its code list, the element of the regulation it transmits, and whether it
is personal information; the code lists themselves; the elements the regulation (RLRQ
c. S-4.2, r. 23) requires a CLSC to transmit, each with the extract field that carries it
or a note that the extract has none. All of it is read from the dbt documentation
(target/manifest.json: source columns, export columns, their meta) and from the seeds the
manifest points to; nothing is written twice.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from iclsc import identifiers, project_dir
from iclsc.publish.manifest import Dataset, ManifestError

RESOURCE = "dictionnaire-donnees"
PATH = f"{RESOURCE}.csv"
CODE_LISTS = "listes-codes"
REGULATION = "reglement"
EXTRACT_PREFIX = "extrait/"

# The contract's types of the extract, as Frictionless names them.
EXTRACT_TYPES = {"text": "string", "integer": "integer", "date": "date", "timestamp": "datetime"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    title: str
    description: str
    is_key: bool = False
    role: str = "dimension"


COLUMNS = [
    Column(
        "jeu_de_donnees",
        "string",
        "Jeu de données",
        "Ce que la ligne décrit : un fichier de l'extrait I-CLSC (extrait/...), un jeu de "
        f"données publié (son nom), une liste de codes ({CODE_LISTS}) ou le règlement "
        f"({REGULATION}).",
        is_key=True,
    ),
    Column(
        "champ",
        "string",
        "Champ",
        "Nom du champ (colonne); vide sur la ligne qui décrit le fichier ou le jeu de données "
        "lui-même. Pour une liste de codes, le nom de la liste; pour le règlement, l'entité.",
        is_key=True,
    ),
    Column(
        "code",
        "string",
        "Code",
        "Pour une liste de codes, la valeur du code; pour le règlement, l'élément à "
        "transmettre; vide ailleurs.",
        is_key=True,
    ),
    Column(
        "type",
        "string",
        "Type",
        "Type du champ (string, integer, number, boolean, date, datetime).",
    ),
    Column(
        "role",
        "string",
        "Rôle",
        "Rôle du champ dans un jeu de données publié : dimension (classement), measure "
        "(nombre publié) ou suppressed (indicateur de cellule supprimée).",
    ),
    Column("titre", "string", "Titre", "Titre du champ, du jeu de données ou libellé du code."),
    Column("description", "string", "Description", "Définition."),
    Column(
        "liste_codes",
        "string",
        "Liste de codes",
        f"Nom de la liste de codes du champ, décrite par les lignes {CODE_LISTS} de ce nom.",
    ),
    Column(
        "valeur_total",
        "string",
        "Valeur des marges",
        "Valeur qui marque une ligne de total (marge) dans ce champ.",
    ),
    Column(
        "element_reglement",
        "string",
        "Élément du règlement",
        "Élément que le règlement (RLRQ c. S-4.2, r. 23, annexe I) oblige à transmettre et "
        "que porte ce champ de l'extrait; pour une ligne du règlement, le champ de "
        "l'extrait qui le porte.",
    ),
    Column(
        "renseignement_personnel",
        "boolean",
        "Renseignement personnel",
        "Vrai pour un champ de l'extrait qui identifie une personne; il n'est jamais publié.",
    ),
    Column(
        "illustratif",
        "boolean",
        "Illustratif",
        "Vrai pour un code inventé par le projet (la liste officielle n'est pas publique).",
    ),
    # The contract gives every resource one suppressed field; the dictionary counts no
    # one, so nothing in it is ever withheld.
    Column(
        "cellule_supprimee",
        "boolean",
        "Cellule supprimée",
        "Toujours faux : le dictionnaire décrit des champs et des codes, il ne compte personne "
        "et rien n'y est supprimé.",
        role="suppressed",
    ),
]
NAMES = [column.name for column in COLUMNS]


def _row(**values) -> list[str]:
    unknown = set(values) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown dictionary columns {sorted(unknown)}")
    out = []
    for column in COLUMNS:
        value = values.get(column.name)
        if column.role == "suppressed":
            value = False
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append("" if value is None else " ".join(str(value).split()))
    return out


def _seed_rows(manifest: dict, seed: str) -> list[dict]:
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "seed" and node["name"] == seed
    ]
    if not nodes:
        raise ManifestError(f"code list {seed!r}: no such seed in the manifest")
    root = Path(nodes[0].get("root_path") or project_dir())
    with (root / nodes[0]["original_file_path"]).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _code_list(manifest: dict, spec: dict, field: str) -> tuple[str, list[tuple[str, str, bool]]]:
    """The name of a field's code list and its (code, label, illustrative) rows."""
    if "codes" in spec:
        return field, [(str(code), str(label), False) for code, label in spec["codes"].items()]
    rows = _seed_rows(manifest, spec["seed"])
    codes = []
    for row in rows:
        if "is_illustrative" in row:
            illustrative = row["is_illustrative"] == "true"
        else:
            illustrative = row.get("is_verified", "true") == "false"
        codes.append((row[spec["code"]], row[spec["label"]], illustrative))
    return spec["seed"], codes


def _regulation_elements(manifest: dict) -> list[tuple[str, str]]:
    return [
        (row["entity"], row["transmitted_element"])
        for row in _seed_rows(manifest, "ref_regulation_data_elements")
    ]


def build_rows(
    manifest: dict, datasets: list[Dataset], others: list[dict] | None = None
) -> list[list[str]]:
    """The dictionary's rows; `others`: resource descriptors of the release that are not
    exports (the diff...), described from their schema."""
    rows: list[list[str]] = []
    code_lists: dict[str, list[tuple[str, str, bool]]] = {}
    carried: dict[str, list[str]] = {}  # regulation element -> extract fields

    def note_code_list(spec: dict | None, field: str) -> str | None:
        if not spec:
            return None
        name, codes = _code_list(manifest, spec, field)
        if name in code_lists and code_lists[name] != codes:
            raise ManifestError(f"code list {name!r} is defined twice, differently")
        code_lists[name] = codes
        return name

    known_elements = {f"{entity}: {element}" for entity, element in _regulation_elements(manifest)}
    sources = [n for n in manifest["sources"].values() if n.get("source_name") == "iclsc"]
    if not sources:
        raise ManifestError("the manifest has no iclsc source: the extract is undocumented")
    for source in sources:
        table_meta = source.get("meta") or {}
        dataset_name = f"{EXTRACT_PREFIX}{source['name']}.csv"
        rows.append(
            _row(
                jeu_de_donnees=dataset_name,
                titre=table_meta.get("title"),
                description=table_meta.get("description_fr"),
            )
        )
        for column in source["columns"].values():
            meta = column.get("meta") or {}
            if "description_fr" not in meta:
                continue  # added by the reader (the file path), not a field of the extract
            elements = meta.get("regulation") or []
            for element in elements:
                if element not in known_elements:
                    raise ManifestError(
                        f"{dataset_name}.{column['name']}: regulation element {element!r} "
                        "is not in ref_regulation_data_elements"
                    )
                carried.setdefault(element, []).append(f"{dataset_name}:{column['name']}")
            rows.append(
                _row(
                    jeu_de_donnees=dataset_name,
                    champ=column["name"],
                    type=EXTRACT_TYPES[column["data_type"]],
                    titre=meta.get("title"),
                    description=meta["description_fr"],
                    liste_codes=note_code_list(meta.get("codelist"), column["name"]),
                    element_reglement="; ".join(elements) or None,
                    renseignement_personnel=bool(meta.get("sensitive")),
                )
            )

    nodes = {node["name"]: node for node in manifest["nodes"].values()}
    for dataset in datasets:
        rows.append(
            _row(
                jeu_de_donnees=dataset.resource,
                titre=dataset.title,
                description=dataset.description,
            )
        )
        columns = nodes[dataset.model]["columns"]
        for published in dataset.fields:
            meta = columns[published.name].get("meta") or {}
            rows.append(
                _row(
                    jeu_de_donnees=dataset.resource,
                    champ=published.name,
                    type=published.frictionless_type,
                    role=published.role,
                    titre=published.title,
                    description=published.description,
                    liste_codes=note_code_list(meta.get("codelist"), published.name),
                    valeur_total=published.total,
                    renseignement_personnel=False,
                )
            )

    for resource in others or []:
        rows.append(
            _row(
                jeu_de_donnees=resource["name"],
                titre=resource.get("title"),
                description=resource.get("description"),
            )
        )
        for published in resource["schema"]["fields"]:
            rows.append(
                _row(
                    jeu_de_donnees=resource["name"],
                    champ=published["name"],
                    type=published.get("type"),
                    role=published.get("iclsc:role"),
                    titre=published.get("title"),
                    description=published.get("description"),
                    valeur_total=published.get("iclsc:total"),
                    renseignement_personnel=False,
                )
            )

    rows.append(
        _row(
            jeu_de_donnees=RESOURCE,
            titre="Dictionnaire de données des statistiques I-CLSC",
            description=DESCRIPTION,
        )
    )
    for column in COLUMNS:
        rows.append(
            _row(
                jeu_de_donnees=RESOURCE,
                champ=column.name,
                type=column.type,
                role=column.role,
                titre=column.title,
                description=column.description,
                renseignement_personnel=False,
            )
        )

    for name in sorted(code_lists):
        for code, label, illustrative in code_lists[name]:
            rows.append(
                _row(
                    jeu_de_donnees=CODE_LISTS,
                    champ=name,
                    code=code,
                    titre=label,
                    illustratif=illustrative,
                )
            )

    for entity, element in _regulation_elements(manifest):
        fields = carried.get(f"{entity}: {element}")
        rows.append(
            _row(
                jeu_de_donnees=REGULATION,
                champ=entity,
                code=element,
                description=(
                    "Transmis dans l'extrait."
                    if fields
                    else "Absent de l'extrait I-CLSC que lit ce projet."
                ),
                element_reglement=", ".join(fields) if fields else None,
            )
        )

    keys = [tuple(row[:3]) for row in rows]
    if len(set(keys)) != len(keys):
        raise ManifestError("the data dictionary has two rows with the same key")
    return rows


DESCRIPTION = (
    "Chaque champ de l'extrait I-CLSC et de chaque jeu de données publié, avec son type, sa "
    "définition et sa liste de codes; les listes de codes; les éléments que le règlement "
    "oblige un CLSC à transmettre au ministre, avec le champ de l'extrait qui porte chacun. "
    "Produit à partir de la documentation du projet (dbt)."
)


def csv_bytes(rows: list[list[str]]) -> bytes:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(NAMES)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def resource_descriptor(data: bytes) -> dict:
    fields = []
    for column in COLUMNS:
        field = {
            "name": column.name,
            "type": column.type,
            "title": column.title,
            "description": column.description,
            "iclsc:role": column.role,
        }
        if column.type == "boolean":
            field["trueValues"] = ["true"]
            field["falseValues"] = ["false"]
        if column.name == "jeu_de_donnees":
            field["constraints"] = {"required": True}
        fields.append(field)
    return {
        "name": RESOURCE,
        "path": PATH,
        "profile": "tabular-data-resource",
        "title": "Dictionnaire de données des statistiques I-CLSC",
        "description": DESCRIPTION,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "dialect": {"delimiter": ",", "header": True, "quoteChar": '"'},
        "schema": {
            "fields": fields,
            # every field is a dimension of the contract, and the contract's primary key
            # is the dimensions; jeu_de_donnees, champ and code alone already identify a row
            "primaryKey": [column.name for column in COLUMNS if column.role == "dimension"],
            "missingValues": [""],
        },
    }


def add_dictionary(release) -> None:
    """Release step: writes the dictionary and its resource; refuses identifier-like values.
    It runs after the steps that add resources, so it describes them too."""
    from iclsc.publish.gates import Violation
    from iclsc.publish.release import GateError

    exports = {dataset.resource for dataset in release.datasets}
    others = [r for r in release.resources if r["name"] not in exports and "schema" in r]
    rows = build_rows(release.manifest, release.datasets, others)
    findings = identifiers.scan_rows(PATH, NAMES, rows)
    if findings:
        raise GateError([Violation("identifiers", RESOURCE, str(f)) for f in findings])
    data = csv_bytes(rows)
    (release.directory / PATH).write_bytes(data)
    release.rows[RESOURCE] = rows
    release.resources.append(resource_descriptor(data))
