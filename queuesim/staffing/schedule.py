"""Which shifts to hire: an integer programme covering the requirement at least cost.

Given shift templates (start times, length, unpaid breaks, cost per paid
hour) and a requirement r_k of agents in each interval k, choose x_s >= 0
agents on each shift s:

    minimise   sum_s c_s x_s + P sum_k u_k
    subject to sum_s a_ks x_s + u_k >= r_k   for every interval k
               x_s integer, 0 <= x_s <= max_agents_s,  u_k >= 0

where a_ks is the share of interval k that an agent of shift s is on duty
(1 or 0 when shifts and breaks are aligned with the intervals), c_s the cost
of one agent on shift s (paid hours x cost per hour) and u_k the shortage in
interval k, charged P per agent-interval short. With the default P (ten times
the most expensive shift), a shortage is only left where no template covers
the interval, or covering it is impossible within ``max_agents``: those
intervals are reported, not an error. A smaller P trades coverage for cost.

Solved by HiGHS through :func:`scipy.optimize.milp` (branch and bound:
optimal up to its gap tolerance, checked against brute force in the tests).
"""

from __future__ import annotations

import difflib

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..model.config import MAX_CONFIG_BYTES, ConfigError, parse_yaml
from ..model.fields import ClockTime, PositiveSeconds, check_input_file
from ..model.scenario import Shift, ShiftBreak
from ..model.shifts import shifts_on_duty
from ..model.units import format_clock, format_duration
from .requirements import GroupRequirements, group_frames
from .targets import StaffingError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["GroupSchedule", "Schedule", "ShiftTemplate", "check_template_groups", "coverage_matrix", "expand_templates",
           "load_templates", "schedule"]


