"""Arrival times, generated exactly and in blocks.

Arrivals are a (possibly non-homogeneous) Poisson process obtained by the
time-change theorem: the epochs ``S_1 < S_2 < ...`` of a unit-rate Poisson
process (cumulative sums of standard exponentials) are mapped through the
inverse of the cumulative intensity, ``t_k = Lambda^{-1}(S_k)``. For a constant
rate ``lam`` from time 0 that is simply ``t_k = S_k / lam``. There is no
rounding at interval edges and no thinning. The mapping is monotone, so under
common random numbers a busier scenario gets the same callers, earlier and
more of them, rather than an unrelated sample.

Blocks keep memory bounded: the engine asks for the next block only when it
has used up the previous one.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..model.profile import RateFunction

__all__ = ["BLOCK", "arrival_blocks", "total_rate"]

#: Number of callers drawn per block (all per-caller streams use the same
#: block size, so a caller's attributes never depend on where a block ends).
BLOCK = 4096


def total_rate(functions: list[RateFunction]) -> tuple[RateFunction, np.ndarray]:
    """Sum of per-type rates, and each type's share on every piece of the sum.

    Returns ``(total, cumulative_shares)`` where ``cumulative_shares[k]`` is the
    cumulative share of the types on piece ``k`` of ``total`` (last column 1).
    """
    if len(functions) == 1:
        return functions[0], np.ones((len(functions[0].rates), 1))
    grid = np.unique(np.concatenate([np.asarray(f.grid) for f in functions]))
    mids = (grid[:-1] + grid[1:]) / 2.0
    per_type = np.stack([f.rate_at(mids) for f in functions], axis=1)  # pieces x types
    total = per_type.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total[:, None] > 0, per_type / total[:, None], 1.0 / len(functions))
    # Build the merged function by hand to keep pieces aligned with `shares`.
    cum = np.cumsum(shares, axis=1)
    cum[:, -1] = 1.0
    return RateFunction(tuple(float(g) for g in grid), tuple(float(r) for r in total)), cum


def arrival_blocks(rate: RateFunction, horizon: float, rng: np.random.Generator, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Yield arrays of arrival times (seconds, increasing) in ``[0, horizon)``.

    The last block is cut at the horizon; an empty iteration means no call
    arrived.
    """
    mass = rate.total()
    if mass <= 0 or horizon <= 0:
        return
    last = 0.0
    while True:
        epochs = rng.standard_exponential(block)
        epochs[0] += last
        epochs = np.cumsum(epochs)
        last = float(epochs[-1])
        times = rate.inverse(epochs)
        if not times[-1] < horizon:
            cut = int(np.searchsorted(times, horizon, side="left"))
            if cut:
                yield times[:cut]
            return
        yield times
