"""Honest validation of `queuesim fit` across months: pooled vs skills+priorities.

Run from the repository root (1.5-2.5 min on 2 shared cores, measured; 30 replications per prediction):

    .venv/bin/python experiments/validate_months.py
    .venv/bin/python experiments/validate_months.py --patience empirical   # the same with Kaplan-Meier patience

Data: the Technion SEE "Anonymous Bank" call records of January and February 1999
(Mandelbaum; Brown et al. 2005, JASA 100(469):36-50), read from
``$QUEUESIM_DATA/anonymous_bank_1999`` or ``<repo>/../shared/data/anonymous_bank_1999``;
if absent the script says so and exits 0. Nothing from the raw data is written into the
repository: only the tables (``experiments/results/validate_months.md``) and figures.

Four fits of each month (Sun-Thu, 30-min intervals, work-conserving staffing, exponential
patience, lognormal handle times), differing only in ``--groups`` and ``--priorities``:

* ``pooled``: groups none, priorities none (one FCFS pool);
* ``skills``: groups auto, priorities none;
* ``priorities``: groups none, priorities auto;
* ``skills+priorities``: groups auto, priorities auto (the default of ``queuesim fit``);
* ``skills+classes, FCFS``: the same call types (one per priority class, each with its own
  patience and handle time) and groups, but served first come, first served: what the
  strict priority itself adds or costs.

Each model predicts a set of days from another set's *behaviour*: the target days' own
fitted config (arrival profile and call-type shares, reconstructed staffing, agent groups
and routing: what a planner knows about the period they plan) with the source days' handle
times and patience per call type. Cases:

* in-month (reference): January from January, February from February (behaviour fitted on
  the same days: what the fit can reproduce at best);
* cross-month: February from January, January from February;
* leave-days-out: within each month, the Sun-Thu days alternately in two halves; behaviour
  from the first half (days 1, 3, 5, ...), predicting the second (days 2, 4, 6, ...).

Compared with the target days' records per call type (PS, NW, NE, other: the priority
classes of a type are added back together), per half hour, and per (type, half hour):
abandonment, ASA (mean wait of answered calls) and service level (answered within 20 s /
all calls; abandoned calls are misses), as mean absolute errors (MAE) and Spearman's rank
correlation. Cells with fewer than ``MIN_CELL`` observed calls per day are left out of the
per-half-hour comparisons (too noisy to compare).
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from queuesim.fit import fit_records, read_records  # noqa: E402
from queuesim.fit.fitcheck import kpis, observed_calls, simulated_calls  # noqa: E402
from queuesim.model.units import format_clock  # noqa: E402

DATA = Path(os.environ.get("QUEUESIM_DATA") or REPO.parent / "shared" / "data") / "anonymous_bank_1999"
MONTHS = {"January": DATA / "january_1999.txt", "February": DATA / "february_1999.txt"}
RESULTS = REPO / "experiments" / "results"
DOCS = REPO / "docs" / "figures"
REPS = 30
SEED = 1999
DAYS = "sun-thu"
MIN_CELL = 5.0       # observed calls per day in a half hour (all types) to compare it
MIN_TYPE_CELL = 2.0  # ... in a (type, half hour) cell
MODELS = {"pooled": ("none", "none"), "skills": ("auto", "none"), "priorities": ("none", "auto"),
          "skills+priorities": ("auto", "auto"), "skills+classes, FCFS": ("auto", "auto", "fcfs")}
BASES = ["PS", "NW", "NE", "other"]
KPI = [("abandonment", "abandonment", 100, "pp"), ("asa", "ASA", 1, "s"), ("service_level", "SL 20 s", 100, "pp")]


PATIENCE = "exponential"  # --patience weibull|empirical for the same study with another patience model


def fit(recs, groups: str, priorities: str, order: str = "strict"):
    """A fit; ``order="fcfs"``: the priority classes kept as call types, but served first come, first served."""
    cfg, rep = fit_records(recs, "anonymous-bank", days=DAYS, groups=groups, priorities=priorities, seed=SEED,
                           patience=PATIENCE)
    if order == "fcfs":
        for t in cfg["call_types"]:
            t.pop("priority", None)
    return cfg, rep


def with_behaviour(target_cfg: dict, target_rep, source_cfg: dict, source_rep) -> tuple[dict, int]:
    """The target's config with the source's handle time and patience per call type; (config, types unmatched).

    A type is matched by name, else by (type, priority class), else by the source's largest class of the type."""
    cfg = copy.deepcopy(target_cfg)
    src = {t["name"]: t for t in source_cfg["call_types"]}
    by_class = {(source_rep.type_base[n], source_rep.type_priority[n]): n for n in src}
    largest: dict[str, str] = {}
    for t in sorted(source_cfg["call_types"], key=lambda t: -t["share"]):
        largest.setdefault(source_rep.type_base[t["name"]], t["name"])
    unmatched = 0
    for t in cfg["call_types"]:
        name = t["name"]
        key = (target_rep.type_base[name], target_rep.type_priority[name])
        s = src.get(name) or src.get(by_class.get(key, "")) or src.get(largest.get(key[0], ""))
        if s is None:
            unmatched += 1
            continue
        t["handle_time"], t["patience"] = s["handle_time"], s["patience"]
    return cfg, unmatched