class ShiftTemplate(BaseModel):
    """A kind of shift: ``{name, start, length, breaks, cost_per_hour, max_agents}``.

    ``start`` is one clock time or a list of them (one candidate shift per
    start, named ``name@HH:MM``); ``breaks`` are unpaid, their ``start``
    measured from the shift start; ``cost_per_hour`` is per paid hour (default:
    the scenario's ``costs.agent_per_hour``, else 1); ``max_agents`` caps each
    candidate shift.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, description="template name, e.g. 'early'")
    start: tuple[ClockTime, ...] = Field(min_length=1, description="start time(s), e.g. '07:00' or ['07:00', '08:00']")
    length: PositiveSeconds = Field(description="length including breaks, e.g. '8h'")
    breaks: tuple[ShiftBreak, ...] = Field((), description="unpaid breaks, start measured from the shift start")
    cost_per_hour: Optional[float] = Field(None, ge=0.0, allow_inf_nan=False, description="cost per paid hour")
    max_agents: Optional[int] = Field(None, ge=0, le=1_000_000, description="at most this many agents per start")
    groups: Optional[tuple[str, ...]] = Field(
        None, min_length=1, description="with departments: the groups whose agents can work it (default: every group)")

    @field_validator("start", "groups", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return value if isinstance(value, (list, tuple)) or value is None else [value]

    @model_validator(mode="after")
    def _breaks_fit(self) -> "ShiftTemplate":
        Shift(start=self.start[0], length=self.length, count=0, breaks=self.breaks)  # same checks as shifts
        return self

    @property
    def paid_hours(self) -> float:
        return (self.length - sum(b.length for b in self.breaks)) / 3600.0


@dataclass(frozen=True)
class CandidateShift:
    """One template at one start time."""

    name: str
    template: str
    start: float
    length: float
    breaks: tuple[ShiftBreak, ...]
    cost: float  #: cost of one agent on this shift (paid hours x cost per hour)
    paid_hours: float
    max_agents: Optional[int]

    def as_shift(self, count: int) -> Shift:
        return Shift(name=self.name, start=self.start, length=self.length, count=int(count), breaks=self.breaks)


def load_templates(source: Union[str, Path, Sequence[Any]]) -> list[ShiftTemplate]:
    """Templates from a YAML file (a list, or a mapping with ``shift_templates:``) or from Python data."""
    where = "shift templates"
    if isinstance(source, (str, Path)):
        import yaml

        where = str(source)
        try:
            check_input_file(source, limit=MAX_CONFIG_BYTES, what="shift-template file")
            data: Any = parse_yaml(Path(source).read_text(encoding="utf-8"))
        except ConfigError as exc:  # a duplicate key
            raise StaffingError(f"{where}: {exc}") from None
        except RecursionError:
            raise StaffingError(f"{where}: nested too deeply") from None
        except FileNotFoundError:
            raise StaffingError(f"{where}: no such shift-template file") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StaffingError(f"{where}: cannot read ({exc})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark is not None else ""
            raise StaffingError(f"{where}: YAML syntax error{at}") from None
        if isinstance(data, dict):
            unknown = set(data) - {"shift_templates"}
            if "shift_templates" not in data or unknown:
                raise StaffingError(f"{where}: expected a list of templates or a mapping with 'shift_templates:'"
                                    + (f" (unknown keys: {', '.join(sorted(unknown))})" if unknown else ""))
            data = data["shift_templates"]
    else:
        data = source
    if not isinstance(data, (list, tuple)) or not data:
        raise StaffingError(f"{where}: give a non-empty list of shift templates, each {{name, start, length, breaks, cost_per_hour}}")
    out = []
    for k, item in enumerate(data):
        if isinstance(item, ShiftTemplate):
            out.append(item)
            continue
        try:
            out.append(ShiftTemplate.model_validate(item))
        except ValidationError as exc:
            name = item.get("name", k) if isinstance(item, dict) else k
            errors = exc.errors()
            extra = next((e for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1), None)
            if extra is not None:  # a typo explains a missing key too: name it first
                key, allowed = str(extra["loc"][0]), list(ShiftTemplate.model_fields)
                close = difflib.get_close_matches(key, allowed, n=1)
                raise StaffingError(f"{where}: template {name!r}: unknown key {key!r}"
                                    + (f" (did you mean {close[0]!r}?)" if close else "")
                                    + f"; allowed: {', '.join(allowed)}") from None
            first = errors[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise StaffingError(f"{where}: template {name!r}: {loc + ': ' if loc else ''}{first['msg']}") from None
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise StaffingError(f"{where}: template names must be unique, got {names}")
    return out


def expand_templates(templates: Sequence[ShiftTemplate], default_cost_per_hour: float = 1.0) -> list[CandidateShift]:
    """One candidate shift per template and start time."""
    out = []
    for t in templates:
        price = default_cost_per_hour if t.cost_per_hour is None else t.cost_per_hour
        for s in t.start:
            name = t.name if len(t.start) == 1 else f"{t.name}@{format_clock(s)}"
            out.append(CandidateShift(name, t.name, float(s), float(t.length), tuple(t.breaks),
                                      price * t.paid_hours, t.paid_hours, t.max_agents))
    return out


def coverage_matrix(shifts: Sequence[CandidateShift], start: float, length: float, n: int) -> np.ndarray:
    """a[k, s]: share of interval k (``start + k length``, of ``length`` s) that shift s is on duty."""
    a = np.zeros((n, len(shifts)))
    edges = start + length * np.arange(n + 1)
    for j, s in enumerate(shifts):
        for lo, hi in Shift(start=s.start, length=s.length, count=0, breaks=s.breaks).duty():
            a[:, j] += np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None) / length
    return np.round(a, 12)


@dataclass
class Schedule:
    """The chosen shifts and how they cover the requirement.

    ``agents[s]`` agents on candidate shift ``shifts[s]``; per interval:
    ``required``, ``coverage`` (scheduled agents on duty) and ``shortage``
    (required - coverage, when positive). ``uncovered`` lists the intervals
    short of the requirement and ``unreachable`` those no template covers at
    all. ``cost`` is the shifts' cost (without penalties); ``status`` the
    solver's message.
    """

    shifts: list[CandidateShift]
    agents: list[int]
    interval_start: list[float]
    interval: float
    required: list[int]
    coverage: list[float]
    shortage: list[float]
    cost: float
    penalty: float
    optimal: bool
    status: str
    runtime: float
    currency: str = ""
    #: no price was given (no template's ``cost_per_hour``, no ``costs.agent_per_hour``): 1 per paid hour
    unpriced: bool = False
    #: agents added after the programme so that every interval has its requirement on duty once shrinkage
    #: rounds each shift on its own (:func:`_cover_on_duty`)
    added_for_shrinkage: int = 0

    @property
    def uncovered(self) -> list[float]:
        return [s for s, u in zip(self.interval_start, self.shortage) if u > 1e-9]

    @property
    def unreachable(self) -> list[float]:
        a = coverage_matrix(self.shifts, self.interval_start[0], self.interval, len(self.interval_start))
        return [s for s, r, row in zip(self.interval_start, self.required, a) if r > 0 and row.sum() <= 0]

    @property
    def agent_hours(self) -> float:
        """Paid agent-hours of the schedule."""
        return float(sum(n * s.paid_hours for n, s in zip(self.agents, self.shifts)))

    @property
    def excess_agent_hours(self) -> float:
        """Scheduled on-duty agent-hours beyond the requirement (the price of shift rigidity)."""
        return float(sum(max(c - r, 0.0) for c, r in zip(self.coverage, self.required))) * self.interval / 3600.0

    def shift_list(self) -> list[Shift]:
        """The chosen shifts as scenario ``shifts`` (count > 0 only)."""
        return [s.as_shift(n) for s, n in zip(self.shifts, self.agents) if n > 0]

    def to_frame(self) -> "pd.DataFrame":
        """One row per candidate shift: ``shift``, ``start`` (HH:MM), ``length``, ``agents``, then
        ``template``, ``paid_hours``, ``cost`` (all agents on it) and ``breaks``."""
        import pandas as pd

        return pd.DataFrame({
            "shift": [s.name for s in self.shifts],
            "start": [format_clock(s.start) for s in self.shifts],
            "length": [format_duration(s.length) for s in self.shifts],
            "agents": self.agents,
            "template": [s.template for s in self.shifts],
            "paid_hours": [round(s.paid_hours, 4) for s in self.shifts],
            "cost": [round(n * s.cost, 6) for n, s in zip(self.agents, self.shifts)],
            "breaks": ["; ".join(f"+{format_duration(b.start)} for {format_duration(b.length)}" for b in s.breaks)
                       for s in self.shifts],
        })

    def coverage_frame(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame({
            "interval_start": self.interval_start,
            "clock": [format_clock(s) for s in self.interval_start],
            "required_scheduled": self.required,
            "shift_coverage": np.round(self.coverage, 6),
            "shortage": np.round(self.shortage, 6),
        })

    def summary(self) -> str:
        used = sum(1 for n in self.agents if n > 0)
        lines = [
            f"  {sum(self.agents)} agents on {used} of {len(self.shifts)} candidate shifts, "
            f"{self.agent_hours:.1f} paid agent-hours, " + (
                "no prices given (no cost_per_hour, no costs.agent_per_hour): the fewest paid hours"
                if self.unpriced else f"cost {self.cost:,.2f} {self.currency}".rstrip()),
            f"  on duty beyond the requirement: {self.excess_agent_hours:.1f} agent-hours; "
            f"solver: {self.status} in {self.runtime:.2f} s",
        ]
        if self.added_for_shrinkage:
            lines.append(f"  {self.added_for_shrinkage} agent(s) added to the least-cost shifts so that every interval "
                         "has its requirement on duty after shrinkage, which rounds each shift on its own")
        if self.uncovered:
            short = sum(self.shortage) * self.interval / 3600.0
            shown = ", ".join(format_clock(s) for s in self.uncovered[:8]) + (" ..." if len(self.uncovered) > 8 else "")
            why = " (no template covers " + ", ".join(format_clock(s) for s in self.unreachable[:8]) + ")" if self.unreachable else ""
            lines.append(f"  UNDER-COVERED: {len(self.uncovered)} interval(s), {short:.1f} agent-hours short: {shown}{why}")
        return "\n".join(lines)


@dataclass
class GroupSchedule:
    """The least-cost shifts of every group of a centre with departments, one :class:`Schedule` per group
    (``parts``; groups kept as configured have none). Totals add the groups up."""

    parts: dict[str, Schedule]
    runtime: float

    @property
    def cost(self) -> float:
        return float(sum(p.cost for p in self.parts.values()))

    @property
    def agent_hours(self) -> float:
        """Paid agent-hours of every group's schedule."""
        return float(sum(p.agent_hours for p in self.parts.values()))

    @property
    def uncovered(self) -> list[tuple[str, float]]:
        """``(group, interval start)`` of every interval a group's shifts leave short of its requirement."""
        return [(name, s) for name, p in self.parts.items() for s in p.uncovered]

    def shift_lists(self) -> dict[str, list[Shift]]:
        """Each group's chosen shifts as scenario ``shifts`` (count > 0 only)."""
        return {name: p.shift_list() for name, p in self.parts.items()}

    def to_frame(self) -> "pd.DataFrame":
        """One row per group and candidate shift: ``group``, then the columns of :meth:`Schedule.to_frame`."""
        return group_frames(self.parts)

    def coverage_frame(self) -> "pd.DataFrame":
        """One row per group and interval: ``group``, then the columns of :meth:`Schedule.coverage_frame`."""
        return group_frames(self.parts, "coverage_frame")

    def summary(self) -> str:
        lines = []
        for name, part in self.parts.items():
            lines.append(f"  group {name}:")
            lines.extend("  " + line for line in part.summary().splitlines())
        currency = next(iter(self.parts.values())).currency if self.parts else ""
        lines.append(f"  all groups: {self.agent_hours:.1f} paid agent-hours, cost {self.cost:,.2f} {currency}".rstrip())
        return "\n".join(lines)


