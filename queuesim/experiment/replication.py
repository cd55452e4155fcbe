"""One replication: scenario + seed -> call log -> metrics.

This is the seam between the experiment layer (which never imports SimPy)
and the engine (which never computes a metric).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

import numpy as np

from ..engine import AgentTable, CallChunk, EngineOutput, Process, simulate_calls
from ..measure.calllog import CallLog
from ..measure.agents import agent_metrics, attrition_costs
from ..measure.costs import cost_sums, costs_from_sums
from ..measure.metrics import CALLER_METRICS
from ..measure.tally import CallerTally, CallTally, IntervalTally, JourneyTally, time_integral
from ..model.scenario import Scenario
from ..rng import RandomStreams

if TYPE_CHECKING:  # pragma: no cover
    from ..model.spec import Experiment

__all__ = ["TYPE_METRICS", "NonFiniteResult", "ReplicationResult", "simulate"]

#: Metrics also reported per call type, as ``metric[type]``, when a scenario has several types.
TYPE_METRICS = ("offered", "answered", "abandoned", "abandonment_rate", "asa", "mean_wait", "service_level", "wait_p90")


@dataclass(frozen=True)
class ReplicationResult:
    """Outcome of one replication.

    ``summary`` maps each metric of :data:`queuesim.measure.metrics.METRICS` to its
    value; ``calls`` is the call log (``None`` when not kept); ``runtime`` is
    the wall-clock time of the simulation in seconds.
    """

    scenario: str
    seed: int
    replication: int
    summary: dict[str, float]
    calls: Optional[CallLog] = field(default=None, repr=False)
    runtime: float = 0.0
    intervals: Optional[dict[str, list[float]]] = field(default=None, repr=False)
    """Per-interval table (column name -> values, one per interval), when the scenario has intervals."""
    wait_quantiles: Optional[list[float]] = field(default=None, repr=False)
    """Quantiles of the wait (time on hold, s) of counted calls at 0, 1, ..., 100 %: the hold-time
    distribution of the replication in 101 numbers (average them over replications for a CDF)."""
    agents: Optional[AgentTable] = field(default=None, repr=False)
    """One row per agent (:class:`~queuesim.engine.staff_side.AgentTable`), with a ``staff`` block or
    ``simulate(..., agent_records=True)``. :meth:`to_dict` keeps its per-agent columns (not the duty stretches),
    so a result folder's ``agents.csv`` survives a resume."""

    def to_record(self) -> dict[str, Any]:
        """A flat, JSON-friendly dictionary (no call log)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replication": self.replication,
            "runtime": self.runtime,
            **self.summary,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything but the call log, as JSON-friendly data (see :meth:`from_dict`)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replication": self.replication,
            "runtime": self.runtime,
            "summary": dict(self.summary),
            "intervals": None if self.intervals is None else {k: list(v) for k, v in self.intervals.items()},
            "wait_quantiles": None if self.wait_quantiles is None else list(self.wait_quantiles),
            **({} if self.agents is None else {"agents": agent_columns_json(self.agents)}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReplicationResult":
        """Rebuild a result written by :meth:`to_dict` (JSON null -> NaN in metrics)."""
        summary = {k: (math.nan if v is None else float(v)) for k, v in data["summary"].items()}
        intervals = data.get("intervals")
        if intervals is not None:
            intervals = {k: [math.nan if v is None else v for v in vals] for k, vals in intervals.items()}
        return cls(
            scenario=str(data["scenario"]),
            seed=int(data["seed"]),
            replication=int(data["replication"]),
            summary=summary,
            runtime=float(data.get("runtime", 0.0)),
            intervals=intervals,
            wait_quantiles=data.get("wait_quantiles"),
            agents=None if data.get("agents") is None else agent_table_from_json(data["agents"]),
        )


#: dtypes of the per-agent columns read back from JSON (the others are float64).
_AGENT_DTYPES = {"group": np.int16, "absent": bool, "calls": np.int64, "breaks_delayed": np.int64}


def agent_columns_json(table: AgentTable) -> dict[str, list[Any]]:
    """The per-agent columns of ``table`` as JSON-friendly lists (NaN as None)."""
    out: dict[str, list[Any]] = {}
    for name in AgentTable.COLUMNS:
        values = getattr(table, name)
        if values.dtype.kind == "f":
            out[name] = [None if math.isnan(v) else v for v in values.tolist()]
        elif values.dtype.kind == "b":
            out[name] = values.astype(np.int64).tolist()  # 0/1: the result file's numbers are numbers
        else:
            out[name] = values.tolist()
    return out


def agent_table_from_json(columns: dict[str, list[Any]]) -> AgentTable:
    """An :class:`AgentTable` from :func:`agent_columns_json` (without its duty stretches)."""
    arrays = {}
    for name in AgentTable.COLUMNS:
        dtype = _AGENT_DTYPES.get(name, np.float64)
        values = columns[name]
        arrays[name] = np.array([math.nan if v is None else v for v in values] if dtype is np.float64 else values,
                                dtype=dtype)
    return AgentTable(**arrays, duty=np.empty((0, 3)))


class NonFiniteResult(ValueError):
    """A replication whose calls or metrics came out NaN or infinite: a failure, never a silent null."""


def _check_finite(scenario: str, replication: int, summary: dict[str, float], nonfinite_waits: int) -> None:
    """Raise :class:`NonFiniteResult` when waits are NaN/infinite or a metric is infinite.

    A metric may be NaN when it is undefined (no answered call: no ``asa``),
    but never infinite; and a wait that is not finite means a duration was
    not finite, which would silently leave ``mean_wait`` and the quantiles
    empty.
    """
    where = f"scenario {scenario!r}, replication {replication}"
    if nonfinite_waits:
        raise NonFiniteResult(
            f"{where}: {nonfinite_waits} call(s) had a NaN or infinite wait (a duration distribution gave "
            "non-finite samples); check the scenario's distributions"
        )
    infinite = [name for name, value in summary.items() if isinstance(value, float) and math.isinf(value)]
    if infinite:
        raise NonFiniteResult(
            f"{where}: metric {infinite[0]} is infinite ({len(infinite)} metric(s) in all); "
            "check the scenario's prices and durations"
        )


def _as_scenario(model: Union[Scenario, "Experiment"]) -> Scenario:
    if isinstance(model, Scenario):
        return model
    scenarios = getattr(model, "scenarios", None)
    if scenarios is not None:
        if len(scenarios) != 1:
            names = ", ".join(s.name for s in scenarios)
            raise ValueError(
                f"this experiment has {len(scenarios)} scenarios ({names}); "
                "pass one of experiment.scenarios to simulate(), or use queuesim.run()"
            )
        return scenarios[0]
    raise TypeError(f"simulate() needs a Scenario or a single-scenario Experiment, got {type(model).__name__}")


class _Tally:
    """Everything a replication reports that can be summed chunk by chunk of its call log."""

    def __init__(self, scenario: Scenario, boundaries: np.ndarray, keep: bool) -> None:
        window = dict(window_start=scenario.warmup, window_end=float(scenario.horizon))  # type: ignore[arg-type]
        threshold = scenario.service_level_threshold
        self.window = window
        self.window_bounds = np.array([scenario.warmup, float(scenario.horizon)])  # type: ignore[arg-type]
        lines = scenario.lines is not None
        self.calls = CallTally(**window, threshold=threshold, redials=scenario.redial is not None, lines=lines)
        names = scenario.type_names()
        self.types = [CallTally(**window, threshold=threshold, lines=lines) for _ in names] if len(names) > 1 else []
        self.intervals = IntervalTally(boundaries=boundaries, threshold=threshold, blocking=lines)
        self.departments = bool(scenario.groups)
        # departments: journeys, and agent busy time from the work table (seconds in the window)
        self.journeys = JourneyTally(
            **window, group_names=[g.name for g in scenario.groups or ()], agent_groups=scenario.agent_groups(),
        ) if self.departments else None
        self.busy_time = 0.0
        self.costs = scenario.costs
        self.cost_sums: Optional[dict[str, float]] = None
        churn = self.costs.churn if self.costs is not None and self.costs.churn.lifetime_value > 0 else None
        # callers followed over their calls: caller metrics (redials) and churn
        self.callers = CallerTally(**window, churn=churn) if (scenario.redial is not None or churn) else None
        self.kept: Optional[list[CallLog]] = [] if keep else None

    def add_chunk(self, chunk: CallChunk) -> None:
        """A chunk handed over by the engine while it runs."""
        self.add(chunk.calls, chunk.settled, legs=chunk.legs, work=chunk.work, extra_work=chunk.extra_work)

    def add(
        self,
        calls: CallLog,
        settled: Optional[int] = None,
        *,
        legs: Optional[np.ndarray] = None,
        work: Optional[np.ndarray] = None,
        extra_work: Optional[np.ndarray] = None,
    ) -> None:
        """Calls in call order; callers with ids in ``[0, settled)`` are complete (None: unknown).
        Departments: ``legs`` and ``work``, the rows of these calls (see :class:`~queuesim.engine.EngineOutput`);
        ``extra_work``: agent work outside the calls (callback dialling), counted unless a work table has it."""
        self.calls.add(calls)
        for tally, of_type in zip(self.types, calls.by_type() if self.types else ()):
            tally.add(of_type)
        self.intervals.add(calls, busy=not self.departments)
        broken = calls.unreached if calls.callback is not None else None
        if self.callers is not None:
            self.callers.add(calls, settled, transfers=calls.transfers, broken=broken)
        if self.costs is not None:
            sums = cost_sums(calls, self.costs, **self.window, churn=False)
            if self.cost_sums is None:
                self.cost_sums = sums
            else:
                for key, value in sums.items():
                    self.cost_sums[key] += value
        if self.journeys is not None:
            self.journeys.add(calls, legs, work, settled)
            if work is not None and work.size:  # busy time from the work table, not the calls' answer..end
                self.busy_time += float(time_integral(work[:, 1], work[:, 2], self.window_bounds)[0])
                self.intervals.add_extra_work(work)
        elif extra_work is not None and extra_work.size:  # with a work table, the extra work is part of it
            self.calls.add_extra_work(extra_work)
            self.intervals.add_extra_work(extra_work)
        if self.kept is not None:
            self.kept.append(calls)

    def log(self) -> Optional[CallLog]:
        """The whole call log, when kept."""
        return CallLog.concatenate(self.kept) if self.kept else None


def _boundaries(scenario: Scenario, duty_starts: np.ndarray) -> np.ndarray:
    """Edges (s) of the report intervals: whole intervals from the first arrival or shift to the horizon."""
    horizon = float(scenario.horizon)  # type: ignore[arg-type]
    step = scenario.interval_length()
    first = min(rf.grid[0] for rf in scenario.rate_functions())
    if duty_starts.size:
        first = min(first, float(duty_starts.min()))
    first = step * np.floor(first / step)
    n_intervals = max(int(np.ceil((horizon - first) / step - 1e-9)), 1)
    return first + step * np.arange(n_intervals + 1)


def _duty_as_it_happened(scenario: Scenario, output: EngineOutput) -> Optional[np.ndarray]:
    """The engine's ``(agent, start, end)`` stretches on duty when the agent side changed them (absence, breaks
    delayed to a call's end, idle agents logging off first), else None: the scheduled duty periods hold."""
    staff = scenario.staff
    if staff is None or output.agents is None or not staff.any_change():
        return None
    return output.agents.duty


