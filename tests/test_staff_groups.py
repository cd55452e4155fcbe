"""Staffing a centre with departments: every group's requirement per interval, searched together.

A group answers for its own callers (the call types it is home to) over all their legs, and for its own
agents' occupancy; groups interact through overflow and transfers because every simulated day has every
group's staffing. One pool written as one group must give the pool's requirement, bit for bit.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from queuesim import Scenario
from queuesim.engine import simulate_calls
from queuesim.measure.tally import time_integral
from queuesim.rng import RandomStreams
from queuesim.staffing import GroupRequirements, GroupSchedule, StaffingError, requirements, schedule, verify
from queuesim.staffing.simulated import (
    SIM_METRICS, _interval_rows, demand, group_demands, group_interval_tables, staffed,
)

from .conftest import run_cli

EXP = {"distribution": "exponential"}
TARGETS = ["service_level>=0.8@20s", "abandonment_rate<=0.05"]


def _day(**kw) -> Scenario:
    """Three half hours of rising load; two call types."""
    spec = dict(
        horizon="90min", arrivals={"interval": "30min", "calls": [150, 240, 300]},
        handle_time={**EXP, "mean": "3min"}, patience={**EXP, "mean": "4min"},
        call_types=[{"name": "a", "share": 0.7}, {"name": "b", "share": 0.3}], agents=30,
    )
    spec.update(kw)
    return Scenario.model_validate(spec)


def _two_groups(overflow: bool = False, **kw) -> Scenario:
    """Group A (home of a, 70% of the calls) and group B (home of b); with ``overflow``, B may answer a's
    callers once they have waited 10 s."""
    a = {"name": "a", "share": 0.7, "groups": ["A", "B"] if overflow else ["A"]}
    if overflow:
        a["overflow_after"] = "10s"
    return _day(agents=None, groups=[{"name": "A", "agents": 20}, {"name": "B", "agents": 10}],
                call_types=[a, {"name": "b", "share": 0.3, "groups": ["B"]}], **kw)


def test_one_pool_written_as_one_group_needs_the_same_agents_bit_for_bit():
    """The department centre with one group is the one-pool model (same call log); its one group's table
    is the pool's table, every metric, so the search takes the same steps to the same staffing."""
    sc = _day()
    one = sc.as_one_group()
    d = demand(sc)
    agents = [22, 30, 36]
    pool = _interval_rows(staffed(sc, d, agents), 3, 1, d.starts)
    group = _interval_rows(staffed(one, d, agents), 3, 1, d.starts)
    assert group.shape == pool.shape
    np.testing.assert_array_equal(group, pool)  # service level, abandonment, ASA, waits, occupancy, agents
    targets = TARGETS + ["occupancy<=0.95"]
    req = requirements(sc, targets, replications=4, seed=3)
    by_group = requirements(one, targets, replications=4, seed=3)
    assert isinstance(by_group, GroupRequirements) and by_group.groups == ["agents"]
    part = by_group.parts["agents"]
    assert part.simulated == req.simulated and part.erlang_a == req.erlang_a and part.erlang_c == req.erlang_c
    assert by_group.evaluations == req.evaluations and by_group.history == req.history
    for metric in req.check.mean:
        np.testing.assert_array_equal(part.check.mean[metric], req.check.mean[metric])


def test_each_groups_table_counts_its_own_callers_and_agents():
    """Against the whole call log and work table of the same replication: a group's offered, abandoned and
    answered callers per interval are those of the types it is home to, its busy time its agents' work."""
    sc = staffed(_two_groups(overflow=True), demand(_two_groups()), [18, 20, 22, 8, 9, 10])
    tables = group_interval_tables(sc, 11, 2)
    out = simulate_calls(sc, RandomStreams(11, 2))
    calls, work = out.calls, out.work
    starts = tables[0]["interval_start"]
    edges = np.append(starts, starts[-1] + 1800.0)
    slot = np.searchsorted(edges, calls.arrival, side="right") - 1
    agent_group = np.asarray(sc.agent_groups())
    for g, table in enumerate(tables):
        mine = (calls.call_type == g) & (slot >= 0) & (slot < len(starts))  # type a -> group A, b -> B
        np.testing.assert_array_equal(table["offered"], np.bincount(slot[mine], minlength=len(starts)))
        np.testing.assert_array_equal(table["abandoned"],
                                      np.bincount(slot[mine & calls.abandoned], minlength=len(starts)))
        own = work[agent_group[work[:, 0].astype(int)] == g]
        busy = time_integral(own[:, 1], own[:, 2], edges)
        np.testing.assert_allclose(table["occupancy"] * table["agents"] * 1800.0, busy, rtol=1e-9)
    # overflow really happened: some of a's callers were answered by B's agents
    assert (calls.group[(calls.call_type == 0) & calls.answered] == 1).any()


