"""Prices: what an agent-hour, a minute of telephony, a customer's minute and a lost caller cost.

The ``costs`` block of a scenario. Every parameter is in ``currency`` (a label
only) per the stated unit; :mod:`queuesim.measure.costs` turns them and a call
log into the cost of a day.
"""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel
from .fields import Name

__all__ = ["ChurnModel", "CostModel", "MAX_PRICE"]

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
