"""Arrival times, generated exactly and in blocks.

Arrivals are a (possibly non-homogeneous) Poisson process obtained by the
time-change theorem: the epochs ``S_1 < S_2 < ...`` of a unit-rate Poisson
process (cumulative sums of standard exponentials) are mapped through the
inverse of the cumulative intensity, ``t_k = Lambda^{-1}(S_k)``. For a constant
rate ``lam`` that is simply ``t_k = S_k / lam``. The mapping is monotone, so
under common random numbers a busier scenario gets the same callers, earlier
and more of them, rather than an unrelated sample.

Blocks keep memory bounded: the engine asks for the next block only when it
has used up the previous one.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["BLOCK", "poisson_arrival_blocks"]

#: Number of callers drawn per block (all streams use the same block size so a
#: caller's attributes never depend on how many callers came before a block edge).
BLOCK = 4096


def poisson_arrival_blocks(
    rate: float, horizon: float, rng: np.random.Generator, block: int = BLOCK
) -> Iterator[np.ndarray]:
    """Yield arrays of arrival times (seconds, increasing) in ``[0, horizon)``.

    ``rate`` is calls per second. The last block is cut at the horizon; an
    empty iteration means no call arrived.
    """
    if rate <= 0 or horizon <= 0:
        return
    last = 0.0
    scale = 1.0 / rate
    while True:
        gaps = rng.exponential(scale, block)
        gaps[0] += last
        times = np.cumsum(gaps)
        if times[-1] >= horizon:
            cut = int(np.searchsorted(times, horizon, side="left"))
            if cut:
                yield times[:cut]
            return
        last = float(times[-1])
        yield times
