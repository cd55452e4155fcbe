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

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..metrics import METRIC_DESCRIPTIONS, METRICS
from ..replication import ReplicationResult
from ..stats import Estimate, mean_ci
from .compare import Comparison, paired_comparison
from .spec import Experiment

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["ExperimentResult", "Failure"]


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
        """Rebuild the results of a finished (or interrupted) run from its store folder."""
        from .store import load_result

        return load_result(directory)

    # -- access ------------------------------------------------------------
    @property
    def scenario_names(self) -> list[str]:
        return [s.name for s in self.experiment.scenarios]

    def values(self, scenario: str, metric: str) -> np.ndarray:
        """Per-replication values of ``metric`` for ``scenario``, in replication order."""
        return np.array([r.summary.get(metric, math.nan) for r in self._of(scenario)], dtype=np.float64)

    def estimate(self, scenario: str, metric: str) -> Estimate:
        """Mean and 95% Student-t confidence interval over replications."""
        key = (scenario, metric)
        if key not in self._estimates:
            self._estimates[key] = mean_ci(self.values(scenario, metric))
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

    def by_replication(self, scenario: str, metric: str) -> dict[int, float]:
        """``{replication number: value}`` of ``metric`` for ``scenario``."""
        return {r.replication: float(r.summary.get(metric, math.nan)) for r in self._of(scenario)}

    def metric_names(self) -> list[str]:
        """:data:`~queuesim.metrics.METRICS` first, then any other key found in the summaries."""
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

        Columns: ``scenario``, then the replications' interval columns. Rows are
        keyed by ``interval_start`` (s) when present, else by position. None when
        no replication carries an interval table.
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
        if other:
            table = table.join(grouped[other].first())
        table = table.reset_index()
        order = {name: k for k, name in enumerate(self.scenario_names)}
        table = table.sort_values(["scenario", key], key=lambda col: col.map(order) if col.name == "scenario" else col,
                                  kind="stable")
        return table[["scenario", key, *columns]].reset_index(drop=True)

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
        from ..report.figures import plot

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

    def to_summary_json(self) -> dict[str, Any]:
        """The ``summary.json`` document (NaN and infinities become null)."""
        from .. import __version__

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

    def table(self, scenario: str | None = None) -> str:
        """A plain-text table (metric, mean, 95% CI) for one or every scenario."""
        names = [scenario] if scenario else self.scenario_names
        lines = []
        for name in names:
            reps = sum(1 for r in self.replications if r.scenario == name)
            lines.append(f"scenario: {name}  ({reps} replication{'s' if reps != 1 else ''})")
            lines.append(f"  {'metric':<20} {'mean':>12}   {'95% CI':<27} unit")
            for metric in self.metric_names():
                est = self.estimate(name, metric)
                unit = _unit(metric)
                ci = "" if math.isnan(est.half_width) else f"[{_fmt(est.low)}, {_fmt(est.high)}]"
                lines.append(f"  {metric:<20} {_fmt(est.mean):>12}   {ci:<27} {unit}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _unit(metric: str) -> str:
    text = METRIC_DESCRIPTIONS.get(metric, "")
    return text[text.rfind("(") + 1 : -1] if text.endswith(")") else ""


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if math.isinf(x):
        return "inf"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    return f"{x:.4g}" if abs(x) < 1 else f"{x:.4f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.2f}"
