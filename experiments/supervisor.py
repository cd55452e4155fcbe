"""A supervisor who lends agents to a department whose queue is growing: a researcher's SimPy process.

Two departments: billing (steady) and tech (a two-hour surge at midday). A
supervisor, written as an ordinary SimPy process that talks to the running
centre through ``queuesim.CentreControl``, looks at the queues every minute:
when more than ``--threshold`` callers wait for tech while billing has idle
agents and a short queue, one billing agent moves to tech (at most
``--max-lent``); when tech's queue is empty and billing's is growing, one comes
back. The same callers (common random numbers) are simulated with and without
the supervisor, at two billing loads:

* ``billing quiet`` (12 Erlangs on 15 agents): tech's callers gain a lot,
  billing's lose a little, the centre as a whole gains;
* ``billing busy`` (14 Erlangs on 15 agents): the agents lent are ones billing
  needs; the centre gains less, and billing's callers pay for tech's.

    python experiments/supervisor.py [--replications 20] [--threshold 6] [--max-lent 4]
"""

from __future__ import annotations

import argparse
from typing import Generator

import numpy as np

import queuesim as qs
from queuesim.measure.stats import mean_ci

EXP = {"distribution": "exponential"}
#: tech calls per 30 minutes over an 8-hour day: a surge from 3h to 5h
TECH_PROFILE = [60] * 6 + [120] * 4 + [60] * 6


def centre(billing_rate_per_min: float) -> qs.Scenario:
    """The two departments; ``billing_rate_per_min``: billing calls per minute (4 min each)."""
    return qs.Scenario.model_validate({
        "name": f"billing {billing_rate_per_min:g}/min",
        "groups": [{"name": "billing", "agents": 15}, {"name": "tech", "agents": 12}],
        "call_types": [
            {"name": "billing", "groups": ["billing"], "arrivals": {"rate": f"{billing_rate_per_min}/min"},
             "handle_time": {**EXP, "mean": "4min"}, "patience": {**EXP, "mean": "4min"}},
            {"name": "tech", "groups": ["tech"], "arrivals": {"calls": TECH_PROFILE, "interval": "30min"},
             "handle_time": {**EXP, "mean": "5min"}, "patience": {**EXP, "mean": "4min"}},
        ],
        "horizon": "8h",
    })


def supervisor(threshold: int = 6, max_lent: int = 4, every: float = 60.0):
    """A process factory: the supervisor's rule, checked every ``every`` s (see the module docs)."""

    def process(centre: qs.CentreControl) -> Generator:
        lent = 0
        while centre.now < centre.horizon:
            tech, billing = centre.waiting(group="tech"), centre.waiting(group="billing")
            if tech > threshold and lent < max_lent and billing <= 1 and centre.agents("billing").idle > 0:
                lent += centre.move_agents(1, "billing", "tech")
            elif lent > 0 and tech == 0 and billing > 2:
                lent -= centre.move_agents(1, "tech", "billing")
            yield centre.env.timeout(every)

    return process


METRICS = ("abandonment_rate[tech]", "asa[tech]", "abandonment_rate[billing]", "asa[billing]", "abandonment_rate")


def compare(scenario: qs.Scenario, replications: int, threshold: int, max_lent: int) -> dict[str, tuple]:
    """Paired differences (with supervisor - without) of each metric: (without, with, difference, half-width)."""
    rule = supervisor(threshold, max_lent)
    out = {}
    without = [qs.simulate(scenario, seed=7, replication=r, keep_calls=False).summary for r in range(replications)]
    with_ = [qs.simulate(scenario, seed=7, replication=r, keep_calls=False, processes=[rule]).summary
             for r in range(replications)]
    for metric in METRICS:
        a = np.array([s[metric] for s in without])
        b = np.array([s[metric] for s in with_])
        diff = mean_ci(b - a)
        out[metric] = (float(a.mean()), float(b.mean()), diff.mean, diff.half_width)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--threshold", type=int, default=6, help="tech callers waiting before an agent is lent")
    parser.add_argument("--max-lent", type=int, default=4, help="billing agents lent at most at once")
    args = parser.parse_args(argv)
    for label, rate in (("billing quiet", 3.0), ("billing busy", 3.5)):
        print(f"\n{label}: {rate:g} billing calls/min on 15 agents; tech surge 4/min on 12 agents from 3h to 5h "
              f"({args.replications} replications, same callers with and without the supervisor)")
        print(f"  {'metric':28s} {'without':>9s} {'with':>9s} {'difference (95% CI, paired)':>30s}")
        for metric, (a, b, d, h) in compare(centre(rate), args.replications, args.threshold, args.max_lent).items():
            scale, unit = (100.0, "pts") if "rate" in metric else (1.0, "s")
            print(f"  {metric:28s} {a * scale:9.2f} {b * scale:9.2f} {d * scale:+14.2f} +- {h * scale:.2f} {unit}")
    print("\nAbandonment in % of offered calls; ASA in seconds. Prices are not involved: this is about who waits.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
