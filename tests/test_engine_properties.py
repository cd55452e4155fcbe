"""Property-based tests of the engine (hypothesis): invariants every call log must satisfy.

Each example is a small random scenario; the invariants are the ones a
contact-centre simulation must never break, whatever the parameters.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuesim import Scenario, simulate
from queuesim.measure.calllog import ABANDONED, ANSWERED

CONTINUOUS = ["exponential", "lognormal", "gamma", "uniform"]


def _dist(kind: str, mean: float) -> dict:
    if kind == "exponential":
        return {"distribution": "exponential", "mean": mean}
    if kind == "lognormal":
        return {"distribution": "lognormal", "mean": mean, "sd": mean * 0.8}
    if kind == "gamma":
        return {"distribution": "gamma", "shape": 2.0, "mean": mean}
    if kind == "uniform":
        return {"distribution": "uniform", "low": mean * 0.5, "high": mean * 1.5}
    return {"distribution": "deterministic", "value": mean}


@st.composite
def scenarios(draw, continuous_only: bool = False, patience: bool | None = None) -> Scenario:
    kinds = CONTINUOUS if continuous_only else CONTINUOUS + ["deterministic"]
    horizon = draw(st.floats(60.0, 3000.0))
    rate = draw(st.floats(0.005, 0.6))
    handle_mean = draw(st.floats(1.0, 120.0))
    agents = draw(st.integers(1, 8))
    has_patience = draw(st.booleans()) if patience is None else patience
    spec = {
        "horizon": horizon,
        "warmup": draw(st.floats(0.0, horizon * 0.5)),
        "arrivals": {"rate": rate},
        "handle_time": _dist(draw(st.sampled_from(kinds)), handle_mean),
        "agents": agents,
    }
    if has_patience:
        spec["patience"] = _dist(draw(st.sampled_from(kinds)), draw(st.floats(0.5, 200.0)))
    return Scenario.model_validate(spec)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_every_call_has_exactly_one_consistent_outcome(scenario: Scenario, seed: int) -> None:
    """offered = answered + abandoned; waits >= 0; answered wait <= patience; abandoned wait == patience."""
    res = simulate(scenario, seed=seed)
    calls = res.calls
    assert set(np.unique(calls.outcome)) <= {ANSWERED, ABANDONED}
    s = res.summary
    assert s["offered"] == s["answered"] + s["abandoned"]
    assert np.all(calls.wait >= 0)
    ans = calls.answered
    assert np.all(calls.wait[ans] <= calls.patience[ans])
    assert np.array_equal(calls.wait[~ans], calls.patience[~ans])
    assert np.all(calls.agent[ans] >= 0) and np.all(calls.agent[~ans] == -1)
    assert np.all(np.isnan(calls.answer[~ans]))
    assert np.allclose(calls.end[ans], calls.answer[ans] + calls.handle_time[ans])
    # arrivals are inside the horizon and in id order
    assert np.all(np.diff(calls.arrival) >= 0)
    assert np.all((calls.arrival >= 0) & (calls.arrival < scenario.horizon))


@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_answer_order_is_arrival_order(scenario: Scenario, seed: int) -> None:
    """FCFS: among answered calls, answer times never decrease with arrival order."""
    calls = simulate(scenario, seed=seed).calls
    answer = calls.answer[calls.answered]
    assert np.all(np.diff(answer) >= 0)


@SETTINGS
@given(scenarios(continuous_only=True), st.integers(0, 2**32))
def test_agents_serve_one_call_at_a_time_and_never_idle_while_callers_wait(
    scenario: Scenario, seed: int
) -> None:
    """No agent overlaps two calls, and a caller who waits arrived when every agent was busy."""
    calls = simulate(scenario, seed=seed).calls
    ans = calls.answered
    for agent in np.unique(calls.agent[ans]):
        mine = calls.agent == agent
        order = np.argsort(calls.answer[mine])
        starts, ends = calls.answer[mine][order], calls.end[mine][order]
        assert np.all(starts[1:] >= ends[:-1])
    assert np.all(calls.agent[ans] < scenario.agents)
    # busy(t) = calls in service at time t; for callers who waited, busy(arrival) == agents
    starts = np.sort(calls.answer[ans])
    ends = np.sort(calls.end[ans])
    waited = calls.wait > 0
    t = calls.arrival[waited]
    busy = np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, side="right")
    assert np.all(busy == scenario.agents)


@SETTINGS
@given(scenarios(patience=False), st.integers(0, 2**32))
def test_infinite_patience_means_nobody_abandons(scenario: Scenario, seed: int) -> None:
    """Without a patience distribution every call is answered."""
    res = simulate(scenario, seed=seed)
    assert res.summary["abandoned"] == 0
    assert np.all(res.calls.answered)
    assert np.all(np.isinf(res.calls.patience))


@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_enough_agents_means_no_waiting(scenario: Scenario, seed: int) -> None:
    """With at least as many agents as calls, nobody waits and nobody abandons."""
    n_calls = len(simulate(scenario, seed=seed).calls)
    roomy = scenario.model_copy(update={"agents": max(n_calls, 1)})
    res = simulate(roomy, seed=seed)
    assert len(res.calls) == n_calls
    assert np.all(res.calls.wait == 0)
    assert res.summary["abandoned"] == 0


@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_same_seed_gives_identical_call_log(scenario: Scenario, seed: int) -> None:
    """Two runs with the same scenario and seed give the same call log, bit for bit."""
    a = simulate(scenario, seed=seed).calls
    b = simulate(scenario, seed=seed).calls
    for column in a.columns:
        assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True), column


@SETTINGS
@given(scenarios(patience=True), st.integers(0, 2**32))
def test_policy_changes_do_not_shift_other_callers_random_numbers(scenario: Scenario, seed: int) -> None:
    """Common random numbers: changing staffing leaves every caller's arrival, handle time and patience unchanged."""
    a = simulate(scenario, seed=seed).calls
    b = simulate(scenario.model_copy(update={"agents": scenario.agents + 3}), seed=seed).calls
    assert np.array_equal(a.arrival, b.arrival)
    assert np.array_equal(a.patience, b.patience)
    both = a.answered & b.answered
    assert np.array_equal(a.handle_time[both], b.handle_time[both])


