"""Great Expectations gates, independent of dbt: one suite per raw file kind, run by one
checkpoint over every transmission's file of that kind (each delivery is judged on its own
rows, and each failure names its transmission), and one suite
per published CSV file; their Data Docs go into the release under `qualite/data-docs/`.

Severity: an expectation with severity `critical` is an error and blocks publication (the
run stops before the build for a raw delivery, the release is refused for a published file);
`warning` is reported in the Data Docs and the logs. On raw deliveries the errors are
delivery-level: a row-level fault is quarantined by staging and only warns here, but when at
least half the rows of a file break a format (`mostly=0.5`), the delivery itself is wrong
(a changed date format, shifted columns) and quarantining all of it would hide that.

Raw deliveries are too big for pandas (27 million interventions at full scale): DuckDB
measures every row-level check on every row of every file in one scan per file kind
(`measure_raw`: the share of the rows each check applies to that break it, per file), and
GX validates those measures, one row per transmission's file, so its verdict and Data Docs
cover every row (regular expressions are RE2's there, Python's on published files). The
published files are small and GX reads them with pandas (its SQL datasource fails on
DuckDB). The GX context lives in the run's dbt target directory (`target/gx` by
default), never in the user's home; analytics are off and nothing goes to the network.
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
from iclsc.warehouse import duckdb_memory_limit

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
    from iclsc.pipeline import target_dir

    # The run's own dbt target directory (DBT_TARGET_PATH): runs with their own target
    # directories never share their validations.
    return target_dir() / "gx"


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


@dataclass(frozen=True)
class RawCheck:
    """One row-level expectation of a raw file kind, measured in SQL on every row.

    `unexpected` is a DuckDB predicate on one row (the file's columns as text, an empty
    field null) that is true when the row breaks the expectation; `applies` the rows it
    judges (GX's column map expectations skip nulls, except the not-null one)."""

    expectation: str  # the Great Expectations type it stands for
    column: str  # the raw column, or the columns of a compound key joined by commas
    unexpected: str
    applies: str

    @property
    def name(self) -> str:
        kind = self.expectation.removeprefix("expect_").removeprefix("column_values_to_")
        kind = kind.removeprefix("compound_columns_to_")
        return f"{self.column.replace(',', '__')}__{kind}"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _not_null(column: str) -> RawCheck:
    return RawCheck("expect_column_values_to_not_be_null", column, f"{column} is null", "true")


def _regex(column: str, pattern: str) -> RawCheck:
    return RawCheck(
        "expect_column_values_to_match_regex",
        column,
        f"not regexp_matches({column}, {_sql_text(pattern)})",
        f"{column} is not null",
    )


def _in_set(column: str, values) -> RawCheck:
    listed = ", ".join(_sql_text(v) for v in values)
    return RawCheck(
        "expect_column_values_to_be_in_set",
        column,
        f"{column} not in ({listed})",
        f"{column} is not null",
    )


def _unique(columns: list[str], expectation: str) -> RawCheck:
    """A value (or combination) that occurs more than once in its file: every row that holds
    it is unexpected, as GX counts it."""
    key = ", ".join(columns)
    return RawCheck(
        expectation,
        ",".join(columns),
        f"count(*) over (partition by source_file, {key}) > 1",
        " and ".join(f"{c} is not null" for c in columns),
    )


def raw_checks(name: str) -> tuple[list[RawCheck], list[RawCheck]]:
    """The row-level expectations of one raw file kind: those checked twice (as an error
    when half the rows break them, as a warning when any row does) and those only warned."""
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
    checks = [_not_null(c) for c in not_null]
    warned: list[RawCheck] = []
    if name == contract.USAGERS_FILE:
        checks += [
            _regex("date_naissance", DATE),
            _in_set("sexe", ["F", "M", "X"]),
            _regex("code_clsc_residence", r"^\d{5}$"),
        ]
    elif name == contract.DEMANDES_FILE:
        checks += [
            _regex("date_reception", DATE),
            _in_set("code_priorite", ["P1", "P2", "P3", "P4"]),
            _unique(["no_demande"], "expect_column_values_to_be_unique"),
        ]
    else:
        checks += [
            _regex("date_intervention", DATE),
            _in_set("code_type", contract.INTERVENTION_TYPES),
            _in_set(
                "code_programme", _seed_codes("reference/ref_programmes.csv", "programme_code")
            ),
            _regex("duree_minutes", r"^[1-9]\d*$"),
        ]
        warned.append(
            _unique(["no_intervention", "no_dossier"], "expect_compound_columns_to_be_unique")
        )
    return checks, warned


def measure_raw(raw_dir: Path, name: str) -> tuple[list[RawCheck], list[dict]]:
    """Every row-level check of one file kind on every transmission's file, in one DuckDB
    scan of all of them (27 million interventions at full scale: no pandas on them). One
    dict per file: `transmission`, `rows`, `header` (its columns, as read) and, per check,
    the percentage of the rows it applies to that break it (None when it applies to none)."""
    import duckdb

    checks, warned = raw_checks(name)
    every = checks + warned
    columns = contract.TRANSMISSION_FILES[name]
    typed = ", ".join(f"{_sql_text(c)}: 'varchar'" for c in columns)
    # Paths as DuckDB globs them (the preflight's fixed copy links unchanged files).
    folder = Path(raw_dir).resolve() / contract.TRANSMISSIONS_DIR
    pattern = str(folder / "*" / name)
    flags = ",\n".join(
        f"case when {c.applies} then 1 end as applies_{i},\n"
        f"case when {c.applies} and ({c.unexpected}) then 1 end as breaks_{i}"
        for i, c in enumerate(every)
    )
    sums = ",\n".join(f"count(applies_{i}), count(breaks_{i})" for i in range(len(every)))
    query = f"""
        with rows_read as (
            select *, filename as source_file
            from read_csv({_sql_text(pattern)}, header = true, delim = ',', quote = '"',
                escape = '"', columns = {{{typed}}}, auto_detect = false, filename = true,
                encoding = 'utf-8')
        ),
        flagged as (select source_file, {flags} from rows_read)
        select source_file, count(*), {sums} from flagged group by source_file
    """
    connection = duckdb.connect()
    try:
        connection.execute(f"set memory_limit = {_sql_text(duckdb_memory_limit())}")
        measured = {row[0]: row[1:] for row in connection.execute(query).fetchall()}
    finally:
        connection.close()
    files = []
    for path in sorted(folder.glob(f"*/{name}")):
        counts = measured.get(str(path))
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = handle.readline().rstrip("\r\n").split(",")
        record = {"transmission": path.parent.name, "rows": counts[0] if counts else 0}
        record["header"] = header
        for i, check in enumerate(every):
            applies, breaks = (counts[1 + 2 * i], counts[2 + 2 * i]) if counts else (0, 0)
            record[check.name] = 100.0 * breaks / applies if applies else None
        files.append(record)
    return every, files


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


def _raw_suite_expectations(name: str) -> list:
    """The suite of one raw file kind, over its measured files (one row per transmission):
    every file has the contract's header; for each row-level check, the share of rows that
    break it is at most half (an error otherwise: the delivery itself is wrong) and zero
    (a warning otherwise: staging quarantines those rows)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    checks, warned = raw_checks(name)
    expectations = [
        gxe.ExpectColumnValuesToBeInSet(
            column="header",
            value_set=[",".join(contract.TRANSMISSION_FILES[name])],
            severity=FailureSeverity.CRITICAL,
        )
    ]
    for check in checks:
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=check.name,
                min_value=0,
                max_value=100 * (1 - ERROR_MOSTLY),
                severity=FailureSeverity.CRITICAL,
            )
        )
    for check in checks + warned:
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=check.name, min_value=0, max_value=0, severity=FailureSeverity.WARNING
            )
        )
    return expectations


def validate_raw(raw_dir: Path, docs_dir: Path) -> list[Outcome]:
    """Validates every transmission of a structurally sound extract (run check-raw first).

    The row-level checks are measured in SQL on every row of every file (measure_raw); Great
    Expectations then validates those measures, one row per transmission's file, with one
    checkpoint per file kind, and builds the Data Docs into docs_dir. Returns the failed
    expectations, one per transmission's file and check, under the check's own expectation
    type and column (what the rows broke), with the share of rows that broke it."""
    import pandas as pd

    context = _context(docs_dir)
    outcomes = []
    for name in contract.TRANSMISSION_FILES:
        kind = name.removesuffix(".csv")
        every, files = measure_raw(raw_dir, name)
        frame = pd.DataFrame(
            [{**f, "header": ",".join(f["header"])} for f in files],
            columns=["transmission", "rows", "header", *[c.name for c in every]],
        )
        for check in every:
            frame[check.name] = frame[check.name].astype("float64")
        suite = _suite(context, f"livraison_{kind}", _raw_suite_expectations(name))
        by_name = {c.name: c for c in every}
        for outcome in _run(context, f"livraison_{kind}", suite, frame, "livraisons"):
            check = by_name.get(outcome.column)
            for row in frame.itertuples(index=False):
                row = row._asdict()
                value = row[outcome.column]
                limit = 100 * (1 - ERROR_MOSTLY) if outcome.is_error else 0
                if outcome.column == "header":
                    if value == ",".join(contract.TRANSMISSION_FILES[name]):
                        continue
                    failed = "expect_table_columns_to_match_ordered_list"
                elif pd.isna(value) or value <= limit:
                    continue
                else:
                    failed = check.expectation
                outcomes.append(
                    Outcome(
                        validation=f"{row['transmission']}.{kind}",
                        expectation=failed,
                        column=None if outcome.column == "header" else check.column,
                        severity=outcome.severity,
                        unexpected_percent=None if outcome.column == "header" else value,
                    )
                )
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
