"""Erlang X: Erlang A with a finite number of lines (blocking) and redials.

Units everywhere: times are **seconds**, rates are **per second**, offered
loads are **Erlangs**.

**The model.** Calls arrive as a Poisson stream; ``agents`` = s agents with
exponential handle times (mean h); exponential patience (mean 1/theta);
``lines`` = N >= s: at most N calls are in the centre at once (waiting or in
service). A call arriving when N calls are present is **blocked** (busy tone).
First-come-first-served; a call that waits longer than its patience
**abandons**. A blocked or abandoned attempt is followed by a redial with
``redial_probability`` p (after some delay), up to ``max_attempts`` attempts
in all, the first included (``math.inf``: no limit).

**Without redials (p = 0) the answer is exact**: the M/M/s/N+M queue is the
birth-death chain on k = 0..N calls present, birth rate lambda below N, death
rate min(k, s) mu + max(k - s, 0) theta. Relative to pi_s the states with k <
s sum to (1 - B)/B (B = Erlang B of a = lambda/mu and s), and the queue states
k = s + j, j = 0..N - s, have weights t_j = prod_{i=1..j} x/(y+i) with x =
lambda/theta, y = s mu/theta, the Erlang A terms cut at j = N - s (see
:func:`~queuesim.analytic.erlang.erlang_a_metrics`, whose per-caller answers --
P(answered | j ahead), the answered wait and its distribution -- hold for
every admitted arrival, j < N - s). The sums run in log space relative to their
largest term, so thousands of agents and lines are fine.
With N = inf it is Erlang A; with N = s it is Erlang B; with infinite patience
it is M/M/s/N (:func:`~queuesim.analytic.mmnk.mmnk_metrics`).

**With redials it is an approximation** (the fixed point of Koole's Erlang X
and of the retrial-queue literature): redials are treated as extra Poisson
arrivals, independent of the state. If an attempt is lost (blocked or
abandoned) with probability L(Lambda) when attempts arrive at the total rate
Lambda, a caller makes g(L) = sum_{k<K} (pL)^k attempts on average, and
Lambda = lambda g(L(Lambda)) with lambda the rate of first attempts. The
root is found by bisection on [lambda, lambda g(1)]; with unlimited attempts
it is unique (Lambda (1 - p) + p x throughput(Lambda) = lambda, and both
terms grow with Lambda). The approximation ignores that a redial follows a
loss, so it arrives when the centre is more likely to still be congested. It
is good when the redial delay is long compared with the time the centre
takes to forget a busy spell (a few handle times and patiences; against
simulation, within 99.9% confidence intervals on six cases from light to
overloaded with a 10-minute delay), and when the centre is full nearly all the
time (every attempt meets a full centre anyway). It underestimates the losses
when redials come soon after a loss to a centre whose busy spells come and
go: with a 1-minute delay, 10 agents on 10 lines at 9 Erlangs block 33.4%
of attempts in simulation against 29.0% here. The stationary answer does not
depend on the delay at all.

Conventions (as in :mod:`queuesim.measure.metrics`; "per attempt" counts every
call that reaches the centre, first attempts and redials alike, blocked ones
included):

* ``p_block``, ``p_abandon``, ``p_answered``: shares of attempts blocked,
  abandoned, answered (they sum to 1);
* ``p_wait``: share of attempts admitted and not answered at once;
* ``mean_wait``: mean wait per attempt (blocked attempts wait 0), s; ``asa``:
  mean wait of answered attempts, s; ``service_level``: attempts answered
  within ``threshold`` / all attempts (blocked and abandoned are misses);
* ``occupancy``: mean busy agents / agents;
* per first attempt (per caller): ``attempts_per_caller``,
  ``caller_p_served`` (answered at some attempt) and ``caller_p_lost`` =
  1 - ``caller_p_served`` (gave up or ran out of attempts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from scipy import special

from .erlang import (
    _check_agents,
    _check_positive_time,
    _check_probability,
    _check_rate,
    _check_time_or_inf,
    _exp,
    answered_terms,
    _log_erlang_b,
    _log_queue_term,
    _log1m,
    _logaddexp,
    _queue_chunks,
    _real,
    _smallest_meeting,
    _describe,
    erlang_a_metrics,
)

__all__ = ["ErlangXResult", "erlang_x_agents", "erlang_x_metrics"]

_INF = math.inf
_NEG_INF = -math.inf


@dataclass(frozen=True)
class ErlangXResult:
    """Steady-state performance of the Erlang X model (see the module docstring for conventions).

    Rates per second, times in seconds. ``exact`` is True without redials
    (the M/M/s/N+M chain); with redials the values are the fixed-point
    approximation's. Everything but the ``caller_`` values and
    ``attempts_per_caller`` is per attempt.
    """

    rate: float  #: first attempts per second (lambda)
    attempt_rate: float  #: attempts per second, redials included (Lambda)
    handle_time: float  #: mean handle time (s)
    patience: float  #: mean patience (s)
    agents: int  #: s
    lines: float  #: N (inf: unlimited)
    threshold: float  #: service-level threshold (s)
    redial_probability: float  #: p
    max_attempts: float  #: K, first attempt included (inf: no limit)
    offered_load: float  #: Erlangs of all attempts: attempt_rate x handle_time
    p_block: float  #: share of attempts blocked (all lines busy)
    p_abandon: float  #: share of attempts abandoned
    p_answered: float  #: share of attempts answered
    p_wait: float  #: share of attempts admitted and not answered at once
    mean_wait: float  #: mean wait per attempt, blocked ones waiting 0 (s)
    asa: float  #: mean wait of answered attempts (s)
    service_level: float  #: attempts answered within threshold / attempts
    occupancy: float  #: mean busy agents / agents
    mean_queue_length: float  #: mean number waiting
    attempts_per_caller: float  #: attempts per first attempt
    caller_p_served: float  #: share of callers answered at some attempt
    caller_p_lost: float  #: share of callers never answered (1 - caller_p_served)
    exact: bool  #: no redials: the exact M/M/s/N+M answer
    iterations: int  #: bisection steps of the fixed point (0 when exact)


@dataclass(frozen=True)
class _Chain:
    """Per-attempt answers of the M/M/s/N+M chain at one arrival rate."""

    p_block: float
    p_abandon: float
    p_answered: float
    p_wait: float
    mean_wait: float
    asa: float
    service_level: float
    mean_queue_length: float


def _check_lines(value: Any, agents: int) -> float:
    if value is None:
        return _INF
    if isinstance(value, float) and value == _INF:
        return _INF
    lines = _check_agents(value, 1, "lines")
    if lines < agents:
        raise ValueError(f"lines must be >= agents ({agents}): every agent's call holds a line, got {lines}")
    return float(lines)


def _chain_impatient(lam: float, h: float, pat: float, n: int, m: float, t: float) -> _Chain:
    """0 < patience < inf, rate > 0; ``m`` = N - s queue places (inf: unlimited)."""
    x = lam * pat  # lambda / theta
    y = n * pat / h  # n mu / theta
    p_beta = -math.expm1(-t / pat)
    jp = int(math.floor(x - y)) if x > y else 0
    top = None if m == _INF else int(m)
    if top is not None:
        jp = min(jp, top)
    log_tp = _log_queue_term(x, y, jp)
    s_all = m_rel = s_adm = served_rel = sl_rel = wserved_rel = w_top = 0.0
    for j, w in _queue_chunks(x, y, jp, top):
        s_all += float(w.sum())
        m_rel += float((j * w).sum())
        if top is not None and j[-1] >= top:  # the full state: arrivals are blocked
            w_top = float(w[-1])
            j, w = j[:-1], w[:-1]
            if not j.size:
                continue
        s_adm += float(w.sum())
        served, sl, wserved = answered_terms(j, w, y, p_beta, pat)
        served_rel += served
        sl_rel += sl
        wserved_rel += wserved
    a = lam * h
    log_b = _log_erlang_b(a, n)
    log_idle = _log1m(_exp(log_b)) - log_b - log_tp
    c = -_logaddexp(log_idle, math.log(s_all))
    scale = _exp(c)
    p_nowait = _exp(log_idle + c)
    mean_q = scale * m_rel
    p_served = min(1.0, p_nowait + scale * served_rel)
    return _Chain(
        p_block=min(1.0, scale * w_top),
        p_abandon=min(1.0, mean_q / x),
        p_answered=p_served,
        p_wait=min(1.0, scale * s_adm),
        mean_wait=mean_q / lam,
        asa=scale * wserved_rel / p_served if p_served > 0 else math.nan,
        service_level=min(1.0, p_nowait + scale * sl_rel),
        mean_queue_length=mean_q,
    )


def _chain_patient(lam: float, h: float, n: int, m: float, t: float) -> _Chain:
    """Infinite patience with m = N - s < inf queue places (M/M/s/N), with the wait distribution."""
    a = lam * h
    top = int(m)
    log_rho = math.log(a / n)
    # weights rho^j relative to the largest (j = top when rho > 1, else j = 0), cut where below 1e-320
    if log_rho > 0:
        lo = max(0, top - int(math.ceil(740.0 / log_rho)) - 1)
        j = np.arange(lo, top + 1, dtype=np.float64)
        lw = (j - top) * log_rho
        log_ref = top * log_rho
    else:
        hi = top if log_rho == 0 else min(top, int(math.ceil(740.0 / -log_rho)) + 1)
        j = np.arange(0, hi + 1, dtype=np.float64)
        lw = j * log_rho
        log_ref = 0.0
    w = np.exp(lw)
    admitted = j < top
    log_b = _log_erlang_b(a, n)
    log_idle = _log1m(_exp(log_b)) - log_b - log_ref
    c = -_logaddexp(log_idle, math.log(float(w.sum())))
    scale = _exp(c)
    p_nowait = _exp(log_idle + c)
    wa, ja = w[admitted], j[admitted]
    mean_q = scale * float((j * w).sum())
    p_block = scale * float(w[~admitted].sum())
    p_answered = 1.0 - p_block
    # an admitted arrival with j ahead waits Gamma(j + 1, n mu): mean (j+1) h / n
    wait_sum = scale * float((wa * (ja + 1.0)).sum()) * h / n
    within = float((wa * special.gammainc(ja + 1.0, n * t / h)).sum()) if t < _INF else float(wa.sum())
    return _Chain(
        p_block=min(1.0, p_block),
        p_abandon=0.0,
        p_answered=p_answered,
        p_wait=min(1.0, scale * float(wa.sum())),
        mean_wait=mean_q / lam,
        asa=wait_sum / p_answered if p_answered > 0 else math.nan,
        service_level=min(1.0, p_nowait + scale * within),
        mean_queue_length=mean_q,
    )


def _chain(lam: float, h: float, pat: float, n: int, lines: float, t: float) -> _Chain:
    """The exact M/M/s/N+M answers per attempt (lines = N, inf: unlimited)."""
    m = lines - n
    if lam == 0.0:
        return _Chain(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    if m == _INF or (pat == _INF and lam * h < n and m > 1e7):
        e = erlang_a_metrics(lam, h, pat, n, t)
        return _Chain(0.0, e.p_abandon, 1.0 - e.p_abandon, e.p_wait, e.mean_wait, e.asa, e.service_level,
                      e.mean_queue_length)
    if pat == 0.0:  # admitted callers who find every agent busy leave at once (wait 0)
        b = _exp(_log_erlang_b(lam * h, n))
        if m == 0:
            return _Chain(b, 0.0, 1.0 - b, 0.0, 0.0, 0.0, 1.0 - b, 0.0)
        return _Chain(0.0, b, 1.0 - b, b, 0.0, 0.0, 1.0 - b, 0.0)
    if pat == _INF:
        return _chain_patient(lam, h, n, m, t)
    return _chain_impatient(lam, h, pat, n, m, t)


def _attempts(loss: float, p: float, k: float) -> float:
    """Mean attempts per caller when each attempt is lost with ``loss`` and redialled with ``p``,
    up to ``k`` attempts: sum_{i<k} (p loss)^i."""
    q = p * loss
    if q >= 1.0:
        return k
    if k == _INF:
        return 1.0 / (1.0 - q)
    return -math.expm1(k * math.log(q)) / (1.0 - q) if q > 0 else 1.0


def erlang_x_metrics(
    rate: float,
    handle_time: float,
    patience: float,
    agents: int,
    lines: Optional[int] = None,
    threshold: float = 20.0,
    *,
    redial_probability: float = 0.0,
    max_attempts: float = _INF,
) -> ErlangXResult:
    """Erlang X: M/M/s/N+M with redials (see the module docstring).

    ``rate``: first attempts per second; ``handle_time``: mean handle time (s);
    ``patience``: mean exponential patience (s; ``math.inf``: never abandon,
    then ``lines`` must be finite or the load below ``agents``); ``agents``: s
    >= 1; ``lines``: N >= s calls in the centre at once (None: unlimited);
    ``threshold``: service-level threshold (s); ``redial_probability``: p, the
    chance a blocked or abandoned attempt is followed by another;
    ``max_attempts``: attempts in all per caller, the first included (>= 1,
    ``math.inf``: no limit). Exact when p = 0 or ``max_attempts`` = 1;
    otherwise the fixed-point approximation. With infinite patience and unlimited
    lines no call is lost, so nobody redials: the answer is Erlang C's (infinite
    waits when the load reaches ``agents``).

    >>> r = erlang_x_metrics(100 / 3600, 180, 120, 5, lines=7)
    >>> round(r.p_block, 4), round(r.p_block + r.p_abandon + r.p_answered, 12)
    (0.101, 1.0)
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    pat = _check_time_or_inf(patience, "patience")
    n = _check_agents(agents, 1)
    big_n = _check_lines(lines, n)
    t = _check_time_or_inf(threshold, "threshold")
    p = _check_probability(redial_probability, "redial_probability")
    k = _real(max_attempts, "max_attempts")
    if not (k == _INF or (k >= 1 and k == int(k))):
        raise ValueError(f"max_attempts must be a whole number >= 1 (math.inf allowed), got {max_attempts!r}")
    # no way to lose a call (infinite patience, unlimited lines): nobody redials, Erlang C
    exact = p == 0.0 or k == 1 or (pat == _INF and big_n == _INF)
    iterations = 0
    if exact:
        total = lam
        chain = _chain(lam, h, pat, n, big_n, t)
    else:
        def excess(total_rate: float) -> tuple[float, _Chain]:
            ch = _chain(total_rate, h, pat, n, big_n, t)
            return total_rate - lam * _attempts(ch.p_block + ch.p_abandon, p, k), ch

        lo, hi = lam, lam * _attempts(1.0, p, k)
        f_lo, chain = excess(lo)
        total = lo
        if f_lo < 0 and hi > lo:
            f_hi, ch_hi = excess(hi)
            if f_hi <= 0:
                total, chain = hi, ch_hi
            else:
                while hi - lo > 1e-13 * hi and iterations < 200:
                    mid = 0.5 * (lo + hi)
                    f_mid, ch_mid = excess(mid)
                    iterations += 1
                    if f_mid < 0:
                        lo = mid
                    else:
                        hi = mid
                total = 0.5 * (lo + hi)
                chain = _chain(total, h, pat, n, big_n, t)
    loss = chain.p_block + chain.p_abandon
    attempts = _attempts(loss, 0.0 if exact else p, 1.0 if exact else k)
    served = min(1.0, chain.p_answered * attempts)
    return ErlangXResult(
        rate=lam,
        attempt_rate=total,
        handle_time=h,
        patience=pat,
        agents=n,
        lines=big_n,
        threshold=t,
        redial_probability=p,
        max_attempts=k,
        offered_load=total * h,
        p_block=chain.p_block,
        p_abandon=chain.p_abandon,
        p_answered=chain.p_answered,
        p_wait=chain.p_wait,
        mean_wait=chain.mean_wait,
        asa=chain.asa,
        service_level=chain.service_level,
        occupancy=min(1.0, total * h * chain.p_answered / n),
        mean_queue_length=chain.mean_queue_length,
        attempts_per_caller=attempts,
        caller_p_served=served,
        caller_p_lost=1.0 - served,
        exact=exact,
        iterations=iterations,
    )


