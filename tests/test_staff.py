"""The agent side (``staff``): idle agents logging off first, breaks delayed to a call's end, absenteeism,
per-agent records, fatigue and per-agent speed; each tested for what it does, and for doing nothing when off."""

from __future__ import annotations

import math

import numpy as np
import pytest

from queuesim import ConfigError, Scenario, simulate
from queuesim.engine import DepartmentCentre, build_centre, simulate_calls
from queuesim.engine.staff_side import AgentTable
from queuesim.experiment.compare import paired_comparison
from queuesim.measure.calllog import BLOCKED
from queuesim.model.config import experiment_from_dict
from queuesim.measure.agents import AGENT_METRICS
from queuesim.rng import RandomStreams

from .test_streaming import BASE, DEPARTMENTS, SHIFTS, _check, _run_streamed

EXP = {"distribution": "exponential"}
FATIGUE = {"window": "30min", "threshold": 0.8, "per_point": 0.02, "max": 0.5}
EVERYTHING = {"speed": [{"share": 0.3, "multiplier": 1.25}, {"share": 0.2, "multiplier": 0.9}], "fatigue": FATIGUE,
              "absenteeism": 0.1, "breaks": "delay_to_call_end", "leaving": "idle_first"}
#: A day whose staffing follows the load, in steps: agents log off at each drop.
LOAD_FOLLOWING = dict(
    horizon="8h", handle_time={**EXP, "mean": "4min"}, patience={**EXP, "mean": "3min"},
    arrivals={"interval": "30min", "calls": [300, 600, 900, 1200, 900, 600, 300, 600] * 2},
    staffing={"interval": "30min", "agents": [45, 85, 125, 165, 125, 85, 45, 85] * 2})


def _idle(**kw) -> Scenario:
    """No arrivals after an opening backlog of calls: what the agents do is set by the schedule alone."""
    spec = dict(horizon="3h", arrivals={"interval": "30min", "calls": [0] * 6}, backlog=1,
                handle_time={"distribution": "deterministic", "value": "90min"})
    spec.update(kw)
    return Scenario(**spec)


def _same_log(a, b) -> None:
    assert a.columns == b.columns
    for column in a.columns:
        assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True), column


def _paired_low(variant: list[float], baseline: list[float]) -> float:
    """The lower end of the 95% CI of the paired mean difference, variant - baseline."""
    return paired_comparison(variant, baseline).paired_low


# -- inert when off -------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["plain", "shifts", "departments"])
def test_an_empty_staff_block_only_records(model: str) -> None:
    """``staff: {}`` (every part off) gives the same call log, bit for bit, as no staff block (the one-pool
    fast path or the department centre); the records add up to the log's handlings and the duty periods."""
    if model == "departments":
        scenario = Scenario.model_validate(DEPARTMENTS)
    elif model == "shifts":
        scenario = Scenario(**{**{k: v for k, v in BASE.items() if k != "agents"}, "shifts": SHIFTS})
    else:
        scenario = Scenario(**BASE)
    plain = simulate_calls(scenario, RandomStreams(3))
    recorded = simulate_calls(Scenario.model_validate({**scenario.model_dump(exclude_none=True), "staff": {}}),
                              RandomStreams(3))
    _same_log(plain.calls, recorded.calls)
    assert np.array_equal(plain.overtime, recorded.overtime)
    assert plain.agents is None
    table = recorded.agents
    assert len(table) == len(scenario.duty_periods())
    assert not table.absent.any() and np.all(table.speed == 1.0) and np.all(table.added == 0.0)
    assert np.all(table.breaks_delayed == 0)
    if recorded.work is not None:  # departments: the records are the work table's sums
        work = recorded.work
        assert table.calls.sum() == np.sum(work[:, 4] == 0)
        assert np.allclose(table.busy, np.bincount(work[:, 0].astype(int), work[:, 2] - work[:, 1], len(table)))
    else:  # one pool: every answered call is one handling, its handle time the agent's talk
        log = recorded.calls
        answered = log.agent >= 0
        assert table.calls.sum() == answered.sum()
        assert np.allclose(table.talk, np.bincount(log.agent[answered], log.handle_time[answered], len(table)))
    # the duty as it happened is the schedule (nothing changes it here)
    scheduled = sorted((a, s, e) for a, periods in enumerate(scenario.duty_periods()) for s, e in periods)
    assert sorted(map(tuple, recorded.agents.duty.tolist())) == scheduled
    assert np.allclose(np.bincount(recorded.overtime[:, 0].astype(int), recorded.overtime[:, 2] - recorded.overtime[:, 1],
                                   len(table)) if recorded.overtime.size else 0.0, table.overtime)


