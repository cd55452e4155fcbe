"""The code reads clean to pyflakes: no unused imports or variables, no undefined names, no f-strings without
placeholders, in the package, the experiments, the benchmarks and the tests.

pyflakes (a small, well-kept checker that only reports likely mistakes, never style) catches dead code left
behind by a change: an import or a variable nobody reads any more often means a step was dropped. A line
marked ``# noqa`` is a deliberate exception (an import that only checks an optional dependency is installed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pyflakes_api = pytest.importorskip("pyflakes.api", reason="pyflakes is a test extra: pip install -e '.[test]'")
from pyflakes import reporter as pyflakes_reporter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("queuesim", "experiments", "benchmarks", "tests")


class _Collect(pyflakes_reporter.Reporter):
    """Keeps pyflakes' messages (and syntax errors) instead of printing them."""

    def __init__(self) -> None:
        self.messages: list = []
        self.errors: list[str] = []

    def flake(self, message) -> None:
        self.messages.append(message)

    def unexpectedError(self, filename, msg) -> None:  # noqa: N802 - pyflakes' name
        self.errors.append(f"{filename}: {msg}")

    def syntaxError(self, filename, msg, lineno, offset, text) -> None:  # noqa: N802 - pyflakes' name
        self.errors.append(f"{filename}:{lineno}: {msg}")


def findings(paths: list[Path]) -> list[str]:
    """pyflakes' messages for ``paths`` (``file:line: message``), except on lines marked ``# noqa``."""
    out = []
    for path in paths:
        collect = _Collect()
        source = path.read_text(encoding="utf-8")
        pyflakes_api.check(source, str(path), collect)
        lines = source.splitlines()
        out += collect.errors
        for message in collect.messages:
            line = lines[message.lineno - 1] if 0 < message.lineno <= len(lines) else ""
            if "# noqa" not in line:
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                out.append(f"{shown}:{message.lineno}: {message.message % message.message_args}")
    return out


def test_the_code_has_no_unused_or_undefined_names() -> None:
    paths = sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))
    assert len(paths) > 100
    assert findings(paths) == []


def test_the_check_sees_an_unused_import_and_an_undefined_name_and_keeps_noqa_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import math\nimport os  # noqa: F401\n\n\ndef f():\n    return undefined_name\n")
    assert findings([bad]) == ["bad.py:1: 'math' imported but unused", "bad.py:6: undefined name 'undefined_name'"]
