"""What each extra point of service level costs: requirements at several service-level targets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from .requirements import requirements, resolve_scenario
from .simulated import Simulator, demand, target_types
from .schedule import schedule
from .targets import StaffingError, Target, parse_targets

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model.spec import Experiment
    from ..model.scenario import Scenario

__all__ = ["DEFAULT_LEVELS", "tradeoff"]

DEFAULT_LEVELS = (0.6, 0.7, 0.8, 0.9, 0.95)


def tradeoff(
    model: Union["Scenario", "Experiment", str, Path],
    targets: Union[str, Target, Sequence[Union[str, Target]]],
    levels: Sequence[float] = DEFAULT_LEVELS,
    *,
    confidence: float = 0.95,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    scenario: Optional[str] = None,
    templates: Optional[Any] = None,
    shortage_penalty: Optional[float] = None,
    executor: str = "serial",
    workers: Optional[int] = None,
    cache: Optional[dict] = None,
    search: str = "iterative",
) -> "pd.DataFrame":
    """Agent-hours and cost of meeting the targets with the service-level target at each of ``levels``.

    The other targets stay as given; ``targets`` must contain a service-level
    target for all callers (its threshold is kept; targets for a call type stay as given). One row per level: ``service_level``,
    agent-hours by ``erlang_c``/``erlang_a``/``simulated``, ``cost_*`` (agent-hours
    x ``costs.agent_per_hour``; NaN without a price), with ``templates`` also
    ``schedule_cost`` (the least-cost shifts covering the simulated
    requirement), and ``runtime`` (s). All levels share one simulator and one
    cache of simulated staffings (common random numbers throughout); pass the
    ``cache`` given to :func:`requirements` to reuse its simulations. ``search``:
    as for :func:`requirements`.
    """
    import pandas as pd

    began = time.perf_counter()
    sc, default_seed, default_reps = resolve_scenario(model, scenario)
    seed = default_seed if seed is None else int(seed)
    replications = default_reps if replications is None else int(replications)
    parsed = parse_targets(targets if not isinstance(targets, (str, Target)) else [targets], sc.service_level_threshold)
    base = next((t for t in parsed if t.metric == "service_level" and t.call_type is None), None)
    if base is None:
        raise StaffingError("a trade-off curve varies the service-level target for all callers: give one, e.g. "
                            "'service_level>=0.8@20s'")
    others = [t for t in parsed if t is not base]
    d = demand(sc)
    rows = []
    cache = {} if cache is None else cache
    with Simulator(seed, replications, d.starts, executor=executor, workers=workers,
                   types=target_types(sc, parsed)) as sim:
        for level in sorted(float(x) for x in levels):
            t0 = time.perf_counter()
            these = [Target("service_level", level, base.threshold), *others]
            req = requirements(sc, these, confidence=confidence, replications=replications, seed=seed,
                               simulator=sim, cache=cache, search=search, check_erlang_a=False)
            row: dict[str, Any] = {"service_level": level}
            for method in ("erlang_c", "erlang_a", "simulated"):
                row[f"{method}_hours"] = req.agent_hours(method)
            for method in ("erlang_c", "erlang_a", "simulated"):
                cost = req.cost(method)
                row[f"cost_{method}"] = float("nan") if cost is None else cost
            if templates is not None:
                plan = schedule(req, templates, shortage_penalty=shortage_penalty)
                row["schedule_cost"] = plan.cost
                row["schedule_hours"] = plan.agent_hours
                row["schedule_short_intervals"] = len(plan.uncovered)
            row["runtime"] = time.perf_counter() - t0
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["runtime"] = time.perf_counter() - began
    frame.attrs["threshold"] = base.threshold
    frame.attrs["currency"] = sc.costs.currency if sc.costs is not None else ""
    frame.attrs["other_targets"] = [str(t) for t in others]
    return frame
