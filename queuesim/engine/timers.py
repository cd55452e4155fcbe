"""Shift changes for the engines: agents coming on and going off duty, one change at a time on the heap.

Timers themselves (:class:`~queuesim.engine.kernel.Timer`) live in :mod:`queuesim.engine.kernel`.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappush

from .kernel import NORMAL, Timer

__all__ = ["ShiftChanges", "Timer"]


class ShiftChanges:
    """Base of ``ContactCentre``: shift changes one at a time on the heap.

    One ``Timeout`` per start and end of duty put on the heap at time 0 (two or more
    per agent, most of them hours ahead) would make every push and pop of the day
    dearer. Here the keys those Timeouts would have (event ids drawn in the same
    order) are sorted once and only the next change is on the heap, with its key:
    the same order of events.
    """

    def _schedule_duty(self) -> None:
        now, eid = self.env.now, self._eid
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
