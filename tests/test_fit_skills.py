"""queuesim fit --groups / --priorities: agent groups, routing and priority classes from records.

Records are simulated by queuesim from a known config (one replication = one day) and
written in the generic CSV format, with the agent who answered and, for priorities, the
class; the fit must find the true groups, their staffing and routing, and the classes.
Shares are checked within Z = 3.29 binomial standard errors (two-sided 99.9%).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from queuesim import Scenario, load_config, simulate
from queuesim.cli import main as cli_main
from queuesim.fit import FitError, fit_records
from queuesim.fit.fitcheck import check_tables

from .conftest import run_cli

Z = 3.29
DAYS = 10
CALLS = [50, 60, 70, 70, 60, 50, 50, 40]
ROOT = Path(__file__).resolve().parents[1]
LN = {"distribution": "lognormal", "mean": "200s", "sd": "150s"}
PATIENCE = {"distribution": "exponential", "mean": "300s"}


def _write(sc: Scenario, path: Path, priority_of: dict[str, int] | None = None, type_of: dict[str, str] | None = None,
           unrecorded_at_once: bool = False, strays: bool = False) -> Path:
    frames = []
    for r in range(DAYS):
        log = simulate(sc, seed=5, replication=r).calls.to_dataframe()
        log = log[log["outcome"].isin(["answered", "abandoned"])]
        ctype = log["call_type"].astype(str)
        frame = pd.DataFrame({
            "date": (dt.date(2024, 3, 3) + dt.timedelta(days=r)).isoformat(),
            "arrival": log["arrival"].round(3), "answer": log["answer"].round(3), "end": log["end"].round(3),
            "outcome": log["outcome"].astype(str), "type": ctype.map(type_of) if type_of else ctype,
            "server": np.where(log["agent"] >= 0, "a" + log["agent"].astype(str), ""),
        })
        if priority_of:
            prio = ctype.map(priority_of).to_numpy()
            if unrecorded_at_once:  # the class is not recorded for callers answered at once
                prio = np.where(log["wait"].to_numpy() <= 0, 0, prio)
            frame["priority"] = prio
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if strays:  # what real records hold: a few calls answered outside an agent's skills, a supervisor helping out
        rng = np.random.default_rng(7)
        answered_a = np.flatnonzero((out["server"] != "").to_numpy() & (out["type"] == "A").to_numpy())
        answered_b = np.flatnonzero((out["server"] != "").to_numpy() & (out["type"] == "B").to_numpy())
        out.loc[rng.choice(answered_a, len(answered_a) // 100, replace=False), "server"] = "a5"
        out.loc[rng.choice(answered_a, 40, replace=False), "server"] = "sup"
        out.loc[rng.choice(answered_b, 20, replace=False), "server"] = "sup"
    out.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def skills_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two groups: 5 agents (a0-a4) serve A and C, 2 agents (a5, a6) serve B and C; in the records a5 also
    answered 1% of the A calls, and a supervisor ``sup`` answered 40 A and 20 B calls."""
    sc = Scenario.model_validate({
        "arrivals": {"interval": "30min", "start": "08:00", "calls": CALLS},
        "handle_time": LN, "patience": PATIENCE,
        "call_types": [{"name": "A", "share": 0.55, "groups": ["gA"]},
                       {"name": "B", "share": 0.25, "groups": ["gB"]},
                       {"name": "C", "share": 0.2, "groups": ["gA", "gB"]}],
        "groups": [{"name": "gA", "agents": 5}, {"name": "gB", "agents": 2}],
    })
    return _write(sc, tmp_path_factory.mktemp("skills") / "calls.csv", strays=True)


