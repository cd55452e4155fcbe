"""The agent side of the department centre: agents as people (``staff`` in the scenario).

:class:`StaffSide` is a component of :class:`~queuesim.engine.departments.DepartmentCentre`,
called at a few hooks of the routing kernel:

* construction: **absenteeism** (each scheduled agent absent for the whole day with
  probability ``absenteeism``: the agent keeps its place in the schedule and never
  comes on duty) and **speed** (each agent's handle-time multiplier, from its tenure
  group). Both are drawn per agent from streams of their own, keyed by the agent's
  place in the schedule (its group, its shift, its rank in the shift), so an agent has
  the same draws in every scenario of an experiment (common random numbers) even when
  other groups or shifts change size;
* a handling starts (:meth:`added`, only with speed or fatigue): the handle time is
  multiplied by the agent's speed and, with **fatigue**, by ``1 + min(max, per_point x
  100 x (recent occupancy - threshold))``, the recent occupancy being the share of the
  last ``window`` the agent spent at work on calls;
* every stretch of agent work (:meth:`worked`, only with fatigue): the busy intervals of
  the fatigue window (a short deque per agent, evicted as the window moves);
* the centre's work table, at each hand-over of calls and at the end (:meth:`absorb`):
  the per-agent counts and sums and the longest stretch of work without a pause, from
  the rows recorded since the last hand-over, in the order they were recorded (the same
  sums, in the same order, as if counted stretch by stretch); and the **time at high
  occupancy**, swept with numpy over the stretch of the day no later row can reach
  (:func:`_time_above`);
* shift changes (:meth:`on`, :meth:`off`) and the end of an agent's work
  (:meth:`released`, only while a late break or a log-off waits for one): **breaks that
  wait for the call's end** (a break that falls during a call starts when the call ends
  and lasts its full length; the agent stays on duty until then) and **idle agents
  logging off first** (when the schedule takes a busy agent off duty and an agent of
  the same group is idle, the idle one logs off and the busy one takes over the rest of
  its schedule: the schedule is held by places, ``slot``, which people, ``person``, may
  swap);
* the output (:meth:`table`): one row per agent, :class:`AgentTable`.

With every part off (``staff: {}``) the component only records: the engine runs the
same events in the same order, and the call log is the same bit for bit.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..model.scenario import Scenario
from ..model.shifts import duty_periods
from ..model.people import Staff
from ..rng import RandomStreams
from .kernel import Timer

if TYPE_CHECKING:  # pragma: no cover
    from .departments import DepartmentCentre

__all__ = ["AgentTable", "StaffSide", "agent_places"]

_NAN = math.nan
#: The work table's kind of a talk (``TALK`` of :mod:`~queuesim.engine.departments`).
_TALK = 0


@dataclass(frozen=True)
class AgentTable:
    """One row per agent of the schedule (index = the engine's agent number), times in seconds.

    Agents are people: with ``staff.leaving: idle_first`` people may swap places in the
    schedule, and a row follows the person (its first place gives its group and draws).
    """

    group: np.ndarray
    """int16: the agent's group (index in ``groups``; 0 for one pool)."""
    absent: np.ndarray
    """bool: absent for the whole day (``staff.absenteeism``); such a row has zeros everywhere else."""
    speed: np.ndarray
    """float64: handle-time multiplier of the agent (``staff.speed``; 1 without)."""
    calls: np.ndarray
    """int64: handlings (talks) the agent did: calls answered, a callback's call, a transfer taken."""
    busy: np.ndarray
    """float64: time at work on calls (talk, identification, holding a transfer, conference, dialling)."""
    talk: np.ndarray
    """float64: time talking (a part of ``busy``), the handle times as handled."""
    added: np.ndarray
    """float64: the part of ``talk`` added by the agent's speed and fatigue (negative for a fast agent)."""
    fatigue: np.ndarray
    """float64: the part of ``added`` due to fatigue alone (0 without ``staff.fatigue``)."""
    on_duty: np.ndarray
    """float64: time on duty (logged in); a duty without end (agents who stay until every call has an outcome)
    counts until the end of the day (the horizon) or the end of the agent's last work after it, whichever is
    later. A break delayed to a call's end counts as on duty until it starts."""
    longest_stretch: np.ndarray
    """float64: the longest stretch of work without a pause (back-to-back work, not a second idle between)."""
    breaks_delayed: np.ndarray
    """int64: breaks that started late because a call ran into them (``staff.breaks: delay_to_call_end``)."""
    break_delay: np.ndarray
    """float64: the time those breaks started late, in all."""
    overtime: np.ndarray
    """float64: time at work after the schedule took the agent off duty (finishing a call)."""
    time_above: np.ndarray
    """float64: time on duty at a recent occupancy above ``staff.high_occupancy.above`` (the share of the last
    ``high_occupancy.window`` at work on calls); NaN without ``staff.high_occupancy``."""
    duty: np.ndarray
    """``(agent, start, end)`` rows, one per stretch on duty as it happened (end ``inf``: on duty to the end)."""

    #: The per-agent columns, in order (``duty`` is a table of its own).
    COLUMNS = ("group", "absent", "speed", "calls", "busy", "talk", "added", "fatigue", "on_duty",
               "longest_stretch", "breaks_delayed", "break_delay", "overtime", "time_above")

    def __len__(self) -> int:
        return int(self.group.shape[0])

    def columns(self) -> dict[str, np.ndarray]:
        """The per-agent columns by name, after an ``agent`` column (the row's index) and before ``occupancy``
        (:meth:`occupancy`): ready for ``pandas.DataFrame(table.columns())`` or a CSV."""
        return {"agent": np.arange(len(self), dtype=np.int64),
                **{name: getattr(self, name) for name in self.COLUMNS}, "occupancy": self.occupancy()}

    def occupancy(self) -> np.ndarray:
        """Busy time over time present (on duty and overtime) of each agent, as the centre's occupancy counts
        it (NaN for an agent never on duty)."""
        present = self.on_duty + self.overtime
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.on_duty > 0, self.busy / np.where(present > 0, present, 1.0), np.nan)


