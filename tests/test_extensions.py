"""Researchers' own SimPy processes inside a running centre (queuesim.engine.control).

A process that changes nothing changes no number (bit for bit, on every
engine) and never keeps the run going; the control's readings agree with the
call log; moving agents and switching the callback offer do what they say
(and the tests fail when the mechanism is disabled); both worked examples in
``experiments/`` run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import queuesim as qs
from queuesim.engine import build_centre, simulate_calls
from queuesim.rng import RandomStreams

ROOT = Path(__file__).resolve().parent.parent
EXP = {"distribution": "exponential"}
sys.path.insert(0, str(ROOT / "experiments"))
sys.path.insert(0, str(Path(__file__).parent))
import callback_switch  # noqa: E402
import supervisor  # noqa: E402
from test_streaming import _departments, _scenario  # noqa: E402


GUARD = 30 * 86400.0  # a process that "runs for ever" stops here, so a run that waits for it fails, not hangs


def watcher(readings: list):
    """A process that only reads, every 5 minutes, for ever (up to GUARD)."""

    def process(centre: qs.CentreControl):
        while centre.now < GUARD:
            readings.append((centre.now, centre.waiting(), centre.agents()))
            yield centre.env.timeout(300)

    return process


@pytest.mark.parametrize("name", ["plain", "redials+backlog+shifts+hangups", "virtual hold+redials",
                                  "informative/queue_length", "web form", "departments"])
def test_a_reading_process_changes_nothing(name: str) -> None:
    """Same call log, bit for bit, with a process that reads for ever; and the run still ends."""
    scenario = _departments() if name == "departments" else _scenario(name)
    alone = simulate_calls(scenario, RandomStreams(2, 0))
    readings: list = []
    watched = simulate_calls(scenario, RandomStreams(2, 0), processes=[watcher(readings)])
    for column in alone.calls.columns:
        assert np.array_equal(getattr(alone.calls, column), getattr(watched.calls, column), equal_nan=True), column
    assert len(readings) >= 40
    assert readings[-1][0] < 2 * 86400, "the run waited for the process instead of ending with the last call"
    assert any(waiting > 0 for _, waiting, _ in readings), "the model should queue at some point"


@pytest.mark.parametrize("name", ["plain", "redials+backlog+shifts+hangups", "virtual hold+redials", "departments"])
def test_readings_agree_with_the_call_log(name: str) -> None:
    """waiting() counts the callers on hold by the log (arrived, not yet answered, gone or called back; with
    departments, inside a queue leg); agents() adds up, no agent is idle while a caller waits, and with a fixed
    pool the busy agents are the calls in service."""
    scenario = _departments() if name == "departments" else _scenario(name)
    readings: list = []
    out = simulate_calls(scenario, RandomStreams(2, 0), processes=[watcher(readings)])
    calls = out.calls
    leave = np.where(calls.agent >= 0, calls.answer, calls.arrival + calls.wait)
    if calls.callback is not None:
        leave = np.where(calls.callback > 0, calls.requested, leave)  # callback takers leave the line on accepting
    assert sum(1 for _, waiting, _ in readings if waiting > 0) >= 5
    for t, waiting, agents in readings[1:]:
        if out.legs is not None:
            expected = int(np.sum((out.legs[:, 2] < t) & (out.legs[:, 3] > t)))
        else:
            expected = int(np.sum((calls.arrival <= t) & (leave > t)))
        assert waiting == expected, t
        assert agents.on_duty == agents.busy + agents.idle and agents.idle >= 0
        if waiting > 0 and out.legs is None:  # (with departments, idle agents may be of another group)
            assert agents.idle == 0, "no agent idle while a caller waits"
        if name == "plain":
            assert agents.busy == int(np.sum((calls.answer <= t) & (calls.end > t)))


def _tech_surge() -> qs.Scenario:
    return supervisor.centre(3.0)


def test_moving_agents_helps_the_group_they_join() -> None:
    """The supervisor lends billing agents to tech during the surge: tech's abandonment falls and billing's
    rises, on the same callers (paired over replications)."""
    rule = supervisor.supervisor(threshold=6, max_lent=4)
    diffs = []
    for r in range(4):
        a = qs.simulate(_tech_surge(), seed=7, replication=r, keep_calls=False).summary
        b = qs.simulate(_tech_surge(), seed=7, replication=r, keep_calls=False, processes=[rule]).summary
        diffs.append((b["abandonment_rate[tech]"] - a["abandonment_rate[tech]"],
                      b["abandonment_rate[billing]"] - a["abandonment_rate[billing]"]))
    tech, billing = np.array(diffs).T
    assert np.all(tech < -0.02) and np.all(billing > 0)


def test_moved_agents_answer_for_their_new_group() -> None:
    """After a move the agents counted in each group change, and the moved agent's next calls are tech's."""
    moves: list = []

    def move_at_3h(centre: qs.CentreControl):
        yield centre.env.timeout(3 * 3600)
        before = (centre.agents("billing").on_duty, centre.agents("tech").on_duty)
        moved = centre.move_agents(3, "billing", "tech")
        moves.append((before, moved, (centre.agents("billing").on_duty, centre.agents("tech").on_duty)))

    centre = build_centre(_tech_surge(), RandomStreams(7, 0))
    out = centre.run(processes=[move_at_3h])
    (before, moved, after) = moves[0]
    assert before == (15, 12) and moved == 3 and after == (12, 15)
    calls = out.calls
    billing_agents = set(range(15))
    late_tech = (calls.call_type == 1) & (calls.answer > 3 * 3600 + 600)
    served_by_lent = np.isin(calls.agent[late_tech], list(billing_agents))
    assert served_by_lent.sum() > 20, "lent billing agents must take tech calls"
    early_tech = (calls.call_type == 1) & (calls.answer < 3 * 3600)
    assert not np.any(np.isin(calls.agent[early_tech], list(billing_agents)))


def test_agents_moved_away_never_answer_their_old_group() -> None:
    """Once every billing agent has moved to tech, no billing call is answered, whatever their shifts left in
    billing's idle line (agents idle across a break come back with an entry of their own)."""
    scenario = qs.Scenario.model_validate({
        "horizon": "4h", "arrivals": {"rate": "2/min"},
        "groups": [{"name": "billing", "shifts": [{"name": "s", "start": "0:00", "length": "4h", "count": 4,
                                                   "breaks": [{"start": "1h", "length": "20s"}]}]},
                   {"name": "tech", "agents": 4}],
        "call_types": [{"name": "bill", "share": 0.05, "groups": ["billing"], "handle_time": {**EXP, "mean": "2min"}},
                       {"name": "fix", "share": 0.95, "groups": ["tech"], "handle_time": {**EXP, "mean": "2min"}}],
    })
    moved_at: list[float] = []

    def move_all(centre: qs.CentreControl):
        yield centre.env.timeout(3630.0)  # after the break
        while centre.agents("billing").busy == 0:  # move while one of them is busy
            yield centre.env.timeout(10.0)
        centre.move_agents(4, "billing", "tech")
        moved_at.append(centre.now)
        assert centre.agents("billing").on_duty == 0 and centre.agents("tech").on_duty == 8

    for seed in range(12):
        out = simulate_calls(scenario, RandomStreams(seed, 0), processes=[move_all])
        calls = out.calls
        late_billing = (calls.call_type == 0) & (calls.answer > moved_at[-1])
        assert not late_billing.any(), f"seed {seed}: billing calls answered by agents moved to tech"
        assert not np.any(out.work[:, 4] == 1), f"seed {seed}: a moved agent took a call as the wrong group"