def test_warmup_calls_are_simulated_but_not_counted() -> None:
    """Metrics count only calls arriving in [warmup, horizon)."""
    scenario = Scenario.model_validate(
        {"horizon": "2h", "warmup": "1h", "arrivals": {"rate": "1/min"},
         "handle_time": {"distribution": "exponential", "mean": "4min"}, "agents": 5}
    )
    res = simulate(scenario, seed=3)
    counted = np.count_nonzero(res.calls.arrival >= 3600.0)
    assert res.summary["offered"] == counted
    assert len(res.calls) > counted > 0


def test_time_averages_obey_littles_law_exactly_on_the_log() -> None:
    """Mean queue length x window = total hold time in the window (Little's law, sample-path form)."""
    scenario = Scenario.model_validate(
        {"horizon": "4h", "arrivals": {"rate": "2/min"},
         "handle_time": {"distribution": "exponential", "mean": "2.8min"},
         "patience": {"distribution": "exponential", "mean": "3min"}, "agents": 6}
    )
    res = simulate(scenario, seed=11)
    calls = res.calls
    # Every hold interval ends before the log's last event; over the whole run the
    # time integral of the queue equals the sum of waits.
    whole = calls.end.max()
    from queuesim.measure.metrics import overlap

    assert math.isclose(overlap(calls.arrival, calls.arrival + calls.wait, 0.0, whole), calls.wait.sum(), rel_tol=1e-12)
    assert 0 < res.summary["occupancy"] <= 1
