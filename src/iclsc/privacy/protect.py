"""Complementary suppression that the audit cannot break (docs/privacy.md).

Starts from the pattern the dbt exports publish (the primary rule and the SQL line rule,
the same on every engine), one universe part (period) at a time. First, where a line (a
margin and its members) holds a lone withheld cell and the part is small enough, the
cheapest complements that close every line, chosen jointly by one integer program (line
closure: loops of withheld cells, as a hypercube forms, rather than a chain of complements
chosen relation by relation). Then it only adds suppressions, in passes repeated to a fixed
point:

1. relation rules (cheap): in every relation whose margin is published and whose measure
   adds up, the withheld members are at least two, and each one's upper bound (the sum
   withheld minus 1 for each other withheld cell) is not below the threshold;
2. cells must not protect each other: where every withheld member of such a relation fails
   the rule alone, their union, recounted on the microdata, must pass it;
3. the audit itself, with the true table as a known solution: every exposed cell gets the
   cheapest set of published cells whose suppression lets it move (an integer program over
   its neighbourhood, all relations, equalities and inequalities: a move that satisfies
   them all is a table the audit cannot rule out);
4. insiders: a provider of a withheld cell with 1 or 2 providers knows their own share of
   every such cell (the whole cell where they are alone); with that knowledge, no other
   withheld cell may be exposed; repaired like 3 with the insider's knowledge.

Last, re-publication: every complement added here is published again, most informative
first, where the audit, the insiders and the unions still find nothing around it
(`Part.republish`). The line closure is tried without insiders, with the insiders' own
cells, with their shares too (small members reaching the threshold within their lines), and
not at all; the smallest final pattern is kept (`protect_part`).

Cheapest: a non-margin before a margin, then few persons, then the cell key (a total
order: the same input gives the same pattern, on every engine, since every input is
read and formatted here). A rule choosing one complement in a relation prefers, before
cost, the cell that leaves the fewest other relations with a lone withheld cell. A
published zero is never withheld (it is known anyway), nor is a cell an earlier release
of the same period already published.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint
from scipy.sparse import csr_matrix, hstack

from iclsc.privacy.certify import certify, milp
from iclsc.privacy.cube import TOTAL, Cube, Table
from iclsc.privacy.recount import Recounter
from iclsc.privacy.system import binding_rows, build_system, propagate

MAX_ROUNDS = 60
# Line closure (close_lines): an integer program over the part's publishable cells, only
# where they are at most this many; branch-and-bound nodes it may spend.
LINE_CELLS = 5000
LINE_NODES = 2000
# Re-publication audits the part once per complement, so only in parts of at most this many
# cells (on the tiny sample, a part of 71,500 cells took over 7 minutes for 50 complements).
REPUBLISH_CELLS = 20000
# Integer programs after which re-publication tries no further complement of a part; those
# left untried stay withheld (safe: re-publication only ever takes cells back). Counted,
# not timed, so that the same input gives the same pattern on any machine.
REPUBLISH_PROGRAMS = 2000
# A start of the protection (protect_part) whose pattern before re-publication withholds
# more than this times the best final pattern's cells is abandoned there.
ABANDON_RATIO = 1.25
# Above this many exposed cells in a round, repair in bulk (bulk_repair) rather than by moves.
BULK_LIMIT = 40
# Times a far-reaching exposure may be answered with its relaxed move's cells before the
# whole part is searched for an integer move.
RELAXED_ATTEMPTS = 3
# Branch-and-bound nodes of one complement search (a move); a safety net in seconds. Work
# is bounded by nodes and counts, not time, so the same input gives the same pattern.
MOVE_NODES = 500
MOVE_TIME_LIMIT = 120.0
# Complement searches per part; beyond, exposed cells are repaired by escalation.
MOVE_BUDGET = 40
# Witness rounds for the cells an insider's knowledge bears on.
INSIDER_ROUNDS = 3
# Insiders audited together as one coalition (see Part._insiders_certified).
INSIDER_BATCH = 64
# Rounds of the final audit (the publication's own, on the whole release) and repair.
FINAL_ROUNDS = 6
# Aggregates a provider knows of their own share, by name of the true-count column.
SHARE_OF = {"persons": "persons", "interventions": "interventions", "minutes": "minutes"}


class ConstraintRows:
    """Rows of a sparse linear constraint, added one at a time: (column, coefficient)
    entries with a lower and an upper bound."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.low: list[float] = []
        self.high: list[float] = []

    def __len__(self) -> int:
        return len(self.low)

    def add(self, entries, low: float, high: float = np.inf) -> None:
        r = len(self.low)
        for column, value in entries:
            self.rows.append(r)
            self.cols.append(column)
            self.vals.append(value)
        self.low.append(low)
        self.high.append(high)

    def constraint(self, columns: int) -> LinearConstraint:
        matrix = csr_matrix((self.vals, (self.rows, self.cols)), shape=(len(self), columns))
        return LinearConstraint(
            matrix, np.array(self.low, dtype=float), np.array(self.high, dtype=float)
        )


class ProtectionError(RuntimeError):
    pass


@dataclass
class Truth:
    """True counts of every cell of one cube, in integer units (-1: not known)."""

    values: dict[str, np.ndarray]  # measure -> per cell
    columns: dict[str, str]  # measure -> its true-count column (persons, minutes, ...)
    persons: np.ndarray
    providers: np.ndarray


@dataclass
class Exposure:
    measure: str
    cell: int
    kind: str  # pinned, threshold or unproved
    attacker: str | None = None


@dataclass
class PartReport:
    universe: str
    part: tuple
    cells: int
    withheld_before: int
    added: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rounds: int = 0
    integer_programs: int = 0
    attackers: int = 0
    republished: int = 0
    # Complements re-publication did not try: its budget of integer programs was spent.
    untried: int = 0
    republish_programs: int = 0


