"""Real days: intraday profiles, call types, shifts, shrinkage, redials, backlog, per-interval results."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from queuesim import ConfigError, Scenario, simulate
from queuesim.model.config import experiment_from_dict
from queuesim.engine.arrivals import arrival_blocks
from queuesim.model.profile import RateFunction

EXP = {"distribution": "exponential"}


def _scenario(**spec) -> Scenario:
    return Scenario.model_validate(spec)


def test_flat_profile_and_flat_staffing_equal_the_core_engine() -> None:
    """A constant profile with constant per-interval staffing gives the core engine's numbers, bit for bit."""
    core = _scenario(horizon="8h", arrivals={"rate": "95/min"}, handle_time={**EXP, "mean": "1min"},
                     patience={**EXP, "mean": "2min"}, agents=100)
    day = _scenario(arrivals={"interval": "30min", "calls": [2850] * 16}, handle_time={**EXP, "mean": "1min"},
                    patience={**EXP, "mean": "2min"}, staffing={"interval": "30min", "agents": [100] * 16})
    assert day.horizon == core.horizon
    a, b = simulate(core, seed=5), simulate(day, seed=5)
    for column in a.calls.columns:
        assert np.array_equal(getattr(a.calls, column), getattr(b.calls, column), equal_nan=True), column
    assert a.summary == b.summary


def test_profile_arrivals_match_expected_counts_per_interval() -> None:
    """Arrival counts per interval, pooled over replications, pass a chi-square test against the profile
    (rates jump between intervals, including to and from zero)."""
    calls = [30, 0, 120, 5, 60, 60, 200, 0]
    rf = RateFunction.build([k * 900.0 for k in range(9)], [c / 900.0 for c in calls])
    counts = np.zeros(len(calls))
    reps = 40
    for r in range(reps):
        rng = np.random.default_rng([11, r])
        times = np.concatenate(list(arrival_blocks(rf, 8 * 900.0, rng)) or [np.empty(0)])
        counts += np.histogram(times, bins=np.arange(9) * 900.0)[0]
    expected = np.array(calls, dtype=float) * reps
    assert np.all(counts[expected == 0] == 0), "no arrival where the rate is zero"
    nz = expected > 0
    chi2 = float(np.sum((counts[nz] - expected[nz]) ** 2 / expected[nz]))
    p = stats.chi2.sf(chi2, df=int(nz.sum()))
    assert p > 0.001, f"chi-square {chi2:.1f}, p={p:.2g}"


def test_arrivals_within_an_interval_are_uniform() -> None:
    """Inside one interval, NHPP arrival times are uniform (KS test): nothing is rounded to interval edges."""
    rf = RateFunction.build([0.0, 600.0, 1200.0], [0.5, 0.05])
    rng = np.random.default_rng(3)
    times = np.concatenate(list(arrival_blocks(rf, 1200.0, rng)))
    second = times[times >= 600.0]
    assert stats.kstest((second - 600.0) / 600.0, "uniform").pvalue > 0.001
    assert stats.kstest(times[times < 600.0] / 600.0, "uniform").pvalue > 0.001


def test_daily_level_over_dispersion() -> None:
    """With dispersion c, daily totals vary with variance mean + c^2 mean^2 (gamma-Poisson), not Poisson's."""
    sc = _scenario(arrivals={"interval": "1h", "calls": [200] * 4, "dispersion": 0.3},
                   handle_time={**EXP, "mean": "10s"}, agents=50)
    totals = np.array([simulate(sc, seed=1, replication=r, keep_calls=False).summary["offered"] for r in range(200)])
    mean = 800.0
    expected_var = mean + 0.3**2 * mean**2
    # chi-square CI for the variance of 200 draws (treating totals as roughly normal), 99.9%
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], df=199)
    var = totals.var(ddof=1)
    assert 199 * var / hi < expected_var < 199 * var / lo
    assert var > 5 * mean, "far more variable than Poisson"


def test_call_types_shares_and_conservation() -> None:
    """Types get their shares of arrivals; per type, offered = answered + abandoned; metrics per type exist."""
    sc = _scenario(
        horizon="4h", arrivals={"rate": "3/min"}, agents=10,
        call_types=[
            {"name": "billing", "share": 0.7, "handle_time": {**EXP, "mean": "3min"}, "patience": {**EXP, "mean": "2min"}},
            {"name": "tech", "share": 0.3, "handle_time": {"distribution": "lognormal", "mean": "6min", "sd": "4min"}, "patience": "inf"},
        ],
    )
    res = simulate(sc, seed=2)
    calls = res.calls
    n = len(calls)
    n_billing = int(np.sum(calls.call_type == 0))
    assert abs(n_billing / n - 0.7) < 4 * math.sqrt(0.21 / n)
    s = res.summary
    for t in ("billing", "tech"):
        assert s[f"offered[{t}]"] == s[f"answered[{t}]"] + s[f"abandoned[{t}]"]
    assert s["abandoned[tech]"] == 0, "infinitely patient type never abandons"
    assert s["offered[billing]"] + s["offered[tech]"] == s["offered"]
    frame = calls.to_dataframe()
    assert set(frame["call_type"].unique()) == {"billing", "tech"}


