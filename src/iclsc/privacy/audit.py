"""`python -m iclsc audit RELEASE_DIR`: what an attacker can prove about every withheld cell.

Reads only published files: the release's datapackage.json and CSVs, and the earlier
releases beside it (an attacker keeps them). For every withheld cell and every measure it
withholds, the integer feasible interval given every published cell (of every table of the
universe, and of earlier releases of the same periods) and every relation, by
mixed-integer programming (see certify). A cell is exposed when its interval has width 0,
or when it counts persons (providers) and its upper bound is below min_persons
(min_providers); a cell withheld in one table and published in another is exposed too.
Exit code 0 when nothing is exposed, 1 otherwise, 2 when the release cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from iclsc.privacy.certify import certify
from iclsc.privacy.cube import TOTAL, Cube, CubeError, Table, build_cubes
from iclsc.privacy.system import InconsistentRelease, build_system, propagate

DEFAULT_SETTINGS = {"min_persons": 5, "min_providers": 3}


@dataclass
class Finding:
    universe: str
    cell: str
    resources: str
    measure: str
    low: int | None
    high: int | None
    low_exact: bool
    high_exact: bool
    exposed: bool
    reason: str | None
    key: tuple = ()  # the cell's key in its universe's cube (not written to the report)
    kind: str | None = None  # pinned, threshold or unproved where exposed


@dataclass
class AuditResult:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    integer_programs: int = 0
    withheld_cells: int = 0
    known_from_earlier: int = 0

    @property
    def exposures(self) -> list[Finding]:
        return [f for f in self.findings if f.exposed]

    def summary(self) -> dict:
        return {
            "withheld_cells": self.withheld_cells,
            "withheld_values_audited": len(self.findings),
            "exposed": len(self.exposures),
            "known_from_earlier_releases": self.known_from_earlier,
            "integer_programs": self.integer_programs,
            "seconds": round(self.seconds, 2),
            "notes": self.notes,
        }

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [
                "universe",
                "cell",
                "resources",
                "measure",
                "low",
                "high",
                "low_exact",
                "high_exact",
                "exposed",
                "reason",
            ]
        )
        for f in self.findings:
            writer.writerow(
                [
                    f.universe,
                    f.cell,
                    f.resources,
                    f.measure,
                    "" if f.low is None else f.low,
                    "" if f.high is None else f.high,
                    str(f.low_exact).lower(),
                    str(f.high_exact).lower(),
                    str(f.exposed).lower(),
                    f.reason or "",
                ]
            )
        return buffer.getvalue().encode("utf-8")


def read_release(release_dir: Path, universes: dict[str, str] | None = None) -> list[Table]:
    """The tables of a release folder (datapackage.json and its CSV resources)."""
    descriptor_path = release_dir / "datapackage.json"
    if not descriptor_path.is_file():
        raise CubeError(f"{descriptor_path} is missing")
    package = json.loads(descriptor_path.read_text(encoding="utf-8"))
    tables = []
    for resource in package.get("resources", []):
        if resource.get("format") != "csv" or "schema" not in resource:
            continue
        fields = resource["schema"].get("fields", [])
        if not any(f.get("iclsc:role") == "suppressed" for f in fields):
            continue
        path = release_dir / resource["path"]
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        expected = [f["name"] for f in fields]
        if header != expected:
            raise CubeError(f"{path}: header {header} differs from the schema {expected}")
        universe = None
        if universes and not resource.get("iclsc:universe"):
            universe = universes.get(resource["name"])
        tables.append(Table.from_descriptor(resource, rows, universe=universe))
    return tables


def earlier_releases(release_dir: Path) -> list[Path]:
    """Complete releases beside this one (an attacker keeps them), oldest first."""
    parent = release_dir.resolve().parent
    mine = release_dir.resolve()
    found = []
    for candidate in sorted(parent.iterdir()):
        if candidate.name.startswith(".") or candidate.is_symlink():
            continue
        if candidate.resolve() == mine or not (candidate / "datapackage.json").is_file():
            continue
        found.append(candidate)
    return found


def earlier_values(
    cubes: dict[str, Cube], history: list[list[Table]], notes: list[str]
) -> dict[str, dict[str, dict[int, int]]]:
    """universe -> measure -> cell -> value that an earlier release published.

    An earlier release counts for a part (universe and period) only if every cell it
    published there that this release publishes too has the same values: then the data of
    that part did not change and its old values are today's values. Otherwise the part was
    corrected in between; its old values are stale and are left out (noted).
    """
    knowledge: dict[str, dict[str, dict[int, int]]] = {
        u: {m: {} for m in cube.measures} for u, cube in cubes.items()
    }
    for tables in history:
        for universe, old in build_cubes(tables).items():
            cube = cubes.get(universe)
            if cube is None:
                continue
            names = cube.dimension_names
            old_names = old.dimension_names
            matched: dict[tuple, list[tuple[int, int]]] = {}
            for old_cell, old_key in enumerate(old.keys):
                values = dict(zip(old_names, old_key, strict=True))
                if any(v is not TOTAL for n, v in values.items() if n not in names):
                    continue
                key = tuple(values.get(n, TOTAL) for n in names)
                cell = cube.index.get(key)
                if cell is not None:
                    matched.setdefault(cube.part_of(cell), []).append((old_cell, cell))
            common = set(cube.measures) & set(old.measures)
            for part, pairs in sorted(matched.items(), key=lambda item: str(item[0])):
                stale = any(
                    old.values[m][old_cell] is not None
                    and cube.values[m][cell] is not None
                    and old.values[m][old_cell] != cube.values[m][cell]
                    for old_cell, cell in pairs
                    for m in common
                )
                if stale:
                    notes.append(
                        f"{universe} {part}: an earlier release published other values "
                        "(data corrected since); its values are not used"
                    )
                    continue
                for old_cell, cell in pairs:
                    for m in common:
                        if old.values[m][old_cell] is not None:
                            knowledge[universe][m][cell] = old.values[m][old_cell]
    return knowledge


def withheld_knowledge(cube: Cube, values: dict[str, dict[int, int]]) -> dict[str, dict]:
    """The earlier values of the cells this release withholds (constants for the attacker)."""
    return {
        m: {c: v for c, v in by_cell.items() if cube.withheld[c]} for m, by_cell in values.items()
    }


def audit_tables(
    tables: list[Table],
    history: list[list[Table]] | None = None,
    settings: dict | None = None,
    exact_all: bool = False,
    joint_inequalities: bool = False,
) -> AuditResult:
    started = time.perf_counter()
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    result = AuditResult()
    cubes = build_cubes(tables)
    earlier = earlier_values(cubes, history or [], result.notes)
    for universe, cube in cubes.items():
        known = withheld_knowledge(cube, earlier[universe])
        for conflict in cube.conflicts:
            result.findings.append(
                Finding(universe, conflict, "", "", None, None, False, False, True, "conflict")
            )
        result.withheld_cells += sum(cube.withheld)
        known_cells = set()
        for values in known.values():
            known_cells.update(values)
        result.known_from_earlier += len(known_cells)
        for _part, cells in cube.parts().items():
            relations = cube.relations(cells)
            for measure in cube.measures:
                system = build_system(
                    cube,
                    cells,
                    relations,
                    measure,
                    settings,
                    known=known[measure],
                    joint_inequalities=joint_inequalities,
                )
                if not system.target.any():
                    continue
                low, high = propagate(system)
                intervals = certify(system, low, high, exact_all=exact_all)
                result.integer_programs += intervals.integer_programs
                for v in np.flatnonzero(system.target):
                    cell = int(system.cells[v])
                    result.findings.append(_finding(cube, cell, measure, intervals, v))
        # A cell withheld here but published in another table of the universe.
        for cell in range(len(cube.keys)):
            if cube.withheld_in[cell] and cube.published_in[cell]:
                result.findings.append(
                    Finding(
                        universe,
                        cube.label(cell),
                        " ".join(cube.withheld_in[cell]),
                        "",
                        None,
                        None,
                        False,
                        False,
                        True,
                        "withheld here, published in " + " ".join(cube.published_in[cell]),
                        cube.keys[cell],
                    )
                )
    result.seconds = time.perf_counter() - started
    return result


def _finding(cube: Cube, cell: int, measure: str, intervals, v: int) -> Finding:
    low, high = intervals.low[v], intervals.high[v]
    return Finding(
        universe=cube.universe,
        cell=cube.label(cell),
        resources=" ".join(cube.withheld_in[cell]),
        measure=measure,
        low=int(low) if np.isfinite(low) else None,
        high=int(high) if np.isfinite(high) else None,
        low_exact=bool(intervals.low_exact[v]),
        high_exact=bool(intervals.high_exact[v]),
        exposed=bool(intervals.exposed[v]),
        reason=intervals.reason[v],
        key=cube.keys[cell],
        kind=intervals.kind[v],
    )


def audit_release(
    release_dir: Path,
    settings: dict | None = None,
    with_history: bool = True,
    exact_all: bool = False,
    joint_inequalities: bool = False,
) -> AuditResult:
    tables = read_release(release_dir)
    universes = {t.resource: t.universe for t in tables}
    history = []
    if with_history:
        history = [read_release(path, universes) for path in earlier_releases(release_dir)]
    return audit_tables(tables, history, settings, exact_all, joint_inequalities)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("release_dir", type=Path, help="a release folder (datapackage.json)")
    parser.add_argument("--report", type=Path, help="write every withheld value's interval (CSV)")
    parser.add_argument("--exact", action="store_true", help="exact bounds for every cell (slow)")
    parser.add_argument(
        "--no-history", action="store_true", help="ignore the earlier releases beside it"
    )
    parser.add_argument(
        "--joint-inequalities",
        action="store_true",
        help="solve the non-additive inequalities jointly too (slow on large tables)",
    )
    parser.add_argument("--min-persons", type=int, default=DEFAULT_SETTINGS["min_persons"])
    parser.add_argument("--min-providers", type=int, default=DEFAULT_SETTINGS["min_providers"])


def run(args: argparse.Namespace) -> int:
    settings = {"min_persons": args.min_persons, "min_providers": args.min_providers}
    try:
        result = audit_release(
            args.release_dir,
            settings,
            with_history=not args.no_history,
            exact_all=args.exact,
            joint_inequalities=args.joint_inequalities,
        )
    except (CubeError, InconsistentRelease, OSError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    if args.report:
        args.report.write_bytes(result.csv_bytes())
    print(json.dumps(result.summary(), ensure_ascii=False, indent=2))
    for finding in result.exposures[:50]:
        print(f"EXPOSED {finding.universe} [{finding.measure}] {finding.cell}: {finding.reason}")
    if len(result.exposures) > 50:
        print(f"... and {len(result.exposures) - 50} more")
    return 1 if result.exposures else 0
