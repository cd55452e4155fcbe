"""Departments with premium callers: the plain hold loop vs informative messages vs informative + virtual hold.

Runs configs/combined.yaml (two departments, premium call types with priority,
overflow and a warm transfer after misrouting) at several arrival rates. Each
rate compares the variants `no-callback` (informative messages, no offer) and
`informative-virtual-hold` (the same messages, with a virtual-hold offer) with
`generic` (the plain hold loop) by paired differences over replications (common
random numbers). Writes a table (CSV and Markdown) of the differences with 95%
confidence intervals.

    python experiments/combined.py [--replications 20] [--out experiments/results/combined]
"""

from __future__ import annotations

from pathlib import Path

from across_load import across_load, study_arguments

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "combined.yaml"
RATES = [7.0, 8.0, 9.0, 10.0, 11.0]  # calls per minute
BASELINE = "generic"
VARIANTS = ("no-callback", "informative-virtual-hold")
METRICS = ("abandonment_rate", "mean_wait", "service_level", "occupancy", "cost_total")


def main(argv: list[str] | None = None) -> int:
    args = study_arguments(__doc__, argv, 20, HERE / "results" / "combined")
    rows = []
    for rate, result in across_load(CONFIG, RATES, args.replications):
        for variant in VARIANTS:
            row: dict = {"rate_per_min": rate, "variant": variant}
            for metric in METRICS:
                row[f"{metric} ({BASELINE})"] = result.estimate(BASELINE, metric).mean
                diff = result.comparison(variant, BASELINE, metric)
                row[f"{metric} diff"] = diff.difference
                row[f"{metric} diff ci95"] = diff.paired_half_width
            row["callback_accepts"] = result.estimate(variant, "callback_accepts").mean
            row["balked"] = result.estimate(variant, "balked").mean
            rows.append(row)

    import pandas as pd

    table = pd.DataFrame(rows)
    table.to_csv(args.out / "combined.csv", index=False)
    lines = [f"| calls/min | variant | abandonment vs {BASELINE} (points) | mean wait vs {BASELINE} (s) | "
             f"service level vs {BASELINE} (points) | cost vs {BASELINE} (EUR/day) | callbacks/day | balked/day |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        pct = lambda m: f"{100 * row[f'{m} diff']:+.2f} ± {100 * row[f'{m} diff ci95']:.2f}"  # noqa: E731
        lines.append(
            f"| {row['rate_per_min']:g} (abandonment {100 * row[f'abandonment_rate ({BASELINE})']:.1f}%) | "
            f"{row['variant']} | {pct('abandonment_rate')} | "
            f"{row['mean_wait diff']:+.1f} ± {row['mean_wait diff ci95']:.1f} | {pct('service_level')} | "
            f"{row['cost_total diff']:+,.0f} ± {row['cost_total diff ci95']:,.0f} | {row['callback_accepts']:.0f} | "
            f"{row['balked']:.0f} |")
    (args.out / "combined.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {args.out}/combined.csv and combined.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
