"""Adversarial extract shapes: each rewrites a copy of the tiny extract into a shape that a
real establishment could send and that aims at one weakness of the privacy machinery.

Every shape edits raw CSV files only (through `rewrite_csv`, or `keep_rows` where rows
disappear), so the pipeline reads them like any extract.
"""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import rewrite_csv

GASPESIE = "11110000"
ILES = "11120000"
LAVAL = "11310000"


def keep_rows(path: Path, keep) -> int:
    """Rewrite a raw CSV file keeping only the rows `keep(row)` accepts; returns how many
    rows were dropped."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    kept = [row for row in rows if keep(row)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return len(rows) - len(kept)


def _files(raw: Path, establishment: str, name: str) -> list[Path]:
    return sorted((raw / "transmissions").glob(f"{establishment}-*/{name}"))


def one_person_everywhere(raw: Path) -> int:
    """One person receives every third individual intervention of an establishment: present
    in every programme, installation, mode and period, so a margin's distinct count is far
    below the sum of its members (and far below what additivity would suggest)."""
    first = _files(raw, LAVAL, "usagers.csv")[0]
    with first.open(newline="", encoding="utf-8") as handle:
        person = next(csv.DictReader(handle))
    changed = 0
    for interventions in _files(raw, LAVAL, "interventions.csv"):
        position = iter(range(10**9))

        def give(row: dict, position=position) -> bool:
            if row["code_type"] != "I" or next(position) % 3:
                return False
            row["no_dossier"] = person["no_dossier"]
            row["no_demande"] = ""
            return True

        changed += rewrite_csv(interventions, give)
        users = interventions.with_name("usagers.csv")
        with users.open(newline="", encoding="utf-8") as handle:
            present = {row["no_dossier"] for row in csv.DictReader(handle)}
        if person["no_dossier"] not in present:
            with users.open("a", newline="", encoding="utf-8") as handle:
                csv.DictWriter(handle, fieldnames=list(person)).writerow(person)
    return changed


def tiny_clsc(raw: Path) -> int:
    """A one-installation establishment (a CLSC of its own RLS) served two users in total
    over every period: all its cells are tiny or structural zeros, inside an RSS whose
    other RLS are published."""
    users: list[str] = []
    for interventions in _files(raw, ILES, "interventions.csv"):
        with interventions.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["no_dossier"] not in users:
                    users.append(row["no_dossier"])
    kept = set(users[:2])
    dropped = 0
    for name in ("interventions.csv", "demandes.csv", "usagers.csv"):
        for path in _files(raw, ILES, name):
            dropped += keep_rows(path, lambda row: row["no_dossier"] in kept)
    return dropped


def one_provider_per_person(raw: Path) -> int:
    """Every user of an establishment has a provider of their own who serves no one else:
    distinct providers equal distinct persons in every cell, and each provider is an
    insider who knows one person's whole record."""

    def own(row: dict) -> bool:
        row["no_intervenant"] = "9" + row["no_dossier"][-5:]
        return True

    return sum(rewrite_csv(path, own) for path in _files(raw, GASPESIE, "interventions.csv"))


def one_live_cell(raw: Path) -> int:
    """Every intervention of an establishment is in programme SAPA except one user's per
    other programme: in its territories every programme cell but SAPA holds one person."""
    keepers: dict[str, str] = {}
    for interventions in _files(raw, GASPESIE, "interventions.csv"):
        with interventions.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                keepers.setdefault(row["code_programme"], row["no_dossier"])

    def sapa(row: dict) -> bool:
        if keepers.get(row["code_programme"]) == row["no_dossier"]:
            return False
        if row["code_programme"] == "SAPA":
            return False
        row["code_programme"] = "SAPA"
        return True

    return sum(rewrite_csv(path, sapa) for path in _files(raw, GASPESIE, "interventions.csv"))


SHAPES = {
    "one_person_everywhere": one_person_everywhere,
    "tiny_clsc": tiny_clsc,
    "one_provider_per_person": one_provider_per_person,
    "one_live_cell": one_live_cell,
}


def all_sapa(raw: Path) -> int:
    """Every intervention of the two establishments of RSS 11 is in programme SAPA: there,
    home support and the services tables count the same interventions, so an attacker who
    links the two universes meets equalities rather than inequalities."""

    def sapa(row: dict) -> bool:
        if row["code_programme"] == "SAPA":
            return False
        row["code_programme"] = "SAPA"
        return True

    paths = _files(raw, GASPESIE, "interventions.csv") + _files(raw, ILES, "interventions.csv")
    return sum(rewrite_csv(path, sapa) for path in paths)


def every_shape(raw: Path) -> int:
    """The shapes that touch separate establishments, in one extract (one run tests them
    all): one person everywhere in Laval, a two-user CLSC in the Îles, and in Gaspésie a
    provider per person and one live programme."""
    return sum(
        shape(raw)
        for shape in (one_person_everywhere, tiny_clsc, one_provider_per_person, one_live_cell)
    )


SHAPES["all_sapa"] = all_sapa
SHAPES["every_shape"] = every_shape