def _group_schedule(req: GroupRequirements, templates: Union[str, Path, Sequence[Any]], **options: Any) -> GroupSchedule:
    """Each group's least-cost shifts for its own requirement, from the templates it can work."""
    began = time.perf_counter()
    loaded = load_templates(templates)
    check_template_groups(loaded, [g.name for g in req.scenario.groups or ()], req.groups)
    parts = {name: schedule(part, [t for t in loaded if t.groups is None or name in t.groups], **options)
             for name, part in req.parts.items()}
    return GroupSchedule(parts, time.perf_counter() - began)


def check_template_groups(templates: Sequence[ShiftTemplate], groups: Optional[Sequence[str]],
                          scheduled: Sequence[str] = ()) -> None:
    """One-line :class:`StaffingError` unless every template's ``groups`` are among ``groups`` (the scenario's
    group names; None or empty: the scenario has no departments, and no template may name groups) and every
    group in ``scheduled`` may work some template."""
    if not groups:
        named = next((t for t in templates if t.groups), None)
        if named is not None:
            raise StaffingError(f"shift template {named.name!r}: groups: the scenario has no departments (groups); "
                                "remove 'groups'")
        return
    for t in templates:
        unknown = [g for g in t.groups or () if g not in groups]
        if unknown:
            raise StaffingError(f"shift template {t.name!r}: groups {', '.join(map(repr, unknown))} are not groups of "
                                f"the scenario; choose among {', '.join(groups)}")
    for name in scheduled:
        if not any(t.groups is None or name in t.groups for t in templates):
            raise StaffingError(f"group {name!r}: no shift template lists it in 'groups'; add it to a template's "
                                "groups or leave a template's groups out (every group may work it)")