def simulate(
    model: Union[Scenario, "Experiment"],
    seed: Optional[int] = None,
    *,
    replication: int = 0,
    keep_calls: bool = True,
    processes: Sequence[Process] = (),
    on_progress: Optional[Callable[[float], None]] = None,
    fast_paths: bool = True,
    agent_records: bool = False,
) -> ReplicationResult:
    """Simulate one replication and return its metrics (and call log).

    ``model`` is a :class:`Scenario` or an experiment with a single scenario
    (as returned by :func:`queuesim.load_config`). ``seed`` defaults to the
    experiment's seed (0 for a bare scenario). Replication ``r`` uses the
    random streams of replication ``r``, the same in every scenario (common
    random numbers). With ``keep_calls=False`` the call log is tallied as the
    engine hands it over and then dropped, so memory stays bounded however
    many calls are simulated. ``processes``: your own SimPy processes, run
    inside the centre (a function of a :class:`~queuesim.engine.CentreControl`
    returning a generator; see :mod:`queuesim.engine.control`).
    ``on_progress(t)`` is called while the engine runs with the simulated time
    ``t`` (s) reached, about every 65,536 calls (it does not change any result).
    ``fast_paths=False`` simulates one pool of agents on the department centre, as a single group, instead
    of a one-pool fast path: the same numbers, bit for bit, more slowly (see
    :func:`queuesim.engine.build_centre`). ``agent_records=True`` keeps one row per agent (``agents`` of the
    result) without a ``staff`` block (which keeps them anyway): the same numbers.
    """
    scenario = _as_scenario(model)
    if seed is None:
        seed = int(getattr(model, "seed", 0))
    streams = RandomStreams(seed, replication)
    horizon = float(scenario.horizon)  # type: ignore[arg-type]
    window = np.array([scenario.warmup, horizon])
    periods = [p for agent in scenario.duty_periods() for p in agent]
    duty_starts = np.array([p[0] for p in periods], dtype=np.float64)
    duty_ends = np.array([p[1] for p in periods], dtype=np.float64)
    tally = _Tally(scenario, _boundaries(scenario, duty_starts), keep=keep_calls)

    def with_progress(chunk: CallChunk) -> None:
        tally.add_chunk(chunk)
        if len(chunk.calls.arrival):
            on_progress(float(chunk.calls.arrival.max()))

    on_calls = tally.add_chunk if on_progress is None else with_progress
    started = time.perf_counter()
    output = simulate_calls(scenario, streams, on_calls=on_calls, processes=processes, fast_paths=fast_paths,
                            agent_records=agent_records)
    runtime = time.perf_counter() - started
    tally.add(output.calls, legs=output.legs, work=output.work, extra_work=output.extra_work)
    calls = tally.log()
    callers = tally.callers.result() if tally.callers is not None else None

    overtime = output.overtime
    duty_rows = _duty_as_it_happened(scenario, output)
    if duty_rows is not None:  # absence, late breaks, people swapping places: the duty the engine saw
        duty_starts, duty_ends = duty_rows[:, 1].copy(), duty_rows[:, 2].copy()
    staffed = float(time_integral(duty_starts, duty_ends, window)[0])
    if overtime.size:
        staffed += float(time_integral(overtime[:, 1], overtime[:, 2], window)[0])

    # departments: agent busy time from the work table (all work, holding the line included)
    summary = tally.calls.result(staffed_time=staffed, busy_time=tally.busy_time if tally.departments else None)
    if tally.journeys is not None:
        agent_groups = scenario.agent_groups()
        staffed_by_group = []
        by_agent = scenario.duty_periods()
        if duty_rows is not None:
            by_agent = [[] for _ in by_agent]
            for agent, start, end in duty_rows.tolist():
                by_agent[int(agent)].append((start, end))
        for g in range(len(scenario.groups)):
            mine = [p for a, agent in enumerate(by_agent) if agent_groups[a] == g for p in agent]
            s0 = np.array([p[0] for p in mine]) if mine else np.empty(0)
            s1 = np.array([p[1] for p in mine]) if mine else np.empty(0)
            staffed_by_group.append(float(time_integral(s0, s1, window)[0]) if mine else 0.0)
        summary.update(tally.journeys.result(staffed_by_group=staffed_by_group))
    summary["overtime"] = float(np.sum(overtime[:, 2] - overtime[:, 1])) if overtime.size else 0.0
    if scenario.costs is not None:
        assert tally.cost_sums is not None
        if callers is not None:
            tally.cost_sums["expected_churn"] = callers["expected_churn"]
        attrition = (attrition_costs(output.agents, scenario.costs.attrition)
                     if output.agents is not None and scenario.costs.attrition is not None else None)
        summary.update(costs_from_sums(tally.cost_sums, scenario.costs, paid_agent_seconds=staffed,
                                       attrition=attrition))
    if output.agents is not None and scenario.staff is not None:
        summary.update(agent_metrics(output.agents))
    if scenario.redial is not None:
        assert callers is not None
        summary.update({name: callers[name] for name in CALLER_METRICS})
    for k, type_name in enumerate(scenario.type_names() if tally.types else ()):
        part = tally.types[k].result(staffed_time=0.0)
        for metric in TYPE_METRICS:
            summary[f"{metric}[{type_name}]"] = part[metric]

    table = tally.intervals.result(duty_starts=duty_starts, duty_ends=duty_ends, overtime=overtime)
    intervals = {name: column.tolist() for name, column in table.items()}
    waits = tally.calls.waits
    _check_finite(scenario.name, replication, summary, waits.nonfinite)
    quantiles = waits.quantiles(np.linspace(0.0, 1.0, 101)).tolist() if waits.n and not waits.nonfinite else None
    return ReplicationResult(
        scenario=scenario.name,
        seed=streams.seed,
        replication=replication,
        summary=summary,
        calls=calls if keep_calls else None,
        runtime=runtime,
        intervals=intervals,
        wait_quantiles=quantiles,
        agents=output.agents,
    )
