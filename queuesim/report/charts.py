"""Figures of an experiment's results (matplotlib, Agg backend: nothing is shown).

Every function takes an :class:`~queuesim.experiment.results.ExperimentResult`
and returns a :class:`matplotlib.figure.Figure`. Colours come from the
Okabe-Ito palette (safe for colour-blind readers) and are the same for a
scenario in every figure: one colour per variant in sweeps (the sweep point
is on the x axis), one per scenario otherwise. Titles state the finding; axis
labels carry units.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..measure.metrics import METRIC_DESCRIPTIONS, metric_unit  # noqa: E402
from ..model.sweep import format_value

if TYPE_CHECKING:  # pragma: no cover
    from ..experiment.results import ExperimentResult

__all__ = [
    "robustness_figure",
    "KINDS",
    "OKABE_ITO",
    "COST_COLORS",
    "agent_occupancy_figure",
    "agent_occupancies",
    "has_agent_records",
    "compare_figure",
    "cost_figure",
    "has_costs",
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

#: Paul Tol's "muted" qualitative palette (colour-blind safe) for cost components, so that their
#: colours are never mistaken for a scenario's Okabe-Ito colour.
COST_COLORS: dict[str, str] = {
    "cost_agents": "#332288",
    "cost_trunk": "#88CCEE",
    "cost_customer_time": "#DDCC77",
    "cost_abandonment": "#CC6677",
    "cost_churn": "#882255",
    "cost_attrition": "#117733",
}
COST_LABELS: dict[str, str] = {
    "cost_agents": "agents",
    "cost_trunk": "telephony",
    "cost_customer_time": "customers' time",
    "cost_abandonment": "abandoned calls",
    "cost_churn": "churn",
    "cost_attrition": "agents who quit",
}

#: Text sizes readable when a figure fills a slide (the figures are 7.5-8 in wide).
STYLE: dict[str, Any] = {
    "font.size": 11,
    "axes.titlesize": 12.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 11.5,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10,
    "legend.framealpha": 0.9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.parse_math": False,  # names are user text: "$x^{$" must be printed, not parsed as mathtext
}


def _styled(function: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw ``function``'s figure with :data:`STYLE` (text properties are fixed when artists are made)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper

_LABELS = {
    "abandonment_rate": "abandonment rate (% of offered calls)",
    "service_level": "service level (% answered within threshold)",
    "p_wait": "calls that waited (% of offered)",
    "occupancy": "agent occupancy (%)",
    "asa": "average speed of answer (s)",
    "mean_wait": "mean wait, all calls (s)",
}
_INTRADAY_LABELS = {
    "offered": "calls offered",
    "agents": "agents on duty",
    "service_level": "service level (%)",
    "abandonment_rate": "abandonment rate (%)",
    "asa": "ASA (s)",
    "occupancy": "occupancy (%)",
}
_PERCENT = {"abandonment_rate", "service_level", "p_wait", "occupancy"}


def _unit(metric: str) -> str:
    return metric_unit(metric)


def _label_with_threshold(result: "ExperimentResult", metric: str) -> str:
    """:func:`metric_label`, naming the service-level threshold of the baseline."""
    if metric == "service_level":
        return f"service level (% answered within {result.experiment.baseline.service_level_threshold:g} s)"
    return metric_label(metric)


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
    """Line style per scenario: scenarios sharing a colour (a variant's sweep points, or scenarios after the
    palette's seven colours are used up) get different dashes."""
    colors = scenario_colors(result)
    seen: dict[str, int] = {}
    out = {}
    for n in names:
        c = colors[n]
        out[n] = ("-", "--", ":", "-.")[seen.get(c, 0) % 4]
        seen[c] = seen.get(c, 0) + 1
    return out


def _pretty(metric: str) -> str:
    """A metric's name for a title: ``Abandonment rate``, ``ASA``."""
    if metric == "asa":
        return "ASA"
    text = metric.replace("_", " ")
    return text[:1].upper() + text[1:]


def _clock(seconds: float) -> str:
    """Seconds from the start of the day as a clock time, e.g. ``15:30`` (``24:00``, ``25:30`` past midnight)."""
    minutes = int(round(seconds / 60.0))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _title(ax: Any, text: str) -> None:
    """A title that states the finding, wrapped to the figure's width (never cut off)."""
    import textwrap

    # ~9 bold characters per inch; the axes are narrower than the figure by the tick labels.
    import re

    text = text.replace(" ± ", "\u00a0±\u00a0")  # never split "a ± b" nor "142 s"
    text = re.sub(r"(\d) (?=(s|pp|min|h|EUR|USD|GBP|CHF|[A-Z]{3})\b)", "\\1\u00a0", text)
    ax.set_title(textwrap.fill(text, width=max(40, int(ax.figure.get_figwidth() * 6.8)), break_on_hyphens=False))


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# -- bars ------------------------------------------------------------------------
@_styled
def metric_figure(result: "ExperimentResult", metric: str = "abandonment_rate") -> Figure:
    """Mean of ``metric`` per scenario with its 95% CI (horizontal bars)."""
    names = result.scenario_names
    colors = scenario_colors(result)
    k = _scale(metric)
    est = [result.estimate(n, metric) for n in names]
    means = np.array([e.mean for e in est]) * k
    errs = np.array([e.errors for e in est]).T * k  # asymmetric for rates: the CI stays inside 0-100%
    fig, ax = _new(7.5, max(2.5, 0.38 * len(names) + 1.6))
    y = np.arange(len(names))
    ax.barh(y, np.nan_to_num(means), xerr=errs, color=[colors[n] for n in names], alpha=0.85,
            error_kw={"ecolor": "black", "capsize": 3, "lw": 1})
    ax.set_yticks(y, [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(_label_with_threshold(result, metric) + "\nbars: mean over the simulated days, whiskers: 95% CI")
    finite = [(m, n) for m, n in zip(means, names) if math.isfinite(m)]
    if len(finite) >= 2:
        lo, hi = min(finite), max(finite)
        _title(ax, f"{_pretty(metric)}: from {_fmt(metric, lo[0] / k)} "
                     f"({_short(lo[1], 24)}) to {_fmt(metric, hi[0] / k)} ({_short(hi[1], 24)})")
    elif finite:
        _title(ax, f"{_pretty(metric)}: {_fmt(metric, finite[0][0] / k)}")
    return fig


@_styled
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
              loc="lower right")
    ax.set_yticks(y, [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("wait on hold (s) — points: mean over replications, whiskers: 95% CI")
    if "wait_p90" in result.metric_names():
        p90 = [(result.estimate(n, "wait_p90").mean, n) for n in names]
        p90 = [p for p in p90 if math.isfinite(p[0])]
        if p90:
            best = min(p90)
            worst = max(p90)
            _title(ax, f"9 in 10 callers wait at most {best[0]:.0f} s ({_short(best[1], 24)})"
                         + (f" to {worst[0]:.0f} s ({_short(worst[1], 24)})" if worst[1] != best[1] else ""),
                         )
    return fig


@_styled
def wait_cdf_figure(result: "ExperimentResult", waits: Optional[Mapping[str, np.ndarray]] = None,
                    max_scenarios: int = 14, bands: bool = True) -> Figure:
    """Distribution of the hold time (wait until answer or hang-up), one curve per scenario.

    By default each curve is the **Vincent average** of the replications'
    distributions: the mean over replications of their 101 quantiles
    (``ReplicationResult.wait_quantiles``), with a band for the 95% CI of
    each quantile (``bands``). ``waits`` (scenario -> waits in seconds of the
    counted calls) draws pooled empirical CDFs instead; without quantiles and
    ``waits``, call logs kept in memory are pooled, and without those the mean
    median/90th/99th percentiles are drawn as points with their 95% CIs.
    The x axis stops a little past the largest 99th percentile.
    """
    names = result.scenario_names[:max_scenarios]
    colors = scenario_colors(result)
    styles = _styles(result, names)
    curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    source = ""
    if waits is None:
        for n in names:
            q = result.hold_time_quantiles(n)
            if q is not None:
                curves[n] = q
        source = "each percentile averaged over the simulated days" if curves else ""
        if not curves:
            waits = _waits_in_memory(result)
    fig, ax = _new(8.0, 5.0)
    p90s: list[tuple[float, str]] = []
    right = 0.0
    if curves:
        for n in names:
            if n not in curves:
                continue
            levels, mean, half = curves[n]
            p90 = float(np.interp(0.9, levels, mean))
            p90s.append((p90, n))
            ax.plot(mean, 100 * levels, color=colors[n], ls=styles[n], lw=2.2,
                    label=f"{_short(n, 28)}: 90% within {p90:.0f} s")
            if bands and np.isfinite(half).any():
                ax.fill_betweenx(100 * levels, mean - np.nan_to_num(half), mean + np.nan_to_num(half),
                                 color=colors[n], alpha=0.15, lw=0)
            right = max(right, float(np.interp(0.99, levels, mean)))
    elif waits:
        source = "call logs, pooled over replications"
        for n in names:
            w = np.sort(np.asarray(waits.get(n, ()), dtype=np.float64))
            if w.size == 0:
                continue
            prob = np.arange(1, w.size + 1) / w.size
            p90 = float(np.quantile(w, 0.9))
            p90s.append((p90, n))
            ax.step(w, 100 * prob, where="post", color=colors[n], ls=styles[n], lw=2,
                    label=f"{_short(n, 28)}: 90% within {p90:.0f} s")
            right = max(right, float(np.quantile(w, 0.99)))
    else:
        source = "mean 50th/90th/99th percentiles"
        levels_ = [(m, p) for m, p in (("wait_p50", 50), ("wait_p90", 90), ("wait_p99", 99))
                   if m in result.metric_names()]
        for i, n in enumerate(names):
            est = [result.estimate(n, m) for m, _ in levels_]
            xs = [e.mean for e in est]
            ax.errorbar(xs, [p for _, p in levels_],
                        xerr=[0 if math.isnan(e.half_width) else e.half_width for e in est],
                        fmt=_MARKERS[i % len(_MARKERS)], color=colors[n], capsize=3, label=_short(n), lw=1.5,
                        ls=styles[n])
            finite = [x for x in xs if math.isfinite(x)]
            right = max([right, *finite])
            if "wait_p90" in result.metric_names() and math.isfinite(result.estimate(n, "wait_p90").mean):
                p90s.append((result.estimate(n, "wait_p90").mean, n))
    ax.axhline(90, color="0.4", lw=0.8, ls=":")
    ax.set_ylabel("callers answered or gone\nwithin x seconds on hold (%)")
    bottom = 0.0
    if curves:  # start the y axis just below the share of callers who never hold
        starts = [float(levels[np.argmax(mean > 0)]) if (mean > 0).any() else 1.0
                  for levels, mean, _ in curves.values()]
        bottom = max(0.0, 10.0 * math.floor(10.0 * min(starts)) - 10.0)
    ax.set_ylim(bottom, 100.5)
    ax.set_yticks(sorted({*range(int(bottom), 101, 10), 90}))
    ax.set_xlabel(f"time on hold x (s) — {source}" if source else "time on hold x (s)")
    ax.set_xlim(0, right * 1.05 if right > 0 else None)
    if p90s:
        best, worst = min(p90s), max(p90s)
        if best[1] != worst[1]:
            _title(ax, f"9 in 10 callers hold at most {best[0]:.0f} s with {_short(best[1], 22)}, "
                         f"{worst[0]:.0f} s with {_short(worst[1], 22)}")
        else:
            _title(ax, f"9 in 10 callers hold at most {best[0]:.0f} s")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
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


# -- agents --------------------------------------------------------------------------
def agent_occupancies(result: "ExperimentResult") -> dict[str, np.ndarray]:
    """Scenario -> the occupancy of every agent present, over all its replications (scenarios with per-agent
    records only: a ``staff`` block)."""
    out: dict[str, list[np.ndarray]] = {}
    for r in result.replications:
        if r.agents is None:
            continue
        occupancy = r.agents.occupancy()
        out.setdefault(r.scenario, []).append(occupancy[np.isfinite(occupancy)])
    return {n: np.concatenate(out[n]) for n in result.scenario_names if n in out}


def has_agent_records(result: "ExperimentResult") -> bool:
    """Some scenario kept per-agent records."""
    return any(r.agents is not None for r in result.replications)


@_styled
def agent_occupancy_figure(result: "ExperimentResult", max_scenarios: int = 14) -> Figure:
    """How the load falls on the agents: for each scenario with per-agent records, the share of its agents
    (over all simulated days) whose own occupancy, busy / (on duty + overtime), is at most x.

    A curve far to the right is a centre running its people hot; a wide curve, an uneven load (new hires
    slower, breaks, shifts). The title names the scenario whose busiest tenth of agents is busiest.
    """
    values = agent_occupancies(result)
    if not values:
        raise ValueError("these results have no per-agent records (add a 'staff' block to the config)")
    names = [n for n in result.scenario_names if n in values][:max_scenarios]
    colors = scenario_colors(result)
    styles = _styles(result, names)
    fig, ax = _new(7.5, 4.5)
    for n in names:
        x = np.sort(values[n]) * 100.0
        y = np.arange(1, x.size + 1) / x.size * 100.0
        ax.step(x, y, where="post", color=colors[n], ls=styles[n], lw=1.8, label=_short(n))
    ax.set_xlabel("an agent's occupancy over the day (%)")
    ax.set_ylabel("agents with at most this occupancy (%)")
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", frameon=False)
    top = {n: float(np.percentile(values[n], 90)) for n in names}
    hottest = max(top, key=top.get)
    _title(ax, f"The busiest tenth of the agents of {hottest} are at {100 * top[hottest]:.0f}% occupancy or more "
               f"(all agents over all simulated days)")
    return fig


# -- costs ---------------------------------------------------------------------------
def has_costs(result: "ExperimentResult") -> bool:
    """Some scenario reports cost components."""
    names = set(result.metric_names())
    return all(c in names for c in COST_COLORS if c != "cost_attrition") and any(
        np.isfinite(result.values(n, "cost_total")).any() for n in result.scenario_names)


@_styled
def cost_figure(result: "ExperimentResult", max_scenarios: int = 24) -> Figure:
    """Cost of a day per scenario: stacked bars of the components (five, six with ``costs.attrition``), whiskers = paired 95% CI vs the baseline.

    Each variant's whisker is the 95% CI of its paired difference against the
    baseline, drawn around its total: it crosses the baseline's dashed line
    exactly when the difference is not significant.

    Component colours (Paul Tol's muted palette) differ from the scenario
    colours of the other figures; the title names the cheapest scenario and
    its paired difference against the baseline (the first scenario).
    """
    if not has_costs(result):
        raise ValueError("these results have no cost metrics (add a 'costs' block to the config)")
    names = [n for n in result.scenario_names if np.isfinite(result.values(n, "cost_total")).any()][:max_scenarios]
    currency = result.currency() or "currency"
    fig, ax = _new(8.0, max(3.2, 0.55 * len(names) + 2.0))
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")
    y = np.arange(len(names))
    left = np.zeros(len(names))
    present = set(result.metric_names())
    for component, color in COST_COLORS.items():
        if component not in present:  # agents who quit: only with costs.attrition
            continue
        means = np.array([result.estimate(n, component).mean for n in names])
        means = np.nan_to_num(means)
        ax.barh(y, means, left=left, color=color, height=0.62, edgecolor="white", linewidth=0.6,
                label=COST_LABELS[component] if np.any(means > 0) else None)  # zero everywhere: no legend entry
        left += means
    totals = [result.estimate(n, "cost_total") for n in names]
    baseline = result.scenario_names[0]
    # Whiskers: the 95% CI of each scenario's paired difference against the baseline, drawn around its
    # total; a whisker that crosses the baseline's dashed line is a difference within the noise.
    xerr = []
    for n, t in zip(names, totals):
        if n == baseline or baseline not in names:
            xerr.append(0.0)
            continue
        c = result.comparison(n, baseline, "cost_total")
        xerr.append(c.paired_half_width if math.isfinite(c.paired_half_width) else 0.0)
    if baseline in names:
        ax.axvline(totals[names.index(baseline)].mean, color="black", lw=1, ls="--", zorder=3)
    ax.errorbar([t.mean for t in totals], y, xerr=xerr, fmt="none", ecolor="black", capsize=4, lw=1.3, zorder=4)
    for yi, n, t, e in zip(y, names, totals, xerr):
        label = f" {t.mean:,.0f}"
        if n != baseline and baseline in names:
            c = result.comparison(n, baseline, "cost_total")
            if math.isfinite(c.difference) and math.isfinite(c.paired_half_width):
                label += f"\n ({c.difference:+,.0f} ± {c.paired_half_width:,.0f})"
        ax.text(t.mean + e, yi, label, va="center", ha="left", fontsize=9.5, linespacing=1.1)
    ax.set_yticks(y, [_short(n) for n in names])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlim(0, max(t.mean + e for t, e in zip(totals, xerr)) * 1.25)
    ax.set_xlabel(f"cost of the day ({currency}); bars: mean of each component; dashed line: {_short(baseline, 24)};\n"
                  f"whiskers and parentheses: difference vs {_short(baseline, 24)}, 95% CI (same days compared)",
                  fontsize=10.5)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=5, frameon=False,
               handlelength=1.2, columnspacing=1.2)
    finite = [(t.mean, n) for t, n in zip(totals, names) if math.isfinite(t.mean)]
    if finite:
        cheapest = min(finite)
        if cheapest[1] != baseline and baseline in names:
            c = result.comparison(cheapest[1], baseline, "cost_total")
            if math.isfinite(c.paired_half_width) and abs(c.difference) > c.paired_half_width:
                _title(ax, f"{_short(cheapest[1], 24)} costs least: {cheapest[0]:,.0f} {currency} a day, "
                           f"{-c.difference:,.0f} ± {c.paired_half_width:,.0f} less than {_short(baseline, 20)}")
            else:
                _title(ax, f"No scenario costs significantly less than {_short(baseline, 20)} (lowest mean: "
                           f"{_short(cheapest[1], 24)}, {c.difference:+,.0f} ± {c.paired_half_width:,.0f} "
                           f"{currency} a day)")
        else:
            _title(ax, f"{_short(cheapest[1], 24)} costs least: {cheapest[0]:,.0f} {currency} a day")
    return fig


# -- comparisons -------------------------------------------------------------------
@_styled
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
    unit = "percentage points" if k == 100.0 else (_unit(metric) or "")
    if unit.startswith("currency"):
        unit = (result.currency() or "currency") + unit[len("currency"):]
    what_label = _label_with_threshold(result, metric)
    what_label = what_label[what_label.index("(% ") + 3:-1] if metric == "service_level" else what_label.rsplit(" (", 1)[0]
    ax.set_xlabel(f"{what_label}: difference vs {_short(baseline, 30)}" + (f" ({unit})" if unit else ""))
    diffs = [(result.comparison(n, baseline, metric).difference, n) for n in others]
    diffs = [d for d in diffs if math.isfinite(d[0])]
    finite = [r for r in ratios if math.isfinite(r)]
    what = metric.replace("_", " ")
    if diffs:
        lo, hi = min(diffs), max(diffs)
        span = (f"{_pretty(metric)} vs {_short(baseline, 24)}: {_fmt_diff(metric, lo[0])} ({_short(lo[1], 22)})"
                + (f" to {_fmt_diff(metric, hi[0])} ({_short(hi[1], 22)})" if hi[1] != lo[1] else ""))
        if finite:
            span += f"; comparing the same days makes the intervals {np.median(finite):.1f}x narrower"
        _title(ax, span)
    else:
        _title(ax, f"Differences in {what} against {_short(baseline, 30)}")
    if ratios:  # neutral legend markers: the colours belong to the scenarios
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", color="0.55", mfc="white", mec="0.3", lw=1.2,
                          label="95% CI if run independently"),
                   Line2D([], [], marker="o", color="black", lw=2, label="95% CI, the same days compared")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    return fig


def _fmt_diff(metric: str, value: float) -> str:
    if _scale(metric) == 100.0:
        return f"{100 * value:+.1f} pp"
    unit = " s" if _unit(metric) == "s" else ""
    return f"{value:+,.3g}{unit}" if abs(value) < 1000 else f"{value:+,.0f}{unit}"


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

    return {n: float(order.index(v)) for n, v in values.items()}, [format_value(v) for v in order]


@_styled
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
            low = np.array([e.mean - e.errors[0] for e in est]) * k
            high = np.array([e.mean + e.errors[1] for e in est]) * k
            label = variant + (f" ({', '.join(rest)})" if rest else "")
            ax.plot(x, mean, marker=_MARKERS[j % len(_MARKERS)], color=colors[members[0]],
                    ls=["-", "--", ":", "-."][len(rest) and j % 4], label=_short(label, 40))
            ax.fill_between(x, low, high, color=colors[members[0]], alpha=0.18, lw=0)
            if j == 0 and len(members) >= 2 and metric == metrics[0]:
                summary_bits.append(f"{metric.replace('_', ' ')} goes from {_fmt(metric, mean[0] / k)} to "
                                    f"{_fmt(metric, mean[-1] / k)} as {key} goes from "
                                    f"{labels[int(x[0])] if labels else f'{x[0]:g}'} to "
                                    f"{labels[int(x[-1])] if labels else f'{x[-1]:g}'} ({variant})")
        ax.set_ylabel(_label_with_threshold(result, metric) if metric == "service_level"
                      else _INTRADAY_LABELS.get(metric, metric_label(metric)))
        if metric == "service_level":
            ax.set_ylim(-2, 102)
    axes[-1].set_xlabel(f"{key} (as in the config) — lines: mean, bands: 95% CI")
    if labels:
        axes[-1].set_xticks(range(len(labels)), labels)
    else:
        ticks = sorted(set(xs.values()))
        if len(ticks) <= 15:
            axes[-1].set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes[0].legend(loc="best")
    if summary_bits:
        _title(axes[0], summary_bits[0][0].upper() + summary_bits[0][1:])
    return fig


# -- intraday ----------------------------------------------------------------------
#: Interval columns drawn once for all scenarios (counts: their axes start at 0).
_SHARED_COLUMNS = ("offered", "answered", "abandoned", "agents", "mean_queue_length")
#: Service-level target drawn in the intraday panels (the common "80% within the threshold").
SERVICE_LEVEL_TARGET = 0.8


def _profiles(values: dict[str, np.ndarray]) -> list[tuple[list[str], np.ndarray]]:
    """Scenarios grouped by (nearly) the same profile: within 0.5% of the largest value everywhere."""
    groups: list[tuple[list[str], np.ndarray]] = []
    scale = max((float(np.nanmax(np.abs(v))) for v in values.values() if v.size and np.isfinite(v).any()),
                default=1.0) or 1.0
    for name, v in values.items():
        for members, ref in groups:
            if ref.shape == v.shape and np.allclose(ref, v, rtol=0, atol=0.005 * scale, equal_nan=True):
                members.append(name)
                break
        else:
            groups.append(([name], v))
    return groups


@_styled
def intraday_figure(result: "ExperimentResult", columns: Optional[tuple[str, ...]] = None,
                    frame: Any = None, max_scenarios: int = 12) -> Figure:
    """Per-interval means over the day (``intervals.csv``), readable with many scenarios.

    Counts (calls offered, agents on duty) share one panel each: scenarios with
    the same profile (the same callers, the same staffing) are one line, and
    the axis starts at 0. Rates and times (service level, ASA, ...) are small
    multiples: one panel per scenario, the baseline in grey behind it. The
    service-level panels carry the :data:`SERVICE_LEVEL_TARGET` line; a
    warm-up (calls not counted) is shaded.
    """
    frame = result.intervals_frame() if frame is None else frame
    if frame is None or frame.empty:
        raise ValueError("no per-interval table: the replications carry no intervals")
    key = "interval_start" if "interval_start" in frame.columns else "interval"
    available = [c for c in frame.columns if c not in ("scenario", key) and "_ci95" not in c
                 and np.issubdtype(frame[c].dtype, np.number)]
    if columns is None:
        preferred = ["offered", "agents", "service_level"]
        columns = tuple(c for c in preferred if c in available) or tuple(available[:3])
    columns = tuple(c for c in columns if c in available)
    if not columns:
        raise KeyError(f"none of the columns asked for are in the interval table; it has: {', '.join(available)}")
    colors = scenario_colors(result)
    scenarios = [n for n in result.scenario_names if n in set(frame["scenario"])][:max_scenarios]
    baseline = scenarios[0]
    shared = [c for c in columns if c in _SHARED_COLUMNS]
    multiples = [c for c in columns if c not in _SHARED_COLUMNS]
    ncols = 1 if len(scenarios) == 1 else (2 if len(scenarios) <= 4 else 3)
    mrows = math.ceil(len(scenarios) / ncols)
    heights = [2.3] * len(shared) + [1.9] * (mrows * len(multiples))
    fig = Figure(figsize=(8.5, sum(heights) + 1.0), dpi=110, layout="constrained")
    grid = fig.add_gridspec(len(heights), ncols, height_ratios=heights)
    hours = key == "interval_start"
    scale_x = 3600.0 if hours else 1.0

    def series(name: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        part = frame[frame["scenario"] == name]
        x = part[key].to_numpy(dtype=float) / scale_x
        v = part[column].to_numpy(dtype=float) * _scale(column)
        if x.size:  # draw the last interval to its end
            step = float(np.min(np.diff(x))) if x.size > 1 else 1.0
            x, v = np.append(x, x[-1] + step), np.append(v, v[-1])
        return x, v

    first_ax = None
    warmup = result.experiment.baseline.warmup / scale_x
    all_axes: list[Any] = []
    multiple_axes: list[Any] = []

    first_multiple = None

    def new_ax(spec: Any, multiple: bool = False) -> Any:
        nonlocal first_ax, first_multiple
        ax = fig.add_subplot(spec, sharex=first_multiple if multiple else first_ax)
        if multiple:
            first_multiple = first_multiple or ax
        else:
            first_ax = first_ax or ax
        ax.grid(True, alpha=0.3)
        all_axes.append(ax)
        return ax

    for row, column in enumerate(shared):
        ax = new_ax(grid[row, :])
        curves = {n: series(n, column) for n in scenarios}
        for members, _ in _profiles({n: v for n, (_, v) in curves.items()}):
            x, v = curves[members[0]]
            if len(members) == len(scenarios) and len(members) > 1:
                label, color, style = f"all {len(members)} scenarios", "0.25", "-"
            else:
                shown = ", ".join(_short(m, 22) for m in members[:3]) + (f" +{len(members) - 3}" if len(members) > 3 else "")
                label, color, style = shown, colors.get(members[0], "black"), _styles(result, scenarios)[members[0]]
            ax.step(x, v, where="post", color=color, ls=style, lw=1.8, label=label)
        ax.set_ylabel(_INTRADAY_LABELS.get(column, column.replace("_", " ")))
        entries = len(ax.get_legend_handles_labels()[1])
        ncol = 2 if entries > 4 else 1
        rows = math.ceil(entries / ncol)
        highest = max((np.nanmax(v) for _, v in curves.values() if np.isfinite(v).any()), default=1.0)
        ax.set_ylim(0, max(highest, 1e-9) * (1.08 + 0.1 * rows))  # room above the curves for the legend
        ax.legend(loc="upper right", fontsize=8, ncol=ncol, framealpha=0.9)
    row0 = len(shared)
    threshold = result.experiment.baseline.service_level_threshold
    for m, column in enumerate(multiples):
        base_x, base_v = series(baseline, column)
        top = np.nanmax([np.nanmax(series(n, column)[1]) for n in scenarios]) if scenarios else 1.0
        for j, name in enumerate(scenarios):
            ax = new_ax(grid[row0 + m * mrows + j // ncols, j % ncols], multiple=True)
            if name != baseline:
                ax.step(base_x, base_v, where="post", color="0.6", lw=1.4, label=f"{_short(baseline, 20)} (baseline)")
            x, v = series(name, column)
            ax.step(x, v, where="post", color=colors.get(name, "black"), lw=2, label=_short(name, 30))
            if column == "service_level":
                ax.axhline(100 * SERVICE_LEVEL_TARGET, color="black", ls="--", lw=1,
                           label=f"reference {100 * SERVICE_LEVEL_TARGET:.0f}% (common target)")
                ax.set_ylim(0, 103)
            else:
                ax.set_ylim(0, (top if math.isfinite(top) and top > 0 else 1.0) * 1.08)
            ax.set_title(_short(name, 34), fontsize=10.5, loc="left")
            if j % ncols == 0:
                label = (f"answered within\n{threshold:g} s (%)" if column == "service_level"
                         else _INTRADAY_LABELS.get(column, metric_label(column) if column in METRIC_DESCRIPTIONS
                                                   or column in _LABELS else column))
                ax.set_ylabel(label, fontsize=10)
            if j < len(scenarios) - ncols:  # tick labels on the bottom row only
                ax.tick_params(labelbottom=False)
            else:
                ax.tick_params(axis="x", labelsize=9)
                ax.set_xlabel("time of day" if hours else "interval", fontsize=10)
            multiple_axes.append(ax)
    for ax in all_axes:
        if warmup > 0:
            left = float(frame[key].min()) / scale_x
            if warmup > left:
                ax.axvspan(left, warmup, color="0.85", zorder=0, label="warm-up (not counted)")
        if hours:
            long_day = frame[key].max() - frame[key].min() > 12 * 3600
            step = (6 if long_day else 3) if ax in multiple_axes and ncols > 1 else (2 if long_day else 1)
            ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(step))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: _clock(x * 3600)))
    if multiple_axes:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [Line2D([], [], color="0.6", lw=1.4, label=f"{_short(baseline, 24)} (baseline), behind each variant")]
        if "service_level" in multiples:
            handles.append(Line2D([], [], color="black", ls="--", lw=1,
                                  label=f"reference: {100 * SERVICE_LEVEL_TARGET:.0f}% within {threshold:g} s (common target)"))
        if warmup > 0:
            handles.append(Patch(color="0.85", label="warm-up (not counted)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=9.5)
    elif warmup > 0 and all_axes:
        all_axes[0].legend(loc="upper right", fontsize=9)
    shared_axes = [a for a in all_axes if a not in multiple_axes]
    if shared_axes:
        shared_axes[-1].set_xlabel("time of day (start of the interval)" if hours else "interval number")
    title = "Over the day"
    if "service_level" in columns and scenarios:
        part = frame[frame["scenario"] == baseline]
        worst = part.loc[part["service_level"].idxmin()] if part["service_level"].notna().any() else None
        if worst is not None:
            when = f"{_clock(worst[key])}" if hours else f"interval {int(worst[key])}"
            title = (f"Service level is lowest at {when} ({100 * worst['service_level']:.0f}% answered within "
                     f"{threshold:g} s, {_short(baseline, 24)})")
    if all_axes:
        _title(all_axes[0], title)
    return fig


#: Kinds accepted by :func:`plot` and :meth:`ExperimentResult.plot`.
KINDS: tuple[str, ...] = ("metric", "wait_quantiles", "wait_cdf", "costs", "compare", "sweep", "intraday")


def plot(result: "ExperimentResult", kind: str = "metric", **options: Any) -> Figure:
    """Dispatch to the figure of ``kind`` (see :data:`KINDS`)."""
    if kind == "metric":
        return metric_figure(result, **options)
    if kind == "wait_quantiles":
        return wait_quantiles_figure(result, **options)
    if kind == "wait_cdf":
        return wait_cdf_figure(result, **options)
    if kind == "costs":
        return cost_figure(result, **options)
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


@_styled
def robustness_figure(names: list[str], cheapest: np.ndarray, beats: np.ndarray, saving: np.ndarray) -> Figure:
    """How often each alternative wins over drawn prices and behaviours: left, the share of worlds in which it is
    the cheapest and in which it costs less than the baseline (``names[0]``); right, its saving against the
    baseline per world (currency a day: median, 10th-90th and full range)."""
    fig = Figure(figsize=(10.0, 0.45 * len(names) + 1.6), dpi=110, layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.3]})
    y = np.arange(len(names))[::-1]
    others = slice(1, None)
    left.barh(y[others] + 0.2, beats[others] * 100, height=0.38, color=OKABE_ITO[1], label=f"cheaper than {names[0]}")
    left.barh(y + -0.2, cheapest * 100, height=0.38, color=OKABE_ITO[2], label="the cheapest of all")
    left.set_yticks(y, [_short(n, 30) for n in names])
    left.set_xlim(0, 100)
    left.set_xlabel("share of the drawn worlds (%)")
    left.grid(True, axis="x", alpha=0.3)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    for j in range(1, len(names)):
        lo, q10, mid, q90, hi = np.percentile(saving[:, j], [0, 10, 50, 90, 100])
        right.plot([lo, hi], [y[j], y[j]], color="#999999", lw=1)
        right.plot([q10, q90], [y[j], y[j]], color=OKABE_ITO[1], lw=5, solid_capstyle="butt")
        right.plot([mid], [y[j]], "o", color="black", ms=4)
    right.axvline(0, color="black", lw=0.8)
    right.set_xlabel(f"saving vs {names[0]} per day\n(dot: median; bar: 10th-90th percentile; line: range)")
    right.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    right.grid(True, axis="x", alpha=0.3)
    share = beats[others]
    best = names[1 + int(np.argmax(cheapest[others]))] if len(names) > 1 else names[0]
    _title(left, f"{best} is the cheapest in {cheapest[names.index(best)]:.0%} of the worlds; "
                 f"{int((share >= 0.999).sum())} of {len(names) - 1} alternatives beat {names[0]} in all of them")
    return fig

