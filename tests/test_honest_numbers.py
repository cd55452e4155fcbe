"""Numbers on screen: rate CIs inside [0, 1], percent for rates in every table, units required by erlang."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import queuesim as qs
from queuesim.cli import main
from queuesim.model.config import experiment_from_dict
from queuesim.measure.stats import mean_ci, proportion_ci

# Three short days with few agents: abandonment is small and varies a lot, so the plain
# Student-t interval of its mean reaches below 0.
LOW_ABANDONMENT = {
    "name": "t", "seed": 3, "replications": 3, "horizon": "1h", "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"}, "agents": 8,
}


def test_proportion_ci_stays_inside_zero_one_where_the_plain_one_does_not() -> None:
    """The issue's example: 0.076 with a plain interval of [-0.013, 0.166] (3 replications)."""
    values = [0.02, 0.1, 0.108]
    plain, bounded = mean_ci(values), proportion_ci(values)
    assert plain.low < 0
    assert 0 < bounded.low < bounded.mean < bounded.high < 1
    assert bounded.mean == plain.mean, "the estimate is still the plain mean"
    near_one = proportion_ci([0.95, 1.0, 0.999])
    assert mean_ci([0.95, 1.0, 0.999]).high > 1 and near_one.high < 1


def test_proportion_ci_is_the_plain_one_far_from_the_bounds() -> None:
    """Around 50% with a narrow interval, the logit-scale interval is nearly the Student-t one."""
    values = 0.5 + 0.01 * np.random.default_rng(1).standard_normal(40)
    plain, bounded = mean_ci(values), proportion_ci(values)
    assert bounded.low == pytest.approx(plain.low, abs=2e-4)
    assert bounded.high == pytest.approx(plain.high, abs=2e-4)


def test_proportion_ci_degenerate_and_out_of_range_cases() -> None:
    zero = proportion_ci([0.0, 0.0, 0.0])
    assert (zero.low, zero.mean, zero.high) == (0.0, 0.0, 0.0)
    one = proportion_ci([0.3])
    assert math.isnan(one.low) and math.isnan(one.high)
    over = proportion_ci([0.9, 1.2, 1.1])  # not a share: the plain interval
    assert (over.low, over.high) == (mean_ci([0.9, 1.2, 1.1]).low, mean_ci([0.9, 1.2, 1.1]).high)


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_proportion_ci_bounds_contain_the_mean_inside_zero_one(values: list[float], level: float) -> None:
    e = proportion_ci(values, level)
    assert 0.0 <= e.low <= e.mean + 1e-12 and e.mean - 1e-12 <= e.high <= 1.0


def test_results_use_the_bounded_interval_for_rates_in_tables_and_json(tmp_path: Path) -> None:
    """estimate(), the text table (in percent) and summary.json keep rate CIs inside [0, 1]."""
    result = qs.run(experiment_from_dict(LOW_ABANDONMENT), executor="serial", out=tmp_path / "r")
    values = result.values("t", "abandonment_rate")
    assert mean_ci(values).low < 0, "the example must be one where the plain interval leaves [0, 1]"
    est = result.estimate("t", "abandonment_rate")
    assert 0 < est.low < est.mean < est.high < 1
    assert result.estimate("t", "asa").low == mean_ci(result.values("t", "asa")).low, "times keep Student-t"
    line = next(x for x in result.table().splitlines() if x.strip().startswith("abandonment_rate"))
    assert line.rstrip().endswith("%") and "-" not in line.split("[")[1], line
    assert f"{100 * est.mean:.4g}" in line
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    low, high = summary["scenarios"][0]["metrics"]["abandonment_rate"]["ci95"]
    assert (low, high) == pytest.approx((est.low, est.high))
    assert result.summary().set_index("metric").loc["abandonment_rate", "ci95_low"] == pytest.approx(est.low)


def test_every_table_prints_rates_in_percent(tmp_path: Path) -> None:
    """The single-scenario table and the headline both show rates in %, never as fractions."""
    result = qs.run(experiment_from_dict({**LOW_ABANDONMENT, "variants": {"more": {"agents": 9}}}), executor="serial")
    for text in (result.table(), result.headline_table()):
        assert "fraction" not in text
        for metric in ("abandonment_rate", "service_level"):
            assert any(line.split()[:2] == [metric, "%"] or (line.split()[:1] == [metric] and line.rstrip().endswith("%"))
                       for line in text.splitlines()), (metric, text)


def test_erlang_refuses_bare_numbers_with_a_one_line_hint(capsys) -> None:
    """--rate 100 could mean per second or per hour: the CLI asks for the unit instead of guessing."""
    for argv, option, hint in [
        (["--rate", "100", "--handle-time", "3min"], "--rate 100", "--rate 100/h"),
        (["--rate", "100/h", "--handle-time", "3"], "--handle-time 3", "--handle-time 3min"),
        (["--rate", "100/h", "--handle-time", "3min", "--patience", "90"], "--patience 90", "--patience 90s"),
        (["--rate", "100/h", "--handle-time", "3min", "--threshold", "20"], "--threshold 20", "--threshold 20s"),
    ]:
        assert main(["erlang", *argv, "--agents", "10"]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and option in err and hint in err and "unit" in err, err


def test_erlang_with_units_prints_percent(capsys) -> None:
    assert main(["erlang", "--rate", "100/min", "--handle-time", "3min", "--agents", "320", "--patience", "2min"]) == 0
    out = capsys.readouterr().out
    assert "rate 6000.0/h, handle time 180.0 s" in out
    assert "abandonment rate         0.45 %" in out and "service level (20 s)     98.09 %" in out


def test_run_help_prints_a_single_percent_sign(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "95% confidence interval" in out and "%%" not in out


def test_interval_table_rate_bounds_stay_inside_zero_and_one() -> None:
    """intervals.csv: rates and shares carry logit-scale bounds inside [0, 1] (the half-width alone would not)."""
    import queuesim as qs

    scenario = qs.Scenario(horizon="3h", arrivals={"rate": "2/min"}, agents=3, report_interval="30min",
                           handle_time={"distribution": "exponential", "mean": "1min"},
                           patience={"distribution": "exponential", "mean": "2min"})
    result = qs.run(qs.Experiment(name="t", scenarios=(scenario,), replications=4), executor="serial")
    frame = result.intervals_frame()
    for column in ("abandonment_rate", "service_level", "occupancy"):
        low, high = frame[f"{column}_ci95_low"], frame[f"{column}_ci95_high"]
        mean = frame[column]
        ok = mean.notna() & low.notna()
        assert ok.sum() >= 5
        assert (low[ok] >= 0).all() and (high[ok] <= 1).all() and (low[ok] <= mean[ok] + 1e-12).all()
        assert (high[ok] >= mean[ok] - 1e-12).all()
    assert "asa_ci95_low" not in frame.columns
    small = frame["abandonment_rate"] - frame["abandonment_rate_ci95"]
    assert (small < 0).any(), "the case the bounds are for: a half-width reaching below 0"
