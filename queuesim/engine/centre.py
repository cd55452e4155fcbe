"""The SimPy contact centre: one FCFS queue in front of a pool of agents.

Design (why it is fast and still exact):

* SimPy is the event scheduler. Instead of one generator process per call
  (the idiomatic SimPy style, which allocates a process, a resource request
  and a condition event per call), each event is a plain ``Timeout`` with a
  callback: one for each arrival and one for each service completion.
* Caller attributes (handle time, patience) are drawn in blocks when the
  caller arrives, each purpose from its own stream, so caller ``i`` has the
  same attributes in every scenario of an experiment (common random numbers).
* Abandonment is *lazy*: a waiting caller's patience never schedules an event.
  When an agent becomes free, callers at the head of the queue whose patience
  ran out (``arrival + patience < now``) are discarded as abandoned at
  ``arrival + patience``. For a FCFS queue this gives exactly the same
  outcomes as scheduling every abandonment, at no cost for callers who are
  answered.
* Nothing is sampled while the simulation runs: time averages (occupancy,
  queue length) are computed afterwards from the call log.

The engine takes a validated :class:`~queuesim.scenario.Scenario` and
:class:`~queuesim.rng.RandomStreams` and returns a
:class:`~queuesim.calllog.CallLog`. It reads no files and prints nothing.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Iterator

import numpy as np
import simpy
from simpy.events import Timeout

from ..calllog import ABANDONED, ANSWERED, CallLog
from ..rng import RandomStreams
from ..scenario import Scenario
from .arrivals import BLOCK, poisson_arrival_blocks

__all__ = ["ContactCentre"]


class ContactCentre:
    """One replication of a scenario, simulated on a SimPy environment.

    Use :meth:`run` once; it returns the call log.
    """

    def __init__(self, scenario: Scenario, streams: RandomStreams) -> None:
        self.scenario = scenario
        self.streams = streams
        self.env = simpy.Environment()
        # Per-call columns, filled as callers arrive (Python lists are the
        # fastest thing to index and append to from the hot path).
        self.arrival: list[float] = []
        self.handle: list[float] = []
        self.patience: list[float] = []
        self.answer: list[float] = []
        self.agent_of: list[int] = []
        self.queue: deque[int] = deque()
        self.idle: deque[int] = deque(range(scenario.agents))
        self._blocks: Iterator[np.ndarray] = poisson_arrival_blocks(
            scenario.arrivals.rate, scenario.horizon, streams["arrivals"]
        )
        self._pending: list[float] = []  # arrival times generated but not yet arrived
        self._next = 0  # index into _pending
        self._impatient = scenario.patience is not None

    # -- caller attributes -------------------------------------------------
    def _draw_block(self) -> bool:
        """Generate the next block of callers; False when no caller is left."""
        times = next(self._blocks, None)
        if times is None:
            return False
        n = times.shape[0]
        sc = self.scenario
        # Full blocks are drawn for attributes too, so that caller i's handle
        # time and patience do not depend on where the horizon cuts the block.
        self.handle.extend(sc.handle_time.sample(self.streams["handle_time"], BLOCK)[:n].tolist())
        if sc.patience is not None:
            self.patience.extend(sc.patience.sample(self.streams["patience"], BLOCK)[:n].tolist())
        else:
            self.patience.extend([math.inf] * n)
        self._pending = times.tolist()
        self._next = 0
        return True

    def _schedule_next_arrival(self) -> None:
        if self._next >= len(self._pending) and not self._draw_block():
            return
        t = self._pending[self._next]
        self._next += 1
        Timeout(self.env, t - self.env.now).callbacks.append(self._arrive)

    # -- events ------------------------------------------------------------
    def _arrive(self, _event: simpy.Event) -> None:
        now = self.env.now
        i = len(self.arrival)
        # Record the scheduler's clock, not the generated time: they can
        # differ in the last bit, and waits must never be negative.
        self.arrival.append(now)
        self.answer.append(math.nan)
        self.agent_of.append(-1)
        if self.idle:
            self._start(i, self.idle.popleft(), now)
        else:
            self.queue.append(i)
        self._schedule_next_arrival()

    def _start(self, i: int, agent: int, now: float) -> None:
        self.answer[i] = now
        self.agent_of[i] = agent
        Timeout(self.env, self.handle[i], agent).callbacks.append(self._finish)

    def _finish(self, event: simpy.Event) -> None:
        agent: int = event.value
        queue = self.queue
        if queue:
            now = self.env.now
            if self._impatient:
                arrival, patience = self.arrival, self.patience
                while queue:
                    j = queue.popleft()
                    if arrival[j] + patience[j] >= now:
                        self._start(j, agent, now)
                        return
            else:
                self._start(queue.popleft(), agent, now)
                return
        self.idle.append(agent)

    # -- run ---------------------------------------------------------------
    def run(self) -> CallLog:
        """Simulate until every call has an outcome; return the call log."""
        self._schedule_next_arrival()
        self.env.run()
        return self._call_log()

    def _call_log(self) -> CallLog:
        n = len(self.arrival)
        arrival = np.asarray(self.arrival, dtype=np.float64)
        answer = np.asarray(self.answer, dtype=np.float64)
        handle = np.asarray(self.handle[:n], dtype=np.float64)
        patience = np.asarray(self.patience[:n], dtype=np.float64)
        agent = np.asarray(self.agent_of, dtype=np.int64)
        answered = agent >= 0
        outcome = np.where(answered, ANSWERED, ABANDONED).astype(np.int8)
        wait = np.where(answered, answer - arrival, patience)
        handle_time = np.where(answered, handle, np.nan)
        end = np.where(answered, answer + handle, arrival + patience)
        return CallLog(
            id=np.arange(n, dtype=np.int64),
            arrival=arrival,
            answer=answer,
            end=end,
            wait=wait,
            handle_time=handle_time,
            patience=patience,
            agent=agent,
            outcome=outcome,
        )
