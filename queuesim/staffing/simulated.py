"""A day simulated with a staffing: the intervals and their demand, the staffed scenario, and what a staffing
search measures of it.

:func:`demand` cuts the day into the scenario's intervals with each interval's mix (with departments,
:func:`group_demands`: each group's own call types). :func:`staffed` puts a number of agents on duty in
every cell (the intervals of one pool, or every group's intervals one group after the other);
:class:`Simulator` simulates it over replications with common random numbers and returns each cell's
per-interval metrics (:func:`interval_table`, :func:`group_interval_tables`), and a call type's own when a
target names it.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from ..engine import simulate_calls
from ..experiment.executors import default_workers
from ..experiment.replication import _boundaries, _duty_as_it_happened, simulate
from ..measure.tally import IntervalTally, time_integral
from ..model.groups import AgentGroup
from ..model.scenario import Scenario, Staffing
from ..model.shifts import on_duty, shifts_on_duty
from ..rng import RandomStreams
from .targets import METRICS, TYPE_METRICS, StaffingError, Target

__all__ = [
    "Demand",
    "SIM_METRICS",
    "Simulator",
    "cell_demand",
    "demand",
    "group_demands",
    "group_interval_tables",
    "home_groups",
    "interval_table",
    "staffed",
    "target_types",
]

#: Per-interval metrics that targets can name (all in the simulator's per-interval table).
SIM_METRICS = tuple(METRICS)


@dataclass(frozen=True)
class Demand:
    """The day cut into staffing intervals, with each interval's mix.

    ``start`` (s, from midnight) of the first interval, ``length`` (s) of each;
    per interval: expected ``calls``, arrival ``rate`` (/s), mean ``handle_time``
    and mean ``patience`` (s, ``inf`` = never abandons) of the mix.
    """

    start: float
    length: float
    calls: tuple[float, ...]
    rate: tuple[float, ...]
    handle_time: tuple[float, ...]
    patience: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.calls)

    @property
    def starts(self) -> list[float]:
        return [self.start + k * self.length for k in range(self.n)]

    @property
    def offered_load(self) -> list[float]:
        return [r * h for r, h in zip(self.rate, self.handle_time)]


def demand(scenario: Scenario, types: Optional[Sequence[int]] = None) -> Demand:
    """Intervals of the scenario (its profile's, else ``report_interval``/30 min) and their mix.

    ``types``: indices of the call types counted (default all); the intervals are the scenario's whichever
    types are counted, so that every group's demand (:func:`group_demands`) is on the same intervals.
    """
    step = scenario.interval_length()
    rfs = scenario.rate_functions()
    horizon = float(scenario.horizon)  # type: ignore[arg-type]
    first = step * math.floor(min(rf.grid[0] for rf in rfs) / step + 1e-9)
    n = max(int(math.ceil((horizon - first) / step - 1e-9)), 1)
    handles = [h.expectation() for h in scenario.type_handle_times()]
    patiences = [math.inf if p is None else p.expectation() for p in scenario.type_patience()]
    chosen = range(len(rfs)) if types is None else sorted(set(types))
    calls, rate, handle, patience = [], [], [], []
    for k in range(n):
        a, b = first + k * step, min(first + (k + 1) * step, horizon)
        c = [rfs[t].expected_in(a, b) if t in chosen else 0.0 for t in range(len(rfs))]
        total = sum(c)
        calls.append(total)
        rate.append(total / (b - a))
        if total > 0:
            handle.append(sum(ci * h for ci, h in zip(c, handles)) / total)
            inf = any(ci > 0 and math.isinf(p) for ci, p in zip(c, patiences))
            patience.append(math.inf if inf else sum(ci * p for ci, p in zip(c, patiences) if ci > 0) / total)
        else:
            handle.append(float(np.average(handles)))
            patience.append(math.inf)
    return Demand(first, step, tuple(calls), tuple(rate), tuple(handle), tuple(patience))


def home_groups(scenario: Scenario) -> list[int]:
    """Each call type's home group (the first of its ``groups``): the group whose requirement answers for
    the type's callers, whichever group's agent ends up answering them (overflow, transfers)."""
    return [served[0] for served in scenario.type_groups()]


def group_demands(scenario: Scenario) -> list[Demand]:
    """One :class:`Demand` per group of a scenario with departments: the mix of the call types it is home
    to, on the scenario's intervals (no calls for a group that is no type's home)."""
    home = home_groups(scenario)
    return [demand(scenario, [t for t, h in enumerate(home) if h == g]) for g in range(len(scenario.groups or ()))]


def as_configured(scenario: Scenario, group: AgentGroup) -> AgentGroup:
    """The group as its config has it, with the scenario's ``shrinkage`` and ``shift_adjust`` applied to its
    counts (the same agents on duty, bit for bit, in a scenario without them)."""
    def rounded(n: int) -> int:
        return on_duty(n, scenario.shrinkage)  # as duty_periods rounds

    if group.agents is not None:
        return group.model_copy(update={"agents": rounded(group.agents)})
    if group.staffing is not None:
        return group.model_copy(update={"staffing": group.staffing.model_copy(
            update={"agents": tuple(rounded(a) for a in group.staffing.agents)})})
    adjusted = scenario.adjusted(group.shifts) or ()
    present = shifts_on_duty([s.count for s in adjusted], scenario.shrinkage)  # as duty_periods rounds
    shifts = tuple(s.model_copy(update={"count": n}) for s, n in zip(adjusted, present))
    return group.model_copy(update={"shifts": shifts})


def misrouted_to(scenario: Scenario, d: Demand) -> np.ndarray:
    """(groups x intervals) whether callers of another type can be sent to the group by mistake
    (``misroute.to``) in the interval: such a group needs agents to find out even without callers of its own."""
    names = [g.name for g in scenario.groups or ()]
    out = np.zeros((len(names), d.n), dtype=bool)
    for t, call_type in enumerate(scenario.call_types or ()):
        if call_type.misroute is not None and call_type.misroute.probability > 0:
            out[names.index(call_type.misroute.to)] |= np.asarray(demand(scenario, [t]).calls) > 0
    return out


def configured_agents(scenario: Scenario, d: Demand) -> list[list[int]]:
    """Agents each group's config has on duty in each interval of ``d`` (the interval's mean, rounded;
    after shrinkage)."""
    bounds = np.array([d.start + k * d.length for k in range(d.n + 1)])
    periods = scenario.duty_periods()
    groups = np.asarray(scenario.agent_groups())
    out = []
    for g in range(len(scenario.groups or ())):
        mine = [p for a, agent in enumerate(periods) if groups[a] == g for p in agent]
        starts = np.array([p[0] for p in mine], dtype=float)
        ends = np.array([p[1] for p in mine], dtype=float)
        on_duty = time_integral(starts, ends, bounds) / d.length if mine else np.zeros(d.n)
        out.append([int(math.floor(x + 0.5)) for x in on_duty])
    return out



# --------------------------------------------------------------------------
# simulation of a staffing
# --------------------------------------------------------------------------


def staffed(scenario: Scenario, d: Demand, agents: Sequence[int], threshold: Optional[float] = None) -> Scenario:
    """The scenario with ``agents[k]`` agents on duty in interval ``k`` of ``d`` (no shrinkage).

    With departments, ``agents`` holds every group's staffing one after the other (group by group, in the
    order of ``groups``, ``d.n`` intervals each); a group that is no call type's home keeps its config's
    agents, staffing or shifts (:func:`as_configured`), whatever ``agents`` says for it.
    """
    update: dict[str, Any] = {"shift_adjust": None, "shrinkage": 0.0}
    if scenario.groups:
        n = d.n
        if len(agents) != n * len(scenario.groups):
            raise StaffingError(f"agents: give one number per interval ({n}) and group ({len(scenario.groups)}), "
                                f"got {len(agents)}")
        homed = set(home_groups(scenario))
        update["groups"] = tuple(
            g.model_copy(update={"agents": None, "shifts": None, "staffing": Staffing(
                interval=d.length, start=d.start, agents=tuple(int(a) for a in agents[i * n:(i + 1) * n]))})
            if i in homed else as_configured(scenario, g)
            for i, g in enumerate(scenario.groups))
    else:
        update.update(staffing=Staffing(interval=d.length, start=d.start, agents=tuple(int(a) for a in agents)),
                      agents=None, shifts=None)
    if threshold is not None:
        update["service_level_threshold"] = float(threshold)
    return scenario.model_copy(update=update)


class _TypeTallies:
    """Per-interval caller metrics of some call types, each on its own (for targets naming a call type)."""

    def __init__(self, types: Sequence[int], boundaries: np.ndarray, threshold: float) -> None:
        self.tallies = {k: IntervalTally(boundaries=boundaries, threshold=threshold) for k in types}

    def add(self, calls: Any) -> None:
        if not self.tallies:
            return
        by_type = calls.by_type()
        for k, tally in self.tallies.items():
            tally.add(by_type[k], busy=False)

    def results(self, into: Optional[dict[int, dict[str, np.ndarray]]]) -> None:
        if into is None:
            return
        empty = np.empty(0)
        for k, tally in self.tallies.items():
            into[k] = tally.result(duty_starts=empty, duty_ends=empty, overtime=np.empty((0, 3)))


def interval_table(scenario: Scenario, seed: int, replication: int, types: Sequence[int] = (),
                   type_tables: Optional[dict[int, dict[str, np.ndarray]]] = None) -> dict[str, np.ndarray]:
    """The per-interval table of one replication, as :func:`~queuesim.experiment.replication.simulate` reports
    it (the same numbers, bit for bit), without the day's other metrics, which a staffing search never reads:
    the engine's calls go straight to the interval tally. Scenarios with departments go through ``simulate``.
    ``types``: call types whose own per-interval caller metrics go into ``type_tables`` (type index -> table)."""
    if scenario.groups:
        return simulate(scenario, seed, replication=replication, keep_calls=False).intervals or {}
    streams = RandomStreams(seed, replication)
    periods = [p for agent in scenario.duty_periods() for p in agent]
    duty_starts = np.array([p[0] for p in periods], dtype=np.float64)
    duty_ends = np.array([p[1] for p in periods], dtype=np.float64)
    boundaries = _boundaries(scenario, duty_starts)
    tally = IntervalTally(boundaries=boundaries, threshold=scenario.service_level_threshold,
                          blocking=scenario.lines is not None)
    by_type = _TypeTallies(types, boundaries, scenario.service_level_threshold)

    def add(calls: Any, extra_work: Optional[np.ndarray]) -> None:
        tally.add(calls, busy=True)
        by_type.add(calls)
        if extra_work is not None and extra_work.size:  # callback dialling: agent work outside the calls
            tally.add_extra_work(extra_work)

    output = simulate_calls(scenario, streams, on_calls=lambda chunk: add(chunk.calls, chunk.extra_work))
    add(output.calls, output.extra_work)
    rows = _duty_as_it_happened(scenario, output)
    if rows is not None:  # the agent side changed the duty (absence, late breaks): the duty the engine saw
        duty_starts, duty_ends = rows[:, 1].copy(), rows[:, 2].copy()
    by_type.results(type_tables)
    return tally.result(duty_starts=duty_starts, duty_ends=duty_ends, overtime=output.overtime)


def group_interval_tables(scenario: Scenario, seed: int, replication: int, types: Sequence[int] = (),
                          type_tables: Optional[dict[int, dict[str, np.ndarray]]] = None
                          ) -> list[dict[str, np.ndarray]]:
    """Per group of a scenario with departments, the per-interval table of one replication (the columns of
    :func:`interval_table`), for the group's own callers and agents.

    A group's callers are those of the call types it is home to (:func:`home_groups`), whoever answered
    them: their waits over all legs (overflow, transfers) and outcomes count for their home group. Its
    occupancy and agents on duty are those of its own agents, whatever they worked on (misrouted calls,
    overflow from other groups, warm transfers held). ``types`` and ``type_tables``: as for
    :func:`interval_table`.
    """
    streams = RandomStreams(seed, replication)
    home = np.asarray(home_groups(scenario), dtype=np.int64)
    agent_group = np.asarray(scenario.agent_groups(), dtype=np.int64)
    n_groups = len(scenario.groups or ())
    rows = [(a, p[0], p[1]) for a, agent in enumerate(scenario.duty_periods()) for p in agent]
    duty = np.array(rows, dtype=np.float64).reshape(-1, 3)
    boundaries = _boundaries(scenario, duty[:, 1].copy())
    tallies = [IntervalTally(boundaries=boundaries, threshold=scenario.service_level_threshold,
                             blocking=scenario.lines is not None)
               for _ in range(n_groups)]
    by_type = _TypeTallies(types, boundaries, scenario.service_level_threshold)

    def add(calls: Any, work: Optional[np.ndarray]) -> None:
        by_type.add(calls)
        group_of_call = home[calls.call_type]
        group_of_work = agent_group[work[:, 0].astype(np.int64)] if work is not None and work.size else None
        for g, tally in enumerate(tallies):
            tally.add(calls.select(group_of_call == g), busy=False)
            if group_of_work is not None:
                tally.add_extra_work(work[group_of_work == g])

    output = simulate_calls(scenario, streams, on_calls=lambda chunk: add(chunk.calls, chunk.work))
    add(output.calls, output.work)
    happened = _duty_as_it_happened(scenario, output)
    if happened is not None:  # the agent side changed the duty: the duty the engine saw
        duty = happened
    overtime = output.overtime
    by_type.results(type_tables)
    tables = []
    for g, tally in enumerate(tallies):
        mine = agent_group[duty[:, 0].astype(np.int64)] == g
        extra = overtime[agent_group[overtime[:, 0].astype(np.int64)] == g] if overtime.size else overtime
        tables.append(tally.result(duty_starts=duty[mine, 1].copy(), duty_ends=duty[mine, 2].copy(), overtime=extra))
    return tables


def _interval_rows(scenario: Scenario, seed: int, replication: int, starts: Sequence[float],
                   types: Sequence[int] = ()) -> np.ndarray:
    """(rows x cells) array of one replication, aligned on ``starts``: the cells are the intervals, or with
    departments every group's intervals one group after the other; the rows :data:`SIM_METRICS`, offered,
    agents, then for each of ``types`` its own :data:`~.targets.TYPE_METRICS` (NaN outside the cells of
    its home group)."""
    by_type: dict[int, dict[str, np.ndarray]] = {}
    tables = group_interval_tables(scenario, seed, replication, types, by_type) if scenario.groups else [
        interval_table(scenario, seed, replication, types, by_type)]
    n = len(starts)
    home = home_groups(scenario) if scenario.groups else [0] * len(scenario.type_names())
    out = np.full((len(SIM_METRICS) + 2 + len(TYPE_METRICS) * len(types), n * len(tables)), np.nan)

    def put(table: dict[str, np.ndarray], rows: list[tuple[int, str]], g: int) -> None:
        index = {round(float(s), 6): k for k, s in enumerate(table.get("interval_start", []))}
        for j, s in enumerate(starts):
            k = index.get(round(s, 6))
            if k is not None:
                for i, metric in rows:
                    if metric in table:  # (blocking_rate: only with lines)
                        out[i, g * n + j] = table[metric][k]

    for g, table in enumerate(tables):
        put(table, [*enumerate(SIM_METRICS), (len(SIM_METRICS), "offered"), (len(SIM_METRICS) + 1, "agents")], g)
    first = len(SIM_METRICS) + 2
    for q, k in enumerate(types):
        put(by_type[k], [(first + q * len(TYPE_METRICS) + i, m) for i, m in enumerate(TYPE_METRICS)], home[k])
    return out


def _batch(args: tuple[Scenario, int, Sequence[int], Sequence[float], Sequence[int]]) -> list[np.ndarray]:
    scenario, seed, reps, starts, types = args
    return [_interval_rows(scenario, seed, r, starts, types) for r in reps]


class Simulator:
    """Simulates scenarios over replications ``first..first+R-1`` (common random numbers), serially or on processes.

    ``run(scenario)`` returns a dict metric -> array (replications x cells),
    plus ``"offered"`` (calls offered, redials included) and ``"agents"`` (mean agents on duty), and for each
    call type in ``types`` (``(index, name)``) its own caller metrics as ``"metric[name]"``.
    """

    def __init__(self, seed: int, replications: int, starts: Sequence[float], *,
                 executor: str = "serial", workers: Optional[int] = None, first_replication: int = 0,
                 types: Sequence[tuple[int, str]] = ()) -> None:
        self.types = [int(k) for k, _ in types]
        self.type_keys = [f"{m}[{name}]" for _, name in types for m in TYPE_METRICS]
        if executor not in ("serial", "processes"):
            raise StaffingError(f"executor {executor!r} is not known; choose serial or processes")
        self.seed, self.replications, self.starts = int(seed), int(replications), list(starts)
        self.first = int(first_replication)
        self.pool: Optional[ProcessPoolExecutor] = None
        self.workers = 1
        if executor == "processes":
            self.workers = min(workers or default_workers(), self.replications)
            if self.workers > 1:
                self.pool = ProcessPoolExecutor(max_workers=self.workers)
        self.days = 0

    def run(self, scenario: Scenario) -> dict[str, np.ndarray]:
        reps = list(range(self.first, self.first + self.replications))
        if self.pool is None:
            rows = _batch((scenario, self.seed, reps, self.starts, self.types))
        else:
            chunks = [reps[i::self.workers] for i in range(self.workers)]
            parts = list(self.pool.map(_batch, [(scenario, self.seed, c, self.starts, self.types) for c in chunks]))
            by_rep = {r: row for c, part in zip(chunks, parts) for r, row in zip(c, part)}
            rows = [by_rep[r] for r in reps]
        self.days += len(reps)
        stacked = np.stack(rows)  # reps x rows x cells
        out = {metric: stacked[:, i, :] for i, metric in enumerate(SIM_METRICS)}
        out["offered"] = stacked[:, len(SIM_METRICS), :]
        out["agents"] = stacked[:, len(SIM_METRICS) + 1, :]
        for i, key in enumerate(self.type_keys):
            out[key] = stacked[:, len(SIM_METRICS) + 2 + i, :]
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def target_types(scenario: Scenario, targets: Sequence[Target]) -> list[tuple[int, str]]:
    """``(index, name)`` of each call type a target names, in the scenario's order; a one-line
    :class:`StaffingError` for a name that is not one of the scenario's call types, or for a blocking target
    on a scenario without ``lines``."""
    names = scenario.type_names()
    named = []
    for t in targets:
        if t.metric == "blocking_rate" and scenario.lines is None:
            raise StaffingError(f"target {t}: the scenario has no 'lines' limit, so no call is ever blocked; "
                                "set 'lines' (the calls the centre can hold at once) or drop the target")
        if t.call_type is not None and t.call_type not in names:
            raise StaffingError(f"target {t}: {t.call_type!r} is not a call type of the scenario; choose among "
                                f"{', '.join(names)}")
        if t.call_type is not None:
            named.append(t.call_type)
    return [(k, name) for k, name in enumerate(names) if name in named]


def cell_demand(scenario: Scenario, d: Demand) -> Demand:
    """The demand of every cell a staffing search sets: ``d`` itself for one pool; with departments, every
    group's demand (:func:`group_demands`) one group after the other (``calls``, ``rate``, ... of length
    groups x intervals; ``start`` and ``length`` are ``d``'s, so its ``starts`` are not the cells')."""
    if not scenario.groups:
        return d
    parts = group_demands(scenario)
    return Demand(d.start, d.length, *(tuple(x for part in parts for x in getattr(part, name))
                                       for name in ("calls", "rate", "handle_time", "patience")))
