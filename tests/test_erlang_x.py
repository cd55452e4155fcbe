"""Erlang X (finite lines, abandonment, redials): the formulas, the engine's lines, and each against the other.

Tolerances as in ``test_theory.py``: each case runs R independent replications
after a warm-up; a check passes when the analytic value lies inside the 99.9%
Student-t confidence interval of the per-replication values (a correct engine
misses a given check with probability about 1/1000; the fixed seed makes the
outcome deterministic). Without redials the analytic value is exact. With
redials it is the fixed-point approximation, which treats redials as Poisson
arrivals; with a redial delay long against the handle time and the patience
(10 minutes against 1-3 minutes here) no bias is visible at this precision, so
the same interval is used with no extra margin. With short delays the
approximation is biased (redials meet the congestion that lost them):
``test_short_redial_delays_block_more_than_erlang_x_says`` pins the direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.analytic import erlang_a_metrics, erlang_b, erlang_x_agents, erlang_x_metrics, mmnk_metrics
from queuesim.engine import DepartmentCentre, build_centre, fast_path, simulate_calls
from queuesim.measure.calllog import BLOCKED
from queuesim.measure.stats import mean_ci
from queuesim.rng import RandomStreams

LEVEL = 0.999
SEED = 20261202


# --------------------------------------------------------------------------
# the formulas
# --------------------------------------------------------------------------


def _dense_chain(lam: float, h: float, pat: float, n: int, lines: int) -> dict[str, float]:
    """The M/M/s/N+M chain solved the plain way (small N): stationary law from the product form."""
    theta = 0.0 if math.isinf(pat) else 1.0 / pat
    k = np.arange(lines + 1)
    death = np.minimum(k, n) / h + np.maximum(k - n, 0) * theta
    log_pi = np.concatenate([[0.0], np.cumsum(np.log(lam / death[1:]))])
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    queue = float((np.maximum(k - n, 0) * pi).sum())
    return {"p_block": float(pi[-1]), "p_abandon": theta * queue / lam, "mean_queue_length": queue,
            "occupancy": float((np.minimum(k, n) * pi).sum()) / n}


@pytest.mark.parametrize("lam, h, pat, n, lines", [
    (100 / 3600, 180.0, 120.0, 5, 7), (0.1, 60.0, 30.0, 5, 12), (2.0, 240.0, 300.0, 400, 450),
    (0.5, 200.0, math.inf, 100, 130), (0.05, 100.0, 50.0, 3, 3), (1.0, 300.0, 100.0, 200, 1000)])
def test_exact_chain_matches_the_product_form(lam: float, h: float, pat: float, n: int, lines: int) -> None:
    x = erlang_x_metrics(lam, h, pat, n, lines)
    dense = _dense_chain(lam, h, pat, n, lines)
    for name, value in dense.items():
        assert getattr(x, name) == pytest.approx(value, rel=1e-9, abs=1e-15), name
    assert x.p_block + x.p_abandon + x.p_answered == pytest.approx(1.0, abs=1e-12)
    assert x.exact and x.attempt_rate == lam


@pytest.mark.parametrize("lam, h, pat, n", [(0.1, 60.0, 30.0, 5), (2.0, 240.0, 300.0, 400), (3.0, 240.0, 100.0, 600)])
def test_unlimited_lines_are_erlang_a(lam: float, h: float, pat: float, n: int) -> None:
    a = erlang_a_metrics(lam, h, pat, n)
    for lines in (None, 10**6):  # unlimited, and more lines than can ever be busy
        x = erlang_x_metrics(lam, h, pat, n, lines)
        assert x.p_block == 0.0
        for name in ("p_abandon", "p_wait", "asa", "mean_wait", "service_level", "occupancy", "mean_queue_length"):
            assert getattr(x, name) == pytest.approx(getattr(a, name), rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("load, n", [(5.0, 5), (100.0, 90), (1000.0, 1000), (3000.0, 2900)])
def test_as_many_lines_as_agents_is_erlang_b(load: float, n: int) -> None:
    for patience in (math.inf, 60.0, 1e-9):  # nobody waits: patience plays no part
        x = erlang_x_metrics(load / 100.0, 100.0, patience, n, lines=n)
        assert x.p_block == pytest.approx(erlang_b(load, n), rel=1e-12)
        assert x.p_abandon == 0.0 and x.mean_wait == 0.0


def test_infinite_patience_is_mmnk() -> None:
    for rate in (0.5, 0.6, 0.12):
        m, x = mmnk_metrics(rate, 200.0, 100, 130), erlang_x_metrics(rate, 200.0, math.inf, 100, 130)
        assert x.p_block == pytest.approx(m.p_block, rel=1e-10)
        assert x.mean_queue_length == pytest.approx(m.mean_queue_length, rel=1e-10)
        assert x.asa == pytest.approx(m.mean_wait, rel=1e-10)  # every admitted call is answered
        assert x.p_wait == pytest.approx(m.p_wait, rel=1e-10)


def test_thousands_of_agents_and_lines_stay_finite() -> None:
    for rate in (9.0, 10.0, 12.0):  # below, at and above 3000 agents' capacity
        x = erlang_x_metrics(rate, 300.0, 100.0, 3000, 4000, redial_probability=0.5)
        values = [x.p_block, x.p_abandon, x.asa, x.service_level, x.occupancy, x.caller_p_served]
        assert all(math.isfinite(v) and v >= 0 for v in values)
        assert x.p_block + x.p_abandon + x.p_answered == pytest.approx(1.0, abs=1e-9)


def test_redials_solve_the_fixed_point() -> None:
    lam, p, k = 0.3, 0.5, 3
    x = erlang_x_metrics(lam, 300.0, 100.0, 80, 100, redial_probability=p, max_attempts=k)
    assert not x.exact and x.iterations > 0
    # the attempt rate the losses at that rate imply is the attempt rate
    at_rate = erlang_x_metrics(x.attempt_rate, 300.0, 100.0, 80, 100)
    q = p * (at_rate.p_block + at_rate.p_abandon)
    assert x.attempt_rate == pytest.approx(lam * (1 - q**k) / (1 - q), rel=1e-10)
    assert x.p_block == pytest.approx(at_rate.p_block, rel=1e-9)
    assert x.attempts_per_caller == pytest.approx(x.attempt_rate / lam, rel=1e-10)
    assert x.caller_p_served == pytest.approx(at_rate.p_answered * x.attempts_per_caller, rel=1e-10)
    # more redials, more load; one attempt only is no redial at all
    assert erlang_x_metrics(lam, 300.0, 100.0, 80, 100, redial_probability=0.9).attempt_rate > x.attempt_rate
    once = erlang_x_metrics(lam, 300.0, 100.0, 80, 100, redial_probability=p, max_attempts=1)
    assert once.exact and once.attempt_rate == lam


@pytest.mark.parametrize("kwargs, message", [
    (dict(lines=4), "lines must be >= agents"),
    (dict(redial_probability=1.5), "redial_probability"),
    (dict(lines=7, max_attempts=0), "max_attempts"),
])
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    args = dict(rate=0.03, handle_time=180.0, patience=120.0, agents=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        erlang_x_metrics(**args)


def test_no_way_to_lose_a_call_means_no_redials() -> None:
    x = erlang_x_metrics(0.03, 180.0, math.inf, 6, redial_probability=0.5)
    assert x.exact and x.attempt_rate == 0.03 and x.p_abandon == 0.0 and x.p_block == 0.0
    assert x.asa == pytest.approx(erlang_a_metrics(0.03, 180.0, math.inf, 6).asa)


def test_staffing_with_redials_needs_at_least_erlang_a() -> None:
    a = erlang_x_agents(95 / 60, 60.0, 120.0, service_level=0.8, threshold=20.0)
    x = erlang_x_agents(95 / 60, 60.0, 120.0, service_level=0.8, threshold=20.0, redial_probability=0.7,
                        max_attempts=3)
    assert x > a


# --------------------------------------------------------------------------
# the engine against the formulas
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    rate: float  # first attempts per second
    handle: float  # s
    patience: float  # s (inf: never abandon)
    agents: int
    lines: int
    horizon: float  # s
    warmup: float  # s
    redial: float = 0.0  # probability
    delay: float = 600.0  # mean redial delay (s)
    attempts: int = 3
    replications: int = 10

    def scenario(self, lines: Optional[int] = -1) -> Scenario:
        spec = {
            "name": self.name, "horizon": self.horizon, "warmup": self.warmup, "arrivals": {"rate": self.rate},
            "handle_time": {"distribution": "exponential", "mean": self.handle},
            "patience": None if math.isinf(self.patience) else {"distribution": "exponential", "mean": self.patience},
            "agents": self.agents, "lines": self.lines if lines == -1 else lines,
        }
        if self.redial > 0:
            spec["redial"] = {"probability": self.redial, "max_attempts": self.attempts,
                              "delay": {"distribution": "exponential", "mean": self.delay}}
        return Scenario.model_validate(spec)

    def theory(self) -> dict[str, float]:
        x = erlang_x_metrics(self.rate, self.handle, self.patience, self.agents, self.lines, 20.0,
                             redial_probability=self.redial, max_attempts=self.attempts)
        out = {"blocking_rate": x.p_block, "abandonment_rate": x.p_abandon, "asa": x.asa, "mean_wait": x.mean_wait,
               "service_level": x.service_level, "occupancy": x.occupancy, "mean_queue_length": x.mean_queue_length,
               "p_wait": x.p_wait + x.p_block}  # the simulator's p_wait: not answered at once, blocked included
        if self.redial > 0:
            out.update(attempts_per_caller=x.attempts_per_caller, eventually_served_rate=x.caller_p_served)
        return out


EXACT_CASES = [
    Case("light-3-on-5", 3 / 120, 120.0, 120.0, 5, 8, 40 * 3600, 3600),
    Case("small-5-on-5", 100 / 3600, 180.0, 120.0, 5, 7, 40 * 3600, 3600),
    Case("lines-equal-agents", 9 / 100, 100.0, 60.0, 10, 10, 30 * 3600, 3600),
    Case("patient-12-on-10", 12 / 100, 100.0, math.inf, 10, 15, 30 * 3600, 3600),
    Case("contract-95-on-100", 95 / 60, 60.0, 120.0, 100, 110, 4 * 3600, 1800),
    Case("overloaded-25-on-20", 25 / 60, 60.0, 60.0, 20, 24, 8 * 3600, 1800),
    Case("overloaded-1-agent", 1.5 / 120, 120.0, 30.0, 1, 3, 60 * 3600, 3600),
]
REDIAL_CASES = [
    Case("light-3-on-5+redials", 3 / 120, 120.0, 120.0, 5, 8, 40 * 3600, 3600, redial=0.5),
    Case("small-5-on-5+redials", 100 / 3600, 180.0, 120.0, 5, 7, 40 * 3600, 3600, redial=0.5),
    Case("lines-equal-agents+redials", 9 / 100, 100.0, 60.0, 10, 10, 30 * 3600, 3600, redial=0.8, attempts=5),
    Case("contract-95-on-100+redials", 95 / 60, 60.0, 120.0, 100, 110, 4 * 3600, 1800, redial=0.6),
    Case("overloaded-25-on-20+redials", 25 / 60, 60.0, 60.0, 20, 24, 8 * 3600, 1800, redial=0.7),
    Case("overloaded-1-agent+redials", 1.5 / 120, 120.0, 30.0, 1, 3, 60 * 3600, 3600, redial=0.5),
]

_cache: dict[tuple, dict[str, np.ndarray]] = {}


def _simulate(case: Case, lines: Optional[int] = -1) -> dict[str, np.ndarray]:
    key = (case, lines)
    if key not in _cache:
        scenario = case.scenario(lines)
        reps = [simulate(scenario, seed=SEED, replication=r, keep_calls=False).summary
                for r in range(case.replications)]
        _cache[key] = {m: np.array([s.get(m, 0.0) for s in reps]) for m in case.theory()}
    return _cache[key]


def _inside(values: np.ndarray, exact: float) -> tuple[bool, str]:
    if np.all(values == values[0]):
        return bool(math.isclose(values[0], exact, abs_tol=1e-12)), f"constant {values[0]} vs {exact}"
    est = mean_ci(values, level=LEVEL)
    return est.contains(exact), f"analytic {exact:.6g} vs simulated {est.mean:.6g} +- {est.half_width:.3g} (99.9% CI)"


@pytest.mark.parametrize("case", EXACT_CASES + REDIAL_CASES, ids=lambda c: c.name)
def test_simulation_matches_erlang_x(case: Case) -> None:
    """Every metric's 99.9% replication CI contains the Erlang X value (exact without redials)."""
    sim = _simulate(case)
    misses = []
    for metric, value in case.theory().items():
        ok, detail = _inside(sim[metric], value)
        if not ok:
            misses.append(f"{metric}: {detail}")
    assert not misses, f"{case.name}: " + "; ".join(misses)


