"""Callbacks with departments: one component per callback kind, used by the holding component.

A :class:`CallbackDesk` takes the callers who accept a callback (offered by
:class:`~queuesim.engine.holding.Holding` when they find nobody free, or with an
informative message), keeps the due attempts per home group, and has agents dial
them: ``dial_time`` of the agent (a ``dial`` row in the work table); when the
customer picks up the agent handles the call as if answering it, otherwise the
next attempt comes ``retry_spacing`` later, up to ``attempts``. Each group applies
``callback.priority`` (``strict``: due callbacks before inbound callers;
``reserved``: only the group's first ``reserved_agents`` agents take them, before
inbound; ``when_short``: only while at most ``short_queue`` callers wait for the
group). One subclass per kind says what accepting means:

* :class:`VirtualHoldDesk`: the caller keeps their entries in the lines; the agent
  who reaches them calls back.
* :class:`ScheduledDesk`: the caller leaves the lines for the first slot at least
  ``lead_time`` ahead that is not full.
* :class:`WebFormDesk`: the caller leaves a request, worked after
  ``contact_delay`` when the promise is kept (inside ``web_hours`` before inbound
  callers, or whenever nothing else waits), broken otherwise; a broken promise may
  bring the caller back.

A desk owns its state and its pending events (due attempts, connections after
dialling; web-form deadlines and openings), including how they are cut and
renumbered when calls are handed over.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..model.scenario import Scenario
from ..rng import RandomStreams
from .arrivals import BLOCK
from .centre import _Pool
from .kernel import Timer
from .policies import (_KIND_CODE, PromiseReview, _dense, _mask, _shift, book_slot, broken_promise_redial, in_web_hours,
                       next_web_opening)
from .priority import PriorityTasks, priority_ranks

if TYPE_CHECKING:  # for annotations only: the holding component imports this module
    from .departments import DepartmentCentre
    from .holding import Holding

__all__ = ["CALLBACK_LEG", "DIAL", "CallbackDesk", "ScheduledDesk", "VirtualHoldDesk", "WebFormDesk", "callback_desk"]

#: Outcome code of a leg that ended when its caller took a callback.
CALLBACK_LEG = 2
#: Work kind of an agent dialling a callback.
DIAL = 4


def _draw(blocks: list[np.ndarray], caller: int, column: Optional[int] = None) -> Optional[float]:
    """Caller ``caller``'s draw from per-block arrays (None for backlog callers, who have none)."""
    if caller < 0 or not blocks:
        return None
    b, r = divmod(caller, BLOCK)
    row = blocks[b][r]
    return float(row if column is None else row[column])


