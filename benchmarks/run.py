"""queuesim benchmarks: speed and memory as ratios against references timed in the same run.

    python benchmarks/run.py            # the full suite (a few minutes on 2 cores)
    python benchmarks/run.py --small    # CI: a few seconds, same tables, small sizes

What it measures (nothing is asserted: the script fails only if a model crashes):

* **startup**: ``queuesim validate`` of every shipped config, and ``queuesim --version``
  for the floor (the interpreter and the package), each a fresh process as a user runs it:
  wall-clock seconds, best of five interleaved rounds, three with ``--small`` (target:
  under 0.3 s per config);
* **core**: the contract config (Erlang A, 100 agents) at 500,000 arrivals against an
  idiomatic SimPy model of the same queue (one process per call,
  ``yield request | timeout(patience)``): time ratio and arrivals per second;
* **ciw**: the same queue in Ciw (needs ``pip install ciw``; skipped with a message otherwise);
* **configs**: the bank-like day, the flagship experiment's variants, the
  transfers config and (when ``configs/combined.yaml`` exists) the combined config: time per simulated call and per replication, against the core
  config (every model timed in five interleaved rounds, keeping its best);
* **scaling**: calls (1e5, 1e6, 1e7) and agents (10 ... 5,000): time and peak memory,
  each point in a fresh process; a log-log figure ``scaling.png``;
* **parallel**: replications with 1, 2, ... worker processes;
* **soak**: 1, 5 and 10 million calls with the call log off, each in a fresh process:
  peak memory (flat: it must not grow with calls) and throughput; then 1 and 5 million
  calls of each feature that follows callers across calls or refers to calls from
  pending events (redials, informative announcements, virtual hold, web forms), and 1
  and 3 million calls of the two-department transfers config;
* **staffing**: the simulated requirement of the bank-like day (80% in 20 s, at most 5%
  abandoning) and of the flagship's day (at most 6% abandoning), 20 replications, by the
  iterative search against the greedy one in the same run (serial: wall-clock and processor
  seconds, staffings simulated, agent-hours), the iterative one also on 2 worker processes;
  the two departments of the transfers config (every group's requirement, one search; 80% in
  30 s, at most 5% abandoning) by the iterative search; and the whole ``queuesim staff`` of the bank-like day with shifts and the trade-off curve
  (a fresh process, serial and on 2 workers; targets 10 s for the bank-like day, 15 s for
  the flagship's requirement, on 2 cores). ``--small``: the bank-like day with 5 replications,
  the command without the trade-off curve;
* **targets**: the issue's targets next to what this run measured.

``--only core,soak`` runs some sections only (the targets table then shows what it can).

Results go to ``benchmarks/results/latest.json`` and ``latest.md`` (a Markdown table),
and the tables are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import queuesim  # noqa: E402
from queuesim import load_config, simulate  # noqa: E402
from queuesim.model.people import Staff  # noqa: E402
from reference import ciw_reference, simpy_reference  # noqa: E402


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def _contract(arrivals: int):
    scenario = load_config(ROOT / "configs" / "erlang-a.yaml").scenarios[0]
    return scenario.model_copy(update={"horizon": arrivals / scenario.arrivals.rate, "warmup": 0.0})


def core_vs_references(arrivals: int, repeat: int, ciw_arrivals: int) -> list[dict]:
    scenario = _contract(arrivals)
    args = (scenario.arrivals.rate, scenario.handle_time.expectation(), scenario.patience.expectation(), scenario.agents)
    t_qs, res = _best(lambda: simulate(scenario, seed=1), repeat)
    t_ref, ref = _best(lambda: simpy_reference(*args, scenario.horizon), max(1, repeat - 1))
    n = len(res.calls)
    rows = [{
        "benchmark": "core config vs idiomatic SimPy",
        "calls": n, "queuesim_s": t_qs, "reference_s": t_ref, "ratio": t_qs / t_ref,
        "queuesim_calls_per_s": n / t_qs, "reference_calls_per_s": ref["arrivals"] / t_ref,
    }]
    try:
        small = _contract(ciw_arrivals)
        t_qs2, res2 = _best(lambda: simulate(small, seed=1), repeat)
        t_ciw, ref2 = _best(lambda: ciw_reference(*args, small.horizon), 1)
        rows.append({
            "benchmark": "core config vs Ciw",
            "calls": len(res2.calls), "queuesim_s": t_qs2, "reference_s": t_ciw, "ratio": t_qs2 / t_ciw,
            "queuesim_calls_per_s": len(res2.calls) / t_qs2, "reference_calls_per_s": ref2["arrivals"] / t_ciw,
        })
    except ImportError:
        print("ciw is not installed: skipping the Ciw comparison (pip install ciw)", file=sys.stderr)
    return rows


def _engine_seconds(scenario, seed: int, replications: int, fast_paths: bool = True) -> tuple[float, int]:
    """CPU time of ``replications`` replications (s), and the calls offered.

    Processor time of this process (``time.process_time``), not wall-clock time: on a
    shared machine the wall clock also counts the time other work holds the core.
    ``fast_paths=False``: one pool on the department centre (see ``queuesim.engine.build_centre``)."""
    calls = 0
    started = time.process_time()
    for r in range(replications):
        result = simulate(scenario, seed=seed, replication=r, keep_calls=False, fast_paths=fast_paths)
        calls += int(result.summary["offered"])
    return time.process_time() - started, calls


#: Suffix of a config's name in the tables when it is simulated on the department centre, not its fast path.
DEPARTMENTS = "@departments"
#: Suffix of the flagship's baseline with every part of the agent side on (:data:`AGENT_SIDE`).
AGENTS = "+agents"
#: A staff block with every part on: tenure groups, fatigue, absenteeism, late breaks, idle agents leaving first,
#: time at high occupancy.
AGENT_SIDE = {"speed": [{"share": 0.2, "multiplier": 1.3}, {"share": 0.1, "multiplier": 0.9}],
              "fatigue": {"window": 3600, "threshold": 0.85, "per_point": 0.01, "max": 0.3}, "absenteeism": 0.05,
              "breaks": "delay_to_call_end", "leaving": "first_free", "high_occupancy": {"window": 3600, "above": 0.9}}


def configs(replications: int, repeat: int = 5) -> list[dict]:
    """Time per simulated call and per replication of the shipped configs, against the core config.

    Every model, the core config included, is timed in ``repeat`` interleaved rounds and
    keeps its best round: a burst of other work on the machine then hits one round of
    every model, not every round of one. The flagship's variants are also timed on the
    department centre (``fast_paths=False``, config ``your-call-is-important@departments``):
    what the one-pool fast paths save."""
    models = [("core", "core", _contract(50_000), 1, True)]
    names = ["bank-day", "your-call-is-important", "transfers"]
    if (ROOT / "configs" / "combined.yaml").exists():  # added later; skipped quietly until then
        names.append("combined")
    for name in names:
        experiment = load_config(ROOT / "configs" / f"{name}.yaml")
        models += [(name, scenario.name, scenario, experiment.seed, True) for scenario in experiment.scenarios]
        if name == "your-call-is-important":
            models += [(f"{name}{DEPARTMENTS}", scenario.name, scenario, experiment.seed, False)
                       for scenario in experiment.scenarios]
            base = experiment.scenarios[0]  # the agent side on: any staff block runs on the department centre
            staffed = base.model_copy(update={"staff": Staff(**AGENT_SIDE)})
            models.append((f"{name}{AGENTS}", base.name, staffed, experiment.seed, True))
    best = [float("inf")] * len(models)
    calls = [0] * len(models)
    for _ in range(repeat):
        for k, (_, _, scenario, seed, fast_paths) in enumerate(models):
            seconds, calls[k] = _engine_seconds(scenario, seed, replications, fast_paths)
            best[k] = min(best[k], seconds)
    per_call_core = best[0] / calls[0]
    rows = []
    for k, (name, scenario_name, _, _, _) in enumerate(models[1:], start=1):
        per_call = best[k] / calls[k]
        rows.append({
            "config": name, "scenario": scenario_name, "replications": replications, "calls": calls[k],
            "s_per_replication": best[k] / replications, "us_per_call": per_call * 1e6,
            "cost_vs_core_per_call": per_call / per_call_core,
        })
    return rows


def startup(repeat: int) -> list[dict]:
    """``queuesim validate CONFIG`` for every config in ``configs/``, and ``queuesim --version``, each run
    ``repeat`` times in a fresh process through the console script, in interleaved rounds: the best
    wall-clock time (what a user waits for) and the processor time (user + system) of that run."""
    script = Path(sys.executable).with_name("queuesim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "queuesim.cli"]
    runs = [("--version", command + ["--version"])]
    runs += [(f"validate configs/{path.name}", command + ["validate", str(path.relative_to(ROOT))])
             for path in sorted((ROOT / "configs").glob("*.yaml"))]
    best = {name: (math.inf, math.inf) for name, _ in runs}
    for _ in range(repeat):
        for name, argv in runs:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise RuntimeError(f"queuesim {name} failed: {proc.stderr.decode(errors='replace').strip()}")
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            best[name] = min(best[name], (wall, cpu))
    return [{"command": f"queuesim {name}", "rounds": repeat, "wall_s": wall, "cpu_s": cpu}
            for name, (wall, cpu) in best.items()]


_POINT = r"""
import json, resource, sys, time
from queuesim import Scenario, simulate

