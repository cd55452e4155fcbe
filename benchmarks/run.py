"""queuesim benchmarks: speed as ratios against a reference timed in the same run.

    python benchmarks/run.py            # full: the contract config at 500,000 arrivals
    python benchmarks/run.py --small    # CI: a few seconds, prints the same table

Each model runs ``--repeat`` times and the fastest run counts (the least
disturbed by the rest of the machine). Results go to
``benchmarks/results/latest.json`` and a Markdown table on stdout. Timings are
reported, never asserted: the script fails only if a model crashes.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import queuesim  # noqa: E402
from queuesim import load_config, simulate  # noqa: E402
from reference import simpy_reference  # noqa: E402


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def core_vs_simpy(arrivals: int, repeat: int) -> dict:
    """The core contract config (Erlang A, 100 agents) stretched to ``arrivals`` arrivals."""
    experiment = load_config(HERE.parent / "configs" / "erlang-a.yaml")
    scenario = experiment.scenarios[0]
    horizon = arrivals / scenario.arrivals.rate
    scenario = scenario.model_copy(update={"horizon": horizon, "warmup": 0.0})
    t_ref, ref = _best(
        lambda: simpy_reference(
            scenario.arrivals.rate,
            scenario.handle_time.expectation(),
            scenario.patience.expectation(),
            scenario.agents,
            horizon,
        ),
        repeat,
    )
    t_qs, res = _best(lambda: simulate(scenario, seed=1), repeat)
    n_qs = len(res.calls)
    return {
        "benchmark": "core contract config vs idiomatic SimPy",
        "arrivals": n_qs,
        "queuesim_s": t_qs,
        "reference_s": t_ref,
        "ratio": t_qs / t_ref,
        "queuesim_arrivals_per_s": n_qs / t_qs,
        "reference_arrivals_per_s": ref["arrivals"] / t_ref,
        "queuesim_abandonment": res.summary["abandonment_rate"],
        "reference_abandonment": ref["abandoned"] / ref["arrivals"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a few-second version for CI")
    parser.add_argument("--arrivals", type=int, help="arrivals for the core benchmark (default 500,000; 50,000 with --small)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per model, fastest kept (default 3; 1 with --small)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    arrivals = args.arrivals or (50_000 if args.small else 500_000)
    repeat = args.repeat or (1 if args.small else 3)

    rows = [core_vs_simpy(arrivals, repeat)]
    doc = {
        "queuesim_version": queuesim.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "small": args.small,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")

    print("| benchmark | arrivals | queuesim (s) | reference (s) | ratio | queuesim arrivals/s | reference arrivals/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['benchmark']} | {r['arrivals']:,} | {r['queuesim_s']:.3f} | {r['reference_s']:.3f} | "
            f"{r['ratio']:.3f} | {r['queuesim_arrivals_per_s']:,.0f} | {r['reference_arrivals_per_s']:,.0f} |"
        )
    print(f"\nabandonment: queuesim {rows[0]['queuesim_abandonment']:.4f}, reference {rows[0]['reference_abandonment']:.4f}")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