def test_agent_records_on_request_change_nothing() -> None:
    """``agent_records=True`` without a staff block: the department centre with records, the same log."""
    scenario = Scenario(**BASE)
    assert type(build_centre(scenario, RandomStreams(1))) is not DepartmentCentre  # a fast path
    plain = simulate_calls(scenario, RandomStreams(2))
    recorded = simulate_calls(scenario, RandomStreams(2), agent_records=True)
    _same_log(plain.calls, recorded.calls)
    assert recorded.agents is not None and recorded.agents.calls.sum() == np.sum(plain.calls.agent >= 0)
    result = simulate(scenario, seed=2, agent_records=True)
    assert result.summary == simulate(scenario, seed=2).summary
    columns = result.agents.columns()
    assert list(columns)[:2] == ["agent", "group"] and "occupancy" in columns
    assert all(len(v) == BASE["agents"] for v in columns.values())


def test_a_staff_block_leaves_the_summary_as_it_was() -> None:
    """A staff block adds the agents' metrics and changes no other number."""
    plain = simulate(Scenario(**LOAD_FOLLOWING), seed=4, keep_calls=False)
    recorded = simulate(Scenario(**LOAD_FOLLOWING, staff={}), seed=4, keep_calls=False)
    added = {k: v for k, v in recorded.summary.items() if k not in plain.summary}
    assert set(added) == set(AGENT_METRICS)
    assert {k: v for k, v in recorded.summary.items() if k in plain.summary} == plain.summary
    assert plain.intervals == recorded.intervals


# -- idle agents log off first --------------------------------------------------------------
def test_idle_agent_logs_off_in_the_busy_ones_place() -> None:
    """Two agents; the one whose shift ends first is on a 90-minute call. As scheduled, they finish it as 30
    minutes of overtime; idle first, the idle agent logs off at 1 h and the busy one works on in its place."""
    shifts = [{"start": 0, "length": "1h", "count": 1}, {"start": 0, "length": "2h", "count": 1}]
    as_scheduled = simulate_calls(_idle(shifts=shifts, staff={}), RandomStreams(1))
    assert as_scheduled.overtime.tolist() == [[0.0, 3600.0, 5400.0]]
    assert as_scheduled.agents.on_duty.tolist() == [3600.0, 7200.0]
    idle_first = simulate_calls(_idle(shifts=shifts, staff={"leaving": "idle_first"}), RandomStreams(1))
    assert idle_first.overtime.size == 0
    assert idle_first.agents.on_duty.tolist() == [7200.0, 3600.0]  # the busy one stayed, the idle one left
    assert sorted(idle_first.agents.duty.tolist()) == [[0.0, 0.0, 7200.0], [1.0, 0.0, 3600.0]]
    _same_log(as_scheduled.calls, idle_first.calls)


def test_idle_first_with_nobody_idle_is_overtime_as_before() -> None:
    shifts = [{"start": 0, "length": "1h", "count": 1}, {"start": 0, "length": "2h", "count": 1}]
    busy = simulate_calls(_idle(shifts=shifts, backlog=2, staff={"leaving": "idle_first"}), RandomStreams(1))
    assert busy.overtime.tolist() == [[0.0, 3600.0, 5400.0]]


def test_idle_first_cuts_the_overtime_of_a_load_following_day() -> None:
    """Paired over replications: the same staffing, less overtime; the on-duty time as scheduled."""
    runs = [(simulate(Scenario(**LOAD_FOLLOWING), seed=8, replication=r, keep_calls=False).summary,
             simulate(Scenario(**LOAD_FOLLOWING, staff={"leaving": "idle_first"}), seed=8, replication=r,
                      keep_calls=False).summary) for r in range(4)]
    assert _paired_low([p["overtime"] for p, _ in runs], [i["overtime"] for _, i in runs]) > 0
    assert np.mean([i["overtime"] / p["overtime"] for p, i in runs]) < 0.9


def test_first_free_logs_off_the_first_agent_to_finish() -> None:
    """Three agents all on calls when the first one's shift ends at 1 h: as scheduled (and idle first: nobody is
    idle) that agent works on as overtime until its call ends; first free, the first of the three to finish logs
    off in its place, and the overtime lasts until then."""
    shifts = [{"start": 0, "length": "1h", "count": 1}, {"start": 0, "length": "2h", "count": 2}]
    spec = dict(shifts=shifts, backlog=3, handle_time={"distribution": "uniform", "low": "65min", "high": "120min"})
    runs = {leaving: simulate_calls(_idle(**spec, staff={"leaving": leaving}), RandomStreams(1))
            for leaving in ("as_scheduled", "idle_first", "first_free")}
    log = runs["as_scheduled"].calls
    ends = dict(zip(log.agent.tolist(), log.end.tolist()))
    first = min(ends, key=ends.get)
    assert first != 0  # the agent whose shift ended is not the first to finish
    assert runs["as_scheduled"].overtime.tolist() == [[0.0, 3600.0, ends[0]]]
    assert runs["idle_first"].overtime.tolist() == [[0.0, 3600.0, ends[0]]]
    assert runs["first_free"].overtime.tolist() == [[float(first), 3600.0, ends[first]]]
    assert sorted(runs["first_free"].agents.duty.tolist()) == [[0.0, 0.0, 7200.0], [1.0, 0.0, 7200.0], [2.0, 0.0, 3600.0]]
    for run in runs.values():
        _same_log(log, run.calls)


