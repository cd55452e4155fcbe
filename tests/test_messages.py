"""Recorded hold messages: how many each call sat through, and what they cost in churn."""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.engine import build_centre
from queuesim.measure.calllog import ABANDONED, BALKED
from queuesim.rng import RandomStreams

from .test_streaming import BASE, HOLDING, _holding, _scenario

EXP = {"distribution": "exponential"}


def _own_count(messages: dict[int, int], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    for i, k in messages.items():
        out[i] = k
    return out


def _at_a_message_end(wait: np.ndarray, first_end: float, every: float) -> np.ndarray:
    """Waits that end exactly as a message ends: an answer at that instant may come before or after it."""
    k = np.round((wait - first_end) / every)
    return (k >= 0) & np.isclose(wait, first_end + k * every, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["informative/head_of_line", "priorities+head_of_line+web form"])
def test_one_pool_counts_the_messages_the_engine_played(name: str) -> None:
    """The column is the number of recorded messages the engine played to the caller (the message a
    caller balked at or took a callback at is heard too; the engine stops counting there)."""
    centre = build_centre(_scenario(name), RandomStreams(3))
    log = centre.run().calls
    played = _own_count(centre._messages, len(log))
    plain = (log.outcome != BALKED) & (log.callback == 0)
    assert played.sum() > 20
    assert np.array_equal(log.messages[plain], played[plain])
    # the message the caller reacted to, unless they reacted to the announcement at arrival (no recording yet)
    reacted = ~plain & (log.wait > 0)
    assert np.all(log.messages[reacted] == played[reacted] + 1)
    assert np.all(log.messages[~plain & ~reacted] == 0)


@pytest.mark.parametrize("name", [n for n in HOLDING if "informative" in str(HOLDING[n]) or "announcements" in HOLDING[n]])
def test_departments_count_the_messages_of_every_leg_alone_on_hold(name: str) -> None:
    scenario = _holding(name)
    if scenario.announcements is None or scenario.announcements.kind != "informative":
        pytest.skip("no informative messages")
    centre = build_centre(scenario, RandomStreams(3))
    out = centre.run()
    log = out.calls
    played = _own_count(centre.holding.messages, len(log))
    legs = out.legs
    tie = np.zeros(len(log), dtype=bool)
    first_end = scenario.announcements.first_message_end()
    tie[legs[_at_a_message_end(legs[:, 3] - legs[:, 2], first_end, scenario.announcements.every), 0].astype(np.int64)] = True
    plain = (log.outcome != BALKED) & (log.callback == 0) & ~tie  # held legs too: the recording starts when alone
    assert played[plain].sum() > 100
    assert np.array_equal(log.messages[plain], played[plain])


def test_a_generic_loop_counts_the_message_a_caller_hangs_up_after() -> None:
    """A caller who hangs up right after the k-th message heard exactly k; one answered before the first, none."""
    loop = {"kind": "generic", "first": "30s", "every": "45s", "length": "5s", "hangup_probability": 0.2}
    result = simulate(Scenario(**{**BASE, "patience": None, "agents": 24}, announcements=loop), seed=4)
    log = result.calls
    after = {k: 35.0 + (k - 1) * 45.0 for k in (1, 2)}
    for k, wait in after.items():
        gone = (log.outcome == ABANDONED) & np.isclose(log.wait, wait)
        assert gone.sum() > 20, k
        assert np.all(log.messages[gone] == k)
    answered = log.outcome == 0
    assert np.all(log.messages[answered & (log.wait < 35.0)] == 0)
    assert result.summary["messages_heard"] == pytest.approx(log.messages.mean())


def test_no_announcements_no_messages_column() -> None:
    result = simulate(_scenario("plain"), seed=1)
    assert result.calls.messages is None and "messages_heard" not in result.summary


CHURN = {"lifetime_value": 500, "base": 0.001, "per_wait_minute": 0.002}
LOOP = {"kind": "generic", "first": "20s", "every": "30s", "length": "5s", "hangup_probability": 0.0}


def _day(per_message: float, announcements=LOOP) -> dict:
    spec = {**BASE, "agents": 28, "costs": {"agent_per_hour": 30, "churn": {**CHURN, "per_message": per_message}}}
    if announcements is not None:
        spec["announcements"] = announcements
    return simulate(Scenario(**spec), seed=9).summary


def test_each_message_heard_adds_its_churn() -> None:
    """Messages that make nobody hang up still cost: per_message x messages heard, over all callers."""
    free, priced = _day(0.0), _day(0.01)
    heard = free["messages_heard"] * free["offered"]  # every caller's first call is in the window here
    assert heard > 1000
    assert priced["expected_churn"] - free["expected_churn"] == pytest.approx(0.01 * heard, rel=1e-9)
    assert priced["cost_churn"] > free["cost_churn"] and priced["cost_agents"] == free["cost_agents"]


def test_without_messages_or_without_the_price_nothing_changes() -> None:
    """No recording: per_message has nothing to count; price 0: the same numbers as a config without the key."""
    assert _day(0.05, announcements=None) == _day(0.0, announcements=None)
    spec = {**BASE, "agents": 28, "announcements": LOOP, "costs": {"agent_per_hour": 30, "churn": CHURN}}
    assert simulate(Scenario(**spec), seed=9).summary == _day(0.0)


def test_no_recording_while_an_agent_holds_the_line() -> None:
    """Warm transfers: a leg spent on hold with the first agent on the line hears no message; a leg after
    the hold ended (the warm limit) hears them from then."""
    from .test_streaming import _departments

    scenario = _departments(False)
    out = build_centre(scenario, RandomStreams(8)).run()
    log, legs, work = out.calls, out.legs, out.work
    ann = scenario.announcements
    holds = work[work[:, 4] == 2]
    whole, partly = 0, 0
    for call, start, end in zip(holds[:, 3].astype(np.int64), holds[:, 1], holds[:, 2]):
        mine = legs[legs[:, 0] == call]
        if mine.shape[0] != 2 or mine[1, 2] != start:
            continue
        first_leg = int(ann.messages_heard(np.array([mine[0, 3] - mine[0, 2]]))[0])
        if end == mine[1, 3]:  # held to the end of the leg: nothing more
            assert log.messages[call] == first_leg
            whole += 1
        else:  # alone after the hold: messages from when it ended
            assert log.messages[call] == first_leg + int(ann.messages_heard(np.array([mine[1, 3] - end]))[0])
            partly += 1
    assert whole > 20 and partly > 5
    assert log.messages.sum() > 0


def test_a_caller_answered_at_once_hears_no_message_even_if_the_first_plays_at_once() -> None:
    loop = {"kind": "generic", "first": "0s", "every": "30s", "length": "0s"}
    log = simulate(Scenario(**{**BASE, "agents": 29}, announcements=loop), seed=2).calls
    at_once = log.wait == 0
    assert at_once.sum() > 100 and np.all(log.messages[at_once] == 0)
    assert np.all(log.messages[log.wait > 0] >= 1)
