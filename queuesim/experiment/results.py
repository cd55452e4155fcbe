"""Aggregated results of an experiment: tables, JSON and DataFrames.

``summary.json`` format (times in seconds, rates and shares as fractions)::

    {"experiment": "...", "seed": 7, "queuesim_version": "...",
     "scenarios": [{"name": "...", "replications": 20,
                    "metrics": {"abandonment_rate": {"mean": 0.031, "ci95": [0.029, 0.033]}, ...}}],
     "comparisons": [{"variant": "...", "baseline": "<first scenario>", "replications": 20,
                      "metrics": {"abandonment_rate": {"difference": -0.01,
                                                       "paired_ci95": [-0.012, -0.008],
                                                       "unpaired_ci95": [-0.03, 0.01],
                                                       "variance_reduction": 14.2}, ...}}],
     "failures": [{"scenario": "...", "replication": 3, "attempts": 3, "error": "..."}]}

``comparisons`` has one entry per scenario after the first (the baseline);
``failures`` (replications that still failed after their retries) appears
only when some did.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..measure.metrics import METRICS, metric_unit, metric_value
from ..measure.stats import Estimate, mean_ci, proportion_ci
from ..model.callbacks import without_other_kinds_keys
from ..model.config import ConfigError, experiment_from_dict, read_yaml
from ..model.spec import Experiment
from .compare import Comparison, paired_comparison
from .replication import ReplicationResult
from .store import MAX_RESOLVED_CONFIG_BYTES, ResultStore, StoreError, fingerprint, is_damaged

#: Per-interval columns that are rates or shares (fractions): their CIs also come as logit-scale bounds.
_FRACTION_COLUMNS = ("abandonment_rate", "blocking_rate", "service_level", "occupancy")

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["HEADLINE_METRICS", "ExperimentResult", "Failure", "HeadlineCell", "HeadlineRow"]

#: Rows of the headline comparison of multi-scenario runs (``queuesim run``, reports), by group.
HEADLINE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hold time", ("mean_wait", "wait_p90", "messages_heard")),
    ("service", ("abandonment_rate", "blocking_rate", "service_level", "asa", "occupancy", "slowdown_time",
                 "redial_agent_time")),
    ("callers who stayed on the line", ("live_mean_wait", "live_wait_p90", "live_abandonment_rate", "live_service_level")),
    ("callbacks", ("callback_accepts", "callbacks_completed", "promise_kept_rate", "callback_delay", "balked")),
    ("the agents' day", ("agent_occupancy_p90", "high_occupancy_share", "break_delay", "fatigue_time",
                         "expected_attrition")),
    ("costs", ("cost_total", "cost_agents", "cost_trunk", "cost_customer_time", "cost_abandonment",
               "cost_churn", "cost_attrition", "cost_per_call")),
)
HEADLINE_METRICS: tuple[str, ...] = tuple(m for _, group in HEADLINE_GROUPS for m in group)


@dataclass(frozen=True)
class HeadlineCell:
    """One scenario's entry of a headline row, in the metric's own unit (fractions as fractions)."""

    mean: float
    half_width: float
    """half-width of the 95% CI of the mean"""
    difference: float | None = None
    """paired difference against the baseline (None for the baseline itself, or when undefined)"""
    difference_half_width: float = math.nan
    """half-width of the paired 95% CI of the difference"""

    @property
    def significant(self) -> bool:
        """The paired 95% CI of the difference excludes 0."""
        d, hw = self.difference, self.difference_half_width
        return d is not None and math.isfinite(d) and math.isfinite(hw) and abs(d) > hw


@dataclass(frozen=True)
class HeadlineRow:
    """A metric of the headline comparison: one cell per scenario."""

    metric: str
    group: str
    unit: str
    """display unit: ``%`` for fractions, the currency for costs, else :func:`~queuesim.measure.metrics.metric_unit`"""
    scale: float
    """multiplier from the metric's unit to the display unit (100 for fractions)"""
    cells: tuple[HeadlineCell, ...]

    def texts(self, marker: str = "*") -> list[str]:
        """Each cell as text: ``mean`` for the baseline, ``mean  (difference ± half-width)`` for variants,
        followed by ``marker`` when the paired CI excludes 0. Numbers carry the precision their CI supports;
        differences of percentages are in percentage points."""
        widths = [c.half_width * self.scale for c in self.cells if math.isfinite(c.half_width) and c.half_width > 0]
        places = _decimals(math.nan, min(widths)) if widths else None
        return [format_cell(c, self.scale, marker, mean_places=places) for c in self.cells]