def test_first_free_a_slot_back_on_duty_before_anybody_left() -> None:
    """Staffing 2, 1, 2 per half hour; both agents on 100-minute calls from 0. The second slot's duty ends at
    30 min while both are busy, and starts again at 60 min before either is free: nobody leaves; its holder
    worked the gap as overtime."""
    spec = dict(staffing={"interval": "30min", "agents": [2, 1, 2]}, backlog=2,
                handle_time={"distribution": "deterministic", "value": "100min"})
    out = simulate_calls(_idle(**spec, staff={"leaving": "first_free"}), RandomStreams(1))
    assert out.overtime.tolist() == [[1.0, 1800.0, 3600.0]]
    assert sorted(out.agents.duty.tolist()) == [[0.0, 0.0, math.inf], [1.0, 0.0, 1800.0], [1.0, 3600.0, math.inf]]


#: Shifts that end while every agent is busy, and a shift that starts after: its agents may be the first free.
SHIFT_CHANGE = dict(
    horizon="3h", arrivals={"rate": "1.1/min"}, handle_time={**EXP, "mean": "20min"}, patience={**EXP, "mean": "10min"},
    shifts=[{"start": 0, "length": "1h", "count": 10}, {"start": 0, "length": "3h", "count": 10},
            {"start": "1h10min", "length": "1h50min", "count": 10}])


@pytest.mark.parametrize("leaving", ["as_scheduled", "idle_first", "first_free"])
@pytest.mark.parametrize("day", ["load_following", "shift_change"])
def test_duty_and_overtime_add_up_to_the_time_present(leaving: str, day: str) -> None:
    """The duty as it happened is the scheduled duty in total (people swap places, the schedule's hours stay),
    and each agent's duty and overtime never overlap."""
    spec, horizon = (LOAD_FOLLOWING, 8 * 3600.0) if day == "load_following" else (SHIFT_CHANGE, 3 * 3600.0)
    scenario = Scenario(**spec, staff={"leaving": leaving})
    out = simulate_calls(scenario, RandomStreams(3))
    duty = out.agents.duty
    scheduled = sum(min(e, horizon) - s for periods in scenario.duty_periods() for s, e in periods)
    assert np.sum(np.minimum(duty[:, 2], horizon) - duty[:, 1]) == pytest.approx(scheduled, rel=1e-12)
    rows = np.concatenate([duty, out.overtime])
    for agent in range(len(out.agents)):
        mine = rows[rows[:, 0] == agent]
        mine = mine[np.argsort(mine[:, 1])]
        assert np.all(mine[1:, 1] >= mine[:-1, 2] - 1e-9), (agent, mine)


def test_first_free_all_but_ends_the_overtime_of_a_load_following_day() -> None:
    overtime = {leaving: [simulate(Scenario(**LOAD_FOLLOWING, staff={"leaving": leaving}), seed=8, replication=r,
                                   keep_calls=False).summary["overtime"] for r in range(3)]
                for leaving in ("idle_first", "first_free")}
    assert _paired_low(overtime["idle_first"], overtime["first_free"]) > 0
    assert np.mean(overtime["first_free"]) < 0.25 * np.mean(overtime["idle_first"])


# -- breaks delayed to the end of the call ----------------------------------------------------
BREAK = [{"start": 0, "length": "2h", "count": 1, "breaks": [{"start": "30min", "length": "15min"}]}]


def test_a_break_waits_for_the_call_and_keeps_its_length() -> None:
    """A 40-minute call from 0 runs into the break at 30 min: shortened (default), the agent works 10 minutes
    of it as overtime and is back at 45 min; delayed, the break runs 40-55 min, on duty until it starts."""
    spec = dict(shifts=BREAK, handle_time={"distribution": "deterministic", "value": "40min"})
    shorten = simulate_calls(_idle(**spec, staff={}), RandomStreams(1))
    assert shorten.overtime.tolist() == [[0.0, 1800.0, 2400.0]]
    assert shorten.agents.duty.tolist() == [[0.0, 0.0, 1800.0], [0.0, 2700.0, 7200.0]]
    delayed = simulate_calls(_idle(**spec, staff={"breaks": "delay_to_call_end"}), RandomStreams(1))
    assert delayed.overtime.size == 0
    assert delayed.agents.duty.tolist() == [[0.0, 0.0, 2400.0], [0.0, 3300.0, 7200.0]]
    assert delayed.agents.breaks_delayed.tolist() == [1] and delayed.agents.break_delay.tolist() == [600.0]