class Part:
    """One period of one universe, with its true counts: the unit of protection."""

    def __init__(
        self,
        cube: Cube,
        part: tuple,
        cells: list[int],
        truth: Truth,
        settings: dict,
        earlier: dict[str, dict[int, int]],
        recounter: Recounter | None,
    ):
        self.cube = cube
        self.cells = sorted(cells, key=lambda c: _sortable(cube.keys[c]))
        self.col = {c: i for i, c in enumerate(self.cells)}
        self.truth = truth
        self.settings = settings
        self.recounter = recounter
        self.relations = cube.relations(self.cells)
        self.measures = list(cube.measures)
        self.min_persons = int(settings["min_persons"])
        self.min_providers = int(settings["min_providers"])
        idx = np.array(self.cells)
        self.persons = truth.persons[idx]
        self.providers = truth.providers[idx]
        self.x = {m: truth.values[m][idx] for m in self.measures}
        self.margin = np.array([cube.is_margin(c) for c in self.cells])
        self.primary = ((self.persons >= 1) & (self.persons < self.min_persons)) | (
            (self.persons >= 1) & (self.providers < self.min_providers)
        )
        self.zero = self.persons == 0
        # Cells published by an earlier release with today's values: public already.
        self.known = {m: {} for m in self.measures}
        for m in self.measures:
            for c, v in earlier.get(m, {}).items():
                if c in self.col and self.x[m][self.col[c]] == v:
                    self.known[m][c] = v
        self.known_cells = {c for by in self.known.values() for c in by}
        base_cost = 1.0 + 3.0 * self.margin + np.log10(1.0 + self.persons)
        # Ties go to the cell key (cells are in key order): a total order.
        rank = np.empty(len(self.cells))
        rank[np.lexsort((np.arange(len(self.cells)), base_cost))] = np.arange(len(self.cells))
        self.cost = base_cost + rank / (10.0 * len(self.cells) + 1)
        self.report = PartReport(cube.universe, part, len(self.cells), self.withheld_count())
        primary_published = [
            cube.label(c)
            for c, p in zip(self.cells, self.primary, strict=True)
            if p and not cube.withheld[c]
        ]
        if primary_published:
            raise ProtectionError(
                f"the exports publish {len(primary_published)} cell(s) that fail the primary "
                f"rule, e.g. {primary_published[0]}"
            )
        self.structural = {
            m: build_system(cube, self.cells, self.relations, m, settings, structural=True)
            for m in self.measures
        }
        self.log = None
        self.last_repair = (0, 0)
        self.moves_left = MOVE_BUDGET
        self.relaxed_attempts: dict[tuple, int] = defaultdict(int)
        self.union_cache: dict[frozenset, tuple[int, int]] = {}
        # (measure, insider or None) -> cells a round's audit proved safe: they stay safe,
        # since the protection only withholds more (see `public_exposures`).
        self.proved_safe: dict[tuple[str, str | None], set[int]] = defaultdict(set)
        self.shares: dict[str, dict[int, object]] | None = None
        # Cells this protection withheld: cell -> (reason, published values before).
        self.complements: dict[int, tuple[str, dict]] = {}
        self._relations_of: dict[int, list] | None = None

    # ------------------------------------------------------------------ state

    def withheld_count(self) -> int:
        return sum(self.cube.withheld[c] for c in self.cells)

    def is_withheld(self, c: int) -> bool:
        return self.cube.withheld[c]

    def publishable(self, c: int) -> bool:
        i = self.col[c]
        return not (
            self.cube.withheld[c] or self.zero[i] or self.primary[i] or c in self.known_cells
        )

    def withhold(self, cells, reason: str) -> int:
        added = 0
        for c in cells:
            if self.cube.withheld[c]:
                continue
            self.cube.withheld[c] = True
            self.complements[c] = (reason, {m: self.cube.values[m][c] for m in self.measures})
            for m in self.measures:
                self.cube.values[m][c] = None
            self.report.added[reason] += 1
            added += 1
        return added

    def _set_published(self, c: int, published: bool) -> None:
        """Flips a complement this protection added between withheld and published (with
        the values it had before), outside the report."""
        values = self.complements[c][1]
        self.cube.withheld[c] = not published
        for m in self.measures:
            self.cube.values[m][c] = values[m] if published else None

    def by_cost(self, cells) -> list[int]:
        return sorted(cells, key=lambda c: self.cost[self.col[c]])

    def opens(self, c: int) -> int:
        """Relations that withholding c would leave with c as their only withheld cell:
        each then needs a complement of its own. A complement in relations that already
        hold withheld cells closes a loop instead of starting a chain (the hypercube's
        strength, chosen here relation by relation)."""
        count = 0
        for relation in self.relations_of(c):
            if not relation.complete:
                continue
            if not any(self.cube.measures[m].adds_along(relation.dimension) for m in self.measures):
                continue
            if not any(
                x != c and self.cube.withheld[x] and x not in self.known_cells
                for x in (relation.margin, *relation.members)
            ):
                count += 1
        return count

    def by_choice(self, cells) -> list[int]:
        """Complements in order of preference: fewest relations opened, then cheapest."""
        return sorted(cells, key=lambda c: (self.opens(c), self.cost[self.col[c]]))

    # ------------------------------------------------------------------ 1. relation rules

    def relation_rules(self) -> int:
        total = 0
        while True:
            added = 0
            for relation in self.relations:
                margin = relation.margin
                if not relation.complete or self.is_withheld(margin):
                    continue
                withheld = [
                    c for c in relation.members if self.is_withheld(c) and c not in self.known_cells
                ]
                if not withheld:
                    continue
                for m in self.measures:
                    spec = self.cube.measures[m]
                    if not spec.adds_along(relation.dimension):
                        continue
                    threshold = self.threshold(m)
                    need = max(2, threshold or 0)
                    k = len(withheld)
                    total_withheld = int(sum(self.x[m][self.col[c]] for c in withheld))
                    if k >= 2 and total_withheld - (k - 1) >= need:
                        continue
                    pick = self.pick_complement(relation, m, total_withheld, k, need)
                    if pick is not None:
                        added += self.withhold([pick], "relation rule")
                    break
            total += added
            if not added:
                return total

    def close_lines(self, insiders: str = "none") -> int:
        """Withholds the cheapest set of publishable cells after which no line holds a lone
        withheld cell: an integer program over the whole part (`LINE_CELLS` at most).

        A line is a relation whose margin is the sum of its members (some measure adds
        along it), margin and members together; a withheld cell alone in its line is its
        margin minus the published rest. Chosen jointly, the complements close loops
        (a rectangle in 2-D, a box in 3-D, or cheaper where the table allows), where
        relation by relation each complement would open lines of its own. Necessary, not
        sufficient: the rules and the audit that follow judge and repair the pattern.

        insiders: "none"; "alone": a provider alone in withheld cells knows them, so in
        their lines every other withheld cell must have a partner besides those (every
        cell of one insider at once); "shares": besides, a small withheld member of a line
        whose margin is published must be able to reach the threshold within the line, for
        the public (each other withheld member may go down to 1) and for every insider of a
        cell with fewer than `min_providers` (who knows that their share is in it: that
        cell goes down to their share only). The relation rules and the insiders' repairs
        check as much after the closure; here the complements they would add one by one
        are chosen jointly.
        Returns the cells added (0 when no line holds a lone cell, or the part is too
        large).
        """
        program = self.closure_program(insiders)
        if program is None:
            return 0
        order, constraint = program
        n = len(order)
        result = milp(
            c=self.cost[[self.col[c] for c in order]],
            constraints=[constraint],
            integrality=np.ones(n),
            bounds=Bounds(np.zeros(n), np.ones(n)),
            options={"node_limit": LINE_NODES, "time_limit": MOVE_TIME_LIMIT},
        )
        if result.x is None:
            return 0
        chosen = [order[i] for i in np.flatnonzero(np.round(result.x) > 0)]
        return self.withhold(self.by_cost(chosen), "line closure")

    def closure_program(self, insiders: str, limit: int | None = LINE_CELLS):
        """The line closure's constraints (see `close_lines`): (publishable cells in key
        order, one binary each: withheld or not; their LinearConstraint), or None when no
        line holds a lone withheld cell or the part has more than `limit` publishable
        cells. Every constraint holds in every pattern that the audit and the insiders'
        checks pass (a lone cell is pinned; a member that cannot reach the threshold within
        its line is below it), so the least number of cells satisfying them is a lower
        bound on what any such pattern withholds (`iclsc.privacy.bench`)."""
        order = [c for c in self.cells if self.publishable(c)]
        if not order or (limit is not None and len(order) > limit):
            return None
        lines = [
            relation
            for relation in self.relations
            if relation.complete
            and any(self.cube.measures[m].adds_along(relation.dimension) for m in self.measures)
        ]
        withheld = {c for c in self.cells if self.is_withheld(c) and c not in self.known_cells}
        if not any(sum(c in withheld for c in (r.margin, *r.members)) == 1 for r in lines):
            return None
        floors = self.insiders_floors(insiders, withheld)
        known_by = [
            frozenset(c for c in view if self.providers[self.col[c]] == 1) for view in floors
        ]
        var = {c: i for i, c in enumerate(order)}
        constraints = ConstraintRows()
        add = constraints.add

        for relation in lines:
            line = (relation.margin, *relation.members)
            free = [c for c in line if c in var]
            if not free:
                continue
            # What one insider knows of the line: the others must protect each other
            # without it (every insider's cells at once, as they know them all).
            members = set(line)
            views = {frozenset()}
            views.update(cells & members for cells in known_by if not cells.isdisjoint(members))
            for excluded in sorted(views, key=sorted):
                fixed = sum(c in withheld and c not in excluded for c in line)
                for c in line:
                    if c in excluded or (c not in var and c not in withheld):
                        continue
                    others = [(var[o], 1.0) for o in free if o != c]
                    if c in var:
                        add([*others, (var[c], -1.0)], -fixed)
                    else:
                        add(others, 2 - fixed)
            if insiders == "shares":
                for entries, low in self._reach_rows(relation, withheld, floors, var):
                    add(entries, low)
        if not constraints:
            return None
        return order, constraints.constraint(len(order))

    def _reach_rows(self, relation, withheld: set[int], floors: list[dict], var: dict):
        """Rows of the line closure (entries, lower bound): each small withheld member of a
        relation whose margin is published reaches the person threshold within it, for the
        public and for each insider (floors: cell -> persons they know to be in it). The
        margin, if chosen, frees the line. A row no choice can satisfy is left out: the
        repairs deal with it."""
        threshold = self.min_persons
        margin = relation.margin
        if margin in withheld or not any(
            self.cube.measures[m].counts == "persons"
            and self.cube.measures[m].adds_along(relation.dimension)
            for m in self.measures
        ):
            return
        held = [c for c in relation.members if c in withheld]
        free = [c for c in relation.members if c in var]
        for c in held:
            need = threshold - int(self.persons[self.col[c]])
            if need <= 0:
                continue
            for view in [{}, *(v for v in floors if any(o in v for o in held))]:
                if c in view and self.providers[self.col[c]] == 1:
                    continue  # their own cell: nothing to learn
                room = sum(
                    int(self.persons[self.col[o]]) - max(1, view.get(o, 1)) for o in held if o != c
                )
                if room >= need:
                    continue
                entries = [(var[o], float(self.persons[self.col[o]] - 1)) for o in free]
                if margin in var:
                    entries.append((var[margin], float(need)))
                if sum(value for _, value in entries) < need - room:
                    continue
                yield entries, need - room

    def insiders_floors(self, insiders: str, withheld: set[int]) -> list[dict]:
        """Per insider, what the line closure counts them as knowing (see `close_lines`):
        withheld cell -> persons of theirs in it; a provider alone in a cell knows it
        whole ("alone"), one of fewer than `min_providers` their share ("shares").
        Without the microdata's shares, each sole-provider cell stands for its own
        insider."""
        if insiders == "none":
            return []
        alone = {c for c in withheld if self.providers[self.col[c]] == 1}
        few = {c for c in withheld if 1 <= self.providers[self.col[c]] < self.min_providers}
        if self.recounter is None:
            return [{c: int(self.persons[self.col[c]])} for c in sorted(alone)]
        if self.shares is None:
            self.load_shares()
        views = []
        for provider in sorted(self.shares):
            view = {}
            for c, share in self.shares[provider].items():
                if c in alone:
                    view[c] = int(self.persons[self.col[c]])
                elif insiders == "shares" and c in few:
                    view[c] = int(share.persons)
            if view:
                views.append(view)
        return views

    def pick_complement(self, relation, m, total_withheld, k, need) -> int | None:
        candidates = self.by_choice([c for c in relation.members if self.publishable(c)])
        for c in candidates:
            if total_withheld + self.x[m][self.col[c]] - k >= need:
                return c
        if candidates:
            return max(candidates, key=lambda c: (self.x[m][self.col[c]], -self.cost[self.col[c]]))
        if self.publishable(relation.margin):
            return relation.margin
        return None

    def threshold(self, m: str) -> int | None:
        counts = self.cube.measures[m].counts
        if counts == "persons":
            return self.min_persons
        if counts == "providers":
            return self.min_providers
        return None

    def bound_rules(self) -> int:
        """Loosens, in the relation that implies it, every bound that exposes a cell.

        Propagation alone already proves many exposures (a chain of small withheld cells
        whose sums are published): for each, withhold the cheapest publishable cell of the
        binding relation, large enough to lift the bound. Cheap and vectorised; the integer
        audit deals with what remains.
        """
        total = 0
        for _ in range(MAX_ROUNDS):
            added = 0
            for m in self.measures:
                known = {c: v for c, v in self.known[m].items() if self.cube.withheld[c]}
                system = build_system(
                    self.cube, self.cells, self.relations, m, self.settings, known=known
                )
                if not system.target.any():
                    continue
                low, high = propagate(system)
                threshold = system.threshold
                pinned = system.target & (low == high)
                small = (
                    system.target & (high < threshold)
                    if threshold is not None
                    else np.zeros(system.size, dtype=bool)
                )
                if not (pinned | small).any():
                    continue
                upper, lower = binding_rows(system, low, high)
                done_rows = set()
                for v in np.flatnonzero(pinned | small):
                    rows = set(upper[v]) | (set(lower[v]) if pinned[v] else set())
                    need = (threshold - high[v] + 1) if small[v] else 1
                    for r in sorted(rows - done_rows):
                        done_rows.add(r)
                        pick = self.pick_in_row(m, system.row_cells[r], need)
                        if pick is not None:
                            added += self.withhold([pick], "bound rule")
            total += added
            if not added:
                return total
        return total

    def pick_in_row(self, m: str, cells: tuple[int, ...], need: float) -> int | None:
        """The cheapest publishable cell of a relation: withholding it lifts the bound of
        the others by its value minus 1, so at least need + 1 if one is that large."""
        options = self.by_choice([c for c in cells if self.publishable(c)])
        for c in options:
            if self.x[m][self.col[c]] - 1 >= need:
                return c
        if options:
            return max(options, key=lambda c: (self.x[m][self.col[c]], -self.cost[self.col[c]]))
        return None

    # ------------------------------------------------------------------ 2. unions

    def union_rules(self) -> int:
        if self.recounter is None:
            return 0
        added = 0
        for cells, relations in self.primary_unions(self.relations).items():
            persons, providers = self.union_cache[cells]
            if persons >= self.min_persons and providers >= self.min_providers:
                continue
            relation = relations[0]
            if any(not self.primary[self.col[c]] for c in relation.members if self.is_withheld(c)):
                continue
            options = self.by_cost([c for c in relation.members if self.publishable(c)])
            pick = options[0] if options else None
            if pick is None and self.publishable(relation.margin):
                pick = relation.margin
            if pick is not None:
                added += self.withhold([pick], "union rule")
        return added

    def primary_unions(self, relations) -> dict[frozenset, list]:
        """Withheld members (two or more, every one failing the rule alone) of each given
        relation whose margin is published and along which a measure adds (so their sum is
        derivable) -> those relations, in key order; every union recounted (union_cache)."""
        candidates: dict[frozenset, list] = {}
        for relation in relations:
            if not relation.complete or self.is_withheld(relation.margin):
                continue
            if not any(self.cube.measures[m].adds_along(relation.dimension) for m in self.measures):
                continue
            withheld = [
                c for c in relation.members if self.is_withheld(c) and c not in self.known_cells
            ]
            if len(withheld) < 2 or not all(self.primary[self.col[c]] for c in withheld):
                continue
            candidates.setdefault(frozenset(withheld), []).append(relation)
        missing = sorted((s for s in candidates if s not in self.union_cache), key=sorted)
        if missing:
            ids = {f"u{i}": s for i, s in enumerate(missing)}
            wanted = {
                set_id: [self.cube.keys[c] for c in sorted(cells)] for set_id, cells in ids.items()
            }
            for set_id, counts in self.recounter.unions(wanted).items():
                self.union_cache[ids[set_id]] = counts
        return dict(sorted(candidates.items(), key=lambda item: sorted(item[0])))

    # ------------------------------------------------------------------ 3. audit

    def systems(self):
        for m in self.measures:
            known = {c: v for c, v in self.known[m].items() if self.cube.withheld[c]}
            system = build_system(
                self.cube, self.cells, self.relations, m, self.settings, known=known
            )
            if not system.target.any():
                continue
            base = self.truth.values[m][system.cells].astype(float)
            if np.any(base < 0):
                base = None
            yield m, system, base

    def public_exposures(self) -> tuple[list[Exposure], dict]:
        """The audit of the part, with the true table as a known solution, of the cells no
        earlier round proved safe.

        A cell proved safe stays safe while the protection only withholds more: a published
        cell that becomes a variable keeps its value in every table the audit admitted
        before (the propagated bounds of the new system hold the old ones with that cell at
        its value, every row holding at the true table), so the integer tables that proved
        an interval wide, or reaching the threshold, remain tables of the new system. So a
        round audits the cells withheld since, and those still exposed: the work of a round
        follows what it changed. The publication's final audit checks everything afresh.
        """
        exposures, state = [], {}
        for m, system, base in self.systems():
            low, high = propagate(system)
            state[m] = (system, low, high, base)
            found = self._certified(system, low, high, base, (m, None), system.target)
            exposures += [Exposure(m, cell, kind) for cell, kind in found]
        return exposures, state

    def _certified(self, system, low, high, base, memo, targets, rounds=None):
        """certify over the targets not yet proved safe; remembers those it proves safe.
        Returns (cell, kind) of every exposed target."""
        safe = self.proved_safe[memo]
        open_targets = targets & ~np.isin(system.cells, np.fromiter(safe, np.int64, len(safe)))
        if not open_targets.any():
            return []
        options = {} if rounds is None else {"rounds": rounds}
        intervals = certify(system, low, high, base=base, targets=open_targets, **options)
        self.report.integer_programs += intervals.integer_programs
        safe.update(int(c) for c in system.cells[open_targets & ~intervals.exposed])
        return [(int(system.cells[v]), intervals.kind[v]) for v in intervals.exposed_variables()]

    # ------------------------------------------------------------------ 4. insiders

    def load_shares(self):
        """Each provider's share of every withheld cell with 1 or 2 providers."""
        self.shares = {}
        if self.recounter is None:
            return
        if not any(self.truth.columns.get(m) in SHARE_OF for m in self.measures):
            return  # no measure a provider knows a share of (requests, waiting persons)
        few = [
            c
            for c in self.cells
            if self.is_withheld(c) and 1 <= self.providers[self.col[c]] < self.min_providers
        ]
        if not few:
            return
        by_cell = self.recounter.shares({str(c): self.cube.keys[c] for c in few})
        for cell_id, shares in by_cell.items():
            for share in shares:
                self.shares.setdefault(share.provider, {})[int(cell_id)] = share

    def knowledge(self, attacker: str, m: str) -> dict[int, tuple[float, float]]:
        """cell -> (low, high) the attacker knows of measure m (their own shares)."""
        column = self.truth.columns.get(m)
        if column not in SHARE_OF:
            return {}
        known = {}
        for c, share in self.shares.get(attacker, {}).items():
            i = self.col[c]
            if self.providers[i] == 1:
                known[c] = (float(self.x[m][i]), float(self.x[m][i]))
            else:
                known[c] = (float(max(1, getattr(share, SHARE_OF[column]))), math.inf)
        return known

    def insider_exposures(self, state: dict) -> list[Exposure]:
        if self.shares is None:
            self.load_shares()
        attackers = sorted(self.shares)
        self.report.attackers = len(attackers)
        exposures = []
        for m, (system, low_public, high_public, base) in state.items():
            if base is None:
                continue
            variable = {int(c): v for v, c in enumerate(system.cells)}
            joint = system.matrix[system.joint]
            views = []
            for attacker in attackers:
                known = self.knowledge(attacker, m)
                if not known:
                    continue
                # From the public fixed point (valid for every table, so for the insider's
                # too): only the relations of their own cells have anything new to imply.
                low, high, own = _with_knowledge(low_public, high_public, known, variable)
                moved = (low != low_public) | (high != high_public)
                low, high = propagate(system, low, high, changed=moved)
                # The cells the insider's knowledge moves a bound of: a few witness rounds
                # each (the public audit already settled them without it). Their knowledge
                # only grows as more is withheld (their newly withheld cells are known at
                # their value, which every table they admitted had): a cell proved safe
                # against them stays safe.
                moved = (low != low_public) | (high != high_public)
                safe = self.proved_safe[(m, attacker)]
                targets = (
                    system.target
                    & moved
                    & ~own
                    & ~np.isin(system.cells, np.fromiter(safe, np.int64, len(safe)))
                )
                if targets.any():
                    views.append((attacker, low, high, targets, moved))
            for batch in _batches(views, joint):
                exposures += self._insiders_certified(m, system, base, batch)
        return exposures

    def _insiders_certified(self, m, system, base, batch) -> list[Exposure]:
        """Insiders whose knowledge bears on separate cells, audited together as one
        coalition (one set of integer programs instead of one per insider): the coalition
        knows what each of them knows, so a cell it cannot pin, nor bound below the
        threshold, is safe against each of them alone. A cell it exposes is audited again
        against the insider alone (their verdict, their repair)."""
        if len(batch) == 1:
            attacker, low, high, targets, _ = batch[0]
            found = self._certified(system, low, high, base, (m, attacker), targets, INSIDER_ROUNDS)
            return [Exposure(m, cell, kind, attacker) for cell, kind in found]
        low = np.maximum.reduce([view[1] for view in batch])
        high = np.minimum.reduce([view[2] for view in batch])
        targets = np.logical_or.reduce([view[3] for view in batch])
        intervals = certify(system, low, high, base=base, targets=targets, rounds=INSIDER_ROUNDS)
        self.report.integer_programs += intervals.integer_programs
        exposures = []
        for attacker, own_low, own_high, own_targets, _ in batch:
            self.proved_safe[(m, attacker)].update(
                int(c) for c in system.cells[own_targets & ~intervals.exposed]
            )
            again = own_targets & intervals.exposed
            if again.any():
                found = self._certified(
                    system, own_low, own_high, base, (m, attacker), again, INSIDER_ROUNDS
                )
                exposures += [Exposure(m, cell, kind, attacker) for cell, kind in found]
        return exposures

    # ------------------------------------------------------------------ repair

    def repair(self, exposures: list[Exposure], reason: str, effort: int) -> tuple[int, int]:
        """Withholds what the exposed cells need; returns (cells added, exposures unsolved).

        Cheap searches first: a cell that needs a far-reaching move often stops being exposed
        once its neighbours are protected (more withheld cells only widen intervals), so
        costly searches (effort 1, 2) wait until a round can add nothing else.
        """
        moves: dict[tuple, list[np.ndarray]] = defaultdict(list)
        added = unsolved = 0
        for exposure in sorted(exposures, key=lambda e: (e.attacker or "", e.measure, e.cell)):
            key = (exposure.measure, exposure.attacker)
            t = self.col[exposure.cell]
            threshold = self.threshold(exposure.measure)
            x_t = self.x[exposure.measure][t]
            if any(
                move[t] != 0 and (exposure.kind != "threshold" or x_t + move[t] >= (threshold or 0))
                for move in moves[key]
            ):
                continue
            knowledge = (
                self.knowledge(exposure.attacker, exposure.measure) if exposure.attacker else {}
            )
            found = self.find_move(exposure, knowledge, effort)
            if found is None:
                unsolved += 1
                continue
            move, chosen = found
            moves[key].append(move)
            added += self.withhold(chosen, reason)
        return added, unsolved

    def bulk_repair(self, exposures: list[Exposure], reason: str) -> int:
        """Many exposed cells at once: each gets the cheapest publishable cell of one of its
        relations (large enough to lift a small count to the threshold). Coarser than a
        move, but one pass serves hundreds of cells; the next audit round judges, and the
        moves take over once few cells are left."""
        added = 0
        for exposure in sorted(exposures, key=lambda e: (e.attacker or "", e.measure, e.cell)):
            m = exposure.measure
            structural = self.structural[m]
            t = self.col[exposure.cell]
            x_t = self.x[m][t]
            threshold = self.threshold(m)
            need = max(1, (threshold or 0) - x_t) if exposure.kind == "threshold" else 1
            column = structural.matrix[:, [t]].tocoo()
            best = None
            for r in column.row:
                if not structural.joint[r]:
                    continue
                cells = structural.row_cells[r]
                if any(
                    self.cube.withheld[c] and c != exposure.cell and self.x[m][self.col[c]] > need
                    for c in cells
                ):
                    continue
                pick = self.pick_in_row(m, cells, need)
                if pick is not None and (best is None or self.cost[self.col[pick]] < best[0]):
                    best = (self.cost[self.col[pick]], pick)
            if best is None:
                for r in column.row:
                    pick = self.pick_in_row(m, structural.row_cells[r], need)
                    if pick is not None and (best is None or self.cost[self.col[pick]] < best[0]):
                        best = (self.cost[self.col[pick]], pick)
            if best is not None:
                added += self.withhold([best[1]], reason)
        return added

    def movable(self) -> np.ndarray:
        """Cells a move may change: withheld ones, and published ones it would withhold."""
        return np.array(
            [
                (self.cube.withheld[c] and c not in self.known_cells) or self.publishable(c)
                for c in self.cells
            ]
        )

    def find_move(self, exposure: Exposure, knowledge, effort: int = 2):
        if self.moves_left <= 0:
            return None
        self.moves_left -= 1
        return self._find_move(exposure, knowledge, effort)

    def _find_move(self, exposure: Exposure, knowledge, effort: int = 2):
        """The cheapest published cells whose suppression lets the exposed cell move.

        A move d (the table x + d) certifies the cell when the audit of the new pattern
        cannot rule x + d out: the equalities hold, every withheld cell stays >= 1 (and
        within an insider's knowledge), and the box spanned by x and x + d supports itself
        under every inequality row (docs/privacy.md, "why a move is a proof"). Searched in
        growing neighbourhoods of the cell, through cells that can move.
        """
        m = exposure.measure
        structural = self.structural[m]
        x = self.x[m].astype(float)
        t = self.col[exposure.cell]
        threshold = self.threshold(m)
        if exposure.kind == "threshold" and threshold is not None and x[t] < threshold:
            directions = [(1, int(threshold - x[t]))]
        else:
            directions = [(1, 1), (-1, 1)]
        movable = self.movable()
        movable[t] = True
        graph = structural.matrix[:, np.flatnonzero(movable)]
        graph_csc = graph.tocsc()
        start = int(np.flatnonzero(np.flatnonzero(movable) == t)[0])
        movable_cells = np.flatnonzero(movable)
        regions = [movable_cells[_neighbourhood(graph, graph_csc, start, r)] for r in (2, 3)]
        for region in regions:
            found = self._try_region(m, x, region, t, directions, knowledge)
            if found is not None:
                return found
        if effort == 0:
            return None
        # Far-reaching moves (a tiny margin whose persons must be matched at every level):
        # a linear relaxation over every movable cell shows where the move lives.
        support = self._relaxed_support(m, x, movable_cells, t, directions, knowledge)
        if support is not None:
            local_support = np.flatnonzero(np.isin(movable_cells, support))
            for hops in (1, 2):
                reached = _neighbourhood(graph, graph_csc, local_support, hops)
                found = self._try_region(m, x, movable_cells[reached], t, directions, knowledge)
                if found is not None:
                    return found
            key = (exposure.measure, exposure.cell, exposure.attacker)
            self.relaxed_attempts[key] += 1
            if self.relaxed_attempts[key] <= RELAXED_ATTEMPTS:
                # No integer move near the relaxed one yet: withhold the published cells the
                # relaxed move needs, and let the next audit round judge (it only gains
                # freedom from them). Bounded: then the whole part is searched.
                chosen = [self.cells[i] for i in support if not self.cube.withheld[self.cells[i]]]
                if chosen:
                    return np.zeros(len(self.cells)), chosen
        if effort == 1:
            return None
        # The whole part; None when no move exists there either (escalation follows).
        return self._try_region(m, x, movable_cells, t, directions, knowledge)

    def _try_region(self, m, x, region, t, directions, knowledge):
        for sign, delta in directions:
            found = self._solve_move(m, x, region, t, sign, delta, knowledge)
            if found is not None:
                move = np.zeros(len(self.cells))
                move[region] = found[0]
                return move, found[1]
        return None

    def _relaxed_support(self, m, x, region, t, directions, knowledge):
        """Cells a linear relaxation of the move touches, every relation kept jointly."""
        structural = self.structural[m]
        k = len(region)
        sub = structural.matrix[:, region]
        rows = np.unique(sub.nonzero()[0])
        activity = structural.matrix[rows] @ x
        matrix = hstack([sub[rows], -sub[rows]]).tocsr()
        published = np.array([not self.cube.withheld[self.cells[i]] for i in region])
        cost = np.where(published, self.cost[region], 0.05)
        where = int(np.flatnonzero(region == t)[0])
        for sign, delta in directions:
            low = np.zeros(2 * k)
            high = np.full(2 * k, float(max(2 * delta, 4)))
            floor = np.array([knowledge.get(self.cells[i], (1.0, math.inf))[0] for i in region])
            high[k:] = np.minimum(high[k:], np.maximum(x[region] - floor, 0))
            low[where if sign > 0 else k + where] = delta
            if np.any(low > high):
                continue
            result = milp(
                c=np.concatenate([cost, cost]),
                constraints=[
                    LinearConstraint(
                        matrix,
                        structural.row_low[rows] - activity,
                        structural.row_high[rows] - activity,
                    )
                ],
                integrality=np.zeros(2 * k),
                bounds=Bounds(low, high),
                options={"time_limit": MOVE_TIME_LIMIT},
            )
            if result.x is not None and result.status == 0:
                moved = result.x[:k] + result.x[k:] > 1e-6
                return region[moved]
        return None

    def _solve_move(self, m, x, region, t, sign, delta, knowledge):
        """One integer program: d = plus - minus on the region, the rest stays at x."""
        structural = self.structural[m]
        bound = float(max(2 * delta, 4))
        k = len(region)
        cells = [self.cells[i] for i in region]
        low = np.zeros(k)
        high = np.zeros(k)
        switch = []
        for j, (i, c) in enumerate(zip(region, cells, strict=True)):
            lo, hi = knowledge.get(c, (1.0, math.inf))
            low[j] = max(lo - x[i], -bound)
            high[j] = min(hi - x[i], bound)
            if not self.cube.withheld[c]:
                switch.append(j)
        where = int(np.flatnonzero(region == t)[0])
        if sign > 0:
            low[where] = max(low[where], delta)
        else:
            high[where] = min(high[where], -delta)
        if np.any(low > high):
            return None
        # Variables: plus (k), minus (k), direction (k, binary), withheld (s, binary).
        s = len(switch)
        size = 3 * k + s
        plus, minus, up, chosen = 0, k, 2 * k, 3 * k
        constraints = ConstraintRows()
        add_row = constraints.add

        for j in range(k):
            # plus <= bound * up, minus <= bound * (1 - up): one direction per cell.
            add_row([(plus + j, 1.0), (up + j, -bound)], -np.inf, 0.0)
            add_row([(minus + j, 1.0), (up + j, bound)], -np.inf, bound)
            add_row([(plus + j, 1.0), (minus + j, -1.0)], low[j], high[j])
        for q, j in enumerate(switch):
            # A published cell moves only if it is withheld.
            add_row([(plus + j, 1.0), (minus + j, 1.0), (chosen + q, -bound)], -np.inf, 0.0)

        position = np.full(len(self.cells), -1)
        position[region] = np.arange(k)
        matrix = structural.matrix
        sub = matrix[:, region]
        touched = np.unique(sub.nonzero()[0])
        activity = matrix[touched] @ x
        for r, act in zip(touched, activity, strict=True):
            start, end = matrix.indptr[r], matrix.indptr[r + 1]
            entries = [
                (int(position[col]), float(a))
                for col, a in zip(matrix.indices[start:end], matrix.data[start:end], strict=True)
                if position[col] >= 0
            ]
            lo_slack = structural.row_low[r] - act
            hi_slack = structural.row_high[r] - act
            if structural.joint[r]:
                add_row(
                    [(plus + j, a) for j, a in entries] + [(minus + j, -a) for j, a in entries],
                    lo_slack,
                    hi_slack,
                )
                continue
            # The box spanned by x and x + d supports itself under this inequality: each
            # cell's move, with the others at their least favourable end of the box.
            for j, a in entries:
                own = [(plus + j, a), (minus + j, -a)]
                if np.isfinite(hi_slack):
                    others = [
                        (minus + i, -1.0) if b > 0 else (plus + i, -1.0)
                        for i, b in entries
                        if i != j
                    ]
                    add_row(own + others, -np.inf, hi_slack)
                if np.isfinite(lo_slack):
                    others = [
                        (plus + i, 1.0) if b > 0 else (minus + i, 1.0) for i, b in entries if i != j
                    ]
                    add_row(own + others, lo_slack, np.inf)

        constraint = constraints.constraint(size)
        objective = np.zeros(size)
        for q, j in enumerate(switch):
            objective[chosen + q] = self.cost[region[j]]
        upper = np.concatenate([np.full(2 * k, bound), np.ones(k + s)])
        result = milp(
            c=objective,
            constraints=[constraint],
            integrality=np.ones(size),
            bounds=Bounds(np.zeros(size), upper),
            options={"time_limit": MOVE_TIME_LIMIT, "node_limit": MOVE_NODES},
        )
        if result.x is None or result.status not in (0, 1):
            return None
        solution = np.round(result.x)
        move = solution[plus : plus + k] - solution[minus : minus + k]
        picked = [cells[j] for j in switch if move[j] != 0]
        return move, picked

    # ------------------------------------------------------------------ 5. re-publication

    def republish(self) -> int:
        """Publishes again every complement the pattern turns out not to need.

        The rules and repairs choose complements one relation or one exposure at a time, so
        later complements often make earlier ones redundant (a loop of withheld cells closes
        and the cells that led there are no longer needed). Each complement this protection
        added is tried, most informative first (highest cost: margins, then large counts,
        then the key): published again, it stays published only when every check still
        holds around it (`safe_without`). Publishing a cell only ever narrows what an
        attacker can deduce, so a complement that must stay withheld now would have to later
        as well: one pass in a total order, the same pattern from the same input. Returns
        the cells published again.
        """
        if len(self.cells) > REPUBLISH_CELLS:
            return 0
        candidates = sorted(
            (c for c in self.complements if self.cube.withheld[c]),
            key=lambda c: -self.cost[self.col[c]],
        )
        republished = 0
        spent = self.report.integer_programs
        for tried, c in enumerate(candidates):
            if self.report.integer_programs - spent >= REPUBLISH_PROGRAMS:
                self.report.untried = len(candidates) - tried
                break
            linked = self.linked(c)
            self._set_published(c, True)
            if not self.safe_without(linked):
                self._set_published(c, False)
                continue
            reason = self.complements[c][0]
            self.report.added[reason] -= 1
            if not self.report.added[reason]:
                del self.report.added[reason]
            republished += 1
        self.report.republished += republished
        self.report.republish_programs += self.report.integer_programs - spent
        return republished

    def linked(self, c: int) -> dict[str, np.ndarray]:
        """Per measure, the cells linked to c through relations among cells an attacker does
        not read (withheld, or in no table), c included: publishing c can only change what
        is deducible about these (the rest is an independent part of the system)."""
        out = {}
        for m in self.measures:
            known = self.known[m]
            values = self.cube.values[m]
            unknown = np.array([values[x] is None and x not in known for x in self.cells])
            if not unknown[self.col[c]]:
                continue
            columns = np.flatnonzero(unknown)
            graph = self.structural[m].matrix[:, columns].tocsr()
            start = int(np.searchsorted(columns, self.col[c]))
            reached = _neighbourhood(graph, graph.tocsc(), start, len(columns))
            out[m] = np.array(self.cells)[columns[reached]]
        return out

    def safe_without(self, linked: dict[str, np.ndarray]) -> bool:
        """With the current pattern, every check the loop makes holds on the linked cells:
        the unions of their relations pass the rule, the audit (the true table as a known
        solution) proves every withheld one safe, and so does each insider's knowledge. A
        cell the integer programs cannot settle counts as exposed."""
        if self.recounter is not None:
            cells = sorted({int(c) for found in linked.values() for c in found})
            relations = {id(r): r for c in cells for r in self.relations_of(c)}
            for union in self.primary_unions(list(relations.values())):
                persons, providers = self.union_cache[union]
                if persons < self.min_persons or providers < self.min_providers:
                    return False
        if self.shares is None:
            self.load_shares()
        for m, system, base in self.systems():
            if m not in linked:
                continue
            near = system.target & np.isin(system.cells, linked[m])
            if not near.any():
                continue
            low_public, high_public = propagate(system)
            intervals = certify(system, low_public, high_public, base=base, targets=near)
            self.report.integer_programs += intervals.integer_programs
            if intervals.exposed.any():
                return False
            if base is None:
                continue
            inside = set(linked[m].tolist())
            for attacker in sorted(self.shares):
                known = {c: v for c, v in self.knowledge(attacker, m).items() if c in inside}
                if not known:
                    continue
                variable = {int(c): v for v, c in enumerate(system.cells)}
                low, high, own = _with_knowledge(system.low, system.high, known, variable)
                low, high = propagate(system, low, high)
                # Every linked cell, not only those whose bounds the knowledge moves (the
                # loop's shortcut): re-publishing must not rest on a shortcut.
                targets = near & ~own
                if not targets.any():
                    continue
                intervals = certify(system, low, high, base=base, targets=targets)
                self.report.integer_programs += intervals.integer_programs
                if intervals.exposed.any():
                    return False
        return True

    def relations_of(self, c: int) -> list:
        """The relations c is the margin or a member of."""
        if self._relations_of is None:
            self._relations_of = defaultdict(list)
            for relation in self.relations:
                for cell in (relation.margin, *relation.members):
                    self._relations_of[cell].append(relation)
        return self._relations_of.get(c, [])

    # ------------------------------------------------------------------ loop

    def run(self) -> PartReport:
        """Cheap rules to a fixed point, then the audit's witnesses with the true table as
        a known solution, repaired by moves (bounded by MOVE_BUDGET) and, when moves are
        spent or find nothing, by escalation: every publishable cell of the exposed cell's
        relations. Every round adds cells or ends, so the loop ends."""
        effort = 0
        for round_number in range(1, MAX_ROUNDS + 1):
            self.report.rounds = round_number
            changed = self.relation_rules()
            changed += self.union_rules()
            changed += self.bound_rules()
            if changed:
                continue
            exposures, state = self.public_exposures()
            kind = "audit repair"
            if not exposures or self._all_moved(exposures, kind, effort):
                exposures = self.insider_exposures(state)
                kind = "insider repair"
                if not exposures or self._all_moved(exposures, kind, effort):
                    return self.report
            added, unsolved = self.last_repair
            if added:
                effort = 0
                continue
            if effort < 2 and self.moves_left > 0:
                effort += 1
                continue
            if not self.escalate(exposures, "escalation"):
                raise ProtectionError(
                    f"{self.cube.universe} {self.report.part}: {unsolved} exposed cell(s) "
                    f"no suppression can protect, e.g. {self.describe(exposures[:3])}"
                )
            effort = 0
        raise ProtectionError(
            f"{self.cube.universe} {self.report.part}: no fixed point after {MAX_ROUNDS} rounds"
        )

    def describe(self, exposures: list[Exposure]) -> str:
        """Exposures as an operator reads them (measure, cell, how, by whom)."""
        return "; ".join(
            f"{e.measure} of {self.cube.label(e.cell)} {e.kind}"
            + (f" for the insider {e.attacker}" if e.attacker else "")
            for e in exposures
        )

    def escalate(self, exposures: list[Exposure], reason: str) -> int:
        """Withholds every publishable cell of every relation of each exposed cell; where
        those relations have none left (the bound comes from further away, through a chain
        of withheld cells), the cheapest publishable cell of the relations of those withheld
        cells, ring after ring: one cell per exposure and round, since a ring beyond the
        first holds far more cells than the chain needs. The repair that always progresses
        while any related cell is publishable: at worst the part is withheld whole."""
        added = 0
        for exposure in sorted(exposures, key=lambda e: (e.attacker or "", e.measure, e.cell)):
            structural = self.structural[exposure.measure]
            seen = {exposure.cell}
            ring = {exposure.cell}
            first = True
            while ring:
                columns = [self.col[c] for c in sorted(ring)]
                rows = set(structural.matrix[:, columns].nonzero()[0])
                around = {c for r in rows for c in structural.row_cells[r]} - seen
                cells = self.by_cost(c for c in around if self.publishable(c))
                if cells:
                    added += self.withhold(cells if first else cells[:1], reason)
                    break
                seen |= around
                ring = {c for c in around if self.cube.withheld[c]}
                first = False
        self._log_round(exposures, reason, added, "every relation of each, then ring by ring")
        return added

    def _all_moved(self, exposures: list[Exposure], kind: str, effort: int) -> bool:
        """Repairs the exposures; True when every one was shown safe by a move that needed
        no new suppression (the witnesses had only missed it)."""
        if len(exposures) > BULK_LIMIT and effort == 0:
            added = self.bulk_repair(exposures, kind)
            self.last_repair = (added, len(exposures))
            if added:
                self._log_round(exposures, kind, added, "in bulk")
                return False
        added, unsolved = self.repair(exposures, kind, effort)
        self.last_repair = (added, unsolved)
        self._log_round(exposures, kind, added, f"{unsolved} left, effort {effort}")
        return added == 0 and unsolved == 0

    def _log_round(self, cases, kind, added, detail):
        if self.log:
            count = cases if isinstance(cases, int) else len(cases)
            kinds = "" if isinstance(cases, int) else f" {dict(Counter(e.kind for e in cases))}"
            self.log(
                f"privacy: {self.cube.universe} {self.report.part} round {self.report.rounds}: "
                f"{count} {kind} case(s){kinds}, {added} cell(s) added, {detail}"
            )


