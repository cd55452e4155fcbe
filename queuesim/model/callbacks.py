"""Callback options offered to callers facing a long wait, as a validated config block.

Durations in seconds (units accepted), probabilities in [0, 1].

``callback``::

    callback:
      kind: virtual_hold       # virtual_hold | scheduled | web_form; the keys below apply to every kind
      offer: at_arrival        # at_arrival | at_announcement
      threshold: 2min          # offered when the predicted wait exceeds this
      acceptance: 0.6          # probability an offered caller accepts
      answer_probability: 0.85 # the caller picks up when called back
      dial_time: 20s           # agent time per callback attempt before talking (dial, ring)
      attempts: 3              # call-back attempts in all
      retry_spacing: 10min     # time between attempts
      priority: strict         # strict | reserved | when_short (callbacks against inbound callers)
      reserved_agents: 2       # with priority: reserved
      short_queue: 3           # with priority: when_short: callbacks only when at most this many wait

    callback:
      kind: scheduled          # the earliest slot with room at least lead_time ahead
      slot_length: 15min
      slot_capacity: 4
      lead_time: 30min

    callback:
      kind: web_form           # "someone will contact you"
      follow_through: 0.7      # probability the promise is kept at all
      contact_delay: {distribution: exponential, mean: 2h}   # when kept: request -> attempt to contact
      late_after: 24h          # the customer gives up on the promise after this long
      redial_if_broken: 0.5    # a customer whose promise broke calls again (else leaves for good)
      web_hours:               # omit: requests are worked whenever an agent has nothing else to do
        - {start: "14:00", end: "16:00"}   # every day: due requests first, before inbound callers

:data:`Callback` is the discriminated union of the three kinds (as
:data:`~queuesim.model.distributions.Distribution` is of the distributions): a
key of another kind is an unknown key. Every kind has ``web_hours`` (None but
for web forms), which the engine reads of any callback.
"""

from __future__ import annotations

import math
from typing import Any, Annotated, Literal, Optional, Union

from pydantic import Field, model_validator

from .base import ConfigModel
from .distributions import Distribution
from .fields import ClockTime, NonNegativeSeconds, PositiveSeconds, Probability
from .units import format_clock

__all__ = [
    "BaseCallback", "CALLBACK_NAMES", "Callback", "Neglect", "ScheduledCallback", "VirtualHoldCallback", "WebFormCallback",
    "WebHours",
]

#: The callback kinds, as written in configs (``callback.kind``).
CALLBACK_NAMES: tuple[str, ...] = ("virtual_hold", "scheduled", "web_form")


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


class BaseCallback(ConfigModel):
    """Callback options offered to callers facing a long wait, chosen by ``kind``: the keys below apply
    to every kind; each kind adds its own (see module docstring)."""

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
    dial_time: NonNegativeSeconds = Field(20.0, description="time per callback attempt before the customer answers or not (dialling, ringing); agent time when dial is agent_first")
    dial: Literal["agent_first", "customer_first"] = Field(
        "agent_first", description="agent_first: an agent dials and waits, dial_time of agent time per attempt; customer_first: "
        "the system dials and an agent is connected only when the customer answers (connect_time of agent time; "
        "unanswered attempts cost no agent time)"
    )
    connect_time: NonNegativeSeconds = Field(5.0, description="customer_first: agent time to take a connected customer, before talking")
    attempts: int = Field(3, ge=1, le=20, description="call-back attempts in all before giving up")
    retry_spacing: PositiveSeconds = Field(600.0, description="time between call-back attempts")
    priority: Literal["strict", "reserved", "when_short"] = Field(
        "strict", description="callbacks against inbound callers: strict first, reserved agents, or only when the queue is short"
    )
    reserved_agents: int = Field(1, ge=1, le=1_000_000, description="with priority reserved: agents who take callbacks first")
    short_queue: int = Field(0, ge=0, le=1_000_000, description="with priority when_short: callbacks only when at most this many wait")