def test_longest_stretch_without_a_pause() -> None:
    """Three 10-minute calls waiting at the start; a one-hour break due at 5 min waits for the first call's end:
    stretches of 10 and 20 minutes (the break is a pause), so the longest is 20 minutes, not 90."""
    shifts = [{"start": 0, "length": "3h", "count": 1, "breaks": [{"start": "5min", "length": "1h"}]}]
    out = simulate_calls(_idle(shifts=shifts, backlog=3, handle_time={"distribution": "deterministic", "value": "10min"},
                               staff={"breaks": "delay_to_call_end"}), RandomStreams(1))
    assert out.agents.calls.tolist() == [3] and out.agents.busy.tolist() == [1800.0]
    assert out.agents.longest_stretch.tolist() == [1200.0]
    assert out.calls.answer.tolist() == [0.0, 4200.0, 4800.0]


def test_a_late_break_outlasting_the_next_duty_does_not_bring_the_agent_back() -> None:
    """A call that runs past the break and the whole duty after it: the agent does not come back."""
    shifts = [{"start": 0, "length": "1h", "count": 1, "breaks": [{"start": "30min", "length": "10min"}]}]
    out = simulate_calls(_idle(shifts=shifts, staff={"breaks": "delay_to_call_end"}), RandomStreams(1))
    assert out.agents.duty.tolist() == [[0.0, 0.0, 3600.0]]
    assert out.overtime.tolist() == [[0.0, 3600.0, 5400.0]]


def test_delayed_breaks_on_a_busy_day_keep_every_break_whole() -> None:
    """Shifts with breaks at 95% occupancy: many breaks start late, each lasts its scheduled length, and the
    agents' time on duty is the scheduled time plus nothing lost (delays shift the breaks, not shorten them)."""
    shifts = [{"start": 0, "length": "4h", "count": 12,
               "breaks": [{"start": "1h", "length": "15min"}, {"start": "2h30min", "length": "30min"}]},
              {"start": "30min", "length": "3h30min", "count": 8, "breaks": [{"start": "1h30min", "length": "20min"}]}]
    scenario = Scenario(horizon="4h", arrivals={"rate": "4.1/min"}, handle_time={**EXP, "mean": "4min"},
                        patience={**EXP, "mean": "5min"}, shifts=shifts, staff={"breaks": "delay_to_call_end"})
    out = simulate_calls(scenario, RandomStreams(5))
    table = out.agents
    assert table.breaks_delayed.sum() >= 10 and table.break_delay.sum() > 0
    scheduled = scenario.duty_periods()
    for agent, periods in enumerate(scheduled):
        rows = out.agents.duty[out.agents.duty[:, 0] == agent]
        assert len(rows) == len(periods)  # every break taken, none merged away
        gaps = rows[1:, 1] - rows[:-1, 2]
        assert np.allclose(gaps, [b - a for (_, a), (b, _) in zip(periods[:-1], periods[1:])])  # full length
        assert rows[0, 1] == periods[0][0] and rows[-1, 2] == periods[-1][1]  # the shift as scheduled
        assert np.all(rows[:-1, 2] >= [e for _, e in periods[:-1]])  # a break never starts early
    # no break is cut into by a call: the overtime is only at the shifts' ends
    ends = {a: periods[-1][1] for a, periods in enumerate(scheduled)}
    assert all(off == ends[int(a)] for a, off, _ in out.overtime.tolist())


# -- absenteeism -----------------------------------------------------------------------------
def test_absent_agents_are_binomial_with_common_random_numbers() -> None:
    """Each of 40 scheduled agents is absent with p = 0.1: agents on duty are Binomial(40, 0.9), mean 36;
    the same agents are absent in a scenario with other arrivals (common random numbers)."""
    spec = dict(horizon="10min", arrivals={"rate": "1/min"}, handle_time={**EXP, "mean": "1min"}, agents=40,
                staff={"absenteeism": 0.1})
    replications = 400
    present = []
    for r in range(replications):
        out = simulate_calls(Scenario(**spec), RandomStreams(9, r))
        present.append(int((~out.agents.absent).sum()))
        assert np.sum(out.agents.on_duty > 0) == present[-1]
        if r < 5:
            busier = simulate_calls(Scenario(**{**spec, "arrivals": {"rate": "3/min"}}), RandomStreams(9, r))
            assert np.array_equal(busier.agents.absent, out.agents.absent)
            assert set(out.calls.agent[out.calls.agent >= 0].tolist()).isdisjoint(np.flatnonzero(out.agents.absent))
    mean, expected = float(np.mean(present)), 40 * 0.9
    half_width = 3.29 * math.sqrt(40 * 0.1 * 0.9 / replications)  # 99.9% (binomial variance, known)
    assert abs(mean - expected) < half_width, (mean, expected)
    assert abs(np.var(present, ddof=1) / (40 * 0.1 * 0.9) - 1) < 0.25  # the variance of a binomial, not 0


