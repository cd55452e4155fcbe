"""Running tallies of a replication's metrics, fed the call log in chunks.

The engine hands its finished calls over in chunks (every few tens of
thousands of calls) so that a replication whose call log is not kept needs
memory bounded by the calls *in the system*, not by the calls simulated. A
:class:`CallTally` keeps only sums and counts (and a histogram of waits), so
feeding it a log in one piece or in chunks gives the same metrics (up to the
last bit of floating-point sums: the chunking is deterministic, so the same
seed always gives the same numbers).

Wait quantiles come from a :class:`WaitHistogram`: an exact bin for zero
waits and logarithmic bins of relative width 1/1024 (0.1 %) from a
microsecond to ~300,000 years; the smallest and largest waits are exact.

Pure bookkeeping: numpy only; no SimPy, no files.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from .calllog import ABANDONED, ANSWERED, BALKED, OUTCOMES, UNREACHED, UNSERVED, CallLog

__all__ = ["CallTally", "CallerTally", "IntervalTally", "WaitHistogram", "overlap", "time_integral"]


def overlap(starts: np.ndarray, ends: np.ndarray, window_start: float, window_end: float) -> float:
    """Total length (s) of the intervals ``[starts, ends)`` inside ``[window_start, window_end)``."""
    if starts.size == 0:
        return 0.0
    lo = np.maximum(starts, window_start)
    hi = np.minimum(ends, window_end)
    return float(np.sum(np.clip(hi - lo, 0.0, None)))


def time_integral(starts: np.ndarray, ends: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    """Integral of N(t), the number of intervals ``[starts, ends)`` covering t, over each
    ``[boundaries[k], boundaries[k+1])`` (seconds x count). ``ends`` may be ``inf``."""
    boundaries = np.asarray(boundaries, dtype=np.float64)
    if starts.size == 0:
        return np.zeros(max(boundaries.size - 1, 0))
    s = np.sort(np.asarray(starts, dtype=np.float64))
    e = np.sort(np.asarray(ends, dtype=np.float64))
    cum_s = np.concatenate(([0.0], np.cumsum(s)))
    finite_e = e[np.isfinite(e)]
    cum_e = np.concatenate(([0.0], np.cumsum(finite_e)))

    def integral_to(t: np.ndarray) -> np.ndarray:
        ns = np.searchsorted(s, t, side="left")
        ne = np.searchsorted(finite_e, t, side="left")
        return (t * ns - cum_s[ns]) - (t * ne - cum_e[ne])

    return np.diff(integral_to(boundaries))


class WaitHistogram:
    """Histogram of non-negative durations (s) with 0.1 % relative resolution.

    Bin 0 holds exact zeros (and anything below a microsecond); positive
    values ``m * 2**e`` (``0.5 <= m < 1``) fall in one of ``SUB`` equal
    mantissa bins of octave ``e``. Memory is fixed (~0.5 MB) whatever the
    number of values. NaN or infinite values are counted apart and make every
    quantile NaN, as :func:`numpy.quantile` would.
    """

    SUB = 1024
    EMIN = -19  # 2**-20 s ~ 1 microsecond
    EMAX = 44  # 2**43 s ~ 280,000 years
    SIZE = 1 + (EMAX - EMIN) * SUB

    __slots__ = ("counts", "n", "nonfinite", "low", "high")

    def __init__(self) -> None:
        self.counts = np.zeros(self.SIZE, dtype=np.int64)
        self.n = 0
        self.nonfinite = 0
        self.low = math.inf
        self.high = -math.inf

    def add(self, values: np.ndarray) -> None:
        """Count ``values`` (seconds)."""
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values)
        bad = int(values.size - np.count_nonzero(finite))
        if bad:
            self.nonfinite += bad
            values = values[finite]
        if values.size == 0:
            return
        self.n += int(values.size)
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        self.counts += np.bincount(self._index(values), minlength=self.SIZE)

    def merge(self, other: "WaitHistogram") -> None:
        """Add the counts of ``other``."""
        self.counts += other.counts
        self.n += other.n
        self.nonfinite += other.nonfinite
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)

    @classmethod
    def _index(cls, values: np.ndarray) -> np.ndarray:
        mantissa, exponent = np.frexp(values)
        octave = exponent.astype(np.int64) - cls.EMIN
        step = ((mantissa - 0.5) * (2 * cls.SUB)).astype(np.int64)
        index = 1 + octave * cls.SUB + step
        index[octave < 0] = 1  # positive but below a microsecond: the first positive bin
        index[values <= 0.0] = 0
        return np.minimum(index, cls.SIZE - 1)

    @classmethod
    def _bounds(cls, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edges (s) of positive bins ``index`` (>= 1)."""
        octave, step = np.divmod(index - 1, cls.SUB)
        scale = np.ldexp(1.0, (octave + cls.EMIN).astype(np.int64))
        lo = (0.5 + step / (2 * cls.SUB)) * scale
        hi = (0.5 + (step + 1) / (2 * cls.SUB)) * scale
        return lo, hi

    def _order_statistic(self, k: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
        """Estimated ``k``-th smallest value (0-based): uniform spread within its bin."""
        b = np.searchsorted(cumulative, k, side="right")
        before = np.where(b > 0, cumulative[np.maximum(b - 1, 0)], 0)
        inside = self.counts[b]
        lo, hi = self._bounds(np.maximum(b, 1))
        value = lo + (hi - lo) * (k - before + 0.5) / inside
        value = np.where(b == 0, 0.0, value)
        value = np.clip(value, self.low, self.high)
        return np.where(k == 0, self.low, np.where(k == self.n - 1, self.high, value))

    def quantiles(self, probabilities: np.ndarray | list[float]) -> np.ndarray:
        """Quantiles at ``probabilities`` (0..1), interpolated like ``numpy.quantile``'s
        default between the neighbouring order statistics; NaN when empty."""
        p = np.asarray(probabilities, dtype=np.float64)
        if self.n == 0 or self.nonfinite:
            return np.full(p.shape, math.nan)
        rank = p * (self.n - 1)
        below = np.floor(rank).astype(np.int64)
        above = np.minimum(below + 1, self.n - 1)
        cumulative = np.cumsum(self.counts)
        v0 = self._order_statistic(below, cumulative)
        v1 = self._order_statistic(above, cumulative)
        return v0 + (rank - below) * (v1 - v0)


class CallTally:
    """Sums and counts behind :func:`queuesim.metrics.summarise`, one chunk of calls at a time.

    Calls count when they arrive in ``[window_start, window_end)``; ``threshold``
    is the service-level threshold (s). :meth:`add` takes a chunk of the call
    log (any split of the log into chunks gives the same result, up to float
    rounding); :meth:`result` gives the metrics.
    """

    def __init__(self, *, window_start: float, window_end: float, threshold: float) -> None:
        self.window_start, self.window_end, self.threshold = window_start, window_end, threshold
        self.offered = 0
        self.counts = np.zeros(len(OUTCOMES), dtype=np.int64)
        self.within = 0
        self.not_at_once = 0
        self.wait_sum = 0.0
        self.live = 0
        self.live_wait_sum = 0.0
        self.wasted = 0.0
        self.busy = 0.0
        self.on_hold = 0.0
        self.waits = WaitHistogram()
        self.policy: Optional[dict[str, float]] = None

    def add(self, calls: CallLog) -> None:
        """Tally a chunk of the call log."""
        start, end = self.window_start, self.window_end
        answered_all = calls.answered
        self.busy += overlap(calls.answer[answered_all], calls.end[answered_all], start, end)
        hold = np.where(np.isfinite(calls.wait), calls.wait, 0.0)
        self.on_hold += overlap(calls.arrival, calls.arrival + hold, start, end)

        counted = (calls.arrival >= start) & (calls.arrival < end)
        wait = calls.wait[counted]
        outcome = calls.outcome[counted]
        answered = outcome == ANSWERED
        live = answered if calls.callback is None else answered & (calls.callback[counted] == 0)
        self.offered += int(wait.size)
        self.counts += np.bincount(outcome, minlength=len(OUTCOMES))
        self.within += int(np.count_nonzero(live & (wait <= self.threshold)))
        self.not_at_once += int(np.count_nonzero((wait > 0) | ~answered))
        self.wait_sum += float(np.sum(wait))
        live_wait = wait[live]
        self.live += int(live_wait.size)
        self.live_wait_sum += float(np.sum(live_wait))
        self.wasted += float(np.sum(wait[(outcome == ABANDONED) | (outcome == BALKED)]))
        self.waits.add(wait)
        if calls.callback is not None:
            self._add_policy(calls, counted)

    def add_extra_work(self, rows: np.ndarray) -> None:
        """Tally agent work outside calls' answer..end, ``(agent, start, end)`` rows (callback dialling)."""
        if rows.size:
            self.busy += overlap(rows[:, 1], rows[:, 2], self.window_start, self.window_end)

    def _add_policy(self, calls: CallLog, counted: np.ndarray) -> None:
        kind = calls.callback[counted]
        took = kind > 0
        answered = calls.outcome[counted] == ANSWERED
        done = took & answered
        delay = calls.answer[counted][done] - calls.requested[counted][done]
        accepts = int(np.count_nonzero(took))
        offers = int(np.count_nonzero(calls.callback_offered[counted])) if calls.callback_offered is not None else accepts
        if calls.predicted_wait is not None:
            predicted = calls.predicted_wait[counted]
            live = answered & ~took & np.isfinite(predicted)
            error = predicted[live] - calls.wait[counted][live]
        else:
            error = np.empty(0)
        add = {
            "offers": offers, "accepts": accepts, "completed": int(np.count_nonzero(done)),
            "delay_sum": float(np.sum(delay)), "errors": int(error.size),
            "abs_error_sum": float(np.sum(np.abs(error))), "error_sum": float(np.sum(error)),
        }
        if self.policy is None:
            self.policy = dict.fromkeys(add, 0)
        for key, value in add.items():
            self.policy[key] += value

    def result(
        self,
        *,
        staffed_time: float,
        extra_work: Optional[np.ndarray] = None,
        busy_time: Optional[float] = None,
    ) -> dict[str, float]:
        """The metrics of :data:`queuesim.metrics.METRICS` (and policy metrics when the
        calls had a callback column); arguments as for :func:`~queuesim.metrics.summarise`."""
        length = self.window_end - self.window_start
        busy = self.busy
        if busy_time is not None:
            busy = busy_time
        elif extra_work is not None and extra_work.size:
            busy += overlap(extra_work[:, 1], extra_work[:, 2], self.window_start, self.window_end)
        offered, counts = self.offered, self.counts
        lost = int(counts[ABANDONED] + counts[BALKED])
        p50, p90, p99 = (float(q) for q in self.waits.quantiles([0.5, 0.9, 0.99]))
        out = {
            "offered": float(offered),
            "answered": float(counts[ANSWERED]),
            "abandoned": float(counts[ABANDONED]),
            "unserved": float(counts[UNSERVED]),
            "abandonment_rate": lost / offered if offered else math.nan,
            "asa": self.live_wait_sum / self.live if self.live else math.nan,
            "mean_wait": self.wait_sum / offered if offered else math.nan,
            "wait_p50": p50,
            "wait_p90": p90,
            "wait_p99": p99,
            "service_level": self.within / offered if offered else math.nan,
            "p_wait": self.not_at_once / offered if offered else math.nan,
            "occupancy": busy / staffed_time if staffed_time > 0 else math.nan,
            "mean_queue_length": self.on_hold / length if length > 0 else math.nan,
            "wasted_hold_time": self.wasted,
        }
        if self.policy is not None:
            p = self.policy
            out.update({
                "balked": float(counts[BALKED]),
                "callback_offers": float(p["offers"]),
                "callback_accepts": float(p["accepts"]),
                "callbacks_completed": float(p["completed"]),
                "callbacks_unreached": float(counts[UNREACHED]),
                "promise_kept_rate": p["completed"] / p["accepts"] if p["accepts"] else math.nan,
                "callback_delay": p["delay_sum"] / p["completed"] if p["completed"] else math.nan,
                "hold_time_saved": float(p["delay_sum"]),
                "prediction_error": p["abs_error_sum"] / p["errors"] if p["errors"] else math.nan,
                "prediction_bias": p["error_sum"] / p["errors"] if p["errors"] else math.nan,
            })
        return out


class IntervalTally:
    """Sums behind :func:`queuesim.metrics.interval_table`, one chunk of calls at a time.

    Calls count in the interval ``[boundaries[k], boundaries[k+1])`` where they
    arrive; busy and hold time count where they happen.
    """

    def __init__(self, *, boundaries: np.ndarray, threshold: float) -> None:
        self.boundaries = np.asarray(boundaries, dtype=np.float64)
        self.threshold = threshold
        k = self.boundaries.size - 1
        self.sums = {name: np.zeros(k) for name in
                     ("offered", "answered", "abandoned", "within", "live", "wait_answered", "wait_all", "busy", "on_hold")}

    def add(self, calls: CallLog, *, busy: bool = True) -> None:
        """Tally a chunk; ``busy=False`` when agent busy time comes from elsewhere (a work table)."""
        boundaries, sums = self.boundaries, self.sums
        k = boundaries.size - 1
        slot = np.searchsorted(boundaries, calls.arrival, side="right") - 1
        inside = (slot >= 0) & (slot < k)
        slot, wait, answered = slot[inside], calls.wait[inside], calls.answered[inside]
        abandoned = (calls.abandoned | calls.balked)[inside]
        live = answered if calls.callback is None else answered & (calls.callback[inside] == 0)
        sums["offered"] += np.bincount(slot, minlength=k)
        sums["answered"] += np.bincount(slot, weights=answered, minlength=k)
        sums["abandoned"] += np.bincount(slot, weights=abandoned, minlength=k)
        sums["within"] += np.bincount(slot, weights=live & (wait <= self.threshold), minlength=k)
        sums["live"] += np.bincount(slot, weights=live, minlength=k)
        sums["wait_answered"] += np.bincount(slot, weights=np.where(live, wait, 0.0), minlength=k)
        sums["wait_all"] += np.bincount(slot, weights=np.where(np.isfinite(wait), wait, 0.0), minlength=k)
        if busy:
            ans = calls.answered
            sums["busy"] += time_integral(calls.answer[ans], calls.end[ans], boundaries)
        hold = np.where(np.isfinite(calls.wait), calls.wait, 0.0)
        sums["on_hold"] += time_integral(calls.arrival, calls.arrival + hold, boundaries)

    def add_extra_work(self, rows: np.ndarray) -> None:
        """Tally agent work outside calls' answer..end, ``(agent, start, end)`` rows (callback dialling)."""
        if rows.size:
            self.sums["busy"] += time_integral(rows[:, 1], rows[:, 2], self.boundaries)

    def result(
        self,
        *,
        duty_starts: np.ndarray,
        duty_ends: np.ndarray,
        overtime: np.ndarray,
        extra_work: Optional[np.ndarray] = None,
        work: Optional[np.ndarray] = None,
    ) -> dict[str, np.ndarray]:
        """The table of :data:`queuesim.metrics.INTERVAL_COLUMNS`; arguments as for
        :func:`~queuesim.metrics.interval_table`."""
        boundaries, sums = self.boundaries, self.sums
        k = boundaries.size - 1
        lengths = np.diff(boundaries)
        if work is not None:
            busy = time_integral(work[:, 1], work[:, 2], boundaries)
        else:
            busy = sums["busy"]
            if extra_work is not None and extra_work.size:
                busy = busy + time_integral(extra_work[:, 1], extra_work[:, 2], boundaries)
        duty = time_integral(duty_starts, duty_ends, boundaries)
        extra = time_integral(overtime[:, 1], overtime[:, 2], boundaries) if overtime.size else np.zeros(k)
        offered, n_live = sums["offered"], sums["live"]
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "interval_start": boundaries[:-1].copy(),
                "offered": offered.copy(),
                "answered": sums["answered"].copy(),
                "abandoned": sums["abandoned"].copy(),
                "abandonment_rate": np.where(offered > 0, sums["abandoned"] / offered, np.nan),
                "asa": np.where(n_live > 0, sums["wait_answered"] / n_live, np.nan),
                "mean_wait": np.where(offered > 0, sums["wait_all"] / offered, np.nan),
                "service_level": np.where(offered > 0, sums["within"] / offered, np.nan),
                "occupancy": np.where(duty + extra > 0, busy / (duty + extra), np.nan),
                "agents": duty / lengths,
                "mean_queue_length": sums["on_hold"] / lengths,
            }