def _cover_on_duty(x: np.ndarray, a: np.ndarray, cost: np.ndarray, upper: np.ndarray, on_duty_needed: list[int],
                   shrinkage: float) -> int:
    """Add agents to the shifts ``x`` (in place) until every interval has ``on_duty_needed`` agents on duty
    once each shift keeps round(count x (1 - shrinkage)) (:func:`~queuesim.model.shifts.shifts_on_duty`, as
    the engine does), where a shift covering it may still grow: the scheduled cover the programme meets can
    leave an interval one agent short on duty when two shifts both round down (two shifts of 3 at 25%: 2 + 2
    on duty, not round(4.5) = 5). Each step puts one agent on the shift that covers the interval furthest
    short at the least cost per share of it covered; rounding per shift never loses an agent when one is
    added, so the steps end. Returns how many agents were added."""
    need = np.asarray(on_duty_needed, dtype=float)
    added = 0
    positive = a[a > 0]
    # a shift gains an agent on duty at least every ceil(1 / keep) + 1 agents added, covering >= min(a) of
    # the interval furthest short: a bound on the steps, never reached while some shift covering it may grow
    per_agent = int(math.ceil(1.0 / (1.0 - shrinkage))) + 1
    steps = (int(math.ceil(need.sum() / float(positive.min()))) + len(need)) * per_agent + len(x) if positive.size else 0
    for _ in range(steps):
        short = need - a @ np.asarray(shifts_on_duty([int(n) for n in x], shrinkage), dtype=float)
        open_ = (a > 0) & (x < upper)[None, :]
        short[~open_.any(axis=1)] = 0.0  # nothing can be added there (no template, or all at their maximum)
        t = int(np.argmax(short))
        if short[t] <= 1e-9:
            break
        rows = np.flatnonzero(open_[t])
        j = int(rows[np.argmin(cost[rows] / a[t, rows])])
        x[j] += 1
        added += 1
    return added


