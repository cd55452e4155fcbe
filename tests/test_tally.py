"""Chunked tallies give the metrics of the whole log; the engine's streamed log is the log."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuesim import load_config, simulate
from queuesim.measure.calllog import CallLog
from queuesim.engine import CHUNK, simulate_calls
from queuesim.measure.metrics import interval_table
from queuesim.rng import RandomStreams
from queuesim.measure.tally import CallTally, IntervalTally, WaitHistogram


def _contract(arrivals: int):
    scenario = load_config("configs/erlang-a.yaml").scenarios[0]
    return scenario.model_copy(update={"horizon": arrivals / scenario.arrivals.rate})


waits = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e7, allow_nan=False)), min_size=1, max_size=400
)


@settings(max_examples=150, deadline=None)
@given(values=waits, p=st.floats(min_value=0.0, max_value=1.0))
def test_histogram_quantile_is_within_its_resolution(values: list[float], p: float) -> None:
    """Every histogram quantile lies between the order statistics around it, widened by
    one bin (0.1 % relative): the interpolation error can never exceed the bin width."""
    x = np.sort(np.asarray(values))
    h = WaitHistogram()
    h.add(x)
    q = float(h.quantiles([p])[0])
    rank = p * (x.size - 1)
    lo, hi = x[int(math.floor(rank))], x[int(math.ceil(rank))]
    assert lo * (1 - 2 ** -10) - 1e-12 <= q <= hi * (1 + 2 ** -10) + 1e-12
    assert float(h.quantiles([0.0])[0]) == x[0] and float(h.quantiles([1.0])[0]) == x[-1]


def test_histogram_quantiles_of_a_large_sample_match_numpy() -> None:
    x = np.random.default_rng(1).exponential(30.0, 200_000)
    x[:50_000] = 0.0  # an atom at zero, as for calls answered at once
    h = WaitHistogram()
    for part in np.array_split(x, 7):
        h.add(part)
    p = np.linspace(0, 1, 101)
    exact = np.quantile(x, p)
    np.testing.assert_allclose(h.quantiles(p), exact, rtol=2 ** -10, atol=1e-12)


def test_histogram_nonfinite_and_empty_give_nan() -> None:
    h = WaitHistogram()
    assert np.isnan(h.quantiles([0.5])).all()
    h.add(np.array([1.0, np.nan]))
    assert np.isnan(h.quantiles([0.5])).all()


@pytest.mark.parametrize("pieces", [2, 5, 31])
def test_chunked_tallies_equal_the_whole_log(pieces: int) -> None:
    scenario = _contract(20_000)
    calls = simulate(scenario, seed=4).calls
    assert calls is not None
    window = dict(window_start=scenario.warmup, window_end=float(scenario.horizon), threshold=20.0)
    whole, chunked = CallTally(**window), CallTally(**window)
    whole.add(calls)
    edges = np.linspace(0, len(calls), pieces + 1).astype(int)
    for a, b in zip(edges[:-1], edges[1:]):
        chunked.add(calls.select((np.arange(len(calls)) >= a) & (np.arange(len(calls)) < b)))
    one, many = whole.result(staffed_time=1e6), chunked.result(staffed_time=1e6)
    assert one.keys() == many.keys()
    for key in one:
        assert many[key] == pytest.approx(one[key], rel=1e-12, nan_ok=True), key

    boundaries = np.arange(0.0, float(scenario.horizon) + 1800.0, 1800.0)
    table = IntervalTally(boundaries=boundaries, threshold=20.0)
    for a, b in zip(edges[:-1], edges[1:]):
        table.add(calls.select((np.arange(len(calls)) >= a) & (np.arange(len(calls)) < b)))
    empty = np.empty((0, 3))
    got = table.result(duty_starts=np.zeros(100), duty_ends=np.full(100, np.inf), overtime=empty)
    want = interval_table(calls, boundaries=boundaries, duty_starts=np.zeros(100), duty_ends=np.full(100, np.inf),
                          overtime=empty, threshold=20.0)
    for key in want:
        # busy and hold time are differences of cumulative sums over ~10^4 calls: ~1e-12 rounding
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=key)


def test_streamed_log_is_the_log_and_memory_follows_the_calls_in_the_system() -> None:
    """The engine hands over chunks of finished calls: glued together they are exactly the
    log of an engine that keeps everything, and it never holds much more than CHUNK calls."""
    scenario = _contract(int(2.5 * CHUNK))
    whole = simulate_calls(scenario, RandomStreams(9, 0)).calls
    chunks: list[CallLog] = []
    output = simulate_calls(scenario, RandomStreams(9, 0), on_calls=lambda chunk: chunks.append(chunk.calls))
    assert len(chunks) >= 2, "the run was meant to stream"
    assert all(len(c) <= CHUNK for c in chunks) and len(output.calls) <= CHUNK
    streamed = CallLog.concatenate(chunks + [output.calls])
    assert streamed.columns == whole.columns
    for name in whole.columns:
        np.testing.assert_array_equal(getattr(streamed, name), getattr(whole, name), err_msg=name)


def test_keeping_the_log_does_not_change_the_numbers() -> None:
    scenario = _contract(int(1.5 * CHUNK))
    kept = simulate(scenario, seed=2, keep_calls=True)
    dropped = simulate(scenario, seed=2, keep_calls=False)
    assert dropped.calls is None and kept.calls is not None
    assert kept.summary == dropped.summary
    assert kept.intervals == dropped.intervals and kept.wait_quantiles == dropped.wait_quantiles
