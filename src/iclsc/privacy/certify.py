"""Feasible integer intervals of withheld cells, by mixed-integer programming (HiGHS).

A withheld cell is exposed when its integer feasible interval has width 0 at a value other
than 0, or when it counts persons and its interval lies within 1 to the threshold - 1. A
value proved to be 0 is no disclosure: the rule publishes zeros, and a count that may be 0
(persons still waiting in a cell withheld for its other counts) names no one. Solving two
integer programs per cell is exact but slow on large tables, so the work is ordered to
spend integer programs only where they decide something, without ever deciding on a guess:

1. propagated bounds (valid for every integer solution) already expose some cells;
2. a feasible integer point is known (the true table for the protection) or found once;
3. witnesses: integer programs over every component that still holds an open cell, each
   pushing every open cell away from the values seen so far (up, or down from its upper
   bound; a count below the threshold is lifted towards it, its gain capped there so that
   no cell takes a relation's whole slack from the others), with random positive weights
   from a fixed seed (the same release gives the same work). A witness program stops at
   its first integer point (any integer table consistent with the release is a witness),
   so each is cheap; rounds repeat while they settle cells. Every solution is checked
   against the relations before it counts: a cell seen at two values has width > 0, and a
   count seen at or above the threshold (or at 0) can be that;
4. exact bounds, for the cells the witnesses did not settle: the linear relaxation first
   (its bound holds for every integer solution, so a relaxed interval that is pinned or
   below the threshold proves the exposure), then the integer program.

Every exposure is proved by a valid bound (propagation, relaxation or integer optimum);
every cell called safe is proved safe by two integer solutions. The work is bounded by
node limits (not time, so that the same release gives the same verdict on any machine):
a cell that an integer program could not settle within them is reported "unproved" and
counts as exposed: the protection withholds more until every cell is settled.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint
from scipy.optimize import milp as scipy_milp
from scipy.sparse import csr_matrix, hstack, vstack

from iclsc.privacy.system import InconsistentRelease, System, components

# Witness rounds per system, and rounds in a row that may settle nothing before they stop.
WITNESS_ROUNDS = 40
STALL_ROUNDS = 2
# A witness program stops at its first integer point; nodes it may spend to find one.
WITNESS_NODES = 200
# Once open cells are fewer than this share of their components, witness programs are
# local: the open cells and their neighbours within LOCAL_HOPS relations, the rest fixed.
LOCAL_SHARE = 0.2
LOCAL_HOPS = 3
# Branch-and-bound nodes of one exact bound; beyond, the cell is not proved safe.
EXACT_NODES = 5000
# Exact bounds per system; the cells left beyond are not proved safe, and an unproved cell
# refuses the release. Each program is bounded by its nodes, so this only caps the count: at
# 300, an extract where one provider renders a whole establishment's interventions left
# 1,554 cells unproved and published nothing; at 4,000 (two programs a cell at most) it
# publishes, audited in 32 s (tests/python/test_adversarial.py).
EXACT_PROGRAMS = 8000
# A safety net only (the node limits bound the work): seconds of one integer program.
TIME_LIMIT = 300.0
# HiGHS's status when an integer program is infeasible.
INFEASIBLE = 2


try:
    _C_FLUSH = ctypes.CDLL(None).fflush
except (AttributeError, OSError, TypeError):  # no C library to load by name (Windows)
    _C_FLUSH = None


@contextmanager
def _stdout_to_null():
    """File descriptor 1 on /dev/null for the duration: HiGHS (1.12, in scipy 1.17) prints
    "HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();" with the C
    library's printf whatever its output options say, into the audit's own output. The C
    buffers are flushed before fd 1 comes back, so nothing it printed leaks out later.
    Python's own output is flushed first; fd 1 is process-wide, so another thread's
    output during a solve would be lost (the privacy steps run no other thread)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (AttributeError, OSError, ValueError):  # no standard output to guard
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        if _C_FLUSH is not None:
            _C_FLUSH(None)
        os.dup2(saved, 1)
        os.close(saved)


def milp(**problem):
    """scipy.optimize.milp, without HiGHS's stray printing on standard output."""
    with _stdout_to_null():
        return scipy_milp(**problem)


