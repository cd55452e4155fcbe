"""The SimPy contact centre: one FCFS queue in front of a pool of agents.

Design (why it is fast and still exact):

* SimPy is the event scheduler. Instead of one generator process per call
  (the idiomatic SimPy style, which allocates a process, a resource request
  and a condition event per call), each event is a plain ``Timeout`` with a
  callback: one per arrival and one per service completion. Features add
  events only when a scenario uses them (shift changes, abandonment timers
  for redials).
* The two events every call has -- its arrival and the end of its service --
  are pushed straight onto the environment's event heap as reusable
  :class:`~queuesim.engine.kernel.Due` records (one per agent; the next arrival is held apart), with exactly the
  key ``(time, NORMAL, eid)`` that ``Timeout`` would use: same order of events,
  no allocation and three fewer Python calls per event. ``Environment.step``
  needs only ``callbacks`` and ``_ok`` of what it pops.
* Caller attributes (call type, handle time, patience, redial draws) are
  drawn in blocks when callers arrive, each purpose from its own stream, so
  caller ``i`` has the same attributes in every scenario of an experiment
  (common random numbers).
* Abandonment is *lazy* unless something must happen at the moment a caller
  hangs up (a redial): callers at the head of the queue whose patience ran
  out (``arrival + patience < now``) are discarded, as abandoned at
  ``arrival + patience``, when an agent reaches them. For a FCFS queue this
  gives exactly the outcomes of scheduling every abandonment.
* Nothing is sampled while the simulation runs: time averages (occupancy,
  queue length) are computed afterwards from the call log.
* Memory is bounded when the caller asks for it (``on_calls``): every
  ``CHUNK`` calls, the calls that are settled -- older than the head of the
  queue and than every call a pending event still refers to (a callback, a
  recorded message) -- are handed over as a :class:`CallChunk` and dropped;
  the calls held are renumbered. Memory follows the calls in the system, not
  the calls simulated. Redials, the policy engine and the department engine
  stream too (each chunk says which callers are complete, for metrics that
  follow callers across calls; the department engine adds the queue legs and
  the agent work of the calls handed over).

The engine takes a validated :class:`~queuesim.model.scenario.Scenario` and
:class:`~queuesim.rng.RandomStreams` and returns an :class:`EngineOutput`.
It reads no files and prints nothing.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappush
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from ..measure.calllog import ABANDONED, ANSWERED, UNSERVED, CallLog
from ..rng import RandomStreams
from ..model.scenario import Scenario
from .arrivals import BLOCK, arrival_blocks, total_rate
from .control import CentreControl, Process
from .kernel import NORMAL, PATIENCE, VOID, Due, EventKey, Kernel, Timer
from .priority import PriorityQueue, priority_ranks
from .staff_side import AgentTable
from .timers import ShiftChanges

__all__ = ["CHUNK", "CallChunk", "ContactCentre", "EngineOutput"]

#: Calls between two hand-overs of finished calls, when the engine streams its log.
CHUNK = 1 << 16
_NEVER = 1 << 62


@dataclass(frozen=True)
class CallChunk:
    """Calls handed over while the engine runs (see ``on_calls``)."""

    calls: CallLog
    """The next calls in call order, every one with its final outcome."""
    settled: int
    """Every caller with an id in ``[0, settled)`` has all their calls in the chunks handed over so far."""
    extra_work: np.ndarray
    """Agent work not in the calls' answer..end since the last chunk, ``(agent, start, end)`` rows (callback dialling;
    with departments, the work of the chunk's calls other than talk)."""
    legs: Optional[np.ndarray] = None
    """Departments: every queue leg of the chunk's calls, rows as :attr:`EngineOutput.legs` (call: the log's ``id``)."""
    work: Optional[np.ndarray] = None
    """Departments: every stretch of agent work on the chunk's calls, rows as :attr:`EngineOutput.work`
    (call: the log's ``id``)."""


