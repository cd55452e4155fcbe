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
from typing import Optional

import numpy as np

from .calllog import ABANDONED, ANSWERED, BALKED, OUTCOMES, UNREACHED, UNSERVED, CallLog

__all__ = [
    "CALLER_METRICS",
    "JOURNEY_METRICS",
    "journey_metrics",
    "POLICY_METRICS",
    "describe_metric",
    "metric_unit",
    "INTERVAL_COLUMNS",
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "caller_metrics",
    "interval_table",
    "overlap",
    "summarise",
    "time_integral",
]

#: Metric names and their meaning/unit, in report order.
METRIC_DESCRIPTIONS: dict[str, str] = {
    "offered": "calls arriving in the measured window (count)",
    "answered": "offered calls answered by an agent (count)",
    "abandoned": "offered calls that hung up before an answer (count)",
    "unserved": "offered calls never answered because no agent was left on duty (count)",
    "abandonment_rate": "(abandoned + balked) / offered: callers who hung up unserved (fraction)",
    "asa": "average speed of answer: mean wait of calls answered live (s)",
    "mean_wait": "mean wait of all offered calls, answered or abandoned (s)",
    "wait_p50": "median wait of all offered calls (s)",
    "wait_p90": "90th percentile of the wait of all offered calls (s)",
    "wait_p99": "99th percentile of the wait of all offered calls (s)",
    "service_level": "answered live within the threshold / offered; abandoned calls and callbacks are misses (fraction)",
    "p_wait": "share of offered calls not answered at once (fraction)",
    "occupancy": "agent busy time / agent staffed time in the window (fraction)",
    "mean_queue_length": "time-average number of callers on hold in the window (callers)",
    "wasted_hold_time": "total time on hold of callers who hung up anyway (abandoned or balked) (s)",
    "overtime": "agent time spent finishing calls after a shift or break began (s)",
}

#: Metrics reported when a scenario has a callback option or informative announcements.
POLICY_METRICS: dict[str, str] = {
    "balked": "offered calls that hung up on hearing the predicted wait (count)",
    "callback_offers": "calls offered a callback (count)",
    "callback_accepts": "calls that accepted a callback / web form (count)",
    "callbacks_completed": "accepted callbacks in which an agent reached the customer (count)",
    "callbacks_unreached": "accepted callbacks never completed: attempts exhausted or promise broken (count)",
    "promise_kept_rate": "callbacks_completed / callback_accepts (fraction)",
    "callback_delay": "mean time from accepting to being reached, completed callbacks (s)",
    "hold_time_saved": "total time from accepting to being reached: waiting done off hold (s)",
    "prediction_error": "mean absolute error of the predicted wait, callers answered live (s)",
    "prediction_bias": "mean predicted minus actual wait, callers answered live (s)",
}
METRICS: tuple[str, ...] = tuple(METRIC_DESCRIPTIONS)

#: Metrics about callers rather than attempts (reported when redials are on).
CALLER_METRICS: dict[str, str] = {
    "unique_callers": "distinct callers whose first call arrived in the window (count)",
    "attempts_per_caller": "calls (first call and redials) per unique caller (calls)",
    "eventually_served_rate": "share of unique callers answered at some attempt (fraction)",
    "caller_abandonment_rate": "share of unique callers never answered (fraction)",
}

#: Metrics reported for scenarios with departments (``groups``), plus per group
#: ``occupancy[group=g]``, ``asa[group=g]``, ``abandonment_rate[group=g]`` (legs
#: waiting in the group's queue).
JOURNEY_METRICS: dict[str, str] = {
    "transfer_rate": "transfers per unique caller (transfers)",
    "first_contact_resolution": "share of unique callers resolved by their first call without a transfer (fraction)",
    "journey_wait": "mean total hold time per unique caller, over all legs and calls (s)",
    "agent_time_per_resolved": "agent time spent on the window's callers (talk, identification, warm hold, conference) per resolved caller (s)",
    "journey_abandonment_rate": "share of unique callers never resolved: gave up, hung up or out of attempts (fraction)",
    "transfer_abandonment_rate": "share of transferred legs abandoned before an answer (fraction)",
}

#: Columns of the per-interval table, in order.
INTERVAL_COLUMNS: dict[str, str] = {
    "interval_start": "start of the interval, seconds from the start of the day (s)",
    "offered": "calls arriving in the interval (count)",
    "answered": "of those, answered (count)",
    "abandoned": "of those, abandoned (count)",
    "abandonment_rate": "abandoned / offered (fraction)",
    "asa": "mean wait of the answered ones (s)",
    "mean_wait": "mean wait of all of them (s)",
    "service_level": "answered within the threshold / offered (fraction)",
    "occupancy": "busy agent time / on-duty agent time in the interval, overtime included (fraction)",
    "agents": "mean agents on duty during the interval (agents)",
    "mean_queue_length": "time-average callers on hold during the interval (callers)",
}


