"""Synthetic Québec-like identities: names, postal codes, health insurance numbers (NAM).

The lists are common names, not drawn from any register; frequencies decrease along each
list (Zipf-like), so a few names are frequent and most are rare, as in the real population.
"""

from __future__ import annotations

import unicodedata

import numpy as np


def _words(text: str) -> list[str]:
    """Whitespace-separated names; "_" stands for a space inside a name."""
    return [word.replace("_", " ") for word in text.split()]


SURNAMES = _words(
    """
Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier Bélanger
Lévesque Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier Dubé Poirier
Fournier Lapointe Leclerc Lefebvre Poulin Thibault St-Pierre Nadeau Martin Landry Martel Bédard
Grenier Lessard Bernier Richard Michaud Hébert Desjardins Couture Turcotte Lachance Parent Blais
Gosselin Savard Proulx Beaudoin Demers Perreault Boudreau Lemieux Cyr Perron Dufour Dion Mercier
Bolduc Bérubé Boisvert Langlois Ménard Therrien Plante Bilodeau Blanchette Dussault Vachon
Charbonneau Pépin Allard Guay Savoie Brunet Lacroix Paradis Rousseau Rioux Dupuis Vaillancourt
Guérin Lambert Dumont Goulet Marcoux Jean Villeneuve Champagne Fontaine Nguyen Joseph Pierre
Tran Haddad Diallo Singh Cohen Rossi Smith Murphy Wong Benoît Giroux Labelle Bisson Tessier
Lalonde Audet Robitaille Carrier Huard Trudel Laroche Vézina Asselin Gingras Drouin Roberge
Lacasse Côté-Tremblay Gagnon-Roy Bouchard-Lavoie O'Neill Ly Saint-Louis Jean-Baptiste Garcia
Ahmed Kaur Li Chen Ben_Ali Morales
"""
)

FEMALE_FIRST_NAMES = _words(
    """
Marie Julie Isabelle Nathalie Sophie Catherine Mélanie Stéphanie Geneviève Valérie Caroline
Émilie Sylvie Chantal Josée Lise Diane Louise Monique Nicole Francine Ginette Johanne Lucie
Denise Thérèse Jeanne Gisèle Rita Yvette Jacqueline Claudette Huguette Pierrette Léa Emma Alice
Olivia Charlotte Florence Rosalie Juliette Béatrice Chloé Zoé Camille Laurence Noémie Gabrielle
Sarah Jade Maëlle Anne-Marie Marie-Ève Marie-Claude Marie-Pier Annie Karine Audrey Vanessa
Amélie Roxanne Kim Fatima Aïcha Mariam Sofia Ana Linh Priya Nadia Rachel
"""
)
MALE_FIRST_NAMES = _words(
    """
Jean Pierre Michel Jacques André Claude Robert Gilles Marcel Roger Réal Gaston Raymond Yvon
Denis Daniel Alain Sylvain Stéphane Martin Éric Patrick François Mathieu Sébastien Jonathan
Maxime Simon Alexandre Nicolas Guillaume Olivier David Vincent Luc Marc Benoît Philippe Louis
Gabriel Samuel William Thomas Félix Noah Liam Jacob Nathan Léo Édouard Arthur Émile Charles
Zachary Raphaël Antoine Jérémie Xavier Hugo Jean-François Jean-Philippe Pierre-Luc Marc-André
Mohamed Ahmed Karim Youssef Minh Arjun Carlos Rafael Daniel-Joseph
"""
)

# Letters allowed in Canadian postal codes (D, F, I, O, Q, U never appear).
POSTAL_LETTERS = np.array(list("ABCEGHJKLMNPRSTVWXYZ"))
POSTAL_FIRST_LETTER_BY_RSS = {
    "01": "G", "02": "G", "03": "G", "04": "G", "05": "J", "06": "H", "07": "J", "08": "J",
    "09": "G", "10": "J", "11": "G", "12": "G", "13": "H", "14": "J", "15": "J", "16": "J",
    "17": "J", "18": "J",
}  # fmt: skip


def zipf_weights(n: int, exponent: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def nam_letters(name: str, count: int) -> str:
    """The first letters of a name as RAMQ writes them: upper case, no accents, letters only,
    padded with X."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    letters = "".join(ch for ch in plain.upper() if ch.isalpha())
    return (letters + "XXX")[:count]


def territory_fsas(rng: np.random.Generator, rss_code: str, n: int) -> list[str]:
    """A few forward sortation areas (first three characters) for one CLSC territory."""
    first = POSTAL_FIRST_LETTER_BY_RSS[rss_code]
    if rss_code == "13":
        digits = [7]  # Laval is H7x
    elif rss_code == "06":
        digits = list(range(1, 10))  # Montréal island is urban: H1 to H9
    else:
        digits = list(range(10))  # 0 = rural
    out: list[str] = []
    while len(out) < n:
        fsa = f"{first}{rng.choice(digits)}{rng.choice(POSTAL_LETTERS)}"
        if fsa not in out:
            out.append(fsa)
    return out
