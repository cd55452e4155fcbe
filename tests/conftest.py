"""Shared fixtures and helpers for the queuesim test suite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests draw their examples from a fixed seed per test, so CI is reproducible: a test that
# passed on main passes on a fresh clone. HYPOTHESIS_PROFILE=explore draws fresh examples each run
# (do that locally, and keep any failure it finds as an explicit @example).
settings.register_profile("reproducible", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))

from queuesim import Scenario

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


#: A small day for the staffing tests: four hours of arrivals from 08:00, 5 agents (append keys as needed).
SMALL_DAY = """
name: small-day
seed: 4
replications: 6
arrivals: {interval: 1h, start: "08:00", calls: [60, 150, 90, 60]}
handle_time: {distribution: exponential, mean: 4min}
patience: {distribution: exponential, mean: 5min}
agents: 5
"""


def tiny_experiment(seed: int, replications: int) -> dict[str, Any]:
    """A small two-scenario experiment config (base and one more agent) as a dict."""
    return {
        "name": "base",
        "seed": seed,
        "replications": replications,
        "horizon": "30min",
        "arrivals": {"rate": "2/min"},
        "handle_time": {"distribution": "exponential", "mean": "3min"},
        "patience": {"distribution": "exponential", "mean": "2min"},
        "agents": 6,
        "variants": {"more": {"agents": 7}},
    }


def make_scenario(**overrides: Any) -> Scenario:
    """A small single-queue scenario; keyword arguments override its fields."""
    spec: dict[str, Any] = {
        "name": "small",
        "horizon": "1h",
        "warmup": 0,
        "arrivals": {"rate": "2/min"},
        "handle_time": {"distribution": "exponential", "mean": "3min"},
        "patience": {"distribution": "exponential", "mean": "2min"},
        "agents": 6,
    }
    spec.update(overrides)
    return Scenario.model_validate(spec)


@pytest.fixture
def small_scenario() -> Scenario:
    return make_scenario()


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``queuesim ARGV`` in this process: (exit code, stdout, stderr); argparse's exits become codes."""
    import contextlib
    import io

    from queuesim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def config_error(data: dict) -> str:
    """The ConfigError message of an invalid config dict (asserted to be one line)."""
    from queuesim.model.config import ConfigError, experiment_from_dict

    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data, source="cfg.yaml")
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    return message
