"""Experiments: scenarios x replications with common random numbers, and their results.

Only :mod:`.replication` runs the engine (and so imports SimPy); the rest works on its results.

* :mod:`queuesim.model.spec` and :mod:`queuesim.model.sweep`: what to run (variants crossed with a sweep grid);
* :mod:`.replication`: one replication of one scenario, measured;
* :mod:`.executors`: where it runs (serial, processes, Dask);
* :mod:`.runner`: :func:`run`, with retries and progress;
* :mod:`.store`: the result folder (atomic per-replication files, resume);
* :mod:`.results` and :mod:`.compare`: tables, paired comparisons, figures.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers; at run time the names below are imported on first use
    from .compare import Comparison, paired_comparison
    from .executors import EXECUTORS
    from .results import ExperimentResult, Failure
    from .runner import RunInterrupted, run
    from ..model.spec import Experiment, ScenarioPoint
    from .store import ResultStore, StoreError

# imported on first use: validating a config (spec, sweep) needs neither the executors nor SimPy
__getattr__, __dir__ = lazy_exports(__name__, {
    "Comparison": (".compare", "Comparison"), "paired_comparison": (".compare", "paired_comparison"),
    "EXECUTORS": (".executors", "EXECUTORS"),
    "ExperimentResult": (".results", "ExperimentResult"), "Failure": (".results", "Failure"),
    "RunInterrupted": (".runner", "RunInterrupted"), "run": (".runner", "run"),
    "Experiment": ("..model.spec", "Experiment"), "ScenarioPoint": ("..model.spec", "ScenarioPoint"),
    "ResultStore": (".store", "ResultStore"), "StoreError": (".store", "StoreError"),
}, globals())

__all__ = [
    "EXECUTORS",
    "Comparison",
    "Experiment",
    "ExperimentResult",
    "Failure",
    "ResultStore",
    "RunInterrupted",
    "ScenarioPoint",
    "StoreError",
    "paired_comparison",
    "run",
]
