"""Intraday arrival profiles: piecewise-constant rates, and reading them from CSV.

A :class:`RateFunction` is an arrival rate (calls per second) that is
constant on each piece ``[grid[k], grid[k+1])``. Arrival times are made from
it exactly by the time-change theorem (see :mod:`queuesim.engine.arrivals`):
no rounding at interval edges, no thinning.

CSV profiles have a header row and either ``interval_start,calls`` or
``date,interval_start,calls`` (one row per day and interval; the profile is the
mean over days, optionally only some weekdays). ``interval_start`` is a clock
time (``07:30``) or seconds after midnight; ``calls`` is the (mean) number of
calls arriving in that interval. Finer intervals than the config's are summed
into the config's intervals.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from ..lazy import LazyModule
from .fields import MAX_DATA_FILE_BYTES, check_input_file
from .units import UnitError, parse_clock

if TYPE_CHECKING:
    import numpy as np
else:  # validating a config needs only running_totals and total, in plain Python
    np = LazyModule("numpy", globals(), "np")

__all__ = ["WEEKDAYS", "RateFunction", "read_profile_csv"]

#: Weekday names accepted in ``days`` filters (Python's order: Monday = 0).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class RateFunction:
    """A piecewise-constant rate: ``rates[k]`` calls/s on ``[grid[k], grid[k+1])``.

    ``grid`` has one more entry than ``rates``; the rate is zero outside
    ``[grid[0], grid[-1])``. Adjacent pieces with equal rates are merged, so a
    flat profile and a constant rate give bit-identical arrival times.
    """

    grid: tuple[float, ...]
    rates: tuple[float, ...]

    @classmethod
    def build(cls, grid: Sequence[float], rates: Sequence[float]) -> "RateFunction":
        if len(grid) != len(rates) + 1:
            raise ValueError("grid needs exactly one more point than rates")
        g: list[float] = [float(grid[0])]
        r: list[float] = []
        for k, rate in enumerate(rates):
            end = float(grid[k + 1])
            if end <= g[-1]:
                raise ValueError("rate grid must be increasing")
            if r and r[-1] == rate:
                g[-1] = end
            else:
                r.append(float(rate))
                g.append(end)
        # Leading/trailing zero pieces carry no arrivals; keep them (they cost nothing).
        return cls(tuple(g), tuple(r))

    @classmethod
    def constant(cls, rate: float, start: float, end: float) -> "RateFunction":
        return cls.build([start, end], [rate])

    def cumulative(self) -> np.ndarray:
        """Expected arrivals up to each grid point (``Lambda(grid[k])``)."""
        lengths = np.diff(np.asarray(self.grid))
        return np.concatenate(([0.0], np.cumsum(np.asarray(self.rates) * lengths)))

    def running_totals(self) -> list[float]:
        """:meth:`cumulative` as a list, bit for bit (numpy's cumsum adds in order, as here), without numpy."""
        out, total = [0.0], 0.0
        for k, rate in enumerate(self.rates):
            total += rate * (self.grid[k + 1] - self.grid[k])
            out.append(total)
        return out

    def total(self) -> float:
        """Expected number of arrivals over the whole grid (the last of :meth:`cumulative`)."""
        return self.running_totals()[-1]

    def expected_in(self, a: float, b: float) -> float:
        """Expected arrivals in ``[a, b)``."""
        grid = np.asarray(self.grid)
        lo = np.clip(grid[:-1], a, b)
        hi = np.clip(grid[1:], a, b)
        return float(np.sum(np.asarray(self.rates) * np.maximum(hi - lo, 0.0)))

    def rate_at(self, t: np.ndarray) -> np.ndarray:
        """Rate at times ``t`` (0 outside the grid)."""
        t = np.asarray(t, dtype=np.float64)
        k = np.searchsorted(self.grid, t, side="right") - 1
        inside = (k >= 0) & (k < len(self.rates))
        out = np.zeros_like(t)
        out[inside] = np.asarray(self.rates)[k[inside]]
        return out

    def scaled(self, factor: float) -> "RateFunction":
        return RateFunction(self.grid, tuple(r * factor for r in self.rates))

    def inverse(self, s: np.ndarray) -> np.ndarray:
        """Times ``t`` with ``Lambda(t) = s`` (``inf`` beyond the last arrival mass).

        For a single piece starting at 0 this is exactly ``s / rate``.
        """
        s = np.asarray(s, dtype=np.float64)
        cum = self.cumulative()
        rates = np.asarray(self.rates)
        # piece k holds s in [cum[k], cum[k+1]); zero-rate pieces have empty ranges
        k = np.searchsorted(cum, s, side="right") - 1
        out = np.full_like(s, math.inf)
        ok = (k >= 0) & (k < rates.size)
        kk = k[ok]
        if rates.size == 1 and self.grid[0] == 0.0:
            out[ok] = s[ok] / rates[0]
        else:
            out[ok] = np.asarray(self.grid)[kk] + (s[ok] - cum[kk]) / rates[kk]
        return out


def _parse_start(text: str, where: str) -> float:
    try:
        return parse_clock(text.strip())
    except UnitError as exc:
        raise ValueError(f"{where}: interval_start: {exc}") from None


def read_profile_csv(
    path: Path, interval: float, days: Optional[Iterable[str]] = None
) -> tuple[float, list[float], int]:
    """Read a CSV profile; return ``(start, calls per interval, days averaged)``.

    Raises ``ValueError`` naming the file, line and value for anything it
    cannot use (missing columns, negative or non-numeric counts, an
    interval_start not on the interval grid of finer data).
    """

    check_input_file(path, limit=MAX_DATA_FILE_BYTES, what="CSV arrival profile")
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read arrival profile {path}: {exc.strerror or exc}") from None
    try:
        with handle:
            return _read_profile(csv.DictReader(handle), path, interval, days)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason})") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from None


