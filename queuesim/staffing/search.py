"""How the simulated requirement is searched: model-guided iterations, or one agent at a time.

Both searches only ever return a staffing that was simulated on the search's
replications and met every target in every interval at the stated confidence;
they differ in how many staffings they simulate on the way.

``iterative`` (the default) follows the iterative staffing algorithm of the
time-varying-queues literature (Feldman, Mandelbaum, Massey & Whitt 2008,
"Staffing of time-varying queues to achieve time-stable performance"): simulate
the whole day, measure each interval, re-staff every interval at once, repeat
until the staffing is stable. Instead of their infinite-server offered load
and a delay-probability target, each interval is re-staffed with a model
*calibrated on the simulation*: an Erlang A queue with the interval's
simulated offered rate (redials included), its mix's handle time and patience,
shifted (on the logit scale for shares, the log scale for waits) so that at
the interval's current staffing it reproduces the simulated confidence bound
of each target; the interval gets the fewest agents for which every shifted
bound meets its target, never fewer than one more than it has missed a target
with in an earlier round (so that noisy bounds cannot make it swing), and a
decrease goes half the way (at least one agent). The shift carries what
Erlang A leaves out (the backlog a peak leaves behind, lognormal handle times,
non-exponential patience, announcements, the confidence-interval half-width).
The rounds stop when the staffing repeats (at most ``MAX_ROUNDS``); the
cheapest staffing that met every target is then trimmed: one agent is taken
from several intervals at once (at least ``GAP`` intervals apart, largest slack
first), and an interval that then misses a target takes the blame (itself,
else the interval just before it, else just after); a blamed interval keeps
its agent and is not tried again, the others try again without it. An
interval blamed for its neighbour's miss gets one more try at the end, in
batches three intervals apart. Trimming does not simulate a removal the
calibrated model says misses a target clearly (:func:`skip_removal`). About
5 staffings for the bank-like day, 11 for the flagship's, against 36 and 85.

``greedy`` adds an agent to every interval that misses (1, 1, 2, 4, 8 if it
keeps missing), then removes single agents one at a time, largest slack
first, keeping a removal only if every interval still meets every target:
no single agent can then be removed without breaking a target (for these
replications), at the price of one simulated staffing per interval and
removal (about 40 for the same day).
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np

from ..analytic import erlang_a_metrics, erlang_x_metrics
from ..model.units import format_clock
from .targets import METRICS, StaffingError, Target

__all__ = ["SEARCHES", "greedy_search", "iterative_search"]

#: the searches :func:`~queuesim.staffing.requirements` offers
SEARCHES = ("iterative", "greedy")

#: how far apart (in intervals) the agents taken in one trimming step are
GAP = 2

#: model-guided rounds at most before trimming (each simulates one staffing)
MAX_ROUNDS = 8

DAMP = True  # decreases: half what the model says (at least one), so that a round does not undershoot

#: trimming skips an interval where the calibrated model puts the bound with one agent fewer further than this
#: on the wrong side of a target (:meth:`Target.margin`); None tries every interval
SCREEN: Optional[float] = 0.1

#: ... and only where the simulated bound is within this shift of Erlang A (logit scale for shares, log scale
#: for waits: 1.0 is a factor e on the odds or the wait); further off (a backlog's abandonment against Erlang A's
#: far tail) the model's slope is not trusted
TRUST = 1.0

Evaluate = Callable[[np.ndarray], "tuple[object, dict[str, np.ndarray]]"]
StepDone = Callable[[int, int, str], None]


def _where(starts: Sequence, k: int) -> str:
    """Where cell ``k`` of the search is, for messages: ``starts[k]`` is an interval's start (s) or a label
    (with departments: the group and the interval)."""
    return starts[k] if isinstance(starts[k], str) else f"interval {format_clock(starts[k])}"


def _too_many(k: int, agents: np.ndarray, step: int, check, targets, erlang_a, starts) -> StaffingError:
    t = ", ".join(str(x) for x in targets if not check.met_by_target[x.key][k])
    return StaffingError(
        f"{_where(starts, k)}: {t} is still missed with {agents[k] - step} agents "
        f"(Erlang A asks for {erlang_a[k]}); the target looks unreachable in simulation "
        "(e.g. below what any number of agents gives), so the search stops here"
    )


def add_until_met(agents: np.ndarray, current, evaluate, cap: np.ndarray, targets, erlang_a, starts,
                  history: list, say, step_done, count: Callable[[], int]):
    """Add agents where an interval misses a target (1, 1, 2, 4, 8 if it keeps missing) until all meet."""
    step = np.ones(agents.size, dtype=int)
    misses = np.zeros(agents.size, dtype=int)
    rounds = 0
    while not current.all_met:
        rounds += 1
        failing = current.failing()
        say(f"add: {len(failing)} interval(s) miss a target (round {rounds})")
        for k in failing:
            agents[k] += step[k]
            history.append(("add", k, int(agents[k]), True))
            if agents[k] > cap[k]:
                raise _too_many(k, agents, int(step[k]), current, targets, erlang_a, starts)
        current = evaluate(agents)[0]
        step_done(count(), len(current.failing()), "adding")
        misses = np.where(current.met, 0, misses + 1)
        step = np.minimum(2 ** np.maximum(misses - 1, 0), 8)
    return agents, current


def greedy_search(agents: np.ndarray, evaluate, *, lower: np.ndarray, cap: np.ndarray, targets, erlang_a,
                  starts, history: list, say, step_done, count):
    """Add agents until every interval meets every target, then remove single agents, largest slack first."""
    current = evaluate(agents)[0]
    step_done(count(), len(current.failing()), "adding")
    agents, current = add_until_met(agents, current, evaluate, cap, targets, erlang_a, starts, history, say,
                                    step_done, count)
    locked = agents <= lower
    while not locked.all():
        order = [k for k in np.argsort(-current.slack, kind="stable") if not locked[k]]
        k = int(order[0])
        trial = agents.copy()
        trial[k] -= 1
        result = evaluate(trial)[0]
        step_done(count(), 0, "trimming")
        history.append(("remove", k, int(trial[k]), result.all_met))
        if result.all_met:
            agents, current = trial, result
            locked[k] = agents[k] <= lower[k]
        else:
            locked[k] = True
    return agents, current


# --------------------------------------------------------------------------
# the model-guided search
# --------------------------------------------------------------------------


def _scale(metric: str, x: float) -> float:
    """The scale on which a simulated bound and Erlang A differ by a shift: logit for shares, log for waits."""
    if METRICS[metric][1] == "fraction":
        x = min(max(x, 1e-4), 1.0 - 1e-4)
        return math.log(x / (1.0 - x))
    return math.log(min(max(x, 1e-2), 1e7))


def _unscale(metric: str, y: float) -> float:
    if METRICS[metric][1] == "fraction":
        return 1.0 / (1.0 + math.exp(-y))
    return math.exp(y)


class IntervalModel:
    """Erlang A metrics of one interval's mix at any staffing (memoised), for the calibrated re-staffing.

    ``lines`` (for a blocking target): the blocking rate is Erlang X's with that many lines (for departments,
    as if the group held the centre's lines alone: the calibration to the simulated bound does the rest);
    without, it is 0."""

    def __init__(self, rate: float, handle_time: float, patience: float, threshold: float,
                 lines: Optional[int] = None) -> None:
        self.rate, self.handle_time, self.patience, self.threshold = rate, handle_time, patience, threshold
        self.lines = lines
        self._memo: dict[int, dict[str, float]] = {}

    def metrics(self, n: int) -> dict[str, float]:
        if n not in self._memo:
            load = self.rate * self.handle_time
            if n < 1 or (math.isinf(self.patience) and load >= n):  # unstable: everything as bad as it gets
                self._memo[n] = {"service_level": 0.0, "abandonment_rate": 1.0, "asa": 1e7, "mean_wait": 1e7,
                                 "occupancy": 1.0}
            else:
                m = erlang_a_metrics(self.rate, self.handle_time, self.patience, n, threshold=self.threshold)
                self._memo[n] = {"service_level": m.service_level, "abandonment_rate": m.p_abandon,
                                 "asa": m.asa, "mean_wait": m.mean_wait, "occupancy": m.occupancy}
            self._memo[n]["blocking_rate"] = self._blocking(n)
        return self._memo[n]

    def _blocking(self, n: int) -> float:
        """Erlang X's blocking rate with ``n`` agents (1 with none; 0 without lines)."""
        if self.lines is None:
            return 0.0
        if n < 1:
            return 1.0
        return erlang_x_metrics(self.rate, self.handle_time, self.patience, min(n, self.lines), self.lines,
                                self.threshold).p_block


