"""Derive a "bank-like day" for queuesim from the 1999 Anonymous Bank call-centre data.

Run from the repository root:

    .venv/bin/python experiments/derive_bank_day.py

Data: the Technion SEE lab "Anonymous Bank" data (Mandelbaum; Brown et al. 2005, JASA
100(469):36-50), as described in <data>/anonymous_bank_1999/SOURCE.md. The data folder is
``<repo>/../shared/data`` or the folder named by the environment variable QUEUESIM_DATA.
If it is missing the script says so and exits 0. Raw data are never copied into the repo.

Writes (all derived, small):
    configs/bank-day-arrivals.csv         expected agent-queue arrivals per 30 min, 07:00-24:00
    configs/bank-day.yaml                 ready-to-run config (call types, staffing, dispersion)
    experiments/bank_day_observed.csv     observed per-half-hour KPIs (Jan+Feb) for validation
    experiments/figures/bank_day_*.png    figures
and prints the tables used in experiments/README-bank-day.md.

Everything is deterministic (the only random numbers, the jitter used for the KS statistic,
come from a fixed seed).
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("QUEUESIM_DATA") or REPO.parent / "shared" / "data")
BANK = DATA / "anonymous_bank_1999"
FULL_YEAR = BANK / "arrivals_6min_full_year_1999_rfssa.csv"
MONTHS = [BANK / "january_1999.txt", BANK / "february_1999.txt"]

OUT_ARRIVALS = REPO / "configs" / "bank-day-arrivals.csv"
OUT_YAML = REPO / "configs" / "bank-day.yaml"
OUT_OBSERVED = REPO / "experiments" / "bank_day_observed.csv"
FIG = REPO / "experiments" / "figures"

WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday"]  # the centre's full days
OPEN, CLOSE = 7 * 3600, 24 * 3600  # 07:00-24:00
SLOT = 1800  # 30 min
N_SLOTS = (CLOSE - OPEN) // SLOT  # 34
OUTLIER_FRACTION = 0.5  # drop days whose total is below this fraction of the median
MISSING_IN_RAW = pd.to_datetime(["1999-01-11", "1999-01-12"])  # absent from january_1999.txt
SHORT_CALL = 10  # s: served calls shorter than this are left out of the handle-time fits
ZERO_WAIT = 0.5  # s: abandonments recorded with q_time 0 (1-s clock) are put at 0.5 s in the MLEs
TYPE_GROUPS = {"PS": "PS", "NW": "NW", "NE": "NE"}  # everything else -> "other"
TYPE_ORDER = ["PS", "NW", "NE", "other"]
# incident cells (day x half hour): >= INCIDENT_MIN records of which more than INCIDENT_SHARE did not
# reach the agents (VRU-only, PHANTOM, NO_SERVER). In Jan+Feb the normal share is 0-32%, incidents 47-100%.
INCIDENT_SHARE, INCIDENT_MIN = 0.4, 10
PATIENCE_RANGE = 300.0  # s: patience fits are compared with Kaplan-Meier on [0, 300 s] (> 90% of waits)

# Known Israeli holidays / eves of 1999, only to label the days the volume rule drops.
HOLIDAY_NOTES = {
    "1999-03-02": "Purim", "1999-03-31": "Passover eve", "1999-04-01": "Passover",
    "1999-04-06": "Passover eve (7th day)", "1999-04-07": "Passover (7th day)",
    "1999-04-20": "Memorial Day", "1999-04-21": "Independence Day",
    "1999-05-20": "Shavuot eve", "1999-05-21": "Shavuot",
    "1999-09-10": "Rosh Hashana eve", "1999-09-11": "Rosh Hashana", "1999-09-12": "Rosh Hashana (2nd day)",
    "1999-09-19": "Yom Kippur eve", "1999-09-20": "Yom Kippur",
    "1999-09-24": "Sukkot eve", "1999-09-25": "Sukkot",
    "1999-10-01": "Simchat Torah eve", "1999-10-02": "Simchat Torah",
}


def hhmm(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


SLOT_LABELS = [hhmm(OPEN + i * SLOT) for i in range(N_SLOTS)]


# --------------------------------------------------------------------------- loading
def load_full_year() -> pd.DataFrame:
    a = pd.read_csv(FULL_YEAR)
    a["date"] = pd.to_datetime(a["date"])
    h, m = a["interval_start"].str.split(":", expand=True).astype(int).T.values
    a["start_s"] = h * 3600 + m * 60
    return a


def _clock(s: pd.Series) -> pd.Series:
    p = s.str.split(":", expand=True).astype(int)
    return p[0] * 3600 + p[1] * 60 + p[2]


def load_records() -> pd.DataFrame:
    frames = []
    for f in MONTHS:
        r = pd.read_csv(f, sep="\t", dtype=str)  # CRLF: the \r ends up on the last field
        r.columns = [c.strip() for c in r.columns]
        frames.append(r.apply(lambda s: s.str.strip()))
    r = pd.concat(frames, ignore_index=True)
    for c in ["priority", "vru_time", "q_time", "ser_time"]:
        r[c] = r[c].astype(int)
    r["date"] = pd.to_datetime("19" + r["date"], format="%Y%m%d")
    for c in ["vru_entry", "vru_exit", "q_start", "ser_start"]:
        r[c + "_s"] = _clock(r[c])
    # Clock times carry no date; the record's date is the VRU entry date. Later clock times
    # that are earlier than the VRU entry crossed midnight.
    for c in ["vru_exit_s", "ser_start_s"]:
        r.loc[r[c] < r["vru_entry_s"] - 60, c] += 86400
    queued = r["q_start"] != "0:00:00"
    served = (r["outcome"] == "AGENT") & (r["server"] != "NO_SERVER")
    r["queued"] = queued
    # Classification of each record (see README-bank-day.md):
    #   phantom      PHANTOM records (to be ignored, per the documentation)
    #   vru_only     HANG without ever joining the queue: the call ended in the VRU
    #   no_server    AGENT with server NO_SERVER that never queued: a few seconds, no agent (artefact/transfer)
    #   agent        an arrival to the agents: joined the queue, or was answered at once by a named agent
    cls = np.where(r["outcome"] == "PHANTOM", "phantom",
          np.where(queued | served, "agent",
          np.where(r["outcome"] == "HANG", "vru_only", "no_server")))
    r["cls"] = cls
    r["served"] = served & (r["cls"] == "agent")
    r["answered"] = (r["outcome"] == "AGENT") & (r["cls"] == "agent")
    r["abandoned"] = (r["outcome"] == "HANG") & (r["cls"] == "agent")
    r["group"] = r["type"].map(TYPE_GROUPS).fillna("other")
    # arrival time at the agent queue = end of the VRU stage (q_start for queued calls; for
    # calls answered at once the VRU exit and the answer are within a second)
    r["arrive_s"] = r["vru_exit_s"]
    return r


# --------------------------------------------------------------------------- 1. arrivals
def check_counts(a: pd.DataFrame, recs: pd.DataFrame) -> dict:
    """Do the 6-min counts count every record (VRU-only and PHANTOM included), by VRU entry time?"""
    days = sorted(set(recs["date"]))
    c = recs.assign(slot=recs["vru_entry_s"] // 360).groupby(["date", "slot"]).size().rename("records")
    x = a[a["date"].isin(days)].assign(slot=a["start_s"] // 360).set_index(["date", "slot"])["calls"]
    m = pd.concat([x, c], axis=1).fillna(0)
    per_day = m.groupby(level=0).sum()
    return dict(days=len(days), day_totals_equal=int((per_day["calls"] == per_day["records"]).sum()),
                cells_equal=float((m["calls"] == m["records"]).mean()),
                abs_cell_diff=int((m["calls"] - m["records"]).abs().sum()), records=int(len(recs)))


def select_days(a: pd.DataFrame):
    day = (a[(a["start_s"] >= OPEN) & (a["start_s"] < CLOSE)]
           .groupby(["date", "weekday"])["calls"].sum().reset_index(name="total"))
    full = a.groupby(["date", "weekday"])["calls"].sum().reset_index(name="total24")
    day = day.merge(full, on=["date", "weekday"])
    wk = day[day["weekday"].isin(WEEKDAYS)].copy()
    median = wk["total24"].median()
    wk["dropped"] = wk["total24"] < OUTLIER_FRACTION * median
    return wk, median


def incident_cells(recs, rec_days) -> pd.DataFrame:
    r = recs[recs["date"].isin(rec_days)]
    r = r[(r["vru_entry_s"] >= OPEN) & (r["vru_entry_s"] < CLOSE)]
    c = (r.assign(slot=(r["vru_entry_s"] - OPEN) // SLOT, non=r["cls"] != "agent")
         .groupby(["date", "slot"])["non"].agg(["size", "sum"]))
    c["share"] = c["sum"] / c["size"]
    return c[(c["size"] >= INCIDENT_MIN) & (c["share"] > INCIDENT_SHARE)].reset_index()


def _in_cells(dates: pd.Series, slots: pd.Series, cells: pd.DataFrame) -> np.ndarray:
    keys = set(zip(cells["date"], cells["slot"]))
    return np.array([(d, s) in keys for d, s in zip(dates, slots)], dtype=bool)


def arrival_profile(a, days, recs, rec_days, incidents):
    sel = a[a["date"].isin(days) & (a["start_s"] >= OPEN) & (a["start_s"] < CLOSE)].copy()
    sel["slot"] = (sel["start_s"] - OPEN) // SLOT
    per_day = sel.groupby(["date", "slot"])["calls"].sum().unstack(fill_value=0)
    all_records = per_day.mean(axis=0)  # every record (the 6-min counts include PHANTOM and VRU-only)
    # fraction of records that were arrivals to the agents, by half hour of VRU entry (the
    # 6-min counts are by VRU entry), measured on the Jan+Feb selected days
    r = recs[recs["date"].isin(rec_days)]
    r = r[(r["vru_entry_s"] >= OPEN) & (r["vru_entry_s"] < CLOSE)]
    slot = (r["vru_entry_s"] - OPEN) // SLOT
    normal = ~_in_cells(r["date"], slot, incidents)  # incidents: callers could not reach the queue
    r, slot = r[normal], slot[normal]
    frac = (r["cls"] == "agent").groupby(slot).mean().reindex(range(N_SLOTS))
    frac_overall = (r["cls"] == "agent").mean()
    cls_counts = r["cls"].value_counts()
    profile = all_records * frac
    q10 = per_day.quantile(0.1, axis=0) * frac
    q90 = per_day.quantile(0.9, axis=0) * frac
    return profile, all_records, frac, frac_overall, cls_counts, q10, q90


def dispersion(totals: pd.Series, months: pd.Series):
    m, sd = totals.mean(), totals.std(ddof=1)
    cv = sd / m
    cv_mult = math.sqrt(max(cv ** 2 - 1 / m, 0.0))  # Var N = E Lambda + Var Lambda (gamma-Poisson)
    # sensitivity: the same after removing the month-to-month level (seasonality)
    rel = totals / totals.groupby(months).transform("mean")
    cv_within = rel.std(ddof=1)
    cv_within_mult = math.sqrt(max(cv_within ** 2 - 1 / m, 0.0))
    return dict(mean=m, sd=sd, cv=cv, cv_poisson=1 / math.sqrt(m), cv_mult=cv_mult,
                cv_within_month=cv_within, cv_within_month_mult=cv_within_mult)


# --------------------------------------------------------------------------- 2. handle times
def lognormal_fit(x: np.ndarray, rng: np.random.Generator):
    lx = np.log(x)
    mu, sigma = lx.mean(), lx.std(ddof=0)  # MLE
    mean = math.exp(mu + sigma ** 2 / 2)
    sd = mean * math.sqrt(math.expm1(sigma ** 2))
    # ser_time is in whole seconds: jitter by U(-0.5, 0.5) so ties do not inflate the KS statistic
    xj = x + rng.uniform(-0.5, 0.5, size=len(x))
    ks = stats.kstest(xj, stats.lognorm(s=sigma, scale=math.exp(mu)).cdf).statistic
    return dict(n=len(x), emp_mean=x.mean(), emp_sd=x.std(ddof=1), median=float(np.median(x)),
                mu=mu, sigma=sigma, mean=mean, sd=sd, ks=ks)


# --------------------------------------------------------------------------- 3. patience
def kaplan_meier(t: np.ndarray, event: np.ndarray):
    order = np.argsort(t, kind="stable")
    t, event = t[order], event[order]
    times = np.unique(t[event])
    n_total = len(t)
    at_risk = n_total - np.searchsorted(t, times, side="left")
    d = np.bincount(np.searchsorted(times, t[event]), minlength=len(times))
    s = np.cumprod(1 - d / at_risk)
    return times, s, at_risk


def hazard_bins(t, event, width=5.0, upto=300.0):
    edges = np.arange(0, upto + width, width)
    h, n_ev, exposure = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        expo = np.clip(t, lo, hi) - lo
        expo = expo[t > lo].sum() + 0.0
        ev = np.count_nonzero(event & (t >= lo) & (t < hi))
        h.append(ev / expo if expo > 0 else np.nan)
        n_ev.append(ev)
        exposure.append(expo)
    return edges, np.array(h), np.array(n_ev), np.array(exposure)


def fit_patience(t: np.ndarray, event: np.ndarray):
    t = np.where(event & (t <= 0), ZERO_WAIT, t).astype(float)
    D, T = int(event.sum()), float(t.sum())
    rate = D / T
    ll_exp = D * math.log(rate) - rate * T
    te, tc = t[event], t[~event]
    tc = tc[tc > 0]
    lte, ltc = np.log(te), np.log(tc)

    def nll_weib(p):
        k, lam = math.exp(p[0]), math.exp(p[1])
        ze, zc = (te / lam) ** k, (tc / lam) ** k
        return -(np.sum(math.log(k) - math.log(lam) + (k - 1) * (lte - math.log(lam)) - ze) - np.sum(zc))

    def nll_logn(p):
        mu, s = p[0], math.exp(p[1])
        return -(np.sum(stats.norm.logpdf(lte, mu, s) - lte) + np.sum(stats.norm.logsf(ltc, mu, s)))

    w = optimize.minimize(nll_weib, [0.0, math.log(1 / rate)], method="Nelder-Mead",
                          options=dict(xatol=1e-8, fatol=1e-8, maxiter=4000))
    ln = optimize.minimize(nll_logn, [math.log(1 / rate), 0.0], method="Nelder-Mead",
                           options=dict(xatol=1e-8, fatol=1e-8, maxiter=4000))
    k, lam = math.exp(w.x[0]), math.exp(w.x[1])
    mu, s = ln.x[0], math.exp(ln.x[1])
    return dict(n=len(t), abandoned=D, exposure=T, exp_mean=1 / rate, ll_exp=ll_exp,
                aic_exp=2 - 2 * ll_exp,
                weib_shape=k, weib_scale=lam, weib_mean=lam * special.gamma(1 + 1 / k),
                ll_weib=-w.fun, aic_weib=4 + 2 * w.fun,
                logn_mu=mu, logn_sigma=s, logn_mean=math.exp(mu + s * s / 2),
                ll_logn=-ln.fun, aic_logn=4 + 2 * ln.fun)


def km_distance(times, s_km, at_risk, sf, min_at_risk=100):
    ok = (at_risk >= min_at_risk) & (times <= PATIENCE_RANGE)
    return float(np.max(np.abs(s_km[ok] - sf(times[ok])))) if ok.any() else float("nan")


# --------------------------------------------------------------------------- 4. staffing / 6. observed
def staffing(recs, rec_days, incidents):
    s = recs[recs["served"] & recs["date"].isin(rec_days)]
    start = s["ser_start_s"].to_numpy(float)
    end = start + s["ser_time"].to_numpy(float)
    dates = s["date"].to_numpy()
    servers = s["server"].to_numpy()
    q = recs[recs["queued"] & (recs["cls"] == "agent") & recs["date"].isin(rec_days)]
    q_start = q["arrive_s"].to_numpy(float)
    q_end = q_start + q["q_time"].to_numpy(float)
    q_dates = q["date"].to_numpy()
    n_days = len(rec_days)
    distinct = np.zeros((n_days, N_SLOTS))
    busy = np.zeros((n_days, N_SLOTS))
    busy_waiting = np.full((n_days, N_SLOTS), np.nan)
    grid = np.arange(OPEN, CLOSE)  # one-second grid

    def occupancy(a, b):  # number of intervals [a, b) covering each second of the grid
        diff = np.zeros(len(grid) + 1)
        a = np.clip(np.floor(a).astype(int) - OPEN, 0, len(grid))
        b = np.clip(np.floor(b).astype(int) - OPEN, 0, len(grid))
        np.add.at(diff, a, 1)
        np.add.at(diff, b, -1)
        return np.cumsum(diff)[:-1]

    for di, d in enumerate(rec_days):
        m = dates == np.datetime64(d)
        st, en, sv = start[m], end[m], servers[m]
        mq = q_dates == np.datetime64(d)
        # agents in service at the seconds when somebody was on hold: then every agent available
        # for calls is busy, so this is the number of agents effectively taking calls
        in_service = occupancy(st, en)
        waiting = occupancy(q_start[mq], q_end[mq]) > 0
        for i in range(N_SLOTS):
            lo, hi = OPEN + i * SLOT, OPEN + (i + 1) * SLOT
            ov = np.clip(np.minimum(en, hi) - np.maximum(st, lo), 0, None)
            # "seen serving in the interval": a service overlapping the interval (a call of
            # 0 s counts if it starts inside the interval)
            seen = (ov > 0) | ((st >= lo) & (st < hi))
            distinct[di, i] = len(set(sv[seen]))
            busy[di, i] = ov.sum() / SLOT
            w = waiting[i * SLOT:(i + 1) * SLOT]
            if w.sum() >= 60:  # at least a minute with callers on hold
                busy_waiting[di, i] = in_service[i * SLOT:(i + 1) * SLOT][w].mean()
    for d, sl in zip(incidents["date"], incidents["slot"]):
        distinct[rec_days.index(d), sl] = busy[rec_days.index(d), sl] = np.nan
        busy_waiting[rec_days.index(d), sl] = np.nan
    return distinct, busy, busy_waiting


def observed_table(recs, rec_days, distinct, busy, busy_waiting, incidents):
    r = recs[recs["date"].isin(rec_days) & (recs["cls"] == "agent")]
    r = r[(r["arrive_s"] >= OPEN) & (r["arrive_s"] < CLOSE)].copy()
    r["slot"] = (r["arrive_s"] - OPEN) // SLOT
    r = r[~_in_cells(r["date"], r["slot"], incidents)]  # incident half hours left out
    r["within20"] = r["answered"] & (r["q_time"] <= 20)
    g = r.groupby("slot")
    n_days = len(rec_days) - incidents["slot"].value_counts().reindex(range(N_SLOTS), fill_value=0).to_numpy()
    out = pd.DataFrame({
        "interval_start": SLOT_LABELS,
        "offered": g.size().reindex(range(N_SLOTS), fill_value=0) / n_days,
        "answered": g["answered"].sum().reindex(range(N_SLOTS), fill_value=0) / n_days,
        "abandoned": g["abandoned"].sum().reindex(range(N_SLOTS), fill_value=0) / n_days,
    })
    out["abandonment_rate"] = out["abandoned"] / out["offered"]
    out["asa_s"] = r[r["answered"]].groupby("slot")["q_time"].mean().reindex(range(N_SLOTS))
    out["service_level_20s"] = g["within20"].sum().reindex(range(N_SLOTS)).to_numpy() / (out["offered"] * n_days)
    out["p_wait"] = (r["queued"]).groupby(r["slot"]).mean().reindex(range(N_SLOTS))
    out["mean_handle_s"] = r[r["served"]].groupby("slot")["ser_time"].mean().reindex(range(N_SLOTS))
    out["distinct_servers"] = np.nanmean(distinct, axis=0)
    out["busy_agents"] = np.nanmean(busy, axis=0)
    out["busy_when_waiting"] = np.nanmean(busy_waiting, axis=0)  # mean over days that had a queue
    out.insert(1, "days", n_days)
    return out


# --------------------------------------------------------------------------- figures
def figures(res):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    FIG.mkdir(parents=True, exist_ok=True)
    x = np.arange(N_SLOTS)
    ticks = x[::2]
    tick_labels = [SLOT_LABELS[i] for i in ticks]

    # arrivals
    fig, ax = plt.subplots(figsize=(10, 4.8))
    ax.plot(x, res["all_records"], "o-", color="grey", label="all records (6-min counts, incl. VRU-only)")
    ax.plot(x, res["profile"], "o-", color="C0", label="arrivals to the agent queue (profile used)")
    ax.fill_between(x, res["q10"], res["q90"], color="C0", alpha=0.2, label="10-90% of days (agent arrivals)")
    ax.set_xticks(ticks, tick_labels, rotation=45)
    ax.set_xlabel("half hour starting at (local time)")
    ax.set_ylabel("calls per 30 min")
    ax.set_title(f"Anonymous Bank 1999: mean Sun-Thu arrival profile ({res['n_days']} days)")
    ax2 = ax.twinx()
    ax2.plot(x, res["frac"], "--", color="C3", label="share of records that sought an agent (Jan+Feb)")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("share seeking an agent", color="C3")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower center", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_arrivals.png", dpi=110)
    plt.close(fig)

    # daily totals
    wk = res["days_table"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    kept, drop = wk[~wk["dropped"]]["total"], wk[wk["dropped"]]["total"]
    bins = np.arange(0, wk["total"].max() + 100, 100)
    ax.hist(kept, bins=bins, color="C0", alpha=0.7, label=f"kept ({len(kept)} days)")
    ax.hist(drop, bins=bins, color="C3", alpha=0.7, label=f"dropped (< 50% of median; {len(drop)} days)")
    dsp = res["dispersion"]
    m, cvm = dsp["mean"], dsp["cv_mult"]
    xs = np.linspace(1, bins[-1], 400)
    k = 1 / cvm ** 2
    ax.plot(xs, stats.gamma(a=k, scale=m / k).pdf(xs) * len(kept) * 100, color="k",
            label=f"gamma level, CV {cvm:.3f}")
    ax.plot(xs, stats.norm(m, math.sqrt(m)).pdf(xs) * len(kept) * 100, color="C2", ls=":",
            label=f"Poisson only, CV {dsp['cv_poisson']:.3f}")
    ax.set_ylim(0, max(np.histogram(kept, bins)[0].max(), 1) * 1.3)
    ax.set_xlabel("records per day, 07:00-24:00 (all records)")
    ax.set_ylabel("days")
    ax.set_title("Anonymous Bank 1999: daily totals of Sun-Thu days")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_daily_totals.png", dpi=110)
    plt.close(fig)

    # handle-time QQ (lognormal: log data vs normal quantiles)
    fits, samples = res["handle"], res["handle_samples"]
    names = TYPE_ORDER + ["all"]
    fig, axes = plt.subplots(1, len(names), figsize=(16, 3.8))
    for ax, nm in zip(axes, names):
        xv = np.sort(samples[nm])
        p = (np.arange(1, len(xv) + 1) - 0.5) / len(xv)
        f = fits[nm]
        theo = stats.lognorm(s=f["sigma"], scale=math.exp(f["mu"])).ppf(p)
        idx = np.unique(np.linspace(0, len(xv) - 1, 800).astype(int))
        ax.loglog(theo[idx], xv[idx], ".", ms=3)
        lim = [min(theo[0], xv[0]), max(theo[-1], xv[-1])]
        ax.loglog(lim, lim, "k--", lw=1)
        ax.set_title(f"{nm}: n={f['n']}, KS={f['ks']:.3f}", fontsize=9)
        ax.set_xlabel("lognormal quantile (s)")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("observed handle time (s)")
    fig.suptitle("Handle time (ser_time >= 10 s), lognormal QQ plots, Jan+Feb 1999 Sun-Thu", fontsize=10)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_handle_qq.png", dpi=110)
    plt.close(fig)

    # patience: KM vs fits, and hazard
    pat, km = res["patience"], res["km"]
    fig, axes = plt.subplots(1, len(names), figsize=(16, 3.8), sharey=True)
    for ax, nm in zip(axes, names):
        times, s, at_risk = km[nm]
        f = pat[nm]
        ok = at_risk >= 20
        ax.step(times[ok], s[ok], where="post", color="k", label="Kaplan-Meier")
        tt = np.linspace(0, times[ok].max(), 300)
        ax.plot(tt, np.exp(-tt / f["exp_mean"]), color="C0", label=f"exponential, mean {f['exp_mean']:.0f}s")
        ax.plot(tt, np.exp(-(tt / f["weib_scale"]) ** f["weib_shape"]), color="C1",
                label=f"Weibull k={f['weib_shape']:.2f}")
        ax.plot(tt, stats.norm.sf((np.log(np.maximum(tt, 1e-9)) - f["logn_mu"]) / f["logn_sigma"]),
                color="C2", ls="--", label="lognormal")
        ax.set_title(f"{nm}: {f['n']} queued, {f['abandoned']} abandoned", fontsize=9)
        ax.set_xlabel("time in queue (s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("P(patience > t)")
    fig.suptitle("Patience survival (abandonment = event, served = censored), Jan+Feb 1999 Sun-Thu", fontsize=10)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_patience_km.png", dpi=110)
    plt.close(fig)

    edges, h, n_ev, _ = res["hazard"]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.bar(edges[:-1], h * 60, width=np.diff(edges), align="edge", color="C0", edgecolor="white")
    ax.axhline(60 / pat["all"]["exp_mean"], color="k", ls="--", lw=1,
               label=f"exponential fit: 1/{pat['all']['exp_mean']:.0f}s")
    ax.axvline(60, color="C3", lw=1, ls=":", label="60 s (queue-position announcement)")
    ax.set_xlabel("time in queue (s), 5-second bins")
    ax.set_ylabel("abandonment hazard (per minute of waiting)")
    ax.set_title("Abandonment hazard of queued callers, Jan+Feb 1999 Sun-Thu 07-24")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_patience_hazard.png", dpi=110)
    plt.close(fig)

    # staffing
    obs = res["observed"]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    ax.plot(x, obs["distinct_servers"], "o-", label="distinct agents seen serving (mean over days)")
    ax.step(x, res["agents"], where="mid", color="C0", ls="--", label="staffing used (work-conserving, queuesim fit)")
    ax.plot(x, obs["busy_agents"], "s-", color="C1", label="busy agents (service seconds / 1800)")
    ax.plot(x, obs["busy_when_waiting"], "^-", color="C4",
            label="agents in service while callers were on hold (effective staff)")
    ax.plot(x, res["offered_load"], ":", color="C2", label="offered load: profile x mean handle / 1800 s")
    ax.set_xticks(ticks, tick_labels, rotation=45)
    ax.set_xlabel("half hour starting at (local time)")
    ax.set_ylabel("agents")
    ax.set_title("Reconstructed staffing, Jan+Feb 1999 Sun-Thu (no schedule in the data)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_staffing.png", dpi=110)
    plt.close(fig)

    # observed KPIs
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(x, obs["abandonment_rate"] * 100, "o-")
    axes[0].set_ylabel("abandonment (% of offered)")
    axes[1].plot(x, obs["asa_s"], "o-", color="C1")
    axes[1].set_ylabel("ASA (s)")
    axes[2].plot(x, obs["service_level_20s"] * 100, "o-", color="C2")
    axes[2].set_ylabel("answered within 20 s (% of offered)")
    for ax, t in zip(axes, ["Abandonment rate", "Average speed of answer", "Service level (20 s)"]):
        ax.set_xticks(ticks, tick_labels, rotation=60, fontsize=8)
        ax.set_xlabel("half hour starting at")
        ax.set_title(t)
        ax.grid(alpha=0.3)
    fig.suptitle("Observed per half hour, Jan+Feb 1999 Sun-Thu (mean weekday)", fontsize=10)
    fig.tight_layout()
    fig.savefig(FIG / "bank_day_observed.png", dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- outputs
def round_shares(shares: dict[str, float], digits=3) -> dict[str, float]:
    r = {k: round(v, digits) for k, v in shares.items()}
    big = max(r, key=r.get)
    r[big] = round(r[big] + 1 - sum(r.values()), digits)
    return r


def patience_choice(f) -> dict:
    """Weibull only if clearly better: AIC lower by > 10 AND its largest distance from the
    Kaplan-Meier curve on [0, 300 s] at most 2/3 of the exponential's."""
    better = f["aic_exp"] - f["aic_weib"] > 10 and f["km_dist_weib"] <= 2 / 3 * f["km_dist_exp"]
    if better:
        return {"distribution": "weibull", "shape": round(f["weib_shape"], 3), "scale": f"{f['weib_scale']:.0f}s"}
    return {"distribution": "exponential", "mean": f"{f['exp_mean']:.0f}s"}


def flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


def write_yaml(res):
    dsp, shares, agents = res["dispersion"], res["shares_rounded"], res["agents"]
    dropped = res["dropped_days"]
    drop_txt = ", ".join(f"{d:%m-%d}" for d in dropped["date"])
    f_all = res["patience"]["all"]
    prof = res["profile"].to_numpy()
    inc = res["incidents"]
    n_inc_days = inc["date"].nunique()
    ea = res["erlang_a"]
    ea_txt = ("" if ea is None else f"; a stationary Erlang A check with the staffing used here\n  gives "
              f"{ea['derived']:.1%} abandonment against {ea['observed']:.1%} observed (see the README)")
    comment = f"""\
Bank-like day: an average Sunday-Thursday of the "Anonymous Bank" call centre (Israel, 1999).
Data: Technion Service Enterprise Engineering (SEE) lab, Avi Mandelbaum (organised by Ilan Guedj); analysed
in Brown, Gans, Mandelbaum, Sakov, Shen, Zeltyn & Zhao (2005), "Statistical Analysis of a Telephone Call
Center: A Queueing-Science Perspective", JASA 100(469):36-50. Please acknowledge both when using this.
Generated by experiments/derive_bank_day.py (rerun it rather than editing by hand); notes, tables and
figures in experiments/README-bank-day.md.

arrivals (bank-day-arrivals.csv): the 6-minute arrival counts of all 365 days of 1999 (R package Rfssa,
  data Callcenter). Sun-Thu days (the centre's full days; Fri/Sat excluded), minus the {len(dropped)} days whose
  total is below 50% of the Sun-Thu median ({res['median']:.0f} calls):
  1999-{drop_txt}
  (holidays and their eves; 03-08 has no records after 12:00). {res['n_days']} days kept, summed to
  30 minutes and averaged, 07:00-24:00. Those counts include every record, so each half hour is
  multiplied by the share of records that were arrivals to the agents (joined the queue, or were
  answered at once by a named agent), measured on the Jan+Feb 1999 records with the same day rule
  (overall {res['frac_overall']:.3f}; {len(inc)} half hours with a queue outage on {n_inc_days} days left out; the others
  were VRU-only hang-ups, PHANTOM records, NO_SERVER artefacts). Result: {prof.sum():.0f} calls a day,
  peak {prof.max():.1f} per 30 min at {SLOT_LABELS[int(np.argmax(prof))]}.
dispersion: CV of the 07-24 daily total over the {res['n_days']} kept days {dsp['cv']:.3f} (Poisson alone would give
  {dsp['cv_poisson']:.3f}); CV of the gamma day level = sqrt(CV^2 - 1/mean) = {dsp['cv_mult']:.3f}. It includes the
  month-to-month and day-of-week level; within months it is {dsp['cv_within_month_mult']:.3f}.
call_types and everything below: Jan+Feb 1999 call records (1999-01-01..02-28; 01-11 and 01-12 are missing
  from the raw file), the same Sun-Thu rule ({res['rec_n_days']} days), arrivals to the agents 07:00-24:00.
  PS regular; NW prospective customers; NE stock exchange; other = IN internet, PE English, TT.
  share = share of the arrivals to the agents.
handle_time: ser_time of calls answered by a named agent (PHANTOM and NO_SERVER records left out),
  without the calls shorter than {SHORT_CALL} s ({res['short_share']:.1%} of answered calls; mostly artefacts, see the
  README); lognormal by maximum likelihood, written as its mean and sd. ser_time is talk time: the data
  have no wrap-up time.
patience: callers who joined the queue; abandonment = event, answered = censored at its wait
  (Kaplan-Meier). Exponential MLE = abandonments / total time on hold (overall mean {f_all['exp_mean']:.0f} s); a Weibull
  (censored MLE) only where it is clearly better (AIC and distance from Kaplan-Meier on 0-300 s).
  The abandonment hazard has a spike at 55-60 s (the queue-position announcement).
staffing: the data have no schedule. Reconstructed by `queuesim fit --staffing work-conserving`
  over the same {res['rec_n_days']} days: each second, the agents in service if someone is on hold, else the
  most agents seen in service at once in that half hour; averaged and rounded. This reconstruction
  reproduces January (simulated abandonment 9.8% vs 11.0% observed, ASA 35 s vs 38 s; README,
  'Fitting from call records'). Counting distinct agents seen serving overstates capacity{ea_txt}.
Not modelled: priorities ({res['prio2_share']:.1%} of arrivals to the agents are priority 2, with 1.5 min of queue
  credit), the 5 internet-service positions as a separate pool, redials, outages."""
    lines = ["# " + ln if ln else "#" for ln in comment.split("\n")]
    lines += [
        "name: bank-day",
        "seed: 1999",
        "replications: 20",
        "service_level_threshold: 20s",
        "arrivals:",
        "  interval: 30min",
        "  file: bank-day-arrivals.csv      # columns interval_start (HH:MM), calls (expected calls per interval)",
        f"  dispersion: {dsp['cv_mult']:.2f}                 # CV of the random daily level (gamma multiplier); 0 = plain Poisson",
        "call_types:                        # shares of arrivals; each with its own handle time and patience",
    ]
    for nm in TYPE_ORDER:
        h = res["handle"][nm]
        lines += [
            f"  - name: {nm}",
            f"    share: {shares[nm]:.3f}",
            f"    handle_time: {{distribution: lognormal, mean: {h['mean']:.0f}s, sd: {h['sd']:.0f}s}}",
            f"    patience: {flow(res['patience_cfg'][nm])}",
        ]
    lines += [
        "staffing:",
        "  interval: 30min",
        "  start: 7h",
        f"  agents: [{', '.join(str(int(a)) for a in agents)}]",
    ]
    OUT_YAML.write_text("\n".join(lines) + "\n")


