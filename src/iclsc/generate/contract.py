"""The raw extract layout fixed by the contract (spec/iclsc-extract-contract.md, section 1).

Column names and their order are the interface the dbt models read: change them only with
the contract.
"""

from __future__ import annotations

INSTALLATIONS_FILE = "installations.csv"
TRANSMISSIONS_FILE = "transmissions.csv"
TRANSMISSIONS_DIR = "transmissions"
USAGERS_FILE = "usagers.csv"
DEMANDES_FILE = "demandes.csv"
INTERVENTIONS_FILE = "interventions.csv"

INSTALLATIONS_COLUMNS = (
    "code_installation",
    "nom_installation",
    "code_etablissement",
    "nom_etablissement",
    "code_clsc",
)
TRANSMISSIONS_COLUMNS = (
    "id_transmission",
    "code_etablissement",
    "annee_financiere",
    "periode",
    "date_transmission",
    "periode_fermee",
)
USAGERS_COLUMNS = (
    "no_dossier",
    "nam",
    "nom",
    "prenom",
    "date_naissance",
    "sexe",
    "code_postal",
    "code_clsc_residence",
)
DEMANDES_COLUMNS = (
    "no_demande",
    "no_dossier",
    "code_installation",
    "date_reception",
    "code_centre_activites",
    "code_priorite",
)
INTERVENTIONS_COLUMNS = (
    "no_intervention",
    "no_dossier",
    "no_demande",
    "code_installation",
    "date_intervention",
    "code_centre_activites",
    "code_programme",
    "code_type",
    "code_mode",
    "code_lieu",
    "code_raison",
    "code_acte",
    "code_categorie_intervenant",
    "no_intervenant",
    "duree_minutes",
)

# One transmission folder holds these three files, in this order of columns.
TRANSMISSION_FILES = {
    USAGERS_FILE: USAGERS_COLUMNS,
    DEMANDES_FILE: DEMANDES_COLUMNS,
    INTERVENTIONS_FILE: INTERVENTIONS_COLUMNS,
}

INTERVENTION_TYPES = ("I", "F", "G")  # individual, couple/family, group
PERIOD_CLOSED = "O"
PERIOD_OPEN = "N"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
