"""Reads the generator's inputs from the project's seeds (never from /work/shared: CI runs
on a clean clone)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import iclsc


def seeds_dir() -> Path:
    """The project's `seeds/` folder: under iclsc.project_dir(), else beside the source tree
    (an editable or src-layout checkout run from another working directory)."""
    candidates = [
        iclsc.project_dir() / "seeds",
        Path(iclsc.__file__).resolve().parents[2] / "seeds",
    ]
    for candidate in candidates:
        if (candidate / "reference" / "ref_clsc.csv").is_file():
            return candidate
    raise FileNotFoundError(
        "seeds/reference not found; set ICLSC_PROJECT_DIR to the project root "
        f"(looked in {', '.join(str(c) for c in candidates)})"
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def as_bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"expected true/false, got {value!r}")
    return value == "true"


@dataclass(frozen=True)
class CentreActivites:
    code: str
    name: str
    programmes: tuple[str, ...]  # empty when the source did not say
    is_home_support: bool
    is_verified: bool


@dataclass(frozen=True)
class Reference:
    """Everything the generator reads from seeds/, as plain Python values."""

    rss: list[dict[str, str]]
    rts: list[dict[str, str]]
    clsc: list[dict[str, str]]
    population_clsc: list[dict[str, str]]  # 2024 projection only
    population_single_age: list[dict[str, str]]
    age_groups: list[dict[str, str]]
    programmes: list[dict[str, str]]
    priorities: list[dict[str, str]]
    centres: dict[str, CentreActivites]
    modes: list[dict[str, str]]
    lieux: list[dict[str, str]]
    raisons: list[str]
    actes: list[str]
    categories: list[str]
    sexes: list[str]


def load_reference(root: Path | None = None) -> Reference:
    root = seeds_dir() if root is None else root
    ref = root / "reference"
    codes = root / "codes"
    centres = {}
    for row in read_csv(ref / "ref_centres_activites.csv"):
        programmes = tuple(p for p in row["programme_codes"].split(";") if p)
        centres[row["centre_activites_code"]] = CentreActivites(
            code=row["centre_activites_code"],
            name=row["centre_activites_name"],
            programmes=programmes,
            is_home_support=as_bool(row["is_home_support"]),
            is_verified=as_bool(row["is_verified"]),
        )
    return Reference(
        rss=read_csv(ref / "ref_rss.csv"),
        rts=read_csv(ref / "ref_rts.csv"),
        clsc=read_csv(ref / "ref_clsc.csv"),
        population_clsc=[
            r for r in read_csv(ref / "ref_population_clsc.csv") if r["population_year"] == "2024"
        ],
        population_single_age=read_csv(ref / "ref_population_quebec_single_age.csv"),
        age_groups=sorted(read_csv(ref / "ref_age_groups.csv"), key=lambda r: int(r["sort_order"])),
        programmes=read_csv(ref / "ref_programmes.csv"),
        priorities=read_csv(ref / "ref_priorities.csv"),
        centres=centres,
        modes=read_csv(codes / "code_modes.csv"),
        lieux=read_csv(codes / "code_lieux.csv"),
        raisons=[r["code"] for r in read_csv(codes / "code_raisons.csv")],
        actes=[r["code"] for r in read_csv(codes / "code_actes.csv")],
        categories=[r["code"] for r in read_csv(codes / "code_categories_intervenants.csv")],
        sexes=[r["sex_code"] for r in read_csv(ref / "ref_sexes.csv")],
    )
