"""The package's layering, read from the source: imports flow one way and never in a circle.

Layers, lowest first (a module may import its own layer and the layers below it):

1. foundation: ``queuesim`` (the package's lazy facade), ``errors``, ``lazy``, ``rng``, ``analytic``
2. ``queuesim.model``: config and scenario models, the config loader
3. ``queuesim.measure``: the call log and what is measured from it
4. ``queuesim.engine``: the SimPy engine (scenario in, call log out)
5. ``queuesim.experiment``: replications, runs, result folders
6. applications: ``report``, ``staffing``, ``fit``, ``commands``, ``cli``, ``docs_gen``

The engine writes the call log, so it imports ``queuesim.measure.calllog``; the
measuring code never imports the engine. Every import counts for the layer
order, also one inside a function or under ``TYPE_CHECKING``; module-level
imports must have no cycles.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "queuesim"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("queuesim.errors", "queuesim.lazy", "queuesim.rng", "queuesim.analytic")),
    ("model", ("queuesim.model",)),
    ("measure", ("queuesim.measure",)),
    ("engine", ("queuesim.engine",)),
    ("experiment", ("queuesim.experiment",)),
    ("applications", ("queuesim.report", "queuesim.staffing", "queuesim.fit", "queuesim.commands",
                      "queuesim.cli", "queuesim.docs_gen")),
]

#: Upward imports allowed, each inside a function and for a stated reason.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("queuesim.experiment.results", "queuesim.report.charts"):
        "ExperimentResult.plot() draws with the report layer's figure functions (matplotlib, on first use)",
}


def layer_of(module: str) -> int:
    if module == "queuesim":
        return 0  # the facade: module-level imports only of queuesim.lazy (checked below)
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in tests/test_layers.py")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom, root: Path) -> list[str]:
    """The queuesim modules an ``import from`` names (``from . import x`` names module ``x`` if it is one)."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not (target == "queuesim" or target.startswith("queuesim.")):
        return []
    out = [target]
    for alias in node.names:
        sub = root.parent / (target.replace(".", "/") + "/" + alias.name)
        if sub.with_suffix(".py").exists() or (sub / "__init__.py").exists():
            out.append(f"{target}.{alias.name}")
    return out


def imports_of(path: Path, root: Path = PACKAGE) -> list[tuple[str, int, str]]:
    """(imported queuesim module, line, where) for every import in ``path``; where is ``"top"`` (run on
    import), ``"function"`` (run when the function runs) or ``"typing"`` (under ``if TYPE_CHECKING``)."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    out: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, top: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, top) for a in child.names
                           if a.name == "queuesim" or a.name.startswith("queuesim."))
            elif isinstance(child, ast.ImportFrom):
                out.extend((m, child.lineno, top) for m in _resolve(module, is_package, child, root))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, "typing" if top == "typing" else "function")
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, "typing")
            else:
                visit(child, top)

    visit(ast.parse(path.read_text(encoding="utf-8")), "top")
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, list[tuple[str, int, str]]]:
    return {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}


def layer_violations(graph: dict[str, list[tuple[str, int, str]]]) -> list[str]:
    bad = []
    for module, imports in graph.items():
        if module == "queuesim":
            continue  # the facade re-exports every layer on first use (see the facade test below)
        for target, line, top in imports:
            if target == "queuesim":
                continue  # the facade itself (``from .. import __version__``)
            if layer_of(target) > layer_of(module) and (module, target) not in ALLOWED_UPWARD:
                bad.append(f"{module} (line {line}) imports {target}: "
                           f"{LAYERS[layer_of(module)][0]} may not import {LAYERS[layer_of(target)][0]}")
            if (module, target) in ALLOWED_UPWARD and top == "top":
                bad.append(f"{module} (line {line}) imports {target} at module level; allowed only on first use")
    return bad


def import_cycles(graph: dict[str, list[tuple[str, int, str]]]) -> list[list[str]]:
    """Cycles among module-level imports (a package's ``__init__`` counts as the package)."""
    edges = {m: sorted({t for t, _, top in imports if top == "top" and t in graph and t != m})
             for m, imports in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in edges[m]:
            # importing a.b.c runs a.b's __init__ first: a module inside a package never cycles with it
            if m.startswith(t + "."):
                continue
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    return cycles


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        layer_of(module)


def test_lower_layers_never_import_higher_ones() -> None:
    bad = layer_violations(import_graph())
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_no_import_cycles_at_module_level() -> None:
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_facade_imports_nothing_at_module_level_but_lazy() -> None:
    top = [t for t, _, where in import_graph()["queuesim"] if where == "top"]
    assert top == ["queuesim.lazy"], top


#: Modules that import parts of queuesim inside functions, and why (nowhere else: no import dodges a cycle).
IMPORTS_ON_FIRST_USE: dict[str, str] = {
    "queuesim.cli": "--version, --help and validate never import SimPy, pandas or matplotlib",
    "queuesim.commands.fit": "the same, for the fit command",
    "queuesim.commands.schema": "the same, for the schema command",
    "queuesim.commands.staff": "the same, for the staff command",
    "queuesim.experiment.results": "ExperimentResult.plot() (matplotlib)",
}


def test_imports_inside_functions_only_where_they_keep_the_cli_fast() -> None:
    lazy = sorted({m for m, imports in import_graph().items() for _, _, where in imports if where == "function"})
    assert lazy == sorted(IMPORTS_ON_FIRST_USE), lazy


def test_no_module_name_in_two_layers() -> None:
    """``policy.py`` in one layer and ``policies.py`` in another is fine; the same file name twice is not."""
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        module = module_name(path)
        if path.stem in seen:
            clashes.append(f"{seen[path.stem]} and {module}")
        seen[path.stem] = module
    assert not clashes, "modules with the same name: " + "; ".join(clashes)


@pytest.mark.parametrize(
    "where, line, message",
    [
        ("measure/tally.py", "from ..engine.policies import PolicyCentre", "measure may not import engine"),
        ("model/units.py", "from ..experiment import runner", "model may not import experiment"),
        ("model/units.py", "from . import scenario", "import cycles"),
    ],
)
def test_the_checks_catch_a_planted_violation(tmp_path: Path, where: str, line: str, message: str) -> None:
    """The checks above fail on a deliberately added bad import (on a copy of the package)."""
    copy = tmp_path / "queuesim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    graph = import_graph(copy)
    found = layer_violations(graph) + ["import cycles: " + " -> ".join(c) for c in import_cycles(graph)]
    assert any(message in text for text in found), found
