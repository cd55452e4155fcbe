"""Staffing schedules as config blocks, and the agents' duty periods they imply.

Three ways to say who is on duty: a constant number of ``agents``; agents
per interval (:class:`Staffing`); or :class:`Shift` s with breaks. All become
per-agent *duty periods* ``(start, end)`` in seconds from the start of the
day; the engine brings agents on and off duty at those times.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Optional, Sequence

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel
from .fields import ClockTime, NonNegativeSeconds, PositiveSeconds

__all__ = ["Shift", "ShiftAdjust", "ShiftBreak", "Staffing", "check_interval", "duty_periods", "on_duty"]

DAY = 86400.0


def check_interval(interval: float) -> None:
    """ValueError unless ``interval`` (s) divides the 24-hour day."""
    if abs(DAY / interval - round(DAY / interval)) > 1e-9:
        raise ValueError(
            f"interval {interval:g} s does not divide the 24-hour day; use e.g. 15min, 30min or 60min"
        )


class Staffing(ConfigModel):
    """Agents on duty per interval, e.g. ``{interval: 30min, start: '07:00', agents: [4, 6, 8]}``.

    Outside the listed intervals no agent is on duty, except that the last
    interval's agents stay until every call that arrived has an outcome.
    """

    interval: PositiveSeconds = Field(description="length of each staffing interval, e.g. '30min'")
    start: ClockTime = Field(0.0, description="start of the first interval, e.g. '07:00'")
    agents: tuple[int, ...] = Field(min_length=1, max_length=105_120,
                                    description="agents scheduled in each interval (at most 105,120 intervals)")

    @field_validator("agents")
    @classmethod
    def _non_negative(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for k, n in enumerate(value):
            if n < 0 or n > 1_000_000:
                raise ValueError(f"agents[{k}] = {n}: must be between 0 and 1,000,000")
        return value

    @model_validator(mode="after")
    def _interval_divides_day(self) -> "Staffing":
        check_interval(self.interval)
        return self


class ShiftBreak(ConfigModel):
    """An unpaid break: ``start`` is measured from the start of the shift."""

    start: NonNegativeSeconds = Field(description="time after the shift starts, e.g. '4h'")
    length: PositiveSeconds = Field(description="length of the break, e.g. '30min'")


class Shift(ConfigModel):
    """``count`` agents working from ``start`` for ``length``, minus breaks."""

    name: Optional[str] = Field(None, description="shift name used in reports")
    start: ClockTime = Field(description="start time, e.g. '07:00'")
    length: PositiveSeconds = Field(description="paid + unpaid length, e.g. '8h'")
    count: int = Field(ge=0, le=1_000_000, description="agents working this shift")
    breaks: tuple[ShiftBreak, ...] = Field((), description="unpaid breaks within the shift")

    @model_validator(mode="after")
    def _breaks_inside(self) -> "Shift":
        last = 0.0
        for k, brk in enumerate(sorted(self.breaks, key=lambda b: b.start)):
            if brk.start < last:
                raise ValueError(f"breaks[{k}] overlaps the previous break")
            if brk.start + brk.length > self.length:
                raise ValueError(
                    f"breaks[{k}] (start {brk.start:g} s, length {brk.length:g} s) ends after the shift ({self.length:g} s)"
                )
            last = brk.start + brk.length
        return self

    def duty(self) -> list[tuple[float, float]]:
        """Working periods ``(start, end)`` in seconds from midnight."""
        periods, t = [], self.start
        for brk in sorted(self.breaks, key=lambda b: b.start):
            if self.start + brk.start > t:
                periods.append((t, self.start + brk.start))
            t = self.start + brk.start + brk.length
        if self.start + self.length > t:
            periods.append((t, self.start + self.length))
        return periods


class ShiftAdjust(ConfigModel):
    """One change applied to every shift's ``count``: a what-if without copying the shifts.

    Each shift's count becomes ``round(count x scale) + add`` (halves round
    up), e.g. ``{add: 1}`` puts one more agent on every shift and
    ``{scale: 1.1}`` 10% more on each. The shifts as written stay in the
    config; the adjusted counts are what is simulated (before shrinkage).
    """

    add: int = Field(
        0, ge=-1_000_000, le=1_000_000,
        description="agents added to every shift (negative removes; no shift may drop below 0)",
    )
    scale: float = Field(
        1.0, gt=0.0, le=1000.0, allow_inf_nan=False,
        description="multiplier of every shift's count, applied before 'add' and rounded to whole agents (halves up)",
    )

    def is_identity(self) -> bool:
        """True if no count changes (``add: 0``, ``scale: 1``)."""
        return self.add == 0 and self.scale == 1.0

    def count(self, n: int) -> int:
        """The adjusted count of a shift of ``n`` agents (may be negative: see :meth:`apply`)."""
        # exact decimal arithmetic on the scale as written: 50 x 1.15 is 57.5, rounded up to 58 (not 57.4999...)
        scaled = n if self.scale == 1.0 else int(math.floor(Fraction(repr(self.scale)) * n + Fraction(1, 2)))
        return scaled + self.add

    def apply(self, shifts: Sequence[Shift]) -> tuple[Shift, ...]:
        """The shifts with adjusted counts; ValueError naming the first shift left below 0 or above 1,000,000."""
        out = []
        for k, shift in enumerate(shifts):
            n = self.count(shift.count)
            if not 0 <= n <= 1_000_000:
                label = f"shift {shift.name!r}" if shift.name else f"shifts[{k}]"
                raise ValueError(
                    f"shift_adjust (add {self.add}, scale {self.scale:g}) gives {label} {n} agents "
                    f"(count {shift.count}); the result must be between 0 and 1,000,000"
                )
            out.append(shift if n == shift.count else shift.model_copy(update={"count": n}))
        return tuple(out)


def on_duty(scheduled: int, shrinkage: float) -> int:
    """Agents on duty of ``scheduled`` after ``shrinkage``: round(n x (1 - shrinkage)), halves up."""
    return int(math.floor(scheduled * (1.0 - shrinkage) + 0.5))


def shifts_on_duty(counts: Sequence[int], shrinkage: float) -> list[int]:
    """Agents on duty on each of several shifts (scheduled ``counts``) after ``shrinkage``: each shift
    rounded on its own, :func:`on_duty` of its count (halves up).

    Shift by shift, so that adding an agent to a shift never takes one away from another and the agents
    on duty in an interval are the sum of its shifts' (what :mod:`queuesim.staffing` covers). Many small
    shifts are rounded many times: ten one-agent shifts keep all ten agents at 30% shrinkage and lose all
    ten at 55% (the config's warnings say so)."""
    return [on_duty(n, shrinkage) for n in counts]


def duty_periods(
    agents: Optional[int],
    staffing: Optional[Staffing],
    shifts: Optional[Sequence[Shift]],
    shrinkage: float,
    horizon: float,
) -> list[list[tuple[float, float]]]:
    """Duty periods of each agent from exactly one of ``agents``, ``staffing``, ``shifts``.

    Shrinkage rounds each scheduled count: on duty = round(n x (1 - shrinkage)), per interval of a staffing
    table and per shift (:func:`shifts_on_duty`).
    Periods reaching the horizon (and the last staffing interval) end at ``inf``:
    those agents stay until every call has an outcome.
    """
    def rounded(n: int) -> int:
        return on_duty(n, shrinkage)

    if agents is not None:
        return [[(0.0, math.inf)] for _ in range(max(rounded(agents), 0))]
    if staffing is not None:
        st = staffing
        counts = [rounded(n) for n in st.agents]
        out: list[list[tuple[float, float]]] = [[] for _ in range(max(counts, default=0))]
        last = len(counts) - 1
        for j in range(len(out)):
            k = 0
            while k < len(counts):
                if counts[k] > j:
                    begin = k
                    while k < len(counts) and counts[k] > j:
                        k += 1
                    end = st.start + k * st.interval
                    if k - 1 == last or end >= horizon:
                        end = math.inf
                    out[j].append((st.start + begin * st.interval, end))
                else:
                    k += 1
        return out
    result: list[list[tuple[float, float]]] = []
    present = shifts_on_duty([shift.count for shift in shifts or ()], shrinkage)
    for shift, count in zip(shifts or (), present):
        periods = [(a, math.inf if b >= horizon else b) for a, b in shift.duty()]
        result.extend([list(periods) for _ in range(count)])
    return result
