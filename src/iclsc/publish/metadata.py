"""Portal metadata of each dataset: CKAN `package_create` JSON and DCAT-AP JSON-LD.

CKAN (Données Québec runs CKAN) gets its core fields (name, title, notes, owner_org,
license_id, maintainer, tags, groups, version, url) and, as extras, the DCAT properties under
the names ckanext-dcat maps (frequency, temporal_start, temporal_end, spatial_uri, issued,
modified, theme, language, contact_*, publisher_*, documentation, provenance...). The DCAT
graph follows DCAT-AP 3: a dcat:Dataset with its distributions (CSV and Parquet), publisher,
contact point, licence, frequency, temporal and spatial coverage, issued and modified dates.
"""

from __future__ import annotations

from datetime import date

from iclsc.publish import methodology
from iclsc.publish.datapackage import LICENSE
from iclsc.publish.manifest import Dataset
from iclsc.publish.portal import FREQUENCIES, Coverage, PortalMeta, update_schedule

CKAN_LICENSE = "cc-by"  # the CKAN licence id of CC-BY 4.0 on Données Québec
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPES = {"csv": EU + "file-type/CSV", "parquet": EU + "file-type/PARQUET"}
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGE = EU + "language/FRA"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "adms": "http://www.w3.org/ns/adms#",
    "spdx": "http://spdx.org/rdf/terms#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}
REQUIRED_CKAN = (
    "name",
    "title",
    "notes",
    "owner_org",
    "license_id",
    "maintainer",
    "maintainer_email",
    "tags",
    "groups",
    "version",
    "url",
    "resources",
)
REQUIRED_EXTRAS = (
    "frequency",
    "update_schedule",
    "temporal_start",
    "temporal_end",
    "spatial_uri",
    "spatial_text",
    "issued",
    "modified",
    "theme",
    "language",
    "contact_name",
    "contact_email",
    "publisher_name",
    "documentation",
    "provenance",
)
TEMPORAL_EXTRAS = ("temporal_start", "temporal_end")
NOT_TEMPORAL_EXTRAS = tuple(name for name in REQUIRED_EXTRAS if name not in TEMPORAL_EXTRAS)


NO_PERSON_COUNTED = (
    "Ce jeu ne compte aucune personne : ses nombres portent sur des fichiers et des "
    "transmissions, classés par établissement et par rien qui concerne un usager. La règle "
    "de confidentialité des statistiques sur les usagers ne s'y applique donc pas et aucune "
    "cellule n'est supprimée."
)


NO_PERIOD_YET = (
    "Ce jeu ne contient encore aucune ligne : aucune des périodes qu'il couvre n'est "
    "fermée dans l'extraction de cette version. Il se remplira à la fermeture de la "
    "première."
)


def notes(
    dataset: Dataset,
    meta: PortalMeta,
    covered: Coverage,
    numbers: methodology.Numbers,
    settings: dict,
    extract: dict,
    released: date,
) -> str:
    """The CKAN description (Markdown, French): summary, method, privacy rule, limits."""
    counts_persons = any(m.counts == "persons" for m in dataset.measures)
    privacy = (
        " ".join(methodology.privacy_sentences(settings)) if counts_persons else NO_PERSON_COUNTED
    )
    parts = [
        meta.summary,
        "",
        dataset.description,
        "",
        "**Méthodologie.** "
        + methodology.extraction_sentence(extract)
        + " "
        + methodology.closure_sentence(meta),
        "",
        "**Confidentialité.** " + privacy,
        "",
        f"Dans cette version : {numbers.cells} cellules, dont {numbers.withheld} supprimées "
        f"({methodology.percent(numbers.withheld_share)}). Périodes couvertes : "
        + (", ".join(covered.labels()) or "aucune")
        + "."
        + ("" if covered.periods else " " + NO_PERIOD_YET),
        "",
        "**Mise à jour.** " + update_schedule(meta, released),
        "",
        "**Limites connues.**",
        *[f"- {limit}" for limit in meta.limits + methodology.GENERAL_LIMITS],
        "",
        "La méthodologie complète (methodologie.html), le dictionnaire des champs "
        "(datapackage.json) et la traçabilité des calculs (lineage/index.html) accompagnent "
        "chaque version.",
    ]
    return "\n".join(parts)


def ckan_package(
    dataset: Dataset,
    meta: PortalMeta,
    covered: Coverage,
    description: str,
    release: dict,
    files: list[dict],
) -> dict:
    """The `package_create` payload. `files` are the resources to upload with it."""
    extras = {
        "frequency": FREQUENCIES[meta.frequency]["eu"] or FREQUENCIES[meta.frequency]["label"],
        "update_schedule": update_schedule(meta, release["released"]),
        "temporal_resolution": FREQUENCIES[meta.frequency]["resolution"],
        "spatial_uri": meta.spatial_uri,
        "spatial_text": f"{meta.spatial_label} ({meta.spatial_granularity})",
        "issued": release["issued"],
        "modified": release["modified"],
        "theme": meta.theme_uri,
        "language": LANGUAGE,
        "contact_name": meta.contact_name,
        "contact_email": meta.contact_email,
        "publisher_name": meta.organisation_title,
        "documentation": "methodologie.html#" + dataset.resource,
        "provenance": methodology.extraction_sentence(release["extract"]),
        "version_notes": release["version_notes"],
        "conforms_to": "https://datapackage.org/standard/table-schema/",
    }
    # A dataset with no period yet (an annual table before its first year closes) states no
    # temporal coverage rather than an empty one; its notes say why it holds no row.
    if covered.periods:
        extras["temporal_start"] = covered.start.isoformat()
        extras["temporal_end"] = covered.end.isoformat()
    return {
        "name": meta.name,
        "title": dataset.title,
        "notes": description,
        "owner_org": meta.organisation_name,
        "license_id": CKAN_LICENSE,
        "author": meta.organisation_title,
        "maintainer": meta.contact_name,
        "maintainer_email": meta.contact_email,
        "url": meta.url,
        "version": release["id"],
        "tags": [{"name": keyword} for keyword in meta.keywords],
        "groups": [{"name": meta.category}],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "resources": [
            {
                "name": f["name"],
                "description": f["description"],
                "format": f["format"],
                "mimetype": f["mediatype"],
                "url": f["path"],
                "size": f["bytes"],
                "hash": f["hash"],
                "iclsc_path": f["path"],
            }
            for f in files
        ],
    }