class CallbackDesk:
    """What every callback kind shares: offers, due attempts per home group, dialling, hand-over, log columns."""

    def __init__(self, holding: "Holding", centre: "DepartmentCentre", scenario: Scenario,
                 streams: RandomStreams) -> None:
        self.h = holding
        c = self.c = centre
        cb = self.cb = scenario.callback
        assert cb is not None
        self.code = _KIND_CODE[cb.kind]
        self.offer_on = True  # a researcher's process may switch the offer off and on
        self.offer_at_arrival = cb.offer == "at_arrival"
        # sparse per-call columns (the call log fills in the defaults)
        self.requested: dict[int, float] = {}
        self.due_at: dict[int, float] = {}
        self.unreached: set[int] = set()
        self.offered: set[int] = set()
        self.virtual: set[int] = set()  # callers on virtual hold (kept in place: renumbered in place)
        # an agent's place in their group (reserved callbacks: the group's first reserved_agents take them)
        seen = [0] * c.n_groups
        self.place_in_group = []
        for g in c.group_of_agent:
            self.place_in_group.append(seen[g])
            seen[g] += 1
        self.callbacks_due = self._task_lines(scenario)
        self._due_callbacks = [self._callback_due]
        self.retry_callbacks = self._due_callbacks  # where the next attempt of an unanswered callback goes
        self.streams = streams
        # neglect: requests promised and not yet worked, reviewed while there are any (None without neglect)
        neglect = getattr(cb, "neglect", None)
        self.promises: Optional[PromiseReview] = None if neglect is None else PromiseReview(
            neglect, centre.kernel, streams["callback_neglect"], centre.horizon, self._neglect_chances, self._forget)
        self.accept: list[float] = []  # by caller - caller_base
        self.blocks_answer: list[np.ndarray] = []  # by block of BLOCK callers

    def _task_lines(self, scenario: Scenario) -> list:
        """One line of due tasks ``(call, attempt)`` per group, by priority class when types have priorities."""
        priorities = [t.priority for t in scenario.call_types or ()]
        if len(set(priorities)) > 1:
            ranks = priority_ranks(priorities)
            return [PriorityTasks(ranks, self.c.ctype) for _ in range(self.c.n_groups)]
        return [deque() for _ in range(self.c.n_groups)]

    # -- per-caller draws -------------------------------------------------------------------
    def draw_block(self, n: int) -> None:
        self.accept.extend(self.streams["callback_accept"].random(BLOCK)[:n].tolist())
        self.blocks_answer.append(self.streams["callback_answer"].random((BLOCK, self.cb.attempts))[:n])

    def caller_blocks(self) -> list[list]:
        return [self.blocks_answer]

    def accepts(self, caller: int) -> bool:
        """The caller offered a callback at arrival accepts it."""
        return caller >= 0 and self.accept[caller - self.c._caller_base] < self.cb.acceptance

    # -- taking a callback ------------------------------------------------------------------
    def take(self, i: int, caller: int, now: float) -> bool:
        """Call ``i`` takes a callback now: its hold ends (its leg ends, outcome ``callback``). False when the
        caller stays in the lines (virtual hold), True when they left them."""
        c = self.c
        self.requested[i] = now
        c.patience[i] = math.inf  # no longer on hold: never abandons from here
        c._end_leg(i, now, -1, CALLBACK_LEG)
        return self._book(i, caller, now)

    def _book(self, i: int, caller: int, now: float) -> bool:
        raise NotImplementedError

    def _promise(self, i: int) -> None:
        """Call ``i``'s request waits to be worked: under ``neglect`` it may be forgotten meanwhile."""
        if self.promises is not None:
            self.promises.promise(i)

    def _neglect_chances(self, calls: list[int]) -> list[float]:
        """Each pending request's chance of being forgotten now: from the share of busy agents in its home group."""
        c = self.c
        chance = []
        for g in range(c.n_groups):
            on_duty, busy = c.agent_counts(g)  # nobody on duty: nobody to be stretched, nothing forgotten
            chance.append(self.promises.neglect.probability(busy / on_duty) if on_duty else 0.0)
        return [chance[self._home(i)] for i in calls]

    def _forget(self, i: int) -> None:
        self.unreached.add(i)

    def _callback_due(self, event: Timer) -> None:
        i, _ = event.value
        if i in self.unreached:
            return  # forgotten
        g = self._home(i)
        self.callbacks_due[g].append(event.value)
        self._wake(g)

    def _home(self, i: int) -> int:
        c = self.c
        return c.type_groups[c.ctype[i]][0]

    def _wake(self, group: int) -> None:
        """Give newly due work to an idle agent of ``group``, if any."""
        c = self.c
        agent = c._pop_idle(group)
        if agent >= 0 and not c._next_task(agent, c.env.now):
            c._make_idle(agent)

    # -- a freed agent's next task -----------------------------------------------------------
    def _may_take_callback(self, agent: int, group: int) -> bool:
        cb = self.cb
        if cb.priority == "strict":
            return True
        if cb.priority == "reserved":
            return self.place_in_group[agent] < cb.reserved_agents
        return sum(self.h.live[group]) <= cb.short_queue  # callers (live or on virtual hold) in the group's lines

    def before_inbound(self, agent: int, now: float) -> bool:
        """``agent`` takes a due callback before the inbound lines."""
        g = self.c.group_of_agent[agent]
        due = self.callbacks_due[g]
        return bool(due) and self._may_take_callback(agent, g) and self._dial_next(due, agent, now)

    def after_inbound(self, agent: int, now: float) -> bool:
        """Nobody waits in ``agent``'s lines: a due callback, unless they are reserved for others."""
        due = self.callbacks_due[self.c.group_of_agent[agent]]
        return bool(due) and self.cb.priority != "reserved" and self._dial_next(due, agent, now)

    def _dial_next(self, due, agent: int, now: float) -> bool:
        """``agent`` dials the next due callback of ``due`` not forgotten meanwhile; False if none is left."""
        while due:
            i, attempt = due.popleft()
            if i not in self.unreached:
                self._dial(i, attempt, agent, now)
                return True
        return False

    def reach(self, i: int, agent: int, now: float) -> None:
        """``agent`` reached call ``i``'s virtual entry in its lines: it leaves them, and the agent dials."""
        self.c.waiting[i] = False
        self.h.left_lines(i)
        self.virtual.discard(i)
        self._dial(i, 1, agent, now)

    def _dial(self, i: int, attempt: int, agent: int, now: float) -> None:
        """Customer ``i`` is called back (attempt number ``attempt``) for ``agent``: agent-first, the agent dials
        and waits ``dial_time``; customer-first, the system dials and the agent is taken only if the customer
        answers (``connect_time``), else goes on to its next task at once."""
        c = self.c
        cb = self.cb
        u = _draw(self.blocks_answer, c.caller[i], attempt - 1)
        picked = u is not None and u < cb.answer_probability
        c.busy[agent] = True
        if self.promises is not None:
            self.promises.worked(i)  # worked now; a retry is promised again
        customer_first = cb.dial == "customer_first"
        lead = cb.connect_time if customer_first else cb.dial_time  # the agent's time before the talk
        if picked:  # the agent talks from when the customer is on the line, ``lead`` s from now
            c._work(agent, now, now + lead, i, DIAL)
            c._serve(i, agent, now, lead)
            return
        if attempt < cb.attempts:
            c.kernel.later(cb.dial_time + cb.retry_spacing, (i, attempt + 1), self.retry_callbacks)
            self._promise(i)
        else:
            self._attempts_exhausted(i)
        if customer_first:  # nobody answered: no agent time (the agent's next task comes as an event now)
            c.kernel.later(0.0, agent, c._release_callbacks)
            return
        c._work(agent, now, now + lead, i, DIAL)
        c.kernel.later(lead, agent, c._release_callbacks)

    def _attempts_exhausted(self, i: int) -> None:
        self.unreached.add(i)

    # -- handing calls over while running -----------------------------------------------------
    def _task_timers(self) -> tuple[list, ...]:
        """Callback lists of this desk's pending events whose value is ``(call, ...)``."""
        return (self._due_callbacks,)

    def _call_timers(self) -> tuple[list, ...]:
        """Callback lists of this desk's pending events whose value is a call."""
        return ()

    def _task_line_sets(self) -> tuple[list, ...]:
        return (self.callbacks_due,)

    def cut(self, cut: int) -> int:
        """Lower ``cut`` below every call a due task or a pending event of this desk refers to."""
        for lines in self._task_line_sets():
            for due in lines:
                for i, _ in due:
                    cut = min(cut, i)
        tasks, calls = self._task_timers(), self._call_timers()
        for event in self.c.kernel.pending():
            callbacks = event.callbacks
            if any(callbacks is t for t in tasks):
                cut = min(cut, event.value[0])
            elif any(callbacks is t for t in calls):
                cut = min(cut, event.value)
        return cut

    def drop_callers(self, trim: int) -> None:
        if trim > 0:
            del self.accept[:trim]

    def renumber(self, done: int) -> None:
        """The first ``done`` calls were handed over (after the centre's columns): renumber the rest."""
        for name in ("requested", "due_at", "unreached", "offered"):
            setattr(self, name, _shift(getattr(self, name), done))
        if self.promises is not None:
            self.promises.renumber(done)
        held = _shift(self.virtual, done)
        self.virtual.clear()
        self.virtual.update(held)
        for lines in self._task_line_sets():
            for due in lines:
                tasks = [(i - done, attempt) for i, attempt in due]
                due.clear()
                due.extend(tasks)
        tasks, calls = self._task_timers(), self._call_timers()
        for event in self.c.kernel.pending():
            callbacks = event.callbacks
            if any(callbacks is t for t in tasks):
                event.value = (event.value[0] - done, event.value[1])
            elif any(callbacks is t for t in calls):
                event.value -= done

    # -- output -----------------------------------------------------------------------------
    def columns(self, n: int) -> dict[str, Any]:
        """The call log's callback columns for the first ``n`` calls held."""
        requested = _dense(self.requested, n, math.nan, np.float64)
        return dict(callback=np.where(np.isfinite(requested), self.code, 0).astype(np.int8), requested=requested,
                    callback_offered=_mask(self.offered, n), callback_due=_dense(self.due_at, n, math.nan, np.float64))


