"""Hold announcements and callbacks: the contact centre with policies switched on.

:class:`PolicyCentre` extends :class:`~queuesim.engine.centre.ContactCentre`
and is used only when a scenario has informative announcements or a callback
option (generic announcements need no events: they are folded into each
caller's patience when the caller arrives, see ``ContactCentre``). Here
abandonment is an event, so the centre always knows who is still waiting,
and agents choose their next task among three queues:

* **due callbacks** (virtual-hold retries, scheduled slots): by the
  ``priority`` policy: ``strict`` (before inbound callers), ``reserved``
  (only the first ``reserved_agents`` agents take them, before inbound),
  ``when_short`` (only when at most ``short_queue`` callers wait);
* **inbound callers**, first come first served; a virtual-hold caller keeps
  their place here and is called back when they reach the front;
* **web-form requests** that are due, only when nothing else waits.

A callback attempt takes ``dial_time`` of the agent's time (``dial:
agent_first``); the customer picks up with ``answer_probability`` (then the
talk takes their handle time), else the next attempt comes ``dial_time +
retry_spacing`` later, up to ``attempts``. With ``dial: customer_first`` the
system dials: the agent spends ``connect_time`` on a customer who answers, and
no time on one who does not (the agent's next task comes at once, as an event).

With ``neglect`` (scheduled callbacks, web forms), the requests promised and not
yet worked are reviewed every ``neglect.review`` while there are any: each is
forgotten (a broken promise) with the chance the share of busy agents gives.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import chain
from dataclasses import replace
from heapq import heappush
from typing import Callable, Optional, Sequence

import numpy as np

from ..measure.calllog import ANSWERED, BALKED, CALLBACK_KINDS, UNREACHED
from ..rng import RandomStreams
from ..model.scenario import Scenario
from .arrivals import BLOCK
from .centre import ContactCentre, _Pool
from .kernel import NORMAL, PATIENCE, Timer
from .priority import PriorityTasks

__all__ = ["PolicyCentre", "CALLBACK_KINDS"]

_KIND_CODE = {"virtual_hold": 1, "scheduled": 2, "web_form": 3}


class _Fenwick:
    """Counts by entry sequence number: add and prefix sum in O(log n); grows by doubling in O(n)."""

    __slots__ = ("tree", "size")

    def __init__(self, size: int = 1024) -> None:
        self.size = size  # a power of two
        self.tree = [0] * (size + 1)

    def add(self, index: int, delta: int) -> None:
        size, tree = self.size, self.tree
        while index >= size:
            # doubling: the new root covers the old root's range plus new zeros; the other new nodes cover zeros only
            tree.extend([0] * size)
            tree[2 * size] = tree[size]
            size *= 2
        self.size = size
        k = index + 1
        while k <= size:
            tree[k] += delta
            k += k & -k

    def prefix(self, index: int) -> int:
        """Sum over entries ``0..index`` (inclusive); 0 for ``index < 0``."""
        tree, k, total = self.tree, min(index + 1, self.size), 0
        while k > 0:
            total += tree[k]
            k -= k & -k
        return total


def _dense(values: dict, n: int, default: float, dtype) -> np.ndarray:
    """A column of the first ``n`` calls from its sparse ``{call: value}`` entries (others ignored)."""
    out = np.full(n, default, dtype=dtype)
    if values:
        keys = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
        mine = keys < n
        out[keys[mine]] = np.asarray(list(values.values()), dtype=dtype)[mine]
    return out


def _mask(calls: set, n: int) -> np.ndarray:
    """Which of the first ``n`` calls are in ``calls`` (others ignored)."""
    out = np.zeros(n, dtype=bool)
    if calls:
        keys = np.fromiter(calls, dtype=np.int64, count=len(calls))
        out[keys[keys < n]] = True
    return out


def _shift(values, done: int):
    """A sparse column (dict or set) of calls renumbered after the first ``done`` were handed over."""
    if isinstance(values, dict):
        return {k - done: v for k, v in values.items() if k >= done}
    return {k - done for k in values if k >= done}


def in_web_hours(hours, now: float) -> bool:
    """``now`` (s) falls in one of the daily web-form blocks ``hours`` ((start, end) s after midnight)."""
    t = now % 86400.0
    return any(start <= t < end for start, end in hours or ())


def next_web_opening(hours, now: float) -> float:
    """The next start of a daily web-form block (s), strictly after ``now``."""
    day = math.floor(now / 86400.0) * 86400.0
    return min(d + start for d in (day, day + 86400.0) for start, _ in hours if d + start > now)


def broken_promise_redial(centre, i: int, again: Optional[float]) -> Optional[tuple]:
    """The redial of the caller of call ``i`` whose web-form promise broke (``again``: their uniform draw),
    as the value of a redial event, or None. A broken promise brings the caller back within
    ``redial.max_attempts`` calls in all (once without redials): never an endless chain of promises."""
    redial, cb = centre.scenario.redial, centre.scenario.callback
    limit = redial.max_attempts if redial is not None else 2
    if centre.attempt[i] >= limit or again is None or cb is None or again >= cb.redial_if_broken:
        return None
    return (centre.handle[i], centre._fresh_patience(i), centre.ctype[i], centre.caller[i], centre.attempt[i] + 1)


def book_slot(slots: dict[int, int], now: float, cb) -> float:
    """Book the first scheduled-callback slot that starts at least ``cb.lead_time`` after ``now`` (s) and is
    not full (``slots``: bookings by slot number, updated); return its start (s, never before ``now``)."""
    earliest = now + cb.lead_time
    k = int(math.ceil(earliest / cb.slot_length - 1e-12))
    while k * cb.slot_length < now:  # a slot so long that the rounding allowance reaches back past now
        k += 1
    while slots.get(k, 0) >= cb.slot_capacity:
        k += 1
    slots[k] = slots.get(k, 0) + 1
    return k * cb.slot_length


#: At most this many repeated messages per call (a caller on hold for 1,000 messages,
#: 33 hours at one every 2 minutes, hears no more: keeps absurd configs finite).
MAX_MESSAGES = 1000


class PromiseReview:
    """Requests promised and not yet worked (scheduled callbacks, web forms) under ``callback.neglect``.

    While any are pending they are reviewed every ``neglect.review`` s: each review forgets each pending request
    (a broken promise) with the chance the load of the agents who would work it gives
    (:meth:`~queuesim.model.callbacks.Neglect.probability`), one uniform per request in call order. Reviews go
    on while requests are pending and, after the horizon, while some other event may still change something
    (requests no agent will ever work must not keep the run going). The one-pool policy centre has one; so has
    each callback desk of the department centre.

    ``chances(calls)``: each call's chance of being forgotten at this review (from the load now); ``forget(i)``:
    call ``i``'s promise is broken."""

    def __init__(self, neglect, kernel, rng: np.random.Generator, horizon: float,
                 chances: Callable[[list[int]], Sequence[float]], forget: Callable[[int], None]) -> None:
        self.neglect = neglect
        self.kernel = kernel
        self.rng = rng
        self.horizon = horizon
        self.chances = chances
        self.forget = forget
        self.pending: set[int] = set()
        self.review_pending = False
        self._review_callbacks = [self._review]

    def promise(self, i: int) -> None:
        """Call ``i``'s request waits to be worked (again): it may be forgotten meanwhile."""
        self.pending.add(i)
        if not self.review_pending:
            self.review_pending = True
            self.kernel.later(self.neglect.review, None, self._review_callbacks)

    def worked(self, i: int) -> None:
        """An agent works call ``i``'s request now, or its deadline has passed: no longer pending."""
        self.pending.discard(i)

    def _review(self, event: Timer) -> None:
        self.review_pending = False
        if not self.pending:
            return
        calls = sorted(self.pending)
        for i, u, chance in zip(calls, self.rng.random(len(calls)), self.chances(calls)):
            if u < chance:
                self.pending.discard(i)
                self.forget(i)
        review = self._review_callbacks
        if self.pending and (self.kernel.now < self.horizon
                             or any(event.callbacks is not review for event in self.kernel.pending())):
            self.review_pending = True
            self.kernel.later(self.neglect.review, None, review)

    def renumber(self, done: int) -> None:
        """The first ``done`` calls were handed over: renumber the pending requests."""
        self.pending = _shift(self.pending, done)


