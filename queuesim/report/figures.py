"""Figures of an experiment's results (matplotlib, Agg backend: nothing is shown).

Every function takes an :class:`~queuesim.experiment.results.ExperimentResult`
and returns a :class:`matplotlib.figure.Figure`. Colours come from the
Okabe-Ito palette (safe for colour-blind readers) and are the same for a
scenario in every figure: one colour per variant in sweeps (the sweep point
is on the x axis), one per scenario otherwise. Titles state the finding; axis
labels carry units.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Optional

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..metrics import METRIC_DESCRIPTIONS  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from ..experiment.results import ExperimentResult

__all__ = [
    "KINDS",
    "OKABE_ITO",
    "compare_figure",
    "intraday_figure",
    "metric_figure",
    "plot",
    "scenario_colors",
    "sweep_figure",
    "wait_cdf_figure",
    "wait_quantiles_figure",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black last: used for reference lines).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

_LABELS = {
    "abandonment_rate": "abandonment rate (% of offered calls)",
    "service_level": "service level (% answered within threshold)",
    "p_wait": "calls that waited (% of offered)",
    "occupancy": "agent occupancy (%)",
    "asa": "average speed of answer (s)",
    "mean_wait": "mean wait, all calls (s)",
}
_PERCENT = {"abandonment_rate", "service_level", "p_wait", "occupancy"}


def _unit(metric: str) -> str:
    text = METRIC_DESCRIPTIONS.get(metric, "")
    return text[text.rfind("(") + 1 : -1] if text.endswith(")") else ""


def metric_label(metric: str) -> str:
    """Axis label with unit, e.g. ``abandonment rate (% of offered calls)``."""
    if metric in _LABELS:
        return _LABELS[metric]
    unit = _unit(metric)
    if metric in _PERCENT or unit == "fraction":
        return f"{metric.replace('_', ' ')} (%)"
    return f"{metric.replace('_', ' ')} ({unit})" if unit else metric.replace("_", " ")


def _scale(metric: str) -> float:
    """Fractions are drawn as percentages."""
    return 100.0 if metric in _PERCENT or _unit(metric) == "fraction" else 1.0


def _fmt(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if _scale(metric) == 100.0:
        return f"{100 * value:.1f}%"
    unit = _unit(metric)
    unit = " s" if unit == "s" else ""
    return f"{value:,.3g}{unit}" if abs(value) < 1000 else f"{value:,.0f}{unit}"


def _group(result: "ExperimentResult", name: str) -> str:
    point = result.experiment.point(name)
    return point.variant if point is not None and result.experiment.sweep_keys else name


def scenario_colors(result: "ExperimentResult") -> dict[str, str]:
    """Scenario name -> colour: per variant in sweeps, per scenario otherwise (cycling)."""
    groups: list[str] = []
    for name in result.scenario_names:
        g = _group(result, name)
        if g not in groups:
            groups.append(g)
    palette = OKABE_ITO[:-1]
    return {name: palette[groups.index(_group(result, name)) % len(palette)] for name in result.scenario_names}


def _new(width: float = 7.5, height: float = 4.5) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, axis="both", alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def _styles(result: "ExperimentResult", names: list[str]) -> dict[str, str]:
    """Line style per scenario: scenarios sharing a colour (a variant's sweep points) get different dashes."""
    seen: dict[str, int] = {}
    out = {}
    for n in names:
        g = _group(result, n)
        out[n] = ("-", "--", ":", "-.")[seen.get(g, 0) % 4]
        seen[g] = seen.get(g, 0) + 1
    return out


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# -- bars ------------------------------------------------------------------------
def metric_figure(result: "ExperimentResult", metric: str = "abandonment_rate") -> Figure:
    """Mean of ``metric`` per scenario with its 95% CI (horizontal bars)."""
    names = result.scenario_names
    colors = scenario_colors(result)
    k = _scale(metric)
    est = [result.estimate(n, metric) for n in names]
    means = np.array([e.mean for e in est]) * k
    errs = np.array([0.0 if math.isnan(e.half_width) else e.half_width for e in est]) * k
    fig, ax = _new(7.5, max(2.5, 0.38 * len(names) + 1.6))
    y = np.arange(len(names))
    ax.barh(y, np.nan_to_num(means), xerr=errs, color=[colors[n] for n in names], alpha=0.85,
            error_kw={"ecolor": "black", "capsize": 3, "lw": 1})
    ax.set_yticks(y, [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(metric_label(metric) + " — bars: mean, whiskers: 95% CI")
    finite = [(m, n) for m, n in zip(means, names) if math.isfinite(m)]
    if len(finite) >= 2:
        lo, hi = min(finite), max(finite)
        ax.set_title(f"{metric.replace('_', ' ').capitalize()}: from {_fmt(metric, lo[0] / k)} "
                     f"({_short(lo[1], 24)}) to {_fmt(metric, hi[0] / k)} ({_short(hi[1], 24)})", fontsize=10)
    elif finite:
        ax.set_title(f"{metric.replace('_', ' ').capitalize()}: {_fmt(metric, finite[0][0] / k)}", fontsize=10)
    return fig


def wait_quantiles_figure(result: "ExperimentResult") -> Figure:
    """Median, 90th and 99th percentile waits per scenario, with 95% CIs."""
    names = result.scenario_names
    colors = scenario_colors(result)
    quantiles = [("wait_p50", "median", "o"), ("wait_p90", "90th percentile", "s"), ("wait_p99", "99th percentile", "^")]
    quantiles = [q for q in quantiles if q[0] in result.metric_names()]
    fig, ax = _new(7.5, max(2.5, 0.38 * len(names) + 1.8))
    y = np.arange(len(names))
    for j, (metric, label, marker) in enumerate(quantiles):
        est = [result.estimate(n, metric) for n in names]
        for i, (n, e) in enumerate(zip(names, est)):
            ax.errorbar(e.mean, y[i] + (j - 1) * 0.2, xerr=0 if math.isnan(e.half_width) else e.half_width,
                        fmt=marker, color=colors[n], ecolor="black", elinewidth=1, capsize=2, markersize=6)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], marker=m, ls="", color="0.35", label=lab) for _, lab, m in quantiles],
              loc="lower right", fontsize=8)
    ax.set_yticks(y, [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("wait on hold (s) — points: mean over replications, whiskers: 95% CI")
    if "wait_p90" in result.metric_names():
        p90 = [(result.estimate(n, "wait_p90").mean, n) for n in names]
        p90 = [p for p in p90 if math.isfinite(p[0])]
        if p90:
            best = min(p90)
            worst = max(p90)
            ax.set_title(f"9 in 10 callers wait at most {best[0]:.0f} s ({_short(best[1], 24)})"
                         + (f" to {worst[0]:.0f} s ({_short(worst[1], 24)})" if worst[1] != best[1] else ""),
                         fontsize=10)
    return fig


def wait_cdf_figure(result: "ExperimentResult", waits: Optional[Mapping[str, np.ndarray]] = None,
                    max_scenarios: int = 8) -> Figure:
    """Distribution of waits (hold times): empirical CDFs from call logs, else quantile points.

    ``waits`` maps scenario -> waits in seconds of the counted calls (pooled
    over replications); by default they come from call logs kept in memory.
    Without call logs, the mean median/90th/99th percentiles are drawn as
    points of the CDF with their 95% CIs.
    """
    waits = dict(waits) if waits is not None else _waits_in_memory(result)
    names = result.scenario_names[:max_scenarios]
    colors = scenario_colors(result)
    fig, ax = _new(7.5, 4.5)
    styles = _styles(result, names)
    if waits:
        p90s = []
        for i, n in enumerate(names):
            w = np.sort(np.asarray(waits.get(n, ()), dtype=np.float64))
            if w.size == 0:
                continue
            prob = np.arange(1, w.size + 1) / w.size
            ax.step(w, 100 * prob, where="post", color=colors[n], ls=styles[n],
                    label=f"{_short(n)} ({w.size:,} calls)")
            p90s.append((float(np.quantile(w, 0.9)), n))
        ax.set_ylabel("callers answered or gone within x (%)")
        source = "call logs"
        if p90s:
            best, worst = min(p90s), max(p90s)
            ax.set_title(f"Hold-time distribution: 90% wait at most {best[0]:.0f} s ({_short(best[1], 22)})"
                         + (f" vs {worst[0]:.0f} s ({_short(worst[1], 22)})" if best[1] != worst[1] else ""),
                         fontsize=10)
    else:
        levels = [("wait_p50", 50), ("wait_p90", 90), ("wait_p99", 99)]
        levels = [lv for lv in levels if lv[0] in result.metric_names()]
        for i, n in enumerate(names):
            est = [result.estimate(n, m) for m, _ in levels]
            xs = [e.mean for e in est]
            ax.errorbar(xs, [p for _, p in levels], xerr=[0 if math.isnan(e.half_width) else e.half_width for e in est],
                        fmt=_MARKERS[i % len(_MARKERS)], color=colors[n], capsize=3, label=_short(n), lw=1,
                        ls=styles[n])
        ax.set_ylabel("callers who waited at most x (%)")
        ax.set_ylim(0, 100)
        source = "quantiles (save call logs for the full curve)"
        p90 = [(result.estimate(n, "wait_p90").mean, n) for n in names] if levels else []
        p90 = [p for p in p90 if math.isfinite(p[0])]
        if p90:
            ax.set_title(f"Hold times: 90% of callers wait at most {min(p90)[0]:.0f} s ({_short(min(p90)[1], 24)})",
                         fontsize=10)
    ax.set_xlabel(f"wait on hold (s) — from {source}")
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def _waits_in_memory(result: "ExperimentResult") -> dict[str, np.ndarray]:
    pooled: dict[str, list[np.ndarray]] = {}
    for rep in result.replications:
        if rep.calls is None:
            continue
        scenario = result.experiment.scenario(rep.scenario)
        arrival = np.asarray(rep.calls.arrival, dtype=np.float64)
        keep = (arrival >= scenario.warmup) & (arrival < scenario.horizon)
        pooled.setdefault(rep.scenario, []).append(np.asarray(rep.calls.wait, dtype=np.float64)[keep])
    return {k: np.concatenate(v) for k, v in pooled.items()}


# -- comparisons -------------------------------------------------------------------
def compare_figure(result: "ExperimentResult", metric: str = "abandonment_rate",
                   baseline: Optional[str] = None, max_scenarios: int = 24) -> Figure:
    """Difference of ``metric`` against the baseline: paired (CRN) vs unpaired 95% CIs."""
    names = result.scenario_names
    baseline = names[0] if baseline is None else baseline
    others = [n for n in names if n != baseline][:max_scenarios]
    colors = scenario_colors(result)
    k = _scale(metric)
    fig, ax = _new(7.5, max(2.6, 0.45 * len(others) + 1.8))
    ratios = []
    for i, n in enumerate(others):
        c = result.comparison(n, baseline, metric)
        if not math.isfinite(c.difference):
            continue
        ax.errorbar(c.difference * k, i - 0.13, xerr=np.nan_to_num(c.unpaired_half_width) * k, fmt="o",
                    color=colors[n], mfc="white", ecolor="0.55", capsize=3, lw=1.2,
                    label="unpaired (Welch) 95% CI" if not ratios else None)
        ax.errorbar(c.difference * k, i + 0.13, xerr=np.nan_to_num(c.paired_half_width) * k, fmt="o",
                    color=colors[n], ecolor="black", capsize=3, lw=2,
                    label="paired (common random numbers) 95% CI" if not ratios else None)
        if c.paired_half_width > 0 and math.isfinite(c.unpaired_half_width):
            ratios.append(c.unpaired_half_width / c.paired_half_width)
        else:
            ratios.append(math.nan)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(others)), [_short(n) for n in others])
    ax.invert_yaxis()
    unit = metric_label(metric)
    ax.set_xlabel(f"difference vs {_short(baseline, 30)}: {unit.replace(' (%', ' (percentage points').replace('(% ', '(points ')}")
    finite = [r for r in ratios if math.isfinite(r)]
    if finite:
        ax.set_title(f"Pairing narrows the {metric.replace('_', ' ')} CI by {np.median(finite):.1f}x "
                     f"(median over {len(finite)} comparison{'s' if len(finite) > 1 else ''})", fontsize=10)
    else:
        ax.set_title(f"Differences in {metric.replace('_', ' ')} against {_short(baseline, 30)}", fontsize=10)
    if ratios:
        ax.legend(fontsize=8, loc="best")
    return fig


