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

from .calllog import ABANDONED, ANSWERED, BALKED, BLOCKED, OUTCOMES, UNREACHED, UNSERVED, CallLog

__all__ = ["CallTally", "CallerTally", "IntervalTally", "JourneyTally", "WaitHistogram", "distinct", "overlap",
           "time_integral"]


def distinct(ids: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending: ``np.unique(ids)`` by sorting (numpy's hash-table
    path costs about ten times as much on the few thousand caller ids of a replication)."""
    ids = np.sort(ids)
    return ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if ids.size else ids


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
    mantissa bins of octave ``e``. Only the range of bins from the first to the
    last occupied one is kept (at most ~0.5 MB, whatever the number of values). NaN or infinite values are counted apart and make every
    quantile NaN, as :func:`numpy.quantile` would.
    """

    SUB = 1024
    EMIN = -19  # 2**-20 s ~ 1 microsecond
    EMAX = 44  # 2**43 s ~ 280,000 years
    SIZE = 1 + (EMAX - EMIN) * SUB

    __slots__ = ("counts", "first_bin", "n", "nonfinite", "low", "high")

    def __init__(self) -> None:
        #: the counts of bins ``first_bin``, ``first_bin + 1``, ... (every bin outside them is empty)
        self.counts = np.zeros(0, dtype=np.int64)
        self.first_bin = 0
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
        index = self._index(values)
        first = int(index.min())
        self._add_counts(first, np.bincount(index - first))

    def _add_counts(self, first: int, counts: np.ndarray) -> None:
        """Add ``counts`` to bins ``first``, ``first + 1``, ... (the range kept grows to hold them)."""
        if not self.counts.size:
            self.counts, self.first_bin = counts.astype(np.int64), first
            return
        lo = min(self.first_bin, first)
        hi = max(self.first_bin + self.counts.size, first + counts.size)
        if lo < self.first_bin or hi > self.first_bin + self.counts.size:
            grown = np.zeros(hi - lo, dtype=np.int64)
            grown[self.first_bin - lo : self.first_bin - lo + self.counts.size] = self.counts
            self.counts, self.first_bin = grown, lo
        self.counts[first - lo : first - lo + counts.size] += counts

    def merge(self, other: "WaitHistogram") -> None:
        """Add the counts of ``other``."""
        if other.counts.size:
            self._add_counts(other.first_bin, other.counts)
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
        """Estimated ``k``-th smallest value (0-based): uniform spread within its bin. ``cumulative``: the
        running sum of :attr:`counts` (from bin :attr:`first_bin`)."""
        kept = np.searchsorted(cumulative, k, side="right")  # among the bins kept
        b = self.first_bin + kept
        before = np.where(kept > 0, cumulative[np.maximum(kept - 1, 0)], 0)
        inside = self.counts[kept]
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
        around = self._order_statistic(np.concatenate((below.ravel(), above.ravel())), cumulative)  # both at once
        v0, v1 = around[: below.size].reshape(below.shape), around[below.size :].reshape(below.shape)
        return v0 + (rank - below) * (v1 - v0)


class CallTally:
    """Sums and counts behind :func:`queuesim.measure.metrics.summarise`, one chunk of calls at a time.

    Calls count when they arrive in ``[window_start, window_end)``; ``threshold``
    is the service-level threshold (s). :meth:`add` takes a chunk of the call
    log (any split of the log into chunks gives the same result, up to float
    rounding); :meth:`result` gives the metrics.
    """

    def __init__(self, *, window_start: float, window_end: float, threshold: float, redials: bool = False,
                 lines: bool = False) -> None:
        self.window_start, self.window_end, self.threshold = window_start, window_end, threshold
        self.lines = lines  # finite lines: report blocked calls
        # with redials: the agent time (talk) of the calls that were redials (s)
        self.redial_talk: Optional[float] = 0.0 if redials else None
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
        self.stayed_waits: Optional[WaitHistogram] = None  # waits of the callers who took no callback
        self.messages: Optional[int] = None  # recorded messages heard (with announcements)
        self.slowdown: Optional[float] = None  # agent time added by customer slowdown (s)

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
        if calls.messages is not None:
            self.messages = (self.messages or 0) + int(np.sum(calls.messages[counted]))
        if calls.slowdown is not None:
            self.slowdown = (self.slowdown or 0.0) + float(np.sum(calls.slowdown[counted]))
        if self.redial_talk is not None:
            again = answered & (calls.attempt[counted] > 1)
            self.redial_talk += float(np.sum(calls.handle_time[counted][again]))
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
        # the callers who stayed on the line (took no callback): their own waits and outcomes
        stayed = ~took
        outcome = calls.outcome[counted]
        stayed_wait = calls.wait[counted][stayed]
        if self.stayed_waits is None:
            self.stayed_waits = WaitHistogram()
        self.stayed_waits.add(stayed_wait)
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
            "stayed": int(stayed_wait.size), "stayed_wait_sum": float(np.sum(stayed_wait)),
            "stayed_lost": int(np.count_nonzero(stayed & ((outcome == ABANDONED) | (outcome == BALKED)))),
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
        """The metrics of :data:`queuesim.measure.metrics.METRICS` (and policy metrics when the
        calls had a callback column); arguments as for :func:`~queuesim.measure.metrics.summarise`."""
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
        if self.messages is not None:
            out["messages_heard"] = self.messages / offered if offered else math.nan
        if self.slowdown is not None:
            out["slowdown_time"] = self.slowdown
        if self.redial_talk is not None:
            out["redial_agent_time"] = self.redial_talk
        if self.lines:
            out["blocked"] = float(counts[BLOCKED])
            out["blocking_rate"] = float(counts[BLOCKED]) / offered if offered else math.nan
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
                "live_mean_wait": p["stayed_wait_sum"] / p["stayed"] if p["stayed"] else math.nan,
                "live_wait_p90": float(self.stayed_waits.quantiles([0.9])[0]) if self.stayed_waits else math.nan,
                "live_abandonment_rate": p["stayed_lost"] / p["stayed"] if p["stayed"] else math.nan,
                "live_service_level": self.within / p["stayed"] if p["stayed"] else math.nan,
            })
        return out


