"""Fuzzing the three kinds of input: config text, call records and result folders.

Each generated input goes through the real command line in this process. The
properties, for every example: the exit code is 0, 2 (bad input) or 3 (cannot
write); stderr has at most a few lines and never a traceback; nothing is
written outside the folder or files named with ``--out`` (the working folder
stays empty); and a damaged result folder is repaired by ``--resume``.

Examples are drawn from fixed seeds (``tests/conftest.py``), so CI sees the
same inputs every time; ``HYPOTHESIS_PROFILE=explore`` draws fresh ones.
The whole file runs in well under half a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuesim.cli import main

#: Most lines a refused command may print on stderr (the error, perhaps a warning or two).
MAX_STDERR_LINES = 4

FAST = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse refusals
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _check(code: int, err: str, allowed: tuple[int, ...] = (0, 2, 3)) -> None:
    assert code in allowed, err
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) <= MAX_STDERR_LINES, err


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: whatever a command writes by mistake into '.' shows up here."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


# ------------------------------------------------------------------ configs (as text)

BASE_CONFIG = """\
name: fuzz
seed: 2
replications: 1
horizon: 15min
arrivals: {rate: 2/min}
handle_time: {distribution: lognormal, mean: 2min, sd: 1min}
patience: {distribution: weibull, shape: 0.8, mean: 2min}
agents: 4
costs: {agent_per_hour: 30, abandoned_call: 2}
variants:
  more: {agents: 5}
