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

from typing import TYPE_CHECKING, Literal, Optional

from pydantic import Field, model_validator

from .base import ConfigModel
from .distributions import Distribution
from .fields import NonNegativeSeconds, PositiveSeconds, Probability

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

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

    def first_message_end(self) -> Optional[float]:
        """Time on hold (s) at which the first recorded message a caller sits through ends (None: none does).
        An informative announcement at arrival (``first: 0``) is told at once; its first recorded repeat
        comes ``every`` later."""
        first = self.first if (self.kind == "generic" or self.first > 0) else self.every
        return None if first is None else first + self.length

    def messages_heard(self, on_hold: "np.ndarray") -> "np.ndarray":
        """How many recorded messages played to the end during each stretch of ``on_hold`` seconds alone on hold
        (the first ends at :meth:`first_message_end`, then one every ``every``). A caller who hangs up right
        after a message has heard it."""
        import numpy as np  # on first use: reading and validating configs needs no numpy here

        on_hold = np.asarray(on_hold, dtype=np.float64)
        first = self.first_message_end()
        if first is None:
            return np.zeros(on_hold.shape, dtype=np.int32)
        # a hang-up right after message k comes at first + (k - 1) * every computed in the engine: allow its rounding
        slack = 1e-9 * np.maximum(1.0, np.abs(on_hold))
        reached = (on_hold > 0.0) & (on_hold + slack >= first)  # a caller answered at once hears nothing
        if self.every is None:
            return reached.astype(np.int32)
        later = np.floor((np.maximum(on_hold - first, 0.0) + slack) / self.every)
        return np.where(reached, 1 + later, 0).astype(np.int32)

    @model_validator(mode="after")
    def _kind_fields(self) -> "Announcements":
        if self.kind == "informative" and self.tolerance is None:
            raise ValueError("informative announcements need 'tolerance' (a distribution of the longest wait callers accept)")
        if self.kind == "generic" and self.first == 0 and self.every is None and self.hangup_probability > 0:
            pass
        return self
