"""Fit a ready-to-run queuesim config from call records.

:func:`fit_records` reads records (see :mod:`queuesim.fit.records`), keeps the
chosen days, and estimates, per interval of the day and per call type:

* the **arrival profile**: calls joining the agents' queue per interval, averaged
  over the days, and the day-to-day over-dispersion (CV of a gamma day level,
  ``sqrt(CV_total^2 - 1/mean)``, as queuesim's ``arrivals.dispersion``);
* **handle times**: lognormal MLE per type (with a KS distance), or the empirical
  distribution (1,000 quantiles);
* **patience**: from censored waits (abandoned = event, answered = censored):
  exponential MLE, Weibull censored MLE, or the Kaplan-Meier estimate as an
  ``empirical`` distribution (keeps spikes such as the 60-s announcement);
* **staffing per interval**, which records do not contain, reconstructed by one of
  :data:`STAFFING_METHODS` (see :func:`reconstruct_staffing`);
* **priorities**: reported (share and waits per priority class), not modelled.

It returns the config as a plain dict (the schema of ``queuesim run``) and a
:class:`FitReport` with counts, parameters, standard errors and figures.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import pandas as pd

from ..model.units import format_clock, parse_clock, parse_duration
from .estimators import (
    empirical_quantiles, fit_exponential_censored, fit_lognormal, fit_weibull_censored, kaplan_meier,
    km_quantile_values,
)
from ..model.config import ConfigError, experiment_from_dict
from .choices import GROUPS_CHOICES, HANDLE_CHOICES, PATIENCE_CHOICES, PRIORITIES_CHOICES, STAFFING_METHODS
from .plots import fit_figures
from .records import Records, read_records
from .skills import AgentGroups, cluster_agents, fold_unrecorded_priorities, group_config, split_by_priority

__all__ = [
    "FitError", "FitReport", "HANDLE_CHOICES", "PATIENCE_CHOICES", "STAFFING_METHODS",
    "fit_records", "observed_intervals", "parse_days", "reconstruct_staffing", "write_config",
]

_STAFFING_KEYS = {"work-conserving": "work_conserving", "busy-while-waiting": "busy_while_waiting",
                  "distinct": "distinct"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86400


class FitError(ValueError):
    """Bad fit options, or records too few to fit (reported in one line by the CLI)."""


def parse_days(spec: Union[None, str, Sequence[str]]) -> Optional[tuple[str, ...]]:
    """``"sun-thu"``, ``"mon,wed,fri"`` or a list -> weekday names (None = every day)."""
    if spec is None or spec == "" or spec == "all":
        return None
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    def day(word: str) -> Optional[str]:
        """``mon``, ``monday``, ``mondays`` (any start of a name, three letters or more) -> ``mon``; else None."""
        word = word.strip().lower()
        return next((_WEEKDAYS[k] for k, name in enumerate(names)
                     if len(word) >= 3 and (name.startswith(word) or word == name + "s")), None)

    out: list[str] = []
    for part in parts:
        p = part.strip().lower() if "-" in part else (day(part) or part.strip().lower())
        if "-" in p:
            ends = [day(s) for s in p.split("-")]
            if len(ends) != 2 or None in ends:
                raise FitError(f"--days: unknown weekday in {part.strip()!r}; use mon..sun, e.g. sun-thu")
            a, b = ends
            i, j = _WEEKDAYS.index(a), _WEEKDAYS.index(b)
            k = i
            while True:
                out.append(_WEEKDAYS[k])
                if k == j:
                    break
                k = (k + 1) % 7
        elif p in _WEEKDAYS:
            out.append(p)
        else:
            raise FitError(f"--days: unknown weekday {part.strip()!r}; use mon..sun, e.g. sun-thu")
    return tuple(dict.fromkeys(out))


def _parse_hours(spec: Optional[str]) -> Optional[tuple[float, float]]:
    if spec is None or spec == "auto":
        return None
    try:
        a, b = spec.split("-", 1)
        lo, hi = parse_clock(a.strip()), parse_clock(b.strip())
    except Exception:
        raise FitError(f"--hours: expected HH:MM-HH:MM such as 07:00-24:00, got {spec!r}") from None
    if not hi > lo:
        raise FitError(f"--hours: the end must be after the start, got {spec!r}")
    return lo, hi


# --------------------------------------------------------------------------- staffing
def _coverage(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Number of half-open intervals [a, b) (whole seconds) covering each second 0..n-1."""
    diff = np.zeros(n + 1)
    ia = np.clip(np.floor(a).astype(np.int64), 0, n)
    ib = np.clip(np.floor(b).astype(np.int64), 0, n)
    np.add.at(diff, ia, 1)
    np.add.at(diff, ib, -1)
    return np.cumsum(diff)[:-1]


