"""`python -m iclsc generate`: the whole synthetic extract, chunk by chunk.

1. Global and cheap: structure (establishments, installations), persons and their files,
   the transmission schedule. Written: installations.csv, transmissions.csv.
2. Per establishment (the chunk): activity over the whole window, then one folder per
   transmission. Each chunk draws from its own SeedSequence stream, so chunks run in any
   order, in one process or in a pool, and write the same bytes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from iclsc.generate import contract
from iclsc.generate.activity import Activity, Window, simulate_establishment
from iclsc.generate.batches import Batch, EstablishmentTables
from iclsc.generate.model import CompiledModel, compile_model
from iclsc.generate.population import Population, draw_population
from iclsc.generate.sampling import (
    STREAM_ESTABLISHMENT,
    STREAM_PERSONS,
    STREAM_SCHEDULE,
    day_number,
    rng_for,
)
from iclsc.generate.scales import SCALES, Scale
from iclsc.generate.schedule import Transmission, build_schedule
from iclsc.generate.seeds import load_reference
from iclsc.generate.structure import Structure, build_structure
from iclsc.generate.writer import write_rows, write_table

DEFAULT_SEED = 42
# Sub-streams of an establishment's stream (third element of the spawn key).
SUBSTREAM_ACTIVITY = 0
SUBSTREAM_RESUBMISSION = 1

BatchHook = Callable[[Batch], Batch]


@dataclass(frozen=True)
class Summary:
    out: str
    scale: str
    seed: int
    as_of: date
    first_period: str
    last_period: str
    establishments: int
    installations: int
    transmissions: int
    user_files: int  # files appearing in at least one transmission
    requests: int  # in the latest transmission of each period
    intervention_rows: int  # in the latest transmission of each period
    intervention_rows_written: int  # in every transmission, superseded ones included
    providers: int
    seconds: float


@dataclass
class Context:
    """What every chunk reads. Set once in the parent; a forked worker inherits it."""

    out: Path
    seed: int
    scale: Scale
    model: CompiledModel
    structure: Structure
    population: Population
    window: Window
    schedule: list[Transmission]
    hook: BatchHook | None


_CONTEXT: Context | None = None


def generate(
    out: Path,
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    *,
    jobs: int | None = None,
    progress: bool = False,
    overwrite: bool = False,
    hook: BatchHook | None = None,
) -> Summary:
    """Writes a synthetic extract into `out` (which must be absent or empty, unless
    `overwrite` removes a previous extract's files first) and returns what it wrote."""
    global _CONTEXT
    started = time.perf_counter()
    config = SCALES[scale]
    out = Path(out)
    prepare_output(out, overwrite)

    ref = load_reference()
    model = compile_model(ref)
    structure = build_structure(ref, config)
    periods = config.periods()
    window = Window(
        start=day_number(periods[0].start_date),
        end=day_number(periods[-1].end_date),
        period_starts=np.array([day_number(p.start_date) for p in periods]),
    )
    population = draw_population(
        rng_for(seed, STREAM_PERSONS),
        ref,
        model,
        structure,
        config.n_persons,
        window.start,
        window.end,
    )
    schedule = build_schedule(
        rng_for(seed, STREAM_SCHEDULE),
        structure.establishments,
        periods,
        config.as_of,
        config.share_previous_open,
        config.share_resubmitted,
        config.closes_last_period,
    )
    write_installations(out, structure)
    write_transmissions(out, schedule)

    _CONTEXT = Context(out, seed, config, model, structure, population, window, schedule, hook)
    files_per_establishment = population.files.offsets[1:] - population.files.offsets[:-1]
    # Largest first: a pool then finishes together.
    order = sorted(range(len(structure.establishments)), key=lambda e: -files_per_establishment[e])
    jobs = config.jobs if jobs is None else jobs
    jobs = max(1, min(jobs, len(order), os.cpu_count() or 1))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=int(files_per_establishment.sum()),
            unit=" dossiers",
            desc=f"generate {scale}",
            file=sys.stderr,
        )
    totals: dict[str, int] = {}
    try:
        if jobs == 1:
            results = map(run_establishment, order)
            for stats in results:
                _accumulate(totals, stats, bar)
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(jobs) as pool:
                for stats in pool.imap_unordered(run_establishment, order, chunksize=1):
                    _accumulate(totals, stats, bar)
    finally:
        _CONTEXT = None
        if bar is not None:
            bar.close()

    return Summary(
        out=str(out),
        scale=scale,
        seed=seed,
        as_of=config.as_of,
        first_period=f"{periods[0].fiscal_year}-P{periods[0].period:02d}",
        last_period=f"{periods[-1].fiscal_year}-P{periods[-1].period:02d}",
        establishments=len(structure.establishments),
        installations=len(structure.installations),
        transmissions=len(schedule),
        user_files=totals.get("user_files", 0),
        requests=totals.get("requests", 0),
        intervention_rows=totals.get("intervention_rows", 0),
        intervention_rows_written=totals.get("intervention_rows_written", 0),
        providers=totals.get("providers", 0),
        seconds=round(time.perf_counter() - started, 2),
    )


