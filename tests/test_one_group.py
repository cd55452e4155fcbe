"""One pool of agents is a department centre with one group.

The department centre (the routing kernel with its holding and callback components) simulates every
scenario; the one-pool engines (``ContactCentre``, ``PolicyCentre``) are fast paths. Every one-pool
model (plain, shifts, redials, priorities, informative announcements under each predictor, the oracle
included, each callback kind and priority policy, web hours) and every flagship variant run through
the department centre as a single group (``fast_paths=False``) gives the same engine output, bit for
bit, as its fast path: call log, extra work, overtime; and streams the same chunks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from queuesim import Scenario
from queuesim.engine import CallChunk, ContactCentre, DepartmentCentre, EngineOutput, build_centre, simulate_calls
from queuesim.engine import centre
from queuesim.measure.calllog import CallLog
from queuesim.rng import RandomStreams

from .test_streaming import MODELS, _flagship, _scenario


def _differences(fast: EngineOutput, general: EngineOutput) -> list[str]:
    """Fields of the two outputs that are not identical (values, NaNs, dtypes, presence)."""
    out = []
    for f in dataclasses.fields(CallLog):
        x, y = getattr(fast.calls, f.name), getattr(general.calls, f.name)
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                out.append(f.name)
        elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray) or x != y:
            out.append(f.name)
    for name in ("overtime", "extra_work", "legs", "work"):
        x, y = getattr(fast, name), getattr(general, name)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y)):
            out.append(name)
    if fast.daily_level != general.daily_level:
        out.append("daily_level")
    return out


def _models() -> list[tuple[str, Scenario]]:
    return [(name, _scenario(name)) for name in MODELS] + [(f"flagship/{s.name}", s) for s in _flagship()]


@pytest.mark.parametrize("name, scenario", _models(), ids=[name for name, _ in _models()])
def test_one_pool_is_a_department_centre_with_one_group(name: str, scenario: Scenario) -> None:
    assert not scenario.groups
    fast = build_centre(scenario, RandomStreams(3))
    general = build_centre(scenario, RandomStreams(3), fast_paths=False)
    assert type(fast) is not DepartmentCentre and isinstance(fast, ContactCentre)
    assert type(general) is DepartmentCentre
    assert _differences(simulate_calls(scenario, RandomStreams(3)),
                        simulate_calls(scenario, RandomStreams(3), fast_paths=False)) == []


@pytest.mark.parametrize("name", ["redials+backlog+shifts+hangups", "priorities+informative+virtual hold",
                                  "scheduled+shifts", "web form+redials"])
def test_one_group_streams_the_fast_paths_chunks(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Handed over while running, the same calls in the same chunks (the settled boundaries may differ:
    each engine knows its own pending events), and the same calls in all."""
    monkeypatch.setattr(centre, "CHUNK", 256)
    scenario = _scenario(name)
    runs = []
    for fast_paths in (True, False):
        chunks: list[CallChunk] = []
        output = simulate_calls(scenario, RandomStreams(4), on_calls=chunks.append, fast_paths=fast_paths)
        assert len(chunks) >= 5
        assert all(c.legs is None and c.work is None for c in chunks)
        runs.append(CallLog.concatenate([c.calls for c in chunks] + [output.calls]))
    fast, general = runs
    assert fast.columns == general.columns
    for column in fast.columns:
        assert np.array_equal(getattr(fast, column), getattr(general, column), equal_nan=True), column


def test_as_one_group_moves_the_agents_into_a_single_group() -> None:
    scenario = _scenario("scheduled+shifts")
    grouped = scenario.as_one_group()
    assert [g.name for g in grouped.groups] == ["agents"]
    assert grouped.shifts is None and grouped.groups[0].shifts == scenario.shifts
    assert grouped.duty_periods() == scenario.duty_periods()
    assert grouped.as_one_group() is grouped