def _literal(value: str, datatype: str) -> dict:
    return {"@value": value, "@type": datatype}


def dcat_dataset(
    dataset: Dataset,
    meta: PortalMeta,
    covered: Coverage,
    description: str,
    release: dict,
    files: list[dict],
) -> dict:
    frequency = FREQUENCIES[meta.frequency]
    accrual = (
        {"@id": frequency["eu"]}
        if frequency["eu"]
        else {
            "@type": "dct:Frequency",
            "rdfs:label": {"@value": frequency["label"], "@language": "fr"},
        }
    )
    temporal = (
        {
            "dct:temporal": {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": _literal(covered.start.isoformat(), "xsd:date"),
                "dcat:endDate": _literal(covered.end.isoformat(), "xsd:date"),
            }
        }
        if covered.periods
        else {}
    )
    distributions = []
    for f in files:
        distribution = {
            "@id": f"{meta.url}#{f['path']}",
            "@type": "dcat:Distribution",
            "dct:title": {"@value": f["name"], "@language": "fr"},
            "dct:description": {"@value": f["description"], "@language": "fr"},
            "dcat:accessURL": {"@id": meta.url},
            "dcat:mediaType": {"@id": IANA + f["mediatype"]},
            "dcat:byteSize": _literal(str(f["bytes"]), "xsd:nonNegativeInteger"),
            "dct:license": {"@id": LICENSE["path"]},
            "spdx:checksum": {
                "@type": "spdx:Checksum",
                "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                "spdx:checksumValue": _literal(f["hash"].split(":", 1)[1], "xsd:hexBinary"),
            },
        }
        if f["format"].lower() in FILE_TYPES:
            distribution["dct:format"] = {"@id": FILE_TYPES[f["format"].lower()]}
        distributions.append(distribution)
    return {
        "@id": meta.url,
        "@type": "dcat:Dataset",
        "dct:identifier": meta.name,
        "dct:title": {"@value": dataset.title, "@language": "fr"},
        "dct:description": {"@value": description, "@language": "fr"},
        "dcat:keyword": [{"@value": k, "@language": "fr"} for k in meta.keywords],
        "dcat:theme": {"@id": meta.theme_uri},
        "dct:publisher": {
            "@type": "foaf:Agent",
            "foaf:name": {"@value": meta.organisation_title, "@language": "fr"},
        },
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": meta.contact_name,
            "vcard:hasEmail": {"@id": "mailto:" + meta.contact_email},
        },
        "dct:license": {"@id": LICENSE["path"]},
        "dct:accessRights": {"@id": EU + "access-right/PUBLIC"},
        "dct:language": {"@id": LANGUAGE},
        "dct:accrualPeriodicity": accrual,
        "rdfs:comment": {"@value": update_schedule(meta, release["released"]), "@language": "fr"},
        "dcat:temporalResolution": _literal(frequency["resolution"], "xsd:duration"),
        **temporal,
        "dct:spatial": {
            "@id": meta.spatial_uri,
            "skos:prefLabel": {"@value": meta.spatial_label, "@language": "fr"},
        },
        "dct:issued": _literal(release["issued"], "xsd:date"),
        "dct:modified": _literal(release["modified"], "xsd:date"),
        "owl:versionInfo": release["id"],
        "adms:versionNotes": {"@value": release["version_notes"], "@language": "fr"},
        "dcat:landingPage": {"@id": meta.url},
        "foaf:page": {"@id": f"{meta.url}#methodologie"},
        "dct:provenance": {
            "@type": "dct:ProvenanceStatement",
            "rdfs:label": {
                "@value": methodology.extraction_sentence(release["extract"]),
                "@language": "fr",
            },
        },
        "dct:conformsTo": {"@id": "https://datapackage.org/standard/table-schema/"},
        "dcat:distribution": distributions,
    }


def dcat_document(datasets: list[dict]) -> dict:
    return {"@context": CONTEXT, "@graph": datasets}


def missing_ckan_fields(package: dict, covers_periods: bool) -> list[str]:
    """Empty or absent required fields of a CKAN payload (the completeness check). The
    temporal coverage is required when the dataset covers a period, and must be absent when
    it covers none (an empty coverage is not a coverage)."""
    missing = [name for name in REQUIRED_CKAN if not package.get(name)]
    extras = {e["key"]: e["value"] for e in package.get("extras", [])}
    required = REQUIRED_EXTRAS if covers_periods else NOT_TEMPORAL_EXTRAS
    missing += [f"extras.{name}" for name in required if not extras.get(name)]
    if not covers_periods:
        missing += [
            f"extras.{name} (the dataset covers no period)"
            for name in TEMPORAL_EXTRAS
            if name in extras
        ]
    return missing
