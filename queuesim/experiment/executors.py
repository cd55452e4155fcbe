"""Where replications run: in this process, on worker processes, or on a Dask cluster.

Every task carries its own scenario, root seed and replication number, and a
replication's random streams depend on nothing else, so the numbers are the
same, bit for bit, whatever the executor and the number of workers. An
executor yields ``(task index, outcome)`` pairs in completion order; the
runner puts them back in task order.

A task never raises into the executor: :func:`run_task` catches the
replication's exception and returns it as text (:class:`TaskError`), so one
failing replication does not bring down the pool. A worker that dies (killed,
out of memory) breaks its process pool: the tasks in flight on it show up as
a :class:`TaskError` (:data:`WORKER_DIED`), which the runner retries, and the
other tasks run on a fresh pool. Workers whose parent is killed outright exit
by themselves.

Dask is an optional extra, imported only when ``executor="dask"`` is used.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Union

from ..model.scenario import Scenario
from ..model.units import format_clock
from .guard import check_main_guard
from .replication import ReplicationResult, simulate

__all__ = ["EXECUTORS", "SchedulerUnreachable", "Task", "TaskError", "execute", "run_task"]

#: Executors known to :func:`execute` and :func:`queuesim.run`.
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")

DASK_MISSING = (
    "the dask executor needs the optional Dask extra: pip install 'queuesim[dask]' "
    "(or use --executor processes)"
)


class SchedulerUnreachable(ConnectionError):
    """``--scheduler ADDRESS`` names no Dask scheduler that answers; ``str(error)`` is one line."""


#: Seconds to wait for a Dask scheduler named with ``--scheduler`` to accept a connection.
SCHEDULER_TIMEOUT = 10.0


def _probe_scheduler(address: str) -> None:
    """Fail fast (SchedulerUnreachable) when a ``tcp://host:port`` scheduler refuses connections.

    Dask itself retries a refused connection until its timeout (30 s by
    default) and then raises a traceback-worthy error; one TCP connect tells
    a wrong address or port at once. Other protocols are left to Dask.
    """
    import socket
    from urllib.parse import urlsplit

    text = address if "://" in address else f"tcp://{address}"
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise SchedulerUnreachable(f"--scheduler {address!r}: not an address such as tcp://10.0.0.5:8786") from None
    if not host or port is None:
        raise SchedulerUnreachable(f"--scheduler {address!r}: not an address such as tcp://10.0.0.5:8786")
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT):
            pass
    except OSError as exc:
        raise SchedulerUnreachable(
            f"--scheduler {address}: no Dask scheduler answers there ({exc.strerror or type(exc).__name__}); "
            "start one (dask scheduler) or check the address"
        ) from None


@dataclass(frozen=True)
class Task:
    """One replication to run: ``simulate(scenario, seed, replication=replication)``."""

    scenario: Scenario
    seed: int
    replication: int
    keep_calls: bool = False
    progress: bool = False
    """print the simulated time reached on stderr while a long replication runs (see :data:`INNER_PROGRESS_SECONDS`)"""


#: Wall-clock seconds between notes on the simulated time a long replication has reached (the first after as long).
INNER_PROGRESS_SECONDS = 30.0


def _progress_printer(task: Task) -> Callable[[float], None]:
    """A callback printing ``[queuesim] <scenario> replication r: simulated time 10:30 of 24:00`` now and then."""
    import sys

    horizon = float(task.scenario.horizon)  # type: ignore[arg-type]
    last = [time.monotonic()]

    def note(reached: float) -> None:
        now = time.monotonic()
        if now - last[0] < INNER_PROGRESS_SECONDS:
            return
        last[0] = now
        print(f"[queuesim] {task.scenario.name} replication {task.replication}: simulated time "
              f"{format_clock(min(reached, horizon))} of {format_clock(horizon)}", file=sys.stderr, flush=True)

    return note


@dataclass(frozen=True)
class TaskError:
    """A replication that raised (or whose worker died): the error as text."""

    error: str
    """last line, e.g. ``ZeroDivisionError: division by zero``"""
    traceback: str


Outcome = Union[ReplicationResult, TaskError]


def run_task(task: Task) -> Outcome:
    """Run one replication; its exception, if any, is returned as a :class:`TaskError`."""
    try:
        extra = {"on_progress": _progress_printer(task)} if task.progress else {}
        return simulate(task.scenario, task.seed, replication=task.replication, keep_calls=task.keep_calls, **extra)
    except Exception as exc:  # noqa: BLE001 - reported, recorded and retried by the runner
        return TaskError(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _error_from(exc: BaseException) -> TaskError:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return TaskError(f"{type(exc).__name__}: {exc}", text)


#: The error of the replications in flight on a process pool when one of its workers dies.
WORKER_DIED = "a worker process died (killed, or out of memory) with this replication in flight"


def _worker_died(exc: BaseException) -> TaskError:
    error = _error_from(exc)
    return TaskError(WORKER_DIED, f"{WORKER_DIED}\n\n{error.traceback}")


def _init_worker() -> None:  # pragma: no cover - runs in worker processes
    # Ctrl-C is handled by the parent, which stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, out of memory) cannot stop its workers, which
    # would otherwise wait for work forever (holding CPU, memory and the result folder):
    # each worker leaves once its parent is gone.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="queuesim-parent-watch", daemon=True).start()


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def execute(
    tasks: Sequence[Task],
    executor: str = "serial",
    *,
    workers: Optional[int] = None,
    scheduler: Optional[str] = None,
) -> Iterator[tuple[int, Outcome]]:
    """Run ``tasks``; yield ``(index, outcome)`` as each finishes.

    ``executor``: ``"serial"`` (this process), ``"processes"`` (a
    :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes,
    default all cores) or ``"dask"`` (the Dask scheduler at ``scheduler``, e.g.
    ``tcp://10.0.0.5:8786``; without one, a local cluster of ``workers``
    processes started and shut down here). Closing the generator early (or
    Ctrl-C) cancels what has not started and stops the workers.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r} is not known; choose one of {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        raise ValueError("a scheduler address only applies to executor='dask'")
    if not tasks:
        return
    if executor == "dask":
        yield from _dask(tasks, workers=workers, scheduler=scheduler)
        return
    n_workers = workers or default_workers()
    if executor == "serial" or n_workers == 1 or len(tasks) == 1:
        for k, task in enumerate(tasks):
            yield k, run_task(task)
        return
    yield from _processes(tasks, min(n_workers, len(tasks)))


class _DeferredInterrupt:
    """While active (main thread only), Ctrl-C sets a flag instead of raising at once.

    A KeyboardInterrupt raised at an arbitrary point inside ``concurrent.futures``
    (say, between acquiring and entering a future's lock in ``wait``) can leave a
    lock held, and the pool's manager thread, which Python joins at exit without a
    timeout, then hangs forever. The pool loop checks the flag at safe points and
    raises there instead.
    """

    def __init__(self) -> None:
        self.flag = threading.Event()
        self.previous = None
        self.active = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> "_DeferredInterrupt":
        if self.active:
            self.previous = signal.signal(signal.SIGINT, lambda *_: self.flag.set())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)

    def check(self) -> None:
        if self.flag.is_set():
            raise KeyboardInterrupt


