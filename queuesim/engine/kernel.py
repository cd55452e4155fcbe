"""The engine's only contact with SimPy's internals: the event heap, the clock and the event loops.

queuesim runs on a :class:`simpy.Environment`. Its centres schedule most events
straight onto the environment's heap, with exactly the key ``(time, NORMAL,
event id)`` that :class:`simpy.Timeout` would give them (a caller's patience
timer has a lower priority, :data:`PATIENCE`: at a tie it comes last), and run the heap with
loops that process events as :meth:`simpy.Environment.step` does (with the
next arrival held apart from the heap). Those shortcuts read three private
names of SimPy 4.1 (``Environment._queue``, ``_eid`` and ``_now``); this
module is the one place that does, and ``pyproject.toml`` pins SimPy to the
minor release they were checked against. ``tests/test_kernel.py`` checks the
names still mean what this module assumes, and that a model run through the
fast loops gives the same call log, bit for bit, as the same model run by
:meth:`simpy.Environment.run` with every arrival an event on the heap.

Because every event is an ordinary heap entry whose ``callbacks`` are called
with the event, any SimPy process a researcher starts in the same environment
(``centre.env.process(...)``) runs in the merged loop exactly as under
``env.run()``: timeouts, process resumptions and the centre's own events are
interleaved by their keys.

What a centre gets from here:

* :class:`Timer` (one-off) and :class:`Due` (reusable) scheduled events;
* :class:`Kernel`: the environment with its heap and event counter, and
  :meth:`Kernel.later`, the one way to schedule a one-off timer;
* the loops :meth:`Kernel.run_direct` (the plain model),
  :meth:`Kernel.run_merged` (everything else) and :meth:`Kernel.run_reference`
  (``env.run()``, for the equivalence tests).
"""

from __future__ import annotations

from heapq import heappop, heappush
from itertools import count
from typing import Any, Callable, Iterator, Optional

import simpy
from simpy.events import NORMAL

__all__ = ["Due", "EventKey", "Kernel", "NORMAL", "PATIENCE", "Timer"]

#: A heap key: ``(time in s, priority, event id)``, as SimPy orders its events.
EventKey = tuple[float, int, int]

#: The priority of a caller's patience timer: after every other event due at the same instant (SimPy's own are
#: ``URGENT`` 0 and ``NORMAL`` 1). The rule for a tie: a caller whose patience runs out at the very instant an
#: agent frees (or comes on duty) is answered, on every engine, whichever was scheduled first.
PATIENCE = NORMAL + 1


class Timer:
    """A scheduled event that fires once: its ``callbacks`` (a shared list) get it, with its ``value``.

    What :meth:`simpy.Environment.step` reads of an event is ``callbacks`` and
    ``_ok``; a slotted object with no ``__init__`` is the cheapest thing that
    has them.
    """

    __slots__ = ("callbacks", "value")
    _ok = True  # a timer never fails
    callbacks: Optional[list]
    value: Any


class Due:
    """A reusable scheduled event (one per agent for the end of a service, for instance)."""

    __slots__ = ("callbacks", "_ok", "value")

    def __init__(self) -> None:
        self.callbacks: Optional[list] = None
        self._ok = True
        self.value: Any = None


#: The kinds of event the centres schedule (anything else on the heap belongs to other processes).
_CENTRE_EVENTS = (Timer, Due)


def _ignore(_event: object) -> None:
    """The callback of a pending timer made void."""


#: Callbacks of a pending event made void (e.g. a patience timer whose call was handed over).
VOID: list = [_ignore]