def md(df: pd.DataFrame, floatfmt="{:.3f}") -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                cells.append(floatfmt.format(v) if not np.isnan(v) else "")
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def erlang_a_check(obs, res, handle) -> pd.DataFrame | None:
    """Stationary Erlang A per half hour with the observed Jan+Feb offered calls, the mean handle
    time (short calls included), the overall exponential patience and the derived staffing (and
    the busy agents + 1), against the observed abandonment. A rough plausibility check only."""
    try:
        sys.path.insert(0, str(REPO))
        from queuesim.analytic import erlang_a_metrics
    except Exception as exc:  # the package is optional for this script
        print(f"(Erlang A check skipped: {exc})")
        return None
    pat = res["patience"]["all"]["exp_mean"]
    rows = []
    for i, row in obs.iterrows():
        rate = row["offered"] / SLOT
        m1 = erlang_a_metrics(rate=rate, handle_time=handle, patience=pat, agents=int(res["agents"][i]))
        n2 = max(1, int(round(row["busy_when_waiting"])))
        m2 = erlang_a_metrics(rate=rate, handle_time=handle, patience=pat, agents=n2)
        rows.append(dict(interval=row["interval_start"], offered=row["offered"], agents=int(res["agents"][i]),
                         aband_obs=row["abandonment_rate"], aband_erlangA=m1.p_abandon,
                         asa_obs=row["asa_s"], asa_erlangA=m1.asa,
                         agents_eff=n2, aband_erlangA_eff=m2.p_abandon))
    t = pd.DataFrame(rows)
    w = t["offered"] / t["offered"].sum()
    res["erlang_a"] = dict(observed=float(np.sum(w * t["aband_obs"])), derived=float(np.sum(w * t["aband_erlangA"])),
                           effective=float(np.sum(w * t["aband_erlangA_eff"])))
    return t


