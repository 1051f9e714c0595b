"""The portal metadata of each published dataset, read from the dbt exposures.

Every export is published only with an exposure that depends on it and carries the fields
the portal needs (see models/exports/_exports__exposures.yml for the list). Nothing here is
specific to one dataset: a new export with an exposure of the same shape is published the
same way. A missing exposure or field stops the publication with a message naming the
dataset and every missing field at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from iclsc import fiscal
from iclsc.publish.manifest import Dataset, ManifestError

# How often a new period is added to a dataset (dct:accrualPeriodicity). ANNUAL maps to the
# EU frequency vocabulary; a financial period (13 a year, 4 weeks apart) has no EU code.
FREQUENCIES = {
    "ANNUAL": {
        "label": "Annuelle",
        "eu": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        "resolution": "P1Y",
    },
    "PERIOD": {
        "label": "Chaque période financière (13 par année)",
        "eu": None,
        "resolution": "P28D",
    },
}
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"


class PortalMetadataError(ManifestError):
    pass


@dataclass(frozen=True)
class PortalMeta:
    """What the portal says about one dataset, besides what the export model says."""

    exposure: str
    name: str  # CKAN name (slug)
    summary: str
    url: str
    contact_name: str
    contact_email: str
    organisation_name: str
    organisation_title: str
    keywords: list[str]
    category: str
    theme: str
    frequency: str
    fiscal_year_field: str
    period_field: str | None
    spatial_label: str
    spatial_uri: str
    spatial_granularity: str
    limits: list[str] = field(default_factory=list)

    @property
    def theme_uri(self) -> str:
        return EU_THEME + self.theme


def _exposure_meta(exposure: dict) -> dict:
    config_meta = (exposure.get("config") or {}).get("meta") or {}
    return (config_meta or exposure.get("meta") or {}).get("iclsc") or {}


def exposures_by_model(manifest: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for exposure in manifest.get("exposures", {}).values():
        for node in (exposure.get("depends_on") or {}).get("nodes", []):
            found.setdefault(node, []).append(exposure)
    return found


def _text(value) -> str:
    return " ".join(str(value).split()) if value else ""


def portal_meta(manifest: dict, dataset: Dataset) -> PortalMeta:
    """The portal metadata of one dataset, or PortalMetadataError naming what is missing."""
    where = f"dataset {dataset.resource} (model {dataset.model})"
    exposures = exposures_by_model(manifest).get(dataset.unique_id, [])
    if not exposures:
        raise PortalMetadataError(
            f"{where}: no exposure depends on it; add one with its portal metadata "
            "(see models/exports/_exports__exposures.yml)"
        )
    if len(exposures) > 1:
        names = ", ".join(sorted(e["name"] for e in exposures))
        raise PortalMetadataError(f"{where}: several exposures depend on it ({names})")
    exposure = exposures[0]
    meta = _exposure_meta(exposure)
    owner = exposure.get("owner") or {}
    organisation = meta.get("organisation") or {}
    temporal = meta.get("temporal") or {}
    spatial = meta.get("spatial") or {}
    required = {
        "owner.name": owner.get("name"),
        "owner.email": owner.get("email"),
        "url": exposure.get("url"),
        "description": exposure.get("description"),
        "meta.iclsc.dataset": meta.get("dataset"),
        "meta.iclsc.organisation.name": organisation.get("name"),
        "meta.iclsc.organisation.title": organisation.get("title"),
        "meta.iclsc.keywords": meta.get("keywords"),
        "meta.iclsc.category": meta.get("category"),
        "meta.iclsc.theme": meta.get("theme"),
        "meta.iclsc.frequency": meta.get("frequency"),
        "meta.iclsc.temporal.fiscal_year": temporal.get("fiscal_year"),
        "meta.iclsc.spatial.label": spatial.get("label"),
        "meta.iclsc.spatial.uri": spatial.get("uri"),
        "meta.iclsc.spatial.granularity": spatial.get("granularity"),
    }
    problems = [f"{name} is missing" for name, value in required.items() if not value]
    frequency = meta.get("frequency")
    if frequency and frequency not in FREQUENCIES:
        problems.append(f"meta.iclsc.frequency is {frequency!r}, not one of {sorted(FREQUENCIES)}")
    field_names = {f.name for f in dataset.fields}
    for key in ("fiscal_year", "period"):
        column = temporal.get(key)
        if column and column not in field_names:
            problems.append(f"meta.iclsc.temporal.{key} names {column!r}, not a field")
    if frequency == "PERIOD" and not temporal.get("period"):
        problems.append("meta.iclsc.frequency PERIOD needs meta.iclsc.temporal.period")
    keywords = meta.get("keywords")
    if keywords is not None and not isinstance(keywords, list):
        problems.append("meta.iclsc.keywords is not a list")
    if problems:
        raise PortalMetadataError(f"{where}, exposure {exposure['name']}: " + "; ".join(problems))
    return PortalMeta(
        exposure=exposure["name"],
        name=meta["dataset"],
        summary=_text(exposure["description"]),
        url=exposure["url"],
        contact_name=owner["name"],
        contact_email=owner["email"],
        organisation_name=organisation["name"],
        organisation_title=organisation["title"],
        keywords=[_text(k) for k in keywords],
        category=meta["category"],
        theme=meta["theme"],
        frequency=frequency,
        fiscal_year_field=temporal["fiscal_year"],
        period_field=temporal.get("period"),
        spatial_label=spatial["label"],
        spatial_uri=spatial["uri"],
        spatial_granularity=_text(spatial["granularity"]),
        limits=[_text(limit) for limit in meta.get("limits") or []],
    )


def all_portal_meta(manifest: dict, datasets: list[Dataset]) -> dict[str, PortalMeta]:
    """Portal metadata of every dataset; every problem of every dataset in one error."""
    found, problems = {}, []
    for dataset in datasets:
        try:
            found[dataset.resource] = portal_meta(manifest, dataset)
        except PortalMetadataError as error:
            problems.append(str(error))
    names = [meta.name for meta in found.values()]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append(f"several datasets use the CKAN name {', '.join(duplicates)}")
    if problems:
        raise PortalMetadataError("\n".join(problems))
    return found


# --------------------------------------------------------------------------- coverage


def parse_fiscal_year(value: str) -> int:
    """2024 from '2024-2025'."""
    start, _, end = value.partition("-")
    if not (start.isdigit() and end.isdigit() and int(end) == int(start) + 1):
        raise ValueError(f"{value!r} is not a fiscal year (YYYY-YYYY)")
    return int(start)


def parse_period(value: str) -> int:
    """5 from '5', '05' or 'P05'."""
    digits = value.upper().removeprefix("P")
    if not digits.isdigit() or not 1 <= int(digits) <= fiscal.PERIODS_PER_YEAR:
        raise ValueError(f"{value!r} is not a financial period (1 to 13)")
    return int(digits)


@dataclass(frozen=True)
class Coverage:
    """The periods a dataset covers: fiscal years, and periods when it has them."""

    periods: list[tuple[int, int | None]]  # (fiscal year, period or None), sorted

    @property
    def start(self) -> date | None:
        if not self.periods:
            return None
        year, period = self.periods[0]
        return fiscal.fiscal_periods(year)[(period or 1) - 1].start_date

    @property
    def end(self) -> date | None:
        if not self.periods:
            return None
        year, period = self.periods[-1]
        return fiscal.fiscal_periods(year)[(period or fiscal.PERIODS_PER_YEAR) - 1].end_date

    def labels(self) -> list[str]:
        return [
            f"{year}-{year + 1}" + (f" P{period}" if period else "")
            for year, period in self.periods
        ]


def coverage(dataset: Dataset, meta: PortalMeta, rows: list[list[str]]) -> Coverage:
    names = [f.name for f in dataset.fields]
    year_at = names.index(meta.fiscal_year_field)
    period_at = names.index(meta.period_field) if meta.period_field else None
    totals = {f.name: f.total for f in dataset.fields}
    found = set()
    for row in rows:
        year_value = row[year_at]
        if year_value == totals.get(meta.fiscal_year_field):
            continue
        period = None
        if period_at is not None:
            value = row[period_at]
            if value == totals.get(meta.period_field):
                continue
            period = parse_period(value)
        found.add((parse_fiscal_year(year_value), period))
    return Coverage(sorted(found, key=lambda p: (p[0], p[1] or 0)))


def upcoming_period_ends(after: date, count: int = 3) -> list[fiscal.FiscalPeriod]:
    """The next financial periods to end after a day: when the next updates can come."""
    year = fiscal.period_of(after).fiscal_year
    upcoming = [p for y in (year, year + 1) for p in fiscal.fiscal_periods(y) if p.end_date > after]
    return upcoming[:count]


def update_schedule(meta: PortalMeta, released: date) -> str:
    """The exact update calendar, in French, from the fiscal period rule."""
    nxt = ", ".join(
        f"{p.end_date.isoformat()} (fin de P{p.period} {p.label})"
        for p in upcoming_period_ends(released)
    )
    if meta.frequency == "ANNUAL":
        added = (
            "Une nouvelle année financière s'ajoute dès que ses 13 périodes sont fermées par "
            "tous les établissements (la période 13 se termine le 31 mars)."
        )
    else:
        added = (
            "Une nouvelle période financière s'ajoute dès qu'elle est fermée par tous les "
            "établissements (13 périodes par année : la période 1 se termine le quatrième "
            "samedi d'avril, les périodes 2 à 12 durent 28 jours, la période 13 se termine le "
            "31 mars)."
        )
    return (
        f"{FREQUENCIES[meta.frequency]['label']}. {added} Le jeu est republié après la fin de "
        "chaque période financière, 13 fois par année, pour intégrer les données tardives et "
        f"les corrections. Prochaines fins de période : {nxt}."
    )