def predicted_margin(n: int, n0: int, bounds: dict[str, float], model: IntervalModel,
                     targets: Sequence[Target]) -> tuple[float, float]:
    """How far (:meth:`Target.margin`, the worst target) the model shifted to ``bounds`` at ``n0`` agents
    puts the confidence bound with ``n`` agents on the good side of the targets (< 0: a miss), and the
    largest shift (on the logit or log scale: how far the simulation is from Erlang A)."""
    there = model.metrics(n)
    worst, largest = math.inf, 0.0
    for t, shift in _shifts(n0, bounds, model, targets):
        worst = min(worst, t.margin(_unscale(t.metric, _scale(t.metric, there[t.metric]) + shift)))
        largest = max(largest, abs(shift))
    return worst, largest


def _shifts(n0: int, bounds: dict[str, float], model: IntervalModel,
            targets: Sequence[Target]) -> list[tuple[Target, float]]:
    """Each target with a simulated bound at ``n0`` agents, and how far that bound is from the model's value
    there (on the logit scale for shares, the log scale for waits)."""
    base = model.metrics(n0)
    out = []
    for t in targets:
        b = bounds.get(t.key, math.nan)
        if not math.isnan(b):
            out.append((t, _scale(t.metric, b) - _scale(t.metric, base[t.metric])))
    return out


