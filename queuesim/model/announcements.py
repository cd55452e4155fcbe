"""Hold announcements, as a validated config block.

These are the policies the flagship experiment compares against the
"please stay on the line, your call is important to us" loop. Durations in
seconds (units accepted), probabilities in [0, 1].

``announcements``::

    announcements:
      kind: generic            # "your call is important to us": carries no information
      first: 60s               # first message after 60 s of waiting
      every: 90s               # then every 90 s (omit: once)
      length: 10s              # the message's length; callers react when it ends
      hangup_probability: 0.08 # chance a caller still waiting hangs up right after each message

    announcements:
      kind: informative        # tells the expected wait
      first: 0s                # 0 = at arrival, before joining the queue
      every: 2min
      predictor: queue_length  # queue_length | last_to_enter_service | head_of_line | oracle
      tolerance: {distribution: lognormal, mean: 6min, sd: 4min}   # longest announced wait a caller accepts

A caller told a (remaining) wait longer than their tolerance hangs up at once
(balks), unless a callback is offered, in which case they take it.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from .base import ConfigModel
from .distributions import Distribution
from .fields import NonNegativeSeconds, PositiveSeconds, Probability

__all__ = ["Announcements", "PREDICTORS"]

#: Real-time wait predictors for informative announcements and callback offers.
PREDICTORS = ("queue_length", "last_to_enter_service", "head_of_line", "oracle")


class Announcements(ConfigModel):
    """Recorded messages played to callers on hold (see module docstring)."""

    kind: Literal["generic", "informative"] = Field(description="generic: no information; informative: tells the expected wait")
    first: NonNegativeSeconds = Field(60.0, description="wait before the first message (0 = at arrival)")
    every: Optional[PositiveSeconds] = Field(None, description="interval between repeated messages; omit to play once")
    length: NonNegativeSeconds = Field(0.0, description="length of a message; callers react when it ends")
    hangup_probability: Probability = Field(
        0.0, description="generic: chance that a caller still waiting hangs up right after each message"
    )
    predictor: Literal["queue_length", "last_to_enter_service", "head_of_line", "oracle"] = Field(
        "queue_length",
        description="informative: how the centre estimates the wait. queue_length = (callers ahead + 1) x mean "
        "handle time / agents on duty; last_to_enter_service = wait of the last caller answered from the queue; head_of_line = "
        "wait so far of the caller at the front; oracle = the true remaining work (a yardstick, not realisable)",
    )
    tolerance: Optional[Distribution] = Field(
        None, description="informative: the longest announced wait each caller accepts (drawn per caller)"
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> "Announcements":
        if self.kind == "informative" and self.tolerance is None:
            raise ValueError("informative announcements need 'tolerance' (a distribution of the longest wait callers accept)")
        if self.kind == "generic" and self.first == 0 and self.every is None and self.hangup_probability > 0:
            pass
        return self