class Kernel:
    """A SimPy environment seen as an event heap: schedule at Timeout's keys, run fast, read the clock.

    ``heap`` and ``eid`` are the environment's own heap (a list of keys plus
    events) and event-id counter; the centres push onto them inline in their
    hottest paths, always with a key made as :meth:`key` makes it.
    """

    __slots__ = ("env", "heap", "eid")

    def __init__(self, env: Optional[simpy.Environment] = None) -> None:
        self.env = env if env is not None else simpy.Environment()
        self.heap: list = self.env._queue
        self.eid: count = self.env._eid

    @property
    def now(self) -> float:
        """The simulation clock (s)."""
        return self.env._now

    def key(self, delay: float) -> EventKey:
        """The heap key ``Timeout(env, delay)`` would get now (draws an event id)."""
        return (self.env._now + delay, NORMAL, next(self.eid))

    def later(self, delay: float, value: Any, callbacks: list, priority: int = NORMAL) -> Timer:
        """Schedule a one-off :class:`Timer` ``delay`` s from now (as ``Timeout(env, delay, value)``, same key;
        ``priority``: :data:`PATIENCE` for a patience timer) whose ``callbacks`` (a shared list) get it when it
        is due."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        timer = Timer()
        timer.callbacks = callbacks
        timer.value = value
        heappush(self.heap, (self.env._now + delay, priority, next(self.eid), timer))
        return timer

    def push(self, key: EventKey, event: Any) -> None:
        """Put ``event`` on the heap with a key made earlier (by :meth:`key`)."""
        heappush(self.heap, (key[0], key[1], key[2], event))

    def pending(self) -> Iterator[Any]:
        """Every event on the heap, in no particular order (to renumber or void the calls they refer to)."""
        for entry in self.heap:
            yield entry[3]

    # -- event loops ------------------------------------------------------------------
    def run_direct(
        self,
        key: Optional[EventKey],
        arrive: Callable[[float], Optional[EventKey]],
        finish: Callable[[Any, float], None],
    ) -> None:
        """The plain model's loop: every event on the heap is an end of service, handed to ``finish(event, now)``;
        the next arrival is held apart (``key``), and ``arrive(now)`` returns the key of the one after.

        Keys are those SimPy would use, so events are processed in the order
        of ``env.run()``. Only for models whose heap holds nothing else.
        """
        env = self.env
        heap = self.heap
        while key is not None:
            if heap and heap[0] < key:
                now, _, _, event = heappop(heap)
                env._now = now
                finish(event, now)
            else:
                now = env._now = key[0]
                key = arrive(now)
        while heap:
            now, _, _, event = heappop(heap)
            env._now = now
            finish(event, now)

    def run_merged(
        self, key: Optional[EventKey], arrive: Callable[[float], Optional[EventKey]], centre_only: bool = False
    ) -> None:
        """Every other model's loop: as ``env.run()``, with the next arrival held apart from the heap
        (``arrive(now)`` handles it and returns the next one's key); every other event is processed as
        :meth:`simpy.Environment.step` does. Runs until the heap is empty or, with ``centre_only``, until
        no event of the centre's own (a :class:`Timer` or :class:`Due`) is left: other processes in the
        environment (researchers' extensions) may wait for ever without keeping the run going."""
        env = self.env
        heap = self.heap
        while key is not None:
            if heap and heap[0] < key:
                env._now, _, _, event = heappop(heap)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):  # pragma: no cover - as step()
                    raise event._value
            else:
                now = env._now = key[0]
                key = arrive(now)
        if not centre_only:
            env.run()  # after the last arrival
            return
        while heap and any(type(entry[3]) in _CENTRE_EVENTS for entry in heap):
            env.step()

    def run_reference(self, key: Optional[EventKey], arrive: Callable[[float], Optional[EventKey]]) -> None:
        """``env.run()`` with every arrival an event on SimPy's heap, at the key it has in the fast loops.

        Slower; the yardstick the fast loops are tested against (same call log, bit for bit).
        """

        def arrival(event: Timer) -> None:
            following = arrive(self.env._now)
            if following is not None:
                event.callbacks = callbacks
                self.push(following, event)

        callbacks = [arrival]
        if key is not None:
            timer = Timer()
            timer.callbacks = callbacks
            self.push(key, timer)
        self.env.run()