def test_absenteeism_is_drawn_per_shift_place() -> None:
    """One more agent on the first shift changes no draw of the second shift's agents."""
    shifts = [{"start": 0, "length": "4h", "count": 10}, {"start": "1h", "length": "3h", "count": 12}]
    spec = dict(horizon="4h", arrivals={"rate": "1/min"}, handle_time={**EXP, "mean": "1min"},
                staff={"absenteeism": 0.3})
    a = simulate_calls(Scenario(**spec, shifts=shifts), RandomStreams(2)).agents.absent
    b = simulate_calls(Scenario(**spec, shifts=[{**shifts[0], "count": 11}, shifts[1]]), RandomStreams(2)).agents.absent
    assert np.array_equal(a[:10], b[:10]) and np.array_equal(a[10:], b[11:])
    assert a.any()


def test_absenteeism_raises_waits_and_occupancy_is_measured_on_those_present() -> None:
    """Absent agents lengthen waits; the occupancy is busy time over the time of the agents present."""
    runs = [(simulate(Scenario(**BASE), seed=3, replication=r, keep_calls=False).summary,
             simulate(Scenario(**BASE, staff={"absenteeism": 0.1}), seed=3, replication=r, keep_calls=False).summary)
            for r in range(5)]
    assert _paired_low([a["mean_wait"] for _, a in runs], [p["mean_wait"] for p, _ in runs]) > 0
    assert _paired_low([a["occupancy"] for _, a in runs], [p["occupancy"] for p, _ in runs]) > 0
    r = 1  # a replication with agents absent (each of 29 absent with p = 0.1)
    one = simulate(Scenario(**BASE, staff={"absenteeism": 0.1}), seed=3, replication=r)
    out = simulate_calls(Scenario(**BASE, staff={"absenteeism": 0.1}), RandomStreams(3, r))
    present = int((~out.agents.absent).sum())
    assert present < BASE["agents"]
    busy = float(np.sum(out.calls.handle_time[out.calls.agent >= 0]))
    assert one.summary["occupancy"] == pytest.approx(busy / (present * 4 * 3600.0), rel=0.02)


def test_the_overload_warning_counts_the_agents_expected_present() -> None:
    (warning,) = Scenario(**BASE, staff={"absenteeism": 0.1}).warnings()
    assert "26.1 agents present on average (absenteeism 0.1)" in warning and "1.15x" in warning


def test_absenteeism_replaces_shrinkage() -> None:
    with pytest.raises(ValueError, match=r"staff.absenteeism \(0.08\) replaces shrinkage \(0.3\)"):
        Scenario(**BASE, shrinkage=0.3, staff={"absenteeism": 0.08})


# -- per-agent speed ---------------------------------------------------------------------------
def test_each_agent_handles_at_its_own_speed() -> None:
    """Deterministic 4-minute handle times: every handling takes 240 s x the agent's multiplier; the tenure
    groups' sizes are binomial around their shares; the draws are the same in a busier scenario."""
    speed = [{"share": 0.25, "multiplier": 1.5}, {"share": 0.25, "multiplier": 0.8}]
    spec = dict(horizon="2h", arrivals={"rate": "5/min"}, handle_time={"distribution": "deterministic", "value": "4min"},
                patience={**EXP, "mean": "3min"}, agents=400, staff={"speed": speed})
    out = simulate_calls(Scenario(**spec), RandomStreams(6))
    log, table = out.calls, out.agents
    answered = log.agent >= 0
    assert np.allclose(log.handle_time[answered], 240.0 * table.speed[log.agent[answered]], rtol=1e-12)
    assert np.allclose(table.added, table.talk - 240.0 * table.calls)
    for multiplier, share in ((1.5, 0.25), (0.8, 0.25), (1.0, 0.5)):
        count = int(np.sum(table.speed == multiplier))
        assert abs(count - 400 * share) < 3.29 * math.sqrt(400 * share * (1 - share)), (multiplier, count)
    busier = simulate_calls(Scenario(**{**spec, "arrivals": {"rate": "6/min"}}), RandomStreams(6)).agents
    assert np.array_equal(busier.speed, table.speed)


def test_slow_agents_lengthen_waits() -> None:
    slow = {"speed": [{"share": 0.5, "multiplier": 1.2}]}
    runs = [(simulate(Scenario(**BASE), seed=7, replication=r, keep_calls=False).summary,
             simulate(Scenario(**BASE, staff=slow), seed=7, replication=r, keep_calls=False).summary) for r in range(4)]
    assert _paired_low([s["mean_wait"] for _, s in runs], [p["mean_wait"] for p, _ in runs]) > 0


