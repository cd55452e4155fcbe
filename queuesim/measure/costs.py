"""Money: what a day of the contact centre costs, split by component.

Pure functions of the call log and the agents' paid time. Every parameter is
in the config's currency (``costs.currency``, a label only) per stated unit:

============================  ===========================================================
component                     cost
============================  ===========================================================
``cost_agents``               paid agent-hours (on duty + overtime) x ``agent_per_hour``
``cost_trunk``                minutes on hold x ``trunk_per_minute_hold`` + minutes talking x
                              ``trunk_per_minute_talk`` (toll-free lines: the company pays both)
``cost_customer_time``        callers' minutes on hold x ``customer_minute`` (the value of their time)
``cost_abandonment``          abandoned (balked, blocked) calls x ``abandoned_call`` (lost business per attempt)
``cost_churn``                sum over callers of P(churn | experience) x ``churn.lifetime_value``
``cost_total``                the sum of the five
============================  ===========================================================

The churn probability of a caller is
``min(churn.max, base + per_wait_minute x total wait in minutes + abandoned x
[never answered] + per_transfer x transfers + broken_promise x [a promised
contact did not happen] + per_message x recorded hold messages heard)``, summed
over the caller's attempts; callers are those whose first call arrived in the
measured window.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..model.prices import CostModel
from .calllog import CallLog
from .tally import CallerTally

__all__ = ["COST_METRICS", "cost_sums", "costs_from_sums", "day_costs"]

#: Cost metrics (per replication, i.e. per simulated day) and their meaning.
COST_METRICS: dict[str, str] = {
    "cost_agents": "paid agent time (on duty + overtime) x agent cost per hour (currency)",
    "cost_trunk": "telephony: minutes on hold and talking x price per minute (currency)",
    "cost_customer_time": "callers' minutes on hold x value of a customer's minute (currency)",
    "cost_abandonment": "abandoned calls x cost per abandoned call (currency)",
    "cost_churn": "expected customers lost x customer lifetime value (currency)",
    "cost_total": "sum of the cost components, cost_attrition included with costs.attrition (currency)",
    "cost_per_call": "cost_total / offered calls (currency per call)",
    "expected_churn": "expected number of customers lost (customers)",
}

def cost_sums(
    calls: CallLog,
    costs: CostModel,
    *,
    window_start: float,
    window_end: float,
    transfers: Optional[np.ndarray] = None,
    broken_promise: Optional[np.ndarray] = None,
    churn: bool = True,
) -> dict[str, float]:
    """The additive quantities behind :func:`day_costs`: minutes on hold and talking,
    abandoned calls, offered calls and expected churners.

    Sums over disjoint chunks of a call log add up, except ``expected_churn``,
    which follows callers over their calls: with ``churn=False`` it is left at 0
    (a :class:`~queuesim.measure.tally.CallerTally` fed the same chunks sums it).
    """
    counted = (calls.arrival >= window_start) & (calls.arrival < window_end)
    wait = np.where(np.isfinite(calls.wait), calls.wait, 0.0)
    talk = np.where(calls.answered & counted, calls.handle_time, 0.0)
    expected_churn = 0.0
    if churn and costs.churn.lifetime_value > 0 and len(calls):
        tally = CallerTally(window_start=window_start, window_end=window_end, churn=costs.churn)
        tally.add(calls, transfers=transfers, broken=broken_promise)
        expected_churn = tally.result()["expected_churn"]
    return {
        "hold_minutes": float(np.sum(wait[counted])) / 60.0,
        "talk_minutes": float(np.nansum(talk)) / 60.0,
        "abandoned": float(np.count_nonzero((calls.abandoned | calls.balked | calls.blocked) & counted)),
        "offered": float(np.count_nonzero(counted)),
        "expected_churn": expected_churn,
    }


def costs_from_sums(sums: dict[str, float], costs: CostModel, *, paid_agent_seconds: float,
                    attrition: Optional[dict[str, float]] = None) -> dict[str, float]:
    """Cost metrics of :data:`COST_METRICS` from (summed) :func:`cost_sums` and paid agent time (s).

    ``attrition`` (:func:`queuesim.measure.agents.attrition_costs`, with ``costs.attrition``) adds
    ``expected_attrition`` and ``cost_attrition``, which counts in ``cost_total``."""
    cost_agents = paid_agent_seconds / 3600.0 * costs.agent_per_hour
    cost_trunk = sums["hold_minutes"] * costs.trunk_per_minute_hold + sums["talk_minutes"] * costs.trunk_per_minute_talk
    cost_customer = sums["hold_minutes"] * costs.customer_minute
    cost_abandon = sums["abandoned"] * costs.abandoned_call
    expected_churn = sums["expected_churn"]
    cost_churn = expected_churn * costs.churn.lifetime_value
    total = cost_agents + cost_trunk + cost_customer + cost_abandon + cost_churn
    if attrition:
        total += attrition["cost_attrition"]
    offered = sums["offered"]
    return {
        "cost_agents": cost_agents,
        "cost_trunk": cost_trunk,
        "cost_customer_time": cost_customer,
        "cost_abandonment": cost_abandon,
        "cost_churn": cost_churn,
        "cost_total": total,
        "cost_per_call": total / offered if offered else float("nan"),
        "expected_churn": expected_churn,
        **(attrition or {}),
    }


def day_costs(
    calls: CallLog,
    costs: CostModel,
    *,
    window_start: float,
    window_end: float,
    paid_agent_seconds: float,
    transfers: Optional[np.ndarray] = None,
    broken_promise: Optional[np.ndarray] = None,
) -> dict[str, float]:
    """Cost metrics of :data:`COST_METRICS` for one replication.

    Calls (attempts) count when they arrive in the window; callers when their
    first call does. ``paid_agent_seconds`` is agent time paid in the window.
    ``transfers`` and ``broken_promise`` are optional per-call arrays (a
    caller's values are summed / or-ed over their calls).
    """
    sums = cost_sums(calls, costs, window_start=window_start, window_end=window_end,
                     transfers=transfers, broken_promise=broken_promise)
    return costs_from_sums(sums, costs, paid_agent_seconds=paid_agent_seconds)