def _batches(views, joint) -> list[list]:
    """Insiders' views grouped so that, within a group, the cells whose bounds each one's
    knowledge moves, and the cells one relation away from them, are apart (first fit, in
    the insiders' order, at most INSIDER_BATCH per group): their audits hardly interact,
    so auditing them together rarely exposes what one alone would not."""
    batches: list[tuple[list, np.ndarray]] = []
    by_column = joint.tocsc()
    for view in views:
        moved = np.flatnonzero(view[4])
        rows = np.unique(by_column[:, moved].nonzero()[0])
        near = np.union1d(moved, np.unique(joint[rows].nonzero()[1])) if len(rows) else moved
        for group, used in batches:
            if len(group) < INSIDER_BATCH and not used[near].any():
                group.append(view)
                used[near] = True
                break
        else:
            used = np.zeros(joint.shape[1], dtype=bool)
            used[near] = True
            batches.append(([view], used))
    return [group for group, _ in batches]


def _with_knowledge(low, high, known: dict, variable: dict) -> tuple:
    """The bounds once an insider adds what they know of their own cells (copies), and which
    variables they know exactly."""
    low, high = low.copy(), high.copy()
    own = np.zeros(len(low), dtype=bool)
    for c, (lo, hi) in known.items():
        v = variable.get(c)
        if v is None:
            continue
        low[v], high[v] = max(low[v], lo), min(high[v], hi)
        own[v] = lo == hi
    return low, high, own


