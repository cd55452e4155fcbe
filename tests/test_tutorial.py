"""docs/tutorial.md stays true: every command in it runs, exits 0 and prints what it shows.

As SimPy executes the examples of its documentation, this test walks the tutorial in
order in an empty folder:

* a fenced ```yaml block whose info string has ``file=NAME`` is written to NAME;
* a ```yaml block with ``excerpt=NAME`` must appear line by line in NAME (a file
  that an earlier command, such as ``queuesim new``, wrote);
* in a ```console block every line starting with ``$ `` is a command, run with this
  interpreter's queuesim; the lines after it (up to the next command) are its shown
  output. The command must exit 0, and every word of the shown output (three or more
  letters, no digits: metric and scenario names, messages) must appear in what it
  printed. Numbers are not compared: they belong to the shown run, and ``...`` lines
  stand for output left out.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"

_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.M | re.S)


@dataclass
class Step:
    kind: str  # "file", "excerpt" or "command"
    line: int
    name: str = ""  # file name, or the command line
    text: str = ""  # file content, excerpt, or shown output
    words: list[str] = field(default_factory=list)


def key_words(shown: str) -> list[str]:
    """Words of the shown output that the real output must contain."""
    words = []
    for line in shown.splitlines():
        if line.strip() in ("...", "…"):
            continue
        for token in line.split():
            token = token.strip("()[],;:'\"`")
            if re.search(r"\d", token) or len(re.findall(r"[A-Za-z]", token)) < 3:
                continue
            if token not in words:
                words.append(token)
    return words


def steps(text: str) -> list[Step]:
    """The tutorial's files, excerpts and commands, in order."""
    out: list[Step] = []
    for match in _FENCE.finditer(text):
        info, body = match.group(1).strip(), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        lang, *attrs = info.split() or [""]
        options = dict(a.split("=", 1) for a in attrs if "=" in a)
        if lang == "yaml" and "file" in options:
            out.append(Step("file", line, options["file"], body))
        elif lang == "yaml" and "excerpt" in options:
            out.append(Step("excerpt", line, options["excerpt"], body))
        elif lang == "console":
            current: Step | None = None
            for k, row in enumerate(body.splitlines()):
                if row.startswith("$ "):
                    current = Step("command", line + 1 + k, row[2:].strip())
                    out.append(current)
                elif current is not None:
                    current.text += row + "\n"
            for step in out:
                if step.kind == "command":
                    step.words = key_words(step.text)
    return out


def _argv(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv and argv[0] == "queuesim", f"tutorial commands must be queuesim commands: {command!r}"
    return [sys.executable, "-m", "queuesim.cli", *argv[1:]]


def test_tutorial_has_every_stage() -> None:
    """The tutorial goes from erlang through configs, shifts, callbacks, transfers and a sweep to a report."""
    all_steps = steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = [s.name for s in all_steps if s.kind == "command"]
    joined = "\n".join(commands)
    for needed in ("queuesim erlang", "queuesim validate", "queuesim run", "queuesim new", "--kind day",
                   "--kind departments", "--report", "queuesim report"):
        assert needed in joined, f"the tutorial has no command with {needed!r}"
    files = {s.name: s.text for s in all_steps if s.kind == "file"}
    assert any("variants:" in t and "callback:" in t for t in files.values()), "no callback variant experiment"
    assert any("sweep:" in t for t in files.values()), "no sweep"
    for step in all_steps:
        if step.kind == "command":
            assert step.words or "new" in step.name, f"line {step.line}: {step.name!r} shows no output to check"


def test_tutorial_commands_run(tmp_path: Path) -> None:
    """Every command of docs/tutorial.md exits 0 and prints the words it shows (run in order, < 60 s)."""
    env = {**os.environ, "CI": "1", "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    timings = []
    for step in steps(TUTORIAL.read_text(encoding="utf-8")):
        where = f"docs/tutorial.md line {step.line}"
        if step.kind == "file":
            (tmp_path / step.name).write_text(step.text, encoding="utf-8")
        elif step.kind == "excerpt":
            written = (tmp_path / step.name).read_text(encoding="utf-8")
            for row in step.text.splitlines():
                if row.strip() and row.strip() != "...":
                    assert row in written, f"{where}: excerpt line not in {step.name}: {row!r}"
        else:
            start = time.perf_counter()
            proc = subprocess.run(_argv(step.name), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            timings.append((time.perf_counter() - start, step.name))
            printed = proc.stdout + proc.stderr
            assert proc.returncode == 0, f"{where}: `{step.name}` exited {proc.returncode}:\n{printed}"
            missing = [w for w in step.words if w not in printed]
            assert not missing, f"{where}: `{step.name}` did not print {missing}; it printed:\n{printed}"
    total = sum(t for t, _ in timings)
    print(f"tutorial: {len(timings)} commands in {total:.1f} s; slowest: "
          + ", ".join(f"{t:.1f} s {c!r}" for t, c in sorted(timings, reverse=True)[:3]))


@pytest.mark.parametrize(
    "shown, expected",
    [
        ("  abandonment_rate  0.0144  [0.0117, 0.0172]  fraction\n...\n", ["abandonment_rate", "fraction"]),
        ("ok: first.yaml (1 scenario(s): first)\n", ["first.yaml", "scenario(s", "first"]),
    ],
)
def test_key_words(shown: str, expected: list[str]) -> None:
    assert key_words(shown) == expected
