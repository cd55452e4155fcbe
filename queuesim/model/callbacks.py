"""Callback options offered to callers facing a long wait, as a validated config block.

Durations in seconds (units accepted), probabilities in [0, 1].

``callback``::

    callback:
      kind: virtual_hold       # virtual_hold | scheduled | web_form
      offer: at_arrival        # at_arrival | at_announcement
      threshold: 2min          # offered when the predicted wait exceeds this
      acceptance: 0.6          # probability an offered caller accepts
      answer_probability: 0.85 # the caller picks up when called back
      dial_time: 20s           # agent time per callback attempt before talking (dial, ring)
      attempts: 3              # call-back attempts in all
      retry_spacing: 10min     # time between attempts
      # scheduled: earliest slot with room at least lead_time ahead
      slot_length: 15min
      slot_capacity: 4
      lead_time: 30min
      priority: strict         # strict | reserved | when_short (callbacks against inbound callers)
      reserved_agents: 2       # with priority: reserved
      short_queue: 3           # with priority: when_short: callbacks only when at most this many wait
      # web_form: "someone will contact you"
      follow_through: 0.7      # probability the promise is kept at all
      contact_delay: {distribution: exponential, mean: 2h}   # when kept: request -> attempt to contact
      late_after: 24h          # the customer gives up on the promise after this long
      redial_if_broken: 0.5    # a customer whose promise broke calls again (else leaves for good)
      web_hours:               # omit: requests are worked whenever an agent has nothing else to do
        - {start: "14:00", end: "16:00"}   # every day: due requests first, before inbound callers
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from .base import ConfigModel
from .distributions import Distribution
from .fields import ClockTime, NonNegativeSeconds, PositiveSeconds, Probability
from .units import format_clock

__all__ = ["Callback", "WebHours"]

class WebHours(ConfigModel):
    """A daily block of time in which agents work the web-form backlog first."""

    start: ClockTime = Field(description="start of the block each day, e.g. '14:00'")
    end: ClockTime = Field(description="end of the block each day, e.g. '16:00' (after start, at most '24:00')")

    @model_validator(mode="after")
    def _ordered(self) -> "WebHours":
        if not (self.start < self.end <= 86400.0):
            raise ValueError(
                f"a web_hours block must end after it starts and by 24:00; got start {format_clock(self.start)}, "
                f"end {format_clock(self.end)}"
            )
        return self


class Callback(ConfigModel):
    """Callback options offered to callers facing a long wait (see module docstring)."""

    kind: Literal["virtual_hold", "scheduled", "web_form"] = Field(
        description="virtual_hold: keep your place in line; scheduled: pick a slot; web_form: 'someone will contact you'"
    )
    offer: Literal["at_arrival", "at_announcement"] = Field(
        "at_arrival", description="when the option is offered (at_announcement needs informative announcements)"
    )
    threshold: NonNegativeSeconds = Field(120.0, description="offered when the predicted wait exceeds this")
    predictor: Literal["queue_length", "last_to_enter_service", "head_of_line", "oracle"] = Field(
        "queue_length", description="wait predictor used for offers at arrival"
    )
    acceptance: Probability = Field(0.5, description="probability that an offered caller accepts")
    answer_probability: Probability = Field(0.9, description="probability the customer picks up a callback")
    dial_time: NonNegativeSeconds = Field(20.0, description="agent time per callback attempt before talking")
    attempts: int = Field(3, ge=1, le=20, description="call-back attempts in all before giving up")
    retry_spacing: PositiveSeconds = Field(600.0, description="time between call-back attempts")
    slot_length: PositiveSeconds = Field(900.0, description="scheduled: length of a callback slot")
    slot_capacity: int = Field(4, ge=1, le=100_000, description="scheduled: callbacks booked per slot")
    lead_time: NonNegativeSeconds = Field(1800.0, description="scheduled: earliest slot starts at least this far ahead")
    priority: Literal["strict", "reserved", "when_short"] = Field(
        "strict", description="callbacks against inbound callers: strict first, reserved agents, or only when the queue is short"
    )
    reserved_agents: int = Field(1, ge=1, le=1_000_000, description="with priority reserved: agents who take callbacks first")
    short_queue: int = Field(0, ge=0, le=1_000_000, description="with priority when_short: callbacks only when at most this many wait")
    follow_through: Probability = Field(0.7, description="web_form: probability the promise is kept")
    contact_delay: Optional[Distribution] = Field(None, description="web_form: time from request to the contact attempt when kept")
    late_after: PositiveSeconds = Field(86400.0, description="web_form: the customer gives up on the promise after this")
    redial_if_broken: Probability = Field(0.5, description="web_form: probability a customer whose promise broke calls again")
    web_hours: Optional[tuple[WebHours, ...]] = Field(
        None,
        description="web_form: daily blocks in which agents take due requests before inbound callers, and the only "
        "times requests are worked; omit: requests are worked whenever an agent has nothing else to do",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> "Callback":
        if self.kind == "web_form" and self.contact_delay is None:
            raise ValueError("web_form callbacks need 'contact_delay' (a distribution of the time until contact)")
        if self.web_hours is not None:
            if self.kind != "web_form":
                raise ValueError(f"web_hours applies to kind web_form only (this callback is {self.kind})")
            if not self.web_hours:
                raise ValueError("web_hours is empty: give at least one block, e.g. [{start: '14:00', end: '16:00'}], or omit it")
        return self

