"""The agent side of the centre as a config block: agents as people.

::

    staff:
      speed:                        # tenure groups: a share of the agents and their handle-time multiplier
        - {share: 0.2, multiplier: 1.3}    # new hires: 30% slower
        - {share: 0.1, multiplier: 0.9}    # veterans: 10% faster (the other 70% at 1.0)
      fatigue: {window: 60min, threshold: 0.85, per_point: 0.01, max: 0.3}
      absenteeism: 0.08             # each scheduled agent absent for the whole day with this chance
      breaks: delay_to_call_end     # a break starts when the agent's call ends (default: shorten)
      leaving: first_free           # when staffing drops, idle (else the first free) agents log off (default: as_scheduled)

Every part is off unless given; a ``staff`` block (even ``staff: {}``) makes the engine
record one row per agent (calls handled, busy and on-duty time, longest stretch without
a pause, delayed breaks, overtime, speed).
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from .base import ConfigModel
from .fields import PositiveSeconds, Probability

__all__ = ["BREAK_MODES", "Fatigue", "HighOccupancy", "LEAVING_MODES", "SpeedGroup", "Staff"]

#: What a call that runs into a scheduled break does to it.
BREAK_MODES = ("shorten", "delay_to_call_end")
#: Who goes off duty when the schedule takes an agent off while they are on a call.
LEAVING_MODES = ("as_scheduled", "idle_first", "first_free")


class SpeedGroup(ConfigModel):
    """A tenure group: a share of each group's (or the pool's) agents and their handle-time multiplier."""

    share: Probability = Field(description="share of the agents in this tenure group (shares sum to at most 1; "
                               "the rest work at multiplier 1)")
    multiplier: float = Field(gt=0.0, le=10.0, allow_inf_nan=False,
                              description="handle-time multiplier of these agents: 1.3 is 30% slower, 0.9 10% faster")


class Fatigue(ConfigModel):
    """Fatigue: an agent who has been busy most of the recent past handles calls more slowly.

    At the start of a handling, the agent's recent occupancy ``u`` is the share of
    the last ``window`` they spent at work on calls (talk, identification, holding a
    transfer, dialling); time off duty, on breaks and before the day starts counts as
    rest. The handle time is multiplied by
    ``1 + min(max, per_point x 100 x (u - threshold))`` when ``u`` is above ``threshold``,
    and is unchanged below it.
    """

    window: PositiveSeconds = Field(3600.0, description="length of the recent past the occupancy is measured over, e.g. '60min'")
    threshold: float = Field(0.85, ge=0.0, lt=1.0, allow_inf_nan=False,
                             description="recent occupancy above which handle times grow (share, 0-1)")
    per_point: float = Field(ge=0.0, le=1.0, allow_inf_nan=False,
                             description="handle time added per percentage point of recent occupancy above the "
                             "threshold, as a share of the handle time (0.01: +1% per point)")
    max: float = Field(0.5, ge=0.0, le=10.0, allow_inf_nan=False, description="cap on the share added")

    def share(self, occupancy: float) -> float:
        """The share of its handle time added to a handling that starts at recent occupancy ``occupancy``."""
        above = occupancy - self.threshold
        if above <= 0.0:
            return 0.0
        return min(self.max, self.per_point * 100.0 * above)


class HighOccupancy(ConfigModel):
    """What counts as time at high occupancy in the per-agent records (``time_above``): the time on duty
    during which the agent's recent occupancy (the share of the last ``window`` spent at work on calls)
    was above ``above``."""

    window: PositiveSeconds = Field(3600.0, description="length of the recent past the occupancy is measured over, e.g. '60min'")
    above: float = Field(0.9, ge=0.0, lt=1.0, allow_inf_nan=False,
                         description="recent occupancy (share, 0-1) above which time on duty counts as time at high occupancy")


class Staff(ConfigModel):
    """Agents as people: per-agent speed, fatigue, absenteeism, breaks and who logs off.

    Every part is off unless given: without a ``staff`` block, or with ``staff: {}``, the
    same calls are simulated, bit for bit. Any ``staff`` block makes the engine keep one
    record per agent (calls handled, busy and on-duty time, longest stretch without a
    pause, delayed breaks, overtime, speed). Absence and tenure groups are drawn per agent
    from streams of their own, keyed by the agent's place in the schedule (common random
    numbers across scenarios). Runs on the department centre (one pool as a single group).
    """

    speed: Optional[tuple[SpeedGroup, ...]] = Field(
        None, description="tenure groups: each agent is drawn into one (by its share) and keeps its handle-time "
        "multiplier all day; agents in no group work at 1",
    )
    fatigue: Optional[Fatigue] = Field(
        None, description="handle time x (1 + min(max, per_point x 100 x (recent occupancy - threshold))) above the "
        "threshold",
    )
    absenteeism: Optional[Probability] = Field(
        None, description="chance that each scheduled agent is absent for the whole day (drawn per agent); replaces "
        "'shrinkage', which must then be 0",
    )
    breaks: Literal["shorten", "delay_to_call_end"] = Field(
        "shorten", description="a shift's break that falls during a call: 'shorten' (the agent finishes the call and "
        "the break ends on time) or 'delay_to_call_end' (the break starts when the call ends and lasts its full length)",
    )
    leaving: Literal["as_scheduled", "idle_first", "first_free"] = Field(
        "as_scheduled", description="when the schedule takes a busy agent off duty (a drop in staffing, the end of a "
        "shift): 'as_scheduled' (that agent finishes the call as overtime), 'idle_first' (an idle agent of the same "
        "group logs off in their place and the busy one takes over that agent's remaining schedule; overtime only if "
        "no agent is idle) or 'first_free' (as idle_first, and if nobody is idle, the first agent of the group to "
        "finish a task logs off in their place: the overtime lasts until then)",
    )

    high_occupancy: Optional[HighOccupancy] = Field(
        None, description="records only: each agent's time on duty at a recent occupancy above a threshold "
        "(time_above in the per-agent records), e.g. {window: 60min, above: 0.9}",
    )

    @model_validator(mode="after")
    def _shares(self) -> "Staff":
        total = sum(g.share for g in self.speed or ())
        if total > 1.0 + 1e-9:
            raise ValueError(f"speed: the shares sum to {total:.6g}; they must sum to at most 1 "
                             "(the rest of the agents work at multiplier 1)")
        return self

    def any_change(self) -> bool:
        """True if some part can change what happens (not just the per-agent records)."""
        return (bool(self.speed) or self.fatigue is not None or bool(self.absenteeism)
                or self.breaks != "shorten" or self.leaving != "as_scheduled")

    def multipliers(self, u: "list[float]") -> list[float]:
        """The speed multiplier of agents drawn ``u`` (uniforms in [0, 1)): the tenure group ``u`` falls in."""
        groups = self.speed or ()
        out = []
        for x in u:
            edge, m = 0.0, 1.0
            for g in groups:
                edge += g.share
                if x < edge:
                    m = g.multiplier
                    break
            out.append(m)
        return out
