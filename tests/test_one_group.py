"""One pool of agents is a department centre with one group.

Every one-pool model (plain, shifts, redials, priorities, informative announcements under each
predictor, each callback kind and priority policy, web hours) run through the department engine
as a single group that serves every call type gives the same call log, agent work and overtime,
bit for bit, as the one-pool engines. The department engine's announcements and callbacks are
components (``engine/holding.py``, ``engine/callback_desk.py``); this checks that, where both
apply, they follow exactly the one-pool engine's rules, so that one pool is a special case of
departments and not a second model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from queuesim import Scenario
from queuesim.engine import DepartmentCentre, simulate_calls
from queuesim.engine import build_centre
from queuesim.measure.calllog import CallLog
from queuesim.rng import RandomStreams

from .test_streaming import MODELS, _flagship, _scenario

#: Columns only the department engine fills (transfers, resolution, final group).
_DEPARTMENT_ONLY = {"transfers", "resolved", "group"}


def as_one_group(scenario: Scenario) -> Scenario:
    """``scenario`` (one pool) with its agents as a single group that serves every call type."""
    spec = scenario.model_dump(exclude_none=True)
    group = {"name": "everyone"}
    for key in ("agents", "shifts", "staffing"):
        if key in spec:
            group[key] = spec.pop(key)
    spec["groups"] = [group]
    if "call_types" in spec:
        for call_type in spec["call_types"]:
            call_type["groups"] = ["everyone"]
    else:
        only = {"name": "all", "share": 1.0, "groups": ["everyone"], "handle_time": spec.pop("handle_time")}
        if "patience" in spec:
            only["patience"] = spec.pop("patience")
        spec["call_types"] = [only]
    return Scenario.model_validate(spec)


def _differences(one: CallLog, grouped: CallLog) -> list[str]:
    out = []
    for f in dataclasses.fields(one):
        if f.name in _DEPARTMENT_ONLY:
            continue
        x, y = getattr(one, f.name), getattr(grouped, f.name)
        if x is None or y is None:
            if (x is None) != (y is None):
                out.append(f"{f.name}: present in one log only")
            continue
        if isinstance(x, tuple):
            if x != y:
                out.append(f"{f.name}: {x} vs {y}")
            continue
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            out.append(f.name)
    return out


ONE_POOL = list(MODELS)


@pytest.mark.parametrize("name", ONE_POOL + ["flagship"])
def test_one_pool_is_a_department_centre_with_one_group(name: str) -> None:
    scenarios = _flagship() if name == "flagship" else [_scenario(name)]
    for scenario in scenarios:
        grouped = as_one_group(scenario)
        assert isinstance(build_centre(grouped, RandomStreams(3)), DepartmentCentre)
        one = simulate_calls(scenario, RandomStreams(3))
        two = simulate_calls(grouped, RandomStreams(3))
        assert _differences(one.calls, two.calls) == [], scenario.name
        # the one-pool engines' extra work (callback dialling) is the departments' work other than talk
        not_talk = two.work[two.work[:, 4] != 0, :3]
        assert np.array_equal(np.sort(one.extra_work, axis=0), np.sort(not_talk, axis=0)), scenario.name
        assert np.array_equal(one.overtime, two.overtime), scenario.name
