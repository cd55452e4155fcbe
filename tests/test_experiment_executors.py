"""Executors: serial, processes and a real local Dask cluster give identical numbers, bit for bit."""

from __future__ import annotations

import pytest

import queuesim as qs
from queuesim.model.config import experiment_from_dict
from queuesim.experiment.executors import Task, TaskError, execute

from .conftest import tiny_experiment

CONFIG = tiny_experiment(seed=5, replications=4)


def _numbers(result: qs.ExperimentResult) -> list[tuple]:
    """Everything but the wall-clock runtime, in result order."""
    return [(r.scenario, r.seed, r.replication, tuple(sorted(r.summary.items())), r.intervals)
            for r in result.replications]


@pytest.fixture(scope="module")
def serial() -> qs.ExperimentResult:
    return qs.run(experiment_from_dict(CONFIG), executor="serial")


def test_processes_identical_to_serial(serial: qs.ExperimentResult) -> None:
    """Two worker processes give the same numbers in the same order."""
    other = qs.run(experiment_from_dict(CONFIG), executor="processes", workers=2)
    assert _numbers(other) == _numbers(serial)
    assert [r.summary for r in other.replications] == [r.summary for r in serial.replications]


def test_dask_local_cluster_identical_to_serial(serial: qs.ExperimentResult) -> None:
    """A real local Dask cluster (2 worker processes) gives the same numbers in the same order."""
    pytest.importorskip("distributed")
    other = qs.run(experiment_from_dict(CONFIG), executor="dask", workers=2)
    assert _numbers(other) == _numbers(serial)


def test_dask_with_scheduler_address(serial: qs.ExperimentResult) -> None:
    """--scheduler ADDRESS: tasks go to an existing cluster, which is left running."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        other = qs.run(experiment_from_dict(CONFIG), executor="dask", scheduler=cluster.scheduler_address)
        assert _numbers(other) == _numbers(serial)
        assert cluster.status.name == "running"


def test_unknown_executor_and_misplaced_scheduler() -> None:
    exp = experiment_from_dict(CONFIG)
    with pytest.raises(ValueError, match="not known"):
        qs.run(exp, executor="threads")
    with pytest.raises(ValueError, match="scheduler"):
        list(execute([Task(exp.baseline, 0, 0)], "serial", scheduler="tcp://x:1"))


def test_failing_task_is_reported_not_raised(monkeypatch) -> None:
    """A replication that raises comes back as a TaskError with its traceback."""
    import queuesim.experiment.executors as ex

    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(ex, "simulate", boom)
    exp = experiment_from_dict(CONFIG)
    ((k, outcome),) = list(execute([Task(exp.baseline, 0, 0)], "serial"))
    assert k == 0 and isinstance(outcome, TaskError)
    assert outcome.error == "RuntimeError: engine exploded" and "Traceback" in outcome.traceback
