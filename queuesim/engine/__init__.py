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
    :mod:`queuesim.engine.centre`; the department engine never does); the
    returned log then holds only the calls not handed over. Without it, the log
    is complete.
    """
    if scenario.groups:
        from .departments import DepartmentCentre

        return DepartmentCentre(scenario, streams).run()
    informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
    if informative or scenario.callback is not None:
        from .policies import PolicyCentre

        return PolicyCentre(scenario, streams, on_calls).run()
    return ContactCentre(scenario, streams, on_calls).run()
