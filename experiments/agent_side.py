"""Staff matter: what running the agents at 85%, 90% or 95% occupancy costs once the agent side is priced.

The flagship's day (configs/your-call-is-important.yaml, its hold-loop baseline: the same
callers, redials, messages and prices) staffed per half hour for a target occupancy of 85%,
90% or 95% of the first-call offered load (agents = load / target, rounded up, planned with
8% absence: scheduled = that / 0.92, rounded up), each simulated twice on the same callers:

* ``plain``: today's model: 8% deterministic shrinkage, agents identical and tireless;
* ``agents``: the agent side on: each scheduled agent absent for the day with probability
  0.08 (``staff.absenteeism``, the same expected head-count), and fatigue: an agent whose
  occupancy over the last hour exceeds 85% takes 1% longer per point above it, at most 30%
  longer (``staff.fatigue``).

Both keep per-agent records (``staff.high_occupancy``: time on duty at an occupancy over the
last hour above 90%), and both price the agents who quit because of the day
(``costs.attrition``: 8,000 EUR to replace one; 0.0012 per agent-day, 30% a year, at any load,
plus 0.0005 per hour run hot). Every price is illustrative; the study shows how the cheapest
staffing moves with the price of an hour run hot (recomputed from the same simulated days).

    python experiments/agent_side.py [--replications 20] [--workers 2]

Writes experiments/results/agent_side/agent_side.md and .csv, and the figures
docs/figures/agent-side-occupancy.png and docs/figures/agent-side-handle-time.png.
About 25 s on an idle 2-core machine (90 s on a busy one).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import queuesim as qs
from queuesim.experiment.compare import paired_comparison
from queuesim.report import charts
from queuesim.staffing.simulated import demand

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = ROOT / "configs" / "your-call-is-important.yaml"

TARGETS = (0.85, 0.90, 0.95)
ABSENCE = 0.08
FATIGUE = {"window": "60min", "threshold": 0.85, "per_point": 0.01, "max": 0.3}
HIGH = {"window": "60min", "above": 0.9}
ATTRITION = {"replacement_cost": 8000, "per_day": 0.0012, "per_hour_above": 0.0005}
#: Prices of an hour run hot (probability of quitting per agent-hour above 90%) the ranking is recomputed for.
PER_HOUR_ABOVE = (0.0, 0.00025, 0.0005, 0.001, 0.002)


def scenarios() -> list[qs.Scenario]:
    """The six scenarios: each target occupancy, plain and with the agent side on."""
    base = qs.load_config(CONFIG).scenarios[0]
    d = demand(base)
    raw = base.model_dump(exclude_unset=True)
    raw.pop("shifts", None)
    raw.pop("shift_adjust", None)
    costs = {**raw["costs"], "attrition": ATTRITION}
    out = []
    for target in TARGETS:
        scheduled = [max(1, math.ceil(math.ceil(load / target) / (1 - ABSENCE))) for load in d.offered_load]
        staffing = {"interval": d.length, "start": d.start, "agents": scheduled}
        common = {**raw, "staffing": staffing, "costs": costs}
        out.append(qs.Scenario(**{**common, "name": f"{target:.0%}-plain", "shrinkage": ABSENCE,
                                  "staff": {"high_occupancy": HIGH}}))
        out.append(qs.Scenario(**{**common, "name": f"{target:.0%}-agents", "shrinkage": 0.0,
                                  "staff": {"high_occupancy": HIGH, "absenteeism": ABSENCE, "fatigue": FATIGUE}}))
    return out


def _days(result: "qs.ExperimentResult", name: str) -> list:
    """The replications of scenario ``name``, in replication order (paired across scenarios)."""
    return sorted((r for r in result.replications if r.scenario == name), key=lambda r: r.replication)


def _ci(values: np.ndarray) -> tuple[float, float]:
    c = paired_comparison(values, np.zeros_like(values))
    return float(c.difference), float(c.paired_half_width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "agent_side")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "figures")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    experiment = qs.Experiment(name="agent-side", scenarios=tuple(scenarios()), replications=args.replications,
                               seed=qs.load_config(CONFIG).seed)
    result = qs.run(experiment, executor="processes", workers=args.workers, keep_calls=True, quiet=False)
    names = result.scenario_names

    rows = ["| scenario | agent-hours paid | occupancy | busiest tenth of agents at least | time run hot (>90% over the last hour) "
            "| callers who hung up | mean hold | fatigue time | agents expected to quit | cost without attrition | "
            "attrition | cost of the day |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    csv_lines = ["scenario,metric,mean,half_width"]
    for n in names:
        def m(metric: str, scale: float = 1.0, fmt: str = "{:,.0f}") -> str:
            mean, hw = _ci(result.values(n, metric) * scale)
            csv_lines.append(f"{n},{metric},{mean / scale:.6g},{hw / scale:.6g}")
            return f"{fmt.format(mean)} ± {fmt.format(hw)}"

        without = result.values(n, "cost_total") - result.values(n, "cost_attrition")
        w_mean, w_hw = _ci(without)
        rows.append(f"| {n} | {m('cost_agents', 1 / 28)} | {m('occupancy', 100, '{:.1f}')}% | "
                    f"{m('agent_occupancy_p90', 100, '{:.1f}')}% | {m('high_occupancy_share', 100, '{:.1f}')}% | "
                    f"{m('abandonment_rate', 100, '{:.2f}')}% | {m('mean_wait', 1, '{:.1f}')} s | "
                    f"{m('fatigue_time', 1 / 3600, '{:.1f}')} h | {m('expected_attrition', 1, '{:.2f}')} | "
                    f"{w_mean:,.0f} ± {w_hw:,.0f} | {m('cost_attrition')} | {m('cost_total')} |")

    # The cheapest staffing, and its paired margin over the next, for each price of an hour run hot.
    hours_hot = {n: np.array([np.nansum(r.agents.time_above[~r.agents.absent]) / 3600.0
                              for r in _days(result, n)])
                 for n in names}
    present = {n: np.array([np.count_nonzero(~r.agents.absent & (r.agents.on_duty > 0))
                            for r in _days(result, n)])
               for n in names}
    sens = ["| attrition per hour run hot | model | cheapest staffing, every cost | saving against the next, EUR/day "
            "| cheapest staffing, operating cost only | saving against the next, EUR/day |",
            "|---|---|---|---|---|---|"]
    customer_side = ("cost_customer_time", "cost_abandonment", "cost_churn")
    for price in PER_HOUR_ABOVE:
        for model in ("plain", "agents"):
            cells = []
            for operating in (False, True):
                totals = {}
                for target in TARGETS:
                    n = f"{target:.0%}-{model}"
                    base = result.values(n, "cost_total") - result.values(n, "cost_attrition")
                    if operating:  # what the centre pays: pay and telephony; no price on the customers' side
                        base = base - sum(result.values(n, c) for c in customer_side)
                    leavers = present[n] * ATTRITION["per_day"] + price * hours_hot[n]
                    totals[n] = base + leavers * ATTRITION["replacement_cost"]
                order = sorted(totals, key=lambda k: totals[k].mean())
                c = paired_comparison(totals[order[1]], totals[order[0]])
                cells.append(f"{order[0]} | {c.difference:,.0f} ± {c.paired_half_width:,.0f}")
            sens.append(f"| {price:g} | {model} | " + " | ".join(cells) + " |")

    # What the agent side changes at each staffing: paired differences agents - plain.
    diff = ["| target | extra callers who hung up (points) | extra cost of the day, EUR | extra attrition cost, EUR |",
            "|---|---|---|---|"]
    for target in TARGETS:
        a, p = f"{target:.0%}-agents", f"{target:.0%}-plain"
        cells = []
        for metric, scale, fmt in (("abandonment_rate", 100, "{:+.2f}"), ("cost_total", 1, "{:+,.0f}"),
                                   ("cost_attrition", 1, "{:+,.0f}")):
            c = result.comparison(a, p, metric)
            cells.append(f"{fmt.format(c.difference * scale)} ± {abs(c.paired_half_width * scale):,.2f}"
                         if metric == "abandonment_rate" else
                         f"{fmt.format(c.difference * scale)} ± {abs(c.paired_half_width * scale):,.0f}")
        diff.append(f"| {target:.0%} | " + " | ".join(cells) + " |")

    args.out.mkdir(parents=True, exist_ok=True)
    text = "\n".join([
        f"{args.replications} simulated days per scenario (the flagship's seed; common random numbers); "
        "mean per day ± the half-width of its 95% CI.", "", *rows, "",
        "What the agent side (absenteeism, fatigue) adds at each staffing (paired differences, agents - plain):", "",
        *diff, "",
        "The cheapest staffing as the price of an hour run hot changes (recomputed from the same days):", "", *sens,
    ])
    (args.out / "agent_side.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "agent_side.csv").write_text("\n".join(csv_lines) + "\n", encoding="utf-8")
    print(text)

    args.figures.mkdir(parents=True, exist_ok=True)
    fig = charts.agent_occupancy_figure(result)
    fig.savefig(args.figures / "agent-side-occupancy.png", dpi=110, bbox_inches="tight")
    fig = handle_time_figure(result)
    fig.savefig(args.figures / "agent-side-handle-time.png", dpi=110, bbox_inches="tight")
    print(f"\n{len(names)} scenarios x {args.replications} days in {time.perf_counter() - started:.0f} s; "
          f"tables in {args.out}/, figures in {args.figures}/agent-side-*.png")
    return 0


def handle_time_figure(result: "qs.ExperimentResult"):
    """Mean handle time against occupancy, one point per half hour and simulated day with at least 20 answers
    (handle times as handled, fatigue included, of the calls answered in the half hour; the half hour's
    occupancy), every staffing together: plain (grey) and with the agent side (orange), with the mean per
    2.5-point band of occupancy as a line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.5), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    hot = {}
    for model, color, marker in (("plain", "#777777", "x"), ("agents", "#D55E00", "o")):
        xs, ys = [], []
        for n in result.scenario_names:
            if not n.endswith(model):
                continue
            for r in _days(result, n):
                if r.calls is None or not r.intervals:
                    continue
                starts = np.asarray(r.intervals["interval_start"], dtype=float)
                occupancy = np.asarray(r.intervals["occupancy"], dtype=float)
                answered = r.calls.answered
                k = np.searchsorted(starts, r.calls.answer[answered], side="right") - 1
                handle = r.calls.handle_time[answered]
                ok = k >= 0
                sums = np.bincount(k[ok], weights=handle[ok], minlength=starts.size)
                counts = np.bincount(k[ok], minlength=starts.size)
                keep = counts >= 20
                xs.extend(occupancy[keep])
                ys.extend(sums[keep] / counts[keep])
        x, y = np.array(xs, dtype=float) * 100, np.array(ys, dtype=float) / 60
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        label = "today's model: tireless agents" if model == "plain" else "with fatigue and absenteeism"
        ax.scatter(x, y, s=7, alpha=0.3, color=color, marker=marker, label=label)
        edges = np.arange(70.0, 102.5, 2.5)
        band = np.digitize(x, edges)
        centres, means = [], []
        for b in np.unique(band):
            if np.count_nonzero(band == b) >= 5:
                centres.append(float(np.mean(x[band == b])))
                means.append(float(np.mean(y[band == b])))
        ax.plot(centres, means, color=color, lw=2.2)
        hot[model] = float(np.mean(y[x >= 98])) if np.any(x >= 98) else float("nan")
    ax.set_xlabel("occupancy in the half hour (%)")
    ax.set_ylabel("mean handle time of its calls (min)")
    ax.legend(frameon=False, markerscale=2.5, loc="upper left")
    charts._title(ax, f"Where the agents run hot (98% occupancy or more) a call takes {hot['agents']:.2f} min with "
                      f"fatigue, {hot['plain']:.2f} min without")
    return fig


if __name__ == "__main__":
    raise SystemExit(main())
