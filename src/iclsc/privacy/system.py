"""The integer linear system an attacker solves for one measure of one part of a universe.

Variables are the cells whose value the attacker does not read: withheld cells (the
targets) and cells no table publishes the measure of (unknowns, not targets). Published
values are constants. Rows come from the relations of the cube:

- where the measure adds along the relation's dimension: margin = sum of members (an
  equality; `margin >= sum` when some member is unknown to every table);
- where it does not (distinct persons along programme, interventions along territory, age
  and sex, because a group intervention counts once in the margin): margin <= sum of
  members and margin >= each member;
- where it is a stock at the end of the window (`iclsc:stock`: persons still waiting at the
  end of the year are those waiting at the end of its last period): margin = last member.

A withheld cell is never empty (a true zero is published, and no zero is withheld to protect
another: withholding a known zero protects nothing), so a measure that is at least 1 in every
cell with a person (`iclsc:nonzero`: persons, interventions, minutes) has lower bound 1 there:
the attacker knows it, and so does the audit. Other measures of a withheld cell (requests
received, persons still waiting) may be 0.

The equalities are solved jointly, in integers (the "additivity relations" of the audit);
the inequalities are propagated as bounds on every variable to a fixed point (they matter
most for the rule "fewer than 5 persons"), and can be added to the joint model as well
(`joint_inequalities`), at a cost that grows fast with the size of the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from iclsc.privacy.cube import Cube, Relation

INF = np.inf


class InconsistentRelease(ValueError):
    """Published values break a relation the metadata declares, or no table fits them."""


@dataclass
class System:
    measure: str
    cells: np.ndarray  # cell index of each variable
    target: np.ndarray  # bool: a withheld cell the release must protect
    matrix: csr_matrix  # rows x variables, integer coefficients
    row_low: np.ndarray
    row_high: np.ndarray
    joint: np.ndarray  # bool per row: solved jointly in the integer model
    low: np.ndarray  # variable bounds (before propagation)
    high: np.ndarray
    threshold: int | None  # a person count below it is a disclosure
    row_cells: list[tuple[int, ...]]  # every cell of each row, constants included
    _by_column: csc_matrix | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.cells)

    def residual(self, x: np.ndarray) -> np.ndarray:
        """Per row, how far an integer point is outside [row_low, row_high] (0 inside)."""
        activity = self.matrix @ x
        return np.maximum(self.row_low - activity, 0) + np.maximum(activity - self.row_high, 0)

    def feasible(self, x: np.ndarray, rows: np.ndarray | None = None) -> bool:
        if np.any(x < self.low) or np.any(x > self.high):
            return False
        residual = self.residual(x)
        if rows is not None:
            residual = residual[rows]
        return bool(np.all(residual == 0))


def threshold_of(measure, settings: dict) -> int | None:
    if measure.counts == "persons":
        return int(settings.get("min_persons", 5))
    if measure.counts == "providers":
        return int(settings.get("min_providers", 3))
    return None


def build_system(
    cube: Cube,
    cells: list[int],
    relations: list[Relation],
    measure: str,
    settings: dict,
    known: dict[int, int] | None = None,
    joint_inequalities: bool = False,
    structural: bool = False,
) -> System:
    """The system of one measure over the cells of one part.

    known: cell -> value the attacker holds although this release withholds it (a cell
    published by an earlier release of the same period); a constant, not a target.
    structural: every cell is a variable (the rows as relations between cells, for the
    protection's search of complements).
    """
    spec = cube.measures[measure]
    values = cube.values[measure]
    known = known or {}

    def constant(cell: int):
        if structural:
            return None
        if values[cell] is not None:
            return values[cell]
        return known.get(cell)

    variables = [c for c in cells if constant(c) is None]
    position = {cell: i for i, cell in enumerate(variables)}
    target = np.array(
        [cube.withheld[c] and measure in cube.measures_of[c] for c in variables], dtype=bool
    )
    low = np.where(target & spec.nonzero, 1.0, 0.0)
    high = np.full(len(variables), INF)

    rows, cols, data, row_low, row_high, joint = [], [], [], [], [], []
    row_cells = []
    problems = []

    def add(terms: list[tuple[int, int]], lo: float, hi: float, is_joint: bool, what: str):
        shift = 0
        entries: dict[int, int] = {}
        for cell, coefficient in terms:
            value = constant(cell)
            if value is None:
                entries[position[cell]] = entries.get(position[cell], 0) + coefficient
            else:
                shift += coefficient * value
        entries = {k: v for k, v in entries.items() if v != 0}
        lo, hi = lo - shift, hi - shift
        if not entries:
            if lo > 0 or hi < 0:
                problems.append(what)
            return
        r = len(row_low)
        row_cells.append(tuple(cell for cell, _ in terms))
        for k, v in entries.items():
            rows.append(r)
            cols.append(k)
            data.append(v)
        row_low.append(lo)
        row_high.append(hi)
        joint.append(is_joint)

    for relation in relations:
        if measure not in cube.measures_of[relation.margin]:
            continue
        members = [m for m in relation.members if measure in cube.measures_of[m]]
        complete = relation.complete and len(members) == len(relation.members)
        terms = [(relation.margin, 1)] + [(m, -1) for m in members]
        where = f"{measure} along {relation.dimension} at {cube.label(relation.margin)}"
        if relation.dimension in spec.stock:
            # A stock at the end of the window: the margin is its last member.
            if complete:
                last = relation.members[-1]
                add(
                    [(relation.margin, 1), (last, -1)],
                    0,
                    0,
                    True,
                    f"{where}: margin differs from its last member",
                )
        elif spec.adds_along(relation.dimension):
            if complete:
                add(terms, 0, 0, True, f"{where}: margin differs from the sum of its members")
            else:
                add(terms, 0, INF, joint_inequalities, f"{where}: margin below its members")
        elif spec.sums_distinct_units:
            if complete:
                add(terms, -INF, 0, joint_inequalities, f"{where}: margin above its members")
            for m in members:
                add(
                    [(relation.margin, 1), (m, -1)],
                    0,
                    INF,
                    joint_inequalities,
                    f"{where}: margin below a member",
                )
    if problems:
        shown = "; ".join(problems[:5])
        raise InconsistentRelease(
            f"{cube.universe}: {len(problems)} published relation(s) broken: {shown}"
        )
    matrix = coo_matrix(
        (np.array(data, dtype=float), (rows, cols)), shape=(len(row_low), len(variables))
    ).tocsr()
    return System(
        measure=measure,
        cells=np.array(variables, dtype=np.int64),
        target=target,
        matrix=matrix,
        row_low=np.array(row_low, dtype=float),
        row_high=np.array(row_high, dtype=float),
        joint=np.array(joint, dtype=bool),
        low=low,
        high=high,
        threshold=threshold_of(spec, settings),
        row_cells=row_cells,
    )


def propagate(
    system: System,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    max_rounds: int = 200,
    changed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds implied by every row, to a fixed point (or max_rounds: still valid bounds).

    For integer points: each row bounds each of its variables by the row's limits minus the
    extreme activity of its other variables, rounded inward. Raises InconsistentRelease when
    a variable's bounds cross: no integer table fits the published values.

    Each round only evaluates the rows of a variable whose bounds the previous round moved:
    the other rows imply what they implied before, which the bounds already hold, so the
    rounds are those of evaluating every row, at the cost of the rows that matter.
    changed: the variables whose bounds moved since `low`, `high` were a fixed point (an
    insider's own cells): the first round starts from their rows instead of every row.
    """
    low = (system.low if low is None else low).astype(float).copy()
    high = (system.high if high is None else high).astype(float).copy()
    matrix = system.matrix
    if matrix.nnz == 0:
        return low, high
    n_rows = matrix.shape[0]
    indptr = matrix.indptr
    by_column = _columns(system)
    if changed is None:
        rows = np.arange(n_rows)
    else:
        rows = _rows_of(by_column, np.flatnonzero(np.asarray(changed)))
    for _ in range(max_rounds):
        if not len(rows):
            break
        entries, row_of = _entries(indptr, rows)
        col = matrix.indices[entries]
        a = matrix.data[entries]
        positive = a > 0
        lo_c, hi_c = low[col], high[col]
        contribution_min = np.where(positive, a * lo_c, a * hi_c)
        contribution_max = np.where(positive, a * hi_c, a * lo_c)
        rest_min = _rest(contribution_min, row_of, len(rows), -INF)
        rest_max = _rest(contribution_max, row_of, len(rows), INF)
        with np.errstate(invalid="ignore"):
            up = system.row_high[rows][row_of] - rest_min  # a * x <= up
            down = system.row_low[rows][row_of] - rest_max  # a * x >= down
            new_high = np.where(positive, up / a, down / a)
            new_low = np.where(positive, down / a, up / a)
        new_high = np.floor(np.nan_to_num(new_high, nan=INF, posinf=INF) + 1e-9)
        new_low = np.ceil(np.nan_to_num(new_low, nan=-INF, neginf=-INF) - 1e-9)
        high2 = high.copy()
        low2 = low.copy()
        np.minimum.at(high2, col, new_high)
        np.maximum.at(low2, col, new_low)
        if np.any(low2 > high2):
            raise InconsistentRelease(
                f"{system.measure}: no integer table fits the published values"
            )
        moved = np.flatnonzero((low2 != low) | (high2 != high))
        low, high = low2, high2
        if not len(moved):
            break
        rows = _rows_of(by_column, moved)
    return low, high


def _columns(system: System) -> csc_matrix:
    """The system's matrix by column (built once per system: rows of each variable)."""
    if system._by_column is None:
        system._by_column = system.matrix.tocsc()
    return system._by_column


def _entries(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions in a CSR matrix of every entry of `rows`, and each one's place in rows."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    row_of = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return starts[row_of] + offsets, row_of


def _rows_of(by_column: csc_matrix, variables: np.ndarray) -> np.ndarray:
    """The rows holding any of the variables (sorted, once each)."""
    entries, _ = _entries(by_column.indptr, variables)
    return np.unique(by_column.indices[entries])


def binding_rows(system: System, low: np.ndarray, high: np.ndarray):
    """Per variable, the rows that imply its current bounds: (rows for the upper bound,
    rows for the lower bound), as two lists of arrays. Where a bound is exposed, these are
    the relations to loosen."""
    matrix = system.matrix
    n_rows = matrix.shape[0]
    row_of = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    col = matrix.indices
    a = matrix.data
    positive = a > 0
    lo_c, hi_c = low[col], high[col]
    rest_min = _rest(np.where(positive, a * lo_c, a * hi_c), row_of, n_rows, -INF)
    rest_max = _rest(np.where(positive, a * hi_c, a * lo_c), row_of, n_rows, INF)
    with np.errstate(invalid="ignore"):
        up = system.row_high[row_of] - rest_min
        down = system.row_low[row_of] - rest_max
        implied_high = np.floor(np.where(positive, up / a, down / a) + 1e-9)
        implied_low = np.ceil(np.where(positive, down / a, up / a) - 1e-9)
    upper = [[] for _ in range(system.size)]
    lower = [[] for _ in range(system.size)]
    for r, c in zip(row_of[implied_high <= high[col]], col[implied_high <= high[col]], strict=True):
        upper[c].append(r)
    for r, c in zip(row_of[implied_low >= low[col]], col[implied_low >= low[col]], strict=True):
        lower[c].append(r)
    return upper, lower


def _rest(contribution: np.ndarray, row_of: np.ndarray, n_rows: int, infinite: float):
    """Per entry, the sum of the other entries of its row (infinite if any other is)."""
    is_infinite = ~np.isfinite(contribution)
    finite = np.where(is_infinite, 0.0, contribution)
    row_sum = np.bincount(row_of, finite, n_rows)
    row_infinite = np.bincount(row_of, is_infinite.astype(float), n_rows)
    others_infinite = row_infinite[row_of] - is_infinite > 0
    return np.where(others_infinite, infinite, row_sum[row_of] - finite)


def components(system: System) -> np.ndarray:
    """Label of each variable: variables linked through joint rows share a label."""
    n = system.size
    joint_rows = system.matrix[system.joint]
    m = joint_rows.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    coo = joint_rows.tocoo()
    graph = coo_matrix((np.ones(coo.nnz), (coo.col, n + coo.row)), shape=(n + m, n + m)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels[:n]
