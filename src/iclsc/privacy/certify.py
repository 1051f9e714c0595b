"""Feasible integer intervals of withheld cells, by mixed-integer programming (HiGHS).

A withheld cell is exposed when its integer feasible interval has width 0 at a value other
than 0, or when it counts persons and its interval lies within 1 to the threshold - 1. A
value proved to be 0 is no disclosure: the rule publishes zeros, and a count that may be 0
(persons still waiting in a cell withheld for its other counts) names no one. Solving two
integer programs per cell is exact but slow on large tables, so the work is ordered to
spend integer programs only where they decide something, without ever deciding on a guess:

1. propagated bounds (valid for every integer solution) already expose some cells;
2. a feasible integer point is known (the true table for the protection) or found once;
3. witnesses: a few integer programs over every component at once: one takes as many
   undecided person counts as it can up to the threshold (each count's gain capped there,
   so that no cell takes a relation's whole slack from the others), two push the cells not
   yet seen at two values down then up with random positive weights (fixed seed: the same
   release gives the same work). Every solution is a real integer table consistent with
   the release, so a cell seen at two values has width > 0, and a person count seen at or
   above the threshold can be that high;
4. exact bounds: for every cell the witnesses did not settle, max and min of that cell
   alone (one cell per independent component per integer program).

Every exposure is proved by an exact bound (propagation or integer program); every cell
called safe is proved safe by two integer solutions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, vstack

from iclsc.privacy.system import InconsistentRelease, System, components

WITNESS_ROUNDS = 3
THRESHOLD_ROUNDS = 12
# Seconds one integer program may take before its cell is reported as not proved safe.
TIME_LIMIT = 120.0


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

    def solve(self, variables: np.ndarray, objective: np.ndarray, exact: bool):
        """An integer optimum over `variables` (a union of components), or None.

        Returns the full-length point: variables outside keep no meaning (NaN).
        """
        self.calls += 1
        sub = self.joint_matrix[:, variables]
        rows = np.unique(sub.nonzero()[0])
        low = self.low[variables]
        high = np.minimum(self.high[variables], self.cap)
        constraints = []
        if len(rows):
            rows_global = self.joint_rows[rows]
            constraints.append(
                LinearConstraint(
                    sub[rows].tocsr(),
                    self.system.row_low[rows_global],
                    self.system.row_high[rows_global],
                )
            )
        result = milp(
            c=objective,
            constraints=constraints,
            integrality=np.ones(len(variables)),
            bounds=Bounds(low, high),
            options={"mip_rel_gap": 0.0 if exact else 0.2, "time_limit": TIME_LIMIT},
        )
        if result.x is None or (exact and result.status != 0):
            return None
        point = np.full(self.system.size, np.nan)
        point[variables] = np.round(result.x)
        return point

    def solve_capped(self, variables: np.ndarray, open_targets: np.ndarray, cap: float):
        """An integer point that takes as many open targets as it can up to `cap`.

        Maximises the sum over open targets of min(x_t, cap): a count only needs to reach
        the threshold, so no target takes a relation's whole slack from the others.
        """
        self.calls += 1
        sub = self.joint_matrix[:, variables]
        rows = np.unique(sub.nonzero()[0])
        k = len(variables)
        where = np.searchsorted(variables, open_targets)
        q = len(open_targets)
        link = csr_matrix(
            (
                np.concatenate([np.ones(q), -np.ones(q)]),
                (np.tile(np.arange(q), 2), np.concatenate([k + np.arange(q), where])),
            ),
            shape=(q, k + q),
        )
        blocks, low_rows, high_rows = [link], [np.full(q, -np.inf)], [np.zeros(q)]
        if len(rows):
            rows_global = self.joint_rows[rows]
            blocks.insert(0, hstack([sub[rows], csr_matrix((len(rows), q))]).tocsr())
            low_rows.insert(0, self.system.row_low[rows_global])
            high_rows.insert(0, self.system.row_high[rows_global])
        result = milp(
            c=np.concatenate([np.zeros(k), -np.ones(q)]),
            constraints=[
                LinearConstraint(
                    vstack(blocks).tocsr(), np.concatenate(low_rows), np.concatenate(high_rows)
                )
            ],
            integrality=np.concatenate([np.ones(k), np.zeros(q)]),
            bounds=Bounds(
                np.concatenate([self.low[variables], np.zeros(q)]),
                np.concatenate([np.minimum(self.high[variables], self.cap), np.full(q, cap)]),
            ),
            options={"mip_rel_gap": 0.02, "time_limit": TIME_LIMIT},
        )
        if result.x is None:
            return None
        point = np.full(self.system.size, np.nan)
        point[variables] = np.round(result.x[:k])
        return point

    def feasible_on(self, point: np.ndarray, variables: np.ndarray) -> bool:
        sub = self.joint_matrix[:, variables]
        rows = np.unique(sub.nonzero()[0])
        x = point[variables]
        if np.any(x < self.low[variables]) or np.any(x > self.high[variables]):
            return False
        if not len(rows):
            return True
        activity = sub[rows] @ x
        rows_global = self.joint_rows[rows]
        return bool(
            np.all(activity >= self.system.row_low[rows_global])
            and np.all(activity <= self.system.row_high[rows_global])
        )


def certify(
    system: System,
    low: np.ndarray,
    high: np.ndarray,
    base: np.ndarray | None = None,
    seed: int = 0,
    exact_all: bool = False,
    targets: np.ndarray | None = None,
    prove_exposures: bool = True,
) -> Intervals:
    """What an attacker can prove about every target of the system (see module doc).

    low, high: variable bounds (propagated, possibly tightened by insider knowledge).
    base: a known feasible integer point (the protection passes the true table).
    targets: the variables to decide (default: the system's targets).
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

    undecided = target.copy()
    for v in np.flatnonzero(target):
        if low[v] == high[v]:
            undecided[v] = False
            if high[v] == 0:
                # Known to be 0: the rule publishes zeros, so this tells nothing it protects.
                continue
            result.exposed[v] = True
            result.reason[v] = f"pinned at {int(low[v])} by the relations"
            result.kind[v] = "pinned"
        elif threshold is not None and high[v] < threshold and low[v] >= 1:
            result.exposed[v] = True
            result.reason[v] = f"between {int(low[v])} and {int(high[v])}, below {threshold}"
            result.kind[v] = "threshold"
            result.high[v] = high[v]
            result.high_exact[v] = False
            undecided[v] = False
    if not undecided.any() and not exact_all:
        return result

    # Only the components holding an undecided target need integer programs.
    wanted = np.unique(solver.labels[undecided | (target if exact_all else undecided)])
    variables = np.flatnonzero(np.isin(solver.labels, wanted))

    if base is not None:
        point = np.asarray(base, dtype=float)
        if not solver.feasible_on(point, variables):
            raise InconsistentRelease(
                f"{system.measure}: the true table does not satisfy the published relations "
                "(a measure declared additive that is not, or a wrong hierarchy)"
            )
    else:
        point = solver.solve(variables, np.zeros(len(variables)), exact=True)
        if point is None:
            raise InconsistentRelease(f"{system.measure}: no integer table fits the release")
    seen_low = np.where(np.isnan(point), low, point)
    seen_high = seen_low.copy()

    def settled() -> np.ndarray:
        """Proved safe by the integer tables seen: two values, and a count that can reach
        the threshold or be 0 (then no person need be there)."""
        width = seen_high > seen_low
        if threshold is None:
            return width
        return width & ((seen_high >= threshold) | (seen_low == 0))

    def note(solution):
        nonlocal seen_low, seen_high
        if solution is None:
            return
        known = ~np.isnan(solution)
        seen_low = np.where(known, np.minimum(seen_low, solution), seen_low)
        seen_high = np.where(known, np.maximum(seen_high, solution), seen_high)

    def live_for(targets_mask):
        return np.flatnonzero(np.isin(solver.labels, np.unique(solver.labels[targets_mask])))

    rng = np.random.default_rng(seed)
    if threshold is not None:
        # Counts in one relation compete for its slack: each round lifts those it can, the
        # next round the others, until a round lifts none.
        for _ in range(THRESHOLD_ROUNDS):
            low_count = undecided & (seen_high < threshold) & (seen_low > 0)
            if not low_count.any():
                break
            before = low_count.sum()
            note(
                solver.solve_capped(
                    live_for(low_count), np.flatnonzero(low_count), float(threshold)
                )
            )
            if (undecided & (seen_high < threshold) & (seen_low > 0)).sum() == before:
                break
    for _ in range(WITNESS_ROUNDS):
        for sign in (-1, +1):
            flat = undecided & ~settled()
            if not flat.any():
                break
            live = live_for(flat)
            weights = np.where(flat, rng.uniform(1.0, 2.0, n), 0.0)[live]
            note(solver.solve(live, sign * weights, exact=False))
        if not (undecided & ~settled()).any():
            break

    # Exact bounds, one target per component per integer program.
    def exact_pass(needs: np.ndarray, direction: int, exact_flags: np.ndarray, bound):
        pending = needs.copy()
        while pending.any():
            chosen = {}
            for v in np.flatnonzero(pending):
                chosen.setdefault(solver.labels[v], v)
            picked = np.array(sorted(chosen.values()))
            pending[picked] = False
            live = np.flatnonzero(np.isin(solver.labels, solver.labels[picked]))
            objective = np.zeros(n)
            objective[picked] = -direction
            solution = solver.solve(live, objective[live], exact=True)
            if solution is None:
                for v in picked:
                    result.reason[v] = "integer program did not finish: not proved safe"
                    result.kind[v] = "unproved"
                    result.exposed[v] = True
                continue
            note(solution)
            for v in picked:
                bound[v] = solution[v]
                exact_flags[v] = True

    if not prove_exposures:
        for v in np.flatnonzero(undecided & ~settled()):
            result.exposed[v] = True
            low_count = threshold is not None and seen_high[v] < threshold
            result.kind[v] = "threshold" if low_count else "pinned"
            result.reason[v] = "not settled by the witnesses"
        result.integer_programs = solver.calls
        return result

    exact_high = np.zeros(n, dtype=bool)
    exact_low = np.zeros(n, dtype=bool)
    proved_high = np.full(n, np.nan)
    proved_low = np.full(n, np.nan)
    need_high = target.copy() if exact_all else undecided & ~settled()
    exact_pass(need_high, +1, exact_high, proved_high)
    # A count proved below the threshold whose bound is already >= 1 is exposed: its exact
    # minimum changes nothing. The others need it: flat so far, or perhaps 0.
    below = np.zeros(n, dtype=bool) if threshold is None else exact_high & (seen_high < threshold)
    need_low = (
        target.copy()
        if exact_all
        else undecided & ~settled() & ~result.exposed & ~(below & (low >= 1))
    )
    exact_pass(need_low, -1, exact_low, proved_low)

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
        if seen_high[v] == seen_low[v] and exact_high[v] and exact_low[v]:
            if seen_high[v] == 0:
                continue
            result.exposed[v] = True
            result.reason[v] = f"pinned at {int(seen_low[v])} by the integer program"
            result.kind[v] = "pinned"
        elif threshold is not None and exact_high[v] and seen_high[v] < threshold and minimum >= 1:
            result.exposed[v] = True
            result.reason[v] = f"between {int(minimum)} and {int(seen_high[v])}, below {threshold}"
            result.kind[v] = "threshold"
        elif not (exact_high[v] and exact_low[v]):
            # Neither proved safe nor exposed (an integer program stopped early): not safe.
            result.exposed[v] = True
            result.reason[v] = result.reason[v] or "not proved safe"
            result.kind[v] = result.kind[v] or "unproved"
    result.integer_programs = solver.calls
    return result


def lp_interval(system: System, low: np.ndarray, high: np.ndarray, variable: int):
    """The linear-relaxation interval of one variable (for showing why integers matter)."""
    solver = Solver(system, low, high)
    variables = np.flatnonzero(solver.labels == solver.labels[variable])
    sub = solver.joint_matrix[:, variables]
    rows = np.unique(sub.nonzero()[0])
    rows_global = solver.joint_rows[rows]
    where = int(np.flatnonzero(variables == variable)[0])
    bounds = []
    for sign in (1, -1):
        objective = np.zeros(len(variables))
        objective[where] = sign
        result = milp(
            c=objective,
            constraints=[
                LinearConstraint(
                    sub[rows].tocsr(),
                    system.row_low[rows_global],
                    system.row_high[rows_global],
                )
            ],
            integrality=np.zeros(len(variables)),
            bounds=Bounds(low[variables], np.minimum(high[variables], solver.cap)),
        )
        bounds.append(result.x[where])
    return bounds[0], bounds[1]
