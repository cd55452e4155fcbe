"""The result store: one folder per experiment, safe to interrupt and resume.

Layout of ``DIR`` (every file written atomically: complete or absent)::

    DIR/config.yaml                 resolved config: every scenario in full (a valid config)
    DIR/meta.json                   queuesim version, config fingerprint, scenario -> folder
    DIR/replications/<scenario>/rep000003.json
                                    one replication: ReplicationResult.to_dict() + fingerprint
    DIR/failures/<scenario>-rep000003-attempt1.txt
                                    traceback of each failed attempt
    DIR/calls/<scenario>-rep003.csv call logs (with --save-calls)
    DIR/damaged/<scenario>-rep000003.json
                                    damaged replication files moved aside by --resume
    DIR/replications.csv, DIR/replications.parquet (with pyarrow), DIR/summary.json,
    DIR/intervals.csv (when replications carry per-interval tables), DIR/agents.csv (per-agent records,
                                    scenarios with a staff block)
    DIR/.lock                       while a run uses DIR: its PID, host and start time
                                    (a killed run leaves it behind, unlocked: harmless)

Only one run at a time may use ``DIR``: :meth:`ResultStore.open` takes an
exclusive lock on ``DIR/.lock`` (``flock``; the operating system releases it
when the run ends in any way, even ``kill -9``, so a lock left by a dead run is
never in the way) and refuses, naming the PID, while another run holds it. On
platforms without ``fcntl`` (Windows) the folder is not locked.

A write that fails (disk full, permissions) raises :class:`StoreWriteError`
(a :class:`StoreError`, one line); every file written before is intact, and
temporary files left by a killed run are removed when the folder is reopened.

A replication file is *valid* when it matches the schema of
:mod:`queuesim.experiment.resultfile` (every field, type, length and the
finiteness of every number) and its scenario, seed, replication and config
fingerprint are the expected ones. Anything else (a truncated or edited file,
a file from another config) is *damaged*: ``--resume`` moves it to
``DIR/damaged/`` and simulates that replication again; ``queuesim report``
and :meth:`ExperimentResult.load <queuesim.experiment.results.ExperimentResult.load>` refuse the folder,
naming the file.

The *fingerprint* is a SHA-256 of the resolved config without
``replications``, so a resumed run may ask for more replications, but a
changed scenario or seed is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

from pydantic import BaseModel

from .. import __version__
from ..model.distributions import Empirical
from ..model.spec import Experiment
from .atomic import write_bytes_atomic, write_json_atomic, write_text_atomic
from .replication import ReplicationResult
from .resultfile import DamagedFile, read_replication_file

if TYPE_CHECKING:  # pragma: no cover
    from .executors import Task, TaskError
    from .results import ExperimentResult

__all__ = [
    "FORMAT",
    "ResultStore",
    "StoreError",
    "StoreWriteError",
    "file_stem",
    "fingerprint",
    "is_damaged",
    "resolved_config",
]

#: Version of the replication file format.
FORMAT = 1
_REQUIRED = ("scenario", "seed", "replication", "summary", "fingerprint")
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


class StoreError(ValueError):
    """A result folder that cannot be used as asked; ``str(error)`` is one line for the user."""


class StoreWriteError(StoreError):
    """A file of the result folder could not be written (disk full, permissions); the OSError is the cause."""


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into a one-line :class:`StoreWriteError`."""
    try:
        yield
    except OSError as exc:
        raise StoreWriteError(f"cannot write {path}: {exc.strerror or exc}") from exc


try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no folder lock
    fcntl = None  # type: ignore[assignment]

#: File descriptors of the folder locks this process holds.
_HELD_LOCKS: set[int] = set()