def _neighbourhood(matrix, csc, start, radius: int | None) -> np.ndarray:
    """Cells within `radius` relation steps of `start` (every cell when radius is None)."""
    n = matrix.shape[1]
    if radius is None:
        return np.arange(n)
    seen = np.zeros(n, dtype=bool)
    frontier = np.atleast_1d(np.asarray(start))
    seen[frontier] = True
    for _ in range(radius):
        rows = np.unique(csc[:, frontier].nonzero()[0])
        if not len(rows):
            break
        reached = np.unique(matrix[rows].nonzero()[1])
        new = reached[~seen[reached]]
        if not len(new):
            break
        seen[new] = True
        frontier = new
    return np.flatnonzero(seen)


def _sortable(key: tuple) -> tuple:
    return tuple((0, "") if v is TOTAL else (1, str(v)) for v in key)


@dataclass
class ProtectionResult:
    cubes: dict[str, Cube]
    reports: list[PartReport]
    seconds: float
    audits: list[dict] = field(default_factory=list)  # the final audit's rounds

    def withheld_rows(self, tables: list[Table]) -> dict[str, list[int]]:
        """resource -> indices of rows the protection withholds beyond the exports' pattern."""
        added = {}
        for table in tables:
            cube = self.cubes[table.universe]
            at = table.header.index(table.suppressed)
            added[table.resource] = [
                i
                for i, (row, cell) in enumerate(
                    zip(table.rows, cube.row_cells[table.resource], strict=True)
                )
                if cube.withheld[cell] and row[at] != "true"
            ]
        return added


