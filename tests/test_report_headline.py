"""Headline comparison of multi-scenario runs, `run --report`, the cost figure and the Vincentized CDF."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from queuesim.cli import main
from queuesim.experiment.results import ExperimentResult, HeadlineCell, format_cell
from queuesim.report.charts import COST_COLORS, cost_figure, wait_cdf_figure

BASE = {
    "name": "hold",
    "seed": 5,
    "replications": 4,
    "horizon": "30min",
    "arrivals": {"rate": "3/min"},
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"},
    "agents": 8,
    "costs": {"currency": "CHF", "agent_per_hour": 30, "trunk_per_minute_hold": 0.05, "customer_minute": 0.5,
              "abandoned_call": 3, "churn": {"lifetime_value": 200, "abandoned": 0.05}},
    "variants": {
        "more-agents": {"agents": 10},
        "virtual-hold": {"callback": {"kind": "virtual_hold", "threshold": "30s", "acceptance": 0.6}},
    },
}


@pytest.fixture(scope="module")
def flagship_like(tmp_path_factory) -> tuple[Path, Path, str]:
    """A tiny three-variant experiment with costs and a callback, run once with --report."""
    folder = tmp_path_factory.mktemp("headline")
    config = folder / "c.yaml"
    config.write_text(yaml.safe_dump(BASE))
    out = folder / "out"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["run", str(config), "--out", str(out), "--report", "-q", "--executor", "serial"])
    assert code == 0
    return config, out, buffer.getvalue()


def test_multi_scenario_run_prints_the_headline_table(flagship_like) -> None:
    """One column per scenario, headline rows only, paired differences with CIs, units and the currency."""
    _, out, printed = flagship_like
    assert "scenario:" not in printed  # no long per-scenario tables by default
    header = next(line for line in printed.splitlines() if line.strip().startswith("metric"))
    assert header.split()[:5] == ["metric", "unit", "hold", "more-agents", "virtual-hold"]
    rows = {line.split()[0]: line for line in printed.splitlines() if line.startswith("  ") and line.split()}
    for metric in ["mean_wait", "wait_p90", "abandonment_rate", "service_level", "asa", "occupancy",
                   "callback_accepts", "callbacks_completed", "promise_kept_rate", "callback_delay",
                   "cost_total", "cost_agents", "cost_trunk", "cost_customer_time", "cost_abandonment",
                   "cost_churn", "cost_per_call"]:
        assert metric in rows, metric
    assert "offered" not in rows and "wait_p99" not in rows and "expected_churn" not in rows
    assert "prediction_error" not in rows  # not a headline metric
    assert rows["cost_total"].split()[1] == "CHF" and rows["cost_per_call"].split()[1:4] == ["CHF", "per", "call"]
    assert rows["abandonment_rate"].split()[1] == "%" and rows["mean_wait"].split()[1] == "s"
    # Adding agents costs exactly 2 agents x 0.5 h x 30 CHF more in every replication: a significant difference.
    assert re.search(r"\(\+30\.0 ± 0(\.0)?\)\*", rows["cost_agents"])
    # The values are those of the result: baseline mean, then variant mean and paired difference.
    result = ExperimentResult.load(out)
    est = result.estimate("hold", "mean_wait")
    assert f"{est.mean:.0f}" in rows["mean_wait"] or f"{est.mean:.1f}" in rows["mean_wait"]
    c = result.comparison("more-agents", "hold", "mean_wait")
    assert f"{c.difference:+.0f}" in rows["mean_wait"] or f"{c.difference:+.1f}" in rows["mean_wait"]
    assert "report.html" in printed


def test_full_flag_adds_every_metric_and_skips_all_nan(flagship_like, capsys) -> None:
    """--full prints the per-scenario tables (no all-NaN metrics, every unit) and then the headline."""
    config, out, _ = flagship_like
    assert main(["run", str(config), "--out", str(out), "--resume", "--full", "-q"]) == 0
    printed = capsys.readouterr().out
    blocks = printed.split("scenario: ")
    hold = next(b for b in blocks if b.startswith("hold "))
    assert "callback_accepts" not in hold and "balked" not in hold  # NaN in every replication of 'hold'
    vh = next(b for b in blocks if b.startswith("virtual-hold "))
    assert "callback_accepts" in vh
    for line in hold.splitlines()[2:]:
        if line.strip():
            assert line.split()[-1] in {"count", "%", "s", "callers", "CHF", "customers", "call"}, line
    assert "cost_total" in hold and re.search(r"cost_total .* CHF$", hold, re.M)
    assert printed.index("scenario: hold") < printed.index("  metric  ")  # headline after the full tables


def test_single_scenario_keeps_the_full_table(tmp_path: Path, capsys) -> None:
    config = tmp_path / "one.yaml"
    config.write_text(yaml.safe_dump({k: v for k, v in BASE.items() if k != "variants"}))
    assert main(["run", str(config), "-q", "--executor", "serial"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("scenario: hold") and "95% CI" in printed and "wait_p99" in printed
    assert "callback_accepts" not in printed and "difference vs" not in printed


def test_report_flag_needs_out(tmp_path: Path, capsys) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(BASE))
    assert main(["run", str(config), "--report", "-q"]) == 2
    assert "--report needs --out" in capsys.readouterr().err


def test_report_flag_writes_report_with_headline_and_cost_figure(flagship_like) -> None:
    _, out, _ = flagship_like
    assert (out / "report.html").exists() and (out / "report.md").exists()
    assert (out / "figures" / "costs.png").exists() and (out / "figures" / "wait-cdf.png").exists()
    md = (out / "report.md").read_text()
    assert "## Headline" in md and "| measure | unit | hold | more-agents | virtual-hold |" in md
    assert "| Total cost of the day | CHF |" in md and "(figures/costs.png)" in md
    assert "each percentile averaged over the simulated days" in md
    page = (out / "report.html").read_text()
    assert '<table class="headline">' in page and 'id="costs"' in page and "<strong>" in page


def test_cost_figure_stacks_components_to_the_total(flagship_like) -> None:
    """The five stacked segments of a bar add up to the mean total; the baseline has no whisker (its
    total is the dashed reference line; the others' whiskers are their paired differences)."""
    _, out, _ = flagship_like
    result = ExperimentResult.load(out)
    fig = cost_figure(result)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    names = result.scenario_names
    components = [c for c in COST_COLORS if c in result.metric_names()]  # cost_attrition only with costs.attrition
    assert len(components) == 5 and len(bars) == len(components) * len(names)
    for i, name in enumerate(names):
        widths = [bars[j * len(names) + i].get_width() for j in range(len(components))]
        assert sum(widths) == pytest.approx(result.estimate(name, "cost_total").mean, rel=1e-9)
    (segments,) = [c for c in ax.collections if c.get_segments()]
    first = segments.get_segments()[0]
    est = result.estimate(names[0], "cost_total")
    assert first[0][0] == pytest.approx(est.mean) and first[1][0] == pytest.approx(est.mean)
    assert "CHF" in ax.get_xlabel() and ax.get_title()


def test_cdf_is_the_vincent_average_of_replication_quantiles(flagship_like) -> None:
    """Without call logs, each curve is the mean over replications of the 101 hold-time quantiles."""
    _, out, _ = flagship_like
    result = ExperimentResult.load(out)
    assert all(r.calls is None and r.wait_quantiles is not None for r in result.replications)
    fig = wait_cdf_figure(result, bands=False)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("hold:")]
    assert len(lines) == 1
    expected = np.mean([r.wait_quantiles for r in result.replications if r.scenario == "hold"], axis=0)
    np.testing.assert_allclose(lines[0].get_xdata(), expected)
    np.testing.assert_allclose(lines[0].get_ydata(), np.linspace(0, 100, 101))
    assert "each percentile averaged over the simulated days" in fig.axes[0].get_xlabel()