class PolicyCentre(ContactCentre):
    """A contact centre with informative announcements and/or a callback option."""

    _idle_flags_exact = True  # is_idle is kept exact with or without shift changes

    def __init__(self, scenario: Scenario, streams: RandomStreams, on_calls=None) -> None:
        super().__init__(scenario, streams, on_calls)
        self._eager = True
        self.announce = scenario.announcements if (
            scenario.announcements is not None and scenario.announcements.kind == "informative") else None
        self.cb = scenario.callback
        # calls and callers differ with redials (base class) and broken web-form promises (a caller calls
        # again); otherwise call i is caller i's first attempt, and the per-call caller columns are not kept
        self._rich = self._rich or (self.cb is not None and self.cb.kind == "web_form")
        # what happens to a caller who finds nobody free, decided once
        self._offer_at_arrival = self.cb is not None and self.cb.offer == "at_arrival"
        self._offer_on = True  # a researcher's process may switch the offer off and on (set_callback_offer)
        announce = self.announce
        self._announce_at_arrival = announce is not None and announce.first == 0
        first = None if announce is None else (announce.first if announce.first > 0 else announce.every)
        self._first_message = None if first is None else first + announce.length  # delay of the first message after joining
        # call-level policy columns, kept sparse (most calls never wait, take a callback or balk):
        # nothing is appended per call; the call log fills in the defaults
        self.cb_kind: dict[int, int] = {}  # default 0 (none)
        self.requested: dict[int, float] = {}  # default nan
        self.predicted: dict[int, float] = {}  # default nan
        self.due_at: dict[int, float] = {}  # default nan
        self.balked: set[int] = set()
        self.unreached: set[int] = set()
        self.virtual: set[int] = set()
        self.offered_cb: set[int] = set()
        self.qseq: dict[int, int] = {}  # entry sequence number of calls that joined the inbound queue
        self.extra_work: list[tuple[int, float, float]] = []
        # queue bookkeeping
        # callers ahead of a waiting caller = entries before it - those gone from the head (all before it:
        # the queue is served in entry order) - those gone from the middle before it (hang-ups, balks, callbacks)
        self._seq = 0
        self._head_gone = 0
        # the queue-length predictor's fast forms (one FCFS line: a Fenwick tree of those gone); with
        # priority classes the callers ahead are counted in the lines (see _ahead_in_lines)
        self._track_ahead = (self.announce is not None and self.announce.predictor == "queue_length"
                             and not self.prioritised)
        self._offer_by_queue = self.cb is not None and self.cb.predictor == "queue_length" and not self.prioritised
        # with priority classes, the last wait answered live in each class (last-to-enter-service predictor)
        self.last_les_by_rank = [0.0] * (len(self.queue.lines) if self.prioritised else 1)
        self._gone = _Fenwick()
        self.n_waiting = 0
        self.last_les_wait = 0.0
        self.busy_until = [0.0] * len(self.duty)
        self.n_on_duty = 0 if self._varying else len(self.duty)
        self._last_duty_start = max((start for agent in self.duty for start, _ in agent), default=0.0)
        self._messages: dict[int, int] = {}
        # Recorded messages: every caller's first message comes the same delay after joining, and every
        # repeat the same interval after the last, so each kind is due in the order it was scheduled.
        # Each kind waits in a FIFO of heap keys (time, event id taken when scheduled, as a Timeout's);
        # only the FIFO's head is on the event heap (same key: same order of events). Messages of callers
        # already answered, gone or on virtual hold, which would do nothing, never reach the heap.
        self._first_messages: deque[tuple[float, int, int]] = deque()
        self._repeat_messages: deque[tuple[float, int, int]] = deque()
        self._first_message_timer = Timer()
        self._first_message_timer.value = self._first_messages
        self._repeat_message_timer = Timer()
        self._repeat_message_timer.value = self._repeat_messages
        # callback lists of the one-off timers (shared: Environment.step never changes them)
        self._message_callbacks = [self._message]
        self._callback_due_callbacks = [self._callback_due]
        self._web_due_callbacks = [self._web_due]
        self._web_deadline_callbacks = [self._web_deadline]
        # due callback attempts and web-form requests, (call, attempt), in the order they fell due (by priority
        # class first when call types have different priorities)
        self.callbacks_due: deque[tuple[int, int]] = deque()
        self.web_due: deque[tuple[int, int]] = deque()
        if self.prioritised:
            self.callbacks_due = PriorityTasks(self.queue.rank_of_type, self.ctype)  # type: ignore[assignment]
            self.web_due = PriorityTasks(self.queue.rank_of_type, self.ctype)  # type: ignore[assignment]
        self.slots: dict[int, int] = {}
        # the centre's mean handle time, over types weighted by expected arrivals
        self.mean_handle = super().mean_handle_time()
        # per-caller draws, by block (caller c -> block c // BLOCK, row c % BLOCK)
        self._tolerance_pool = _Pool(self.announce.tolerance, streams["tolerance"]) if self.announce else None
        self._tolerance: list[float] = []  # by caller (read for every caller told a wait)
        self._accept: list[float] = []  # by caller (read for every caller offered a callback)
        self._blocks_answer: list[np.ndarray] = []
        self._blocks_kept: list[np.ndarray] = []
        self._blocks_delay: list[np.ndarray] = []
        self._blocks_broken: list[np.ndarray] = []
        if self.cb is not None and self.cb.kind == "web_form":
            self._contact_delay_pool = _Pool(self.cb.contact_delay, streams["web_form_delay"])
        # web-form hours: daily blocks (s after midnight) in which due requests come first, and the only
        # times they are worked; a timer wakes idle agents when a block opens, while requests are open
        hours = self.cb.web_hours if self.cb is not None else None
        self._web_hours: Optional[list[tuple[float, float]]] = sorted((w.start, w.end) for w in hours) if hours else None
        self._web_open = 0  # web-form requests taken whose deadline has not passed
        self._web_window_pending = False
        self._web_window_callbacks = [self._web_window_opens]
        # neglect: requests promised and not yet worked, reviewed while there are any (None without neglect)
        neglect = getattr(self.cb, "neglect", None)
        self.promises: Optional[PromiseReview] = None if neglect is None else PromiseReview(
            neglect, self.kernel, streams["callback_neglect"], self.horizon, self._neglect_chances, self._forget)

    def _later(self, delay: float, value, callbacks: list) -> None:
        """``Timeout(env, delay, value)`` with ``callbacks`` (a shared list): :meth:`Kernel.later`."""
        self.kernel.later(delay, value, callbacks)

    # -- per-caller draws ------------------------------------------------------
    def _draw_block(self) -> bool:
        if not super()._draw_block():
            return False
        n = len(self._pending_t)
        if self._tolerance_pool is not None:
            self._tolerance.extend(self._tolerance_pool.take(n).tolist())
        if self.cb is not None:
            self._accept.extend(self.streams["callback_accept"].random(BLOCK)[:n].tolist())
            self._blocks_answer.append(self.streams["callback_answer"].random((BLOCK, self.cb.attempts))[:n])
            if self.cb.kind == "web_form":
                self._blocks_kept.append(self.streams["web_form"].random(BLOCK)[:n])
                self._blocks_broken.append(self.streams["web_form_redial"].random(BLOCK)[:n])
                self._blocks_delay.append(self._contact_delay_pool.take(n))
        return True

    def _caller_draw(self, blocks: list[np.ndarray], caller: int, column: Optional[int] = None) -> Optional[float]:
        if caller < 0 or not blocks:
            return None
        b, r = divmod(caller, BLOCK)
        row = blocks[b][r]
        return float(row if column is None else row[column])

    # -- prediction ------------------------------------------------------------
    def _ahead(self, i: int) -> int:
        """Callers (live or virtual) ahead of call ``i`` (waiting in the inbound queue)."""
        if self.prioritised:
            return self._ahead_in_lines(i, joining=i not in self.qseq)
        s = self.qseq.get(i, -1)
        if s < 0:
            return self.n_waiting
        if self._track_ahead:
            return s - self._head_gone - self._gone.prefix(s - 1)
        qseq, flags = self.qseq, self.abandoned_flag
        return sum(1 for j in self.queue if qseq[j] < s and not flags[j])

    def _predict(self, i: int, now: float, predictor: str, joining: bool) -> float:
        """Predicted remaining wait (s) of call ``i`` (``joining``: not yet in the queue).

        With priority classes every predictor looks at the caller's own class: the callers ahead are
        those of higher classes and the earlier ones of the caller's class; the last wait answered and
        the head of the line are those of the caller's class.
        """
        elapsed = 0.0 if joining else now - self.arrival[i]
        if predictor == "queue_length":
            if self.prioritised:
                ahead = self._ahead_in_lines(i, joining)
            else:
                ahead = self.n_waiting if joining else self._ahead(i)
            return (ahead + 1) * self.mean_handle / max(self.n_on_duty, 1)
        if predictor == "last_to_enter_service":
            last = self.last_les_by_rank[self._rank(i)] if self.prioritised else self.last_les_wait
            return max(last - elapsed, 0.0)
        if predictor == "head_of_line":
            head = self._head(self.queue.lines[self._rank(i)] if self.prioritised else self.queue)
            hol = now - self.arrival[head] if head >= 0 else 0.0
            return max(hol - elapsed, 0.0)
        # oracle: remaining work of the busy agents and of the callers ahead, shared by the agents on
        # duty: exact for one agent when nobody ahead abandons (a yardstick, not realisable)
        flags, handle = self.abandoned_flag, self.handle
        if self.prioritised:
            rank = self._rank(i)
            lines = self.queue.lines
            ahead = sum(handle[j] for r in range(rank + 1) for j in lines[r]
                        if not flags[j] and (joining or r < rank or j < i))
        else:
            ahead = sum(handle[j] for j in self.queue if not flags[j] and (joining or j < i))
        residual = sum(max(t - now, 0.0) for a, t in enumerate(self.busy_until) if self.busy[a])
        return (residual + ahead) / max(self.n_on_duty, 1)

    def _head(self, line) -> int:
        """The first live (or virtual) call of ``line`` (the queue, or one priority class's line), or -1;
        calls gone from its head are dropped on the way."""
        flags = self.abandoned_flag
        while line and flags[line[0]]:
            line.popleft()
        return line[0] if line else -1

    # -- priority classes (call types of different priorities: one FCFS line per class) --------
    def _rank(self, i: int) -> int:
        """The priority class of call ``i`` (0: served first)."""
        return self.queue.rank_of_type[self.ctype[i]]

    def _ahead_in_lines(self, i: int, joining: bool) -> int:
        """Callers (live or virtual) ahead of call ``i``: every one in a higher class, and those of its own
        class before it (all of them if ``i`` is joining)."""
        flags, rank = self.abandoned_flag, self._rank(i)
        lines = self.queue.lines
        ahead = sum(1 for r in range(rank) for j in lines[r] if not flags[j])
        for j in lines[rank]:
            if not joining and j == i:
                break
            if not flags[j]:
                ahead += 1
        return ahead


    # -- arrival -----------------------------------------------------------------
    def _enter(self, handle: float, patience: float, ctype: int, caller: int, attempt: int) -> None:
        now = self.env.now
        # _record_call inlined (abandonment is an event here)
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
        self.abandoned_flag.append(False)
        idle = self.idle
        if idle:
            is_idle = self.is_idle
            while idle:
                agent = idle.popleft()
                if is_idle[agent]:
                    is_idle[agent] = False
                    # answered at once (_start without the queue's bookkeeping)
                    self.answer[i] = now
                    self.agent_of[i] = agent
                    self.busy[agent] = True
                    self.busy_until[agent] = now + handle
                    due = self._service_due[agent]
                    due.callbacks = self._finish_callbacks
                    due.value = agent
                    heappush(self._heap, (now + handle, NORMAL, next(self._eid), due))
                    return
        # nobody is free: offer a callback at once, and/or play the first message now
        if self._offer_at_arrival:
            cb = self.cb
            if self._offer_by_queue:  # _predict's commonest case, inlined
                n = self.n_on_duty
                predicted = (self.n_waiting + 1) * self.mean_handle / (n if n > 1 else 1)
            else:
                predicted = self._predict(i, now, cb.predictor, joining=True)
            self.predicted[i] = predicted
            if predicted > cb.threshold:
                self.offered_cb.add(i)
                if caller >= 0 and self._accept[caller - self._caller_base] < cb.acceptance and self._take_callback(i, caller, now, True):
                    return
        if self._announce_at_arrival and self._announce(i, caller, now, joining=True):
            return
        # join the queue (_join inlined), with the timers of patience and of the first message
        self.queue.append(i)
        self.qseq[i] = self._seq
        self._seq += 1
        self.n_waiting += 1
        eid = self._eid
        patience = self.patience[i]
        if patience < math.inf:
            timer = Timer()
            timer.callbacks = self._renege_callbacks
            timer.value = i
            heappush(self._heap, (now + patience, PATIENCE, next(eid), timer))
        if self._first_message is not None:
            fifo = self._first_messages
            fifo.append((now + self._first_message, next(eid), i))
            if len(fifo) == 1:
                timer = self._first_message_timer
                timer.callbacks = self._message_callbacks
                heappush(self._heap, (fifo[0][0], NORMAL, fifo[0][1], timer))

    def _join(self, i: int, now: float) -> None:
        self.queue.append(i)
        self.qseq[i] = self._seq
        self._seq += 1
        self.n_waiting += 1
        patience = self.patience[i]
        if patience < math.inf:
            timer = Timer()
            timer.callbacks = self._renege_callbacks
            timer.value = i
            heappush(self._heap, (now + patience, PATIENCE, next(self._eid), timer))

    def _leave_queue(self, i: int) -> None:
        """Call ``i`` leaves the inbound queue from the middle (not served from the head)."""
        s = self.qseq.get(i, -1)
        if s >= 0:
            if self._track_ahead:
                self._gone.add(s, 1)
            self.n_waiting -= 1

    # -- announcements -----------------------------------------------------------
    def _message(self, event: Timer) -> None:
        """The head of a FIFO of messages is due: play it; put the next live message of the FIFO on the heap."""
        fifo = event.value
        i = fifo.popleft()[2]
        agent_of, flags, virtual = self.agent_of, self.abandoned_flag, self.virtual
        while fifo:
            j = fifo[0][2]
            if agent_of[j] >= 0 or flags[j] or j in virtual:
                fifo.popleft()  # would do nothing (see below): never mind it
                continue
            event.callbacks = self._message_callbacks
            heappush(self._heap, (fifo[0][0], NORMAL, fifo[0][1], event))
            break
        if agent_of[i] >= 0 or flags[i] or i in virtual:
            return
        now = self.env.now
        caller = self.caller[i] if self._rich else i + self._offset
        if self._announce(i, caller, now, joining=False):
            return
        if self.n_on_duty == 0 and now >= self._last_duty_start:
            return  # nobody will ever answer: the recording stops (the caller stays, unserved)
        heard = self._messages.get(i, 0) + 1
        self._messages[i] = heard
        if self.announce is not None and self.announce.every is not None and heard < MAX_MESSAGES:
            fifo = self._repeat_messages
            fifo.append((now + self.announce.every, next(self._eid), i))
            if len(fifo) == 1:
                timer = self._repeat_message_timer
                timer.callbacks = self._message_callbacks
                heappush(self._heap, (fifo[0][0], NORMAL, fifo[0][1], timer))

    def _announce(self, i: int, caller: int, now: float, joining: bool) -> bool:
        """Tell call ``i`` its predicted wait; True if it left the queue (balked or took a callback)."""
        announce = self.announce
        if joining and self._track_ahead:  # queue_length: _predict's commonest case, inlined
            n = self.n_on_duty
            predicted = (self.n_waiting + 1) * self.mean_handle / (n if n > 1 else 1)
        else:
            predicted = self._predict(i, now, announce.predictor, joining)
        told = self.predicted.get(i)
        if told is None or math.isnan(told):
            self.predicted[i] = predicted + (now - self.arrival[i])
        if caller < 0 or predicted <= self._tolerance[caller - self._caller_base]:
            return False
        cb = self.cb
        if cb is not None and cb.offer == "at_announcement" and self._offer_on and predicted > cb.threshold:
            self.offered_cb.add(i)
            if self._take_callback(i, caller, now, joining):
                return True
        # hang up at once
        if not joining:
            self._leave_queue(i)
        self.abandoned_flag[i] = True
        self.balked.add(i)
        self.patience[i] = now - self.arrival[i]
        return True

    # -- callbacks -------------------------------------------------------------
    def _take_callback(self, i: int, caller: int, now: float, joining: bool) -> bool:
        cb = self.cb
        assert cb is not None
        self.cb_kind[i] = _KIND_CODE[cb.kind]
        self.requested[i] = now
        self.patience[i] = math.inf  # no longer on hold: never abandons from here
        if cb.kind == "virtual_hold":
            self.virtual.add(i)
            if joining:
                self._join(i, now)  # keeps (takes) the place in line without holding
            return True
        if not joining:
            self._leave_queue(i)
        self.abandoned_flag[i] = True  # not in the inbound queue any more
        if cb.kind == "scheduled":
            self.due_at[i] = due = book_slot(self.slots, now, cb)
            self._later(due - now, (i, 1), self._callback_due_callbacks)
            self._promise(i)
            return True
        # web form: kept with probability follow_through, after a delay; else broken
        kept = self._caller_draw(self._blocks_kept, caller)
        delay = self._caller_draw(self._blocks_delay, caller)
        if kept is not None and kept < cb.follow_through and delay is not None and delay < cb.late_after:
            self.due_at[i] = now + delay
            self._later(delay, (i, 1), self._web_due_callbacks)
            self._promise(i)
        self._later(cb.late_after, i, self._web_deadline_callbacks)
        self._web_open += 1
        if self._web_hours is not None and not self._web_window_pending:
            self._schedule_web_window(now)
        return True

    def _promise(self, i: int) -> None:
        """Call ``i``'s request waits to be worked: under ``neglect`` it may be forgotten meanwhile."""
        if self.promises is not None:
            self.promises.promise(i)

    def _neglect_chances(self, calls: list[int]) -> list[float]:
        """Each pending request's chance of being forgotten now: from the share of busy agents (one pool)."""
        on_duty, busy = self.agent_counts(None)  # nobody on duty: nobody to be stretched, nothing forgotten
        chance = self.promises.neglect.probability(busy / on_duty) if on_duty else 0.0
        return [chance] * len(calls)

    def _forget(self, i: int) -> None:
        self.unreached.add(i)

    def _callback_due(self, event: Timer) -> None:
        if event.value[0] in self.unreached:
            return  # forgotten
        self.callbacks_due.append(event.value)
        self._wake()

    def _web_due(self, event: Timer) -> None:
        i, _ = event.value
        if i in self.unreached:
            return
        self.web_due.append(event.value)
        if self._web_hours is None or self._in_web_hours(self.env.now):
            self._wake()

    def _in_web_hours(self, now: float) -> bool:
        return in_web_hours(self._web_hours, now)

    def _schedule_web_window(self, now: float) -> None:
        """Put the next opening of a web-form block (strictly after ``now``) on the heap."""
        self._web_window_pending = True
        self._later(next_web_opening(self._web_hours, now) - now, None, self._web_window_callbacks)

    def _web_window_opens(self, event: Timer) -> None:
        """A web-form block opens: idle agents take the due requests; the next opening is
        scheduled while requests are open."""
        self._web_window_pending = False
        now = self.env.now
        while self.web_due:
            agent = self._pop_idle()
            if agent < 0:
                break
            if not self._dispatch(agent, now):
                self.is_idle[agent] = True
                self.idle.append(agent)
                break
        if self._web_open > 0:
            self._schedule_web_window(now)

    def _web_deadline(self, event: Timer) -> None:
        i = event.value
        self._web_open -= 1
        if self.promises is not None:
            self.promises.worked(i)  # past its deadline: no longer pending
        if self.agent_of[i] >= 0:
            return
        self.unreached.add(i)
        value = broken_promise_redial(self, i, self._caller_draw(self._blocks_broken, self.caller[i]))
        if value is not None:
            self._redial_arrive_value(value)

    def _fresh_patience(self, i: int) -> float:
        k = self.ctype[i]
        pool = self._patience_pools[k]
        return float(pool.take(1)[0]) if pool is not None else math.inf

    def _redial_arrive_value(self, value: tuple) -> None:
        self._later(0.0, value, self._redial_callbacks)

    def _wake(self) -> None:
        """Give newly due work to an idle agent, if any."""
        agent = self._pop_idle()
        if agent >= 0:
            now = self.env.now
            if not self._dispatch(agent, now):
                self.is_idle[agent] = True
                self.idle.append(agent)

    def _attempt(self, i: int, attempt: int, agent: int, now: float) -> None:
        """Agent ``agent`` calls customer ``i`` back (attempt number ``attempt``)."""
        cb = self.cb
        assert cb is not None
        caller = self.caller[i] if self._rich else i + self._offset
        u = self._caller_draw(self._blocks_answer, caller, attempt - 1)
        picked = u is not None and u < cb.answer_probability
        self.busy[agent] = True
        if self.promises is not None:
            self.promises.worked(i)  # worked now; a retry is promised again
        customer_first = cb.dial == "customer_first"
        # the agent's time before the talk, or on an attempt nobody answers (customer-first: none)
        lead = cb.connect_time if customer_first else cb.dial_time
        if not picked and customer_first:
            lead = 0.0
        if lead > 0:
            self.extra_work.append((agent, now, now + lead))
        if picked:
            self.answer[i] = now + lead
            self.agent_of[i] = agent
            duration = lead + self.handle[i]
        else:
            duration = lead
            if attempt < cb.attempts:
                retry = self._web_due_callbacks if cb.kind == "web_form" else self._callback_due_callbacks
                self._later(cb.dial_time + cb.retry_spacing, (i, attempt + 1), retry)
                self._promise(i)
            elif cb.kind != "web_form":
                self.unreached.add(i)
        self.busy_until[agent] = now + duration
        due = self._service_due[agent]
        due.callbacks = self._finish_callbacks
        due.value = agent
        heappush(self._heap, (now + duration, NORMAL, next(self._eid), due))

    # -- agents ------------------------------------------------------------------
    def _pop_idle(self) -> int:
        idle = self.idle
        while idle:
            agent = idle.popleft()
            if self.is_idle[agent]:
                self.is_idle[agent] = False
                return agent
        return -1

    def _start(self, i: int, agent: int, now: float) -> None:
        self.answer[i] = now
        self.agent_of[i] = agent
        self.busy[agent] = True
        handle = self.handle[i]
        self.busy_until[agent] = now + handle
        if i in self.qseq:
            self.last_les_wait = now - self.arrival[i]
            if self.prioritised:
                self.last_les_by_rank[self._rank(i)] = self.last_les_wait
        due = self._service_due[agent]
        due.callbacks = self._finish_callbacks
        due.value = agent
        heappush(self._heap, (now + handle, NORMAL, next(self._eid), due))

    def _may_take_callback(self, agent: int) -> bool:
        cb = self.cb
        if cb is None or cb.priority == "strict":
            return True
        if cb.priority == "reserved":
            return agent < cb.reserved_agents
        return self.n_waiting <= cb.short_queue

    def _dispatch(self, agent: int, now: float) -> bool:
        """Give ``agent`` its next task; False if there is none."""
        if self.callbacks_due and self._may_take_callback(agent) and self._take_due(self.callbacks_due, agent, now):
            return True
        hours = self._web_hours
        if hours is not None:  # web-form requests: first inside the blocks, never outside
            if self.web_due and self._in_web_hours(now) and self._take_due(self.web_due, agent, now):
                return True
        queue, flags = self.queue, self.abandoned_flag
        while queue:
            j = queue.popleft()
            if flags[j]:
                continue
            self.n_waiting -= 1  # served from the head
            self._head_gone += 1
            if j in self.virtual:
                self._attempt(j, 1, agent, now)
            else:
                self._start(j, agent, now)
            return True
        if (self.callbacks_due and (self.cb is None or self.cb.priority != "reserved")
                and self._take_due(self.callbacks_due, agent, now)):
            return True
        return hours is None and self._take_due(self.web_due, agent, now)

    def _take_due(self, due, agent: int, now: float) -> bool:
        """``agent`` works the next task of ``due`` (due callback attempts, or web-form requests) not forgotten or
        broken meanwhile, if any."""
        while due:
            i, attempt = due.popleft()
            if i in self.unreached:
                continue
            self._attempt(i, attempt, agent, now)
            return True
        return False

    def _finish(self, event: Timer) -> None:
        agent: int = event.value
        now = self.env.now
        self.busy[agent] = False  # _clocked_off inlined
        if not self.on_duty[agent]:
            self.overtime.append((agent, self.off_since[agent], now))
            return
        if not self.callbacks_due and (self._web_hours is None or not self.web_due):
            # _dispatch with no callback due: the next live inbound caller (_start inlined), else web forms
            queue = self.queue
            if queue:
                flags = self.abandoned_flag
                while queue:
                    j = queue.popleft()
                    if flags[j]:
                        continue
                    self.n_waiting -= 1  # served from the head
                    self._head_gone += 1
                    if j in self.virtual:
                        self._attempt(j, 1, agent, now)
                        return
                    handle = self.handle[j]
                    self.answer[j] = now
                    self.agent_of[j] = agent
                    self.busy[agent] = True
                    self.busy_until[agent] = now + handle
                    self.last_les_wait = now - self.arrival[j]
                    if self.prioritised:
                        self.last_les_by_rank[self._rank(j)] = self.last_les_wait
                    event.callbacks = self._finish_callbacks  # this agent's record, again
                    heappush(self._heap, (now + handle, NORMAL, next(self._eid), event))
                    return
            if not self.web_due:
                self.is_idle[agent] = True
                self.idle.append(agent)
                return
        if not self._dispatch(agent, now):
            self.is_idle[agent] = True
            self.idle.append(agent)

    def _service_end_callback(self):
        return self._finish  # handles agents going off duty itself

    def _on(self, event: Timer) -> None:
        self.n_on_duty += 1
        agent: int = event.value
        self.on_duty[agent] = True
        if self.busy[agent]:
            self._worked_through_break(agent)
            return
        if not self._dispatch(agent, self.env.now):
            self.is_idle[agent] = True
            self.idle.append(agent)

    def _off(self, event: Timer) -> None:
        self.n_on_duty -= 1
        super()._off(event)

    def _renege(self, event: Timer) -> None:
        i = event.value
        if self.agent_of[i] >= 0 or self.abandoned_flag[i] or i in self.virtual:
            return
        self._leave_queue(i)
        super()._renege(event)

    # -- what researchers' processes read and change ------------------------------------
    def _on_hold(self, j: int) -> bool:
        return j not in self.virtual

    def mean_handle_time(self) -> float:
        return self.mean_handle

    def predicted_wait_now(self, call_type: Optional[int] = None, group: Optional[int] = None) -> float:
        n = self.n_on_duty
        return (self.n_waiting + 1) * self.mean_handle / (n if n > 1 else 1)

    def set_callback_offer(self, on: bool) -> None:
        if self.cb is None:
            super().set_callback_offer(on)
        self._offer_on = on
        self._offer_at_arrival = on and self.cb.offer == "at_arrival"

    # -- handing calls over while running ------------------------------------------
    def _cut(self) -> int:
        """Before the queue's head and every call a callback, a web form or a message still refers to."""
        cut = super()._cut()
        for i, _ in self.callbacks_due:
            cut = min(cut, i)
        for i, _ in self.web_due:
            cut = min(cut, i)
        for fifo in (self._first_messages, self._repeat_messages):
            if fifo:
                cut = min(cut, min(entry[2] for entry in fifo))
        due, web = self._callback_due_callbacks, self._web_due_callbacks
        for entry in self._heap:
            event = entry[3]
            if event.callbacks is due or event.callbacks is web:
                cut = min(cut, event.value[0])
            elif event.callbacks is self._web_deadline_callbacks:
                cut = min(cut, event.value)
        return cut

    def _drop(self, done: int, settled: int) -> None:
        trim = settled - self._caller_base
        if trim > 0:  # per-caller draws, by caller id - _caller_base
            del self._tolerance[:trim], self._accept[:trim]
        super()._drop(done, settled)
        for name in ("cb_kind", "requested", "predicted", "due_at", "_messages",
                     "balked", "unreached", "virtual", "offered_cb"):
            setattr(self, name, _shift(getattr(self, name), done))
        if self.promises is not None:
            self.promises.renumber(done)
        for pending in (self.callbacks_due, self.web_due):
            held = [(i - done, attempt) for i, attempt in pending]
            pending.clear()
            pending.extend(held)
        for fifo in (self._first_messages, self._repeat_messages):
            held = [(t, eid, i - done) for t, eid, i in fifo]
            fifo.clear()
            fifo.extend(held)
        due, web = self._callback_due_callbacks, self._web_due_callbacks
        for entry in self._heap:
            event = entry[3]
            if event.callbacks is due or event.callbacks is web:
                event.value = (event.value[0] - done, event.value[1])
            elif event.callbacks is self._web_deadline_callbacks:
                event.value -= done
        # the inbound queue's entry numbers restart at 0 in queue order: "callers ahead"
        # (entries ahead that have not left) is unchanged
        flags = self.abandoned_flag
        self.qseq = {j: s for s, j in enumerate(self.queue)}
        self._seq = len(self.queue)
        self._head_gone = 0
        self._gone = _Fenwick()
        if self._track_ahead:
            for s, j in enumerate(self.queue):
                if flags[j]:
                    self._gone.add(s, 1)
        if self.cb is not None and self.cb.kind == "scheduled":  # slots already past are never booked again
            first = int(self.env.now // self.cb.slot_length)
            self.slots = {k: v for k, v in self.slots.items() if k >= first}

    def _caller_blocks(self) -> list[list]:
        return super()._caller_blocks() + [self._blocks_answer, self._blocks_kept, self._blocks_delay, self._blocks_broken]

    def _take_extra_work(self) -> np.ndarray:
        rows = self._extra_work()
        self.extra_work = []
        return rows

    # -- output -------------------------------------------------------------------
    def _call_log(self, n: Optional[int] = None):
        log = super()._call_log(n)
        n = len(log.arrival)
        kind = _dense(self.cb_kind, n, 0, np.int8)
        requested = _dense(self.requested, n, math.nan, np.float64)
        took = kind > 0
        reached = log.agent >= 0
        outcome = log.outcome.copy()
        outcome[_mask(self.balked, n)] = BALKED
        outcome[took & ~reached] = UNREACHED
        outcome[took & reached] = ANSWERED
        # callback customers are on hold only until they accept; they never abandon afterwards
        wait = np.where(took, requested - log.arrival, log.wait)
        end = np.where(took & ~reached, requested, log.end)
        return replace(
            log, outcome=outcome, wait=wait, end=end, callback=kind, requested=requested,
            messages=self._messages_heard(wait),
            predicted_wait=_dense(self.predicted, n, math.nan, np.float64),
            callback_offered=_mask(self.offered_cb, n),
            callback_due=_dense(self.due_at, n, math.nan, np.float64),
        )

    def _extra_work(self) -> np.ndarray:
        rows = self.extra_work  # (agent, start, end) tuples: read flat (a third of np.asarray's time on nested rows)
        if not rows:
            return np.empty((0, 3))
        return np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=3 * len(rows)).reshape(len(rows), 3)