class VirtualHoldDesk(CallbackDesk):
    """Virtual hold: the caller keeps their place in every line they wait in; the agent who reaches them dials."""

    def _book(self, i: int, caller: int, now: float) -> bool:
        self.virtual.add(i)
        self.c.waiting[i] = True  # its entries stay in the lines (and counted live)
        return False


class ScheduledDesk(CallbackDesk):
    """A scheduled callback: the first slot at least ``lead_time`` ahead that is not full."""

    def __init__(self, holding: "Holding", centre: "DepartmentCentre", scenario: Scenario,
                 streams: RandomStreams) -> None:
        super().__init__(holding, centre, scenario, streams)
        self.slots: dict[int, int] = {}

    def _book(self, i: int, caller: int, now: float) -> bool:
        self.h.left_lines(i)
        self.due_at[i] = due = book_slot(self.slots, now, self.cb)
        self.c.kernel.later(due - now, (i, 1), self._due_callbacks)
        self._promise(i)
        return True

    def renumber(self, done: int) -> None:
        super().renumber(done)
        first = int(self.c.env.now // self.cb.slot_length)  # slots already past are never booked again
        self.slots = {k: v for k, v in self.slots.items() if k >= first}


class WebFormDesk(CallbackDesk):
    """'Someone will contact you': a request worked when due if the promise is kept; a broken one may bring the
    caller back; inside ``web_hours`` due requests come before inbound callers, and are worked only then."""

    def __init__(self, holding: "Holding", centre: "DepartmentCentre", scenario: Scenario,
                 streams: RandomStreams) -> None:
        super().__init__(holding, centre, scenario, streams)
        cb = self.cb
        self.web_due = self._task_lines(scenario)
        self._web_due_callbacks = [self._web_due]
        self._deadline_callbacks = [self._web_deadline]
        self._window_callbacks = [self._web_window_opens]
        self.retry_callbacks = self._web_due_callbacks
        hours = cb.web_hours
        self.web_hours: Optional[list[tuple[float, float]]] = sorted((w.start, w.end) for w in hours) if hours else None
        self.web_open = 0  # requests taken whose deadline has not passed
        self.window_pending = False
        self._contact_delay_pool = _Pool(cb.contact_delay, self.streams["web_form_delay"])
        self.blocks_kept: list[np.ndarray] = []
        self.blocks_delay: list[np.ndarray] = []
        self.blocks_broken: list[np.ndarray] = []

    def draw_block(self, n: int) -> None:
        super().draw_block(n)
        self.blocks_kept.append(self.streams["web_form"].random(BLOCK)[:n])
        self.blocks_broken.append(self.streams["web_form_redial"].random(BLOCK)[:n])
        self.blocks_delay.append(self._contact_delay_pool.take(n))

    def caller_blocks(self) -> list[list]:
        return super().caller_blocks() + [self.blocks_kept, self.blocks_delay, self.blocks_broken]

    def _book(self, i: int, caller: int, now: float) -> bool:
        c, cb = self.c, self.cb
        self.h.left_lines(i)
        kept = _draw(self.blocks_kept, caller)
        delay = _draw(self.blocks_delay, caller)
        if kept is not None and kept < cb.follow_through and delay is not None and delay < cb.late_after:
            self.due_at[i] = now + delay
            c.kernel.later(delay, (i, 1), self._web_due_callbacks)
            self._promise(i)
        c.kernel.later(cb.late_after, i, self._deadline_callbacks)
        self.web_open += 1
        if self.web_hours is not None and not self.window_pending:
            self._schedule_web_window(now)
        return True

    def _attempts_exhausted(self, i: int) -> None:
        pass  # the promise's deadline settles it

    def _web_due(self, event: Timer) -> None:
        i, _ = event.value
        if i in self.unreached:
            return
        g = self._home(i)
        self.web_due[g].append(event.value)
        if self.web_hours is None or in_web_hours(self.web_hours, self.c.env.now):
            self._wake(g)

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
        if self.promises is not None:
            self.promises.worked(i)  # past its deadline: no longer pending
        if c.agent_of[i] >= 0:
            return
        self.unreached.add(i)
        value = broken_promise_redial(c, i, _draw(self.blocks_broken, c.caller[i]))
        if value is not None:
            c.kernel.later(0.0, value, c._redial_callbacks)

    def before_inbound(self, agent: int, now: float) -> bool:
        if super().before_inbound(agent, now):
            return True
        g = self.c.group_of_agent[agent]
        if self.web_hours is not None and self.web_due[g] and in_web_hours(self.web_hours, now):
            return self._take_web_request(agent, g, now)
        return False

    def after_inbound(self, agent: int, now: float) -> bool:
        if super().after_inbound(agent, now):
            return True
        return self.web_hours is None and self._take_web_request(agent, self.c.group_of_agent[agent], now)

    def _take_web_request(self, agent: int, group: int, now: float) -> bool:
        due = self.web_due[group]
        while due:
            i, attempt = due.popleft()
            if i in self.unreached:
                continue
            self._dial(i, attempt, agent, now)
            return True
        return False

    def _task_timers(self) -> tuple[list, ...]:
        return super()._task_timers() + (self._web_due_callbacks,)

    def _call_timers(self) -> tuple[list, ...]:
        return (self._deadline_callbacks,)

    def _task_line_sets(self) -> tuple[list, ...]:
        return (self.callbacks_due, self.web_due)


_DESKS = {"virtual_hold": VirtualHoldDesk, "scheduled": ScheduledDesk, "web_form": WebFormDesk}


def callback_desk(holding: "Holding", centre: "DepartmentCentre", scenario: Scenario,
                  streams: RandomStreams) -> Optional[CallbackDesk]:
    """The desk of the scenario's callback kind, or None without a callback option."""
    if scenario.callback is None:
        return None
    return _DESKS[scenario.callback.kind](holding, centre, scenario, streams)