@pytest.mark.parametrize("case", [EXACT_CASES[1], EXACT_CASES[5], REDIAL_CASES[1]], ids=lambda c: c.name)
def test_checks_have_power_against_unlimited_lines(case: Case) -> None:
    """An engine that ignored the lines (never blocked anyone) would fail the checks."""
    sim = _simulate(case, lines=None)
    exact = case.theory()
    failures = [m for m in ("blocking_rate", "abandonment_rate", "occupancy") if not _inside(sim[m], exact[m])[0]]
    assert "blocking_rate" in failures and len(failures) >= 2, failures


def test_short_redial_delays_block_more_than_erlang_x_says() -> None:
    """The approximation's known bias: redials a minute after a loss meet the congestion that lost them,
    so more are blocked than the fixed point (which takes redials as Poisson) says."""
    case = Case("lines-equal-agents, 1 min redials", 9 / 100, 100.0, 60.0, 10, 10, 30 * 3600, 3600, redial=0.8,
                delay=60.0, attempts=5)
    est = mean_ci(_simulate(case)["blocking_rate"], level=LEVEL)
    assert est.mean - est.half_width > case.theory()["blocking_rate"]


# --------------------------------------------------------------------------
# the engine's lines
# --------------------------------------------------------------------------

EXP = {"distribution": "exponential"}
SMALL = dict(horizon="6h", arrivals={"rate": "100/h"}, handle_time={**EXP, "mean": "3min"},
             patience={**EXP, "mean": "2min"}, agents=5)


