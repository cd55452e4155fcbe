"""The cost model: totals equal the sum of components; each component follows its unit price."""

from __future__ import annotations


import numpy as np
import pytest

from queuesim import ConfigError, Scenario, simulate
from queuesim.model.config import experiment_from_dict

EXP = {"distribution": "exponential"}
PRICES = {
    "currency": "EUR",
    "agent_per_hour": 30.0,
    "trunk_per_minute_hold": 0.03,
    "trunk_per_minute_talk": 0.02,
    "customer_minute": 0.4,
    "abandoned_call": 3.0,
    "churn": {"lifetime_value": 800.0, "base": 0.001, "per_wait_minute": 0.004, "abandoned": 0.05, "max": 0.5},
}


def _scenario(**extra) -> Scenario:
    spec = {"horizon": "4h", "arrivals": {"rate": "3/min"}, "handle_time": {**EXP, "mean": "3min"},
            "patience": {**EXP, "mean": "2min"}, "agents": 9, "costs": PRICES}
    spec.update(extra)
    return Scenario.model_validate(spec)


def test_total_is_sum_of_components_and_prices_apply() -> None:
    """cost_total = sum of components; each component recomputed from the call log by hand."""
    res = simulate(_scenario(), seed=4)
    s, calls = res.summary, res.calls
    parts = ["cost_agents", "cost_trunk", "cost_customer_time", "cost_abandonment", "cost_churn"]
    assert s["cost_total"] == pytest.approx(sum(s[p] for p in parts), rel=1e-12)
    assert s["cost_agents"] == pytest.approx(9 * 4 * 30.0)
    hold = calls.wait.sum() / 60
    talk = np.nansum(calls.handle_time) / 60
    assert s["cost_trunk"] == pytest.approx(0.03 * hold + 0.02 * talk)
    assert s["cost_customer_time"] == pytest.approx(0.4 * hold)
    assert s["cost_abandonment"] == pytest.approx(3.0 * s["abandoned"])
    p = np.minimum(0.001 + 0.004 * calls.wait / 60 + 0.05 * calls.abandoned, 0.5)
    assert s["cost_churn"] == pytest.approx(800.0 * p.sum())
    assert s["cost_per_call"] == pytest.approx(s["cost_total"] / s["offered"])


def test_churn_counts_callers_once_across_redials() -> None:
    """With redials, churn adds a caller's waits over attempts and counts 'never answered' once."""
    sc = _scenario(redial={"probability": 0.7, "delay": {**EXP, "mean": "5min"}, "max_attempts": 3})
    res = simulate(sc, seed=9)
    calls = res.calls
    ids, inverse = np.unique(calls.caller, return_inverse=True)
    total_wait = np.bincount(inverse, weights=calls.wait)
    served = np.bincount(inverse, weights=calls.answered) > 0
    p = np.minimum(0.001 + 0.004 * total_wait / 60 + 0.05 * ~served, 0.5)
    # all callers' first calls are inside [0, horizon)
    assert res.summary["expected_churn"] == pytest.approx(p.sum())


def test_no_costs_block_no_cost_metrics() -> None:
    """Without a costs block no cost metric is reported."""
    res = simulate(_scenario(costs=None), seed=1)
    assert not any(k.startswith("cost") for k in res.summary)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"agent_per_hour": -1}, "costs.agent_per_hour"),
        ({"churn": {"base": 1.5}}, "costs.churn.base"),
        ({"customer_minute": "cheap"}, "costs.customer_minute"),
        ({"trunk_per_minute": 0.01}, "did you mean"),
    ],
)
def test_invalid_costs_are_named(change: dict, fragment: str) -> None:
    """Negative prices, probabilities above 1, wrong types and misspelt keys are named."""
    data = {"horizon": "1h", "arrivals": {"rate": "1/min"}, "handle_time": {**EXP, "mean": 60}, "agents": 2,
            "costs": {**PRICES, **change}}
    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data)
    assert fragment in str(info.value)


def test_churn_per_transfer_counts_every_transfer_of_a_callers_calls() -> None:
    """With only ``per_transfer`` priced, expected churn is per_transfer x the transfers of the
    window's callers over all their calls (a replication once left this term out)."""
    from queuesim import load_config

    scenario = load_config("configs/transfers.yaml").scenarios[0]
    churn = {"lifetime_value": 100.0, "per_transfer": 0.02, "max": 1.0}
    scenario = scenario.model_copy(update={"costs": scenario.costs.model_copy(
        update={"churn": scenario.costs.churn.model_validate(churn)})})
    res = simulate(scenario, seed=4)
    calls = res.calls
    first = (calls.attempt == 1) & (calls.arrival >= scenario.warmup) & (calls.arrival < float(scenario.horizon))
    mine = np.isin(calls.caller, calls.caller[first])
    transfers = int(calls.transfers[mine].sum())
    assert transfers > 100
    assert res.summary["expected_churn"] == pytest.approx(0.02 * transfers, rel=1e-12)
    assert res.summary["cost_churn"] == pytest.approx(100.0 * 0.02 * transfers, rel=1e-12)
