"""Exact Erlang B, Erlang C and Erlang A (M/M/n+M) formulas, and staffing searches.

Units everywhere: times are **seconds**, rates are **per second**, and the
offered load ``a = rate * handle_time`` is in **Erlangs**. Agent counts are
integers.

Everything here is exact (no simulation, no asymptotic approximation) and is
evaluated so that it stays finite and accurate for thousands of agents and
thousands of Erlangs: Erlang B uses the bounded recursion
``B(n) = a B(n-1) / (n + a B(n-1))``; the Erlang A queue sums are taken in log
space over a window around their largest term, with a proven bound on the
neglected tails; no factorial of a large number is ever formed.

Conventions (shared with :mod:`queuesim.measure.metrics`):

* ``p_wait``: probability that an arriving call finds every agent busy (PASTA).
* ``asa``: mean wait of *answered* calls (s). ``mean_wait``: mean wait of *all*
  offered calls, answered or abandoned (s).
* ``service_level``: calls answered within ``threshold`` seconds / calls
  offered; abandoned calls always count as misses.
* ``occupancy``: mean busy agents / agents.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import numpy as np
from scipy import special

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "erlang_a_agents",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_agents",
    "erlang_c_metrics",
    "erlang_c_service_level",
    "halfin_whitt_beta",
    "offered_load",
    "square_root_staffing",
]

_INF = math.inf
_NEG_INF = -math.inf
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

#: Relative size of the neglected tails of the Erlang A queue sums.
_TAIL_TOL = 1e-17


# --------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(out):
        raise ValueError(f"{name} must not be NaN")
    return out


def _check_load(value: Any, name: str = "load") -> float:
    out = _real(value, name)
    if not math.isfinite(out) or out < 0:
        raise ValueError(f"{name} must be a finite number of Erlangs >= 0, got {value!r}")
    return out


def _check_rate(value: Any, name: str = "rate") -> float:
    out = _real(value, name)
    if not math.isfinite(out) or out < 0:
        raise ValueError(f"{name} must be a finite rate per second >= 0, got {value!r}")
    return out


def _check_positive_time(value: Any, name: str) -> float:
    out = _real(value, name)
    if not math.isfinite(out) or out <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return out


def _check_time_or_inf(value: Any, name: str) -> float:
    out = _real(value, name)
    if out < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0 (math.inf allowed), got {value!r}")
    return out


def _check_agents(value: Any, minimum: int, name: str = "agents") -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return int(out)


def _check_probability(value: Any, name: str) -> float:
    out = _real(value, name)
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {value!r}")
    return out


# --------------------------------------------------------------------------
# small numerical helpers (scalars, no warnings on 0 / inf)
# --------------------------------------------------------------------------


def _log(x: float) -> float:
    return math.log(x) if x > 0 else _NEG_INF


def _log1m(x: float) -> float:
    """log(1 - x) for x <= 1."""
    return math.log1p(-x) if x < 1.0 else _NEG_INF


def _exp(x: float) -> float:
    return math.exp(x) if x > -745.2 else 0.0


def _logaddexp(u: float, v: float) -> float:
    if u == _NEG_INF:
        return v
    if v == _NEG_INF:
        return u
    hi, lo = (u, v) if u >= v else (v, u)
    return hi + math.log1p(math.exp(lo - hi))


def _x_minus_log1p(d: float) -> float:
    """d - log(1 + d) for d >= 0, without cancellation for small d."""
    if d < 0.25:
        # sum_{k>=2} (-d)^k / k, Horner form; 40 terms is far below double precision.
        s = 0.0
        for k in range(40, 1, -1):
            s = 1.0 / k - d * s
        return d * d * s
    return d - math.log1p(d)


def _stirling_remainder(z: float) -> float:
    """log Gamma(z+1) - (z + 1/2) log z + z, for z > 0 (tends to log sqrt(2 pi))."""
    if z >= 30.0:
        zi = 1.0 / z
        zi2 = zi * zi
        return _HALF_LOG_2PI + zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 / 1680)))
    return float(special.gammaln(z + 1.0)) - (z + 0.5) * math.log(z) + z


def _harmonic_shift(y: float, k: int) -> float:
    """sum_{i=1}^{k} 1/(y+i) = digamma(y+k+1) - digamma(y+1), for y > 0."""
    if k <= 0:
        return 0.0
    if k <= 1_000_000:
        return float(np.sum(1.0 / (y + np.arange(1, k + 1, dtype=np.float64))))
    z1, z2 = y + 1.0, y + k + 1.0
    if z1 < 30.0:
        return float(special.digamma(z2) - special.digamma(z1))

    def tail(z: float) -> float:  # digamma(z) - log(z), asymptotic series
        zi2 = 1.0 / (z * z)
        return -0.5 / z - zi2 * (1 / 12 - zi2 * (1 / 120 - zi2 / 252))

    return math.log1p(k / z1) + tail(z2) - tail(z1)


# --------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------


def offered_load(rate: float, handle_time: float) -> float:
    """Offered load in Erlangs: ``rate`` (calls per second) times ``handle_time`` (seconds)."""
    return _check_rate(rate) * _check_positive_time(handle_time, "handle_time")


def _erlang_b_float(a: float, n: int) -> float:
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def _log_erlang_b(a: float, n: int) -> float:
    """log of Erlang B, accurate even when B itself underflows (n far above a)."""
    if n == 0:
        return 0.0
    if a == 0.0:
        return _NEG_INF
    b = _erlang_b_float(a, n)
    if b >= 1e-280:
        return math.log(b)
    # Here n is far above the mode of Poisson(a), so P(Poisson(a) <= n) is close
    # to 1 and B = pmf(n) / cdf(n) is well conditioned in log space.
    log_pmf = n * math.log(a) - a - float(special.gammaln(n + 1.0))
    return log_pmf - math.log(float(special.gammaincc(n + 1.0, a)))


def erlang_b(load: float, agents: int) -> float:
    """Erlang B blocking probability of an M/M/n/n loss system.

    ``load`` is the offered load in Erlangs (arrival rate per second times mean
    handle time in seconds); ``agents`` is the number of servers n >= 0.

    Uses the recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``,
    whose values stay in [0, 1]: no overflow for any n, O(n) time. For n far
    above the load the result underflows to 0.0, which is the correct double.
    """
    return _erlang_b_float(_check_load(load), _check_agents(agents, 0))


def _erlang_c_pair(a: float, n: int) -> tuple[float, float]:
    """(C, 1 - C) of Erlang C for 0 < a < n, each without cancellation."""
    b = _erlang_b_float(a, n)
    denom = (n - a) + a * b
    c = min(1.0, n * b / denom)
    not_c = (n - a) * (1.0 - b) / denom
    return c, not_c


def erlang_c(load: float, agents: int) -> float:
    """Erlang C probability that a call must wait in an M/M/n queue.

    ``load`` in Erlangs, ``agents`` = n. ``C = n B / (n - a + a B)`` with B the
    Erlang B value; returns 1.0 when ``load >= agents`` (the queue is unstable
    and every call eventually waits).
    """
    a = _check_load(load)
    n = _check_agents(agents, 0)
    if a >= n:
        return 1.0
    if a == 0.0:
        return 0.0
    return _erlang_c_pair(a, n)[0]


@dataclass(frozen=True)
class ErlangCResult:
    """Steady-state performance of an M/M/n queue without abandonment (Erlang C).

    Times in seconds. When ``stable`` is False (offered load >= agents) the
    waits and queue length are ``inf``, ``p_wait`` and ``occupancy`` are 1 and
    ``service_level`` is 0.
    """

    offered_load: float  #: Erlangs (rate * handle_time)
    agents: int
    threshold: float  #: service-level threshold (s)
    p_wait: float  #: P(an arriving call waits) = Erlang C
    asa: float  #: mean wait of all calls = of answered calls (s)
    mean_wait_given_wait: float  #: mean wait of the calls that wait (s)
    service_level: float  #: P(wait <= threshold)
    occupancy: float  #: load / agents
    mean_queue_length: float  #: mean number of calls waiting
    stable: bool  #: load < agents


def erlang_c_metrics(rate: float, handle_time: float, agents: int, threshold: float = 20.0) -> ErlangCResult:
    """Erlang C (M/M/n) metrics.

    ``rate``: arrivals per second; ``handle_time``: mean handle time (s);
    ``agents``: n >= 1; ``threshold``: service-level threshold (s, inf allowed).

    With ``a = rate * handle_time`` < n and C the Erlang C value:
    ``ASA = C h / (n - a)``, mean wait of waiting calls ``h / (n - a)``,
    ``SL = 1 - C exp(-(n - a) t / h)``, ``Lq = C a / (n - a)``, occupancy ``a / n``.
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    n = _check_agents(agents, 1)
    t = _check_time_or_inf(threshold, "threshold")
    a = lam * h
    if a >= n:
        return ErlangCResult(a, n, t, 1.0, _INF, _INF, 0.0, 1.0, _INF, False)
    gap = n - a
    if a == 0.0:
        return ErlangCResult(a, n, t, 0.0, 0.0, h / gap, 1.0, 0.0, 0.0, True)
    c, not_c = _erlang_c_pair(a, n)
    # 1 - C e^{-u} = (1 - C) - C expm1(-u), no cancellation when C is near 1.
    u = gap * t / h
    sl = not_c - c * math.expm1(-u) if math.isfinite(u) else 1.0
    sl = min(1.0, max(0.0, sl))
    return ErlangCResult(
        offered_load=a,
        agents=n,
        threshold=t,
        p_wait=c,
        asa=c * h / gap,
        mean_wait_given_wait=h / gap,
        service_level=sl,
        occupancy=a / n,
        mean_queue_length=c * a / gap,
        stable=True,
    )


