"""Researchers' extension point: your own SimPy processes running inside a simulated centre.

A *process* is a function that takes a :class:`CentreControl` and returns a
SimPy generator; pass it to :func:`queuesim.simulate` (``processes=[...]``).
It starts at time 0 in the centre's own :class:`simpy.Environment` and
interleaves with the centre's events exactly as under ``env.run()``::

    def supervisor(centre):
        while centre.now < centre.horizon:
            if centre.waiting(group="tech") > 10:
                centre.move_agents(2, "billing", "tech")
            yield centre.env.timeout(60)

    result = queuesim.simulate(scenario, seed=1, processes=[supervisor])

What a process may do, through the control only (never the centre's private
state):

* read: :attr:`~CentreControl.now`, :meth:`~CentreControl.waiting` (callers on
  hold, by call type or group), :meth:`~CentreControl.agents` (on duty, busy,
  idle, by group), :meth:`~CentreControl.predicted_wait` (the queue-length
  prediction a new caller would get, as the centre's announcements and callback
  offers compute it; with departments, a caller of one group);
* change: :meth:`~CentreControl.move_agents` (departments: agents change group,
  and count in the new one, at once; an idle one takes its calls at once, a busy
  one when their current task ends),
  :meth:`~CentreControl.set_callback_offer` (switch a scenario's callback offer
  on or off);
* draw random numbers only from :meth:`~CentreControl.rng` (a stream of its
  own per name, so the centre's callers keep their random numbers: common
  random numbers across scenarios hold).

A process that ends is fine; one that loops forever is stopped when every
call has its outcome (the run ends when only processes' own events are left).
So a process that takes every agent away from callers who never hang up leaves
them unserved when the centre has nothing else to do, even if it meant to send
agents back later.
Per-group occupancy counts each agent in the group the scenario gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Generator, Optional

import numpy as np
import simpy

if TYPE_CHECKING:  # pragma: no cover - the centres import this module's users, not the reverse
    from .centre import ContactCentre

__all__ = ["AgentState", "CentreControl", "Process"]

#: A researcher's process: called once with the control, returns a SimPy generator.
Process = Callable[["CentreControl"], Generator]


@dataclass(frozen=True)
class AgentState:
    """Agents of the centre (or of one group) at one moment."""

    on_duty: int
    """agents logged in (on duty), busy or not"""
    busy: int
    """agents on duty handling a task (a call, a callback attempt, a transfer)"""
    idle: int
    """agents on duty waiting for work"""


class CentreControl:
    """What a researcher's process may read and change in a running centre (see the module docs)."""

    def __init__(self, centre: "ContactCentre") -> None:
        self._centre = centre
        scenario = centre.scenario
        self._type_names = list(scenario.type_names())
        self._group_names = [g.name for g in scenario.groups] if scenario.groups else []

    # -- time -------------------------------------------------------------------------
    @property
    def env(self) -> simpy.Environment:
        """The centre's SimPy environment: ``yield centre.env.timeout(60)`` waits a minute."""
        return self._centre.env

    @property
    def now(self) -> float:
        """The simulation clock (s from the start of the day)."""
        return self._centre.env.now

    @property
    def horizon(self) -> float:
        """End of the arrival period (s): no new first calls after it."""
        return self._centre.horizon

    @property
    def call_types(self) -> list[str]:
        return list(self._type_names)

    @property
    def groups(self) -> list[str]:
        """Group names (empty without departments)."""
        return list(self._group_names)

    def rng(self, name: str) -> np.random.Generator:
        """A random stream of this process's own (``name`` keeps streams apart), the same in every scenario."""
        return self._centre.streams["process/" + name]

    # -- reading ----------------------------------------------------------------------
    def waiting(self, call_type: Optional[str] = None, group: Optional[str] = None) -> int:
        """Callers on hold now (s they have waited does not matter), optionally of one call type and/or
        (departments) waiting for one group. Callers on virtual hold are not on hold."""
        k = self._type_index(call_type)
        g = self._group_index(group)
        return self._centre.waiting_calls(k, g)

    def agents(self, group: Optional[str] = None) -> AgentState:
        """Agents on duty, busy and idle now (of one group with departments)."""
        on, busy = self._centre.agent_counts(self._group_index(group))
        return AgentState(on_duty=on, busy=busy, idle=on - busy)

    def predicted_wait(self, call_type: Optional[str] = None, group: Optional[str] = None) -> float:
        """The wait (s) the queue-length predictor gives a caller arriving now: (callers waiting + 1) x the
        mean handle time / agents on duty. Callers on virtual hold count (they keep their place), as in the
        predictions callers hear; with priorities, every caller waiting counts. One pool: the whole centre's.
        With departments, one group's, as its callers are told: ``group``, or ``call_type``'s home group (the
        group's callers waiting, the mean handle time of the types it serves, its agents on duty); a centre
        with several groups needs one of them (ValueError otherwise)."""
        return self._centre.predicted_wait_now(self._type_index(call_type), self._group_index(group))

    # -- changing ---------------------------------------------------------------------
    def move_agents(self, count: int, from_group: str, to_group: str) -> int:
        """Move up to ``count`` agents on duty from one group to another (departments): idle agents first,
        then busy ones (they count in the new group at once and take its calls when their current task ends).
        Returns how many moved."""
        if count < 0:
            raise ValueError(f"move_agents: count must be >= 0, got {count}")
        source, target = self._group_index(from_group), self._group_index(to_group)
        if source is None or target is None:
            raise ValueError("move_agents needs departments: give both group names")
        return self._centre.move_agents(count, source, target)

    def set_callback_offer(self, on: bool) -> None:
        """Switch the scenario's callback offer on or off from now on (callers already offered keep their choice)."""
        self._centre.set_callback_offer(bool(on))

    # -- names to indices -------------------------------------------------------------
    def _type_index(self, name: Optional[str]) -> Optional[int]:
        if name is None:
            return None
        if name not in self._type_names:
            raise ValueError(f"unknown call type {name!r}; known: {', '.join(self._type_names)}")
        return self._type_names.index(name)

    def _group_index(self, name: Optional[str]) -> Optional[int]:
        if name is None:
            return None
        if name not in self._group_names:
            known = ", ".join(self._group_names) or "none (the scenario has no groups)"
            raise ValueError(f"unknown group {name!r}; known: {known}")
        return self._group_names.index(name)
