"""Replication statistics: means and Student-t confidence intervals.

Pure functions over arrays of per-replication values (NaNs, e.g. the ASA of a
replication in which nobody was answered, are dropped and counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["Estimate", "mean_ci"]


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with a two-sided confidence interval.

    ``half_width`` is NaN when fewer than two finite values exist; ``n`` is the
    number of finite values used.
    """

    mean: float
    half_width: float
    n: int
    sd: float
    level: float = 0.95

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def mean_ci(values: "np.typing.ArrayLike", level: float = 0.95) -> Estimate:
    """Mean and Student-t confidence interval at ``level`` of the finite ``values``."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, 0, math.nan, level)
    mean = float(x.mean())
    if n < 2:
        return Estimate(mean, math.nan, n, math.nan, level)
    sd = float(x.std(ddof=1))
    t = float(special.stdtrit(n - 1, 0.5 + level / 2))
    return Estimate(mean, t * sd / math.sqrt(n), n, sd, level)