def _close_held_locks() -> None:  # pragma: no cover - runs in forked children
    # A forked child (a worker process) must not keep a folder locked once its
    # parent is gone: close its copies of the lock (the parent's lock stays).
    for fd in list(_HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


class _FolderLock:
    """An exclusive, non-blocking lock on ``DIR/.lock`` holding the PID of its run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: Optional[int] = None

    def acquire(self) -> None:
        if fcntl is None or self.fd is not None:  # no lock on Windows; already held
            return
        for _ in range(100):
            with _writing(self.path):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StoreError(
                    f"--out {self.path.parent}: in use by another queuesim run ({self._holder()}); wait for it to "
                    "finish, or choose another folder"
                ) from None
            except OSError:  # pragma: no cover - a file system without locks (some network shares)
                os.close(fd)
                return
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            held = os.fstat(fd)
            if current is None or (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino):
                os.close(fd)  # its last holder removed it meanwhile: lock the new file
                continue
            self.fd = fd
            _HELD_LOCKS.add(fd)
            info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            with _writing(self.path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
            return
        raise StoreError(f"--out {self.path.parent}: cannot lock {self.path}")  # pragma: no cover

    def _holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
            return f"PID {int(info['pid'])} on {info['host']}, started {info['started']}"
        except (OSError, ValueError, KeyError, TypeError):  # it is just starting
            return "PID not yet known"

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        _HELD_LOCKS.discard(fd)
        try:
            self.path.unlink()  # while still locked, so that nobody locks a file on its way out
        except OSError:
            pass
        os.close(fd)


#: Longest file-name stem made from a scenario name, in bytes of UTF-8 (file systems count bytes, not characters).
STEM_BYTES = 80


def _cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding has at most ``limit`` bytes (whole characters only)."""
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def file_stem(scenario: str) -> str:
    """A file-name-safe stem for a scenario name (the name itself when already safe and short).

    Unsafe characters become ``_``; a name longer than :data:`STEM_BYTES` bytes
    is cut (at a character boundary) and gets an 8-digit hash, so stems stay
    distinct and well inside the 255-byte file-name limit.
    """
    safe = _UNSAFE.sub("_", scenario).strip(" .")
    if safe == scenario and len(scenario.encode("utf-8", "surrogatepass")) <= STEM_BYTES:
        return scenario
    digest = hashlib.sha1(scenario.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{_cut_bytes(safe, STEM_BYTES)}-{digest}"


def _resolve(model: Any, dumped: Any) -> Any:
    """Replace file-backed empirical distributions in ``dumped`` by their values."""
    if isinstance(model, Empirical) and model.file is not None:
        return {"distribution": "empirical", "values": [float(v) for v in model.data]}
    if isinstance(model, BaseModel) and isinstance(dumped, dict):
        return {k: _resolve(getattr(model, k, None), v) for k, v in dumped.items()}
    if isinstance(model, (list, tuple)) and isinstance(dumped, list) and len(model) == len(dumped):
        return [_resolve(m, d) for m, d in zip(model, dumped)]
    if isinstance(model, dict) and isinstance(dumped, dict):
        return {k: _resolve(model.get(k), v) for k, v in dumped.items()}
    return dumped


def resolved_config(experiment: Experiment) -> dict[str, Any]:
    """The experiment as a self-contained config mapping: every scenario in full, in seconds.

    Empirical distributions read from a CSV file are written out as their
    values, so the config does not depend on the file (same samples: the
    values are kept sorted either way).
    """
    dumped = experiment.model_dump(mode="json")
    if dumped.get("description") is None:
        dumped.pop("description", None)  # a config's description is text when given
    return _resolve(experiment, dumped)


#: Scenario keys whose value changes nothing, left out of fingerprints: a folder written before the key
#: existed keeps its fingerprint and can still be resumed.
_NEUTRAL_KEYS: dict[str, Any] = {"shift_adjust": None, "handle_time_slowdown": None, "lines": None, "staff": None}
_NEUTRAL_CHURN_KEYS: dict[str, Any] = {"per_message": 0.0}
_NEUTRAL_COST_KEYS: dict[str, Any] = {"attrition": None}
_NEUTRAL_CALLBACK_KEYS: dict[str, Any] = {"dial": "agent_first", "connect_time": 5.0, "neglect": None}
_NEUTRAL_ARRIVAL_KEYS: dict[str, Any] = {"volume": 1.0}


def _drop_neutral_keys(scenario: dict[str, Any]) -> None:
    for key, neutral in _NEUTRAL_KEYS.items():
        if key in scenario and scenario[key] == neutral:
            del scenario[key]
    callback = scenario.get("callback")
    if isinstance(callback, dict):
        for key, neutral in _NEUTRAL_CALLBACK_KEYS.items():
            if key in callback and callback[key] == neutral:
                del callback[key]
    costs = scenario.get("costs")
    if isinstance(costs, dict):
        for key, neutral in _NEUTRAL_COST_KEYS.items():
            if key in costs and costs[key] == neutral:
                del costs[key]
    churn = costs.get("churn") if isinstance(costs, dict) else None
    if isinstance(churn, dict):
        for key, neutral in _NEUTRAL_CHURN_KEYS.items():
            if key in churn and churn[key] == neutral:
                del churn[key]
    blocks = [scenario.get("arrivals")] + [t.get("arrivals") for t in scenario.get("call_types") or () if isinstance(t, dict)]
    for block in blocks:
        if isinstance(block, dict):
            for key, neutral in _NEUTRAL_ARRIVAL_KEYS.items():
                if key in block and block[key] == neutral:
                    del block[key]


def _canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=True, default=str)


def fingerprint(experiment: Experiment) -> str:
    """SHA-256 (hex) of the resolved config without ``replications`` and the words (description, changes)."""
    config = resolved_config(experiment)
    config.pop("replications", None)
    config.pop("description", None)  # words, not the model: editing them keeps a run resumable
    for point in config.get("points", ()):
        point.pop("changes", None)  # how the variants were written; the scenarios say what they are
    for scenario in config.get("scenarios", ()):
        _drop_neutral_keys(scenario)
    return hashlib.sha256(_canonical(config).encode("utf-8")).hexdigest()


def _yaml(document: Any) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


class ResultStore:
    """A result folder for one experiment (see the module docstring for the layout)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.replications_dir = self.path / "replications"
        self.failures_dir = self.path / "failures"
        self.calls_dir = self.path / "calls"
        self.fingerprint: Optional[str] = None
        self._lock = _FolderLock(self.path / ".lock")

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder (its lock) for other runs; the store can be opened again."""
        self._lock.release()

    # -- opening -------------------------------------------------------------
    def open(self, experiment: Experiment, *, resume: bool = False, overwrite: bool = False) -> None:
        """Create (or, with ``resume``, reopen) the folder for ``experiment``.

        Refuses (StoreError) to mix runs: a folder holding another run's
        results needs ``resume`` (same config; more replications allowed) or
        ``overwrite`` (the old results are deleted); a folder in use by
        another run is refused. The folder stays locked until :meth:`close`.
        """
        if resume and overwrite:
            raise StoreError("--resume and --overwrite contradict each other; choose one")
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"--out {self.path}: exists and is not a folder")
        self.fingerprint = fingerprint(experiment)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"--out {self.path}: cannot create folder ({exc.strerror})") from None
        self._lock.acquire()
        try:
            self._open(experiment, resume=resume, overwrite=overwrite)
        except BaseException:
            self.close()
            raise

    def _open(self, experiment: Experiment, *, resume: bool, overwrite: bool) -> None:
        meta_path = self.path / "meta.json"
        self._remove_temporary_files()
        has_run = meta_path.exists() or (self.replications_dir.exists() and any(self.replications_dir.iterdir()))
        if has_run and overwrite:
            for name in ("replications", "failures", "calls", "figures"):
                shutil.rmtree(self.path / name, ignore_errors=True)
            for name in ("meta.json", "config.yaml", "summary.json", "replications.csv",
                         "replications.parquet", "intervals.csv", "agents.csv", "report.html", "report.md"):
                (self.path / name).unlink(missing_ok=True)
        elif has_run and not resume:
            raise StoreError(
                f"--out {self.path}: already holds the results of a run; pass --resume to continue it "
                "(same config), --overwrite to replace it, or choose another folder"
            )
        elif has_run and resume:
            self._check_resume(meta_path, experiment)
        try:
            self.replications_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"--out {self.path}: cannot create folder ({exc.strerror})") from None
        self._write_meta(experiment)

    def _remove_temporary_files(self) -> None:
        """Temporary files of atomic writes that a killed run left behind (never a finished file)."""
        patterns = [(self.path, ".*.tmp"), (self.replications_dir, "*/.*.tmp"),
                    (self.failures_dir, ".*.tmp"), (self.calls_dir, ".*.tmp")]
        for folder, pattern in patterns:
            for path in folder.glob(pattern):
                path.unlink(missing_ok=True)

    def _check_resume(self, meta_path: Path, experiment: Experiment) -> None:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            old = str(meta["fingerprint"])
            old_reps = int(meta["replications"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            raise StoreError(
                f"--resume: {meta_path} is missing or unreadable, so the config of the earlier run is "
                "unknown; use --overwrite to start again"
            ) from None
        written_by = meta.get("queuesim_version")
        if written_by != __version__:
            raise StoreError(
                f"--resume: {self.path} was written by queuesim {written_by}; this is queuesim {__version__}, whose "
                "engine may give other numbers for the same config, so the two cannot be mixed. Use another --out "
                "folder, or --overwrite"
            )
        if old != self.fingerprint:
            raise StoreError(
                f"--resume: the config differs from the one of the run in {self.path} (see its config.yaml); "
                "only --replications may grow on resume. Use another --out folder, or --overwrite"
            )
        if experiment.replications < old_reps:
            raise StoreError(
                f"--resume: {self.path} was run with {old_reps} replications; ask for at least as many "
                f"(--replications {old_reps} or more)"
            )

    def _write_meta(self, experiment: Experiment) -> None:
        meta_path = self.path / "meta.json"
        created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if isinstance(meta, dict) and isinstance(meta.get("created"), str):
                    created = meta["created"][:40]
            except (OSError, ValueError, RecursionError):
                pass
        with _writing(self.path / "config.yaml"):
            write_text_atomic(self.path / "config.yaml", _yaml(resolved_config(experiment)))
        with _writing(meta_path):
            write_json_atomic(
                meta_path,
                {
                    "queuesim_version": __version__,
                    "format": FORMAT,
                    "fingerprint": self.fingerprint,
                    "experiment": experiment.name,
                    "seed": experiment.seed,
                    "replications": experiment.replications,
                    "created": created,
                    "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "scenarios": [
                        {"name": s.name, "folder": f"replications/{file_stem(s.name)}"} for s in experiment.scenarios
                    ],
                },
            )

    # -- replications --------------------------------------------------------
    def replication_path(self, scenario: str, replication: int) -> Path:
        return self.replications_dir / file_stem(scenario) / f"rep{replication:06d}.json"

    def calls_path(self, scenario: str, replication: int) -> Path:
        return self.calls_dir / f"{file_stem(scenario)}-rep{replication:03d}.csv"

    def load(self, scenario: str, seed: int, replication: int) -> tuple[Optional[ReplicationResult], str]:
        """The stored replication if its file is valid, else ``(None, reason)``.

        ``reason`` is ``"missing"`` when there is no file; any other reason
        means the file is damaged (see :func:`is_damaged`): it fails the
        schema of :mod:`queuesim.experiment.resultfile`, or belongs to another
        scenario, replication, seed or config.
        """

        path = self.replication_path(scenario, replication)
        try:
            stored = read_replication_file(path)
        except FileNotFoundError:
            return None, "missing"
        except DamagedFile as exc:
            return None, exc.reason
        if (stored.scenario, stored.seed, stored.replication) != (scenario, seed, replication):
            return None, "scenario, seed or replication mismatch"
        if self.fingerprint is not None and stored.fingerprint != self.fingerprint:
            return None, "from another config"
        return stored.result(), "ok"

    def move_damaged(self, scenario: str, replication: int) -> Path:
        """Move a damaged replication file to ``DIR/damaged/`` (never overwriting); returns its new path."""
        path = self.replication_path(scenario, replication)
        folder = self.path / "damaged"
        stem = f"{file_stem(scenario)}-rep{replication:06d}"
        with _writing(folder):
            folder.mkdir(exist_ok=True)
            target = folder / f"{stem}.json"
            k = 1
            while target.exists():
                k += 1
                target = folder / f"{stem}-{k}.json"
            os.replace(path, target)
        return target

    def save(self, result: ReplicationResult, *, save_calls: bool = False) -> None:
        """Write one replication (and its call log) atomically."""
        if save_calls and result.calls is not None:
            calls = self.calls_path(result.scenario, result.replication)
            with _writing(calls):
                self.calls_dir.mkdir(parents=True, exist_ok=True)
                write_text_atomic(calls, result.calls.to_dataframe().to_csv(index=False))
        path = self.replication_path(result.scenario, result.replication)
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(path, {"format": FORMAT, "fingerprint": self.fingerprint, **result.to_dict()})

    def record_failure(self, task: "Task", error: "TaskError") -> Path:
        """Write the traceback of a failed attempt to ``failures/``; returns the file."""
        with _writing(self.failures_dir):
            self.failures_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{file_stem(task.scenario.name)}-rep{task.replication:06d}"
        attempt = 1 + sum(1 for _ in self.failures_dir.glob(f"{glob_escape(stem)}-attempt*.txt"))
        path = self.failures_dir / f"{stem}-attempt{attempt}.txt"
        with _writing(path):
            write_text_atomic(
                path,
                f"scenario: {task.scenario.name}\nseed: {task.seed}\nreplication: {task.replication}\n"
                f"attempt: {attempt}\ntime: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\nerror: {error.error}\n\n"
                f"{error.traceback}",
            )
        return path

    # -- tables ----------------------------------------------------------------
    def write_tables(self, result: "ExperimentResult") -> list[Path]:
        """replications.csv (+ .parquet), summary.json and intervals.csv; returns the files written."""
        written = []
        frame = result.replications_frame()
        with _writing(self.path / "replications.csv"):
            write_text_atomic(self.path / "replications.csv", frame.to_csv(index=False))
        written.append(self.path / "replications.csv")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            pass
        else:
            import io

            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)

            with _writing(self.path / "replications.parquet"):
                write_bytes_atomic(self.path / "replications.parquet", buffer.getvalue())
            written.append(self.path / "replications.parquet")
        intervals = result.intervals_frame()
        if intervals is not None:
            with _writing(self.path / "intervals.csv"):
                write_text_atomic(self.path / "intervals.csv", intervals.to_csv(index=False))
            written.append(self.path / "intervals.csv")
        agents = result.agents_frame()
        if agents is not None:
            with _writing(self.path / "agents.csv"):
                write_text_atomic(self.path / "agents.csv", agents.to_csv(index=False))
            written.append(self.path / "agents.csv")
        with _writing(self.path / "summary.json"):
            write_json_atomic(self.path / "summary.json", result.to_summary_json())
        written.append(self.path / "summary.json")
        return written


def is_damaged(reason: str) -> bool:
    """True if a :meth:`ResultStore.load` reason means a file exists but cannot be used."""
    return reason not in ("ok", "missing")


#: Largest resolved config (``DIR/config.yaml``) read back, in bytes: empirical values are written out in it.
MAX_RESOLVED_CONFIG_BYTES = 50_000_000


def glob_escape(text: str) -> str:
    """Escape glob wildcards (scenario names may contain ``[`` and ``]``)."""
    import glob

    return glob.escape(text)
