"""How many agents each interval needs: Erlang C, Erlang A (or X), then simulation of the whole day.

The analytic answers treat each interval as a stationary queue of its own
(the *pointwise stationary* approximation): Erlang C ignores abandonment,
Erlang A uses exponential patience with the interval's mean patience. With
several call types the interval's mix is used: total rate, rate-weighted mean
handle time, rate-weighted mean patience (infinite if any type with calls in
the interval never abandons).

When the scenario has redials or a finite number of ``lines``, Erlang X
(:mod:`queuesim.analytic.erlangx`: Erlang A with blocking, and redials by the
fixed point on the attempt rate) gives the starting point instead: redials add
load that Erlang A does not see.

None carries a backlog from one interval into the next, so after a sharp
peak they understaff. :func:`requirements` therefore refines the Erlang A (X)
staffing by simulating the whole day with per-interval staffing and common
random numbers (replication ``r`` uses the same callers for every candidate
staffing). An interval meets a target when the one-sided confidence bound
over replications does (the lower bound of a service level, the upper bound
of an abandonment rate, ASA, ...). Two searches (:mod:`.search`):

* ``iterative`` (default): rounds that re-staff every interval at once from
  Erlang A calibrated on the simulated day, then agents taken from several
  intervals at once where that keeps every target met;
* ``greedy``: add agents where a target is missed, then remove single agents,
  largest slack first, keeping a removal only if every interval still meets
  every target: no single agent can then be removed without breaking one.

Either way the result meets every target in every interval (at the stated
confidence, for these replications). Staffings are cached, so no staffing is
simulated twice.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np
from scipy import special

from ..analytic import erlang_a_metrics, erlang_x_metrics
from ..analytic.erlang import _smallest_meeting as smallest_meeting
from ..model.config import load_config
from ..model.scenario import Scenario
from ..model.shifts import on_duty as shrunk
from ..model.units import format_clock
from .search import SEARCHES, IntervalModel, greedy_search, iterative_search
from .simulated import (
    Demand, Simulator, cell_demand, configured_agents, demand, group_demands, home_groups, misrouted_to, staffed,
    target_types,
)
from .targets import StaffingError, Target, check_reachable, parse_targets

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model.spec import Experiment

__all__ = [
    "GroupRequirements",
    "IntervalCheck",
    "Requirements",
    "analytic_agents",
    "evaluate_staffing",
    "requirements",
    "resolve_scenario",
]

# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def resolve_scenario(model: Union[Scenario, "Experiment", str, Path], scenario: Optional[str] = None,
                     overrides: Iterable[str] = ()) -> tuple[Scenario, int, int]:
    """``(scenario, seed, replications)`` from a Scenario, an Experiment or a config path.

    With several scenarios, ``scenario`` picks one by name (default: the first, the baseline).
    """
    if isinstance(model, (str, Path)):
        model = load_config(model, overrides)
    if isinstance(model, Scenario):
        return model, 0, 10
    scenarios = getattr(model, "scenarios", None)
    if scenarios is None:
        raise TypeError(f"expected a Scenario, an Experiment or a config path, got {type(model).__name__}")
    chosen = model.scenario(scenario) if scenario is not None else scenarios[0]
    return chosen, int(model.seed), int(model.replications)


# --------------------------------------------------------------------------
# analytic requirement
# --------------------------------------------------------------------------


def _analytic_value(metric: str, m: Any) -> float:
    return {
        "service_level": m.service_level,
        "abandonment_rate": m.p_abandon,
        "asa": m.asa,
        "mean_wait": m.mean_wait,
        "occupancy": m.occupancy,
        "blocking_rate": getattr(m, "p_block", 0.0),  # (Erlang A and C: no lines, nothing blocked)
    }[metric]


def analytic_agents(rate: float, handle_time: float, patience: float, targets: Sequence[Target],
                    *, model: str = "A", lines: Optional[int] = None, redial_probability: float = 0.0,
                    max_attempts: int = 1) -> int:
    """Fewest agents meeting every target in a stationary M/M/n+M (``model="A"``), M/M/n (``"C"``) or
    Erlang X (``"X"``: ``lines`` calls at most in the centre, blocked and abandoned callers redialling with
    ``redial_probability`` up to ``max_attempts`` attempts) queue.

    ``rate`` per second (first attempts for Erlang X); ``handle_time`` and ``patience`` in seconds
    (``inf``: never abandon). Erlang C ignores patience: its abandonment is 0, so an abandonment target
    only asks for stability (agents > load). Erlang X's metrics are per attempt, as the simulated
    per-interval table's. Returns 0 when no call arrives.
    """
    if rate <= 0:
        return 0
    pat = math.inf if model == "C" else patience
    load = rate * handle_time

    def metrics(n: int, threshold: float) -> Any:
        if model == "X":
            return erlang_x_metrics(rate, handle_time, pat, n, lines, threshold,
                                    redial_probability=redial_probability, max_attempts=max_attempts)
        return erlang_a_metrics(rate, handle_time, pat, n, threshold=threshold)

    def meets(n: int) -> bool:
        if math.isinf(pat) and load >= n and (model != "X" or lines is None):
            return False
        for t in targets:
            threshold = t.threshold if t.threshold is not None else 20.0
            if not t.met(_analytic_value(t.metric, metrics(n, threshold))):
                return False
        return True

    cap = int(math.ceil(100 * load + 100))
    if model == "X" and lines is not None and lines < cap:
        cap = lines  # more agents than lines cannot all be busy
        if not meets(cap):
            raise StaffingError(
                f"Erlang X: targets {', '.join(map(str, targets))} are not met even with as many agents as "
                f"lines ({lines}); raise 'lines'")
    try:
        return smallest_meeting(meets, 0, max(1, int(math.ceil(load))), cap, f"Erlang {model}")
    except ValueError:
        raise StaffingError(
            f"Erlang {model}: targets {', '.join(map(str, targets))} are not met by any staffing up to "
            f"{cap} agents (load {load:.3g} Erlangs); they are unreachable"
        ) from None


@dataclass(frozen=True)
class IntervalCheck:
    """Simulated metrics of one staffing, per target and interval.

    ``mean[t][k]`` mean over replications, ``bound[t][k]`` the one-sided
    confidence bound that must meet target ``t`` (lower for ``>=`` targets,
    upper for ``<=``), ``half_width[t][k]`` of the two-sided CI at the same
    level; ``met[k]`` whether interval ``k`` meets every target.
    """

    targets: tuple[Target, ...]
    mean: dict[str, np.ndarray]
    bound: dict[str, np.ndarray]
    half_width: dict[str, np.ndarray]
    met_by_target: dict[str, np.ndarray]
    met: np.ndarray
    slack: np.ndarray

    @property
    def all_met(self) -> bool:
        return bool(np.all(self.met))

    def failing(self) -> list[int]:
        return [int(k) for k in np.flatnonzero(~self.met)]


def check(values: dict[str, np.ndarray], targets: Sequence[Target], confidence: float,
          active: Optional[np.ndarray] = None) -> IntervalCheck:
    """Whether each interval meets each target at ``confidence`` (one-sided Student-t bound)."""
    any_values = next(iter(values.values()))
    n_int = any_values.shape[1]
    active = np.ones(n_int, dtype=bool) if active is None else active
    mean, bound, half, met_t = {}, {}, {}, {}
    met = np.ones(n_int, dtype=bool)
    slack = np.full(n_int, np.inf)
    for t in targets:
        x = values[t.key]
        finite = np.isfinite(x)
        n = finite.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(n > 0, np.nansum(np.where(finite, x, 0.0), axis=0) / np.maximum(n, 1), np.nan)
            dev = np.where(finite, x - m, 0.0)
            sd = np.sqrt(np.where(n > 1, (dev**2).sum(axis=0) / np.maximum(n - 1, 1), 0.0))
            df = np.maximum(n - 1, 1)
            one = np.where(n > 1, special.stdtrit(df, confidence) * sd / np.sqrt(np.maximum(n, 1)), 0.0)
            two = np.where(n > 1, special.stdtrit(df, 0.5 + confidence / 2) * sd / np.sqrt(np.maximum(n, 1)), np.nan)
        b = m - one if t.higher_is_better else m + one
        ok = np.array([t.met(float(v)) for v in b]) | ~active
        mean[t.key], bound[t.key], half[t.key], met_t[t.key] = m, b, two, ok
        met &= ok
        margin = np.array([t.margin(float(v)) for v in b])
        slack = np.minimum(slack, np.where(active, margin, np.inf))
    return IntervalCheck(tuple(targets), mean, bound, half, met_t, met, slack)


def evaluate_staffing(scenario: Scenario, agents: Sequence[int], targets: Sequence[Union[str, Target]], *,
                      replications: int = 20, seed: int = 0, confidence: float = 0.95,
                      first_replication: int = 0) -> IntervalCheck:
    """Simulate the scenario with ``agents[k]`` agents in each of its intervals and check the targets
    (replications ``first_replication ...``; NaN-free means in ``.mean``)."""
    targets = parse_targets(targets, scenario.service_level_threshold)
    d = demand(scenario)
    cells = cell_demand(scenario, d)
    if len(agents) != cells.n:
        raise StaffingError(f"agents: give one number per interval ({d.n}), got {len(agents)}"
                            if not scenario.groups else
                            f"agents: give one number per interval ({d.n}) and group ({len(scenario.groups)}), "
                            f"got {len(agents)}")
    sim = Simulator(seed, replications, d.starts, first_replication=first_replication,
                    types=target_types(scenario, targets))
    values = sim.run(staffed(scenario, d, agents, _threshold(targets)))
    return check(values, targets, confidence, np.asarray(cells.calls) > 0)


def interval_models(d: Demand, values: dict[str, np.ndarray], threshold: Optional[float],
                    lines: Optional[int] = None) -> list[IntervalModel]:
    """Each interval's Erlang A model for the iterative search: the *simulated* offered rate (mean calls
    offered over the replications, redials included; the demand's where none were offered), the demand
    mix's handle time and patience. ``lines`` (a blocking target only): the models' blocking is Erlang X's
    with that many lines."""
    offered = np.nanmean(values["offered"], axis=0) / d.length
    return [IntervalModel(float(o) if np.isfinite(o) and o > 0 else r, h, p, threshold or 20.0, lines=lines)
            for o, r, h, p in zip(offered, d.rate, d.handle_time, d.patience)]


def _threshold(targets: Sequence[Target]) -> Optional[float]:
    return next((t.threshold for t in targets if t.metric == "service_level"), None)


# --------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------


@dataclass
class Requirements:
    """Agents required per interval by Erlang C, Erlang A and simulation (agents on duty).

    ``scheduled`` is the simulated requirement in scheduled agents (with the
    scenario's shrinkage: the fewest m with round(m x (1 - shrinkage)) >= the
    requirement). ``erlang_a_check`` and ``check`` are the simulated metrics of
    the Erlang A staffing and of the final one. ``runtime`` is wall-clock
    seconds; ``evaluations`` staffings were simulated (``days`` simulated days).
    """

    scenario: Scenario
    demand: Demand
    targets: tuple[Target, ...]
    confidence: float
    replications: int
    seed: int
    erlang_c: list[int]
    erlang_a: list[int]
    simulated: list[int]
    erlang_a_check: Optional[IntervalCheck]
    check: IntervalCheck
    runtime: float
    evaluations: int
    days: int
    history: list[tuple[str, int, int, bool]] = field(default_factory=list, repr=False)
    """the search's steps: (action, interval, agents afterwards, accepted); actions add, remove, restaff, skip"""
    erlang_x: Optional[list[int]] = None
    """Erlang X per interval (scenarios with redials or lines: the search's starting point), else None"""
    group: Optional[str] = None
    """With departments: the group this requirement is for (a part of :class:`GroupRequirements`)"""

    @property
    def interval_start(self) -> list[float]:
        return self.demand.starts

    @property
    def scheduled(self) -> list[int]:
        return [scheduled_agents(n, self.scenario.shrinkage) for n in self.simulated]

    def agent_hours(self, method: str = "simulated") -> float:
        """Agent-hours on duty of a method's requirement (``erlang_c``, ``erlang_a``, ``simulated``, ``scheduled``)."""
        return float(sum(getattr(self, method))) * self.demand.length / 3600.0

    @property
    def agent_per_hour(self) -> Optional[float]:
        costs = self.scenario.costs
        return None if costs is None or not costs.agent_per_hour else float(costs.agent_per_hour)

    @property
    def currency(self) -> str:
        return self.scenario.costs.currency if self.scenario.costs is not None else ""

    def cost(self, method: str = "simulated") -> Optional[float]:
        """Agent-hours x ``costs.agent_per_hour`` (None without a price); scheduled hours for ``simulated``."""
        price = self.agent_per_hour
        if price is None:
            return None
        hours = self.agent_hours("scheduled" if method == "simulated" else method)
        return hours * price

    @property
    def required_scheduled(self) -> list[int]:
        """The simulated requirement in scheduled agents (before shrinkage): the same as :attr:`scheduled`."""
        return self.scheduled

    def to_frame(self) -> "pd.DataFrame":
        """One row per interval: ``interval_start`` (s), ``erlang_c``, ``erlang_a``, ``simulated`` (agents on
        duty), then ``clock``, ``calls``, ``offered_load``, ``required_scheduled`` (the simulated requirement
        in scheduled agents, before shrinkage) and whether the Erlang A staffing met the targets; with redials or
        ``lines``, ``erlang_x`` too (the search's starting point)."""
        import pandas as pd

        return pd.DataFrame({
            "interval_start": self.interval_start,
            "erlang_c": self.erlang_c,
            "erlang_a": self.erlang_a,
            "simulated": self.simulated,
            "clock": [format_clock(s) for s in self.interval_start],
            "calls": np.round(self.demand.calls, 3),
            "offered_load": np.round(self.demand.offered_load, 4),
            "required_scheduled": self.scheduled,
            "erlang_a_meets": (self.erlang_a_check.met if self.erlang_a_check is not None
                               else np.full(self.demand.n, None)),
            **({"erlang_x": self.erlang_x} if self.erlang_x is not None else {}),
        })

    def summary(self) -> str:
        """A few lines for people: totals per method, cost, runtime."""
        lines = method_totals(self)
        if self.erlang_a_check is not None:
            misses = (~self.erlang_a_check.met).sum()
            lines.append(f"  Erlang A staffing, simulated: misses a target in {misses} of {self.demand.n} intervals")
        lines.append(
            f"  search: {self.evaluations} staffings x {self.replications} replications "
            f"({self.days} simulated days) in {self.runtime:.1f} s"
        )
        return "\n".join(lines)