@pytest.fixture(scope="module")
def priority_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One pool of 6; callers of class 2 (40%) served strictly before class 1 (60%); both recorded as type x.
    Second file: the class is not recorded (0) for callers answered at once."""
    sc = Scenario.model_validate({
        "arrivals": {"interval": "30min", "start": "08:00", "calls": CALLS},
        "handle_time": LN, "patience": PATIENCE,
        "call_types": [{"name": "hi", "share": 0.4, "priority": 2}, {"name": "lo", "share": 0.6, "priority": 1}],
        "agents": 6,
    })
    folder = tmp_path_factory.mktemp("prio")
    kw = dict(priority_of={"hi": 2, "lo": 1}, type_of={"hi": "x", "lo": "x"})
    return _write(sc, folder / "calls.csv", **kw), _write(sc, folder / "at_once.csv", unrecorded_at_once=True, **kw)


def _fit(path: Path, **kw):
    return fit_records(path, "csv", hours="08:00-12:00", **kw)


def test_groups_recovered_from_who_answered_what(skills_csv: Path):
    cfg, rep = _fit(skills_csv, groups="auto")
    ag = rep.agent_groups
    assert ag is not None
    found = {frozenset(a): s for a, s in zip(ag.agents, ag.skills)}
    # a5's stray A calls are not a skill; the supervisor's tiny group joins the closest group and takes its skills
    assert found == {frozenset([f"a{k}" for k in range(5)] + ["sup"]): ["A", "C"], frozenset({"a5", "a6"}): ["B", "C"]}
    routing = {t["name"]: t["groups"] for t in cfg["call_types"]}
    assert routing == {"A": ["A+C"], "B": ["B+C"], "C": ["A+C", "B+C"]} or \
        routing == {"A": ["A+C"], "B": ["B+C"], "C": ["B+C", "A+C"]}
    assert "staffing" not in cfg and [g["name"] for g in cfg["groups"]] == ["A+C", "B+C"]


def test_group_staffing_splits_the_pool_by_each_groups_own_estimate(skills_csv: Path):
    cfg, rep = _fit(skills_csv, groups="auto")
    pooled, _ = _fit(skills_csv, groups="none")
    a = np.array(cfg["groups"][0]["staffing"]["agents"])
    b = np.array(cfg["groups"][1]["staffing"]["agents"])
    assert list(a + b) == pooled["staffing"]["agents"]  # the groups add up to the pool's reconstruction
    busy = rep.staffing["waiting_min"].to_numpy() > 5  # intervals where queues are frequent
    assert busy.sum() >= 4
    # each group's own estimate: its agents in service while callers it may serve wait (all of them busy)
    own_a, own_b = rep.staffing["own[A+C]"].to_numpy(), rep.staffing["own[B+C]"].to_numpy()
    assert np.all(np.abs(own_a[busy] - 5) <= 0.5) and np.all(np.abs(own_b[busy] - 2) <= 0.5), (own_a, own_b)
    full = busy & (a + b == 7)
    assert full.sum() >= 3 and np.all(a[full] == 5) and np.all(b[full] == 2), (a, b)


def test_priorities_detected_and_split_by_class(priority_csv):
    path, _ = priority_csv
    cfg, rep = _fit(path, groups="none", priorities="auto")
    types = {t["name"]: t for t in cfg["call_types"]}
    assert set(types) == {"x-p2", "x-p1"}
    assert types["x-p2"]["priority"] == 2 and types["x-p1"]["priority"] == 1
    n = rep.calls_used
    assert abs(types["x-p2"]["share"] - 0.4) <= Z * math.sqrt(0.24 / n)
    # the records show the priority: class 2 waits less; the fitted model reproduces the order
    check = check_tables(cfg, rep, replications=3)["call type"].set_index("call type")
    assert check.loc["x-p2", "ASA s obs"] < check.loc["x-p1", "ASA s obs"]
    assert check.loc["x-p2", "ASA s fit"] < check.loc["x-p1", "ASA s fit"]
    none, _ = _fit(path, groups="none", priorities="none")
    assert [t["name"] for t in none["call_types"]] == ["x"] and "priority" not in none["call_types"][0]


def test_class_unrecorded_for_calls_answered_at_once_is_spread_over_the_others(priority_csv):
    _, at_once = priority_csv
    cfg, rep = _fit(at_once, groups="none", priorities="auto")
    types = {t["name"]: t for t in cfg["call_types"]}
    assert set(types) == {"x-p2", "x-p1"}, types
    assert any("unrecorded" in n for n in rep.notes)
    queued = int((rep._samples["frame"]["wait"] > 0).sum())
    assert abs(types["x-p2"]["share"] - 0.4) <= Z * math.sqrt(0.24 / queued)


def test_fitted_config_validates_and_runs_from_the_cli(skills_csv: Path, tmp_path: Path):
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.md"
    assert cli_main(["fit", "--records", str(skills_csv), "--hours", "08:00-12:00", "--out", str(out),
                     "--report", str(report)]) == 0
    assert cli_main(["validate", str(out)]) == 0
    exp = load_config(out)
    assert [g.name for g in exp.scenarios[0].groups] == ["A+C", "B+C"]
    assert cli_main(["run", str(out), "--replications", "2", "--out", str(tmp_path / "run")]) == 0
    code, printed, err = run_cli("staff", str(out), "-t", "abandonment_rate<=0.1", "-n", "3", "-q")
    assert code == 0, err  # staffing a fitted centre with skills: every group's requirement
    assert "for group A+C:" in printed and "for group B+C:" in printed
    text = report.read_text()
    assert "## Agent groups" in text and "per call type" in text and "per agent group" in text


def test_groups_none_is_the_pooled_config_bit_for_bit(skills_csv: Path, tmp_path: Path):
    """Off, the options change nothing: the same config as records that name no agents and carry no classes."""
    frame = pd.read_csv(skills_csv)
    plain = tmp_path / "plain.csv"
    frame.drop(columns=["server"]).to_csv(plain, index=False)
    off, _ = _fit(skills_csv, groups="none", priorities="none")
    inert, _ = _fit(plain, groups="auto", priorities="auto")
    assert off == inert
    assert "groups" not in off and all("priority" not in t and "groups" not in t for t in off["call_types"])


def test_one_group_serving_everything_is_written_as_one_pool(priority_csv):
    path, _ = priority_csv
    cfg, rep = _fit(path, groups="auto", priorities="none")
    assert "groups" not in cfg and rep.agent_groups is None
    assert any("one pool" in n for n in rep.notes)


@pytest.mark.parametrize("option", ["--groups", "--priorities"])
def test_bad_option_values_are_one_line_errors(skills_csv: Path, tmp_path: Path, option: str):
    code, _, err = run_cli("fit", "--records", str(skills_csv), option, "maybe", "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert option in err and "'maybe'" in err and "auto" in err and "none" in err and "Traceback" not in err
    with pytest.raises(FitError, match=r"^groups: expected one of auto, none, got 'maybe'$"):
        fit_records(skills_csv, "csv", groups="maybe")


def _bank(month: str) -> Path:
    root = Path(os.environ.get("QUEUESIM_DATA") or ROOT.parent / "shared" / "data")
    return root / "anonymous_bank_1999" / f"{month}_1999.txt"


@pytest.mark.skipif(not _bank("january").is_file(),
                    reason="Anonymous Bank raw data not found (set QUEUESIM_DATA or put it in ../shared/data)")
def test_a_config_fitted_from_the_january_records_runs_and_is_staffed_from_the_cli(tmp_path: Path):
    """The planner's path on real records: fit with groups and priorities, run it, staff every group."""
    out = tmp_path / "january.yaml"
    assert cli_main(["fit", "--records", str(_bank("january")), "--format", "anonymous-bank", "--out", str(out)]) == 0
    sc = load_config(out).scenarios[0]
    assert len(sc.groups) >= 2 and len({t.priority for t in sc.call_types}) >= 2
    assert cli_main(["run", str(out), "--replications", "1", "--out", str(tmp_path / "run")]) == 0
    code, printed, err = run_cli("staff", str(out), "-t", "service_level>=0.8@20s", "-n", "2", "-q")
    assert code == 0, err
    for group in sc.groups:
        assert f"agents required per interval for group {group.name}:" in printed


@pytest.mark.skipif(not _bank("january").is_file(),
                    reason="Anonymous Bank raw data not found (set QUEUESIM_DATA or put it in ../shared/data)")
def test_january_records_give_groups_and_priority_classes():
    cfg, rep = fit_records([_bank("january")], "anonymous-bank", days="sun-thu")
    assert len(cfg["groups"]) >= 2
    prio = {t["name"]: t.get("priority") for t in cfg["call_types"]}
    assert prio["PS-p2"] == 2 and prio["PS-p1"] == 1 and prio["NW"] == 0
    # NE is not served by every group: about a third of the agents never take NE calls
    ne = next(t for t in cfg["call_types"] if t["name"] == "NE-p2")
    assert len(ne["groups"]) < len(cfg["groups"])
    assert any("unrecorded" in n for n in rep.notes)
    hours = len(cfg["groups"][0]["staffing"]["agents"])
    assert sum(sum(g["staffing"]["agents"]) for g in cfg["groups"]) > hours  # somebody at work
