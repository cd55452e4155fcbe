"""A sharp peak: per-interval Erlang A staffing misses the target after it; simulation-refined staffing does not.

Day: 15-minute intervals from 08:00, 60 calls per interval except a two-interval
peak of 300 (09:15-09:45); exponential handle time (6 min) and patience
(10 min), so Erlang A is exact for every interval taken on its own. Target:
80% of calls answered within 20 s.

Erlang A staffs each interval as a stationary queue. At 09:45 the staffing
drops from 125 to 28 agents while the 28 who stay are still busy with peak
calls and a queue is waiting: the interval after the peak starts far from the
stationary state. :func:`queuesim.staffing.requirements` simulates the whole
day with common random numbers (20 replications in the search, targets met at
the one-sided 95% bound), re-staffing every interval from Erlang A calibrated on
each simulated day, then trimming (the iterative search). Both
staffings are then checked on 200 independent replications (numbers
1000-1199, not used by the search): an interval misses when the mean service
level is below the target.

Finding (seed 3): Erlang A answers 71.7% +- 4.1% within 20 s at 09:45, the
interval after the peak (28 agents); the refined staffing puts 37 agents there
and meets 80% in every interval (92.2% at 09:45), for 3 fewer agent-hours over
the day (it saves where the day starts empty, 21 agents at 08:00, and in the
first peak interval, whose queue builds up as it goes: 106 agents at 09:15
instead of 125). The search simulated 13 staffings, about 10 s on a busy
2-core machine.

    python experiments/staffing_peak.py [--replications 20] [--check 200]
        [--out experiments/results/staffing_peak] [--figure docs/figures/staffing_peak.png]

Writes ``staffing_peak.csv`` (per interval: calls, agents and service level
with 95% CI for both staffings) and the figure; prints the finding.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import queuesim as qs
from queuesim.staffing import evaluate_staffing, requirements
from queuesim.staffing.figures import BLUE, GREY, VERMILLION, _clock_axis, _figure, _steps
from queuesim.model.units import format_clock

TARGETS = ["service_level>=0.8@20s"]
CALLS = [60] * 5 + [300, 300] + [60] * 9  # 16 x 15 min from 08:00


def scenario() -> qs.Scenario:
    return qs.Scenario(
        name="sharp-peak",
        arrivals={"interval": "15min", "start": "08:00", "calls": CALLS},
        handle_time={"distribution": "exponential", "mean": "6min"},
        patience={"distribution": "exponential", "mean": "10min"},
        agents=1,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=20, help="replications in the search")
    parser.add_argument("--check", type=int, default=200, help="independent replications for the check")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("experiments/results/staffing_peak"))
    parser.add_argument("--figure", type=Path, default=Path("docs/figures/staffing_peak.png"))
    args = parser.parse_args(argv)

    sc = scenario()
    req = requirements(sc, TARGETS, replications=args.replications, seed=args.seed)
    began = time.perf_counter()
    checks = {
        name: evaluate_staffing(sc, staffing, TARGETS, replications=args.check, seed=args.seed,
                                confidence=0.95, first_replication=1000)
        for name, staffing in (("erlang_a", req.erlang_a), ("simulated", req.simulated))
    }
    check_time = time.perf_counter() - began

    starts = np.asarray(req.interval_start)
    rows = {"interval_start": starts, "clock": [format_clock(s) for s in starts], "calls": CALLS,
            "erlang_c": req.erlang_c, "erlang_a": req.erlang_a, "simulated": req.simulated}
    for name, c in checks.items():
        rows[f"sl_{name}"] = np.round(c.mean["service_level"], 4)
        rows[f"sl_{name}_ci_half"] = np.round(c.half_width["service_level"], 4)
        rows[f"meets_{name}"] = c.mean["service_level"] >= 0.8  # the mean meets the target
    import pandas as pd

    frame = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "staffing_peak.csv", index=False)
    print(frame.to_string(index=False))

    a_miss = [format_clock(s) for s, ok in zip(starts, rows["meets_erlang_a"]) if not ok]
    s_miss = [format_clock(s) for s, ok in zip(starts, rows["meets_simulated"]) if not ok]
    worst = int(np.nanargmin(checks["erlang_a"].mean["service_level"]))
    print(f"\nsearch: {req.evaluations} staffings x {req.replications} replications in {req.runtime:.1f} s; "
          f"check: 2 x {args.check} independent replications in {check_time:.1f} s")
    print(f"agent-hours: Erlang C {req.agent_hours('erlang_c'):.2f}, Erlang A {req.agent_hours('erlang_a'):.2f}, "
          f"simulated {req.agent_hours('simulated'):.2f}")
    print(f"Erlang A misses (mean of the independent replications below the target): {a_miss or 'none'}; worst "
          f"{format_clock(starts[worst])}: SL {checks['erlang_a'].mean['service_level'][worst]:.3f} "
          f"+- {checks['erlang_a'].half_width['service_level'][worst]:.3f} with {req.erlang_a[worst]} agents; "
          f"refined: {checks['simulated'].mean['service_level'][worst]:.3f} with {req.simulated[worst]} agents")
    print(f"simulation-refined misses: {s_miss or 'none'}")

    # figure
    length = req.demand.length
    fig = _figure(figsize=(10, 8), layout="constrained")
    top, mid, bottom = fig.subplots(3, 1, sharex=True, height_ratios=[1, 1.6, 2])
    top.bar(starts, CALLS, width=length * 0.9, align="edge", color=GREY)
    top.set_ylabel("calls per\n15 min")
    top.grid(axis="y", alpha=0.3)
    for values, label, colour, style in ((req.erlang_a, "Erlang A per interval", BLUE, "--"),
                                         (req.simulated, "simulation-refined", VERMILLION, "-")):
        x, y = _steps(starts, length, values)
        mid.step(x, y, where="post", color=colour, linestyle=style, linewidth=2.2, label=label)
    mid.set_yscale("log")
    mid.set_yticks([20, 30, 50, 100, 150])
    mid.set_yticklabels(["20", "30", "50", "100", "150"])
    from matplotlib.ticker import NullFormatter

    mid.yaxis.set_minor_formatter(NullFormatter())
    mid.set_ylabel("agents on duty\n(log scale)")
    mid.legend(loc="upper right", fontsize=9)
    mid.grid(alpha=0.3)
    centres = starts + length / 2
    for (name, c), colour, marker, shift, label in (
        (("erlang_a", checks["erlang_a"]), BLUE, "o", -0.12, "Erlang A staffing"),
        (("simulated", checks["simulated"]), VERMILLION, "D", 0.12, "simulation-refined staffing"),
    ):
        m, h = c.mean["service_level"], c.half_width["service_level"]
        bottom.errorbar(centres + shift * length, m, yerr=h, fmt=marker, color=colour, capsize=3, markersize=5,
                        label=f"{label} (mean, 95% CI)")
    bottom.axhline(0.8, color="black", linestyle=":", label="target 0.8 within 20 s")
    bottom.set_ylabel("service level\n(simulated)")
    bottom.legend(loc="lower right", fontsize=9)
    bottom.grid(alpha=0.3)
    _clock_axis(bottom, starts, length)
    fig.suptitle(
        f"After the peak, Erlang A staffing answers only {checks['erlang_a'].mean['service_level'][worst]:.0%} "
        f"within 20 s at {format_clock(starts[worst])}; simulation-refined staffing meets 80% everywhere\n"
        f"({req.erlang_a[worst]} -> {req.simulated[worst]} agents there; "
        f"{req.agent_hours('simulated'):.2f} vs {req.agent_hours('erlang_a'):.2f} agent-hours over the day; "
        f"checked on {args.check} independent replications)", fontsize=10.5)
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.figure, dpi=130)
    print(f"wrote {args.out / 'staffing_peak.csv'} and {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