def truth_of(cube: Cube, tables: list[Table], truth_rows: dict[str, list[dict]], measures_column):
    """The true counts of every cell of a cube, from the true rows of its tables.

    truth_rows: resource -> per row, {column: value}; measures_column: resource -> measure ->
    true-count column. Two tables holding one cell must agree on it.
    """
    n = len(cube.keys)
    values = {m: np.full(n, -1, dtype=np.int64) for m in cube.measures}
    persons = np.full(n, -1, dtype=np.int64)
    providers = np.full(n, -1, dtype=np.int64)
    columns = {}
    for table in tables:
        if table.universe != cube.universe:
            continue
        mapping = measures_column[table.resource]
        columns.update(mapping)
        for cell, truth in zip(
            cube.row_cells[table.resource], truth_rows[table.resource], strict=True
        ):
            pairs = [(persons, truth["persons"]), (providers, truth["providers"])]
            pairs += [(values[m], truth[column]) for m, column in mapping.items()]
            for array, value in pairs:
                if array[cell] not in (-1, value):
                    raise ProtectionError(
                        f"{table.resource}: {cube.label(cell)} has other true counts than in "
                        "another table of its universe"
                    )
                array[cell] = value
    if np.any(persons < 0) or np.any(providers < 0):
        raise ProtectionError(f"{cube.universe}: some cells have no true person count")
    return Truth(values, columns, persons, providers)


