"""Departments: agent groups, skill routing, misrouting and transfers.

:class:`DepartmentCentre` extends :class:`~queuesim.engine.centre.ContactCentre`
for scenarios with ``groups``. A call (one attempt of a caller) may have
several *legs*: each leg waits in one group's queue and ends answered,
abandoned, or (for a misrouted call) transferred onward.

* **Routing.** A call type lists the groups that serve it, home group first.
  A leg waits in the home group's queue and, after ``overflow_after``, also
  in the overflow groups' queues. A free agent takes, among the calls its
  group may serve, the highest ``priority`` type first, then the earliest
  leg (first come, first served).
* **Misrouting.** With probability ``misroute.probability`` a call first
  reaches ``misroute.to``. The agent who answers spends an identification
  time, then applies the transfer policy of their group:
  ``cold`` (the agent is freed; the caller queues again at the home group
  with a fresh patience and a re-explanation time added to the handle time),
  ``warm`` (the agent holds the line, busy, until a home-group agent
  answers; both are busy for the conference time, then the first drops off;
  after ``warm_limit`` the first agent falls back to a cold transfer) or
  ``own_it`` (the agent resolves the issue with ``own_it_resolution``,
  taking ``own_it_handle_factor`` times the handle time, else transfers).
* **Resolution.** A handling by the right group resolves the issue with the
  type's ``resolution`` probability; unresolved callers call again with
  ``redial.unresolved_probability`` (the redial mechanism).
* **Lines.** With ``lines`` set, a call holds one line from its arrival until it
  ends (abandoned, or its last handling ends; transfers keep the line); a call
  arriving when every line is held is *blocked*: it never waits (``wait`` 0,
  outcome ``blocked``) and redials with ``redial.probability``, as an
  abandoned call would (:meth:`_seize_line`, :meth:`_free_line`).

Every stretch of agent work is recorded as ``(agent, start, end, call, kind)``
(kind: talk, identify, warm_hold, conference, dial), so occupancy and agent time
per resolved issue include holding the line.

**Holding.** Informative announcements and callbacks are a component,
:class:`~queuesim.engine.holding.Holding`, called at a few hooks of the routing
here (see that module): where a leg finds nobody free, joins the lines or is
answered, and where a freed agent looks for its next task (:meth:`_next_task`).
Without it, none of the hooks does anything.

**Streaming.** Like the core engine, this one hands settled calls over in
chunks while it runs (see :mod:`queuesim.engine.centre`), each with the queue
legs and agent work of its calls. A call is settled once it waits in no queue
and no pending handling (``_done``) or transfer refers to it: its legs have
ended, its work is recorded and its outcome and resolution are final. Stale
entries (queue entries of legs that ended, patience, overflow and warm-limit
timers of calls handed over) are dropped or made void; everything else that
refers to a held call is renumbered.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Callable, Optional

from heapq import heappush

import numpy as np

from ..measure.calllog import BLOCKED, CallLog
from ..model.distributions import Deterministic
from ..rng import RandomStreams
from ..model.scenario import Scenario
from .arrivals import BLOCK
from .centre import CallChunk, ContactCentre, EngineOutput, _Pool
from .callback_desk import CallbackDesk
from .holding import CALLBACK_LEG, DIAL, Holding
from .kernel import NORMAL, PATIENCE, VOID, Timer
from .policies import _dense, _mask, _shift
from .staff_side import StaffSide

__all__ = ["DepartmentCentre", "LEG_OUTCOMES", "WORK_KINDS"]

#: Codes of the legs table's ``outcome`` column.
LEG_OUTCOMES = {0: "answered", 1: "abandoned", CALLBACK_LEG: "callback"}
#: Codes of the work table's ``kind`` column.
WORK_KINDS = {0: "talk", 1: "identify", 2: "warm_hold", 3: "conference", DIAL: "dial"}
TALK, IDENTIFY, WARM_HOLD, CONFERENCE = 0, 1, 2, 3
_INF = math.inf
_DEFAULT_ID = Deterministic(distribution="deterministic", value=30.0)


def _rows(flat: list[float], width: int) -> np.ndarray:
    """Records kept flat (``width`` numbers per record, one after another in one list) as a float array,
    one record a row."""
    if not flat:
        return np.empty((0, width))
    return np.array(flat, dtype=np.float64).reshape(len(flat) // width, width)


def _as_one_pool(log: CallLog) -> CallLog:
    """A single group's call log as one pool's: without the department columns."""
    return replace(log, transfers=None, resolved=None, group=None)


class DepartmentCentre(ContactCentre):
    """A contact centre with several agent groups (departments)."""

    def __init__(
        self,
        scenario: Scenario,
        streams: RandomStreams,
        on_calls: Optional[Callable[[CallChunk], None]] = None,
        one_pool: bool = False,
        agent_records: bool = False,
    ) -> None:
        super().__init__(scenario, streams, on_calls)
        # the agent side (absence, speed, fatigue, breaks, logging off; per-agent records): a component with hooks
        # at the shift changes, the handlings and the ends of work (it may change the duty periods: first)
        self.staff: Optional[StaffSide] = (
            StaffSide(self, scenario, streams) if scenario.staff is not None or agent_records else None)
        #: the agent side's hook at the end of each stretch of work, set by the agent side only while it can act
        #: there (a late break due, a log-off waiting for the first agent free): None the rest of the time
        self._release_hook: Optional[Callable[[int, float], bool]] = None
        #: the agent side's hook at each stretch of work as it is recorded, only with fatigue (which reads the
        #: recent past at each handling); the per-agent records are counted from the work table (StaffSide.absorb)
        self._fatigue_log = self.staff.worked if self.staff is not None and self.staff.fatigue is not None else None
        #: rows at the head of the work table the agent side has counted already (held over a hand-over)
        self._staff_seen = 0
        # a one-pool scenario run as a single group: its output is shaped as the one-pool engines' (no legs,
        # work or department columns; the agent work other than talk is the extra work)
        self.one_pool = one_pool
        self._eager = True
        self._rich = True
        groups = scenario.groups or ()
        self.n_groups = len(groups)
        self.group_of_agent = scenario.agent_groups()
        self.type_groups = scenario.type_groups()
        self._group_mean_handle: Optional[list[float]] = None  # (see group_mean_handle)
        types = scenario.call_types or ()
        self.priority = [t.priority for t in types] or [0]
        self.overflow_after = [t.overflow_after for t in types] or [0.0]
        self.resolution = [t.resolution for t in types] or [1.0]
        names = [g.name for g in groups]
        self.misroute = [
            (t.misroute.probability, names.index(t.misroute.to)) if t.misroute is not None else (0.0, -1)
            for t in types
        ] or [(0.0, -1)]
        tr = scenario.transfers
        self.tr = tr
        default_policy = tr.policy if tr is not None else "cold"
        self.group_policy = [g.transfer or default_policy for g in groups]
        # per-group idle agents and per-(group, type) queues of (call, leg) entries
        self.idle_by_group: list[deque[int]] = [deque() for _ in range(self.n_groups)]
        if not self._varying:
            for agent, g in enumerate(self.group_of_agent):
                self.idle_by_group[g].append(agent)
        self.idle = deque()  # unused: idle agents are kept per group
        self.queues: list[list[deque[tuple[int, int]]]] = [
            [deque() for _ in range(len(self.type_groups))] for _ in range(self.n_groups)
        ]
        # transferred callers wait in a line of their own (per group) when transfers have a priority
        self._transfer_line = -1
        if tr is not None and tr.priority is not None:
            self._transfer_line = len(self.type_groups)
            self.priority.append(tr.priority)
            for by_type in self.queues:
                by_type.append(deque())
        # line order per group: by priority (desc), for picking
        self.type_order = sorted(range(len(self.priority)), key=lambda k: -self.priority[k])
        # per-call (attempt) state; these columns are grown a block at a time, ahead of the call log
        self.leg: list[int] = []  # current leg number of the call (entries with an older leg are stale)
        self.leg_start: list[float] = []
        self.leg_group: list[int] = []
        self.waiting: list[bool] = []
        # rarely set per-call state, kept sparse (nothing appended per call)
        self.holder: dict[int, int] = {}  # agent holding the line (warm transfer); default -1
        self.extra: dict[int, float] = {}  # re-explanation time added to the next handle; default 0.0
        self.transfers: dict[int, int] = {}  # default 0
        self.resolved: set[int] = set()
        self.final_group: dict[int, int] = {}  # the group of the agent of a call's last handling; default -1
        self.hold_total: list[float] = []
        # records, kept flat (a record's numbers one after another: no tuple kept alive per record)
        self.legs: list[float] = []  # call, group, start, end, agent, outcome
        self.work: list[float] = []  # agent, start, end, call, kind
        self._record_arrays: dict[str, np.ndarray] = {}  # the records above as arrays (see _records)
        # per-caller draws (by block): misroute, resolution (per handling), transfer times
        # routing uniforms by caller (index: caller id - _caller_base), one list per column: 0 misroute,
        # 1 resolution (right group), 2 own-it, 3 resolution after a repeat
        self._route_u: tuple[list[float], ...] = ([], [], [], [])
        pools = {}
        if tr is not None:
            pools = {
                "identify": tr.identification_time, "cold_patience": tr.cold_patience,
                "reexplain": tr.reexplain_time, "warm_patience": tr.warm_patience, "conference": tr.conference_time,
            }
        self._tpools = {k: (_Pool(d, streams["transfer_" + k]) if d is not None else None) for k, d in pools.items()}
        if "identify" not in self._tpools or self._tpools["identify"] is None:
            self._tpools["identify"] = _Pool(_DEFAULT_ID, streams["transfer_identify"])
        # transfer times by caller (index: caller id - _caller_base), one list per purpose (NaN: not drawn)
        self._caller_t: dict[str, list[float]] = {k: [] for k in self._tpools}
        # callback lists of the timers (shared: the event loop never changes them)
        self._overflow_callbacks = [self._overflow]
        self._renege_callbacks = [self._renege_leg]
        self._done_callbacks = [self._done]
        self._transfer_callbacks = [self._transfer]
        self._release_callbacks = [self._release_event]
        self._warm_callbacks = [self._warm_timeout]
        self._redial_callbacks = [self._redial_arrive]
        # agents on duty per group (kept as agents come and go)
        self.on_duty_in_group = [0] * self.n_groups
        if not self._varying:
            for g in self.group_of_agent:
                self.on_duty_in_group[g] += 1
        # customer slowdown: the handle time added to each handling (s), by call (sparse)
        self.slowdown = scenario.handle_time_slowdown
        self.slowed: dict[int, float] = {}
        # informative announcements and callbacks: a component with hooks in the routing below
        informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
        self.holding: Optional[Holding] = (
            Holding(self, scenario, streams) if informative or scenario.callback is not None else None)
        #: the callback desk (of the holding component), called where a freed agent looks for work before and
        #: after the inbound lines (due callbacks, web-form requests); None without one
        self._desk: Optional[CallbackDesk] = self.holding.desk if self.holding is not None else None
        # finite lines (blocking): the calls holding a line, and the calls blocked (sparse; see _seize_line)
        self.lines = scenario.lines
        self.on_line: set[int] = set()
        self.blocked_calls: set[int] = set()

    # -- per-caller draws --------------------------------------------------------
    def _draw_block(self) -> bool:
        if not super()._draw_block():
            return False
        n = len(self._pending_t)
        u = self.streams["routing"].random((BLOCK, 4))[:n]
        for column, values in enumerate(self._route_u):
            values.extend(u[:, column].tolist())
        for key, pool in self._tpools.items():
            self._caller_t[key].extend(pool.take(n).tolist() if pool is not None else [math.nan] * n)
        if self.holding is not None:
            self.holding.draw_block(n)
        return True

    def _u(self, caller: int, column: int) -> float:
        if caller < 0:
            return 0.5
        return self._route_u[column][caller - self._caller_base]

    # -- arrivals and legs ---------------------------------------------------------
    def _enter(self, handle: float, patience: float, ctype: int, caller: int, attempt: int) -> None:
        now = self.env.now
        # _record_call inlined (abandonment is an event here)
        arrival = self.arrival
        i = len(arrival)
        if i >= self._flush_at:
            self._flush(caller)
            arrival = self.arrival
            i = len(arrival)
        arrival.append(now)
        self.handle.append(handle)
        self.patience.append(patience)
        self.ctype.append(ctype)
        self.caller.append(caller)
        self.attempt.append(attempt)
        if i >= len(self.waiting):  # (answer, agent and abandoned flag are grown ahead with the leg columns)
            self._grow_leg_columns()
        if self.lines is not None and not self._seize_line(i):
            return
        p_wrong, wrong = self.misroute[ctype]
        if p_wrong > 0 and caller >= 0:  # _u(caller, 0) inlined
            misrouted = self._route_u[0][caller - self._caller_base] < p_wrong
        else:
            misrouted = 0.5 < p_wrong
        self._new_leg(i, wrong if misrouted else self.type_groups[ctype][0], now, patience)

    def _grow_leg_columns(self) -> None:
        """Room in the per-call leg columns for ``BLOCK`` more calls, with the values of a call before its
        first leg (they run ahead of the call log: appending to five columns per call costs more); the
        call log's answer, agent and abandoned-flag columns, whose first value is a constant, grow with them
        (the log and the hand-overs read the first ``len(arrival)`` entries only)."""
        self.answer.extend([math.nan] * BLOCK)
        self.agent_of.extend([-1] * BLOCK)
        self.abandoned_flag.extend([False] * BLOCK)
        self.leg.extend([-1] * BLOCK)
        self.leg_start.extend([0.0] * BLOCK)
        self.leg_group.extend([-1] * BLOCK)
        self.waiting.extend([False] * BLOCK)
        self.hold_total.extend([0.0] * BLOCK)

    def _new_leg(self, i: int, group: int, now: float, patience: float) -> None:
        """Call ``i`` starts waiting for ``group`` (or is answered at once)."""
        leg = self.leg
        token = leg[i] + 1
        leg[i] = token
        self.leg_start[i] = now
        if self._timer_from:
            self._timer_from.pop(i, None)
        self.leg_group[i] = group
        self.waiting[i] = True
        self.patience[i] = patience
        ctype = self.ctype[i]
        groups = self.type_groups[ctype]
        overflow = len(groups) > 1 and group == groups[0]  # a home leg, with overflow groups
        # the groups whose agents may take the leg now: the home group's overflow groups too, at once
        eligible = groups if overflow and self.overflow_after[ctype] == 0 else (group,)
        idle = self.idle_by_group
        for g in eligible:
            if idle[g]:
                agent = self._pop_idle(g)
                if agent >= 0:
                    self._answer(i, agent, now)
                    return
        holding = self.holding
        if holding is not None:
            if holding.blocked(i, group, now):
                return  # hung up, or left the lines with a callback
            patience = self.patience[i]  # a virtual-hold caller no longer abandons
        queues = self.queues
        line = self._transfer_line if token > 0 and self._transfer_line >= 0 else ctype  # _line inlined
        entry = (i, token)  # one tuple for the queue entries and the timers of the leg (renumbering replaces them)
        for g in eligible:
            queues[g][line].append(entry)
        if overflow and self.overflow_after[ctype] > 0:
            timer = Timer()
            timer.callbacks = self._overflow_callbacks
            timer.value = entry
            heappush(self._heap, (now + self.overflow_after[ctype], NORMAL, next(self._eid), timer))
        if patience < _INF:
            timer = Timer()
            timer.callbacks = self._renege_callbacks
            timer.value = entry
            heappush(self._heap, (now + patience, PATIENCE, next(self._eid), timer))
        if holding is not None:
            holding.queued(i, now, eligible, line)

    def _line(self, ctype: int, token: int) -> int:
        """The line (per group) a leg waits in: its call type's, or, after a transfer (leg ``token`` > 0)
        with ``transfers.priority`` set, the transferred callers' line."""
        return self._transfer_line if token > 0 and self._transfer_line >= 0 else ctype

    def _overflow(self, event: Timer) -> None:
        i, token = event.value
        if not self.waiting[i] or self.leg[i] != token:
            return
        now = self.env.now
        ctype = self.ctype[i]
        for g in self.type_groups[ctype][1:]:
            agent = self._pop_idle(g)
            if agent >= 0:
                self._take_up(i, agent, now)
                return
        line = self._line(ctype, token)
        for g in self.type_groups[ctype][1:]:
            self.queues[g][line].append((i, token))
        if self.holding is not None:
            self.holding.joined(i, self.type_groups[ctype][1:], line)

    def _end_leg(self, i: int, now: float, agent: int, outcome: int, waited: Optional[float] = None) -> None:
        self.waiting[i] = False
        waited = now - self.leg_start[i] if waited is None else waited
        self.hold_total[i] += waited
        self.legs.extend((i, self.leg_group[i], self.leg_start[i], self.leg_start[i] + waited, agent, outcome))

    def _renege_leg(self, event: Timer) -> None:
        i, token = event.value
        if not self.waiting[i] or self.leg[i] != token:
            return
        if self.holding is not None and self.holding.ignores_patience(i):
            return
        now = self.env.now
        if self.lines is not None:
            self._free_line(i)
        # the leg lasted exactly (patience timer start - leg start) + patience
        waited = (self._timer_from.get(i, self.leg_start[i]) - self.leg_start[i]) + self.patience[i]
        self._end_leg(i, now, -1, 1, waited)
        if self.holding is not None:
            self.holding.left_lines(i)
        self.abandoned_flag[i] = True
        self.patience[i] = self.hold_total[i]  # the call's wait is its total hold
        holder = self.holder.get(i, -1)
        if holder >= 0:  # the caller hung up while an agent held the line
            self.holder[i] = -1
            self._work(holder, self._hold_since[i], now, i, WARM_HOLD)
            self._release(holder, now)
        self._maybe_redial(i, abandoned=True)

    # -- agents --------------------------------------------------------------------
    def _pop_idle(self, group: int) -> int:
        idle = self.idle_by_group[group]
        while idle:
            agent = idle.popleft()
            if self.is_idle[agent] or not self._varying:
                self.is_idle[agent] = False
                return agent
        return -1

    def _release(self, agent: int, now: float) -> None:
        """``agent`` has finished a stretch of work: next task, idle, or off duty."""
        if self._release_hook is not None and self._release_hook(agent, now):
            return  # a break delayed to the end of the call starts now
        self.busy[agent] = False  # _clocked_off inlined
        if not self.on_duty[agent]:
            self.overtime.append((agent, self.off_since[agent], now))
            return
        if self.holding is not None:
            if not self._next_task(agent, now):
                self._make_idle(agent)
            return
        group = self.group_of_agent[agent]
        i = self._pick(group)
        if i >= 0:
            self._answer(i, agent, now)
            return
        self.is_idle[agent] = True
        self.idle_by_group[group].append(agent)

    def _next_task(self, agent: int, now: float) -> bool:
        """Give ``agent`` its next task: the holding component's work before the inbound lines (due
        callbacks), the inbound lines (a virtual-hold entry is called back), then the component's other
        work; False if there is none."""
        desk = self._desk
        if desk is not None and desk.before_inbound(agent, now):
            return True
        i = self._pick(self.group_of_agent[agent])
        if i >= 0:
            self._take_up(i, agent, now)
            return True
        return desk is not None and desk.after_inbound(agent, now)

    def _take_up(self, i: int, agent: int, now: float) -> None:
        """``agent`` reaches call ``i`` waiting in its lines: answers it, or calls back a virtual-hold entry."""
        if self.holding is not None and i in self.holding.virtual:
            self.holding.reach(i, agent, now)
        else:
            self._answer(i, agent, now)

    def _make_idle(self, agent: int) -> None:
        self.is_idle[agent] = True
        self.idle_by_group[self.group_of_agent[agent]].append(agent)

    def _pick(self, group: int) -> int:
        """The next call for ``group``: highest priority type, then earliest leg; -1 if none."""
        queues = self.queues[group]
        if not any(queues):
            return -1
        best = None
        waiting, leg, leg_start, priority = self.waiting, self.leg, self.leg_start, self.priority
        for k in self.type_order:  # by priority, highest first
            q = queues[k]
            while q:
                i, token = q[0]
                if waiting[i] and leg[i] == token:
                    if best is None:
                        best, best_p, best_start, best_i = q, priority[k], leg_start[i], i
                    elif priority[k] == best_p:  # (lower priorities never win: keys (-priority, leg start, call))
                        start = leg_start[i]
                        if start < best_start or (start == best_start and i < best_i):
                            best, best_start, best_i = q, start, i
                    break
                q.popleft()
        if best is None:
            return -1
        return best.popleft()[0]

    def _work(self, agent: int, start: float, end: float, i: int, kind: int) -> None:
        if end > start:
            self.work.extend((agent, start, end, i, kind))
            if self._fatigue_log is not None:
                self._fatigue_log(agent, start, end)

    # -- handling --------------------------------------------------------------------
    def _answer(self, i: int, agent: int, now: float) -> None:
        """``agent`` answers call ``i`` (leg ends answered)."""
        # _end_leg inlined
        self.waiting[i] = False
        start = self.leg_start[i]
        waited = now - start
        self.hold_total[i] += waited
        self.legs.extend((i, self.leg_group[i], start, start + waited, agent, 0))
        self.busy[agent] = True
        if self.holding is not None:
            self.holding.answered(i, self.group_of_agent[agent], waited)
        self._serve(i, agent, now)

    def _serve(self, i: int, agent: int, now: float, lead: float = 0.0) -> None:
        """``agent`` (busy) starts handling call ``i`` now: a warm hand-off's conference, then the talk (the
        right group) or identification and transfer (the wrong group). ``lead``: the agent's time before the
        caller is on the line (s; dialling a callback: the caller answers at ``now + lead``)."""
        answer = self.answer
        if answer[i] != answer[i]:  # nan: not answered before
            answer[i] = now + lead
        group = self.group_of_agent[agent]
        ctype = self.ctype[i]
        conference = lead  # the time before the talk: dialling, or a warm hand-off's conference
        if self.holder:  # (sparse: only warm transfers set it)
            holder = self.holder.get(i, -1)
            if holder >= 0:  # warm hand-off: introduce, then the first agent drops off
                self.holder[i] = -1
                conference = self._draw_or("conference", i, 0.0)
                self._work(holder, self._hold_since[i], now, i, WARM_HOLD)
                self._work(holder, now, now + conference, i, CONFERENCE)
                self._work(agent, now, now + conference, i, CONFERENCE)
                self.kernel.later(conference, holder, self._release_callbacks)
        if group in self.type_groups[ctype]:
            extra = self.extra
            duration = self.handle[i] + (extra.get(i, 0.0) if extra else 0.0)
            if self.slowdown is not None:
                duration += self._slowed(i)
            staff = self.staff
            if staff is not None and staff.slows:
                duration += staff.added(agent, i, duration, now + conference)
            self.agent_of[i] = agent
            self.final_group[i] = group
            begin, end = now + conference, now + conference + duration
            if end > begin:  # _work inlined
                self.work.extend((agent, begin, end, i, TALK))
                if self._fatigue_log is not None:
                    self._fatigue_log(agent, begin, end)
            caller = self.caller[i]
            if caller < 0:  # _u inlined
                u = 0.5
            else:
                u = self._route_u[1 if self.attempt[i] == 1 else 3][caller - self._caller_base]
            due = self._service_due[agent]  # the agent's own record (one handling at a time), not a new Timer
            due.callbacks = self._done_callbacks
            due.value = (i, agent, u < self.resolution[ctype])
            heappush(self._heap, (now + (conference + duration), NORMAL, next(self._eid), due))
            return
        # the wrong group: find out, then transfer per the group's policy
        start = now + lead
        identify = self._draw_or("identify", i, 30.0)
        self._work(agent, start, start + identify, i, IDENTIFY)
        identify += lead  # from now
        policy = self.group_policy[group]
        if policy == "own_it" and self.tr is not None:
            if self._u(self.caller[i], 2) < self.tr.own_it_resolution:
                duration = self.handle[i] * self.tr.own_it_handle_factor
                if self.slowdown is not None:
                    duration += self._slowed(i)
                if self.staff is not None and self.staff.slows:
                    duration += self.staff.added(agent, i, duration, now + identify)
                self.agent_of[i] = agent
                self.final_group[i] = group
                self._work(agent, now + identify, now + identify + duration, i, TALK)
                self.kernel.later(identify + duration, (i, agent, True), self._done_callbacks)
                return
            policy = self.tr.own_it_fallback
        self.kernel.later(identify, (i, agent, policy), self._transfer_callbacks)

    def _slowed(self, i: int) -> float:
        """Customer slowdown: the time (s) a handling of call ``i`` takes longer after its hold so far."""
        added = self.handle[i] * self.slowdown.share(self.hold_total[i])
        self.slowed[i] = self.slowed.get(i, 0.0) + added
        return added

    def _draw_or(self, key: str, i: int, default: float) -> float:
        """Call ``i``'s caller's transfer time ``key`` (s), drawn by caller; ``default`` when not drawn (no such
        distribution configured, or a backlog caller)."""
        values = self._caller_t.get(key)
        caller = self.caller[i]
        if caller < 0 or not values:
            return default
        value = values[caller - self._caller_base]
        return default if value != value else value  # (nan: not drawn)

    def _transfer(self, event: Timer) -> None:
        i, agent, policy = event.value
        now = self.env.now
        self.transfers[i] = self.transfers.get(i, 0) + 1
        home = self.type_groups[self.ctype[i]][0]
        if policy == "warm":
            self.holder[i] = agent
            self._hold_since[i] = now
            patience = self._draw_or("warm_patience", i, math.inf)
            self._new_leg(i, home, now, patience)
            if self.holder.get(i, -1) >= 0 and self.tr is not None and self.tr.warm_limit is not None:
                self.kernel.later(self.tr.warm_limit, (i, self.leg[i]), self._warm_callbacks)
            return
        # cold: the first agent is free; the caller queues again and will re-explain
        self._release(agent, now)
        self.extra[i] = self.extra.get(i, 0.0) + self._draw_or("reexplain", i, 0.0)
        patience = self._draw_or("cold_patience", i, math.nan)
        if math.isnan(patience):
            patience = self._fresh_patience(i)
        self._new_leg(i, home, now, patience)

    def _warm_timeout(self, event: Timer) -> None:
        """The holding agent gives up and leaves the caller in the queue (cold fallback)."""
        i, token = event.value
        holder = self.holder.get(i, -1)
        if not self.waiting[i] or self.leg[i] != token or holder < 0:
            return
        for pending in self.kernel.pending():  # the warm patience no longer applies: its timer is void
            if pending.callbacks is self._renege_callbacks and pending.value == (i, token):
                pending.callbacks = VOID
        now = self.env.now
        self.holder[i] = -1
        self._work(holder, self._hold_since[i], now, i, WARM_HOLD)
        self._release(holder, now)
        self.extra[i] = self.extra.get(i, 0.0) + self._draw_or("reexplain", i, 0.0)
        patience = self._draw_or("cold_patience", i, math.nan)
        if math.isnan(patience):
            patience = self._fresh_patience(i)
        # same leg continues, now alone in the queue: only the patience changes, and the recording starts
        self.patience[i] = patience
        self._timer_from[i] = now
        if patience < math.inf:
            self.kernel.later(patience, (i, token), self._renege_callbacks, PATIENCE)
        if self.holding is not None:
            self.holding.alone(i, now)

    def _fresh_patience(self, i: int) -> float:
        pool = self._patience_pools[self.ctype[i]]
        return float(pool.take(1)[0]) if pool is not None else math.inf

    def _done(self, event: Timer) -> None:
        i, agent, resolved = event.value
        if self.lines is not None:
            self._free_line(i)
        if resolved:
            self.resolved.add(i)
        else:
            self.resolved.discard(i)
            self._maybe_redial(i, abandoned=False)
        self._release(agent, self.env.now)

    def _release_event(self, event: Timer) -> None:
        self._release(event.value, self.env.now)

    def _maybe_redial(self, i: int, *, abandoned: bool) -> None:
        redial = self.scenario.redial
        if redial is None or self.attempt[i] >= redial.max_attempts or self.caller[i] < 0:
            return
        p = redial.probability if abandoned else redial.unresolved_probability
        caller = self.caller[i]
        b, r = divmod(caller, BLOCK)
        column = self.attempt[i] - 1
        if b < len(self._caller_redial_u) and self._caller_redial_u[b][r, column] < p:
            delay = float(self._caller_redial_d[b][r, column])
            patience = float(self._caller_redial_p[b][r, column])
            value = (self.handle[i], patience, self.ctype[i], caller, self.attempt[i] + 1)
            self.kernel.later(delay, value, self._redial_callbacks)

    # -- finite lines ---------------------------------------------------------------------
    def _seize_line(self, i: int) -> bool:
        """Call ``i`` arrives: it takes a free line (True), or is blocked (False): it never waits, and the
        caller redials as after abandoning (the same draws: probability, delay, fresh patience)."""
        if len(self.on_line) < self.lines:
            self.on_line.add(i)
            return True
        self.blocked_calls.add(i)
        self.patience[i] = 0.0  # its wait
        self._maybe_redial(i, abandoned=True)
        return False

    def _free_line(self, i: int) -> None:
        """Call ``i`` has ended (abandoned, or its last handling is over): its line is free."""
        self.on_line.discard(i)

    # -- shift changes -------------------------------------------------------------------
    def _on(self, event: Timer) -> None:
        if self.staff is not None and self.staff.on(event):
            return  # (else event.value is the person who comes on duty)
        agent: int = event.value
        self.on_duty[agent] = True
        self.on_duty_in_group[self.group_of_agent[agent]] += 1
        if self.busy[agent]:
            self._worked_through_break(agent)
            return
        if not self._next_task(agent, self.env.now):
            self._make_idle(agent)

    def _off(self, event: Timer) -> None:
        if self.staff is not None and self.staff.off(event):
            return  # (else event.value is the person who goes off duty)
        self.on_duty_in_group[self.group_of_agent[event.value]] -= 1
        super()._off(event)

    # -- what researchers' processes read and change ------------------------------------------
    def waiting_calls(self, call_type: Optional[int], group: Optional[int]) -> int:
        """Callers on hold now (of call type ``call_type``; waiting for ``group``: in its queue, overflow included)."""
        waiting, leg, ctype = self.waiting, self.leg, self.ctype
        virtual = self.holding.virtual if self.holding is not None else ()
        if group is None:
            return sum(1 for i, w in enumerate(waiting)
                       if w and (call_type is None or ctype[i] == call_type) and i not in virtual)
        return sum(1 for line in self.queues[group] for i, token in line
                   if waiting[i] and leg[i] == token and (call_type is None or ctype[i] == call_type)
                   and i not in virtual)

    def predicted_wait_now(self, call_type: Optional[int] = None, group: Optional[int] = None) -> float:
        """The queue-length prediction for a caller of ``group`` (or of ``call_type``'s home group) arriving now
        (s): (its callers waiting, virtual hold included, + 1) x the mean handle time of the types it serves /
        its agents on duty. A single group needs neither."""
        if group is None and call_type is not None:
            group = self.type_groups[call_type][0]
        if group is None:
            if self.n_groups > 1:
                names = ", ".join(g.name for g in self.scenario.groups or ())
                raise ValueError(f"predicted_wait: the centre has departments ({names}) and each group's callers "
                                 "are told their own group's wait; give group= or call_type=")
            group = 0
        waiting, leg = self.waiting, self.leg
        callers = {i for line in self.queues[group] for i, token in line if waiting[i] and leg[i] == token}
        on_duty, _ = self.agent_counts(group)
        return (len(callers) + 1) * self.group_mean_handle()[group] / max(on_duty, 1)

    def group_mean_handle(self) -> list[float]:
        """Per group, the mean handle time (s) of the call types it serves, weighted by their expected arrivals
        (all types' when it serves none)."""
        if self._group_mean_handle is None:
            scenario = self.scenario
            weights = [rf.total() for rf in scenario.rate_functions()]
            means = [d.expectation() for d in scenario.type_handle_times()]
            out = []
            for g in range(self.n_groups):
                served = [k for k, groups in enumerate(self.type_groups) if g in groups]
                w = [weights[k] for k in served]
                out.append(float(np.average([means[k] for k in served], weights=w)) if served and sum(w) > 0
                           else float(np.mean(means)))
            self._group_mean_handle = out
        return self._group_mean_handle

    def agent_counts(self, group: Optional[int]) -> tuple[int, int]:
        agents = [a for a, g in enumerate(self.group_of_agent) if group is None or g == group]
        on_duty = sum(1 for a in agents if self.on_duty[a])
        idle = sum(1 for a in agents if self.on_duty[a] and self.is_idle[a])
        return on_duty, on_duty - idle

    def set_callback_offer(self, on: bool) -> None:
        if self.holding is None or self.holding.desk is None:
            super().set_callback_offer(on)
        else:
            self.holding.set_offer(on)

    def move_agents(self, count: int, source: int, target: int) -> int:
        """Move up to ``count`` agents on duty from group ``source`` to ``target``: idle ones first (they take
        the target's next call at once), then busy ones (they join when their current task ends)."""
        if source == target or count <= 0:
            return 0
        now = self.env.now
        members = [a for a, g in enumerate(self.group_of_agent) if g == source and self.on_duty[a]]
        idle = [a for a in members if self.is_idle[a]]
        busy = [a for a in members if not self.is_idle[a]]
        moving = (idle + busy)[:count]
        if moving:  # out of the source's idle line: the idle ones, and stale entries of busy ones (from shifts)
            gone = set(moving)
            line = self.idle_by_group[source]
            kept = [a for a in line if a not in gone]
            line.clear()
            line.extend(kept)
        for agent in moving:
            self.group_of_agent[agent] = target
            self.on_duty_in_group[source] -= 1
            self.on_duty_in_group[target] += 1
            if self.is_idle[agent]:
                self.is_idle[agent] = False
                if not self._next_task(agent, now):
                    self._make_idle(agent)
        return len(moving)

    # -- handing calls over while running ----------------------------------------------------
    def _cut(self) -> int:
        """Calls before this index are settled: before the first call still waiting in a queue and
        every call a pending handling (``_done``) or transfer refers to."""
        try:
            cut = self.waiting.index(True)
        except ValueError:
            cut = len(self.arrival)
        done, transfer = self._done_callbacks, self._transfer_callbacks
        for entry in self._heap:
            callbacks = entry[3].callbacks
            if callbacks is done or callbacks is transfer:
                i = entry[3].value[0]
                if i < cut:
                    cut = i
        return cut if self.holding is None else self.holding.cut(cut)

    def _chunk(self, done: int, settled: int) -> CallChunk:
        """The first ``done`` calls with their legs and work (call column: the log's ``id``)."""
        work = self._work_array()
        if self.staff is not None:  # the rows recorded since the last hand-over; none will start before a warm
            # transfer's hold still going on (recorded when it ends)
            holds = [self._hold_since[i] for i, holder in self.holder.items() if holder >= 0]
            self.staff.absorb(work[self._staff_seen:], min(holds, default=self.env.now))
        log = self._call_log(done)
        legs = self._legs_array()
        mine_legs = legs[:, 0] < done
        mine_work = work[:, 3] < done
        handed_legs, handed_work = legs[mine_legs], work[mine_work]
        if self._offset:
            handed_legs[:, 0] += self._offset
            handed_work[:, 3] += self._offset
        extra = handed_work[handed_work[:, 4] != TALK, :3]
        # the rows of the calls held, renumbered (whole numbers as floats: np.asarray gives the same array)
        held_legs, held_work = legs[~mine_legs], work[~mine_work]
        held_legs[:, 0] -= done
        held_work[:, 3] -= done
        self.legs = held_legs.ravel().tolist()
        self.work = held_work.ravel().tolist()
        self._record_arrays.clear()
        self._staff_seen = held_work.shape[0]
        extra = extra if extra.shape[0] else np.empty((0, 3))
        if self.one_pool:
            return CallChunk(_as_one_pool(log), settled, extra)
        return CallChunk(log, settled, extra, handed_legs, handed_work)

    def _drop(self, done: int, settled: int) -> None:
        """As the base class, plus the per-call leg columns, the sparse per-call state and the queues."""
        trim = settled - self._caller_base
        if trim > 0:  # routing uniforms and transfer times, by caller id - _caller_base
            for values in (*self._route_u, *self._caller_t.values()):
                del values[:trim]
        if self.holding is not None:
            self.holding.drop_callers(trim)
        super()._drop(done, settled)
        for column in (self.leg, self.leg_start, self.leg_group, self.waiting, self.hold_total):
            del column[:done]
        for name in ("holder", "extra", "transfers", "resolved", "final_group", "_hold_since", "_timer_from", "slowed"):
            setattr(self, name, _shift(getattr(self, name), done))
        # queue entries of calls handed over are stale (a waiting call is never handed over)
        for by_type in self.queues:
            for queue in by_type:
                if queue:
                    held = [(i - done, token) for i, token in queue if i >= done]
                    queue.clear()
                    queue.extend(held)
        if self.holding is not None:
            self.holding.renumber(done)
        if self.staff is not None:
            self.staff.renumber(done)
        if self.lines is not None:  # calls holding a line wait or are handled: never handed over
            self.on_line = _shift(self.on_line, done)
            self.blocked_calls = _shift(self.blocked_calls, done)

    def _renumber_timers(self, done: int) -> None:
        """Pending timers that refer to calls: void the patience, overflow and warm-limit timers of calls
        handed over (their leg has ended: they would do nothing), renumber every other."""
        renege, overflow, warm = self._renege_callbacks, self._overflow_callbacks, self._warm_callbacks
        done_, transfer = self._done_callbacks, self._transfer_callbacks
        for entry in self._heap:
            event = entry[3]
            callbacks = event.callbacks
            if callbacks is renege or callbacks is overflow or callbacks is warm:  # value (call, leg token)
                i, token = event.value
                if i < done:
                    event.callbacks = VOID
                else:
                    event.value = (i - done, token)
            elif callbacks is done_ or callbacks is transfer:  # value (call, agent, resolved or policy)
                i, agent, what = event.value
                assert i >= done, "a call being handled was handed over"
                event.value = (i - done, agent, what)

    def _caller_blocks(self) -> list[list]:
        """The base class's per-caller draws, plus the holding component's."""
        blocks = super()._caller_blocks()
        return blocks if self.holding is None else blocks + self.holding.caller_blocks()

    # -- output ----------------------------------------------------------------------------
    def _call_log(self, n: Optional[int] = None) -> CallLog:
        """The log of the first ``n`` calls held (all by default), with the department columns; a call's
        ``wait`` is its total hold over all legs (s), its ``end`` the end of its last talk (or of its hold)."""
        log = super()._call_log(n)
        n = len(log.arrival)
        hold = np.asarray(self.hold_total[:n], dtype=np.float64)
        answered = log.agent >= 0
        end = log.end.copy()
        # a call's end: when its last handling ended (talk end), or when it was abandoned
        work = self._work_array()
        talk = work[work[:, 4] == TALK]
        if n < len(self.arrival):
            talk = talk[talk[:, 3] < n]
        if talk.shape[0]:
            calls = talk[::-1, 3].astype(np.int64)  # last talk of each call first
            calls, first = np.unique(calls, return_index=True)
            end[calls] = talk[::-1, 2][first]
        end[~answered] = (log.arrival + hold)[~answered]
        log = replace(
            log, wait=hold, end=end, patience=np.where(answered, log.patience, hold),
            transfers=_dense(self.transfers, n, 0, np.int16),
            resolved=_mask(self.resolved, n),
            group=_dense(self.final_group, n, -1, np.int16),
            messages=self._leg_messages(n, work),
        )
        if self.slowdown is not None:
            slowed = _dense(self.slowed, n, 0.0, np.float64)
            log = replace(log, slowdown=slowed, handle_time=log.handle_time + slowed)
        added = self.staff.added_column(n) if self.staff is not None else None
        if added is not None:  # the agents' speed and fatigue
            log = replace(log, handle_time=log.handle_time + added)
        if self.blocked_calls:
            log = replace(log, outcome=np.where(_mask(self.blocked_calls, n), BLOCKED, log.outcome).astype(np.int8))
        return log if self.holding is None else self.holding.log(log)

    def _messages_heard(self, wait: np.ndarray) -> None:
        """Not from the call's total hold: :meth:`_call_log` counts the messages leg by leg (:meth:`_leg_messages`)."""
        return None

    def _leg_messages(self, n: int, work: np.ndarray) -> Optional[np.ndarray]:
        """Recorded messages each of the first ``n`` calls sat through (None without announcements): on every
        leg, counted from the leg's start, or, while an agent held the line (a warm transfer), from when the
        hold ended (the caller hears the agent, not the recording)."""
        announcements = self.scenario.announcements
        if announcements is None:
            return None
        legs = self._legs_array()
        legs = legs[legs[:, 0] < n]
        alone_from = legs[:, 2].copy()
        held = work[(work[:, 4] == WARM_HOLD) & (work[:, 3] < n)]
        if held.shape[0]:  # a held leg starts with its hold, at the same instant
            rows = np.flatnonzero(np.isin(legs[:, 0], held[:, 3]))
            leg_of = {(int(legs[k, 0]), legs[k, 2]): k for k in rows}
            for call, start, end in zip(held[:, 3], held[:, 1], held[:, 2]):
                k = leg_of.get((int(call), start))
                if k is not None:
                    alone_from[k] = end
        heard = announcements.messages_heard(np.maximum(legs[:, 3] - alone_from, 0.0))
        return np.bincount(legs[:, 0].astype(np.int64), weights=heard, minlength=n)[:n].astype(np.int32)

    def _extra_work(self) -> np.ndarray:
        # all agent work except the talk of answered calls is 'extra' for the generic busy-time metric
        work = self._work_array()
        rows = work[work[:, 4] != TALK, :3]
        return rows if rows.shape[0] else np.empty((0, 3))

    def _work_array(self) -> np.ndarray:
        """The work records held as an array ``(agent, start, end, call, kind)``."""
        return self._records("work", 5)

    def _legs_array(self) -> np.ndarray:
        """The queue legs held as an array ``(call, group, start, end, agent, outcome)``."""
        return self._records("legs", 6)

    def _records(self, name: str, width: int) -> np.ndarray:
        """The flat records ``name`` (``width`` numbers each) as an array, one record a row, built once: the
        list only grows between hand-overs, which reset the cache. Read only (copy before changing it)."""
        flat = getattr(self, name)
        cached = self._record_arrays.get(name)
        if cached is None or cached.shape[0] * width != len(flat):
            cached = self._record_arrays[name] = _rows(flat, width)
        return cached

    def run(self, loop: str = "fast", processes=()) -> EngineOutput:
        self._hold_since: dict[int, float] = {}
        self._timer_from: dict[int, float] = {}
        output = super().run(loop, processes)
        if self.staff is not None:
            output = replace(output, agents=self.staff.table(output.overtime, self._work_array()[self._staff_seen:]))
        if self.one_pool:
            return replace(output, calls=_as_one_pool(output.calls))
        legs = self._legs_array()
        work = self._work_array()
        if self._offset:  # the log's ids, as in the chunks handed over
            legs = legs.copy()
            legs[:, 0] += self._offset
            work = work.copy()
            work[:, 3] += self._offset
        return replace(output, legs=legs, work=work)
