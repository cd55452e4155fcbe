"""Public names of a package imported on first use (PEP 562), so that ``queuesim --version`` or
``queuesim erlang`` do not pay for SimPy, pandas or matplotlib."""

from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["lazy_exports"]


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
