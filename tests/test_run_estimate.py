"""Long runs announce themselves: expected calls x measured calls per second, before the run starts."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import yaml

from queuesim.cli import main
from queuesim.model.config import experiment_from_dict
from queuesim.experiment import estimate

from .conftest import tiny_experiment


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_expected_calls_are_arrivals_plus_backlog_times_replications() -> None:
    spec = {**tiny_experiment(seed=1, replications=3), "backlog": 5}  # 2/min for 30 min: 60 calls, plus 5
    experiment = experiment_from_dict(spec)
    assert estimate.expected_calls(experiment, 3) == pytest.approx(2 * 65 * 3)


def test_small_runs_are_not_measured() -> None:
    experiment = experiment_from_dict(tiny_experiment(seed=1, replications=3))
    assert estimate.estimate_run(experiment, 3, parallel=1) is None


def test_the_estimate_uses_the_measured_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "MEASURE_ABOVE_CALLS", 0)
    experiment = experiment_from_dict(tiny_experiment(seed=1, replications=4))
    guess = estimate.estimate_run(experiment, 4, parallel=2)
    assert guess is not None and guess.calls == pytest.approx(480) and guess.calls_per_second > 0
    assert guess.seconds == pytest.approx(480 / (guess.calls_per_second * 2))


@pytest.mark.parametrize("measured,long", [(True, True), (True, False), (False, False)],
                         ids=["long-run", "measured-short-run", "small-run"])
def test_run_prints_the_estimate_only_for_long_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    measured: bool, long: bool) -> None:
    if measured:  # pretend the run is large: the pilot is simulated
        monkeypatch.setattr(estimate, "MEASURE_ABOVE_CALLS", 0)
    if long:  # pretend every run takes long
        monkeypatch.setattr(estimate, "ANNOUNCE_ABOVE", 0.0)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(tiny_experiment(seed=1, replications=2)), encoding="utf-8")
    code, _, err = _cli("run", str(config), "--executor", "serial")
    assert code == 0, err
    announced = [line for line in err.splitlines() if "calls to simulate" in line]
    assert len(announced) == (1 if long else 0), err
    if long:
        assert "calls/s" in announced[0] and "should take about" in announced[0]
    code, _, err = _cli("run", str(config), "--executor", "serial", "--quiet")
    assert "calls to simulate" not in err


def test_long_replications_report_the_simulated_time_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the interval set to 0 every chunk of calls is reported; by default only after 30 s of a replication."""
    from queuesim.experiment import executors

    spec = {**tiny_experiment(seed=1, replications=1), "horizon": "8h", "arrivals": {"rate": "5/s"}, "agents": 1600,
            "variants": {}}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, _, err = _cli("run", str(config), "--executor", "serial")
    assert code == 0 and "simulated time" not in err, err  # a replication of seconds says nothing
    monkeypatch.setattr(executors, "INNER_PROGRESS_SECONDS", 0.0)
    code, _, err = _cli("run", str(config), "--executor", "serial")
    notes = [line for line in err.splitlines() if "simulated time" in line]
    assert code == 0 and notes, err
    assert notes[0].startswith("[queuesim] base replication 0: simulated time ") and notes[-1].endswith(" of 08:00")
    code, _, err = _cli("run", str(config), "--executor", "serial", "--quiet")
    assert "simulated time" not in err