def method_totals(req: Any, detail: Callable[[str], str] = lambda _method: "") -> list[str]:
    """One line per method of a requirement (:class:`Requirements` or :class:`GroupRequirements`): its
    agent-hours on duty, cost and ``detail(method)``."""
    lines = []
    methods = [("erlang_c", "Erlang C"), ("erlang_a", "Erlang A")]
    methods += [("erlang_x", "Erlang X")] if req.erlang_x is not None else []
    for method, label in methods + [("simulated", "simulation")]:
        cost = req.cost(method)
        money = f", cost {cost:,.0f} {req.currency}".rstrip() if cost is not None else ""
        lines.append(f"  {label:<11} {req.agent_hours(method):8.1f} agent-hours{money}{detail(method)}")
    return lines


def group_frames(parts: dict[str, Any], method: str = "to_frame") -> "pd.DataFrame":
    """Every group's table (``parts[name].<method>()``) one after the other, with a ``group`` column first."""
    import pandas as pd

    frames = []
    for name, part in parts.items():
        frame = getattr(part, method)()
        frame.insert(0, "group", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _cells(check: IntervalCheck, part: slice) -> IntervalCheck:
    """The check of some of a search's cells (one group's intervals)."""
    return IntervalCheck(check.targets, *({k: v[part] for k, v in table.items()} for table in
                                          (check.mean, check.bound, check.half_width, check.met_by_target)),
                         check.met[part], check.slack[part])


@dataclass
class GroupRequirements:
    """Agents required per group and interval in a centre with departments (``groups``), from one search.

    The groups are staffed together: every simulated day has every group's staffing, so a group's
    requirement already counts the overflow it takes from other groups, the calls it receives by mistake and
    the transfers it makes and takes. A group answers for its own callers (the call types it is home to):
    each of its intervals meets every target for the callers of those types who arrived in it, over all
    their legs, whoever answered them; its occupancy is its own agents'. A group that is no type's home
    (named in ``fixed``) keeps its config's agents and is not part of the requirement. ``parts`` holds one
    :class:`Requirements` per group that is some type's home (its demand, Erlang C/A and simulated
    requirement, the checks); the totals add them up. In an interval where none of a group's own types
    call but other callers can reach it by mistake (``misroute.to``), the group keeps the agents its config
    has on duty then, at least one.
    """

    scenario: Scenario
    targets: tuple[Target, ...]
    confidence: float
    replications: int
    seed: int
    parts: dict[str, Requirements]
    fixed: tuple[str, ...]
    runtime: float
    evaluations: int
    days: int
    history: list[tuple[str, int, int, bool]] = field(default_factory=list, repr=False)
    """the search's steps, as :attr:`Requirements.history`; ``interval`` is a cell: group index x intervals +
    interval"""

    @classmethod
    def split(cls, whole: Requirements, d: Demand) -> "GroupRequirements":
        """The per-group view of a search over every group's cells (``whole``, cells group by group)."""
        sc = whole.scenario
        demands = group_demands(sc)
        parts, fixed = {}, []
        homed = set(home_groups(sc))
        for g, (group, part) in enumerate(zip(sc.groups or (), demands)):
            cells = slice(g * d.n, (g + 1) * d.n)
            if g not in homed:
                fixed.append(group.name)
                continue
            parts[group.name] = Requirements(
                scenario=sc, demand=part, targets=whole.targets, confidence=whole.confidence,
                replications=whole.replications, seed=whole.seed, erlang_c=whole.erlang_c[cells],
                erlang_a=whole.erlang_a[cells], simulated=whole.simulated[cells],
                erlang_a_check=None if whole.erlang_a_check is None else _cells(whole.erlang_a_check, cells),
                check=_cells(whole.check, cells), runtime=whole.runtime, evaluations=whole.evaluations,
                days=whole.days, erlang_x=None if whole.erlang_x is None else whole.erlang_x[cells], group=group.name)
        return cls(scenario=sc, targets=whole.targets, confidence=whole.confidence, replications=whole.replications,
                   seed=whole.seed, parts=parts, fixed=tuple(fixed), runtime=whole.runtime,
                   evaluations=whole.evaluations, days=whole.days, history=whole.history)

    @property
    def groups(self) -> list[str]:
        return list(self.parts)

    @property
    def interval_start(self) -> list[float]:
        return next(iter(self.parts.values())).interval_start

    @property
    def erlang_x(self) -> Optional[list[int]]:
        """Every group's Erlang X requirement one after the other (None without redials or lines)."""
        first = next(iter(self.parts.values()))
        return None if first.erlang_x is None else [x for p in self.parts.values() for x in (p.erlang_x or ())]

    @property
    def all_met(self) -> bool:
        return all(p.check.all_met for p in self.parts.values())

    @property
    def agent_per_hour(self) -> Optional[float]:
        return next(iter(self.parts.values())).agent_per_hour

    @property
    def currency(self) -> str:
        return next(iter(self.parts.values())).currency

    def agent_hours(self, method: str = "simulated") -> float:
        """Agent-hours on duty of a method's requirement, all groups together (see
        :meth:`Requirements.agent_hours`)."""
        return float(sum(p.agent_hours(method) for p in self.parts.values()))

    def cost(self, method: str = "simulated") -> Optional[float]:
        """Agent-hours x ``costs.agent_per_hour``, all groups together (None without a price)."""
        costs = [p.cost(method) for p in self.parts.values()]
        return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]

    def to_frame(self) -> "pd.DataFrame":
        """One row per group and interval: ``group``, then the columns of :meth:`Requirements.to_frame`."""
        return group_frames(self.parts)

    def summary(self) -> str:
        """A few lines for people: totals per method and per group, runtime."""
        lines = method_totals(self, lambda method: " (" + ", ".join(
            f"{name} {p.agent_hours(method):.1f}" for name, p in self.parts.items()) + ")")
        checks = [p.erlang_a_check for p in self.parts.values()]
        if all(c is not None for c in checks):
            misses = sum(int((~c.met).sum()) for c in checks)  # type: ignore[union-attr]
            cells = sum(p.demand.n for p in self.parts.values())
            lines.append(f"  Erlang A staffing, simulated: misses a target in {misses} of {cells} group-intervals")
        if self.fixed:
            lines.append(f"  kept as configured (no call type's home group): {', '.join(self.fixed)}")
        lines.append(
            f"  search: {self.evaluations} staffings x {self.replications} replications "
            f"({self.days} simulated days) in {self.runtime:.1f} s"
        )
        return "\n".join(lines)