def measures(obs: pd.DataFrame, n_obs: int, sim: pd.DataFrame, n_sim: int) -> dict[str, float]:
    out: dict[str, float] = {}
    # the day
    do, ds = kpis(obs.assign(all=0), "all", n_obs).iloc[0], kpis(sim.assign(all=0), "all", n_sim).iloc[0]
    per_rep = kpis(sim, "rep", 1)
    for key, _, scale, _ in KPI:
        out[f"day_{key}_obs"], out[f"day_{key}_sim"] = do[key] * scale, ds[key] * scale
        v = per_rep[key].to_numpy() * scale  # one value per simulated day: a t interval for the mean day
        out[f"day_{key}_ci"] = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
        out[f"rep_{key}"] = v
    # per type
    to, ts = kpis(obs, "base", n_obs).reindex(BASES), kpis(sim, "base", n_sim).reindex(BASES)
    for key, _, scale, _ in KPI:
        for b in BASES:
            out[f"type_{key}_{b}_obs"], out[f"type_{key}_{b}_sim"] = to.loc[b, key] * scale, ts.loc[b, key] * scale
        out[f"type_{key}_mae"] = float(np.nanmean(np.abs(to[key] - ts[key]))) * scale
    # per half hour, and per (type, half hour)
    for level, by, floor in (("hh", "slot", MIN_CELL), ("cell", ["base", "slot"], MIN_TYPE_CELL)):
        o, s = kpis(obs, by, n_obs), kpis(sim, by, n_sim)
        s = s.reindex(o.index)
        keep = o["calls"] >= floor
        for key, _, scale, _ in KPI:
            ok = keep & o[key].notna() & s[key].notna()
            out[f"{level}_{key}_mae"] = float(np.mean(np.abs(o[key][ok] - s[key][ok]))) * scale
            out[f"{level}_{key}_rho"] = float(stats.spearmanr(o[key][ok], s[key][ok]).statistic)
        out[f"{level}_cells"] = int(keep.sum())
    return out


