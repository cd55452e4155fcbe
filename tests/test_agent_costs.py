"""The agents' day in numbers and its price: agent metrics, attrition cost, agents.csv in a result folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from queuesim import ConfigError, Scenario, simulate
from queuesim.cli import main
from queuesim.experiment.compare import paired_comparison
from queuesim.experiment.replication import ReplicationResult
from queuesim.measure.agents import AGENT_METRICS, ATTRITION_METRICS
from queuesim.model.config import experiment_from_dict

#: 46 agents for an offered load of 45 Erlangs: run hot, so that recent occupancy often passes 90%.
HOT = {
    "name": "hot", "horizon": "4h", "arrivals": {"rate": "9/min"}, "agents": 46,
    "handle_time": {"distribution": "exponential", "mean": "5min"},
    "patience": {"distribution": "exponential", "mean": "10min"},
    "staff": {"high_occupancy": {"window": "60min", "above": 0.9}},
    "costs": {"agent_per_hour": 28,
              "attrition": {"replacement_cost": 8000, "per_day": 0.0012, "per_hour_above": 0.0005}},
}


def _scenario(**change) -> Scenario:
    return Scenario(**{**HOT, **change})


def test_attrition_cost_is_the_expected_leavers_times_the_replacement_cost() -> None:
    """cost_attrition = 8000 x sum over agents present of (per_day + per_hour_above x hours above), and it is part
    of cost_total and cost_per_call."""
    result = simulate(_scenario(), seed=5)
    agents = result.agents
    present = ~agents.absent & (agents.on_duty > 0)
    expected = float(np.sum(0.0012 + 0.0005 * agents.time_above[present] / 3600.0))
    assert result.summary["expected_attrition"] == pytest.approx(expected, rel=1e-12)
    assert result.summary["cost_attrition"] == pytest.approx(8000 * expected, rel=1e-12)
    assert expected > 46 * 0.0012  # hours above the threshold add to the base rate
    parts = ("cost_agents", "cost_trunk", "cost_customer_time", "cost_abandonment", "cost_churn", "cost_attrition")
    assert result.summary["cost_total"] == pytest.approx(sum(result.summary[p] for p in parts), rel=1e-12)
    assert result.summary["cost_per_call"] == pytest.approx(result.summary["cost_total"] / result.summary["offered"])


def test_without_attrition_nothing_is_priced_and_nothing_else_changes() -> None:
    """Without costs.attrition: no attrition metrics, and every other number as with it (the cost total less the
    attrition cost)."""
    priced = simulate(_scenario(), seed=6)
    costs = {k: v for k, v in HOT["costs"].items() if k != "attrition"}
    plain = simulate(_scenario(costs=costs), seed=6)
    assert not set(ATTRITION_METRICS) & set(plain.summary)
    assert plain.summary["cost_total"] == pytest.approx(priced.summary["cost_total"] - priced.summary["cost_attrition"])
    same = {k for k in plain.summary if k not in ("cost_total", "cost_per_call")}
    assert {k: plain.summary[k] for k in same} == {k: priced.summary[k] for k in same}


def test_a_hotter_centre_runs_its_agents_hot_longer_and_loses_more_of_them() -> None:
    """Four agents fewer on the same callers (common random numbers): more time above 90% recent occupancy and a
    higher attrition cost, paired 95% CIs excluding 0."""
    days = range(8)
    hot = [simulate(_scenario(agents=44), seed=7, replication=r).summary for r in days]
    cool = [simulate(_scenario(agents=48), seed=7, replication=r).summary for r in days]
    for metric in ("high_occupancy_share", "cost_attrition", "agent_occupancy_p90"):
        c = paired_comparison(np.array([s[metric] for s in hot]), np.array([s[metric] for s in cool]))
        assert c.paired_low > 0, (metric, c)


def test_agent_metrics_are_consistent_with_the_records() -> None:
    result = simulate(_scenario(staff={"high_occupancy": {"above": 0.9}, "absenteeism": 0.1}, shrinkage=0), seed=8)
    s, agents = result.summary, result.agents
    assert set(AGENT_METRICS) <= set(s)
    assert s["agents_present"] + s["agents_absent"] == len(agents) == 46 and s["agents_absent"] > 0
    assert 0 < s["agent_occupancy_p10"] <= s["agent_occupancy_p90"] <= 1
    assert 0 <= s["high_occupancy_share"] <= 1
    occupancy = agents.occupancy()
    assert np.nanmax(occupancy) <= 1 + 1e-12 and np.isnan(occupancy[agents.absent]).all()


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"staff": None}, "costs.attrition: prices the per-agent records, which need a staff block"),
        ({"staff": {}}, "costs.attrition.per_hour_above (0.0005) counts hours above staff.high_occupancy"),
        ({"costs": {"attrition": {"replacement_cost": -1}}}, "replacement_cost"),
    ],
)
def test_bad_attrition_is_refused_in_one_line(change: dict, fragment: str) -> None:
    data = {**HOT, **change}
    if data.get("staff") is None:
        data.pop("staff", None)
    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data)
    assert fragment in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_replication_file_keeps_the_agent_columns() -> None:
    """to_dict / from_dict (what a result folder stores): the per-agent columns come back equal, NaN included."""
    result = simulate(_scenario(staff={}, costs={"agent_per_hour": 28}), seed=9)
    assert np.isnan(result.agents.time_above).all()
    back = ReplicationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    for name, values in result.agents.columns().items():
        np.testing.assert_array_equal(back.agents.columns()[name], values, err_msg=name)
    plain = simulate(_scenario(staff=None, costs={"agent_per_hour": 28}), seed=9)
    assert "agents" not in plain.to_dict()  # no staff block: the replication file is as it was


def test_result_folder_has_agents_csv_that_survives_a_resume(tmp_path: Path) -> None:
    config = tmp_path / "hot.yaml"
    config.write_text(yaml.safe_dump({**HOT, "seed": 3, "replications": 2, "horizon": "1h",
                                      "variants": {"more": {"agents": 50}}}))
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q"]) == 0
    first = pd.read_csv(out / "agents.csv")
    assert list(first.columns[:3]) == ["scenario", "replication", "agent"] and "occupancy" in first.columns
    assert len(first) == 2 * 46 + 2 * 50
    assert main(["run", str(config), "--out", str(out), "--resume", "-n", "3", "--executor", "serial", "-q"]) == 0
    again = pd.read_csv(out / "agents.csv")
    assert len(again) == 3 * 46 + 3 * 50
    kept = again[again.replication < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first)  # the replications read back from their files: the same rows
    assert math.isfinite(json.loads((out / "summary.json").read_text())["scenarios"][0]["metrics"]["cost_attrition"]["mean"])


def test_report_draws_the_agents_occupancy_only_when_there_are_agent_records(tmp_path: Path) -> None:
    """The report's per-agent occupancy figure: present with a staff block (read back from the result folder),
    absent without."""
    for name, staff in (("with", HOT["staff"]), ("without", None)):
        data = {**HOT, "seed": 3, "replications": 2, "horizon": "1h", "staff": staff,
                "costs": {"agent_per_hour": 28}}
        if staff is None:
            data.pop("staff")
        config = tmp_path / f"{name}.yaml"
        config.write_text(yaml.safe_dump(data))
        out = tmp_path / name
        assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q", "--report"]) == 0
        assert (out / "figures" / "agent-occupancy.png").exists() == (staff is not None)
        assert ("agent-occupancy.png" in (out / "report.md").read_text()) == (staff is not None)


def test_the_agent_side_study_runs_and_ranks_the_staffings(tmp_path: Path) -> None:
    """experiments/agent_side.py at 2 days: its table (six scenarios, the ranking per price of an hour run hot)
    and its two figures."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "experiments" / "agent_side.py"), "--replications", "2",
                           "--workers", "1", "--out", str(tmp_path), "--figures", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (tmp_path / "agent_side.md").read_text()
    for target in ("85%", "90%", "95%"):
        assert f"| {target}-plain |" in text and f"| {target}-agents |" in text
    assert text.count("| plain |") == text.count("| agents |") == 5  # one ranking per price of an hour run hot
    assert (tmp_path / "agent-side-occupancy.png").stat().st_size > 10_000
    assert (tmp_path / "agent-side-handle-time.png").stat().st_size > 10_000