def published_tables(tables: list[Table], cubes: dict[str, Cube]) -> list[Table]:
    """The tables as the cubes' pattern publishes them: a withheld cell's rows flagged and
    emptied (what the publication will write)."""
    out = []
    for table in tables:
        cube = cubes[table.universe]
        flag = table.header.index(table.suppressed)
        measures = [table.header.index(m.name) for m in table.measures]
        rows = []
        for row, cell in zip(table.rows, cube.row_cells[table.resource], strict=True):
            if cube.withheld[cell] and row[flag] != "true":
                row = list(row)
                row[flag] = "true"
                for at in measures:
                    row[at] = ""
            rows.append(row)
        out.append(replace(table, rows=rows))
    return out


def protect(
    cubes: dict[str, Cube],
    truths: dict[str, Truth],
    recounters: dict[str, Recounter | None],
    earlier: dict[str, dict[str, dict[int, int]]],
    settings: dict,
    log=None,
    tables: list[Table] | None = None,
    history: list[list[Table]] | None = None,
) -> ProtectionResult:
    """Adds suppressions to the cubes' pattern (in place) until the audit and rules hold.

    earlier: universe -> measure -> cell -> value published by an earlier release.
    tables, history: the release's tables and the earlier releases: then the last word is
    the publication's own audit (audit_tables, the same code on the same tables as the
    gate's), repaired and repeated until it finds nothing (FINAL_ROUNDS at most).
    """
    started = time.perf_counter()
    reports = []
    parts: dict[tuple[str, int], Part] = {}
    for universe, cube in cubes.items():
        # A cell withheld by one table is withheld by all: one cell, one value.
        for c in range(len(cube.keys)):
            if cube.withheld[c]:
                for m in cube.measures:
                    cube.values[m][c] = None
        for part, cells in cube.parts().items():
            protector = protect_part(
                cube,
                part,
                cells,
                truths[universe],
                settings,
                earlier.get(universe, {}),
                recounters.get(universe),
                log,
            )
            report = protector.report
            reports.append(report)
            for c in cells:
                parts[(universe, c)] = protector
            if log:
                log(
                    f"privacy: {universe} {part}: {report.withheld_before} withheld by the "
                    f"exports, added {dict(report.added)} in {report.rounds} round(s), "
                    f"{report.republished} complement(s) published again "
                    f"({report.republish_programs} integer programs, {report.untried} untried), "
                    f"{report.attackers} insider(s) checked"
                )
    audits = []
    if tables is not None:
        audits = final_audit(cubes, parts, tables, history or [], settings, log)
    result = ProtectionResult(cubes, reports, time.perf_counter() - started)
    result.audits = audits
    return result


