"""Hold announcements and callbacks: equivalences, decision rules, ordering, fulfilment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from queuesim import ConfigError, Scenario, simulate
from queuesim.measure.calllog import BALKED
from queuesim.model.config import experiment_from_dict

EXP = {"distribution": "exponential"}
BASE = dict(horizon="3h", arrivals={"rate": "30/min"}, handle_time={**EXP, "mean": "1min"},
            patience={**EXP, "mean": "3min"}, agents=30)
CORE_COLUMNS = ["arrival", "answer", "end", "wait", "handle_time", "patience", "agent", "outcome"]


def _same_calls(a, b) -> None:
    for column in CORE_COLUMNS:
        assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True), column


def test_generic_announcement_with_zero_jump_changes_nothing() -> None:
    """A generic message with hang-up probability 0 gives the same numbers as no message."""
    plain = simulate(Scenario(**BASE), seed=2)
    loop = simulate(Scenario(**BASE, announcements={"kind": "generic", "first": "20s", "every": "30s"}), seed=2)
    _same_calls(plain.calls, loop.calls)
    assert {k: v for k, v in loop.summary.items() if k != "messages_heard"} == plain.summary
    assert loop.summary["messages_heard"] > 0  # the messages play; nobody hangs up because of them


def test_policy_centre_without_offers_equals_core_engine() -> None:
    """A callback option that is never offered (threshold out of reach) reproduces the core engine exactly."""
    plain = simulate(Scenario(**BASE), seed=4)
    never = simulate(Scenario(**BASE, callback={"kind": "virtual_hold", "threshold": "100d"}), seed=4)
    _same_calls(plain.calls, never.calls)
    for metric, value in plain.summary.items():
        assert never.summary[metric] == pytest.approx(value, rel=1e-12, nan_ok=True), metric
    assert never.summary["callback_offers"] == 0


def test_generic_jump_puts_a_point_mass_of_hang_ups_right_after_each_message() -> None:
    """Hazard per second of waiting: at each message end, callers still waiting hang up with the
    configured probability (binomial 99.9% test); between messages nobody hangs up at an exact instant."""
    q = 0.15
    ann = {"kind": "generic", "first": "30s", "every": "45s", "length": "5s", "hangup_probability": q}
    sc = Scenario(**{**BASE, "agents": 27, "arrivals": {"rate": "30/min"}, "announcements": ann, "horizon": "6h"})
    calls = simulate(sc, seed=7).calls
    message_ends = 35.0 + 45.0 * np.arange(6)
    for t in message_ends:
        at_risk = int(np.count_nonzero(calls.wait >= t))
        if at_risk < 200:
            break
        hung_up = int(np.count_nonzero(calls.abandoned & (calls.wait == t)))
        test = stats.binomtest(hung_up, at_risk, q)
        assert test.pvalue > 0.001, f"at {t} s: {hung_up}/{at_risk} hung up, expected share {q}"
    # hazard in the second after a message is far above the hazard in the seconds before it
    t = message_ends[0]
    before = np.count_nonzero(calls.abandoned & (calls.wait >= t - 1) & (calls.wait < t)) / max(np.count_nonzero(calls.wait >= t - 1), 1)
    after = np.count_nonzero(calls.abandoned & (calls.wait >= t) & (calls.wait < t + 1)) / max(np.count_nonzero(calls.wait >= t), 1)
    assert after > 5 * before


def test_informative_oracle_balks_exactly_callers_told_more_than_their_tolerance() -> None:
    """With a perfect predictor (oracle: one agent, fixed handle times, nobody abandons) and a fixed tolerance,
    exactly the callers whose predicted wait exceeds the tolerance balk, and the others wait exactly as predicted."""
    sc = Scenario(horizon="4h", arrivals={"rate": "1.2/min"}, handle_time={"distribution": "deterministic", "value": "45s"},
                  agents=1, announcements={"kind": "informative", "first": 0, "predictor": "oracle",
                                           "tolerance": {"distribution": "deterministic", "value": "100s"}})
    calls = simulate(sc, seed=3).calls
    told = np.isfinite(calls.predicted_wait)
    assert told.sum() > 50
    balked = calls.outcome == BALKED
    assert np.array_equal(balked[told], calls.predicted_wait[told] > 100.0)
    stayed = told & ~balked
    assert np.allclose(calls.wait[stayed], calls.predicted_wait[stayed], atol=1e-9)
    assert np.all(calls.wait[balked] == 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0.5, 1.3), st.integers(1, 6), st.floats(0.1, 1.0), st.integers(0, 2**31))
def test_virtual_hold_keeps_its_place_in_line(load: float, agents: int, acceptance: float, seed: int) -> None:
    """A virtual-hold callback is never overtaken: no caller who arrived later is answered before the
    agent starts calling back (customers always pick up here, so the first attempt reaches them)."""
    dial = 15.0
    sc = Scenario(horizon="2h", arrivals={"rate": load * agents / 120.0}, handle_time={**EXP, "mean": "2min"},
                  patience={**EXP, "mean": "4min"}, agents=agents,
                  callback={"kind": "virtual_hold", "threshold": "30s", "acceptance": acceptance,
                            "answer_probability": 1.0, "dial_time": dial})
    calls = simulate(sc, seed=seed).calls
    virtual = np.flatnonzero(calls.callback == 1)
    live = (calls.callback == 0) & calls.answered & (calls.wait > 0)
    for i in virtual:
        started = calls.answer[i] - dial
        later = live & (calls.arrival > calls.arrival[i])
        assert np.all(calls.answer[later] >= started - 1e-9)
    assert np.all(calls.answered[virtual])


def test_scheduled_callbacks_respect_lead_time_and_slot_capacity() -> None:
    """Scheduled callbacks start at or after their slot, which starts at least lead_time after the request,
    and no slot holds more bookings than its capacity."""
    cb = {"kind": "scheduled", "threshold": "20s", "acceptance": 0.8, "slot_length": "15min", "slot_capacity": 3,
          "lead_time": "30min", "answer_probability": 1.0, "dial_time": "10s"}
    sc = Scenario(**{**BASE, "agents": 29, "callback": cb, "horizon": "2h"})
    calls = simulate(sc, seed=5).calls
    took = np.flatnonzero(calls.callback == 2)
    assert took.size > 10
    due = calls.callback_due[took]
    assert np.all(due >= calls.requested[took] + 1800.0 - 1e-9)
    assert np.allclose(due / 900.0, np.round(due / 900.0))
    assert np.all(calls.answer[took] - 10.0 >= due - 1e-9)
    _, per_slot = np.unique(due, return_counts=True)
    assert per_slot.max() <= 3


def test_web_form_follow_through_and_broken_promises() -> None:
    """With idle agents, the share of web-form promises kept matches follow_through (binomial 99.9%);
    broken promises make the customer call again with redial_if_broken."""
    cb = {"kind": "web_form", "threshold": "10s", "acceptance": 1.0, "follow_through": 0.6,
          "contact_delay": {**EXP, "mean": "20min"}, "late_after": "3h", "answer_probability": 1.0,
          "redial_if_broken": 0.5}
    sc = Scenario(horizon="6h", arrivals={"rate": "20/min"}, handle_time={**EXP, "mean": "1min"},
                  patience={**EXP, "mean": "3min"}, agents=19, callback=cb)
    res = simulate(sc, seed=8)
    calls, s = res.calls, res.summary
    first = calls.attempt == 1
    took = first & (calls.callback == 3) & (calls.requested < 2 * 3600)  # deadlines inside the run
    kept = int(np.count_nonzero(took & calls.answered))
    assert stats.binomtest(kept, int(took.sum()), 0.6 * (1 - math.exp(-9))).pvalue > 0.001
    broken_callers = set(calls.caller[first & (calls.callback == 3) & ~calls.answered])
    redialled = set(calls.caller[calls.attempt == 2])
    assert redialled <= broken_callers
    share = len(redialled & broken_callers) / len(broken_callers)
    assert stats.binomtest(len(redialled & broken_callers), len(broken_callers), 0.5).pvalue > 0.001, share
    assert s["callbacks_unreached"] > 0 and 0 < s["promise_kept_rate"] < 1


def test_callback_dialling_counts_as_agent_work() -> None:
    """Occupancy includes the agents' dialling time on callback attempts, answered or not:
    busy time = talk time + 30 s per attempt (every attempt here ends well inside the day)."""
    from queuesim.measure.metrics import overlap

    cb = {"kind": "virtual_hold", "threshold": "10s", "acceptance": 1.0, "answer_probability": 0.5,
          "dial_time": "30s", "attempts": 2, "retry_spacing": "5min"}
    sc = Scenario(**{**BASE, "agents": 31, "callback": cb, "arrivals": {"rate": "30/min"}})
    res = simulate(sc, seed=1)
    calls, s = res.calls, res.summary
    assert s["callbacks_unreached"] > 0
    window = 3 * 3600.0
    talk = overlap(calls.answer[calls.answered], calls.end[calls.answered], 0.0, window)
    took = calls.callback == 1
    early = took & (calls.arrival < window - 3600)  # all attempts of these callers are inside the window
    attempts = np.where(calls.answered[early], 1, 2)  # unreached: both attempts failed
    reached_second = calls.answered[early]  # a reached customer may have needed the second attempt
    busy = s["occupancy"] * 31 * window
    assert busy >= talk + 30.0 * attempts.sum() - 1e-6
    assert busy <= talk + 30.0 * (2 * took.sum()) + 1e-6
    assert reached_second.any()


@pytest.mark.parametrize(
    "block, fragment",
    [
        ({"callback": {"kind": "virtual_hold", "acceptance": 1.5}}, "callback.acceptance"),
        ({"callback": {"kind": "scheduled", "slot_length": 0}}, "callback.slot_length"),
        ({"callback": {"kind": "web_form"}}, "contact_delay"),
        ({"callback": {"kind": "teleport"}}, "callback.kind"),
        ({"callback": {"kind": "virtual_hold", "offer": "at_announcement"}}, "informative"),
        ({"announcements": {"kind": "informative"}}, "tolerance"),
        ({"announcements": {"kind": "generic", "hangup_probability": -0.1}}, "announcements.hangup_probability"),
        ({"costs": {"agent_per_hour": -3}}, "costs.agent_per_hour"),
        ({"callback": {"kind": "virtual_hold", "web_hours": [{"start": "14:00", "end": "16:00"}]}}, "web_hours"),
        ({"callback": {"kind": "web_form", "contact_delay": {**EXP, "mean": "1h"},
                       "web_hours": [{"start": "16:00", "end": "14:00"}]}}, "callback.web_hours[0]"),
        ({"callback": {"kind": "web_form", "contact_delay": {**EXP, "mean": "1h"}, "web_hours": []}}, "web_hours"),
    ],
)
def test_invalid_policy_settings(block: dict, fragment: str) -> None:
    """Probabilities outside [0, 1], zero slot lengths, negative costs and missing parts are named."""
    with pytest.raises(ConfigError) as info:
        experiment_from_dict({**BASE, **block})
    assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"shifts": [{"start": "00:00", "length": "1h", "count": 2}],
         "announcements": {"kind": "informative", "first": 0, "every": "2min",
                           "tolerance": {**EXP, "mean": "1h"}}},
        {"shifts": [{"start": "00:00", "length": "1h", "count": 2}],
         "callback": {"kind": "web_form", "contact_delay": {**EXP, "mean": "1h"}}},
        {"agents": 1, "handle_time": {"distribution": "deterministic", "value": 1e12},
         "callback": {"kind": "web_form", "threshold": 0, "acceptance": 1.0, "contact_delay": {**EXP, "mean": "10min"}}},
    ],
    ids=["messages-after-closing", "web-form-after-closing", "web-form-agent-busy-for-ages"],
)
def test_runs_end_when_nobody_can_answer(extra: dict) -> None:
    """Patient callers left with nobody to answer them end the run as unserved: recorded messages
    stop when no agent will come again, and a broken promise brings a caller back a bounded number of times."""
    import time

    spec = {"horizon": "2h", "arrivals": {"rate": "1/min"}, "handle_time": {**EXP, "mean": "1min"}, **extra}
    started = time.perf_counter()
    res = simulate(Scenario.model_validate(spec), seed=1)
    assert time.perf_counter() - started < 20
    assert res.summary["offered"] > 0
    assert int(res.calls.attempt.max()) <= 2



WEB_HOURS = {"kind": "web_form", "threshold": "1min", "acceptance": 0.7, "follow_through": 0.9,
             "contact_delay": {**EXP, "mean": "40min"}, "late_after": "20h", "redial_if_broken": 0.0,
             "answer_probability": 1.0, "dial_time": "20s", "attempts": 1,
             "web_hours": [{"start": "04:00", "end": "05:00"}, {"start": "07:00", "end": "07:30"}]}


def _web_day(agents: int, horizon: str = "8h", hours=WEB_HOURS) -> Scenario:
    return Scenario(horizon=horizon, arrivals={"rate": "30/min"}, handle_time={**EXP, "mean": "1min"},
                    patience={**EXP, "mean": "3min"}, agents=agents, callback=hours)


def test_web_form_requests_are_worked_only_in_their_hours_and_first() -> None:
    """With web_hours, every contact attempt starts inside a block (daily: the second day's blocks
    too); requests already due when a block opens are taken at its opening, before inbound
    callers, even when every agent is busy."""
    res = simulate(_web_day(agents=29, horizon="30h"), seed=3)
    calls = res.calls
    web = (calls.callback == 3) & calls.answered
    started = calls.answer[web] - 20.0
    clock = started % 86400.0
    inside = ((clock >= 4 * 3600) & (clock < 5 * 3600)) | ((clock >= 7 * 3600) & (clock < 7.5 * 3600))
    assert web.sum() > 50 and inside.all()
    assert (started > 86400.0).any(), "the blocks repeat every day"
    opening = np.isin(started, [4 * 3600.0, 7 * 3600.0, 86400.0 + 4 * 3600.0, 86400.0 + 7 * 3600.0])
    assert opening.sum() >= 10, "idle agents are woken when a block opens"
    # in a busy centre, inside a block no inbound caller is answered while a due request waits
    b = simulate(_web_day(agents=28, horizon="8h"), seed=3).calls
    web = (b.callback == 3) & b.answered
    due, contact = b.callback_due[web], b.answer[web] - 20.0
    inbound = b.answer[(b.callback == 0) & b.answered]
    clock = inbound % 86400.0
    in_block = inbound[((clock >= 4 * 3600) & (clock < 5 * 3600)) | ((clock >= 7 * 3600) & (clock < 7.5 * 3600))]
    assert web.sum() > 30 and in_block.size > 1000
    waiting = (due[None, :] <= in_block[:, None]) & (in_block[:, None] < contact[None, :])
    assert not waiting.any(), "an inbound caller was answered in a block while a due request waited"
    assert (contact > due + 60).sum() > 10, "requests waited for their block"


def test_a_scheduled_slot_longer_than_the_day_is_booked_after_now_not_before() -> None:
    """A slot so long that the rounding allowance of the slot arithmetic reaches back past the present: the
    booking is the next slot (never due today), on one pool and with groups, instead of a negative delay."""
    from queuesim.engine.policies import book_slot

    class Cb:
        lead_time, slot_length, slot_capacity = 300.0, 1.8446744073709552e19, 2

    slots: dict[int, int] = {}
    assert book_slot(slots, 440.1, Cb) == Cb.slot_length
    callback = {"kind": "scheduled", "threshold": "10s", "acceptance": 1.0, "slot_length": 1.8446744073709552e19,
                "lead_time": "5min"}
    one_pool = simulate(Scenario(horizon="1h", arrivals={"rate": "3/min"}, agents=3, callback=callback,
                                 handle_time={"distribution": "exponential", "mean": "2min"}), seed=1)
    groups = simulate(Scenario(horizon="1h", arrivals={"rate": "3/min"}, groups=[{"name": "g", "agents": 3}],
                               callback=callback, handle_time={"distribution": "exponential", "mean": "2min"}), seed=1)
    for result in (one_pool, groups):
        assert result.summary["callback_accepts"] > 0 and result.summary["callback_delay"] > 1e19  # in the next slot
