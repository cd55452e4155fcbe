"""Staffing: targets, requirements (Erlang C/A and simulation), shift scheduling (MILP), verification, CLI."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import queuesim as qs
from queuesim.cli import main
from queuesim.staffing import (
    StaffingError,
    analytic_agents,
    coverage_matrix,
    demand,
    evaluate_staffing,
    parse_target,
    parse_targets,
    requirements,
    schedule,
    scheduled_agents,
    tradeoff,
    verify,
)
from queuesim.staffing.schedule import expand_templates, load_templates

from .conftest import SMALL_DAY


def stationary(load: float, hours: int = 3, handle: float = 120.0, patience: float = 180.0) -> qs.Scenario:
    return qs.Scenario(
        name=f"stationary-{load:g}", horizon=f"{hours}h", report_interval="1h", arrivals={"rate": load / handle},
        handle_time={"distribution": "exponential", "mean": handle},
        patience={"distribution": "exponential", "mean": patience}, agents=1,
    )


def peak_day(base: float = 60, peak: tuple = (300, 300), n: int = 10, at: int = 3) -> qs.Scenario:
    calls = [base] * n
    calls[at:at + len(peak)] = peak
    return qs.Scenario(
        name="peak", arrivals={"interval": "15min", "start": "08:00", "calls": calls},
        handle_time={"distribution": "exponential", "mean": "6min"},
        patience={"distribution": "exponential", "mean": "10min"}, agents=1,
    )


# -- targets -----------------------------------------------------------------


def test_parse_targets_units_and_defaults():
    assert parse_target("service_level>=0.8@20s") == parse_target("service_level >= 80% @ 20s")
    assert parse_target("asa<=0.5min").value == 30.0
    assert parse_target("abandonment_rate<=5%").value == pytest.approx(0.05)
    sl, ab = parse_targets(["service_level>=0.9", "abandonment_rate<=0.05"], default_threshold=30.0)
    assert sl.threshold == 30.0 and ab.threshold is None
    assert str(sl) == "service_level>=0.9@30s"


@pytest.mark.parametrize("text, words", [
    ("service_level<=0.8", ["service_level", "at least", ">="]),
    ("queue>=3", ["unknown metric", "'queue'", "service_level", "abandonment_rate", "asa"]),
    ("service_level>=1.5", ["'1.5'", "between 0 and 1"]),
    ("asa<=soon", ["'soon'"]),
    ("asa<=30s@20s", ["only applies to service_level"]),
    ("service level 80/20", ["not understood", "service_level>=0.8@20s"]),
])
def test_bad_targets_name_target_value_and_allowed(text, words):
    with pytest.raises(StaffingError) as err:
        parse_target(text)
    message = str(err.value)
    assert repr(text) in message
    for word in words:
        assert word in message


def test_two_targets_on_one_metric_are_refused():
    with pytest.raises(StaffingError, match="given twice"):
        parse_targets(["asa<=20s", "asa<=30s"], 20.0)


@pytest.mark.parametrize("target, words", [
    ("service_level>=1@0s", ["unreachable", "below 1"]),
    ("service_level>=1.0@20s", ["unreachable"]),
    ("asa<=0s", ["unreachable", "positive"]),
    ("abandonment_rate<=0", ["unreachable", "finite patience"]),
])
def test_infeasible_targets_fail_fast_with_a_clear_error(target, words):
    import time

    began = time.perf_counter()
    with pytest.raises(StaffingError) as err:
        requirements(stationary(5), [target], replications=5)
    assert time.perf_counter() - began < 2.0  # no search
    for word in words:
        assert word in str(err.value)


def test_searches_stop_with_a_message_instead_of_running_on():
    with pytest.raises(StaffingError, match="unreachable"):  # theory: no staffing up to 100 x load + 100 agents
        requirements(stationary(2, hours=1), ["occupancy<=0.0001"], replications=3)
    with pytest.raises(StaffingError, match="stopped after 1 simulated"):
        requirements(peak_day(), ["service_level>=0.8@20s"], replications=3, max_evaluations=1)


# -- analytic requirement ----------------------------------------------------------


def test_analytic_agents_match_the_analytic_module():
    from queuesim.analytic import erlang_a_agents, erlang_c_agents

    for load in (0.5, 4, 17.3, 120):
        rate = load / 180.0
        targets = parse_targets(["service_level>=0.8@20s"], 20.0)
        assert analytic_agents(rate, 180.0, 300.0, targets, model="A") == erlang_a_agents(
            rate, 180.0, 300.0, service_level=0.8, threshold=20.0)
        assert analytic_agents(rate, 180.0, 300.0, targets, model="C") == erlang_c_agents(
            rate, 180.0, service_level=0.8, threshold=20.0)
        both = parse_targets(["abandonment_rate<=0.03", "asa<=15s"], 20.0)
        assert analytic_agents(rate, 180.0, 300.0, both) == erlang_a_agents(
            rate, 180.0, 300.0, abandonment=0.03, asa=15.0)
    assert analytic_agents(0.0, 180.0, 300.0, parse_targets(["asa<=10s"], 20.0)) == 0


def test_demand_uses_the_call_type_mix():
    sc = qs.Scenario(
        arrivals={"interval": "30min", "start": "08:00", "calls": [60, 120]},
        call_types=[
            {"name": "a", "share": 0.75, "handle_time": {"distribution": "exponential", "mean": 100},
             "patience": {"distribution": "exponential", "mean": 200}},
            {"name": "b", "share": 0.25, "handle_time": {"distribution": "exponential", "mean": 300},
             "patience": {"distribution": "exponential", "mean": 600}},
        ],
        agents=3,
    )
    d = demand(sc)
    assert d.starts == [8 * 3600.0, 8.5 * 3600.0]
    assert d.calls == pytest.approx((60, 120))
    assert d.rate[1] == pytest.approx(120 / 1800)
    assert d.handle_time[0] == pytest.approx(0.75 * 100 + 0.25 * 300)
    assert d.patience[0] == pytest.approx(0.75 * 200 + 0.25 * 600)


def test_scheduled_agents_follow_the_engines_shrinkage_rounding():
    for n in range(0, 40):
        for s in (0.0, 0.1, 0.25, 0.35):
            m = scheduled_agents(n, s)
            assert math.floor(m * (1 - s) + 0.5) >= n
            assert m == 0 or math.floor((m - 1) * (1 - s) + 0.5) < n


# -- simulation-refined requirement ------------------------------------------------


@pytest.mark.parametrize("target", ["service_level>=0.8@20s", "abandonment_rate<=0.03", "asa<=15s"])
def test_stationary_simulated_requirement_matches_erlang_a_within_one(target):
    for load in (3, 10, 25):
        req = requirements(stationary(load), [target], replications=20, seed=11)
        assert req.erlang_a == [req.erlang_a[0]] * 3  # stationary: the same every hour
        diff = np.asarray(req.simulated) - np.asarray(req.erlang_a)
        assert np.all(np.abs(diff) <= 1), (target, load, req.erlang_a, req.simulated)
        assert req.check.all_met


# 10 replications leave the iterative search's cheaper answers nearer the edge than the greedy one's: on this
# day (seeds 3-6) their means missed 0.8 on 60 independent replications in 5 intervals against 3 with 10
# replications, 2 against 1 with 20
@pytest.mark.parametrize("search, replications", [("iterative", 20), ("greedy", 10)])
def test_sharp_peak_refined_requirement_meets_targets_when_simulated(search, replications):
    sc = peak_day()
    targets = ["service_level>=0.8@20s"]
    req = requirements(sc, targets, replications=replications, seed=3, search=search)
    assert req.check.all_met
    # the same replications: every interval meets at the stated confidence
    same = evaluate_staffing(sc, req.simulated, targets, replications=replications, seed=3)
    assert same.all_met
    if search == "greedy":  # and no single agent can go
        for k in range(len(req.simulated)):
            if req.simulated[k] > 1:
                fewer = list(req.simulated)
                fewer[k] -= 1
                assert not evaluate_staffing(sc, fewer, targets, replications=replications, seed=3).all_met
    # independent replications: the mean meets the target in every interval
    fresh = evaluate_staffing(sc, req.simulated, targets, replications=60, seed=3, confidence=0.5,
                              first_replication=1000)
    assert fresh.all_met, fresh.mean
    # while per-interval Erlang A staffing misses right after the peak (interval 5, 09:15)
    psa = evaluate_staffing(sc, req.erlang_a, targets, replications=60, seed=3, confidence=0.5,
                            first_replication=1000)
    assert not psa.met[5] and psa.mean["service_level"][5] < 0.78
    assert req.simulated[5] > req.erlang_a[5]


def test_requirement_table_and_cost():
    from queuesim.model.prices import CostModel

    sc = stationary(4, hours=2).model_copy(update={"costs": CostModel(agent_per_hour=25)})
    req = requirements(sc, ["service_level>=0.8@20s"], replications=5, seed=1)
    frame = req.to_frame()
    assert list(frame.columns[:4]) == ["interval_start", "erlang_c", "erlang_a", "simulated"]
    assert frame["interval_start"].tolist() == [0.0, 3600.0]
    assert req.agent_hours("simulated") == pytest.approx(sum(req.simulated))
    assert req.cost("simulated") == pytest.approx(25 * sum(req.simulated))
    assert "agent-hours" in req.summary() and req.runtime > 0 and req.evaluations >= 1


# -- shift scheduling ------------------------------------------------------------


def _brute_force(required, a, cost, penalty, upper):
    best = math.inf
    for x in itertools.product(*(range(u + 1) for u in upper)):
        cover = a @ np.asarray(x)
        short = np.maximum(np.asarray(required) - cover, 0.0).sum()
        best = min(best, float(np.dot(cost, x)) + penalty * short)
    return best


@pytest.mark.parametrize("case", range(8))
def test_milp_is_optimal_against_brute_force(case):
    rng = np.random.default_rng(case)
    n = 8
    required = rng.integers(0, 4, n).tolist()
    templates = []
    for j in range(3):
        length = int(rng.integers(2, 5))
        start = int(rng.integers(0, n - 1))
        brk = [{"start": "1h", "length": "1h"}] if length >= 4 and rng.random() < 0.5 else []
        templates.append({"name": f"s{j}", "start": start * 3600, "length": f"{length}h", "breaks": brk,
                          "cost_per_hour": float(rng.integers(8, 20))})
    penalty = [None, 5.0, 30.0][case % 3]
    plan = schedule(required, templates, interval=3600, interval_start=0, shortage_penalty=penalty)
    cands = expand_templates(load_templates(templates))
    a = coverage_matrix(cands, 0.0, 3600.0, n)
    cost = np.array([c.cost for c in cands])
    used_penalty = plan.penalty
    milp_objective = plan.cost + used_penalty * sum(plan.shortage)
    upper = [max(required) + 1] * len(cands)
    assert milp_objective == pytest.approx(_brute_force(required, a, cost, used_penalty, upper), abs=1e-6)
    assert plan.optimal


def test_uncovered_intervals_are_reported_not_fatal():
    templates = [{"name": "day", "start": "08:00", "length": "4h", "cost_per_hour": 10}]
    plan = schedule([2, 2, 2, 2, 3, 3], templates, interval=3600, interval_start=8 * 3600)
    assert plan.agents == [2]
    assert plan.uncovered == [12 * 3600.0, 13 * 3600.0]
    assert plan.unreachable == [12 * 3600.0, 13 * 3600.0]
    assert "UNDER-COVERED" in plan.summary()


def test_shift_templates_breaks_starts_and_frame():
    templates = [{"name": "full", "start": ["08:00", "09:00"], "length": "8h",
                  "breaks": [{"start": "4h", "length": "30min"}], "cost_per_hour": 20}]
    cands = expand_templates(load_templates(templates))
    assert [c.name for c in cands] == ["full@08:00", "full@09:00"]
    assert cands[0].cost == pytest.approx(7.5 * 20)
    a = coverage_matrix(cands, 8 * 3600.0, 1800.0, 18)
    assert a[8, 0] == 0.0 and a[7, 0] == 1.0 and a[16, 0] == 0.0 and a[16, 1] == 1.0
    plan = schedule([1] * 18, templates, interval=1800, interval_start=8 * 3600)
    frame = plan.to_frame()
    assert list(frame.columns[:4]) == ["shift", "start", "length", "agents"]
    assert not plan.uncovered


def test_bad_shift_templates_are_clear_errors(tmp_path):
    with pytest.raises(StaffingError, match="template 'x'.*length"):
        load_templates([{"name": "x", "start": "08:00"}])
    with pytest.raises(StaffingError, match="break"):
        load_templates([{"name": "x", "start": "08:00", "length": "2h", "breaks": [{"start": "2h", "length": "1h"}]}])
    path = tmp_path / "s.yaml"
    path.write_text("shifts: []\n")
    with pytest.raises(StaffingError, match="shift_templates"):
        load_templates(path)


# -- verification and CLI -----------------------------------------------------------


def test_verify_simulates_the_schedule():
    sc = stationary(4, hours=4)
    plan = schedule([7, 7, 7, 7], [{"name": "all", "start": 0, "length": "4h", "cost_per_hour": 1}],
                    interval=3600, interval_start=0)
    ver = verify(sc, plan, ["service_level>=0.8@20s"], replications=8, seed=2)
    frame = ver.to_frame()
    assert frame["agents"].tolist() == [7.0, 7.0, 7.0, 7.0]
    for col in ("service_level", "service_level_ci_low", "service_level_ci_high", "meets_targets", "missed_targets"):
        assert col in frame
    assert ver.all_met


def test_verification_compares_agents_on_duty_with_the_requirement_on_duty():
    """With shrinkage the shifts are scheduled agents and the simulated ones are on duty: the verification
    shows the requirement both ways, and its figure draws the one on duty."""
    sc = stationary(4, hours=4).model_copy(update={"shrinkage": 0.1})
    plan = schedule([10, 10, 10, 10], [{"name": "all", "start": 0, "length": "4h", "cost_per_hour": 1}],
                    interval=3600, interval_start=0)
    ver = verify(sc, plan, ["service_level>=0.5@20s"], replications=3, seed=2)
    frame = ver.to_frame()
    assert frame["required_scheduled"].tolist() == [10] * 4
    assert frame["required_on_duty"].tolist() == [9] * 4 == frame["agents"].tolist()


def test_a_mistyped_template_key_is_named_with_a_suggestion():
    with pytest.raises(StaffingError, match="template 'a': unknown key 'strat' \\(did you mean 'start'\\?\\); allowed: name, start"):
        load_templates([{"name": "a", "strat": "07:00", "length": "8h"}])


def test_a_schedule_without_prices_does_not_print_a_cost():
    """No cost_per_hour and no costs.agent_per_hour: the plan minimises paid hours; a 'cost 232.00' with no
    currency would read as money."""
    free = schedule([3, 3], [{"name": "all", "start": 0, "length": "2h"}], interval=3600, interval_start=0)
    assert free.unpriced and "no prices given" in free.summary() and "cost " not in free.summary()
    priced = schedule([3, 3], [{"name": "all", "start": 0, "length": "2h", "cost_per_hour": 20}], interval=3600,
                      interval_start=0)
    assert not priced.unpriced and "cost 120.00" in priced.summary()


def test_tradeoff_costs_rise_with_the_target():
    frame = tradeoff(stationary(5, hours=2), ["service_level>=0.8@20s"], [0.6, 0.9], replications=5, seed=1)
    assert frame["service_level"].tolist() == [0.6, 0.9]
    assert frame["erlang_a_hours"].is_monotonic_increasing
    assert frame["simulated_hours"].iloc[1] >= frame["simulated_hours"].iloc[0]


CONFIG = SMALL_DAY + "costs: {agent_per_hour: 30}\n"

SHIFTS = """
shift_templates:
  - {name: early, start: "08:00", length: 3h, cost_per_hour: 30}
  - {name: late, start: ["09:00", "10:00"], length: 2h, cost_per_hour: 32}