def schedule(
    required: Union[Sequence[int], Any],
    templates: Union[str, Path, Sequence[Any]],
    *,
    interval_start: Optional[Sequence[float]] = None,
    interval: Optional[float] = None,
    shortage_penalty: Optional[float] = None,
    default_cost_per_hour: Optional[float] = None,
    currency: str = "",
    time_limit: float = 60.0,
) -> Union[Schedule, GroupSchedule]:
    """Agents per shift covering ``required`` at least cost (integer programme, HiGHS).

    ``required``: agents per interval (a list, with ``interval_start`` (s) of
    the first interval or all of them and ``interval`` (s)), or a
    :class:`~queuesim.staffing.Requirements` (its scheduled requirement, with
    its intervals, prices and currency). ``templates``: a YAML path or a list of
    :class:`ShiftTemplate` / mappings. ``shortage_penalty``: cost per
    agent-interval short (default: 10 x the most expensive candidate shift, so
    shortages remain only where they cannot be avoided). A
    :class:`~queuesim.staffing.GroupRequirements` (departments) gives a
    :class:`GroupSchedule`: each group's shifts for its own requirement, from
    the templates it can work (their ``groups``).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    if isinstance(required, GroupRequirements):
        return _group_schedule(required, templates, shortage_penalty=shortage_penalty,  # type: ignore[return-value]
                               default_cost_per_hour=default_cost_per_hour, currency=currency, time_limit=time_limit)
    began = time.perf_counter()
    if hasattr(required, "scheduled") and hasattr(required, "demand"):
        req = required
        starts = list(req.demand.starts)
        interval = req.demand.length
        need = [int(x) for x in req.scheduled]
        if default_cost_per_hour is None and req.agent_per_hour is not None:
            default_cost_per_hour = req.agent_per_hour
        currency = currency or req.currency
    else:
        need = [int(x) for x in required]
        if interval is None:
            raise StaffingError("schedule: give interval (s) with a plain list of requirements")
        if interval_start is None:
            starts = [k * float(interval) for k in range(len(need))]
        elif isinstance(interval_start, (int, float)):
            starts = [float(interval_start) + k * float(interval) for k in range(len(need))]
        else:
            starts = [float(s) for s in interval_start]
    loaded = load_templates(templates)
    if getattr(required, "group", None) is None:  # one pool: no template may name groups
        check_template_groups(loaded, None)
    if any(n < 0 for n in need):
        raise StaffingError("schedule: requirements must be >= 0 agents")
    if len(starts) != len(need) or not need:
        raise StaffingError(f"schedule: {len(need)} requirements but {len(starts)} interval starts")
    candidates = expand_templates(loaded, 1.0 if default_cost_per_hour is None else default_cost_per_hour)
    n_int, n_shift = len(need), len(candidates)
    a = coverage_matrix(candidates, starts[0], float(interval), n_int)
    cost = np.array([c.cost for c in candidates])
    if shortage_penalty is None:
        shortage_penalty = 10.0 * max(float(cost.max()), 1.0)
    if shortage_penalty < 0 or not math.isfinite(shortage_penalty):
        raise StaffingError(f"shortage_penalty must be a finite cost >= 0, got {shortage_penalty!r}")

    r = np.asarray(need, dtype=float)
    c = np.concatenate([cost, np.full(n_int, float(shortage_penalty))])
    matrix = np.hstack([a, np.eye(n_int)])
    # upper bounds: a shift never needs more agents than the largest requirement it touches
    touch = np.array([r[a[:, j] > 0].max() / a[a[:, j] > 0, j].min() if (a[:, j] > 0).any() else 0.0
                      for j in range(n_shift)])
    upper_x = np.ceil(touch)
    for j, cand in enumerate(candidates):
        if cand.max_agents is not None:
            upper_x[j] = min(upper_x[j], cand.max_agents)
    lb = np.zeros(n_shift + n_int)
    ub = np.concatenate([upper_x, r])
    integrality = np.concatenate([np.ones(n_shift), np.zeros(n_int)])
    res = milp(c, constraints=LinearConstraint(matrix, lb=r, ub=np.inf), bounds=Bounds(lb, ub),
               integrality=integrality, options={"time_limit": float(time_limit), "disp": False})
    if res.x is None:
        raise StaffingError(f"shift scheduling failed: {res.message}")
    x = np.round(res.x[:n_shift]).astype(int)
    added = 0
    shrinkage = float(getattr(getattr(required, "scenario", None), "shrinkage", 0.0) or 0.0)
    if shrinkage > 0 and hasattr(required, "simulated"):
        most = np.array([math.inf if c.max_agents is None else c.max_agents for c in candidates])
        added = _cover_on_duty(x, a, cost, most, [int(n) for n in required.simulated], shrinkage)
    covered = a @ x
    shortage = np.maximum(r - covered, 0.0)
    return Schedule(
        shifts=candidates,
        agents=[int(v) for v in x],
        interval_start=starts,
        interval=float(interval),
        required=need,
        coverage=[float(v) for v in covered],
        shortage=[float(v) for v in shortage],
        cost=float(cost @ x),
        penalty=float(shortage_penalty),
        optimal=res.status == 0,
        status=str(res.message),
        runtime=time.perf_counter() - began,
        added_for_shrinkage=added,
        currency=currency,
        unpriced=default_cost_per_hour is None and all(t.cost_per_hour is None for t in loaded),
    )
