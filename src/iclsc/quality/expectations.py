"""Great Expectations gates, independent of dbt: one suite per raw file kind, run by one
checkpoint per transmission (each delivery is validated from its own files), and one suite
per published CSV file; their Data Docs go into the release under `qualite/data-docs/`.

Severity: an expectation with severity `critical` is an error and blocks publication (the
run stops before the build for a raw delivery, the release is refused for a published file);
`warning` is reported in the Data Docs and the logs. On raw deliveries the errors are
delivery-level: a row-level fault is quarantined by staging and only warns here, but when at
least half the rows of a file break a format (`mostly=0.5`), the delivery itself is wrong
(a changed date format, shifted columns) and quarantining all of it would hide that.

GX reads the files with pandas (its SQL datasource fails on DuckDB). The GX context lives
in the project's dbt target (`target/gx`), never in the user's home; analytics are off and
nothing goes to the network.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iclsc import project_dir
from iclsc.generate import contract

# GX reads this when it is imported: set it before any import of great_expectations.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

ERROR_MOSTLY = 0.5
DATE = r"^\d{4}-\d{2}-\d{2}$"
RELEASE_DOCS_DIR = "qualite/data-docs"
RELEASE_SUMMARY = "qualite/validations.json"
RAW_MARKER = "raw-validation.json"


@dataclass(frozen=True)
class Outcome:
    """One expectation that failed in one validation."""

    validation: str  # checkpoint or suite and file
    expectation: str
    column: str | None
    severity: str  # critical, warning or info
    unexpected_percent: float | None

    @property
    def is_error(self) -> bool:
        return self.severity == "critical"

    def __str__(self) -> str:
        share = (
            f" ({self.unexpected_percent:.1f}% of rows)"
            if self.unexpected_percent is not None
            else ""
        )
        column = f" on {self.column}" if self.column else ""
        return f"[{self.severity}] {self.validation}: {self.expectation}{column}{share}"


def context_dir() -> Path:
    """Where a run keeps the raw deliveries' Data Docs until the release copies them."""
    return project_dir() / "target" / "gx"


def _context(docs_dir: Path):
    """An ephemeral context (nothing written anywhere but the Data Docs site in docs_dir)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name="iclsc",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _seed_codes(relative: str, column: str) -> list[str]:
    import csv

    path = project_dir() / "seeds" / relative
    with path.open(encoding="utf-8", newline="") as handle:
        return sorted({row[column] for row in csv.DictReader(handle)})


def _raw_expectations(name: str) -> list:
    """The expectations of one raw file kind: each check twice, as an error when half the
    rows break it, as a warning when any row does."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    columns = contract.TRANSMISSION_FILES[name]
    row_checks: list[tuple[type, dict]] = []
    not_null = {
        contract.USAGERS_FILE: ["no_dossier", "date_naissance", "sexe", "code_clsc_residence"],
        contract.DEMANDES_FILE: ["no_demande", "no_dossier", "date_reception", "code_priorite"],
        contract.INTERVENTIONS_FILE: [
            "no_intervention",
            "no_dossier",
            "date_intervention",
            "code_programme",
            "code_type",
            "duree_minutes",
        ],
    }[name]
    row_checks += [(gxe.ExpectColumnValuesToNotBeNull, {"column": c}) for c in not_null]
    if name == contract.USAGERS_FILE:
        row_checks += [
            (gxe.ExpectColumnValuesToMatchRegex, {"column": "date_naissance", "regex": DATE}),
            (gxe.ExpectColumnValuesToBeInSet, {"column": "sexe", "value_set": ["F", "M", "X"]}),
            (
                gxe.ExpectColumnValuesToMatchRegex,
                {"column": "code_clsc_residence", "regex": r"^\d{5}$"},
            ),
        ]
    elif name == contract.DEMANDES_FILE:
        row_checks += [
            (gxe.ExpectColumnValuesToMatchRegex, {"column": "date_reception", "regex": DATE}),
            (
                gxe.ExpectColumnValuesToBeInSet,
                {"column": "code_priorite", "value_set": ["P1", "P2", "P3", "P4"]},
            ),
            (gxe.ExpectColumnValuesToBeUnique, {"column": "no_demande"}),
        ]
    else:
        programmes = _seed_codes("reference/ref_programmes.csv", "programme_code")
        row_checks += [
            (gxe.ExpectColumnValuesToMatchRegex, {"column": "date_intervention", "regex": DATE}),
            (
                gxe.ExpectColumnValuesToBeInSet,
                {"column": "code_type", "value_set": list(contract.INTERVENTION_TYPES)},
            ),
            (
                gxe.ExpectColumnValuesToBeInSet,
                {"column": "code_programme", "value_set": programmes},
            ),
            (
                gxe.ExpectColumnValuesToMatchRegex,
                {"column": "duree_minutes", "regex": r"^[1-9]\d*$"},
            ),
        ]
    expectations = [
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=list(columns), severity=FailureSeverity.CRITICAL
        )
    ]
    for kind, arguments in row_checks:
        expectations.append(
            kind(**arguments, mostly=ERROR_MOSTLY, severity=FailureSeverity.CRITICAL)
        )
        expectations.append(kind(**arguments, severity=FailureSeverity.WARNING))
    if name == contract.INTERVENTIONS_FILE:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["no_intervention", "no_dossier"], severity=FailureSeverity.WARNING
            )
        )
    return expectations


