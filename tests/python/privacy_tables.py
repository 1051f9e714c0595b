"""Hand-made published tables for the privacy tests (not a test module)."""

from __future__ import annotations

from iclsc.privacy.cube import Table

PERSONS = ("nb_usagers", ["code", "age", "sexe", "region", "rls"], "persons")


def table(resource, dimensions, measures, rows, universe="u", kind="integer") -> Table:
    """dimensions: (name, total label or None, parent or None); measures: (name, additive,
    counts or None, unit or None); rows: lists of text as published, the suppressed flag
    right after the dimensions."""
    fields = []
    for name, total, parent in dimensions:
        field = {"name": name, "type": "string", "iclsc:role": "dimension"}
        if total is not None:
            field["iclsc:total"] = total
        if parent is not None:
            field["iclsc:parent"] = parent
        fields.append(field)
    fields.append({"name": "supprime", "type": "boolean", "iclsc:role": "suppressed"})
    for name, additive, counts, unit in measures:
        field = {
            "name": name,
            "type": "number" if unit else kind,
            "iclsc:role": "measure",
            "iclsc:additive": additive,
        }
        if counts:
            field["iclsc:counts"] = counts
        if counts != "providers":
            # Persons, interventions and minutes: at least 1 in a withheld cell.
            field["iclsc:nonzero"] = True
        if unit:
            field["iclsc:unit"] = unit
        fields.append(field)
    descriptor = {"name": resource, "iclsc:universe": universe, "schema": {"fields": fields}}
    return Table.from_descriptor(descriptor, [[str(v) for v in row] for row in rows])


def one_way(values: dict[str, int | None], total: int, name="t") -> Table:
    """A one-dimensional table of distinct persons with its total; None = withheld."""
    rows = [["Total", "false", total]]
    for code, value in values.items():
        rows.append([code, "true" if value is None else "false", "" if value is None else value])
    return table(name, [("code", "Total", None)], [("nb_usagers", True, "persons", None)], rows)
