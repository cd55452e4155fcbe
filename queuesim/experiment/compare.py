"""Paired comparisons between scenarios run with common random numbers.

Replication ``r`` of every scenario uses the same random streams, so the
difference ``variant_r - baseline_r`` cancels most of the noise the two share.
For each metric we report:

* the **paired** estimate: mean of the per-replication differences with a 95%
  Student-t confidence interval (n - 1 degrees of freedom);
* the **unpaired** (Welch) 95% interval for the same difference of means, as
  if the two scenarios had been run with independent random numbers;
* the **variance reduction** achieved by pairing: the variance of the unpaired
  estimator over that of the paired one, ``(s_v^2 + s_b^2) / s_d^2``
  (> 1 means common random numbers helped; ``inf`` when every difference is
  the same, e.g. ``offered`` when only staffing changes).

Only replications where both values are finite are used (the ASA of a
replication in which nobody was answered is NaN), so both intervals are about
the same point estimate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

__all__ = ["Comparison", "paired_comparison"]


@dataclass(frozen=True)
class Comparison:
    """Difference ``variant - baseline`` of one metric's mean, in the metric's unit."""

    variant: str
    baseline: str
    metric: str
    n: int
    """replications paired (both values finite)"""
    difference: float
    """mean of variant - baseline over paired replications"""
    paired_low: float
    paired_high: float
    unpaired_low: float
    unpaired_high: float
    variance_reduction: float
    """unpaired variance / paired variance of the difference estimator (dimensionless)"""

    @property
    def paired_half_width(self) -> float:
        return (self.paired_high - self.paired_low) / 2.0

    @property
    def unpaired_half_width(self) -> float:
        return (self.unpaired_high - self.unpaired_low) / 2.0

    def to_dict(self) -> dict[str, float | str | int]:
        out = asdict(self)
        out["paired_half_width"] = self.paired_half_width
        out["unpaired_half_width"] = self.unpaired_half_width
        return out


def paired_comparison(
    variant_values: "np.typing.ArrayLike",
    baseline_values: "np.typing.ArrayLike",
    *,
    variant: str = "variant",
    baseline: str = "baseline",
    metric: str = "metric",
    level: float = 0.95,
) -> Comparison:
    """Compare two arrays of per-replication values paired by position."""
    x = np.asarray(variant_values, dtype=np.float64)
    y = np.asarray(baseline_values, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(
            f"paired comparison needs the same replications in both scenarios, got {x.size} and {y.size}"
        )
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    nan = math.nan
    if n == 0:
        return Comparison(variant, baseline, metric, 0, nan, nan, nan, nan, nan, nan)
    d = x - y
    diff = float(d.mean())
    if n < 2:
        return Comparison(variant, baseline, metric, n, diff, nan, nan, nan, nan, nan)
    q = 0.5 + level / 2.0
    var_d = float(d.var(ddof=1))
    paired_hw = float(special.stdtrit(n - 1, q)) * math.sqrt(var_d / n)
    vx, vy = float(x.var(ddof=1)), float(y.var(ddof=1))
    se2 = (vx + vy) / n
    if se2 > 0:
        # Welch-Satterthwaite degrees of freedom for equal sample sizes.
        df = se2**2 / ((vx / n) ** 2 / (n - 1) + (vy / n) ** 2 / (n - 1))
        unpaired_hw = float(special.stdtrit(df, q)) * math.sqrt(se2)
    else:
        unpaired_hw = 0.0
    if var_d > 0:
        reduction = (vx + vy) / var_d
    else:
        reduction = math.inf if vx + vy > 0 else nan
    return Comparison(
        variant, baseline, metric, n, diff,
        diff - paired_hw, diff + paired_hw, diff - unpaired_hw, diff + unpaired_hw, reduction,
    )