def test_every_group_meets_the_targets_for_its_own_callers_and_groups_interact():
    """Searched together, every group's intervals meet every target; with overflow, A leans on B: A needs
    fewer agents, and B, whose callers now share its agents, at least as many."""
    alone = requirements(_two_groups(), TARGETS, replications=8, seed=5)
    shared = requirements(_two_groups(overflow=True), TARGETS, replications=8, seed=5)
    for req in (alone, shared):
        assert req.all_met and not req.fixed
        assert all(p.check.all_met for p in req.parts.values())
    a0, a1 = sum(alone.parts["A"].simulated), sum(shared.parts["A"].simulated)
    b0, b1 = sum(alone.parts["B"].simulated), sum(shared.parts["B"].simulated)
    assert a1 < a0 and b1 >= b0, (alone.parts["A"].simulated, shared.parts["A"].simulated,
                                  alone.parts["B"].simulated, shared.parts["B"].simulated)
    # each group's Erlang A starting point is for its own mix: A carries 70% of the load
    assert sum(alone.parts["A"].erlang_a) > 1.5 * sum(alone.parts["B"].erlang_a)
    a, b = group_demands(_two_groups())
    assert a.calls == pytest.approx([0.7 * c for c in demand(_day()).calls], rel=1e-12)
    assert b.calls == pytest.approx([0.3 * c for c in demand(_day()).calls], rel=1e-12)


def _with_spare(**kw) -> Scenario:
    """Two groups and a ``spare`` group that is no type's home: it only takes overflow after 30 s."""
    spare = kw.pop("spare", {"agents": 3})
    return _day(agents=None, groups=[{"name": "A", "agents": 20}, {"name": "B", "agents": 10},
                                     {"name": "spare", **spare}],
                call_types=[{"name": "a", "share": 0.7, "groups": ["A", "spare"], "overflow_after": "30s"},
                            {"name": "b", "share": 0.3, "groups": ["B", "spare"], "overflow_after": "30s"}], **kw)


def test_a_group_that_is_no_types_home_keeps_its_config_and_is_left_out_of_the_requirement():
    req = requirements(_with_spare(), TARGETS, replications=4, seed=5)
    assert req.fixed == ("spare",) and req.groups == ["A", "B"]
    assert "kept as configured (no call type's home group): spare" in req.summary()
    assert req.agent_hours() == pytest.approx(sum(p.agent_hours() for p in req.parts.values()))
    assert set(req.to_frame()["group"]) == {"A", "B"}


def test_the_search_simulates_a_group_kept_as_configured_with_its_own_shifts_shrinkage_and_adjustment():
    """Its shifts as written, after shift_adjust and shrinkage: the same agents on duty as in the config."""
    shifts = [{"start": "00:15", "length": "30min", "count": 3}, {"start": "01:00", "length": "20min", "count": 2}]
    sc = _with_spare(spare={"shifts": shifts}, shrinkage=0.5, shift_adjust={"add": 1})
    d = demand(sc)
    searched = staffed(sc, d, [20, 20, 20, 10, 10, 10, 99, 99, 99])  # the spare's numbers are not used
    spare = lambda s: [p for p, g in zip(s.duty_periods(), s.agent_groups()) if g == 2]  # noqa: E731
    assert spare(searched) == spare(sc) and len(spare(sc)) == 4  # round(4 x 0.5) + round(3 x 0.5), halves up
    assert searched.shrinkage == 0.0 and sc.shrinkage == 0.5


def test_a_group_reached_by_mistake_keeps_agents_where_its_own_types_do_not_call():
    """b calls only in the last two half hours, but a fifth of a's callers reach B by mistake all day: B keeps
    its configured agents (at least one) in the first two and the search succeeds."""
    sc = _day(agents=None, groups=[{"name": "A", "agents": 20}, {"name": "B", "agents": 0}], arrivals=None,
              call_types=[{"name": "a", "groups": ["A"], "misroute": {"probability": 0.2, "to": "B"},
                           "arrivals": {"interval": "30min", "calls": [150, 240, 300]}},
                          {"name": "b", "groups": ["B"], "arrivals": {"interval": "30min", "calls": [0, 0, 100]}}],
              transfers={"policy": "cold"})
    req = requirements(sc, ["abandonment_rate<=0.1"], replications=4, seed=5)
    assert req.all_met
    b = req.parts["B"]
    assert b.simulated[:2] == [1, 1] and b.simulated[2] >= 1 and b.demand.calls[:2] == (0.0, 0.0)