@dataclass(frozen=True)
class EngineOutput:
    """What one replication produced.

    ``overtime`` has one row per agent who worked past the end of a duty
    period: ``(agent, period_end, finished)`` in seconds. ``daily_level`` is
    the random demand multiplier of the day (1.0 without over-dispersion).
    """

    calls: CallLog
    """The calls not already handed to ``on_calls`` (all of them when nothing was streamed)."""
    overtime: np.ndarray
    daily_level: float
    extra_work: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    """Agent work not in the call log's answer..end: ``(agent, start, end)`` rows (callback dialling)."""
    legs: Optional[np.ndarray] = None
    """Departments: ``(call, group, start, end, agent, outcome)`` per queue leg (times in s; outcome 0 answered,
    1 abandoned, 2 left with a callback) of the calls in ``calls``; ``call`` is the call's ``id`` in the log (its index when nothing
    was streamed). Legs of calls handed over came with their :class:`CallChunk`."""
    work: Optional[np.ndarray] = None
    """Departments: every stretch of agent work on the calls in ``calls``, ``(agent, start, end, call, kind)``
    (times in s; ``call`` as in ``legs``; kind 0 talk, 1 identify, 2 warm hold, 3 conference, 4 dial)."""
    agents: Optional[AgentTable] = None
    """With a ``staff`` block (or ``simulate_calls(..., agent_records=True)``): one row per agent
    (:class:`~queuesim.engine.staff_side.AgentTable`: calls handled, busy and on-duty time, longest stretch
    without a pause, delayed breaks, overtime, speed; and the stretches on duty as they happened)."""