def test_callback_offer_follows_the_switch() -> None:
    """Callbacks are offered only while the switch is on; with it off all day none is offered."""
    scenario = callback_switch.centre(230, 2)
    log: list = []
    out = simulate_calls(scenario, RandomStreams(3, 0), processes=[callback_switch.switch(120.0, 60.0, log=log)])
    offered = out.calls.arrival[out.calls.callback_offered]
    assert offered.size > 20 and log, "the switch should go on during the peak"
    changes = [(0.0, False)] + log
    state_at = lambda t: [on for when, on in changes if when <= t][-1]  # noqa: E731
    assert all(state_at(t) for t in offered)
    assert not np.any(out.calls.arrival[out.calls.callback_offered] < log[0][0])
    off = simulate_calls(scenario, RandomStreams(3, 0), processes=[callback_switch.never])
    assert not off.calls.callback_offered.any()
    always = simulate_calls(scenario, RandomStreams(3, 0))
    assert always.calls.callback_offered.sum() > offered.size


def test_offer_at_announcement_follows_the_switch() -> None:
    """Offers made when a message announces the wait obey the switch too."""
    scenario = qs.Scenario.model_validate({
        "horizon": "4h", "arrivals": {"rate": "30/min"}, "agents": 29, "handle_time": {**EXP, "mean": "1min"},
        "patience": {**EXP, "mean": "3min"},
        "announcements": {"kind": "informative", "first": "0s", "every": "1min", "length": "10s",
                          "tolerance": {"distribution": "lognormal", "mean": "40s", "sd": "20s"}},
        "callback": {"kind": "virtual_hold", "offer": "at_announcement", "threshold": "20s", "acceptance": 0.5}})
    on = simulate_calls(scenario, RandomStreams(3, 0)).calls
    off = simulate_calls(scenario, RandomStreams(3, 0), processes=[callback_switch.never]).calls
    assert on.callback_offered.sum() > 20 and not off.callback_offered.any()