def erlang_c_service_level(rate: float, handle_time: float, agents: int, threshold: float = 20.0) -> float:
    """Erlang C service level P(wait <= ``threshold`` seconds); 0 when unstable.

    Same arguments and units as :func:`erlang_c_metrics`.
    """
    return erlang_c_metrics(rate, handle_time, agents, threshold).service_level


# --------------------------------------------------------------------------
# staffing helpers
# --------------------------------------------------------------------------


def square_root_staffing(load: float, beta: float) -> int:
    """Square-root staffing ``ceil(R + beta sqrt(R))`` for offered load R (Erlangs).

    ``beta`` is the Halfin-Whitt quality-of-service parameter (dimensionless).
    A tiny relative tolerance keeps exact integers from rounding up; the result
    is at least 1 when R > 0 and at least 0 otherwise.
    """
    r = _check_load(load)
    b = _real(beta, "beta")
    if not math.isfinite(b):
        raise ValueError(f"beta must be finite, got {beta!r}")
    target = r + b * math.sqrt(r)
    n = math.ceil(target - 1e-12 * max(1.0, abs(target)))
    return max(n, 1 if r > 0 else 0)


def halfin_whitt_beta(load: float, agents: int) -> float:
    """Halfin-Whitt parameter ``(n - R) / sqrt(R)`` of ``agents`` = n for load R > 0 Erlangs."""
    r = _check_load(load)
    n = _check_agents(agents, 0)
    if r == 0:
        raise ValueError("halfin_whitt_beta needs a load > 0")
    return (n - r) / math.sqrt(r)


