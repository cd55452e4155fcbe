"""Figures for planners: requirement per method against time, schedule check, cost against service level.

Colours are the Okabe-Ito palette (safe for colour-blind readers); methods
also differ by line style, so the figures read in grey too.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from ..model.units import format_clock

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from .requirements import Requirements
    from .schedule import Schedule
    from .verify import Verification

__all__ = ["requirement_figure", "tradeoff_figure", "verification_figure"]

ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, GREY = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")

_LABEL = {"service_level": "service level", "abandonment_rate": "abandonment rate", "asa": "ASA (s)",
          "mean_wait": "mean wait (s)", "occupancy": "occupancy"}


def _figure(*args, **kwargs) -> "Figure":
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


def _plain_text(function: Callable[..., "Figure"]) -> Callable[..., "Figure"]:
    """Draw ``function``'s figure with text never parsed as mathtext (names and currencies are user text)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> "Figure":
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return function(*args, **kwargs)

    return wrapper


def _clock_axis(ax, starts: np.ndarray, length: float) -> None:
    lo, hi = starts[0], starts[-1] + length
    step = 3600.0 * max(1, int(math.ceil((hi - lo) / 3600.0 / 12)))
    ticks = np.arange(math.ceil(lo / step) * step, hi + 1, step)
    ax.set_xticks(ticks)
    ax.set_xticklabels([format_clock(t) for t in ticks])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("time of day (interval start)")


def _steps(starts: np.ndarray, length: float, values) -> tuple[np.ndarray, np.ndarray]:
    x = np.append(starts, starts[-1] + length)
    y = np.append(np.asarray(values, dtype=float), float(values[-1]))
    return x, y


@_plain_text
def requirement_figure(req: "Requirements", plan: Optional["Schedule"] = None, title: Optional[str] = None) -> "Figure":
    """Calls per interval (top) and agents required by Erlang C, Erlang A, simulation, and scheduled (bottom)."""
    starts = np.asarray(req.interval_start, dtype=float)
    length = req.demand.length
    fig = _figure(figsize=(11, 6.8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2.4])
    top.bar(starts, req.demand.calls, width=length * 0.9, align="edge", color=GREY, edgecolor="none")
    top.set_ylabel("expected calls\nper interval")
    top.grid(axis="y", alpha=0.3)
    shrinkage = req.scenario.shrinkage
    if plan is not None:
        x, y = _steps(starts, length, plan.coverage)
        before = f", before {shrinkage:.0%} shrinkage" if shrinkage > 0 else ""
        bottom.fill_between(x, y, step="post", color=SKY, alpha=0.35, linewidth=0,
                            label=f"scheduled (shifts{before}; {plan.agent_hours:.0f} paid agent-h)")
    for values, label, colour, style, width in (
        (req.erlang_c, f"Erlang C ({req.agent_hours('erlang_c'):.1f} agent-h)", ORANGE, ":", 2.0),
        (req.erlang_a, f"Erlang A ({req.agent_hours('erlang_a'):.1f} agent-h)", BLUE, "--", 2.0),
        (req.simulated, f"simulation-refined ({req.agent_hours('simulated'):.1f} agent-h)", VERMILLION, "-", 2.6),
    ):
        x, y = _steps(starts, length, values)
        bottom.step(x, y, where="post", color=colour, linestyle=style, linewidth=width, label=label)
    miss = ~req.erlang_a_check.met
    if miss.any():
        bottom.plot(starts[miss] + length / 2, np.asarray(req.erlang_a)[miss] - 0.35, linestyle="none",
                    marker="^", color=BLUE, markersize=6,
                    label=f"Erlang A staffing misses a target when simulated ({int(miss.sum())} intervals)")
    bottom.set_ylabel("agents on duty" if plan is None or shrinkage == 0 else "agents on duty\n(shifts: scheduled)")
    from matplotlib.ticker import MaxNLocator

    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.grid(alpha=0.3)
    top_value = max(max(req.erlang_c), max(req.simulated), max(plan.coverage) if plan is not None else 0)
    bottom.set_ylim(0, top_value * 1.45 + 1)  # room for the legend above the lines
    bottom.legend(loc="upper right", fontsize=9, framealpha=0.95, ncol=2)
    _clock_axis(bottom, starts, length)
    targets = ", ".join(str(t) for t in req.targets)
    if title is None:
        extra = req.agent_hours("simulated") - req.agent_hours("erlang_a")
        who = f"Group {req.group}: meeting" if req.group is not None else "Meeting"
        title = (f"{who} {targets} in every interval takes {req.agent_hours('simulated'):.1f} agent-hours: "
                 f"{extra:+.1f} vs Erlang A\n(Erlang A misses a target in {int(miss.sum())} of {len(starts)} "
                 f"intervals once backlogs and real distributions are simulated)")
    fig.suptitle(title, fontsize=11)
    top.set_title(f"{req.scenario.name}: simulation with {req.replications} replications, targets met at the "
                  f"one-sided {req.confidence:.0%} confidence bound; search took {req.runtime:.1f} s", fontsize=9)
    return fig


