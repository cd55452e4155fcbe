"""Simulated day vs the pointwise stationary approximation (PSA) with Erlang A.

Planners often staff each interval as if it were a stationary queue on its own
(Erlang A/C with that interval's arrival rate and agents). This study
simulates a slowly varying day whose staffing follows the PSA staffing rule
and compares, interval by interval, the simulated abandonment and ASA (mean
and 95% CI over replications) with the stationary Erlang A answer.

Finding (100 replications, seed 2026): while demand rises (10:00-10:30) the
queue has not yet built up and the simulated abandonment is about 40% below
the PSA's (0.027 vs 0.046 at 10:30, outside the 95% CI); just after the peak
(11:30) the backlog carried over from the peak puts the simulation above the
PSA (ASA 9.3 s vs 8.0 s; within the CI at this sample size). The first
interval starts empty and is better than the PSA too.

    python experiments/pointwise_stationary.py [--replications 100] [--out experiments/results/psa]

Writes ``psa_intervals.csv`` and ``psa.png`` in the output folder and prints
the intervals where the Erlang A value lies outside the simulation's CI.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import queuesim as qs
from queuesim.analytic import erlang_a_agents, erlang_a_metrics
from queuesim.measure.stats import mean_ci
from queuesim.model.units import format_clock

HANDLE = 240.0  # s, mean handle time (exponential, so Erlang A is exact per interval)
PATIENCE = 180.0  # s, mean patience (exponential)
INTERVAL = 1800.0  # s
START = 7 * 3600.0


def day_profile() -> list[float]:
    """Expected calls per 30 min from 07:00 to 21:00: a morning peak at 11:00, a smaller afternoon one."""
    hours = START / 3600 + INTERVAL / 3600 * (np.arange(28) + 0.5)
    rate_per_hour = 150 + 600 * np.exp(-((hours - 11.0) / 0.7) ** 2) + 200 * np.exp(-((hours - 15.5) / 1.5) ** 2)
    return [round(float(r) / 2, 1) for r in rate_per_hour]


def build(replications: int) -> tuple[qs.Experiment, list[float], list[int]]:
    calls = day_profile()
    agents = [
        erlang_a_agents(c / INTERVAL, HANDLE, PATIENCE, service_level=0.8, threshold=20.0) for c in calls
    ]
    scenario = qs.Scenario(
        name="psa-staffed-day",
        arrivals={"interval": INTERVAL, "start": START, "calls": calls},
        handle_time={"distribution": "exponential", "mean": HANDLE},
        patience={"distribution": "exponential", "mean": PATIENCE},
        staffing={"interval": INTERVAL, "start": START, "agents": agents},
        service_level_threshold=20.0,
    )
    return qs.Experiment(name="psa", seed=2026, replications=replications, scenarios=(scenario,)), calls, agents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("experiments/results/psa"))
    args = parser.parse_args(argv)
    experiment, calls, agents = build(args.replications)
    result = qs.run(experiment, executor="processes")
    reps = result.replications

    rows = []
    for k, (c, n) in enumerate(zip(calls, agents)):
        exact = erlang_a_metrics(c / INTERVAL, HANDLE, PATIENCE, n, threshold=20.0)
        ab = mean_ci([r.intervals["abandonment_rate"][k] for r in reps])
        asa = mean_ci([r.intervals["asa"][k] for r in reps])
        rows.append(
            {
                "interval_start": START + k * INTERVAL,
                "calls": c,
                "agents": n,
                "abandonment_sim": ab.mean,
                "abandonment_ci95": ab.half_width,
                "abandonment_psa": exact.p_abandon,
                "asa_sim": asa.mean,
                "asa_ci95": asa.half_width,
                "asa_psa": exact.asa,
            }
        )
    args.out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    table = pd.DataFrame(rows)
    table.to_csv(args.out / "psa_intervals.csv", index=False)

    print(f"{'time':>5} {'calls':>6} {'agents':>6} {'aband. sim':>16} {'PSA':>7} {'ASA sim (s)':>16} {'PSA':>6}")
    outside = []
    for row in rows:
        clock = format_clock(row["interval_start"])
        flag_ab = abs(row["abandonment_sim"] - row["abandonment_psa"]) > row["abandonment_ci95"]
        flag_asa = abs(row["asa_sim"] - row["asa_psa"]) > row["asa_ci95"]
        if flag_ab or flag_asa:
            outside.append(clock)
        print(
            f"{clock:>5} {row['calls']:6.1f} {row['agents']:6d} "
            f"{row['abandonment_sim']:8.4f}±{row['abandonment_ci95']:.4f}{'*' if flag_ab else ' '}"
            f"{row['abandonment_psa']:7.4f} {row['asa_sim']:9.2f}±{row['asa_ci95']:5.2f}{'*' if flag_asa else ' '}"
            f"{row['asa_psa']:6.2f}"
        )
    print(f"\n* = Erlang A (PSA) outside the simulation's 95% CI: {', '.join(outside) or 'none'}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hours = (table["interval_start"] + INTERVAL / 2) / 3600
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    axes[0].bar(hours, table["calls"], width=0.45, color="#999999", label="expected calls per 30 min")
    ax2 = axes[0].twinx()
    ax2.step(hours, table["agents"], where="mid", color="#0072B2", label="agents (Erlang A staffing, 80/20)")
    axes[0].set_ylabel("calls per 30 min")
    ax2.set_ylabel("agents on duty")
    axes[0].set_title("Demand and staffing (each interval staffed for 80% in 20 s by Erlang A)")
    for ax, sim, ci, psa, label in (
        (axes[1], "abandonment_sim", "abandonment_ci95", "abandonment_psa", "abandonment rate"),
        (axes[2], "asa_sim", "asa_ci95", "asa_psa", "ASA (s)"),
    ):
        ax.errorbar(hours, table[sim], yerr=table[ci], fmt="o", color="#D55E00", ms=4, capsize=2,
                    label="simulation (mean, 95% CI)")
        ax.plot(hours, table[psa], "-", color="#009E73", label="stationary Erlang A per interval (PSA)")
        ax.set_ylabel(label)
        ax.legend(loc="upper right", fontsize=8)
    axes[1].set_title("Erlang A per interval is too pessimistic while demand rises (the queue lags behind);\n"
                      "just after the peak the carried-over backlog brings the simulation up to or above it",
                      fontsize=10)
    axes[2].set_xlabel("time of day (h)")
    fig.tight_layout()
    fig.savefig(args.out / "psa.png", dpi=110)
    print(f"wrote {args.out / 'psa_intervals.csv'} and {args.out / 'psa.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