def test_lines_run_on_the_department_centre_only() -> None:
    with_lines = Scenario(**SMALL, lines=7)
    assert fast_path(with_lines) is None
    assert type(build_centre(with_lines, RandomStreams(1))) is DepartmentCentre
    assert fast_path(Scenario(**SMALL)) is not None


def test_lines_that_never_bind_change_nothing() -> None:
    """More lines than calls: the same call log, bit for bit, as without the key (no random number moves)."""
    plain = simulate_calls(Scenario(**SMALL, redial={"probability": 0.5, "delay": {**EXP, "mean": "5min"}}),
                           RandomStreams(4))
    lines = simulate_calls(Scenario(**SMALL, lines=100_000, redial={"probability": 0.5, "delay": {**EXP, "mean": "5min"}}),
                           RandomStreams(4))
    assert plain.calls.columns == lines.calls.columns
    for column in plain.calls.columns:
        assert np.array_equal(getattr(plain.calls, column), getattr(lines.calls, column), equal_nan=True), column


def test_blocked_calls_never_wait_and_redial_like_abandoned_ones() -> None:
    scenario = Scenario(**SMALL, lines=6, redial={"probability": 1.0, "max_attempts": 2, "delay": {**EXP, "mean": "5min"}})
    log = simulate_calls(scenario, RandomStreams(2)).calls
    blocked = log.outcome == BLOCKED
    assert blocked.sum() > 50
    assert np.all(log.wait[blocked] == 0.0) and np.all(log.agent[blocked] == -1) and np.all(np.isnan(log.answer[blocked]))
    # at every arrival, the calls present (arrived, not yet ended) never exceed the lines
    present = [(a, e) for a, e, b in zip(log.arrival, log.end, blocked) if not b]
    starts = np.sort([a for a, _ in present])
    ends = np.sort([e for _, e in present])
    for t in log.arrival[blocked]:  # a blocked call found every line busy
        assert np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, side="right") >= 6 - 1e-9
    in_system = np.searchsorted(starts, starts, side="right") - np.searchsorted(ends, starts, side="right")
    assert in_system.max() <= 6
    # each blocked first attempt is followed by a second attempt of the same caller (probability 1)
    callers = log.caller[blocked & (log.attempt == 1)]
    second = set(log.caller[log.attempt == 2].tolist())
    assert callers.size and all(c in second for c in callers.tolist())
    df = log.to_dataframe()
    assert (df["outcome"] == "blocked").sum() == blocked.sum()


