"""Prices: what an agent-hour, a minute of telephony, a customer's minute and a lost caller cost.

The ``costs`` block of a scenario. Every parameter is in ``currency`` (a label
only) per the stated unit; :mod:`queuesim.measure.costs` turns them and a call
log into the cost of a day.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import ConfigModel
from .fields import Name

__all__ = ["Attrition", "ChurnModel", "CostModel", "MAX_PRICE"]

_NonNegMoney = Field(ge=0.0, allow_inf_nan=False)

#: Largest price accepted (currency per unit): products with minutes, calls and hours of a run stay finite.
MAX_PRICE = 1e12


class ChurnModel(ConfigModel):
    """Probability that a caller leaves for good, as a function of their experience."""

    lifetime_value: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="value of a customer who stays (currency)")
    base: float = Field(0.0, ge=0.0, le=1.0, description="churn probability of a caller with a perfect experience")
    per_wait_minute: float = Field(0.0, ge=0.0, le=1.0, description="added per minute of total hold time across attempts")
    abandoned: float = Field(0.0, ge=0.0, le=1.0, description="added when the caller was never answered")
    per_transfer: float = Field(0.0, ge=0.0, le=1.0, description="added per transfer between departments")
    broken_promise: float = Field(0.0, ge=0.0, le=1.0, description="added when a promised callback or contact did not happen")
    per_message: float = Field(0.0, ge=0.0, le=1.0, description="added per recorded hold message the caller sat through, over all attempts")
    max: float = Field(1.0, ge=0.0, le=1.0, description="cap on the churn probability")


class Attrition(ConfigModel):
    """What running agents hot costs: agents who quit, and the price of replacing them.

    Each agent present on the day quits (eventually, because of that day) with probability
    ``per_day + per_hour_above x hours on duty at a recent occupancy above the threshold``
    (the threshold and window of ``staff.high_occupancy``); the expected number of leavers
    times ``replacement_cost`` (hiring and training a successor) is ``cost_attrition``.
    Annual agent turnover of 30-45% is common in contact centres: 0.0012 per agent-day is
    30% a year over 250 working days. The prices are illustrative: set yours.
    """

    replacement_cost: float = Field(ge=0.0, le=MAX_PRICE, allow_inf_nan=False,
                                    description="cost of replacing an agent who quits: hiring and training (currency)")
    per_day: float = Field(0.0012, ge=0.0, le=1.0, allow_inf_nan=False,
                           description="probability that an agent present on the day quits because of it, at any load "
                           "(per agent-day; 0.0012 is 30% a year over 250 days)")
    per_hour_above: float = Field(0.0, ge=0.0, le=1.0, allow_inf_nan=False,
                                  description="added per hour the agent spent on duty at a recent occupancy above "
                                  "staff.high_occupancy.above (per agent-hour)")


class CostModel(ConfigModel):
    """Prices of the cost components; all in ``currency`` per the stated unit, all >= 0 and at most
    1e12, so that the costs of a run stay finite."""

    currency: Name = Field("EUR", max_length=8, description="currency label for reports (printable)")
    agent_per_hour: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="cost of one paid agent-hour")
    trunk_per_minute_hold: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="telephony cost per caller-minute on hold")
    trunk_per_minute_talk: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="telephony cost per minute talking")
    customer_minute: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="value of a customer's minute spent on hold")
    abandoned_call: float = Field(0.0, ge=0.0, le=MAX_PRICE, allow_inf_nan=False, description="cost of one abandoned call")
    churn: ChurnModel = Field(default_factory=ChurnModel, description="churn probability model")
    attrition: Optional[Attrition] = Field(
        None, description="agents who quit because of the load, and their replacement cost (needs a staff block; "
        "per_hour_above needs staff.high_occupancy)")
