"""The researcher's path: a scenario built in code, two policies compared with CRN, one figure.

A centre 5% short of its load plays "your call is important to us" every minute (each
message makes 3% of the callers still waiting hang up). Does offering virtual hold
("keep your place, we call you back") when the predicted wait exceeds a minute lose
fewer callers? Both policies see the same callers (common random numbers: replication
r of each scenario draws the same arrivals, handle times and patience), so the paired
confidence interval of the difference is much narrower than comparing two independent
samples would give. Replications run in parallel on all cores.

    python experiments/researcher_example.py            # 40 days of 8 h: a few seconds on 2 cores
    QS_REPS=3 QS_HORIZON=1h python experiments/researcher_example.py   # a quick look

Writes experiments/results/researcher_example.png (QS_OUT overrides the folder).
"""
import os

import queuesim as qs

reps, horizon = int(os.getenv("QS_REPS", 40)), os.getenv("QS_HORIZON", "8h")
hold = qs.Scenario(
    name="hold-loop", horizon=horizon, arrivals={"rate": "3/min"}, agents=15,
    handle_time={"distribution": "lognormal", "mean": "5min", "sd": "4min"},
    patience={"distribution": "weibull", "shape": 0.8, "mean": "5min"},
    announcements={"kind": "generic", "first": "60s", "every": "60s", "hangup_probability": 0.03},
)
callback = {"kind": "virtual_hold", "threshold": "1min", "acceptance": 0.6, "answer_probability": 0.9}
virtual = qs.Scenario(**{**hold.model_dump(exclude_unset=True), "name": "virtual-hold", "callback": callback})
experiment = qs.Experiment(name="crn-demo", scenarios=(hold, virtual), replications=reps)

if __name__ == "__main__":  # worker processes import this file again: the run stays here
    result = qs.run(experiment, executor="processes")  # all cores; the numbers equal executor="serial"
    c = result.comparison("virtual-hold", metric="abandonment_rate")  # paired by replication (CRN)
    print(f"abandonment rate, virtual hold - hold loop: {c.difference:+.4f}, paired 95% CI [{c.paired_low:+.4f}, "
          f"{c.paired_high:+.4f}]; unpaired [{c.unpaired_low:+.4f}, {c.unpaired_high:+.4f}]")
    os.makedirs(out := os.getenv("QS_OUT", "experiments/results"), exist_ok=True)
    result.plot("compare", metric="abandonment_rate").savefig(f"{out}/researcher_example.png", dpi=150)
