"""Data quality of the raw extract and of the release.

- preflight: `python -m iclsc check-raw DIR`, the structural check of the raw directory that
  runs before `dbt build` (DuckDB's multi-file CSV reader takes the first file's schema and
  turns a missing folder into no rows: both must stop the run, not pass silently);
- expectations: the Great Expectations suites on each raw delivery and on the published
  files, with their Data Docs.

Row-level checks (codes, dates, orphans, duplicates) live in the dbt staging layer, which
quarantines a bad row instead of stopping the run.
"""
