"""Observed vs fitted: the records' numbers next to a simulation of the fitted config.

Both sides are reduced to one table of calls with the same columns (``type``, ``base``
(the call type before a split by priority), ``slot`` (interval of the day), ``answered``,
``wait``, ``handle``, ``group`` (agent group of whoever answered)), then to KPIs per call
type, per agent group or per interval with :func:`kpis`:

* ``calls``: calls per day; ``abandonment``: share of calls that hung up;
* ``asa``: mean wait of answered calls (s); ``service_level``: answered within the
  threshold / all calls (abandoned calls are misses);
* ``handle``: mean handle time of answered calls (s; in the records, handle times
  used in the fit only, so artefacts under ``min_handle`` are left out).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from ..experiment.replication import simulate
from ..model.config import experiment_from_dict

__all__ = ["check_tables", "kpis", "observed_calls", "simulated_calls"]


def observed_calls(frame: pd.DataFrame, days: Sequence[Any], start: float, interval: float, n_intervals: int,
                   type_base: dict[str, str], agent_group: Optional[dict[str, str]] = None,
                   min_handle: float = 0.0) -> pd.DataFrame:
    """The fit's calls (``FitReport._samples['frame']``) on ``days`` in the fitted hours, as a call table."""
    f = frame[frame["day"].isin(list(days))]
    slot = np.floor((f["arrival"].to_numpy() - start) / interval).astype(np.int64)
    ok = (slot >= 0) & (slot < n_intervals)
    f = f[ok]
    handle = f["handle"].where(f["answered"] & f["handle_ok"] & (f["handle"] >= max(min_handle, 1e-9)))
    servers = f["server"].to_numpy()
    group = (pd.Series(servers).map(agent_group).fillna("").to_numpy() if agent_group is not None
             else np.where(servers != "", "all", ""))
    return pd.DataFrame({
        "type": f["group"].to_numpy(), "base": f["group"].map(type_base).fillna(f["group"]).to_numpy(),
        "slot": slot[ok], "answered": f["answered"].to_numpy(), "wait": f["wait"].to_numpy(),
        "handle": handle.to_numpy(), "group": np.where(f["answered"].to_numpy(), group, ""),
    })


def simulated_calls(config: dict[str, Any], replications: int, seed: int, type_base: dict[str, str]
                    ) -> tuple[pd.DataFrame, int]:
    """Call table of ``replications`` simulated days of ``config`` (each replication one day, column ``rep``);
    (table, days)."""
    scenario = experiment_from_dict(config, source="fitted config").scenarios[0]
    start = scenario.arrivals.start if scenario.arrivals is not None else 0.0
    step = scenario.arrivals.interval if scenario.arrivals is not None else scenario.report_interval
    names = [g.name for g in scenario.groups] if scenario.groups else ["all"]
    out = []
    for r in range(replications):
        log = simulate(scenario, seed=seed, replication=r, keep_calls=True).calls.to_dataframe()
        log = log[log["outcome"].isin(["answered", "abandoned"])]
        answered = (log["outcome"] == "answered").to_numpy()
        ctype = log["call_type"].astype(str)
        gidx = log["group"].to_numpy() if "group" in log else np.zeros(len(log), dtype=np.int64)
        out.append(pd.DataFrame({
            "type": ctype.to_numpy(), "base": ctype.map(type_base).fillna(ctype).to_numpy(),
            "slot": np.floor((log["arrival"].to_numpy() - start) / step).astype(np.int64),
            "answered": answered, "wait": log["wait"].to_numpy(),
            "handle": np.where(answered, log["handle_time"].to_numpy(), np.nan),
            "group": np.where(answered & (gidx >= 0), np.array(names, dtype=object)[np.clip(gidx, 0, None)], ""),
            "rep": r,
        }))
    return pd.concat(out, ignore_index=True), replications


def kpis(calls: pd.DataFrame, by: Any, days: int, threshold: float = 20.0) -> pd.DataFrame:
    """KPIs per ``by`` (a column or columns of the call table; see the module docstring)."""
    c = calls.assign(within=calls["answered"] & (calls["wait"] <= threshold),
                     wait_ans=calls["wait"].where(calls["answered"]))
    g = c.groupby(by)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "calls": g.size() / max(days, 1),
            "abandonment": 1.0 - g["answered"].mean(),
            "asa": g["wait_ans"].mean(),
            "service_level": g["within"].mean(),
            "handle": g["handle"].mean(),
        })


def check_tables(config: dict[str, Any], report: Any, replications: int = 5, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Observed vs fitted per call type and per agent group (tables for the fit report)."""
    frame = report._samples["frame"]
    days = [pd.Timestamp(d) for d in report.days_used]
    ag = report.agent_groups
    agent_group = {a: g for g, members in zip(ag.names, ag.agents) for a in members} if ag is not None else None
    min_handle = float(str(report.options.get("min_handle", "0s")).rstrip("s") or 0)
    obs = observed_calls(frame, days, report.start, report.interval, report.n_intervals, report.type_base,
                         agent_group, min_handle)
    sim, n_sim = simulated_calls(config, replications, seed, report.type_base)
    thr = float(config.get("service_level_threshold", 20.0))
    out = {}
    for what, by, cols in (("call type", "type", ("calls", "abandonment", "asa", "service_level", "handle")),
                           ("agent group", "group", ("calls", "asa", "handle"))):
        o = kpis(obs[obs[by] != ""], by, len(days), thr)
        s = kpis(sim[sim[by] != ""], by, n_sim, thr)
        if by == "group":
            o = o.rename(columns={"calls": "answered"})
            s = s.rename(columns={"calls": "answered"})
            cols = ("answered", "asa", "handle")
        table = pd.DataFrame(index=o.index.union(s.index, sort=False))
        for col in cols:
            table[f"{col} obs"] = o[col]
            table[f"{col} fit"] = s[col]
        for col in list(table.columns):
            if col.startswith(("abandonment", "service_level")):
                table[col] = 100 * table[col]
        table = table.rename(columns=lambda c: c.replace("abandonment", "abandonment %").replace(
            "service_level", f"SL {thr:g}s %").replace("asa", "ASA s").replace("handle", "handle s"))
        out[what] = table.reset_index(names=what)
    return out
