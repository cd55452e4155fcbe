"""Non-preemptive priority M/M/n: mean waits per class (Cobham's formula).

Classes ``1..K`` (1 served first) arrive as independent Poisson streams with
rates ``rates[k]`` (per second) and share one pool of ``agents`` with the same
exponential handle time (mean ``handle_time`` s). A free agent takes the head
of the highest non-empty class; service is never interrupted. Then (Cobham
1954; Kleinrock, *Queueing Systems* vol. 2, 1976, section 3.6)::

    W_k = C(n, a) / (n mu (1 - s_{k-1}) (1 - s_k)),   s_k = (lambda_1 + ... + lambda_k) / (n mu)

with ``C(n, a)`` the Erlang C probability of waiting for the total load
``a = lambda / mu``. Averaged over classes weighted by their rates, the waits
are those of the FCFS M/M/n queue (the order of service does not change the
number waiting).
"""

from __future__ import annotations

from typing import Sequence

from .erlang import erlang_c

__all__ = ["priority_mmn_waits"]


def priority_mmn_waits(rates: Sequence[float], handle_time: float, agents: int) -> list[float]:
    """Mean wait (s) of each priority class, highest priority first, in a non-preemptive M/M/n.

    ``rates``: arrival rate of each class (per second), highest priority first;
    ``handle_time``: mean exponential handle time (s), the same for every class;
    ``agents``: n. The total load must be below ``agents``.

    >>> [round(w, 3) for w in priority_mmn_waits([0.25, 0.25], 1.0, 1)]  # M/M/1 at 50%: FCFS waits 1.0
    [0.667, 1.333]
    """
    if handle_time <= 0 or agents < 1 or any(r < 0 for r in rates):
        raise ValueError("priority_mmn_waits: rates >= 0, handle_time > 0 and agents >= 1 are required")
    capacity = agents / handle_time  # n mu, calls per second
    load = sum(rates) * handle_time
    if load >= agents:
        raise ValueError(f"priority_mmn_waits: load {load:g} Erlangs must be below {agents} agents")
    wait_factor = erlang_c(load, agents) / capacity
    waits, before = [], 0.0
    for rate in rates:
        after = before + rate / capacity
        waits.append(wait_factor / ((1.0 - before) * (1.0 - after)))
        before = after
    return waits
