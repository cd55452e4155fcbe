"""Does a schedule meet the targets? Simulate it and check every interval with confidence intervals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np
from pydantic import ValidationError

from ..measure.stats import mean_ci
from ..model.scenario import Scenario, Shift
from ..model.shifts import on_duty
from ..model.units import format_clock
from .requirements import IntervalCheck, _cells, check, group_frames, resolve_scenario
from .simulated import SIM_METRICS, Simulator, cell_demand, demand, home_groups, target_types
from .schedule import GroupSchedule
from .targets import StaffingError, Target, parse_targets

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model.spec import Experiment
    from .schedule import Schedule

__all__ = ["GroupVerification", "Verification", "verify"]


@dataclass
class Verification:
    """Simulated metrics of a schedule per interval, and whether each interval meets the targets.

    ``agents``: mean agents on duty per interval (after shrinkage); ``required``: the requirement the shifts
    were chosen for, in scheduled agents (before ``shrinkage``; :attr:`required_on_duty` after); ``metrics[m]``:
    mean, ``ci[m]``: (low, high) two-sided CI at ``confidence``; ``check``:
    the one-sided test against the targets (see :class:`IntervalCheck`).
    """

    interval_start: list[float]
    agents: np.ndarray
    required: Optional[list[int]]
    metrics: dict[str, np.ndarray]
    ci: dict[str, tuple[np.ndarray, np.ndarray]]
    check: IntervalCheck
    targets: tuple[Target, ...]
    confidence: float
    replications: int
    runtime: float
    first_replication: int = 0
    shrinkage: float = 0.0

    @property
    def required_on_duty(self) -> Optional[list[int]]:
        """The requirement in agents on duty (after shrinkage), to compare with ``agents``."""
        if self.required is None:
            return None
        return [on_duty(n, self.shrinkage) for n in self.required]

    @property
    def all_met(self) -> bool:
        return self.check.all_met

    @property
    def failing(self) -> list[float]:
        return [self.interval_start[k] for k in self.check.failing()]

    def to_frame(self) -> "pd.DataFrame":
        """One row per interval: ``interval_start`` (s), ``clock``, ``agents`` on duty (mean),
        ``required_scheduled`` (the requirement the shifts were chosen for, before shrinkage) and
        ``required_on_duty`` (after: to compare with ``agents``), then each metric with
        ``_ci_low``/``_ci_high`` (a call type's own, e.g. ``service_level[vip]``, after them for targets
        naming one), ``meets_<metric>`` per target, ``meets_targets`` (all of them) and
        ``missed_targets`` (the metrics missed, e.g. ``service_level``; empty when all are met)."""
        import pandas as pd

        data: dict[str, Any] = {
            "interval_start": self.interval_start,
            "clock": [format_clock(s) for s in self.interval_start],
            "agents": np.round(self.agents, 4),
        }
        if self.required is not None:
            data["required_scheduled"] = self.required
            data["required_on_duty"] = self.required_on_duty
        for m in self.metrics:
            data[m] = self.metrics[m]
            data[f"{m}_ci_low"], data[f"{m}_ci_high"] = self.ci[m]
        for t in self.targets:
            data[f"meets_{t.key}"] = self.check.met_by_target[t.key]
        data["meets_targets"] = self.check.met
        data["missed_targets"] = self.missed_targets()
        return pd.DataFrame(data)

    def missed_targets(self) -> list[str]:
        """Per interval, the metrics whose target is missed (comma-separated; empty when all are met)."""
        return [", ".join(t.key for t in self.targets if not self.check.met_by_target[t.key][k])
                for k in range(len(self.interval_start))]

    def summary(self) -> str:
        n = len(self.interval_start)
        bad = self.failing
        line = (f"  simulated {self.replications} replications (numbers {self.first_replication}.."
                f"{self.first_replication + self.replications - 1}) in {self.runtime:.1f} s: "
                f"{n - len(bad)} of {n} intervals meet every target at {self.confidence:.0%} confidence")
        if bad:
            line += "\n  missed in: " + ", ".join(format_clock(s) for s in bad[:12]) + (" ..." if len(bad) > 12 else "")
        return line


def verify(
    model: Union[Scenario, "Experiment", str, Path],
    shifts: Union["Schedule", GroupSchedule, Sequence[Union[Shift, dict]], dict[str, Sequence[Union[Shift, dict]]]],
    targets: Union[str, Target, Sequence[Union[str, Target]]],
    *,
    confidence: float = 0.95,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    scenario: Optional[str] = None,
    executor: str = "serial",
    workers: Optional[int] = None,
    first_replication: int = 0,
) -> Union[Verification, "GroupVerification"]:
    """Simulate the scenario staffed by ``shifts`` (a :class:`Schedule` or scenario shifts) and check targets.

    With departments, ``shifts`` is a :class:`~queuesim.staffing.GroupSchedule` or a mapping of group
    names to shifts (groups not named keep their config's agents), and the result a
    :class:`GroupVerification`: each group's intervals checked for its own callers.

    The scenario's shrinkage applies to the shifts' counts. Replications
    ``first_replication ...`` are simulated: 0 reuses the random numbers of
    :func:`~queuesim.staffing.requirements` with the same seed; the number of
    replications the search used gives an independent check (what ``queuesim
    staff`` does), which also catches a requirement that only met its targets
    thanks to lucky replications.
    """
    began = time.perf_counter()
    sc, default_seed, default_reps = resolve_scenario(model, scenario)
    seed = default_seed if seed is None else int(seed)
    replications = default_reps if replications is None else int(replications)
    targets = parse_targets(targets if not isinstance(targets, (str, Target)) else [targets], sc.service_level_threshold)
    d = demand(sc)
    cells = cell_demand(sc, d)
    update: dict[str, Any] = {"shift_adjust": None}
    required: Optional[list[Optional[list[int]]]] = None
    if sc.groups:
        by_group = _group_shifts(sc, shifts)
        required = [list(shifts.parts[g.name].required) if isinstance(shifts, GroupSchedule) and g.name in shifts.parts
                    else None for g in sc.groups]
        update["groups"] = tuple(  # the groups not scheduled keep their shifts, as adjusted
            g.model_copy(update={"shifts": sc.adjusted(g.shifts)}) if g.name not in by_group else g.model_copy(update={
                "shifts": tuple(by_group[g.name]) or None, "agents": None if by_group[g.name] else 0, "staffing": None})
            for g in sc.groups)
    else:
        if isinstance(shifts, (GroupSchedule, dict)):
            raise StaffingError("verify: this scenario has no departments (groups): give a schedule or a list of "
                                "shifts, not one per group")
        if hasattr(shifts, "shift_list"):
            required = [list(shifts.required)]  # type: ignore[union-attr]
            shift_list = shifts.shift_list()  # type: ignore[union-attr]
        else:
            shift_list = _shift_list(shifts, "shifts")
        if not shift_list or all(s.count == 0 for s in shift_list):
            raise StaffingError("verify: the schedule has no agent on any shift")
        update.update(shifts=tuple(shift_list), agents=None, staffing=None)
    sl = next((t.threshold for t in targets if t.metric == "service_level"), None)
    if sl is not None:
        update["service_level_threshold"] = sl
    run = sc.model_copy(update=update)
    with Simulator(seed, replications, d.starts, executor=executor, workers=workers,
                   first_replication=first_replication, types=target_types(sc, targets)) as sim:
        values = sim.run(run)
    result = check(values, targets, confidence, np.asarray(cells.calls) > 0)

    metrics, ci = {}, {}
    # blocking is measured only with lines: without them its columns would be empty
    for m in [*(m for m in SIM_METRICS if m != "blocking_rate" or sc.lines is not None), *sim.type_keys]:
        est = [mean_ci(values[m][:, k], confidence) if np.isfinite(values[m][:, k]).any() else None
               for k in range(cells.n)]
        metrics[m] = np.array([e.mean if e else np.nan for e in est])
        ci[m] = (np.array([e.low if e else np.nan for e in est]), np.array([e.high if e else np.nan for e in est]))
    agents = np.nanmean(values["agents"], axis=0)
    runtime = time.perf_counter() - began
    parts = []
    homed = set(home_groups(sc)) if sc.groups else {0}
    for g in range(len(sc.groups) if sc.groups else 1):
        if g not in homed:  # no callers of its own: nothing to check
            parts.append(None)
            continue
        part = slice(g * d.n, (g + 1) * d.n)
        parts.append(Verification(
            interval_start=d.starts, agents=agents[part], required=None if required is None else required[g],
            metrics={m: v[part] for m, v in metrics.items()}, ci={m: (lo[part], hi[part]) for m, (lo, hi) in ci.items()},
            check=_cells(result, part), targets=tuple(targets), confidence=confidence, replications=replications,
            runtime=runtime, first_replication=first_replication, shrinkage=sc.shrinkage))
    if not sc.groups:
        return parts[0]
    return GroupVerification({g.name: p for g, p in zip(sc.groups, parts) if p is not None})


def _shift_list(listed: Any, where: str) -> list[Shift]:
    """Scenario shifts from a list of :class:`Shift` or mappings; a one-line :class:`StaffingError` otherwise."""
    if isinstance(listed, (str, bytes, dict)) or not hasattr(listed, "__iter__"):
        raise StaffingError(f"verify: {where}: expected a list of shifts, got {type(listed).__name__}")
    out = []
    for k, item in enumerate(listed):
        try:
            out.append(item if isinstance(item, Shift) else Shift.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise StaffingError(f"verify: {where}, shift {k + 1}: {loc + ': ' if loc else ''}{first['msg']}") from None
    return out


def _group_shifts(sc: Scenario, shifts: Any) -> dict[str, list[Shift]]:
    """Each group's shifts from a :class:`GroupSchedule` or a mapping group name -> shifts (the groups not
    named keep their config's agents)."""
    if isinstance(shifts, GroupSchedule):
        given = shifts.shift_lists()
    elif isinstance(shifts, dict):
        given = {str(name): _shift_list(listed, f"shifts of group {name!r}") for name, listed in shifts.items()}
    else:
        raise StaffingError("verify: with departments, give a group schedule or a mapping of group names to shifts")
    names = [g.name for g in sc.groups or ()]
    unknown = [name for name in given if name not in names]
    if unknown:
        raise StaffingError(f"verify: {', '.join(map(repr, unknown))} are not groups of the scenario; "
                            f"choose among {', '.join(names)}")
    if not any(s.count > 0 for listed in given.values() for s in listed):
        raise StaffingError("verify: the schedule has no agent on any shift")
    return given


@dataclass
class GroupVerification:
    """A schedule of a centre with departments simulated: one :class:`Verification` per group that is some
    call type's home (``parts``; each group's intervals checked for its own callers, as
    :class:`~queuesim.staffing.GroupRequirements`)."""

    parts: dict[str, Verification]

    @property
    def all_met(self) -> bool:
        return all(p.all_met for p in self.parts.values())

    @property
    def runtime(self) -> float:
        return next(iter(self.parts.values())).runtime

    def to_frame(self) -> "pd.DataFrame":
        """One row per group and interval: ``group``, then the columns of :meth:`Verification.to_frame`."""
        return group_frames(self.parts)

    def summary(self) -> str:
        return "\n".join(f"  group {name}:\n" + "\n".join("  " + line for line in part.summary().splitlines())
                         for name, part in self.parts.items())
