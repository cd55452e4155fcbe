"""The engine's event loops against SimPy's own ``env.run()``, and the SimPy internals the kernel relies on.

queuesim schedules most events straight onto SimPy's heap and runs the heap
with its own loops (:mod:`queuesim.engine.kernel`). Two things keep that
honest: the private names of SimPy it reads must still mean what it assumes
(checked here against ``Timeout`` and ``Environment.step`` of the installed
SimPy), and every model must give the same call log, bit for bit, whether run
by the fast loops or by ``env.run()`` with every arrival an event on the heap
(the plain model then goes through the general code path, not its own).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import simpy
from simpy.events import NORMAL, Timeout

from queuesim.engine import build_centre
from queuesim.engine.kernel import Kernel, Timer
from queuesim.rng import RandomStreams

sys.path.insert(0, str(Path(__file__).parent))
from test_streaming import HOLDING, MODELS, _departments, _flagship, _holding, _scenario, _transfers  # noqa: E402


def test_simpy_internals_are_what_the_kernel_assumes() -> None:
    """A Timeout's heap entry is (now + delay, NORMAL, next id, event); step() pops the smallest key,
    sets the clock and calls the callbacks; the kernel's keys and timers sort and fire the same way."""
    env = simpy.Environment()
    assert isinstance(env._queue, list) and isinstance(env._eid, itertools.count) and env._now == 0
    kernel = Kernel(env)
    assert kernel.heap is env._queue and kernel.eid is env._eid
    fired: list[tuple[str, float]] = []
    t1 = Timeout(env, 5.0, value="timeout")
    t1.callbacks.append(lambda e: fired.append((e.value, env.now)))
    assert env._queue[0][:2] == (5.0, NORMAL) and env._queue[0][3] is t1
    kernel.later(5.0, "timer", [lambda e: fired.append((e.value, env.now))])  # same time, later id: after
    kernel.later(2.0, "early", [lambda e: fired.append((e.value, env.now))])
    key = kernel.key(5.0)
    assert key[0] == 5.0 and key[1] == NORMAL and key[2] > env._queue[0][2]
    timer = Timer()
    timer.callbacks = [lambda e: fired.append(("pushed", env.now))]
    kernel.push(key, timer)
    env.run()
    assert fired == [("early", 2.0), ("timeout", 5.0), ("timer", 5.0), ("pushed", 5.0)]
    assert kernel.now == env.now == 5.0
    with pytest.raises(ValueError):
        kernel.later(-1.0, None, [])


def _models():
    for name in sorted(MODELS):
        yield name, _scenario(name)
    for k, sc in enumerate(_flagship()):
        yield f"flagship/{sc.name}", sc
    for k, sc in enumerate(_transfers()):
        yield f"transfers/{sc.name}", sc
    yield "departments", _departments(False)
    yield "departments, long timers", _departments(True)
    for name in sorted(HOLDING):
        yield f"departments+{name}", _holding(name)


MODEL_LIST = list(_models())


@pytest.mark.parametrize("name, scenario", MODEL_LIST, ids=[m[0] for m in MODEL_LIST])
def test_fast_loops_give_the_call_log_of_env_run(name: str, scenario) -> None:
    fast = build_centre(scenario, RandomStreams(4, 0)).run("fast")
    reference = build_centre(scenario, RandomStreams(4, 0)).run("reference")
    assert len(fast.calls) > 100
    for column in fast.calls.columns:
        assert np.array_equal(getattr(fast.calls, column), getattr(reference.calls, column), equal_nan=True), column
    for table in ("overtime", "extra_work", "legs", "work"):
        a, b = getattr(fast, table), getattr(reference, table)
        assert (a is None and b is None) or np.array_equal(a, b), table


def test_reference_loop_is_really_simpy() -> None:
    """The reference run goes through Environment.step for every event (so it is a real yardstick)."""
    scenario = _scenario("plain")
    centre = build_centre(scenario, RandomStreams(4, 0))
    steps = 0
    original = centre.env.step

    def step() -> None:
        nonlocal steps
        steps += 1
        original()

    centre.env.step = step  # type: ignore[method-assign]
    out = centre.run("reference")
    answered = int(np.sum(out.calls.agent >= 0))
    assert steps >= len(out.calls) + answered  # every arrival and every end of service
    with pytest.raises(ValueError, match="loop"):
        build_centre(scenario, RandomStreams(4, 0)).run("slow")
