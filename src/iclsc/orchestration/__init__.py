"""Dagster definitions of the pipeline: `dagster dev -m iclsc.orchestration`.

`defs` holds the dbt models, seeds and snapshots as assets (dagster-dbt, from the manifest),
their dbt tests as asset checks, the release as an asset downstream of the published
exports, one job for a period run, and one schedule per financial period. A run of the job
is a run of the pipeline: the same locks (runs/lock.py), the same cut-off (var
publish_through), the same gates and the same run summary in the release.

Installed with the `orchestration` extra: `pip install -e ".[orchestration]"`.
"""

from iclsc.orchestration.definitions import defs

__all__ = ["defs"]
