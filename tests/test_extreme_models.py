"""Extreme but valid models (issue 10, item 2): each runs and gives sensible numbers, or is refused clearly.

Zero arrivals, one agent, 5,000 agents, an offered load 50 times the capacity
with and without abandonment, handle times of a millisecond and of ten hours,
horizons of a minute and of a year.

Where there is theory the numbers are checked against it as in
``tests/test_theory.py``: R independent replications give a Student-t
confidence interval at level 99.9% for each metric (a correct engine misses a
given check with probability about 1/1000; the fixed seed makes the outcome
deterministic), and a check passes when the exact value lies inside it. No
tolerance is picked by hand. Where a check could pass vacuously, the test also
shows that a wrong answer (one agent more or fewer) falls outside the interval.
Without theory (ten-hour calls past the end of a shift) the checks are identities
on the call log.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from queuesim import ConfigError, Scenario, load_config, simulate
from queuesim import run as run_experiment
from queuesim.analytic import erlang_a_metrics, erlang_c_metrics
from queuesim.measure.calllog import ANSWERED, UNSERVED
from queuesim.cli import main
from queuesim.measure.stats import mean_ci

LEVEL = 0.999
SEED = 20261207
HOUR = 3600.0
YEAR = 365 * 86400.0


def _exp(mean: float) -> dict[str, Any]:
    return {"distribution": "exponential", "mean": mean}


def _scenario(**spec: Any) -> Scenario:
    return Scenario.model_validate({"name": "extreme", **spec})


def _replications(scenario: Scenario, replications: int, keep_calls: bool = False) -> list:
    return [simulate(scenario, seed=SEED, replication=r, keep_calls=keep_calls) for r in range(replications)]


def _column(results: list, metric: str) -> np.ndarray:
    return np.array([r.summary[metric] for r in results], dtype=np.float64)


def _inside(values: np.ndarray, exact: float) -> tuple[bool, str]:
    """True if ``exact`` lies in the 99.9% replication CI of ``values`` (or equals them, if constant)."""
    values = np.asarray(values, dtype=np.float64)
    if np.all(values == values[0]):
        return bool(math.isclose(values[0], exact, rel_tol=1e-12, abs_tol=1e-12)), f"constant {values[0]} vs exact {exact}"
    est = mean_ci(values, level=LEVEL)
    return est.contains(exact), f"exact {exact:.6g} vs simulated {est.mean:.6g} +- {est.half_width:.3g} (99.9% CI)"


def _assert_inside(values: np.ndarray, exact: float, what: str) -> None:
    ok, detail = _inside(values, exact)
    assert ok, f"{what}: {detail}"


def _assert_outside(values: np.ndarray, wrong: float, what: str) -> None:
    ok, detail = _inside(values, wrong)
    assert not ok, f"{what}: the check has no power, a wrong value passes too: {detail}"


def _write(tmp_path: Path, text: str, name: str = "extreme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- zero arrivals -------------------------------------------------------------------------------

ZERO_RATE = """\
name: no-calls
horizon: 1h
arrivals: {rate: RATE}
handle_time: {distribution: exponential, mean: 3min}
agents: 4
"""


@pytest.mark.parametrize("rate", ["0", "0/min", "0.0/h"])
def test_zero_rate_is_refused_naming_field_value_and_what_to_do(tmp_path: Path, rate: str) -> None:
    """A constant rate of 0 is refused: the message names arrivals.rate, the value, the rule and the alternative."""
    path = _write(tmp_path, ZERO_RATE.replace("RATE", rate))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "arrivals.rate" in message and rate in message and "greater than 0" in message, message
    assert "profile of zeros" in message, message


def test_zero_rate_cli_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    """`queuesim run` and `queuesim validate` refuse a zero rate with exit code 2 and one line, no traceback."""
    path = _write(tmp_path, ZERO_RATE.replace("RATE", "0"))
    proc = subprocess.run([sys.executable, "-m", "queuesim.cli", "run", str(path)], capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "arrivals.rate = 0" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "arrivals.rate = 0: Input should be greater than 0" in lines[0], lines


ZERO_PROFILE = """\
name: no-calls
seed: 5
replications: 3
arrivals: {interval: 30min, start: '08:00', calls: [0, 0, 0, 0]}
handle_time: {distribution: exponential, mean: 3min}
patience: {distribution: exponential, mean: 2min}
agents: 4
"""


def test_profile_of_zeros_runs_offered_zero_and_rates_nan(tmp_path: Path) -> None:
    """A profile of zeros runs: nothing offered, counts 0, agents idle, rates and waits NaN (no division by 0)."""
    experiment = load_config(_write(tmp_path, ZERO_PROFILE))
    scenario = experiment.scenarios[0]
    assert scenario.offered_load() == 0.0 and scenario.expected_arrivals() == 0.0
    assert any("no calls are expected" in w for w in scenario.warnings())
    result = simulate(experiment)
    s = result.summary
    assert len(result.calls) == 0
    for metric in ("offered", "answered", "abandoned", "unserved", "overtime", "wasted_hold_time"):
        assert s[metric] == 0.0, metric
    assert s["occupancy"] == 0.0 and s["mean_queue_length"] == 0.0  # agents on duty, idle
    for metric in ("abandonment_rate", "asa", "mean_wait", "service_level", "p_wait", "wait_p50", "wait_p90", "wait_p99"):
        assert math.isnan(s[metric]), metric
    assert result.wait_quantiles is None
    assert result.intervals is not None and sum(result.intervals["offered"]) == 0
    # over replications: means of counts are 0, undefined rates stay undefined (no crash in the CI)
    table = run_experiment(experiment).summary().set_index("metric")
    assert (table.loc["offered", "mean"], table.loc["offered", "half_width"]) == (0, 0)
    assert table.loc["occupancy", "mean"] == 0 and table.loc["offered", "replications"] == 3
    assert "asa" not in table.index or math.isnan(table.loc["asa", "mean"])


def test_profile_of_zeros_through_the_cli(tmp_path: Path, capsys) -> None:
    """`queuesim run` on a day without calls exits 0, prints the counts and warns that no calls are expected."""
    path = _write(tmp_path, ZERO_PROFILE)
    assert main(["run", str(path), "--executor", "serial"]) == 0
    captured = capsys.readouterr()
    assert "offered" in captured.out and "occupancy" in captured.out
    assert "warning: no-calls: no calls are expected" in captured.err
    assert "Traceback" not in captured.err


# -- one agent: M/M/1 ----------------------------------------------------------------------------

MM1_RATE, MM1_HANDLE = 0.7 / 60, 60.0  # rho = 0.7


def test_one_agent_matches_mm1() -> None:
    """One agent, Poisson arrivals, exponential handle times: the exact M/M/1 answers lie in the 99.9% CIs."""
    rho = MM1_RATE * MM1_HANDLE
    exact = erlang_c_metrics(MM1_RATE, MM1_HANDLE, 1, threshold=20.0)
    # Erlang C with one agent is M/M/1: P(wait) = rho, Wq = rho h / (1 - rho), Lq = rho^2 / (1 - rho),
    # P(wait > t) = rho exp(-(1 - rho) t / h)
    assert math.isclose(exact.p_wait, rho, rel_tol=1e-12)
    assert math.isclose(exact.asa, rho * MM1_HANDLE / (1 - rho), rel_tol=1e-12)
    assert math.isclose(exact.mean_queue_length, rho**2 / (1 - rho), rel_tol=1e-12)
    assert math.isclose(exact.service_level, 1 - rho * math.exp(-(1 - rho) * 20.0 / MM1_HANDLE), rel_tol=1e-12)

    scenario = _scenario(horizon="100h", warmup="2h", arrivals={"rate": MM1_RATE}, handle_time=_exp(MM1_HANDLE), agents=1)
    assert scenario.warnings() == []
    results = _replications(scenario, 20)
    expected = {"p_wait": exact.p_wait, "asa": exact.asa, "mean_wait": exact.asa, "service_level": exact.service_level,
                "occupancy": exact.occupancy, "mean_queue_length": exact.mean_queue_length, "abandonment_rate": 0.0}
    for metric, value in expected.items():
        _assert_inside(_column(results, metric), value, f"M/M/1 {metric}")
    # power: the answers of two agents are outside the intervals
    two = erlang_c_metrics(MM1_RATE, MM1_HANDLE, 2, threshold=20.0)
    _assert_outside(_column(results, "p_wait"), two.p_wait, "p_wait with 2 agents")
    _assert_outside(_column(results, "asa"), two.asa, "asa with 2 agents")


# -- 5,000 agents --------------------------------------------------------------------------------


def test_5000_agents_at_low_load_nobody_waits() -> None:
    """60 Erlangs on 5,000 agents: every call answered at once, nobody abandons, occupancy = load / agents."""
    agents, rate, handle = 5000, 1.0, 60.0
    exact = erlang_c_metrics(rate, handle, agents)
    assert exact.p_wait == 0.0 and exact.asa == 0.0  # P(wait) underflows: far below 1e-300
    scenario = _scenario(horizon="1h", warmup="10min", arrivals={"rate": rate}, handle_time=_exp(handle),
                         patience=_exp(30.0), agents=agents)
    assert scenario.warnings() == []
    results = _replications(scenario, 20)
    for r in results:
        s = r.summary
        assert s["offered"] > 0 and s["answered"] == s["offered"], s
        assert s["abandoned"] == 0 and s["p_wait"] == 0 and s["asa"] == 0 and s["mean_wait"] == 0
        assert s["service_level"] == 1.0 and s["mean_queue_length"] == 0 and s["wait_p99"] == 0
    occupancy = _column(results, "occupancy")
    _assert_inside(occupancy, exact.occupancy, "occupancy (= 60 / 5000)")
    _assert_outside(occupancy, rate * handle / (agents - 500), "occupancy with 500 agents fewer")
    _assert_inside(_column(results, "offered"), rate * 50 * 60, "offered (Poisson mean)")


# -- 50 times the capacity -----------------------------------------------------------------------

# 20 agents, mean handle 100 s: capacity 0.2 calls/s; 10 calls/s offer 1,000 Erlangs, 50x the capacity
OVER_AGENTS, OVER_HANDLE, OVER_RATE = 20, 100.0, 10.0


def test_50x_overload_with_abandonment_loses_what_the_fluid_model_says() -> None:
    """1,000 Erlangs on 20 agents, exponential patience (mean 60 s): abandonment = 1 - capacity / load.

    Erlang A is exact for this model; at 50x the agents are never idle, so its
    abandonment equals the fluid value 1 - 20 / 1000 = 98%. The callers answered
    are the patient ones: they wait about patience x ln(load / capacity).
    """
    patience = 60.0
    load = OVER_RATE * OVER_HANDLE
    fluid = 1 - OVER_AGENTS / load
    exact = erlang_a_metrics(OVER_RATE, OVER_HANDLE, patience, OVER_AGENTS)
    assert math.isclose(exact.p_abandon, fluid, abs_tol=(1 - exact.occupancy) * OVER_AGENTS / load + 1e-12)
    scenario = _scenario(horizon=11000, warmup=1000, arrivals={"rate": OVER_RATE}, handle_time=_exp(OVER_HANDLE),
                         patience=_exp(patience), agents=OVER_AGENTS)
    warnings = scenario.warnings()
    assert len(warnings) == 1 and "overloaded" in warnings[0], warnings
    assert "1,000 Erlangs" in warnings[0] and "50x" in warnings[0] and "20 agents" in warnings[0], warnings
    assert "98.0% of the calls will be lost" in warnings[0], warnings
    results = _replications(scenario, 6)  # about 100,000 arrivals each, call logs not kept
    assert all(r.calls is None for r in results)
    abandonment = _column(results, "abandonment_rate")
    _assert_inside(abandonment, fluid, "abandonment vs the fluid model")
    _assert_inside(abandonment, exact.p_abandon, "abandonment vs Erlang A")
    _assert_outside(abandonment, 1 - (OVER_AGENTS + 1) / load, "abandonment with one agent more")
    _assert_inside(_column(results, "asa"), exact.asa, "ASA vs Erlang A")
    _assert_inside(_column(results, "mean_queue_length"), exact.mean_queue_length, "queue length vs Erlang A")
    _assert_inside(_column(results, "mean_wait"), exact.mean_wait, "mean wait vs Erlang A")
    for r in results:
        assert r.summary["offered"] == r.summary["answered"] + r.summary["abandoned"]


def _expected_mean_wait_saturated(rate: float, handle: float, agents: int, horizon: float) -> float:
    """Expected mean wait of the calls of [0, horizon) when the agents never idle once busy (M/M/n, rho >> 1).

    Given N arrivals they are uniform order statistics: E[a_i | N] = i T / (N + 1).
    Calls 1..n are answered at once; call i > n at the (i - n)-th completion after
    the n-th arrival, completions being Poisson at rate n / h (the agents stay
    busy): E[w_i | N] = (i - n) (h / n - T / (N + 1)). Sum, divide by N and
    average over N ~ Poisson(rate T). (Completions before the n-th arrival, a
    couple of seconds in, are ignored: they move a few waits by well under a second.)
    """
    mean = rate * horizon
    width = 12 * math.sqrt(mean)
    n_values = np.arange(max(1, int(mean - width)), int(mean + width) + 1)
    pmf = stats.poisson.pmf(n_values, mean)
    m = np.maximum(n_values - agents, 0)
    per_n = (handle / agents - horizon / (n_values + 1)) * m * (m + 1) / (2 * n_values)
    return float(np.sum(pmf * per_n) / np.sum(pmf))


def test_50x_overload_without_abandonment_warns_finishes_and_answers_at_capacity() -> None:
    """1,000 Erlangs on 20 agents, callers who never hang up: a warning, and the run still finishes.

    Every call is answered in the end; until the horizon the agents answer at
    their capacity: n at once, then one per completion, completions being Poisson
    at rate n / h from the k-th arrival on (k = 1..n): expected answers by T =
    n + (n T - n (n + 1) / (2 rate)) / h.
    """
    horizon = HOUR
    scenario = _scenario(horizon=horizon, arrivals={"rate": OVER_RATE}, handle_time=_exp(OVER_HANDLE), agents=OVER_AGENTS)
    warnings = scenario.warnings()
    assert len(warnings) == 1 and "unstable queue" in warnings[0], warnings
    assert "1,000 Erlangs" in warnings[0] and "50x" in warnings[0] and "20 agents" in warnings[0], warnings
    backlog = (OVER_RATE - OVER_AGENTS / OVER_HANDLE) * horizon  # 35,280 calls waiting at the horizon (fluid)
    assert f"{backlog:,.0f} calls still waiting" in warnings[0], warnings
    results = _replications(scenario, 8, keep_calls=True)
    n, h, lam = OVER_AGENTS, OVER_HANDLE, OVER_RATE
    by_horizon = []
    for r in results:
        calls, s = r.calls, r.summary
        assert s["answered"] == s["offered"] == len(calls) and s["abandoned"] == 0 and s["unserved"] == 0
        assert np.all(calls.outcome == ANSWERED)
        by_horizon.append(np.count_nonzero(calls.answer < horizon))
        # the queue drains after the horizon at the agents' pace: the last answer is about backlog x h / n later
        last = float(np.max(calls.answer))
        assert horizon < last < horizon + 2 * backlog * h / n
    _assert_inside(np.array(by_horizon), n + (n * horizon - n * (n + 1) / (2 * lam)) / h, "answers by the horizon")
    _assert_outside(np.array(by_horizon), (n - 2) * (1 + horizon / h), "answers by the horizon with two agents fewer")
    mean_wait = _column(results, "mean_wait")
    _assert_inside(mean_wait, _expected_mean_wait_saturated(lam, h, n, horizon), "mean wait (saturated M/M/n)")
    _assert_inside(_column(results, "occupancy"), 1 - (n + 1) / (2 * lam * horizon), "occupancy (idle only at the start)")


def test_50x_overload_through_the_cli(tmp_path: Path, capsys) -> None:
    """`queuesim validate` and `run` print the unstable-queue warning (load vs capacity) and the run exits 0."""
    path = _write(tmp_path, (
        "name: flood\nseed: 1\nreplications: 2\nhorizon: 10min\narrivals: {rate: 10/s}\n"
        "handle_time: {distribution: exponential, mean: 100s}\nagents: 20\n"
    ))
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: flood: unstable queue" in err and "1,000 Erlangs" in err and "50x the capacity of 20 agents" in err
    assert main(["run", str(path), "--executor", "serial"]) == 0
    captured = capsys.readouterr()
    assert "warning: flood: unstable queue" in captured.err and "answered" in captured.out
    assert main(["run", str(path), "--executor", "serial", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_no_overload_warning_below_capacity_or_with_repeated_hangup_messages() -> None:
    """The overload warnings are silent below the capacity; repeated hang-up messages make the queue stable."""
    base = {"horizon": "2h", "arrivals": {"rate": "19/min"}, "handle_time": _exp(60.0), "agents": 20}
    assert _scenario(**base).warnings() == []
    over = {**base, "arrivals": {"rate": "30/min"}}
    assert "unstable queue" in _scenario(**over).warnings()[0]
    repeated = {"kind": "generic", "first": "1min", "every": "1min", "hangup_probability": 0.1}
    assert "overloaded" in _scenario(**over, announcements=repeated).warnings()[0]
    once = {**repeated, "every": None}
    assert "unstable queue" in _scenario(**over, announcements=once).warnings()[0]


# -- a millisecond of handle time ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["exponential", "deterministic"])
def test_millisecond_handle_time_occupancy_is_the_load(kind: str) -> None:
    """20 calls/s of 1 ms on one agent (M/G/1, rho = 0.02): occupancy = P(wait) = rho; Pollaczek-Khinchine ASA."""
    rate, handle = 20.0, 0.001
    rho = rate * handle
    dist = _exp(handle) if kind == "exponential" else {"distribution": "deterministic", "value": "1ms"}
    second_moment = 2 * handle**2 if kind == "exponential" else handle**2
    pk_wait = rate * second_moment / (2 * (1 - rho))  # Pollaczek-Khinchine, exact for M/G/1
    if kind == "exponential":
        assert math.isclose(pk_wait, erlang_c_metrics(rate, handle, 1).asa, rel_tol=1e-12)
    scenario = _scenario(horizon="10min", arrivals={"rate": rate}, handle_time=dist, agents=1)
    results = _replications(scenario, 10)
    occupancy = _column(results, "occupancy")
    _assert_inside(occupancy, rho, "occupancy")
    _assert_outside(occupancy, 2 * rho, "occupancy of twice the load")
    _assert_inside(_column(results, "p_wait"), rho, "P(wait) of M/G/1")
    _assert_inside(_column(results, "asa"), pk_wait, "ASA (Pollaczek-Khinchine)")
    for r in results:
        assert r.summary["answered"] == r.summary["offered"] > 0 and r.summary["service_level"] == 1.0


# -- ten hours of handle time ---------------------------------------------------------------------

TEN_HOURS = {"distribution": "deterministic", "value": "10h"}


def test_ten_hour_calls_with_constant_agents_run_past_the_horizon() -> None:
    """Constant agents stay until every ten-hour call ends: all answered, no overtime, ends = answer + 10 h."""
    scenario = _scenario(horizon="8h", arrivals={"rate": "1/h"}, handle_time=TEN_HOURS, agents=3)
    assert any("unstable queue" in w for w in scenario.warnings())  # 10 Erlangs on 3 agents
    for r in _replications(scenario, 5, keep_calls=True):
        calls, s = r.calls, r.summary
        assert s["answered"] == s["offered"] == len(calls) > 0 and s["overtime"] == 0 and s["unserved"] == 0
        assert np.allclose(calls.end - calls.answer, 10 * HOUR)
        assert np.max(calls.end) > 8 * HOUR
        assert 0 < s["occupancy"] <= 1


def test_ten_hour_calls_past_a_shift_end_are_overtime() -> None:
    """A shift ending at 4 h finishes its ten-hour calls: the overtime is exactly their time past 4 h."""
    scenario = _scenario(
        horizon="8h", arrivals={"rate": "2/h"}, handle_time=TEN_HOURS,
        shifts=[{"start": "00:00", "length": "4h", "count": 3}, {"start": "04:00", "length": "4h", "count": 2}],
    )
    early = 3  # agents 0..2 work the first shift
    totals = []
    for r in _replications(scenario, 5, keep_calls=True):
        calls, s = r.calls, r.summary
        mine = calls.answered & (calls.agent >= 0) & (calls.agent < early)
        assert np.all(calls.answer[mine] < 4 * HOUR), "a first-shift agent answered after the shift"
        expected = sum(max(0.0, float(np.max(calls.end[calls.agent == a])) - 4 * HOUR)
                       for a in range(early) if np.any(calls.agent == a))
        assert math.isclose(s["overtime"], expected, rel_tol=1e-9, abs_tol=1e-6), (s["overtime"], expected)
        assert s["answered"] + s["unserved"] == s["offered"] and s["unserved"] == 0  # the second shift stays
        assert 0 < s["occupancy"] <= 1
        totals.append(s["overtime"])
    assert max(totals) > 0


def test_ten_hour_calls_with_nobody_left_are_unserved() -> None:
    """Staffing that drops to 0 agents: calls waiting when the last agent leaves are unserved, waiting until
    the centre closed (here the end of the last ten-hour call)."""
    scenario = _scenario(horizon="8h", arrivals={"rate": "1/h"}, handle_time=TEN_HOURS,
                         staffing={"interval": "4h", "agents": [3, 0]})
    assert any("no agent is on duty" in w for w in scenario.warnings())
    unserved_total = 0
    for r in _replications(scenario, 5, keep_calls=True):
        calls, s = r.calls, r.summary
        unserved = calls.outcome == UNSERVED
        assert s["unserved"] == np.count_nonzero(unserved) and s["answered"] + s["unserved"] == s["offered"]
        assert np.all(calls.answer[calls.answered] < 4 * HOUR)
        # nobody who arrived after 4 h can be answered
        assert np.all(unserved[calls.arrival >= 4 * HOUR])
        # their wait runs until the centre closed: the end of the last ten-hour call of the first shift
        end = max(float(np.max(calls.end[calls.answered], initial=0.0)), float(np.max(calls.arrival)))
        assert np.allclose(calls.arrival[unserved] + calls.wait[unserved], end)
        assert s["overtime"] > 0 or not np.any(calls.answered)
        unserved_total += int(s["unserved"])
    assert unserved_total > 0


def test_unserved_callers_wait_until_the_centre_closed() -> None:
    """Callers nobody can answer wait until the last agent stopped working (the end of the duty
    period, or of the overtime finishing a call after it), and 0 when they called after that:
    never until some unrelated later event, such as another caller's arrival."""
    scenario = _scenario(horizon="8h", arrivals={"rate": "1/min"}, handle_time={"distribution": "exponential", "mean": "1min"},
                         staffing={"interval": "4h", "agents": [3, 0]})
    for r in _replications(scenario, 3, keep_calls=True):
        calls = r.calls
        unserved = calls.outcome == UNSERVED
        closed = max(4 * HOUR, float(np.max(calls.end[calls.answered])))
        assert unserved.sum() > 100 and (calls.arrival[unserved] > closed).sum() > 100
        np.testing.assert_allclose(calls.arrival[unserved] + calls.wait[unserved],
                                   np.maximum(calls.arrival[unserved], closed))
        assert np.all(calls.wait[unserved & (calls.arrival > closed)] == 0.0)


