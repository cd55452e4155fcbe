"""Cold transfer vs warm hand-off vs "own it", from light load to overload.

Runs configs/transfers.yaml (variants cold, warm, own-it: the same callers under
each policy) at several arrival rates and compares each policy with cold
transfers by paired differences over replications (common random numbers).
Writes a table and a figure showing where the warm hand-off stops paying off.

    python experiments/transfers.py [--replications 10] [--out experiments/results/transfers]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from across_load import across_load, study_arguments

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "transfers.yaml"
RATES = [5.0, 6.5, 8.0, 9.0, 10.0, 11.0]  # calls per minute
METRICS = ("cost_total", "journey_wait", "journey_abandonment_rate", "first_contact_resolution", "agent_time_per_resolved")
COLOURS = {"warm": "#D55E00", "own-it": "#009E73"}


def main(argv: list[str] | None = None) -> int:
    args = study_arguments(__doc__, argv, 10, HERE / "results" / "transfers")
    rows = []
    for rate, result in across_load(CONFIG, RATES, args.replications):
        for policy in ("cold", "warm", "own-it"):
            row = {"rate_per_min": rate, "policy": policy}
            for metric in METRICS:
                est = result.estimate(policy, metric)
                row[metric] = est.mean
                row[f"{metric}_ci95"] = est.half_width
                if policy != "cold":
                    diff = result.comparison(policy, "cold", metric)
                    row[f"{metric}_vs_cold"] = diff.difference
                    row[f"{metric}_vs_cold_ci95"] = diff.paired_half_width
            rows.append(row)

    import pandas as pd

    table = pd.DataFrame(rows)
    table.to_csv(args.out / "transfers.csv", index=False)
    show = table[["rate_per_min", "policy", "cost_total", "journey_wait", "journey_abandonment_rate",
                  "first_contact_resolution", "agent_time_per_resolved"]]
    print(show.to_string(index=False, float_format=lambda x: f"{x:,.3f}"))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    panels = (
        ("cost_total", "cost per day vs cold (EUR)", 1.0),
        ("journey_abandonment_rate", "callers lost vs cold (percentage points)", 100.0),
        ("journey_wait", "hold time per caller vs cold (s)", 1.0),
    )
    crossings: dict[str, float] = {}
    for ax, (metric, label, scale) in zip(axes, panels):
        for policy in ("warm", "own-it"):
            part = table[table.policy == policy]
            y = part[f"{metric}_vs_cold"].to_numpy() * scale
            err = part[f"{metric}_vs_cold_ci95"].to_numpy() * scale
            ax.errorbar(part.rate_per_min, y, yerr=err, marker="o", capsize=3, color=COLOURS[policy], label=policy)
            if policy == "warm":
                sign = np.sign(y)
                flips = np.flatnonzero(sign[:-1] != sign[1:])
                if flips.size:
                    k = flips[-1]  # the last change of sign: from then on warm is worse
                    x0, x1 = part.rate_per_min.iloc[k], part.rate_per_min.iloc[k + 1]
                    crossings[metric] = x0 + (x1 - x0) * (-y[k]) / (y[k + 1] - y[k])
        ax.axhline(0, color="#555555", lw=1)
        ax.set_xlabel("arrivals (calls per minute)")
        ax.set_ylabel(label)
        ax.legend(fontsize=9)
    title = "Paired differences against cold transfers (same callers, 95% CI)"
    if "journey_abandonment_rate" in crossings:
        title += (f"\nwarm hand-off loses fewer callers only below about {crossings['journey_abandonment_rate']:.1f} "
                  "calls/min; above that, agents holding the line starve the queues")
    for metric, ax in zip(("cost_total", "journey_abandonment_rate"), axes):
        if metric in crossings:
            ax.axvline(crossings[metric], color=COLOURS["warm"], ls=":", lw=1)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(args.out / "transfers.png", dpi=110)
    for metric, x in crossings.items():
        print(f"warm - cold {metric} changes sign (last time) near {x:.2f} calls/min")
    print(f"wrote {args.out / 'transfers.csv'} and {args.out / 'transfers.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