"""


def test_cli_staff_writes_the_contract_files(tmp_path, capsys):
    config = tmp_path / "day.yaml"
    config.write_text(CONFIG)
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text(SHIFTS)
    out = tmp_path / "out"
    code = main(["staff", str(config), "--target", "service_level>=0.8@20s", "--target", "abandonment_rate<=0.05",
                 "--shifts", str(shifts), "--out", str(out), "--tradeoff", "0.7,0.8", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "Erlang A" in text and "agent-hours" in text and "cost" in text
    req = pd.read_csv(out / "requirements.csv")
    assert list(req.columns[:4]) == ["interval_start", "erlang_c", "erlang_a", "simulated"]
    assert req["interval_start"].tolist() == [8 * 3600.0, 9 * 3600.0, 10 * 3600.0, 11 * 3600.0]
    sched = pd.read_csv(out / "schedule.csv")
    assert list(sched.columns[:4]) == ["shift", "start", "length", "agents"]
    ver = pd.read_csv(out / "verification.csv")
    assert {"interval_start", "agents", "service_level", "service_level_ci_low", "service_level_ci_high",
            "abandonment_rate", "meets_targets", "missed_targets", "required_scheduled"} <= set(ver.columns)
    assert "required_scheduled" in req.columns and "scheduled" not in req.columns
    coverage = pd.read_csv(out / "coverage.csv")
    assert {"required_scheduled", "shift_coverage", "shortage"} <= set(coverage.columns)
    for name in ("requirements.png", "verification.png", "tradeoff.png"):
        assert (out / "figures" / name).stat().st_size > 10_000


@pytest.mark.parametrize("target, words", [
    ("service_level>=1@0s", "unreachable"),
    ("sl>=0.8@fast", "threshold"),
    ("asa>=20s", "at most"),
])
def test_cli_staff_bad_targets_exit_2(tmp_path, capsys, target, words):
    config = tmp_path / "day.yaml"
    config.write_text(CONFIG)
    assert main(["staff", str(config), "--target", target, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_schedule_covers_the_requirement_on_duty_when_shifts_round_down_together():
    """25% shrinkage, on duty needed [2, 5, 5, 2]: scheduled [2, 6, 6, 2]. The cheapest cover is an early and
    a late shift of 3 (both capped at 3), which keep round(2.25) = 2 each: 4 on duty from 01:00 to 03:00, one
    short. The schedule adds one agent on the dearer middle shift (round(0.75) = 1 on duty), and the
    verification simulates 5 agents there."""
    from types import SimpleNamespace

    from queuesim.staffing.requirements import scheduled_agents

    sc = stationary(4, hours=4).model_copy(update={"shrinkage": 0.25})
    on_duty = [2, 5, 5, 2]
    req = SimpleNamespace(scenario=sc, simulated=on_duty, scheduled=[scheduled_agents(n, 0.25) for n in on_duty],
                          demand=SimpleNamespace(starts=[0.0, 3600.0, 7200.0, 10800.0], length=3600.0),
                          agent_per_hour=None, currency="", group=None)
    assert req.scheduled == [2, 6, 6, 2]
    templates = [{"name": "early", "start": 0, "length": "3h", "cost_per_hour": 1, "max_agents": 3},
                 {"name": "late", "start": "1:00", "length": "3h", "cost_per_hour": 1, "max_agents": 3},
                 {"name": "mid", "start": "1:00", "length": "2h", "cost_per_hour": 2}]
    plan = schedule(req, templates)
    assert plan.agents == [3, 3, 1]
    assert plan.added_for_shrinkage == 1 and "1 agent(s) added to the least-cost shifts" in plan.summary()
    ver = verify(sc, plan, ["service_level>=0.5@20s"], replications=2, seed=2)
    assert ver.to_frame()["agents"].tolist() == [2.0, 5.0, 5.0, 2.0]


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.data(), st.floats(0.05, 0.9))
def test_the_on_duty_cover_adds_agents_only_where_short(n_int: int, n_shift: int, data, shrinkage: float) -> None:
    """After :func:`_cover_on_duty` every interval some shift covers has its requirement on duty (rounded shift
    by shift); an interval already covered gets nothing added."""
    from queuesim.model.shifts import shifts_on_duty
    from queuesim.staffing.schedule import _cover_on_duty

    a = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=n_shift, max_size=n_shift),
                                    min_size=n_int, max_size=n_int)))
    x = np.array(data.draw(st.lists(st.integers(0, 8), min_size=n_shift, max_size=n_shift)))
    need = data.draw(st.lists(st.integers(0, 10), min_size=n_int, max_size=n_int))
    cost = np.array(data.draw(st.lists(st.floats(0.5, 4.0), min_size=n_shift, max_size=n_shift)))
    before = x.copy()
    on = lambda v: a @ np.array(shifts_on_duty([int(n) for n in v], shrinkage), dtype=float)  # noqa: E731
    covered_before = bool(np.all((on(before) >= np.array(need) - 1e-9) | (a.sum(axis=1) == 0)))
    added = _cover_on_duty(x, a, cost, np.full(n_shift, np.inf), need, shrinkage)
    assert added == int((x - before).sum()) and np.all(x >= before)
    assert np.all((on(x) >= np.array(need) - 1e-9) | (a.sum(axis=1) == 0))
    if covered_before:
        assert added == 0
