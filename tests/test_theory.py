"""The engine against exact queueing theory (Erlang C, Erlang A, Little's law).

How the tolerances are set: each case runs R independent replications with a
warm-up; the per-replication values give a Student-t confidence interval at
level 99.9% (so a correct engine misses a given check with probability about
1/1000, and the fixed seed makes the outcome deterministic). A check passes
when the exact value lies inside that interval. Nothing is a hand-picked
tolerance, and ``test_checks_have_power`` shows on the same cases that an
engine with one agent fewer, or with patience ignored, would fail them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from queuesim import Scenario, simulate
from queuesim.analytic import erlang_a_metrics, erlang_c_metrics
from queuesim.measure.stats import mean_ci

LEVEL = 0.999


@dataclass(frozen=True)
class Case:
    name: str
    rate: float  # calls per second
    handle: float  # mean handle time, s
    patience: float  # mean patience, s (inf: Erlang C)
    agents: int
    horizon: float  # s
    warmup: float  # s
    replications: int

    def scenario(self, agents: int | None = None, patience: float | None = None) -> Scenario:
        pat = self.patience if patience is None else patience
        return Scenario.model_validate(
            {
                "name": self.name,
                "horizon": self.horizon,
                "warmup": self.warmup,
                "arrivals": {"rate": self.rate},
                "handle_time": {"distribution": "exponential", "mean": self.handle},
                "patience": None if math.isinf(pat) else {"distribution": "exponential", "mean": pat},
                "agents": agents or self.agents,
            }
        )

    def theory(self, agents: int | None = None) -> dict[str, float]:
        n = agents or self.agents
        if math.isinf(self.patience):
            c = erlang_c_metrics(self.rate, self.handle, n, threshold=20.0)
            return {"p_wait": c.p_wait, "abandonment_rate": 0.0, "asa": c.asa, "mean_wait": c.asa,
                    "service_level": c.service_level, "occupancy": c.occupancy,
                    "mean_queue_length": c.mean_queue_length}
        a = erlang_a_metrics(self.rate, self.handle, self.patience, n, threshold=20.0)
        return {"p_wait": a.p_wait, "abandonment_rate": a.p_abandon, "asa": a.asa, "mean_wait": a.mean_wait,
                "service_level": a.service_level, "occupancy": a.occupancy,
                "mean_queue_length": a.mean_queue_length}


CASES = [
    # Erlang C, a handful of agents: load 2.4 on 3 agents
    Case("erlang-c-3-agents", 0.6 / 60, 240.0, math.inf, 3, 40 * 3600, 4 * 3600, 12),
    # Erlang C, 120 agents at 92% load
    Case("erlang-c-120-agents", 110 / 60, 60.0, math.inf, 120, 13 * 3600, 3600, 20),
    # Erlang A, 5 agents
    Case("erlang-a-5-agents", 4.5 / 180, 180.0, 180.0, 5, 30 * 3600, 2 * 3600, 10),
    # Erlang A, the contract config: 95 Erlangs on 100 agents
    Case("erlang-a-contract", 95 / 60, 60.0, 120.0, 100, 8 * 3600, 1800, 10),
    # Overloaded: 25 Erlangs on 20 agents; only abandonment keeps the queue stable
    Case("overloaded-25-on-20", 25 / 60, 60.0, 60.0, 20, 8 * 3600, 1800, 10),
    # Overloaded single agent: 1.5 Erlangs on 1 agent
    Case("overloaded-1-agent", 1.5 / 120, 120.0, 30.0, 1, 60 * 3600, 3600, 10),
    # Light load: 3 Erlangs on 10 agents
    Case("light-3-on-10", 3 / 120, 120.0, 120.0, 10, 40 * 3600, 3600, 10),
]

METRICS_CHECKED = ["p_wait", "abandonment_rate", "asa", "mean_wait", "service_level", "occupancy", "mean_queue_length"]

_cache: dict[tuple, dict[str, np.ndarray]] = {}


def _simulate(case: Case, agents: int | None = None, patience: float | None = None) -> dict[str, np.ndarray]:
    key = (case.name, agents, patience)
    if key not in _cache:
        scenario = case.scenario(agents, patience)
        reps = [simulate(scenario, seed=20261123, replication=r, keep_calls=False).summary
                for r in range(case.replications)]
        _cache[key] = {m: np.array([s[m] for s in reps]) for m in METRICS_CHECKED}
    return _cache[key]


def _inside(values: np.ndarray, exact: float) -> tuple[bool, str]:
    if np.all(values == values[0]):
        return bool(math.isclose(values[0], exact, abs_tol=1e-12)), f"constant {values[0]} vs exact {exact}"
    est = mean_ci(values, level=LEVEL)
    return est.contains(exact), f"exact {exact:.6g} vs simulated {est.mean:.6g} +- {est.half_width:.3g} (99.9% CI)"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("metric", METRICS_CHECKED)
def test_simulation_matches_exact_theory(case: Case, metric: str) -> None:
    """Each metric's 99.9% replication CI contains the exact Erlang C / Erlang A value."""
    sim = _simulate(case)
    exact = case.theory()[metric]
    ok, detail = _inside(sim[metric], exact)
    assert ok, f"{case.name} {metric}: {detail}"


@pytest.mark.parametrize("case", [c for c in CASES if c.agents > 1], ids=lambda c: c.name)
def test_checks_have_power_against_one_agent_fewer(case: Case) -> None:
    """An engine running one agent fewer than configured would fail the theory checks."""
    sim = _simulate(case, agents=case.agents - 1)
    exact = case.theory()
    failures = [m for m in ("p_wait", "abandonment_rate", "asa", "mean_wait") if not _inside(sim[m], exact[m])[0]]
    assert failures, f"{case.name}: one agent fewer would pass every check; the test has no power"


@pytest.mark.parametrize("case", [c for c in CASES if math.isfinite(c.patience)], ids=lambda c: c.name)
def test_checks_have_power_against_ignored_patience(case: Case) -> None:
    """An engine that ignored patience would fail the abandonment check."""
    sim = _simulate(case, patience=math.inf)
    assert not _inside(sim["abandonment_rate"], case.theory()["abandonment_rate"])[0]