# -- a horizon of a minute ------------------------------------------------------------------------


def test_one_minute_horizon_matches_the_infinite_server_transient() -> None:
    """A minute of 2 calls/s (5 s calls) on 50 agents starting empty: M/M/inf from empty.

    Busy agents at t: rate h (1 - exp(-t/h)); occupancy over [0, T] =
    rate h (T - h (1 - exp(-T/h))) / (n T). (All 50 busy: P < 1e-18.)
    """
    rate, handle, agents, horizon = 2.0, 5.0, 50, 60.0
    scenario = _scenario(horizon="1min", arrivals={"rate": rate}, handle_time=_exp(handle),
                         patience=_exp(30.0), agents=agents)
    results = _replications(scenario, 100)
    busy = rate * handle * (horizon - handle * (1 - math.exp(-horizon / handle)))
    occupancy = _column(results, "occupancy")
    _assert_inside(occupancy, busy / (agents * horizon), "occupancy (transient from empty)")
    _assert_outside(occupancy, rate * handle / agents, "the stationary occupancy")
    _assert_inside(_column(results, "offered"), rate * horizon, "offered (Poisson mean)")
    for r in results:
        s = r.summary
        assert s["answered"] == s["offered"] and s["asa"] == 0 and s["abandoned"] == 0
        assert len(r.intervals["offered"]) == 1 and r.intervals["offered"][0] == s["offered"]