class IntervalTally:
    """Sums behind :func:`queuesim.measure.metrics.interval_table`, one chunk of calls at a time.

    Calls count in the interval ``[boundaries[k], boundaries[k+1])`` where they
    arrive; busy and hold time count where they happen. ``blocking``: the scenario has finite
    ``lines``; the table then has the ``blocked`` and ``blocking_rate`` columns too.
    """

    def __init__(self, *, boundaries: np.ndarray, threshold: float, blocking: bool = False) -> None:
        self.boundaries = np.asarray(boundaries, dtype=np.float64)
        self.threshold = threshold
        self.blocking = blocking
        k = self.boundaries.size - 1
        self.sums = {name: np.zeros(k) for name in
                     ("offered", "answered", "abandoned", "within", "live", "wait_answered", "wait_all", "busy", "on_hold",
                      "blocked")}

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
        if self.blocking:
            sums["blocked"] += np.bincount(slot, weights=calls.blocked[inside], minlength=k)
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
        """The table of :data:`queuesim.measure.metrics.INTERVAL_COLUMNS`; arguments as for
        :func:`~queuesim.measure.metrics.interval_table`."""
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
            blocking = {"blocked": sums["blocked"].copy(),
                        "blocking_rate": np.where(offered > 0, sums["blocked"] / offered, np.nan)} if self.blocking else {}
            return {
                "interval_start": boundaries[:-1].copy(),
                "offered": offered.copy(),
                "answered": sums["answered"].copy(),
                "abandoned": sums["abandoned"].copy(),
                "abandonment_rate": np.where(offered > 0, sums["abandoned"] / offered, np.nan),
                **blocking,
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

    ``churn`` is a :class:`~queuesim.model.prices.ChurnModel` (or None: no churn sums).
    """

    _FIELDS = ("first", "attempts", "served", "wait", "transfers", "broken", "messages")

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
            "messages": calls.messages,
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
                    + churn.per_transfer * callers["transfers"][mine] + churn.broken_promise * (callers["broken"][mine] > 0)
                    + churn.per_message * callers["messages"][mine])
            self.expected_churn += float(np.sum(np.minimum(prob, churn.max)))

    def result(self) -> dict[str, float]:
        """Settle every caller still open; the caller metrics
        (:data:`queuesim.measure.metrics.CALLER_METRICS`) and ``expected_churn``."""
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


class JourneyTally:
    """Sums behind :func:`queuesim.measure.metrics.journey_metrics` (departments), one chunk of calls at a time.

    A caller counts when their first call (``attempt == 1``) arrives in
    ``[window_start, window_end)``; all their calls count then, whenever they
    come: transfers, total hold, agent time (the work rows of their calls) and
    whether some call resolved their issue. As in :class:`CallerTally`, the
    callers counted that may still call again are held *open* (their ids and
    whether they were resolved) until the engine says they are complete
    (``settled``). Legs count when they start in the window; agent work counts
    where it happens, by the agent's group.

    :meth:`add` takes a chunk of the call log with the legs and work rows of
    its calls (call column: the calls' ``id``); any split of a replication into
    chunks gives the same counts, and sums equal up to float rounding.
    """

    def __init__(
        self, *, window_start: float, window_end: float, group_names: list[str], agent_groups: list[int]
    ) -> None:
        self.window_start, self.window_end = window_start, window_end
        self.group_names = list(group_names)
        self._group_of = np.asarray(agent_groups, dtype=np.int64)
        n_groups = len(self.group_names)
        # callers
        self._ids = np.empty(0, dtype=np.int64)  # open counted callers, sorted
        self._resolved = np.empty(0, dtype=bool)  # ... already counted as resolved
        self.callers = 0
        self.resolved = 0
        self.first_contact = 0  # first calls resolved without a transfer
        self.transfers = 0
        self.hold = 0.0  # s, over every call of the callers counted
        self.agent_time = 0.0  # s, work on the calls of the callers counted
        # legs
        self.legs = 0  # legs seen (whether or not they started in the window)
        self.moved = 0  # legs after a transfer started in the window
        self.moved_abandoned = 0
        self.started = np.zeros(n_groups, dtype=np.int64)
        self.started_abandoned = np.zeros(n_groups, dtype=np.int64)
        self.started_answered = np.zeros(n_groups, dtype=np.int64)
        self.answered_wait = [0.0] * n_groups  # s
        self.busy = [0.0] * n_groups  # agent-seconds in the window

    def add(
        self, calls: CallLog, legs: Optional[np.ndarray], work: Optional[np.ndarray], settled: Optional[int] = None
    ) -> None:
        """Tally a chunk: its calls, their legs ``(call, group, start, end, agent, outcome)`` and their
        work ``(agent, start, end, call, kind)``; callers with ids in ``[0, settled)`` are complete
        (None: unknown, they stay open)."""
        start, end = self.window_start, self.window_end
        legs = np.empty((0, 6)) if legs is None else legs
        work = np.empty((0, 5)) if work is None else work
        first = (calls.attempt == 1) & (calls.arrival >= start) & (calls.arrival < end)
        new = distinct(calls.caller[first])  # a caller's first call comes once
        self.callers += int(new.size)
        ids = np.concatenate((self._ids, new))
        flags = np.concatenate((self._resolved, np.zeros(new.size, dtype=bool)))
        order = np.argsort(ids, kind="stable")
        ids, flags = ids[order], flags[order]
        if ids.size:
            mine = np.isin(calls.caller, ids)
            resolved = calls.resolved
            self.first_contact += int((first & resolved & (calls.transfers == 0)).sum())
            self.transfers += int(calls.transfers[mine].sum())
            self.hold += float(np.sum(np.where(np.isfinite(calls.wait[mine]), calls.wait[mine], 0.0)))
            if work.size:
                index = work[:, 3].astype(np.int64) - (int(calls.id[0]) if len(calls) else 0)
                in_mine = mine[index]
                self.agent_time += float(np.sum(work[in_mine, 2] - work[in_mine, 1]))
            now_resolved = distinct(calls.caller[mine & resolved])
            if now_resolved.size:
                at = np.searchsorted(ids, now_resolved)
                fresh = ~flags[at]
                self.resolved += int(np.count_nonzero(fresh))
                flags[at] = True
        if settled is not None:
            keep = (ids < 0) | (ids >= settled)
            ids, flags = ids[keep], flags[keep]
        self._ids, self._resolved = ids, flags
        if legs.size:
            self.legs += legs.shape[0]
            call = legs[:, 0].astype(np.int64)  # every leg of a call is in the same chunk
            order = np.lexsort((legs[:, 2], call))
            later = np.zeros(len(legs), dtype=bool)
            later[order[1:]] = call[order[1:]] == call[order[:-1]]  # not the call's first leg: after a transfer
            started = (legs[:, 2] >= start) & (legs[:, 2] < end)
            moved = later & started
            self.moved += int(np.count_nonzero(moved))
            self.moved_abandoned += int(np.count_nonzero(legs[moved, 5] == 1))
            wait = legs[:, 3] - legs[:, 2]
            for g in range(len(self.group_names)):
                here = started & (legs[:, 1] == g)
                answered = here & (legs[:, 5] == 0)
                self.started[g] += int(np.count_nonzero(here))
                self.started_abandoned[g] += int(np.count_nonzero(legs[here, 5] == 1))
                self.started_answered[g] += int(np.count_nonzero(answered))
                self.answered_wait[g] += float(np.sum(wait[answered]))
        if work.size:
            groups = self._group_of[work[:, 0].astype(np.int64)]
            for g in range(len(self.group_names)):
                rows = groups == g
                self.busy[g] += overlap(work[rows, 1], work[rows, 2], start, end)

    def result(self, *, staffed_by_group: list[float]) -> dict[str, float]:
        """The metrics of :data:`queuesim.measure.metrics.JOURNEY_METRICS` and per group ``asa[group=g]``,
        ``abandonment_rate[group=g]`` (legs that started in the window; absent when there was no leg)
        and ``occupancy[group=g]`` (``staffed_by_group``: agent-seconds on duty in the window, per group)."""
        out: dict[str, float] = {}
        n, n_resolved = self.callers, self.resolved
        if n:
            out.update(
                transfer_rate=float(self.transfers) / n,
                first_contact_resolution=self.first_contact / n,
                journey_wait=self.hold / n,
                agent_time_per_resolved=self.agent_time / n_resolved if n_resolved else math.nan,
                journey_abandonment_rate=1.0 - n_resolved / n,
            )
        else:
            out.update(dict.fromkeys(("transfer_rate", "first_contact_resolution", "journey_wait",
                                      "agent_time_per_resolved", "journey_abandonment_rate"), math.nan))
        if self.legs:
            out["transfer_abandonment_rate"] = self.moved_abandoned / self.moved if self.moved else math.nan
            for g, name in enumerate(self.group_names):
                answered, here = int(self.started_answered[g]), int(self.started[g])
                out[f"asa[group={name}]"] = self.answered_wait[g] / answered if answered else math.nan
                out[f"abandonment_rate[group={name}]"] = int(self.started_abandoned[g]) / here if here else math.nan
        else:
            out["transfer_abandonment_rate"] = math.nan
        for g, name in enumerate(self.group_names):
            staffed = staffed_by_group[g]
            out[f"occupancy[group={name}]"] = self.busy[g] / staffed if staffed > 0 else math.nan
        return out
