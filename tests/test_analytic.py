"""Exact queueing formulas (queuesim.analytic) against independent computations.

Independent references used here:

* exact rational arithmetic (``fractions.Fraction``) of the textbook Erlang B
  and C sums for small n;
* the generator of the (truncated) birth-death chain solved numerically with
  the GTH algorithm (Grassmann-Taksar-Heyman state reduction, which keeps
  relative accuracy even for tiny probabilities), plus, for the service level
  and the ASA, the absorbing chain of a tagged caller solved with
  ``scipy.linalg.expm`` and the fundamental matrix;
* published worked examples.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import special, stats

from queuesim.analytic import (
    ErlangAResult,
    ErlangCResult,
    erlang_a_agents,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_agents,
    erlang_c_metrics,
    erlang_c_service_level,
    halfin_whitt_beta,
    littles_law_L,
    littles_law_W,
    mmnk_metrics,
    offered_load,
    square_root_staffing,
)

REL = 1e-9


# --------------------------------------------------------------------------
# independent reference computations
# --------------------------------------------------------------------------


def exact_erlang_b(a: Fraction, n: int) -> Fraction:
    """Erlang B from its defining sum, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(a: Fraction, n: int) -> Fraction:
    """Erlang C from its defining sum, in exact rational arithmetic (a < n)."""
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(terms) + top)