def scheduled_agents(on_duty: int, shrinkage: float) -> int:
    """Fewest scheduled agents m with round(m x (1 - shrinkage)) >= ``on_duty`` (the engine's rounding)."""
    if on_duty <= 0:
        return 0
    keep = 1.0 - shrinkage
    m = max(on_duty, int(math.floor(on_duty / keep)) - 1)
    while shrunk(m, shrinkage) < on_duty:
        m += 1
    return m


# --------------------------------------------------------------------------
# the search
# --------------------------------------------------------------------------


def requirements(
    model: Union[Scenario, "Experiment", str, Path],
    targets: Union[str, Target, Sequence[Union[str, Target]]],
    *,
    confidence: float = 0.95,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    scenario: Optional[str] = None,
    start: Optional[Sequence[int]] = None,
    executor: str = "serial",
    workers: Optional[int] = None,
    max_evaluations: int = 2000,
    search: str = "iterative",
    check_erlang_a: bool = True,
    simulator: Optional[Simulator] = None,
    cache: Optional[dict] = None,
    progress: Optional[Callable[[str], None]] = None,
    on_step: Optional[Callable[[int, int, str], None]] = None,
) -> Union[Requirements, GroupRequirements]:
    """Fewest agents per interval meeting every target: Erlang C, Erlang A, and simulation-refined.

    ``model``: a Scenario, a single- or multi-scenario Experiment, or a config
    path (``scenario`` picks one by name). ``targets``: texts such as
    ``"service_level>=0.8@20s"``, ``"abandonment_rate<=0.05"``, ``"asa<=30s"``.
    ``confidence``: the one-sided confidence level (0.5 <= c < 1; 0.5 = the mean
    over replications must meet the target). ``replications``/``seed``: default
    the experiment's (10 and 0 for a bare scenario). ``start``: initial staffing
    for the search (default Erlang A; Erlang X when the scenario has redials or ``lines``). ``executor``: ``serial`` or ``processes``.
    ``search``: ``iterative`` (default: a few simulated staffings) or ``greedy``
    (one agent at a time; no single agent can be removed from its answer); see
    :mod:`queuesim.staffing.search`. ``check_erlang_a=False`` does not simulate
    the Erlang A staffing on its own (``erlang_a_check`` is then None).
    ``progress`` receives a line of text at each stage; ``on_step(evaluations,
    missing, phase)`` is called after every step of the search with the
    staffings simulated so far, the intervals the current staffing still
    misses a target in, and the phase (``"adding"`` agents where targets are
    missed, ``"trimming"`` agents where there is slack). ``history`` of the
    result lists the steps: ``(action, interval, agents, accepted)`` with
    action ``add``, ``remove`` (accepted: the removal was kept), ``restaff``
    (a round of the iterative search) or ``skip`` (a removal trimming did not
    simulate: the calibrated model says it misses).

    With departments (``groups``) the result is a :class:`GroupRequirements`: every group's requirement per
    interval from one search over all groups' intervals (``start``: every group's staffing, one group after
    the other; the cells of groups kept as configured keep their configured agents whatever ``start`` says).

    Raises :class:`StaffingError` for unreachable targets (before any
    simulation when theory already says so) or when the search exceeds its
    limits (a target that the simulated day cannot meet).
    """
    began = time.perf_counter()
    sc, default_seed, default_reps = resolve_scenario(model, scenario)
    seed = default_seed if seed is None else int(seed)
    replications = default_reps if replications is None else int(replications)
    if replications < 1:
        raise StaffingError(f"replications must be >= 1, got {replications}")
    if search not in SEARCHES:
        raise StaffingError(f"search {search!r} is not known; choose one of {', '.join(SEARCHES)}")
    if not 0.5 <= confidence < 1.0:
        raise StaffingError(f"confidence {confidence!r} must be in [0.5, 1): e.g. 0.95 (0.5 = the mean must meet the target)")
    targets = parse_targets(targets if not isinstance(targets, (str, Target)) else [targets],
                            sc.service_level_threshold)
    d = demand(sc)
    cells = cell_demand(sc, d)  # with departments: every group's intervals, one group after the other
    patience_finite = any(math.isfinite(p) for p, c in zip(cells.patience, cells.calls) if c > 0)
    check_reachable(targets, patience_finite=patience_finite)
    types = target_types(sc, targets)
    mix = [t for t in targets if t.call_type is None] or targets  # what Erlang can say of the interval's mix
    erlang_c = [analytic_agents(r, h, p, mix, model="C") for r, h, p in zip(cells.rate, cells.handle_time, cells.patience)]
    erlang_a = [analytic_agents(r, h, p, mix, model="A") for r, h, p in zip(cells.rate, cells.handle_time, cells.patience)]
    erlang_x = _erlang_x_requirement(sc, cells, mix)
    active = np.asarray(cells.calls) > 0
    lower = np.where(active, 1, 0)
    cap = np.maximum(3 * np.asarray(erlang_a) + 20, lower)
    if sc.lines is not None:  # more agents than lines can never all be busy: nothing improves beyond
        cap = np.maximum(np.minimum(cap, sc.lines), lower)
    labels: Sequence[Union[float, str]] = d.starts
    fixed = np.zeros(cells.n, dtype=bool)
    if sc.groups:
        # a group that is no type's home keeps the agents its config has on duty; so does (at least one agent)
        # a group's interval without callers of its own where other callers can reach it by mistake
        names = [g.name for g in sc.groups]
        homed = np.repeat([g in set(home_groups(sc)) for g in range(len(names))], d.n)
        configured = np.asarray(configured_agents(sc, d), dtype=int).ravel()
        reached = misrouted_to(sc, d).ravel() & ~active & homed
        configured = np.where(reached, np.maximum(configured, 1), configured)
        fixed = ~homed | reached
        lower = np.where(fixed, configured, lower)
        cap = np.where(fixed, configured, cap)
        labels = [f"group {names[g]}, interval {format_clock(s)}" for g in range(len(names)) for s in d.starts]
    threshold = _threshold(targets)
    say = progress or (lambda _msg: None)
    step_done = on_step or (lambda _n, _missing, _phase: None)

    own = simulator is None
    sim = simulator or Simulator(seed, replications, d.starts, executor=executor, workers=workers, types=types)
    if sim.types != [k for k, _ in types]:
        raise StaffingError("simulator: give it the call types the targets name (Simulator(..., types=...))")
    cache = {} if cache is None else cache
    history: list[tuple[str, int, int, bool]] = []
    evaluations = 0

    def simulated(agents: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal evaluations
        key = (tuple(int(a) for a in agents), threshold, seed, replications, tuple(sim.types))
        if key not in cache:
            if evaluations >= max_evaluations:
                raise StaffingError(f"the search stopped after {max_evaluations} simulated staffings without "
                                    "converging; relax the targets or raise max_evaluations")
            cache[key] = sim.run(staffed(sc, d, agents, threshold))
            evaluations += 1
        return cache[key]

    def run(agents: np.ndarray) -> tuple[IntervalCheck, dict[str, np.ndarray]]:
        values = simulated(agents)
        return check(values, targets, confidence, active), values

    blocking_lines = sc.lines if any(t.metric == "blocking_rate" for t in targets) else None

    def models(values: dict[str, np.ndarray]) -> list[IntervalModel]:
        return interval_models(cells, values, threshold, blocking_lines)

    try:
        first = np.asarray((erlang_x or erlang_a) if start is None else list(start), dtype=int)
        if first.size != cells.n:
            raise StaffingError(f"start: give one number per interval ({d.n})"
                                + (f" and group ({len(sc.groups)})" if sc.groups else "") + f", got {first.size}")
        first = np.where(fixed, lower, np.maximum(first, lower))
        a_check = run(np.maximum(np.asarray(erlang_a), lower))[0] if check_erlang_a else None
        common = dict(lower=lower, cap=cap, targets=targets, erlang_a=erlang_a, starts=labels,
                      history=history, say=say, step_done=step_done, count=lambda: evaluations)
        if search == "greedy":
            agents, current = greedy_search(first.copy(), run, **common)
        else:
            agents, current = iterative_search(first.copy(), run, models=models, active=active,
                                               block=d.n if sc.groups else 0, **common)
        say(f"done: {evaluations} staffings simulated")
    finally:
        if own:
            sim.close()
    result = Requirements(
        scenario=sc, demand=cells, targets=tuple(targets), confidence=confidence, replications=replications,
        seed=seed, erlang_c=erlang_c, erlang_a=erlang_a, simulated=[int(a) for a in agents],
        erlang_a_check=a_check, check=current, runtime=time.perf_counter() - began,
        evaluations=evaluations, days=evaluations * replications, history=history, erlang_x=erlang_x,
    )
    if not sc.groups:
        return result
    return GroupRequirements.split(result, d)


def _erlang_x_requirement(sc: Scenario, d: Demand, targets: Sequence[Target]) -> Optional[list[int]]:
    """Erlang X per interval (cell) when the scenario has redials or finite lines (the search's starting point),
    else None. With departments the lines are the whole centre's, shared by its groups: each group's Erlang X
    has its redials only (None without redials)."""
    redial = sc.redial
    lines = None if sc.groups else sc.lines
    if redial is None and lines is None:
        return None
    p = redial.probability if redial is not None else 0.0
    attempts = redial.max_attempts if redial is not None else 1
    return [analytic_agents(r, h, pat, targets, model="X", lines=lines, redial_probability=p,
                            max_attempts=attempts) for r, h, pat in zip(d.rate, d.handle_time, d.patience)]
