"""Which conclusions about the hold loop survive other prices and behaviours?

A config's verdicts about the hold loop rest on prices and behaviours nobody knows exactly:
what a minute on hold, a message, an abandonment or a broken promise adds to churn,
what a customer is worth, how many callers accept a callback, how much slower a
caller who waited long is to serve. This study draws each of them from a stated
range (uniform, independently; the ranges are illustrative, say so, and are printed
with the results), simulates every variant of the config in each drawn "world" on
the same callers (common random numbers across worlds and variants), and reports
for each variant how often it is the cheapest and how often it costs less than the
hold loop, with the spread of its saving. Customer slowdown is drawn too, so a config without
``handle_time_slowdown`` gets it in every world.

Runtime: the twenty-minute hold (40 worlds x 9 variants x 5 days) about a minute on 2
cores; the flagship (40 x 11 x 5 = 2,200 days of 13,500 calls) about 11 minutes of CPU,
5-6 minutes on an idle 2-core machine.

    python experiments/robustness.py [--worlds 40] [--replications 5] [--workers 2]
                                     [--config configs/twenty-minute-hold.yaml]

Writes experiments/results/robustness/<config>.csv (one row per world and variant)
and <config>.md, and the figure docs/figures/<config>-robustness.png.
"""

from __future__ import annotations

import argparse
import csv
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import queuesim as qs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = ROOT / "configs" / "twenty-minute-hold.yaml"

#: The uncertain inputs and their stated ranges (low, high), drawn uniformly and independently.
#: ``callback.acceptance`` applies to every variant with a callback.
RANGES: dict[str, tuple[float, float]] = {
    "costs.churn.per_wait_minute": (0.001, 0.005),
    "costs.churn.per_message": (0.0, 0.003),
    "costs.churn.abandoned": (0.01, 0.06),
    "costs.churn.broken_promise": (0.02, 0.15),
    "costs.churn.lifetime_value": (200.0, 1200.0),
    "costs.customer_minute": (0.10, 0.50),
    "handle_time_slowdown.per_wait_minute": (0.0, 0.02),
    "callback.acceptance": (0.3, 0.8),
}


def world_overrides(config: Path, draws: dict[str, float]) -> list[str]:
    """``--set`` assignments of one world: the drawn values, the acceptance in every callback variant."""
    raw = qs.model.config.read_yaml(config)
    out = []
    for key, value in draws.items():
        if key == "callback.acceptance":
            for name, variant in (raw.get("variants") or {}).items():
                if isinstance(variant, dict) and isinstance(variant.get("callback"), dict):
                    out.append(f"variants.{name}.callback.acceptance={value!r}")
        else:
            out.append(f"{key}={value!r}")
    return out


def simulate_world(args: tuple[Path, int, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean cost and abandonment of every variant in one world (``replications`` days, the config's seed)."""
    config, replications, draws = args
    experiment = qs.load_config(config, world_overrides(config, draws))
    result = qs.run(experiment, replications=replications, executor="serial", quiet=True)
    return {name: {metric: float(result.values(name, metric).mean())
                   for metric in ("cost_total", "abandonment_rate", "mean_wait")}
            for name in result.scenario_names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--worlds", type=int, default=40, help="draws of the uncertain inputs (default 40)")
    parser.add_argument("--replications", type=int, default=5, help="simulated days per variant and world (default 5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7, help="seed of the draws of the uncertain inputs")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "robustness")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "figures")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    worlds = [{key: float(rng.uniform(lo, hi)) for key, (lo, hi) in RANGES.items()} for _ in range(args.worlds)]
    jobs = [(args.config, args.replications, draws) for draws in worlds]
    results: list[dict[str, dict[str, float]]] = []
    with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
        for k, world in enumerate(pool.map(simulate_world, jobs), start=1):
            results.append(world)
            print(f"\rworld {k}/{len(jobs)}", end="", flush=True)
    print()
    names = list(results[0])
    baseline = names[0]
    cost = np.array([[world[name]["cost_total"] for name in names] for world in results])  # worlds x variants
    abandon = np.array([[world[name]["abandonment_rate"] for name in names] for world in results])
    cheapest = np.bincount(np.argmin(cost, axis=1), minlength=len(names)) / len(results)
    saving = cost[:, :1] - cost  # positive: cheaper than the hold loop
    beats = (saving > 0).mean(axis=0)
    fewer_lost = (abandon < abandon[:, :1]).mean(axis=0)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.config.stem
    with open(args.out / f"{stem}.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["world", *RANGES, "variant", "cost_total", "abandonment_rate", "mean_wait"])
        for k, (draws, world) in enumerate(zip(worlds, results)):
            for name in names:
                writer.writerow([k, *(f"{draws[key]:.6g}" for key in RANGES), name,
                                 f"{world[name]['cost_total']:.2f}", f"{world[name]['abandonment_rate']:.5f}",
                                 f"{world[name]['mean_wait']:.2f}"])
    lines = [
        f"{len(results)} worlds x {args.replications} days per variant, config {args.config.name}; "
        f"inputs drawn uniformly from (illustrative ranges):",
        "",
        *(f"- `{key}`: {lo:g} to {hi:g}" for key, (lo, hi) in RANGES.items()),
        "",
        f"| variant | cheapest (share of worlds) | cheaper than {baseline} | saving vs {baseline}, EUR/day: median (10th to 90th percentile) | fewer callers lost than {baseline} |",
        "|---|---|---|---|---|",
    ]
    for j, name in enumerate(names):
        if name == baseline:
            lines.append(f"| {name} | {cheapest[j]:.0%} | – | – | – |")
            continue
        lo, mid, hi = np.percentile(saving[:, j], [10, 50, 90])
        lines.append(f"| {name} | {cheapest[j]:.0%} | {beats[j]:.0%} | {mid:,.0f} ({lo:,.0f} to {hi:,.0f}) | "
                     f"{fewer_lost[j]:.0%} |")
    table = "\n".join(lines)
    (args.out / f"{stem}.md").write_text(table + "\n", encoding="utf-8")
    print(table)

    from queuesim.report.charts import robustness_figure

    figure = robustness_figure(names, cheapest, beats, saving)
    args.figures.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.figures / f"{stem}-robustness.png", dpi=110, bbox_inches="tight")
    print(f"\n{len(results)} worlds in {time.perf_counter() - started:.0f} s; tables in {args.out}/, "
          f"figure {args.figures / f'{stem}-robustness.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