def _accumulate(totals: dict[str, int], stats: dict[str, int], bar) -> None:
    for key, value in stats.items():
        if key != "files":
            totals[key] = totals.get(key, 0) + value
    if bar is not None:
        bar.update(stats["files"])


def run_establishment(establishment: int) -> dict[str, int]:
    ctx = _CONTEXT
    if ctx is None:
        raise RuntimeError("generate() sets the context before running chunks")
    activity = simulate_establishment(
        rng_for(ctx.seed, STREAM_ESTABLISHMENT, establishment, SUBSTREAM_ACTIVITY),
        establishment,
        ctx.model,
        ctx.structure,
        ctx.population,
        ctx.window,
        ctx.scale.provider_load,
        ctx.scale.min_providers,
    )
    tables = EstablishmentTables(activity, ctx.model, ctx.structure, ctx.population)
    written = 0
    for transmission in ctx.schedule:
        if transmission.establishment != establishment:
            continue
        rng = None
        if transmission.superseded:
            rng = rng_for(
                ctx.seed,
                STREAM_ESTABLISHMENT,
                establishment,
                SUBSTREAM_RESUBMISSION,
                transmission.period_index,
            )
        batch = tables.batch(transmission, rng)
        if ctx.hook is not None:
            batch = ctx.hook(batch)
        write_batch(ctx.out, batch)
        written += batch.interventions.num_rows
    files = ctx.population.files
    lo, hi = files.offsets[establishment], files.offsets[establishment + 1]
    return {
        "files": int(hi - lo),
        "user_files": count_seen_files(activity),
        "requests": int(activity.req_no.shape[0]),
        "intervention_rows": int(activity.no.shape[0]),
        "intervention_rows_written": int(written),
        "providers": int(activity.n_providers),
    }


def count_seen_files(activity: Activity) -> int:
    return int(np.unique(np.concatenate([activity.file, activity.req_file])).shape[0])


def write_batch(out: Path, batch: Batch) -> None:
    folder = out / contract.TRANSMISSIONS_DIR / batch.transmission.id
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder / contract.USAGERS_FILE, batch.usagers)
    write_table(folder / contract.DEMANDES_FILE, batch.demandes)
    write_table(folder / contract.INTERVENTIONS_FILE, batch.interventions)


def write_installations(out: Path, structure: Structure) -> None:
    establishments = structure.establishments
    territories = structure.territories
    rows = (
        (
            i.code,
            i.name,
            establishments[i.establishment].code,
            establishments[i.establishment].name,
            territories[i.territory].code,
        )
        for i in structure.installations
    )
    write_rows(out / contract.INSTALLATIONS_FILE, contract.INSTALLATIONS_COLUMNS, rows)


def write_transmissions(out: Path, schedule: list[Transmission]) -> None:
    rows = (
        (
            t.id,
            t.establishment_code,
            t.fiscal_year,
            t.period,
            t.received_at,
            t.periode_fermee,
        )
        for t in sorted(schedule, key=lambda t: (t.establishment_code, t.received_at, t.id))
    )
    write_rows(out / contract.TRANSMISSIONS_FILE, contract.TRANSMISSIONS_COLUMNS, rows)


def prepare_output(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (use --overwrite to replace an extract)")
        for name in (contract.INSTALLATIONS_FILE, contract.TRANSMISSIONS_FILE):
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / contract.TRANSMISSIONS_DIR, ignore_errors=True)
        if any(out.iterdir()):
            raise FileExistsError(f"{out} holds files that are not an extract's; not touching it")
    (out / contract.TRANSMISSIONS_DIR).mkdir(parents=True, exist_ok=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (output does not depend on it)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an extract already in --out"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args: argparse.Namespace) -> int:
    summary = generate(
        args.out,
        args.scale,
        args.seed,
        jobs=args.jobs,
        progress=not args.no_progress,
        overwrite=args.overwrite,
    )
    for key, value in asdict(summary).items():
        print(f"{key}: {value}", file=sys.stderr)
    return 0