def peak_kb():
    # VmHWM restarts at exec (ru_maxrss would include the forked parent's pages)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

calls, agents, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
model = sys.argv[4] if len(sys.argv) > 4 else "core"
# load 0.95; with redials 0.85 offered first calls (redials add about a tenth: still below 1)
rate = (0.85 if model == "redials" else 0.95) * agents / 60.0
if calls == 0:
    print(json.dumps({"maxrss_kb": peak_kb()})); sys.exit()
EXP = {"distribution": "exponential"}
CALLBACK = {"offer": "at_arrival", "threshold": "1min", "acceptance": 0.6, "answer_probability": 0.9,
            "dial_time": "20s", "attempts": 3, "retry_spacing": "10min"}
FEATURES = {
    "core": {},
    "redials": {"redial": {"probability": 0.5, "delay": {**EXP, "mean": "10min"}, "max_attempts": 3}},
    "informative": {"announcements": {"kind": "informative", "first": "0s", "every": "2min", "length": "10s",
                                      "tolerance": {"distribution": "lognormal", "mean": "8min", "sd": "6min"}}},
    "virtual_hold": {"callback": {"kind": "virtual_hold", **CALLBACK}},
    "web_form": {"callback": {"kind": "web_form", **CALLBACK, "follow_through": 0.7, "contact_delay": {**EXP, "mean": "30min"},
                              "late_after": "2h", "redial_if_broken": 0.5}},
}
if model == "departments":  # configs/transfers.yaml (cold transfers), as long as it takes
    from queuesim import load_config
    base = load_config(sys.argv[5]).scenarios[0]
    sc = base.model_copy(update={"horizon": calls / base.arrivals.rate})
