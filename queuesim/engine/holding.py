"""Holding with departments: informative announcements and callbacks as a component of the department centre.

:class:`Holding` is the component that gives
:class:`~queuesim.engine.departments.DepartmentCentre` what
:class:`~queuesim.engine.policies.PolicyCentre` gives one pool of agents: a
caller who finds nobody free in the group they wait for may be told their
predicted wait, may hang up when it is longer than they tolerate, and may be
offered a callback. The rules, per group:

* **Predictions** look at the caller's own group and line: ``queue_length``
  counts the callers (live or on virtual hold) the group's agents take before
  this one (higher priority lines, then earlier legs of equal priority) and
  divides ``(ahead + 1) x`` the mean handle time of the types the group serves
  by the group's agents on duty; ``last_to_enter_service`` is the last wait
  answered in the group's line; ``head_of_line`` the wait so far of the line's
  first caller. (``oracle`` is defined for one pool only.)
* **Messages** play to a caller waiting in any leg, first ``first`` after the
  leg starts, then every ``every``; never while an agent holds the line (a
  warm transfer). A caller whose predicted wait exceeds their tolerance hangs
  up (the leg ends abandoned, the call is ``balked``) or, offered a callback
  ``at_announcement``, takes it.
* **Callbacks.** A virtual-hold caller's leg ends (outcome ``callback`` in the
  legs table) but their entries stay in the group's lines: the agent who
  reaches them dials. Scheduled callbacks and web-form requests leave the
  lines; when due they wait in the *home group*'s line of due tasks (by
  priority class of the call type when types have priorities). Each group
  applies ``callback.priority``: ``strict`` (due callbacks before inbound),
  ``reserved`` (only the group's first ``reserved_agents`` agents take them,
  before inbound), ``when_short`` (only while at most ``short_queue`` callers
  wait for the group). Web-form requests: inside ``web_hours`` before inbound,
  otherwise only when nothing else waits.
* **Dialling** takes ``dial_time`` of the agent (a ``dial`` row in the work
  table). When the customer picks up, the agent handles the call as if
  answering it (the call's resolution, redials and, after a misrouted virtual
  hold, the transfer apply); otherwise the next attempt comes
  ``retry_spacing`` later, up to ``attempts``.

The component owns its state and its pending events (messages, due
callbacks, web-form deadlines and openings, connections after dialling),
including how they are cut and renumbered when calls are handed over. The
centre calls it at a few hooks: a leg finds nobody free (:meth:`blocked`), a
leg joined the lines (:meth:`queued`), a leg is answered (:meth:`answered`), a
freed agent looks for work before and after the inbound lines
(:meth:`before_inbound`, :meth:`after_inbound`), an agent reaches a virtual
entry (:meth:`reach`), a patience timer is due (:meth:`ignores_patience`),
the hand-over of settled calls (:meth:`cut`, :meth:`drop`) and the call log
(:meth:`log`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..measure.calllog import ANSWERED, BALKED, UNREACHED, CallLog
from ..rng import RandomStreams
from ..model.scenario import Scenario
from .arrivals import BLOCK
from .centre import _Pool
from .kernel import NORMAL, Timer
from .policies import (MAX_MESSAGES, _KIND_CODE, _dense, _mask, _shift, book_slot, broken_promise_redial, in_web_hours,
                       next_web_opening)
from .priority import PriorityTasks, priority_ranks

if TYPE_CHECKING:  # the centre imports this module; the type is for annotations only
    from .departments import DepartmentCentre

__all__ = ["Holding", "CALLBACK_LEG", "DIAL"]

#: Outcome code of a leg that ended when its caller took a callback.
CALLBACK_LEG = 2
#: Work kind of an agent dialling a callback.
DIAL = 4


class Holding:
    """Informative announcements and callbacks for the callers of a department centre."""

    def __init__(self, centre: "DepartmentCentre", scenario: Scenario, streams: RandomStreams) -> None:
        c = self.c = centre
        ann = scenario.announcements
        self.announce = ann if (ann is not None and ann.kind == "informative") else None
        cb = self.cb = scenario.callback
        self.offer_on = True
        self.offer_at_arrival = cb is not None and cb.offer == "at_arrival"
        announce = self.announce
        self.announce_at_arrival = announce is not None and announce.first == 0
        first = None if announce is None else (announce.first if announce.first > 0 else announce.every)
        self.first_message = None if first is None else first + announce.length
        # sparse per-call columns (the call log fills in the defaults)
        self.cb_kind: dict[int, int] = {}
        self.requested: dict[int, float] = {}
        self.predicted: dict[int, float] = {}
        self.due_at: dict[int, float] = {}
        self.balked: set[int] = set()
        self.unreached: set[int] = set()
        self.virtual: set[int] = set()
        self.offered: set[int] = set()
        self.messages: dict[int, int] = {}
        n_groups, n_lines = c.n_groups, len(c.priority)
        # live entries (callers waiting or on virtual hold) per group and line, kept as legs join and leave the
        # lines (a queue-length prediction adds up lines instead of reading every entry), and the lines each
        # live leg has entries in: call -> (line, groups)
        self.live = [[0] * n_lines for _ in range(n_groups)]
        self.entries: dict[int, tuple[int, list[int]]] = {}
        # per line: the lines of higher priority, and those of the same priority (itself included)
        self.lines_above = [[k for k, q in enumerate(c.priority) if q > p] for p in c.priority]
        self.lines_level = [[k for k, q in enumerate(c.priority) if q == p] for p in c.priority]
        # the last wait answered per group and line (last-to-enter-service predictor)
        self.last_wait = [[0.0] * n_lines for _ in range(n_groups)]
        # the mean handle time of the types each group serves, weighted by their expected arrivals (s)
        weights = [rf.total() for rf in scenario.rate_functions()]
        means = [d.expectation() for d in scenario.type_handle_times()]
        self.mean_handle = []
        for g in range(n_groups):
            served = [k for k, groups in enumerate(c.type_groups) if g in groups]
            w = [weights[k] for k in served]
            self.mean_handle.append(float(np.average([means[k] for k in served], weights=w)) if served and sum(w) > 0
                                    else float(np.mean(means)))
        # an agent's place in their group (reserved callbacks: the group's first reserved_agents take them)
        seen = [0] * n_groups
        self.place_in_group = []
        for g in c.group_of_agent:
            self.place_in_group.append(seen[g])
            seen[g] += 1
        # due callback attempts and web-form requests, (call, attempt), per home group, by priority class
        priorities = [t.priority for t in scenario.call_types or ()]
        if len(set(priorities)) > 1:
            ranks = priority_ranks(priorities)
            self.callbacks_due: list = [PriorityTasks(ranks, c.ctype) for _ in range(n_groups)]
            self.web_due: list = [PriorityTasks(ranks, c.ctype) for _ in range(n_groups)]
        else:
            self.callbacks_due = [deque() for _ in range(n_groups)]
            self.web_due = [deque() for _ in range(n_groups)]
        self.slots: dict[int, int] = {}
        # recorded messages: first ones and repeats each come a fixed delay after scheduling, so each kind is
        # due in the order scheduled; a FIFO of (time, event id, call, leg) per kind, its head on the heap
        self.first_messages: deque[tuple[float, int, int, int]] = deque()
        self.repeat_messages: deque[tuple[float, int, int, int]] = deque()
        self._message_callbacks = [self._message]
        self._first_timer, self._repeat_timer = Timer(), Timer()
        self._first_timer.value, self._repeat_timer.value = self.first_messages, self.repeat_messages
        self._due_callbacks = [self._callback_due]
        self._web_due_callbacks = [self._web_due]
        self._deadline_callbacks = [self._web_deadline]
        self._connect_callbacks = [self._connect]
        self._window_callbacks = [self._web_window_opens]
        hours = cb.web_hours if cb is not None else None
        self.web_hours: Optional[list[tuple[float, float]]] = sorted((w.start, w.end) for w in hours) if hours else None
        self.web_open = 0
        self.window_pending = False
        self.last_duty_start = max((start for agent in c.duty for start, _ in agent), default=0.0)
        # per-caller draws: by caller - caller_base (lists), or by block of BLOCK callers (arrays)
        self.streams = streams
        self._tolerance_pool = _Pool(announce.tolerance, streams["tolerance"]) if announce is not None else None
        self.tolerance: list[float] = []
        self.accept: list[float] = []
        self.blocks_answer: list[np.ndarray] = []
        self.blocks_kept: list[np.ndarray] = []
        self.blocks_delay: list[np.ndarray] = []
        self.blocks_broken: list[np.ndarray] = []
        if cb is not None and cb.kind == "web_form":
            self._contact_delay_pool = _Pool(cb.contact_delay, streams["web_form_delay"])

    # -- per-caller draws --------------------------------------------------------------
    def draw_block(self, n: int) -> None:
        """Draw the next ``n`` callers' tolerances and callback draws (each purpose its own stream)."""
        if self._tolerance_pool is not None:
            self.tolerance.extend(self._tolerance_pool.take(n).tolist())
        cb = self.cb
        if cb is not None:
            self.accept.extend(self.streams["callback_accept"].random(BLOCK)[:n].tolist())
            self.blocks_answer.append(self.streams["callback_answer"].random((BLOCK, cb.attempts))[:n])
            if cb.kind == "web_form":
                self.blocks_kept.append(self.streams["web_form"].random(BLOCK)[:n])
                self.blocks_broken.append(self.streams["web_form_redial"].random(BLOCK)[:n])
                self.blocks_delay.append(self._contact_delay_pool.take(n))

    @staticmethod
    def _draw(blocks: list[np.ndarray], caller: int, column: Optional[int] = None) -> Optional[float]:
        if caller < 0 or not blocks:
            return None
        b, r = divmod(caller, BLOCK)
        row = blocks[b][r]
        return float(row if column is None else row[column])

    def caller_blocks(self) -> list[list]:
        return [self.blocks_answer, self.blocks_kept, self.blocks_delay, self.blocks_broken]

    # -- prediction ------------------------------------------------------------------------
    def _live(self, j: int, token: int) -> bool:
        c = self.c
        return c.waiting[j] and c.leg[j] == token

    def joined(self, i: int, groups, line: int) -> None:
        """Call ``i``'s live leg has new entries in ``line`` of each of ``groups``."""
        live = self.live
        for g in groups:
            live[g][line] += 1
        held = self.entries.get(i)
        if held is None:
            self.entries[i] = (line, list(groups))
        else:
            held[1].extend(groups)

    def left_lines(self, i: int) -> None:
        """Call ``i``'s leg is no longer live in the lines (answered, reached, hung up or called back later)."""
        held = self.entries.pop(i, None)
        if held is not None:
            line, groups = held
            live = self.live
            for g in groups:
                live[g][line] -= 1

    def _ahead(self, i: int, group: int, joining: bool) -> int:
        """How many callers (live or on virtual hold) the agents of ``group`` take before call ``i``: those
        of higher priority lines, then those of equal priority whose leg started earlier (all if joining).
        Whole lines are counted from the live counts (call ``i`` has no live entry there: a joining leg has
        none yet, and a leg's entries are all in one line, of its own priority)."""
        c = self.c
        waiting, leg, leg_start = c.waiting, c.leg, c.leg_start
        own = c._line(c.ctype[i], leg[i])
        live = self.live[group]
        ahead = 0
        for line in self.lines_above[own]:
            ahead += live[line]
        if joining:
            for line in self.lines_level[own]:
                ahead += live[line]
            return ahead
        mine = leg_start[i]
        queues = c.queues[group]
        for line in self.lines_level[own]:
            if live[line]:
                for j, token in queues[line]:
                    if waiting[j] and leg[j] == token and j != i and (
                            leg_start[j] < mine or (leg_start[j] == mine and j < i)):
                        ahead += 1
        return ahead

    def predict(self, i: int, group: int, now: float, predictor: str, joining: bool) -> float:
        """Predicted remaining wait (s) of call ``i`` waiting for ``group`` (``joining``: not yet in its lines)."""
        c = self.c
        elapsed = 0.0 if joining else now - c.leg_start[i]
        line = c._line(c.ctype[i], c.leg[i])
        if predictor == "queue_length":
            ahead = self._ahead(i, group, joining)
            return (ahead + 1) * self.mean_handle[group] / max(c.on_duty_in_group[group], 1)
        if predictor == "last_to_enter_service":
            return max(self.last_wait[group][line] - elapsed, 0.0)
        # head_of_line (the oracle is refused with groups when the scenario is validated)
        head = next((j for j, token in c.queues[group][line] if self._live(j, token)), -1)
        hol = now - c.leg_start[head] if head >= 0 else 0.0
        return max(hol - elapsed, 0.0)

    # -- hooks: a leg waits -------------------------------------------------------------
    def blocked(self, i: int, group: int, now: float) -> bool:
        """Call ``i``'s new leg found nobody free in ``group``: offer a callback and/or play the first message
        now. True if the caller left (hung up, or took a scheduled callback or a web form); a virtual-hold
        caller stays (False) with infinite patience, to be put in the lines by the centre."""
        c = self.c
        if c.holder.get(i, -1) >= 0:
            return False  # an agent holds the line: the caller hears the agent, not the recording
        caller = c.caller[i]
        cb = self.cb
        if self.offer_at_arrival and self.offer_on and c.leg[i] == 0:
            predicted = self.predict(i, group, now, cb.predictor, joining=True)
            self.predicted[i] = predicted
            if predicted > cb.threshold:
                self.offered.add(i)
                if caller >= 0 and self.accept[caller - c._caller_base] < cb.acceptance:
                    return self._take(i, caller, now)
        if self.announce_at_arrival:
            return self._announce(i, caller, group, now, joining=True)
        return False

    def queued(self, i: int, now: float, groups=(), line: int = 0) -> None:
        """Call ``i``'s leg joined ``line`` of ``groups``: counted there; its first recorded message is scheduled."""
        self.joined(i, groups, line)
        c = self.c
        if self.first_message is None or i in self.virtual or c.holder.get(i, -1) >= 0:
            return
        fifo = self.first_messages
        fifo.append((now + self.first_message, next(c._eid), i, c.leg[i]))
        if len(fifo) == 1:
            self._first_timer.callbacks = self._message_callbacks
            c.kernel.push((fifo[0][0], NORMAL, fifo[0][1]), self._first_timer)

    def answered(self, i: int, group: int, line: int, waited: float) -> None:
        """Call ``i``'s leg waiting in ``line`` was answered by an agent of ``group`` after ``waited`` s."""
        self.last_wait[group][line] = waited
        self.left_lines(i)

    def ignores_patience(self, i: int) -> bool:
        """Call ``i`` no longer holds (virtual hold): its patience timer does nothing."""
        return i in self.virtual

    def _message(self, event: Timer) -> None:
        """The head of a FIFO of messages is due: play it; put the next live message on the heap."""
        c = self.c
        fifo = event.value
        _, _, i, token = fifo.popleft()
        while fifo:
            _, _, j, tj = fifo[0]
            if not self._live(j, tj) or j in self.virtual:
                fifo.popleft()
                continue
            event.callbacks = self._message_callbacks
            c.kernel.push((fifo[0][0], NORMAL, fifo[0][1]), event)
            break
        if not self._live(i, token) or i in self.virtual:
            return
        now = c.env.now
        if self._announce(i, c.caller[i], c.leg_group[i], now, joining=False):
            return
        if sum(c.on_duty_in_group) == 0 and now >= self.last_duty_start:
            return  # nobody will ever answer: the recording stops (the caller stays, unserved)
        heard = self.messages.get(i, 0) + 1
        self.messages[i] = heard
        announce = self.announce
        if announce is not None and announce.every is not None and heard < MAX_MESSAGES:
            fifo = self.repeat_messages
            fifo.append((now + announce.every, next(c._eid), i, token))
            if len(fifo) == 1:
                self._repeat_timer.callbacks = self._message_callbacks
                c.kernel.push((fifo[0][0], NORMAL, fifo[0][1]), self._repeat_timer)

    def _announce(self, i: int, caller: int, group: int, now: float, joining: bool) -> bool:
        """Tell call ``i`` its predicted wait; True if it left the lines (hung up or took a callback)."""
        c = self.c
        announce = self.announce
        assert announce is not None
        predicted = self.predict(i, group, now, announce.predictor, joining)
        told = self.predicted.get(i)
        if told is None or math.isnan(told):
            self.predicted[i] = predicted + (now - c.arrival[i])
        if caller < 0 or predicted <= self.tolerance[caller - c._caller_base]:
            return False
        cb = self.cb
        if cb is not None and cb.offer == "at_announcement" and self.offer_on and predicted > cb.threshold:
            self.offered.add(i)
            self._take(i, caller, now)
            return not (joining and i in self.virtual)  # a virtual hold taken on joining still joins the lines
        # hang up at once: the leg ends abandoned; no redial (as on one pool)
        c._end_leg(i, now, -1, 1)
        self.left_lines(i)
        self.balked.add(i)
        return True

    # -- callbacks ----------------------------------------------------------------------
    def _take(self, i: int, caller: int, now: float) -> bool:
        """Call ``i`` takes a callback now: its hold ends. False for a virtual hold taken on joining
        (the centre then puts it in the lines), True otherwise."""
        c = self.c
        cb = self.cb
        assert cb is not None
        self.cb_kind[i] = _KIND_CODE[cb.kind]
        self.requested[i] = now
        c.patience[i] = math.inf  # no longer on hold: never abandons from here
        c._end_leg(i, now, -1, CALLBACK_LEG)
        if cb.kind == "virtual_hold":
            self.virtual.add(i)
            c.waiting[i] = True  # its entries stay in the lines: the agent who reaches them calls back
            return False
        self.left_lines(i)
        if cb.kind == "scheduled":
            self.due_at[i] = due = book_slot(self.slots, now, cb)
            c.kernel.later(due - now, (i, 1), self._due_callbacks)
            return True
        kept = self._draw(self.blocks_kept, caller)
        delay = self._draw(self.blocks_delay, caller)
        if kept is not None and kept < cb.follow_through and delay is not None and delay < cb.late_after:
            self.due_at[i] = now + delay
            c.kernel.later(delay, (i, 1), self._web_due_callbacks)
        c.kernel.later(cb.late_after, i, self._deadline_callbacks)
        self.web_open += 1
        if self.web_hours is not None and not self.window_pending:
            self._schedule_web_window(now)
        return True

    def _callback_due(self, event: Timer) -> None:
        i, _ = event.value
        g = self._home(i)
        self.callbacks_due[g].append(event.value)
        self._wake(g)

    def _home(self, i: int) -> int:
        c = self.c
        return c.type_groups[c.ctype[i]][0]

    def _web_due(self, event: Timer) -> None:
        i, _ = event.value
        if i in self.unreached:
            return
        g = self._home(i)
        self.web_due[g].append(event.value)
        if self.web_hours is None or self._in_web_hours(self.c.env.now):
            self._wake(g)

    def _in_web_hours(self, now: float) -> bool:
        return in_web_hours(self.web_hours, now)

    def _schedule_web_window(self, now: float) -> None:
        """Put the next opening of a web-form block (strictly after ``now``) on the heap."""
        self.window_pending = True
        self.c.kernel.later(next_web_opening(self.web_hours, now) - now, None, self._window_callbacks)

    def _web_window_opens(self, event: Timer) -> None:
        """A web-form block opens: each group's idle agents take its due requests; the next opening is
        scheduled while requests are open."""
        self.window_pending = False
        c = self.c
        for g, due in enumerate(self.web_due):
            while due:
                agent = c._pop_idle(g)
                if agent < 0:
                    break
                if not c._next_task(agent, c.env.now):
                    c._make_idle(agent)
                    break
        if self.web_open > 0:
            self._schedule_web_window(c.env.now)

    def _web_deadline(self, event: Timer) -> None:
        c = self.c
        i = event.value
        self.web_open -= 1
        if c.agent_of[i] >= 0:
            return
        self.unreached.add(i)
        value = broken_promise_redial(c, i, self._draw(self.blocks_broken, c.caller[i]))
        if value is not None:
            c.kernel.later(0.0, value, c._redial_callbacks)

    def _wake(self, group: int) -> None:
        """Give newly due work to an idle agent of ``group``, if any."""
        c = self.c
        agent = c._pop_idle(group)
        if agent >= 0 and not c._next_task(agent, c.env.now):
            c._make_idle(agent)

    # -- hooks: a freed agent's next task -----------------------------------------------
    def _may_take_callback(self, agent: int, group: int) -> bool:
        cb = self.cb
        if cb is None or cb.priority == "strict":
            return True
        if cb.priority == "reserved":
            return self.place_in_group[agent] < cb.reserved_agents
        return self.waiting_for(group) <= cb.short_queue

    def waiting_for(self, group: int) -> int:
        """Callers (live or on virtual hold) in ``group``'s lines."""
        return sum(self.live[group])

    def before_inbound(self, agent: int, now: float) -> bool:
        """``agent`` takes a due callback (or, inside web hours, a web-form request) before the inbound lines."""
        g = self.c.group_of_agent[agent]
        due = self.callbacks_due[g]
        if due and self._may_take_callback(agent, g):
            i, attempt = due.popleft()
            self._dial(i, attempt, agent, now)
            return True
        if self.web_hours is not None and self.web_due[g] and self._in_web_hours(now):
            return self._take_web_request(agent, g, now)
        return False

    def after_inbound(self, agent: int, now: float) -> bool:
        """Nobody waits in ``agent``'s lines: a due callback (unless reserved for others) or a web-form request."""
        g = self.c.group_of_agent[agent]
        due = self.callbacks_due[g]
        if due and (self.cb is None or self.cb.priority != "reserved"):
            i, attempt = due.popleft()
            self._dial(i, attempt, agent, now)
            return True
        return self.web_hours is None and self._take_web_request(agent, g, now)

    def _take_web_request(self, agent: int, group: int, now: float) -> bool:
        due = self.web_due[group]
        while due:
            i, attempt = due.popleft()
            if i in self.unreached:
                continue
            self._dial(i, attempt, agent, now)
            return True
        return False

    def reach(self, i: int, agent: int, now: float) -> None:
        """``agent`` reached call ``i``'s virtual entry in its lines: it leaves them, and the agent dials."""
        self.c.waiting[i] = False
        self.left_lines(i)
        self.virtual.discard(i)
        self._dial(i, 1, agent, now)

    def _dial(self, i: int, attempt: int, agent: int, now: float) -> None:
        """``agent`` calls customer ``i`` back (attempt number ``attempt``)."""
        c = self.c
        cb = self.cb
        assert cb is not None
        u = self._draw(self.blocks_answer, c.caller[i], attempt - 1)
        picked = u is not None and u < cb.answer_probability
        c.busy[agent] = True
        dial = cb.dial_time
        c._work(agent, now, now + dial, i, DIAL)
        if picked:
            if dial > 0:
                c.kernel.later(dial, (i, agent), self._connect_callbacks)
            else:
                c._serve(i, agent, now)
            return
        c.kernel.later(dial, agent, c._release_callbacks)
        if attempt < cb.attempts:
            retry = self._web_due_callbacks if cb.kind == "web_form" else self._due_callbacks
            c.kernel.later(dial + cb.retry_spacing, (i, attempt + 1), retry)
        elif cb.kind != "web_form":
            self.unreached.add(i)

    def _connect(self, event: Timer) -> None:
        """The customer picked up: the agent who dialled handles the call."""
        i, agent = event.value
        self.c._serve(i, agent, self.c.env.now)

    def set_offer(self, on: bool) -> None:
        self.offer_on = on

    # -- hooks: handing calls over while running --------------------------------------------
    def cut(self, cut: int) -> int:
        """Lower ``cut`` below every call a due task, a message or a pending event of this component refers to."""
        for lines in (self.callbacks_due, self.web_due):
            for due in lines:
                for i, _ in due:
                    cut = min(cut, i)
        for fifo in (self.first_messages, self.repeat_messages):
            for entry in fifo:
                cut = min(cut, entry[2])
        for event in self.c.kernel.pending():
            callbacks = event.callbacks
            if callbacks is self._due_callbacks or callbacks is self._web_due_callbacks or callbacks is self._connect_callbacks:
                cut = min(cut, event.value[0])
            elif callbacks is self._deadline_callbacks:
                cut = min(cut, event.value)
        return cut

    def drop_callers(self, trim: int) -> None:
        """Forget the per-caller draws of the first ``trim`` callers held (settled)."""
        if trim > 0:
            del self.tolerance[:trim], self.accept[:trim]

    def renumber(self, done: int) -> None:
        """The first ``done`` calls were handed over (after the centre's columns): renumber the rest."""
        for name in ("cb_kind", "requested", "predicted", "due_at", "messages", "balked", "unreached", "virtual",
                     "offered", "entries"):
            setattr(self, name, _shift(getattr(self, name), done))
        for lines in (self.callbacks_due, self.web_due):
            for due in lines:
                held = [(i - done, attempt) for i, attempt in due]
                due.clear()
                due.extend(held)
        for fifo in (self.first_messages, self.repeat_messages):
            held4 = [(t, eid, i - done, token) for t, eid, i, token in fifo]
            fifo.clear()
            fifo.extend(held4)
        for event in self.c.kernel.pending():
            callbacks = event.callbacks
            if callbacks is self._due_callbacks or callbacks is self._web_due_callbacks or callbacks is self._connect_callbacks:
                event.value = (event.value[0] - done, event.value[1])
            elif callbacks is self._deadline_callbacks:
                event.value -= done
        cb = self.cb
        if cb is not None and cb.kind == "scheduled":  # slots already past are never booked again
            first = int(self.c.env.now // cb.slot_length)
            self.slots = {k: v for k, v in self.slots.items() if k >= first}

    # -- output ----------------------------------------------------------------------------
    def log(self, log: CallLog) -> CallLog:
        """The call log with the callback and announcement columns; callback takers are answered when an
        agent reached them, else unreached; callers who hung up after a message are balked."""
        n = len(log.arrival)
        kind = _dense(self.cb_kind, n, 0, np.int8)
        took = kind > 0
        reached = log.agent >= 0
        outcome = log.outcome.copy()
        outcome[_mask(self.balked, n)] = BALKED
        outcome[took & ~reached] = UNREACHED
        outcome[took & reached] = ANSWERED
        return replace(
            log, outcome=outcome, callback=kind, requested=_dense(self.requested, n, math.nan, np.float64),
            predicted_wait=_dense(self.predicted, n, math.nan, np.float64),
            callback_offered=_mask(self.offered, n),
            callback_due=_dense(self.due_at, n, math.nan, np.float64),
        )
