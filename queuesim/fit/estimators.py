"""Estimators used by the fit: lognormal handle times, censored patience, Kaplan-Meier.

Every estimator returns plain numbers with their standard errors where they
come cheaply (closed form, or the inverse Hessian of the log-likelihood).

Patience is observed only through waits: a caller who abandoned after ``t``
seconds had patience ``t`` (an *event*); a caller answered after ``t`` seconds had
patience of at least ``t`` (*right-censored*). Hence

* the exponential MLE of the rate is ``abandonments / total time on hold`` (the
  standard occurrence/exposure rate), with SE(mean) = mean / sqrt(abandonments);
* Weibull parameters maximise ``sum_events log f(t) + sum_censored log S(t)``;
* the survival function is the Kaplan-Meier product-limit estimate.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "ExponentialFit", "KaplanMeier", "LognormalFit", "WeibullFit", "empirical_quantiles",
    "fit_exponential_censored", "fit_lognormal", "fit_weibull_censored", "kaplan_meier", "km_quantile_values",
]

#: Abandonments recorded with a wait of 0 (whole-second clocks) are put at this many seconds.
ZERO_WAIT = 0.5


@dataclass(frozen=True)
class LognormalFit:
    n: int
    mu: float
    sigma: float
    se_mu: float
    se_sigma: float
    mean: float
    sd: float
    se_mean: float
    emp_mean: float
    emp_sd: float
    ks: float
    ks_critical: float  # 5% critical value of the KS statistic (parameters known: conservative)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def fit_lognormal(x: np.ndarray, *, rng: Optional[np.random.Generator] = None, jitter: float = 0.0) -> LognormalFit:
    """Lognormal MLE (mu, sigma of ln x) with standard errors and a KS distance.

    ``jitter``: half-width of a uniform jitter added before the KS statistic only, for data
    rounded to a clock (1-s clocks: ``jitter=0.5``) so ties do not inflate it.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x) & (x > 0)]
    n = x.size
    if n < 2:
        raise ValueError("lognormal fit: need at least 2 positive values")
    lx = np.log(x)
    mu, sigma = float(lx.mean()), float(lx.std(ddof=0))
    sigma = max(sigma, 1e-9)
    se_mu, se_sigma = sigma / math.sqrt(n), sigma / math.sqrt(2 * n)
    mean = math.exp(mu + sigma**2 / 2)
    sd = mean * math.sqrt(math.expm1(sigma**2))
    # delta method: d mean / d mu = mean, d mean / d sigma = sigma * mean (mu, sigma independent)
    se_mean = mean * math.sqrt(se_mu**2 + (sigma * se_sigma) ** 2)
    xj = x
    if jitter > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        xj = np.clip(x + rng.uniform(-jitter, jitter, n), 1e-9, None)
    ks = float(stats.kstest(xj, stats.lognorm(s=sigma, scale=math.exp(mu)).cdf).statistic)
    return LognormalFit(n, mu, sigma, se_mu, se_sigma, mean, sd, se_mean, float(x.mean()),
                        float(x.std(ddof=1)), ks, 1.358 / math.sqrt(n))


