"""Which skills: two departments staffed as specialists, with one-way overflow, or cross-trained both ways.

The centre of configs/transfers.yaml (billing and tech; redials; handle times and patience per department) at
several arrival rates, with a phone menu that routes every caller right (no misroutes, so that only the skills
differ), routed three ways:

* ``specialists``: each department answers its own callers only (the config as written);
* ``tech helps billing``: tech agents may answer billing callers who have waited 30 s;
* ``cross-trained``: each department may answer the other's callers after 30 s.

For each, :func:`queuesim.staffing.requirements` finds every department's agents per half hour so that each
meets 80% answered in 30 s and at most 5% abandoning for its own callers in every interval (95% one-sided
confidence over the replications; both departments staffed together, so overflow counts), and the answer is
simulated again on as many independent replications: the intervals whose mean still meets every target there.
Printed and written: agent-hours per department and in all, the change against the specialists at the same
rate, the talk time a day that agents spend on the other department's callers (mean over the new replications),
and the break-even skill penalty: how much slower those talks could be before the extra agent time eats the
saving (saving / that talk time; first order: it leaves out that slower talks also lengthen the queues).

Conditions: an agent answering the other department's callers is as fast and resolves as often as its own
agents (no skill penalty, no training cost); nobody is misrouted; the agent-hours are the requirement on duty
(before shrinkage), not a shift plan; prices are not involved.

    python experiments/skills_staffing.py [--replications 10] [--seed 404] [--rates 6,9,12]
        [--out experiments/results/skills]

About 2.5 minutes on one core (the seconds each search took are printed).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from across_load import study_arguments

import numpy as np

from queuesim import simulate
from queuesim.model.config import experiment_from_dict, read_yaml
from queuesim.staffing import evaluate_staffing, requirements
from queuesim.staffing.simulated import demand, home_groups, staffed

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "transfers.yaml"
RATES = [6.0, 9.0, 12.0]  # calls per minute
TARGETS = ["service_level>=0.8@30s", "abandonment_rate<=0.05"]
OVERFLOW_AFTER = "30s"
ROUTINGS = {
    "specialists": {},
    "tech helps billing": {"billing": ["billing", "tech"]},
    "cross-trained": {"billing": ["billing", "tech"], "tech": ["tech", "billing"]},
}


def scenario(rate: float, routing: dict[str, list[str]]):
    """The config's first variant (cold transfers) at ``rate`` calls per minute, routed as ``routing`` says."""
    spec = read_yaml(CONFIG)
    spec.pop("variants", None)
    spec["arrivals"] = {"rate": f"{rate}/min"}
    spec.pop("transfers", None)
    for call_type in spec["call_types"]:
        call_type.pop("misroute", None)
        groups = routing.get(call_type["name"])
        if groups:
            call_type["groups"] = copy.copy(groups)
            call_type["overflow_after"] = OVERFLOW_AFTER
    return experiment_from_dict(spec, base_dir=CONFIG.parent).scenarios[0]


def other_talk_hours(sc, seed: int, replications: int) -> float:
    """Mean hours a day agents talk to callers of a type whose home is another department (replications
    ``replications`` ... ``2 x replications - 1``, independent of the search's)."""
    home = np.asarray(home_groups(sc))
    hours = []
    for r in range(replications, 2 * replications):
        calls = simulate(sc, seed, replication=r).calls
        other = calls.answered & (calls.group >= 0) & (calls.group != home[calls.call_type])
        hours.append(float(np.nansum(calls.handle_time[other])) / 3600.0)
    return float(np.mean(hours))


def main(argv: list[str] | None = None) -> int:
    args = study_arguments(__doc__, argv, 10, HERE / "results" / "skills", seed=404, rates=RATES)
    rows = []
    for rate in args.rates:
        base = None
        for name, routing in ROUTINGS.items():
            began = time.perf_counter()
            sc = scenario(rate, routing)
            req = requirements(sc, TARGETS, replications=args.replications, seed=args.seed, check_erlang_a=False)
            cells = [a for part in req.parts.values() for a in part.simulated]
            held = evaluate_staffing(sc, cells, TARGETS, replications=args.replications, seed=args.seed, confidence=0.5,
                                     first_replication=args.replications)  # independent replications: the mean
            row = {"rate_per_min": rate, "routing": name, "agent_hours": req.agent_hours()}
            for group, part in req.parts.items():
                row[f"{group}_hours"] = part.agent_hours()
            base = row["agent_hours"] if base is None else base
            row["vs_specialists"] = row["agent_hours"] - base
            row["intervals_meeting_on_new_replications"] = f"{int(held.met.sum())}/{int(held.met.size)}"
            row["other_department_talk_hours"] = other_talk_hours(staffed(sc, demand(sc), cells), args.seed,
                                                                args.replications)
            saving = -row["vs_specialists"]
            talk = row["other_department_talk_hours"]
            row["break_even_penalty"] = saving / talk if talk > 0 and saving > 0 else float("nan")
            row["staffings"] = req.evaluations
            row["seconds"] = round(time.perf_counter() - began, 1)
            rows.append(row)
            print(f"rate {rate:4.1f}/min {name:<18} {row['agent_hours']:7.1f} agent-hours "
                  f"({row['vs_specialists']:+.1f}); billing {row['billing_hours']:.1f}, tech {row['tech_hours']:.1f}; "
                  f"holds in {row['intervals_meeting_on_new_replications']} on new replications; "
                  f"{row['other_department_talk_hours']:.1f} h on the other's callers, break-even penalty "
                  f"{row['break_even_penalty']:.0%}", flush=True)

    import pandas as pd

    table = pd.DataFrame(rows)
    table.to_csv(args.out / f"skills_staffing_seed{args.seed}.csv", index=False)
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.1f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
