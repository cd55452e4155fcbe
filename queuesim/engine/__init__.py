"""The SimPy engine: a validated scenario and random streams in, a call log out.

The engine knows nothing about YAML, files, printing or plotting.
"""

from __future__ import annotations

from ..calllog import CallLog
from ..rng import RandomStreams
from ..scenario import Scenario
from .centre import ContactCentre

__all__ = ["ContactCentre", "simulate_calls"]


def simulate_calls(scenario: Scenario, streams: RandomStreams) -> CallLog:
    """Simulate one replication of ``scenario`` and return its call log."""
    return ContactCentre(scenario, streams).run()