def skip_removal(n0: int, bounds: dict[str, float], model: IntervalModel, targets: Sequence[Target]) -> bool:
    """Whether trimming skips taking an agent from an interval with ``n0`` agents: the model shifted to its
    simulated ``bounds`` says ``n0 - 1`` agents miss a target by more than ``SCREEN`` (:meth:`Target.margin`),
    and the shift is at most ``TRUST`` (the simulation is close enough to Erlang A to trust its slope)."""
    if SCREEN is None:
        return False
    margin, shift = predicted_margin(n0 - 1, n0, bounds, model, targets)
    return margin < -SCREEN and shift <= TRUST


def propose(n0: int, bounds: dict[str, float], model: IntervalModel, targets: Sequence[Target], *,
            lower: int, cap: int) -> int:
    """Fewest agents (in ``[lower, cap]``) meeting every target by the model shifted to ``bounds`` at ``n0``.

    ``bounds[target.key]``: the simulated confidence bound at ``n0`` agents (NaN: no
    information, the interval keeps ``n0``). Above ``n0`` if the bounds miss a
    target, at most ``n0`` if they meet every target.
    """
    shifts = {t.key: shift for t, shift in _shifts(n0, bounds, model, targets)}
    if not shifts:
        return n0

    def meets(n: int) -> bool:
        if n == n0:
            return all(t.met(bounds[t.key]) for t in targets if t.key in shifts)
        m = model.metrics(n)
        return all(t.met(_unscale(t.metric, _scale(t.metric, m[t.metric]) + shifts[t.key]))
                   for t in targets if t.key in shifts)

    n = n0
    if meets(n):
        while n - 1 >= lower and meets(n - 1):
            n -= 1
        return n
    while n < cap and not meets(n):
        n += 1
    return max(n, min(n0 + 1, cap))


def _group_of(k: int, block: int) -> int:
    """The group of cell ``k`` when every group has ``block`` cells (0: one group)."""
    return k // block if block else 0


def _trim_batch(candidates: list[int], slack: np.ndarray, gap: int, block: int = 0) -> list[int]:
    """Intervals to take an agent from together: largest slack first, at least ``gap`` intervals apart within
    a group (cells of different groups, ``block`` cells each, may be taken together)."""
    chosen: list[int] = []
    for k in sorted(candidates, key=lambda j: (-slack[j], j)):
        if all(abs(k - c) >= gap or _group_of(k, block) != _group_of(c, block) for c in chosen):
            chosen.append(k)
    return sorted(chosen)


def _blame(failing: Sequence[int], batch: Sequence[int], block: int = 0) -> tuple[set[int], set[int]]:
    """Which intervals of a batch removal take the blame for the intervals that then miss a target.

    An interval of the batch that misses is to blame itself (``own``); one that
    is not in the batch blames the batch's interval just before it (its
    backlog), else just after it (its callers still waiting then), else, with
    several groups (``block`` cells each), another group's cell at the same
    interval (its overflow or misrouted callers), else the nearest one before
    it in its group, else the nearest one in its group, else another group's
    at the nearest interval (``others``: the attribution may be wrong when
    both neighbours were in the batch).
    """
    own, others = set(), set()
    members = set(batch)
    for j in failing:
        if j in members:
            own.add(j)
            continue
        group = _group_of(j, block)
        for c in (j - 1, j + 1):
            if c in members and _group_of(c, block) == group:
                others.add(c)
                break
        else:
            same_time = [c for c in batch if block and c % block == j % block]
            own_group = [c for c in batch if _group_of(c, block) == group]
            before = [c for c in own_group if c < j]
            if same_time:
                others.add(same_time[0])
            elif before:
                others.add(before[-1])
            elif own_group:
                others.add(min(own_group, key=lambda c: abs(c - j)))
            else:  # another group's cell, the nearest interval (the earlier one on a tie)
                others.add(min(batch, key=lambda c: (abs(c % block - j % block), c % block > j % block, c)))
    return own, others - own