def gth_stationary(q: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible CTMC generator by GTH state reduction."""
    p = np.array(q, dtype=float)
    np.fill_diagonal(p, 0.0)
    size = len(p)
    out_rate = np.zeros(size)
    for k in range(size - 1, 0, -1):
        s = p[k, :k].sum()
        out_rate[k] = s
        p[:k, :k] += np.outer(p[:k, k], p[k, :k]) / s
    pi = np.zeros(size)
    pi[0] = 1.0
    for k in range(1, size):
        pi[k] = pi[:k] @ p[:k, k] / out_rate[k]
    return pi / pi.sum()


def birth_death_generator(lam: float, death: list[float]) -> np.ndarray:
    """Generator of a birth-death chain on 0..len(death) with birth rate lam (last state blocks)."""
    size = len(death) + 1
    q = np.zeros((size, size))
    for k in range(size - 1):
        q[k, k + 1] = lam
        q[k + 1, k] = death[k]
    np.fill_diagonal(q, -q.sum(axis=1))
    return q


def erlang_a_by_ctmc(lam: float, h: float, patience: float, n: int, t: float, extra: int = 150) -> dict[str, float]:
    """Erlang A from the truncated chain (queue capped at ``extra``) and a tagged-caller chain."""
    mu, theta = 1.0 / h, 1.0 / patience
    size = n + extra
    death = [min(k, n) * mu + max(k - n, 0) * theta for k in range(1, size + 1)]
    pi = gth_stationary(birth_death_generator(lam, death))
    queue = np.maximum(np.arange(size + 1) - n, 0)
    eq = float(queue @ pi)
    p_ab = theta * eq / lam

    # Tagged caller who finds j callers ahead: transient states j = 0..extra-1
    # (number ahead), absorbing "answered" and "abandoned".
    m = extra
    gen = np.zeros((m + 2, m + 2))
    answered, abandoned = m, m + 1
    for i in range(m):
        if i == 0:
            gen[i, answered] = n * mu
        else:
            gen[i, i - 1] = n * mu + i * theta
        gen[i, abandoned] = theta
        gen[i, i] = -(n * mu + (i + 1) * theta)
    answered_by_t = scipy.linalg.expm(gen * t)[:m, answered]
    sub = -gen[:m, :m]
    exit_rate = gen[:m, answered]
    p_answered_j = np.linalg.solve(sub, exit_rate)
    wait_answered_j = np.linalg.solve(sub, p_answered_j)  # E[T 1{answered}] = (-T)^-2 r
    arrive_waiting = pi[n : n + m]
    no_wait = pi[:n].sum()
    p_answered = no_wait + arrive_waiting @ p_answered_j
    return {
        "p_wait": float(pi[n:].sum()),
        "p_abandon": p_ab,
        "mean_wait": eq / lam,
        "asa": float(arrive_waiting @ wait_answered_j / p_answered),
        "service_level": float(no_wait + arrive_waiting @ answered_by_t),
        "occupancy": lam * (1.0 - p_ab) * h / n,
        "mean_queue_length": eq,
        "p_abandon_given_wait": p_ab / float(pi[n:].sum()),
    }


def erlang_a_by_full_sum(lam: float, h: float, patience: float, n: int, t: float, states: int) -> dict[str, float]:
    """Erlang A summing every birth-death state 0..states in log space (no windowing), for large queues."""
    mu, theta = 1.0 / h, 1.0 / patience
    k = np.arange(1, states + 1)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    log_w = np.concatenate([[0.0], np.cumsum(np.log(lam / death))])
    pi = np.exp(log_w - special.logsumexp(log_w))
    eq = float(np.maximum(np.arange(states + 1) - n, 0) @ pi)
    return {"p_wait": float(pi[n:].sum()), "p_abandon": theta * eq / lam, "mean_queue_length": eq}


def close(actual: float, expected: float, rel: float = REL, abs_: float = 1e-14) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


# --------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------


def test_erlang_c_two_erlangs_three_agents() -> None:
    """Classic textbook example: Erlang C with A = 2 Erlangs on n = 3 agents waits with P = 4/9."""
    assert erlang_c(2.0, 3) == pytest.approx(4 / 9, rel=1e-14)
    assert erlang_b(2.0, 3) == pytest.approx(4 / 19, rel=1e-14)


def test_erlang_b_table_value() -> None:
    """Erlang B table: 5 Erlangs offered to 10 trunks block 1.8385% of calls."""
    assert erlang_b(5.0, 10) == pytest.approx(0.018385, abs=5e-7)
    assert erlang_b(1.0, 1) == pytest.approx(0.5, rel=1e-15)
    assert erlang_b(3.0, 0) == 1.0


@pytest.mark.parametrize("load", [Fraction(1, 3), Fraction(2), Fraction(7, 2), Fraction(24), Fraction(99, 4)])
@pytest.mark.parametrize("agents", [1, 2, 5, 13, 26, 40])
def test_erlang_b_c_against_exact_fractions(load: Fraction, agents: int) -> None:
    """Erlang B and C equal their defining sums evaluated in exact rational arithmetic."""
    assert close(erlang_b(float(load), agents), float(exact_erlang_b(load, agents)), rel=1e-13)
    expected_c = float(exact_erlang_c(load, agents)) if load < agents else 1.0
    assert close(erlang_c(float(load), agents), expected_c, rel=1e-13)


def test_call_centre_helper_worked_example() -> None:
    """Published example: 100 calls per 30 min, AHT 180 s = 10 Erlangs; 11 agents give
    P(wait) = 68.21%, SL(20 s) = 39.0%, ASA = 122.8 s; 80/20 needs 14 agents."""
    rate, aht = 100 / 1800, 180.0
    m = erlang_c_metrics(rate, aht, 11, threshold=20.0)
    assert isinstance(m, ErlangCResult)
    assert m.offered_load == pytest.approx(10.0)
    assert m.p_wait == pytest.approx(0.6821, abs=5e-5)
    assert m.service_level == pytest.approx(0.3896, abs=5e-4)
    assert m.asa == pytest.approx(122.8, abs=0.05)
    assert m.occupancy == pytest.approx(10 / 11)
    assert erlang_c_agents(rate, aht, service_level=0.8, threshold=20.0) == 14


def test_erlang_c_metrics_closed_forms_24_erlangs() -> None:
    """360 calls/h with AHT 240 s is 24 Erlangs; every Erlang C metric matches the closed
    forms built from the exact rational C (ASA = C h/(n-a), SL = 1 - C e^{-(n-a)t/h}, Lq = C a/(n-a))."""
    rate, h, t = 360 / 3600, 240.0, 20.0
    assert offered_load(rate, h) == pytest.approx(24.0)
    for n in (25, 28, 33):
        c = float(exact_erlang_c(Fraction(24), n))
        m = erlang_c_metrics(rate, h, n, threshold=t)
        gap = n - 24
        assert m.stable
        assert close(m.p_wait, c, rel=1e-12)
        assert close(m.asa, c * h / gap, rel=1e-12)
        assert close(m.mean_wait_given_wait, h / gap, rel=1e-12)
        assert close(m.service_level, 1 - c * math.exp(-gap * t / h), rel=1e-12)
        assert close(m.mean_queue_length, c * 24 / gap, rel=1e-12)
        assert close(m.mean_queue_length, littles_law_L(rate, m.asa), rel=1e-12)
        assert erlang_c_service_level(rate, h, n, t) == m.service_level


def test_erlang_c_unstable_and_idle() -> None:
    """Load >= agents is reported unstable (infinite waits, SL 0, occupancy 1); zero load never waits."""
    m = erlang_c_metrics(1 / 60, 300.0, 5)  # exactly 5 Erlangs on 5 agents
    assert not m.stable
    assert (m.p_wait, m.asa, m.service_level, m.occupancy, m.mean_queue_length) == (1.0, math.inf, 0.0, 1.0, math.inf)
    assert erlang_c(5.0, 5) == 1.0 and erlang_c(7.5, 5) == 1.0
    idle = erlang_c_metrics(0.0, 300.0, 2)
    assert idle.stable and idle.p_wait == 0.0 and idle.asa == 0.0 and idle.service_level == 1.0


def test_erlang_b_c_large_n_finite_and_exact() -> None:
    """At 5,000 agents Erlang B and C are finite, warning-free and equal the Poisson pmf/cdf
    form (scipy.stats, log space)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for a in (4900.0, 4999.0, 5200.0, 100.0):
            b = erlang_b(a, 5000)
            ref = math.exp(stats.poisson.logpmf(5000, a) - stats.poisson.logcdf(5000, a))
            assert math.isfinite(b) and 0.0 <= b <= 1.0
            assert close(b, ref, rel=1e-10, abs_=1e-300)
            c = erlang_c(a, 5000)
            assert 0.0 <= c <= 1.0
        assert erlang_c(4900.0, 5000) == pytest.approx(0.0999378772, rel=1e-8)
        m = erlang_c_metrics(4900 / 300, 300.0, 5000)
        assert m.stable and 0 < m.service_level < 1 and math.isfinite(m.asa)


# --------------------------------------------------------------------------
# Erlang A
# --------------------------------------------------------------------------

ERLANG_A_CASES = [
    # rate (/s), handle (s), patience (s), agents, threshold (s)
    pytest.param(1 / 60, 50.0, 100.0, 1, 20.0, id="one-agent"),
    pytest.param(4 / 240, 240.0, 300.0, 5, 20.0, id="five-agents"),
    pytest.param(110 / 300, 300.0, 120.0, 100, 20.0, id="hundred-agents-overloaded"),
    pytest.param(2 / 200, 200.0, 60.0, 10, 30.0, id="light-load"),
    pytest.param(6 / 600, 600.0, 30.0, 3, 20.0, id="double-load-impatient"),
    pytest.param(20 / 180, 180.0, 200.0, 20, 15.0, id="critical"),
    pytest.param(0.5 / 180, 180.0, 1000.0, 1, 60.0, id="patient-single"),
]


@pytest.mark.parametrize(("rate", "handle", "patience", "agents", "threshold"), ERLANG_A_CASES)
def test_erlang_a_against_ctmc(rate: float, handle: float, patience: float, agents: int, threshold: float) -> None:
    """Every Erlang A metric equals the numerically solved birth-death chain, with the service
    level and ASA from a tagged caller's absorbing chain (expm / fundamental matrix)."""
    got = erlang_a_metrics(rate, handle, patience, agents, threshold=threshold)
    assert isinstance(got, ErlangAResult)
    ref = erlang_a_by_ctmc(rate, handle, patience, agents, threshold)
    for name, value in ref.items():
        assert close(getattr(got, name), value, rel=1e-10), (name, getattr(got, name), value)


def test_erlang_a_queue_far_from_empty() -> None:
    """Heavily overloaded Erlang A (queue in the thousands, only a window of terms summed)
    matches the sum over every state; abandonment balances the excess load exactly."""
    rate, handle, patience, agents = 2.5, 1000.0, 2000.0, 1000  # 2500 Erlangs on 1000 agents
    got = erlang_a_metrics(rate, handle, patience, agents)
    ref = erlang_a_by_full_sum(rate, handle, patience, agents, 20.0, states=40_000)
    for name, value in ref.items():
        assert close(getattr(got, name), value, rel=1e-10), name
    # served work = agents busy all the time: 1 - p_abandon = n / a, up to e^-huge
    assert got.p_abandon == pytest.approx(1 - 1000 / 2500, rel=1e-12)
    got = erlang_a_metrics(6000 / 300, 300.0, 600.0, 5000, 20.0)
    ref = erlang_a_by_full_sum(6000 / 300, 300.0, 600.0, 5000, 20.0, states=60_000)
    for name, value in ref.items():
        assert close(getattr(got, name), value, rel=1e-10), name


def test_erlang_a_internal_identities() -> None:
    """Answered + abandoned = offered, Little's law and p_abandon = mean_wait / patience hold."""
    for rate, handle, patience, n in [(0.05, 180.0, 60.0, 8), (0.4, 200.0, 90.0, 70), (1.2, 60.0, 30.0, 50)]:
        m = erlang_a_metrics(rate, handle, patience, n, threshold=20.0)
        assert close(m.occupancy * n, rate * (1 - m.p_abandon) * handle, rel=1e-12)
        assert close(m.mean_queue_length, rate * m.mean_wait, rel=1e-12)
        assert close(m.p_abandon, m.mean_wait / patience, rel=1e-12)
        assert close(m.p_abandon_given_wait, m.p_abandon / m.p_wait, rel=1e-12)
        assert m.service_level <= 1 - m.p_abandon
        long = erlang_a_metrics(rate, handle, patience, n, threshold=math.inf)
        assert close(long.service_level, 1 - m.p_abandon, rel=1e-12)
        zero = erlang_a_metrics(rate, handle, patience, n, threshold=0.0)
        assert close(zero.service_level, 1 - m.p_wait, rel=1e-12)


@pytest.mark.parametrize(("load", "agents"), [(2.0, 3), (9.5, 10), (95.0, 100), (24.0, 28)])
def test_erlang_a_tends_to_erlang_c(load: float, agents: int) -> None:
    """As patience grows Erlang A converges to Erlang C; patience = inf is Erlang C exactly."""
    handle = 180.0
    rate = load / handle
    c = erlang_c_metrics(rate, handle, agents, threshold=20.0)
    inf = erlang_a_metrics(rate, handle, math.inf, agents, threshold=20.0)
    assert (inf.p_wait, inf.asa, inf.mean_wait, inf.service_level, inf.p_abandon) == (
        c.p_wait,
        c.asa,
        c.asa,
        c.service_level,
        0.0,
    )
    far = erlang_a_metrics(rate, handle, 1e10, agents, threshold=20.0)
    for name in ("p_wait", "asa", "service_level", "occupancy", "mean_queue_length"):
        assert close(getattr(far, name), getattr(c, name), rel=1e-5), name
    assert far.p_abandon < 1e-6


def test_erlang_a_unstable_without_abandonment() -> None:
    """Infinite patience with load >= agents gives infinite waits and zero service level."""
    m = erlang_a_metrics(10 / 180, 180.0, math.inf, 10)
    assert m.p_wait == 1.0 and m.mean_wait == math.inf and m.service_level == 0.0 and m.p_abandon == 0.0


def test_erlang_a_zero_patience_is_erlang_b() -> None:
    """Zero patience: everyone who finds all agents busy abandons, so p_abandon = Erlang B,
    and tiny patience tends to it."""
    b = erlang_b(4.0, 5)
    m = erlang_a_metrics(4 / 180, 180.0, 0.0, 5)
    assert m.p_abandon == b and m.p_wait == b and m.mean_wait == 0.0 and m.service_level == 1 - b
    tiny = erlang_a_metrics(4 / 180, 180.0, 1e-6, 5)
    assert tiny.p_abandon == pytest.approx(b, rel=1e-6)


def test_erlang_a_no_calls() -> None:
    """No arrivals: nobody waits or abandons and the service level is 1."""
    m = erlang_a_metrics(0.0, 180.0, 60.0, 3)
    assert (m.p_wait, m.p_abandon, m.mean_wait, m.asa, m.service_level, m.occupancy) == (0, 0, 0, 0, 1, 0)


def test_erlang_a_5000_agents_stable() -> None:
    """5,000 agents with 4,900 Erlangs (and overloaded 6,000 Erlangs): finite, probabilities in
    [0, 1], no floating-point warnings, for patience from 1 s to 1e10 s."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for load in (4900.0, 6000.0):
            # (with overload the cost grows like sqrt(rate * patience) terms, so stop at 1e7 s there)
            for patience in (1.0, 180.0, 1e4, 1e7) + ((1e10,) if load < 5000 else ()):
                m = erlang_a_metrics(load / 300, 300.0, patience, 5000, threshold=20.0)
                for name in ("p_wait", "p_abandon", "service_level", "occupancy", "p_abandon_given_wait"):
                    value = getattr(m, name)
                    assert 0.0 <= value <= 1.0, (load, patience, name, value)
                for name in ("mean_wait", "asa", "mean_queue_length"):
                    assert math.isfinite(getattr(m, name)), (load, patience, name)
                if load > 5000 and patience >= 180.0:
                    # the queue never empties, so agents are always busy: 1 - p_abandon = n / a
                    assert m.p_abandon == pytest.approx(1 / 6, rel=1e-12)
        c = erlang_c_metrics(4900 / 300, 300.0, 5000)
        a = erlang_a_metrics(4900 / 300, 300.0, 1e10, 5000)
        assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6)


# --------------------------------------------------------------------------
# M/M/n/K
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "handle", "agents", "capacity"),
    [(1 / 60, 50.0, 1, 5), (0.1, 40.0, 3, 3), (0.1, 40.0, 3, 12), (0.5, 20.0, 10, 30), (0.25, 40.0, 10, 25), (2.0, 30.0, 40, 90)],
)
def test_mmnk_against_ctmc(rate: float, handle: float, agents: int, capacity: int) -> None:
    """M/M/n/K metrics equal the numerically solved finite chain (including load = agents exactly)."""
    mu = 1.0 / handle
    death = [min(k, agents) * mu for k in range(1, capacity + 1)]
    pi = gth_stationary(birth_death_generator(rate, death))
    lq = float(np.maximum(np.arange(capacity + 1) - agents, 0) @ pi)
    busy = float(np.minimum(np.arange(capacity + 1), agents) @ pi)
    got = mmnk_metrics(rate, handle, agents, capacity)
    p_block = float(pi[-1])
    assert close(got.p_block, p_block, rel=1e-10)
    assert close(got.p_wait, float(pi[agents:capacity].sum()), rel=1e-10)
    assert close(got.p_wait_given_admitted, float(pi[agents:capacity].sum()) / (1 - p_block), rel=1e-10)
    assert close(got.mean_queue_length, lq, rel=1e-10)
    assert close(got.mean_in_system, lq + busy, rel=1e-10)
    assert close(got.throughput, rate * (1 - p_block), rel=1e-10)
    assert close(got.occupancy, busy / agents, rel=1e-10)
    assert close(got.mean_wait, lq / (rate * (1 - p_block)), rel=1e-10)


def test_mm1k_closed_form() -> None:
    """M/M/1/K: p_block = (1-rho) rho^K / (1 - rho^(K+1)) and L = rho/(1-rho) - (K+1) rho^(K+1)/(1-rho^(K+1))."""
    for rho, k in [(0.5, 4), (0.9, 10), (1.3, 6)]:
        m = mmnk_metrics(rho / 60, 60.0, 1, k)
        p_block = (1 - rho) * rho**k / (1 - rho ** (k + 1))
        big_l = rho / (1 - rho) - (k + 1) * rho ** (k + 1) / (1 - rho ** (k + 1))
        assert close(m.p_block, p_block, rel=1e-12)
        assert close(m.mean_in_system, big_l, rel=1e-12)
        assert close(m.p_wait, 1 - (1 - rho) / (1 - rho ** (k + 1)) - p_block, rel=1e-12)


def test_mmnk_loss_system_is_erlang_b() -> None:
    """K = n (no waiting room) is the Erlang B loss system."""
    m = mmnk_metrics(0.1, 50.0, 7, 7)
    assert close(m.p_block, erlang_b(5.0, 7), rel=1e-13)
    assert m.p_wait == 0.0 and m.mean_queue_length == 0.0 and m.mean_wait == 0.0


def test_mmnk_large_capacity_tends_to_erlang_c() -> None:
    """With a huge waiting room M/M/n/K becomes Erlang C (P(wait | admitted) = C, wait = ASA),
    stays finite without warnings for K up to 1e9 and for overload."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        c = erlang_c_metrics(95 / 60, 60.0, 100)
        m = mmnk_metrics(95 / 60, 60.0, 100, 10**9)
        assert close(m.p_wait_given_admitted, c.p_wait, rel=1e-12)
        assert close(m.mean_wait, c.asa, rel=1e-10)
        assert close(m.mean_queue_length, c.mean_queue_length, rel=1e-10)
        assert m.p_block == 0.0
        over = mmnk_metrics(6000 / 300, 300.0, 5000, 5000 + 10**9)
        assert over.occupancy == pytest.approx(1.0, rel=1e-12) and over.p_block == pytest.approx(1 / 6, rel=1e-12)
        assert math.isfinite(over.mean_wait) and over.mean_queue_length == pytest.approx(1e9, rel=1e-6)
        critical = mmnk_metrics(1 / 60, 60.0, 1, 10**6)  # rho = 1: uniform over 0..K
        assert critical.mean_in_system == pytest.approx(10**6 / 2, rel=1e-12)


def test_mmnk_rejects_capacity_below_agents() -> None:
    """Capacity counts calls in service, so K < n is an error."""
    with pytest.raises(ValueError, match="capacity"):
        mmnk_metrics(0.1, 60.0, 5, 4)


# --------------------------------------------------------------------------
# staffing
# --------------------------------------------------------------------------


def test_erlang_c_agents_brute_force() -> None:
    """erlang_c_agents returns the first n (scanned by brute force over exact-fraction C) meeting
    the service level and/or ASA targets."""
    rate, h = 360 / 3600, 240.0  # 24 Erlangs
    for sl, asa in [(0.8, None), (None, 15.0), (0.9, 5.0), (0.5, None)]:
        n = erlang_c_agents(rate, h, service_level=sl, threshold=20.0, asa=asa)

        def meets(k: int) -> bool:
            if k <= 24:
                return False
            c = float(exact_erlang_c(Fraction(24), k))
            ok_sl = sl is None or 1 - c * math.exp(-(k - 24) * 20 / h) >= sl
            ok_asa = asa is None or c * h / (k - 24) <= asa
            return ok_sl and ok_asa

        assert meets(n) and not any(meets(k) for k in range(1, n)), (sl, asa, n)


def test_erlang_c_agents_large() -> None:
    """Staffing 4,900 Erlangs is fast and exact: the answer meets 80/20 and one fewer does not."""
    rate, h = 4900 / 300, 300.0
    n = erlang_c_agents(rate, h, service_level=0.8, threshold=20.0)
    assert erlang_c_service_level(rate, h, n, 20.0) >= 0.8 > erlang_c_service_level(rate, h, n - 1, 20.0)


@pytest.mark.parametrize(
    "targets",
    [
        {"service_level": 0.8},
        {"abandonment": 0.03},
        {"asa": 10.0},
        {"service_level": 0.9, "abandonment": 0.01, "asa": 5.0},
        {"service_level": 0.2},
    ],
)
def test_erlang_a_agents_meets_targets(targets: dict[str, float]) -> None:
    """erlang_a_agents: the answer meets every target and one agent fewer misses one."""
    rate, h, patience = 95 / 60, 60.0, 120.0

    def meets(n: int) -> bool:
        m = erlang_a_metrics(rate, h, patience, n, threshold=20.0)
        return (
            m.service_level >= targets.get("service_level", 0.0)
            and m.p_abandon <= targets.get("abandonment", 1.0)
            and m.asa <= targets.get("asa", math.inf)
        )

    n = erlang_a_agents(rate, h, patience, threshold=20.0, **targets)
    assert meets(n) and not meets(n - 1)


def test_erlang_a_agents_overload_allowed_and_inf_patience() -> None:
    """With abandonment a loose target can be met below the offered load; infinite patience
    staffs exactly like Erlang C."""
    n = erlang_a_agents(100 / 60, 60.0, 60.0, abandonment=0.2)
    assert n < 100
    assert erlang_a_agents(100 / 1800, 180.0, math.inf, service_level=0.8) == 14


def test_staffing_infeasible_targets_raise() -> None:
    """Unreachable or missing targets raise ValueError instead of searching forever."""
    with pytest.raises(ValueError, match="unreachable"):
        erlang_c_agents(0.1, 60.0, service_level=1.0, threshold=0.0)
    with pytest.raises(ValueError, match="unreachable"):
        erlang_c_agents(0.1, 60.0, asa=0.0)
    with pytest.raises(ValueError, match="unreachable"):
        erlang_a_agents(0.1, 60.0, 30.0, service_level=1.0, threshold=0.0)
    with pytest.raises(ValueError, match="unreachable"):
        erlang_a_agents(0.1, 60.0, 30.0, abandonment=0.0)
    with pytest.raises(ValueError, match="unreachable"):
        erlang_a_agents(0.1, 60.0, 30.0, asa=0.0)
    with pytest.raises(ValueError, match="at least one target"):
        erlang_c_agents(0.1, 60.0)
    with pytest.raises(ValueError, match="at least one target"):
        erlang_a_agents(0.1, 60.0, 30.0)
    with pytest.raises(ValueError, match="service_level"):
        erlang_c_agents(0.1, 60.0, service_level=1.5)


def test_square_root_staffing_and_beta() -> None:
    """Square-root staffing is ceil(R + beta sqrt(R)) and halfin_whitt_beta inverts it."""
    assert square_root_staffing(100.0, 1.0) == 110
    assert square_root_staffing(10.0, 0.5) == 12
    assert square_root_staffing(0.0, 1.0) == 0
    assert square_root_staffing(0.3, -2.0) == 1
    assert halfin_whitt_beta(100.0, 110) == pytest.approx(1.0)


def test_littles_law() -> None:
    """L = lambda W and its inverse."""
    assert littles_law_L(2.0, 30.0) == 60.0
    assert littles_law_W(60.0, 2.0) == 30.0


def test_input_validation() -> None:
    """Bad inputs fail with clear errors rather than nonsense numbers."""
    with pytest.raises(ValueError, match="load"):
        erlang_b(-1.0, 3)
    with pytest.raises(TypeError, match="agents"):
        erlang_c(2.0, 3.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="handle_time"):
        erlang_c_metrics(0.1, 0.0, 3)
    with pytest.raises(ValueError, match="patience"):
        erlang_a_metrics(0.1, 60.0, -1.0, 3)
    with pytest.raises(ValueError, match="agents"):
        erlang_a_metrics(0.1, 60.0, 30.0, 0)


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

loads = st.floats(min_value=0.0, max_value=300.0, allow_nan=False)
agent_counts = st.integers(min_value=1, max_value=400)


@settings(max_examples=150, deadline=None)
@given(load=loads, n=agent_counts)
def test_erlang_b_c_are_probabilities_decreasing_in_agents(load: float, n: int) -> None:
    """Erlang B and C lie in [0, 1], C >= B, and both fall (weakly) as agents are added."""
    b, b_next = erlang_b(load, n), erlang_b(load, n + 1)
    c, c_next = erlang_c(load, n), erlang_c(load, n + 1)
    assert 0.0 <= b_next <= b <= 1.0
    assert 0.0 <= c_next <= c * (1 + 1e-12) <= 1.0 + 1e-12
    assert c >= b * (1 - 1e-12)


@settings(max_examples=100, deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=200.0),
    handle=st.floats(min_value=10.0, max_value=900.0),
    patience=st.floats(min_value=1.0, max_value=3600.0),
    n=st.integers(min_value=1, max_value=250),
    threshold=st.floats(min_value=0.0, max_value=120.0),
)
@example(load=102.0, handle=12.0, patience=101.0, n=6, threshold=4.0)  # service level ~1e-279 (found once)
def test_erlang_a_probabilities_and_monotone(load: float, handle: float, patience: float, n: int, threshold: float) -> None:
    """Erlang A probabilities lie in [0, 1]; abandonment falls and service level rises with agents."""
    rate = load / handle
    m = erlang_a_metrics(rate, handle, patience, n, threshold=threshold)
    m_next = erlang_a_metrics(rate, handle, patience, n + 1, threshold=threshold)
    for r in (m, m_next):
        for name in ("p_wait", "p_abandon", "service_level", "occupancy", "p_abandon_given_wait"):
            assert 0.0 <= getattr(r, name) <= 1.0
        assert r.service_level <= 1 - r.p_abandon + 1e-12
    assert m_next.p_abandon <= m.p_abandon * (1 + 1e-10) + 1e-300
    # service level is accurate to ~1e-12 absolute, not relative: the queue's tail is cut where it is
    # negligible against the total probability (hypothesis found 2.6e-279 then 7.5e-282 at 17x overload)
    assert m_next.service_level >= m.service_level * (1 - 1e-10) - 1e-12