def reconstruct_staffing(frame: pd.DataFrame, days: Sequence[Any], start: float, interval: float,
                         n_intervals: int, *, min_waiting: float = 60.0,
                         waiting_types: Optional[Sequence[str]] = None,
                         servers: Optional[Sequence[str]] = None) -> dict[str, np.ndarray]:
    """Agents per day and interval, by several methods (arrays of shape days x intervals).

    * ``distinct``: distinct named agents with a service overlapping the interval. It
      counts anyone who served once as present for the whole interval and ignores
      wrap-up, breaks and other work, so it **overstates** the capacity answering calls
      (it misses agents idle for the whole interval, which matters only at quiet times).
    * ``busy_while_waiting``: the time-average number of agents in service over the
      seconds of the interval when at least one caller was on hold (needs at least
      ``min_waiting`` such seconds). While someone waits, every agent available for
      calls should be busy, so this counts the agents effectively taking calls. In
      intervals without such waiting it falls back to ``max_busy``. Its bias is
      **downward**: queues form when fewer agents are present, so the seconds it
      averages over are the understaffed ones; and it misses agents who were
      available but not yet assigned (clock granularity).
    * ``work_conserving``: per second, the agents in service when somebody is on hold (then
      every available agent is busy), else the largest number in service at once during the
      interval (a lower bound on the agents present); averaged over the interval's seconds.
      Where queues are frequent it equals ``busy_while_waiting``; where they are rare it
      leans on the peak in service instead of the few worst moments. Its remaining bias:
      downward where nobody waited (idle agents never seen), and wrap-up or breaks taken
      while nobody waited count as available time.
    * ``max_busy``: the largest number of calls in service at once (a lower bound).
    * ``busy``: mean number of agents in service (offered work actually done).

    ``waiting_types``: only callers of these types count as waiting; ``servers``: only these
    agents count as in service (an agent group: its agents, and the callers it may serve).
    """
    span = int(start + n_intervals * interval) + 1
    shape = (len(days), n_intervals)
    out = {k: np.full(shape, np.nan)
           for k in ("distinct", "busy_while_waiting", "work_conserving", "max_busy", "busy", "waiting_s")}
    by_day = {d: g for d, g in frame.groupby("day", sort=False)}
    servers_only = None if servers is None else np.asarray(list(servers), dtype=object)
    edges = start + interval * np.arange(n_intervals + 1)
    for di, d in enumerate(days):
        g = by_day.get(d)
        if g is None:
            continue
        arr = g["arrival"].to_numpy()
        wait = g["wait"].to_numpy()
        ans = g["answered"].to_numpy()
        st = (arr + wait)[ans]
        en = st + np.nan_to_num(g["handle"].to_numpy()[ans])
        servers = g["server"].to_numpy()[ans]
        if servers_only is not None:
            mine = np.isin(servers, servers_only)
            st, en, servers = st[mine], en[mine], servers[mine]
        in_service = _coverage(st, en, span)
        queued = wait > 0
        if waiting_types is not None:
            queued &= g["type"].isin(list(waiting_types)).to_numpy()
        waiting = _coverage(arr[queued], (arr + wait)[queued], span) > 0
        for i in range(n_intervals):
            lo, hi = edges[i], edges[i + 1]
            a, b = int(lo), int(hi)
            ov = np.clip(np.minimum(en, hi) - np.maximum(st, lo), 0, None)
            seen = (ov > 0) | ((st >= lo) & (st < hi))
            named = servers[seen]
            named = named[named != ""]
            out["distinct"][di, i] = len(set(named)) if named.size or not len(servers) or (servers != "").any() else np.nan
            busy = in_service[a:b]
            out["busy"][di, i] = ov.sum() / interval
            out["max_busy"][di, i] = busy.max() if busy.size else 0.0
            w = waiting[a:b]
            peak = busy.max() if busy.size else 0.0
            out["waiting_s"][di, i] = w.sum()
            out["busy_while_waiting"][di, i] = busy[w].mean() if w.sum() >= min_waiting else peak
            out["work_conserving"][di, i] = np.where(w, busy, peak).mean() if busy.size else 0.0
    if not (frame["server"] != "").any():
        out["distinct"][:] = np.nan  # no agent names in the records
    return out


# --------------------------------------------------------------------------- observed KPIs
def observed_intervals(frame: pd.DataFrame, days: Sequence[Any], start: float, interval: float,
                       n_intervals: int, threshold: float = 20.0) -> pd.DataFrame:
    """Observed KPIs per interval (calls by arrival at the queue), per day on average.

    Columns as queuesim's per-interval table: ``offered``, ``answered``, ``abandoned``
    (per day), ``abandonment_rate``, ``asa`` (mean wait of answered calls, 0 for those
    answered at once), ``mean_wait`` (all calls), ``service_level`` (answered within
    ``threshold`` / offered: abandoned calls are misses).
    """
    f = frame[frame["day"].isin(list(days))]
    slot = np.floor((f["arrival"].to_numpy() - start) / interval).astype(np.int64)
    ok = (slot >= 0) & (slot < n_intervals)
    f, slot = f[ok], slot[ok]
    n_days = max(len(days), 1)
    idx = range(n_intervals)
    g = f.groupby(slot)
    offered = g.size().reindex(idx, fill_value=0).to_numpy(float)
    answered = g["answered"].sum().reindex(idx, fill_value=0).to_numpy(float)
    within = (f["answered"] & (f["wait"] <= threshold)).groupby(slot).sum().reindex(idx, fill_value=0).to_numpy(float)
    wait_ans = f["wait"].where(f["answered"]).groupby(slot).sum().reindex(idx, fill_value=0).to_numpy(float)
    wait_all = g["wait"].sum().reindex(idx, fill_value=0).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "interval_start": start + interval * np.arange(n_intervals),
            "offered": offered / n_days,
            "answered": answered / n_days,
            "abandoned": (offered - answered) / n_days,
            "abandonment_rate": (offered - answered) / offered,
            "asa": wait_ans / answered,
            "mean_wait": wait_all / offered,
            "service_level": within / offered,
        })
    return table


