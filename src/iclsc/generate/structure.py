"""Establishments and installations: deterministic, the same for every seed.

No public list of the ~458 CLSC installations exists; this builds a plausible one from the
166 CLSC territories: each territory gets an installation, the others go to territories in
proportion to their population.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from iclsc.generate.sampling import largest_remainder
from iclsc.generate.scales import Scale
from iclsc.generate.seeds import Reference


@dataclass(frozen=True)
class Establishment:
    index: int
    code: str  # 8 digits, illustrative
    name: str
    rts_code: str
    rss_code: str


@dataclass(frozen=True)
class Territory:
    index: int
    code: str  # CLSC territory, 5 digits
    name: str
    establishment: int
    rss_code: str
    population: int


@dataclass(frozen=True)
class Installation:
    index: int
    code: str  # 8 digits, illustrative
    name: str
    territory: int
    establishment: int


@dataclass(frozen=True)
class Structure:
    establishments: list[Establishment]
    territories: list[Territory]
    installations: list[Installation]


def establishment_code(rts_code: str) -> str:
    """Illustrative 8-digit establishment code: '1' + RTS code + '0000'."""
    return f"1{rts_code}0000"


def clean_establishment_name(raw: str) -> str:
    """The reference keeps the source's notes in the name; an extract carries the usual name.

    "[sic, ...; usuel: X]" gives X; other bracketed notes and "(anciennement ...)" go.
    """
    usual = re.search(r"\[[^\]]*usuel:\s*([^\]]+)\]", raw)
    if usual:
        return usual.group(1).strip()
    name = re.sub(r"\s*\[[^\]]*\]", "", raw)
    name = re.sub(r"\s*\(anciennement[^)]*\)", "", name)
    return name.strip()


def of_place(name: str) -> str:
    """French "de" before a place name: de Kamouraska, d'Ahuntsic, des Basques, du Fjord."""
    for article, contracted in (("Les ", "des "), ("Le ", "du "), ("Des ", "des "), ("Du ", "du ")):
        if name.startswith(article):
            return contracted + name[len(article) :]
    if name.startswith("Îles"):
        return "des " + name
    if name.startswith("De "):
        return "de " + name[3:]
    if name.startswith("D'"):
        return "d'" + name[2:]
    if name[0] in "AEIOUÉÈÊÎÔYaeiouéèêîôy":
        return "d'" + name
    return "de " + name


def build_structure(ref: Reference, scale: Scale) -> Structure:
    rts_rows = sorted(ref.rts, key=lambda r: r["rts_code"])
    if scale.rss_codes is not None:
        rts_rows = [r for r in rts_rows if r["rss_code"] in scale.rss_codes]
    establishments = [
        Establishment(
            index=i,
            code=establishment_code(r["rts_code"]),
            name=clean_establishment_name(r["establishment_name"]),
            rts_code=r["rts_code"],
            rss_code=r["rss_code"],
        )
        for i, r in enumerate(rts_rows)
    ]
    by_rts = {e.rts_code: e.index for e in establishments}
    territories = [
        Territory(
            index=i,
            code=r["clsc_code"],
            name=r["clsc_name"],
            establishment=by_rts[r["rts_code"]],
            rss_code=r["rss_code"],
            population=int(r["population_2024"]),
        )
        for i, r in enumerate(
            sorted((r for r in ref.clsc if r["rts_code"] in by_rts), key=lambda r: r["clsc_code"])
        )
    ]
    n_installations = scale.n_installations or len(territories)
    per_territory = largest_remainder(
        [t.population for t in territories], n_installations, minimum=1
    )
    installations = []
    for territory, count in zip(territories, per_territory, strict=True):
        for k in range(1, int(count) + 1):
            if k == 1:
                name = f"CLSC {of_place(territory.name)}"
            else:
                name = f"CLSC {of_place(territory.name)} - point de service {k}"
            installations.append(
                Installation(
                    index=len(installations),
                    # '5' + territory code + sequence: 8 digits, unique by construction.
                    code=f"5{territory.code}{k:02d}",
                    name=name,
                    territory=territory.index,
                    establishment=territory.establishment,
                )
            )
    return Structure(establishments, territories, installations)


def installation_arrays(structure: Structure) -> dict[str, np.ndarray]:
    return {
        "territory": np.array([i.territory for i in structure.installations], dtype=np.int32),
        "establishment": np.array(
            [i.establishment for i in structure.installations], dtype=np.int32
        ),
    }
