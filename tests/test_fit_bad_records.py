"""``queuesim fit`` never raises on its input.

A bad record is skipped and counted by reason (not UTF-8, a cell over the csv
field limit, a date out of range, a number out of range, an absurd or
non-finite duration); a bad option is one line with exit code 2; an output
that cannot be written is one line with exit code 3; a fitted parameter that
``validate`` would refuse is clamped with a note in the fit report. The config
``fit`` writes always passes ``validate`` (a property test over generated
record sets).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuesim.cli import main

HEADER = "date,arrival,answer,end,outcome,server,priority,type"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _rows(seed: int = 3, days: int = 3, calls: int = 120) -> list[str]:
    """Plausible records: calls from 08:00 to 10:00 on ``days`` days, 80 % answered by 4 agents."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        for arrival in np.sort(rng.uniform(8 * 3600, 10 * 3600, calls)):
            wait = float(rng.exponential(30))
            if rng.random() < 0.8:
                answer = arrival + wait
                end = answer + float(rng.lognormal(5, 0.6))
                rows.append(f"2024-01-0{d + 1},{arrival:.1f},{answer:.1f},{end:.1f},answered,a{rng.integers(4)},0,x")
            else:
                rows.append(f"2024-01-0{d + 1},{arrival:.1f},,{arrival + wait:.1f},abandoned,,0,x")
    return rows


def _write(tmp_path: Path, rows: list[str], extra: bytes = b"", name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("utf-8") + extra)
    return path


def _fit_ok(tmp_path: Path, records: Path, *args: str) -> str:
    """Fit: exit 0, no traceback; the written config validates. Returns stdout."""
    out = tmp_path / "fitted.yaml"
    code, printed, err = _cli("fit", "--records", str(records), "--out", str(out), *args)
    assert code == 0, err
    assert "Traceback" not in err
    code, _, err = _cli("validate", str(out))
    assert code == 0, err
    return printed


BAD_RECORDS = {
    "not-utf8": (b"2024-01-01,29000,29000,29100,answered,a\xff,0,x\n", "not UTF-8 text: 1"),
    "200000-character-cell": (f"2024-01-01,29000,29000,29100,answered,{'x' * 200_000},0,x\n".encode(),
                              "field too long"),
    "date-0001-01-01": (b"0001-01-01,29000,29000,29100,answered,a1,0,x\n", "date out of range"),
    "priority-huge": (b"2024-01-01,29000,29000,29100,answered,a1,-99999999999999999999,x\n", "number out of range"),
    "end-1e300": (b"2024-01-01,29000,29000,1e300,answered,a1,0,x\n", "absurd duration"),
    "end-inf": (b"2024-01-01,29000,29000,inf,answered,a1,0,x\n", "bad time or number"),
    "arrival-1e300": (b"2024-01-01,1e300,1e300,1e300,abandoned,,0,x\n", "number out of range"),
    "date-time-year-1": (b",0001-01-01T08:00:00,,0001-01-01T08:01:00,abandoned,,0,x\n", "date out of range"),
}


@pytest.mark.parametrize("line,reason", list(BAD_RECORDS.values()), ids=list(BAD_RECORDS))
def test_a_bad_record_is_skipped_and_counted_by_reason(tmp_path: Path, line: bytes, reason: str) -> None:
    printed = _fit_ok(tmp_path, _write(tmp_path, _rows(), extra=line + "\n".join(_rows(seed=4, days=1)).encode()))
    assert reason in printed.splitlines()[0], printed


def test_thirty_absurd_end_times_are_skipped(tmp_path: Path) -> None:
    rows = _rows()
    for k in range(30):  # answered rows with end = 1e300
        parts = rows[k].split(",")
        if parts[4] == "answered":
            parts[3] = "1e300"
        rows[k] = ",".join(parts)
    assert "absurd duration" in _fit_ok(tmp_path, _write(tmp_path, rows))


