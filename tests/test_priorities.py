"""Priorities between call types on one pool of agents.

A free agent answers the waiting call of the highest priority class, first
come first served within a class, and never interrupts a call. Checked against
the exact mean waits of the non-preemptive priority M/M/n queue (Cobham's
formula) with replication confidence intervals, against the engine's
invariants on every code path (lazy and eager abandonment, redials, shifts,
a backlog), and shown to change nothing when every type has the same priority.
"""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.analytic import erlang_c_metrics, priority_mmn_waits
from queuesim.engine import simulate_calls
from queuesim.engine.priority import PriorityQueue, priority_ranks
from queuesim.rng import RandomStreams
from queuesim.measure.stats import mean_ci

EXP = {"distribution": "exponential"}


def two_types(vip: int = 1, std: int = 0, **extra) -> Scenario:
    spec = {
        "horizon": "30h", "warmup": "2h", "arrivals": {"rate": "4/min"}, "agents": 5,
        "handle_time": {**EXP, "mean": "1min"},
        "call_types": [{"name": "vip", "share": 0.375, "priority": vip}, {"name": "std", "share": 0.625, "priority": std}],
    }
    spec.update(extra)
    return Scenario.model_validate(spec)


def test_two_classes_match_cobham() -> None:
    """Non-preemptive priority M/M/5 at 80% load: each class's mean wait (replication 99.9% CI) contains
    Cobham's exact value (9.5 s and 47.5 s), and the high class waits less than FCFS (33.2 s) while the
    low class waits more."""
    sc = two_types()
    reps = [simulate(sc, seed=7, replication=r, keep_calls=False).summary for r in range(40)]
    exact = priority_mmn_waits([1.5 / 60, 2.5 / 60], 60.0, 5)
    fcfs = erlang_c_metrics(4 / 60, 60.0, 5).asa
    for name, value in zip(("vip", "std"), exact):
        est = mean_ci([r[f"mean_wait[{name}]"] for r in reps], level=0.999)
        assert est.contains(value), f"{name}: exact {value:.4g} s, simulated {est.mean:.4g} +- {est.half_width:.2g}"
    vip = mean_ci([r["mean_wait[vip]"] for r in reps], level=0.999)
    std = mean_ci([r["mean_wait[std]"] for r in reps], level=0.999)
    assert vip.mean + vip.half_width < fcfs < std.mean - std.half_width
    # all callers together wait as in FCFS (the order of service does not change the number waiting)
    overall = mean_ci([r["mean_wait"] for r in reps], level=0.999)
    assert overall.contains(fcfs)


def test_vip_type_gets_a_lower_asa_on_one_pool() -> None:
    """The defect this fixes: a VIP type and a standard type on one pool got the same ASA."""
    out = simulate(two_types(), seed=1)
    assert out.summary["asa[vip]"] < 0.5 * out.summary["asa[std]"]


def test_equal_priorities_change_nothing() -> None:
    """Every type with the same priority (any value) is the plain FCFS pool, bit for bit."""
    plain = simulate_calls(two_types(0, 0, horizon="6h"), RandomStreams(3, 0)).calls
    for level in (5, -2):
        same = simulate_calls(two_types(level, level, horizon="6h"), RandomStreams(3, 0)).calls
        for column in plain.columns:
            assert np.array_equal(getattr(plain, column), getattr(same, column), equal_nan=True), column
    ranked = simulate_calls(two_types(1, 0, horizon="6h"), RandomStreams(3, 0)).calls
    assert not np.array_equal(plain.answer, ranked.answer, equal_nan=True)


SHIFTS = [{"name": "a", "start": "0:00", "length": "6h", "count": 8, "breaks": [{"start": "2h", "length": "20min"}]},
          {"name": "b", "start": "1:00", "length": "5h", "count": 6}]


@pytest.mark.parametrize("model", ["lazy abandonment", "redials, shifts, backlog, hang-ups"])
def test_strict_priority_and_fcfs_within_class(model: str) -> None:
    """Engine invariants with three classes: every call ends; an answered call of a class was never
    answered while an earlier call of the same class (FCFS) or any call of a higher class waited.
    (No agent idle while a caller waits: tests/test_extensions.py reads it while the centre runs.)"""
    extra: dict = {"patience": {**EXP, "mean": "3min"}}
    if model != "lazy abandonment":
        extra.update(redial={"probability": 0.5, "delay": {**EXP, "mean": "4min"}, "max_attempts": 3},
                     backlog=20, agents=None, shifts=SHIFTS,
                     announcements={"kind": "generic", "first": "30s", "every": "1min", "length": "5s",
                                    "hangup_probability": 0.05})
    spec = {"horizon": "6h", "arrivals": {"rate": "13/min"}, "agents": 13, "handle_time": {**EXP, "mean": "1min"},
            "call_types": [{"name": "gold", "share": 0.2, "priority": 3}, {"name": "silver", "share": 0.3, "priority": 1},
                           {"name": "bronze", "share": 0.5}], **extra}
    spec = {k: v for k, v in spec.items() if v is not None}
    calls = simulate_calls(Scenario.model_validate(spec), RandomStreams(5, 0)).calls
    rank = np.array([0, 1, 2])[calls.call_type]
    answered = np.flatnonzero(calls.agent >= 0)
    assert answered.size > 1000 and np.all(np.isfinite(calls.end))
    waited = answered[calls.answer[answered] > calls.arrival[answered]]
    assert waited.size > 200, "the test needs queueing"
    leave = np.where(calls.agent >= 0, calls.answer, calls.arrival + calls.wait)
    for i in waited:
        t = calls.answer[i]
        # calls waiting at t (arrived before, not yet gone): none of a higher class, none earlier of the same
        waiting = (calls.arrival < t) & (leave > t)
        assert not np.any(waiting & (rank < rank[i])), f"call {i} answered while a higher class waited"
        assert not np.any(waiting & (rank == rank[i]) & (calls.arrival < calls.arrival[i])), f"call {i} overtook"


