"""Random streams and vectorised draws.

Every stream is a SeedSequence keyed by (seed, purpose, chunk, ...): a chunk's draws do not
depend on which other chunks ran, nor in which order, nor in which process.
"""

from __future__ import annotations

from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)

# Purposes of the streams (first element of the spawn key).
STREAM_PERSONS = 1
STREAM_SCHEDULE = 2
STREAM_ESTABLISHMENT = 3


def rng_for(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


def day_number(day: date) -> int:
    """Days since 1970-01-01: the integer form of dates inside the generator."""
    return (day - EPOCH).days


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


class ConditionalChoice:
    """Draws a column index per row from the row's own categorical distribution.

    `table[k]` holds the weights of condition k; `draw(rng, k)` returns, for each element of
    the condition array k, an index drawn with probabilities table[k] / table[k].sum().
    One searchsorted over all conditions: memory O(n), no n x K temporary.
    """

    def __init__(self, table: np.ndarray):
        table = np.asarray(table, dtype=np.float64)
        if table.ndim != 2:
            raise ValueError("table must be 2-D")
        totals = table.sum(axis=1, keepdims=True)
        if np.any(totals <= 0):
            raise ValueError("every condition needs a positive weight")
        cumulative = np.cumsum(table / totals, axis=1)
        cumulative[:, -1] = 1.0
        self.n_conditions, self.n_choices = table.shape
        # Row k lives in (k, k + 1]: offsets keep the rows apart in one sorted array.
        self.flat = (cumulative + np.arange(self.n_conditions)[:, None]).ravel()

    def draw(self, rng: np.random.Generator, condition: np.ndarray) -> np.ndarray:
        condition = np.asarray(condition, dtype=np.int64)
        u = rng.random(condition.shape[0])
        position = np.searchsorted(self.flat, condition + u, side="right")
        return (position - condition * self.n_choices).astype(np.int16)


def categorical(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(size), side="right").astype(np.int16)


def largest_remainder(weights, total: int, minimum: int = 0) -> np.ndarray:
    """Integers proportional to weights that sum to total, each at least `minimum`."""
    weights = np.asarray(weights, dtype=np.float64)
    base = np.full(weights.shape[0], minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("total smaller than the minimum allocation")
    exact = weights / weights.sum() * rest
    floor = np.floor(exact).astype(np.int64)
    remainder = exact - floor
    missing = rest - floor.sum()
    # Ties broken by position: deterministic.
    order = np.lexsort((np.arange(weights.shape[0]), -remainder))
    floor[order[:missing]] += 1
    return base + floor
