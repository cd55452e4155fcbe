"""Aggregated results of an experiment: tables, JSON and DataFrames.

``summary.json`` format (times in seconds, rates and shares as fractions)::

    {"experiment": "...", "seed": 7, "queuesim_version": "...",
     "scenarios": [{"name": "...", "replications": 20,
                    "metrics": {"abandonment_rate": {"mean": 0.031, "ci95": [0.029, 0.033]}, ...}}]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..metrics import METRIC_DESCRIPTIONS, METRICS
from ..replication import ReplicationResult
from ..stats import Estimate, mean_ci
from .spec import Experiment

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ExperimentResult"]


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
    _estimates: dict[tuple[str, str], Estimate] = field(default_factory=dict, repr=False)

    # -- access ------------------------------------------------------------
    @property
    def scenario_names(self) -> list[str]:
        return [s.name for s in self.experiment.scenarios]

    def values(self, scenario: str, metric: str) -> np.ndarray:
        """Per-replication values of ``metric`` for ``scenario``, in replication order."""
        return np.array(
            [r.summary[metric] for r in self.replications if r.scenario == scenario], dtype=np.float64
        )

    def estimate(self, scenario: str, metric: str) -> Estimate:
        """Mean and 95% Student-t confidence interval over replications."""
        key = (scenario, metric)
        if key not in self._estimates:
            self._estimates[key] = mean_ci(self.values(scenario, metric))
        return self._estimates[key]

    def metric_names(self) -> list[str]:
        names = list(METRICS)
        for rep in self.replications:
            names.extend(k for k in rep.summary if k not in names)
        return names

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
        return {
            "experiment": self.experiment.name,
            "seed": self.experiment.seed,
            "queuesim_version": __version__,
            "scenarios": scenarios,
        }

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
