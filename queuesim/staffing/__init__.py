"""Staffing: how many agents per interval, which shifts to hire, and whether the schedule works.

::

    from queuesim import staffing
    req = staffing.requirements("configs/bank-day.yaml", ["service_level>=0.8@20s", "abandonment_rate<=0.05"])
    req.to_frame()        # interval_start, erlang_c, erlang_a, simulated, ...
    plan = staffing.schedule(req, "shifts.yaml")          # least-cost shifts (integer programme, HiGHS)
    check = staffing.verify("configs/bank-day.yaml", plan, req.targets)   # simulate the schedule
    staffing.tradeoff("configs/bank-day.yaml", req.targets, [0.7, 0.8, 0.9])   # cost vs service level

With departments (``groups``), the same calls give per-group results: :class:`GroupRequirements`
(one :class:`Requirements` per group in ``parts``, all groups searched together on the same simulated days),
:class:`GroupSchedule` and :class:`GroupVerification`.
"""

from .requirements import (
    GroupRequirements,
    IntervalCheck,
    Requirements,
    analytic_agents,
    evaluate_staffing,
    requirements,
    scheduled_agents,
)
from .schedule import GroupSchedule, Schedule, ShiftTemplate, coverage_matrix, load_templates, schedule
from .simulated import Demand, demand
from .targets import METRICS, StaffingError, Target, parse_target, parse_targets
from .tradeoff import DEFAULT_LEVELS, tradeoff
from .verify import GroupVerification, Verification, verify

__all__ = [
    "DEFAULT_LEVELS",
    "METRICS",
    "Demand",
    "GroupRequirements",
    "GroupSchedule",
    "GroupVerification",
    "IntervalCheck",
    "Requirements",
    "Schedule",
    "ShiftTemplate",
    "StaffingError",
    "Target",
    "Verification",
    "analytic_agents",
    "coverage_matrix",
    "demand",
    "evaluate_staffing",
    "load_templates",
    "parse_target",
    "parse_targets",
    "requirements",
    "schedule",
    "scheduled_agents",
    "tradeoff",
    "verify",
]
