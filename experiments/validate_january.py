"""Validation of `queuesim fit` on real data: fit January 1999, reproduce January, predict February.

Run from the repository root:

    .venv/bin/python experiments/validate_january.py          # ~1 min; prints every table

Data: the Technion SEE "Anonymous Bank" call records (Mandelbaum; Brown et al. 2005, JASA
100(469):36-50), read from ``$QUEUESIM_DATA/anonymous_bank_1999`` or
``<repo>/../shared/data/anonymous_bank_1999``; if absent the script says so and exits 0.
Nothing from the raw data is written into the repository except the figures.

1. Fit January (Sun-Thu, 30 min) with each staffing reconstruction and each patience model;
   simulate each fitted config (20 replications) and compare per half hour with January's
   records: abandonment, ASA, service level (20 s), answered calls (MAE per half hour,
   day totals, Spearman rank correlation across half hours).
2. Predict February: February's arrivals and staffing (fitted from February's records)
   with January's behaviour (handle times and patience per type), compared with February.
3. The empirical law: abandonment rate vs mean wait across (day, half hour) cells, in the
   data and in the simulation, with slopes through the origin vs 1 / mean patience.

Figures: experiments/figures/fit_*.png (the main one copied to docs/figures/).
"""

from __future__ import annotations

import copy
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from queuesim import simulate  # noqa: E402
from queuesim.model.config import experiment_from_dict  # noqa: E402
from queuesim.fit import fit_records, observed_intervals, read_records  # noqa: E402
from queuesim.model.units import format_clock  # noqa: E402

DATA = Path(os.environ.get("QUEUESIM_DATA") or REPO.parent / "shared" / "data") / "anonymous_bank_1999"
JAN, FEB = DATA / "january_1999.txt", DATA / "february_1999.txt"
FIG = REPO / "experiments" / "figures"
DOCS = REPO / "docs" / "figures"
REPS = 20
SEED = 1999
DAYS = "sun-thu"
POOLED = dict(groups="none", priorities="none")  # one FCFS pool (experiments/validate_months.py compares the others)
KPIS = [("abandonment_rate", "abandonment", 100, "pp"), ("asa", "ASA", 1, "s"),
        ("service_level", "service level (20 s)", 100, "pp"), ("answered", "answered calls", 1, "calls")]


def simulate_config(cfg: dict, reps: int = REPS) -> pd.DataFrame:
    """Per-interval tables of ``reps`` replications, stacked (column ``rep``)."""
    scenario = experiment_from_dict(cfg).scenarios[0]
    out = []
    for r in range(reps):
        res = simulate(scenario, seed=SEED, replication=r, keep_calls=False)
        t = pd.DataFrame(res.intervals)
        t["rep"] = r
        out.append(t)
    return pd.concat(out, ignore_index=True)


def sim_mean(sim: pd.DataFrame, start: float, n: int, step: float) -> pd.DataFrame:
    """Mean over replications per interval, on the observed grid (ratios of sums)."""
    g = sim.groupby("interval_start")
    s = pd.DataFrame({
        "offered": g["offered"].mean(), "answered": g["answered"].mean(), "abandoned": g["abandoned"].mean(),
        "wait_ans": (sim["asa"].fillna(0) * sim["answered"]).groupby(sim["interval_start"]).mean(),
        "within": (sim["service_level"].fillna(0) * sim["offered"]).groupby(sim["interval_start"]).mean(),
    })
    s = s.reindex(start + step * np.arange(n))
    s["abandonment_rate"] = s["abandoned"] / s["offered"]
    s["asa"] = s["wait_ans"] / s["answered"]
    s["service_level"] = s["within"] / s["offered"]
    return s.reset_index(names="interval_start")


def day_totals(t: pd.DataFrame) -> dict[str, float]:
    off, ans = t["offered"].sum(), t["answered"].sum()
    return {"offered": off, "answered": ans, "abandonment_rate": t["abandoned"].sum() / off,
            "asa": (t["asa"].fillna(0) * t["answered"]).sum() / ans,
            "service_level": (t["service_level"].fillna(0) * t["offered"]).sum() / off}