class CallerTally:
    """Per-caller sums behind the caller metrics and expected churn, one chunk of calls at a time.

    A caller counts when their first call (``attempt == 1``) arrives in
    ``[window_start, window_end)``; all their calls count then, whenever they
    come. A caller's calls may be spread over several chunks, so the tally holds
    the callers still *open* (who may get more calls) as arrays, and *settles*
    the callers the engine says are complete: :meth:`add` takes
    ``settled``, the caller id below which every caller (id >= 0) has all their
    calls in the chunks handed over so far. Negative ids (the opening backlog)
    settle at :meth:`result`. Memory follows the open callers, not the callers seen.

    ``churn`` is a :class:`~queuesim.costs.ChurnModel` (or None: no churn sums).
    """

    _FIELDS = ("first", "attempts", "served", "wait", "transfers", "broken")

    def __init__(self, *, window_start: float, window_end: float, churn: Any = None) -> None:
        self.window_start, self.window_end, self.churn = window_start, window_end, churn
        self._ids = np.empty(0, dtype=np.int64)
        self._open = {name: np.empty(0) for name in self._FIELDS}
        self.callers = 0
        self.attempts = 0
        self.served = 0
        self.expected_churn = 0.0

    def add(
        self,
        calls: CallLog,
        settled: Optional[int] = None,
        *,
        transfers: Optional[np.ndarray] = None,
        broken: Optional[np.ndarray] = None,
    ) -> None:
        """Tally a chunk; ``transfers`` (per call) and ``broken`` (per call: a promised contact
        never came) feed the churn probability; ``settled`` as in the class docstring."""
        counted = (calls.arrival >= self.window_start) & (calls.arrival < self.window_end)
        values = {
            "first": counted & (calls.attempt == 1),
            "attempts": np.ones(len(calls)),
            "served": calls.answered,
            "wait": np.where(np.isfinite(calls.wait), calls.wait, 0.0),
            "transfers": transfers,
            "broken": broken,
        }
        ids = np.concatenate((self._ids, calls.caller))
        ids, inverse = np.unique(ids, return_inverse=True)
        merged = {}
        for name in self._FIELDS:
            value = values[name]
            if value is None:
                value = np.zeros(len(calls))
            weights = np.concatenate((self._open[name], np.asarray(value, dtype=np.float64)))
            merged[name] = np.bincount(inverse, weights=weights, minlength=ids.size)
        if settled is None:
            done = np.zeros(ids.size, dtype=bool)
        else:
            done = (ids >= 0) & (ids < settled)
        self._settle({name: column[done] for name, column in merged.items()})
        keep = ~done
        self._ids = ids[keep]
        self._open = {name: column[keep] for name, column in merged.items()}

    def _settle(self, callers: dict[str, np.ndarray]) -> None:
        mine = callers["first"] > 0
        if not mine.any():
            return
        self.callers += int(np.count_nonzero(mine))
        self.attempts += int(np.sum(callers["attempts"][mine]))
        served = callers["served"][mine] > 0
        self.served += int(np.count_nonzero(served))
        churn = self.churn
        if churn is not None and churn.lifetime_value > 0:
            prob = (churn.base + churn.per_wait_minute * callers["wait"][mine] / 60.0 + churn.abandoned * ~served
                    + churn.per_transfer * callers["transfers"][mine] + churn.broken_promise * (callers["broken"][mine] > 0))
            self.expected_churn += float(np.sum(np.minimum(prob, churn.max)))

    def result(self) -> dict[str, float]:
        """Settle every caller still open; the caller metrics
        (:data:`queuesim.metrics.CALLER_METRICS`) and ``expected_churn``."""
        if self._ids.size:
            self._settle(self._open)
            self._ids = np.empty(0, dtype=np.int64)
            self._open = {name: np.empty(0) for name in self._FIELDS}
        n = self.callers
        return {
            "unique_callers": float(n),
            "attempts_per_caller": self.attempts / n if n else math.nan,
            "eventually_served_rate": self.served / n if n else math.nan,
            "caller_abandonment_rate": 1.0 - self.served / n if n else math.nan,
            "expected_churn": self.expected_churn,
        }