def test_trimming_blames_within_a_group_then_the_same_time_in_another():
    from queuesim.staffing.search import _blame, _trim_batch

    # two groups of 6 intervals: cells 0-5 and 6-11
    assert _blame([6], [5, 8], block=6) == (set(), {8})  # not group 0's last interval: 8 is in its own group
    assert _blame([7], [1, 10], block=6) == (set(), {1})  # the same interval in the other group
    assert _blame([7], [6, 1], block=6) == (set(), {6})  # its own neighbour first
    assert _trim_batch([5, 6, 7], np.array([0, 0, 0, 0, 0, 3, 2, 1.0]), 2, block=6) == [5, 6]
    assert _trim_batch([5, 6, 7], np.array([0, 0, 0, 0, 0, 3, 2, 1.0]), 2) == [5, 7]  # one group


def test_each_groups_shifts_cover_its_own_requirement_from_the_templates_it_may_work():
    req = requirements(_two_groups(), TARGETS, replications=4, seed=5)
    templates = [{"name": "any", "start": ["00:00", "00:30"], "length": "1h"},
                 {"name": "b-only", "start": "00:00", "length": "90min", "groups": ["B"]}]
    plan = schedule(req, templates)
    assert isinstance(plan, GroupSchedule) and set(plan.parts) == {"A", "B"}
    assert all(s.template != "b-only" or n == 0 for s, n in zip(plan.parts["A"].shifts, plan.parts["A"].agents))
    for name, part in plan.parts.items():
        assert np.all(np.asarray(part.coverage) >= np.asarray(req.parts[name].scheduled))
    assert plan.cost == pytest.approx(sum(p.cost for p in plan.parts.values()))
    ver = verify(_two_groups(), plan, TARGETS, replications=4, seed=5, first_replication=4)
    assert set(ver.parts) == {"A", "B"} and list(ver.to_frame()["group"].unique()) == ["A", "B"]
    np.testing.assert_allclose(ver.parts["B"].agents, plan.parts["B"].coverage)
    with pytest.raises(StaffingError, match=r"^shift template 'x': groups 'C' are not groups of the scenario; "
                                            r"choose among A, B$"):
        schedule(req, [{"name": "x", "start": "00:00", "length": "90min", "groups": ["C"]}])
    with pytest.raises(StaffingError, match=r"^group 'A': no shift template lists it"):
        schedule(req, [{"name": "x", "start": "00:00", "length": "90min", "groups": ["B"]}])


def test_staff_command_with_groups_prints_and_writes_every_group(tmp_path):
    config = tmp_path / "two.yaml"
    config.write_text(
        "horizon: 90min\narrivals: {interval: 30min, calls: [150, 240, 300]}\n"
        "handle_time: {distribution: exponential, mean: 3min}\npatience: {distribution: exponential, mean: 4min}\n"
        "groups:\n  - {name: A, agents: 20}\n  - {name: 'B team', agents: 10}\n"
        "call_types:\n  - {name: a, share: 0.7, groups: [A]}\n  - {name: b, share: 0.3, groups: ['B team']}\n")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("- {name: day, start: ['00:00', '00:30'], length: 1h}\n")
    out = tmp_path / "out"
    code, text, err = run_cli("staff", str(config), "-t", "abandonment_rate<=0.05", "-t", "service_level>=0.8@20s",
                              "-n", "3", "--shifts", str(shifts), "--out", str(out), "-q", "--tradeoff", "0.7,0.8")
    assert code == 0, err
    curve = pd.read_csv(out / "tradeoff.csv")
    requirement = pd.read_csv(out / "requirements.csv")
    at = curve.loc[curve["service_level"] == 0.8, "simulated_hours"].iloc[0]  # the groups added up
    assert at == pytest.approx(requirement["simulated"].sum() * 0.5)
    assert "agents required per interval for group A:" in text and "for group B team:" in text
    assert "group B team:" in text and "all groups:" in text
    for name in ("requirements-A.png", "requirements-B_team.png", "verification-A.png", "verification-B_team.png"):
        assert (out / "figures" / name).is_file()
    frame = pd.read_csv(out / "requirements.csv")
    assert list(frame["group"].unique()) == ["A", "B team"] and len(frame) == 6
    assert set(pd.read_csv(out / "verification.csv")["group"]) == {"A", "B team"}


