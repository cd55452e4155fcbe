"""Departments with informative announcements and callbacks (the holding component).

The engine invariants hold for every combination (one outcome per call, no idle agent while a caller its
group serves waits, first come first served within a priority class, an agent does one thing at a time,
a call's hold is the sum of its legs); each mechanism is checked against what it must do, exactly where the
rule gives an exact value (the predictions callers hear), and switched off it changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from queuesim import Scenario, load_config, simulate
from queuesim.measure.calllog import ABANDONED, ANSWERED, BALKED, UNREACHED, UNSERVED
from queuesim.engine import build_centre, simulate_calls
from queuesim.engine.holding import CALLBACK_LEG, DIAL
from queuesim.rng import RandomStreams

sys.path.insert(0, str(Path(__file__).parent))
from test_streaming import DEPARTMENTS, EXP, HOLDING, INFORMATIVE, SCHEDULED, VIRTUAL, _holding  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMBINED = ROOT / "configs" / "combined.yaml"


def _models():
    for name in sorted(HOLDING):
        yield name, _holding(name)
    for sc in load_config(COMBINED).scenarios:
        yield f"combined/{sc.name}", sc


MODEL_LIST = list(_models())


def _sampler(samples: list, step: float = 7.0):
    """A researcher's process that records, every ``step`` s, per group: callers on hold and idle agents."""

    def watch(centre):
        while centre.now < centre.horizon + 3600:
            for g in centre.groups:
                samples.append((centre.now, g, centre.waiting(group=g), centre.agents(g).idle))
            yield centre.env.timeout(step)

    return watch


@pytest.mark.parametrize("name, scenario", MODEL_LIST, ids=[m[0] for m in MODEL_LIST])
def test_engine_invariants(name: str, scenario: Scenario) -> None:
    samples: list = []
    out = build_centre(scenario, RandomStreams(5, 0)).run(processes=[_sampler(samples)])
    log, legs, work = out.calls, out.legs, out.work
    n = len(log)
    assert n > 500
    # one outcome per call, from the known codes; callback columns consistent
    assert set(np.unique(log.outcome)) <= {ANSWERED, ABANDONED, UNSERVED, BALKED, UNREACHED}
    if log.callback is not None:
        took = log.callback > 0
        assert np.array_equal(np.isfinite(log.requested), took)
        assert np.all(log.outcome[took] != ABANDONED) and np.all(log.outcome[took] != BALKED)
        # every callback taker an agent reached was dialled (a virtual entry is never answered like a caller on hold)
        reached = np.flatnonzero(took & (log.agent >= 0))
        assert np.all(np.isin(reached, work[work[:, 4] == DIAL, 3]))
        first_leg_callback = legs[(legs[:, 5] == CALLBACK_LEG)]
        assert np.allclose(first_leg_callback[:, 3], log.requested[first_leg_callback[:, 0].astype(np.int64)])
    assert np.all((log.agent >= 0) == (log.outcome == ANSWERED))
    # a call's hold is the sum of its legs; a callback taker's hold ends when they accept (their first leg)
    hold = np.bincount(legs[:, 0].astype(np.int64), weights=legs[:, 3] - legs[:, 2], minlength=n)
    assert np.allclose(hold, log.wait, rtol=0, atol=1e-6)
    # an agent does one thing at a time
    order = np.lexsort((work[:, 1], work[:, 0]))
    w = work[order]
    same = w[1:, 0] == w[:-1, 0]
    assert np.all(w[1:, 1][same] >= w[:-1, 2][same] - 1e-9)
    # no idle agent while a caller its group serves is on hold (sampled between events)
    assert samples and not [s for s in samples if s[2] > 0 and s[3] > 0]
    # first come, first served within a priority class: legs of one type waiting for one group and answered by
    # that group's agents are answered in the order they started (lines by call type: no transfer priority)
    if scenario.transfers is None or scenario.transfers.priority is None:
        group_of = np.asarray(scenario.agent_groups())
        answered = legs[(legs[:, 5] == 0)]
        own = group_of[answered[:, 4].astype(np.int64)] == answered[:, 1]
        answered = answered[own]
        types = log.call_type[answered[:, 0].astype(np.int64)]
        checked = 0
        for g in np.unique(answered[:, 1]):
            for k in np.unique(types):
                rows = answered[(answered[:, 1] == g) & (types == k)]
                rows = rows[np.lexsort((rows[:, 0], rows[:, 2]))]
                assert np.all(np.diff(rows[:, 3]) >= -1e-9), (g, k)
                checked += len(rows)
        assert checked > 200