class Neglect(ConfigModel):
    """Promises forgotten when staff are stretched: every ``review``, each pending request (a booked callback
    or a kept web-form promise not yet worked) is forgotten with probability ``1 - exp(-h x review)``, where the
    hazard ``h`` is 0 while the share of its group's agents on duty who are busy is at most ``above`` and grows
    linearly to ``per_hour`` when all of them are busy (with nobody on duty, nothing is forgotten). A forgotten
    request is a broken promise; reviews stop once no other event can change anything."""

    per_hour: float = Field(ge=0.0, le=1000.0, description="hazard of forgetting a pending request when every agent is busy (per hour)")
    above: float = Field(0.8, ge=0.0, lt=1.0, description="share of agents busy below which nothing is forgotten")
    review: PositiveSeconds = Field(900.0, description="how often pending requests are reviewed")

    def probability(self, busy_share: float) -> float:
        """Chance that a pending request is forgotten at one review, with ``busy_share`` of its group's agents busy."""
        hazard = self.per_hour * max(0.0, (busy_share - self.above) / (1.0 - self.above)) / 3600.0
        return -math.expm1(-hazard * self.review)


class _WithoutWebHours:
    """Kinds other than web_form have no web hours: the engine reads ``web_hours`` of any callback."""

    @property
    def web_hours(self) -> None:
        return None


class VirtualHoldCallback(_WithoutWebHours, BaseCallback):
    """The caller keeps their place in line without holding: when it is their turn, an agent calls back."""

    kind: Literal["virtual_hold"] = Field("virtual_hold", description="virtual_hold: keep your place in line")


class ScheduledCallback(_WithoutWebHours, BaseCallback):
    """The caller books the earliest slot with room at least ``lead_time`` ahead; an agent calls back when
    the slot starts."""

    kind: Literal["scheduled"] = Field("scheduled", description="scheduled: pick a slot")
    slot_length: PositiveSeconds = Field(900.0, description="length of a callback slot")
    slot_capacity: int = Field(4, ge=1, le=100_000, description="callbacks booked per slot")
    lead_time: NonNegativeSeconds = Field(1800.0, description="earliest slot starts at least this far ahead")
    neglect: Optional[Neglect] = Field(None, description="booked callbacks forgotten when staff are stretched")


class WebFormCallback(BaseCallback):
    """'Someone will contact you': the promise is kept with probability ``follow_through``, after
    ``contact_delay``; a customer whose promise broke may call again."""

    kind: Literal["web_form"] = Field("web_form", description="web_form: 'someone will contact you'")
    follow_through: Probability = Field(0.7, description="probability the promise is kept")
    contact_delay: Distribution = Field(description="time from request to the contact attempt when kept")
    late_after: PositiveSeconds = Field(
        86400.0, description="the promise's window: a contact later than this after the request is a broken promise "
        "(a stated window, 'within 2 hours', or how long a customer given a vague promise waits before giving up)"
    )
    redial_if_broken: Probability = Field(0.5, description="probability a customer whose promise broke calls again")
    neglect: Optional[Neglect] = Field(None, description="kept promises forgotten when staff are stretched")
    web_hours: Optional[tuple[WebHours, ...]] = Field(
        None,
        description="daily blocks in which agents take due requests before inbound callers, and the only "
        "times requests are worked; omit: requests are worked whenever an agent has nothing else to do",
    )

    @model_validator(mode="after")
    def _some_hours(self) -> "WebFormCallback":
        if self.web_hours is not None and not self.web_hours:
            raise ValueError("web_hours is empty: give at least one block, e.g. [{start: '14:00', end: '16:00'}], or omit it")
        return self


Callback = Annotated[
    Union[VirtualHoldCallback, ScheduledCallback, WebFormCallback],
    Field(discriminator="kind"),
]
"""Any callback option, chosen by its ``kind`` key."""


#: The keys of each callback kind.
CALLBACK_KEYS: dict[str, frozenset[str]] = {
    model.model_fields["kind"].default: frozenset(model.model_fields)
    for model in (VirtualHoldCallback, ScheduledCallback, WebFormCallback)
}


def without_other_kinds_keys(callback: Any) -> Any:
    """A callback mapping without the keys of the other kinds (result folders written when one flat model
    held every kind's keys list them all); anything else unchanged."""
    if not isinstance(callback, dict):
        return callback
    keys = CALLBACK_KEYS.get(callback.get("kind", "virtual_hold"))
    if keys is None:
        return callback
    return {k: v for k, v in callback.items() if k in keys}