def test_blocking_metrics_and_conventions() -> None:
    result = simulate(Scenario(**SMALL, lines=6), seed=3)
    s, log = result.summary, result.calls
    counted = (log.arrival >= 0) & (log.arrival < 6 * 3600)  # the measured window: [warmup, horizon)
    assert s["blocked"] == np.count_nonzero(log.blocked[counted])
    assert s["blocking_rate"] == pytest.approx(s["blocked"] / s["offered"])
    assert s["abandonment_rate"] == pytest.approx(s["abandoned"] / s["offered"])  # blocked are not abandoned
    assert s["offered"] == s["answered"] + s["abandoned"] + s["blocked"]
    assert "blocking_rate" not in simulate(Scenario(**SMALL), seed=3).summary


def test_lines_with_departments_block_and_stream_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Departments with transfers, overflow and redials: a transferred call keeps its line; streaming and the
    reference loop give the same log."""
    from .test_streaming import _check, _departments

    scenario = _departments(True).model_copy(update={"lines": 40})
    log = simulate_calls(scenario, RandomStreams(5)).calls
    assert np.count_nonzero(log.outcome == BLOCKED) > 0
    _check(scenario, seed=5, monkeypatch=monkeypatch)
    reference = simulate_calls(scenario, RandomStreams(5), loop="reference").calls
    for column in log.columns:
        assert np.array_equal(getattr(log, column), getattr(reference, column), equal_nan=True), column


def test_lines_one_pool_streams_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_streaming import BASE, REDIAL, _check

    _check(Scenario(**{**BASE, "lines": 31, "redial": REDIAL, "backlog": 20}), seed=3, monkeypatch=monkeypatch)


@pytest.mark.parametrize("spec, message", [
    ({"lines": 0}, "lines"),
    ({"lines": 7, "callback": {"kind": "virtual_hold", "threshold": "1min", "acceptance": 0.5}}, "callback"),
])
def test_bad_lines_are_named(spec: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario(**SMALL, **spec)


# --------------------------------------------------------------------------
# staffing: Erlang X is the starting point when the scenario has redials or lines
# --------------------------------------------------------------------------


def test_staff_starts_from_erlang_x_with_redials() -> None:
    from queuesim.staffing import requirements

    scenario = Scenario(
        name="redials", horizon="3h", report_interval="1h", arrivals={"rate": 40 / 120},
        handle_time={**EXP, "mean": 120.0}, patience={**EXP, "mean": 90.0}, agents=1,
        redial={"probability": 0.8, "max_attempts": 5, "delay": {**EXP, "mean": "10min"}},
    )
    cache: dict = {}
    req = requirements(scenario, ["service_level>=0.8@20s"], replications=4, seed=2, cache=cache)
    assert req.erlang_x is not None and all(x > a for x, a in zip(req.erlang_x, req.erlang_a))
    staffings = [key[0] for key in cache]  # in the order simulated: the Erlang A check, then the start
    assert staffings[1] == tuple(req.erlang_x)
    assert "erlang_x" in req.to_frame() and "Erlang X" in req.summary()
    # without redials or lines there is no Erlang X and the search starts from Erlang A
    plain = requirements(scenario.model_copy(update={"redial": None}), ["service_level>=0.8@20s"], replications=2,
                         seed=2)
    assert plain.erlang_x is None and "erlang_x" not in plain.to_frame()


def test_staff_with_lines_caps_erlang_x_at_the_lines() -> None:
    from queuesim.staffing import StaffingError, analytic_agents, parse_targets

    targets = parse_targets(["service_level>=0.8@20s"], 20.0)
    n = analytic_agents(40 / 120, 120.0, 90.0, targets, model="X", lines=60)
    assert n == analytic_agents(40 / 120, 120.0, 90.0, targets, model="A")  # lines that never bind
    with pytest.raises(StaffingError, match="lines"):
        analytic_agents(40 / 120, 120.0, 90.0, targets, model="X", lines=30)


# --------------------------------------------------------------------------
# queuesim erlang
# --------------------------------------------------------------------------


def test_erlang_command_prints_erlang_x(capsys: pytest.CaptureFixture) -> None:
    from queuesim.cli import main

    argv = ["erlang", "--rate", "100/h", "--handle-time", "3min", "--patience", "2min", "--agents", "5"]
    assert main(argv + ["--lines", "7"]) == 0
    out = capsys.readouterr().out
    exact = erlang_x_metrics(100 / 3600, 180.0, 120.0, 5, 7)
    assert "Erlang X (7 lines, no redials" in out and "exact" in out
    assert f"blocking rate            {100 * exact.p_block:.2f} %" in out
    assert main(argv + ["--lines", "7", "--redial-probability", "0.5"]) == 0
    out = capsys.readouterr().out
    approx = erlang_x_metrics(100 / 3600, 180.0, 120.0, 5, 7, redial_probability=0.5, max_attempts=3)
    assert "approximation" in out and f"blocking rate            {100 * approx.p_block:.2f} %" in out
    assert main(argv) == 0 and "Erlang X" not in capsys.readouterr().out  # only when asked for


@pytest.mark.parametrize("extra, words", [
    (["--lines", "4"], "--lines 4: must be at least --agents (5)"),
    (["--lines", "many"], "argument --lines: expected a whole number"),
    (["--lines", "0"], "argument --lines: expected a whole number from 1"),
    (["--redial-probability", "1.5"], "argument --redial-probability: expected a number from 0 to 1"),
    (["--redial-probability", "nan"], "argument --redial-probability: expected a number from 0 to 1"),
    (["--max-attempts", "0"], "argument --max-attempts: expected a whole number from 1 to 50"),
])
def test_erlang_x_bad_options_are_one_line(extra: list, words: str, capsys: pytest.CaptureFixture) -> None:
    from queuesim.cli import main

    argv = ["erlang", "--rate", "100/h", "--handle-time", "3min", "--patience", "2min", "--agents", "5"]
    try:
        code = main(argv + extra)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_erlang_x_needs_a_way_to_lose_a_call(capsys: pytest.CaptureFixture) -> None:
    from queuesim.cli import main

    assert main(["erlang", "--rate", "100/h", "--handle-time", "3min", "--agents", "6",
                 "--redial-probability", "0.5"]) == 2
    assert "give --patience or --lines" in capsys.readouterr().err
    assert main(["erlang", "--rate", "100/h", "--handle-time", "3min", "--agents", "6", "--lines", "8",
                 "--redial-probability", "0.5"]) == 0  # patient callers, lost only to busy tones
    assert "callers never abandon" in capsys.readouterr().out


def test_fewer_lines_than_agents_is_a_warning() -> None:
    assert any("lines (4) are fewer than agents (5)" in w for w in Scenario(**SMALL, lines=4).warnings())
    assert not any("lines" in w for w in Scenario(**SMALL, lines=5).warnings())
