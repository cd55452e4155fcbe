"""Who pays for a callback option: the callers who stayed on the line, measured on their own."""

from __future__ import annotations

import numpy as np
import pytest

from queuesim import simulate
from queuesim.measure.calllog import ABANDONED, ANSWERED, BALKED

from .test_streaming import _scenario


@pytest.mark.parametrize("name", ["virtual hold+redials", "scheduled+shifts", "web form"])
def test_live_metrics_are_those_of_the_calls_that_took_no_callback(name: str) -> None:
    scenario = _scenario(name)
    result = simulate(scenario, seed=5)
    calls, summary = result.calls, result.summary
    counted = (calls.arrival >= scenario.warmup) & (calls.arrival < float(scenario.horizon))
    stayed = counted & (calls.callback == 0)
    took = counted & (calls.callback > 0)
    assert took.sum() > 20 and stayed.sum() > 500  # the two groups exist
    wait = calls.wait[stayed]
    lost = np.isin(calls.outcome[stayed], [ABANDONED, BALKED])
    within = (calls.outcome[stayed] == ANSWERED) & (wait <= scenario.service_level_threshold)
    assert summary["live_mean_wait"] == pytest.approx(wait.mean(), rel=1e-12)
    assert summary["live_abandonment_rate"] == pytest.approx(lost.mean(), rel=1e-12)
    assert summary["live_service_level"] == pytest.approx(within.mean(), rel=1e-12)
    # the histogram's 0.1 % resolution
    assert summary["live_wait_p90"] == pytest.approx(np.quantile(wait, 0.9), rel=2e-3, abs=1e-9)
    # callback takers count as 0 s of hold and as service-level misses in the headline numbers, not here
    assert summary["live_service_level"] > summary["service_level"]


def test_without_a_callback_option_the_live_callers_are_all_the_callers() -> None:
    scenario = _scenario("informative/queue_length")
    summary = simulate(scenario, seed=5).summary
    assert summary["live_mean_wait"] == pytest.approx(summary["mean_wait"], rel=1e-12)
    assert summary["live_service_level"] == pytest.approx(summary["service_level"], rel=1e-12)
    assert summary["live_abandonment_rate"] == pytest.approx(summary["abandonment_rate"], rel=1e-12)


def test_the_plain_model_reports_no_live_metrics() -> None:
    assert "live_mean_wait" not in simulate(_scenario("plain"), seed=5).summary


def test_the_agent_time_of_redials_is_the_talk_of_the_calls_that_were_redials() -> None:
    scenario = _scenario("virtual hold+redials")
    result = simulate(scenario, seed=5)
    calls = result.calls
    counted = (calls.arrival >= scenario.warmup) & (calls.arrival < float(scenario.horizon))
    again = counted & (calls.outcome == ANSWERED) & (calls.attempt > 1)
    assert again.sum() > 50
    assert result.summary["redial_agent_time"] == pytest.approx(calls.handle_time[again].sum(), rel=1e-12)
    assert "redial_agent_time" not in simulate(_scenario("plain"), seed=5).summary