class _Pool:
    """Values of one purpose drawn ``BLOCK`` at a time and handed out in order."""

    __slots__ = ("dist", "rng", "buffer", "pos")

    def __init__(self, dist, rng: np.random.Generator) -> None:
        self.dist, self.rng = dist, rng
        self.buffer = np.empty(0)
        self.pos = 0

    def take(self, m: int) -> np.ndarray:
        while self.buffer.size - self.pos < m:
            need = m - (self.buffer.size - self.pos)
            blocks = -(-need // BLOCK)
            fresh = self.dist.sample(self.rng, blocks * BLOCK)
            self.buffer = np.concatenate((self.buffer[self.pos :], fresh))
            self.pos = 0
        out = self.buffer[self.pos : self.pos + m]
        self.pos += m
        return out


class ContactCentre(ShiftChanges):
    """One replication of a scenario, simulated on a SimPy environment.

    Use :meth:`run` once; it returns the engine output. With ``on_calls``, the
    engine may hand calls that have their outcome to ``on_calls`` in chunks
    (:class:`CallChunk`, in call order) while it runs; the output's log then
    holds the rest.
    """

    #: Whether ``is_idle`` is exact for a fixed pool too (the core engine keeps it only with shift changes).
    _idle_flags_exact = False

    def __init__(
        self, scenario: Scenario, streams: RandomStreams, on_calls: Optional[Callable[[CallChunk], None]] = None
    ) -> None:
        self.scenario = scenario
        self.streams = streams
        self.kernel = Kernel()
        self.env = self.kernel.env
        self.horizon: float = float(scenario.horizon)  # type: ignore[arg-type]
        n_types = len(scenario.type_names())
        self.n_types = n_types

        # demand: per-type rates, scaled by a random daily level
        rates = scenario.rate_functions()
        self.daily_level = 1.0
        cv = scenario.dispersion()
        if cv > 0:
            shape = 1.0 / (cv * cv)
            self.daily_level = float(streams["daily_level"].gamma(shape, 1.0 / shape))
            rates = [r.scaled(self.daily_level) for r in rates]
        self.total_rate, self.cum_shares = total_rate(rates)
        self._blocks: Iterator[np.ndarray] = arrival_blocks(self.total_rate, self.horizon, streams["arrivals"])

        # per-type attribute pools; a single type uses the plain stream names
        suffix = (lambda k: "") if n_types == 1 else (lambda k: "/" + scenario.type_names()[k])
        self._handle_pools = [_Pool(d, streams["handle_time" + suffix(k)]) for k, d in enumerate(scenario.type_handle_times())]
        patience = scenario.type_patience()
        self._patience_pools = [
            None if d is None else _Pool(d, streams["patience" + suffix(k)]) for k, d in enumerate(patience)
        ]
        self.redial = scenario.redial
        if self.redial is not None and self.redial.max_attempts > 1:
            self._retry_patience_pools = [
                None if d is None else _Pool(d, streams["redial_patience" + suffix(k)]) for k, d in enumerate(patience)
            ]
            self._redial_delay_pool = _Pool(self.redial.delay, streams["redial_delay"])
        else:
            self.redial = None
        ann = scenario.announcements
        self._hangup = ann if (ann is not None and ann.kind == "generic" and ann.hangup_probability > 0) else None
        self._impatient = any(p is not None for p in patience) or self._hangup is not None
        self._eager = self.redial is not None  # abandonment must be an event

        # caller-level pending block (first attempts)
        self._pending_t: list[float] = []
        self._pending_h: list[float] = []
        self._pending_p: list[float] = []
        self._pending_type: list[int] = []
        self._next = 0
        self._callers = 0  # first attempts created so far
        self._caller_redial_u: list[np.ndarray] = []  # per block: (BLOCK, m-1) uniforms
        self._caller_redial_d: list[np.ndarray] = []
        self._caller_redial_p: list[np.ndarray] = []
        self._caller_base = 0  # callers below it are settled: their per-caller draws are dropped
        self._freed_blocks = 0

        # call-level columns (Python lists: fastest to append to and index)
        self.arrival: list[float] = []
        self.handle: list[float] = []
        self.patience: list[float] = []
        self.answer: list[float] = []
        self.agent_of: list[int] = []
        self.ctype: list[int] = []
        self.caller: list[int] = []
        self.attempt: list[int] = []
        self.abandoned_flag: list[bool] = []
        self.queue: deque[int] = deque()

        # agents
        self.duty = scenario.duty_periods()
        n_agents = len(self.duty)
        self._varying = any(p != [(0.0, math.inf)] for p in self.duty)
        self.on_duty = [not self._varying] * n_agents
        self.is_idle = [not self._varying] * n_agents
        self.idle: deque[int] = deque(range(n_agents)) if not self._varying else deque()
        self.off_since = [math.nan] * n_agents
        self.busy = [False] * n_agents
        self.overtime: list[tuple[int, float, float]] = []
        # reusable heap records: one per agent (end of service), one for the next arrival
        self._heap = self.kernel.heap
        self._eid = self.kernel.eid
        self._service_due = [Due() for _ in range(n_agents)]
        self._finish_callbacks = [self._service_end_callback()]
        self._renege_callbacks = [self._renege]
        self._redial_callbacks = [self._redial_arrive]
        # per-call type/caller/attempt columns are kept only when calls and callers differ
        self._rich = self.redial is not None or scenario.backlog > 0
        self._caller_types: list[int] = []
        # call types of different priorities on one pool: one FCFS line per priority class (departments
        # rank types within each group instead)
        priorities = [t.priority for t in scenario.call_types or ()]
        self.prioritised = not scenario.groups and len(set(priorities)) > 1
        if self.prioritised:
            self._rich = True  # the per-call type column is kept: the queue reads it
            self.queue = PriorityQueue(priority_ranks(priorities), self.ctype)  # type: ignore[assignment]
        # streaming: calls before the queue's head are finished; hand them over every CHUNK calls
        self._on_calls = on_calls
        self._offset = 0  # calls already handed over
        self._flush_at = CHUNK if on_calls is not None else _NEVER
        # the commonest model (fixed agents, first calls only) has its own event loop
        self._plain = type(self) is ContactCentre and not (self._rich or self._eager or self._varying)
        self._arrival_k = 0

    # -- callers -------------------------------------------------------------
    def _draw_block(self) -> bool:
        """Generate the next block of first-attempt callers; False when none is left."""
        times = next(self._blocks, None)
        if times is None:
            return False
        n = times.shape[0]
        if self.n_types == 1:
            types = np.zeros(n, dtype=np.int64)
        else:
            u = self.streams["call_type"].random(BLOCK)[:n]
            piece = np.searchsorted(self.total_rate.grid, times, side="right") - 1
            piece = np.clip(piece, 0, self.cum_shares.shape[0] - 1)
            types = np.sum(u[:, None] >= self.cum_shares[piece][:, :-1], axis=1)
        handle = np.empty(n)
        patience = np.full(n, math.inf)
        for k in range(self.n_types):
            idx = np.flatnonzero(types == k) if self.n_types > 1 else slice(None)
            m = n if self.n_types == 1 else idx.size
            if m == 0:
                continue
            handle[idx] = self._handle_pools[k].take(m)
            pool = self._patience_pools[k]
            if pool is not None:
                patience[idx] = pool.take(m)
        if self._hangup is not None:
            patience = np.minimum(patience, self._hangup_times(self.streams["announcement"], n))
        if self.redial is not None:
            self._draw_redial_block(types, n)
        self._pending_t = times.tolist()
        self._pending_h = handle.tolist()
        self._pending_p = patience.tolist()
        self._pending_type = types.tolist()
        if not self._rich:
            self._caller_types.extend(self._pending_type)
        self._next = 0
        return True

    def _draw_redial_block(self, types: np.ndarray, n: int) -> None:
        assert self.redial is not None
        r = self.redial.max_attempts - 1
        u = self.streams["redial"].random((BLOCK, r))[:n]
        delay = self._redial_delay_pool.take(n * r).reshape(n, r)
        pat = np.full((n, r), math.inf)
        for k in range(self.n_types):
            pool = self._retry_patience_pools[k]
            idx = np.flatnonzero(types == k)
            if pool is not None and idx.size:
                pat[idx] = pool.take(idx.size * r).reshape(idx.size, r)
        if self._hangup is not None:
            pat = np.minimum(pat, self._hangup_times(self.streams["announcement_redial"], n * r).reshape(n, r))
        self._caller_redial_u.append(u)
        self._caller_redial_d.append(delay)
        self._caller_redial_p.append(pat)

    def _hangup_times(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Wait at which each caller hangs up right after a generic message (inf: never).

        Each message makes a caller still waiting hang up with probability q,
        independently: the number of messages heard is geometric.
        """
        ann = self._hangup
        messages = rng.geometric(ann.hangup_probability, max(n, BLOCK))[:n].astype(np.float64)
        if ann.every is None:  # one message only
            return np.where(messages == 1.0, ann.first + ann.length, math.inf)
        return ann.first + ann.length + (messages - 1.0) * ann.every

    # -- events --------------------------------------------------------------
    def _run_plain(self) -> None:
        """The event loop of the plain model (:meth:`Kernel.run_direct`): only service ends are on the
        heap, the next arrival is held apart, and both are handled without going through callbacks.

        Every event keeps the key ``(time, NORMAL, eid)`` it would have as a
        ``Timeout``, eids drawn in the same order, so events are processed in the
        same order as by ``env.run()``: the same numbers, bit for bit.
        """
        self.kernel.run_direct(self._first_arrival_key(), self._arrive_plain, self._finish_plain)

    def _arrive(self, now: float) -> Optional[EventKey]:
        """The next first-attempt call arrives at ``now``; returns the heap key of the one after (None: no more)."""
        k = self._arrival_k
        caller = self._callers
        self._callers += 1
        self._enter(self._pending_h[k], self._pending_p[k], self._pending_type[k], caller, 1)
        # the next arrival's key (_first_arrival_key inlined; _enter leaves the clock at now)
        k = self._next
        if k >= len(self._pending_t):
            if not self._draw_block():
                return None
            k = 0
        self._arrival_k = k
        self._next = k + 1
        t = self._pending_t[k]
        return (now + (t - now), NORMAL, next(self._eid))

    def _first_arrival_key(self) -> Optional[tuple[float, int, int]]:
        """Heap key of the next first-attempt arrival, as ``Timeout`` would make it (None: no more)."""
        if self._next >= len(self._pending_t) and not self._draw_block():
            return None
        t = self._pending_t[self._next]
        now = self.kernel.now
        self._arrival_k = self._next
        self._next += 1
        return (now + (t - now), NORMAL, next(self._eid))

    def _arrive_plain(self, now: float) -> Optional[EventKey]:
        """A first call arrives at ``now`` (plain model): :meth:`_enter` with its callees inlined (the
        same operations in the same order); returns the heap key of the next arrival (None: no more)."""
        k = self._arrival_k
        i = len(self.arrival)
        if i >= self._flush_at:
            self._flush()
            i = len(self.arrival)
        handle = self._pending_h[k]
        self.arrival.append(now)
        self.handle.append(handle)
        self.patience.append(self._pending_p[k])
        self._callers += 1
        eid = self._eid
        if self.idle:
            agent = self.idle.popleft()
            self.answer.append(now)
            self.agent_of.append(agent)
            due = self._service_due[agent]
            due.value = agent
            heappush(self._heap, (now + handle, NORMAL, next(eid), due))
        else:
            self.answer.append(math.nan)
            self.agent_of.append(-1)
            self.queue.append(i)
        if self._next >= len(self._pending_t) and not self._draw_block():
            return None
        t = self._pending_t[self._next]
        self._arrival_k = self._next
        self._next += 1
        return (now + (t - now), NORMAL, next(eid))

    def _finish_plain(self, event: Due, now: float) -> None:
        """:meth:`_finish` for the plain model, :meth:`_next_caller` and :meth:`_start` inlined."""
        queue = self.queue
        if queue:
            j = -1
            if self._impatient:
                arrival, patience = self.arrival, self.patience
                while queue:
                    c = queue.popleft()
                    if arrival[c] + patience[c] >= now:
                        j = c
                        break
            else:
                j = queue.popleft()
            if j >= 0:
                self.answer[j] = now
                self.agent_of[j] = event.value
                heappush(self._heap, (now + self.handle[j], NORMAL, next(self._eid), event))
                return
        self.idle.append(event.value)

    def _redial_arrive(self, event: Timer) -> None:
        handle, patience, ctype, caller, attempt = event.value
        self._enter(handle, patience, ctype, caller, attempt)

    def _record_call(self, now: float, handle: float, patience: float, ctype: int, caller: int, attempt: int) -> int:
        """Append a new call's columns; return its index.

        The arrival time recorded is the scheduler's clock, not the generated
        time: they can differ in the last bit, and waits must never be negative.
        Inlined copies live in :meth:`_arrive_plain`, ``PolicyCentre._enter`` and
        ``DepartmentCentre._enter``: a new column must be added there too.
        """
        i = len(self.arrival)
        if i >= self._flush_at:
            self._flush(caller)
            i = len(self.arrival)
        self.arrival.append(now)
        self.handle.append(handle)
        self.patience.append(patience)
        self.answer.append(math.nan)
        self.agent_of.append(-1)
        if self._rich:
            self.ctype.append(ctype)
            self.caller.append(caller)
            self.attempt.append(attempt)
        if self._eager:
            self.abandoned_flag.append(False)
        return i

    def _enter(self, handle: float, patience: float, ctype: int, caller: int, attempt: int) -> None:
        now = self.env.now
        i = self._record_call(now, handle, patience, ctype, caller, attempt)
        idle = self.idle
        if self._varying:
            while idle:
                agent = idle.popleft()
                if self.is_idle[agent]:
                    self.is_idle[agent] = False
                    self._start(i, agent, now)
                    return
        elif idle:
            self._start(i, idle.popleft(), now)
            return
        self.queue.append(i)
        if self._eager and patience < math.inf:
            timer = Timer()  # Kernel.later(patience, i, ..., PATIENCE) inlined
            timer.callbacks = self._renege_callbacks
            timer.value = i
            heappush(self._heap, (now + patience, PATIENCE, next(self._eid), timer))

    def _start(self, i: int, agent: int, now: float) -> None:
        self.answer[i] = now
        self.agent_of[i] = agent
        if self._varying:
            self.busy[agent] = True  # shift changes need to know who is busy
        due = self._service_due[agent]
        due.callbacks = self._finish_callbacks
        due.value = agent
        heappush(self._heap, (now + self.handle[i], NORMAL, next(self._eid), due))

    def _next_caller(self, now: float) -> int:
        """Pop the next live caller from the queue, or -1."""
        queue = self.queue
        if self._eager:
            flags = self.abandoned_flag
            while queue:
                j = queue.popleft()
                if not flags[j]:
                    return j
        elif self._impatient:
            arrival, patience = self.arrival, self.patience
            while queue:
                j = queue.popleft()
                if arrival[j] + patience[j] >= now:
                    return j
        elif queue:
            return queue.popleft()
        return -1

    def _service_end_callback(self) -> Callable[[Timer], None]:
        """What handles the end of a service: with shift changes, one that checks the agent is still on duty."""
        return self._finish_varying if self._varying else self._finish

    def _finish(self, event: Timer) -> None:
        agent: int = event.value
        if self.queue:
            j = self._next_caller(self.env.now)
            if j >= 0:
                self._start(j, agent, self.env.now)
                return
        self.idle.append(agent)

    def _clocked_off(self, agent: int, now: float) -> bool:
        """``agent`` has finished a task: True (overtime recorded) if their duty ended meanwhile."""
        self.busy[agent] = False
        if self.on_duty[agent]:
            return False
        self.overtime.append((agent, self.off_since[agent], now))
        return True

    def _finish_varying(self, event: Timer) -> None:
        agent: int = event.value
        now = self.env.now
        if self._clocked_off(agent, now):
            return
        if self.queue:
            j = self._next_caller(now)
            if j >= 0:
                self._start(j, agent, now)
                return
        self.is_idle[agent] = True
        self.idle.append(agent)

    def _renege(self, event: Timer) -> None:
        i = event.value
        if self.agent_of[i] >= 0 or self.abandoned_flag[i]:
            return
        self.abandoned_flag[i] = True
        redial = self.redial
        if redial is None:
            return
        attempt = self.attempt[i]
        if attempt >= redial.max_attempts:
            return
        caller = self.caller[i]
        b, r = divmod(caller, BLOCK)
        if self._caller_redial_u[b][r, attempt - 1] < redial.probability:
            delay = float(self._caller_redial_d[b][r, attempt - 1])
            patience = float(self._caller_redial_p[b][r, attempt - 1])
            value = (self.handle[i], patience, self.ctype[i], caller, attempt + 1)
            self.kernel.later(delay, value, self._redial_callbacks)

    # -- agents coming and going --------------------------------------------
    # _schedule_duty and _shift_change: ShiftChanges (engine/timers.py), only the next change on the heap

    def _on(self, event: Timer) -> None:
        agent: int = event.value
        self.on_duty[agent] = True
        if self.busy[agent]:
            self._worked_through_break(agent)
            return  # still finishing a call from before a break: picks up work when done
        now = self.env.now
        j = self._next_caller(now) if self.queue else -1
        if j >= 0:
            self._start(j, agent, now)
        else:
            self.is_idle[agent] = True
            self.idle.append(agent)

    def _worked_through_break(self, agent: int) -> None:
        """``agent`` is back on duty while still on the call that ran into the time off: that time was
        overtime (from going off duty until now)."""
        self.overtime.append((agent, self.off_since[agent], self.env.now))

    def _off(self, event: Timer) -> None:
        agent: int = event.value
        self.on_duty[agent] = False
        self.off_since[agent] = self.env.now
        if self.is_idle[agent]:
            self.is_idle[agent] = False  # its entry in the idle deque is now stale

    # -- what researchers' processes read and change (through engine.control.CentreControl) --
    def waiting_calls(self, call_type: Optional[int], group: Optional[int]) -> int:
        """Callers on hold now (of call type index ``call_type`` if given); ``group`` must be None here."""
        if group is not None:
            raise ValueError("the scenario has no groups")
        now = self.env.now
        types = self.ctype if self._rich else self._caller_types
        count = 0
        for j in self.queue:
            if self._eager:
                if self.abandoned_flag[j] or not self._on_hold(j):
                    continue
            elif self.arrival[j] + self.patience[j] < now:
                continue  # patience ran out: gone (the lazy engine removes it when an agent reaches it)
            if call_type is None or types[j] == call_type:
                count += 1
        return count

    def _on_hold(self, j: int) -> bool:
        """Call ``j``, in the queue and not abandoned, is on hold (not on virtual hold)."""
        return True

    def agent_counts(self, group: Optional[int]) -> tuple[int, int]:
        """Agents on duty and, of them, busy now; ``group`` must be None here."""
        if group is not None:
            raise ValueError("the scenario has no groups")
        on_duty = sum(self.on_duty)
        if self._varying or self._idle_flags_exact:
            idle = sum(1 for a, on in enumerate(self.on_duty) if on and self.is_idle[a])
        else:  # a fixed pool: is_idle is not kept, and the idle line holds exactly the idle agents
            idle = len(self.idle)
        return on_duty, on_duty - idle

    def mean_handle_time(self) -> float:
        """The centre's mean handle time (s): the call types' means weighted by their expected arrivals."""
        weights = [rf.total() for rf in self.scenario.rate_functions()]
        means = [d.expectation() for d in self.scenario.type_handle_times()]
        return float(np.average(means, weights=weights)) if sum(weights) > 0 else float(means[0])

    def predicted_wait_now(self, call_type: Optional[int] = None, group: Optional[int] = None) -> float:
        """The queue-length prediction for a caller arriving now (s): (waiting + 1) x mean handle / on duty
        (one pool: ``call_type`` and ``group`` do not matter)."""
        on_duty, _ = self.agent_counts(None)
        return (self.waiting_calls(None, None) + 1) * self.mean_handle_time() / max(on_duty, 1)

    def move_agents(self, count: int, source: int, target: int) -> int:
        raise ValueError("move_agents needs departments (groups)")

    def set_callback_offer(self, on: bool) -> None:
        raise ValueError("the scenario has no callback option: give 'callback' (and switch it off at the start if wanted)")

    # -- run -----------------------------------------------------------------
    def run(self, loop: str = "fast", processes: Sequence[Process] = ()) -> EngineOutput:
        """Simulate until every call has an outcome; return the output.

        ``loop``: ``"fast"`` (the engine's own event loops) or ``"reference"``
        (``env.run()`` with every arrival an event on SimPy's heap, and the
        plain model through the general code path): slower, the same call log
        bit for bit (see :mod:`queuesim.engine.kernel`). ``processes``:
        researchers' SimPy processes run in the centre's environment (see
        :mod:`queuesim.engine.control`); the run ends when every call has its
        outcome, whatever the processes still wait for.
        """
        if loop not in ("fast", "reference"):
            raise ValueError(f"loop: {loop!r} is not one of 'fast', 'reference'")
        if processes and loop != "fast":
            raise ValueError("processes run with the fast loop only")
        if self._varying:
            self._schedule_duty()
        if self._plain and loop == "fast" and not processes:
            self._run_plain()
        elif loop == "reference":
            self._schedule_backlog()
            self.kernel.run_reference(self._first_arrival_key(), self._arrive)
        else:
            self._schedule_backlog()
            control = CentreControl(self)
            for process in processes:
                self.env.process(process(control))
            self.kernel.run_merged(self._first_arrival_key(), self._arrive, centre_only=bool(processes))
        return EngineOutput(self._call_log(), self._overtime(), self.daily_level, self._extra_work())

    def _schedule_backlog(self) -> None:
        n = self.scenario.backlog
        if n <= 0:
            return
        start = float(self.total_rate.grid[0])
        pending = []
        types = np.zeros(n, dtype=np.int64)
        if self.n_types > 1:
            u = self.streams["backlog_type"].random(n)
            types = np.sum(u[:, None] >= self.cum_shares[0][:-1], axis=1)
        for c in range(n):
            k = int(types[c])
            h = float(self._handle_pools[k].take(1)[0])
            pool = self._patience_pools[k]
            p = float(pool.take(1)[0]) if pool is not None else math.inf
            pending.append((h, p, k))
        self._backlog = pending
        self.kernel.later(start, None, [self._backlog_arrive])

    def _backlog_arrive(self, _event: Timer) -> None:
        for h, p, k in self._backlog:
            caller = -1 - self._offset - len(self.arrival)  # backlog callers: negative caller ids, no redials
            self._enter(h, p, k, caller, self.redial.max_attempts if self.redial else 1)

    def _extra_work(self) -> np.ndarray:
        return np.empty((0, 3))

    def _overtime(self) -> np.ndarray:
        if not self.overtime:
            return np.empty((0, 3))
        return np.asarray(self.overtime, dtype=np.float64)

    def _flush(self, caller: int = -1) -> None:
        """Hand over the settled calls (those before :meth:`_cut`), then renumber the rest;
        ``caller`` is the caller of the call about to be recorded."""
        self._flush_at = len(self.arrival) + CHUNK
        done = self._cut()
        if done < CHUNK // 2:
            return  # a long queue (or a long-pending event) holds most calls: wait for it to move
        settled = self._settled(done)
        if 0 <= caller < settled:
            settled = caller
        chunk = self._chunk(done, settled)
        self._drop(done, settled)
        self._offset += done
        self._flush_at -= done
        assert self._on_calls is not None
        self._on_calls(chunk)

    def _chunk(self, done: int, settled: int) -> CallChunk:
        """The hand-over of the first ``done`` calls held (called before :meth:`_drop`)."""
        return CallChunk(self._call_log(done), settled, self._take_extra_work())

    def _cut(self) -> int:
        """Calls before this index are settled: they have their outcome and no pending event refers to them."""
        return self.queue[0] if self.queue else len(self.arrival)

    def _settled(self, done: int) -> int:
        """The caller id below which every caller (id >= 0) has no call from ``done`` on, no pending
        redial and no call to come."""
        if not self._rich:
            return self._offset + done  # callers are calls
        low = self._callers
        for c in self.caller[done:]:
            if 0 <= c < low:
                low = c
        for entry in self._heap:
            if entry[3].callbacks is self._redial_callbacks:
                c = entry[3].value[3]
                if 0 <= c < low:
                    low = c
        return low

    def _drop(self, done: int, settled: int) -> None:
        """Forget the calls before ``done`` (handed over) and the draws of callers before ``settled``;
        renumber everything that refers to the calls held."""
        for column in (self.arrival, self.handle, self.patience, self.answer, self.agent_of):
            del column[:done]
        if self._rich:
            del self.ctype[:done], self.caller[:done], self.attempt[:done]
        else:
            del self._caller_types[:done]
        if self._eager:
            del self.abandoned_flag[:done]
            self._renumber_timers(done)
        if self.queue:
            held = [j - done for j in self.queue]
            self.queue.clear()
            self.queue.extend(held)
        for b in range(self._freed_blocks, settled // BLOCK):
            for blocks in self._caller_blocks():
                if b < len(blocks):
                    blocks[b] = None
        self._freed_blocks = max(self._freed_blocks, settled // BLOCK)
        self._caller_base = max(self._caller_base, settled)

    def _renumber_timers(self, done: int) -> None:
        """Pending patience timers after the first ``done`` calls were handed over: void those of calls
        handed over (answered or gone: they would do nothing), renumber the others."""
        for entry in self._heap:
            event = entry[3]
            if event.callbacks is self._renege_callbacks:
                if event.value < done:
                    event.callbacks = VOID  # its call was answered or gone: the timer does nothing
                else:
                    event.value -= done

    def _caller_blocks(self) -> list[list]:
        """Lists of per-caller draws by block of ``BLOCK`` callers (freed once their callers are settled)."""
        return [self._caller_redial_u, self._caller_redial_d, self._caller_redial_p]

    def _take_extra_work(self) -> np.ndarray:
        """Agent work outside calls since the last hand-over (and forget it)."""
        return np.empty((0, 3))

    def _closing_time(self) -> float:
        """When the last agent stopped working (s): the latest end of a duty period or of overtime after
        one; the clock's time when some agent never leaves (then no caller goes unserved)."""
        closed = max((end for periods in self.duty for _, end in periods), default=math.inf)
        if not math.isfinite(closed):
            return float(self.env.now)
        for _, _, finished in self.overtime:
            closed = max(closed, finished)
        return float(closed)

    def _call_log(self, n: Optional[int] = None) -> CallLog:
        """The log of the first ``n`` calls held (all by default)."""
        if n is None:
            n = len(self.arrival)
        first = self._offset
        arrival = np.asarray(self.arrival[:n], dtype=np.float64)
        answer = np.asarray(self.answer[:n], dtype=np.float64)
        handle = np.asarray(self.handle[:n], dtype=np.float64)
        patience = np.asarray(self.patience[:n], dtype=np.float64)
        agent = np.asarray(self.agent_of[:n], dtype=np.int64)
        answered = agent >= 0
        # never answered and never out of patience: the centre closed on them
        unserved = ~answered & np.isinf(patience)
        outcome = np.where(answered, ANSWERED, np.where(unserved, UNSERVED, ABANDONED)).astype(np.int8)
        # an unserved caller waits until the centre closed: the last agent stopped working (the end of
        # the last duty period, or of the overtime after it); a caller arriving after that waits 0
        closed = self._closing_time()
        wait = np.where(answered, answer - arrival, np.where(unserved, np.maximum(closed - arrival, 0.0), patience))
        handle_time = np.where(answered, handle, np.nan)
        end = np.where(answered, answer + handle, arrival + wait)
        ids = np.arange(first, first + n, dtype=np.int64)
        if self._rich:
            caller = np.asarray(self.caller[:n], dtype=np.int64)
            ctype = np.asarray(self.ctype[:n], dtype=np.int16)
            attempt = np.asarray(self.attempt[:n], dtype=np.int16)
        else:
            ids.flags.writeable = False  # shared by two columns: callers are calls here
            caller = ids
            ctype = np.asarray(self._caller_types[:n], dtype=np.int16)
            attempt = np.ones(n, dtype=np.int16)
        return CallLog(
            id=ids,
            arrival=arrival,
            answer=answer,
            end=end,
            wait=wait,
            handle_time=handle_time,
            patience=patience,
            agent=agent,
            outcome=outcome,
            call_type=ctype,
            caller=caller,
            attempt=attempt,
            type_names=tuple(self.scenario.type_names()),
            messages=self._messages_heard(wait),
        )

    def _messages_heard(self, wait: np.ndarray) -> Optional[np.ndarray]:
        """Recorded messages each call sat through (None without announcements), from its time on hold (s)."""
        announcements = self.scenario.announcements
        return None if announcements is None else announcements.messages_heard(wait)