def _time_above(agent: np.ndarray, start: np.ndarray, end: np.ndarray, duty: np.ndarray, window: float,
                level: float, n: int) -> np.ndarray:
    """Per agent (``n`` of them), exactly: the time (s) counted in ``duty`` during which the agent's busy time
    in the last ``window`` seconds, ``B(t)``, was above ``level`` seconds.

    ``agent``, ``start``, ``end``: the agents' stretches of work (s), every one that reaches into the window of
    a counted instant, one agent's apart from one another (:func:`_union`); ``duty``: ``(agent, from, to)`` rows, the time to
    count. ``B(t) = S(t) - S(t - window)``, ``S`` the agent's busy time since the start of the day, is
    piecewise linear: its slope (busy at ``t`` minus busy at ``t - window``) changes only at the starts and
    ends of work and a window later. One sweep over those times and the ends of the duty rows, sorted by
    agent and time, gives ``B`` at every breakpoint (cumulative sums of slope x elapsed time) and, on each
    linear piece, the time above ``level`` in closed form.
    """
    duty = duty[duty[:, 2] > duty[:, 1]]
    count = agent.shape[0]
    who = np.concatenate((agent, agent, agent, agent, duty[:, 0].astype(np.int64), duty[:, 0].astype(np.int64)))
    at = np.concatenate((start, end, start + window, end + window, duty[:, 1], duty[:, 2]))
    if at.shape[0] == 0:
        return np.zeros(n)
    ones = np.ones(count, dtype=np.int64)
    nothing = np.zeros(duty.shape[0], dtype=np.int64)
    slope_step = np.concatenate((ones, -ones, -ones, ones, nothing, nothing))
    duty_step = np.concatenate((np.zeros(4 * count, dtype=np.int64), nothing + 1, nothing - 1))
    order = np.argsort(at, kind="stable")  # (four nearly sorted runs: cheap)
    order = order[np.argsort(_narrow(who[order], n), kind="stable")]
    who, at = who[order], at[order]
    # after each breakpoint: the slope of B and whether the time counts (each agent's steps sum to zero, so the
    # running sums start at zero with each agent)
    slope = np.cumsum(slope_step[order])[:-1]
    counted = np.cumsum(duty_step[order])[:-1] > 0
    same = who[1:] == who[:-1]
    length = np.where(same, np.diff(at), 0.0)
    rise = slope * length
    # B at each breakpoint: the rises since the agent's first breakpoint (where B is 0: nothing before it)
    total = np.concatenate(([0.0], np.cumsum(rise)))
    first = np.flatnonzero(np.concatenate(([True], ~same)))
    owner = np.repeat(first, np.diff(np.append(first, who.shape[0])))
    busy = (total - total[owner])[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.clip((level - busy) / slope, 0.0, length)  # when the piece meets the level, from its start
    above = np.where(slope == 0, np.where(busy > level, length, 0.0), np.where(slope > 0, length - cross, cross))
    keep = same & counted
    return np.bincount(who[:-1][keep], weights=above[keep], minlength=n)[:n]


def _union(agent: np.ndarray, start: np.ndarray, end: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray]:
    """Each agent's (below ``n``) stretches of work ``[start, end]`` (s) as the fewest intervals covering the same
    time, apart from one another, by agent then start: back-to-back work is one interval (fewer breakpoints to
    sweep), and work that overlaps the previous by a rounding error (a talk that starts as the last work ends,
    at an instant summed in another order) counts once."""
    order = np.argsort(start, kind="stable")
    order = order[np.argsort(_narrow(agent[order], n), kind="stable")]
    agent, start, end = agent[order], start[order], end[order]
    _first, before = _latest_end_before(agent, end)
    new = np.flatnonzero(start > before)
    return agent[new], start[new], np.maximum.reduceat(end, new)


def _latest_end_before(agent: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows grouped by agent: whether each row is its agent's first, and the latest ``end`` among the
    agent's earlier rows (-inf for the first): a running maximum of the ends' ranks, agent by agent."""
    m = end.shape[0]
    rank = np.empty(m, dtype=np.int64)
    by_end = np.argsort(end, kind="stable")
    rank[by_end] = np.arange(m)
    key = np.maximum.accumulate(agent * m + rank)
    first = np.concatenate(([True], agent[1:] != agent[:-1]))
    previous = np.where(first, 0, np.concatenate(([0], key[:-1])) - agent * m)
    return first, np.where(first, -math.inf, end[by_end[previous]])


def _narrow(agent: np.ndarray, n: int) -> np.ndarray:
    """Agent numbers (below ``n``) as 16-bit integers when they fit: numpy sorts those stably by radix."""
    return agent.astype(np.int16) if n <= np.iinfo(np.int16).max else agent


class _HighOccupancy:
    """The time at high occupancy, swept after the fact (:func:`_time_above`): up to ``done`` (s) swept already;
    the stretches of work that may still reach into a later window are kept (``agent``, ``start``, ``end``)."""

    def __init__(self, n: int, window: float, above: float) -> None:
        self.n = n
        self.window = window
        self.level = above * window
        self.time = np.zeros(n)
        self.done = -math.inf
        self.agent = np.empty(0, dtype=np.int64)
        self.start = np.empty(0)
        self.end = np.empty(0)

    def add(self, agent: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        """Stretches of work recorded since the last call."""
        self.agent = np.concatenate((self.agent, agent.astype(np.int64)))
        self.start = np.concatenate((self.start, start))
        self.end = np.concatenate((self.end, end))

    def sweep(self, until: float, duty: np.ndarray) -> None:
        """Count the time from ``done`` to ``until`` (s; ``inf``: the rest of the day) in the ``(agent, from, to)``
        rows ``duty``; every stretch of work that starts before ``until`` must have been added."""
        if until <= self.done:
            return
        duty = duty.copy()
        np.maximum(duty[:, 1], self.done, out=duty[:, 1])
        np.minimum(duty[:, 2], until, out=duty[:, 2])
        if self.agent.shape[0]:
            self.agent, self.start, self.end = _union(self.agent, self.start, self.end, self.n)
        self.time += _time_above(self.agent, self.start, self.end, duty, self.window, self.level, self.n)
        self.done = until
        keep = self.end > until - self.window  # (none after the end of the day)
        self.agent, self.start, self.end = self.agent[keep], self.start[keep], self.end[keep]


def agent_places(scenario: Scenario) -> tuple[list[tuple[str, int]], list[bool]]:
    """Each agent's place in the schedule of a scenario with groups, in the engine's order: ``(key, rank)``,
    the key ``/group`` or ``/group/shift index``; and whether the agent works shifts (gaps are breaks)."""
    assert scenario.groups and scenario.horizon is not None
    places: list[tuple[str, int]] = []
    shifts: list[bool] = []
    for g in scenario.groups:
        if g.shifts is not None:
            for k, shift in enumerate(scenario.adjusted(g.shifts) or ()):
                n = len(duty_periods(None, None, (shift,), scenario.shrinkage, scenario.horizon))
                places.extend((f"/{g.name}/{k}", j) for j in range(n))
                shifts.extend([True] * n)
        else:
            n = len(duty_periods(g.agents, g.staffing, None, scenario.shrinkage, scenario.horizon))
            places.extend((f"/{g.name}", j) for j in range(n))
            shifts.extend([False] * n)
    return places, shifts


def _draws(streams: RandomStreams, purpose: str, places: list[tuple[str, int]]) -> list[float]:
    """A uniform per agent from the stream ``purpose + key`` of its place, the ``rank``-th of that stream."""
    counts: dict[str, int] = {}
    for key, rank in places:
        counts[key] = max(counts.get(key, 0), rank + 1)
    drawn = {key: streams[purpose + key].random(n).tolist() for key, n in counts.items()}
    return [drawn[key][rank] for key, rank in places]


class StaffSide:
    """The agent side of a department centre (see the module docstring)."""

    def __init__(self, centre: "DepartmentCentre", scenario: Scenario, streams: RandomStreams) -> None:
        self.c = centre
        staff = scenario.staff if scenario.staff is not None else Staff()
        n = len(centre.duty)
        places, from_shifts = agent_places(scenario)
        assert len(places) == n, (len(places), n)
        self.from_shifts = from_shifts
        # absenteeism: absent agents keep their place and have no duty period
        self.absent = [False] * n
        if staff.absenteeism:
            p = staff.absenteeism
            self.absent = [u < p for u in _draws(streams, "absenteeism", places)]
            if any(self.absent):
                self._set_duty([[] if a else periods for a, periods in zip(self.absent, centre.duty)])
        self.speed = staff.multipliers(_draws(streams, "agent_speed", places)) if staff.speed else [1.0] * n
        self.fatigue = staff.fatigue
        #: whether handle times change (speed or fatigue): :meth:`added` is called per handling
        self.slows = bool(staff.speed) or staff.fatigue is not None
        fatigue = staff.fatigue
        # fatigue's parameters as plain floats (s, share, share per share, share)
        self._window = fatigue.window if fatigue is not None else 0.0
        self._threshold = fatigue.threshold if fatigue is not None else 0.0
        self._per_share = fatigue.per_point * 100.0 if fatigue is not None else 0.0
        self._max = fatigue.max if fatigue is not None else 0.0
        self.delay_breaks = staff.breaks == "delay_to_call_end"
        self.idle_first = staff.leaving in ("idle_first", "first_free")
        self.first_free = staff.leaving == "first_free"
        # first_free: per group, the slots whose duty ended while everybody was busy, (slot, end), first first;
        # the first agent of the group to finish a task logs off in the slot's place
        self.to_leave: list[deque] = [deque() for _ in scenario.groups or (0,)] if self.first_free else []
        self.leave_pending = [False] * n
        self.leave_end = [0.0] * n
        # the schedule: places (slots) held by people (persons); each slot's period starts and ends
        self.person_of = list(range(n))
        self.slot_of = list(range(n))
        self.starts = [[s for s, _ in periods] for periods in centre.duty]
        self.ends = [[e for _, e in periods] for periods in centre.duty]
        self.scheduled_on = [not centre._varying] * n  # what the schedule says of each slot now
        self.break_due: list[float] = [_NAN] * n  # a break is due when the current call ends (since then); NaN: none
        self.break_length = [0.0] * n
        self.on_break = [False] * n  # on a break started late (its end brings the agent back)
        self._back_callbacks = [self._back]
        #: late breaks due and log-offs waiting for an agent to finish: while there are none, :meth:`released` has
        #: nothing to do and the centre does not call it
        self.pending = 0
        # per-agent records: from the work table (:meth:`absorb`), and at the handlings and shift changes
        self.calls = np.zeros(n, dtype=np.int64)
        self.busy = np.zeros(n)
        self.talk = np.zeros(n)
        self.added_time = [0.0] * n
        self.fatigue_time = [0.0] * n
        self.on_duty_time = [0.0] * n
        self.on_since = [0.0 if not centre._varying else _NAN] * n
        self.duty_rows: list[float] = []
        self.stretch_start = np.full(n, _NAN)  # (of the last stretch of work; with last_end, for the next rows)
        self.last_end = np.full(n, -math.inf)
        self.longest = np.zeros(n)
        self.breaks_delayed = [0] * n
        self.break_delay = [0.0] * n
        # fatigue: each agent's work intervals that reach into the window, and their total length
        self.recent: list[deque] = [deque() for _ in range(n)] if self.fatigue is not None else []
        self.recent_total = [0.0] * n
        high = staff.high_occupancy
        self.high = _HighOccupancy(n, high.window, high.above) if high is not None else None
        # the time each call's handlings gained or lost by the agents' speed and fatigue (s), by call (sparse)
        self.added_by_call: dict[int, float] = {}

    def _set_duty(self, duty: list[list[tuple[float, float]]]) -> None:
        """Replace the centre's duty periods before it builds its idle lines (the base class's agent state)."""
        c = self.c
        n = len(duty)
        c.duty = duty
        c._varying = any(p != [(0.0, math.inf)] for p in duty)
        c.on_duty = [not c._varying] * n
        c.is_idle = [not c._varying] * n
        c.idle = deque(range(n)) if not c._varying else deque()
        c._finish_callbacks = [c._service_end_callback()]

    # -- handle times ---------------------------------------------------------------
    def added(self, agent: int, i: int, duration: float, start: float) -> float:
        """The time (s) agent ``agent``'s speed and fatigue add to a handling of call ``i`` of ``duration`` s
        that starts at ``start``."""
        factor = self.speed[agent]
        tired = 0.0
        if self._window:  # the recent occupancy (the share of the last window at work) and Fatigue.share
            window = self._window
            low = start - window
            recent = self.recent[agent]
            total = self.recent_total[agent]
            while recent and recent[0][1] <= low:
                first, last = recent.popleft()
                total -= last - first
            if recent:
                self.recent_total[agent] = total
                first, last = recent[0][0], recent[-1][1]
                if low > first:
                    total -= low - first
                if last > start:
                    total -= last - start
                above = (1.0 if total >= window else (total / window if total > 0.0 else 0.0)) - self._threshold
                if above > 0.0:
                    tired = self._per_share * above
                    if tired > self._max:
                        tired = self._max
            else:
                self.recent_total[agent] = 0.0  # (no drift from the sums)
        added = duration * (factor * (1.0 + tired) - 1.0)
        if added != 0.0:
            self.added_by_call[i] = self.added_by_call.get(i, 0.0) + added
            self.added_time[agent] += added
            if tired:
                self.fatigue_time[agent] += duration * factor * tired
        return added

    # -- work ---------------------------------------------------------------------------
    def worked(self, agent: int, start: float, end: float) -> None:
        """Fatigue: a stretch of work of ``agent`` over ``[start, end]`` (s), as it is recorded."""
        self.recent[agent].append((start, end))
        self.recent_total[agent] += end - start

    def absorb(self, rows: np.ndarray, until: float) -> None:
        """The work table's rows ``(agent, start, end, call, kind)`` recorded since the last call, in the order
        they were recorded: the per-agent counts, sums and longest stretches; and the time at high occupancy up
        to ``until`` (s; ``inf``: the end of the day), before which no row is still to come."""
        if rows.shape[0]:
            agent = rows[:, 0].astype(np.int64)
            start, end = rows[:, 1], rows[:, 2]
            length = end - start
            talk = rows[:, 4] == _TALK
            np.add.at(self.busy, agent, length)  # (in order, unbuffered: the sums as if added one by one)
            np.add.at(self.talk, agent[talk], length[talk])
            self.calls += np.bincount(agent[talk], minlength=len(self.calls))
            self._stretches(agent, start, end)
            if self.high is not None:
                self.high.add(agent, start, end)
        if self.high is not None:
            for slot, end_ in enumerate(self.leave_end):  # a log-off in a slot's place counts from its end
                if self.leave_pending[slot] and end_ < until:
                    until = end_
            self.high.sweep(until, self._duty_until(until))

    def _stretches(self, agent: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        """The longest stretch of work without a pause, row by row in the order recorded, each agent's
        continuing from its last rows: a row starts a new stretch if it starts after every earlier row of the
        agent ended; a row that ends after every earlier one extends the stretch."""
        mine = np.unique(agent)
        carried = mine[self.last_end[mine] > -math.inf]  # each agent's last stretch, as a row of its own
        agent = np.concatenate((carried, agent))
        start = np.concatenate((self.stretch_start[carried], start))
        end = np.concatenate((self.last_end[carried], end))
        order = np.argsort(_narrow(agent, len(self.longest)), kind="stable")
        agent, start, end = agent[order], start[order], end[order]
        m = end.shape[0]
        first, before = _latest_end_before(agent, end)
        new = start > before
        stretch_start = start[np.maximum.accumulate(np.where(new, np.arange(m), 0))]
        longer = end > before
        np.maximum.at(self.longest, agent[longer], end[longer] - stretch_start[longer])
        last = np.concatenate((first[1:], [True]))  # each agent's last row
        self.last_end[agent[last]] = np.maximum(before[last], end[last])  # the latest end of all its rows
        self.stretch_start[agent[last]] = stretch_start[last]

    def _duty_until(self, until: float) -> np.ndarray:
        """The ``(agent, from, to)`` rows of time on duty so far, the stretches still open ending at ``until``."""
        rows = np.asarray(self.duty_rows, dtype=np.float64).reshape(-1, 3)
        open_ = [(person, since, until) for person, since in enumerate(self.on_since) if since == since]
        if open_:
            rows = np.concatenate((rows, np.asarray(open_, dtype=np.float64)))
        return rows

    # -- going on and off duty ------------------------------------------------------------
    def _went_on(self, person: int, now: float) -> None:
        self.on_since[person] = now

    def _went_off(self, person: int, now: float) -> None:
        since = self.on_since[person]
        if since == since:
            now = max(now, since)
            self.on_duty_time[person] += now - since
            self.duty_rows.extend((person, since, now))
        self.on_since[person] = _NAN

    def on(self, event: Timer) -> bool:
        """A slot's duty starts (``event.value``: the slot). True if handled here; else ``event.value`` is the
        person who comes on duty, for the centre to bring on."""
        slot = event.value
        self.scheduled_on[slot] = True
        person = self.person_of[slot]
        if self.leave_pending[slot]:  # its duty ended while everybody was busy, and nobody has left yet
            self.leave_pending[slot] = False  # ... nobody needs to: its holder, still on duty, worked the gap
            now, end = self.c.env.now, self.leave_end[slot]
            self._went_off(person, end)
            self._went_on(person, now)
            self.c.overtime.append((person, end, now))
            return True
        if self.on_break[person] or self.break_due[person] == self.break_due[person]:
            return True  # a break started late: its end brings the person back
        event.value = person
        if not self.c.on_duty[person]:
            self._went_on(person, self.c.env.now)
        return False

    def off(self, event: Timer) -> bool:
        """A slot's duty ends (``event.value``: the slot). True if handled here; else ``event.value`` is the
        person who goes off duty, for the centre to take off."""
        c = self.c
        slot = event.value
        now = c.env.now
        self.scheduled_on[slot] = False
        person = self.person_of[slot]
        if self.on_break[person]:
            return True  # already off, on a late break (it will not bring them back: the schedule says off)
        due = self.break_due[person]
        if due == due:  # still on the call before a late break, and the next duty ends too: no break
            self.break_due[person] = _NAN
            self._waiting(-1)
        elif c.busy[person] and c.on_duty[person]:
            k = bisect_left(self.ends[slot], now)
            follows = k + 1 < len(self.starts[slot])
            if follows and self.from_shifts[slot] and self.delay_breaks:
                self.break_due[person] = now
                self._waiting(1)
                self.break_length[person] = self.starts[slot][k + 1] - now
                return True  # stays on duty until the call ends
            if self.idle_first and not (follows and self.from_shifts[slot]):
                group = c.group_of_agent[person]
                other = c._pop_idle(group)
                if other >= 0:  # the idle agent logs off in the busy one's place
                    self._swap(slot, other)
                    person = other
                elif self.first_free:  # the first of the group to finish a task will
                    self.leave_pending[slot] = True
                    self.leave_end[slot] = now
                    self.to_leave[group].append((slot, now))
                    self._waiting(1)
                    return True
        event.value = person
        if c.on_duty[person]:
            self._went_off(person, now)
        return False

    def _waiting(self, change: int) -> None:
        """One more (``change`` 1) or one less (-1) late break or log-off waiting for an agent to finish: the
        centre calls :meth:`released` at the end of each stretch of work while there is one."""
        self.pending += change
        self.c._release_hook = self.released if self.pending else None

    def _swap(self, slot: int, person: int) -> None:
        """``person`` takes ``slot`` in the schedule; its holder takes ``person``'s slot."""
        holder, own = self.person_of[slot], self.slot_of[person]
        self.person_of[slot], self.person_of[own] = person, holder
        self.slot_of[person], self.slot_of[holder] = slot, own

    def _leave_in_place(self, agent: int, now: float) -> bool:
        """first_free: ``agent`` (on duty, just free) logs off in the place of the oldest slot of its group whose
        duty ended while everybody was busy (True), the time since that end being overtime; False if none."""
        c = self.c
        group = c.group_of_agent[agent]
        line = self.to_leave[group]
        while line:
            slot, end = line.popleft()
            self._waiting(-1)
            if not self.leave_pending[slot]:
                continue  # its duty started again meanwhile
            self.leave_pending[slot] = False
            holder = self.person_of[slot]
            self._swap(slot, agent)
            c.busy[agent] = False
            c.on_duty[agent] = False
            c.off_since[agent] = end
            c.on_duty_in_group[group] -= 1
            # the time since the slot's end is overtime, so that duty and overtime add up to the time present and
            # the duty to the schedule's: the holder's until the agent came on duty (if it came later), the agent's since
            since = self.on_since[agent]
            handover = end if not since > end else since
            if handover > end:
                self._went_off(holder, end)
                self._went_on(holder, handover)
                c.overtime.append((holder, end, handover))
            self._went_off(agent, handover)
            c.overtime.append((agent, handover, now))
            return True
        return False

    def released(self, agent: int, now: float) -> bool:
        """``agent`` finished a stretch of work: True if it goes off duty now (a late break starts, or, with
        first_free, it logs off in the place of a slot whose duty ended while everybody was busy)."""
        due = self.break_due[agent]
        if due != due:
            if self.first_free and self.to_leave[self.c.group_of_agent[agent]] and self.c.on_duty[agent]:
                return self._leave_in_place(agent, now)
            return False
        c = self.c
        self.break_due[agent] = _NAN
        self._waiting(-1)
        self.breaks_delayed[agent] += 1
        self.break_delay[agent] += now - due
        c.busy[agent] = False
        c.on_duty[agent] = False
        c.off_since[agent] = now
        c.on_duty_in_group[c.group_of_agent[agent]] -= 1
        self._went_off(agent, now)
        self.on_break[agent] = True
        c.kernel.later(self.break_length[agent], agent, self._back_callbacks)
        return True

    def _back(self, event: Timer) -> None:
        """A late break ends: the agent comes back on duty, unless the schedule has meanwhile ended its duty."""
        c = self.c
        agent = event.value
        self.on_break[agent] = False
        if not self.scheduled_on[self.slot_of[agent]]:
            return
        now = c.env.now
        c.on_duty[agent] = True
        c.on_duty_in_group[c.group_of_agent[agent]] += 1
        self._went_on(agent, now)
        if not c._next_task(agent, now):
            c._make_idle(agent)

    # -- hand-overs and output ----------------------------------------------------------------
    def renumber(self, done: int) -> None:
        """The first ``done`` calls were handed over: renumber the per-call record."""
        if self.added_by_call:
            self.added_by_call = {k - done: v for k, v in self.added_by_call.items() if k >= done}

    def added_column(self, n: int) -> Optional[np.ndarray]:
        """The time the agents' speed and fatigue added to each of the first ``n`` calls (None if nothing can)."""
        if not self.slows:
            return None
        out = np.zeros(n)
        for k, v in self.added_by_call.items():
            if k < n:
                out[k] = v
        return out

    def table(self, overtime: np.ndarray, work: np.ndarray) -> AgentTable:
        """The per-agent records at the end of the run (``overtime``: the centre's ``(agent, off, finished)`` rows;
        ``work``: the work table's rows recorded since the last hand-over, see :meth:`absorb`)."""
        c = self.c
        n = len(self.calls)
        end = float(c.env.now)
        if work.shape[0]:
            self.absorb(work, -math.inf)  # (the time at high occupancy: below, to each agent's end of duty)
        on_duty = np.asarray(self.on_duty_time, dtype=np.float64)
        rows = list(self.duty_rows)
        home = [end] * n  # when each agent's time on duty stops counting
        for person, since in enumerate(self.on_since):
            if since == since:  # still on duty: recorded without an end; counted to the end of the day (the
                # horizon) or of the agent's last work after it, not the idle wait for other agents' last calls
                home[person] = min(end, max(c.horizon, self.last_end[person], since))
                on_duty[person] += max(home[person] - since, 0.0)
                rows.extend((person, since, math.inf))
        duty = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        if self.high is not None:  # counted up to when each agent's time on duty stops counting
            counted = duty.copy()
            np.minimum(counted[:, 2], np.asarray(home)[counted[:, 0].astype(np.int64)], out=counted[:, 2])
            self.high.sweep(math.inf, counted)
        above = self.high.time.copy() if self.high is not None else np.full(n, np.nan)
        extra = np.zeros(n)
        if overtime.size:
            np.add.at(extra, overtime[:, 0].astype(np.int64), overtime[:, 2] - overtime[:, 1])
        return AgentTable(
            group=np.asarray(c.group_of_agent, dtype=np.int16),
            absent=np.asarray(self.absent, dtype=bool),
            speed=np.asarray(self.speed, dtype=np.float64),
            calls=self.calls.copy(),
            busy=self.busy.copy(),
            talk=self.talk.copy(),
            added=np.asarray(self.added_time, dtype=np.float64),
            fatigue=np.asarray(self.fatigue_time, dtype=np.float64),
            on_duty=on_duty,
            longest_stretch=self.longest.copy(),
            breaks_delayed=np.asarray(self.breaks_delayed, dtype=np.int64),
            break_delay=np.asarray(self.break_delay, dtype=np.float64),
            overtime=extra,
            time_above=above,
            duty=duty,
        )
