"""The SimPy engine: a validated scenario and random streams in, a call log out.

The engine knows nothing about YAML, files, printing or plotting.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from ..rng import RandomStreams
from ..model.scenario import Scenario
from .centre import CHUNK, CallChunk, ContactCentre, EngineOutput
from .control import AgentState, CentreControl, Process
from .departments import DepartmentCentre
from .policies import PolicyCentre
from .staff_side import AgentTable

__all__ = ["AgentState", "AgentTable", "CHUNK", "CallChunk", "CentreControl", "ContactCentre", "DepartmentCentre", "EngineOutput",
           "PolicyCentre", "Process",
           "build_centre", "fast_path", "simulate_calls"]


def fast_path(scenario: Scenario) -> Optional[type[ContactCentre]]:
    """The one-pool fast path that simulates ``scenario`` exactly as the department centre would, or None.

    :class:`ContactCentre` (the core: shifts, redials, generic messages, priorities) and
    :class:`PolicyCentre` (adds informative announcements and callbacks: either dialling mode, neglect)
    implement a fixed set of features; a scenario with groups, or with a feature only the department
    centre's components implement, has no fast path. A new per-call feature is added to the department centre (a component);
    it returns None here when configured, unless a fast path implements it too and
    ``tests/test_one_group.py`` shows both give the same call log."""
    if scenario.groups or scenario.handle_time_slowdown is not None:
        return None  # customer slowdown: the department centre only
    if scenario.staff is not None:
        return None  # the agent side (and its per-agent records): the department centre only
    if scenario.lines is not None:
        return None  # finite lines (blocking): the department centre only
    informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
    return PolicyCentre if informative or scenario.callback is not None else ContactCentre


def build_centre(
    scenario: Scenario,
    streams: RandomStreams,
    on_calls: Optional[Callable[[CallChunk], None]] = None,
    *,
    fast_paths: bool = True,
    agent_records: bool = False,
) -> ContactCentre:
    """The centre that simulates ``scenario`` (not yet run).

    The department centre (:class:`DepartmentCentre`: the routing kernel with its holding and callback
    components) simulates every scenario; one pool of agents is a single group
    (:meth:`~queuesim.model.scenario.Scenario.as_one_group`). Where a one-pool fast path applies
    (:func:`fast_path`) and ``fast_paths`` is true (the default), it runs instead: the same call log, bit
    for bit, in a half to a third of the time. ``fast_paths=False`` runs one pool on the department
    centre (the yardstick the fast paths are tested against). ``agent_records=True`` runs the department
    centre with its per-agent records (:class:`~queuesim.engine.staff_side.AgentTable` in the output's
    ``agents``) even without a ``staff`` block: the same call log."""
    if scenario.groups:
        return DepartmentCentre(scenario, streams, on_calls, agent_records=agent_records)
    fast = fast_path(scenario) if fast_paths and not agent_records else None
    if fast is None:
        return DepartmentCentre(scenario.as_one_group(), streams, on_calls, one_pool=True, agent_records=agent_records)
    return fast(scenario, streams, on_calls)


def simulate_calls(
    scenario: Scenario,
    streams: RandomStreams,
    on_calls: Optional[Callable[[CallChunk], None]] = None,
    *,
    loop: str = "fast",
    processes: Sequence[Process] = (),
    fast_paths: bool = True,
    agent_records: bool = False,
) -> EngineOutput:
    """Simulate one replication of ``scenario``; return its call log and agent records.

    With ``on_calls``, the engine may hand settled calls over in chunks
    (:class:`CallChunk`) while it runs (bounded memory: see
    :mod:`queuesim.engine.centre`); the returned log then holds only the calls
    not handed over. With departments, each chunk also carries the queue legs
    and agent work rows of its calls, and the output's ``legs`` and ``work``
    hold those of the calls not handed over; their ``call`` column is the
    call's ``id`` in the log. Without ``on_calls``, the log and tables are
    complete (and ``id`` is the row index). ``loop="reference"`` runs the
    same model by ``env.run()`` (slower; the same numbers, bit for bit).
    ``processes``: researchers' SimPy processes run inside the centre (see
    :mod:`queuesim.engine.control`). ``fast_paths=False`` runs a one-pool scenario on the department
    centre as a single group (see :func:`build_centre`). The output's ``agents`` holds one row per agent
    (:class:`~queuesim.engine.staff_side.AgentTable`) when the scenario has a ``staff`` block or
    ``agent_records`` is true.
    """
    centre = build_centre(scenario, streams, on_calls, fast_paths=fast_paths, agent_records=agent_records)
    return centre.run(loop, processes)