def test_control_errors_are_one_line() -> None:
    def bad_group(centre: qs.CentreControl):
        centre.waiting(group="sales")
        yield centre.env.timeout(1)

    with pytest.raises(ValueError, match="unknown group 'sales'"):
        simulate_calls(_tech_surge(), RandomStreams(1, 0), processes=[bad_group])

    def no_callback(centre: qs.CentreControl):
        centre.set_callback_offer(True)
        yield centre.env.timeout(1)

    with pytest.raises(ValueError, match="no callback option"):
        simulate_calls(_scenario("plain"), RandomStreams(1, 0), processes=[no_callback])


def test_process_randomness_leaves_the_callers_alone() -> None:
    """A process drawing from its own stream (centre.rng) does not shift the callers' random numbers."""
    def noisy(centre: qs.CentreControl):
        rng = centre.rng("noise")
        while True:
            yield centre.env.timeout(float(rng.exponential(60.0)))

    scenario = _scenario("plain")
    a = simulate_calls(scenario, RandomStreams(5, 0)).calls
    b = simulate_calls(scenario, RandomStreams(5, 0), processes=[noisy]).calls
    assert np.array_equal(a.answer, b.answer, equal_nan=True)


@pytest.mark.parametrize("module", [supervisor, callback_switch])
def test_worked_examples_run(module, capsys: pytest.CaptureFixture[str]) -> None:
    assert module.main(["--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "paired" in out or "difference" in out


def test_python_api_page_process_example_runs_as_pasted(tmp_path: Path) -> None:
    """The SimPy-process block of docs/python.md, saved as a script and run: the supervisor lowers tech's
    abandonment on the same callers."""
    import re
    import subprocess

    page = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    section = page[page.index("## Your own SimPy processes inside the centre"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "supervisor_example.py"
    path.write_text(code)
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("tech abandonment")]
    assert len(lines) == 2
    without, with_ = (float(line.split()[2].rstrip("%,")) for line in lines)
    assert with_ < without


def _two_departments() -> qs.Scenario:
    return qs.Scenario.model_validate(dict(
        horizon="2h", arrivals={"rate": "6/min"}, patience={**EXP, "mean": "10min"},
        groups=[{"name": "billing", "agents": 20}, {"name": "tech", "agents": 4}],
        call_types=[{"name": "bill", "share": 0.5, "groups": ["billing"], "handle_time": {**EXP, "mean": "2min"}},
                    {"name": "fix", "share": 0.5, "groups": ["tech"], "handle_time": {**EXP, "mean": "10min"}}],
        announcements={"kind": "informative", "first": 0,
                       "tolerance": {"distribution": "deterministic", "value": "1000h"}}))


def test_predicted_wait_with_departments_is_the_groups_own() -> None:
    """Tech callers are told (tech callers waiting + 1) x 10 min / 4 tech agents, not a pooled figure over
    both departments; a centre with several groups needs to be told which."""
    seen: list[tuple[float, float, float, int]] = []
    errors: list[str] = []

    def watch(centre: qs.CentreControl):
        while centre.now < centre.horizon:
            seen.append((centre.predicted_wait(group="tech"), centre.predicted_wait(call_type="fix"),
                         centre.predicted_wait(group="billing"), centre.waiting(group="tech")))
            try:
                centre.predicted_wait()
            except ValueError as exc:
                errors.append(str(exc))
            yield centre.env.timeout(600)

    result = qs.simulate(_two_departments(), seed=1, processes=[watch])
    assert len(seen) == 12 and len(errors) == 12 and "give group= or call_type=" in errors[0]
    assert all(tech == fix == (waiting + 1) * 600.0 / 4 for tech, fix, _, waiting in seen)
    assert max(waiting for *_, waiting in seen) > 10  # (tech is overloaded: the pooled figure was far below)
    told = result.calls.predicted_wait[(result.calls.call_type == 1) & np.isfinite(result.calls.predicted_wait)]
    assert told.size and np.allclose(told % 150.0, 0.0)  # tech callers hear multiples of 600 s / 4


@pytest.mark.parametrize("name", ["virtual hold+redials", "priorities+informative+virtual hold", "plain"])
def test_predicted_wait_on_one_pool_is_the_same_on_both_engines(name: str) -> None:
    """Callers on virtual hold count (they keep their place), on the fast path and the department centre."""
    scenario = _scenario(name)
    values: dict[bool, list[float]] = {True: [], False: []}

    def watch(fast: bool):
        def process(centre: qs.CentreControl):
            while centre.now < centre.horizon:
                values[fast].append(centre.predicted_wait())
                yield centre.env.timeout(300)
        return process

    for fast in (True, False):
        simulate_calls(scenario, RandomStreams(2), processes=[watch(fast)], fast_paths=fast)
    assert values[True] == values[False] and len(values[True]) > 10
