"""Reference models timed beside queuesim in the same run.

``simpy_reference`` is the idiomatic SimPy model of a single FCFS queue with
reneging: one process per call, ``yield request | timeout(patience)``, as in
SimPy's own "bank renege" example. It draws its random numbers up front with
numpy so that its cost is the SimPy modelling style, not the sampling.
"""

from __future__ import annotations

import numpy as np
import simpy


def simpy_reference(
    rate: float, handle_mean: float, patience_mean: float, agents: int, horizon: float, seed: int = 1
) -> dict[str, float]:
    """Simulate M/M/n+M over ``[0, horizon)`` (seconds); return counts and mean wait."""
    rng = np.random.default_rng(seed)
    expected = int(rate * horizon * 1.1 + 100)
    gaps = rng.exponential(1.0 / rate, expected).tolist()
    handles = rng.exponential(handle_mean, expected).tolist()
    patiences = rng.exponential(patience_mean, expected).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    waits: list[float] = []
    abandoned = [0]

    def caller(handle: float, patience: float):
        arrived = env.now
        with desk.request() as request:
            result = yield request | env.timeout(patience)
            waits.append(env.now - arrived)
            if request in result:
                yield env.timeout(handle)
            else:
                abandoned[0] += 1

    def source():
        i = 0
        while True:
            yield env.timeout(gaps[i])
            if env.now >= horizon:
                return
            env.process(caller(handles[i], patiences[i]))
            i += 1

    env.process(source())
    env.run()
    return {"arrivals": float(len(waits)), "abandoned": float(abandoned[0]), "mean_wait": float(np.mean(waits))}


def ciw_reference(
    rate: float, handle_mean: float, patience_mean: float, agents: int, horizon: float, seed: int = 1
) -> dict[str, float]:
    """The same M/M/n+M queue in Ciw (optional: raises ImportError when Ciw is absent)."""
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / handle_mean)],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / patience_mean)],
        number_of_servers=[agents],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    records = sim.get_all_records()
    served = sum(1 for r in records if r.record_type == "service")
    reneged = sum(1 for r in records if r.record_type == "renege")
    total = served + reneged
    return {"arrivals": float(total), "abandoned": float(reneged), "mean_wait": float("nan")}