def protect_part(cube, part, cells, truth, settings, earlier, recounter, log) -> Part:
    """Protects one part: line closure, the loop (`Part.run`), then re-publication.

    Where the line closure applies (a line holds a lone withheld cell and the part is small
    enough), four starts are tried: the closure without insiders, with the insiders' own
    cells, with their shares of cells with few providers (`close_lines`), and none (the
    relation rules alone). Which is best depends on the table: an
    insider's knowledge may cost repairs a closure that counts it avoids, or that closure
    may choose margins whose bounds then need many more cells. The pattern with the fewest
    withheld cells is kept, then the cheaper, then the first: the same input gives the
    same pattern. Returns the Part whose pattern the cube holds."""
    start = _pattern(cube, cells)
    best = None
    for closure in ("without insiders", "with insiders", "with shares", "none"):
        if best is not None:
            _restore(cube, start)
        protector = Part(cube, part, cells, truth, settings, earlier, recounter)
        protector.log = log
        mode = {"with insiders": "alone", "with shares": "shares"}.get(closure, "none")
        closed = 0 if closure == "none" else protector.close_lines(mode)
        try:
            protector.run()
        except ProtectionError as error:
            if best is None:
                raise
            if log:
                log(f"privacy: {cube.universe} {part}: start {closure} abandoned: {error}")
            continue
        ran = protector.withheld_count()
        if best is not None and ran > ABANDON_RATIO * best[0][0]:
            # Re-publication, the costly step, takes back a few complements, never this
            # many: the start cannot win.
            if log:
                log(f"privacy: {cube.universe} {part}: line closure {closure}: {ran} cell(s)")
            continue
        protector.republish()
        withheld = [c for c in cells if cube.withheld[c]]
        score = (len(withheld), sum(protector.cost[protector.col[c]] for c in withheld))
        if log and (closed or best is not None):
            log(
                f"privacy: {cube.universe} {part}: line closure {closure}: "
                f"{ran} cell(s) withheld, {score[0]} after re-publication"
            )
        if best is None or score < best[0]:
            best = (score, protector, _pattern(cube, cells))
        if closure == "without insiders" and not closed:
            break
    _restore(cube, best[2])
    return best[1]


