"""queuesim fit: round trip through simulated records, malformed records, the Anonymous Bank parser.

Round trip: records are simulated by queuesim from a known config (one replication = one
day), written in the generic CSV format, fitted, and every parameter must come back within
Z = 3.29 standard errors (a two-sided 99.9% normal interval), the SE being the estimator's
own (closed form or inverse information). The simulation uses fixed seeds, so the test is
deterministic; the tolerance says how far sampling error alone could reasonably move it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from queuesim import Scenario, load_config, simulate
from queuesim.cli import main as cli_main
from queuesim.fit import fit_records, read_records, write_config

Z = 3.29  # two-sided 99.9% normal quantile
DAYS = 30
CALLS = [60, 90, 120, 120, 100, 80, 60, 40]
AGENTS = [5, 7, 9, 9, 8, 6, 5, 4]
TRUE = {
    "A": dict(share=0.7, mu=5.0, sigma=0.8, patience=("exponential", 300.0)),
    "B": dict(share=0.3, mu=4.5, sigma=0.6, patience=("weibull", 0.8, 200.0)),
}
ROOT = Path(__file__).resolve().parents[1]


def _scenario() -> Scenario:
    return Scenario.model_validate({
        "name": "truth",
        "arrivals": {"interval": "30min", "start": "08:00", "calls": CALLS},
        "call_types": [
            {"name": "A", "share": 0.7, "handle_time": {"distribution": "lognormal", "mu": 5.0, "sigma": 0.8},
             "patience": {"distribution": "exponential", "mean": 300}},
            {"name": "B", "share": 0.3, "handle_time": {"distribution": "lognormal", "mu": 4.5, "sigma": 0.6},
             "patience": {"distribution": "weibull", "shape": 0.8, "scale": 200}},
        ],
        "staffing": {"interval": "30min", "start": "08:00", "agents": AGENTS},
    })


@pytest.fixture(scope="module")
def records_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 simulated days written as generic CSV (dates 2024-01-01.., agent names a<k>)."""
    sc = _scenario()
    frames = []
    for r in range(DAYS):
        log = simulate(sc, seed=11, replication=r).calls.to_dataframe()
        log = log[log["outcome"].isin(["answered", "abandoned"])]
        frames.append(pd.DataFrame({
            "date": (dt.date(2024, 1, 1) + dt.timedelta(days=r)).isoformat(),
            "arrival": log["arrival"].round(3), "answer": log["answer"].round(3), "end": log["end"].round(3),
            "outcome": log["outcome"].astype(str), "call_type": log["call_type"].astype(str),
            "agent": np.where(log["agent"] >= 0, "a" + log["agent"].astype(str), ""),
        }))
    path = tmp_path_factory.mktemp("fit") / "calls.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(records_csv: Path):
    return fit_records(records_csv, "csv", columns="type=call_type,server=agent", hours="08:00-12:00",
                       patience="weibull")


def test_round_trip_handle_times_within_sampling_error(fitted):
    _, rep = fitted
    for t, truth in TRUE.items():
        h = rep.handle[t]
        assert abs(h["mu"] - truth["mu"]) <= Z * h["se_mu"], (t, h["mu"], h["se_mu"])
        assert abs(h["sigma"] - truth["sigma"]) <= Z * h["se_sigma"], (t, h["sigma"], h["se_sigma"])
        assert h["ks"] < h["ks_critical"]  # the lognormal is not rejected at 5%


def test_round_trip_patience_from_censored_waits(fitted):
    _, rep = fitted
    a, b = rep.patience["A"], rep.patience["B"]
    # A: exponential mean 300 s -> MLE abandonments / time on hold, SE = mean / sqrt(abandonments)
    assert a["events"] > 200
    assert abs(a["exp_mean"] - 300.0) <= Z * a["exp_se"], (a["exp_mean"], a["exp_se"])
    assert abs(a["weib_shape"] - 1.0) <= Z * a["weib_se_shape"]  # the Weibull nests it: shape 1
    # B: Weibull(0.8, 200 s) by censored MLE, SEs from the observed information
    assert abs(b["weib_shape"] - 0.8) <= Z * b["weib_se_shape"], (b["weib_shape"], b["weib_se_shape"])
    assert abs(b["weib_scale"] - 200.0) <= Z * b["weib_se_scale"], (b["weib_scale"], b["weib_se_scale"])
    # and the exponential is clearly worse for B than for A (AIC)
    assert b["aic_exp"] - b["aic_weib"] > 10