def test_the_combined_config_runs_and_uses_every_feature() -> None:
    """configs/combined.yaml: groups, priorities, a virtual-hold callback and informative announcements."""
    experiment = load_config(COMBINED)
    scenario = experiment.scenarios[0]
    assert scenario.groups and scenario.callback is not None and scenario.callback.kind == "virtual_hold"
    assert scenario.announcements is not None and scenario.announcements.kind == "informative"
    assert len({t.priority for t in scenario.call_types}) > 1
    result = simulate(scenario, seed=experiment.seed)
    s = result.summary
    assert s["callback_accepts"] > 0 and s["callbacks_completed"] > 0 and s["transfer_rate"] > 0
    assert np.isfinite(s["asa"]) and 0 < s["service_level"] < 1


def _two_groups(announcements: dict, callback: dict | None = None, **extra) -> Scenario:
    """Two groups without overflow or misrouting, each serving two types of different priorities."""
    types = [
        {"name": "a-vip", "share": 0.15, "groups": ["a"], "priority": 1, "handle_time": {**EXP, "mean": "3min"}},
        {"name": "a-std", "share": 0.35, "groups": ["a"], "handle_time": {**EXP, "mean": "3min"}},
        {"name": "b-vip", "share": 0.15, "groups": ["b"], "priority": 1, "handle_time": {**EXP, "mean": "5min"}},
        {"name": "b-std", "share": 0.35, "groups": ["b"], "handle_time": {**EXP, "mean": "5min"}},
    ]
    spec = {"horizon": "5h", "arrivals": {"rate": "8/min"}, "patience": {**EXP, "mean": "6min"},
            "groups": [{"name": "a", "agents": 12}, {"name": "b", "agents": 19}], "call_types": types,
            "announcements": announcements, **extra}
    if callback is not None:
        spec["callback"] = callback
    return Scenario.model_validate(spec)


NO_BALK = {"distribution": "deterministic", "value": "10h"}


def _still_waiting(legs: np.ndarray, t: float) -> np.ndarray:
    return (legs[:, 2] < t) & (legs[:, 3] > t)


def test_last_to_enter_service_is_the_last_wait_answered_in_the_callers_group_and_line() -> None:
    scenario = _two_groups({**INFORMATIVE, "predictor": "last_to_enter_service", "tolerance": NO_BALK})
    out = simulate_calls(scenario, RandomStreams(2, 0))
    log, legs = out.calls, out.legs
    told = np.flatnonzero(np.isfinite(log.predicted_wait))
    assert told.size > 300
    answered = legs[(legs[:, 5] == 0) & (legs[:, 3] > legs[:, 2])]  # answered after waiting in the lines
    answered = answered[np.argsort(answered[:, 3], kind="stable")]
    checked = 0
    for i in told:
        t, g, k = log.arrival[i], legs[legs[:, 0] == i][0, 1], log.call_type[i]
        before = answered[(answered[:, 3] < t) & (answered[:, 1] == g)
                          & (log.call_type[answered[:, 0].astype(np.int64)] == k)]
        if np.any(answered[:, 3] == t):
            continue  # an answer at the same instant: either order is possible
        expected = before[-1, 3] - before[-1, 2] if len(before) else 0.0
        assert log.predicted_wait[i] == pytest.approx(expected, abs=1e-9), i
        checked += 1
    assert checked > 300


def test_queue_length_counts_the_callers_ahead_in_the_callers_group() -> None:
    """(callers of the group ahead by priority, then by arrival + 1) x the group's mean handle / its agents."""
    scenario = _two_groups({**INFORMATIVE, "tolerance": NO_BALK})
    out = simulate_calls(scenario, RandomStreams(3, 0))
    log, legs = out.calls, out.legs
    mean_handle, agents = {0: 180.0, 1: 300.0}, {0: 12, 1: 19}
    prio = np.array([1, 0, 1, 0])
    told = np.flatnonzero(np.isfinite(log.predicted_wait))
    assert told.size > 300
    for i in told:
        t = log.arrival[i]
        g = legs[legs[:, 0] == i][0, 1]
        waiting = legs[_still_waiting(legs, t) & (legs[:, 1] == g)]
        ahead = np.count_nonzero(prio[log.call_type[waiting[:, 0].astype(np.int64)]] >= prio[log.call_type[i]])
        expected = (ahead + 1) * mean_handle[int(g)] / agents[int(g)]
        assert log.predicted_wait[i] == pytest.approx(expected, rel=1e-12), i


