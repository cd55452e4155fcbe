"""Replication statistics: means and Student-t confidence intervals.

Pure functions over arrays of per-replication values (NaNs, e.g. the ASA of a
replication in which nobody was answered, are dropped and counted).

Rates and shares (abandonment rate, service level, occupancy: values in
[0, 1]) get :func:`proportion_ci`: the Student-t interval computed on the
logit scale (delta method) and mapped back, so its bounds stay inside
[0, 1] and it is skewed away from the nearer bound; the estimate itself is
still the plain mean over replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["Estimate", "mean_ci", "proportion_ci"]


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with a two-sided confidence interval.

    ``half_width`` is NaN when fewer than two finite values exist; ``n`` is the
    number of finite values used. ``lower``/``upper``, when given, are the
    interval's bounds (an asymmetric interval, see :func:`proportion_ci`);
    ``half_width`` is then the symmetric Student-t one, kept for precision.
    """

    mean: float
    half_width: float
    n: int
    sd: float
    level: float = 0.95
    lower: float | None = None
    upper: float | None = None

    @property
    def low(self) -> float:
        return self.mean - self.half_width if self.lower is None else self.lower

    @property
    def high(self) -> float:
        return self.mean + self.half_width if self.upper is None else self.upper

    @property
    def errors(self) -> tuple[float, float]:
        """Distances ``(mean - low, high - mean)`` for error bars (0 when the interval is undefined)."""
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return 0.0, 0.0
        return max(0.0, self.mean - self.low), max(0.0, self.high - self.mean)

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


def proportion_ci(values: "np.typing.ArrayLike", level: float = 0.95) -> Estimate:
    """Mean of ``values`` in [0, 1] with a confidence interval that stays inside [0, 1].

    The Student-t interval of the mean is built on the logit scale with the
    delta method, ``logit(m) +- t * se / (m (1 - m))``, and mapped back: it
    contains the mean, never leaves (0, 1), and is close to the plain
    interval when that one is far from the bounds. When every value is equal
    (e.g. no replication lost a call) the interval is that value. Values
    outside [0, 1] get the plain :func:`mean_ci`.
    """
    plain = mean_ci(values, level)
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if plain.n < 2 or not math.isfinite(plain.half_width) or x.min() < 0.0 or x.max() > 1.0:
        return plain
    m = plain.mean
    if plain.half_width == 0.0 or m <= 0.0 or m >= 1.0:
        return Estimate(m, plain.half_width, plain.n, plain.sd, level, m, m)
    t = float(special.stdtrit(plain.n - 1, 0.5 + level / 2))
    se_logit = plain.sd / math.sqrt(plain.n) / (m * (1.0 - m))
    centre = math.log(m / (1.0 - m))
    lower = float(special.expit(centre - t * se_logit))
    upper = float(special.expit(centre + t * se_logit))
    return Estimate(m, plain.half_width, plain.n, plain.sd, level, min(lower, m), max(upper, m))