def _processes(tasks: Sequence[Task], n_workers: int) -> Iterator[tuple[int, Outcome]]:
    """Run ``tasks`` on a process pool; a pool broken by a dead worker is replaced.

    Only the tasks in flight when a worker dies (at most ``4 * n_workers``) are
    reported, as :data:`WORKER_DIED`; every other task runs on a fresh pool.
    Ctrl-C is taken at safe points (see :class:`_DeferredInterrupt`).
    """
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":  # spawned workers import the main script again

        check_main_guard(f"a pool of processes started by {multiprocessing.get_start_method()!r}")
    with _DeferredInterrupt() as interrupt:
        yield from _pool_loop(tasks, n_workers, interrupt)


def _pool_loop(tasks: Sequence[Task], n_workers: int, interrupt: _DeferredInterrupt) -> Iterator[tuple[int, Outcome]]:
    position = 0  # tasks[:position] have been submitted
    while position < len(tasks):
        start = position
        pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_init_worker)
        clean = False
        try:
            # Keep a bounded number of tasks in flight so that a huge experiment
            # does not pickle every scenario up front, and a broken pool loses little.
            pending: dict[Future[Outcome], int] = {}
            window = 4 * n_workers
            broken = False
            while True:
                while not broken and len(pending) < window and position < len(tasks):
                    try:
                        future = pool.submit(run_task, tasks[position])
                    except BrokenExecutor:
                        broken = True
                        break
                    pending[future] = position
                    position += 1
                if not pending:
                    break
                interrupt.check()
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                interrupt.check()
                for future in sorted(done, key=pending.__getitem__):
                    k = pending.pop(future)
                    try:
                        outcome: Outcome = future.result()
                    except BrokenExecutor as exc:  # a worker died: every task in flight fails
                        broken = True
                        outcome = _worker_died(exc)
                    except Exception as exc:  # e.g. a result that cannot be unpickled
                        outcome = _error_from(exc)
                    yield k, outcome
            clean = True
        finally:
            if clean:
                pool.shutdown(wait=True)
            else:
                _stop(pool)
        if position == start:  # pragma: no cover - a fresh pool that cannot take a single task
            error = TaskError("the process pool could not start a worker", "")
            for k in range(position, len(tasks)):
                yield k, error
            return


def _stop(pool: ProcessPoolExecutor) -> None:
    """Interrupted or closed early: do not wait for running replications."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _dask(tasks: Sequence[Task], *, workers: Optional[int], scheduler: Optional[str]) -> Iterator[tuple[int, Outcome]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(DASK_MISSING) from None

    cluster = None
    if scheduler is None:
        check_main_guard("a local Dask cluster")
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR: keep progress output readable
        )
        client = Client(cluster)
    else:
        _probe_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnreachable(f"--scheduler {scheduler}: cannot connect ({type(exc).__name__}: "
                                       f"{' '.join(str(exc).split())[:200]})") from None
    try:
        futures = client.map(run_task, list(tasks), pure=False)
        index = {future.key: k for k, future in enumerate(futures)}
        for future in as_completed(futures):
            k = index[future.key]
            try:
                outcome: Outcome = future.result()
            except Exception as exc:  # a worker died too often (KilledWorker) or similar
                outcome = _error_from(exc)
            future.release()
            yield k, outcome
    finally:
        try:
            client.close()
        finally:
            if cluster is not None:
                cluster.close()
