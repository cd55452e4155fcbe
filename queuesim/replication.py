"""One replication: scenario + seed -> call log -> metrics.

This is the seam between the experiment layer (which never imports SimPy)
and the engine (which never computes a metric).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from .calllog import CallLog
from .engine import simulate_calls
from .metrics import summarise
from .rng import RandomStreams
from .scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .experiment.spec import Experiment

__all__ = ["ReplicationResult", "simulate"]


@dataclass(frozen=True)
class ReplicationResult:
    """Outcome of one replication.

    ``summary`` maps each metric of :data:`queuesim.metrics.METRICS` to its
    value; ``calls`` is the call log (``None`` when not kept); ``runtime`` is
    the wall-clock time of the simulation in seconds.
    """

    scenario: str
    seed: int
    replication: int
    summary: dict[str, float]
    calls: Optional[CallLog] = field(default=None, repr=False)
    runtime: float = 0.0
    intervals: Optional[dict[str, list[float]]] = field(default=None, repr=False)
    """Per-interval table (column name -> values, one per interval), when the scenario has intervals."""

    def to_record(self) -> dict[str, Any]:
        """A flat, JSON-friendly dictionary (no call log)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replication": self.replication,
            "runtime": self.runtime,
            **self.summary,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything but the call log, as JSON-friendly data (see :meth:`from_dict`)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replication": self.replication,
            "runtime": self.runtime,
            "summary": dict(self.summary),
            "intervals": None if self.intervals is None else {k: list(v) for k, v in self.intervals.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReplicationResult":
        """Rebuild a result written by :meth:`to_dict` (JSON null -> NaN in metrics)."""
        summary = {k: (math.nan if v is None else float(v)) for k, v in data["summary"].items()}
        intervals = data.get("intervals")
        if intervals is not None:
            intervals = {k: [math.nan if v is None else v for v in vals] for k, vals in intervals.items()}
        return cls(
            scenario=str(data["scenario"]),
            seed=int(data["seed"]),
            replication=int(data["replication"]),
            summary=summary,
            runtime=float(data.get("runtime", 0.0)),
            intervals=intervals,
        )


def _as_scenario(model: Union[Scenario, "Experiment"]) -> Scenario:
    if isinstance(model, Scenario):
        return model
    scenarios = getattr(model, "scenarios", None)
    if scenarios is not None:
        if len(scenarios) != 1:
            names = ", ".join(s.name for s in scenarios)
            raise ValueError(
                f"this experiment has {len(scenarios)} scenarios ({names}); "
                "pass one of experiment.scenarios to simulate(), or use queuesim.run()"
            )
        return scenarios[0]
    raise TypeError(f"simulate() needs a Scenario or a single-scenario Experiment, got {type(model).__name__}")


def simulate(
    model: Union[Scenario, "Experiment"],
    seed: Optional[int] = None,
    *,
    replication: int = 0,
    keep_calls: bool = True,
) -> ReplicationResult:
    """Simulate one replication and return its metrics (and call log).

    ``model`` is a :class:`Scenario` or an experiment with a single scenario
    (as returned by :func:`queuesim.load_config`). ``seed`` defaults to the
    experiment's seed (0 for a bare scenario). Replication ``r`` uses the
    random streams of replication ``r``, the same in every scenario (common
    random numbers).
    """
    scenario = _as_scenario(model)
    if seed is None:
        seed = int(getattr(model, "seed", 0))
    streams = RandomStreams(seed, replication)
    started = time.perf_counter()
    calls = simulate_calls(scenario, streams)
    runtime = time.perf_counter() - started
    summary = summarise(
        calls,
        window_start=scenario.warmup,
        window_end=scenario.horizon,
        staffed_time=scenario.agents * (scenario.horizon - scenario.warmup),
        threshold=scenario.service_level_threshold,
    )
    return ReplicationResult(
        scenario=scenario.name,
        seed=streams.seed,
        replication=replication,
        summary=summary,
        calls=calls if keep_calls else None,
        runtime=runtime,
    )
