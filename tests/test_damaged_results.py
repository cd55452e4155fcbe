"""Damaged result folders: named in one line, never a traceback; ``--resume`` repairs them.

A replication file edited by hand or by a broken disk (a wrong type, a column
cut short, absurd nesting, an infinite metric) is checked against the schema
of :mod:`queuesim.experiment.resultfile` by every reader: ``queuesim report``
refuses the folder (exit 2, the file named, ``--resume`` suggested), the
Python loader raises ``StoreError``, and ``queuesim run --resume`` moves the
file to ``DIR/damaged/`` and simulates that replication again, giving the
same table as an undamaged run. A report that cannot be written exits 3.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest
import yaml

from queuesim.cli import main
from queuesim.experiment.results import ExperimentResult
from queuesim.experiment.store import StoreError

from .conftest import tiny_experiment


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, result folder) of a finished two-scenario run with per-interval tables and quantiles."""
    folder = tmp_path_factory.mktemp("finished")
    config = folder / "config.yaml"
    spec = {**tiny_experiment(seed=5, replications=2), "horizon": "20min", "report_interval": "10min"}
    config.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = folder / "out"
    code, _, err = _cli("run", str(config), "--out", str(out), "--executor", "serial", "-q")
    assert code == 0, err
    return config, out


def _copy(finished: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    config, out = finished
    target = tmp_path / "out"
    shutil.copytree(out, target)
    return config, target


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "replications.csv").drop(columns="runtime")


def _edit(key: str, value: Any) -> Callable[[dict], str]:
    def edit(data: dict) -> str:
        data[key] = value
        return json.dumps(data)
    return edit


def _cut_column(data: dict) -> str:
    data["intervals"]["offered"] = data["intervals"]["offered"][:-1]
    return json.dumps(data)


def _deep(data: dict) -> str:
    return json.dumps(data)[:-1] + ', "wait_quantiles": ' + "[" * 200_000 + "]" * 200_000 + "}"


def _huge_metric(data: dict) -> str:
    text = json.dumps(data)
    key = '"mean_wait": '
    start = text.index(key) + len(key)
    end = min(i for i in (text.find(",", start), text.find("}", start)) if i >= 0)
    return text[:start] + "1e999" + text[end:]


def _missing_metric(data: dict) -> str:
    del data["summary"]["occupancy"]
    return json.dumps(data)


DAMAGES: dict[str, Callable[[dict], str]] = {
    "intervals-list": _edit("intervals", [1, 2, 3]),
    "interval-column-cut-short": _cut_column,
    "200000-nested-brackets": _deep,
    "wait-quantiles-garbage": _edit("wait_quantiles", "garbage"),
    "wait-quantiles-short": _edit("wait_quantiles", [0.0, 1.0]),
    "infinite-metric": _huge_metric,
    "missing-metric": _missing_metric,
    "seed-as-text": _edit("seed", "5"),
    "not-an-object": lambda data: "[1, 2]",
    "truncated": lambda data: json.dumps(data)[:60],
}


def _damage(out: Path, how: Callable[[dict], str]) -> Path:
    path = sorted((out / "replications").rglob("rep*.json"))[1]
    path.write_text(how(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    return path


@pytest.mark.parametrize("how", list(DAMAGES.values()), ids=list(DAMAGES))
def test_report_refuses_a_damaged_file_naming_it(finished, tmp_path: Path, how) -> None:
    _, out = _copy(finished, tmp_path)
    path = _damage(out, how)
    code, _, err = _cli("report", str(out))
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err
    assert str(path) in lines[0] and "damaged" in lines[0] and "--resume" in lines[0]
    assert not (out / "report.md").exists()
    with pytest.raises(StoreError, match="damaged"):
        ExperimentResult.load(out)


@pytest.mark.parametrize("name", ["intervals-list", "200000-nested-brackets", "wait-quantiles-garbage",
                                  "infinite-metric", "interval-column-cut-short"])
def test_resume_moves_a_damaged_file_aside_and_simulates_it_again(finished, tmp_path: Path, name: str) -> None:
    config, out = _copy(finished, tmp_path)
    reference = _table(finished[1])
    path = _damage(out, DAMAGES[name])
    damaged_text = path.read_text(encoding="utf-8")
    code, _, err = _cli("run", str(config), "--out", str(out), "--resume", "--executor", "serial")
    assert code == 0, err
    assert "Traceback" not in err
    moved = list((out / "damaged").iterdir())
    assert len(moved) == 1 and moved[0].read_text(encoding="utf-8") == damaged_text  # kept, not lost
    assert sum(1 for line in err.splitlines() if str(path) in line) == 1  # the file named in one line
    pd.testing.assert_frame_equal(_table(out), reference)
    assert ExperimentResult.load(out).replications  # and the loader accepts the repaired folder


def test_the_infinite_json_token_is_damage_too(finished, tmp_path: Path) -> None:
    _, out = _copy(finished, tmp_path)
    path = sorted((out / "replications").rglob("rep*.json"))[0]
    text = path.read_text(encoding="utf-8")
    key = '"asa": '
    start = text.index(key) + len(key)
    end = min(i for i in (text.find(",", start), text.find("\n", start)) if i >= 0)
    path.write_text(text[:start] + "Infinity" + text[end:], encoding="utf-8")
    code, _, err = _cli("report", str(out))
    assert code == 2 and "asa" in err and str(path) in err, err


def test_damaged_meta_and_summary_do_not_crash(finished, tmp_path: Path) -> None:
    config, out = _copy(finished, tmp_path)
    (out / "summary.json").write_text("[" * 200_000, encoding="utf-8")
    assert len(ExperimentResult.load(out).replications) == 4  # summary.json only lists failures
    (out / "meta.json").write_text("[" * 200_000, encoding="utf-8")
    code, _, err = _cli("run", str(config), "--out", str(out), "--resume", "--executor", "serial", "-q")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "meta.json" in err, err


def test_report_write_errors_exit_3(finished, tmp_path: Path) -> None:
    _, out = _copy(finished, tmp_path)
    shutil.rmtree(out / "figures", ignore_errors=True)
    (out / "figures").write_text("not a folder", encoding="utf-8")
    code, _, err = _cli("report", str(out))
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "figures" in err and "Traceback" not in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write to read-only folders")
def test_report_into_a_read_only_folder_exits_3(finished, tmp_path: Path) -> None:
    _, out = _copy(finished, tmp_path)
    (out / "figures").mkdir(exist_ok=True)
    os.chmod(out / "figures", 0o500)
    try:
        code, _, err = _cli("report", str(out))
    finally:
        os.chmod(out / "figures", 0o700)
    assert code == 3 and len(err.strip().splitlines()) == 1, err