def _milp(**problem):
    """scipy.optimize.milp, asked again without presolve when it says infeasible: HiGHS's
    presolve has been seen to call feasible programs infeasible (scipy 1.17.1, a program
    with min(x, cap) terms). An answer only counts through a point checked exactly, or as
    a bound of an optimum; a wrong "infeasible" must not become a verdict."""
    result = milp(**problem)
    if result.status == INFEASIBLE:
        options = {**problem.get("options", {}), "presolve": False}
        result = milp(**{**problem, "options": options})
    return result


@dataclass
class Intervals:
    """Per variable of a system: what is proved about its integer feasible interval."""

    low: np.ndarray  # a value some solution takes (the minimum when low_exact)
    high: np.ndarray  # a value some solution takes (the maximum when high_exact)
    low_exact: np.ndarray
    high_exact: np.ndarray
    exposed: np.ndarray  # bool, targets only
    reason: list[str | None]
    kind: list[str | None]  # "pinned", "threshold" or "unproved" where exposed
    integer_programs: int = 0

    def exposed_variables(self) -> np.ndarray:
        return np.flatnonzero(self.exposed)


class Solver:
    """Integer programs over unions of components of one system (joint rows only)."""

    def __init__(self, system: System, low: np.ndarray, high: np.ndarray):
        self.system = system
        self.low = low
        self.high = high
        joint = np.flatnonzero(system.joint)
        self.joint_rows = joint
        self.joint_matrix = system.matrix[joint].tocsc()
        self.joint_csr = self.joint_matrix.tocsr()
        self.labels = components(system)
        # A finite cap for unbounded variables: far above any value the release holds.
        finite = np.concatenate(
            [
                np.abs(system.row_low[np.isfinite(system.row_low)]),
                np.abs(system.row_high[np.isfinite(system.row_high)]),
                high[np.isfinite(high)],
                [1000.0],
            ]
        )
        self.cap = float(10 * finite.sum() + 1000)
        self.calls = 0

    def live_for(self, mask: np.ndarray) -> np.ndarray:
        """Every variable of the components holding a variable of the mask."""
        return np.flatnonzero(np.isin(self.labels, np.unique(self.labels[mask])))

    def neighbourhood(self, mask: np.ndarray, hops: int) -> np.ndarray:
        """The variables of the mask and those within `hops` joint rows of them."""
        reached = np.flatnonzero(mask)
        csr = self.joint_csr
        for _ in range(hops):
            rows = np.unique(self.joint_matrix[:, reached].nonzero()[0])
            if not len(rows):
                break
            reached = np.union1d(reached, np.unique(csr[rows].nonzero()[1]))
        return reached

    def _rows(self, variables: np.ndarray):
        sub = self.joint_matrix[:, variables]
        rows = np.unique(sub.nonzero()[0])
        global_rows = self.joint_rows[rows]
        return (
            sub[rows].tocsr(),
            self.system.row_low[global_rows],
            self.system.row_high[global_rows],
        )

    def solve(self, variables: np.ndarray, objective: np.ndarray, exact: bool):
        """An integer point over `variables` (a union of components), or None.

        exact: the optimum (None when the node limit stopped it first); else the first
        integer point found. Returns the full-length point (NaN outside `variables`);
        raises InconsistentRelease when no integer point exists at all.
        """
        self.calls += 1
        matrix, row_low, row_high = self._rows(variables)
        options = {"time_limit": TIME_LIMIT}
        options.update(
            {"mip_rel_gap": 0.0, "node_limit": EXACT_NODES}
            if exact
            else {"mip_rel_gap": math.inf, "node_limit": WITNESS_NODES}
        )
        result = _milp(
            c=objective,
            constraints=[LinearConstraint(matrix, row_low, row_high)] if matrix.shape[0] else [],
            integrality=np.ones(len(variables)),
            bounds=Bounds(self.low[variables], np.minimum(self.high[variables], self.cap)),
            options=options,
        )
        if result.status == INFEASIBLE:
            raise InconsistentRelease(
                f"{self.system.measure}: no integer table fits the published values"
            )
        if result.x is None or (exact and result.status != 0):
            return None
        return self._checked(variables, result.x)

    def witness(self, variables, weights, lifted: np.ndarray, cap: float, around=None):
        """The first integer point of: minimise weights . x, minus the sum over `lifted`
        of min(x, cap) (a count only needs to reach the threshold, so no lifted cell takes
        a relation's whole slack from the others).

        around: a feasible point; the variables of its components outside `variables`
        then keep its values (a local search: smaller programs once few cells are open),
        and the point returned is it with `variables` changed."""
        self.calls += 1
        matrix, row_low, row_high = self._rows(variables)
        if around is not None:
            # Rows that reach fixed variables: their part is a constant.
            rows = np.unique(self.joint_matrix[:, variables].nonzero()[0])
            full = self.joint_matrix[rows].tocsr()
            inside = self.joint_matrix[rows][:, variables] @ around[variables]
            shift = full @ np.nan_to_num(around) - inside
            row_low = row_low - shift
            row_high = row_high - shift
        k = len(variables)
        q = len(lifted)
        where = np.searchsorted(variables, lifted)
        blocks, lows, highs = [], [], []
        if matrix.shape[0]:
            blocks.append(hstack([matrix, csr_matrix((matrix.shape[0], q))]).tocsr())
            lows.append(row_low)
            highs.append(row_high)
        if q:
            # y <= x for each lifted cell, y in [0, cap]: y is min(x, cap) at the optimum.
            blocks.append(
                csr_matrix(
                    (
                        np.concatenate([np.ones(q), -np.ones(q)]),
                        (np.tile(np.arange(q), 2), np.concatenate([k + np.arange(q), where])),
                    ),
                    shape=(q, k + q),
                )
            )
            lows.append(np.full(q, -np.inf))
            highs.append(np.zeros(q))
        constraints = []
        if blocks:
            constraints.append(
                LinearConstraint(
                    vstack(blocks).tocsr(), np.concatenate(lows), np.concatenate(highs)
                )
            )
        result = _milp(
            c=np.concatenate([weights, -np.ones(q)]),
            constraints=constraints,
            integrality=np.concatenate([np.ones(k), np.zeros(q)]),
            bounds=Bounds(
                np.concatenate([self.low[variables], np.zeros(q)]),
                np.concatenate([np.minimum(self.high[variables], self.cap), np.full(q, cap)]),
            ),
            options={
                "mip_rel_gap": math.inf,
                "node_limit": WITNESS_NODES,
                "time_limit": TIME_LIMIT,
            },
        )
        if result.x is None:
            return None
        if around is None:
            return self._checked(variables, result.x[:k])
        point = np.array(around, dtype=float)
        point[variables] = np.round(result.x[:k])
        live = self.live_for(np.isin(np.arange(self.system.size), variables))
        return point if self.feasible_on(point, live) else None

    def relaxed(self, variable: int, direction: int) -> float | None:
        """The linear-relaxation optimum of one variable over its component: a bound that
        holds for every integer solution (None if the solver did not finish)."""
        self.calls += 1
        variables = np.flatnonzero(self.labels == self.labels[variable])
        matrix, row_low, row_high = self._rows(variables)
        objective = np.zeros(len(variables))
        objective[int(np.searchsorted(variables, variable))] = -direction
        result = milp(
            c=objective,
            constraints=[LinearConstraint(matrix, row_low, row_high)] if matrix.shape[0] else [],
            integrality=np.zeros(len(variables)),
            bounds=Bounds(self.low[variables], np.minimum(self.high[variables], self.cap)),
            options={"time_limit": TIME_LIMIT},
        )
        if result.x is None or result.status != 0:
            return None
        return float(result.x[int(np.searchsorted(variables, variable))])

    def _checked(self, variables: np.ndarray, x: np.ndarray):
        """The solver's point, rounded and checked exactly: only a true integer table of
        the relations is a witness."""
        point = np.full(self.system.size, np.nan)
        point[variables] = np.round(x)
        if not self.feasible_on(point, variables):
            return None
        return point

    def feasible_on(self, point: np.ndarray, variables: np.ndarray) -> bool:
        x = point[variables]
        if np.any(x < self.low[variables]) or np.any(x > self.high[variables]):
            return False
        matrix, row_low, row_high = self._rows(variables)
        if not matrix.shape[0]:
            return True
        activity = matrix @ x
        return bool(np.all(activity >= row_low) and np.all(activity <= row_high))