"""

_JUNK = ["true", "false", "null", "1e308", "-1e308", "1e-300", ".inf", ".nan", "0", "-1", "99999999999999999999",
         '"\\x1b[31m"', '"a\\nb"', "'<script>x</script>'", "[]", "{}", "[[[[[[]]]]]]", "~", "'😀😀😀'", "2min",
         "garbage", "{distribution: weibull, shape: 1e-300, mean: 2min}", "{distribution: lognormal, mean: 1, sd: 1e300}"]


@st.composite
def config_texts(draw) -> str:
    lines = BASE_CONFIG.splitlines()
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "duplicate", "delete", "control"]))
        key, sep, _ = lines[k].partition(":")
        if action == "value" and sep:
            lines[k] = f"{key}: {draw(st.sampled_from(_JUNK))}"
        elif action == "duplicate":
            lines.insert(k, lines[k])
        elif action == "delete" and len(lines) > 1:
            del lines[k]
        else:
            lines[k] = lines[k].replace(":", draw(st.sampled_from(["\x1b:", ":\x00", "::", ": &a", ": *a"])), 1)
    return "\n".join(lines) + "\n"


@FAST
@given(text=config_texts())
def test_fuzzed_configs_run_or_are_refused_cleanly(tmp_path: Path, workdir: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    code, _, err = _cli("validate", str(path))
    _check(code, err, allowed=(0, 2))
    if code == 0:
        code, _, err = _cli("run", str(path), "--out", str(out), "--executor", "serial", "-q")
        _check(code, err)
        assert code != 0 or (out / "summary.json").exists()
    assert not any(workdir.iterdir())
    assert _files(tmp_path) - _files(out) - {path, out, workdir} == set()


# ------------------------------------------------------------------ call records (as bytes)

_RECORD_CELLS = [b"", b"0", b"-5", b"1e300", b"inf", b"nan", b"08:00:00", b"47:59:59", b"99:99", b"x", b"\xff\xfe",
                 b'"', b'"a,b"', b"0001-01-01", b"9999-12-31", b"2024-02-30", b"-99999999999999999999",
                 b"answered", b"abandoned", b"phantom", b"unserved", b"x" * 140_000]


def _good_rows() -> list[bytes]:
    rows = []
    for k in range(60):
        arrival = 8 * 3600 + 60 * k
        if k % 4:
            rows.append(f"2024-03-0{1 + k % 2},{arrival},{arrival + 10},{arrival + 200 + k},answered,a{k % 3},0,t"
                        .encode())
        else:
            rows.append(f"2024-03-0{1 + k % 2},{arrival},,{arrival + 40},abandoned,,0,t".encode())
    return rows


@st.composite
def record_files(draw) -> bytes:
    rows = _good_rows()
    for _ in range(draw(st.integers(1, 6))):
        k = draw(st.integers(0, len(rows) - 1))
        cells = rows[k].split(b",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(st.sampled_from(_RECORD_CELLS))
        rows[k] = b",".join(cells)
    header = draw(st.sampled_from([b"date,arrival,answer,end,outcome,server,priority,type",
                                   b"date,arrival,answer,end,outcome,server,priority,type\xff",
                                   b"arrival,outcome"]))
    return b"\n".join([header, *rows]) + b"\n"


@FAST
@given(data=record_files(), option=st.sampled_from([(), ("--dates", "2024-03-01:2024-03-02"), ("--dates", "x:y"),
                                                     ("--interval", "7min"), ("--days", "mon-xyz"),
                                                     ("--min-type-share", "nan"), ("--hours", "25:00-26:00")]))
def test_fuzzed_records_fit_or_are_refused_cleanly(tmp_path: Path, workdir: Path, data: bytes, option) -> None:
    records = tmp_path / "records.csv"
    records.write_bytes(data)
    out = tmp_path / "fit" / "fitted.yaml"
    shutil.rmtree(out.parent, ignore_errors=True)
    code, _, err = _cli("fit", "--records", str(records), "--out", str(out), *option)
    _check(code, err)
    if code == 0:
        code, _, err = _cli("validate", str(out))
        assert code == 0, err
    assert not any(workdir.iterdir())
    assert _files(tmp_path) - _files(out.parent) - {records, out.parent, workdir} == set()


# ------------------------------------------------------------------ result folders

@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fuzz-results")
    config = folder / "config.yaml"
    spec = yaml.safe_load(BASE_CONFIG)
    spec.update(replications=2, report_interval="5min")
    config.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = folder / "out"
    code, _, err = _cli("run", str(config), "--out", str(out), "--executor", "serial", "-q")
    assert code == 0, err
    return config, out


_VALUES: list[Any] = [None, "garbage", [], {}, [1, 2, 3], -1, 1e308, 2**70, True, "Infinity", [[[[]]]], {"a": [1]}]


def _paths(node: Any, here: tuple = ()) -> list[tuple]:
    """Every path to a node in a JSON document (keys and list indices)."""
    found = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, here + (k,))
    elif isinstance(node, list):
        for i, v in list(enumerate(node))[:3]:
            found += _paths(v, here + (i,))
    return found


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


@st.composite
def damages(draw) -> tuple[int, str, Any]:
    which = draw(st.integers(0, 3))
    kind = draw(st.sampled_from(["value", "delete", "truncate", "bytes", "deep", "nan-token"]))
    return which, kind, draw(st.data())


def _damaged_text(text: str, kind: str, data: Any) -> str:
    doc = json.loads(text)
    if kind in ("value", "delete"):
        path = data.draw(st.sampled_from(_paths(doc)[1:]))
        if kind == "delete":
            parent = _set(doc, (), doc)
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
            return json.dumps(doc)
        return json.dumps(_set(doc, path, data.draw(st.sampled_from(_VALUES))))
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text) - 1))]
    if kind == "bytes":
        k = data.draw(st.integers(0, len(text) - 1))
        return text[:k] + data.draw(st.sampled_from(["\x00", "}", "]", ",", "\ufffd", "[" * 100_000])) + text[k:]
    if kind == "deep":
        return json.dumps(doc)[:-1] + ', "intervals": ' + "[" * 200_000 + "]" * 200_000 + "}"
    return text.replace("0.", "NaN", 1) if data.draw(st.booleans()) else text.replace("0.", "Infinity", 1)


@FAST
@given(damage=damages())
def test_fuzzed_result_files_are_refused_or_repaired(finished, tmp_path: Path, workdir: Path, damage) -> None:
    from queuesim.experiment.results import ExperimentResult
    from queuesim.experiment.store import StoreError

    config, reference = finished
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(reference, out)
    which, kind, data = damage
    path = sorted((out / "replications").rglob("rep*.json"))[which]
    path.write_text(_damaged_text(path.read_text(encoding="utf-8"), kind, data), encoding="utf-8")

    try:
        ExperimentResult.load(out)
    except StoreError as exc:
        assert str(path) in str(exc) and len(str(exc).splitlines()) == 1
        code, _, err = _cli("report", str(out))
        _check(code, err, allowed=(2,))
    code, _, err = _cli("run", str(config), "--out", str(out), "--resume", "--executor", "serial", "-q")
    _check(code, err, allowed=(0,))
    table = pd.read_csv(out / "replications.csv").drop(columns="runtime")
    pd.testing.assert_frame_equal(table, pd.read_csv(reference / "replications.csv").drop(columns="runtime"))
    assert not any(workdir.iterdir())