#: Half-hour calls and 5-minute breaks: calls often run through a whole break.
LONG_CALLS = {
    "name": "long-calls", "arrivals": {"rate": "1/min"}, "horizon": "8h",
    "handle_time": {"distribution": "deterministic", "value": "30min"},
    "patience": {"distribution": "exponential", "mean": "600min"},
    "shifts": [{"start": "00:00", "length": "8h", "count": 6,
                "breaks": [{"start": f"{h}h", "length": "5min"} for h in (2, 4, 6)]}],
}


@pytest.mark.parametrize("fast_paths", [True, False])
def test_a_call_through_a_whole_break_is_overtime_and_occupancy_stays_at_most_one(fast_paths: bool) -> None:
    """An agent on a call for the whole of a break is back on duty before the call ends: the break was worked, as
    overtime (off duty to back on). Without it the busy time exceeds duty plus overtime and occupancy passes 1."""
    scenario = Scenario(**LONG_CALLS)
    result = simulate(scenario, seed=1, fast_paths=fast_paths)
    assert result.summary["overtime"] > 0 and result.summary["occupancy"] <= 1.0
    agents = simulate(Scenario(**{**LONG_CALLS, "staff": {}}), seed=1).agents
    occupancy = agents.occupancy()
    assert agents.overtime.sum() > 0 and np.nanmax(occupancy) <= 1.0 + 1e-12
    np.testing.assert_allclose(occupancy, agents.busy / (agents.on_duty + agents.overtime))