def test_one_minute_horizon_through_the_cli(tmp_path: Path, capsys) -> None:
    """`queuesim run` on a one-minute horizon exits 0 and prints its table."""
    path = _write(tmp_path, (
        "name: minute\nseed: 2\nreplications: 4\nhorizon: 1min\narrivals: {rate: 2/s}\n"
        "handle_time: {distribution: exponential, mean: 5s}\nagents: 50\n"
    ))
    assert main(["run", str(path), "--executor", "serial", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "minute" in captured.out and "offered" in captured.out and captured.err == ""


# -- a horizon of a year --------------------------------------------------------------------------


def test_one_year_horizon_matches_mm1() -> None:
    """A year at 0.001 calls/s (one agent, 1-minute calls, rho = 0.06): Poisson counts and M/M/1 answers."""
    rate, handle = 0.001, 60.0
    exact = erlang_c_metrics(rate, handle, 1)
    scenario = _scenario(horizon="365d", arrivals={"rate": rate}, handle_time=_exp(handle), agents=1)
    assert scenario.horizon == YEAR and scenario.warnings() == []
    results = _replications(scenario, 5)
    _assert_inside(_column(results, "offered"), rate * YEAR, "offered (Poisson mean over a year)")
    for metric, value in (("p_wait", exact.p_wait), ("asa", exact.asa), ("occupancy", exact.occupancy),
                          ("service_level", exact.service_level), ("mean_queue_length", exact.mean_queue_length)):
        _assert_inside(_column(results, metric), value, f"one year, {metric}")
    _assert_outside(_column(results, "p_wait"), erlang_c_metrics(rate, handle, 2).p_wait, "p_wait with 2 agents")
    for r in results:
        offered = r.intervals["offered"]
        assert len(offered) == 365 * 48 and sum(offered) == r.summary["offered"]  # 30-minute report intervals