def overlap(starts: np.ndarray, ends: np.ndarray, window_start: float, window_end: float) -> float:
    """Total length (s) of the intervals ``[starts, ends)`` inside ``[window_start, window_end)``."""
    if starts.size == 0:
        return 0.0
    lo = np.maximum(starts, window_start)
    hi = np.minimum(ends, window_end)
    return float(np.sum(np.clip(hi - lo, 0.0, None)))


def time_integral(starts: np.ndarray, ends: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    """Integral of N(t), the number of intervals ``[starts, ends)`` covering t, over each
    ``[boundaries[k], boundaries[k+1])`` (seconds x count). ``ends`` may be ``inf``."""
    boundaries = np.asarray(boundaries, dtype=np.float64)
    if starts.size == 0:
        return np.zeros(max(boundaries.size - 1, 0))
    s = np.sort(np.asarray(starts, dtype=np.float64))
    e = np.sort(np.asarray(ends, dtype=np.float64))
    cum_s = np.concatenate(([0.0], np.cumsum(s)))
    finite_e = e[np.isfinite(e)]
    cum_e = np.concatenate(([0.0], np.cumsum(finite_e)))

    def integral_to(t: np.ndarray) -> np.ndarray:
        ns = np.searchsorted(s, t, side="left")
        ne = np.searchsorted(finite_e, t, side="left")
        return (t * ns - cum_s[ns]) - (t * ne - cum_e[ne])

    return np.diff(integral_to(boundaries))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def summarise(
    calls: CallLog,
    *,
    window_start: float,
    window_end: float,
    staffed_time: float,
    threshold: float,
    extra_work: Optional[np.ndarray] = None,
    busy_time: Optional[float] = None,
) -> dict[str, float]:
    """The per-replication metrics of :data:`METRICS` for the calls in ``calls``.

    ``staffed_time`` is agent-seconds on duty inside the window (for a constant
    ``n`` agents: ``n * (window_end - window_start)``); ``threshold`` is the
    service-level threshold in seconds; ``extra_work`` holds agent work outside
    calls' answer..end intervals as ``(agent, start, end)`` rows (callback dialling);
    ``busy_time`` (agent-seconds in the window), when given, replaces both.
    """
    length = window_end - window_start
    answered_all = calls.answered
    if busy_time is not None:
        busy = busy_time
    else:
        busy = overlap(calls.answer[answered_all], calls.end[answered_all], window_start, window_end)
        if extra_work is not None and extra_work.size:
            busy += overlap(extra_work[:, 1], extra_work[:, 2], window_start, window_end)
    hold = np.where(np.isfinite(calls.wait), calls.wait, 0.0)
    on_hold = overlap(calls.arrival, calls.arrival + hold, window_start, window_end)

    counted = (calls.arrival >= window_start) & (calls.arrival < window_end)
    wait = calls.wait[counted]
    outcome = calls.outcome[counted]
    answered = outcome == ANSWERED
    live = answered if calls.callback is None else answered & (calls.callback[counted] == 0)
    offered = int(counted.sum())
    counts = np.bincount(outcome, minlength=len(OUTCOMES))
    lost = int(counts[ABANDONED] + counts[BALKED])
    within = int(np.count_nonzero(live & (wait <= threshold)))
    not_at_once = int(np.count_nonzero((wait > 0) | ~answered))
    if offered:
        p50, p90, p99 = (float(q) for q in np.quantile(wait, [0.5, 0.9, 0.99]))
    else:
        p50 = p90 = p99 = math.nan
    out = {
        "offered": float(offered),
        "answered": float(counts[ANSWERED]),
        "abandoned": float(counts[ABANDONED]),
        "unserved": float(counts[UNSERVED]),
        "abandonment_rate": lost / offered if offered else math.nan,
        "asa": _mean(wait[live]),
        "mean_wait": _mean(wait),
        "wait_p50": p50,
        "wait_p90": p90,
        "wait_p99": p99,
        "service_level": within / offered if offered else math.nan,
        "p_wait": not_at_once / offered if offered else math.nan,
        "occupancy": busy / staffed_time if staffed_time > 0 else math.nan,
        "mean_queue_length": on_hold / length if length > 0 else math.nan,
        "wasted_hold_time": float(np.sum(wait[(outcome == ABANDONED) | (outcome == BALKED)])),
    }
    if calls.callback is not None:
        out.update(_policy_metrics(calls, counted, counts, offered))
    return out


def _policy_metrics(calls: CallLog, counted: np.ndarray, counts: np.ndarray, offered: int) -> dict[str, float]:
    kind = calls.callback[counted]
    took = kind > 0
    answered = calls.outcome[counted] == ANSWERED
    done = took & answered
    requested = calls.requested[counted]
    contact = calls.answer[counted]
    accepts = int(np.count_nonzero(took))
    offers = int(np.count_nonzero(calls.callback_offered[counted])) if calls.callback_offered is not None else accepts
    predicted = calls.predicted_wait[counted] if calls.predicted_wait is not None else np.full(offered, np.nan)
    live = answered & ~took & np.isfinite(predicted)
    error = predicted[live] - calls.wait[counted][live]
    return {
        "balked": float(counts[BALKED]),
        "callback_offers": float(offers),
        "callback_accepts": float(accepts),
        "callbacks_completed": float(np.count_nonzero(done)),
        "callbacks_unreached": float(counts[UNREACHED]),
        "promise_kept_rate": np.count_nonzero(done) / accepts if accepts else math.nan,
        "callback_delay": _mean(contact[done] - requested[done]),
        "hold_time_saved": float(np.sum(contact[done] - requested[done])),
        "prediction_error": float(np.mean(np.abs(error))) if error.size else math.nan,
        "prediction_bias": float(np.mean(error)) if error.size else math.nan,
    }


def caller_metrics(calls: CallLog, *, window_start: float, window_end: float) -> dict[str, float]:
    """Unique-caller view of redials: callers whose first call arrived in the window,
    followed over all their attempts (see :data:`CALLER_METRICS`)."""
    first = (calls.attempt == 1) & (calls.arrival >= window_start) & (calls.arrival < window_end)
    ids = calls.caller[first]
    n = int(ids.size)
    if n == 0:
        return {k: (0.0 if k == "unique_callers" else math.nan) for k in CALLER_METRICS}
    mine = np.isin(calls.caller, ids)
    attempts = int(np.count_nonzero(mine))
    served = np.unique(calls.caller[mine & calls.answered]).size
    return {
        "unique_callers": float(n),
        "attempts_per_caller": attempts / n,
        "eventually_served_rate": served / n,
        "caller_abandonment_rate": 1.0 - served / n,
    }


def interval_table(
    calls: CallLog,
    *,
    boundaries: np.ndarray,
    duty_starts: np.ndarray,
    duty_ends: np.ndarray,
    overtime: np.ndarray,
    threshold: float,
    extra_work: Optional[np.ndarray] = None,
    work: Optional[np.ndarray] = None,
) -> dict[str, np.ndarray]:
    """Per-interval metrics (see :data:`INTERVAL_COLUMNS`) for intervals between ``boundaries``.

    ``duty_starts``/``duty_ends`` are the agents' duty periods (s; ends may be
    inf) and ``overtime`` the engine's ``(agent, from, to)`` rows.
    """
    boundaries = np.asarray(boundaries, dtype=np.float64)
    k = boundaries.size - 1
    lengths = np.diff(boundaries)
    slot = np.searchsorted(boundaries, calls.arrival, side="right") - 1
    inside = (slot >= 0) & (slot < k)
    slot, wait, answered = slot[inside], calls.wait[inside], calls.answered[inside]
    abandoned = (calls.abandoned | calls.balked)[inside]
    offered = np.bincount(slot, minlength=k).astype(np.float64)
    n_answered = np.bincount(slot, weights=answered, minlength=k)
    n_abandoned = np.bincount(slot, weights=abandoned, minlength=k)
    live = answered if calls.callback is None else answered & (calls.callback[inside] == 0)
    within = np.bincount(slot, weights=live & (wait <= threshold), minlength=k)
    n_live = np.bincount(slot, weights=live, minlength=k)
    wait_answered = np.bincount(slot, weights=np.where(live, wait, 0.0), minlength=k)
    wait_all = np.bincount(slot, weights=np.where(np.isfinite(wait), wait, 0.0), minlength=k)
    ans = calls.answered
    if work is not None:
        busy = time_integral(work[:, 1], work[:, 2], boundaries)
    else:
        busy = time_integral(calls.answer[ans], calls.end[ans], boundaries)
        if extra_work is not None and extra_work.size:
            busy = busy + time_integral(extra_work[:, 1], extra_work[:, 2], boundaries)
    hold = np.where(np.isfinite(calls.wait), calls.wait, 0.0)
    on_hold = time_integral(calls.arrival, calls.arrival + hold, boundaries)
    duty = time_integral(duty_starts, duty_ends, boundaries)
    extra = time_integral(overtime[:, 1], overtime[:, 2], boundaries) if overtime.size else np.zeros(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "interval_start": boundaries[:-1].copy(),
            "offered": offered,
            "answered": n_answered,
            "abandoned": n_abandoned,
            "abandonment_rate": np.where(offered > 0, n_abandoned / offered, np.nan),
            "asa": np.where(n_live > 0, wait_answered / n_live, np.nan),
            "mean_wait": np.where(offered > 0, wait_all / offered, np.nan),
            "service_level": np.where(offered > 0, within / offered, np.nan),
            "occupancy": np.where(duty + extra > 0, busy / (duty + extra), np.nan),
            "agents": duty / lengths,
            "mean_queue_length": on_hold / lengths,
        }


def describe_metric(name: str) -> str:
    """The meaning of any reported metric, ending with its unit in parentheses.

    ``metric[type]`` (per call type) is described like ``metric``. Unknown
    names give an empty string.
    """
    from .costs import COST_METRICS

    base = name.split("[", 1)[0]
    for table in (METRIC_DESCRIPTIONS, CALLER_METRICS, POLICY_METRICS, COST_METRICS, JOURNEY_METRICS):
        if base in table:
            text = table[base]
            return text if base == name else f"{text} -- {name[len(base) + 1:-1]} only"
    return ""


def metric_unit(name: str) -> str:
    """The unit of a metric: 's', 'fraction', 'count', 'currency', ... ('' if unknown)."""
    text = describe_metric(name).split(" -- ", 1)[0]
    return text[text.rfind("(") + 1 : -1] if text.endswith(")") else ""




def journey_metrics(
    calls: CallLog,
    legs: np.ndarray,
    work: np.ndarray,
    *,
    window_start: float,
    window_end: float,
    group_names: list[str],
    agent_groups: list[int],
    staffed_by_group: list[float],
) -> dict[str, float]:
    """Departments: journey metrics of :data:`JOURNEY_METRICS` and per-group metrics.

    Callers count when their first call arrives in the window; legs when they
    start in it. ``legs`` rows: (call, group, start, end, agent, outcome);
    ``work`` rows: (agent, start, end, call, kind).
    """
    first = (calls.attempt == 1) & (calls.arrival >= window_start) & (calls.arrival < window_end)
    callers = np.unique(calls.caller[first])
    n = int(callers.size)
    mine = np.isin(calls.caller, callers)
    out: dict[str, float] = {}
    if n:
        ids, inverse = np.unique(calls.caller[mine], return_inverse=True)
        resolved_any = np.bincount(inverse, weights=calls.resolved[mine], minlength=ids.size) > 0
        fcr = first & calls.resolved & (calls.transfers == 0)
        work_calls = work[:, 3].astype(np.int64) if work.size else np.empty(0, dtype=np.int64)
        in_mine = mine[work_calls] if work.size else np.empty(0, dtype=bool)
        agent_time = float(np.sum(work[in_mine, 2] - work[in_mine, 1])) if work.size else 0.0
        n_resolved = int(resolved_any.sum())
        out.update(
            transfer_rate=float(calls.transfers[mine].sum()) / n,
            first_contact_resolution=int(fcr.sum()) / n,
            journey_wait=float(np.sum(np.where(np.isfinite(calls.wait[mine]), calls.wait[mine], 0.0))) / n,
            agent_time_per_resolved=agent_time / n_resolved if n_resolved else math.nan,
            journey_abandonment_rate=1.0 - n_resolved / n,
        )
    else:
        out.update({k: math.nan for k in JOURNEY_METRICS if k != "transfer_abandonment_rate"})
    if legs.size:
        call = legs[:, 0].astype(np.int64)
        order = np.lexsort((legs[:, 2], call))
        later = np.zeros(len(legs), dtype=bool)
        later[order[1:]] = call[order[1:]] == call[order[:-1]]  # not the call's first leg: after a transfer
        started = (legs[:, 2] >= window_start) & (legs[:, 2] < window_end)
        moved = later & started
        out["transfer_abandonment_rate"] = float(np.mean(legs[moved, 5] == 1)) if moved.any() else math.nan
        wait = legs[:, 3] - legs[:, 2]
        for g, name in enumerate(group_names):
            here = started & (legs[:, 1] == g)
            answered = here & (legs[:, 5] == 0)
            out[f"asa[group={name}]"] = float(wait[answered].mean()) if answered.any() else math.nan
            out[f"abandonment_rate[group={name}]"] = float(np.mean(legs[here, 5] == 1)) if here.any() else math.nan
    else:
        out["transfer_abandonment_rate"] = math.nan
    groups_of = np.asarray(agent_groups, dtype=np.int64)
    for g, name in enumerate(group_names):
        rows = groups_of[work[:, 0].astype(np.int64)] == g if work.size else np.empty(0, dtype=bool)
        busy = overlap(work[rows, 1], work[rows, 2], window_start, window_end) if work.size else 0.0
        staffed = staffed_by_group[g]
        out[f"occupancy[group={name}]"] = busy / staffed if staffed > 0 else math.nan
    return out