def test_round_trip_arrivals_shares_and_staffing(fitted):
    cfg, rep = fitted
    assert rep.start == 8 * 3600 and rep.n_intervals == len(CALLS)
    profile = np.array(cfg["arrivals"]["calls"])
    se = np.sqrt(np.array(CALLS) / DAYS)  # Poisson counts averaged over the days
    assert np.all(np.abs(profile - CALLS) <= Z * se), (profile, CALLS)
    # no over-dispersion in the truth: the CV of daily totals is Poisson's, dispersion ~ 0
    assert rep.arrivals["dispersion"] < 0.05
    n = rep.calls_used
    for t in cfg["call_types"]:
        p = TRUE[t["name"]]["share"]
        assert abs(t["share"] - p) <= Z * math.sqrt(p * (1 - p) / n)
    # simulated agents are work-conserving and all identical: where queues form, agents in
    # service while somebody waits is the true staffing
    wc = rep.staffing["busy_while_waiting"].to_numpy()
    busy = rep.staffing["waiting_min"].to_numpy() > 5
    assert busy.sum() >= 3
    assert np.all(np.abs(wc[busy] - np.array(AGENTS)[busy]) <= 0.5), (wc, AGENTS)
    assert cfg["staffing"]["agents"][2:5] == AGENTS[2:5]
    # distinct agents seen: never fewer than on duty in busy intervals (every agent serves)
    assert np.all(rep.staffing["distinct"].to_numpy()[busy] >= np.array(AGENTS)[busy] - 1e-9)


def test_fitted_config_is_valid_and_runs(fitted, tmp_path: Path):
    cfg, _ = fitted
    path = write_config(cfg, tmp_path / "fitted.yaml")
    exp = load_config(path)
    res = simulate(exp, replication=0)
    assert res.summary["offered"] > 0


def test_empirical_options_keep_point_masses(records_csv: Path, tmp_path: Path):
    cfg, rep = fit_records(records_csv, "csv", columns="type=call_type,server=agent", hours="08:00-12:00",
                           patience="empirical", handle="empirical")
    path = write_config(cfg, tmp_path / "emp.yaml")
    data = yaml.safe_load(path.read_text())
    pa = data["call_types"][0]["patience"]
    assert pa["distribution"] == "empirical" and (tmp_path / pa["file"]).is_file()
    exp = load_config(path)
    sc = exp.scenarios[0]
    # the empirical patience of A follows Kaplan-Meier below the largest wait
    km = rep._samples["km"]["A"]
    d = sc.call_types[0].patience
    for t in (30.0, 60.0, 120.0):
        assert abs(float(d.sf(np.array([t]))[0]) - float(km.sf(np.array([t]))[0])) < 0.002


def test_km_values_keep_an_announcement_spike():
    from queuesim.fit.estimators import kaplan_meier, km_quantile_values

    rng = np.random.default_rng(3)
    patience = rng.exponential(300, 20000)
    spike = rng.random(20000) < 0.1
    patience = np.where(spike & (patience > 57), 57.0, patience)  # 10% hang up at the 57-s message
    wait = np.minimum(patience, rng.exponential(120, 20000))
    ev = patience <= wait
    vals = km_quantile_values(kaplan_meier(wait, ev), tail_mean=300, n=2000)
    share_at_57 = np.mean(vals == 57.0)
    true_share = np.mean(patience == 57.0)
    assert abs(share_at_57 - true_share) < 0.02 and share_at_57 > 0.05


def test_malformed_records_are_skipped_and_counted(tmp_path: Path):
    good = "2024-01-01,28800,28810,29000,answered,A,a1\n2024-01-01,28900,,28960,abandoned,A,\n"
    bad = (
        "2024-01-01,28800,28810,29000,answered,A\n"            # wrong field count
        "2024-01-01,08:xx,28810,29000,answered,A,a1\n"         # bad time
        "2024-01-01,28800,28700,29000,answered,A,a1\n"         # answered before arrival
        "2024-01-01,28800,,28900,phantom,A,\n"                 # phantom call
        "2024-01-01,28800,28810,29000,teleported,A,a1\n"       # unknown outcome
        "2024-13-45,28800,28810,29000,answered,A,a1\n"         # bad date
    )
    path = tmp_path / "calls.csv"
    path.write_text("date,arrival,answer,end,outcome,type,server\n" + good * 20 + bad, encoding="utf-8")
    recs = read_records(path, "csv")
    assert recs.read == 46 and len(recs) == 40
    assert recs.skipped == {"wrong field count": 1, "bad time or number": 2, "phantom call": 1,
                            "unknown outcome": 1, "inconsistent times (negative wait or handle)": 1}
    cfg, rep = fit_records(recs, hours="08:00-08:30", min_day_fraction=0)
    assert rep.skipped_total == 6 and rep.calls_used == 40
    assert "wrong field count: 1" in rep.to_text()


BANK_HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\t"
               "q_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver\r\n")