@dataclass(frozen=True)
class KaplanMeier:
    times: np.ndarray      # distinct event times
    survival: np.ndarray   # S(t) just after each event time
    at_risk: np.ndarray    # number at risk just before each event time
    events: np.ndarray     # events at each time
    t_max: float           # largest observation (event or censored)

    def sf(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        k = np.searchsorted(self.times, t, side="right")
        s = np.concatenate([[1.0], self.survival])
        return s[k]


def kaplan_meier(t: np.ndarray, event: np.ndarray) -> KaplanMeier:
    """Product-limit estimate of P(patience > t) from waits ``t`` and ``event`` = abandoned."""
    t = np.asarray(t, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    order = np.argsort(t, kind="stable")
    t, event = t[order], event[order]
    times = np.unique(t[event])
    at_risk = t.size - np.searchsorted(t, times, side="left")
    d = np.bincount(np.searchsorted(times, t[event]), minlength=times.size)
    s = np.cumprod(1.0 - d / at_risk) if times.size else np.empty(0)
    return KaplanMeier(times, s, at_risk, d, float(t.max()) if t.size else 0.0)


@dataclass(frozen=True)
class ExponentialFit:
    n: int
    events: int
    exposure: float
    mean: float
    se_mean: float
    loglik: float


def _prep(t: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    return np.where(event & (t <= 0), ZERO_WAIT, t), event


def fit_exponential_censored(t: np.ndarray, event: np.ndarray) -> ExponentialFit:
    """Exponential patience: mean = total time on hold / abandonments."""
    t, event = _prep(t, event)
    d, expo = int(event.sum()), float(t.sum())
    if d == 0:
        return ExponentialFit(t.size, 0, expo, math.inf, math.inf, 0.0)
    mean = expo / d
    return ExponentialFit(t.size, d, expo, mean, mean / math.sqrt(d), -d * math.log(mean) - d)


@dataclass(frozen=True)
class WeibullFit:
    n: int
    events: int
    shape: float
    scale: float
    se_shape: float
    se_scale: float
    mean: float
    loglik: float


def fit_weibull_censored(t: np.ndarray, event: np.ndarray) -> WeibullFit:
    """Weibull by censored MLE (on log-parameters); SEs from the inverse observed information."""
    t, event = _prep(t, event)
    te, tc = t[event], t[~event & (t > 0)]
    if te.size < 2:
        raise ValueError("weibull fit: need at least 2 abandonments")
    lte = np.log(te)

    def nll(p: np.ndarray) -> float:
        try:
            k, lam = math.exp(p[0]), math.exp(p[1])
            ze, zc = (te / lam) ** k, (tc / lam) ** k
            return -(np.sum(math.log(k) - math.log(lam) + (k - 1) * (lte - math.log(lam)) - ze) - np.sum(zc))
        except (OverflowError, ValueError, ZeroDivisionError):  # the optimiser wandered far out: not a maximum
            return math.inf

    start = np.array([0.0, math.log(max(t.sum() / te.size, 1e-6))])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(nll, start, method="Nelder-Mead", options=dict(xatol=1e-9, fatol=1e-9, maxiter=5000))
        polished = optimize.minimize(nll, res.x, method="BFGS")
        if np.isfinite(polished.fun) and polished.fun <= res.fun:
            res = polished
        p = res.x
        if not (np.all(np.isfinite(p)) and np.isfinite(res.fun)):
            raise ValueError("weibull fit: the likelihood could not be maximised")
        return _weibull_result(nll, res, t, te)


def _weibull_result(nll, res, t: np.ndarray, te: np.ndarray) -> WeibullFit:
    p = res.x
    # observed information by central differences on (log k, log lambda)
    h = 1e-4
    H = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (nll(p + ei + ej) - nll(p + ei - ej) - nll(p - ei + ej) + nll(p - ei - ej)) / (4 * h * h)
    try:
        cov = np.linalg.inv(H)
        se_log = np.sqrt(np.clip(np.diag(cov), 0, None))
    except (np.linalg.LinAlgError, ValueError):
        se_log = np.array([math.nan, math.nan])
    k, lam = math.exp(p[0]), math.exp(p[1])
    return WeibullFit(t.size, int(te.size), k, lam, k * se_log[0], lam * se_log[1],
                      lam * float(special.gamma(1 + 1 / k)), -float(res.fun))


def empirical_quantiles(x: np.ndarray, n: int = 1000) -> np.ndarray:
    """``n`` mid-point quantiles of a sample (a compact stand-in for the sample itself)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    u = (np.arange(n) + 0.5) / n
    return np.quantile(x, u, method="inverted_cdf")


def km_quantile_values(km: KaplanMeier, tail_mean: float, n: int = 2000) -> np.ndarray:
    """``n`` values whose empirical distribution is the Kaplan-Meier estimate (inverse CDF at mid-points).

    Below the largest observation the values are KM quantiles, so the point masses of the
    estimate (e.g. the jump at a 60-s announcement) are kept. Kaplan-Meier says nothing
    beyond the largest observed wait; the remaining mass S(t_max) is spread as an
    exponential tail of mean ``tail_mean`` after ``t_max`` (an extrapolation).
    """
    u = (np.arange(n) + 0.5) / n
    cdf = 1.0 - km.survival
    out = np.empty(n)
    idx = np.searchsorted(cdf, u, side="left")  # first event time with F >= u
    inside = idx < km.times.size
    out[inside] = km.times[idx[inside]]
    s_end = float(km.survival[-1]) if km.survival.size else 1.0
    t_end = max(km.t_max, float(km.times[-1]) if km.times.size else 0.0)
    tail = ~inside
    if tail.any():
        out[tail] = t_end + tail_mean * -np.log((1.0 - u[tail]) / s_end)
    return np.maximum(out, 0.0)
