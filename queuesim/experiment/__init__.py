"""Experiments: scenarios x replications with common random numbers, and their results.

This layer never imports SimPy: it calls :func:`queuesim.replication.simulate`.
"""

from .results import ExperimentResult
from .runner import EXECUTORS, run
from .spec import Experiment

__all__ = ["EXECUTORS", "Experiment", "ExperimentResult", "run"]
