"""The command line: run, validate, erlang; exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from queuesim.cli import main

from .conftest import CONFIGS

SMALL = """\
name: tiny
seed: 3
replications: 3
horizon: 30min
arrivals: {rate: 2/min}
handle_time: {distribution: exponential, mean: 3min}
patience: {distribution: exponential, mean: 2min}
agents: 6
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SMALL)
    return path


def test_run_prints_table_and_writes_summary(tiny: Path, tmp_path: Path, capsys) -> None:
    """`queuesim run --out` prints metric/mean/CI and writes summary.json in the contract format."""
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "--executor", "serial", "--save-calls"]) == 0
    printed = capsys.readouterr().out
    assert "abandonment_rate" in printed and "95% CI" in printed
    doc = json.loads((out / "summary.json").read_text())
    scenario = doc["scenarios"][0]
    assert scenario["name"] == "tiny" and scenario["replications"] == 3
    metric = scenario["metrics"]["abandonment_rate"]
    assert metric["ci95"][0] <= metric["mean"] <= metric["ci95"][1]
    for name in ["offered", "answered", "abandoned", "asa", "mean_wait", "wait_p50", "wait_p90",
                 "wait_p99", "service_level", "occupancy", "mean_queue_length"]:
        assert name in scenario["metrics"]
    assert len(list((out / "calls").glob("*.csv"))) == 3
    assert (out / "replications.csv").read_text().startswith("scenario,seed,replication")


def test_run_options_override_config(tiny: Path, tmp_path: Path) -> None:
    """--replications, --seed and --set change what runs."""
    out = tmp_path / "o"
    assert main(["run", str(tiny), "-n", "2", "--seed", "9", "--set", "agents=7", "--out", str(out), "-q"]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["seed"] == 9 and doc["scenarios"][0]["replications"] == 2


@pytest.mark.parametrize(
    "content, fragment",
    [
        (SMALL.replace("agents: 6", "agnets: 6"), "did you mean 'agents'"),
        (SMALL.replace("2/min", "-2/min"), "arrivals.rate"),
        (SMALL.replace("3min", "3 parsecs"), "handle_time.mean"),
        (SMALL.replace("agents: 6", "agents: six"), "agents"),
        (SMALL.replace("agents: 6\n", ""), "agents: required key is missing"),
    ],
)
def test_bad_config_exit_2_one_line_no_traceback(tmp_path: Path, content: str, fragment: str) -> None:
    """A bad config: exit code 2, one line on stderr naming the field, no traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "queuesim.cli", "run", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_validate(tiny: Path, tmp_path: Path, capsys) -> None:
    """`queuesim validate` says ok for good configs and exits 2 naming the bad one."""
    assert main(["validate", str(tiny), *map(str, CONFIGS.glob("*.yaml"))]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("agents: 6", "agents: -1"))
    assert main(["validate", str(tiny), str(bad)]) == 2
    assert "agents" in capsys.readouterr().err


def test_erlang_command_prints_both_models(capsys) -> None:
    """`queuesim erlang` prints Erlang C and, with --patience, Erlang A."""
    assert main(["erlang", "--rate", "95/min", "--handle-time", "1min", "--patience", "2min", "--agents", "100"]) == 0
    out = capsys.readouterr().out
    assert "Erlang C" in out and "Erlang A" in out and "abandonment rate" in out


def test_erlang_bad_unit_exit_2(capsys) -> None:
    """A bad unit in `queuesim erlang` is a usage error."""
    assert main(["erlang", "--rate", "95/fortnight", "--handle-time", "1min", "--agents", "10"]) == 2
    assert "unit" in capsys.readouterr().err


def test_console_script_version() -> None:
    """The installed `queuesim` entry point answers --version."""
    proc = subprocess.run([sys.executable, "-m", "queuesim.cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("queuesim ")


def test_run_verbose_says_what_runs(tiny: Path, capsys) -> None:
    """--verbose prints the scenarios, replications, seed and executor, then the time per scenario."""
    assert main(["run", str(tiny), "-n", "2", "--executor", "serial", "-q", "-v"]) == 0
    err = capsys.readouterr().err
    assert "1 scenario(s) x 2 replication(s), seed 3, executor serial: tiny" in err
    assert "tiny: 2 replication(s)" in err


@pytest.mark.parametrize("argv, heavy", [
    (["--version"], ("simpy", "pandas", "matplotlib", "scipy", "numpy", "pydantic")),
    (["erlang", "--rate", "100/h", "--handle-time", "3min", "--agents", "10"], ("simpy", "pandas", "matplotlib")),
    # every shipped config is checked without numpy or scipy (0.06 and 0.15 s to import; the distributions'
    # parameters are far from float64's limits, see check_samples); a command of cli.py needs no plugin module
    *[(["validate", str(path)], ("simpy", "pandas", "matplotlib", "scipy", "numpy", "queuesim.commands"))
      for path in sorted(CONFIGS.glob("*.yaml"))],
])
def test_quick_commands_do_not_import_the_simulator(argv: list, heavy: tuple) -> None:
    """`queuesim --version`, `erlang` and `validate` start without SimPy, pandas or matplotlib (fast start)."""
    import subprocess
    import sys

    code = ("import json, sys; from queuesim.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in heavy:
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], f"{argv[0]} imported {name}"


def test_command_line_validate_runs_short(tiny: Path) -> None:
    """`queuesim validate` from the command line imports numpy (needed here for a gamma distribution's check)
    with one BLAS thread, leaves the environment as it was, and ends without the garbage collector; called
    from Python, main() leaves the collector alone."""
    gamma = tiny.with_name("gamma.yaml")
    gamma.write_text(SMALL.replace("{distribution: exponential, mean: 3min}", "{distribution: gamma, shape: 2, mean: 3min}"))
    code = ("import gc, os, sys\n"
            f"sys.argv = ['queuesim', 'validate', {str(gamma)!r}]\n"
            "from queuesim.cli import main\n"
            "code = main()\n"
            "threads = len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') else 1\n"
            "print(code, 'numpy' in sys.modules, threads, 'OPENBLAS_NUM_THREADS' in os.environ, gc.isenabled(),"
            " gc.get_freeze_count() > 0)")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-6:] == ["0", "True", "1", "False", "False", "True"], proc.stdout

    import gc

    frozen = gc.get_freeze_count()
    assert main(["validate", str(CONFIGS / "erlang-a.yaml")]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.parametrize("argv", [["validate", "configs/erlang-a.yaml", "configs/transfers.yaml"],
                                  ["erlang", "--rate", "2/min", "--handle-time", "3min", "--agents", "8"]],
                         ids=["validate", "erlang"])
def test_a_closed_pipe_ends_quietly_with_141(argv: list[str]) -> None:
    """``queuesim validate configs/*.yaml | head -1``: once the reader has gone, no traceback; exit 141 (128 +
    SIGPIPE) as a shell reports a tool stopped by a closed pipe. The reader here goes before the first line."""
    proc = subprocess.Popen([sys.executable, "-m", "queuesim.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
