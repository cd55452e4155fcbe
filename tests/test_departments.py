"""Departments and transfers: routing, misrouting, cold / warm / own-it, journeys."""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import ConfigError, Scenario, simulate
from queuesim.analytic import erlang_a_metrics
from queuesim.model.config import experiment_from_dict
from queuesim.engine import simulate_calls
from queuesim.rng import RandomStreams
from queuesim.measure.stats import mean_ci

EXP = {"distribution": "exponential"}
CORE = ["arrival", "answer", "end", "wait", "handle_time", "patience", "agent", "outcome"]


def two_departments(policy: str = "cold", misroute: float = 0.2, **transfers) -> Scenario:
    return Scenario.model_validate({
        "horizon": "6h", "arrivals": {"rate": "4/min"},
        "groups": [{"name": "billing", "agents": 9}, {"name": "tech", "agents": 8}],
        "call_types": [
            {"name": "bill", "share": 0.5, "groups": ["billing"], "misroute": {"probability": misroute, "to": "tech"},
             "handle_time": {**EXP, "mean": "4min"}, "patience": {**EXP, "mean": "3min"}},
            {"name": "fix", "share": 0.5, "groups": ["tech"], "misroute": {"probability": misroute, "to": "billing"},
             "handle_time": {**EXP, "mean": "3min"}, "patience": {**EXP, "mean": "3min"}},
        ],
        "transfers": {"policy": policy, "identification_time": {**EXP, "mean": "40s"},
                      "conference_time": {"distribution": "deterministic", "value": "20s"}, **transfers},
    })


def test_one_group_one_type_equals_core_engine() -> None:
    """With one group, one type and no misrouting the department engine reproduces the core engine."""
    spec = {"horizon": "4h", "arrivals": {"rate": "3/min"}, "handle_time": {**EXP, "mean": "3min"},
            "patience": {**EXP, "mean": "2min"}}
    core = simulate(Scenario.model_validate({**spec, "agents": 9}), seed=3)
    dept = simulate(Scenario.model_validate({**spec, "groups": [{"name": "all", "agents": 9}]}), seed=3)
    for column in CORE:
        assert np.array_equal(getattr(core.calls, column), getattr(dept.calls, column), equal_nan=True), column
    for metric in ("offered", "answered", "abandoned", "asa", "mean_wait", "service_level", "occupancy"):
        assert dept.summary[metric] == pytest.approx(core.summary[metric], rel=1e-12), metric
    assert dept.summary["transfer_rate"] == 0 and dept.summary["occupancy[group=all]"] == pytest.approx(core.summary["occupancy"])


def test_warm_transfer_never_leaves_the_caller_alone() -> None:
    """Warm hand-off (no time limit): the first agent holds the line for the whole second leg,
    until the right agent answers or the caller hangs up; that holding time is agent work."""
    sc = two_departments("warm", misroute=0.3)
    out = simulate_calls(sc, RandomStreams(5, 0))
    legs, work = out.legs, out.work
    transferred = np.flatnonzero(out.calls.transfers > 0)
    assert transferred.size > 50
    holds = work[work[:, 4] == 2]
    for i in transferred:
        mine = legs[legs[:, 0] == i]
        second = mine[np.argsort(mine[:, 2])][1]
        hold = holds[holds[:, 3] == i]
        if second[3] > second[2]:  # the caller waited: exactly one hold covering the whole wait
            assert hold.shape[0] == 1
            assert hold[0, 1] == pytest.approx(second[2]) and hold[0, 2] == pytest.approx(second[3])
        first_agent = int(mine[np.argsort(mine[:, 2])][0][4])
        if hold.size:
            assert int(hold[0, 0]) == first_agent
    # busy time includes holding: occupancy = all work / staffed time
    res = simulate(sc, seed=5)
    total_work = float(np.sum(work[:, 2] - work[:, 1]))
    assert res.summary["occupancy"] * 17 * 6 * 3600 == pytest.approx(
        float(np.sum(np.clip(np.minimum(work[:, 2], 6 * 3600) - work[:, 1], 0, None))), rel=1e-9)
    assert float(np.sum(holds[:, 2] - holds[:, 1])) > 0 and total_work > 0


def test_warm_limit_falls_back_to_cold() -> None:
    """With a warm limit, no hold lasts longer than the limit; the caller then waits alone."""
    sc = two_departments("warm", misroute=0.4, warm_limit="30s")
    out = simulate_calls(sc, RandomStreams(7, 0))
    holds = out.work[out.work[:, 4] == 2]
    assert holds.size and np.all(holds[:, 2] - holds[:, 1] <= 30.0 + 1e-9)