def test_priority_queue_operations() -> None:
    """The queue's deque operations: strict classes, FCFS within one, [0] the oldest, renumbering by extend."""
    ctype = [1, 0, 1, 2, 0]
    q = PriorityQueue(priority_ranks([5, 1, 1]), ctype)  # type 0 first; types 1 and 2 share a class
    assert not q and len(q) == 0
    for i in range(5):
        q.append(i)
    assert len(q) == 5 and q[0] == 0 and list(q) == [1, 4, 0, 2, 3]
    held = [j for j in q]
    q.clear()
    q.extend(held)
    assert [q.popleft() for _ in range(5)] == [1, 4, 0, 2, 3]
    with pytest.raises(IndexError):
        q.popleft()


INFORMATIVE = {"kind": "informative", "first": "0s", "every": "1min", "length": "10s",
               "tolerance": {"distribution": "lognormal", "mean": "4min", "sd": "3min"}}
VIRTUAL = {"kind": "virtual_hold", "threshold": "30s", "acceptance": 0.3, "answer_probability": 0.8,
           "dial_time": "20s", "attempts": 3, "retry_spacing": "5min"}


def policy_model(predictor: str, vip: int = 1) -> Scenario:
    return Scenario.model_validate({
        "horizon": "6h", "arrivals": {"rate": "13/min"}, "agents": 13, "handle_time": {**EXP, "mean": "1min"},
        "patience": {**EXP, "mean": "4min"},
        "announcements": {**INFORMATIVE, "predictor": predictor}, "callback": {**VIRTUAL, "predictor": predictor},
        "call_types": [{"name": "vip", "share": 0.3, "priority": vip}, {"name": "std", "share": 0.7}],
    })


@pytest.mark.parametrize("predictor", ["queue_length", "last_to_enter_service", "head_of_line", "oracle"])
def test_priorities_with_announcements_and_callbacks(predictor: str) -> None:
    """Informative announcements and virtual hold with two classes: no live caller is answered while a live
    caller of the higher class, or an earlier one of its own class, is on hold; the higher class is told
    shorter waits, waits less and balks less."""
    calls = simulate_calls(policy_model(predictor), RandomStreams(5, 0)).calls
    live = calls.callback == 0
    on_hold_until = np.where(calls.agent >= 0, calls.answer, calls.arrival + calls.wait)
    on_hold_until = np.where(live, on_hold_until, calls.requested)  # callback takers leave the line on accepting
    rank = calls.call_type.astype(int)  # vip (type 0) is class 0
    waited = np.flatnonzero(live & (calls.agent >= 0) & (calls.answer > calls.arrival))
    assert waited.size > 300 and (~live).sum() > 20 and calls.outcome.max() > 0
    for i in waited:
        t = calls.answer[i]
        holding = live & (calls.arrival < t) & (on_hold_until > t)
        assert not np.any(holding & (rank < rank[i])), f"call {i} answered while a higher class waited"
        assert not np.any(holding & (rank == rank[i]) & (calls.arrival < calls.arrival[i])), f"call {i} overtook"
    vip, std = calls.call_type == 0, calls.call_type == 1
    told = np.isfinite(calls.predicted_wait)
    assert np.mean(calls.predicted_wait[told & vip]) < 0.8 * np.mean(calls.predicted_wait[told & std])
    assert np.mean(calls.wait[vip & live]) < 0.5 * np.mean(calls.wait[std & live])


def test_priorities_with_policies_change_nothing_when_equal() -> None:
    """Equal priorities with announcements and callbacks: the FCFS policy engine's log, bit for bit."""
    plain = simulate_calls(policy_model("queue_length", vip=0), RandomStreams(3, 0)).calls
    same = simulate_calls(policy_model("queue_length", vip=0).model_copy(), RandomStreams(3, 0)).calls
    ranked = simulate_calls(policy_model("queue_length", vip=1), RandomStreams(3, 0)).calls
    for column in plain.columns:
        assert np.array_equal(getattr(plain, column), getattr(same, column), equal_nan=True), column
    assert not np.array_equal(plain.answer, ranked.answer, equal_nan=True)


