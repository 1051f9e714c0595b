"""From one establishment's activity to the tables of each of its transmissions.

A transmission carries the requests received and the interventions rendered in its period,
and every user they mention. The latest transmission of a period carries the true rows; an
earlier one that it replaces lacks some late entries and has a few rows it corrects.

`Batch` is the seam for a later fault-injection layer: a hook receives each batch before it
is written and may return a modified one (see pipeline.generate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iclsc.generate import names
from iclsc.generate.activity import TYPE_I, Activity
from iclsc.generate.contract import (
    DEMANDES_COLUMNS,
    INTERVENTION_TYPES,
    INTERVENTIONS_COLUMNS,
    USAGERS_COLUMNS,
)
from iclsc.generate.model import CompiledModel
from iclsc.generate.population import Population, birth_yymmdd
from iclsc.generate.schedule import Transmission
from iclsc.generate.structure import Structure

LATE_ENTRY_SHARE = 0.03  # interventions missing from a transmission that is sent again
CORRECTED_SHARE = 0.01  # individual rows that the later transmission corrects


@dataclass
class Batch:
    transmission: Transmission
    usagers: pa.Table
    demandes: pa.Table
    interventions: pa.Table


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32()).cast(pa.date32())


def _codes(codes) -> pa.Array:
    return pa.array(list(codes), type=pa.string())


class EstablishmentTables:
    """Turns index arrays of one establishment into Arrow tables with the contract's columns."""

    def __init__(
        self,
        activity: Activity,
        model: CompiledModel,
        structure: Structure,
        population: Population,
    ):
        self.activity = activity
        files = population.files
        self.lo = int(files.offsets[activity.establishment])
        hi = int(files.offsets[activity.establishment + 1])
        self.no_dossier = files.no_dossier[self.lo : hi]
        territory_codes = _codes(t.code for t in structure.territories)
        self.users = self._user_columns(population, territory_codes, self.lo, hi)
        self.installation_codes = _codes(i.code for i in structure.installations)
        self.centres = _codes(model.centres)
        self.programmes = _codes(model.programmes)
        self.types = _codes(INTERVENTION_TYPES)
        self.modes = _codes(model.modes)
        self.lieux = _codes(model.lieux)
        self.raisons = _codes(model.raisons)
        self.actes = _codes(model.actes)
        self.categories = _codes(model.categories)
        self.priorities = _codes(model.priorities)

    @staticmethod
    def _user_columns(population: Population, territory_codes: pa.Array, lo: int, hi: int):
        files, persons = population.files, population.persons
        person = files.person[lo:hi]
        female = persons.cell_sex[person] == 0
        first_names = names.FEMALE_FIRST_NAMES + names.MALE_FIRST_NAMES
        first_index = persons.first_name[person] + np.where(
            female, 0, len(names.FEMALE_FIRST_NAMES)
        )
        surname = persons.surname[person]
        yymmdd = birth_yymmdd(persons.birth[person]) + np.where(female, 5000, 0)
        digits = yymmdd.astype(np.int64) * 100 + persons.nam_suffix[person]
        nam = pc.binary_join_element_wise(
            _codes(names.nam_letters(s, 3) for s in names.SURNAMES).take(surname),
            _codes(names.nam_letters(f, 1) for f in first_names).take(first_index),
            pc.utf8_lpad(pc.cast(pa.array(digits), pa.string()), 8, "0"),
            "",
        )
        nam = pc.if_else(pa.array(persons.has_nam[person]), nam, pa.nulls(len(nam), pa.string()))
        ldu = files.ldu[lo:hi].astype(np.int64)
        digit = _codes("0123456789")
        letters = _codes(names.POSTAL_LETTERS)
        postal = pc.binary_join_element_wise(
            _codes(population.fsa_codes).take(files.fsa[lo:hi]),
            pa.array([" "] * (hi - lo), type=pa.string()),
            digit.take(ldu // 200),
            letters.take((ldu // 10) % 20),
            digit.take(ldu % 10),
            "",
        )
        return {
            "no_dossier": pa.array(files.no_dossier[lo:hi]),
            "nam": nam,
            "nom": _codes(names.SURNAMES).take(surname),
            "prenom": _codes(first_names).take(first_index),
            "date_naissance": _dates(persons.birth[person]),
            "sexe": _codes(population.sex_codes).take(persons.sex[person]),
            "code_postal": postal,
            "code_clsc_residence": territory_codes.take(files.territory[lo:hi]),
        }

    def usagers(self, file_rows: np.ndarray) -> pa.Table:
        local = pa.array(np.unique(file_rows) - self.lo)
        return pa.table([self.users[c].take(local) for c in USAGERS_COLUMNS], USAGERS_COLUMNS)

    def demandes(self, index: np.ndarray) -> pa.Table:
        a = self.activity
        columns = [
            pa.array(a.req_no[index]),
            pa.array(self.no_dossier[a.req_file[index] - self.lo]),
            self.installation_codes.take(a.req_installation[index]),
            _dates(a.req_day[index]),
            self.centres.take(a.req_centre[index]),
            self.priorities.take(a.req_priority[index]),
        ]
        return pa.table(columns, DEMANDES_COLUMNS)

    def interventions(self, index: np.ndarray, minutes=None, acte=None) -> pa.Table:
        a = self.activity
        request = a.request[index]
        no_demande = pa.array(
            a.req_no[np.maximum(request, 0)] if a.req_no.shape[0] else np.zeros_like(request),
            mask=request < 0,
        )
        columns = [
            pa.array(a.no[index]),
            pa.array(self.no_dossier[a.file[index] - self.lo]),
            no_demande,
            self.installation_codes.take(a.installation[index]),
            _dates(a.day[index]),
            self.centres.take(a.centre[index]),
            self.programmes.take(a.programme[index]),
            self.types.take(a.type[index]),
            self.modes.take(a.mode[index]),
            self.lieux.take(a.lieu[index]),
            self.raisons.take(a.raison[index]),
            self.actes.take(a.acte[index] if acte is None else acte),
            self.categories.take(a.category[index]),
            pa.array(a.provider[index]),
            pa.array((a.minutes[index] if minutes is None else minutes).astype(np.int64)),
        ]
        return pa.table(columns, INTERVENTIONS_COLUMNS)

    def batch(self, transmission: Transmission, rng: np.random.Generator | None) -> Batch:
        """The transmission's tables; `rng` is needed only for a superseded transmission."""
        a = self.activity
        k = transmission.period_index
        req = np.arange(*np.searchsorted(a.req_period, [k, k + 1]))
        rows = np.arange(*np.searchsorted(a.period, [k, k + 1]))
        minutes = acte = None
        if transmission.superseded:
            rows, minutes, acte = self._earlier_version(rng, rows)
        return Batch(
            transmission=transmission,
            usagers=self.usagers(np.concatenate([a.req_file[req], a.file[rows]])),
            demandes=self.demandes(req),
            interventions=self.interventions(rows, minutes, acte),
        )

    def _earlier_version(self, rng: np.random.Generator, rows: np.ndarray):
        """Rows of a transmission that a later one replaces: late entries are missing (whole
        interventions), a few individual rows differ in duration or act."""
        a = self.activity
        numbers = np.unique(a.no[rows])
        n_late = min(numbers.shape[0], max(1, round(LATE_ENTRY_SHARE * numbers.shape[0])))
        late = rng.choice(numbers, size=n_late, replace=False)
        rows = rows[~np.isin(a.no[rows], late)]
        minutes = a.minutes[rows].astype(np.int64)
        acte = a.acte[rows].copy()
        individual = np.flatnonzero(a.type[rows] == TYPE_I)
        n_fix = max(1, round(CORRECTED_SHARE * rows.shape[0]))
        fixed = rng.choice(individual, size=min(n_fix, individual.shape[0]), replace=False)
        on_minutes = rng.random(fixed.shape[0]) < 0.5
        shift = rng.choice([-15, -10, -5, 5, 10, 15, 30], size=fixed.shape[0])
        minutes[fixed[on_minutes]] = np.maximum(5, minutes[fixed[on_minutes]] + shift[on_minutes])
        n_actes = len(self.actes)
        bump = rng.integers(1, n_actes, fixed.shape[0])
        acte[fixed[~on_minutes]] = (acte[fixed[~on_minutes]] + bump[~on_minutes]) % n_actes
        return rows, minutes, acte
