"""Staffing a centre with departments: every group's requirement per interval, searched together.

A group answers for its own callers (the call types it is home to) over all their legs, and for its own
agents' occupancy; groups interact through overflow and transfers because every simulated day has every
group's staffing. One pool written as one group must give the pool's requirement, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import Scenario
from queuesim.engine import simulate_calls
from queuesim.measure.tally import time_integral
from queuesim.rng import RandomStreams
from queuesim.staffing import GroupRequirements, GroupSchedule, StaffingError, requirements, schedule, verify
from queuesim.staffing.requirements import (
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


def test_a_group_that_is_no_types_home_keeps_its_configured_agents():
    sc = _day(agents=None, groups=[{"name": "A", "agents": 20}, {"name": "B", "agents": 10},
                                   {"name": "spare", "agents": 3}],
              call_types=[{"name": "a", "share": 0.7, "groups": ["A", "spare"], "overflow_after": "30s"},
                          {"name": "b", "share": 0.3, "groups": ["B", "spare"], "overflow_after": "30s"}])
    req = requirements(sc, TARGETS, replications=4, seed=5)
    assert req.fixed == ("spare",) and req.parts["spare"].simulated == [3, 3, 3]
    assert "kept as configured (no call type's home group): spare" in req.summary()


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
    assert (out / "tradeoff.csv").is_file() and "0.70: Erlang A" in text  # the groups added up
    assert "agents required per interval for group A:" in text and "for group B team:" in text
    assert "group B team:" in text and "all groups:" in text
    for name in ("requirements-A.png", "requirements-B_team.png", "verification-A.png", "verification-B_team.png"):
        assert (out / "figures" / name).is_file()
    import pandas as pd

    frame = pd.read_csv(out / "requirements.csv")
    assert list(frame["group"].unique()) == ["A", "B team"] and len(frame) == 6
    assert set(pd.read_csv(out / "verification.csv")["group"]) == {"A", "B team"}


def test_a_staffing_for_groups_has_one_number_per_interval_and_group():
    sc = _two_groups()
    with pytest.raises(StaffingError, match=r"^agents: give one number per interval \(3\) and group \(2\), got 3$"):
        staffed(sc, demand(sc), [10, 10, 10])
    assert len(SIM_METRICS) + 2 == _interval_rows(staffed(sc, demand(sc), [9] * 6), 0, 0, demand(sc).starts).shape[0]
