"""The result store: atomic per-replication files, resume, corruption, failures, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import queuesim as qs
from queuesim.model.config import experiment_from_dict
from queuesim.cli import main
from queuesim.experiment.store import ResultStore, StoreError, file_stem

from .conftest import tiny_experiment

CONFIG = tiny_experiment(seed=4, replications=4)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


def _table(out: Path) -> pd.DataFrame:
    """replications.csv without the wall-clock runtime column."""
    return pd.read_csv(out / "replications.csv").drop(columns="runtime")


def _rep_files(out: Path) -> list[Path]:
    return sorted((out / "replications").rglob("rep*.json"))


@pytest.fixture
def reference(config: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reference"
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q"]) == 0
    return out


def test_store_layout(reference: Path) -> None:
    """config.yaml (a valid resolved config), meta.json, one JSON per replication, tables."""
    meta = json.loads((reference / "meta.json").read_text())
    assert meta["queuesim_version"] == qs.__version__ and len(meta["fingerprint"]) == 64
    assert meta["replications"] == 4 and [s["name"] for s in meta["scenarios"]] == ["base", "more"]
    resolved = qs.load_config(reference / "config.yaml")
    assert [s.name for s in resolved.scenarios] == ["base", "more"] and resolved.seed == 4
    files = _rep_files(reference)
    assert len(files) == 8
    one = json.loads(files[0].read_text())
    assert {"scenario", "seed", "replication", "summary", "fingerprint"} <= set(one)
    assert (reference / "replications.parquet").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(reference / "replications.parquet"),
                                  pd.read_csv(reference / "replications.csv"), check_dtype=False)
    summary = json.loads((reference / "summary.json").read_text())
    assert [s["name"] for s in summary["scenarios"]] == ["base", "more"] and summary["comparisons"]
    assert not list(reference.glob("**/.*.tmp"))  # no temporary files left behind


def test_resume_after_deleting_and_corrupting_files(reference: Path, config: Path, tmp_path: Path, capsys) -> None:
    """Missing, truncated and foreign files are recomputed; the final table is the same."""
    out = tmp_path / "damaged"
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q"]) == 0
    files = _rep_files(out)
    files[0].unlink()                                        # missing
    files[1].write_text(files[1].read_text()[:40])           # truncated: JSON parse error
    data = json.loads(files[2].read_text())
    del data["summary"]["asa"]
    files[2].write_text(json.dumps(data))                    # missing key
    data = json.loads(files[3].read_text())
    data["replication"] = 99
    files[3].write_text(json.dumps(data))                    # mismatched replication
    untouched = files[5].stat().st_mtime_ns
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "--resume"]) == 0
    assert "3 replication file(s) were invalid" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_table(out), _table(reference))
    assert files[5].stat().st_mtime_ns == untouched  # valid files are not recomputed
    assert json.loads(files[1].read_text())["replication"] == 1


def test_interrupted_run_resumes_to_the_same_table(reference: Path, config: Path, tmp_path: Path) -> None:
    """Ctrl-C half-way keeps every finished replication; --resume completes the same table."""
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump({**CONFIG, "replications": 400}))
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuesim.cli", "run", str(slow), "--out", str(out), "--executor", "serial"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(_rep_files(out)) >= 20:
            break
        time.sleep(0.02)
    if proc.poll() is not None and len(_rep_files(out)) >= 800:
        proc.communicate()
        pytest.skip("the run finished before this process was scheduled to interrupt it (a loaded machine)")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0 and len(_rep_files(out)) >= 800:
        pytest.skip("the run finished before the interrupt reached it (a loaded machine)")
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    done = len(_rep_files(out))
    assert 20 <= done < 800
    assert not (out / "replications.csv").exists()
    # Resume with the original 4 replications refused (fewer than the interrupted run asked for).
    assert main(["run", str(config), "--out", str(out), "--resume", "-q"]) == 2
    assert main(["run", str(slow), "--out", str(out), "--resume", "-q", "--workers", "2"]) == 0
    table = _table(out)
    assert len(table) == 800
    first4 = table[table["replication"] < 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(first4, _table(reference))


def test_resume_refuses_changed_config_but_allows_more_replications(reference: Path, config: Path, capsys) -> None:
    """The fingerprint must match on resume; only the number of replications may grow."""
    assert main(["run", str(config), "--out", str(reference), "--resume", "--set", "agents=8", "-q"]) == 2
    assert "config differs" in capsys.readouterr().err
    assert main(["run", str(config), "--out", str(reference), "--resume", "--seed", "5", "-q"]) == 2
    assert main(["run", str(config), "--out", str(reference), "-q"]) == 2  # neither --resume nor --overwrite
    assert "already holds the results" in capsys.readouterr().err
    assert main(["run", str(config), "--out", str(reference), "--resume", "-n", "6", "-q"]) == 0
    assert len(_rep_files(reference)) == 12
    assert json.loads((reference / "meta.json").read_text())["replications"] == 6
    assert main(["run", str(config), "--out", str(reference), "--overwrite", "-n", "2", "-q"]) == 0
    assert len(_rep_files(reference)) == 4


def test_resume_refuses_a_folder_written_by_another_version(reference: Path, config: Path, capsys) -> None:
    """Replications of another queuesim version may come from another engine: resume refuses to mix them."""
    meta_path = reference / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["queuesim_version"] = "0.0.1"
    meta_path.write_text(json.dumps(meta))
    assert main(["run", str(config), "--out", str(reference), "--resume", "-n", "6", "-q"]) == 2
    err = capsys.readouterr().err
    assert "written by queuesim 0.0.1" in err and f"this is queuesim {qs.__version__}" in err
    assert len(err.strip().splitlines()) == 1
    assert len(_rep_files(reference)) == 8  # nothing already computed is touched


def test_failed_replication_is_recorded_retried_and_reported(config: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """A transient failure is retried; a permanent one is recorded, reported and exits 1."""
    import queuesim.experiment.executors as ex

    real = ex.simulate
    calls: dict[tuple[str, int], int] = {}

    def flaky(scenario, seed, *, replication, keep_calls):
        key = (scenario.name, replication)
        calls[key] = calls.get(key, 0) + 1
        if key == ("base", 1) and calls[key] == 1:
            raise RuntimeError("transient")
        if key == ("more", 2):
            raise ZeroDivisionError("always")
        return real(scenario, seed, replication=replication, keep_calls=keep_calls)

    monkeypatch.setattr(ex, "simulate", flaky)
    out = tmp_path / "failing"
    assert main(["run", str(config), "--out", str(out), "--executor", "serial", "-q"]) == 1
    err = capsys.readouterr().err
    assert "1 replication(s) still failed after 3 attempt(s)" in err and "ZeroDivisionError: always" in err
    failures = sorted(p.name for p in (out / "failures").iterdir())
    assert failures == ["base-rep000001-attempt1.txt", "more-rep000002-attempt1.txt",
                        "more-rep000002-attempt2.txt", "more-rep000002-attempt3.txt"]
    assert "Traceback" in (out / "failures" / failures[-1]).read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failures"][0]["scenario"] == "more" and summary["failures"][0]["attempts"] == 3
    assert [s["replications"] for s in summary["scenarios"]] == [4, 3]
    # Fixed engine: resume computes only the missing replication.
    monkeypatch.setattr(ex, "simulate", real)
    assert main(["run", str(config), "--out", str(out), "--resume", "-q", "--executor", "serial"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "failures" not in summary and [s["replications"] for s in summary["scenarios"]] == [4, 4]


def test_python_api_store_and_load(config: Path, tmp_path: Path) -> None:
    """queuesim.run(..., out=DIR, resume=True) uses the store; ExperimentResult.load reads it back."""
    out = tmp_path / "api"
    first = qs.run(config, out=out)
    again = qs.run(config, out=out, resume=True)
    assert [r.summary for r in again.replications] == [r.summary for r in first.replications]
    loaded = qs.ExperimentResult.load(out)
    assert [r.summary for r in loaded.replications] == [r.summary for r in first.replications]
    pd.testing.assert_frame_equal(loaded.summary(), first.summary())
    with pytest.raises(StoreError, match="already holds"):
        qs.run(config, out=out)
    with pytest.raises(ValueError, match="need out"):
        qs.run(config, resume=True)


def test_store_validity_checks(tmp_path: Path) -> None:
    """load() explains why a file is not usable."""
    exp = experiment_from_dict(CONFIG)
    store = ResultStore(tmp_path / "s")
    store.open(exp)
    rep = qs.simulate(exp.baseline, 4, replication=0, keep_calls=False)
    store.save(rep)
    assert store.load("base", 4, 0)[1] == "ok"
    assert store.load("base", 5, 0)[1] == "scenario, seed or replication mismatch"
    assert store.load("base", 4, 1)[1] == "missing"
    store.fingerprint = "0" * 64
    assert store.load("base", 4, 0)[1] == "from another config"
    assert file_stem("base[rate=2/min]").startswith("base[rate=2_min]-")


def test_intervals_csv_aggregates_interval_tables(tmp_path: Path) -> None:
    """intervals.csv: one row per scenario and interval, averaged over replications, with 95% CI half-widths."""
    from queuesim.experiment.replication import ReplicationResult

    exp = experiment_from_dict(CONFIG)
    reps = [
        ReplicationResult("base", 4, r, {"offered": 1.0}, intervals={"interval_start": [0.0, 900.0],
                                                                      "offered": [r, 2.0 * r]})
        for r in range(2)
    ]
    result = qs.ExperimentResult(exp, reps)
    frame = result.intervals_frame()
    assert list(frame.columns) == ["scenario", "interval_start", "offered", "offered_ci95"]
    assert frame["offered"].tolist() == [0.5, 1.0]
    # two replications: t(1; 0.975) = 12.706, sd = 0.7071 and 1.4142
    assert frame["offered_ci95"].tolist() == pytest.approx([12.7062 * 0.70711 / 2**0.5, 12.7062 * 1.41421 / 2**0.5], rel=1e-4)
    assert qs.ExperimentResult(exp, [ReplicationResult("base", 4, 0, {})]).intervals_frame() is None


def test_progress_lines_when_not_a_tty(config: Path, tmp_path: Path) -> None:
    """Without a terminal (here: a pipe, CI set) progress is plain lines on stderr; --quiet silences it."""
    cmd = [sys.executable, "-m", "queuesim.cli", "run", str(config), "--executor", "serial"]
    env = {**os.environ, "CI": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "[queuesim] 8/8 replications" in proc.stderr
    proc = subprocess.run([*cmd, "--quiet"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and proc.stderr == ""


def test_a_folder_whose_callbacks_list_every_kinds_keys_still_loads(tmp_path: Path) -> None:
    """Result folders written when one flat callback model held every kind's keys store them all; they load
    (the keys of other kinds are dropped), while a config that gives such a key is still refused."""
    callback = {"kind": "virtual_hold", "threshold": "30s", "acceptance": 0.6}
    experiment = experiment_from_dict({"name": "cb", "horizon": "1h", "arrivals": {"rate": "3/min"}, "agents": 3,
                                       "handle_time": {"distribution": "exponential", "mean": "1min"},
                                       "callback": callback, "replications": 2})
    qs.run(experiment, out=tmp_path / "run")
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    stored["scenarios"][0]["callback"].update(slot_length=900.0, slot_capacity=4, lead_time=1800.0,
                                              follow_through=0.7, contact_delay=None, web_hours=None)
    (tmp_path / "run" / "config.yaml").write_text(yaml.safe_dump(stored))
    result = qs.ExperimentResult.load(tmp_path / "run")
    assert len(result.replications) == 2
    with pytest.raises(qs.ConfigError, match="slot_length"):
        experiment_from_dict({**stored, "scenarios": stored["scenarios"]})
