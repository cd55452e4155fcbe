"""The helpful CLI: `queuesim new` starters, --version, documented exit codes, "did you mean"."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import queuesim as qs
from queuesim.cli import main
from queuesim.commands.new import KINDS, starter_config

from .conftest import ROOT

# Shortest useful horizon per kind (the day starter's calls start at 07:00).
TINY = {"basic": "20min", "day": "7.5h", "callbacks": "30min", "departments": "30min"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_starter_loads_and_runs(kind: str, tmp_path: Path, capsys) -> None:
    """`queuesim new --kind K` writes a config that validates and runs (tiny horizon, one replication)."""
    path = tmp_path / f"{kind}.yaml"
    assert main(["new", str(path), "--kind", kind]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    text = path.read_text()
    assert text == starter_config(kind, path.name)
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) >= 8, "not commented"
    experiment = qs.load_config(path)
    assert len(experiment.scenarios) >= 2, "every starter has a variant to compare"
    small = qs.load_config(path, [f"horizon={TINY[kind]}", "warmup=0"])
    result = qs.run(small, replications=1, executor="serial")
    for name in result.scenario_names:
        assert result.estimate(name, "offered").mean > 0


def test_new_prints_without_file_and_keeps_existing_files(tmp_path: Path, capsys) -> None:
    assert main(["new", "--kind", "day"]) == 0
    assert capsys.readouterr().out == starter_config("day")
    path = tmp_path / "mine.yaml"
    path.write_text("agents: 3\n")
    assert main(["new", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "agents: 3\n"
    assert main(["new", str(path), "--force"]) == 0
    assert path.read_text() == starter_config("basic", "mine.yaml")
    assert main(["new", str(tmp_path / "nowhere" / "x.yaml")]) == 2


def test_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "queuesim.cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"queuesim {qs.__version__}"


def test_exit_codes_documented_in_help_and_readme() -> None:
    proc = subprocess.run([sys.executable, "-m", "queuesim.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    epilog = proc.stdout[proc.stdout.index("Exit codes"):]
    for code in ("0", "1", "2", "130"):
        assert re.search(rf"\b{code}\b", epilog), f"exit code {code} not in `queuesim --help`"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = readme[readme.index("**Exit codes**"):]
    line = line[: line.index("\n\n")]
    for code in ("0 success", "1 unexpected", "2 bad", "130 interrupted"):
        assert code in line


def test_help_lists_new_and_schema() -> None:
    proc = subprocess.run([sys.executable, "-m", "queuesim.cli", "--help"], capture_output=True, text=True)
    for command in ("run", "validate", "report", "erlang", "new", "schema"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.M), f"{command} not in --help"


_BASE = {
    "horizon": "30min",
    "arrivals": "{rate: 2/min}",
    "handle_time": "{distribution: exponential, mean: 3min}",
    "agents": "6",
}


@pytest.mark.parametrize(
    "key, value, suggestion",
    [
        ("agents", None, "did you mean 'agents'"),  # written as 'agnets'
        ("arrivals", "{rat: 2/min}", "did you mean 'rate'"),
        ("announcements", "{kind: generic, hangup_probabilty: 0.1}", "did you mean 'hangup_probability'"),
        ("handle_time", "{distribution: exponential, maen: 3min}", "did you mean 'mean'"),
        ("groups", "[{name: a, agents: 6, transfr: cold}]", "did you mean 'transfer'"),
    ],
)
def test_errors_suggest_the_closest_key(key: str, value: str | None, suggestion: str, tmp_path: Path, capsys) -> None:
    """A misspelt key is reported in one line with the closest valid key (exit code 2)."""
    config = dict(_BASE)
    if value is None:
        config["agnets"] = config.pop(key)
    else:
        config[key] = value
    path = tmp_path / "typo.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in config.items()))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert suggestion in err and err.count("\n") == 1, err