def _pattern(cube: Cube, cells: list[int]) -> tuple:
    return (
        {c: cube.withheld[c] for c in cells},
        {m: {c: cube.values[m][c] for c in cells} for m in cube.measures},
    )


def _restore(cube: Cube, pattern: tuple) -> None:
    withheld, values = pattern
    for c, flag in withheld.items():
        cube.withheld[c] = flag
    for m, by_cell in values.items():
        for c, v in by_cell.items():
            cube.values[m][c] = v


def final_audit(cubes, parts, tables, history, settings, log) -> list[dict]:
    """The publication's audit on the pattern, and repairs, until it finds nothing."""
    from iclsc.privacy.audit import audit_tables

    rounds = []
    for number in range(1, FINAL_ROUNDS + 1):
        audited = audit_tables(published_tables(tables, cubes), history, settings)
        exposures = audited.exposures
        rounds.append({"exposed": len(exposures), "seconds": round(audited.seconds, 2)})
        if log:
            log(
                f"privacy: final audit {number}: {len(exposures)} exposure(s) in "
                f"{audited.seconds:.1f} s"
            )
        if not exposures:
            return rounds
        by_part: dict[int, tuple[Part, list[Exposure]]] = {}
        for finding in exposures:
            cube = cubes[finding.universe]
            cell = cube.index.get(finding.key)
            part = parts.get((finding.universe, cell))
            if part is None or not finding.measure:
                raise ProtectionError(f"the audit finds {finding.cell} exposed: {finding.reason}")
            by_part.setdefault(id(part), (part, []))[1].append(
                Exposure(finding.measure, cell, finding.kind or "pinned")
            )
        added = 0
        for part, found in by_part.values():
            proven = [e for e in found if e.kind != "unproved"]
            gained = part.repair(proven, "final audit repair", 1)[0] if proven else 0
            if not gained:
                # An integer program could not settle them, or no move helps: withhold
                # their relations; the audit then has more freedom to find witnesses.
                gained = part.escalate(found, "final audit escalation")
            added += gained
        if not added:
            break
    raise ProtectionError(
        f"the audit still finds {len(exposures)} exposed value(s) after {len(rounds)} "
        f"round(s) of repair, e.g. {exposures[0].cell}: {exposures[0].reason}"
    )
