"""Sweeps: a grid over any config keys, crossed with the variants.

A config's ``sweep`` maps keys (dotted keys reach nested blocks) to the values
to try: a list, or a numeric range ``{from: A, to: B, step: S}`` (``to``
included when it lies on the grid)::

    sweep:
      agents: {from: 90, to: 110, step: 5}
      arrivals.rate: [90/min, 95/min]

Every scenario (the base and each variant) is simulated at every point of the
grid (the Cartesian product, first key varying slowest), and named
``<scenario>[<key>=<value>,<key>=<value>]`` with each value as written in the
config, e.g. ``baseline[agents=90,arrivals.rate=90/min]``.

Pure functions: no pydantic, no SimPy. Errors are :class:`ValueError` whose
text is one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any, Mapping

__all__ = ["MAX_POINTS", "expand_sweep", "format_value", "point_name", "sweep_values"]

#: Largest number of grid points a sweep may have (protects against typos like step: 0.0001).
MAX_POINTS = 100_000


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _finite(x: float) -> bool:
    """A number a float can hold, not inf or nan (an integer of 400 digits is not)."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


def sweep_values(key: str, spec: Any) -> list[Any]:
    """The values of one sweep key: a non-empty list, or a ``{from, to, step}`` range."""
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ValueError(f"sweep.{key} = []: needs at least one value")
        return list(spec)
    if isinstance(spec, Mapping):
        allowed = {"from", "to", "step"}
        unknown = sorted(set(map(str, spec)) - allowed)
        if unknown or set(spec) != allowed:
            raise ValueError(
                f"sweep.{key} = {dict(spec)!r}: a range needs exactly the keys from, to, step "
                "(e.g. {from: 90, to: 110, step: 5}); for other values give a list"
            )
        start, stop, step = spec["from"], spec["to"], spec["step"]
        if not all(_is_number(v) and _finite(v) for v in (start, stop, step)):
            raise ValueError(
                f"sweep.{key} = {dict(spec)!r}: from, to and step must be plain numbers; "
                "for durations or rates with units give a list, e.g. [90/min, 95/min]"
            )
        if step <= 0:
            raise ValueError(f"sweep.{key}.step = {step!r}: must be greater than 0")
        if stop < start:
            raise ValueError(f"sweep.{key}: to ({stop!r}) must not be less than from ({start!r})")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            raise ValueError(f"sweep.{key} = {dict(spec)!r}: {count} values; at most {MAX_POINTS} allowed")
        if all(isinstance(v, int) for v in (start, stop, step)):
            return [start + i * step for i in range(count)]
        # Round away binary noise (0.1 + 2 * 0.1 -> 0.3) so names read as written.
        return [float(round(start + i * step, 12)) for i in range(count)]
    raise ValueError(
        f"sweep.{key} = {spec!r}: expected a list of values or a range {{from: A, to: B, step: S}}"
    )


def expand_sweep(sweep: Any, *, forbidden: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """All grid points of ``sweep`` as ``{key: value}`` mappings, first key slowest.

    ``None`` or an empty mapping gives one empty point (no sweep). Keys whose
    first part is in ``forbidden`` (experiment keys such as ``seed``) are refused.
    """
    if sweep is None or (isinstance(sweep, Mapping) and not sweep):
        return [{}]
    if not isinstance(sweep, Mapping):
        raise ValueError(f"sweep = {sweep!r}: expected a mapping of key -> values, e.g. {{agents: [90, 95, 100]}}")
    keys: list[str] = []
    columns: list[list[Any]] = []
    for key, spec in sweep.items():
        if not isinstance(key, str) or not key.strip() or any(p == "" for p in key.split(".")):
            raise ValueError(f"sweep: bad key {key!r}; use config keys such as 'agents' or 'arrivals.rate'")
        if key.split(".")[0] in forbidden:
            raise ValueError(
                f"sweep.{key}: experiment keys ({', '.join(forbidden)}) cannot be swept; sweep scenario keys"
            )
        keys.append(key)
        columns.append(sweep_values(key, spec))
    total = math.prod(len(c) for c in columns)
    if total > MAX_POINTS:
        raise ValueError(f"sweep: {total} grid points; at most {MAX_POINTS} allowed")
    return [dict(zip(keys, combo)) for combo in itertools.product(*columns)]


def format_value(value: Any) -> str:
    """A sweep value as it appears in scenario names: numbers and text as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def point_name(scenario: str, point: Mapping[str, Any]) -> str:
    """``scenario[key=value,...]``; just ``scenario`` for the empty point."""
    if not point:
        return scenario
    return f"{scenario}[{','.join(f'{k}={format_value(v)}' for k, v in point.items())}]"