def test_type_profiles_superpose() -> None:
    """Types with their own profiles: each type's arrivals follow its own profile."""
    sc = _scenario(
        call_types=[
            {"name": "morning", "arrivals": {"interval": "1h", "calls": [100, 0]}, "handle_time": {**EXP, "mean": "1min"}},
            {"name": "afternoon", "arrivals": {"interval": "1h", "calls": [0, 100]}, "handle_time": {**EXP, "mean": "1min"}},
        ],
        agents=5,
    )
    calls = simulate(sc, seed=4).calls
    assert np.all(calls.arrival[calls.call_type == 0] < 3600)
    assert np.all(calls.arrival[calls.call_type == 1] >= 3600)


SHIFTY = dict(
    arrivals={"interval": "30min", "start": "07:00", "calls": [20, 40, 60, 60, 40, 30, 20, 10]},
    handle_time={**EXP, "mean": "4min"},
    patience={**EXP, "mean": "3min"},
    shifts=[
        {"start": "07:00", "length": "2h", "count": 3, "breaks": [{"start": "1h", "length": "15min"}]},
        {"start": "07:30", "length": "3h30min", "count": 4},
        {"start": "09:00", "length": "2h", "count": 2},
    ],
)


def test_shifts_agents_and_overtime() -> None:
    """Agents come on at shift start, leave at shift end after finishing their call (overtime recorded)."""
    sc = _scenario(**SHIFTY)
    res = simulate(sc, seed=8)
    calls = res.calls
    table = res.intervals
    starts = np.array(table["interval_start"])
    agents = np.array(table["agents"])
    assert starts[0] == 7 * 3600
    # 07:00-07:30: 3 agents; 08:00-08:15 break for the 3 early agents -> 4 + 3*0.5 on average
    assert agents[0] == pytest.approx(3.0)
    assert agents[2] == pytest.approx(4 + 1.5)
    assert res.summary["overtime"] >= 0
    assert np.all(calls.agent[calls.answered] < 9)


@st.composite
def shift_scenarios(draw) -> Scenario:
    n_shifts = draw(st.integers(1, 3))
    shifts = []
    for _ in range(n_shifts):
        length = draw(st.floats(600, 7200))
        brk = draw(st.booleans())
        shift = {"start": draw(st.floats(0, 5000)), "length": length, "count": draw(st.integers(0, 4))}
        if brk and length > 1200:
            shift["breaks"] = [{"start": length / 3, "length": min(600.0, length / 3)}]
        shifts.append(shift)
    spec = {
        "arrivals": {"interval": "15min", "calls": draw(st.lists(st.floats(0, 40), min_size=2, max_size=8))},
        "handle_time": {**EXP, "mean": draw(st.floats(10, 400))},
        "patience": {**EXP, "mean": draw(st.floats(10, 400))},
        "shifts": shifts,
        "shrinkage": draw(st.sampled_from([0.0, 0.2])),
    }
    if draw(st.booleans()):
        spec["redial"] = {"probability": draw(st.floats(0, 1)), "delay": {**EXP, "mean": 60},
                          "max_attempts": draw(st.integers(1, 4))}
    if draw(st.booleans()):
        spec["call_types"] = [{"name": "a", "share": 0.4}, {"name": "b", "share": 0.6, "patience": "inf"}]
    return Scenario.model_validate(spec)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shift_scenarios(), st.integers(0, 2**31))
def test_shift_properties(sc: Scenario, seed: int) -> None:
    """No call starts with an agent off duty; conservation per type; redials <= max attempts; overtime >= 0."""
    res = simulate(sc, seed=seed)
    calls = res.calls
    duty = sc.duty_periods()
    for i in np.flatnonzero(calls.answered):
        a, t = calls.agent[i], calls.answer[i]
        assert any(s <= t < e or t == s for s, e in duty[a]), f"call {i} answered at {t} by agent {a} off duty {duty[a]}"
    for k in range(len(sc.type_names())):
        mine = calls.call_type == k
        assert int(mine.sum()) == int((mine & (calls.answered | calls.abandoned | calls.unserved)).sum())
    s = res.summary
    assert s["offered"] == s["answered"] + s["abandoned"] + s["unserved"]
    max_attempts = sc.redial.max_attempts if sc.redial else 1
    assert calls.attempt.max(initial=1) <= max_attempts
    if sc.redial is not None and len(calls):
        _, per_caller = np.unique(calls.caller, return_counts=True)
        assert per_caller.max() <= max_attempts
        # an attempt is followed by another of the same caller only if it was abandoned
        order = np.lexsort((calls.attempt, calls.caller))
        same_next = calls.caller[order][1:] == calls.caller[order][:-1]
        assert np.all(calls.abandoned[order][:-1][same_next])
    assert s["overtime"] >= 0
    assert np.all(calls.wait[~np.isnan(calls.wait)] >= 0)


