"""The model as plain, validated data.

A :class:`Scenario` says everything the engine needs to simulate one
contact-centre configuration: demand over the day, call types, staffing,
callers' behaviour. It is a frozen pydantic model, validated once (from YAML
or from Python), hashable, picklable to worker processes. Once validated,
all times are seconds (time 0 is the start of the day) and all rates per
second; inputs may carry units (``"4min"``, ``"95/min"``, ``"07:30"``).

>>> s = Scenario(horizon="8h", arrivals={"rate": "95/min"},
...              handle_time={"distribution": "exponential", "mean": "1min"},
...              patience={"distribution": "exponential", "mean": "2min"}, agents=100)
>>> s.horizon, round(s.arrivals.rate, 4), s.offered_load()
(28800.0, 1.5833, 95.0)
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Literal, Optional, Sequence

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .announcements import Announcements
from .base import ConfigModel
from .callbacks import Callback
from .distributions import Distribution
from .fields import ClockTime, Name, NonNegativeSeconds, PositiveRate, PositiveSeconds, Probability, _duration, input_path
from .groups import AgentGroup, Misroute, Transfers
from .prices import CostModel
from .profile import MAX_PROFILE_INTERVALS, RateFunction, read_profile_csv
from .shifts import Shift, ShiftAdjust, ShiftBreak, Staffing, check_interval, duty_periods, shifts_on_duty
from .people import Staff
from .units import UnitError, format_clock, format_duration, parse_rate

__all__ = ["Arrivals", "CallType", "Redial", "Scenario", "Shift", "ShiftAdjust", "ShiftBreak", "Slowdown", "Staffing"]

DAY = 86400.0
#: Most intervals the per-interval table of one run may have (horizon / report interval).
MAX_REPORT_INTERVALS = 1_000_000
#: Most calls a replication may expect (a horizon of 1e308 s with a constant rate would never end).
MAX_EXPECTED_CALLS = 1e9
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


#: Most report intervals for which :meth:`Scenario.warnings` looks for intervals with arrivals and no agent in
#: plain Python; beyond, with numpy (the same numbers, sooner than numpy's import).
PLAIN_WARNING_INTERVALS = 10_000


def _interp(x: float, xp: Sequence[float], fp: Sequence[float]) -> float:
    """``numpy.interp(x, xp, fp)`` at one point, bit for bit: numpy's cases and formula, in its order."""
    if x < xp[0]:
        return fp[0]
    if x > xp[-1]:
        return fp[-1]
    j = bisect.bisect_right(xp, x) - 1  # xp[j] <= x < xp[j + 1], or the last point
    if j == len(xp) - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    value = slope * (x - xp[j]) + fp[j]
    if value != value:  # NaN (an infinite total): numpy tries from the other end
        value = slope * (x - xp[j + 1]) + fp[j + 1]
        if value != value and fp[j] == fp[j + 1]:
            value = fp[j]
    return value


def _uncovered_starts_plain(count: int, interval: float, horizon: float, rates: Sequence[RateFunction],
                            merged: list[list[float]]) -> list[float]:
    """Starts of the intervals ``[k interval, min((k + 1) interval, horizon))``, ``k < count``, with expected
    arrivals (by the cumulative rates) and no merged duty period overlapping them."""
    curves = [(rf.grid, rf.running_totals()) for rf in rates]
    merged_starts = [m[0] for m in merged]
    out = []
    for k in range(count):
        start = k * interval
        end = min(start + interval, horizon)
        expected = 0.0
        for grid, cum in curves:
            expected += _interp(end, grid, cum) - _interp(start, grid, cum)
        if expected > 0:
            last = bisect.bisect_left(merged_starts, end) - 1  # the last period starting before the interval ends
            if not (last >= 0 and merged[last][1] > start):
                out.append(start)
    return out


def _uncovered_starts_numpy(count: int, interval: float, horizon: float, rates: Sequence[RateFunction],
                            merged: list[list[float]]) -> list[float]:
    """:func:`_uncovered_starts_plain` with numpy, for many intervals."""
    import numpy as np

    starts = np.arange(count, dtype=np.float64) * interval
    ends = np.minimum(starts + interval, horizon)
    expected = np.zeros(count)
    for rf in rates:  # cumulative arrivals are piecewise linear: exact by interpolation
        grid, cum = np.asarray(rf.grid), rf.cumulative()
        expected += np.interp(ends, grid, cum) - np.interp(starts, grid, cum)
    covered = np.zeros(count, dtype=bool)
    if merged:
        m_start = np.array([m[0] for m in merged])
        m_end = np.array([m[1] for m in merged])
        k = np.searchsorted(m_start, ends, side="left") - 1  # last period starting before the interval ends
        ok = k >= 0
        covered[ok] = m_end[k[ok]] > starts[ok]
    return starts[(expected > 0) & ~covered].tolist()


