"""Metrics of one replication, computed from its call log with numpy.

Pure functions: a :class:`~queuesim.measure.calllog.CallLog` and the measured window
in, plain floats out. Conventions (the same in the analytic module):

* **counted calls** are those arriving in the window ``[start, end)``;
* ``abandonment_rate`` = abandoned / offered;
* ``asa`` = mean wait of answered calls (s); ``mean_wait`` = mean wait of all
  counted calls, answered or abandoned (s); ``wait_p50/p90/p99`` are quantiles
  of the wait of all counted calls (s);
* ``service_level`` = calls answered within the threshold / offered:
  abandoned calls count as misses whenever they hung up;
* ``p_wait`` = share of offered calls not answered at once (waited, abandoned or blocked);
* with finite ``lines``, blocked calls are offered calls that never waited (wait 0): they count in
  ``offered`` and every ``/ offered`` rate, are misses of the service level, and are neither answered
  nor abandoned; ``blocking_rate`` = blocked / offered;
* ``occupancy`` = agent busy time / agent staffed time, both inside the window;
* ``mean_queue_length`` = time-average number of callers on hold inside the
  window (every call's hold interval clipped to the window, divided by its length).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .agents import AGENT_METRICS, ATTRITION_METRICS
from .calllog import CallLog
from .costs import COST_METRICS
from .tally import CallerTally, CallTally, IntervalTally, JourneyTally, overlap, time_integral

__all__ = [
    "HOLD_COST_METRICS",
    "CALLER_METRICS",
    "JOURNEY_METRICS",
    "LINE_METRICS",
    "journey_metrics",
    "POLICY_METRICS",
    "describe_metric",
    "metric_unit",
    "INTERVAL_COLUMNS",
    "LINES_INTERVAL_COLUMNS",
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "caller_metrics",
    "interval_table",
    "metric_value",
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

#: What long holds cost beyond the wait: messages sat through (with announcements), agent time added by customer
#: slowdown (with handle_time_slowdown) and spent on redials (with redial).
HOLD_COST_METRICS: dict[str, str] = {
    "messages_heard": "recorded hold messages sat through to the end, per offered call (messages)",
    "slowdown_time": "agent time added by customer slowdown: callers who waited long take longer to serve (s)",
    "redial_agent_time": "agent time (talk) spent on calls that were redials: callers calling again after hanging up or an unresolved call (s)",
}

#: Metrics reported when a scenario has finite ``lines``.
LINE_METRICS: dict[str, str] = {
    "blocked": "offered calls that found every line busy: busy tone, never on hold (count)",
    "blocking_rate": "blocked / offered (fraction)",
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
    "live_mean_wait": "mean wait of the offered calls that stayed on the line (took no callback), answered or not (s)",
    "live_wait_p90": "90th percentile of the wait of the calls that stayed on the line (s)",
    "live_abandonment_rate": "(abandoned + balked) / calls that stayed on the line (fraction)",
    "live_service_level": "answered within the threshold / calls that stayed on the line (fraction)",
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
    "abandoned": "of those, hung up unserved: abandoned or balked (count; the summary counts balked apart)",
    "abandonment_rate": "abandoned / offered (fraction; as the summary's (abandoned + balked) / offered)",
    "blocked": "of those, blocked: every line busy (count; only with finite lines)",
    "blocking_rate": "blocked / offered (fraction; only with finite lines)",
    "asa": "mean wait of the answered ones (s)",
    "mean_wait": "mean wait of all of them (s)",
    "service_level": "answered within the threshold / offered (fraction)",
    "occupancy": "busy agent time / on-duty agent time in the interval, overtime included (fraction)",
    "agents": "mean agents on duty during the interval (agents)",
    "mean_queue_length": "time-average callers on hold during the interval (callers)",
}
#: Columns of the per-interval table only a scenario with finite ``lines`` has.
LINES_INTERVAL_COLUMNS = ("blocked", "blocking_rate")


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
    Wait quantiles come from a :class:`~queuesim.measure.tally.WaitHistogram` (0.1 %
    resolution), exactly as when a replication tallies its log in chunks.
    """
    tally = CallTally(window_start=window_start, window_end=window_end, threshold=threshold)
    tally.add(calls)
    return tally.result(staffed_time=staffed_time, extra_work=extra_work, busy_time=busy_time)


def caller_metrics(calls: CallLog, *, window_start: float, window_end: float) -> dict[str, float]:
    """Unique-caller view of redials: callers whose first call arrived in the window,
    followed over all their attempts (see :data:`CALLER_METRICS`)."""
    tally = CallerTally(window_start=window_start, window_end=window_end)
    tally.add(calls)
    out = tally.result()
    return {name: out[name] for name in CALLER_METRICS}


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
    blocking: bool = False,
) -> dict[str, np.ndarray]:
    """Per-interval metrics (see :data:`INTERVAL_COLUMNS`) for intervals between ``boundaries``.

    ``duty_starts``/``duty_ends`` are the agents' duty periods (s; ends may be
    inf) and ``overtime`` the engine's ``(agent, from, to)`` rows; ``blocking``: add the
    ``blocked`` and ``blocking_rate`` columns (a scenario with finite ``lines``).
    """
    tally = IntervalTally(boundaries=boundaries, threshold=threshold, blocking=blocking)
    tally.add(calls, busy=work is None)
    return tally.result(duty_starts=duty_starts, duty_ends=duty_ends, overtime=overtime,
                        extra_work=extra_work, work=work)


def describe_metric(name: str) -> str:
    """The meaning of any reported metric, ending with its unit in parentheses.

    ``metric[type]`` (per call type) is described like ``metric``. Unknown
    names give an empty string.
    """

    base = name.split("[", 1)[0]
    for table in (METRIC_DESCRIPTIONS, HOLD_COST_METRICS, CALLER_METRICS, POLICY_METRICS, COST_METRICS, JOURNEY_METRICS,
                  LINE_METRICS, AGENT_METRICS, ATTRITION_METRICS):
        if base in table:
            text = table[base]
            return text if base == name else f"{text} -- {name[len(base) + 1:-1]} only"
    return ""


#: Without a callback option every caller stays on the line: these metrics then equal the overall ones.
LIVE_EQUIVALENTS: dict[str, str] = {
    "live_mean_wait": "mean_wait",
    "live_wait_p90": "wait_p90",
    "live_abandonment_rate": "abandonment_rate",
    "live_service_level": "service_level",
}


def metric_value(summary: dict[str, float], metric: str) -> float:
    """``metric`` of one replication's ``summary`` (NaN if absent); a ``live_`` metric of a scenario without a
    callback option is its overall equivalent (everyone stayed on the line), so that a comparison with a
    plain hold loop has both sides."""
    value = summary.get(metric)
    if value is None:
        equivalent = LIVE_EQUIVALENTS.get(metric)
        if equivalent is not None and "callback_offers" not in summary:
            value = summary.get(equivalent)
    return math.nan if value is None else float(value)


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
    ``work`` rows: (agent, start, end, call, kind); ``call`` is the call's
    ``id`` in ``calls`` (its index in a whole log). ``staffed_by_group`` is the
    agent-seconds on duty in the window of each group. The same sums as a
    replication tallies chunk by chunk (:class:`~queuesim.measure.tally.JourneyTally`).
    """
    tally = JourneyTally(window_start=window_start, window_end=window_end,
                         group_names=group_names, agent_groups=agent_groups)
    tally.add(calls, legs, work)
    return tally.result(staffed_by_group=staffed_by_group)