def test_speed_shares_are_checked() -> None:
    with pytest.raises(ValueError, match="the shares sum to 1.1; they must sum to at most 1"):
        Scenario(**BASE, staff={"speed": [{"share": 0.6, "multiplier": 1.2}, {"share": 0.5, "multiplier": 0.9}]})


# -- fatigue ---------------------------------------------------------------------------------------
def _rolling_occupancy(work: np.ndarray, agent: int, at: float, window: float) -> float:
    mine = work[(work[:, 0] == agent) & (work[:, 1] < at)]
    busy = np.sum(np.clip(np.minimum(mine[:, 2], at) - np.maximum(mine[:, 1], at - window), 0.0, None))
    return float(busy / window)


def test_fatigue_follows_its_formula_handling_by_handling() -> None:
    """Deterministic 4-minute handle times in two departments: every talk lasts 240 s x (1 + min(max, per_point x
    100 x (u - threshold)+)), u recomputed here from the work table (the share of the last window at work)."""
    steep = {**FATIGUE, "per_point": 0.04, "max": 0.3}  # capped from 87.5% on
    spec = {**DEPARTMENTS, "staff": {"fatigue": steep}, "transfers": None}
    spec["call_types"] = [{**t, "handle_time": {"distribution": "deterministic", "value": "4min"}, "misroute": None}
                          for t in DEPARTMENTS["call_types"]]
    scenario = Scenario.model_validate(spec)
    out = simulate_calls(scenario, RandomStreams(1))
    work = out.work
    talk = work[work[:, 4] == 0]
    fatigue = scenario.staff.fatigue
    shares = np.array([fatigue.share(_rolling_occupancy(work, int(a), s, 1800.0)) for a, s in talk[:, :2]])
    assert np.allclose(talk[:, 2] - talk[:, 1], 240.0 * (1.0 + shares), rtol=1e-9)
    assert np.any(shares == 0.3) and np.any((shares > 0) & (shares < 0.3)) and np.any(shares == 0)
    assert out.agents.fatigue.sum() == pytest.approx(np.sum(240.0 * shares))


def test_fatigue_bites_at_high_load_and_not_below_its_threshold() -> None:
    """Paired over replications: at 60% occupancy (every agent below the threshold) fatigue changes nothing;
    at 88% waits and abandonment rise."""
    def scenario(rate: str, staff) -> Scenario:
        return Scenario(horizon="4h", arrivals={"rate": rate}, handle_time={**EXP, "mean": "4min"},
                        patience={**EXP, "mean": "3min"}, agents=20, staff=staff)
    # an 8-hour window over a 4-hour day: the recent occupancy stays below 4.3 / 8 < 0.6, the threshold, however
    # busy the agents: the same day, bit for bit, at high load
    never = {"fatigue": {**FATIGUE, "window": "8h", "threshold": 0.6, "per_point": 1.0}}
    plain = simulate_calls(scenario("4.8/min", {}), RandomStreams(5, 0))
    tired = simulate_calls(scenario("4.8/min", never), RandomStreams(5, 0))
    assert plain.agents.occupancy().mean() > 0.8 and np.all(tired.agents.fatigue == 0.0)
    _same_log(plain.calls, tired.calls)
    rises = {}
    for rate in ("3/min", "4.8/min"):
        runs = [(simulate(scenario(rate, None), seed=5, replication=r, keep_calls=False).summary,
                 simulate(scenario(rate, {"fatigue": FATIGUE}), seed=5, replication=r, keep_calls=False).summary)
                for r in range(6)]
        rises[rate] = {m: [t[m] - p[m] for p, t in runs] for m in ("mean_wait", "abandonment_rate")}
    for metric in ("mean_wait", "abandonment_rate"):
        assert _paired_low(rises["4.8/min"][metric], rises["3/min"][metric]) > 0, metric
    assert abs(np.mean(rises["3/min"]["mean_wait"])) < 1.0  # seconds: next to nothing at 60%


# -- everything at once ------------------------------------------------------------------------------
@pytest.mark.parametrize("leaving", ["idle_first", "first_free"])
def test_every_part_on_streams_and_runs_through_env_run(monkeypatch: pytest.MonkeyPatch, leaving: str) -> None:
    """All parts on, departments with shifts and breaks: the streamed log is the whole log, and env.run()
    gives the same numbers."""
    scenario = Scenario.model_validate({**DEPARTMENTS, "staff": {**EVERYTHING, "leaving": leaving,
                                                                 "high_occupancy": {"window": "30min"}}})
    _check(scenario, seed=4, monkeypatch=monkeypatch)
    fast = simulate_calls(scenario, RandomStreams(4))
    reference = build_centre(scenario, RandomStreams(4)).run("reference")
    _same_log(fast.calls, reference.calls)
    for name in ("calls", "busy", "on_duty", "break_delay", "overtime", "time_above"):
        assert np.array_equal(getattr(fast.agents, name), getattr(reference.agents, name)), name
    assert fast.agents.breaks_delayed.sum() > 0 and fast.agents.absent.any() and fast.agents.fatigue.sum() > 0


