"""Metrics of one replication, computed from its call log with numpy.

Pure functions: a :class:`~queuesim.calllog.CallLog` and the measured window
in, plain floats out. Conventions (the same in the analytic module):

* **counted calls** are those arriving in the window ``[start, end)``;
* ``abandonment_rate`` = abandoned / offered;
* ``asa`` = mean wait of answered calls (s); ``mean_wait`` = mean wait of all
  counted calls, answered or abandoned (s); ``wait_p50/p90/p99`` are quantiles
  of the wait of all counted calls (s);
* ``service_level`` = calls answered within the threshold / offered:
  abandoned calls count as misses whenever they hung up;
* ``p_wait`` = share of offered calls not answered at once (waited, or abandoned);
* ``occupancy`` = agent busy time / agent staffed time, both inside the window;
* ``mean_queue_length`` = time-average number of callers on hold inside the
  window (every call's hold interval clipped to the window, divided by its length).
"""

from __future__ import annotations

import math

import numpy as np

from .calllog import CallLog

__all__ = ["METRICS", "METRIC_DESCRIPTIONS", "overlap", "summarise"]

#: Metric names and their meaning/unit, in report order.
METRIC_DESCRIPTIONS: dict[str, str] = {
    "offered": "calls arriving in the measured window (count)",
    "answered": "offered calls answered by an agent (count)",
    "abandoned": "offered calls that hung up before an answer (count)",
    "abandonment_rate": "abandoned / offered (fraction)",
    "asa": "average speed of answer: mean wait of answered calls (s)",
    "mean_wait": "mean wait of all offered calls, answered or abandoned (s)",
    "wait_p50": "median wait of all offered calls (s)",
    "wait_p90": "90th percentile of the wait of all offered calls (s)",
    "wait_p99": "99th percentile of the wait of all offered calls (s)",
    "service_level": "answered within the threshold / offered; abandoned calls are misses (fraction)",
    "p_wait": "share of offered calls not answered at once (fraction)",
    "occupancy": "agent busy time / agent staffed time in the window (fraction)",
    "mean_queue_length": "time-average number of callers on hold in the window (callers)",
}
METRICS: tuple[str, ...] = tuple(METRIC_DESCRIPTIONS)


def overlap(starts: np.ndarray, ends: np.ndarray, window_start: float, window_end: float) -> float:
    """Total length (s) of the intervals ``[starts, ends)`` inside ``[window_start, window_end)``."""
    if starts.size == 0:
        return 0.0
    lo = np.maximum(starts, window_start)
    hi = np.minimum(ends, window_end)
    return float(np.sum(np.clip(hi - lo, 0.0, None)))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def summarise(
    calls: CallLog,
    *,
    window_start: float,
    window_end: float,
    staffed_time: float,
    threshold: float,
) -> dict[str, float]:
    """The per-replication metrics of :data:`METRICS` for the calls in ``calls``.

    ``staffed_time`` is agent-seconds on duty inside the window (for a constant
    ``n`` agents: ``n * (window_end - window_start)``); ``threshold`` is the
    service-level threshold in seconds.
    """
    length = window_end - window_start
    answered_all = calls.answered
    busy = overlap(
        calls.answer[answered_all], calls.end[answered_all], window_start, window_end
    )
    on_hold = overlap(calls.arrival, calls.arrival + calls.wait, window_start, window_end)

    counted = (calls.arrival >= window_start) & (calls.arrival < window_end)
    wait = calls.wait[counted]
    answered = answered_all[counted]
    offered = int(counted.sum())
    n_answered = int(answered.sum())
    within = int(np.count_nonzero(answered & (wait <= threshold)))
    not_at_once = int(np.count_nonzero((wait > 0) | ~answered))
    if offered:
        p50, p90, p99 = (float(q) for q in np.quantile(wait, [0.5, 0.9, 0.99]))
    else:
        p50 = p90 = p99 = math.nan
    return {
        "offered": float(offered),
        "answered": float(n_answered),
        "abandoned": float(offered - n_answered),
        "abandonment_rate": (offered - n_answered) / offered if offered else math.nan,
        "asa": _mean(wait[answered]),
        "mean_wait": _mean(wait),
        "wait_p50": p50,
        "wait_p90": p90,
        "wait_p99": p99,
        "service_level": within / offered if offered else math.nan,
        "p_wait": not_at_once / offered if offered else math.nan,
        "occupancy": busy / staffed_time if staffed_time > 0 else math.nan,
        "mean_queue_length": on_hold / length if length > 0 else math.nan,
    }
