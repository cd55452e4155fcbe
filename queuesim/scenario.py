"""The model as plain, validated data.

A :class:`Scenario` says everything the engine needs to simulate one
contact-centre configuration: demand, staffing, callers' behaviour, the
horizon. It is a frozen pydantic model, so it is validated once (from YAML or
from Python) and can be hashed, compared, copied with changes and pickled to
worker processes. All times are seconds and all rates are per second once
validated; inputs may carry units (``"4min"``, ``"95/min"``).

>>> s = Scenario(horizon="8h", arrivals={"rate": "95/min"},
...              handle_time={"distribution": "exponential", "mean": "1min"},
...              patience={"distribution": "exponential", "mean": "2min"}, agents=100)
>>> s.horizon, round(s.arrivals.rate, 4), s.offered_load()
(28800.0, 1.5833, 95.0)
"""

from __future__ import annotations

import math
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .distributions import Distribution
from .fields import NonNegativeSeconds, PositiveRate, PositiveSeconds

__all__ = ["Arrivals", "Scenario"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arrivals(_Model):
    """How calls arrive: a Poisson process at a constant ``rate`` (calls per second;
    write ``"95/min"`` or ``"5700/h"``)."""

    rate: PositiveRate = Field(description="arrival rate of calls (Poisson), e.g. '95/min'")


class Scenario(_Model):
    """One contact-centre configuration to simulate.

    Calls arrive over ``[0, horizon)``; after the horizon no new call arrives and
    the simulation runs until every call has an outcome. Calls arriving before
    ``warmup`` are simulated but not counted in the metrics, and time averages
    (occupancy, queue length) cover the measured window ``[warmup, horizon)``.
    """

    name: str = Field("scenario", min_length=1, description="scenario name used in tables and files")
    horizon: PositiveSeconds = Field(description="length of the arrival period, e.g. '8h'")
    warmup: NonNegativeSeconds = Field(
        0.0, description="initial period whose arrivals are simulated but not counted, e.g. '30min'"
    )
    service_level_threshold: NonNegativeSeconds = Field(
        20.0, description="answer-time threshold T of the service level (share answered within T)"
    )
    arrivals: Arrivals = Field(description="arrival process")
    handle_time: Distribution = Field(description="handle time distribution (talk + hold + wrap-up)")
    patience: Optional[Distribution] = Field(
        None, description="patience distribution; omit or 'inf' for callers who never abandon"
    )
    agents: int = Field(ge=1, le=1_000_000, description="number of identical agents on duty")

    @field_validator("patience", mode="before")
    @classmethod
    def _infinite_patience(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in {"inf", "infinite", "infinity", "never"}:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isinf(value) and value > 0:
            return None
        return value

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> "Scenario":
        if self.warmup >= self.horizon:
            raise ValueError(
                f"warmup ({self.warmup:g} s) must be shorter than horizon ({self.horizon:g} s)"
            )
        return self

    def offered_load(self) -> float:
        """Offered load in Erlangs: arrival rate x mean handle time."""
        return self.arrivals.rate * self.handle_time.expectation()

    def expected_arrivals(self) -> float:
        """Expected number of arrivals over the horizon."""
        return self.arrivals.rate * self.horizon