def test_redials_unique_caller_metrics() -> None:
    """Redials: every redial follows an abandonment of the same caller; caller metrics are consistent."""
    sc = _scenario(horizon="3h", arrivals={"rate": "4/min"}, handle_time={**EXP, "mean": "3min"},
                   patience={**EXP, "mean": "1min"}, agents=10,
                   redial={"probability": 0.6, "delay": {**EXP, "mean": "5min"}, "max_attempts": 3})
    res = simulate(sc, seed=6)
    calls, s = res.calls, res.summary
    assert calls.attempt.max() == 3
    for caller in np.unique(calls.caller[calls.attempt > 1])[:200]:
        mine = np.flatnonzero(calls.caller == caller)
        outcomes = calls.outcome[mine]
        assert np.all(outcomes[:-1] == 1), "only abandoned attempts are followed by another"
        assert np.all(np.diff(calls.arrival[mine]) > 0)
    assert 1.0 < s["attempts_per_caller"] < 3.0
    assert 0 < s["eventually_served_rate"] <= 1
    assert s["caller_abandonment_rate"] == pytest.approx(1 - s["eventually_served_rate"])
    assert s["caller_abandonment_rate"] < s["abandonment_rate"] + 0.3


def test_backlog_is_served_first() -> None:
    """An opening backlog is waiting at the start of the day and answered before later callers."""
    sc = _scenario(arrivals={"interval": "1h", "start": "08:00", "calls": [30, 30]}, handle_time={**EXP, "mean": "2min"},
                   agents=2, backlog=10)
    calls = simulate(sc, seed=1).calls
    assert np.all(calls.arrival[:10] == 8 * 3600)
    assert np.all(calls.caller[:10] < 0)
    assert calls.answer[:10].max() <= calls.answer[10:][calls.answered[10:]].min()


def test_shrinkage_rounds_scheduled_agents() -> None:
    """Shrinkage 0.25 leaves round(8 x 0.75) = 6 of 8 agents on duty."""
    sc = _scenario(horizon="1h", arrivals={"rate": "1/min"}, handle_time={**EXP, "mean": "1min"}, agents=8, shrinkage=0.25)
    assert len(sc.duty_periods()) == 6


def test_intervals_table_consistent_with_summary() -> None:
    """The per-interval table adds up to the replication's totals."""
    sc = _scenario(**SHIFTY)
    res = simulate(sc, seed=3)
    t = res.intervals
    assert sum(t["offered"]) == res.summary["offered"]
    assert sum(t["answered"]) == res.summary["answered"]
    assert all(0 <= o <= 1.0 + 1e-9 for o in t["occupancy"] if not math.isnan(o))


BASE = {"arrivals": {"interval": "30min", "calls": [10, 20]}, "handle_time": {**EXP, "mean": "1min"}, "agents": 2}


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"arrivals": {"interval": "30min", "calls": [10, -5]}}, "calls[1] = -5"),
        ({"arrivals": {"interval": "7min", "calls": [10]}}, "does not divide the 24-hour day"),
        ({"arrivals": {"calls": [10]}}, "needs 'interval'"),
        ({"arrivals": {"rate": "2/min", "calls": [1], "interval": "30min"}}, "exactly one of"),
        ({"arrivals": {"rate": "2/min", "start": "08:00"}}, "start: applies to a profile"),  # else silently ignored
        ({"agents": None, "staffing": {"interval": "30min", "agents": [2, -1]}}, "agents[1] = -1"),
        ({"agents": None, "shifts": [{"start": "25:00", "length": "8h", "count": 1}]}, "25:00"),
        ({"agents": None, "shifts": [{"start": "07:00", "length": "1h", "count": 1,
                                      "breaks": [{"start": "50min", "length": "20min"}]}]}, "ends after the shift"),
        ({"call_types": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.6}]}, "sum to 1"),
        ({"redial": {"probability": 1.5, "delay": {**EXP, "mean": 60}}}, "redial.probability"),
        ({"shrinkage": 1.0}, "shrinkage"),
    ],
)
def test_bad_real_day_configs(change: dict, fragment: str) -> None:
    """Profile, staffing, shift, type and redial errors name the field and value."""
    data = {**BASE, **{k: v for k, v in change.items() if v is not None}}
    for k, v in change.items():
        if v is None:
            data.pop(k)
    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data)
    assert fragment in str(info.value), str(info.value)


