"""Neglected promises: a stretched centre forgets more of the callbacks and web forms it promised."""

from __future__ import annotations

import math

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.engine import build_centre
from queuesim.experiment.compare import paired_comparison
from queuesim.model.callbacks import Neglect
from queuesim.rng import RandomStreams

from .test_streaming import BASE, SCHEDULED, WEB, _check, _holding

NEGLECT = {"per_hour": 2.0, "above": 0.93}


def _web(agents: int, neglect: dict | None) -> Scenario:
    callback = {**WEB, "threshold": "20s"}
    if neglect is not None:
        callback["neglect"] = neglect
    return Scenario(**{**BASE, "agents": agents}, callback=callback)


def _kept(scenario: Scenario, replications: int = 8) -> list[float]:
    return [simulate(scenario, seed=4, replication=r).summary["promise_kept_rate"] for r in range(replications)]


def test_the_hazard_is_zero_up_to_the_threshold_and_full_when_everyone_is_busy() -> None:
    n = Neglect(per_hour=2.0, above=0.8, review="15min")
    assert n.probability(0.5) == 0.0 and n.probability(0.8) == 0.0
    assert n.probability(1.0) == pytest.approx(1 - math.exp(-2.0 * 0.25))
    assert n.probability(0.9) == pytest.approx(1 - math.exp(-1.0 * 0.25))


def test_a_stretched_centre_breaks_more_promises() -> None:
    """The same callers, 34 agents (87% occupancy) and 28 (98%): neglect costs kept promises at both, and more
    where the staff are stretched (paired 95% CIs over replications, common random numbers throughout)."""
    effect = {}
    for agents in (34, 28):
        with_neglect, without = _kept(_web(agents, NEGLECT)), _kept(_web(agents, None))
        assert paired_comparison(with_neglect, without, metric="promise_kept_rate").paired_high < 0, agents
        effect[agents] = [a - b for a, b in zip(with_neglect, without)]
    stretched = paired_comparison(effect[28], effect[34], metric="promises lost to neglect")
    assert stretched.paired_high < 0, stretched


def test_forgotten_requests_are_broken_promises_that_bring_callers_back() -> None:
    result = simulate(_web(28, NEGLECT), seed=4)
    log = result.calls
    took = log.callback > 0
    # one pool runs on its fast path (the same output as the department centre: tests/test_one_group.py)
    assert type(build_centre(_web(28, NEGLECT), RandomStreams(1))).__name__ == "PolicyCentre"
    assert np.count_nonzero(took & (log.outcome == 4)) > np.count_nonzero(took) * 0.4
    assert np.any(log.attempt > 1)  # a broken web-form promise: some customers call again


@pytest.mark.parametrize("kind", [WEB, SCHEDULED], ids=["web_form", "scheduled"])
def test_neglect_that_never_forgets_changes_nothing(kind: dict) -> None:
    """Reviews that forget nothing (per_hour 0): the same calls as without neglect."""
    plain = Scenario(**{**BASE, "agents": 28}, callback={**kind, "threshold": "20s"})
    idle = Scenario(**{**BASE, "agents": 28}, callback={**kind, "threshold": "20s", "neglect": {"per_hour": 0.0}})
    a, b = simulate(plain, seed=6), simulate(idle, seed=6)
    for column in a.calls.columns:
        assert np.array_equal(getattr(a.calls, column), getattr(b.calls, column), equal_nan=True), column


def test_scheduled_callbacks_are_forgotten_too(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = Scenario(**{**BASE, "agents": 28},
                        callback={**SCHEDULED, "threshold": "20s", "neglect": {"per_hour": 4.0, "above": 0.5}})
    plain = Scenario(**{**BASE, "agents": 28}, callback={**SCHEDULED, "threshold": "20s"})
    assert simulate(scenario, seed=6).summary["promise_kept_rate"] < simulate(plain, seed=6).summary["promise_kept_rate"] - 0.1
    _check(scenario, seed=6, monkeypatch=monkeypatch)


def test_requests_nobody_will_work_do_not_keep_the_run_going() -> None:
    """Reserved callback agents whose shift ended: due callbacks wait for ever and the centre is idle, so nothing
    is forgotten (nobody is stretched); once nothing else can happen the reviews stop and the run ends, the
    requests unreached."""
    scenario = _holding("head_of_line+scheduled, reserved")
    spec = scenario.model_dump(exclude_none=True)
    spec["callback"]["neglect"] = {"per_hour": 3.0, "above": 0.6}
    neglected = Scenario.model_validate(spec)
    plain = simulate(scenario, seed=6).calls
    log = simulate(neglected, seed=6).calls  # (ran for ever before the reviews stopped)
    assert np.count_nonzero(log.outcome == 4) >= np.count_nonzero(plain.outcome == 4) > 0

