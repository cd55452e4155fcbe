"""One-off timers and shift changes for the engines.

Like the core engine's reusable ``_Due`` records (see :mod:`queuesim.engine.centre`),
a :class:`Timer` goes straight onto the environment's event heap with exactly the
key ``(now + delay, NORMAL, next eid)`` that ``Timeout(env, delay, value)`` would
get, so the order of events, and every result, is the same as with ``Timeout``.
It is for events that may be pending several at a time (a caller's patience, the
next recorded message, a callback attempt, a transfer): a slotted object with no
``__init__``, no ``__dict__`` and no call into ``Environment.schedule``.
``Environment.step`` reads ``callbacks`` and ``_ok``; the engine's callbacks read ``value``.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappush
from typing import Any, Optional

from simpy.events import NORMAL

__all__ = ["ShiftChanges", "Timer"]


class Timer:
    """A scheduled event that fires once: ``callbacks`` (a shared list) get it, with its ``value``."""

    __slots__ = ("callbacks", "value")
    _ok = True  # a timer never fails
    callbacks: Optional[list]
    value: Any


class ShiftChanges:
    """Base of ``ContactCentre``: shift changes one at a time on the heap.

    One ``Timeout`` per start and end of duty put on the heap at time 0 (two or more
    per agent, most of them hours ahead) would make every push and pop of the day
    dearer. Here the keys those Timeouts would have (event ids drawn in the same
    order) are sorted once and only the next change is on the heap, with its key:
    the same order of events.
    """

    def _schedule_duty(self) -> None:
        now, eid = self.env._now, self._eid
        changes = []
        for agent, periods in enumerate(self.duty):
            for start, end in periods:
                if start < 0:
                    raise ValueError(f"Negative delay {start}")
                changes.append((now + start, next(eid), agent, True))
                if end < math.inf:
                    changes.append((now + end, next(eid), agent, False))
        changes.sort()
        self._shift_changes = deque(changes)
        self._shift_callbacks = [self._shift_change]
        if changes:
            timer = Timer()
            timer.callbacks = self._shift_callbacks
            heappush(self._heap, (changes[0][0], NORMAL, changes[0][1], timer))

    def _shift_change(self, event: Timer) -> None:
        changes = self._shift_changes
        _, _, agent, on = changes.popleft()
        if changes:
            event.callbacks = self._shift_callbacks
            heappush(self._heap, (changes[0][0], NORMAL, changes[0][1], event))
        event.value = agent
        if on:
            self._on(event)
        else:
            self._off(event)