@_plain_text
def verification_figure(ver: "Verification", title: Optional[str] = None) -> "Figure":
    """Each target's metric per interval for the schedule: mean, CI, target line, misses marked (a target
    for a call type whose callers are not this group's is left out)."""
    starts = np.asarray(ver.interval_start, dtype=float)
    length = float(starts[1] - starts[0]) if len(starts) > 1 else 1800.0
    shown = [t for t in ver.targets if t.call_type is None or np.isfinite(ver.metrics[t.key]).any()]
    n = len(shown) + 1
    fig = _figure(figsize=(11, 2.4 * n + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n, 1, sharex=True))
    mid = starts + length / 2
    ax = axes[0]
    x, y = _steps(starts, length, ver.agents)
    ax.step(x, y, where="post", color=BLUE, label="on duty (simulated schedule)")
    if ver.required is not None:  # on duty, as the simulated schedule (after shrinkage)
        x, y = _steps(starts, length, ver.required_on_duty)
        ax.step(x, y, where="post", color=VERMILLION, linestyle="--", label="required on duty")
    ax.set_ylabel("agents on duty")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    for ax, t in zip(axes[1:], shown):
        m = ver.metrics[t.key]
        lo, hi = ver.ci[t.key]
        ok = ver.check.met_by_target[t.key]
        ax.errorbar(mid[ok], m[ok], yerr=[m[ok] - lo[ok], hi[ok] - m[ok]], fmt="o", color=GREEN, markersize=4,
                    capsize=2, label=f"meets (mean, {ver.confidence:.0%} CI)")
        if (~ok).any():
            ax.errorbar(mid[~ok], m[~ok], yerr=[m[~ok] - lo[~ok], hi[~ok] - m[~ok]], fmt="s", color=VERMILLION,
                        markersize=5, capsize=2, label="misses")
        ax.axhline(t.value, color="black", linestyle=":", linewidth=1.2, label=f"target {t}")
        ax.set_ylabel(_LABEL.get(t.metric, t.metric) + (f"\n({t.call_type})" if t.call_type else ""))
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    _clock_axis(axes[-1], starts, length)
    if title is None:
        bad = len(ver.failing)
        title = ("The schedule meets every target in every interval" if bad == 0 else
                 f"The schedule misses a target in {bad} of {len(starts)} intervals") + \
                f" ({ver.replications} replications)"
    fig.suptitle(title, fontsize=11)
    return fig


@_plain_text
def tradeoff_figure(frame: "pd.DataFrame", title: Optional[str] = None) -> "Figure":
    """Cost (or agent-hours without prices) of meeting the targets against the service-level target."""
    fig = _figure(figsize=(8.5, 5.2), layout="constrained")
    ax = fig.subplots()
    levels = frame["service_level"].to_numpy()
    priced = not frame["cost_simulated"].isna().all()
    currency = frame.attrs.get("currency", "")
    key = "cost_{}" if priced else "{}_hours"
    series = [("erlang_c", "Erlang C", ORANGE, ":", "s"), ("erlang_a", "Erlang A", BLUE, "--", "o"),
              ("simulated", "simulation-refined", VERMILLION, "-", "D")]
    for method, label, colour, style, marker in series:
        ax.plot(levels, frame[key.format(method)], color=colour, linestyle=style, marker=marker, label=label)
    if "schedule_cost" in frame:
        col = "schedule_cost" if priced else "schedule_hours"
        ax.plot(levels, frame[col], color=GREEN, linestyle="-.", marker="v",
                label="least-cost shifts covering the simulated requirement")
    unit = f"cost per day ({currency})" if priced else "agent-hours per day"
    ax.set_ylabel(unit)
    threshold = frame.attrs.get("threshold")
    ax.set_xlabel("service-level target (share answered within "
                  f"{threshold:g} s)" if threshold is not None else "service-level target")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    others = frame.attrs.get("other_targets") or []
    if title is None:
        sim = frame[key.format("simulated")].to_numpy()
        title = f"Cost of service: {levels[0]:.2f} -> {levels[-1]:.2f} raises the simulated requirement " \
                f"{(sim[-1] / sim[0] - 1) * 100:+.0f}%"
        if len(levels) >= 2:
            title += f"; the last step alone {(sim[-1] / sim[-2] - 1) * 100:+.0f}%"
        if others:
            title += f"\n(also {', '.join(others)})"
    ax.set_title(title, fontsize=11)
    for x, y in zip(levels, frame[key.format("simulated")]):
        ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8,
                    color=VERMILLION)
    return fig