def erlang_x_agents(
    rate: float,
    handle_time: float,
    patience: float,
    *,
    lines: Optional[int] = None,
    redial_probability: float = 0.0,
    max_attempts: float = _INF,
    service_level: Optional[float] = None,
    threshold: float = 20.0,
    abandonment: Optional[float] = None,
    asa: Optional[float] = None,
) -> int:
    """Fewest agents for which the Erlang X model meets every given target (per attempt).

    Arguments as for :func:`erlang_x_metrics` (``rate`` of first attempts per
    second; times in seconds). Targets (at least one): ``service_level`` >=
    target, ``abandonment`` (share of attempts abandoned) <= target, ``asa``
    <= target (s). With finite ``lines`` the search stops at ``lines`` agents
    (more agents than lines cannot all be busy).
    """
    if service_level is None and abandonment is None and asa is None:
        raise ValueError("erlang_x_agents needs at least one target: service_level, abandonment and/or asa")
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    if lam == 0.0:
        return 1
    a = lam * h
    cap = int(math.ceil(100.0 * a / max(1e-9, 1.0 - min(redial_probability, 0.99)) + 100.0))
    if lines is not None:
        cap = min(cap, int(lines))

    def metrics(n: int) -> ErlangXResult:
        return erlang_x_metrics(lam, h, patience, n, lines, threshold,
                                redial_probability=redial_probability, max_attempts=max_attempts)

    def meets(n: int) -> bool:
        if patience == _INF and lines is None and a >= n:
            return False
        m = metrics(n)
        if service_level is not None and m.service_level < service_level:
            return False
        if abandonment is not None and m.p_abandon > abandonment:
            return False
        if asa is not None and not m.asa <= asa:
            return False
        return True

    what = "Erlang X staffing for " + _describe(service_level=service_level, abandonment=abandonment, asa=asa)
    start = max(1, min(cap, int(math.ceil(a))))
    return _smallest_meeting(meets, 0, start, cap, what)
