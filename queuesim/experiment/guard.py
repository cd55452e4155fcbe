"""A script that starts worker processes must keep its top level importable.

Dask's local cluster (and Python's process pools wherever processes are
spawned rather than forked) start each worker by importing the user's main
script again. A script that calls :func:`queuesim.run` at its top level then
runs the whole experiment again in every worker, which fails in confusing
ways (the result folder "in use by another queuesim run", workers that never
start). :func:`check_main_guard` finds that case before any process starts and
raises :class:`MainGuardError` with one line saying what to do.
"""

from __future__ import annotations

import ast
import multiprocessing
import sys
from pathlib import Path
from types import FrameType
from typing import Optional

__all__ = ["MainGuardError", "check_main_guard", "unguarded_line"]


class MainGuardError(RuntimeError):
    """Worker processes would re-run the calling script: ``str(error)`` says what to do, in one line."""


def _guarded_lines(source: str) -> list[tuple[int, int]]:
    """Line ranges of the bodies of top-level ``if`` statements whose test compares ``__name__`` with
    ``"__main__"`` (alone, or combined with other conditions), found also inside top-level ``try``, ``with``
    and ``else`` blocks: a worker importing the script does not run them."""
    ranges = []

    def visit(statements: list) -> None:
        for node in statements:
            if isinstance(node, ast.If) and _reads_main_name(node.test):
                ranges.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))
            elif isinstance(node, (ast.Try, ast.With)):
                visit(node.body)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)

    visit(ast.parse(source).body)
    return ranges


def _reads_main_name(test: ast.AST) -> bool:
    nodes = list(ast.walk(test))
    return (any(isinstance(n, ast.Name) and n.id == "__name__" for n in nodes)
            and any(isinstance(n, ast.Constant) and n.value == "__main__" for n in nodes))


def unguarded_line(frame: Optional[FrameType] = None) -> Optional[tuple[str, int]]:
    """``(script, line)`` of the main script's top-level statement that led here, if outside a ``__main__`` guard.

    None when the main module has no source file (an interactive session, a
    notebook, ``python -c``), when the call does not come from the main
    script's top level, or when that statement is inside
    ``if __name__ == "__main__":``.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not Path(path).is_file():
        return None
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name or "").endswith("__main__"):
        return None  # `python -m package`: worker processes never import a package's __main__ again
    frame = frame or sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") in ("__main__", "__mp_main__") \
                and frame.f_code.co_filename == getattr(main, "__file__", None):
            line = frame.f_lineno
            try:
                guarded = _guarded_lines(Path(path).read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                return None
            if any(first <= line <= last for first, last in guarded):
                return None
            return str(path), line
        frame = frame.f_back
    return None


def check_main_guard(what: str) -> None:
    """Raise :class:`MainGuardError` if ``what`` (e.g. "a local Dask cluster") would re-run an unguarded script."""
    if multiprocessing.parent_process() is not None and getattr(sys.modules.get("__main__"), "__name__", "") == "__mp_main__":
        raise MainGuardError(
            f"queuesim: this worker process is importing the main script again and would start {what} of its "
            'own: put the code that runs the experiment under `if __name__ == "__main__":`'
        )
    found = unguarded_line(sys._getframe(1))
    if found is not None:
        script, line = found
        raise MainGuardError(
            f"queuesim: {what} starts worker processes that import {Path(script).name} again, and line {line} "
            'runs the experiment at its top level: put that code under `if __name__ == "__main__":` '
            "(or use executor='serial', or a running Dask cluster with scheduler=...)"
        )
