"""Customer slowdown: callers who waited long take longer to serve."""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.engine import DepartmentCentre, build_centre
from queuesim.experiment.compare import paired_comparison
from queuesim.rng import RandomStreams

from .test_streaming import BASE, DEPARTMENTS, _check

SLOW = {"per_wait_minute": 0.2, "max": 0.5}


def test_the_handle_time_grows_with_the_wait_up_to_the_cap() -> None:
    scenario = Scenario(**BASE, handle_time_slowdown={"per_wait_minute": 1.5, "max": 0.5})
    log = simulate(scenario, seed=3).calls
    answered = log.outcome == 0
    drawn = log.handle_time[answered] - log.slowdown[answered]
    share = np.minimum(0.5, 1.5 * log.wait[answered] / 60.0)
    assert np.allclose(log.slowdown[answered], drawn * share, rtol=1e-12, atol=1e-12)
    assert np.any(share == 0.5) and np.any((share > 0) & (share < 0.5))  # the cap and the slope both at work
    assert np.all(log.slowdown[~answered] == 0.0)


def test_slowdown_raises_occupancy_and_waits() -> None:
    """Paired over replications (common random numbers): more agent time per call, so longer holds."""
    plain, slow = Scenario(**BASE), Scenario(**BASE, handle_time_slowdown=SLOW)
    runs = [(simulate(plain, seed=11, replication=r).summary, simulate(slow, seed=11, replication=r).summary)
            for r in range(6)]
    for metric in ("occupancy", "mean_wait", "abandonment_rate"):
        c = paired_comparison([s[metric] for _, s in runs], [p[metric] for p, _ in runs], metric=metric)
        assert c.paired_low > 0, metric  # the 95% CI of the increase excludes 0
    assert all(s["slowdown_time"] > 0 for _, s in runs)


def test_no_slowdown_when_it_adds_nothing() -> None:
    """A slowdown that adds nothing: the same calls as without (the department centre runs it, bit for bit)."""
    plain = simulate(Scenario(**BASE), seed=3)
    none = simulate(Scenario(**BASE, handle_time_slowdown={"per_wait_minute": 0.0}), seed=3)
    assert isinstance(build_centre(Scenario(**BASE, handle_time_slowdown=SLOW), RandomStreams(1)), DepartmentCentre)
    for column in plain.calls.columns:
        assert np.array_equal(getattr(plain.calls, column), getattr(none.calls, column), equal_nan=True), column
    assert none.summary.pop("slowdown_time") == 0.0
    assert none.summary == plain.summary


def test_slowdown_with_departments_streams_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = Scenario.model_validate({**DEPARTMENTS, "handle_time_slowdown": SLOW})
    chunks = _check(scenario, seed=4, monkeypatch=monkeypatch)
    assert sum(float(c.calls.slowdown.sum()) for c in chunks) > 0
