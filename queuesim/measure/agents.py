"""The agents' day in a few numbers: spread of their load, time run hot, delayed breaks, and attrition.

Pure functions of the per-agent records (one row per agent of the schedule, the
engine's :class:`~queuesim.engine.staff_side.AgentTable`, or any object with the same
array attributes). The agents present are those not absent (``absent``) who came on duty;
``agents_absent`` counts the absent ones. Every number covers the agents' whole day, warm-up
included (attrition is a per agent-day notion), unlike the cost components measured in the
window.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..model.prices import Attrition

__all__ = ["AGENT_METRICS", "ATTRITION_METRICS", "agent_metrics", "attrition_costs"]

#: Metrics of the agents' day, reported when the scenario keeps per-agent records (a ``staff`` block).
AGENT_METRICS: dict[str, str] = {
    "agents_present": "agents of the schedule who came on duty (agents)",
    "agents_absent": "agents of the schedule absent for the whole day (agents)",
    "agent_occupancy_p10": "10th percentile over the agents present of their own occupancy, busy / (on duty + "
    "overtime) (fraction)",
    "agent_occupancy_p90": "90th percentile over the agents present of their own occupancy, busy / (on duty + "
    "overtime) (fraction)",
    "high_occupancy_share": "share of the agents' time on duty spent at a recent occupancy above "
    "staff.high_occupancy.above (fraction)",
    "longest_stretch_p90": "90th percentile over the agents present of their longest stretch of work without a pause (s)",
    "break_delay": "time scheduled breaks started late because a call ran into them, all agents (s)",
    "fatigue_time": "agent time added by fatigue: handle times grown with the agents' recent occupancy (s)",
}

#: Cost metrics of the agent side, reported with ``costs.attrition``.
ATTRITION_METRICS: dict[str, str] = {
    "expected_attrition": "expected agents who quit because of the day: per agent-day plus per hour run hot (agents)",
    "cost_attrition": "expected_attrition x replacement cost of an agent (currency)",
}


def _present(table: Any) -> np.ndarray:
    """Agents who came on duty: not absent, some time on duty."""
    return (~np.asarray(table.absent, dtype=bool)) & (np.asarray(table.on_duty, dtype=np.float64) > 0)


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else float("nan")


def agent_metrics(table: Any) -> dict[str, float]:
    """:data:`AGENT_METRICS` of one replication from its per-agent records."""
    on_duty = np.asarray(table.on_duty, dtype=np.float64)
    present = _present(table)
    busy = np.asarray(table.busy, dtype=np.float64)[present]
    duty = on_duty[present]
    time_above = np.asarray(table.time_above, dtype=np.float64)[present]
    occupancy = busy / (duty + np.asarray(table.overtime, dtype=np.float64)[present])  # as the centre's occupancy
    high = float(np.sum(time_above) / np.sum(duty)) if duty.size and not np.isnan(time_above).any() else float("nan")
    return {
        "agents_present": float(np.count_nonzero(present)),
        "agents_absent": float(np.count_nonzero(np.asarray(table.absent, dtype=bool))),
        "agent_occupancy_p10": _percentile(occupancy, 10),
        "agent_occupancy_p90": _percentile(occupancy, 90),
        "high_occupancy_share": high,
        "longest_stretch_p90": _percentile(np.asarray(table.longest_stretch, dtype=np.float64)[present], 90),
        "break_delay": float(np.sum(table.break_delay)),
        "fatigue_time": float(np.sum(table.fatigue)),
    }


def attrition_costs(table: Any, attrition: Optional[Attrition]) -> dict[str, float]:
    """:data:`ATTRITION_METRICS`: each agent present quits with probability ``per_day + per_hour_above x hours at a
    recent occupancy above the threshold`` (capped at 1); the expected leavers times the replacement cost.
    Empty without ``attrition``."""
    if attrition is None:
        return {}
    present = _present(table)
    hours_above = np.nan_to_num(np.asarray(table.time_above, dtype=np.float64)[present], nan=0.0) / 3600.0
    p = np.minimum(1.0, attrition.per_day + attrition.per_hour_above * hours_above)
    leavers = float(np.sum(p))
    return {"expected_attrition": leavers, "cost_attrition": leavers * attrition.replacement_cost}
