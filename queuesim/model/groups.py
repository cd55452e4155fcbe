"""Departments (agent groups), routing and transfer policies, as config blocks.

::

    groups:
      - {name: billing, agents: 20}
      - {name: tech, staffing: {interval: 30min, start: "08:00", agents: [6, 8, 8]}, transfer: warm}
    call_types:
      - name: billing
        share: 0.6
        groups: [billing, tech]      # home group first; later groups are overflow
        overflow_after: 60s          # ... eligible once the caller has waited this long
        priority: 1                  # higher is served first by a group
        misroute: {probability: 0.15, to: tech}   # the phone menu sends some to the wrong group
        resolution: 0.9              # a handling by the right group resolves the issue
        handle_time: {distribution: lognormal, mean: 4min, sd: 3min}
      - {name: tech, share: 0.4, groups: [tech], handle_time: {...}}
    transfers:
      policy: cold                   # cold | warm | own_it (a group's 'transfer' overrides it)
      identification_time: {distribution: exponential, mean: 45s}
      cold_patience: {distribution: exponential, mean: 2min}   # patience when re-queued (default: the type's)
      reexplain_time: {distribution: exponential, mean: 1min}  # added to the next handle time after a cold transfer
      warm_patience: inf                                       # patience while an agent holds the line
      conference_time: {distribution: deterministic, value: 30s}
      warm_limit: 5min               # the first agent falls back to a cold transfer after this
      own_it_resolution: 0.6         # own it: chance the first agent resolves it after all
      own_it_handle_factor: 1.5      # ... taking this many times the handle time
      own_it_fallback: warm          # otherwise transfer warm or cold
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel
from .distributions import Distribution
from .fields import Name
from .fields import PositiveSeconds, Probability
from .shifts import Shift, Staffing

__all__ = ["AgentGroup", "Misroute", "TRANSFER_POLICIES", "Transfers"]

#: Transfer policies for calls that reach the wrong group.
TRANSFER_POLICIES = ("cold", "warm", "own_it")


class AgentGroup(ConfigModel):
    """A department: agents with the same skills and one staffing schedule."""

    name: Name = Field(max_length=64, description="group name, e.g. 'billing' (printable)")
    agents: Optional[int] = Field(None, ge=0, le=1_000_000, description="agents on duty all day")
    staffing: Optional[Staffing] = Field(None, description="agents per interval")
    shifts: Optional[tuple[Shift, ...]] = Field(None, description="shifts of this group")
    transfer: Optional[Literal["cold", "warm", "own_it"]] = Field(
        None, description="transfer policy of this group's agents for misrouted calls (default: transfers.policy)"
    )

    @model_validator(mode="after")
    def _one_schedule(self) -> "AgentGroup":
        ways = [k for k in ("agents", "staffing", "shifts") if getattr(self, k) is not None]
        if len(ways) != 1:
            raise ValueError(
                f"group {self.name!r}: give exactly one of 'agents', 'staffing' or 'shifts'"
                + (f" (got {', '.join(ways)})" if ways else "")
            )
        return self


class Misroute(ConfigModel):
    """A share of a call type first lands in the wrong group."""

    probability: Probability = Field(description="chance that a call of this type reaches the wrong group first")
    to: str = Field(min_length=1, description="the group it wrongly reaches")


def _inf_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"inf", "infinite", "never"}:
        return None
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


class Transfers(ConfigModel):
    """What agents do with a call that reached the wrong group (see module docstring)."""

    policy: Literal["cold", "warm", "own_it"] = Field("cold", description="default transfer policy")
    identification_time: Optional[Distribution] = Field(
        None, description="time the wrong agent spends finding out (default 30 s)"
    )
    cold_patience: Optional[Distribution] = Field(None, description="patience when re-queued cold (default: the type's)")
    reexplain_time: Optional[Distribution] = Field(None, description="added to the next handle time after a cold transfer")
    warm_patience: Optional[Distribution] = Field(None, description="patience while an agent holds the line (default: never hangs up)")
    conference_time: Optional[Distribution] = Field(None, description="introduction time with both agents on the line (default 0)")
    warm_limit: Optional[PositiveSeconds] = Field(None, description="the holding agent falls back to a cold transfer after this (default: never)")
    own_it_resolution: Probability = Field(0.5, description="own it: chance the first agent resolves the issue")
    own_it_handle_factor: float = Field(1.5, ge=1.0, le=100.0, description="own it: handle time multiplier when they do")
    own_it_fallback: Literal["cold", "warm"] = Field("warm", description="own it: how the call is transferred otherwise")
    priority: Optional[int] = Field(
        None, ge=-1000, le=1000,
        description="priority of a transferred caller's next wait, against the call types' priorities (strict, "
        "first come first served within a priority); default: the caller's call type's",
    )

    @field_validator("warm_patience", mode="before")
    @classmethod
    def _warm_inf(cls, value: Any) -> Any:
        return _inf_none(value)