# --------------------------------------------------------------------------- report
@dataclass
class FitReport:
    """What the fit read, skipped and estimated (see :meth:`to_text`, :meth:`plot`)."""

    files: list[str]
    format: str
    records_read: int
    skipped: dict[str, int]
    excluded: dict[str, int]
    calls_used: int
    outside_hours: int
    options: dict[str, Any]
    days_used: list[str]
    days_dropped: dict[str, str]
    start: float
    interval: float
    n_intervals: int
    arrivals: dict[str, float]
    per_day_totals: list[float]
    profile: list[float]
    types: pd.DataFrame
    handle: dict[str, dict[str, Any]]
    patience: dict[str, dict[str, Any]]
    staffing: pd.DataFrame
    priorities: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    agent_groups: Optional[AgentGroups] = None
    type_base: dict[str, str] = field(default_factory=dict)
    type_priority: dict[str, int] = field(default_factory=dict)
    check: Optional[dict[str, pd.DataFrame]] = None
    _samples: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def skipped_total(self) -> int:
        return int(sum(self.skipped.values()))

    def to_text(self) -> str:
        """A Markdown report of the fit."""
        L: list[str] = []
        L.append(f"# Fit report ({self.format}: {', '.join(Path(f).name for f in self.files)})\n")
        L.append(f"- records read: **{self.records_read}**; calls to the agents used: **{self.calls_used}**")
        L.append(f"- skipped (malformed): {self.skipped_total}" + (
            " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items())) + ")" if self.skipped else ""))
        if self.excluded:
            L.append("- excluded (not calls to the agents): " + ", ".join(f"{k}: {v}" for k, v in sorted(self.excluded.items())))
        L.append(f"- calls outside the chosen days/hours: {self.outside_hours}")
        L.append("- options: " + ", ".join(f"{k}={v}" for k, v in self.options.items()))
        L.append(f"- days used: {len(self.days_used)}" + (f" ({self.days_used[0]} .. {self.days_used[-1]})" if self.days_used else ""))
        for d, why in self.days_dropped.items():
            L.append(f"  - dropped {d}: {why}")
        a = self.arrivals
        L.append(f"- hours: {format_clock(self.start)}-{format_clock(self.start + self.n_intervals * self.interval)} "
                 f"in {self.n_intervals} intervals of {self.interval / 60:g} min")
        L.append(f"\n## Arrivals\n\ncalls per day: mean {a['mean']:.1f}, sd {a['sd']:.1f}, CV {a['cv']:.3f} "
                 f"(Poisson alone {a['cv_poisson']:.3f}); **dispersion** (CV of the gamma day level) "
                 f"= sqrt(CV^2 - 1/mean) = **{a['dispersion']:.3f}**; peak {max(self.profile):.1f} calls per interval "
                 f"at {format_clock(self.start + self.interval * int(np.argmax(self.profile)))}.\n")
        L.append("## Call types\n")
        L.append(self.types.to_markdown(index=False, floatfmt=".4g") if hasattr(self.types, "to_markdown") and _has_tabulate() else self.types.to_string(index=False))
        L.append("\n## Handle time (lognormal MLE; SE in brackets)\n")
        L.append("| type | n | emp. mean | emp. sd | mu | sigma | fit mean | fit sd | KS | KS 5% crit. |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for t, h in self.handle.items():
            L.append(f"| {t} | {h['n']} | {h['emp_mean']:.1f} | {h['emp_sd']:.1f} | {h['mu']:.4f} ({h['se_mu']:.4f}) | "
                     f"{h['sigma']:.4f} ({h['se_sigma']:.4f}) | {h['mean']:.1f} ({h['se_mean']:.1f}) | {h['sd']:.1f} | "
                     f"{h['ks']:.3f} | {h['ks_critical']:.3f} |")
        L.append("\n## Patience (censored waits; SE in brackets)\n")
        L.append("| type | queued | abandoned | exp. mean (s) | Weibull shape | Weibull scale (s) | Weibull mean (s) | KM S(30/60/120/300 s) | sup abs(KM - exp) / (KM - Weib) on 0-300 s |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for t, p in self.patience.items():
            km = "/".join(f"{v:.2f}" for v in p["km_at"])
            L.append(f"| {t} | {p['n']} | {p['events']} | {p['exp_mean']:.0f} ({p['exp_se']:.0f}) | "
                     f"{p['weib_shape']:.3f} ({p['weib_se_shape']:.3f}) | {p['weib_scale']:.0f} ({p['weib_se_scale']:.0f}) | "
                     f"{p['weib_mean']:.0f} | {km} | {p['dist_exp']:.3f} / {p['dist_weib']:.3f} |")
        L.append("\n## Staffing (agents per interval, mean over days)\n")
        L.append(_plain_table(self.staffing))
        modelled = len(set(self.type_priority.values())) > 1
        L.append("\n## Priorities (" + ("modelled: strict priority by class, higher first" if modelled
                                          else "reported, not modelled") + ")\n")
        L.append(_plain_table(self.priorities))
        if modelled:
            L.append("\n| call type | type | priority |\n|---|---|---|")
            L.extend(f"| {t} | {self.type_base.get(t, t)} | {p} |" for t, p in self.type_priority.items())
        if self.agent_groups is not None:
            ag = self.agent_groups
            L.append("\n## Agent groups (skills fitted from who answered which types)\n")
            L.append(_plain_table(ag.table()))
            L.append("\nRouting (home group first; the others may answer from the start):\n")
            L.extend(f"- {t}: {', '.join(gs)}" for t, gs in ag.routing.items())
        if self.check is not None:
            for what, table in self.check.items():
                L.append(f"\n## Observed vs fitted model, per {what}\n")
                L.append(_plain_table(table))
        if self.notes:
            L.append("\n## Notes\n")
            L.extend(f"- {n}" for n in self.notes)
        return "\n".join(L) + "\n"

    def plot(self, folder: Union[str, Path], prefix: str = "fit") -> list[Path]:
        """Write figures of fitted vs empirical distributions; returns their paths."""
        return fit_figures(self, Path(folder), prefix)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _plain_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            cells.append(f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# --------------------------------------------------------------------------- the fit
def _round_shares(shares: dict[str, float], digits: int = 4) -> dict[str, float]:
    r = {k: round(v, digits) for k, v in shares.items()}
    biggest = max(r, key=lambda k: r[k])
    r[biggest] = round(r[biggest] + 1.0 - sum(r.values()), digits)
    return r


def _apportion(weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integers per row (group) and column (interval) adding up to ``totals``, in proportion to
    ``weights`` (largest remainders; ties to the earlier row; equal shares where all weights are 0)."""
    k, n = weights.shape
    out = np.zeros((k, n), dtype=np.int64)
    for i in range(n):
        w = np.clip(weights[:, i], 0, None)
        w = w / w.sum() if w.sum() > 0 else np.full(k, 1.0 / k)
        exact = w * totals[i]
        base = np.floor(exact + 1e-9).astype(np.int64)
        rest = int(totals[i] - base.sum())
        order = sorted(range(k), key=lambda j: (-(exact[j] - base[j]), j))
        for j in order[:rest]:
            base[j] += 1
        out[:, i] = base
    return out


def _dither(values: np.ndarray) -> list[int]:
    return [int(max(0, round(v))) for v in values]


def fit_records(
    records: Union[Records, str, Path, Sequence[Union[str, Path]]],
    format: str = "csv",
    *,
    columns: Union[None, str, dict[str, str]] = None,
    days: Union[None, str, Sequence[str]] = None,
    dates: Optional[tuple[str, str]] = None,
    interval: Union[str, float] = "30min",
    hours: Optional[str] = None,
    patience: str = "exponential",
    handle: str = "lognormal",
    staffing: str = "work-conserving",
    groups: str = "auto",
    priorities: str = "auto",
    min_handle: Union[None, str, float] = None,
    min_type_share: float = 0.05,
    min_day_fraction: float = 0.5,
    threshold: Union[str, float] = "20s",
    name: str = "fitted",
    replications: int = 20,
    seed: int = 0,
    quantiles: int = 2000,
) -> tuple[dict[str, Any], FitReport]:
    """Fit a config from call records; returns ``(config dict, FitReport)``.

    ``records`` is a :class:`Records` or file path(s) of ``format``. ``days`` keeps
    only some weekdays (``"sun-thu"``); ``dates`` = (first, last) ISO dates keeps a
    date range; days with fewer calls than ``min_day_fraction`` x the median day are
    dropped (holidays, outages) and listed. ``hours`` = ``"07:00-24:00"`` or None
    (auto: intervals in which calls were answered on at least half of the days).
    ``min_handle``: answered calls shorter than this are left out of the handle-time
    fits (default 10 s for ``anonymous-bank``, whose short calls are artefacts; 0
    otherwise); they stay in the arrivals. Types with less than ``min_type_share`` of
    the calls are merged into ``other``. ``groups="auto"`` fits agent groups (skills),
    their staffing and the routing of each type where the records name agents;
    ``priorities="auto"`` splits types by priority class where the records carry several
    (see :mod:`queuesim.fit.skills`); ``"none"`` for either gives the pooled, first come
    first served config.
    """
    if patience not in PATIENCE_CHOICES:
        raise FitError(f"patience: expected one of {', '.join(PATIENCE_CHOICES)}, got {patience!r}")
    if handle not in HANDLE_CHOICES:
        raise FitError(f"handle: expected one of {', '.join(HANDLE_CHOICES)}, got {handle!r}")
    if staffing not in STAFFING_METHODS:
        raise FitError(f"staffing: expected one of {', '.join(STAFFING_METHODS)}, got {staffing!r}")
    if groups not in GROUPS_CHOICES:
        raise FitError(f"groups: expected one of {', '.join(GROUPS_CHOICES)}, got {groups!r}")
    if priorities not in PRIORITIES_CHOICES:
        raise FitError(f"priorities: expected one of {', '.join(PRIORITIES_CHOICES)}, got {priorities!r}")
    step = parse_duration(interval)
    if step <= 0 or abs(DAY / step - round(DAY / step)) > 1e-9:
        raise FitError(f"interval: must divide 24 h (e.g. 15min, 30min, 1h), got {interval!r}")
    thr = parse_duration(threshold)
    if min_handle is None:
        min_handle_s = 10.0 if format == "anonymous-bank" else 0.0
    else:
        min_handle_s = parse_duration(min_handle)
    weekdays = parse_days(days)
    hour_span = _parse_hours(hours)

    recs = records if isinstance(records, Records) else read_records(records, format, columns=columns)
    f = recs.frame.copy()
    notes: list[str] = []
    if len(f) == 0:
        raise FitError("no usable call records (all skipped or excluded); see the counts: "
                       f"skipped {dict(recs.skipped)}, excluded {dict(recs.excluded)}")
    if f["day"].isna().any():
        if f["day"].notna().any():
            n_nat = int(f["day"].isna().sum())
            f = f[f["day"].notna()]
            recs.skipped["no date"] += n_nat
        else:
            f["day"] = pd.Timestamp("2000-01-01")  # undated records: one day
            notes.append("the records carry no dates: all calls are treated as one day")
            if weekdays:
                raise FitError("--days needs dated records (a date column or date-times)")

    # ---- days
    all_days = sorted(f["day"].unique())
    chosen = list(all_days)
    if dates is not None:
        lo, hi = (_iso_date(x, "dates") for x in dates)
        chosen = [d for d in chosen if lo <= pd.Timestamp(d) <= hi]
    if weekdays:
        chosen = [d for d in chosen if _WEEKDAYS[pd.Timestamp(d).weekday()] in weekdays]
    if not chosen:
        raise FitError("no records on the chosen days")
    fd = f[f["day"].isin(chosen)]
    totals = fd.groupby("day").size().reindex(chosen, fill_value=0)
    median = float(totals.median())
    dropped = {pd.Timestamp(d).date().isoformat(): f"{int(n)} calls < {min_day_fraction:g} x median ({median:.0f})"
               for d, n in totals.items() if n < min_day_fraction * median}
    chosen = [d for d in chosen if pd.Timestamp(d).date().isoformat() not in dropped]
    fd = f[f["day"].isin(chosen)]
    n_days = len(chosen)

    # ---- hours
    if hour_span is None:
        ans = fd[fd["answered"]]
        slot = np.floor(ans["arrival"].to_numpy() / step).astype(int)
        per = pd.Series(1, index=pd.MultiIndex.from_arrays([ans["day"].to_numpy(), slot])).groupby(level=[0, 1]).size()
        days_with = per.groupby(level=1).size()
        busy_slots = sorted(s for s, k in days_with.items() if k >= 0.5 * n_days and 0 <= s < DAY / step)
        if not busy_slots:
            raise FitError("could not find opening hours (no interval with answered calls on half of the days); give --hours")
        start, n_int = busy_slots[0] * step, busy_slots[-1] - busy_slots[0] + 1
    else:
        start = math.floor(hour_span[0] / step) * step
        n_int = int(math.ceil((hour_span[1] - start) / step))
    end = start + n_int * step
    inside = (fd["arrival"] >= start) & (fd["arrival"] < end)
    outside = int(len(f) - inside.sum())
    fw = fd[inside].copy()
    if len(fw) < 10:
        raise FitError(f"only {len(fw)} calls in the chosen days and hours: too few to fit")

    # ---- call types (names from the records: made printable and short enough for a config)
    fw["type"] = fw["type"].map(_type_name)
    counts = fw["type"].value_counts()
    share = counts / counts.sum()
    small = [t for t in share.index if share[t] < min_type_share]
    fw["group"] = fw["type"]
    if len(small) > 1:
        fw.loc[fw["type"].isin(small), "group"] = "other"
    fw["base"] = fw["group"]
    base_order = list(fw["group"].value_counts().index)
    if "other" in base_order:
        base_order = [t for t in base_order if t != "other"] + ["other"]
    level: dict[str, int] = {}
    base_of = {t: t for t in base_order}
    if priorities == "auto" and fw["priority"].nunique() > 1:
        fw["priority"], prio_notes = fold_unrecorded_priorities(fw, "type", seed)
        notes.extend(prio_notes)
        fw["group"], level, base_of = split_by_priority(fw["base"], fw["priority"])
    order = list(fw["group"].value_counts().index)
    rank = {b: i for i, b in enumerate(base_order)}
    order.sort(key=lambda t: (rank[base_of[t]], -level.get(t, 0)))
    gshare = fw["group"].value_counts(normalize=True)
    shares = _round_shares({t: float(gshare[t]) for t in order})
    members = {t: sorted(fw.loc[fw["group"] == t, "type"].unique()) for t in order}

    # ---- arrivals
    slot = np.floor((fw["arrival"].to_numpy() - start) / step).astype(int)
    fw["slot"] = slot
    per_day = fw.groupby(["day", "slot"]).size().unstack(fill_value=0).reindex(index=chosen, columns=range(n_int), fill_value=0)
    profile = per_day.mean(axis=0).to_numpy()
    day_tot = per_day.sum(axis=1).to_numpy(float)
    m = float(day_tot.mean())
    sd = float(day_tot.std(ddof=1)) if n_days > 1 else 0.0
    cv = sd / m if m > 0 else 0.0
    disp = math.sqrt(max(cv**2 - 1.0 / m, 0.0)) if m > 0 else 0.0
    # standard error of the dispersion by the delta method on CV (normal approximation)
    arrivals_info = dict(days=n_days, mean=m, sd=sd, cv=cv, cv_poisson=1 / math.sqrt(m) if m > 0 else math.nan,
                         dispersion=disp, se_dispersion=(cv / math.sqrt(2 * (n_days - 1)) * cv / disp)
                         if disp > 0 and n_days > 1 else math.nan)

    # ---- handle and patience per type
    rng = np.random.default_rng(seed)
    handle_fits: dict[str, dict[str, Any]] = {}
    patience_fits: dict[str, dict[str, Any]] = {}
    type_rows = []
    samples: dict[str, Any] = {"handle": {}, "km": {}, "waits": {}}
    call_types = []
    for t in order:
        g = fw[fw["group"] == t]
        served = g[g["answered"] & g["handle_ok"]]
        h_all = served["handle"].to_numpy()
        short = int((h_all < max(min_handle_s, 1e-9)).sum()) if min_handle_s > 0 else int((h_all <= 0).sum())
        h = h_all[h_all >= min_handle_s] if min_handle_s > 0 else h_all[h_all > 0]
        if h.size < 2:
            raise FitError(f"call type {t!r}: fewer than 2 usable handle times")
        lf = fit_lognormal(h, rng=rng, jitter=0.5 if format == "anonymous-bank" else 0.0)
        handle_fits[t] = dict(lf.as_dict(), short_left_out=short)
        samples["handle"][t] = h
        # patience: callers who waited (answered at once carry no information on patience)
        q = g[(g["wait"] > 0) | ~g["answered"]]
        tw, ev = q["wait"].to_numpy(), ~q["answered"].to_numpy()
        ex = fit_exponential_censored(tw, ev)
        km = kaplan_meier(np.where(ev & (tw <= 0), 0.5, tw), ev)
        try:
            wb = fit_weibull_censored(tw, ev)
        except (ValueError, ArithmeticError):  # too few abandonments, or no maximum: the exponential stays
            wb = None
        samples["km"][t] = km
        samples["waits"][t] = (tw, ev)
        grid = np.linspace(0, 300, 601)
        ok = grid <= km.t_max
        s_km = km.sf(grid[ok])
        d_exp = float(np.max(np.abs(s_km - np.exp(-grid[ok] / ex.mean)))) if ex.events else math.nan
        d_wb = float(np.max(np.abs(s_km - np.exp(-(grid[ok] / wb.scale) ** wb.shape)))) if wb else math.nan
        patience_fits[t] = dict(
            n=ex.n, events=ex.events, exposure=ex.exposure, exp_mean=ex.mean, exp_se=ex.se_mean,
            weib_shape=wb.shape if wb else math.nan, weib_scale=wb.scale if wb else math.nan,
            weib_se_shape=wb.se_shape if wb else math.nan, weib_se_scale=wb.se_scale if wb else math.nan,
            weib_mean=wb.mean if wb else math.nan,
            aic_exp=2 - 2 * ex.loglik, aic_weib=(4 - 2 * wb.loglik) if wb else math.nan,
            km_at=[float(km.sf(np.array([x]))[0]) for x in (30, 60, 120, 300)],
            dist_exp=d_exp, dist_weib=d_wb,
        )
        # config entries
        if handle == "lognormal":
            h_cfg: dict[str, Any] = {"distribution": "lognormal", "mu": round(lf.mu, 5), "sigma": round(lf.sigma, 5)}
        else:
            h_cfg = {"distribution": "empirical", "values": [round(float(v), 2) for v in empirical_quantiles(h, 1000)]}
        if ex.events == 0:
            p_cfg: Any = "inf"
            notes.append(f"type {t}: nobody abandoned; patience written as inf")
        elif patience == "exponential" or (patience == "weibull" and wb is None):
            p_cfg = {"distribution": "exponential", "mean": round(ex.mean, 2)}
        elif patience == "weibull":
            p_cfg = {"distribution": "weibull", "shape": round(wb.shape, 5), "scale": round(wb.scale, 3)}
        else:
            # tail beyond the largest wait: exponential with the hazard seen in the longest 10% of waits
            cut = float(np.quantile(tw, 0.9)) if tw.size else 0.0
            late = tw > cut
            d_late = int(ev[late].sum())
            expo_late = float((tw[late] - cut).sum())
            tail = expo_late / d_late if d_late >= 10 else ex.mean
            vals = km_quantile_values(km, tail, quantiles)
            p_cfg = {"distribution": "empirical", "values": [round(float(v), 2) for v in vals]}
            patience_fits[t]["empirical_tail_mean"] = tail
            patience_fits[t]["km_mass_beyond_max_wait"] = float(km.survival[-1]) if km.survival.size else 1.0
        call_types.append({"name": t, "share": shares[t], "handle_time": h_cfg, "patience": p_cfg})
        type_rows.append(dict(type=t, members=" ".join(members[t]), calls=len(g), share=shares[t],
                              answered=int(g["answered"].sum()), abandoned=int((~g["answered"]).sum()),
                              abandonment_rate=float((~g["answered"]).mean()), asa=float(g.loc[g["answered"], "wait"].mean())))

    # ---- staffing
    st = reconstruct_staffing(fw, chosen, start, step, n_int)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            mean = {k: np.nanmean(v, axis=0) for k, v in st.items()}
    staffing_table = pd.DataFrame({
        "interval_start": [format_clock(start + i * step) for i in range(n_int)],
        "calls": profile,
        "distinct": mean["distinct"],
        "busy_while_waiting": mean["busy_while_waiting"],
        "work_conserving": mean["work_conserving"],
        "max_busy": mean["max_busy"],
        "busy": mean["busy"],
        "waiting_min": mean["waiting_s"] / 60.0,
    })
    key = _STAFFING_KEYS[staffing]
    chosen_staff = mean[key]
    if np.isnan(chosen_staff).all():
        raise FitError(f"staffing {staffing!r}: the records have no agent names; use --staffing work-conserving")
    chosen_staff = np.where(np.isnan(chosen_staff), mean["max_busy"], chosen_staff)
    agents = _dither(chosen_staff)
    if max(agents) == 0:
        raise FitError("staffing: no agent seen at work in the chosen hours")
    agents = [max(a, 1) if profile[i] > 0 else a for i, a in enumerate(agents)]
    staffing_table["agents"] = agents

    # ---- agent groups (skills) and their staffing
    agent_groups: Optional[AgentGroups] = None
    group_agents: dict[str, list[int]] = {}
    named = fw["answered"] & (fw["server"] != "")
    if groups == "auto" and named.any():
        agent_groups = cluster_agents(fw[named], base_order)
        if len(agent_groups.names) == 1:
            agent_groups = None  # one group serving every type: the pool above, as it is
            notes.append("groups: every agent serves every call type; one pool of agents")
    if agent_groups is not None:
        by_base = fw.assign(type=fw["base"])
        own = []
        for gname, skills, members in zip(agent_groups.names, agent_groups.skills, agent_groups.agents):
            cells = reconstruct_staffing(by_base, chosen, start, step, n_int, waiting_types=skills, servers=members)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)
                gmean = {k: np.nanmean(v, axis=0) for k, v in cells.items()}
            g_staff = gmean[key]
            own.append(np.nan_to_num(np.where(np.isnan(g_staff), gmean["max_busy"], g_staff)))
        # each group's own estimate, scaled so the groups add up to the pool's agents per interval
        split = _apportion(np.array(own), np.array(agents))
        for k, gname in enumerate(agent_groups.names):
            group_agents[gname] = [int(v) for v in split[k]]
            staffing_table[f"own[{gname}]"] = own[k]
            staffing_table[f"agents[{gname}]"] = group_agents[gname]

    # ---- priorities
    prio_rows = []
    for p, g in fw.groupby("priority"):
        q = g[g["wait"] > 0]
        prio_rows.append(dict(priority=int(p), calls=len(g), share=len(g) / len(fw),
                              share_queued=float((g["wait"] > 0).mean()),
                              abandonment_rate=float((~g["answered"]).mean()),
                              asa=float(g.loc[g["answered"], "wait"].mean()),
                              mean_wait_queued=float(q["wait"].mean()) if len(q) else math.nan))
    prio = pd.DataFrame(prio_rows)
    if len(prio) > 1 and not level:
        notes.append("priorities are reported only: the fitted config serves all calls first come, first served")

    config: dict[str, Any] = {
        "name": _type_name(name) if name else "fitted",
        "description": (f"fitted by queuesim fit from {len(recs.files)} file(s), {n_days} days, "
                        f"patience={patience}, handle={handle}, staffing={staffing}"),
        "seed": int(seed),
        "replications": int(replications),
        "service_level_threshold": thr,
        "arrivals": {"interval": f"{step / 60:g}min", "start": format_clock(start),
                     "calls": [round(float(c), 4) for c in profile], "dispersion": round(disp, 4)},
        "call_types": call_types,
        "staffing": {"interval": f"{step / 60:g}min", "start": format_clock(start), "agents": agents},
    }
    if level and len(set(level.values())) > 1:
        for ct in call_types:
            ct["priority"] = int(level[ct["name"]])
    if agent_groups is not None:
        del config["staffing"]
        config["groups"] = group_config(agent_groups, group_agents, f"{step / 60:g}min", format_clock(start),
                                        call_types, base_of)
    _make_valid(config, notes)
    report = FitReport(
        files=recs.files, format=format, records_read=recs.read, skipped=dict(recs.skipped),
        excluded=dict(recs.excluded), calls_used=len(fw), outside_hours=outside,
        options=dict(days=",".join(weekdays) if weekdays else "all", interval=f"{step / 60:g}min",
                     patience=patience, handle=handle, staffing=staffing, groups=groups, priorities=priorities,
                     min_handle=f"{min_handle_s:g}s",
                     min_type_share=min_type_share),
        days_used=[pd.Timestamp(d).date().isoformat() for d in chosen], days_dropped=dropped,
        start=start, interval=step, n_intervals=n_int, arrivals=arrivals_info,
        per_day_totals=day_tot.tolist(), profile=profile.tolist(), types=pd.DataFrame(type_rows),
        handle=handle_fits, patience=patience_fits, staffing=staffing_table, priorities=prio, notes=notes,
        _samples=samples, agent_groups=agent_groups,
        type_base={t: base_of[t] for t in order}, type_priority={t: int(level.get(t, 0)) for t in order},
    )
    report._samples["frame"] = fw
    report._samples["staffing_cells"] = st
    return config, report


#: Smallest lognormal sigma written (all handle times equal would give 0, which is not a distribution).
MIN_SIGMA = 0.001
#: Smallest mean or scale written for a fitted duration, in seconds.
MIN_SECONDS = 0.01
#: Range of a fitted Weibull shape written to a config.
WEIBULL_SHAPES = (0.05, 20.0)


def _iso_date(text: str, option: str) -> pd.Timestamp:
    """``YYYY-MM-DD`` -> Timestamp; FitError (one line) otherwise."""
    try:
        return pd.Timestamp(_dt.date.fromisoformat(str(text).strip()))
    except (ValueError, OverflowError, TypeError):
        raise FitError(f"{option}: {str(text)[:40]!r} is not a date YYYY-MM-DD (e.g. 1999-01-31)") from None


def _type_name(text: Any) -> str:
    """A call-type name from the records, usable in a config: printable, at most 64 characters."""
    name = "".join(ch if ch.isprintable() else "_" for ch in str(text)).strip()
    return name[:64].strip() or "unknown"


def _make_valid(config: dict[str, Any], notes: list[str]) -> None:
    """Clamp fitted parameters that ``queuesim validate`` would refuse, noting each, then validate.

    All handle times equal gives a lognormal sigma of 0; waits of a few
    milliseconds give a patience mean that rounds to 0. Those are clamped
    (:data:`MIN_SIGMA`, :data:`MIN_SECONDS`, :data:`WEIBULL_SHAPES`) with a
    note in the fit report. Anything else the config check refuses raises
    :class:`FitError` with its one-line reason, so ``fit`` never writes a
    config that its own ``validate`` rejects.
    """

    for ct in config["call_types"]:
        h = ct["handle_time"]
        if h.get("distribution") == "lognormal" and not h["sigma"] >= MIN_SIGMA:
            notes.append(f"type {ct['name']}: the handle times are (nearly) all equal; lognormal sigma "
                         f"{h['sigma']:g} clamped to {MIN_SIGMA:g}")
            h["sigma"] = MIN_SIGMA
        p = ct["patience"]
        if isinstance(p, dict) and p.get("distribution") == "exponential" and not p["mean"] >= MIN_SECONDS:
            notes.append(f"type {ct['name']}: patience mean {p['mean']:g}s clamped to {MIN_SECONDS:g}s")
            p["mean"] = MIN_SECONDS
        if isinstance(p, dict) and p.get("distribution") == "weibull":
            low, high = WEIBULL_SHAPES
            if not low <= p["shape"] <= high or not p["scale"] >= MIN_SECONDS:
                notes.append(f"type {ct['name']}: Weibull patience (shape {p['shape']:g}, scale {p['scale']:g}s) "
                             f"clamped to shape {low:g}..{high:g}, scale >= {MIN_SECONDS:g}s")
                p["shape"] = min(max(p["shape"], low), high) if math.isfinite(p["shape"]) else 1.0
                p["scale"] = max(p["scale"], MIN_SECONDS) if math.isfinite(p["scale"]) else MIN_SECONDS
    try:
        experiment_from_dict(config, source="fitted config")
    except ConfigError as exc:
        raise FitError(f"the fitted config would not pass validate, so none is written: {exc}") from None


# --------------------------------------------------------------------------- writing
def write_config(config: dict[str, Any], path: Union[str, Path], *, header: str = "") -> Path:
    """Write a fitted config as YAML; long empirical value lists go to a CSV beside it.

    Empirical distributions become ``{distribution: empirical, file: <stem>-<type>-<what>.csv,
    column: seconds}`` so the YAML stays readable. Returns the YAML path.
    """
    import copy

    import yaml

    path = Path(path)
    cfg = copy.deepcopy(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    for ct in cfg.get("call_types", []):
        for what in ("handle_time", "patience"):
            d = ct.get(what)
            if isinstance(d, dict) and d.get("distribution") == "empirical" and "values" in d:
                # call-type names come from the records: keep only safe characters in file names
                safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(ct["name"])).strip("._") or "type"
                name = f"{path.stem}-{safe}-{what.replace('_', '-')}.csv"
                pd.DataFrame({"seconds": d["values"]}).to_csv(path.parent / name, index=False)
                ct[what] = {"distribution": "empirical", "file": name, "column": "seconds"}
    text = yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None, width=120)
    path.write_text(header + text, encoding="utf-8")
    return path
