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

__all__ = ["AgentState", "CHUNK", "CallChunk", "CentreControl", "ContactCentre", "DepartmentCentre", "EngineOutput",
           "PolicyCentre", "Process",
           "build_centre", "simulate_calls"]


def build_centre(
    scenario: Scenario,
    streams: RandomStreams,
    on_calls: Optional[Callable[[CallChunk], None]] = None,
    *,
    fast_paths: bool = True,
) -> ContactCentre:
    """The centre that simulates ``scenario`` (not yet run).

    The department centre (:class:`DepartmentCentre`: the routing kernel with its holding and callback
    components) simulates every scenario; one pool of agents is a single group. Two one-pool fast paths
    give the same call log, bit for bit, in less time, and are used where they apply (``fast_paths``,
    the default): :class:`ContactCentre` (the core: shifts, redials, generic messages) and
    :class:`PolicyCentre` (informative announcements, callbacks). ``fast_paths=False`` runs one pool on
    the department centre (slower; the yardstick the fast paths are tested against)."""
    if scenario.groups:
        return DepartmentCentre(scenario, streams, on_calls)
    if not fast_paths:
        return DepartmentCentre(scenario.as_one_group(), streams, on_calls, one_pool=True)
    informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
    if informative or scenario.callback is not None:
        return PolicyCentre(scenario, streams, on_calls)
    return ContactCentre(scenario, streams, on_calls)


def simulate_calls(
    scenario: Scenario,
    streams: RandomStreams,
    on_calls: Optional[Callable[[CallChunk], None]] = None,
    *,
    loop: str = "fast",
    processes: Sequence[Process] = (),
    fast_paths: bool = True,
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
    centre as a single group (see :func:`build_centre`).
    """
    return build_centre(scenario, streams, on_calls, fast_paths=fast_paths).run(loop, processes)
