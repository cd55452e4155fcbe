"""Faults during sweeps (issue 10, item 4): killed workers, killed runs, a full disk, two runs on one folder.

Every case ends the same way: ``--resume`` completes the sweep and the
per-replication records, ``replications.csv`` and ``summary.json`` equal those
of an uninterrupted run exactly (all but the wall-clock ``runtime``), and no
file in the result folder is ever half-written.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pandas as pd
import pytest
import yaml

from queuesim.cli import main

from .conftest import tiny_experiment

# Two scenarios x 30 replications of about 260 calls each (a 2 h day at 2 calls a minute).
CONFIG = {**tiny_experiment(seed=11, replications=30), "horizon": "2h"}
TOTAL = 2 * 30
ENV = {**os.environ, "CI": "1"}
FORK = multiprocessing.get_context("fork")

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux: signals, fork, /proc")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "exp.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


@pytest.fixture(scope="module")
def reference(config: Path) -> Path:
    """The uninterrupted run."""
    out = config.parent / "reference"
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q"]) == 0
    return out


# -- helpers -----------------------------------------------------------------
def _rep_files(out: Path) -> list[Path]:
    return sorted((out / "replications").rglob("rep*.json")) if (out / "replications").exists() else []


def _records(out: Path) -> dict[str, dict]:
    """Every replication file without its wall-clock runtime, by relative path."""
    records = {}
    for path in _rep_files(out):
        data = json.loads(path.read_text())
        data.pop("runtime")
        records[path.relative_to(out).as_posix()] = data
    return records


def _assert_same_results(out: Path, reference: Path) -> None:
    ours, theirs = _records(out), _records(reference)
    assert sorted(ours) == sorted(theirs)
    differing = {name: sorted(k for k in theirs[name] if ours[name].get(k) != theirs[name][k])
                 for name in theirs if ours[name] != theirs[name]}
    assert not differing
    table = pd.read_csv(out / "replications.csv").drop(columns="runtime")
    pd.testing.assert_frame_equal(table, pd.read_csv(reference / "replications.csv").drop(columns="runtime"),
                                  check_exact=True)
    assert json.loads((out / "summary.json").read_text()) == json.loads((reference / "summary.json").read_text())
    assert not _temporary(out) and not (out / ".lock").exists()


def _temporary(out: Path) -> list[Path]:
    return sorted(out.rglob(".*.tmp"))


def _assert_every_file_parses(out: Path) -> None:
    """Each file (but the temporary ones an atomic write was killed in) is complete."""
    for path in out.rglob("*"):
        if path.is_dir() or path in _temporary(out):
            continue
        if path.suffix == ".json" or path.name == ".lock":
            data = json.loads(path.read_text())
            if path.name.startswith("rep"):
                assert {"scenario", "replication", "summary", "fingerprint"} <= set(data), path
        elif path.suffix == ".yaml":
            assert yaml.safe_load(path.read_text()), path
        elif path.suffix == ".csv":
            assert len(pd.read_csv(path)) > 0, path
        elif path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".txt":
            assert "Traceback" in path.read_text(), path
        else:
            raise AssertionError(f"unexpected file {path}")


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` that are copies of it (worker processes, not helpers)."""
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
        kids = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
        return [k for k in kids if Path(f"/proc/{k}/cmdline").read_bytes() == own]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has exited


def _cli_child(argv: list[str], stderr: str) -> None:  # pragma: no cover - runs in the child
    sys.stdout = open(os.devnull, "w")
    sys.stderr = open(stderr, "w", buffering=1)
    os._exit(main(argv))