def compare(obs: pd.DataFrame, sim: pd.DataFrame) -> dict[str, float]:
    """Daily totals (sim vs obs), MAE per half hour and Spearman's rho across half hours."""
    out: dict[str, float] = {}
    do, ds = day_totals(obs), day_totals(sim)
    for key, _, scale, _ in KPIS:
        out[f"{key}_obs"] = do[key] * scale
        out[f"{key}_sim"] = ds[key] * scale
        ok = obs[key].notna() & sim[key].notna() & (obs["offered"] >= 5)
        out[f"{key}_mae"] = float(np.mean(np.abs(obs[key][ok] - sim[key][ok]))) * scale
        out[f"{key}_rho"] = float(stats.spearmanr(obs[key][ok], sim[key][ok]).statistic)
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    head = ["model"] + [f"{lab} obs / sim" for _, lab, _, _ in KPIS] + \
           [f"MAE {lab}" for _, lab, _, _ in KPIS] + [f"rho {lab}" for _, lab, _, _ in KPIS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, c in rows.items():
        cells = [name]
        for key, _, _, unit in KPIS:
            fmt = ".1f" if unit != "calls" else ".0f"
            cells.append(f"{c[key + '_obs']:{fmt}} / **{c[key + '_sim']:{fmt}}**")
        cells += [f"{c[k + '_mae']:.1f}" for k, _, _, _ in KPIS]
        cells += [f"{c[k + '_rho']:.2f}" for k, _, _, _ in KPIS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def law_cells(frame: pd.DataFrame, days, start: float, step: float, n: int, min_calls: int = 10) -> pd.DataFrame:
    """Abandonment rate and mean wait (all calls) per (day, interval) cell of the records."""
    f = frame[frame["day"].isin(days)]
    slot = np.floor((f["arrival"] - start) / step).astype(int)
    g = f.assign(slot=slot)[(slot >= 0) & (slot < n)].groupby(["day", "slot"])
    c = pd.DataFrame({"offered": g.size(), "abandonment_rate": 1 - g["answered"].mean(), "mean_wait": g["wait"].mean()})
    return c[c["offered"] >= min_calls].reset_index()


def slope_through_origin(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted LS slope of y = b x and its standard error (weights = calls per cell)."""
    b = float(np.sum(w * x * y) / np.sum(w * x * x))
    resid = y - b * x
    s2 = float(np.sum(w * resid**2) / (len(x) - 1))
    return b, math.sqrt(s2 / float(np.sum(w * x * x)))


def main() -> int:
    if not (JAN.is_file() and FEB.is_file()):
        print(f"Anonymous Bank records not found in {DATA} (set QUEUESIM_DATA); nothing to do.")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIG.mkdir(parents=True, exist_ok=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    jan = read_records([JAN], "anonymous-bank")
    feb = read_records([FEB], "anonymous-bank")

    # ------------------------------------------------------------------ 1. January
    print("# 1. Fit January, reproduce January\n")
    rows, sims = {}, {}
    base_cfg, base_rep = fit_records(jan, "anonymous-bank", days=DAYS, **POOLED, seed=SEED)
    jdays = [pd.Timestamp(d) for d in base_rep.days_used]
    start, step, n = base_rep.start, base_rep.interval, base_rep.n_intervals
    obs_jan = observed_intervals(base_rep._samples["frame"], jdays, start, step, n)
    print(f"January: {len(jdays)} Sun-Thu days, {format_clock(start)}-{format_clock(start + n * step)}; "
          f"records read {base_rep.records_read}, skipped {base_rep.skipped}, excluded {base_rep.excluded}\n")
    print(base_rep.staffing.round(2).to_string(index=False), "\n")
    for staffing in ("work-conserving", "busy-while-waiting", "distinct"):
        for patience in ("exponential", "weibull", "empirical"):
            cfg, rep = fit_records(jan, "anonymous-bank", days=DAYS, **POOLED, staffing=staffing, patience=patience, seed=SEED)
            sim = sim_mean(simulate_config(cfg), start, n, step)
            name = f"{staffing} / {patience}"
            rows[name] = compare(obs_jan, sim)
            sims[name] = sim
            print(f"  {name:40s} abandonment {rows[name]['abandonment_rate_sim']:.1f}% "
                  f"(obs {rows[name]['abandonment_rate_obs']:.1f}%), ASA {rows[name]['asa_sim']:.1f} s "
                  f"(obs {rows[name]['asa_obs']:.1f} s)", flush=True)
    print("\n" + table(rows) + "\n")
    main_name = "work-conserving / exponential"
    main = sims[main_name]
    c = rows[main_name]
    ok_ab = abs(c["abandonment_rate_sim"] - c["abandonment_rate_obs"]) <= 2
    ok_asa = abs(c["asa_sim"] - c["asa_obs"]) <= 10
    print(f"Acceptance ({main_name}): daily abandonment {c['abandonment_rate_sim']:.1f}% vs "
          f"{c['abandonment_rate_obs']:.1f}% ({'within' if ok_ab else 'NOT within'} 2 pp); ASA "
          f"{c['asa_sim']:.1f} s vs {c['asa_obs']:.1f} s ({'within' if ok_asa else 'NOT within'} 10 s)\n")

    # per-half-hour figure (main)
    x = np.arange(n)
    labels = [format_clock(start + i * step) for i in range(n)]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    for ax, (key, lab, scale, unit) in zip(axes.flat, KPIS):
        ax.plot(x, obs_jan[key] * scale, "ko-", ms=3, lw=1.2, label="January records (mean day)")
        ax.plot(x, main[key] * scale, "s-", color="C0", ms=3, label=f"simulated: {main_name} staffing / patience")
        for other, color in (("busy-while-waiting / exponential", "C1"), ("distinct / exponential", "C2")):
            ax.plot(x, sims[other][key] * scale, "--", color=color, lw=1, label=f"simulated: {other}")
        ax.set_title(f"{lab}: MAE {rows[main_name][key + '_mae']:.1f} {unit}, "
                     f"Spearman {rows[main_name][key + '_rho']:.2f}", fontsize=10)
        ax.set_ylabel(f"{lab} ({unit if unit != 'pp' else '%'})")
        ax.set_xticks(x[::4])
        ax.set_xticklabels(labels[::4], fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Anonymous Bank, January 1999 (Sun-Thu, {len(jdays)} days): records vs the fitted model "
                 f"({REPS} replications)", fontsize=11)
    fig.tight_layout()
    main_fig = FIG / "fit_validation_january.png"
    fig.savefig(main_fig, dpi=110)
    plt.close(fig)
    shutil.copyfile(main_fig, DOCS / main_fig.name)

    # fit report figures (January, default options)
    for p in base_rep.plot(FIG, prefix="fit_january"):
        print("wrote", p.relative_to(REPO))
    shutil.copyfile(FIG / "fit_january_arrivals_staffing.png", DOCS / "fit_january_arrivals_staffing.png")

    # ------------------------------------------------------------------ 2. February
    print("\n# 2. Predict February: February's load and staffing, January's behaviour\n")
    frows, fsims = {}, {}
    for staffing in ("work-conserving", "busy-while-waiting", "distinct"):
        jcfg, _ = fit_records(jan, "anonymous-bank", days=DAYS, **POOLED, staffing=staffing, seed=SEED)
        fcfg, frep = fit_records(feb, "anonymous-bank", days=DAYS, **POOLED, staffing=staffing, seed=SEED)
        behaviour = {t["name"]: t for t in jcfg["call_types"]}
        pred = copy.deepcopy(fcfg)
        for t in pred["call_types"]:
            t["handle_time"] = behaviour[t["name"]]["handle_time"]
            t["patience"] = behaviour[t["name"]]["patience"]
        fdays = [pd.Timestamp(d) for d in frep.days_used]
        obs_feb = observed_intervals(frep._samples["frame"], fdays, frep.start, frep.interval, frep.n_intervals)
        sim = sim_mean(simulate_config(pred), frep.start, frep.n_intervals, frep.interval)
        name = f"Feb predicted, {staffing}"
        frows[name] = compare(obs_feb, sim)
        fsims[name] = (obs_feb, sim, frep)
        print(f"  {name:40s} abandonment {frows[name]['abandonment_rate_sim']:.1f}% "
              f"(obs {frows[name]['abandonment_rate_obs']:.1f}%), ASA {frows[name]['asa_sim']:.1f} s "
              f"(obs {frows[name]['asa_obs']:.1f} s)", flush=True)
    print(f"\nFebruary: {len(fdays)} Sun-Thu days; dropped {frep.days_dropped or 'none'}\n")
    print(table(frows) + "\n")
    obs_feb, fsim, frep = fsims["Feb predicted, work-conserving"]
    fx = np.arange(frep.n_intervals)
    flabels = [format_clock(frep.start + i * frep.interval) for i in range(frep.n_intervals)]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    for ax, (key, lab, scale, unit) in zip(axes.flat, KPIS):
        ax.plot(fx, obs_feb[key] * scale, "ko-", ms=3, lw=1.2, label="February records (mean day)")
        ax.plot(fx, fsim[key] * scale, "s-", color="C3", ms=3, label="predicted (Jan behaviour, Feb load + staffing)")
        r = frows["Feb predicted, work-conserving"]
        ax.set_title(f"{lab}: MAE {r[key + '_mae']:.1f} {unit}, Spearman {r[key + '_rho']:.2f}", fontsize=10)
        ax.set_xticks(fx[::4])
        ax.set_xticklabels(flabels[::4], fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("February 1999 predicted with January's patience and handle times", fontsize=11)
    fig.tight_layout()
    fig.savefig(FIG / "fit_prediction_february.png", dpi=110)
    plt.close(fig)

    # ------------------------------------------------------------------ 3. empirical law
    print("\n# 3. Abandonment rate vs mean wait across (day, half hour) cells\n")
    data = law_cells(base_rep._samples["frame"], jdays, start, step, n)
    scen = experiment_from_dict(base_cfg).scenarios[0]
    simcells = []
    for r in range(REPS):
        t = pd.DataFrame(simulate(scen, seed=SEED, replication=r, keep_calls=False).intervals)
        simcells.append(t[t["offered"] >= 10][["offered", "abandonment_rate", "mean_wait"]])
    simc = pd.concat(simcells, ignore_index=True)
    tot_ab = sum(p["events"] for p in base_rep.patience.values())
    tot_expo = sum(p["exposure"] for p in base_rep.patience.values())
    theta = tot_expo / tot_ab
    bd, sed = slope_through_origin(data["mean_wait"].to_numpy(), data["abandonment_rate"].to_numpy(),
                                   data["offered"].to_numpy(float))
    bs, ses = slope_through_origin(simc["mean_wait"].to_numpy(), simc["abandonment_rate"].to_numpy(),
                                   simc["offered"].to_numpy(float))
    rd = stats.pearsonr(data["mean_wait"], data["abandonment_rate"]).statistic
    rs = stats.pearsonr(simc["mean_wait"], simc["abandonment_rate"]).statistic
    print(f"mean patience (exponential MLE, all types) {theta:.0f} s -> 1/theta = {1 / theta * 60:.3f} per minute")
    print(f"data: {len(data)} cells, slope {bd * 60:.3f} +- {sed * 60:.3f} per minute of mean wait (r = {rd:.2f}) "
          f"-> implied mean patience {1 / bd:.0f} s")
    print(f"sim:  {len(simc)} cells, slope {bs * 60:.3f} +- {ses * 60:.3f} per minute (r = {rs:.2f}) "
          f"-> implied mean patience {1 / bs:.0f} s")
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ax.scatter(simc["mean_wait"], simc["abandonment_rate"], s=5, alpha=0.25, color="C0", label="simulated cells")
    ax.scatter(data["mean_wait"], data["abandonment_rate"], s=9, alpha=0.6, color="k", label="January records, cells")
    xm = np.linspace(0, max(data["mean_wait"].max(), simc["mean_wait"].quantile(0.99)), 50)
    ax.plot(xm, bd * xm, "k-", label=f"data slope: 1/{1 / bd:.0f} s")
    ax.plot(xm, bs * xm, "C0--", label=f"simulation slope: 1/{1 / bs:.0f} s")
    ax.plot(xm, xm / theta, "C3:", label=f"1 / mean patience = 1/{theta:.0f} s")
    ax.set_xlabel("mean wait of all calls in the half hour (s)")
    ax.set_ylabel("abandonment rate")
    ax.set_ylim(0, min(1, max(data["abandonment_rate"].max(), 0.6)))
    ax.set_title("Abandonment vs mean wait per (day, half hour), January 1999", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIG / "fit_empirical_law.png", dpi=110)
    plt.close(fig)
    shutil.copyfile(FIG / "fit_empirical_law.png", DOCS / "fit_empirical_law.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
