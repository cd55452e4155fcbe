"""Exact M/M/n/K: n agents, room for K calls in the system (K - n waiting places).

Units: times in **seconds**, rates **per second**, offered load in **Erlangs**.
Calls arriving when K calls are present are blocked (busy signal). All sums
are closed-form geometric series taken in log space, so any n and K work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .erlang import (
    _check_agents,
    _check_positive_time,
    _check_rate,
    _exp,
    _log1m,
    _log_erlang_b,
    _logaddexp,
)

__all__ = ["MMNKResult", "mmnk_metrics"]

_NEG_INF = -math.inf


@dataclass(frozen=True)
class MMNKResult:
    """Steady-state performance of the M/M/n/K queue. Times in seconds, rates per second."""

    offered_load: float  #: Erlangs (rate * handle_time)
    agents: int  #: n
    capacity: int  #: K, the most calls in the system (in service + waiting)
    p_block: float  #: P(an arrival finds K calls present and is lost)
    p_wait: float  #: P(an arrival is admitted and waits), as a fraction of all arrivals
    p_wait_given_admitted: float  #: P(wait | admitted)
    mean_queue_length: float  #: mean number waiting
    mean_in_system: float  #: mean number waiting or in service
    mean_wait: float  #: mean wait of admitted calls (s), by Little's law
    throughput: float  #: admitted (= served) calls per second
    occupancy: float  #: mean busy agents / agents


def _log_abs_expm1(u: float) -> float:
    """log|exp(u) - 1| for u != 0, without overflow."""
    if u > 0:
        return u + math.log(-math.expm1(-u))
    return math.log(-math.expm1(u))


def _log_geometric(delta: float, count: int) -> float:
    """log sum_{j=0}^{count-1} exp(j delta); -inf when count == 0."""
    if count <= 0:
        return _NEG_INF
    if delta == 0.0:
        return math.log(count)
    return _log_abs_expm1(count * delta) - _log_abs_expm1(delta)


# 1/expm1(u) = 1/u - 1/2 + f(u); f's Taylor coefficients are B_2k / (2k)!.
_F_COEFFS = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000, 1 / 74724249600)


def _f_small(u: float) -> float:
    u2 = u * u
    s = 0.0
    for c in reversed(_F_COEFFS):
        s = s * u2 + c
    return u * s


def _truncated_geometric_mean(delta: float, m: int) -> float:
    """Mean of J on {0..m} with P(J = j) proportional to exp(j delta)."""
    if m == 0:
        return 0.0
    u = (m + 1) * delta
    if abs(u) < 0.5:
        # m/2 + f(-delta) - (m+1) f(-(m+1) delta): no cancellation near delta = 0.
        return m / 2 + _f_small(-delta) - (m + 1) * _f_small(-u)
    # 1/expm1(-delta) - (m+1)/expm1(-(m+1) delta), guarding overflow of expm1.
    first = 1.0 / math.expm1(-delta) if -delta < 700 else 0.0
    second = (m + 1) / math.expm1(-u) if -u < 700 else 0.0
    return first - second


def mmnk_metrics(rate: float, handle_time: float, agents: int, capacity: int) -> MMNKResult:
    """Exact M/M/n/K metrics (Poisson arrivals, exponential handle times, FCFS).

    ``rate``: arrivals per second; ``handle_time``: mean handle time (s);
    ``agents``: n >= 1; ``capacity``: K >= n, the most calls in the system.

    With a = rate * handle_time, rho = a / n and m = K - n, the stationary
    distribution is pi_k ~ a^k / k! for k <= n and pi_{n+j} = pi_n rho^j for
    j <= m. Relative to pi_n the idle part sums to (1 - B)/B with B = Erlang B
    (a, n), and the queue part is a geometric series; both are combined in log
    space. Then p_block = pi_K, p_wait = sum_{k=n}^{K-1} pi_k (PASTA),
    throughput = rate (1 - p_block), busy agents = a (1 - p_block),
    mean_wait = mean_queue_length / throughput (Little).
    """
    lam = _check_rate(rate)
    h = _check_positive_time(handle_time, "handle_time")
    n = _check_agents(agents, 1)
    k_cap = _check_agents(capacity, 1, "capacity")
    if k_cap < n:
        raise ValueError(f"capacity K={k_cap} must be >= agents n={n} (K counts calls in service too)")
    a = lam * h
    if a == 0.0:
        return MMNKResult(a, n, k_cap, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    m = k_cap - n
    delta = math.log1p((a - n) / n)  # log rho

    # All logs are relative to pi_n times rho^m when rho > 1 (the full state
    # dominates) and to pi_n otherwise, so m log(rho) never cancels against itself.
    log_b = _log_erlang_b(a, n)
    log_idle = _log1m(_exp(log_b)) - log_b  # sum_{k<n} pi_k / pi_n
    if delta > 0:
        ref = m * delta
        log_queue = _log_geometric(-delta, m + 1)  # sum_{j=0}^{m} rho^(j-m)
        log_queue_open = -delta + _log_geometric(-delta, m) if m > 0 else _NEG_INF
        log_top = 0.0
    else:
        ref = 0.0
        log_queue = _log_geometric(delta, m + 1)  # sum_{j=0}^{m} rho^j
        log_queue_open = _log_geometric(delta, m)  # states with room left
        log_top = m * delta
    log_idle -= ref
    log_z = _logaddexp(log_idle, log_queue)

    p_block = _exp(log_top - log_z)
    p_admit = _exp(_logaddexp(log_idle, log_queue_open) - log_z)
    p_wait = _exp(log_queue_open - log_z)
    lq = _exp(log_queue - log_z) * _truncated_geometric_mean(delta, m)
    busy = a * p_admit
    throughput = lam * p_admit
    return MMNKResult(
        offered_load=a,
        agents=n,
        capacity=k_cap,
        p_block=p_block,
        p_wait=p_wait,
        p_wait_given_admitted=min(1.0, p_wait / p_admit),
        mean_queue_length=lq,
        mean_in_system=busy + lq,
        mean_wait=lq / throughput,
        throughput=throughput,
        occupancy=min(1.0, busy / n),
    )
