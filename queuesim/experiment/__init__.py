"""Experiments: scenarios x replications with common random numbers, and their results.

This layer never imports SimPy: it calls :func:`queuesim.replication.simulate`.

* :mod:`.spec` and :mod:`.sweep`: what to run (variants crossed with a sweep grid);
* :mod:`.executors`: where it runs (serial, processes, Dask);
* :mod:`.runner`: :func:`run`, with retries and progress;
* :mod:`.store`: the result folder (atomic per-replication files, resume);
* :mod:`.results` and :mod:`.compare`: tables, paired comparisons, figures.
"""

from .compare import Comparison, paired_comparison
from .executors import EXECUTORS
from .results import ExperimentResult, Failure
from .runner import RunInterrupted, run
from .spec import Experiment, ScenarioPoint
from .store import ResultStore, StoreError

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