def test_a_staffing_for_groups_has_one_number_per_interval_and_group():
    sc = _two_groups()
    with pytest.raises(StaffingError, match=r"^agents: give one number per interval \(3\) and group \(2\), got 3$"):
        staffed(sc, demand(sc), [10, 10, 10])


def test_bad_shift_templates_and_schedules_are_one_line_errors_before_any_simulation(tmp_path):
    config = tmp_path / "two.yaml"
    config.write_text(
        "horizon: 90min\narrivals: {interval: 30min, calls: [150, 240, 300]}\n"
        "handle_time: {distribution: exponential, mean: 3min}\n"
        "groups:\n  - {name: A, agents: 20}\n  - {name: B, agents: 10}\n"
        "call_types:\n  - {name: a, share: 0.7, groups: [A]}\n  - {name: b, share: 0.3, groups: [B]}\n")
    cases = {
        "- {name: x, start: '00:00', length: 90min, groups: [C]}\n":
            "shift template 'x': groups 'C' are not groups of the scenario; choose among A, B",
        "- {name: x, start: '00:00', length: 90min, groups: [A]}\n":
            "group 'B': no shift template lists it in 'groups'",
    }
    for text, message in cases.items():
        shifts = tmp_path / "shifts.yaml"
        shifts.write_text(text)
        code, printed, err = run_cli("staff", str(config), "-t", "abandonment_rate<=0.05", "-n", "2",
                                     "--shifts", str(shifts))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
        assert "agents required" not in printed  # nothing simulated
    shifts.write_text("- {name: x, start: '00:00', length: 90min, groups: [A]}\n")
    code, _, err = run_cli("staff", "configs/erlang-a.yaml", "-t", "abandonment_rate<=0.05", "--shifts", str(shifts))
    assert code == 2 and "groups: the scenario has no departments (groups); remove 'groups'" in err
    with pytest.raises(StaffingError, match=r"^verify: shifts of group 'A', shift 1: length: "):
        verify(_two_groups(), {"A": [{"start": "00:00", "length": "-1h", "count": 3}]}, TARGETS, replications=2)
    with pytest.raises(StaffingError, match=r"^verify: shifts of group 'A': expected a list of shifts, got dict$"):
        verify(_two_groups(), {"A": {"start": "00:00"}}, TARGETS, replications=2)
    with pytest.raises(StaffingError, match=r"^verify: this scenario has no departments"):
        verify(_day(), {"A": []}, TARGETS, replications=2)


def test_group_names_become_distinct_file_names():
    from queuesim.commands.staff import _file_names

    assert _file_names(["販売", "サポート", "B team", "B_team", "b team", "ok.1"]) == {
        "販売": "販売", "サポート": "サポート", "B team": "B_team-3", "B_team": "B_team-4", "b team": "b_team-5",
        "ok.1": "ok.1"}