BANK_LINES = [
    "AA0101\t1\t9664491\t2\tPS\t990103\t9:00:31\t9:00:36\t5\t9:00:36\t9:03:09\t153\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    "AA0101\t2\t0\t0\tPS\t990103\t9:34:12\t9:34:23\t11\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    "AA0101\t3\t27997683\t2\tNW\t990103\t9:55:20\t9:55:26\t6\t9:55:26\t9:55:43\t17\tAGENT\t9:55:43\t9:56:37\t54\tMICHAL",
    "AA0101\t4\t0\t0\tPS\t990103\t9:41:16\t9:41:26\t10\t0:00:00\t0:00:00\t0\tAGENT\t9:41:25\t9:44:53\t208\tBASCH",
    "AA0101\t5\t0\t0\tPS\t990103\t9:41:16\t9:41:20\t4\t0:00:00\t0:00:00\t0\tAGENT\t9:41:20\t9:41:23\t3\tNO_SERVER",
    "AA0101\t6\t0\t0\tPS\t990103\t9:41:16\t9:41:20\t4\t0:00:00\t0:00:00\t0\tPHANTOM\t0:00:00\t0:00:00\t0\tNO_SERVER",
    "AA0101\t7\t0\t0\tPS\t990103\t9:41:16\t9:41:20",                                         # truncated line
    "AA0101\t8\t0\t0\tPS\t990103\t9:4x:16\t9:41:20\t4\t0:00:00\t0:00:00\t0\tAGENT\t9:41:20\t9:44:23\t183\tBASCH",
    "AA0101\t9\t1\t1\tPS\t990103\t16:28:45\t16:27:26\t-79\t16:27:26\t16:28:51\t85\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    "AA0101\t10\t1\t1\tNE\t990103\t23:59:50\t0:00:05\t15\t0:00:05\t0:00:35\t30\tAGENT\t0:00:35\t0:02:35\t120\tELI",
]


def test_anonymous_bank_parser_on_synthetic_lines(tmp_path: Path):
    path = tmp_path / "bank.txt"
    path.write_bytes((BANK_HEADER + "\r\n".join(BANK_LINES) + "\r\n").encode("latin-1"))
    recs = read_records(path, "anonymous-bank")
    f = recs.frame
    assert recs.read == 10
    assert recs.skipped == {"phantom call": 1, "wrong field count": 1, "bad time or number": 1,
                            "inconsistent times (VRU exit before entry)": 1}
    assert recs.excluded == {"VRU only (hung up before the queue)": 1, "NO_SERVER artefact (never queued)": 1}
    assert len(f) == 4
    first = f.iloc[0]  # the abandoned PS caller: joined the queue at VRU exit 9:00:36, waited 153 s
    assert first["arrival"] == 9 * 3600 + 36 and first["wait"] == 153 and not first["answered"]
    assert first["priority"] == 2 and first["day"] == pd.Timestamp("1999-01-03")
    answered_at_once = f[(f["server"] == "BASCH")].iloc[0]
    assert answered_at_once["wait"] == 0 and answered_at_once["handle"] == 208 and answered_at_once["handle_ok"]
    midnight = f[f["server"] == "ELI"].iloc[0]  # VRU exit after midnight belongs to the entry's day
    assert midnight["arrival"] == 86400 + 5 and midnight["wait"] == 30 and midnight["handle"] == 120


def test_cli_fit_writes_a_runnable_config(records_csv: Path, tmp_path: Path, capsys):
    out = tmp_path / "cli.yaml"
    code = cli_main(["fit", "--records", str(records_csv), "--columns", "type=call_type,server=agent",
                     "--hours", "08:00-12:00", "--out", str(out), "--report", str(tmp_path / "r.md"),
                     "--figures", str(tmp_path / "figs")])
    assert code == 0
    assert load_config(out).scenarios[0].staffing is not None
    assert (tmp_path / "r.md").read_text().startswith("# Fit report")
    assert len(list((tmp_path / "figs").glob("*.png"))) == 3
    assert cli_main(["fit", "--records", str(tmp_path / "missing.csv"), "--out", str(out)]) == 2
    assert cli_main(["fit", "--records", str(records_csv), "--days", "funday", "--out", str(out)]) == 2
    assert "error:" in capsys.readouterr().err


def _bank_data() -> Path:
    root = Path(os.environ.get("QUEUESIM_DATA") or ROOT.parent / "shared" / "data")
    return root / "anonymous_bank_1999" / "january_1999.txt"


@pytest.mark.skipif(not _bank_data().is_file(),
                    reason="Anonymous Bank raw data not found (set QUEUESIM_DATA or put it in ../shared/data)")
def test_january_raw_file_fits():
    cfg, rep = fit_records([_bank_data()], "anonymous-bank", days="sun-thu", groups="none", priorities="none")
    assert rep.records_read == 31599
    assert rep.skipped["phantom call"] == 240
    assert len(rep.days_used) == 19
    assert [t["name"] for t in cfg["call_types"]] == ["PS", "NW", "NE", "other"]
    assert 400 < rep.patience["PS"]["exp_mean"] < 520 and 0.1 < rep.arrivals["dispersion"] < 0.3


def test_days_are_weekday_names_or_ranges_and_nothing_else() -> None:
    from queuesim.fit.core import FitError, parse_days

    assert parse_days("mon-fri") == parse_days("Monday-Friday") == ("mon", "tue", "wed", "thu", "fri")
    assert parse_days("sun-tue") == ("sun", "mon", "tue")
    assert parse_days("fridays,mon") == ("fri", "mon")
    assert parse_days("all") is None
    for bad in ("mon-fri-x", "fri-x", "funday", "mo-fr", "mon-"):
        with pytest.raises(FitError, match="unknown weekday"):
            parse_days(bad)