@pytest.mark.parametrize("leaving, seed", [("idle_first", 4), ("first_free", 4), ("first_free", 2)])
def test_the_agent_table_of_a_streamed_run_is_the_whole_runs(monkeypatch: pytest.MonkeyPatch, leaving: str,
                                                             seed: int) -> None:
    """Every part on, departments with shifts, breaks and warm transfers, handed over every 256 calls: the
    per-agent records, counted from the work table at each hand-over, are those of the run in one piece (the
    time at high occupancy up to rounding: its sweeps stop at other instants; a sweep that went past a warm
    transfer's hold still going on, recorded when it ends, would miss part of an agent's busy time (seed 4); one
    past the end of a slot's duty whose log-off waits for the first agent free would count time on duty that
    turns out to be overtime (seed 2))."""
    scenario = Scenario.model_validate({**DEPARTMENTS, "staff": {**EVERYTHING, "leaving": leaving,
                                                                 "high_occupancy": {"window": "30min", "above": 0.5}}})
    whole = simulate_calls(scenario, RandomStreams(seed)).agents
    chunks, output = _run_streamed(scenario, seed, monkeypatch, 256)
    assert len(chunks) >= 5
    streamed = output.agents
    for name in AgentTable.COLUMNS:
        if name != "time_above":
            assert np.array_equal(getattr(streamed, name), getattr(whole, name)), name
    assert np.allclose(streamed.time_above, whole.time_above, rtol=1e-9, atol=1e-6)
    assert whole.time_above.sum() > 0 and whole.longest_stretch.max() > 0


def test_the_release_hook_is_on_only_while_something_waits_for_an_agent_to_finish() -> None:
    """The centre calls the agent side at the end of each stretch of work only while a late break is due or a
    first-free log-off waits: the count of those goes up and back down to zero (the hook is off at the end),
    and each stretch of work that ended while the hook was off had nothing waiting for it."""
    scenario = Scenario.model_validate({**DEPARTMENTS, "staff": {**EVERYTHING, "leaving": "first_free"}})
    centre = build_centre(scenario, RandomStreams(2))
    staff = centre.staff
    skipped: list[bool] = []
    release = centre._release

    def watched(agent: int, now: float) -> None:
        if centre._release_hook is None:  # nothing may wait: no break due, no slot waiting for a log-off
            skipped.append(staff.break_due[agent] != staff.break_due[agent] and not any(staff.to_leave))
        release(agent, now)

    centre._release = watched
    out = centre.run()
    assert staff.pending == 0 and centre._release_hook is None
    assert out.agents.breaks_delayed.sum() > 0 and skipped and all(skipped)


def test_one_pool_with_every_part_on() -> None:
    shifts = [{"start": 0, "length": "4h", "count": 16, "breaks": [{"start": "1h", "length": "15min"}]},
              {"start": "30min", "length": "3h30min", "count": 14}]
    spec = {**{k: v for k, v in BASE.items() if k != "agents"}, "shifts": shifts, "staff": EVERYTHING}
    result = simulate(Scenario(**spec), seed=2)
    assert 0 < result.summary["occupancy"] < 1 and result.summary["abandonment_rate"] > 0


@pytest.mark.parametrize("staff, fragment", [
    ({"breaks": "later"}, "staff.breaks"),
    ({"leaving": "busy_first"}, "staff.leaving"),
    ({"leaving": "first"}, "first_free"),
    ({"absenteeism": 1.5}, "staff.absenteeism"),
    ({"fatigue": {"per_point": -0.1}}, "staff.fatigue.per_point"),
    ({"fatigue": {"per_point": 0.01, "threshold": 1.0}}, "staff.fatigue.threshold"),
    ({"speed": [{"share": 0.2, "multiplier": 0}]}, "staff.speed"),
    ({"tenure": 1}, "staff.tenure"),
])
def test_bad_staff_blocks_name_the_field(staff: dict, fragment: str) -> None:
    config = {"name": "t", "horizon": "1h", "arrivals": {"rate": "1/min"}, "handle_time": {**EXP, "mean": "1min"},
              "agents": 3, "staff": staff}
    with pytest.raises(ConfigError) as error:
        experiment_from_dict(config)
    message = str(error.value)
    assert fragment in message and "\n" not in message.strip(), message


