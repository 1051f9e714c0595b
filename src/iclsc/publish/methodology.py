"""The methodology of a release, in French, with the numbers of that release.

One document per release (methodologie.md and methodologie.html), one section per dataset:
what was extracted, which periods are published (the closure rule), the privacy rule and the
complementary suppression with this release's withheld cells, the known limits. The same
sentences feed the CKAN description of each dataset, so the portal and the document agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from iclsc.publish import documents as doc
from iclsc.publish.manifest import Dataset
from iclsc.publish.portal import Coverage, PortalMeta, update_schedule

MARKDOWN = "methodologie.md"
HTML = "methodologie.html"

# True of every I-CLSC table; the dataset's own limits come from its exposure.
GENERAL_LIMITS = [
    "Le profil de l'intervention (programme-services, raison et acte principal) est choisi "
    "par l'intervenant au moment de la saisie : il est moins fiable que les autres champs "
    "(dates, durée, installation, usager) et ses pratiques de saisie varient d'un "
    "établissement à l'autre.",
    "Les données sont saisies à la main dans chaque installation et transmises par fichier : "
    "une année ou une période publiée peut encore être révisée par une transmission tardive ou "
    "une correction. Chaque version signale ces révisions (changements.csv, changelog.md).",
    "La suppression protège les personnes mais retire de l'information : une somme de "
    "cellules publiées peut être inférieure au total publié, qui compte aussi les cellules "
    "supprimées. Utiliser les lignes « Total » plutôt que d'additionner les cellules.",
]


@dataclass(frozen=True)
class Numbers:
    """What a release publishes of one dataset, counted on its rows."""

    cells: int
    withheld: int
    margins: int
    margins_withheld: int
    zeros: int

    @property
    def withheld_share(self) -> float:
        return self.withheld / self.cells if self.cells else 0.0


def count(dataset: Dataset, rows: list[list[str]]) -> Numbers:
    names = [f.name for f in dataset.fields]
    suppressed_at = names.index(dataset.suppressed.name)
    totals = [(names.index(f.name), f.total) for f in dataset.dimensions if f.total is not None]
    measures_at = [names.index(f.name) for f in dataset.measures]
    withheld = margins = margins_withheld = zeros = 0
    for row in rows:
        is_withheld = row[suppressed_at] == "true"
        is_margin = any(row[i] == total for i, total in totals)
        withheld += is_withheld
        margins += is_margin
        margins_withheld += is_margin and is_withheld
        zeros += not is_withheld and all(row[i] in ("0", "0.00", "0.0") for i in measures_at)
    return Numbers(len(rows), withheld, margins, margins_withheld, zeros)


def percent(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + " %"


def extraction_sentence(extract: dict) -> str:
    sentence = (
        "Source : le système d'information I-CLSC, tel que les établissements (CISSS, CIUSSS "
        "et autres) le transmettent à la banque de données commune (BDC). Pour chaque "
        "établissement, année financière et période, seule la dernière transmission compte : "
        "elle remplace entièrement les précédentes (données tardives et corrections)."
    )
    if extract.get("last_transmission"):
        sentence += (
            f" Transmissions reçues jusqu'au {extract['last_transmission']}"
            + (
                f", de {extract['establishments']} établissements"
                if extract.get("establishments")
                else ""
            )
            + "."
        )
    return sentence


def closure_sentence(meta: PortalMeta) -> str:
    if meta.period_field:
        return (
            "Seules les périodes fermées sont publiées : une période paraît lorsque la "
            "dernière transmission de chaque établissement la déclare fermée (validée). Les "
            "périodes ouvertes restent internes."
        )
    return (
        "Seules les années financières fermées sont publiées : une année paraît lorsque ses "
        "13 périodes sont fermées par tous les établissements (la dernière transmission de "
        "chacun les déclare fermées). Les années en cours restent internes."
    )


def privacy_sentences(settings: dict) -> list[str]:
    persons, providers = int(settings["min_persons"]), int(settings["min_providers"])
    total = settings.get("total_label", "Total")
    return [
        f"Règle de confidentialité : une cellule qui compte de 1 à {persons - 1} usagers "
        f"distincts, ou moins de {providers} intervenants distincts, est supprimée (toutes ses "
        "mesures sont vides et `cellule_supprimee` vaut vrai). Un vrai zéro est publié.",
        "Les usagers et les intervenants distincts sont comptés sur les données détaillées "
        f"pour chaque cellule, lignes « {total} » comprises : ils ne sont jamais additionnés "
        "à partir d'autres cellules.",
        "Suppression complémentaire : pour qu'aucune valeur supprimée ne puisse être "
        "recalculée par soustraction à partir d'un total, d'autres cellules sont supprimées "
        "(les moins coûteuses d'abord, de façon déterministe), en répétant jusqu'à ce "
        "qu'aucune cellule supprimée ne soit seule dans une relation d'additivité.",
        "Une ligne supprimée ne dit pas pourquoi elle l'est (règle ou suppression "
        "complémentaire). Les noms, NAM, numéros de dossier et d'intervenant ne sortent jamais "
        "de la zone de préparation : ils y sont remplacés par des pseudonymes à clé secrète "
        "(HMAC-SHA256) et aucun ne figure dans les fichiers publiés.",
    ]


def dataset_blocks(
    dataset: Dataset,
    meta: PortalMeta,
    covered: Coverage,
    numbers: Numbers,
    settings: dict,
    extract: dict,
    released,
    change: dict | None,
) -> list[doc.Block]:
    blocks = [
        doc.h2(f"{dataset.title}", anchor=dataset.resource),
        doc.p(
            f"Ressource `{dataset.resource}` ({dataset.path}); jeu `{meta.name}` sur le portail."
        ),
        doc.p(dataset.description),
        doc.h3("Extraction"),
        doc.p(extraction_sentence(extract)),
        doc.h3("Périodes publiées"),
        doc.p(closure_sentence(meta)),
        doc.p(
            "Cette version couvre : "
            + (", ".join(covered.labels()) if covered.periods else "aucune période fermée")
            + (
                f" (du {covered.start.isoformat()} au {covered.end.isoformat()})."
                if covered.periods
                else "."
            )
        ),
        doc.p("Mise à jour : " + update_schedule(meta, released)),
        doc.h3("Confidentialité"),
        *[doc.p(s) for s in privacy_sentences(settings)],
        doc.table(
            ["dans cette version", "nombre", "part"],
            [
                ["cellules publiées (lignes du fichier)", numbers.cells, "100 %"],
                ["cellules supprimées", numbers.withheld, percent(numbers.withheld_share)],
                [
                    "lignes de total (marges)",
                    numbers.margins,
                    percent(numbers.margins / numbers.cells if numbers.cells else 0),
                ],
                [
                    "lignes de total supprimées",
                    numbers.margins_withheld,
                    percent(numbers.margins_withheld / numbers.cells if numbers.cells else 0),
                ],
                [
                    "cellules à zéro (publiées)",
                    numbers.zeros,
                    percent(numbers.zeros / numbers.cells if numbers.cells else 0),
                ],
            ],
        ),
        doc.h3("Territoire"),
        doc.p(
            f"Couverture : {meta.spatial_label}. Niveau le plus fin : {meta.spatial_granularity}."
        ),
        doc.h3("Champs"),
        doc.table(
            ["champ", "titre", "rôle", "description"],
            [[f"`{f.name}`", f.title, _role(f.role), f.description] for f in dataset.fields],
        ),
        doc.h3("Limites connues"),
        doc.ul(meta.limits + GENERAL_LIMITS),
    ]
    if change is not None:
        blocks.append(doc.h3("Changements depuis la version précédente"))
        blocks.append(doc.p(change_sentence(change)))
    return blocks


def _role(role: str) -> str:
    return {
        "dimension": "dimension",
        "measure": "mesure",
        "suppressed": "indicateur de suppression",
    }[role]


def change_sentence(change: dict) -> str:
    if change["status"] == "new":
        return "Nouveau jeu de données dans cette version."
    if change["status"] == "restructured":
        return "Structure modifiée : les cellules ne sont pas comparables à la version précédente."
    if not change["changed"]:
        return "Aucune cellule n'a changé."
    parts = []
    if change["new_periods"]:
        parts.append("périodes ajoutées : " + ", ".join(change["new_periods"]))
    counts = change["counts"]
    labels = {
        "revisee": "valeurs révisées",
        "supprimee": "valeurs nouvellement supprimées",
        "publiee": "valeurs nouvellement publiées",
        "nouvelle_cellule": "valeurs de cellules ajoutées",
        "cellule_retiree": "valeurs de cellules retirées",
    }
    parts += [f"{label} : {counts[k]}" for k, label in labels.items() if counts.get(k)]
    return "; ".join(parts).capitalize() + ". Détail : changements.csv et changelog.md."


def release_blocks(release_id: str, created: str, development_key: bool) -> list[doc.Block]:
    blocks = [
        doc.h1(f"Méthodologie — statistiques I-CLSC, version {release_id}"),
        doc.p(
            f"Version {release_id}, produite le {created}. Ce document est régénéré à chaque "
            "version avec ses propres chiffres; il décrit chaque jeu de données publié."
        ),
        doc.p(
            "Fichiers : chaque jeu est un fichier CSV (UTF-8, virgule, ligne d'en-tête, point "
            "décimal, champ vide = valeur supprimée) décrit dans `datapackage.json` (Frictionless "
            "Data Package), avec une copie Parquet aux types explicites. Les codes restent du "
            "texte (« 01 » garde son zéro)."
        ),
    ]
    if development_key:
        blocks.append(
            doc.p(
                "Attention : cette version a été produite avec la clé de développement, sur un "
                "extrait synthétique. Ses chiffres ne décrivent aucune personne réelle."
            )
        )
    return blocks
