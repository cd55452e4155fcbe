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
  first caller; ``oracle`` (one group only: a yardstick defined for one pool of
  agents) the busy agents' remaining work plus the handle times of the callers
  ahead, over the agents on duty.
* **Messages** play to a caller waiting in any leg, first ``first`` after the
  leg starts, then every ``every``; never while an agent holds the line (a
  warm transfer). A caller whose predicted wait exceeds their tolerance hangs
  up (the leg ends abandoned, the call is ``balked``) or, offered a callback
  ``at_announcement``, takes it.
* **Callbacks** are the callback desk's, one component per kind
  (:mod:`queuesim.engine.callback_desk`): a caller who accepts ends their hold
  (the leg's outcome is ``callback``); a virtual-hold caller's entries stay in
  the lines, and the agent who reaches them dials; scheduled callbacks and
  web-form requests wait, when due, in the home group's line of due tasks.

The component owns its state and its pending events (the recorded messages;
its desk, the due callbacks and their events), including how they are cut and
renumbered when calls are handed over. The centre calls it at a few hooks: a
leg finds nobody free (:meth:`blocked`), a leg joined the lines
(:meth:`queued`, :meth:`joined`), a leg is answered (:meth:`answered`) or
leaves the lines otherwise (:meth:`left_lines`), an agent reaches a virtual
entry (:meth:`reach`), a patience timer is due (:meth:`ignores_patience`), the
hand-over of settled calls (:meth:`cut`, :meth:`drop_callers`,
:meth:`renumber`) and the call log (:meth:`log`). Where a freed agent looks for
work before and after the inbound lines, the centre calls the callback desk
itself (its ``before_inbound`` and ``after_inbound``: due callbacks, web-form
requests).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..measure.calllog import ANSWERED, BALKED, UNREACHED, CallLog
from ..model.scenario import Scenario
from ..rng import RandomStreams
from .callback_desk import CALLBACK_LEG, DIAL, CallbackDesk, callback_desk
from .centre import _Pool
from .kernel import NORMAL, Timer
from .policies import MAX_MESSAGES, _dense, _mask, _shift

if TYPE_CHECKING:  # the centre imports this module; the type is for annotations only
    from .departments import DepartmentCentre

__all__ = ["Holding", "CALLBACK_LEG", "DIAL"]


class Holding:
    """Informative announcements and callbacks for the callers of a department centre."""

    def __init__(self, centre: "DepartmentCentre", scenario: Scenario, streams: RandomStreams) -> None:
        c = self.c = centre
        ann = scenario.announcements
        self.announce = ann if (ann is not None and ann.kind == "informative") else None
        announce = self.announce
        self.announce_at_arrival = announce is not None and announce.first == 0
        first = None if announce is None else (announce.first if announce.first > 0 else announce.every)
        self.first_message = None if first is None else first + announce.length
        # sparse per-call columns (the call log fills in the defaults)
        self.predicted: dict[int, float] = {}
        self.balked: set[int] = set()
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
        self.lines_from_level = [above + level for above, level in zip(self.lines_above, self.lines_level)]
        # the last wait answered per group and line (last-to-enter-service predictor)
        self.last_wait = [[0.0] * n_lines for _ in range(n_groups)]
        # the mean handle time of the types each group serves, weighted by their expected arrivals (s)
        self.mean_handle = c.group_mean_handle()
        # recorded messages: first ones and repeats each come a fixed delay after scheduling, so each kind is
        # due in the order scheduled; a FIFO of (time, event id, call, leg) per kind, its head on the heap
        self.first_messages: deque[tuple[float, int, int, int]] = deque()
        self.repeat_messages: deque[tuple[float, int, int, int]] = deque()
        self._message_callbacks = [self._message]
        self._first_timer, self._repeat_timer = Timer(), Timer()
        self._first_timer.value, self._repeat_timer.value = self.first_messages, self.repeat_messages
        self.last_duty_start = max((start for agent in c.duty for start, _ in agent), default=0.0)
        # per-caller draws: by caller - caller_base
        self._tolerance_pool = _Pool(announce.tolerance, streams["tolerance"]) if announce is not None else None
        self.tolerance: list[float] = []
        # the callback option, one component per kind (None without one); callers on virtual hold
        self.desk: Optional[CallbackDesk] = callback_desk(self, c, scenario, streams)
        self.virtual: set[int] = self.desk.virtual if self.desk is not None else set()

    # -- per-caller draws --------------------------------------------------------------
    def draw_block(self, n: int) -> None:
        """Draw the next ``n`` callers' tolerances and callback draws (each purpose its own stream)."""
        if self._tolerance_pool is not None:
            self.tolerance.extend(self._tolerance_pool.take(n).tolist())
        if self.desk is not None:
            self.desk.draw_block(n)

    def caller_blocks(self) -> list[list]:
        return self.desk.caller_blocks() if self.desk is not None else []

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

    def _ahead(self, i: int, group: int, own: int) -> int:
        """How many callers (live or on virtual hold) the agents of ``group`` take before call ``i``, waiting in
        line ``own``: those of higher priority lines, then those of equal priority whose leg started earlier.
        Whole lines are counted from the live counts (a leg's entries are all in one line, of its own
        priority). A leg not yet in the lines has all of its level's callers ahead: see :meth:`predict`."""
        c = self.c
        waiting, leg, leg_start = c.waiting, c.leg, c.leg_start
        live = self.live[group]
        ahead = 0
        for line in self.lines_above[own]:
            ahead += live[line]
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
        token = c.leg[i]
        line = c._transfer_line if token > 0 and c._transfer_line >= 0 else c.ctype[i]  # c._line inlined
        if predictor == "queue_length":
            if joining:  # every caller of its level and above is ahead (the leg has no live entry yet)
                live = self.live[group]
                ahead = 0
                for k in self.lines_from_level[line]:
                    ahead += live[k]
            else:
                ahead = self._ahead(i, group, line)
            return (ahead + 1) * self.mean_handle[group] / max(c.on_duty_in_group[group], 1)
        elapsed = 0.0 if joining else now - c.leg_start[i]
        if predictor == "last_to_enter_service":
            return max(self.last_wait[group][line] - elapsed, 0.0)
        if predictor == "head_of_line":
            head = next((j for j, token in c.queues[group][line] if self._live(j, token)), -1)
            hol = now - c.leg_start[head] if head >= 0 else 0.0
            return max(hol - elapsed, 0.0)
        return self._oracle(i, now, joining)

    def _oracle(self, i: int, now: float, joining: bool) -> float:
        """The true remaining work ahead of call ``i`` (s), shared by the agents on duty: what the busy agents
        have left plus the handle times of the callers taken first (exact for one agent when nobody ahead
        hangs up). One group only (a scenario with more refuses the oracle). Sums run in the order the agents
        and the callers are numbered and served, so that the number is the one-pool engine's to the bit."""
        c = self.c
        finishes: dict[int, float] = {}  # busy agent -> when the current task ends (s)
        done, release = c._done_callbacks, c._release_callbacks
        for entry in c._heap:
            callbacks = entry[3].callbacks
            if callbacks is done:
                finishes[entry[3].value[1]] = entry[0]
            elif callbacks is release:
                finishes[entry[3].value] = entry[0]
        residual = sum(max(finishes[a] - now, 0.0) for a in sorted(finishes) if c.busy[a])
        waiting, leg, leg_start, handle, priority = c.waiting, c.leg, c.leg_start, c.handle, c.priority
        own = c._line(c.ctype[i], leg[i])
        mine = (-priority[own], leg_start[i], i)
        ahead = []
        for line, queue in enumerate(c.queues[0]):
            for j, token in queue:
                if waiting[j] and leg[j] == token and j != i:
                    key = (-priority[line], leg_start[j], j)
                    if priority[line] > priority[own] or (priority[line] == priority[own] and (joining or key < mine)):
                        ahead.append((key, handle[j]))
        ahead.sort()
        work = sum(h for _, h in ahead)
        return (residual + work) / max(c.on_duty_in_group[0], 1)

    # -- hooks: a leg waits -------------------------------------------------------------
    def blocked(self, i: int, group: int, now: float) -> bool:
        """Call ``i``'s new leg found nobody free in ``group``: offer a callback and/or play the first message
        now. True if the caller left (hung up, or took a scheduled callback or a web form); a virtual-hold
        caller stays (False) with infinite patience, to be put in the lines by the centre."""
        c = self.c
        if c.holder.get(i, -1) >= 0:
            return False  # an agent holds the line: the caller hears the agent, not the recording
        caller = c.caller[i]
        desk = self.desk
        if desk is not None and desk.offer_at_arrival and desk.offer_on and c.leg[i] == 0:
            predicted = self.predict(i, group, now, desk.cb.predictor, joining=True)
            self.predicted[i] = predicted
            if predicted > desk.cb.threshold:
                desk.offered.add(i)
                if desk.accepts(caller):
                    return desk.take(i, caller, now)
        if self.announce_at_arrival:
            return self._announce(i, caller, group, now, joining=True)
        return False

    def queued(self, i: int, now: float, groups=(), line: int = 0) -> None:
        """Call ``i``'s leg joined ``line`` of ``groups``: counted there; its first recorded message is scheduled."""
        self.joined(i, groups, line)
        self.alone(i, now)

    def alone(self, i: int, now: float) -> None:
        """Call ``i`` waits on its own from now (its leg joined the lines, or the agent holding the line gave up):
        its first recorded message is scheduled."""
        c = self.c
        if self.first_message is None or i in self.virtual or c.holder.get(i, -1) >= 0:
            return
        fifo = self.first_messages
        fifo.append((now + self.first_message, next(c._eid), i, c.leg[i]))
        if len(fifo) == 1:
            self._first_timer.callbacks = self._message_callbacks
            c.kernel.push((fifo[0][0], NORMAL, fifo[0][1]), self._first_timer)

    def answered(self, i: int, group: int, waited: float) -> None:
        """Call ``i``'s leg was answered by an agent of ``group`` after ``waited`` s; if it waited in the lines,
        that is the last wait answered in its line of ``group`` (a leg answered at once never waited there)."""
        held = self.entries.get(i)
        if held is not None:
            self.last_wait[group][held[0]] = waited
            self.left_lines(i)

    def ignores_patience(self, i: int) -> bool:
        """Call ``i`` no longer holds (virtual hold): its patience timer does nothing."""
        return i in self.virtual

    def _message(self, event: Timer) -> None:
        """The head of a FIFO of messages is due: play it; put the next live message on the heap."""
        c = self.c
        waiting, leg, virtual = c.waiting, c.leg, self.virtual
        fifo = event.value
        _, _, i, token = fifo.popleft()
        while fifo:
            _, _, j, tj = fifo[0]
            if not (waiting[j] and leg[j] == tj) or j in virtual:  # (_live inlined)
                fifo.popleft()
                continue
            event.callbacks = self._message_callbacks
            c.kernel.push((fifo[0][0], NORMAL, fifo[0][1]), event)
            break
        if not (waiting[i] and leg[i] == token) or i in virtual:
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
        desk = self.desk
        if (desk is not None and desk.cb.offer == "at_announcement" and desk.offer_on and predicted > desk.cb.threshold
                and i not in desk.requested):  # one callback per call (a caller transferred after one waits again)
            desk.offered.add(i)
            desk.take(i, caller, now)
            return not (joining and i in self.virtual)  # a virtual hold taken on joining still joins the lines
        # hang up at once: the leg ends abandoned; no redial (as on one pool)
        c._end_leg(i, now, -1, 1)
        self.left_lines(i)
        self.balked.add(i)
        return True

    # -- hooks: an agent reaches a virtual-hold entry ------------------------------------------
    def reach(self, i: int, agent: int, now: float) -> None:
        """``agent`` reached call ``i``'s virtual-hold entry in its lines: the agent dials."""
        assert self.desk is not None
        self.desk.reach(i, agent, now)

    def set_offer(self, on: bool) -> None:
        if self.desk is not None:
            self.desk.offer_on = on

    # -- hooks: handing calls over while running --------------------------------------------
    def cut(self, cut: int) -> int:
        """Lower ``cut`` below every call a message, a due task or a pending event of this component refers to."""
        for fifo in (self.first_messages, self.repeat_messages):
            for entry in fifo:
                cut = min(cut, entry[2])
        return cut if self.desk is None else self.desk.cut(cut)

    def drop_callers(self, trim: int) -> None:
        """Forget the per-caller draws of the first ``trim`` callers held (settled)."""
        if trim > 0:
            del self.tolerance[:trim]
        if self.desk is not None:
            self.desk.drop_callers(trim)

    def renumber(self, done: int) -> None:
        """The first ``done`` calls were handed over (after the centre's columns): renumber the rest."""
        for name in ("predicted", "messages", "balked", "entries"):
            setattr(self, name, _shift(getattr(self, name), done))
        for fifo in (self.first_messages, self.repeat_messages):
            held = [(t, eid, i - done, token) for t, eid, i, token in fifo]
            fifo.clear()
            fifo.extend(held)
        if self.desk is not None:
            self.desk.renumber(done)

    # -- output ----------------------------------------------------------------------------
    def log(self, log: CallLog) -> CallLog:
        """The call log with the callback and announcement columns; callback takers are answered when an
        agent reached them, else unreached; callers who hung up after a message are balked."""
        n = len(log.arrival)
        if self.desk is not None:
            columns = self.desk.columns(n)
        else:
            columns = dict(callback=np.zeros(n, dtype=np.int8), requested=np.full(n, math.nan),
                           callback_offered=np.zeros(n, dtype=bool), callback_due=np.full(n, math.nan))
        took = columns["callback"] > 0
        reached = log.agent >= 0
        outcome = log.outcome.copy()
        outcome[_mask(self.balked, n)] = BALKED
        outcome[took & ~reached] = UNREACHED
        outcome[took & reached] = ANSWERED
        # a callback taker never abandons: infinite patience, as every caller who never hangs up
        patience = np.where(took & ~reached, math.inf, log.patience)
        return replace(log, outcome=outcome, patience=patience,
                       predicted_wait=_dense(self.predicted, n, math.nan, np.float64), **columns)