def _max_agents(a: float) -> int:
    return int(math.ceil(100.0 * a + 100.0))


def _smallest_meeting(meets: Callable[[int], bool], lo: int, start: int, n_max: int, what: str) -> int:
    """Smallest n in (lo, n_max] with meets(n), for meets monotone in n.

    ``lo`` must be known to fail (it is never evaluated). Gallops up from
    ``start`` then bisects, so it costs O(log n) evaluations. The result r
    always satisfies meets(r) and (r - 1 == lo or not meets(r - 1)).
    """
    hi = min(max(start, lo + 1), n_max)
    step = max(1, int(math.isqrt(max(hi, 1))) // 2)
    while not meets(hi):
        if hi >= n_max:
            raise ValueError(f"{what}: not met by any staffing up to {n_max} agents")
        lo = hi
        hi = min(n_max, hi + step)
        step *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _describe(**targets: Optional[float]) -> str:
    parts = [f"{k}={v!r}" for k, v in targets.items() if v is not None]
    return "targets " + ", ".join(parts)


def erlang_c_agents(
    rate: float,
    handle_time: float,
    *,
    service_level: Optional[float] = None,
    threshold: float = 20.0,
    asa: Optional[float] = None,
) -> int:
    """Fewest agents for an Erlang C (M/M/n) queue that meet every given target.

    ``rate`` per second, ``handle_time`` and ``threshold`` in seconds.
    Targets: ``service_level`` (fraction answered within ``threshold``) must be
    at least the target; ``asa`` (s) must be at most the target. The staffing
    must also be stable (agents > load). At least one target is required.

    Both metrics improve monotonically with agents, so the search gallops up
    from the stability boundary ``floor(load) + 1`` and bisects: O(log n)
    evaluations of O(n) each.

    Raises ValueError for unreachable targets: a service level of 1 within a
    finite threshold, or an ASA of 0, when calls arrive (load > 0).
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    t = _check_time_or_inf(threshold, "threshold")
    if service_level is None and asa is None:
        raise ValueError("erlang_c_agents needs at least one target: service_level and/or asa")
    sl = None if service_level is None else _check_probability(service_level, "service_level")
    asa_t = None if asa is None else _check_time_or_inf(asa, "asa")
    a = lam * h
    if a == 0.0:
        return 1
    if sl is not None and sl >= 1.0 and math.isfinite(t):
        raise ValueError(
            "service level target 1.0 is unreachable: with random arrivals Erlang C gives "
            f"P(wait > {t:g} s) > 0 for every finite number of agents"
        )
    if asa_t is not None and asa_t <= 0.0:
        raise ValueError("ASA target 0 s is unreachable: the mean wait is positive for every finite number of agents")

    def meets(n: int) -> bool:
        m = erlang_c_metrics(lam, h, n, t)
        if not m.stable:
            return False
        if sl is not None and m.service_level < sl:
            return False
        if asa_t is not None and m.asa > asa_t:
            return False
        return True

    lo = int(math.floor(a))  # n = floor(a) <= a is unstable
    what = "Erlang C staffing for " + _describe(service_level=sl, asa=asa_t)
    return _smallest_meeting(meets, lo, lo + 1, _max_agents(a), what)


# --------------------------------------------------------------------------
# Erlang A (M/M/n+M)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state performance of the M/M/n+M (Erlang A) queue.

    Exponential patience with mean ``patience`` seconds; abandoned calls count
    as service-level misses. Times in seconds. With ``patience = inf`` the
    values are Erlang C's (``p_abandon = 0``; infinite waits if unstable).
    """

    offered_load: float  #: Erlangs (rate * handle_time)
    agents: int
    patience: float  #: mean patience (s)
    threshold: float  #: service-level threshold (s)
    p_wait: float  #: P(an arrival finds all agents busy)
    p_abandon: float  #: fraction of arrivals who abandon
    mean_wait: float  #: mean wait of all calls, answered or abandoned (s)
    asa: float  #: mean wait of answered calls (s)
    service_level: float  #: P(answered and wait <= threshold)
    occupancy: float  #: rate (1 - p_abandon) handle_time / agents
    mean_queue_length: float  #: mean number waiting = rate * mean_wait
    p_abandon_given_wait: float  #: P(abandon | had to wait)


def _log_queue_term(x: float, y: float, k: int) -> float:
    """log t_k, t_k = prod_{i=1..k} x / (y + i) = x^k Gamma(y+1) / Gamma(y+k+1).

    Written as k log(x/(y+k)) + y (k/y - log1p(k/y)) - log1p(k/y)/2
    + phi(y) - phi(y+k) with phi the Stirling remainder, so no large
    quantities cancel.
    """
    if k == 0:
        return 0.0
    d = k / y
    if d < 0.25:
        yg = y * _x_minus_log1p(d)
    else:
        yg = k - y * math.log1p(d)
    return (
        k * math.log1p((x - y - k) / (y + k))
        + yg
        - 0.5 * math.log1p(d)
        + _stirling_remainder(y)
        - _stirling_remainder(y + k)
    )


_MAX_CHUNK = 1 << 20


def _queue_chunks(x: float, y: float, jp: int, top: Optional[int] = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield chunks (j, w_j = t_j / t_{j*}), each in increasing j, covering the queue sums.

    t_j = prod_{i=1..j} x/(y+i) is unimodal with its peak at j* = ``jp`` =
    max(0, floor(x - y)). Terms are generated outward from the peak (upward,
    then downward), in growing chunks of at most ``_MAX_CHUNK``, until rigorous
    bounds on the neglected tails of S = sum t_j and M = sum j t_j are below
    ``_TAIL_TOL`` relative:

    * above the last index J, x/(y+i) <= r = x/(y+J+1) < 1, so
      sum_{i>J} t_i <= t_J r/(1-r) and sum_{i>J} i t_i <= t_J (J r/(1-r) + r/(1-r)^2);
    * below the first index J', t_{i-1}/t_i = (y+i)/x <= q = (y+J')/x, so
      sum_{i<J'} t_i <= t_J' min(J', q/(1-q)) and sum_{i<J'} i t_i <= J' times that.

    The tolerance is divided by (y+J+1)/(y+1) upward and by its square
    downward: those factors bound how much more the tail terms can weigh in
    the ASA sum sum_j t_j y/(y+j+1) sum_{i<=j+1} 1/(y+i) than in S + M, so that
    sum is also accurate to ``_TAIL_TOL``. The service-level sums have terms at
    most t_j, so their absolute error is below ``_TAIL_TOL``.

    ``top``: the last index (a finite queue, j <= ``top``; then ``jp <= top``); None for no limit.
    """
    yield np.array([float(jp)]), np.array([1.0])
    s_part, m_part = 1.0, float(jp)

    big_j, lw_last, chunk = jp, 0.0, 256
    while top is None or big_j < top:
        hi = big_j + chunk if top is None else min(big_j + chunk, top)
        j = np.arange(big_j + 1, hi + 1, dtype=np.float64)
        lw = lw_last + np.cumsum(np.log(x / (y + j)))
        w = np.exp(lw)
        yield j, w
        s_part += float(w.sum())
        m_part += float((j * w).sum())
        big_j = hi
        lw_last = float(lw[-1])
        w_last = _exp(lw_last)
        if w_last == 0.0:
            break
        r = x / (y + big_j + 1)
        g = r / (1.0 - r)
        tol = _TAIL_TOL * (y + 1.0) / (y + big_j + 1.0)
        if w_last * g <= tol * s_part and w_last * (big_j * g + g / (1.0 - r)) <= tol * m_part:
            break
        chunk = min(2 * chunk, _MAX_CHUNK)

    if jp > 0:
        tol = _TAIL_TOL * ((y + 1.0) / (y + big_j + 1.0)) ** 2
        big_j, lw_last, chunk = jp, 0.0, 256
        while big_j > 0:
            start = max(0, big_j - chunk)
            j = np.arange(big_j - 1, start - 1, -1, dtype=np.float64)
            lw = lw_last + np.cumsum(np.log((y + j + 1.0) / x))
            w = np.exp(lw)
            yield j[::-1], w[::-1]
            s_part += float(w.sum())
            m_part += float((j * w).sum())
            big_j = start
            lw_last = float(lw[-1])
            w_last = _exp(lw_last)
            if big_j == 0 or w_last == 0.0:
                break
            q = (y + big_j) / x
            tail_s = w_last * (min(big_j, q / (1.0 - q)) if q < 1.0 else big_j)
            if tail_s <= tol * s_part and big_j * tail_s <= tol * m_part:
                break
            chunk = min(2 * chunk, _MAX_CHUNK)


def answered_terms(j: np.ndarray, w: np.ndarray, y: float, p_beta: float, patience: float) -> tuple[float, float, float]:
    """Sums over queue states ``j`` (callers ahead of an arrival) with weights ``w`` of an exponential-patience
    queue: P(answered), P(answered within t) and E[wait; answered] (s), each relative to the weights' scale.

    ``y`` = n mu / theta; ``p_beta`` = 1 - exp(-theta t). P(answered | j) = y/(y+j+1); P(answered, W <= t | j) =
    y/(y+j+1) I_{p_beta}(j+1, y+1); E[W; answered | j] = y/(y+j+1) sum_{i=1}^{j+1} 1/(n mu + i theta)."""
    ws = w * (y / (y + j + 1.0))
    served = float(ws.sum())
    if p_beta == 1.0:
        sl = served
    elif p_beta > 0.0:
        sl = float((ws * special.betainc(j + 1.0, y + 1.0, p_beta)).sum())
    else:
        sl = 0.0
    j0 = int(j[0])
    hy = _harmonic_shift(y, j0) + np.cumsum(1.0 / (y + np.arange(j0 + 1, j0 + len(j) + 1, dtype=np.float64)))
    return served, sl, patience * float((ws * hy).sum())


def _erlang_a_finite(lam: float, h: float, patience: float, n: int, t: float) -> ErlangAResult:
    """Erlang A for rate > 0 and 0 < patience < inf (see erlang_a_metrics)."""
    a = lam * h
    x = lam * patience  # lambda / theta
    y = n * patience / h  # n mu / theta
    theta_t = t / patience
    p_beta = -math.expm1(-theta_t)  # 1 - exp(-theta t)

    jp = int(math.floor(x - y)) if x > y else 0
    log_tp = _log_queue_term(x, y, jp)
    s_rel = m_rel = served_rel = sl_rel = wserved_rel = 0.0
    for j, w in _queue_chunks(x, y, jp):
        s_rel += float(w.sum())
        m_rel += float((j * w).sum())
        served, sl, wserved = answered_terms(j, w, y, p_beta, patience)
        served_rel += served
        sl_rel += sl
        wserved_rel += wserved

    # Normalise: 1 = pi_n ((1 - B)/B + S) with S = t_peak s_rel. Work relative to
    # the peak state, so that a huge log t_peak never cancels against itself.
    log_b = _log_erlang_b(a, n)
    log_idle = _log1m(_exp(log_b)) - log_b - log_tp  # log(sum_{k<n} pi_k / pi_{n+j*})
    c = -_logaddexp(log_idle, math.log(s_rel))  # log(pi_n t_peak) = log pi_{n+j*} <= 0
    scale = _exp(c)
    p_nowait = _exp(log_idle + c)
    mean_q = scale * m_rel
    p_served = min(1.0, p_nowait + scale * served_rel)
    return ErlangAResult(
        offered_load=a,
        agents=n,
        patience=patience,
        threshold=t,
        p_wait=min(1.0, scale * s_rel),
        p_abandon=min(1.0, mean_q / x),
        mean_wait=mean_q / lam,
        asa=scale * wserved_rel / p_served,
        service_level=min(1.0, p_nowait + scale * sl_rel),
        occupancy=min(1.0, a * p_served / n),
        mean_queue_length=mean_q,
        p_abandon_given_wait=min(1.0, m_rel / (x * s_rel)),
    )


def erlang_a_metrics(
    rate: float, handle_time: float, patience: float, agents: int, threshold: float = 20.0
) -> ErlangAResult:
    """Exact Erlang A (M/M/n+M) metrics: Poisson arrivals, exponential handle and patience times.

    ``rate``: arrivals per second; ``handle_time``: mean handle time 1/mu (s);
    ``patience``: mean patience 1/theta (s; ``math.inf`` gives Erlang C, 0 gives
    Erlang B with every blocked call counted as abandoned); ``agents``: n >= 1;
    ``threshold``: service-level threshold t (s).

    Method: the birth-death chain with death rate min(k,n) mu + max(k-n,0) theta
    (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn, "The M/M/n+G
    queue: summary of performance measures", exponential-patience case). With
    x = lambda/theta, y = n mu/theta and t_j = prod_{i=1..j} x/(y+i)
    (so pi_{n+j} = pi_n t_j):

    * S = sum_j t_j = 1F1(1; y+1; x), M = sum_j j t_j; normalisation
      pi_n = B / (1 - B + B S) with B = Erlang B(a, n);
    * p_wait = pi_n S (PASTA); p_abandon = theta E[Q] / lambda = pi_n M / x;
      mean_wait = E[Q] / lambda (Little); p_abandon_given_wait = M / (x S);
    * a tagged arrival with j callers ahead would be answered after
      V = sum_{i=0..j} Exp(n mu + i theta) (FCFS; the callers ahead leave by
      service or abandonment) and abandons if its own patience tau ~ Exp(theta)
      ends first, so W = min(V, tau) and:
      P(answered | j) = E[exp(-theta V)] = y/(y+j+1) (the product telescopes);
      E[W; answered | j] = E[V exp(-theta V)] = y/(y+j+1) * sum_{i=1..j+1} 1/(n mu + i theta);
      P(answered, W <= t | j) = E[exp(-theta V); V <= t] = y/(y+j+1) P(V' <= t),
      where the exponentially tilted V' = sum_{i=1..j+1} Exp(n mu + i theta)
      has exp(-theta V') ~ Beta(y+1, j+1) (equal Mellin transforms), hence
      P(V' <= t) = I_{1-exp(-theta t)}(j+1, y+1), the regularised incomplete
      beta function (``scipy.special.betainc``);
    * service_level = P(no wait) + pi_n sum_j t_j P(answered, W <= t | j);
      asa = E[W; answered] / P(answered), P(answered) = 1 - p_abandon.

    The sums run in log space over a window around their largest term (at
    j = floor(x - y) when overloaded), with rigorous tail bounds: relative
    error below 1e-17 per sum (absolute for the service level). The peak term
    uses a Stirling-remainder form, so no large factorial or cancellation
    appears; thousands of agents and Erlangs are fine. The window holds about
    sqrt(x) terms when x > y, fewer otherwise: milliseconds for realistic
    patience, seconds only for absurd ones (rate * patience ~ 1e11) in overload.
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    pat = _check_time_or_inf(patience, "patience")
    n = _check_agents(agents, 1)
    t = _check_time_or_inf(threshold, "threshold")
    a = lam * h

    if pat == _INF:
        c = erlang_c_metrics(lam, h, n, t)
        return ErlangAResult(
            offered_load=a,
            agents=n,
            patience=pat,
            threshold=t,
            p_wait=c.p_wait,
            p_abandon=0.0,
            mean_wait=c.asa,
            asa=c.asa,
            service_level=c.service_level,
            occupancy=c.occupancy,
            mean_queue_length=c.mean_queue_length,
            p_abandon_given_wait=0.0,
        )
    if lam == 0.0:
        given_wait = 1.0 if pat == 0.0 else 1.0 / (n * pat / h + 1.0)
        return ErlangAResult(a, n, pat, t, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, given_wait)
    if pat == 0.0:
        b = _erlang_b_float(a, n)
        return ErlangAResult(a, n, pat, t, b, b, 0.0, 0.0, 1.0 - b, a * (1.0 - b) / n, 0.0, 1.0)
    return _erlang_a_finite(lam, h, pat, n, t)


def erlang_a_agents(
    rate: float,
    handle_time: float,
    patience: float,
    *,
    service_level: Optional[float] = None,
    threshold: float = 20.0,
    abandonment: Optional[float] = None,
    asa: Optional[float] = None,
) -> int:
    """Fewest agents for an Erlang A (M/M/n+M) queue meeting every given target.

    ``rate`` per second; ``handle_time``, ``patience``, ``threshold`` and ``asa``
    in seconds. Targets (at least one): ``service_level`` = P(answered within
    ``threshold``) >= target; ``abandonment`` = fraction abandoning <= target;
    ``asa`` = mean wait of answered calls <= target. With ``patience = inf``
    the staffing must also be stable.

    The metrics improve monotonically with agents; the search gallops from
    ``ceil(load)`` and bisects, up to ``ceil(100 * load + 100)`` agents.

    Raises ValueError when a target is unreachable: service level 1 (some calls
    abandon or wait past any finite threshold), abandonment 0 with finite
    patience, ASA 0 with positive patience, or nothing met within the cap.
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    pat = _check_time_or_inf(patience, "patience")
    t = _check_time_or_inf(threshold, "threshold")
    if service_level is None and abandonment is None and asa is None:
        raise ValueError("erlang_a_agents needs at least one target: service_level, abandonment and/or asa")
    sl = None if service_level is None else _check_probability(service_level, "service_level")
    ab = None if abandonment is None else _check_probability(abandonment, "abandonment")
    asa_t = None if asa is None else _check_time_or_inf(asa, "asa")
    a = lam * h
    if a == 0.0:
        return 1
    if sl is not None and sl >= 1.0 and not (pat == _INF and t == _INF):
        raise ValueError(
            "service level target 1.0 is unreachable: for every finite number of agents some calls "
            f"{'abandon or ' if pat < _INF else ''}wait longer than {t:g} s"
        )
    if ab is not None and ab <= 0.0 and pat < _INF:
        raise ValueError(
            "abandonment target 0 is unreachable with finite patience: some callers always abandon "
            "(the abandonment rate only tends to 0 as agents grow)"
        )
    if asa_t is not None and asa_t <= 0.0 and pat > 0.0:
        raise ValueError("ASA target 0 s is unreachable: answered calls wait a positive mean time")

    def meets(n: int) -> bool:
        if pat == _INF and a >= n:
            return False
        m = erlang_a_metrics(lam, h, pat, n, t)
        if sl is not None and m.service_level < sl:
            return False
        if ab is not None and m.p_abandon > ab:
            return False
        if asa_t is not None and m.asa > asa_t:
            return False
        return True

    lo = int(math.floor(a)) if pat == _INF else 0
    start = max(lo + 1, int(math.ceil(a)))
    what = "Erlang A staffing for " + _describe(service_level=sl, abandonment=ab, asa=asa_t)
    return _smallest_meeting(meets, lo, start, _max_agents(a), what)
