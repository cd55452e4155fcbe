"""Switch the callback offer on only when the predicted wait is long: a researcher's SimPy process.

A centre offers virtual hold (keep your place, we call you back) to callers
facing a long wait. A callback costs agent time (the agent dials, 20 s an
attempt, and the customer does not always pick up), so offering it all day is
not free. Here a SimPy process, talking to the running centre through
``queuesim.CentreControl``, switches the offer off at the start and checks the
predicted wait of a new caller (callers on hold + 1, times the mean handle
time, over the agents on duty) every 30 s: above ``--on-at`` minutes the offer
goes on, below ``--off-at`` it goes off again (hysteresis: no flapping).

The same callers (common random numbers) under three rules: ``never`` (the
offer stays off), ``always`` (the config's policy: offered to every caller
predicted to wait over the threshold) and ``switch``, at two loads: a one-hour
peak and a four-hour stretch of higher load. Read the differences against
``never`` with their conditions: how much agent time the offer costs (the
occupancy column) and what it buys (abandonment, ASA) depend on the load, the
acceptance and the dial time assumed here.

    python experiments/callback_switch.py [--replications 20] [--on-at 2] [--off-at 1]
"""

from __future__ import annotations

import argparse
from typing import Generator

import numpy as np

import queuesim as qs
from queuesim.measure.stats import mean_ci

EXP = {"distribution": "exponential"}
VIRTUAL_HOLD = {"kind": "virtual_hold", "threshold": "1min", "acceptance": 0.6, "answer_probability": 0.8,
                "dial_time": "20s", "attempts": 3, "retry_spacing": "5min"}


def centre(peak_calls: int, peak_intervals: int) -> qs.Scenario:
    """30 agents, calls per 30 min: 150 (5/min x 5 min = 25 Erlangs) with ``peak_intervals`` of ``peak_calls``."""
    profile = [150] * 4 + [peak_calls] * peak_intervals + [150] * (12 - peak_intervals)
    return qs.Scenario.model_validate({
        "name": f"{peak_intervals // 2}h peak of {peak_calls}/30min",
        "arrivals": {"calls": profile, "interval": "30min"}, "agents": 30,
        "handle_time": {**EXP, "mean": "5min"}, "patience": {**EXP, "mean": "6min"},
        "callback": VIRTUAL_HOLD,
    })


def switch(on_at: float, off_at: float, every: float = 30.0, log: list | None = None):
    """A process factory: the offer goes on above ``on_at`` s of predicted wait, off below ``off_at`` s.
    ``log`` (optional) receives ``(time, on)`` at every change."""

    def process(centre: qs.CentreControl) -> Generator:
        on = False
        centre.set_callback_offer(False)
        while centre.now < centre.horizon:
            predicted = centre.predicted_wait()
            if (not on and predicted > on_at) or (on and predicted < off_at):
                on = not on
                centre.set_callback_offer(on)
                if log is not None:
                    log.append((centre.now, on))
            yield centre.env.timeout(every)

    return process


def never(centre: qs.CentreControl) -> Generator:
    """The offer off all day."""
    centre.set_callback_offer(False)
    yield centre.env.timeout(0)


METRICS = ("abandonment_rate", "asa", "callback_accepts", "callbacks_unreached", "occupancy")


def compare(scenario: qs.Scenario, replications: int, on_at: float, off_at: float) -> dict[str, dict[str, tuple]]:
    """Per rule and metric: (mean, paired difference against ``never``, half-width of its 95% CI)."""
    rules = {"never": [never], "always": [], "switch": [switch(on_at, off_at)]}
    runs = {name: [qs.simulate(scenario, seed=3, replication=r, keep_calls=False, processes=procs).summary
                   for r in range(replications)] for name, procs in rules.items()}
    out: dict[str, dict[str, tuple]] = {}
    for name, summaries in runs.items():
        out[name] = {}
        for metric in METRICS:
            x = np.array([s[metric] for s in summaries])
            base = np.array([s[metric] for s in runs["never"]])
            diff = mean_ci(x - base)
            out[name][metric] = (float(x.mean()), diff.mean, diff.half_width)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--on-at", type=float, default=2.0, help="predicted wait (min) above which the offer goes on")
    parser.add_argument("--off-at", type=float, default=1.0, help="predicted wait (min) below which it goes off")
    args = parser.parse_args(argv)
    for scenario in (centre(230, 2), centre(185, 8)):
        print(f"\n{scenario.name}, 30 agents at 5 min a call ({args.replications} replications, same callers)")
        print(f"  {'rule':8s} " + " ".join(f"{m:>26s}" for m in METRICS))
        for rule, row in compare(scenario, args.replications, args.on_at * 60, args.off_at * 60).items():
            cells = []
            for metric, (mean, diff, half) in row.items():
                scale = 100.0 if metric in ("abandonment_rate", "occupancy") else 1.0
                cells.append(f"{mean * scale:9.2f} ({diff * scale:+6.2f}+-{half * scale:.2f})")
            print(f"  {rule:8s} " + " ".join(f"{c:>26s}" for c in cells))
    print("\nRates in %, ASA in s, counts per day; in brackets the paired difference against 'never' (95% CI).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