# -- time at high occupancy (records only) -------------------------------------------------------------
def test_time_at_high_occupancy_exactly() -> None:
    """Busy from 0 to 90 min, on duty to 3 h: the busy time in the last hour is min(t, 60) minutes, then falls
    from 60 at 90 min to 0 at 150 min; above half the window from 30 to 120 min: 90 minutes."""
    shifts = [{"start": 0, "length": "3h", "count": 1}]
    out = simulate_calls(_idle(shifts=shifts, horizon="4h", arrivals={"interval": "30min", "calls": [0] * 8}, backlog=3,
                               handle_time={"distribution": "deterministic", "value": "30min"},
                               staff={"high_occupancy": {"window": "1h", "above": 0.5}}), RandomStreams(1))
    assert out.agents.time_above.tolist() == [5400.0]
    assert np.isnan(simulate_calls(_idle(shifts=shifts, staff={}), RandomStreams(1)).agents.time_above).all()


def test_time_at_high_occupancy_against_a_fine_grid() -> None:
    """Departments with shifts, breaks and transfers: each agent's time above 80% over the last 30 minutes,
    against the busy time evaluated every second from the work table (while on duty; a duty without end counts
    to the end of the day or of the agent's last work after it). Every agent who worked, whether or not its work
    stretches touch (a talk that starts when the last one ends may overlap it by a rounding error)."""
    scenario = Scenario.model_validate({**DEPARTMENTS, "staff": {"high_occupancy": {"window": "30min", "above": 0.8}}})
    out = simulate_calls(scenario, RandomStreams(2))
    work, duty = out.work, out.agents.duty
    grid = np.arange(0.0, float(np.max(work[:, 2])) + 1800.0, 1.0) + 0.5
    checked = 0
    for agent in np.unique(work[:, 0]).astype(int):
        mine = work[work[:, 0] == agent]
        order = np.argsort(mine[:, 1])
        starts, ends = mine[order, 1], mine[order, 2]
        done = np.concatenate(([0.0], np.cumsum(ends - starts)))

        def busy_until(t: np.ndarray) -> np.ndarray:  # busy time in [0, t]
            k = np.searchsorted(starts, t, side="right")
            return done[k - 1 + (k == 0)] * (k > 0) + np.where(k > 0, np.clip(t - starts[k - 1], 0, ends[k - 1] - starts[k - 1]), 0)

        recent = busy_until(grid) - busy_until(grid - 1800.0)
        on = np.zeros(grid.shape, dtype=bool)
        for _, s, e in duty[duty[:, 0] == agent]:
            on |= (grid >= s) & (grid < min(e, max(6 * 3600.0, float(ends.max()))))
        approx = float(np.sum((recent > 0.8 * 1800.0) & on))
        crossings = int(np.sum(np.diff((recent > 0.8 * 1800.0) & on) != 0)) + 1
        assert abs(out.agents.time_above[agent] - approx) <= crossings, (agent, out.agents.time_above[agent], approx)
        checked += approx > 0
    assert checked >= 20


def test_the_agent_side_with_finite_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finite lines and every part of the agent side together: calls are blocked, breaks wait, agents log off
    first free; the streamed log is the whole log, and env.run() gives the same numbers."""
    scenario = Scenario.model_validate({**DEPARTMENTS, "lines": 40, "staff": {**EVERYTHING, "leaving": "first_free"}})
    _check(scenario, seed=4, monkeypatch=monkeypatch)
    fast = simulate_calls(scenario, RandomStreams(4))
    reference = build_centre(scenario, RandomStreams(4)).run("reference")
    _same_log(fast.calls, reference.calls)
    assert np.any(fast.calls.outcome == BLOCKED) and fast.agents.breaks_delayed.sum() > 0


def test_shrinkage_on_several_shifts_gives_each_shift_its_own_agents_with_a_staff_block() -> None:
    """Shrinkage with several shifts of different sizes and a staff block, on one pool and with groups: every
    agent on duty has its place in its shift (the per-agent draws are per shift), as many as the shifts keep."""
    shifts = [{"name": n, "start": s, "length": "2h", "count": c}
              for n, s, c in (("a", "0:00", 1), ("b", "0:00", 1), ("c", "1:00", 5))]
    spec = dict(horizon="3h", arrivals={"rate": "2/min"}, handle_time={**EXP, "mean": "2min"},
                patience={**EXP, "mean": "3min"}, shifts=shifts, shrinkage=0.3,
                staff={"speed": [{"share": 0.5, "multiplier": 1.2}]})
    for scenario in (Scenario(**spec),
                     Scenario(**{**{k: v for k, v in spec.items() if k != "shifts"},
                                 "groups": [{"name": "all", "shifts": shifts}]})):
        table = simulate_calls(scenario, RandomStreams(3)).agents
        assert len(table.speed) == 1 + 1 + 4  # round(0.7), round(0.7), round(3.5)