def test_equal_handle_times_are_clamped_with_a_note(tmp_path: Path) -> None:
    rows = []
    for row in _rows():
        parts = row.split(",")
        if parts[4] == "answered":
            parts[3] = f"{float(parts[2]) + 120:.1f}"  # every handle time 120 s
        rows.append(",".join(parts))
    report = tmp_path / "fit.md"
    _fit_ok(tmp_path, _write(tmp_path, rows), "--report", str(report))
    assert "clamped" in report.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore:Tight layout not applied")  # a 64-character type name in a small panel
def test_type_names_from_the_records_are_made_usable(tmp_path: Path) -> None:
    names = [",t\x1b[31m", ",é" + "x" * 80, ",a $x^{ $b"]
    rows = [row.replace(",x", names[k % 3]) for k, row in enumerate(_rows())]
    _fit_ok(tmp_path, _write(tmp_path, rows), "--figures", str(tmp_path / "figures"))
    assert list((tmp_path / "figures").glob("*.png"))


def test_bad_dates_option_is_one_line(tmp_path: Path) -> None:
    code, _, err = _cli("fit", "--records", str(_write(tmp_path, _rows())), "--out", str(tmp_path / "x.yaml"),
                        "--dates", "garbage:garbage")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "dates" in err, err
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("option", ["--out", "--report", "--figures"])
def test_unwritable_outputs_exit_3(tmp_path: Path, option: str) -> None:
    records = _write(tmp_path, _rows())
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    target = str(blocker / "inside")
    outputs = {"--out": str(tmp_path / "x.yaml"), option: target}
    argv = [a for kv in outputs.items() for a in kv]
    code, _, err = _cli("fit", "--records", str(records), *argv)
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and target in err and "Traceback" not in err


def test_device_records_are_refused(tmp_path: Path) -> None:
    code, _, err = _cli("fit", "--records", "/dev/zero", "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1, err


# ------------------------------------------------------------------ property: the written config validates

_cells = st.sampled_from(["", "0", "-1", "1e300", "nan", "abc", "25:00:00", "08:00:00", "1e-9"])
_types = st.sampled_from(["x", "y", "zz", "", "t\x1b", "é" * 70, "a b"])


@st.composite
def record_sets(draw) -> list[str]:
    """Small record sets: plausible calls with a few odd values (equal times, tiny waits, odd types)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    days = draw(st.integers(1, 3))
    calls = draw(st.integers(5, 60))
    equal_handle = draw(st.booleans())
    tiny_waits = draw(st.booleans())
    answered_share = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    rows = []
    for d in range(days):
        for arrival in np.sort(rng.uniform(8 * 3600, 9 * 3600, calls)):
            wait = 0.001 if tiny_waits else float(rng.exponential(20))
            kind = draw(_types)
            if rng.random() < answered_share:
                handle = 60.0 if equal_handle else float(rng.lognormal(4, 0.5))
                rows.append(f"2024-02-0{d + 1},{arrival:.3f},{arrival + wait:.3f},{arrival + wait + handle:.3f},"
                            f"answered,a{rng.integers(3)},{rng.integers(2)},{kind}")
            else:
                rows.append(f"2024-02-0{d + 1},{arrival:.3f},,{arrival + wait:.3f},abandoned,,0,{kind}")
    for _ in range(draw(st.integers(0, 3))):  # junk rows
        cells = [draw(_cells) for _ in range(8)]
        rows.insert(draw(st.integers(0, len(rows))), ",".join(cells))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(rows=record_sets())
def test_fit_writes_a_config_that_validates_or_refuses_in_one_line(tmp_path: Path, rows: list[str]) -> None:
    records = _write(tmp_path, rows)
    out = tmp_path / "fitted.yaml"
    out.unlink(missing_ok=True)
    code, _, err = _cli("fit", "--records", str(records), "--out", str(out))
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:  # too few usable records: a refusal, but never a fitted config that fails validation
        assert len(err.strip().splitlines()) == 1 and not out.exists(), err
        assert "would not pass validate" not in err, err
        return
    code, _, err = _cli("validate", str(out))
    assert code == 0, err