def _decimals(value: float, half_width: float) -> int:
    """Decimals to show: two significant digits of the CI half-width, else three of the value."""
    if math.isfinite(half_width) and half_width > 0:
        return max(0, min(2, 1 - math.floor(math.log10(half_width))))
    if math.isfinite(value) and value != 0:
        return max(0, min(2, 2 - math.floor(math.log10(abs(value)))))
    return 0


def _number(value: float, decimals: int, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    if text.lstrip("+-").strip("0.,") == "":  # no -0.0 or +0.0
        text = text.lstrip("+-")
    return text


def format_cell(cell: HeadlineCell, scale: float = 1.0, marker: str = "*", mean_places: int | None = None) -> str:
    """``mean`` or ``mean  (difference ± half-width)`` + ``marker`` if the difference is significant.

    Values are multiplied by ``scale`` (100: fractions as percentages). The
    mean has ``mean_places`` decimals (default: two significant digits of its
    CI half-width), the difference two significant digits of its own.
    """
    mean = cell.mean * scale
    text = _number(mean, _decimals(mean, cell.half_width * scale) if mean_places is None else mean_places)
    if cell.difference is None or not math.isfinite(cell.difference):
        return text
    d, hw = cell.difference * scale, cell.difference_half_width * scale
    places = _decimals(d, hw)
    ci = f" ± {_number(hw, places)}" if math.isfinite(hw) else ""
    return f"{text}  ({_number(d, places, sign=True)}{ci}){marker if cell.significant else ''}"


@dataclass(frozen=True)
class Failure:
    """A replication that raised on every attempt: its last error and traceback."""

    scenario: str
    seed: int
    replication: int
    attempts: int
    error: str
    """last line of the traceback, e.g. ``ValueError: ...``"""
    traceback: str = ""
    file: str | None = None
    """where the traceback was recorded (``DIR/failures/...``), if a store was used"""


def _finite_or_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class ExperimentResult:
    """All replications of all scenarios of an experiment.

    ``replications`` is ordered by scenario (as in the experiment) and then by
    replication number, whatever executor produced it.
    """

    experiment: Experiment
    replications: list[ReplicationResult]
    runtime: float = 0.0
    """wall-clock seconds of the run (0 for results loaded from a store)"""
    failures: list[Failure] = field(default_factory=list)
    """replications that still failed after their retries (their results are missing)"""
    out: "Path | None" = None
    """the result store folder, when the run used one"""
    _estimates: dict[tuple[str, str], Estimate] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, directory: "str | Path") -> "ExperimentResult":
        """Rebuild the results of a finished (or interrupted) run from its store folder.

        Every replication file is checked against the schema of
        :mod:`queuesim.experiment.resultfile`; a damaged one raises
        :class:`~queuesim.experiment.store.StoreError` naming it (``queuesim run
        --resume`` moves it aside and simulates it again).
        """
        return load_result(directory)

    # -- access ------------------------------------------------------------
    @property
    def scenario_names(self) -> list[str]:
        return [s.name for s in self.experiment.scenarios]

    def values(self, scenario: str, metric: str) -> np.ndarray:
        """Per-replication values of ``metric`` for ``scenario``, in replication order."""
        return np.array([metric_value(r.summary, metric) for r in self._of(scenario)], dtype=np.float64)

    def estimate(self, scenario: str, metric: str) -> Estimate:
        """Mean and 95% confidence interval over replications.

        Student-t; for rates and shares (unit ``fraction``) on the logit scale,
        so the interval stays inside [0, 1] (:func:`~queuesim.measure.stats.proportion_ci`).
        """
        key = (scenario, metric)
        if key not in self._estimates:
            ci = proportion_ci if metric_unit(metric) == "fraction" else mean_ci
            self._estimates[key] = ci(self.values(scenario, metric))
        return self._estimates[key]

    def _of(self, scenario: str) -> list[ReplicationResult]:
        """Replications of ``scenario`` (index rebuilt when the list changes length)."""
        index = self.__dict__.get("_index")
        if index is None or index[0] != len(self.replications):
            groups: dict[str, list[ReplicationResult]] = {}
            for r in self.replications:
                groups.setdefault(r.scenario, []).append(r)
            index = (len(self.replications), groups)
            self.__dict__["_index"] = index
        return index[1].get(scenario, [])

    def hold_time_quantiles(self, scenario: str) -> "tuple[np.ndarray, np.ndarray, np.ndarray] | None":
        """The hold-time distribution of ``scenario`` averaged over replications (Vincentization).

        Returns ``(levels, mean, half_width)``: the levels 0, 0.01, ..., 1, the
        mean over replications of each replication's quantile of the wait
        (s) at that level, and the half-width of its 95% Student-t CI. The mean
        quantile function is the Vincent average of the replications'
        distributions: a CDF with the typical shape of one day, not the pooled
        mixture of all days. Replications without ``wait_quantiles`` (no
        counted call, or results written before they existed) are left out;
        None when no replication of the scenario has them.
        """
        from scipy import stats

        kept = [r.wait_quantiles for r in self._of(scenario) if r.wait_quantiles is not None]
        if not kept:
            return None
        q = np.array(kept, dtype=np.float64)
        levels = np.linspace(0.0, 1.0, q.shape[1])
        mean = q.mean(axis=0)
        n = q.shape[0]
        if n > 1:
            half = float(stats.t.ppf(0.975, n - 1)) * q.std(axis=0, ddof=1) / math.sqrt(n)
        else:
            half = np.full_like(mean, math.nan)
        return levels, mean, half

    def by_replication(self, scenario: str, metric: str) -> dict[int, float]:
        """``{replication number: value}`` of ``metric`` for ``scenario``."""
        return {r.replication: metric_value(r.summary, metric) for r in self._of(scenario)}

    def metric_names(self) -> list[str]:
        """:data:`~queuesim.measure.metrics.METRICS` first, then any other key found in the summaries."""
        cached = self.__dict__.get("_metric_names")
        if cached is not None and cached[0] == len(self.replications):
            return list(cached[1])
        names = list(METRICS)
        seen = set(names)
        for rep in self.replications:
            for k in rep.summary:
                if k not in seen:
                    seen.add(k)
                    names.append(k)
        self.__dict__["_metric_names"] = (len(self.replications), tuple(names))
        return names

    # -- comparisons -----------------------------------------------------------
    def comparison(self, variant: str, baseline: str | None = None, metric: str = "abandonment_rate") -> Comparison:
        """Paired and unpaired comparison of one metric: ``variant - baseline``.

        Replications are paired by number (common random numbers); the
        baseline defaults to the first scenario.
        """
        baseline = self.scenario_names[0] if baseline is None else baseline
        for name in (variant, baseline):
            if name not in self.scenario_names:
                raise KeyError(f"no scenario {name!r}; scenarios: {', '.join(self.scenario_names)}")
        if metric not in self.metric_names():
            raise KeyError(f"no metric {metric!r}; metrics: {', '.join(self.metric_names())}")
        v = self.by_replication(variant, metric)
        b = self.by_replication(baseline, metric)
        common = sorted(set(v) & set(b))
        return paired_comparison(
            [v[r] for r in common], [b[r] for r in common], variant=variant, baseline=baseline, metric=metric
        )

    def compare(self, variant: str, baseline: str | None = None, metric: str | None = None) -> "pd.DataFrame":
        """Paired comparison of ``variant`` against ``baseline`` (default: the first scenario).

        One row per metric (or only ``metric``): ``difference`` (variant -
        baseline, in the metric's unit), the paired 95% CI ``paired_low`` /
        ``paired_high``, the unpaired (Welch) 95% CI ``unpaired_low`` /
        ``unpaired_high`` for the same difference, their half-widths,
        ``variance_reduction`` (unpaired / paired variance) and ``n``, the
        number of paired replications.
        """
        import pandas as pd

        metrics = [metric] if metric is not None else self.metric_names()
        rows = [self.comparison(variant, baseline, m).to_dict() for m in metrics]
        return pd.DataFrame(rows)

    def comparisons_json(self) -> list[dict[str, Any]]:
        """The ``comparisons`` section of ``summary.json``: every scenario against the first."""
        names = self.scenario_names
        out = []
        for variant in names[1:]:
            metrics = {}
            n = 0
            for metric in self.metric_names():
                c = self.comparison(variant, names[0], metric)
                n = max(n, c.n)
                metrics[metric] = {
                    "difference": _finite_or_none(c.difference),
                    "paired_ci95": [_finite_or_none(c.paired_low), _finite_or_none(c.paired_high)],
                    "unpaired_ci95": [_finite_or_none(c.unpaired_low), _finite_or_none(c.unpaired_high)],
                    "variance_reduction": _finite_or_none(c.variance_reduction),
                }
            out.append({"variant": variant, "baseline": names[0], "replications": n, "metrics": metrics})
        return out

    # -- per-interval tables -------------------------------------------------
    def intervals_frame(self) -> "pd.DataFrame | None":
        """Per-interval means over replications: one row per scenario and interval.

        Columns: ``scenario``, then the replications' interval columns (means),
        then ``<column>_ci95`` for each numeric column: the half-width of its 95%
        Student-t confidence interval over replications (NaN with one replication),
        and for rates and shares ``<column>_ci95_low`` and ``<column>_ci95_high``: the
        bounds of the logit-scale interval (:func:`queuesim.measure.stats.proportion_ci`),
        which stay inside [0, 1].
        Rows are keyed by ``interval_start`` (s) when present, else by position.
        None when no replication carries an interval table.
        """
        import pandas as pd

        frames = []
        for rep in self.replications:
            if not rep.intervals:
                continue
            frame = pd.DataFrame(rep.intervals)
            if "interval_start" not in frame.columns:
                frame.insert(0, "interval", range(len(frame)))
            frame.insert(0, "scenario", rep.scenario)
            frames.append(frame)
        if not frames:
            return None
        data = pd.concat(frames, ignore_index=True)
        key = "interval_start" if "interval_start" in data.columns else "interval"
        columns = [c for c in data.columns if c not in ("scenario", key)]
        numeric = [c for c in columns if pd.api.types.is_numeric_dtype(data[c])]
        other = [c for c in columns if c not in numeric]
        grouped = data.groupby(["scenario", key], sort=False)
        table = grouped[numeric].mean() if numeric else grouped.size().to_frame("n").drop(columns="n")
        ci_columns = []
        if numeric:
            from scipy import special

            counts = grouped[numeric].count()
            sd = grouped[numeric].std(ddof=1)
            t = special.stdtrit(np.maximum(counts.to_numpy() - 1, 1), 0.975)
            half = np.where(counts.to_numpy() >= 2, t * sd.to_numpy() / np.sqrt(np.maximum(counts.to_numpy(), 1)), np.nan)
            ci = pd.DataFrame(half, index=table.index, columns=[f"{c}_ci95" for c in numeric])
            # rates and shares: the bounds of the logit-scale interval too, which stay inside [0, 1]
            # (the half-width alone would put the bounds of a small rate below 0)
            for c in numeric:
                if c in _FRACTION_COLUMNS:
                    bounds = grouped[c].agg(lambda v: (proportion_ci(v).low, proportion_ci(v).high))
                    ci[f"{c}_ci95_low"] = [b[0] for b in bounds.reindex(table.index)]
                    ci[f"{c}_ci95_high"] = [b[1] for b in bounds.reindex(table.index)]
            ci_columns = list(ci.columns)
            table = table.join(ci)
        if other:
            table = table.join(grouped[other].first())
        table = table.reset_index()
        order = {name: k for k, name in enumerate(self.scenario_names)}
        table = table.sort_values(["scenario", key], key=lambda col: col.map(order) if col.name == "scenario" else col,
                                  kind="stable")
        return table[["scenario", key, *columns, *ci_columns]].reset_index(drop=True)

    # -- figures ---------------------------------------------------------------
    def plot(self, kind: str = "metric", **options: Any) -> "Figure":
        """A matplotlib Figure of the results (Agg backend; nothing is shown).

        ``kind``: ``"metric"`` (bars with 95% CIs; ``metric=`` picks one,
        default ``abandonment_rate``), ``"wait_quantiles"`` (median, 90th and
        99th percentile waits), ``"wait_cdf"`` (distribution of waits from call
        logs when kept, else the quantile points), ``"compare"`` (paired vs
        unpaired CIs of differences against the baseline; ``metric=``),
        ``"sweep"`` (a metric against the first swept key; ``metric=``) and
        ``"intraday"`` (a per-interval column over the day; ``column=``).
        """
        # the report layer draws (matplotlib, imported on first use); the one upward import, see tests/test_layers.py
        from ..report.charts import plot

        return plot(self, kind, **options)

    # -- tables --------------------------------------------------------------
    def summary(self) -> "pd.DataFrame":
        """Tidy DataFrame: one row per scenario and metric, with mean and 95% CI."""
        import pandas as pd

        rows = []
        for scenario in self.scenario_names:
            for metric in self.metric_names():
                est = self.estimate(scenario, metric)
                rows.append(
                    {
                        "scenario": scenario,
                        "metric": metric,
                        "mean": est.mean,
                        "ci95_low": est.low,
                        "ci95_high": est.high,
                        "half_width": est.half_width,
                        "replications": est.n,
                    }
                )
        return pd.DataFrame(rows)

    def replications_frame(self) -> "pd.DataFrame":
        """Tidy DataFrame: one row per scenario and replication, one column per metric."""
        import pandas as pd

        return pd.DataFrame([r.to_record() for r in self.replications])

    def agents_frame(self) -> "pd.DataFrame | None":
        """One row per scenario, replication and agent of the per-agent records (``agents.csv``), or None when no
        replication kept them (scenarios without a ``staff`` block)."""
        import pandas as pd

        parts = []
        for r in self.replications:
            if r.agents is None:
                continue
            part = pd.DataFrame(r.agents.columns())
            part.insert(0, "replication", r.replication)
            part.insert(0, "scenario", r.scenario)
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else None

    def to_summary_json(self) -> dict[str, Any]:
        """The ``summary.json`` document (NaN and infinities become null)."""
        scenarios = []
        for scenario in self.scenario_names:
            metrics = {}
            for metric in self.metric_names():
                est = self.estimate(scenario, metric)
                metrics[metric] = {
                    "mean": _finite_or_none(est.mean),
                    "ci95": [_finite_or_none(est.low), _finite_or_none(est.high)],
                }
            scenarios.append(
                {
                    "name": scenario,
                    "replications": int(sum(1 for r in self.replications if r.scenario == scenario)),
                    "metrics": metrics,
                }
            )
        document: dict[str, Any] = {
            "experiment": self.experiment.name,
            "seed": self.experiment.seed,
            "queuesim_version": __version__,
            "scenarios": scenarios,
            "comparisons": self.comparisons_json(),
        }
        if self.failures:
            document["failures"] = [
                {"scenario": f.scenario, "replication": f.replication, "attempts": f.attempts,
                 "error": f.error, "file": f.file}
                for f in self.failures
            ]
        return document

    def currency(self, scenario: str | None = None) -> str | None:
        """The ``costs.currency`` label of ``scenario`` (default: the first scenario with costs), or None."""
        scenarios = [self.experiment.scenario(scenario)] if scenario else self.experiment.scenarios
        for sc in scenarios:
            costs = getattr(sc, "costs", None)
            if costs is not None:
                return str(costs.currency)
        return None

    def unit(self, metric: str, scenario: str | None = None) -> str:
        """Unit of ``metric`` (:func:`~queuesim.measure.metrics.metric_unit`), with the config's currency for costs."""
        unit = metric_unit(metric)
        if unit.startswith("currency"):
            currency = self.currency(scenario)
            if currency:
                unit = currency + unit[len("currency"):]
        return unit

    def _all_nan(self, scenario: str, metric: str) -> bool:
        return not np.isfinite(self.values(scenario, metric)).any()

    def headline(self, metrics: "tuple[str, ...] | list[str] | None" = None,
                 baseline: str | None = None) -> list[HeadlineRow]:
        """The headline comparison: one row per metric that some scenario has, one cell per scenario.

        Each cell holds the mean over replications (95% CI) and, for scenarios
        other than ``baseline`` (default: the first), the paired difference
        against it with its 95% CI. ``metrics`` defaults to
        :data:`HEADLINE_METRICS`; metrics that are NaN (or absent) in every
        replication of every scenario are left out.
        """
        names = self.scenario_names
        baseline = names[0] if baseline is None else baseline
        known = set(self.metric_names())
        group_of = {m: g for g, members in HEADLINE_GROUPS for m in members}
        rows = []
        for metric in (metrics if metrics is not None else HEADLINE_METRICS):
            if metric not in known or all(self._all_nan(n, metric) for n in names):
                continue
            cells = []
            for name in names:
                est = self.estimate(name, metric)
                if name == baseline:
                    cells.append(HeadlineCell(est.mean, est.half_width))
                    continue
                c = self.comparison(name, baseline, metric)
                diff = c.difference if c.n and math.isfinite(c.difference) else None
                cells.append(HeadlineCell(est.mean, est.half_width, diff, c.paired_half_width))
            unit = self.unit(metric)
            scale = 1.0
            if unit == "fraction":
                unit, scale = "%", 100.0
            rows.append(HeadlineRow(metric, group_of.get(metric, ""), unit, scale, tuple(cells)))
        return rows

    def headline_table(self, width: int | None = None, baseline: str | None = None) -> str:
        """The headline comparison as plain text (see :meth:`headline`).

        One column per scenario; with ``width`` (characters), columns that do
        not fit are continued in further blocks below.
        """
        names = self.scenario_names
        baseline = names[0] if baseline is None else baseline
        rows = self.headline(baseline=baseline)
        reps = {n: len(self._of(n)) for n in names}
        counts = sorted(set(reps.values()))
        rep_text = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
        lines = [
            f"{self.experiment.name}: {len(names)} scenarios x {rep_text} replications, seed {self.experiment.seed}",
            f"mean over replications; for the others, (difference vs {baseline} ± 95% CI, paired by "
            "replication); * = the CI excludes 0; % differences in percentage points",
            "",
        ]
        if not rows:
            return "\n".join(lines + ["(no headline metric in these results)"]) + "\n"
        texts = [row.texts() for row in rows]
        label_w = max(len("metric"), *(len(r.metric) for r in rows))
        unit_w = max(len("unit"), *(len(r.unit) for r in rows))
        col_w = [max(len(n), *(len(t[j]) for t in texts)) for j, n in enumerate(names)]
        lead = 2 + label_w + 2 + unit_w
        blocks: list[list[int]] = [[]]
        used = lead
        for j, w in enumerate(col_w):
            if width is not None and blocks[-1] and used + 3 + w > width:
                blocks.append([])
                used = lead
            blocks[-1].append(j)
            used += 3 + w
        for b, block in enumerate(blocks):
            if b:
                lines.append("")
            lines.append(f"  {'metric':<{label_w}}  {'unit':<{unit_w}}"
                         + "".join(f"   {names[j]:<{col_w[j]}}" for j in block).rstrip())
            group = None
            for row, text in zip(rows, texts):
                if group is not None and row.group != group:
                    lines.append("")
                group = row.group
                lines.append(f"  {row.metric:<{label_w}}  {row.unit:<{unit_w}}"
                             + "".join(f"   {text[j]:<{col_w[j]}}" for j in block).rstrip())
        return "\n".join(lines) + "\n"

    def table(self, scenario: str | None = None) -> str:
        """A plain-text table (metric, mean, 95% CI, unit) for one or every scenario.

        Rates and shares are shown in percent (unit ``%``), as in the headline;
        their CIs stay inside 0-100% (see :meth:`estimate`).

        Metrics that are NaN in every replication of a scenario (e.g. callback
        metrics of a scenario without callbacks) are left out of its table.
        """
        names = [scenario] if scenario else self.scenario_names
        lines = []
        for name in names:
            reps = len(self._of(name))
            lines.append(f"scenario: {name}  ({reps} replication{'s' if reps != 1 else ''})")
            lines.append(f"  {'metric':<20} {'mean':>12}   {'95% CI':<27} unit")
            for metric in self.metric_names():
                if self._all_nan(name, metric):
                    continue
                est = self.estimate(name, metric)
                unit, k = self.unit(metric, name), 1.0
                if unit == "fraction":
                    unit, k = "%", 100.0
                ci = "" if math.isnan(est.half_width) else f"[{_fmt(k * est.low)}, {_fmt(k * est.high)}]"
                lines.append(f"  {metric:<20} {_fmt(k * est.mean):>12}   {ci:<27} {unit}".rstrip())
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if math.isinf(x):
        return "inf"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    return f"{x:.4g}" if abs(x) < 1 else f"{x:.4f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.2f}"