def test_an_agent_on_duty_to_the_end_counts_until_the_horizon_or_their_last_work() -> None:
    """Constant staffing (duty without end): each agent's time on duty stops at the horizon, or at the end of their
    own last work after it, not when the last agent finishes; so the per-agent occupancy is not diluted by the
    drain after the last arrival."""
    result = simulate(_scenario(staff={}, costs={"agent_per_hour": 28}), seed=10, keep_calls=True)
    agents, calls = result.agents, result.calls
    horizon = 4 * 3600.0
    last_end = np.full(len(agents), horizon)
    ends = calls.answer + calls.handle_time
    np.maximum.at(last_end, calls.agent[calls.agent >= 0], ends[calls.agent >= 0])
    np.testing.assert_allclose(agents.on_duty, last_end, rtol=1e-12)
    assert last_end.max() > horizon + 60 and (last_end < last_end.max()).any()  # the drain is long and uneven


def test_attrition_counts_only_the_agents_present() -> None:
    """With absenteeism, an absent agent is not at risk of quitting because of the day: per_day is paid only for the
    agents who came."""
    priced = simulate(_scenario(staff={"high_occupancy": {"above": 0.9}, "absenteeism": 0.2}, shrinkage=0,
                                costs={"attrition": {"replacement_cost": 1000, "per_day": 0.01}}), seed=11)
    assert priced.summary["agents_absent"] > 0
    assert priced.summary["expected_attrition"] == pytest.approx(0.01 * priced.summary["agents_present"], rel=1e-12)


def test_attrition_null_keeps_a_result_folders_fingerprint() -> None:
    """costs.attrition: null is the default: a config written before the key has the same fingerprint."""
    from queuesim.experiment.store import fingerprint

    configs = Path(__file__).resolve().parents[1] / "configs"
    data = yaml.safe_load((configs / "twenty-minute-hold.yaml").read_text())
    plain = experiment_from_dict(data, base_dir=configs)
    data["costs"]["attrition"] = None
    assert fingerprint(experiment_from_dict(data, base_dir=configs)) == fingerprint(plain)
    data["costs"]["attrition"] = {"replacement_cost": 8000}
    data["staff"] = {}
    assert fingerprint(experiment_from_dict(data, base_dir=configs)) != fingerprint(plain)