class _Run:
    """`queuesim run CONFIG --out DIR -q ARGS` in a child process.

    Forked from the test process (the CLI's modules are already imported, so it
    starts at once) or, with ``fresh``, a new ``python -m queuesim.cli``.
    """

    def __init__(self, config: Path, out: Path, *args: str, fresh: bool = False) -> None:
        argv = ["run", str(config), "--out", str(out), "-q", *args]
        self.popen: Optional[subprocess.Popen] = None
        if fresh:
            self.popen = subprocess.Popen([sys.executable, "-m", "queuesim.cli", *argv], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, text=True, env=ENV)
            self.pid = self.popen.pid
        else:
            self.stderr = out.parent / f"{out.name}-{time.monotonic_ns()}.err"
            self.process = FORK.Process(target=_cli_child, args=(argv, str(self.stderr)))
            self.process.start()
            self.pid = self.process.pid

    def running(self) -> bool:
        return self.popen.poll() is None if self.popen else self.process.exitcode is None

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """The exit code (minus the signal number when killed by one) and stderr."""
        if self.popen:
            _, err = self.popen.communicate(timeout=timeout)
            return self.popen.returncode, err
        self.process.join(timeout)
        assert self.process.exitcode is not None, "the run did not finish"
        return self.process.exitcode, self.stderr.read_text()

    def wait_for_files(self, out: Path, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running() and len(_rep_files(out)) < count:
            time.sleep(0.003)


def _resume(config: Path, out: Path, *args: str) -> int:
    return main(["run", str(config), "--out", str(out), "--resume", "-q", *args])


# -- 1. a worker process is killed ----------------------------------------------
@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the fault is injected through fork")
@pytest.mark.parametrize("retries", [2, 0])
def test_killed_worker_is_retried_or_reported(config: Path, reference: Path, tmp_path: Path, monkeypatch,
                                              capsys, retries: int) -> None:
    """A worker SIGKILLed while running a replication: retried (or, without retries, reported), nothing lost."""
    import queuesim.experiment.executors as ex

    real, marker, parent = ex.simulate, tmp_path / "killed", os.getpid()

    def dies_once(scenario, seed, *, replication, keep_calls):
        if (scenario.name, replication) == ("base", 7) and os.getpid() != parent:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(scenario, seed, replication=replication, keep_calls=keep_calls)

    monkeypatch.setattr(ex, "simulate", dies_once)
    out = tmp_path / "out"
    code = main(["run", str(config), "--out", str(out), "-q", "--executor", "processes", "--workers", "2",
                 "--retries", str(retries)])
    err = capsys.readouterr().err
    assert marker.exists()  # the fault happened
    failed = sorted((out / "failures").iterdir())
    # Only the replications in flight when the worker died are charged an attempt, not the whole sweep.
    assert 1 <= len(failed) <= 8 and "worker process died" in failed[0].read_text()
    if retries:
        assert code == 0, err
        assert len(_rep_files(out)) == TOTAL  # nothing lost
        _assert_same_results(out, reference)
    else:
        assert code == 1 and "still failed" in err and "worker process died" in err and "Traceback" not in err
        assert len(_rep_files(out)) == TOTAL - len(failed)
        _assert_every_file_parses(out)
        assert _resume(config, out, "--executor", "serial") == 0
        _assert_same_results(out, reference)


def test_worker_killed_from_outside(config: Path, reference: Path, tmp_path: Path) -> None:
    """`kill -9` of one worker of a running `queuesim run --executor processes`: the run completes."""
    out = tmp_path / "out"
    run = _Run(config, out, "--executor", "processes", "--workers", "2")
    run.wait_for_files(out, 10)
    workers = _children(run.pid)
    assert workers and run.running()
    os.kill(workers[0], signal.SIGKILL)
    code, err = run.finish()
    assert code == 0, err
    # the replications in flight, retried (none when the kill fell between two tasks, as on a loaded machine)
    failures = out / "failures"
    assert len(list(failures.iterdir()) if failures.exists() else []) <= 8
    assert len(_rep_files(out)) == TOTAL
    _assert_same_results(out, reference)


# -- 2. the whole run is killed at random points -----------------------------------
_rng = random.Random(20240510)
KILLS = [
    (sig, executor, _rng.randint(1, TOTAL - 5), round(_rng.uniform(0, 0.05), 3), fresh)
    for sig, executor, fresh in [("SIGINT", "serial", False), ("SIGINT", "processes", False),
                                 ("SIGINT", "processes", True), ("SIGKILL", "serial", False),
                                 ("SIGKILL", "processes", False), ("SIGKILL", "processes", False)]
]


@pytest.mark.parametrize("sig,executor,after,jitter,fresh", KILLS)
def test_killed_run_resumes_to_the_same_results(config: Path, reference: Path, tmp_path: Path, sig: str,
                                                executor: str, after: int, jitter: float, fresh: bool) -> None:
    """SIGINT or SIGKILL after ``after`` saved replications (+ a random delay); --resume finishes the same sweep."""
    out = tmp_path / "out"
    run = _Run(config, out, "--executor", executor, "--workers", "2", fresh=fresh)
    run.wait_for_files(out, after)
    time.sleep(jitter)
    workers = _children(run.pid)
    os.kill(run.pid, getattr(signal, sig))
    code, err = run.finish()
    if sig == "SIGINT":
        assert code in (130, 0), err  # 0: it had just finished
        assert "Traceback" not in err
    else:
        assert code == -signal.SIGKILL
    # Worker processes do not outlive their run (they would hold CPU and the folder's lock).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
    _assert_every_file_parses(out)
    saved = len(_rep_files(out))
    assert saved >= min(after, TOTAL)
    # Resume with the other executor: the numbers do not depend on it.
    other = ["--executor", "serial"] if executor == "processes" else ["--executor", "processes", "--workers", "2"]
    assert _resume(config, out, *other) == 0
    _assert_same_results(out, reference)


# -- 3. the disk fills up ---------------------------------------------------------
class _FullDisk:
    """Stands in for ``os`` in :mod:`queuesim.experiment.atomic`: after ``budget`` files, every write fails half-way (ENOSPC)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.written: list[Path] = []

    def __getattr__(self, name: str):
        return getattr(os, name)

    def fdopen(self, fd: int, mode: str):
        handle = os.fdopen(fd, mode)
        if self.budget > 0:
            self.budget -= 1
            return handle
        return _HalfWrite(handle)

    def replace(self, src, dst) -> None:
        os.replace(src, dst)
        self.written.append(Path(dst))


class _HalfWrite:
    """A file on a full disk: half of the data gets in, then ENOSPC."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("budget,executor", [(0, "serial"), (9, "serial"), (57, "processes"), (TOTAL + 2, "serial")])
def test_full_disk_stops_cleanly_and_resumes(config: Path, reference: Path, tmp_path: Path, monkeypatch, capsys,
                                             budget: int, executor: str) -> None:
    """Writes fail with ENOSPC after ``budget`` files: one-line error, nothing written is lost, resume completes.

    budget 0: config.yaml fails; TOTAL + 2: every replication is saved and replications.csv fails.
    """
    import queuesim.experiment.atomic

    disk = _FullDisk(budget)
    monkeypatch.setattr(queuesim.experiment.atomic, "os", disk)
    out = tmp_path / "out"
    code = main(["run", str(config), "--out", str(out), "-q", "--executor", executor, "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 3, "a full disk is not bad input: its own exit code"
    assert err.count("\n") == 1 and err.startswith("error: ") and "No space left on device" in err, err
    assert "--resume" in err or budget == 0
    assert not multiprocessing.active_children()  # the workers were stopped
    assert not _temporary(out)  # the half-written file was removed
    _assert_every_file_parses(out)
    saved = [p for p in disk.written if p.name.startswith("rep")]
    assert len(saved) == max(0, min(budget - 2, TOTAL))
    assert all(p.exists() for p in saved)  # nothing already written is lost
    monkeypatch.undo()  # the disk is freed
    assert _resume(config, out, "--executor", "serial") == 0
    _assert_same_results(out, reference)


# -- 4. two runs on one result folder ----------------------------------------------
def _stopped_run(config: Path, out: Path) -> _Run:
    """A run paused (SIGSTOP) after saving a few replications: alive, holding its folder."""
    run = _Run(config, out, "--executor", "serial")
    run.wait_for_files(out, 5)
    os.kill(run.pid, signal.SIGSTOP)
    assert run.running()
    return run


def test_second_run_on_a_busy_folder_is_refused(config: Path, reference: Path, tmp_path: Path, capsys) -> None:
    """While a run uses DIR, another run (resume or overwrite) on DIR is refused in one line naming its PID."""
    out = tmp_path / "out"
    run = _stopped_run(config, out)
    try:
        before = _records(out)
        for flag in ("--resume", "--overwrite"):
            assert main(["run", str(config), "--out", str(out), flag, "-q"]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "in use by another queuesim run" in err and f"PID {run.pid}" in err, err
        assert _records(out) == before  # nothing touched
    finally:
        os.kill(run.pid, signal.SIGCONT)
    code, err = run.finish()
    assert code == 0, err
    _assert_same_results(out, reference)


def test_lock_of_a_dead_run_is_taken_over(config: Path, reference: Path, tmp_path: Path) -> None:
    """A run killed while paused leaves DIR/.lock with its (dead) PID; its lock died with it, so --resume runs."""
    out = tmp_path / "out"
    run = _stopped_run(config, out)
    os.kill(run.pid, signal.SIGKILL)
    assert run.finish()[0] == -signal.SIGKILL
    lock = json.loads((out / ".lock").read_text())
    assert lock["pid"] == run.pid
    assert _resume(config, out) == 0
    _assert_same_results(out, reference)


def test_two_runs_started_together(config: Path, reference: Path, tmp_path: Path) -> None:
    """Two `run --resume` on one new folder at once: one runs, the other is refused (or finds it done)."""
    out = tmp_path / "out"
    runs = [_Run(config, out, "--resume", "--executor", "serial") for _ in range(2)]
    outcomes = [run.finish() for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes in ([0, 0], [0, 2]), outcomes
    for code, err in outcomes:
        assert "Traceback" not in err
        if code == 2:
            assert "in use by another queuesim run" in err
    _assert_every_file_parses(out)
    _assert_same_results(out, reference)
