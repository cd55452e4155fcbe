"""The SimPy engine: a validated scenario and random streams in, a call log out.

The engine knows nothing about YAML, files, printing or plotting.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..rng import RandomStreams
from ..scenario import Scenario
from .centre import CHUNK, CallChunk, ContactCentre, EngineOutput

__all__ = ["CHUNK", "CallChunk", "ContactCentre", "EngineOutput", "simulate_calls"]


def simulate_calls(
    scenario: Scenario, streams: RandomStreams, on_calls: Optional[Callable[[CallChunk], None]] = None
) -> EngineOutput:
    """Simulate one replication of ``scenario``; return its call log and agent records.

    With ``on_calls``, the engine may hand settled calls over in chunks
    (:class:`CallChunk`) while it runs (bounded memory: see
    :mod:`queuesim.engine.centre`); the returned log then holds only the calls
    not handed over. With departments, each chunk also carries the queue legs
    and agent work rows of its calls, and the output's ``legs`` and ``work``
    hold those of the calls not handed over; their ``call`` column is the
    call's ``id`` in the log. Without ``on_calls``, the log and tables are
    complete (and ``id`` is the row index).
    """
    if scenario.groups:
        from .departments import DepartmentCentre

        return DepartmentCentre(scenario, streams, on_calls).run()
    informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
    if informative or scenario.callback is not None:
        from .policies import PolicyCentre

        return PolicyCentre(scenario, streams, on_calls).run()
    return ContactCentre(scenario, streams, on_calls).run()
