"""How long a run will take: expected calls x measured calls per second.

Before a large run, ``queuesim run`` simulates a short *pilot* of its busiest
scenario (the same scenario with the horizon cut to about
:data:`PILOT_CALLS` calls, no warm-up), measures calls per second on this
machine and prints the estimate when the run should take more than
:data:`ANNOUNCE_ABOVE` seconds. Runs expecting fewer than
:data:`MEASURE_ABOVE_CALLS` calls in all are never measured (they take
seconds), so ordinary runs pay nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

from ..model.spec import Experiment
from .replication import simulate

__all__ = ["ANNOUNCE_ABOVE", "MEASURE_ABOVE_CALLS", "PILOT_CALLS", "RunEstimate", "estimate_run", "expected_calls"]

#: Runs expected to take longer than this (seconds) are announced with their estimate.
ANNOUNCE_ABOVE = 60.0
#: Total expected calls below which no pilot is simulated (even a slow scenario runs them in well under a minute).
MEASURE_ABOVE_CALLS = 1_000_000
#: Calls simulated by the pilot that measures the speed.
PILOT_CALLS = 20_000


@dataclass(frozen=True)
class RunEstimate:
    """An estimate of a run's wall-clock time."""

    calls: float
    """expected calls in all replications of all scenarios (arrivals plus backlog)"""
    calls_per_second: float
    """measured on a pilot of the busiest scenario, one process"""
    parallel: int
    """replications simulated at the same time"""

    @property
    def seconds(self) -> float:
        """Estimated wall-clock seconds."""
        return self.calls / (self.calls_per_second * self.parallel)

    def describe(self) -> str:
        """One line for the user."""
        return (f"about {self.calls:,.0f} calls to simulate; measured {self.calls_per_second:,.0f} calls/s on this "
                f"machine, so this run should take about {_duration(self.seconds)} with {self.parallel} "
                "replication(s) at a time (Ctrl-C stops it; with --out, --resume continues)")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def expected_calls(experiment: Experiment, replications: int) -> float:
    """Expected calls of a run: each scenario's expected arrivals plus backlog, times ``replications``."""
    per_replication = sum(float(s.expected_arrivals()) + s.backlog for s in experiment.scenarios)
    return per_replication * replications


def estimate_run(experiment: Experiment, replications: int, parallel: int) -> Optional[RunEstimate]:
    """The estimate of a run, or None when it is too small to need one (or the pilot cannot run)."""
    calls = expected_calls(experiment, replications)
    if not calls >= MEASURE_ABOVE_CALLS:
        return None
    busiest = max(experiment.scenarios, key=lambda s: float(s.expected_arrivals()) + s.backlog)
    per_replication = float(busiest.expected_arrivals()) + busiest.backlog
    horizon = float(busiest.horizon)  # type: ignore[arg-type]
    pilot = busiest.model_copy(update={"horizon": horizon * min(1.0, PILOT_CALLS / max(per_replication, 1.0)),
                                       "warmup": 0.0, "backlog": min(busiest.backlog, PILOT_CALLS)})
    started = time.perf_counter()
    try:
        simulate(pilot, seed=0, keep_calls=False)
    except Exception:  # noqa: BLE001 - no estimate rather than no run; the run reports its own errors
        return None
    elapsed = max(time.perf_counter() - started, 1e-6)
    pilot_calls = max(float(pilot.expected_arrivals()) + pilot.backlog, 1.0)
    rate = pilot_calls / elapsed
    if not math.isfinite(rate) or rate <= 0:
        return None
    return RunEstimate(calls=calls, calls_per_second=rate, parallel=max(1, parallel))