def _compatible(stored: Any) -> Any:
    """A result folder's resolved config as configs read today: a folder written when every callback kind
    listed every callback key keeps only its own kind's keys (each scenario is stored in full)."""
    if isinstance(stored, dict) and isinstance(stored.get("scenarios"), list):
        for scenario in stored["scenarios"]:
            if isinstance(scenario, dict) and isinstance(scenario.get("callback"), dict):
                scenario["callback"] = without_other_kinds_keys(scenario["callback"])
    return stored


def load_result(directory: str | Path) -> ExperimentResult:
    """Rebuild an :class:`ExperimentResult` from a result folder (valid replications only)."""
    directory = Path(directory)
    config_path = directory / "config.yaml"
    if not config_path.exists():
        raise StoreError(f"{directory}: not a queuesim result folder (no config.yaml); run `queuesim run CONFIG --out {directory}` first")
    try:
        stored = _compatible(read_yaml(config_path, limit=MAX_RESOLVED_CONFIG_BYTES))
        experiment = experiment_from_dict(stored, base_dir=directory, source=str(config_path))
    except ConfigError as exc:
        raise StoreError(str(exc)) from None
    store = ResultStore(directory)
    store.fingerprint = fingerprint(experiment)
    replications = []
    for scenario in experiment.scenarios:
        for r in range(experiment.replications):
            result, reason = store.load(scenario.name, experiment.seed, r)
            if result is not None:
                replications.append(result)
            elif is_damaged(reason):
                raise StoreError(
                    f"{store.replication_path(scenario.name, r)}: damaged replication file ({reason}); "
                    f"`queuesim run {config_path} --out {directory} --resume` moves it to {directory / 'damaged'}/ "
                    "and simulates that replication again"
                )
    failures = []
    summary_path = directory / "summary.json"
    if summary_path.exists():
        try:
            for f in json.loads(summary_path.read_text(encoding="utf-8")).get("failures", []):
                failures.append(Failure(f["scenario"], experiment.seed, int(f["replication"]),
                                        int(f.get("attempts", 0)), str(f.get("error", "")), "", f.get("file")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            failures = []  # summary.json is rewritten by every run; a damaged one only loses this list
    return ExperimentResult(experiment=experiment, replications=replications, failures=failures, out=directory)