def test_uncovered_interval_warns() -> None:
    """Shifts that leave an interval with arrivals uncovered give a warning naming the time."""
    sc = _scenario(arrivals={"interval": "30min", "start": "07:00", "calls": [10, 10, 10]}, handle_time={**EXP, "mean": "1min"},
                   shifts=[{"start": "07:00", "length": "30min", "count": 1}])
    warnings = sc.warnings()
    assert warnings and "07:30" in warnings[0]


def test_warnings_in_plain_python_equal_numpy_bit_for_bit() -> None:
    """Up to PLAIN_WARNING_INTERVALS intervals, the uncovered-interval warning is computed without numpy: the
    same interpolation of the cumulative rates as numpy.interp (at interval edges on and off the profile's grid,
    before and after it, with zero and infinite totals) and the same intervals found, over random days."""
    import random

    from queuesim.model import scenario as sc

    rng = random.Random(7)
    found = 0
    for _ in range(300):
        n = rng.randint(1, 12)
        start = rng.choice([0.0, 1800.0, rng.uniform(0, 5e4)])
        width = rng.choice([900.0, 1800.0, rng.uniform(1, 1e4)])
        grid = [start + k * width for k in range(n + 1)]
        rates = [rng.choice([0.0, 0.0, rng.uniform(0, 1), 1e-300, 1e308]) for _ in range(n)]
        functions = [RateFunction.build(grid, rates), RateFunction.constant(rng.uniform(0, 2), 0.0, grid[-1] / 2)]
        interval = rng.choice([width, width / 2, 1800.0, rng.uniform(60, 5e3)])
        horizon = grid[-1] + rng.choice([0.0, interval / 3, 3600.0])
        count = math.ceil(horizon / interval)
        merged = []
        t = 0.0
        for _ in range(rng.randint(0, 4)):
            a = t + rng.choice([0.0, interval, rng.uniform(0, 2e4)])
            b = a + rng.choice([interval, rng.uniform(1, 2e4)])
            merged.append([a, b])
            t = b + rng.uniform(1, 1e4)
        if rng.random() < 0.3:
            merged = [[0.0, math.inf]]  # agents all day
        with np.errstate(over="ignore", invalid="ignore"):  # rates of 1e308: infinite totals
            for rf in functions:
                edges = [k * interval for k in range(count + 1)] + list(rf.grid) + [-1.0, grid[-1] * 2]
                cum = rf.cumulative()
                plain = [sc._interp(x, rf.grid, rf.running_totals()) for x in edges]
                assert np.array_equal(np.array(plain), np.interp(edges, np.asarray(rf.grid), cum), equal_nan=True)
            plain = sc._uncovered_starts_plain(count, interval, horizon, functions, merged)
            assert plain == sc._uncovered_starts_numpy(count, interval, horizon, functions, merged)
        found += bool(plain)
    assert 30 < found < 270, found  # days with and without uncovered intervals


def test_profile_from_csv_with_days_filter(tmp_path) -> None:
    """A dated CSV is summed into the config's intervals and averaged over the chosen weekdays."""
    path = tmp_path / "profile.csv"
    path.write_text(
        "date,interval_start,calls\n"
        "2024-01-01,07:00,10\n2024-01-01,07:15,20\n2024-01-01,07:30,5\n"   # Monday
        "2024-01-02,07:00,30\n2024-01-02,07:15,10\n2024-01-02,07:30,15\n"  # Tuesday
        "2024-01-06,07:00,999\n"                                            # Saturday: filtered out
    )
    exp = experiment_from_dict({**BASE, "arrivals": {"interval": "30min", "file": "profile.csv", "days": ["mon", "tue"]}},
                               base_dir=tmp_path)
    arr = exp.baseline.arrivals
    assert arr.start == 7 * 3600 and arr.calls == (35.0, 10.0)
    assert exp.baseline.horizon == 8 * 3600


def test_cli_warns_about_uncovered_intervals(tmp_path, capsys) -> None:
    """`queuesim validate` and `run` print a warning naming the intervals with arrivals and no agent."""
    from queuesim.cli import main

    path = tmp_path / "gap.yaml"
    path.write_text(
        "name: gap\nhorizon: 2h\narrivals: {interval: 30min, calls: [10, 10, 10, 10]}\n"
        "handle_time: {distribution: exponential, mean: 1min}\n"
        "shifts: [{start: '00:00', length: 1h, count: 2}]\n"
    )
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: gap: no agent is on duty in 2 interval(s)" in err and "01:00" in err
