"""Durations and rates written the way planners write them.

Every duration inside queuesim is a float number of **seconds**; every rate is
a float number **per second**. Configs may write them with units:

>>> parse_duration("4.5min")
270.0
>>> parse_duration(30)
30.0
>>> parse_duration("8h")
28800.0
>>> parse_duration("1h30min")
5400.0
>>> parse_rate("95/min")
1.5833333333333333
>>> parse_rate("5700/h")
1.5833333333333333

Nothing here calls ``eval``: strings are matched against a regular expression.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "DURATION_UNITS",
    "UnitError",
    "format_clock",
    "format_duration",
    "parse_clock",
    "parse_duration",
    "parse_rate",
]

#: Accepted duration units and their length in seconds.
DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z]*)\s*$")
_RATE_RE = re.compile(rf"^\s*({_NUMBER})\s*(?:/|per\s+)\s*({_NUMBER})?\s*([A-Za-z]+)\s*$")
_COMPOUND_RE = re.compile(r"^\s*(?:\d+(?:\.\d*)?\s*[A-Za-z]+\s*){2,}$")
_PART_RE = re.compile(r"(\d+(?:\.\d*)?)\s*([A-Za-z]+)")
_INFINITE = {"inf", "infinity", "infinite", "never"}

_UNIT_HELP = "a number of seconds or a string such as '20s', '4.5min', '8h', '1d'"
_RATE_HELP = "a number per second or a string such as '95/min', '5700/h', '2/s'"


class UnitError(ValueError):
    """A duration or rate that cannot be read. The message says what is allowed."""


def _short(value: Any) -> str:
    """``repr(value)``, cut to a readable length (inputs may be huge lists or strings)."""
    text = repr(value) if not isinstance(value, (list, dict, tuple)) or len(value) < 20 else f"a {type(value).__name__} of {len(value)} items"
    return text if len(text) <= 100 else text[:90] + "..." + text[-6:]


def _number(value: Any, what: str, help_text: str) -> float:
    if isinstance(value, bool):
        raise UnitError(f"expected {help_text}, got {_short(value)}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise UnitError(f"expected {help_text}, got {_short(value)}") from None
    except OverflowError:
        raise UnitError(f"{what} must be finite, got a number with {len(str(value))} digits") from None
    if math.isnan(out):
        raise UnitError(f"{what} must not be NaN; expected {help_text}")
    return out


def parse_duration(value: Any, *, allow_inf: bool = False) -> float:
    """Return a duration in seconds.

    ``value`` is a number (seconds) or a string with a unit from
    :data:`DURATION_UNITS` (``"20s"``, ``"4.5min"``, ``"8h"``). A bare numeric
    string is seconds. ``"inf"`` is accepted only when ``allow_inf`` is true.
    Signs are kept: range checks (positive, non-negative) belong to the caller.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _INFINITE:
            if allow_inf:
                return math.inf
            raise UnitError(f"an infinite duration is not allowed here (got {_short(value)})")
        match = _DURATION_RE.match(value)
        if not match and _COMPOUND_RE.match(value):
            # compound durations such as "1h30min" or "2h 15min 30s"
            return sum(parse_duration(f"{n}{u}") for n, u in _PART_RE.findall(value))
        if not match:
            raise UnitError(f"expected {_UNIT_HELP}, got {_short(value)}")
        number, unit = match.groups()
        if unit == "":
            factor = 1.0
        else:
            factor = DURATION_UNITS.get(unit.lower(), math.nan)
            if math.isnan(factor):
                allowed = ", ".join(sorted(set(DURATION_UNITS), key=DURATION_UNITS.get))
                raise UnitError(f"unknown time unit {unit!r} in {_short(value)}; allowed units: {allowed}")
        seconds = float(number) * factor
    else:
        seconds = _number(value, "a duration", _UNIT_HELP)
    if math.isinf(seconds) and not allow_inf:
        raise UnitError(f"an infinite duration is not allowed here (got {_short(value)})")
    return seconds


def parse_rate(value: Any) -> float:
    """Return a rate in events per second.

    ``value`` is a number (per second) or a string ``"<count>/<unit>"`` such as
    ``"95/min"``, ``"5700/h"``, ``"2/s"``, ``"30/15min"`` or ``"120 per hour"``.
    """
    if isinstance(value, str):
        match = _RATE_RE.match(value)
        if not match:
            try:
                return _number(value, "a rate", _RATE_HELP)
            except UnitError:
                raise UnitError(f"expected {_RATE_HELP}, got {_short(value)}") from None
        count, per_number, unit = match.groups()
        per_seconds = DURATION_UNITS.get(unit.lower())
        if per_seconds is None:
            raise UnitError(f"unknown time unit {unit!r} in rate {_short(value)}; expected {_RATE_HELP}")
        per_seconds *= float(per_number) if per_number else 1.0
        if per_seconds <= 0:
            raise UnitError(f"rate {_short(value)} divides by a zero period")
        rate = float(count) / per_seconds
    else:
        rate = _number(value, "a rate", _RATE_HELP)
    if math.isinf(rate):
        raise UnitError(f"a rate must be finite (got {_short(value)})")
    return rate


_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")


def parse_clock(value: Any) -> float:
    """Return a time of day in seconds after midnight.

    ``value`` is a clock time ``"HH:MM"`` or ``"HH:MM:SS"`` (``"07:30"`` ->
    27000.0, ``"24:00"`` allowed as the end of the day), or any duration that
    :func:`parse_duration` accepts (``"7.5h"``, ``27000``).
    """
    if isinstance(value, str):
        match = _CLOCK_RE.match(value)
        if match:
            hours, minutes, seconds = match.groups()
            h, m, s = int(hours), int(minutes), float(seconds or 0)
            if m >= 60 or s >= 60 or h > 24 or (h == 24 and (m or s)):
                raise UnitError(f"invalid clock time {_short(value)}; expected HH:MM between 00:00 and 24:00")
            return h * 3600.0 + m * 60.0 + s
    try:
        return parse_duration(value)
    except UnitError:
        raise UnitError(
            f"expected a clock time such as '07:30' or a duration from midnight such as '7.5h', got {_short(value)}"
        ) from None


def format_clock(seconds: float) -> str:
    """Seconds after midnight as ``"HH:MM"`` (days roll past 24:00: ``"25:30"``)."""
    if not math.isfinite(seconds):
        return "--:--"
    minutes = int(round(seconds / 60.0))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_duration(seconds: float) -> str:
    """Render seconds compactly for tables: ``"45.0s"``, ``"4.50min"``, ``"2.00h"``."""
    if math.isinf(seconds):
        return "inf"
    if abs(seconds) < 120:
        return f"{seconds:.1f}s"
    if abs(seconds) < 7200:
        return f"{seconds / 60:.2f}min"
    return f"{seconds / 3600:.2f}h"