def test_warm_limit_replaces_the_warm_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a warm limit the caller waits alone with a fresh patience: the patience they had while held
    no longer applies, and every abandoned leg ends exactly when the caller hung up."""
    from queuesim.engine.departments import DepartmentCentre

    hung_up: list[tuple[int, float]] = []
    original = DepartmentCentre._renege_leg

    def renege(self: DepartmentCentre, event) -> None:
        i, token = event.value
        live = self.waiting[i] and self.leg[i] == token
        original(self, event)
        if live:
            hung_up.append((i, self.env.now))

    monkeypatch.setattr(DepartmentCentre, "_renege_leg", renege)
    sc = two_departments("warm", misroute=0.4, warm_limit="30s", warm_patience={**EXP, "mean": "1min"},
                         cold_patience={**EXP, "mean": "3min"})
    out = simulate_calls(sc, RandomStreams(7, 0))
    abandoned = out.legs[out.legs[:, 5] == 1]
    assert len(hung_up) == len(abandoned) > 50
    ends = {int(row[0]): row[3] for row in abandoned}
    for i, when in hung_up:
        assert ends[i] == pytest.approx(when, abs=1e-9), f"call {i}: leg ends at {ends[i]}, hung up at {when}"


def test_transferred_callers_can_be_given_priority() -> None:
    """transfers.priority: a cold-transferred caller's second wait is served before first-time callers of
    lower priority: it waits far less and the first-time callers a little more (same callers). A transfer
    priority equal to the types' keeps first come, first served."""
    def legs_by_order(out) -> tuple[np.ndarray, np.ndarray]:
        legs = out.legs[np.lexsort((out.legs[:, 2], out.legs[:, 0]))]
        later = np.r_[False, legs[1:, 0] == legs[:-1, 0]]
        return legs[~later], legs[later]

    def busy(**transfers) -> Scenario:
        spec = two_departments("cold", misroute=0.3, **transfers).model_dump(exclude_unset=True)
        return Scenario.model_validate({**spec, "arrivals": {"rate": "4.7/min"}})

    wait = lambda legs: float(np.mean(legs[:, 3] - legs[:, 2]))  # noqa: E731
    base_first, base_second = legs_by_order(simulate_calls(busy(), RandomStreams(9, 0)))
    first, second = legs_by_order(simulate_calls(busy(priority=5), RandomStreams(9, 0)))
    assert base_second.shape[0] > 200 and wait(base_second) > 20.0
    assert wait(second) < 0.7 * wait(base_second)
    assert wait(first) > wait(base_first)
    same = simulate_calls(busy(priority=0), RandomStreams(9, 0)).calls
    base = simulate_calls(busy(), RandomStreams(9, 0)).calls
    assert np.array_equal(same.answer, base.answer, equal_nan=True)


def test_journeys_are_conserved() -> None:
    """Every call ends answered or abandoned; every caller ends resolved, abandoned or out of attempts."""
    sc = two_departments("own_it", misroute=0.3, own_it_resolution=0.5).model_copy(update={
        "redial": Scenario.model_fields["redial"].annotation.__args__[0].model_validate(
            {"probability": 0.5, "delay": {**EXP, "mean": "10min"}, "max_attempts": 3, "unresolved_probability": 0.7})})
    calls = simulate(sc, seed=9).calls
    assert set(np.unique(calls.outcome)) <= {0, 1}
    assert not np.any(calls.resolved & (calls.outcome == 1))
    assert np.all(calls.transfers[calls.outcome == 0] >= 0)
    for caller in np.unique(calls.caller)[:300]:
        mine = np.flatnonzero(calls.caller == caller)
        mine = mine[np.argsort(calls.attempt[mine])]
        assert list(calls.attempt[mine]) == list(range(1, len(mine) + 1))
        # only the last call may be resolved; earlier ones were abandoned or unresolved
        assert not np.any(calls.resolved[mine[:-1]])
        last = mine[-1]
        ended = [bool(calls.resolved[last]), calls.outcome[last] == 1,
                 calls.outcome[last] == 0 and not calls.resolved[last]]
        assert sum(ended) == 1, "a journey ends resolved, abandoned, or answered but unresolved"
        assert len(mine) <= 3


