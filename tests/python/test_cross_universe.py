"""An outside attacker links home support with the services tables (tests/python/attacks.py):
home support contains programme SAPA and is contained in all programmes, so each withheld
cell of one universe is bounded by published cells of the other. On the default tiny
release the links narrow withheld cells' intervals but expose none; the one-subtraction
attack recovers nothing, and recovers a cell withheld alone (primary suppression without
complements)."""

from __future__ import annotations

import csv
import shutil

import pytest
from attacks import attack, naive_differences


@pytest.fixture(scope="module")
def release(tiny_release):
    return tiny_release


def test_linking_home_support_and_services_exposes_no_withheld_cell(release):
    findings, broken = attack(release)
    assert not broken, f"relations the published cells break: {broken[:5]}"
    assert findings, "no withheld cell in the linked tables: nothing was attacked"
    narrowed = [f for f in findings if f.linked != f.alone]
    assert narrowed, "the cross-universe relations narrowed no interval: the link is not used"
    exposed = [f for f in findings if f.exposed]
    assert not exposed, exposed[:5]


def test_one_subtraction_recovers_nothing_from_the_release(release):
    assert naive_differences(release) == []


def test_one_subtraction_recovers_a_cell_withheld_alone(release, tmp_path):
    """The attack has teeth: withholding one published cell of a row whose margin and other
    members stay published (primary suppression only) is undone by one subtraction."""
    copy = tmp_path / "naive"
    shutil.copytree(release, copy, symlinks=True)
    path = copy / "soutien-domicile-annuel.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    (victim,) = [
        r
        for r in rows
        if r["code_rss"] == "Total" and r["code_lieu"] == "Total" and r["code_mode"] == "01"
    ]
    assert victim["cellule_supprimee"] == "false" and int(victim["nb_interventions"]) > 0
    for name in ("nb_usagers", "nb_interventions", "nb_heures"):
        victim[name] = ""
    victim["cellule_supprimee"] = "true"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    recovered = naive_differences(copy)
    assert any("nb_interventions" in r and "code_mode=01" in r for r in recovered), recovered