#: Most intervals an arrival profile may span (a year of 5-minute intervals).
MAX_PROFILE_INTERVALS = 105_120


def _read_profile(
    reader: "csv.DictReader[str]", path: Path, interval: float, days: Optional[Iterable[str]]
) -> tuple[float, list[float], int]:
    wanted = {d.lower()[:3] for d in days} if days else None
    per_day: dict[str, dict[int, float]] = {}
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    if "interval_start" not in columns or "calls" not in columns:
        raise ValueError(
            f"{path}: needs columns interval_start,calls (optionally date first); found {', '.join(columns) or 'none'}"
        )
    has_date = "date" in columns
    if wanted is not None and not has_date:
        raise ValueError(f"{path}: 'days' filters need a 'date' column")
    seen: dict[tuple[str, float], int] = {}  # (date, interval_start) -> line: a row given twice is a mistake
    for line, row in enumerate(reader, start=2):
        where = f"{path}, line {line}"
        if any((extra or "").strip() for extra in row.get(None) or ()):  # (DictReader's key for fields beyond
            # the header's; empty ones, as a spreadsheet's trailing comma leaves, are harmless)
            raise ValueError(f"{where}: {len(columns) + len(row[None])} fields where the header has {len(columns)} "
                             f"({', '.join(columns)}); a decimal comma? write 10.5, not 10,5")
        date = (row.get("date") or "").strip() if has_date else "all"
        if wanted is not None:
            try:
                weekday = WEEKDAYS[_dt.date.fromisoformat(date).weekday()]
            except ValueError:
                raise ValueError(f"{where}: date {date!r} is not YYYY-MM-DD") from None
            if weekday not in wanted:
                continue
        start = _parse_start(row.get("interval_start") or "", where)
        first_line = seen.setdefault((date, start), line)
        if first_line != line:
            raise ValueError(f"{where}: interval_start {row.get('interval_start', '').strip()!r}"
                             + (f" of {date}" if has_date else "") + f" is given twice (first at line {first_line})")
        try:
            calls = float((row.get("calls") or "").strip())
        except ValueError:
            raise ValueError(f"{where}: calls {row.get('calls')!r} is not a number") from None
        if not math.isfinite(calls) or calls < 0:
            raise ValueError(f"{where}: calls {calls!r} must be a finite number >= 0")
        position = start / interval + 1e-9
        if not math.isfinite(position) or abs(position) > MAX_PROFILE_INTERVALS:
            raise ValueError(
                f"{where}: interval_start {row.get('interval_start')!r} is more than "
                f"{MAX_PROFILE_INTERVALS:,} intervals of {interval:g} s from midnight"
            )
        slot = math.floor(position)
        bucket = per_day.setdefault(date, {})
        bucket[slot] = bucket.get(slot, 0.0) + calls
    if not per_day:
        raise ValueError(f"{path}: no rows" + (f" for days {sorted(wanted)}" if wanted else ""))
    slots = sorted({s for b in per_day.values() for s in b})
    first, last = slots[0], slots[-1]
    if last - first + 1 > MAX_PROFILE_INTERVALS:
        raise ValueError(
            f"{path}: the profile spans {last - first + 1:,} intervals of {interval:g} s; "
            f"at most {MAX_PROFILE_INTERVALS:,} (use a longer interval)"
        )
    n_days = len(per_day)
    calls = [sum(b.get(s, 0.0) for b in per_day.values()) / n_days for s in range(first, last + 1)]
    return first * interval, calls, n_days
