"""Service targets a staffing must meet, parsed from text such as ``"service_level>=0.8@20s"``.

A target names a per-interval metric, a direction and a value:

=====================  =========  ====================================================
metric                 direction  value
=====================  =========  ====================================================
``service_level``      ``>=``     fraction (or percent) answered within ``@threshold``
``abandonment_rate``   ``<=``     fraction (or percent) of offered calls abandoning
``asa``                ``<=``     mean wait of answered calls (duration)
``mean_wait``          ``<=``     mean wait of all offered calls (duration)
``occupancy``          ``<=``     busy / on-duty agent time (fraction)
=====================  =========  ====================================================

Every metric improves (weakly) as agents are added, so "the fewest agents
meeting every target" is well defined per interval.

A caller metric may name a call type in brackets: ``service_level[vip]>=0.9@10s``
holds for that type's callers only (where the type's home group is staffed; the
other targets hold for all callers of the pool or group). Every service-level
target has the same threshold: the simulation measures one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Optional, Union

from ..model.units import UnitError, format_duration, parse_duration

__all__ = ["METRICS", "StaffingError", "TYPE_METRICS", "Target", "parse_target", "parse_targets"]


class StaffingError(ValueError):
    """A staffing question that cannot be answered as asked (bad or unreachable target, ...)."""


#: metric -> (direction, kind, meaning)
METRICS: dict[str, tuple[str, str, str]] = {
    "service_level": (">=", "fraction", "share of offered calls answered within the threshold"),
    "abandonment_rate": ("<=", "fraction", "share of offered calls that hang up unserved"),
    "asa": ("<=", "duration", "mean wait of answered calls"),
    "mean_wait": ("<=", "duration", "mean wait of all offered calls"),
    "occupancy": ("<=", "fraction", "busy / on-duty agent time"),
    "blocking_rate": ("<=", "fraction", "share of offered calls that find every line busy (a scenario with lines)"),
}

_ALIASES = {"sl": "service_level", "abandonment": "abandonment_rate", "abandon": "abandonment_rate",
            "aban": "abandonment_rate", "wait": "mean_wait"}

_FORM = ("NAME>=VALUE or NAME<=VALUE, e.g. 'service_level>=0.8@20s', 'abandonment_rate<=0.05', "
         "'asa<=30s'; NAME is one of " + ", ".join(METRICS))

_RE = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\[([^\]]+)\])?\s*(>=|<=|=>|=<|>|<|=)\s*([^@]+?)\s*(?:@\s*(.+?)\s*)?$")

#: metrics a target may ask of one call type's callers (occupancy is the agents')
TYPE_METRICS = ("service_level", "abandonment_rate", "asa", "mean_wait")


@dataclass(frozen=True)
class Target:
    """One target: ``metric`` ``op`` ``value`` (seconds for durations, fractions otherwise).

    ``threshold`` (s) is the service-level threshold T, only for ``service_level``
    (None: the scenario's ``service_level_threshold``). ``call_type``: the target
    holds for that call type's callers only (None: for all callers).
    """

    metric: str
    value: float
    threshold: Optional[float] = None
    call_type: Optional[str] = None

    @property
    def key(self) -> str:
        """The measured quantity: the metric, with the call type in brackets for a type's target
        (``service_level[vip]``)."""
        return self.metric if self.call_type is None else f"{self.metric}[{self.call_type}]"

    @property
    def op(self) -> str:
        return METRICS[self.metric][0]

    @property
    def higher_is_better(self) -> bool:
        return self.op == ">="

    def text(self) -> str:
        """Canonical text, e.g. ``service_level>=0.8@20s``."""
        if METRICS[self.metric][1] == "duration":
            value = f"{self.value:g}s"
        else:
            value = f"{self.value:g}"
        at = f"@{self.threshold:g}s" if self.threshold is not None else ""
        return f"{self.key}{self.op}{value}{at}"

    def __str__(self) -> str:
        return self.text()

    def met(self, estimate: float) -> bool:
        """Whether a value of the metric meets the target (NaN: no calls, so nothing to miss)."""
        if math.isnan(estimate):
            return True
        return estimate >= self.value - 1e-12 if self.higher_is_better else estimate <= self.value + 1e-12

    def margin(self, estimate: float) -> float:
        """How far ``estimate`` is on the good side of the target, relative to a natural scale (>= 0: met)."""
        if math.isnan(estimate):
            return math.inf
        if self.higher_is_better:
            return (estimate - self.value) / max(1.0 - self.value, 1e-3)
        return (self.value - estimate) / max(self.value, 1e-3)


def _fraction(text: str, where: str) -> float:
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise StaffingError(f"{where}: value {text!r} is not a number; expected a fraction such as 0.8 or 80%") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise StaffingError(f"{where}: value {text!r} must be a fraction between 0 and 1 (or 0% to 100%)")
    return value


def parse_target(spec: Union[str, Target, dict]) -> Target:
    """Parse one target; raises :class:`StaffingError` naming the target, the value and what is allowed.

    >>> parse_target("service_level>=0.8@20s")
    Target(metric='service_level', value=0.8, threshold=20.0, call_type=None)
    >>> parse_target("service_level[vip]>=0.9@10s").key
    'service_level[vip]'
    >>> parse_target("asa<=0.5min").value
    30.0
    """
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, dict):
        try:
            name, op, value = spec["metric"], spec.get("op") or METRICS[spec["metric"]][0], spec["value"]
        except KeyError as exc:
            raise StaffingError(f"target {spec!r}: missing key {exc}; expected metric, value (and threshold)") from None
        name = f"{name}[{spec['call_type']}]" if spec.get("call_type") else name
        text = f"{name}{op}{value}" + (f"@{spec['threshold']}" if spec.get("threshold") is not None else "")
        return parse_target(text)
    if not isinstance(spec, str):
        raise StaffingError(f"target {spec!r}: expected text such as {_FORM}")
    where = f"target {spec!r}"
    match = _RE.match(spec)
    if not match:
        raise StaffingError(f"{where}: not understood; expected {_FORM}")
    name, call_type, op, value_text, at = match.groups()
    key = name.lower()
    metric = _ALIASES.get(key, key)
    if metric not in METRICS:
        raise StaffingError(f"{where}: unknown metric {name!r}; allowed: {', '.join(METRICS)}")
    if call_type is not None:
        call_type = call_type.strip()
        if metric not in TYPE_METRICS:
            raise StaffingError(f"{where}: {metric} is the agents', not a call type's: a call type in brackets "
                                f"goes with {', '.join(TYPE_METRICS)}")
        if not call_type:
            raise StaffingError(f"{where}: empty call type in brackets; write e.g. {metric}[vip]")
    direction, kind, meaning = METRICS[metric]
    op = {"=>": ">=", "=<": "<=", ">": ">=", "<": "<="}.get(op, op)
    if op != direction:
        word = "at least" if direction == ">=" else "at most"
        raise StaffingError(
            f"{where}: {metric} ({meaning}) improves with more agents, so a target says it must be "
            f"{word} a value: write {metric}{direction}{value_text}"
        )
    if kind == "fraction":
        value = _fraction(value_text, where)
    else:
        try:
            value = parse_duration(value_text)
        except UnitError as exc:
            raise StaffingError(f"{where}: {exc}") from None
        if not math.isfinite(value) or value < 0:
            raise StaffingError(f"{where}: {metric} value must be a duration >= 0, got {value_text!r}")
    threshold = None
    if at is not None:
        if metric != "service_level":
            raise StaffingError(f"{where}: '@{at}' (a threshold) only applies to service_level")
        try:
            threshold = parse_duration(at)
        except UnitError as exc:
            raise StaffingError(f"{where}: threshold: {exc}") from None
        if not math.isfinite(threshold) or threshold < 0:
            raise StaffingError(f"{where}: threshold must be a duration >= 0, got {at!r}")
    return Target(metric, value, threshold, call_type)


def parse_targets(specs: Iterable[Union[str, Target, dict]], default_threshold: float) -> list[Target]:
    """Parse several targets; service-level thresholds default to ``default_threshold`` (s).

    Raises :class:`StaffingError` if none is given, a metric appears twice (for all
    callers, or for the same call type) or two service-level targets use different
    thresholds (the simulation measures one).
    """
    if isinstance(specs, (str, Target, dict)):
        specs = [specs]
    targets = [parse_target(s) for s in specs]
    if not targets:
        raise StaffingError("give at least one target, e.g. 'service_level>=0.8@20s'")
    out: list[Target] = []
    for t in targets:
        if t.metric == "service_level" and t.threshold is None:
            t = Target(t.metric, t.value, float(default_threshold), t.call_type)
        if any(o.key == t.key for o in out):
            raise StaffingError(f"target {t}: {t.key} is given twice; give each metric once"
                                + (" per call type" if t.call_type else ""))
        other = next((o for o in out if o.metric == "service_level" and t.metric == "service_level"
                      and o.threshold != t.threshold), None)
        if other is not None:
            raise StaffingError(f"target {t}: its threshold differs from {other}'s; every service-level target "
                                "has the same threshold (the simulation measures one)")
        out.append(t)
    return out


def check_reachable(targets: Iterable[Target], *, patience_finite: bool) -> None:
    """Reject targets that no finite number of agents can meet in expectation (clear error, no search)."""
    for t in targets:
        where = f"target {t}"
        if t.metric == "service_level" and t.value >= 1.0:
            raise StaffingError(
                f"{where} is unreachable: with random arrivals some calls always "
                f"{'abandon or ' if patience_finite else ''}wait longer than {format_duration(t.threshold or 0.0)} "
                "for every finite number of agents, so the expected service level stays below 1; "
                "use a value below 1 such as 0.95"
            )
        if t.metric in ("asa", "mean_wait") and t.value <= 0.0:
            raise StaffingError(
                f"{where} is unreachable: with random arrivals some calls always wait, so the mean wait is "
                "positive for every finite number of agents; use a positive duration such as 20s"
            )
        if t.metric == "blocking_rate" and t.value <= 0.0:
            raise StaffingError(
                f"{where} is unreachable: with random arrivals every line is sometimes busy, however many agents "
                "answer; use a positive value such as 0.01"
            )
        if t.metric == "abandonment_rate" and t.value <= 0.0 and patience_finite:
            raise StaffingError(
                f"{where} is unreachable: with finite patience some callers always abandon, and the "
                "abandonment rate only tends to 0 as agents grow; use a positive value such as 0.02"
            )
        if t.metric == "occupancy" and t.value <= 0.0:
            raise StaffingError(f"{where} is unreachable: agents who answer calls are busy some of the time; "
                                "use a value such as 0.85")