else:
    sc = Scenario(horizon=calls / rate, arrivals={"rate": rate}, handle_time={**EXP, "mean": 60},
                  patience={**EXP, "mean": 120}, agents=agents, **FEATURES[model])
t = time.perf_counter()
res = simulate(sc, seed=1, keep_calls=keep)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "engine_seconds": res.runtime, "calls": int(res.summary["offered"]),
                  "maxrss_kb": peak_kb()}))
"""


def _point(calls: int, agents: int, keep: bool, model: str = "core") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _POINT, str(calls), str(agents), "1" if keep else "0", model,
         str(ROOT / "configs" / "transfers.yaml")],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaling(call_sizes: list[int], agent_sizes: list[int], agent_calls: int) -> list[dict]:
    base_kb = _point(0, 1, True)["maxrss_kb"]
    rows = []
    for calls in call_sizes:
        for keep in (True, False):
            p = _point(calls, 100, keep)
            rows.append({"axis": "calls", "calls": p["calls"], "agents": 100, "call_log": keep,
                         "seconds": p["seconds"], "peak_mb": p["maxrss_kb"] / 1024,
                         "bytes_per_call": (p["maxrss_kb"] - base_kb) * 1024 / max(p["calls"], 1)})
    for agents in agent_sizes:
        p = _point(agent_calls, agents, False)
        rows.append({"axis": "agents", "calls": p["calls"], "agents": agents, "call_log": False,
                     "seconds": p["seconds"], "peak_mb": p["maxrss_kb"] / 1024,
                     "bytes_per_call": (p["maxrss_kb"] - base_kb) * 1024 / max(p["calls"], 1)})
    return rows


#: Models of the soak section: the core queue, and each feature whose metrics follow callers
#: across calls or whose events refer to calls (100 agents at load 0.95 or so, see ``_POINT``).
SOAK_MODELS = ("core", "redials", "informative", "virtual_hold", "web_form", "departments")


def soak(call_sizes: list[int], feature_sizes: list[int]) -> list[dict]:
    """Long runs with the call log off: peak memory must stay flat as calls grow, for the
    core model (``call_sizes``) and every model in :data:`SOAK_MODELS` (``feature_sizes``)."""
    base_kb = _point(0, 1, False)["maxrss_kb"]
    rows = []
    for model in SOAK_MODELS:
        sizes = call_sizes if model == "core" else feature_sizes
        if model == "departments":  # three times slower per call: 1M and 3M calls
            sizes = [sizes[0], 3 * sizes[0]]
        for calls in sizes:
            p = _point(calls, 100, False, model)
            rows.append({"model": model, "calls": p["calls"], "seconds": p["seconds"],
                         "calls_per_s": p["calls"] / p["seconds"], "peak_mb": p["maxrss_kb"] / 1024,
                         "above_interpreter_mb": (p["maxrss_kb"] - base_kb) / 1024})
    return rows


def targets(sections: dict[str, list[dict]]) -> list[dict]:
    """The issue's targets, each with the value this run measured (nothing is asserted)."""
    rows: list[dict] = []

    def add(target: str, value: float | None, limit: float, unit: str) -> None:
        if value is None:
            return
        rows.append({"target": target, "measured": float(value), "limit": float(limit), "unit": unit,
                     "met": "yes" if value <= limit else "NO"})

    for row in sections.get("startup", []):
        if row["command"].startswith("queuesim validate"):
            add(f"{row['command']}: wall-clock seconds, best of {row['rounds']}", row["wall_s"], 0.3, "s")
    core = {r["benchmark"]: r for r in sections.get("core", [])}
    if "core config vs idiomatic SimPy" in core:
        add("core config time / idiomatic SimPy time", core["core config vs idiomatic SimPy"]["ratio"], 0.10, "ratio")
    agents = [r for r in sections.get("scaling", []) if r["axis"] == "agents" and r["agents"] == 1000]
    if agents and agents[0]["calls"] >= 900_000:
        add("1,000 agents, 1e6 calls: seconds (one core)", agents[0]["seconds"], 5.0, "s")
    flagship = [r for r in sections.get("configs", []) if r["config"] == "your-call-is-important"]
    if flagship:
        # the experiment as a whole: all its replications' engine time over all their calls
        seconds = sum(r["s_per_replication"] * r["replications"] for r in flagship)
        calls = sum(r["calls"] for r in flagship)
        per_call_core = flagship[0]["us_per_call"] / flagship[0]["cost_vs_core_per_call"] / 1e6
        add("flagship experiment cost per call / core", seconds / calls / per_call_core, 1.8, "ratio")
        worst = max(flagship, key=lambda r: r["cost_vs_core_per_call"])
        add(f"flagship's costliest variant ({worst['scenario']}) per call / core", worst["cost_vs_core_per_call"], 2.0, "ratio")
        general = [r for r in sections["configs"] if r["config"] == "your-call-is-important" + DEPARTMENTS]
        if general:  # the one-pool fast paths pay when the flagship costs less on them than on the department centre
            add("flagship on its one-pool fast paths / on the department centre, per call", seconds / calls / (
                sum(r["s_per_replication"] * r["replications"] for r in general) / sum(r["calls"] for r in general)),
                1.0, "ratio")
    agents = [r for r in sections.get("configs", []) if r["config"] == "your-call-is-important" + AGENTS]
    plain = [r for r in sections.get("configs", []) if r["config"] == "your-call-is-important" + DEPARTMENTS]
    if agents and plain:  # the same baseline on the same centre, with and without the agent side
        add("flagship's baseline with every agent-side part on / without, both on the department centre, per call",
            agents[0]["us_per_call"] / plain[0]["us_per_call"], 1.5, "ratio")
    for config, label, limit in (("transfers", "transfers config", 3.0), ("combined", "combined config", 3.5)):
        found = [r for r in sections.get("configs", []) if r["config"] == config]
        if not found:
            continue
        per_call_core = found[0]["us_per_call"] / found[0]["cost_vs_core_per_call"] / 1e6
        seconds = sum(r["s_per_replication"] * r["replications"] for r in found)
        add(f"{label} as a whole per call / core", seconds / sum(r["calls"] for r in found) / per_call_core, limit, "ratio")
        worst = max(found, key=lambda r: r["cost_vs_core_per_call"])
        add(f"{label}'s costliest variant ({worst['scenario']}) per call / core", worst["cost_vs_core_per_call"], limit,
            "ratio")
    for row in sections.get("staffing", []):
        if row["replications"] < 20:  # the targets are for 20 replications
            continue
        if row["what"] == "requirement your-call-is-important" and row["search"] == "iterative":
            add(f"flagship's requirement, iterative search, {row['executor']}: wall-clock seconds", row["wall_s"],
                15.0, "s")
        if row["what"].startswith("queuesim staff bank-day"):
            add(f"queuesim staff bank-day with shifts and trade-off, {row['executor']}: wall-clock seconds",
                row["wall_s"], 10.0, "s")
    logged = [r for r in sections.get("scaling", []) if r["axis"] == "calls" and r["call_log"]]
    if logged and max(r["calls"] for r in logged) >= 1_000_000:  # below that the interpreter dominates
        big = max(logged, key=lambda r: r["calls"])
        add(f"peak memory per logged call ({big['calls']:,} calls)", big["bytes_per_call"], 100.0, "bytes")
    for model in SOAK_MODELS:
        soaked = [r for r in sections.get("soak", []) if r["model"] == model]
        if len(soaked) >= 2 and soaked[0]["calls"] >= 900_000:  # below that, few chunks have been handed over
            growth = soaked[-1]["peak_mb"] - soaked[0]["peak_mb"]
            add(f"peak memory growth, log off, {model}, {soaked[0]['calls']:,} -> {soaked[-1]['calls']:,} calls",
                growth, 5.0, "MB")
    return rows