def _suite(context, name: str, expectations: list):
    import great_expectations as gx

    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def _outcomes(result, label: str) -> list[Outcome]:
    found = []
    for validation in result.run_results.values():
        for expectation in validation.results:
            if expectation.success:
                continue
            config = expectation.expectation_config
            found.append(
                Outcome(
                    validation=label,
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    severity=str(getattr(config.severity, "value", config.severity)),
                    unexpected_percent=(expectation.result or {}).get("unexpected_percent"),
                )
            )
    return found


def read_frame(path: Path, columns: list[str]):
    """A CSV as the contract reads it: every value text, an empty field null."""
    import pandas as pd

    return pd.read_csv(
        path,
        dtype={column: "string" for column in columns},
        keep_default_na=False,
        na_values={column: [""] for column in columns},
        encoding="utf-8",
    )


def _run(context, name: str, suite, frame, run_name: str) -> list[Outcome]:
    """One checkpoint over one pandas frame (GX's dataframe batches take the frame at run
    time, so each frame gets its own checkpoint, grouped in the Data Docs by run_name)."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    datasource = context.data_sources.add_or_update_pandas("frames")
    asset = datasource.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe(name)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=name, validation_definitions=[definition])
    )
    result = checkpoint.run(
        batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name)
    )
    return _outcomes(result, name)


def validate_raw(raw_dir: Path, docs_dir: Path) -> list[Outcome]:
    """Validates every transmission folder of a structurally sound extract (run check-raw
    first): each of its three files against the suite of its kind, grouped by transmission;
    builds the Data Docs into docs_dir and returns the failed expectations."""
    context = _context(docs_dir)
    suites = {
        name: _suite(context, f"livraison_{name.removesuffix('.csv')}", _raw_expectations(name))
        for name in contract.TRANSMISSION_FILES
    }
    outcomes = []
    folders = sorted(p.name for p in (Path(raw_dir) / contract.TRANSMISSIONS_DIR).iterdir())
    for transmission_id in folders:
        for name, columns in contract.TRANSMISSION_FILES.items():
            relative = f"{contract.TRANSMISSIONS_DIR}/{transmission_id}/{name}"
            frame = read_frame(Path(raw_dir) / relative, list(columns))
            # GX names may not hold a slash.
            label = f"{transmission_id}.{name.removesuffix('.csv')}"
            outcomes += _run(context, label, suites[name], frame, transmission_id)
    context.build_data_docs()
    return outcomes


def validate_raw_for_run(raw_dir: Path, log: Callable[[str], None]) -> bool:
    """The pipeline's step: validates the raw deliveries in a fresh context; logs every failed
    expectation; False when one with severity error failed."""
    root = context_dir()
    shutil.rmtree(root, ignore_errors=True)
    outcomes = validate_raw(raw_dir, root / "docs")
    (root / RAW_MARKER).write_text(
        json.dumps(
            {
                "raw_dir": str(Path(raw_dir).resolve()),
                "failed": [str(o) for o in outcomes],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    for outcome in outcomes:
        log(f"raw delivery {outcome}")
    errors = [o for o in outcomes if o.is_error]
    log(
        f"raw deliveries: {len(errors)} error(s), {len(outcomes) - len(errors)} warning(s) "
        f"(Great Expectations, Data Docs in {root})"
    )
    if errors:
        log("a raw delivery failed an expectation with severity error: nothing published")
    return not errors


def _published_expectations(dataset) -> list:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    critical = FailureSeverity.CRITICAL
    names = [f.name for f in dataset.fields]
    suppressed = dataset.suppressed.name
    expectations = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=names, severity=critical),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[f.name for f in dataset.dimensions], severity=critical
        )
        if len(dataset.dimensions) > 1
        else gxe.ExpectColumnValuesToBeUnique(column=dataset.dimensions[0].name, severity=critical),
        gxe.ExpectColumnValuesToBeInSet(
            column=suppressed, value_set=["true", "false"], severity=critical
        ),
        gxe.ExpectColumnValuesToNotBeNull(column=suppressed, severity=critical),
    ]
    for published in dataset.dimensions:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(column=published.name, severity=critical)
        )
    for published in dataset.measures:
        kind = published.frictionless_type
        pattern = {
            "integer": r"^-?\d+$",
            "number": r"^-?\d+(\.\d+)?$",
            "boolean": r"^(true|false)$",
        }.get(kind)
        if pattern:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=published.name, regex=pattern, severity=critical
                )
            )
        if published.counts in ("persons", "providers", "events"):
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=published.name, regex=r"^\d+$", severity=critical
                )
            )
        if published.counts == "persons":
            # The privacy rule as the file shows it: no published count of 1 to 4 persons.
            expectations.append(
                gxe.ExpectColumnValuesToNotBeInSet(
                    column=published.name, value_set=["1", "2", "3", "4"], severity=critical
                )
            )
    return expectations


def validate_published(directory: Path, datasets: list, docs_dir: Path) -> list[Outcome]:
    """Validates every published CSV in `directory` with its own suite; builds the Data Docs
    into docs_dir and returns the failed expectations."""
    context = _context(docs_dir)
    outcomes = []
    for dataset in datasets:
        suite = _suite(context, f"publication_{dataset.resource}", _published_expectations(dataset))
        frame = read_frame(Path(directory) / dataset.path, [f.name for f in dataset.fields])
        outcomes += _run(context, dataset.resource, suite, frame, "publication")
    context.build_data_docs()
    return outcomes