def test_callers_who_cannot_bear_the_predicted_wait_hang_up_and_only_then() -> None:
    impatient = {**INFORMATIVE, "tolerance": {**EXP, "mean": "30s"}}
    log = simulate_calls(_two_groups(impatient), RandomStreams(4, 0)).calls
    balked = np.flatnonzero(log.outcome == BALKED)
    assert balked.size > 50
    assert np.all(log.predicted_wait[balked] > 0)
    tolerant = simulate_calls(_two_groups({**INFORMATIVE, "tolerance": NO_BALK}), RandomStreams(4, 0)).calls
    assert not np.any(tolerant.outcome == BALKED)


def test_virtual_hold_keeps_the_place_and_the_agent_who_reaches_it_dials() -> None:
    scenario = _two_groups({**INFORMATIVE, "tolerance": NO_BALK}, {**VIRTUAL, "threshold": "1min"})
    out = simulate_calls(scenario, RandomStreams(6, 0))
    log, work = out.calls, out.work
    took = np.flatnonzero(log.callback == 1)
    assert took.size > 100
    dials = work[work[:, 4] == DIAL]
    dialled = np.unique(dials[:, 3].astype(np.int64))
    reached = took[log.agent[took] >= 0]
    assert reached.size > 50 and np.all(np.isin(reached, dialled))
    assert np.all(np.isin(dialled, took))  # only callback takers are dialled
    # the customer is answered when the dial that reached them ends (the last attempt)
    for i in reached:
        assert log.answer[i] == dials[dials[:, 3] == i][-1, 2]
    # a taker never abandons afterwards, and a callback is never answered before it was requested
    assert np.all(log.answer[reached] >= log.requested[reached] + 20.0 - 1e-9)


def test_due_callbacks_go_to_the_home_group_and_its_reserved_agents() -> None:
    reserved = {**SCHEDULED, "threshold": "1min", "priority": "reserved", "reserved_agents": 3, "lead_time": "10min"}
    scenario = _two_groups({**INFORMATIVE, "tolerance": NO_BALK}, reserved)
    out = simulate_calls(scenario, RandomStreams(7, 0))
    log, work = out.calls, out.work
    dials = work[work[:, 4] == DIAL]
    assert len(dials) > 100
    group_of = np.asarray(scenario.agent_groups())
    calls = dials[:, 3].astype(np.int64)
    home = log.call_type[calls] // 2  # a-* types are served by group a (0), b-* by b (1)
    agents = dials[:, 0].astype(np.int64)
    assert np.array_equal(group_of[agents], home)
    first_of_group = {0: 0, 1: 12}  # agents are numbered group by group
    place = agents - np.array([first_of_group[int(g)] for g in group_of[agents]])
    assert np.all(place < 3)
    assert np.all(dials[:, 1] >= log.callback_due[calls] - 1e-9)  # never before the booked slot


def test_a_callback_offer_nobody_accepts_changes_nothing() -> None:
    """With the holding component present but nobody accepting and no messages, the call log, legs and work
    are those of the scenario without it, bit for bit."""
    base = Scenario.model_validate(DEPARTMENTS)
    offered = Scenario.model_validate({**DEPARTMENTS, "callback": {**VIRTUAL, "acceptance": 0.0}})
    a = simulate_calls(base, RandomStreams(9, 0))
    b = simulate_calls(offered, RandomStreams(9, 0))
    for column in a.calls.columns:
        assert np.array_equal(getattr(a.calls, column), getattr(b.calls, column), equal_nan=True), column
    assert np.array_equal(a.legs, b.legs) and np.array_equal(a.work, b.work)
    assert np.count_nonzero(b.calls.callback_offered) > 100


def test_oracle_with_several_groups_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="announcements.predictor: 'oracle'.*one pool"):
        Scenario.model_validate({**DEPARTMENTS, "announcements": {**INFORMATIVE, "predictor": "oracle"}})


def test_the_combined_study_runs_and_writes_its_table(tmp_path: Path) -> None:
    """experiments/combined.py (the docs' study of messages and virtual hold with departments), tiny sizes."""
    import subprocess

    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "combined.py"), "--replications", "2",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "combined.md").read_text()
    assert table.count("informative-virtual-hold") == 5 and "callbacks/day" in table
