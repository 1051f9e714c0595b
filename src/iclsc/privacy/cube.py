"""What an attacker reads in a release: cells, their values, and the relations between them.

Everything here comes from the table descriptors (the datapackage.json field properties) and
the published rows, never from the warehouse, so that the audit and the protection reason
on exactly the same view (the protection adds the true values of withheld cells beside it).

The cross-table identity convention (docs/privacy.md):
- tables with the same `iclsc:universe` are views of one cube: a column with the same name is
  the same dimension (same codes, same total label), a dimension absent from a table stands
  at its total, a measure with the same name has the same definition;
- two cells of one universe with the same dimension values (absent = total) are one cell;
- `iclsc:parent` nests a dimension in a coarser one (code_rls in code_rss): together they
  form a hierarchy, whose cell key is the path from the top (a row at RLS level carries
  its RSS);
- a dimension that is never at its total and appears in every table of the universe (the
  fiscal year) splits the universe into independent parts: no relation crosses them.

Values are kept as integers in their exact unit: counts as they are, hours (`iclsc:unit`
hours, published with 2 decimals from integer minutes) as minutes, round(hours x 60).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

# A dimension at its total, inside canonical keys.
TOTAL = None


class CubeError(ValueError):
    """The published tables cannot be read as the convention says (names the table and row)."""


@dataclass(frozen=True)
class Dimension:
    name: str
    total: str | None
    parent: str | None


@dataclass(frozen=True)
class Measure:
    name: str
    additive: bool | tuple[str, ...]
    counts: str | None
    kind: str  # "integer" or "number"
    scale: int | None
    unit: str | None
    # At least 1 in every cell that counts a person ("iclsc:nonzero"), so in every withheld
    # cell: the rule withholds 1 to 4 persons and publishes a true zero.
    nonzero: bool = False
    # Dimensions along which the measure is a stock at the end of its window ("iclsc:stock":
    # persons still waiting at the end of the year are those waiting at the end of its last
    # period): the margin equals its last member, and says nothing about the others.
    stock: tuple[str, ...] = ()

    def adds_along(self, dimension: str) -> bool:
        if dimension in self.stock:
            return False
        if self.additive is True:
            return True
        if self.additive is False:
            return False
        return dimension in self.additive

    @property
    def sums_distinct_units(self) -> bool:
        """A count, or a sum over distinct units (minutes of distinct interventions).

        Along a dimension where it does not add, its margin is at least each member (every
        unit of a member is in the margin) and at most their sum (a unit in two members counts
        once in the margin). A measure that neither adds anywhere nor counts (a rate) gives
        the attacker no relation at all.
        """
        return self.counts is not None or self.additive is not False

    def to_units(self, text: str, where: str) -> int:
        if self.kind != "integer" and self.unit != "hours":
            raise CubeError(
                f"{where}: measure {self.name} is a decimal number without an integer "
                'basis; declare "iclsc:unit": "hours" (published from integer minutes) '
                "or publish it as an integer"
            )
        try:
            if self.kind == "integer":
                value = int(text)
            else:
                value = int((Decimal(text) * 60).to_integral_value())
        except (ValueError, InvalidOperation) as error:
            raise CubeError(f"{where}: {self.name} = {text!r} is not a number") from error
        if value < 0:
            raise CubeError(f"{where}: {self.name} = {text!r} is negative")
        return value


def _dimension_list(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(sorted(value))
    raise CubeError(f"{where}: iclsc:stock must be a list of dimensions")


def _additive(value, where: str) -> bool | tuple[str, ...]:
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CubeError(f"{where}: iclsc:additive must be true, false or a list of dimensions")


@dataclass
class Table:
    """One published table: its descriptor and its rows (as published, text)."""

    resource: str
    universe: str
    dimensions: list[Dimension]
    measures: list[Measure]
    suppressed: str
    header: list[str]
    rows: list[list[str]]

    @classmethod
    def from_descriptor(cls, descriptor: dict, rows: list[list[str]], universe=None) -> Table:
        """A table from a datapackage resource descriptor (schema.fields) and its rows."""
        name = descriptor["name"]
        fields = descriptor["schema"]["fields"]
        dimensions, measures, suppressed = [], [], []
        for spec in fields:
            where = f"{name}.{spec['name']}"
            role = spec.get("iclsc:role")
            if role == "dimension":
                dimensions.append(
                    Dimension(spec["name"], spec.get("iclsc:total"), spec.get("iclsc:parent"))
                )
            elif role == "measure":
                if spec.get("type") == "boolean":
                    # A flag (a period closed, a transmission late): no count, no relation.
                    continue
                additive = _additive(spec.get("iclsc:additive"), where)
                counts = spec.get("iclsc:counts")
                if spec.get("iclsc:public") is True or (additive is False and counts is None):
                    # A value from a public reference (a population) tells nothing about
                    # the persons counted; a statistic that neither adds up nor counts
                    # (a median, a rate, a share) is in no linear relation an attacker
                    # could solve. Neither is a target or a constant of the audit.
                    continue
                kind = "integer" if spec.get("type") == "integer" else "number"
                measures.append(
                    Measure(
                        name=spec["name"],
                        additive=additive,
                        counts=counts,
                        kind=kind,
                        scale=None,
                        unit=spec.get("iclsc:unit"),
                        nonzero=spec.get("iclsc:nonzero") is True,
                        stock=_dimension_list(spec.get("iclsc:stock"), where),
                    )
                )
            elif role == "suppressed":
                suppressed.append(spec["name"])
            else:
                raise CubeError(f"{where}: iclsc:role is {role!r}")
        if len(suppressed) != 1:
            raise CubeError(f"{name}: needs exactly one field with iclsc:role suppressed")
        # A resource published before the convention has no universe: it is its own.
        universe = universe or descriptor.get("iclsc:universe") or f"resource:{name}"
        return cls(
            resource=name,
            universe=universe,
            dimensions=dimensions,
            measures=measures,
            suppressed=suppressed[0],
            header=[spec["name"] for spec in fields],
            rows=rows,
        )


@dataclass
class Relation:
    """A margin and its members one level finer along one dimension.

    complete: every member the hierarchy knows under the margin is a cell of the universe
    (a member missing from every table is an unknown, so the relation only bounds).
    """

    margin: int
    members: list[int]
    dimension: str
    complete: bool


@dataclass
class Cube:
    """The cells of one universe, with what the release says about each.

    keys[i]: the canonical key of cell i (universe dimension order, TOTAL for a margin);
    values[measure][i]: the published value in integer units, or None;
    withheld[i]: True when some table withholds the cell;
    published_in[i]: resources that publish it; withheld_in[i]: resources that withhold it;
    rows[(resource, row index)] -> cell; measures_of[i]: measures some table of it carries.
    """

    universe: str
    dimensions: list[Dimension]
    chains: list[list[str]]
    part_dimensions: list[str]
    measures: dict[str, Measure]
    keys: list[tuple] = field(default_factory=list)
    index: dict[tuple, int] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)
    withheld: list[bool] = field(default_factory=list)
    published_in: list[list[str]] = field(default_factory=list)
    withheld_in: list[list[str]] = field(default_factory=list)
    measures_of: list[set] = field(default_factory=list)
    row_cells: dict[str, list[int]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    @property
    def dimension_names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def part_of(self, cell: int) -> tuple:
        key = self.keys[cell]
        return tuple(key[self.dimension_names.index(d)] for d in self.part_dimensions)

    def parts(self) -> dict[tuple, list[int]]:
        grouped: dict[tuple, list[int]] = defaultdict(list)
        for cell in range(len(self.keys)):
            grouped[self.part_of(cell)].append(cell)
        return dict(sorted(grouped.items(), key=lambda item: _sortable(item[0])))

    def is_margin(self, cell: int) -> bool:
        return any(value is TOTAL for value in self.keys[cell])

    def label(self, cell: int) -> str:
        return ", ".join(
            f"{d.name}={'Total' if v is TOTAL else v}"
            for d, v in zip(self.dimensions, self.keys[cell], strict=True)
        )

    def relations(self, cells: list[int]) -> list[Relation]:
        """Every relation among the given cells (one part), margins first, deterministic."""
        names = self.dimension_names
        in_part = set(cells)
        children: dict[tuple, set] = defaultdict(set)  # (chain, level, prefix) -> child codes
        for cell in cells:
            key = self.keys[cell]
            for chain_index, chain in enumerate(self.chains):
                positions = [names.index(d) for d in chain]
                path = [key[p] for p in positions]
                depth = sum(v is not TOTAL for v in path)
                for level in range(depth):
                    children[(chain_index, level, tuple(path[:level]))].add(path[level])
        relations = []
        for cell in sorted(cells, key=lambda c: _sortable(self.keys[c])):
            key = self.keys[cell]
            for chain_index, chain in enumerate(self.chains):
                positions = [names.index(d) for d in chain]
                path = [key[p] for p in positions]
                depth = sum(v is not TOTAL for v in path)
                if depth == len(chain):
                    continue
                codes = children.get((chain_index, depth, tuple(path[:depth])))
                if not codes:
                    continue
                members, complete = [], True
                for code in sorted(codes):
                    member = list(key)
                    member[positions[depth]] = code
                    found = self.index.get(tuple(member))
                    if found is None or found not in in_part:
                        complete = False
                    else:
                        members.append(found)
                if members:
                    relations.append(Relation(cell, members, chain[depth], complete))
        return relations


def _sortable(key: tuple) -> tuple:
    return tuple((0, "") if v is TOTAL else (1, str(v)) for v in key)


def _chains(universe: str, dimensions: list[Dimension]) -> list[list[str]]:
    by_name = {d.name: d for d in dimensions}
    children: dict[str, str] = {}
    for d in dimensions:
        if d.parent is None:
            continue
        if d.parent not in by_name:
            raise CubeError(f"{universe}: {d.name} nests in {d.parent}, which no table has")
        if d.parent in children and children[d.parent] != d.name:
            raise CubeError(f"{universe}: {d.parent} has two finer dimensions")
        children[d.parent] = d.name
    chains = []
    for d in dimensions:
        if d.parent is not None or d.total is None:
            continue
        chain = [d.name]
        while chain[-1] in children:
            chain.append(children[chain[-1]])
        chains.append(chain)
    return chains


def _merge_dimensions(universe: str, tables: list[Table]) -> list[Dimension]:
    merged: dict[str, Dimension] = {}
    for table in tables:
        for d in table.dimensions:
            known = merged.get(d.name)
            if known is None:
                merged[d.name] = d
                continue
            total = known.total if known.total is not None else d.total
            if known.total is not None and d.total is not None and known.total != d.total:
                raise CubeError(f"{universe}: {d.name} has two total labels")
            parent = known.parent or d.parent
            if known.parent and d.parent and known.parent != d.parent:
                raise CubeError(f"{universe}: {d.name} nests in two dimensions")
            merged[d.name] = Dimension(d.name, total, parent)
    return list(merged.values())


def _merge_measures(universe: str, tables: list[Table]) -> dict[str, Measure]:
    """One definition per measure name across the tables of a universe.

    `iclsc:additive` lists the dimensions of its own table along which the measure adds up
    (true: all of them), so each table says something about its own dimensions only: the
    measure adds along a dimension when some table says so, and two tables contradict each
    other when one lists a dimension the other has and does not list.
    """
    merged: dict[str, Measure] = {}
    along: dict[str, set] = defaultdict(set)
    not_along: dict[str, set] = defaultdict(set)
    stock: dict[str, set] = defaultdict(set)
    not_stock: dict[str, set] = defaultdict(set)
    every: dict[str, bool] = {}
    for table in tables:
        # A dimension without a total (the fiscal year) is in no relation.
        names = [d.name for d in table.dimensions if d.total is not None]
        for m in table.measures:
            known = merged.get(m.name)
            if known is not None and (known.counts, known.unit, known.kind, known.nonzero) != (
                m.counts,
                m.unit,
                m.kind,
                m.nonzero,
            ):
                raise CubeError(f"{universe}: measure {m.name} has two definitions")
            merged.setdefault(m.name, m)
            adds = {d for d in names if m.adds_along(d)}
            along[m.name] |= adds
            not_along[m.name] |= set(names) - adds
            stock[m.name] |= set(m.stock) & set(names)
            not_stock[m.name] |= set(names) - set(m.stock)
            every[m.name] = every.get(m.name, True) and m.additive is True and not m.stock
    for name, m in merged.items():
        for what, yes, no in (
            ("adds up", along[name], not_along[name]),
            ("is a stock", stock[name], not_stock[name]),
        ):
            both = yes & no
            if both:
                raise CubeError(
                    f"{universe}: measure {name} {what} along {sorted(both)} in one table "
                    "and not in another"
                )
        additive = True if every[name] else tuple(sorted(along[name])) or False
        merged[name] = replace(m, additive=additive, stock=tuple(sorted(stock[name])))
    return merged


def build_cubes(tables: list[Table]) -> dict[str, Cube]:
    """One cube per universe, from every table of the release (sorted by resource)."""
    by_universe: dict[str, list[Table]] = defaultdict(list)
    for table in sorted(tables, key=lambda t: t.resource):
        by_universe[table.universe].append(table)
    return {u: _build_cube(u, ts) for u, ts in sorted(by_universe.items())}


def _build_cube(universe: str, tables: list[Table]) -> Cube:
    dimensions = _merge_dimensions(universe, tables)
    names = [d.name for d in dimensions]
    totals = {d.name: d.total for d in dimensions}
    parent_of = {d.name: d.parent for d in dimensions if d.parent}
    in_every_table = {n for n in names if all(n in [d.name for d in t.dimensions] for t in tables)}
    never_total = {d.name for d in dimensions if d.total is None}
    part_dimensions = [n for n in names if n in never_total and n in in_every_table]
    for n in names:
        if n in never_total and n not in in_every_table:
            raise CubeError(
                f"{universe}: {n} has no total label but some table lacks it; give it "
                "iclsc:total so that its absence can mean the total"
            )
    chains = _chains(universe, dimensions)
    cube = Cube(universe, dimensions, chains, part_dimensions, _merge_measures(universe, tables))
    for m in cube.measures:
        cube.values[m] = []

    # Codes of a coarser level, learned from the tables that carry both levels.
    parent_code: dict[tuple[str, str], str] = {}
    for table in tables:
        columns = {n: table.header.index(n) for n in names if n in table.header}
        for row in table.rows:
            for child, parent in parent_of.items():
                if child in columns and parent in columns:
                    code, up = row[columns[child]], row[columns[parent]]
                    if code != totals[child]:
                        parent_code[(child, code)] = up

    for table in tables:
        columns = {n: table.header.index(n) for n in names if n in table.header}
        suppressed_at = table.header.index(table.suppressed)
        measure_at = {m.name: table.header.index(m.name) for m in table.measures}
        cells_of_rows = []
        for row_number, row in enumerate(table.rows, start=2):
            where = f"{table.resource} row {row_number}"
            key = []
            for n in names:
                if n not in columns:
                    key.append(TOTAL)
                    continue
                value = row[columns[n]]
                key.append(TOTAL if totals[n] is not None and value == totals[n] else value)
            key = _fill_parents(key, names, parent_of, parent_code, where)
            _check_path(key, names, chains, where)
            key = tuple(key)
            flag = row[suppressed_at]
            if flag not in ("true", "false"):
                raise CubeError(f"{where}: {table.suppressed} is {flag!r}, not true or false")
            is_withheld = flag == "true"
            cell = cube.index.get(key)
            if cell is None:
                cell = len(cube.keys)
                cube.index[key] = cell
                cube.keys.append(key)
                for m in cube.measures:
                    cube.values[m].append(None)
                cube.withheld.append(False)
                cube.published_in.append([])
                cube.withheld_in.append([])
                cube.measures_of.append(set())
            cells_of_rows.append(cell)
            cube.measures_of[cell].update(measure_at)
            if is_withheld:
                cube.withheld[cell] = True
                cube.withheld_in[cell].append(table.resource)
                for m, at in measure_at.items():
                    if row[at] != "":
                        raise CubeError(f"{where}: withheld row shows {m}")
                continue
            cube.published_in[cell].append(table.resource)
            for m, at in measure_at.items():
                if row[at] == "":
                    raise CubeError(f"{where}: published row lacks {m}")
                value = cube.measures[m].to_units(row[at], where)
                known = cube.values[m][cell]
                if known is not None and known != value:
                    cube.conflicts.append(
                        f"{cube.label(cell)}: {m} published as two values in two tables"
                    )
                cube.values[m][cell] = value
        cube.row_cells[table.resource] = cells_of_rows
    return cube


def _fill_parents(key, names, parent_of, parent_code, where):
    """A row at a fine level of a hierarchy whose table lacks the coarser column."""
    key = list(key)
    changed = True
    while changed:
        changed = False
        for child, parent in parent_of.items():
            c, p = names.index(child), names.index(parent)
            if key[c] is not TOTAL and key[p] is TOTAL:
                up = parent_code.get((child, key[c]))
                if up is None:
                    raise CubeError(
                        f"{where}: {child} {key[c]} nests in {parent}, but no table of the "
                        f"universe gives its {parent}"
                    )
                key[p] = up
                changed = True
    return key


def _check_path(key, names, chains, where):
    for chain in chains:
        path = [key[names.index(d)] for d in chain]
        depth = sum(v is not TOTAL for v in path)
        if any(v is TOTAL for v in path[:depth]):
            raise CubeError(f"{where}: {chain} holds a detail under a total")
