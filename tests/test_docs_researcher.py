"""experiments/researcher_example.py: the Python path in under 20 lines, run with tiny sizes."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

SCRIPT = ROOT / "experiments" / "researcher_example.py"


def test_researcher_example_is_under_20_lines() -> None:
    """Code lines, not counting the docstring, blank lines and comments."""
    source = SCRIPT.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant), "needs a docstring"
    code = [line for number, line in enumerate(source.splitlines(), 1)
            if number > tree.body[0].end_lineno and line.strip() and not line.strip().startswith("#")]
    assert len(code) < 20, f"{len(code)} lines of code"
    for needed in ("qs.Scenario(", "qs.run(", 'executor="processes"', ".comparison(", ".plot("):
        assert needed in source


def test_researcher_example_runs(tmp_path: Path) -> None:
    env = {**os.environ, "QS_REPS": "3", "QS_HORIZON": "30min", "QS_OUT": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "paired 95% CI" in proc.stdout and "unpaired" in proc.stdout
    figure = tmp_path / "researcher_example.png"
    assert figure.stat().st_size > 10_000