def test_cdf_falls_back_to_quantile_points_without_quantiles(flagship_like) -> None:
    """Results written before wait_quantiles existed still get a figure (the three percentile points)."""
    import dataclasses

    _, out, _ = flagship_like
    result = ExperimentResult.load(out)
    old = dataclasses.replace(result, replications=[dataclasses.replace(r, wait_quantiles=None)
                                                    for r in result.replications])
    fig = wait_cdf_figure(old)
    assert "percentiles" in fig.axes[0].get_xlabel()


@pytest.mark.parametrize(
    ("cell", "scale", "text"),
    [
        (HeadlineCell(31.93, 4.1), 1.0, "31.9"),
        (HeadlineCell(31.93, 4.1, -12.13, 3.42), 1.0, "31.9  (-12.1 ± 3.4)*"),
        (HeadlineCell(0.1781, 0.018, 0.0024, 0.0086), 100.0, "17.8  (+0.24 ± 0.86)"),
        (HeadlineCell(87090.9, 6790.5, -18269.4, 3046.2), 1.0, "87,091  (-18,269 ± 3,046)*"),
        (HeadlineCell(math.nan, math.nan), 1.0, "–"),
    ],
)
def test_headline_cell_format(cell: HeadlineCell, scale: float, text: str) -> None:
    assert format_cell(cell, scale) == text


def test_headline_leaves_out_metrics_nan_everywhere(flagship_like) -> None:
    """A row exists when some scenario has the metric: callback rows vanish without the callback variant."""
    import dataclasses

    _, out, _ = flagship_like
    result = ExperimentResult.load(out)
    assert "callback_accepts" in [r.metric for r in result.headline()]
    without = dataclasses.replace(result, replications=[r for r in result.replications if r.scenario != "virtual-hold"])
    metrics = [r.metric for r in without.headline()]
    assert "callback_accepts" not in metrics and "promise_kept_rate" not in metrics and "mean_wait" in metrics
    row = next(r for r in result.headline() if r.metric == "mean_wait")
    assert row.cells[0].difference is None and row.cells[1].difference is not None


def test_headline_shows_the_callers_who_stayed_on_the_line_apart(flagship_like) -> None:
    """The callback variant's live callers against the plain hold loop's callers (all of whom stayed on the line):
    without a callback option the live metrics are the overall ones, paired by replication."""
    _, out, printed = flagship_like
    result = ExperimentResult.load(out)
    rows = {r.metric: r for r in result.headline()}
    for live, overall in [("live_mean_wait", "mean_wait"), ("live_wait_p90", "wait_p90"),
                          ("live_abandonment_rate", "abandonment_rate"), ("live_service_level", "service_level")]:
        assert rows[live].group == "callers who stayed on the line"
        assert rows[live].cells[0].mean == rows[overall].cells[0].mean  # the hold loop: everyone stayed
        assert rows[live].cells[1].mean == rows[overall].cells[1].mean  # more agents: no callback either
        assert np.array_equal(result.values("hold", live), result.values("hold", overall))
        assert rows[live].cells[2].difference is not None
    assert "live_mean_wait" in printed
    # the callback takers are not among the live callers: their service level is that of those who stayed
    vh = result.values("virtual-hold", "live_service_level")
    assert np.all(vh >= result.values("virtual-hold", "service_level"))
