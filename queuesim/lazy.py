"""Public names of a package imported on first use (PEP 562), so that ``queuesim --version`` or
``queuesim erlang`` do not pay for SimPy, pandas or matplotlib; and :class:`LazyModule`, a module
imported on first use under a name of a module's globals."""

from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["LazyModule", "lazy_exports"]


def lazy_exports(package: str, names: dict[str, tuple[str, str]], namespace: dict) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps a public name to ``(module, attribute)``
    (module relative to the package; attribute ``""`` for the module itself). A name is imported the first
    time it is read and then kept in the package's ``namespace``."""

    def __getattr__(name: str) -> Any:
        try:
            module, attribute = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = importlib.import_module(module, package)
        if attribute:
            value = getattr(value, attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


class LazyModule:
    """Stand-in for a module imported on first use, bound to a name in a module's globals.

    The first attribute read imports the module and puts it in place of the
    stand-in under that name, so the code that uses the name reads the module
    itself from then on (no cost per use). For a module that a light path of the
    package needs only sometimes: validating a config imports numpy only for the
    distributions and warnings that cannot be checked without it.
    """

    __slots__ = ("_module", "_namespace", "_name")

    def __init__(self, module: str, namespace: dict, name: str) -> None:
        self._module, self._namespace, self._name = module, namespace, name

    def __getattr__(self, attribute: str) -> Any:
        value = importlib.import_module(self._module)
        self._namespace[self._name] = value
        return getattr(value, attribute)

    def __repr__(self) -> str:
        return f"<{self._module}, imported on first use>"