def test_last_to_enter_service_is_told_per_class() -> None:
    """With priorities, a caller told the wait by the last-to-enter-service predictor hears the wait of the
    last caller of their own class answered from the queue before they called (from the log, exactly)."""
    calls = simulate_calls(policy_model("last_to_enter_service"), RandomStreams(5, 0)).calls
    queued = (calls.callback == 0) & (calls.agent >= 0) & (calls.answer > calls.arrival)
    told = np.flatnonzero(np.isfinite(calls.predicted_wait))
    assert told.size > 500
    for k in (0, 1):
        mine = np.flatnonzero(queued & (calls.call_type == k))
        order = np.argsort(calls.answer[mine], kind="stable")
        answers, waits = calls.answer[mine][order], (calls.answer - calls.arrival)[mine][order]
        for i in told[calls.call_type[told] == k]:
            last = np.searchsorted(answers, calls.arrival[i], side="left") - 1
            expected = waits[last] if last >= 0 else 0.0
            assert calls.predicted_wait[i] == pytest.approx(expected, abs=1e-9), i


def test_due_callbacks_are_worked_by_priority() -> None:
    """Scheduled callbacks falling due together (15-minute slots, all agents busy) are worked highest class
    first: a VIP customer is reached sooner after the slot opens than a standard one."""
    def scheduled(vip: int) -> Scenario:
        return Scenario.model_validate({
            "horizon": "6h", "arrivals": {"rate": "13/min"}, "agents": 13, "handle_time": {**EXP, "mean": "1min"},
            "patience": {**EXP, "mean": "4min"},
            "callback": {"kind": "scheduled", "threshold": "20s", "acceptance": 0.5, "slot_length": "15min",
                         "slot_capacity": 60, "lead_time": "15min", "answer_probability": 1.0, "dial_time": "10s",
                         "attempts": 1},
            "call_types": [{"name": "vip", "share": 0.3, "priority": vip}, {"name": "std", "share": 0.7}],
        })

    def delays(calls) -> tuple[float, float]:
        reached = (calls.callback == 2) & (calls.agent >= 0)
        late = calls.answer - calls.callback_due
        return (float(np.mean(late[reached & (calls.call_type == 0)])),
                float(np.mean(late[reached & (calls.call_type == 1)])))

    ranked = simulate_calls(scheduled(1), RandomStreams(2, 0)).calls
    vip, std = delays(ranked)
    assert vip < 0.5 * std and std > 30.0
    assert _no_task_overtaken(ranked, 2) == 0
    fifo_vip, fifo_std = delays(simulate_calls(scheduled(0), RandomStreams(2, 0)).calls)
    assert fifo_vip > 0.6 * fifo_std  # without priorities the two wait alike


def _no_task_overtaken(calls, kind: int) -> int:
    """How many times a standard customer's callback attempt started while a VIP customer's was already due
    and waiting (callback kind ``kind``, one attempt, always answered: the attempt starts dial_time (10 s) before
    the answer)."""
    mine = (calls.callback == kind) & (calls.agent >= 0)
    start, due = calls.answer - 10.0, calls.callback_due
    vip = np.flatnonzero(mine & (calls.call_type == 0))
    overtaken = 0
    for s in np.flatnonzero(mine & (calls.call_type == 1)):
        overtaken += int(np.sum((due[vip] < start[s] - 1e-9) & (start[vip] > start[s] + 1e-9)))
    return overtaken


def test_due_web_requests_are_worked_by_priority() -> None:
    """Web-form requests that pile up outside the hours they are worked in are worked highest class first:
    no standard request is worked while a VIP request is due (and, without priorities, that happens)."""
    def web(vip: int) -> Scenario:
        return Scenario.model_validate({
            "horizon": "6h", "arrivals": {"rate": "13/min"}, "agents": 13, "handle_time": {**EXP, "mean": "1min"},
            "patience": {**EXP, "mean": "4min"},
            "callback": {"kind": "web_form", "threshold": "20s", "acceptance": 0.5, "follow_through": 1.0,
                         "contact_delay": {**EXP, "mean": "10min"}, "late_after": "12h", "answer_probability": 1.0,
                         "dial_time": "10s", "attempts": 1, "web_hours": [{"start": "04:00", "end": "05:00"}]},
            "call_types": [{"name": "vip", "share": 0.3, "priority": vip}, {"name": "std", "share": 0.7}],
        })

    ranked = simulate_calls(web(1), RandomStreams(2, 0)).calls
    assert ((ranked.callback == 3) & (ranked.agent >= 0) & (ranked.call_type == 0)).sum() > 10
    assert _no_task_overtaken(ranked, 3) == 0
    assert _no_task_overtaken(simulate_calls(web(0), RandomStreams(2, 0)).calls, 3) > 10
