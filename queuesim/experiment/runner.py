"""Run an experiment's replications: serially, on worker processes or on Dask.

Every task is ``(scenario, seed, replication)``; its random streams depend on
nothing else, so results are identical, bit for bit, whatever the executor
and the number of workers. Results are put back in task order (scenario by
scenario, then replication number).

With ``out=DIR`` every finished replication is written to the result store
(:mod:`queuesim.experiment.store`) as soon as it arrives, so an interrupted
run loses nothing already finished and ``resume=True`` continues it. A
replication that raises is recorded in ``DIR/failures/`` and retried
(``retries`` more times); one that still fails is listed in
:attr:`ExperimentResult.failures`, never silently dropped. A file that cannot
be written (disk full) stops the run with a one-line :class:`StoreWriteError`
saying how many replications are saved; ``DIR`` is locked while the run uses it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import Optional, Sequence, Union

from ..model.config import load_config
from ..model.spec import Experiment
from .executors import EXECUTORS, Task, TaskError, execute
from .progress import Progress
from .replication import ReplicationResult
from .results import ExperimentResult, Failure
from .store import ResultStore, StoreWriteError, is_damaged

__all__ = ["EXECUTORS", "RunInterrupted", "Task", "run", "tasks_of"]


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run`: how many replications were finished (and saved, with ``out``)."""

    def __init__(self, done: int, total: int, out: Optional[Path]) -> None:
        self.done, self.total, self.out = done, total, out
        where = f"; they are saved in {out}/, run again with --resume to finish" if out else ""
        super().__init__(f"interrupted after {done} of {total} replications{where}")


def tasks_of(experiment: Experiment, replications: int, seed: int, keep_calls: bool,
             progress: bool = False) -> list[Task]:
    """All tasks, scenario-major: every replication of the first scenario, then the next...

    ``progress``: long replications print the simulated time they have reached now and then.
    """
    return [Task(sc, seed, r, keep_calls, progress) for sc in experiment.scenarios for r in range(replications)]


def run(
    config: Union[Experiment, str, Path],
    *,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    executor: str = "serial",
    workers: Optional[int] = None,
    scheduler: Optional[str] = None,
    keep_calls: bool = False,
    overrides: Sequence[str] = (),
    quiet: bool = True,
    out: Union[str, Path, None] = None,
    resume: bool = False,
    overwrite: bool = False,
    save_calls: bool = False,
    retries: int = 2,
) -> ExperimentResult:
    """Run every scenario of an experiment for ``replications`` replications.

    ``config`` is an :class:`Experiment` or a path to a YAML config
    (``overrides``: ``key=value`` strings as for ``--set``). ``replications``
    and ``seed`` default to the experiment's own. ``executor``: ``"serial"``,
    ``"processes"`` (``workers`` processes, default all cores) or ``"dask"``
    (the scheduler at ``scheduler``; without one a local cluster of
    ``workers`` processes). ``keep_calls`` keeps every call log in memory.

    ``out``: a result folder (see :mod:`queuesim.experiment.store`); every
    finished replication is saved there at once, then the tables.
    ``resume`` reuses the valid replication files of an earlier run of the same
    config; ``overwrite`` deletes an earlier run's results first;
    ``save_calls`` also writes call logs to ``out/calls/``. A replication that
    raises is retried ``retries`` more times. ``quiet=False`` shows progress on
    stderr. Ctrl-C raises :class:`RunInterrupted` (a KeyboardInterrupt).
    """
    if not isinstance(config, Experiment):
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
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    if (resume or overwrite or save_calls) and out is None:
        raise ValueError("resume, overwrite and save_calls need out=DIR (a result folder)")
    experiment = experiment.model_copy(update={"replications": reps, "seed": root_seed})

    store: Optional[ResultStore] = None if out is None else ResultStore(out)
    try:
        if store is not None:
            store.open(experiment, resume=resume, overwrite=overwrite)
        return _run(experiment, reps, root_seed, executor=executor, workers=workers, scheduler=scheduler,
                    keep_calls=keep_calls, quiet=quiet, store=store, resume=resume, save_calls=save_calls,
                    retries=retries)
    finally:
        if store is not None:
            store.close()