def test_the_skills_study_runs_and_cross_training_needs_fewer_agents(tmp_path):
    """experiments/skills_staffing.py at one arrival rate and 3 replications: its table, one row per routing."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "experiments" / "skills_staffing.py"), "--replications", "3",
                           "--rates", "6", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(tmp_path / "skills_staffing_seed404.csv")
    assert list(table["routing"]) == ["specialists", "tech helps billing", "cross-trained"]
    assert table["other_department_talk_hours"].iloc[0] == 0 and (table["other_department_talk_hours"].iloc[1:] > 0).all()
    assert table["agent_hours"].iloc[2] < table["agent_hours"].iloc[0]


def _priorities(**kw) -> Scenario:
    """One pool; vip callers (20%) served before standard ones."""
    return _day(call_types=[{"name": "vip", "share": 0.2, "priority": 2}, {"name": "std", "share": 0.8, "priority": 1}],
                **kw)


def test_a_target_may_name_a_call_type():
    from queuesim.staffing import parse_targets

    vip = parse_targets(["service_level>=0.8@20s", "service_level[vip]>=0.9", "asa[std]<=30s"], 20.0)
    assert [t.key for t in vip] == ["service_level", "service_level[vip]", "asa[std]"]
    assert str(vip[1]) == "service_level[vip]>=0.9@20s" and vip[1].threshold == 20.0
    for bad, message in (
        ("occupancy[vip]<=0.9", "occupancy is the agents', not a call type's"),
        ("service_level[std]>=0.9@10s", "its threshold differs from service_level>=0.8@20s's"),
        ("service_level[vip]>=0.7", "service_level[vip] is given twice"),
    ):
        with pytest.raises(StaffingError, match=re.escape(message)):
            parse_targets(["service_level>=0.8@20s", "service_level[vip]>=0.9", bad], 20.0)
    with pytest.raises(StaffingError, match=r"^target service_level\[gold\]>=0.9@20s: 'gold' is not a call type of "
                                            r"the scenario; choose among vip, std$"):
        requirements(_priorities(), ["service_level[gold]>=0.9"], replications=2)


def test_a_call_types_own_numbers_per_interval_are_its_callers():
    """The rows for a type's target against the type's own calls in the same replication's call log."""
    sc = staffed(_priorities(), demand(_priorities()), [20, 26, 33])
    rows = _interval_rows(sc, 4, 1, demand(sc).starts, types=[1])
    calls = simulate_calls(sc, RandomStreams(4, 1)).calls
    std = calls.select(calls.call_type == 1)
    slot = np.floor(std.arrival / 1800.0).astype(int)
    for k in range(3):
        mine = slot == k
        live = std.answered[mine]
        within = (live & (std.wait[mine] <= sc.service_level_threshold)).sum()
        assert rows[len(SIM_METRICS) + 2, k] == pytest.approx(within / mine.sum(), abs=1e-12)  # service_level[std]
        assert rows[len(SIM_METRICS) + 3, k] == pytest.approx(std.abandoned[mine].sum() / mine.sum(), abs=1e-12)


def test_the_low_priority_types_target_asks_for_more_agents_than_the_pools():
    """Standard callers wait behind vip ones: 90% of them answered in 20 s needs more agents than 90% of all
    callers; vip's own 90% needs fewer. The pool's target alone gives the same staffing as before."""
    pool = requirements(_priorities(), ["service_level>=0.9@20s"], replications=6, seed=3)
    std = requirements(_priorities(), ["service_level[std]>=0.9@20s"], replications=6, seed=3)
    vip = requirements(_priorities(), ["service_level[vip]>=0.9@20s"], replications=6, seed=3)
    assert sum(std.simulated) > sum(pool.simulated) > sum(vip.simulated), (std.simulated, pool.simulated, vip.simulated)
    assert std.check.all_met and "service_level[std]" in std.check.mean


def test_a_types_target_counts_in_its_home_groups_intervals_only(tmp_path):
    req = requirements(_two_groups(overflow=True), ["abandonment_rate<=0.05", "service_level[b]>=0.9@20s"],
                       replications=4, seed=5)
    assert np.isnan(req.parts["A"].check.mean["service_level[b]"]).all()
    assert np.isfinite(req.parts["B"].check.mean["service_level[b]"]).all() and req.all_met
    config = tmp_path / "vip.yaml"
    config.write_text(
        "horizon: 90min\narrivals: {interval: 30min, calls: [150, 240, 300]}\nagents: 30\n"
        "handle_time: {distribution: exponential, mean: 3min}\npatience: {distribution: exponential, mean: 4min}\n"
        "call_types:\n  - {name: vip, share: 0.2, priority: 2}\n  - {name: std, share: 0.8, priority: 1}\n")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("- {name: day, start: ['00:00', '00:30'], length: 1h}\n")
    code, text, err = run_cli("staff", str(config), "-t", "service_level>=0.8@20s", "-t", "service_level[std]>=0.8",
                              "-n", "3", "--shifts", str(shifts), "--out", str(tmp_path / "out"), "-q",
                              "--tradeoff", "0.7")
    assert code == 0, err
    frame = pd.read_csv(tmp_path / "out" / "verification.csv")
    assert {"service_level[std]", "meets_service_level[std]"} <= set(frame.columns)


def test_measuring_a_call_types_own_numbers_changes_nothing_else():
    """Per-type rows are observers: the pool's and the groups' rows are the same with and without them."""
    for sc in (staffed(_priorities(), demand(_priorities()), [20, 26, 33]),
               staffed(_two_groups(overflow=True), demand(_two_groups()), [18, 20, 22, 8, 9, 10])):
        plain = _interval_rows(sc, 4, 1, demand(sc).starts)
        both = _interval_rows(sc, 4, 1, demand(sc).starts, types=[0, 1])
        np.testing.assert_array_equal(both[: plain.shape[0]], plain)
        assert both.shape[0] == plain.shape[0] + 8
