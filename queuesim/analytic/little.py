"""Little's law, L = lambda W (rates per second, times in seconds)."""

from __future__ import annotations

__all__ = ["littles_law_L", "littles_law_W"]


def littles_law_L(rate: float, mean_time: float) -> float:
    """Mean number in a system: ``rate`` (per second) times ``mean_time`` (seconds) spent in it."""
    if rate < 0 or mean_time < 0:
        raise ValueError("rate and mean_time must be >= 0")
    return rate * mean_time


def littles_law_W(mean_number: float, rate: float) -> float:
    """Mean time in a system (seconds): ``mean_number`` present divided by throughput ``rate`` (per second)."""
    if mean_number < 0 or rate <= 0:
        raise ValueError("mean_number must be >= 0 and rate > 0")
    return mean_number / rate