def _infinite_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"inf", "infinite", "infinity", "never"}:
        return None
    if isinstance(value, float) and math.isinf(value) and value > 0:  # (an int is never infinite; math.isinf(10**400) raises)
        return None
    return value


_check_interval = check_interval


def _days_ok(days: Any) -> bool:
    """True if ``days`` is absent or a list of weekday names (else the field validator reports it)."""
    return days is None or (
        isinstance(days, (list, tuple)) and all(isinstance(d, str) and d in Weekday.__args__ for d in days)
    )


class Arrivals(ConfigModel):
    """How calls arrive: a Poisson process, constant or with an intraday profile.

    Give exactly one of ``rate`` (constant), ``calls`` (expected calls per
    interval, inline) or ``file`` (a CSV profile, see :mod:`queuesim.model.profile`).
    """

    rate: Optional[PositiveRate] = Field(None, description="constant arrival rate, e.g. '95/min'")
    interval: Optional[PositiveSeconds] = Field(
        None, description="length of a profile interval (must divide 24 h), e.g. '30min'"
    )
    start: Optional[ClockTime] = Field(
        None, description="start of the first profile interval, e.g. '07:00' (default 00:00, or the CSV's first row)"
    )
    calls: Optional[tuple[float, ...]] = Field(
        None, description="expected calls in each interval, in order (a profile; at most 105,120 intervals)"
    )
    file: Optional[str] = Field(
        None, description="CSV profile: interval_start,calls or date,interval_start,calls; a path relative to the "
        "config's folder and inside it (absolute paths and '..' out of it are refused unless QUEUESIM_ALLOW_ANY_PATH=1)"
    )
    days: Optional[tuple[Weekday, ...]] = Field(
        None, description="with a dated CSV: average only these weekdays, e.g. [sun, mon, tue, wed, thu]"
    )
    dispersion: float = Field(
        0.0, ge=0.0, le=10.0, allow_inf_nan=False,
        description="coefficient of variation of a random daily level (gamma multiplier, mean 1); 0 = plain Poisson",
    )
    volume: float = Field(
        1.0, gt=0.0, le=1000.0, allow_inf_nan=False,
        description="multiplier of the expected calls (rate or profile), e.g. 1.1 for 10% more calls (also in variants, "
        "sweeps and --set arrivals.volume=1.1; given alone at the top level, it multiplies every call type's own "
        "arrivals); 1 = as given",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("file") is None or data.get("calls") is not None:
            return data
        if data.get("interval") is None:
            return data  # reported by the after-validator
        if not isinstance(data["file"], str) or not _days_ok(data.get("days")):
            return data  # reported by the field validators

        interval = _duration(data["interval"])
        if not 0 < interval < math.inf:
            return data
        _check_interval(interval)
        base = (info.context or {}).get("base_dir") if info is not None else None
        path = input_path(data["file"], base, "file")
        start, calls, _ = read_profile_csv(path, interval, data.get("days"))
        out = dict(data)
        out["calls"] = tuple(calls)
        out.setdefault("start", start)
        if out.get("start") is None:
            out["start"] = start
        return out

    @field_validator("rate", mode="before")
    @classmethod
    def _no_zero_rate(cls, value: Any) -> Any:
        try:
            zero = parse_rate(value) == 0
        except UnitError:
            return value  # reported by the field type
        if zero:
            raise ValueError(
                "Input should be greater than 0; for a period without calls give a profile of zeros instead, "
                "e.g. arrivals: {interval: 1h, calls: [0]}"
            )
        return value

    @field_validator("calls")
    @classmethod
    def _calls_valid(cls, value: Optional[tuple[float, ...]]) -> Optional[tuple[float, ...]]:
        if value is None:
            return value
        if len(value) == 0:
            raise ValueError("calls: give at least one interval")
        if len(value) > MAX_PROFILE_INTERVALS:
            raise ValueError(f"calls: {len(value):,} intervals; at most {MAX_PROFILE_INTERVALS:,} (use a longer interval)")
        for k, c in enumerate(value):
            if not math.isfinite(c) or c < 0:
                raise ValueError(f"calls[{k}] = {c!r}: expected calls must be finite and >= 0")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "Arrivals":
        given = [k for k in ("rate", "calls") if getattr(self, k) is not None]
        if self.file is not None and "calls" not in given:
            given.append("file")
        if len(given) != 1:
            raise ValueError("give exactly one of 'rate' (constant) or 'calls' / 'file' (a profile per interval)")
        if self.file is not None and self.calls is None:
            raise ValueError("a CSV profile ('file') needs 'interval', e.g. interval: 30min")
        if self.rate is not None and self.start is not None:
            raise ValueError(
                "start: applies to a profile ('calls' or 'file'); a constant rate runs from time 0, the start of "
                "the day, to the horizon (remove start, or give the rate as a profile: interval, start and calls)"
            )
        if self.calls is not None:
            if self.interval is None:
                raise ValueError("a profile ('calls' or 'file') needs 'interval', e.g. interval: 30min")
            _check_interval(self.interval)
        return self

    def rate_function(self, horizon: float) -> RateFunction:
        """The arrival rate (per second) over ``[0, horizon)`` as a piecewise-constant function.

        ``volume`` multiplies every rate; at 1 the function is exactly the one given.
        """
        rf = self._given_rate_function(horizon)
        return rf if self.volume == 1.0 else rf.scaled(self.volume)

    def _given_rate_function(self, horizon: float) -> RateFunction:
        if self.rate is not None:
            return RateFunction.constant(self.rate, 0.0, horizon)
        assert self.calls is not None and self.interval is not None
        start = self.start or 0.0
        grid = [start + k * self.interval for k in range(len(self.calls) + 1)]
        rates = [c / self.interval for c in self.calls]
        # cut at the horizon
        keep_grid, keep_rates = [grid[0]], []
        for k, rate in enumerate(rates):
            if grid[k] >= horizon:
                break
            keep_rates.append(rate)
            keep_grid.append(min(grid[k + 1], horizon))
        if not keep_rates:
            return RateFunction.constant(0.0, 0.0, horizon)
        return RateFunction.build(keep_grid, keep_rates)

    def end(self) -> Optional[float]:
        """End of the profile (s), or None for a constant rate."""
        if self.calls is None or self.interval is None:
            return None
        return (self.start or 0.0) + len(self.calls) * self.interval


class CallType(ConfigModel):
    """A kind of call with its own share of arrivals (or own profile), handle time and patience.

    ``handle_time`` and ``patience`` default to the scenario's top-level ones.
    """

    name: Name = Field(max_length=64, description="call type name, e.g. 'billing' (printable)")
    share: Optional[Probability] = Field(None, description="share of the scenario's arrivals (shares sum to 1)")
    arrivals: Optional[Arrivals] = Field(None, description="this type's own arrival process (instead of a share)")
    handle_time: Optional[Distribution] = Field(None, description="handle time of this type")
    patience: Optional[Distribution] = Field(None, description="patience of this type; 'inf' never abandons")
    patience_infinite: bool = Field(False, exclude=True, description="internal: patience given as 'inf'")
    groups: Optional[tuple[str, ...]] = Field(
        None, description="with departments: groups that serve this type, home group first, then overflow groups"
    )
    overflow_after: NonNegativeSeconds = Field(
        0.0, description="wait after which the overflow groups (after the first) may also answer"
    )
    priority: int = Field(
        0, ge=-1000, le=1000,
        description="strict priority: a free agent (of any group serving the type) answers waiting calls of higher "
        "priority first, first come first served within a priority; calls in service are never interrupted; "
        "due callbacks and web-form requests are worked by priority too; predicted waits look at the caller's own "
        "priority",
    )
    misroute: Optional[Misroute] = Field(None, description="a share of this type first reaches the wrong group")
    resolution: Probability = Field(1.0, description="chance that a handling by the right group resolves the issue")

    @model_validator(mode="before")
    @classmethod
    def _inf(cls, data: Any) -> Any:
        if isinstance(data, dict) and "patience" in data and data["patience"] is not None:
            if _infinite_to_none(data["patience"]) is None:
                data = dict(data)
                data["patience"] = None
                data["patience_infinite"] = True
        return data


class Redial(ConfigModel):
    """Abandoned callers who call again.

    After abandoning, a caller calls again with ``probability`` after a
    ``delay``, up to ``max_attempts`` attempts in all (the first call
    included). Each attempt has a fresh patience; the handle time is the
    caller's own (same problem).
    """

    probability: Probability = Field(description="chance that an abandoned caller calls again")
    delay: Distribution = Field(description="time from hanging up to calling again")
    max_attempts: int = Field(3, ge=1, le=50, description="attempts in all, the first call included")
    unresolved_probability: Probability = Field(
        0.0, description="chance that a caller whose issue was not resolved calls again (departments)"
    )


class Slowdown(ConfigModel):
    """Customer slowdown: callers who waited long take longer to serve (venting, re-explaining).

    A call's handle time is multiplied by ``1 + min(max, per_wait_minute x minutes
    on hold)``, the minutes being the call's time on hold before the handling (all
    its legs so far). The agent time added is reported as ``slowdown_time``.
    """

    per_wait_minute: float = Field(ge=0.0, le=10.0, description="handle time added per minute on hold, as a share of the handle time")
    max: float = Field(0.5, ge=0.0, le=10.0, description="cap on the share added")

    def share(self, waited: float) -> float:
        """The share of its handle time added to a call that waited ``waited`` seconds on hold."""
        return min(self.max, self.per_wait_minute * waited / 60.0)


class Scenario(ConfigModel):
    """One contact-centre configuration to simulate.

    Calls arrive over ``[0, horizon)`` (time 0 is the start of the day); after
    the horizon no new call arrives and the run continues until every call has
    an outcome. Calls arriving before ``warmup`` are simulated but not counted,
    and time averages (occupancy, queue length) cover ``[warmup, horizon)``.
    """

    name: Name = Field("scenario", description="scenario name used in tables and files (printable, at most 200 bytes)")
    horizon: Optional[PositiveSeconds] = Field(
        None, description="end of the arrival period, e.g. '8h' (default: end of the arrival profile)"
    )
    warmup: NonNegativeSeconds = Field(
        0.0, description="initial period whose arrivals are simulated but not counted, e.g. '30min'"
    )
    service_level_threshold: NonNegativeSeconds = Field(
        20.0, description="answer-time threshold T of the service level (share answered within T)"
    )
    report_interval: Optional[PositiveSeconds] = Field(
        None, description="length of the intervals of the per-interval table (default: the profile's or 30min)"
    )
    arrivals: Optional[Arrivals] = Field(None, description="arrival process (all call types together)")
    call_types: Optional[tuple[CallType, ...]] = Field(
        None, description="call types with shares or own profiles; default: one type"
    )
    handle_time: Optional[Distribution] = Field(None, description="handle time (talk + hold + wrap-up)")
    patience: Optional[Distribution] = Field(
        None, description="patience; omit or 'inf' for callers who never abandon"
    )
    agents: Optional[int] = Field(None, ge=1, le=1_000_000, description="agents on duty all day (constant)")
    staffing: Optional[Staffing] = Field(None, description="agents on duty per interval")
    shifts: Optional[tuple[Shift, ...]] = Field(None, description="shifts with start, length, count and breaks")
    shift_adjust: Optional[ShiftAdjust] = Field(
        None, description="one change to every shift's count (top-level and groups' shifts), e.g. {add: 1}"
    )
    shrinkage: float = Field(
        0.0, ge=0.0, lt=1.0, allow_inf_nan=False,
        description="share of scheduled agents unavailable (meetings, absence): on duty = round(scheduled x "
                    "(1 - shrinkage)), halves up, per interval of a staffing table or per shift",
    )
    redial: Optional[Redial] = Field(None, description="abandoned (and blocked) callers calling again")
    lines: Optional[int] = Field(
        None, ge=1, le=10_000_000,
        description="telephone lines: calls that can be in the centre at once, on hold or with an agent (a transfer "
        "or warm hand-off keeps its one line); a call arriving when every line is busy is blocked (busy tone, "
        "outcome 'blocked') and redials as an abandoned caller would; default: unlimited",
    )
    handle_time_slowdown: Optional[Slowdown] = Field(
        None, description="callers who waited long take longer to serve: handle time x (1 + min(max, per_wait_minute x minutes on hold))"
    )
    staff: Optional[Staff] = Field(
        None, description="agents as people: per-agent speed, fatigue, absenteeism, breaks that wait for the call's "
        "end, idle agents logging off first; any staff block (even {}) adds the per-agent records",
    )
    backlog: int = Field(0, ge=0, le=10_000_000, description="callers already waiting when the day starts")
    costs: Optional[CostModel] = Field(None, description="prices of agents, telephony, customers' time, abandonment, churn")
    announcements: Optional[Announcements] = Field(None, description="recorded messages played on hold")
    callback: Optional[Callback] = Field(None, description="callback option offered to callers facing a long wait")
    groups: Optional[tuple[AgentGroup, ...]] = Field(None, description="departments, each with its own staffing")
    transfers: Optional[Transfers] = Field(None, description="what agents do with calls that reached the wrong group")

    @model_validator(mode="before")
    @classmethod
    def _volume_of_every_type(cls, data: Any) -> Any:
        """``arrivals: {volume: v}`` alone, when every call type has its own arrivals (as ``--set
        arrivals.volume=1.1`` writes it): each type's volume is multiplied by ``v``."""
        if not isinstance(data, dict):
            return data
        top, types = data.get("arrivals"), data.get("call_types")
        if not (isinstance(top, dict) and set(top) == {"volume"} and isinstance(types, (list, tuple)) and types):
            return data
        if not all(isinstance(t, dict) and isinstance(t.get("arrivals"), dict) for t in types):
            return data
        volume = top["volume"]
        if isinstance(volume, bool) or not isinstance(volume, (int, float)):
            return data  # reported by the field's validation
        out = dict(data)
        out.pop("arrivals")
        out["call_types"] = [
            {**t, "arrivals": {**t["arrivals"], "volume": volume * t["arrivals"].get("volume", 1.0)}} for t in types
        ]
        return out

    @field_validator("patience", mode="before")
    @classmethod
    def _infinite_patience(cls, value: Any) -> Any:
        return None if value is None else _infinite_to_none(value)

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        # arrivals: top level, or per type
        types = self.call_types or ()
        own = [t for t in types if t.arrivals is not None]
        if self.arrivals is None and not own:
            raise ValueError("arrivals: required key is missing (or give every call type its own 'arrivals')")
        if own and (self.arrivals is not None or len(own) != len(types)):
            raise ValueError("call_types: either every type has its own 'arrivals' (and no top-level arrivals), or none has")
        if types:
            names = [t.name for t in types]
            if len(set(names)) != len(names):
                raise ValueError(f"call_types: names must be unique, got {names}")
            if not own:
                missing = [t.name for t in types if t.share is None]
                if missing:
                    raise ValueError(f"call_types: give every type a 'share' (missing for {', '.join(missing)})")
                total = sum(t.share or 0.0 for t in types)
                if abs(total - 1.0) > 1e-6:
                    raise ValueError(f"call_types: shares must sum to 1, they sum to {total:.6g}")
            for t in types:
                if t.handle_time is None and self.handle_time is None:
                    raise ValueError(f"call_types: type {t.name!r} has no handle_time and there is no top-level one")
        elif self.handle_time is None:
            raise ValueError("handle_time: required key is missing")
        if self.lines is not None:
            self._check_lines()
        if self.callback is not None and self.callback.offer == "at_announcement":
            if self.announcements is None or self.announcements.kind != "informative":
                raise ValueError("callback.offer: 'at_announcement' needs informative announcements (announcements.kind: informative)")
        # staffing: exactly one way (per group with departments)
        ways = [k for k in ("agents", "staffing", "shifts") if getattr(self, k) is not None]
        if self.groups is not None:
            self._check_groups(ways)
        elif any(t.groups or t.misroute for t in types):
            raise ValueError("call_types: 'groups' and 'misroute' need departments: add a 'groups' list")
        elif not ways:
            raise ValueError("agents: required key is missing (or give 'staffing' per interval, or 'shifts')")
        if len(ways) > 1:
            raise ValueError(
                f"give only one of 'agents' (constant), 'staffing' (per interval) or 'shifts'; got {', '.join(ways)}"
            )
        if self.shifts is not None and not self.shifts:
            raise ValueError("shifts: give at least one shift")
        if self.staff is not None and self.staff.absenteeism is not None and self.shrinkage > 0:
            raise ValueError(f"staff.absenteeism ({self.staff.absenteeism:g}) replaces shrinkage "
                             f"({self.shrinkage:g}): give one of them (shrinkage: 0 with absenteeism)")
        attrition = self.costs.attrition if self.costs is not None else None
        if attrition is not None and self.staff is None:
            raise ValueError("costs.attrition: prices the per-agent records, which need a staff block; add "
                             "staff: {high_occupancy: {above: 0.9}} (or staff: {} with per_hour_above: 0)")
        if attrition is not None and attrition.per_hour_above > 0 and self.staff.high_occupancy is None:
            raise ValueError(f"costs.attrition.per_hour_above ({attrition.per_hour_above:g}) counts hours above "
                             "staff.high_occupancy's threshold; add staff.high_occupancy, e.g. {window: 60min, above: 0.9}")
        if self.shift_adjust is not None:
            all_shifts = [self.shifts] + [g.shifts for g in self.groups or ()]
            if all(s is None for s in all_shifts):
                raise ValueError("shift_adjust: applies to shifts, and this scenario has none; change 'agents' or "
                                 "'staffing' directly (or use --set / a sweep on them)")
            for shifts in all_shifts:
                self.shift_adjust.apply(shifts or ())
        # horizon
        if self.horizon is None:
            ends = [a.end() for a in self._arrival_blocks()]
            if any(e is None for e in ends):
                raise ValueError("horizon: required key is missing (needed with a constant arrival rate)")
            object.__setattr__(self, "horizon", float(max(e for e in ends if e is not None)))
        if self.warmup >= self.horizon:
            raise ValueError(f"warmup ({self.warmup:g} s) must be shorter than horizon ({self.horizon:g} s)")
        intervals = self.horizon / self.interval_length()
        if intervals > MAX_REPORT_INTERVALS:
            raise ValueError(
                f"horizon ({self.horizon:g} s) holds {intervals:.3g} report intervals of {self.interval_length():g} s; "
                f"at most {MAX_REPORT_INTERVALS:,}: give a longer report_interval or a shorter horizon"
            )
        expected = self.expected_arrivals()
        if not expected <= MAX_EXPECTED_CALLS:
            raise ValueError(
                f"about {expected:.3g} calls are expected per replication over the horizon ({self.horizon:g} s); "
                f"at most {MAX_EXPECTED_CALLS:.0e}: give a shorter horizon or fewer calls"
            )
        return self

    def _check_lines(self) -> None:
        """Finite lines are not combined with callbacks or informative announcements (callers who hang up
        and keep their place, or are called back, would need their own line convention)."""
        if self.callback is not None:
            raise ValueError(f"lines: {self.lines} is not combined with a callback option; remove 'lines' or 'callback'")
        if self.announcements is not None and self.announcements.kind == "informative":
            raise ValueError(f"lines: {self.lines} is not combined with informative announcements; "
                             "remove 'lines' or use generic announcements")

    def _check_groups(self, ways: list[str]) -> None:
        groups = self.groups or ()
        if not groups:
            raise ValueError("groups: give at least one group")
        if ways:
            raise ValueError(f"with groups, staffing is per group: remove top-level {', '.join(ways)}")
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise ValueError(f"groups: names must be unique, got {names}")
        oracle = [f"{key}.predictor" for key, part in (("announcements", self.announcements), ("callback", self.callback))
                  if part is not None and getattr(part, "predictor", None) == "oracle"]
        if oracle and len(groups) > 1:
            raise ValueError(f"{oracle[0]}: 'oracle' (the exact remaining work, a yardstick) is defined for one pool of "
                             "agents; with several groups use queue_length, last_to_enter_service or head_of_line")
        types = self.call_types or ()
        if not types and len(groups) > 1:
            raise ValueError("with several groups, give call_types and the groups that serve each")
        for t in types:
            if t.groups is None and len(groups) > 1:
                raise ValueError(f"call type {t.name!r}: no group can serve it; give groups: [...] (known: {', '.join(names)})")
            for g in t.groups or ():
                if g not in names:
                    raise ValueError(f"call type {t.name!r}: unknown group {g!r} in groups; known groups: {', '.join(names)}")
            if t.groups is not None and len(set(t.groups)) != len(t.groups):
                raise ValueError(f"call type {t.name!r}: a group is listed twice in groups")
            if t.misroute is not None:
                if t.misroute.to not in names:
                    raise ValueError(f"call type {t.name!r}: misroute.to {t.misroute.to!r} is not a group; known groups: {', '.join(names)}")
                if t.groups is not None and t.misroute.to in t.groups:
                    raise ValueError(f"call type {t.name!r}: misroute.to {t.misroute.to!r} can serve this type, so it is not the wrong group")

    def type_groups(self) -> list[list[int]]:
        """Indices of the groups serving each call type, home group first."""
        names = [g.name for g in self.groups or ()]
        if not self.call_types:
            return [[0]]
        return [[names.index(g) for g in t.groups] if t.groups else [0] for t in self.call_types]

    # -- derived views used by the engine and metrics -------------------------
    def _arrival_blocks(self) -> list[Arrivals]:
        if self.arrivals is not None:
            return [self.arrivals]
        return [t.arrivals for t in (self.call_types or ()) if t.arrivals is not None]

    def type_names(self) -> list[str]:
        """Call type names (one type called ``'all'`` when none are given)."""
        return [t.name for t in self.call_types] if self.call_types else ["all"]

    def type_handle_times(self) -> list[Distribution]:
        if not self.call_types:
            assert self.handle_time is not None
            return [self.handle_time]
        return [t.handle_time or self.handle_time for t in self.call_types]  # type: ignore[misc]

    def type_patience(self) -> list[Optional[Distribution]]:
        if not self.call_types:
            return [self.patience]
        return [None if t.patience_infinite else (t.patience or self.patience) for t in self.call_types]

    def rate_functions(self) -> list[RateFunction]:
        """Arrival rate of each call type over ``[0, horizon)``."""
        assert self.horizon is not None
        if self.arrivals is not None:
            total = self.arrivals.rate_function(self.horizon)
            if not self.call_types:
                return [total]
            return [total.scaled(t.share or 0.0) for t in self.call_types]
        return [t.arrivals.rate_function(self.horizon) for t in self.call_types or ()]  # type: ignore[union-attr]

    def dispersion(self) -> float:
        """CV of the daily level multiplier (the top-level arrivals', or the first type's)."""
        blocks = self._arrival_blocks()
        return blocks[0].dispersion if blocks else 0.0

    def interval_length(self) -> float:
        """Length of the per-interval table's intervals (s)."""
        if self.report_interval is not None:
            return self.report_interval
        for block in self._arrival_blocks():
            if block.interval is not None:
                return block.interval
        if self.staffing is not None:
            return self.staffing.interval
        return 1800.0

    def duty_periods(self) -> list[list[tuple[float, float]]]:
        """Working periods of each agent, ``[(start, end), ...]`` in seconds.

        ``end`` is ``inf`` for agents who stay until every call has an outcome:
        constant staffing, and the agents of the last staffing interval or of
        shifts that end at or after the horizon. Shrinkage is applied here.
        With ``groups``, the agents of every group in order.
        """
        assert self.horizon is not None
        if self.groups:
            return [p for g in self.groups for p in duty_periods(g.agents, g.staffing, self.adjusted(g.shifts),
                                                                 self.shrinkage, self.horizon)]
        return duty_periods(self.agents, self.staffing, self.adjusted(self.shifts), self.shrinkage, self.horizon)

    def adjusted(self, shifts: Optional[tuple[Shift, ...]]) -> Optional[tuple[Shift, ...]]:
        """``shifts`` with ``shift_adjust`` applied to their counts (the same tuple without it)."""
        if shifts is None or self.shift_adjust is None or self.shift_adjust.is_identity():
            return shifts
        return self.shift_adjust.apply(shifts)

    def agent_groups(self) -> list[int]:
        """Group index of each agent (all 0 without ``groups``)."""
        if not self.groups:
            return [0] * len(self.duty_periods())
        assert self.horizon is not None
        out: list[int] = []
        for k, g in enumerate(self.groups):
            out.extend([k] * len(duty_periods(g.agents, g.staffing, self.adjusted(g.shifts), self.shrinkage, self.horizon)))
        return out

    def as_one_group(self) -> "Scenario":
        """The same centre written with departments: the agents (``agents``, ``staffing`` or ``shifts``) as a
        single group that serves every call type. A one-pool scenario and its single group are one model:
        the same call log, bit for bit (the department engine is checked against the one-pool engines so).
        A scenario with groups is returned as it is."""
        if self.groups:
            return self
        spec = self.model_dump(exclude_none=True)
        group = {"name": "agents"}
        for key in ("agents", "staffing", "shifts"):
            if key in spec:
                group[key] = spec.pop(key)
        for written, call_type in zip(spec.get("call_types", ()), self.call_types or ()):
            if call_type.patience_infinite:  # 'inf' is not in the dump: without it the type would inherit
                written["patience"] = "inf"
        return type(self).model_validate({**spec, "groups": [group]})

    # -- summaries ------------------------------------------------------------
    def offered_load(self) -> float:
        """Mean offered load in Erlangs over the arrival period (rate x mean handle time)."""
        assert self.horizon is not None
        work = sum(
            rf.total() * h.expectation() for rf, h in zip(self.rate_functions(), self.type_handle_times())
        )
        start = min(rf.grid[0] for rf in self.rate_functions())
        return work / (self.horizon - start) if self.horizon > start else 0.0

    def expected_arrivals(self) -> float:
        """Expected number of arrivals over the horizon (backlog excluded)."""
        return sum(rf.total() for rf in self.rate_functions())

    def constant_agents(self, periods: Optional[list[list[tuple[float, float]]]] = None) -> Optional[int]:
        """The number of agents if it never changes, else None (``periods``: :meth:`duty_periods`, if known)."""
        periods = self.duty_periods() if periods is None else periods
        if all(p == [(0.0, math.inf)] for p in periods):
            return len(periods)
        return None

    def warnings(self) -> list[str]:
        """Things that are valid but probably not meant (printed by the CLI).

        Intervals with arrivals and no agent on duty; no calls at all; an offered
        load at or above the capacity (see :meth:`_overload_warning`); fewer
        ``lines`` than a constant number of agents.
        """
        out: list[str] = []
        duty = self.duty_periods()  # once: with many agents it is the dearest part
        periods = sorted(p for agent in duty for p in agent)
        interval = self.interval_length()
        assert self.horizon is not None
        count = math.ceil(self.horizon / interval)
        # merge the duty periods; an interval is covered if some merged period overlaps it
        merged: list[list[float]] = []
        for s, e in periods:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            elif e > s:
                merged.append([s, e])
        find = _uncovered_starts_plain if count <= PLAIN_WARNING_INTERVALS else _uncovered_starts_numpy
        uncovered = find(count, interval, self.horizon, self.rate_functions(), merged)
        if uncovered:
            shown = ", ".join(format_clock(a) for a in uncovered[:6]) + (" ..." if len(uncovered) > 6 else "")
            out.append(f"{self.name}: no agent is on duty in {len(uncovered)} interval(s) with arrivals (starting {shown})")
        overload = self._overload_warning(duty)
        if overload:
            out.append(overload)
        agents = self.constant_agents(duty)
        if self.lines is not None and agents is not None and agents > self.lines:
            out.append(f"{self.name}: lines ({self.lines}) are fewer than agents ({agents}): at most {self.lines} "
                       "agents can ever be busy")
        out += self._unit_warnings()
        out += self._shrinkage_warnings()
        return out

    def _shrinkage_warnings(self) -> list[str]:
        """Shifts whose shrinkage, rounded shift by shift, keeps on duty at least one agent and 5% more or
        fewer than the shifts' total would (small shifts: a one-agent shift keeps its agent below 50%
        shrinkage and loses it from 50%)."""
        out: list[str] = []
        if not self.shrinkage:
            return out
        pools = [("", self.shifts)] + [(f" of group {g.name!r}", g.shifts) for g in self.groups or ()]
        for where, shifts in pools:
            counts = [s.count for s in self.adjusted(shifts) or ()]
            if not counts:
                continue
            present = sum(shifts_on_duty(counts, self.shrinkage))
            expected = sum(counts) * (1.0 - self.shrinkage)
            if abs(present - expected) >= max(1.0, 0.05 * expected):
                out.append(f"{self.name}: shrinkage {self.shrinkage:g} is rounded shift by shift: the shifts{where} "
                           f"keep {present} of {sum(counts)} scheduled agents on duty, not the {expected:.1f} "
                           "their total would; shifts of few agents each lose a whole agent or none")
        return out

    def _unit_warnings(self) -> list[str]:
        """Durations so short they are probably a number written without its unit (which means seconds): a day
        of a few minutes, shifts of a few minutes, calls of a few seconds."""
        out: list[str] = []

        def guess(seconds: float) -> str:
            return (f"; a number without a unit is seconds: did you mean '{seconds:g}h' or '{seconds:g}min'?"
                    if seconds == int(seconds) else "")

        assert self.horizon is not None
        if self.horizon < 600.0:
            out.append(f"{self.name}: horizon is {format_duration(self.horizon)}{guess(self.horizon)}")
        shifts = [*(self.shifts or ()), *(s for g in self.groups or () for s in g.shifts or ())]
        short = sorted({s.length for s in shifts if s.length < 600.0})
        if short:
            out.append(f"{self.name}: shift length {format_duration(short[0])}{guess(short[0])}")
        handle = min((d.expectation() for d in self.type_handle_times()), default=math.inf)
        if handle < 5.0:
            out.append(f"{self.name}: a mean handle time of {format_duration(handle)}{guess(handle)}")
        return out

    def _overload_warning(self, duty: list[list[tuple[float, float]]]) -> Optional[str]:
        """Offered load against the agents on duty, both averaged over the arrival period.

        Callers who never leave the queue (no patience, no announcement that makes
        them hang up) and whose load alone reaches the capacity make the queue
        unstable: it grows for the whole arrival period. Otherwise a load above the
        capacity means at least about ``1 - capacity / load`` of the calls are lost
        (the fluid model; every answered call takes an agent's mean handle time).
        Redials, transfers and callback dialling add work, so both are lower bounds.
        """

        assert self.horizon is not None
        rates, handles = self.rate_functions(), self.type_handle_times()
        start = min(rf.grid[0] for rf in rates)
        length = self.horizon - start
        if not length > 0:
            return None
        on_duty = sum(max(0.0, min(e, self.horizon) - max(s, start)) for agent in duty for s, e in agent)
        capacity = on_duty / length  # mean agents on duty
        if self.staff is not None and self.staff.absenteeism:
            capacity *= 1.0 - self.staff.absenteeism  # expected agents present
        calls = [rf.total() for rf in rates]
        work = [n * h.expectation() for n, h in zip(calls, handles)]
        load = sum(work) / length
        if not load > 0:
            return f"{self.name}: no calls are expected: the arrival rate is 0 over the whole horizon"
        if capacity <= 0:
            return None  # no agent at all is the uncovered-interval warning
        ann = self.announcements
        # informative messages make callers told a long wait hang up; generic ones only if repeated
        # (after a single message the callers still waiting stay for good)
        hang_up = ann is not None and (
            ann.kind == "informative" or (ann.hangup_probability > 0 and ann.every is not None)
        )
        stay = [not hang_up and p is None for p in self.type_patience()]
        stay_work = sum(w for w, s in zip(work, stay) if s)
        stay_load = stay_work / length
        agents = f"{capacity:,.4g} agents" if self.constant_agents(duty) is not None else f"{capacity:,.4g} agents on duty on average"
        if self.staff is not None and self.staff.absenteeism:
            agents = f"{capacity:,.4g} agents present on average (absenteeism {self.staff.absenteeism:g})"

        def erlangs(x: float) -> str:
            return f"{x:,.0f}" if x >= 1000 else f"{x:.4g}"

        if stay_load >= capacity * (1 - 1e-9):
            stay_calls = sum(n for n, s in zip(calls, stay) if s)
            backlog = (stay_load - capacity) * length / (stay_work / stay_calls)
            text = (
                f"{self.name}: unstable queue: the offered load of callers who never abandon, {erlangs(stay_load)} Erlangs, "
                f"is {stay_load / capacity:.3g}x the capacity of {agents} over the arrival period: "
                "the queue grows until arrivals stop"
            )
            if backlog >= 1:
                text += f", with at least about {backlog:,.0f} calls still waiting then"
                if self.constant_agents(duty) is not None:
                    text += f"; the last are answered about {format_duration(backlog * stay_work / stay_calls / capacity)} later"
            return text
        if load > capacity * (1 + 1e-9):
            return (
                f"{self.name}: overloaded: the offered load, {erlangs(load)} Erlangs, is {load / capacity:.3g}x the capacity "
                f"of {agents} over the arrival period: at least about {1 - capacity / load:.1%} of the calls "
                "will be lost (fluid model: 1 - capacity / load)"
            )
        return None