def test_cold_transfer_adds_a_second_queue_and_reexplaining() -> None:
    """Cold transfers: the caller queues twice, and the re-explanation time lengthens the next handling."""
    sc = two_departments("cold", misroute=0.3, reexplain_time={"distribution": "deterministic", "value": "90s"})
    out = simulate_calls(sc, RandomStreams(2, 0))
    calls, work = out.calls, out.work
    moved = (calls.transfers > 0) & (calls.outcome == 0)
    talk = work[work[:, 4] == 0]
    for i in np.flatnonzero(moved)[:100]:
        t = talk[talk[:, 3] == i]
        assert t.shape[0] == 1
        assert t[0, 2] - t[0, 1] == pytest.approx(calls.handle_time[i] + 90.0)


def test_two_independent_groups_match_two_erlang_a_models() -> None:
    """No misrouting, each type served by its own group: each group behaves as its own Erlang A queue
    (99.9% replication CIs contain the exact abandonment and mean wait)."""
    sc = Scenario.model_validate({
        "horizon": "10h", "warmup": "1h", "arrivals": {"rate": "6/min"},
        "groups": [{"name": "a", "agents": 10}, {"name": "b", "agents": 7}],
        "call_types": [
            {"name": "x", "share": 0.6, "groups": ["a"], "handle_time": {**EXP, "mean": "1.5min"}, "patience": {**EXP, "mean": "2min"}},
            {"name": "y", "share": 0.4, "groups": ["b"], "handle_time": {**EXP, "mean": "2.5min"}, "patience": {**EXP, "mean": "4min"}},
        ],
    })
    reps = [simulate(sc, seed=11, replication=r, keep_calls=False).summary for r in range(12)]
    for name, rate, handle, patience, agents in (("x", 3.6 / 60, 90.0, 120.0, 10), ("y", 2.4 / 60, 150.0, 240.0, 7)):
        exact = erlang_a_metrics(rate, handle, patience, agents, threshold=20.0)
        for metric, value in (("abandonment_rate", exact.p_abandon), ("mean_wait", exact.mean_wait)):
            est = mean_ci([r[f"{metric}[{name}]"] for r in reps], level=0.999)
            assert est.contains(value), f"{name} {metric}: exact {value:.4g}, simulated {est.mean:.4g} +- {est.half_width:.2g}"


def test_overflow_group_answers_after_the_delay() -> None:
    """Overflow: calls reach the secondary group only after waiting overflow_after."""
    sc = Scenario.model_validate({
        "horizon": "4h", "arrivals": {"rate": "5/min"},
        "groups": [{"name": "home", "agents": 6}, {"name": "spare", "agents": 4}],
        "call_types": [{"name": "t", "share": 1.0, "groups": ["home", "spare"], "overflow_after": "45s",
                        "handle_time": {**EXP, "mean": "1.5min"}, "patience": {**EXP, "mean": "5min"}}],
    })
    calls = simulate(sc, seed=1).calls
    by_spare = calls.group == 1
    assert by_spare.any() and np.all(calls.wait[by_spare] >= 45.0 - 1e-9)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"call_types": [{"name": "bill", "share": 1.0, "groups": ["accounts"], "handle_time": {**EXP, "mean": 60}}]}, "unknown group 'accounts'"),
        ({"call_types": [{"name": "bill", "share": 1.0, "handle_time": {**EXP, "mean": 60}}]}, "no group can serve it"),
        ({"call_types": [{"name": "bill", "share": 1.0, "groups": ["billing"], "misroute": {"probability": 1.2, "to": "tech"},
                          "handle_time": {**EXP, "mean": 60}}]}, "misroute.probability"),
        ({"call_types": [{"name": "bill", "share": 1.0, "groups": ["billing"], "misroute": {"probability": 0.1, "to": "sales"},
                          "handle_time": {**EXP, "mean": 60}}]}, "misroute.to 'sales'"),
        ({"transfers": {"policy": "hot"}}, "transfers.policy"),
        ({"agents": 3}, "staffing is per group"),
    ],
)
def test_bad_routing_configs(change: dict, fragment: str) -> None:
    """Routing errors name the call type, the group and what is allowed."""
    base = {"horizon": "1h", "arrivals": {"rate": "1/min"},
            "groups": [{"name": "billing", "agents": 2}, {"name": "tech", "agents": 2}],
            "call_types": [{"name": "bill", "share": 1.0, "groups": ["billing"], "handle_time": {**EXP, "mean": 60}}]}
    with pytest.raises(ConfigError) as info:
        experiment_from_dict({**base, **change})
    assert fragment in str(info.value), str(info.value)
