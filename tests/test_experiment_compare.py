"""Paired comparisons under common random numbers: paired CIs narrower than unpaired ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import queuesim as qs
from queuesim.model.config import experiment_from_dict
from queuesim.measure.metrics import METRICS
from queuesim.experiment.compare import paired_comparison

from .conftest import tiny_experiment

BASE = tiny_experiment(seed=11, replications=12)


@pytest.fixture(scope="module")
def result() -> qs.ExperimentResult:
    return qs.run(experiment_from_dict(BASE))


def test_paired_comparison_against_scipy() -> None:
    """Paired CI = one-sample t on differences; unpaired = Welch; ratio = (s_x^2 + s_y^2) / s_d^2."""
    rng = np.random.default_rng(0)
    common = rng.normal(size=15)
    x = common + rng.normal(scale=0.2, size=15) + 0.5
    y = common + rng.normal(scale=0.2, size=15)
    c = paired_comparison(x, y)
    d = x - y
    lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert math.isclose(c.paired_low, lo) and math.isclose(c.paired_high, hi)
    welch = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert math.isclose(c.unpaired_low, welch.low) and math.isclose(c.unpaired_high, welch.high)
    assert math.isclose(c.variance_reduction, (x.var(ddof=1) + y.var(ddof=1)) / d.var(ddof=1))


def test_paired_comparison_edge_cases() -> None:
    """NaN pairs are dropped; identical differences give an infinite variance reduction."""
    c = paired_comparison([1.0, 2.0, math.nan, 4.0], [0.0, 1.0, 5.0, 3.0])
    assert c.n == 3 and c.difference == 1.0 and c.variance_reduction == math.inf
    assert math.isnan(paired_comparison([1.0], [2.0]).paired_low)
    with pytest.raises(ValueError, match="same replications"):
        paired_comparison([1.0, 2.0], [1.0])


def test_crn_paired_ci_narrower_on_a_policy_comparison(result: qs.ExperimentResult) -> None:
    """One more agent: the paired CI of the abandonment difference is narrower than the unpaired one."""
    for metric in ("abandonment_rate", "mean_wait", "service_level"):
        c = result.comparison("more", metric=metric)
        assert c.paired_half_width < c.unpaired_half_width, metric
        assert c.variance_reduction > 1.5, metric
    c = result.comparison("more", metric="abandonment_rate")
    assert c.paired_high < 0  # more agents: fewer callers hang up, and pairing shows it


def test_compare_frame_and_summary_json(result: qs.ExperimentResult) -> None:
    """compare() gives one row per metric; summary.json gains `comparisons`, keeps its keys."""
    frame = result.compare("more", baseline="base")
    assert set(frame["metric"]) >= set(METRICS)
    row = frame[frame["metric"] == "offered"].iloc[0]
    assert row["difference"] == 0.0  # same callers in both scenarios (common random numbers)
    one = result.compare("more", metric="asa")
    assert list(one["metric"]) == ["asa"] and one["paired_low"].iloc[0] <= one["paired_high"].iloc[0]
    doc = result.to_summary_json()
    assert {"experiment", "seed", "queuesim_version", "scenarios"} <= set(doc)
    (cmp,) = doc["comparisons"]
    assert cmp["variant"] == "more" and cmp["baseline"] == "base" and cmp["replications"] == 12
    entry = cmp["metrics"]["abandonment_rate"]
    assert set(entry) == {"difference", "paired_ci95", "unpaired_ci95", "variance_reduction"}
    assert cmp["metrics"]["offered"]["variance_reduction"] is None  # infinite -> null
    with pytest.raises(KeyError, match="no scenario"):
        result.compare("fewer")


def test_plots_return_figures(result: qs.ExperimentResult) -> None:
    """ExperimentResult.plot returns matplotlib Figures for each kind that applies."""
    from matplotlib.figure import Figure

    for kind, options in [("metric", {}), ("metric", {"metric": "asa"}), ("wait_quantiles", {}),
                          ("wait_cdf", {}), ("compare", {"metric": "service_level"})]:
        fig = result.plot(kind, **options)
        assert isinstance(fig, Figure) and fig.axes[0].get_title()
    with pytest.raises(ValueError, match="no sweep"):
        result.plot("sweep")
    with pytest.raises(ValueError, match="not known"):
        result.plot("pie")