# --------------------------------------------------------------------------- main
def main() -> int:
    missing = [p for p in [FULL_YEAR, *MONTHS] if not p.exists()]
    if missing:
        print(f"derive_bank_day: data not found ({', '.join(str(p) for p in missing)}).\n"
              f"Put the Anonymous Bank 1999 files under {BANK} or set QUEUESIM_DATA to the data folder. Nothing done.")
        return 0
    rng = np.random.default_rng(1999)
    res: dict = {}

    # ---- 1. arrivals
    a = load_full_year()
    recs = load_records()
    wk, median = select_days(a)
    chk = check_counts(a, recs)
    res["median"] = median
    res["days_table"] = wk
    days = wk.loc[~wk["dropped"], "date"]
    res["dropped_days"] = wk[wk["dropped"]].sort_values("date")
    res["n_days"] = len(days)
    rec_days = sorted(set(days[days < "1999-03-01"]) - set(MISSING_IN_RAW))
    res["rec_n_days"] = len(rec_days)
    incidents = incident_cells(recs, rec_days)
    res["incidents"] = incidents
    profile, all_records, frac, frac_overall, cls_counts, q10, q90 = arrival_profile(a, days, recs, rec_days,
                                                                                     incidents)
    res.update(profile=profile, all_records=all_records, frac=frac, frac_overall=frac_overall, q10=q10, q90=q90)
    kept = wk[~wk["dropped"]]
    res["dispersion"] = dsp = dispersion(kept["total"].reset_index(drop=True),
                                         kept["date"].dt.month.reset_index(drop=True))
    pd.DataFrame({"interval_start": SLOT_LABELS, "calls": profile.round(2).to_numpy()}).to_csv(
        OUT_ARRIVALS, index=False, float_format="%.2f")

    rr = recs[recs["date"].isin(rec_days)]
    rr = rr[(rr["vru_entry_s"] >= OPEN) & (rr["vru_entry_s"] < CLOSE)]
    ag = rr[rr["cls"] == "agent"]

    # ---- shares and priorities
    shares = ag["group"].value_counts(normalize=True).reindex(TYPE_ORDER).to_dict()
    res["shares"] = shares
    res["shares_rounded"] = round_shares(shares)
    res["prio2_share"] = (ag["priority"] == 2).mean()
    prio = pd.crosstab(ag["group"], ag["priority"], normalize="index").reindex(TYPE_ORDER)
    prio_q = (ag[ag["queued"]]["priority"] == 2).mean()

    # ---- 2. handle times
    srv = ag[ag["served"]]
    res["short_share"] = (srv["ser_time"] < SHORT_CALL).mean()
    short_by = (srv["ser_time"] < SHORT_CALL).groupby(srv["group"]).mean()
    fit_set = srv[srv["ser_time"] >= SHORT_CALL]
    short_agents = pd.DataFrame({"short": (srv["ser_time"] < SHORT_CALL).groupby(srv["server"]).sum(),
                                 "served": srv.groupby("server").size()})
    short_agents["short_rate"] = short_agents["short"] / short_agents["served"]
    short_agents = short_agents.sort_values("short", ascending=False)
    res["handle"], res["handle_samples"] = {}, {}
    for nm in TYPE_ORDER + ["all"]:
        x = (fit_set if nm == "all" else fit_set[fit_set["group"] == nm])["ser_time"].to_numpy(float)
        res["handle"][nm] = lognormal_fit(x, rng)
        res["handle"][nm]["mean_incl_short"] = (srv if nm == "all" else srv[srv["group"] == nm])["ser_time"].mean()
        res["handle_samples"][nm] = x

    # ---- 3. patience (callers who joined the queue)
    q = ag[ag["queued"]]
    res["patience"], res["km"], res["patience_cfg"] = {}, {}, {}
    for nm in TYPE_ORDER + ["all"]:
        sub = q if nm == "all" else q[q["group"] == nm]
        t = sub["q_time"].to_numpy(float)
        ev = sub["abandoned"].to_numpy(bool)
        f = fit_patience(t, ev)
        times, s, at_risk = kaplan_meier(t, ev)
        f["km_dist_exp"] = km_distance(times, s, at_risk, lambda u: np.exp(-u / f["exp_mean"]))
        f["km_dist_weib"] = km_distance(times, s, at_risk,
                                        lambda u: np.exp(-(u / f["weib_scale"]) ** f["weib_shape"]))
        f["km_dist_logn"] = km_distance(times, s, at_risk, lambda u: stats.norm.sf(
            (np.log(np.maximum(u, 1e-9)) - f["logn_mu"]) / f["logn_sigma"]))
        for tq in (30, 60, 120, 300):
            i = np.searchsorted(times, tq, side="right") - 1
            f[f"km_S{tq}"] = s[i] if i >= 0 else 1.0
        f["wait_p90"] = np.quantile(t, 0.9)
        res["patience"][nm] = f
        res["km"][nm] = (times, s, at_risk)
        res["patience_cfg"][nm] = patience_choice(f)
    res["hazard"] = hazard_bins(q["q_time"].to_numpy(float), q["abandoned"].to_numpy(bool))

    # ---- 4. staffing and 6. observed table
    distinct, busy, busy_waiting = staffing(recs, rec_days, incidents)
    obs = observed_table(recs, rec_days, distinct, busy, busy_waiting, incidents)
    res["observed"] = obs
    res["agents_distinct"] = np.ceil(np.nanmean(distinct, axis=0) - 1e-9).astype(int)
    # Staffing used in the config: the work-conserving reconstruction of `queuesim fit`
    # (agents in service while someone waits, else the most seen at once in the half hour),
    # which reproduces January's abandonment and ASA; the distinct-servers count above
    # overstates capacity (see the README).
    from queuesim.fit import fit_records

    fitted, _ = fit_records([str(m) for m in MONTHS], "anonymous-bank", days="sun-thu", hours="07:00-24:00",
                            groups="none", priorities="none")
    res["agents"] = np.asarray(fitted["staffing"]["agents"], dtype=int)
    mean_handle_all = srv["ser_time"].mean()
    res["offered_load"] = profile.to_numpy() * mean_handle_all / SLOT
    obs_out = obs.copy()
    obs_out.round(4).to_csv(OUT_OBSERVED, index=False)

    res["erlang_a"] = None
    ea = erlang_a_check(obs, res, mean_handle_all)
    write_yaml(res)
    figures(res)

    # ---------------------------------------------------------------- report
    pd.set_option("display.width", 200)
    print("## Days")
    print(f"Sun-Thu days in 1999: {len(wk)}; median total {median:.0f}; dropped (< 50% of median):")
    dd = res["dropped_days"].assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"),
                                    note=lambda d: d["date"].map(HOLIDAY_NOTES).fillna("?"))
    print(md(dd[["date", "weekday", "total24", "note"]]))
    print(f"kept {len(days)} days; Jan+Feb record days used: {len(rec_days)}")
    print(f"6-min counts vs records (all records, by VRU entry), {chk['days']} Jan+Feb days: daily totals equal on "
          f"{chk['day_totals_equal']} days; 6-min cells equal {chk['cells_equal']:.1%}; sum of |differences| "
          f"{chk['abs_cell_diff']} of {chk['records']} records (calls near cell edges / midnight)")
    print("\n## Incident half hours (left out of the agent share, staffing and observed table)")
    print(md(incidents.assign(date=incidents["date"].dt.strftime("%Y-%m-%d"),
                              slot=[SLOT_LABELS[i] for i in incidents["slot"]])))
    print("\n## Record classes (Jan+Feb selected days, VRU entry 07-24)")
    print(cls_counts.to_string())
    print(f"share agent arrivals overall {frac_overall:.4f}; per half hour min {frac.min():.3f} max {frac.max():.3f}")
    print("\n## Profile")
    print(f"total calls/day {profile.sum():.1f} (all records {all_records.sum():.1f}); "
          f"peak {profile.max():.2f} at {SLOT_LABELS[int(np.argmax(profile.to_numpy()))]}; "
          f"min {profile.min():.2f} at {SLOT_LABELS[int(np.argmin(profile.to_numpy()))]}")
    print(md(pd.DataFrame({"interval": SLOT_LABELS, "all records": all_records.to_numpy(),
                           "share agent": frac.to_numpy(), "calls": profile.to_numpy()}), "{:.2f}"))
    print("\n## Dispersion")
    print({k: round(v, 4) for k, v in dsp.items()})
    print("\n## Shares, priorities")
    print(md(pd.DataFrame({"type": TYPE_ORDER, "share": [shares[k] for k in TYPE_ORDER],
                           "share (rounded)": [res["shares_rounded"][k] for k in TYPE_ORDER],
                           "n": ag["group"].value_counts().reindex(TYPE_ORDER).to_numpy()})))
    blk = (ag["vru_entry_s"] // 3600 // 3 * 3).map(lambda h: f"{h:02d}-{h + 3:02d}")
    print(md(pd.crosstab(blk, ag["group"], normalize="index")[TYPE_ORDER].reset_index(names="hours")))
    print(f"priority-2 share of agent arrivals {res['prio2_share']:.4f}; of queued callers {prio_q:.4f}")
    print(md(prio.reset_index().rename(columns={"group": "type"})))
    print("\n## Handle time (lognormal, ser_time >= 10 s)")
    print(f"short (< {SHORT_CALL} s) share of served {res['short_share']:.4f}; by type {short_by.round(4).to_dict()}")
    top = short_agents.head(3)
    print(f"short calls: top 3 agents handle {top['short'].sum() / short_agents['short'].sum():.1%} of them "
          f"and {top['served'].sum() / short_agents['served'].sum():.1%} of all answered calls; short-call rate "
          f"by agent: median {short_agents['short_rate'].median():.3f}, top 3 {list(top['short_rate'].round(3))}")
    ht = pd.DataFrame(res["handle"]).T.reset_index(names="type")
    print(md(ht[["type", "n", "emp_mean", "emp_sd", "median", "mu", "sigma", "mean", "sd", "ks", "mean_incl_short"]],
             "{:.3f}"))
    print("\n## Patience")
    pt = pd.DataFrame(res["patience"]).T.reset_index(names="type")
    print(md(pt[["type", "n", "abandoned", "exp_mean", "weib_shape", "weib_scale", "weib_mean",
                 "logn_mu", "logn_sigma", "logn_mean", "aic_exp", "aic_weib", "aic_logn",
                 "km_dist_exp", "km_dist_weib", "km_dist_logn"]], "{:.3f}"))
    print(md(pt[["type", "km_S30", "km_S60", "km_S120", "km_S300", "wait_p90"]], "{:.3f}"))
    print({k: v for k, v in res["patience_cfg"].items()})
    edges, h, n_ev, expo = res["hazard"]
    hz = pd.DataFrame({"bin": [f"{int(lo)}-{int(lo) + 5}" for lo in edges[:-1]], "abandonments": n_ev,
                       "exposure_s": expo, "hazard_per_min": h * 60})
    print(md(hz.iloc[:24], "{:.4f}"))
    print("\n## Staffing and observed")
    print(f"agents range {res['agents'].min()}-{res['agents'].max()}; {[int(v) for v in res['agents']]}")
    print(md(obs, "{:.3f}"))
    o = obs
    print(f"observed day (sum over half hours): offered {o['offered'].sum():.1f}, abandonment "
          f"{o['abandoned'].sum() / o['offered'].sum():.3f}, ASA {np.nansum(o['asa_s'] * o['answered']) / o['answered'].sum():.1f} s, "
          f"answered within 20 s {np.nansum(o['service_level_20s'] * o['offered']) / o['offered'].sum():.3f}, "
          f"P(wait) {np.nansum(o['p_wait'] * o['offered']) / o['offered'].sum():.3f}")
    print(f"\nmean handle incl. short calls (for the load line) {mean_handle_all:.1f} s")
    if ea is not None:
        print("\n## Erlang A plausibility check (stationary per half hour; observed Jan+Feb offered calls)")
        print(md(ea, "{:.3f}"))
        e = res["erlang_a"]
        print(f"day (offered-weighted): abandonment observed {e['observed']:.3f}, Erlang A with the derived "
              f"staffing {e['derived']:.3f}, with round(busy_when_waiting) agents {e['effective']:.3f}")
        print("effective staffing round(busy_when_waiting):",
              [max(1, int(round(v))) for v in obs["busy_when_waiting"]])
    print(f"wrote {OUT_ARRIVALS.relative_to(REPO)}, {OUT_YAML.relative_to(REPO)}, "
          f"{OUT_OBSERVED.relative_to(REPO)}, figures in {FIG.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