def certify(
    system: System,
    low: np.ndarray,
    high: np.ndarray,
    base: np.ndarray | None = None,
    seed: int = 0,
    exact_all: bool = False,
    targets: np.ndarray | None = None,
    prove_exposures: bool = True,
    rounds: int = WITNESS_ROUNDS,
) -> Intervals:
    """What an attacker can prove about every target of the system (see module doc).

    low, high: variable bounds (propagated, possibly tightened by insider knowledge).
    base: a known feasible integer point (the protection passes the true table).
    targets: the variables to decide (default: the system's targets).
    exact_all: exact bounds for every target (slow; for reports and tests).
    prove_exposures: False to skip step 4: every target the witnesses did not settle is
    reported as exposed, kind "threshold" when its person count was never seen at the
    threshold, else "pinned" (the protection then looks for a move, which is a proof).
    """
    n = system.size
    threshold = system.threshold
    target = (system.target if targets is None else targets).copy()
    result = Intervals(
        low=low.copy(),
        high=high.copy(),
        low_exact=np.isfinite(low) & (low == high),
        high_exact=np.isfinite(high) & (low == high),
        exposed=np.zeros(n, dtype=bool),
        reason=[None] * n,
        kind=[None] * n,
    )
    if n == 0 or not target.any():
        return result
    solver = Solver(system, low, high)

    def expose(v: int, kind: str, reason: str) -> None:
        result.exposed[v] = True
        result.kind[v] = kind
        result.reason[v] = reason

    undecided = target.copy()
    for v in np.flatnonzero(target):
        if low[v] == high[v]:
            undecided[v] = False
            if high[v] != 0:
                # (Known to be 0: the rule publishes zeros, this tells nothing it protects.)
                expose(v, "pinned", f"pinned at {int(low[v])} by the relations")
        elif threshold is not None and high[v] < threshold and low[v] >= 1:
            expose(v, "threshold", f"between {int(low[v])} and {int(high[v])}, below {threshold}")
            undecided[v] = False
    if not undecided.any() and not exact_all:
        return result

    # Only the components holding an undecided target need integer programs.
    variables = solver.live_for(undecided | (target if exact_all else undecided))
    if base is not None:
        point = np.full(n, np.nan)
        point[variables] = np.asarray(base, dtype=float)[variables]
        if not solver.feasible_on(point, variables):
            raise InconsistentRelease(
                f"{system.measure}: the true table does not satisfy the published relations "
                "(a measure declared additive that is not, or a wrong hierarchy)"
            )
    else:
        point = solver.solve(variables, np.zeros(len(variables)), exact=False)
        if point is None:
            for v in np.flatnonzero(undecided):
                expose(v, "unproved", "no integer table found within the node limit")
            result.integer_programs = solver.calls
            return result
    seen_low = np.where(np.isnan(point), low, point)
    seen_high = seen_low.copy()
    current = point  # a feasible point over `variables`: local searches start from it
    upper = np.minimum(high, solver.cap)

    def settled() -> np.ndarray:
        """Proved safe by the integer tables seen: two values, and a count that can reach
        the threshold or be 0 (then no person need be there)."""
        width = seen_high > seen_low
        if threshold is None:
            return width
        return width & ((seen_high >= threshold) | (seen_low == 0))

    def note(solution) -> None:
        nonlocal seen_low, seen_high
        if solution is None:
            return
        known = ~np.isnan(solution)
        seen_low = np.where(known, np.minimum(seen_low, solution), seen_low)
        seen_high = np.where(known, np.maximum(seen_high, solution), seen_high)

    rng = np.random.default_rng(seed)
    stalled = 0
    for _ in range(rounds):
        open_cells = undecided & ~settled()
        if not open_cells.any() or stalled >= STALL_ROUNDS:
            break
        before = int(open_cells.sum())
        live = solver.live_for(open_cells)
        local = before < LOCAL_SHARE * len(live)
        if local:
            live = solver.neighbourhood(open_cells, LOCAL_HOPS)
        lifted = (
            open_cells & (seen_high < threshold) & (seen_low > 0)
            if threshold is not None
            else np.zeros(n, dtype=bool)
        )
        pushed = open_cells & ~lifted
        direction = np.where(seen_high < upper, -1.0, 1.0)  # minimising: -1 pushes up
        weights = np.where(pushed, direction * rng.uniform(1.0, 2.0, n), 0.0)
        found = solver.witness(
            live,
            weights[live],
            np.flatnonzero(lifted),
            float(threshold or 0),
            around=current if local else None,
        )
        note(found)
        if found is not None:
            current = np.where(np.isnan(found), current, found)
        stalled = stalled + 1 if int((undecided & ~settled()).sum()) >= before else 0

    open_cells = undecided & ~settled()
    if not prove_exposures:
        for v in np.flatnonzero(open_cells):
            low_count = threshold is not None and seen_high[v] < threshold
            expose(v, "threshold" if low_count else "pinned", "not settled by the witnesses")
        result.integer_programs = solver.calls
        return result

    # Exact bounds where the witnesses did not settle a cell (or everywhere: exact_all).
    exact_high = np.zeros(n, dtype=bool)
    exact_low = np.zeros(n, dtype=bool)
    proved_high = seen_high.copy()
    proved_low = seen_low.copy()
    budget = EXACT_PROGRAMS
    pending = target.copy() if exact_all else open_cells
    for v in np.flatnonzero(pending):
        if not exact_all and settled()[v]:
            continue  # an earlier exact program's point settled it
        if budget <= 0 and not exact_all:
            expose(v, "unproved", "not settled within the integer programs allowed")
            continue
        for direction in (+1, -1):
            if not exact_all and settled()[v]:
                break
            relaxed = solver.relaxed(v, direction)
            budget -= 1
            if relaxed is not None:
                bound = math.floor(relaxed + 1e-6) if direction > 0 else math.ceil(relaxed - 1e-6)
                seen = seen_high[v] if direction > 0 else seen_low[v]
                if bound == seen:
                    # The relaxation, valid for every integer table, meets a value seen.
                    (exact_high if direction > 0 else exact_low)[v] = True
                    (proved_high if direction > 0 else proved_low)[v] = bound
                    continue
            objective = np.zeros(n)
            objective[v] = -direction
            live = solver.live_for(np.arange(n) == v)
            solution = solver.solve(live, objective[live], exact=True)
            budget -= 1
            if solution is None:
                continue
            note(solution)
            (exact_high if direction > 0 else exact_low)[v] = True
            (proved_high if direction > 0 else proved_low)[v] = solution[v]

    is_settled = settled()
    for v in np.flatnonzero(target):
        if exact_high[v]:
            result.high[v] = proved_high[v]
            result.high_exact[v] = True
        elif not result.high_exact[v]:
            result.high[v] = seen_high[v]
        if exact_low[v]:
            result.low[v] = proved_low[v]
            result.low_exact[v] = True
        elif not result.low_exact[v]:
            result.low[v] = seen_low[v]
        if not undecided[v] or result.exposed[v] or is_settled[v]:
            continue
        minimum = proved_low[v] if exact_low[v] else low[v]
        if exact_high[v] and exact_low[v] and proved_high[v] == proved_low[v]:
            if proved_high[v] != 0:
                expose(v, "pinned", f"pinned at {int(proved_low[v])} by the integer program")
        elif (
            threshold is not None and exact_high[v] and proved_high[v] < threshold and minimum >= 1
        ):
            expose(
                v,
                "threshold",
                f"between {int(minimum)} and {int(proved_high[v])}, below {threshold}",
            )
        else:
            # Neither proved safe nor exposed (an integer program stopped at its limit).
            expose(v, "unproved", "not proved safe within the node limit")
    result.integer_programs = solver.calls
    return result


def lp_interval(system: System, low: np.ndarray, high: np.ndarray, variable: int):
    """The linear-relaxation interval of one variable (for showing why integers matter)."""
    solver = Solver(system, low, high)
    return solver.relaxed(variable, -1), solver.relaxed(variable, +1)