def iterative_search(agents: np.ndarray, evaluate, *, lower: np.ndarray, cap: np.ndarray, targets, erlang_a,
                     starts, history: list, say, step_done, count, models: Callable[[dict], list],
                     active: np.ndarray, block: int = 0):
    """Model-guided rounds from ``agents``, then trimming in batches (see the module's docstring).

    ``models(values)`` gives each interval's :class:`IntervalModel` from a
    simulated staffing's values (its offered calls). ``block``: with several
    groups, the cells of each (their intervals, one group after the other);
    0 for one pool.
    """
    def bounds_at(check, k: int) -> dict[str, float]:
        return {t.key: float(check.bound[t.key][k]) for t in targets}

    best = None
    seen = set()
    rounds = 0
    current = None
    floor = lower.copy()  # per interval: one more than the most agents it has missed a target with
    while True:
        current, values = evaluate(agents)
        rounds += 1
        seen.add(tuple(agents))
        failed = ~current.met
        floor[failed] = np.maximum(floor[failed], agents[failed] + 1)
        missing = len(current.failing())
        step_done(count(), missing, "adding" if missing else "trimming")
        if current.all_met and (best is None or agents.sum() < best[0].sum()):
            best = (agents.copy(), current, values)
        stuck = [k for k in current.failing() if agents[k] >= cap[k]]
        if stuck:
            raise _too_many(stuck[0], agents, 0, current, targets, erlang_a, starts)
        if rounds >= MAX_ROUNDS:
            break
        mods = models(values)
        proposal = agents.copy()
        for k in range(agents.size):
            if not active[k]:
                continue
            bounds = bounds_at(current, k)
            n0 = int(agents[k])
            up = min(int(cap[k]), n0 + max(2, n0 // 2))  # at most half as many again per round
            proposal[k] = propose(n0, bounds, mods[k], targets, lower=min(int(floor[k]), n0), cap=up)
            if DAMP and proposal[k] < n0 - 1:
                proposal[k] = n0 - (n0 - proposal[k] + 1) // 2
        for k in np.flatnonzero(proposal != agents):
            history.append(("restaff", int(k), int(proposal[k]), True))
        if tuple(proposal) in seen:
            break
        say(f"round {rounds}: {missing} interval(s) miss a target; re-staffing "
            f"{int((proposal != agents).sum())} interval(s)")
        agents = proposal
    if best is None:  # no round met every target: add agents from the last staffing
        agents, current = add_until_met(agents.copy(), current, evaluate, cap, targets, erlang_a, starts, history,
                                        say, step_done, count)
        values = evaluate(agents)[1]
    else:
        agents, current, values = best
        agents = agents.copy()
    # trimming: take agents from several intervals at once; the blamed keep theirs
    locked = (agents <= lower) | ~active
    retry: set[int] = set()
    gap = GAP

    def screen() -> None:
        """Lock the intervals where the model, shifted to this staffing's simulation, says one agent fewer
        misses a target by more than ``SCREEN``, and the shift is small enough to trust: they are not
        simulated."""
        if SCREEN is None:
            return
        mods = models(values)
        for k in np.flatnonzero(~locked):
            n0 = int(agents[k])
            if skip_removal(n0, bounds_at(current, k), mods[k], targets):
                locked[k] = True
                history.append(("skip", int(k), n0 - 1, False))

    while True:
        screen()
        while not locked.all():
            batch = _trim_batch([k for k in range(agents.size) if not locked[k]], current.slack, gap, block)
            while batch:
                trial = agents.copy()
                trial[batch] -= 1
                result, trial_values = evaluate(trial)
                step_done(count(), 0, "trimming")
                if result.all_met:
                    for k in batch:
                        history.append(("remove", k, int(trial[k]), True))
                    agents, current, values = trial, result, trial_values
                    locked |= agents <= lower
                    screen()
                    break
                own, others = _blame(result.failing(), batch, block)
                for k in sorted(own | others):
                    history.append(("remove", k, int(trial[k]), False))
                    locked[k] = True
                if gap == GAP:
                    retry |= others  # blamed for a neighbour's miss: tried again at the end, further apart
                batch = [k for k in batch if k not in own | others]  # the unblamed try again without the blamed
        if not retry:
            break
        # each interval blamed for a neighbour gets one more try, with the batch's intervals 3 apart, so that
        # a miss between two of them cannot happen
        locked[sorted(retry)] = agents[sorted(retry)] <= lower[sorted(retry)]
        retry = set()
        gap = GAP + 1
    return agents, current
