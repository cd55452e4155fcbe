"""Callback dialling: agent-first (the agent dials and waits) against customer-first (the system dials)."""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.engine import build_centre, simulate_calls
from queuesim.engine.holding import DIAL  # the work table's kind of dialling / connecting
from queuesim.rng import RandomStreams

from .test_streaming import BASE, SCHEDULED, VIRTUAL, WEB, _check



def _run(callback: dict, seed: int = 3):
    """One pool written as a single group, so that the output has the work table."""
    scenario = Scenario(**{**BASE, "agents": 27}, callback={**callback, "threshold": "20s"})
    return scenario, simulate_calls(scenario.as_one_group(), RandomStreams(seed))


@pytest.mark.parametrize("kind", [VIRTUAL, SCHEDULED, WEB], ids=["virtual_hold", "scheduled", "web_form"])
def test_customer_first_takes_agent_time_only_for_customers_who_answer(kind: dict) -> None:
    callback = {**kind, "answer_probability": 0.6, "dial": "customer_first", "connect_time": "4s"}
    scenario, out = _run(callback)
    # one pool runs on its fast path (the same output as the department centre: tests/test_one_group.py)
    assert type(build_centre(scenario, RandomStreams(1))).__name__ == "PolicyCentre"
    log, work = out.calls, out.work
    reached = (log.callback > 0) & (log.agent >= 0)
    dialling = work[work[:, 4] == DIAL]
    assert reached.sum() > 20
    # one connection per customer reached, connect_time long, ending when the talk starts (the customer's
    # answer time in the log); none for unanswered attempts
    assert dialling.shape[0] == reached.sum()
    assert np.allclose(dialling[:, 2] - dialling[:, 1], 4.0)
    assert np.array_equal(np.sort(dialling[:, 3].astype(np.int64)), np.flatnonzero(reached))
    by_call = {int(c): end for c, end in zip(dialling[:, 3], dialling[:, 2])}
    assert all(log.answer[i] == by_call[i] for i in np.flatnonzero(reached))


def test_customer_first_uses_less_agent_time_per_callback_than_agent_first() -> None:
    """The same callers: agent-first pays dial_time for every attempt, customer-first connect_time per answer."""
    base = {**VIRTUAL, "answer_probability": 0.6}
    _, agent_first = _run({**base, "dial": "agent_first"})
    _, customer_first = _run({**base, "dial": "customer_first"})
    per_callback = []
    for out in (agent_first, customer_first):
        reached = int(((out.calls.callback > 0) & (out.calls.agent >= 0)).sum())
        rows = out.work[out.work[:, 4] == DIAL]
        per_callback.append(float(np.sum(rows[:, 2] - rows[:, 1])) / reached)
    assert per_callback[0] > 20.0  # at least one 20 s attempt per callback reached
    assert per_callback[1] == pytest.approx(5.0)  # the default connect_time, once
    assert per_callback[1] < per_callback[0] / 4


def test_agent_first_is_the_default_and_runs_on_the_fast_path() -> None:
    default = Scenario(**BASE, callback=VIRTUAL)
    explicit = Scenario(**BASE, callback={**VIRTUAL, "dial": "agent_first", "connect_time": "9s"})
    assert type(build_centre(default, RandomStreams(1))).__name__ == "PolicyCentre"
    a, b = simulate(default, seed=2), simulate(explicit, seed=2)
    assert a.summary == b.summary


def test_customer_first_streams_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = Scenario(**{**BASE, "agents": 28}, callback={**VIRTUAL, "dial": "customer_first"})
    _check(scenario, seed=5, monkeypatch=monkeypatch)