def parallel(replications: int, max_workers: int) -> list[dict]:
    experiment = load_config(ROOT / "configs" / "erlang-a.yaml")
    rows = []
    base = None
    for workers in range(1, max_workers + 1):
        started = time.perf_counter()
        queuesim.run(experiment, replications=replications, executor="processes" if workers > 1 else "serial",
                     workers=workers)
        elapsed = time.perf_counter() - started
        base = base or elapsed
        rows.append({"workers": workers, "replications": replications, "seconds": elapsed, "speedup": base / elapsed})
    return rows


STAFF_CASES = {
    "bank-day": ("configs/bank-day.yaml", ["service_level>=0.8@20s", "abandonment_rate<=0.05"]),
    "your-call-is-important": ("configs/your-call-is-important.yaml", ["abandonment_rate<=0.06"]),
    "transfers": ("configs/transfers.yaml", ["service_level>=0.8@30s", "abandonment_rate<=0.05"]),
}
#: cases staffed by the iterative search only (no greedy reference: one simulated staffing per removal of an agent
#: from each of the groups' intervals takes minutes)
ITERATIVE_ONLY = {"transfers"}


def staffing(small: bool) -> list[dict]:
    """The simulated requirement by each search (the greedy one is the reference), and the whole command."""
    from queuesim.staffing import requirements

    rows = []
    cases = ["bank-day"] if small else list(STAFF_CASES)
    replications = 5 if small else 20
    for case in cases:
        path, targets = STAFF_CASES[case]
        runs = [("greedy", "serial")] if case not in ITERATIVE_ONLY else []
        runs += [("iterative", "serial")] + ([] if small else [("iterative", "processes")])
        reference = None
        for search, executor in runs:
            started, cpu = time.perf_counter(), time.process_time()
            req = requirements(ROOT / path, targets, replications=replications, search=search, executor=executor,
                               workers=2)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            reference = reference or wall
            rows.append({"what": f"requirement {case}", "search": search,
                         "executor": executor if executor == "serial" else "2 processes", "wall_s": wall,
                         "cpu_s": cpu if executor == "serial" else float("nan"), "staffings": req.evaluations,
                         "replications": replications, "agent_hours": req.agent_hours(),
                         "time_vs_greedy": wall / reference if case not in ITERATIVE_ONLY else float("nan")})
    script = Path(sys.executable).with_name("queuesim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "queuesim.cli"]
    command += ["staff", "configs/bank-day.yaml", "--target", "service_level>=0.8@20s", "--target",
                "abandonment_rate<=0.05", "--set", "costs.agent_per_hour=30", "--shifts",
                "experiments/staffing_bank_day_shifts.yaml", "--quiet", "-n", str(replications)]
    if small:  # CI: the command runs, without the trade-off curve
        command += ["--tradeoff", "none"]
    import tempfile

    for executor in ["serial"] + ([] if small else ["processes"]):
        with tempfile.TemporaryDirectory() as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run(command + ["--out", out, "--executor", executor, "--workers", "2"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"queuesim staff failed: {proc.stderr.decode(errors='replace').strip()}")
        text = proc.stdout.decode()
        staffings = int(text.split("search: ")[1].split(" staffings")[0])
        rows.append({"what": "queuesim staff bank-day, shifts" + ("" if small else " and trade-off"), "search": "iterative",
                     "executor": executor if executor == "serial" else "2 processes", "wall_s": wall,
                     "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                     if executor == "serial" else float("nan"),
                     "staffings": staffings, "replications": replications, "agent_hours": float("nan"),
                     "time_vs_greedy": float("nan")})
    return rows


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = []
        for k in keys:
            v = row[k]
            cells.append(f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for keep, colour in ((True, "#0072B2"), (False, "#D55E00")):
        pts = [r for r in rows if r["axis"] == "calls" and r["call_log"] == keep]
        a.loglog([r["calls"] for r in pts], [r["seconds"] for r in pts], "o-", color=colour,
                 label=f"time, call log {'kept' if keep else 'not kept'}")
    a.set_xlabel("calls simulated")
    a.set_ylabel("seconds")
    a.set_title("Time grows linearly with calls (100 agents)")
    a.legend(fontsize=8)
    pts = [r for r in rows if r["axis"] == "agents"]
    b.semilogx([r["agents"] for r in pts], [r["seconds"] for r in pts], "o-", color="#009E73")
    b.set_xlabel("agents (log scale)")
    b.set_ylabel("seconds")
    b.set_title(f"Same number of calls, more agents ({pts[0]['calls']:,.0f} calls)" if pts else "")
    b.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


SECTIONS = ("startup", "core", "configs", "scaling", "parallel", "soak", "staffing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a few-second version for CI")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--only", default="", metavar="SECTIONS",
                        help="comma-separated sections to run: " + ", ".join(SECTIONS) + " (default: all)")
    args = parser.parse_args(argv)
    small = args.small
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"--only: unknown section {unknown[0]!r}; allowed: {', '.join(SECTIONS)}")
    sections: dict[str, list[dict]] = {}
    started = time.perf_counter()
    if "startup" in chosen:
        sections["startup"] = startup(3 if small else 5)
    if "core" in chosen:
        sections["core"] = core_vs_references(20_000 if small else 500_000, 1 if small else 3,
                                              5_000 if small else 100_000)
    if "configs" in chosen:
        sections["configs"] = configs(1 if small else 5, 2 if small else 5)  # round 1 also warms up
    if "scaling" in chosen:
        sections["scaling"] = scaling([10_000, 50_000] if small else [100_000, 1_000_000, 10_000_000],
                                      [10, 100] if small else [10, 100, 1000, 5000], 20_000 if small else 1_000_000)
    if "parallel" in chosen:
        sections["parallel"] = parallel(4 if small else 16, min(os.cpu_count() or 1, 4))
    if "soak" in chosen:
        sections["soak"] = soak([20_000, 100_000, 200_000] if small else [1_000_000, 5_000_000, 10_000_000],
                                [20_000, 100_000] if small else [1_000_000, 5_000_000])
    if "staffing" in chosen:
        sections["staffing"] = staffing(small)
    sections["targets"] = targets(sections)
    doc = {
        "queuesim_version": queuesim.__version__, "python": platform.python_version(),
        "machine": platform.machine(), "cpus": os.cpu_count(), "small": small,
        "total_seconds": time.perf_counter() - started, **sections,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    md = [f"queuesim {queuesim.__version__}, Python {platform.python_version()}, {os.cpu_count()} cpus"
          f"{' (small)' if small else ''}"]
    if small:
        md.append("\n(small sizes for CI: the targets are defined at full size, run without --small)")
    for name, rows in sections.items():
        md.append(f"\n### {name}\n\n{_table(rows)}")
    text = "\n".join(md) + "\n"
    (args.out / "latest.md").write_text(text)
    if "scaling" in sections:
        _figure(sections["scaling"], args.out / "scaling.png")
    print(text)
    print(f"({doc['total_seconds']:.1f} s; written to {args.out}/latest.json, latest.md, scaling.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
