"""Synthetic raw I-CLSC extract: `python -m iclsc generate --out DIR --scale S --seed N`.

Writes the layout of the extract contract (installations.csv, transmissions.csv,
transmissions/<id>/{usagers,demandes,interventions}.csv). Same seed, same bytes.

Modules: scales (sizes and as-of dates), seeds (inputs read from seeds/), model (behavioural
parameters), structure (establishments, installations), population (persons, files),
schedule (transmissions), activity (episodes, requests, interventions of one establishment),
batches (tables of one transmission), writer (CSV), pipeline (orchestration, CLI).
"""

from iclsc.generate.pipeline import DEFAULT_SEED, Summary, add_arguments, generate, run

__all__ = ["DEFAULT_SEED", "Summary", "add_arguments", "generate", "run"]
