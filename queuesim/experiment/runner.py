"""Run an experiment's replications, serially or on worker processes.

Every task is ``(scenario, seed, replication)``; its random streams depend on
nothing else, so results are identical, bit for bit, whatever the executor
and the number of workers. Results are put back in task order.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from ..replication import ReplicationResult, simulate
from ..scenario import Scenario
from .results import ExperimentResult
from .spec import Experiment

__all__ = ["EXECUTORS", "Task", "run", "tasks_of"]

#: Executors known to :func:`run`.
EXECUTORS = ("serial", "processes")

Task = tuple[Scenario, int, int, bool]


def tasks_of(experiment: Experiment, replications: int, seed: int, keep_calls: bool) -> list[Task]:
    """All (scenario, seed, replication, keep_calls) tasks, scenario-major."""
    return [(sc, seed, r, keep_calls) for sc in experiment.scenarios for r in range(replications)]


def _run_task(task: Task) -> ReplicationResult:
    scenario, seed, replication, keep_calls = task
    return simulate(scenario, seed, replication=replication, keep_calls=keep_calls)


def _progress(total: int, quiet: bool) -> Callable[[int], None]:
    """A progress callback: a tqdm bar on a terminal, plain lines otherwise."""
    if quiet or total <= 1:
        return lambda done: None
    if sys.stderr.isatty() and not os.environ.get("CI"):
        from tqdm import tqdm

        bar = tqdm(total=total, unit="rep", desc="replications", leave=False)

        def update(done: int) -> None:
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        return update

    started = time.monotonic()
    last = [started]

    def report(done: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 10.0:
            return
        last[0] = now
        elapsed = now - started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else float("nan")
        print(
            f"[queuesim] {done}/{total} replications, {rate:.2f}/s, about {left:.0f} s left",
            file=sys.stderr,
            flush=True,
        )

    return report


def run(
    config: Union[Experiment, str, Path],
    *,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    executor: str = "serial",
    workers: Optional[int] = None,
    keep_calls: bool = False,
    overrides: Sequence[str] = (),
    quiet: bool = True,
) -> ExperimentResult:
    """Run every scenario of an experiment for ``replications`` replications.

    ``config`` is an :class:`Experiment` or a path to a YAML config.
    ``replications`` and ``seed`` default to the experiment's own.
    ``executor`` is ``"serial"`` or ``"processes"`` (``workers`` processes,
    default: all cores). ``keep_calls`` keeps every replication's call log.
    """
    if not isinstance(config, Experiment):
        from ..config import load_config

        config = load_config(config, overrides)
    elif overrides:
        raise ValueError("overrides apply to config files; pass a path, or change the Experiment")
    experiment = config
    reps = experiment.replications if replications is None else int(replications)
    if reps < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    root_seed = experiment.seed if seed is None else int(seed)
    if root_seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r} is not known; choose one of {', '.join(EXECUTORS)}")
    experiment = experiment.model_copy(update={"replications": reps, "seed": root_seed})

    tasks = tasks_of(experiment, reps, root_seed, keep_calls)
    progress = _progress(len(tasks), quiet)
    started = time.perf_counter()
    results: list[Optional[ReplicationResult]] = [None] * len(tasks)
    n_workers = workers or os.cpu_count() or 1
    if executor == "serial" or n_workers == 1 or len(tasks) == 1:
        for k, task in enumerate(tasks):
            results[k] = _run_task(task)
            progress(k + 1)
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            futures = {pool.submit(_run_task, task): k for k, task in enumerate(tasks)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                progress(done)
    return ExperimentResult(
        experiment=experiment,
        replications=[r for r in results if r is not None],
        runtime=time.perf_counter() - started,
    )