# -- sweeps ----------------------------------------------------------------------
def _sweep_x(result: "ExperimentResult", key: str) -> tuple[dict[str, float], Optional[list[str]]]:
    """x position of each scenario for swept ``key``: the value if numeric, else its rank."""
    values = {}
    for name in result.scenario_names:
        point = result.experiment.point(name)
        if point is not None and key in point.sweep:
            values[name] = point.sweep[key]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values())
    if numeric:
        return {n: float(v) for n, v in values.items()}, None
    order: list[Any] = []
    for v in values.values():
        if v not in order:
            order.append(v)
    from ..experiment.sweep import format_value

    return {n: float(order.index(v)) for n, v in values.items()}, [format_value(v) for v in order]


def sweep_figure(result: "ExperimentResult", metrics: tuple[str, ...] = ("abandonment_rate", "service_level"),
                 key: Optional[str] = None) -> Figure:
    """``metrics`` against a swept key (default: the first), one line per variant (and other sweep values)."""
    if not result.experiment.sweep_keys:
        raise ValueError("this experiment has no sweep; use kind='metric'")
    key = key or result.experiment.sweep_keys[0]
    if key not in result.experiment.sweep_keys:
        raise KeyError(f"{key!r} is not swept; swept keys: {', '.join(result.experiment.sweep_keys)}")
    metrics = tuple(m for m in metrics if m in result.metric_names())
    xs, labels = _sweep_x(result, key)
    colors = scenario_colors(result)
    fig = Figure(figsize=(7.5, 3.4 * len(metrics) + 0.6), dpi=110, layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    # A line = a variant and the values of the other swept keys.
    lines: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    for name in result.scenario_names:
        point = result.experiment.point(name)
        if point is None or name not in xs:
            continue
        rest = tuple(f"{k}={v}" for k, v in point.sweep.items() if k != key)
        lines.setdefault((point.variant, rest), []).append(name)
    summary_bits = []
    for ax, metric in zip(axes, metrics):
        ax.grid(True, alpha=0.3)
        k = _scale(metric)
        for j, ((variant, rest), members) in enumerate(lines.items()):
            members = sorted(members, key=lambda n: xs[n])
            x = np.array([xs[n] for n in members])
            est = [result.estimate(n, metric) for n in members]
            mean = np.array([e.mean for e in est]) * k
            hw = np.array([0.0 if math.isnan(e.half_width) else e.half_width for e in est]) * k
            label = variant + (f" ({', '.join(rest)})" if rest else "")
            ax.plot(x, mean, marker=_MARKERS[j % len(_MARKERS)], color=colors[members[0]],
                    ls=["-", "--", ":", "-."][len(rest) and j % 4], label=_short(label, 40))
            ax.fill_between(x, mean - hw, mean + hw, color=colors[members[0]], alpha=0.18, lw=0)
            if j == 0 and len(members) >= 2 and metric == metrics[0]:
                summary_bits.append(f"{metric.replace('_', ' ')} goes from {_fmt(metric, mean[0] / k)} to "
                                    f"{_fmt(metric, mean[-1] / k)} as {key} goes from "
                                    f"{labels[int(x[0])] if labels else f'{x[0]:g}'} to "
                                    f"{labels[int(x[-1])] if labels else f'{x[-1]:g}'} ({variant})")
        ax.set_ylabel(metric_label(metric))
        if metric == "service_level":
            ax.set_ylim(-2, 102)
    axes[-1].set_xlabel(f"{key} (as in the config) — lines: mean, bands: 95% CI")
    if labels:
        axes[-1].set_xticks(range(len(labels)), labels)
    else:
        ticks = sorted(set(xs.values()))
        if len(ticks) <= 15:
            axes[-1].set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes[0].legend(fontsize=8, loc="best")
    if summary_bits:
        axes[0].set_title(summary_bits[0][0].upper() + summary_bits[0][1:], fontsize=10)
    return fig


# -- intraday ----------------------------------------------------------------------
def intraday_figure(result: "ExperimentResult", columns: Optional[tuple[str, ...]] = None,
                    frame: Any = None, max_scenarios: int = 6) -> Figure:
    """Per-interval means over the day (``intervals.csv``): one panel per column, one line per scenario."""
    frame = result.intervals_frame() if frame is None else frame
    if frame is None or frame.empty:
        raise ValueError("no per-interval table: the replications carry no intervals")
    key = "interval_start" if "interval_start" in frame.columns else "interval"
    available = [c for c in frame.columns if c not in ("scenario", key) and np.issubdtype(frame[c].dtype, np.number)]
    if columns is None:
        preferred = ["offered", "agents", "service_level", "abandonment_rate", "asa"]
        columns = tuple(c for c in preferred if c in available)[:3] or tuple(available[:3])
    columns = tuple(c for c in columns if c in available)
    if not columns:
        raise KeyError(f"none of the columns asked for are in the interval table; it has: {', '.join(available)}")
    colors = scenario_colors(result)
    fig = Figure(figsize=(7.5, 2.8 * len(columns) + 0.6), dpi=110, layout="constrained")
    axes = fig.subplots(len(columns), 1, sharex=True, squeeze=False)[:, 0]
    scenarios = [n for n in result.scenario_names if n in set(frame["scenario"])][:max_scenarios]
    styles = _styles(result, scenarios)
    hours = key == "interval_start"
    for ax, column in zip(axes, columns):
        ax.grid(True, alpha=0.3)
        k = _scale(column)
        for j, name in enumerate(scenarios):
            part = frame[frame["scenario"] == name]
            x = part[key].to_numpy(dtype=float) / (3600.0 if hours else 1.0)
            ax.step(x, part[column].to_numpy(dtype=float) * k, where="post", color=colors.get(name, "black"),
                    ls=styles[name],
                    label=_short(name), marker=_MARKERS[j % len(_MARKERS)], markersize=3)
        ax.set_ylabel(metric_label(column) if column in METRIC_DESCRIPTIONS or column in _LABELS else column)
    axes[-1].set_xlabel("start of interval (hours from the start of the day)" if hours else "interval number")
    axes[0].legend(fontsize=8, loc="best")
    title = "Over the day"
    if "service_level" in columns and scenarios:
        part = frame[frame["scenario"] == scenarios[0]]
        worst = part.loc[part["service_level"].idxmin()] if part["service_level"].notna().any() else None
        if worst is not None:
            when = f"{worst[key] / 3600:.2f} h" if hours else f"interval {int(worst[key])}"
            title = (f"Service level is lowest at {when} ({100 * worst['service_level']:.0f}%, "
                     f"{_short(scenarios[0], 24)})")
    axes[0].set_title(title, fontsize=10)
    return fig


#: Kinds accepted by :func:`plot` and :meth:`ExperimentResult.plot`.
KINDS: tuple[str, ...] = ("metric", "wait_quantiles", "wait_cdf", "compare", "sweep", "intraday")


def plot(result: "ExperimentResult", kind: str = "metric", **options: Any) -> Figure:
    """Dispatch to the figure of ``kind`` (see :data:`KINDS`)."""
    if kind == "metric":
        return metric_figure(result, **options)
    if kind == "wait_quantiles":
        return wait_quantiles_figure(result, **options)
    if kind == "wait_cdf":
        return wait_cdf_figure(result, **options)
    if kind == "compare":
        return compare_figure(result, **options)
    if kind == "sweep":
        if "metric" in options:
            options["metrics"] = (options.pop("metric"),)
        return sweep_figure(result, **options)
    if kind == "intraday":
        if "column" in options:
            options["columns"] = (options.pop("column"),)
        return intraday_figure(result, **options)
    raise ValueError(f"plot kind {kind!r} is not known; choose one of {', '.join(KINDS)}")


def close(fig: Figure) -> None:
    """Release a figure (Figures made with ``Figure()`` need no pyplot bookkeeping)."""
    plt.close(fig)
