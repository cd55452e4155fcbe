"""The SimPy engine: a validated scenario and random streams in, a call log out.

The engine knows nothing about YAML, files, printing or plotting.
"""

from __future__ import annotations

from ..rng import RandomStreams
from ..scenario import Scenario
from .centre import ContactCentre, EngineOutput

__all__ = ["ContactCentre", "EngineOutput", "simulate_calls"]


def simulate_calls(scenario: Scenario, streams: RandomStreams) -> EngineOutput:
    """Simulate one replication of ``scenario``; return its call log and agent records."""
    if scenario.groups:
        from .departments import DepartmentCentre

        return DepartmentCentre(scenario, streams).run()
    informative = scenario.announcements is not None and scenario.announcements.kind == "informative"
    if informative or scenario.callback is not None:
        from .policies import PolicyCentre

        return PolicyCentre(scenario, streams).run()
    return ContactCentre(scenario, streams).run()