def md_table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    global PATIENCE
    import argparse

    parser = argparse.ArgumentParser(description="pooled vs skills+priorities across months")
    parser.add_argument("--patience", choices=("exponential", "weibull", "empirical"), default="exponential",
                        help="patience model of every fit (default exponential; others write *-<patience> files)")
    PATIENCE = parser.parse_args(argv).patience
    suffix = "" if PATIENCE == "exponential" else f"-{PATIENCE}"
    missing = [str(p) for p in MONTHS.values() if not p.is_file()]
    if missing:
        print(f"Anonymous Bank records not found ({', '.join(missing)}); set QUEUESIM_DATA. Nothing to do.")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    for d in (RESULTS, DOCS):
        d.mkdir(parents=True, exist_ok=True)
    recs = {m: read_records([p], "anonymous-bank") for m, p in MONTHS.items()}

    # fits: whole months, and each month's two halves of days
    fits: dict[tuple[str, str], dict[str, tuple]] = {}
    for m, r in recs.items():
        fits[(m, "all")] = {name: fit(r, *gp) for name, gp in MODELS.items()}
        days = [pd.Timestamp(d).to_datetime64() for d in fits[(m, "all")]["pooled"][1].days_used]
        for half, chosen in (("odd", days[0::2]), ("even", days[1::2])):
            sub = r.select_days(chosen)
            fits[(m, half)] = {name: fit(sub, *gp) for name, gp in MODELS.items()}
        print(f"fitted {m} ({len(days)} days) and its halves: {time.perf_counter() - t0:.0f} s", flush=True)

    cases = [("January from January (in-month)", ("January", "all"), ("January", "all")),
             ("February from February (in-month)", ("February", "all"), ("February", "all")),
             ("February from January (cross-month)", ("January", "all"), ("February", "all")),
             ("January from February (cross-month)", ("February", "all"), ("January", "all")),
             ("January, even days from odd days", ("January", "odd"), ("January", "even")),
             ("February, even days from odd days", ("February", "odd"), ("February", "even"))]
    results: dict[str, dict[str, dict[str, float]]] = {}
    curves: dict[str, dict[str, pd.DataFrame]] = {}
    for label, source, target in cases:
        results[label], curves[label] = {}, {}
        for model in MODELS:
            scfg, srep = fits[source][model]
            tcfg, trep = fits[target][model]
            cfg, unmatched = with_behaviour(tcfg, trep, scfg, srep)
            tdays = [pd.Timestamp(d) for d in trep.days_used]
            obs = observed_calls(trep._samples["frame"], tdays, trep.start, trep.interval, trep.n_intervals,
                                 trep.type_base, None, 10.0)
            sim, n_sim = simulated_calls(cfg, REPS, SEED, trep.type_base)
            res = measures(obs, len(tdays), sim, n_sim)
            res["unmatched"] = unmatched
            res["days"] = len(tdays)
            if model != "pooled":  # paired: the models share their random numbers (the same simulated days)
                for key, *_ in KPI:
                    d = res[f"rep_{key}"] - results[label]["pooled"][f"rep_{key}"]
                    res[f"delta_{key}"] = float(d.mean())
                    res[f"delta_{key}_ci"] = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
            results[label][model] = res
            curves[label][model] = kpis(sim, "slot", n_sim)
            curves[label]["observed"] = kpis(obs, "slot", len(tdays))
            curves[label]["_start"] = trep.start
            print(f"  {label:40s} {model:18s} abandonment {res['day_abandonment_sim']:5.1f}% "
                  f"(obs {res['day_abandonment_obs']:.1f}%), ASA {res['day_asa_sim']:5.1f} s "
                  f"(obs {res['day_asa_obs']:.1f} s); MAE per type {res['type_abandonment_mae']:.1f} pp, "
                  f"{res['type_asa_mae']:.1f} s" + (f"; {unmatched} types unmatched" if unmatched else ""), flush=True)
    runtime = time.perf_counter() - t0

    # ------------------------------------------------------------------ tables
    L = [f"# Validation across months: pooled vs skills+priorities (patience: {PATIENCE})\n",
         f"Generated by `experiments/validate_months.py` ({runtime:.0f} s on this machine; {REPS} replications "
         f"(simulated days) per prediction, seed {SEED}). Anonymous Bank 1999, Sun-Thu days, 30-min intervals. "
         "Prediction = the target days' load, staffing, groups and routing with the source days' handle times and "
         "patience. Observed = the target days' records. SL = answered within 20 s / all calls. The 95% CIs of the "
         "simulated day are wide because the fitted day-to-day dispersion draws a random day level per replication; "
         "the models share their random numbers, so their paired differences (vs pooled) are far more precise.\n",
         "## Summary: day totals, MAE per call type, per half hour and per (type, half hour)\n"]
    head = ["case", "model", "aband. % obs / sim ± 95% CI", "ASA s obs / sim ± CI", "SL % obs / sim ± CI",
            "vs pooled (paired): aband. pp", "ASA s",
            "MAE type aband. pp", "MAE type ASA s", "MAE type SL pp",
            "MAE hh aband. pp", "MAE hh ASA s", "MAE hh SL pp", "rho hh aband.", "rho hh ASA",
            "MAE type x hh aband. pp", "MAE type x hh ASA s", "rho type x hh aband.", "rho type x hh ASA"]
    rows = []
    for label, by_model in results.items():
        for model, r in by_model.items():
            rows.append([label, model] + [f"{r[f'day_{k}_obs']:.1f} / **{r[f'day_{k}_sim']:.1f}** ± {r[f'day_{k}_ci']:.1f}"
                                          for k, *_ in KPI]
                        + [f"{r['delta_' + k]:+.1f} ± {r['delta_' + k + '_ci']:.1f}" if "delta_" + k in r else "-"
                           for k in ("abandonment", "asa")]
                        + [f"{r[f'type_{k}_mae']:.1f}" for k, *_ in KPI]
                        + [f"{r[f'hh_{k}_mae']:.1f}" for k, *_ in KPI]
                        + [f"{r['hh_abandonment_rho']:.2f}", f"{r['hh_asa_rho']:.2f}",
                           f"{r['cell_abandonment_mae']:.1f}", f"{r['cell_asa_mae']:.1f}",
                           f"{r['cell_abandonment_rho']:.2f}", f"{r['cell_asa_rho']:.2f}"])
    L.append(md_table(head, rows))
    L.append("\n## Per call type: observed and predicted\n")
    head = ["case", "model"] + [f"{lab} {b}" for _, lab, _, _ in KPI for b in BASES]
    rows = []
    for label, by_model in results.items():
        first = next(iter(by_model.values()))
        rows.append([label, "**observed**"] + [f"{first[f'type_{k}_{b}_obs']:.1f}" for k, *_ in KPI for b in BASES])
        for model, r in by_model.items():
            rows.append([label, model] + [f"{r[f'type_{k}_{b}_sim']:.1f}" for k, *_ in KPI for b in BASES])
    L.append(md_table(head, rows))
    # averages over the four out-of-sample cases
    L.append("\n## Mean over the four out-of-sample cases (cross-month and leave-days-out)\n")
    oos = [c for c, _, _ in cases if "in-month" not in c]
    head = ["model", "abs. error day aband. pp", "abs. error day ASA s", "MAE type aband. pp", "MAE type ASA s",
            "MAE type SL pp", "MAE hh aband. pp", "MAE hh ASA s", "rho hh aband.", "MAE type x hh aband. pp",
            "MAE type x hh ASA s"]
    rows = []
    for model in MODELS:
        rs = [results[c][model] for c in oos]

        def m(f):
            return float(np.mean([f(r) for r in rs]))
        rows.append([model, f"{m(lambda r: abs(r['day_abandonment_sim'] - r['day_abandonment_obs'])):.1f}",
                     f"{m(lambda r: abs(r['day_asa_sim'] - r['day_asa_obs'])):.1f}",
                     f"{m(lambda r: r['type_abandonment_mae']):.1f}", f"{m(lambda r: r['type_asa_mae']):.1f}",
                     f"{m(lambda r: r['type_service_level_mae']):.1f}", f"{m(lambda r: r['hh_abandonment_mae']):.1f}",
                     f"{m(lambda r: r['hh_asa_mae']):.1f}", f"{m(lambda r: r['hh_abandonment_rho']):.2f}",
                     f"{m(lambda r: r['cell_abandonment_mae']):.1f}", f"{m(lambda r: r['cell_asa_mae']):.1f}"])
    L.append(md_table(head, rows))
    text = "\n".join(L) + "\n"
    (RESULTS / f"validate_months{suffix}.md").write_text(text, encoding="utf-8")
    print("\n" + text)

    # ------------------------------------------------------------------ figure
    show = ["February from January (cross-month)", "January from February (cross-month)",
            "January, even days from odd days"]
    colours = {"observed": "k", "pooled": "C0", "skills+priorities": "C3"}
    fig, axes = plt.subplots(3, 3, figsize=(14, 10))
    for col, label in enumerate(show):
        by_model = results[label]
        x = np.arange(len(BASES))
        for row, (key, lab, scale, unit) in enumerate(KPI[:2]):
            ax = axes[row, col]
            first = next(iter(by_model.values()))
            ax.bar(x - 0.27, [first[f"type_{key}_{b}_obs"] for b in BASES], 0.27, color="k", label="records")
            for j, model in enumerate(("pooled", "skills+priorities")):
                r = by_model[model]
                ax.bar(x + j * 0.27, [r[f"type_{key}_{b}_sim"] for b in BASES], 0.27, color=colours[model],
                       label=f"{model} (MAE {r[f'type_{key}_mae']:.1f} {unit})")
            top = max([first[f"type_{key}_{b}_obs"] for b in BASES]
                      + [by_model[m][f"type_{key}_{b}_sim"] for m in ("pooled", "skills+priorities") for b in BASES])
            ax.set_ylim(0, 1.45 * top)  # room for the legend above the bars
            ax.set_xticks(x)
            ax.set_xticklabels(BASES)
            ax.set_ylabel(f"{lab} ({'%' if unit == 'pp' else unit})")
            ax.set_title(f"{label}: {lab} per type", fontsize=9)
            ax.legend(fontsize=7)
        ax = axes[2, col]
        cv = curves[label]
        start = cv["_start"]
        for name in ("observed", "pooled", "skills+priorities"):
            t = cv[name]
            ax.plot(t.index, t["abandonment"] * 100, "o-" if name == "observed" else "-", ms=3,
                    color=colours[name], label=name if name == "observed" else
                    f"{name} (MAE {results[label][name]['hh_abandonment_mae']:.1f} pp)")
        ticks = np.arange(0, 36, 6)
        ax.set_xticks(ticks)
        ax.set_xticklabels([format_clock(start + 1800 * k) for k in ticks], fontsize=8)
        ax.set_ylabel("abandonment (%) per half hour")
        ax.set_title(f"{label}: abandonment per half hour", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"Anonymous Bank 1999: predicted vs records, pooled vs skills+priorities ({REPS} replications)",
                 fontsize=11)
    fig.tight_layout()
    path = RESULTS / f"fit_validation_months{suffix}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    if not suffix:
        shutil.copyfile(path, DOCS / path.name)
    print(f"wrote {RESULTS / f'validate_months{suffix}.md'}, {path}" + ("" if suffix else f", {DOCS / path.name}")
          + f"; runtime {runtime:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