def _run(
    experiment: Experiment,
    reps: int,
    root_seed: int,
    *,
    executor: str,
    workers: Optional[int],
    scheduler: Optional[str],
    keep_calls: bool,
    quiet: bool,
    store: Optional[ResultStore],
    resume: bool,
    save_calls: bool,
    retries: int,
) -> ExperimentResult:
    tasks = tasks_of(experiment, reps, root_seed, keep_calls or save_calls, progress=not quiet)
    results: list[Optional[ReplicationResult]] = [None] * len(tasks)
    damaged: list[str] = []
    if store is not None and resume:
        for k, task in enumerate(tasks):
            found, reason = store.load(task.scenario.name, task.seed, task.replication)
            if is_damaged(reason):
                try:
                    moved = store.move_damaged(task.scenario.name, task.replication)
                except StoreWriteError as exc:
                    raise _saved_so_far(exc, results, store) from exc.__cause__
                damaged.append(f"{store.replication_path(task.scenario.name, task.replication)}: damaged ({reason}); "
                               f"moved to {moved}")
            if found is not None and save_calls and not store.calls_path(task.scenario.name, task.replication).exists():
                found = None  # the call log was asked for but is missing: simulate again
            results[k] = found

    todo = [k for k, r in enumerate(results) if r is None]
    progress = Progress(len(tasks), initial=len(tasks) - len(todo), quiet=quiet)
    for line in damaged:
        progress.note(line)
    if damaged:
        progress.note(f"{len(damaged)} replication file(s) were invalid (partial or corrupted) and are recomputed")
    failures: dict[int, Failure] = {}
    attempts: dict[int, int] = {}
    started = time.perf_counter()
    try:
        for attempt in range(1 + retries):
            if not todo:
                break
            if attempt:
                progress.note(f"retrying {len(todo)} failed replication(s) (attempt {attempt + 1} of {1 + retries})")
            failed: list[int] = []
            with contextlib.closing(execute([tasks[k] for k in todo], executor, workers=workers,
                                            scheduler=scheduler)) as outcomes:
                for j, outcome in _checked(outcomes, len(todo)):
                    k = todo[j]
                    attempts[k] = attempts.get(k, 0) + 1
                    task = tasks[k]
                    if isinstance(outcome, TaskError):
                        path = store.record_failure(task, outcome) if store is not None else None
                        failures[k] = Failure(task.scenario.name, task.seed, task.replication, attempts[k],
                                              outcome.error, outcome.traceback, None if path is None else str(path))
                        failed.append(k)
                        progress.note(f"replication {task.replication} of {task.scenario.name} failed: {outcome.error}")
                        continue
                    if store is not None:
                        store.save(outcome, save_calls=save_calls)
                    if not keep_calls and outcome.calls is not None:
                        outcome = dataclasses.replace(outcome, calls=None)
                    results[k] = outcome
                    failures.pop(k, None)
                    progress.update(1)
            todo = sorted(failed)
    except KeyboardInterrupt:
        progress.close()
        raise RunInterrupted(sum(r is not None for r in results), len(tasks),
                             None if store is None else store.path) from None
    except StoreWriteError as exc:
        progress.close()
        raise _saved_so_far(exc, results, store) from exc.__cause__
    progress.close()
    result = ExperimentResult(
        experiment=experiment,
        replications=[r for r in results if r is not None],
        runtime=time.perf_counter() - started,
        failures=[failures[k] for k in sorted(failures)],
        out=None if store is None else store.path,
    )
    if store is not None:
        try:
            store.write_tables(result)
        except StoreWriteError as exc:
            raise _saved_so_far(exc, results, store) from exc.__cause__
    return result


def _saved_so_far(exc: StoreWriteError, results: list, store: Optional[ResultStore]) -> StoreWriteError:
    """``exc`` (a file of the result folder could not be written) with what is saved and how to go on."""
    done = sum(r is not None for r in results)
    where = "" if store is None else f" in {store.path}/"
    return StoreWriteError(f"{exc}; {done} of {len(results)} replications are saved{where}, "
                           "run again with --resume once that is fixed")


def _checked(outcomes, n: int):
    """``outcomes`` of ``n`` tasks, then a :class:`TaskError` for each task the executor never returned."""
    returned: set[int] = set()
    for j, outcome in outcomes:
        returned.add(j)
        yield j, outcome
    for j in range(n):
        if j not in returned:
            yield j, TaskError("the executor did not return this replication", "")
