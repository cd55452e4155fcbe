"""The report's words: metric names a planner reads, a glossary, what each variant changes, a summary.

Internal metric names (``abandonment_rate``, ``cost_customer_time``) stay in
files and the glossary; tables and figures of the report use the names of
:func:`human_name`, with the service-level threshold and units spelt out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional
from ..measure.metrics import describe_metric

if TYPE_CHECKING:  # pragma: no cover
    from ..experiment.results import ExperimentResult

__all__ = ["glossary", "human_name", "summary_paragraph", "threshold_text", "variant_changes"]

_NAMES: dict[str, str] = {
    "offered": "calls offered",
    "answered": "calls answered",
    "abandoned": "callers who hung up before an answer",
    "unserved": "calls never answered (no agent left on duty)",
    "abandonment_rate": "callers who hung up unserved",
    "asa": "average speed of answer (answered calls)",
    "mean_wait": "mean time on hold (all callers)",
    "wait_p50": "median time on hold",
    "wait_p90": "time on hold that 9 in 10 callers do not exceed",
    "wait_p99": "time on hold that 99 in 100 callers do not exceed",
    "p_wait": "callers who had to wait",
    "occupancy": "agent occupancy (share of time on duty spent on calls)",
    "mean_queue_length": "mean number of callers on hold",
    "wasted_hold_time": "time on hold of callers who hung up anyway",
    "messages_heard": "recorded hold messages heard per call",
    "slowdown_time": "agent time added because callers waited long",
    "redial_agent_time": "agent time spent on callers calling again",
    "blocked": "calls blocked: every line busy (busy tone)",
    "blocking_rate": "calls that got a busy tone (every line busy)",
    "overtime": "agent time finishing calls after a shift or break began",
    "balked": "callers who hung up on hearing the predicted wait",
    "callback_offers": "callbacks offered",
    "callback_accepts": "callbacks (or web forms) accepted",
    "callbacks_completed": "callbacks in which an agent reached the customer",
    "callbacks_unreached": "accepted callbacks never completed",
    "promise_kept_rate": "callback promises kept",
    "callback_delay": "mean time from accepting a callback to being reached",
    "hold_time_saved": "waiting done off hold by callback takers",
    "prediction_error": "mean error of the announced wait",
    "prediction_bias": "mean announced minus actual wait",
    "live_mean_wait": "mean time on hold, callers who stayed on the line",
    "live_wait_p90": "time on hold that 9 in 10 callers who stayed on the line do not exceed",
    "live_abandonment_rate": "callers who stayed on the line and hung up unserved",
    "cost_total": "total cost of the day",
    "cost_agents": "agents' pay",
    "cost_trunk": "telephony (minutes on hold and talking)",
    "cost_customer_time": "value of customers' time on hold",
    "cost_abandonment": "business lost with callers who hung up",
    "cost_churn": "customers lost (churn) x their lifetime value",
    "cost_attrition": "agents expected to quit x their replacement cost",
    "cost_per_call": "cost per offered call",
    "expected_churn": "customers expected to leave",
    "agents_present": "agents who came on duty",
    "agents_absent": "agents absent for the day",
    "agent_occupancy_p10": "occupancy of the least busy agents (10th percentile over agents)",
    "agent_occupancy_p90": "occupancy of the busiest agents (90th percentile over agents)",
    "high_occupancy_share": "share of the agents' time run hot (recent occupancy above the threshold)",
    "longest_stretch_p90": "longest stretch of work without a pause (90th percentile over agents)",
    "break_delay": "time breaks started late because a call ran into them",
    "fatigue_time": "agent time added by fatigue",
    "expected_attrition": "agents expected to quit because of the day",
}


def threshold_text(seconds: float) -> str:
    """A service-level threshold in words: ``20 s``, ``2 min``, ``1.5 min``."""
    if seconds < 120 or seconds % 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def human_name(metric: str, threshold: Optional[float] = None) -> str:
    """A metric's name for planners; ``service_level`` names its threshold (s), per-type metrics their type."""
    base, _, rest = metric.partition("[")
    if base in ("service_level", "live_service_level"):
        text = f"answered within {threshold_text(threshold)} (service level)" if threshold is not None else \
            "answered within the threshold (service level)"
        if base == "live_service_level":
            text += ", callers who stayed on the line"
    else:
        text = _NAMES.get(base, base.replace("_", " "))
    text = text[:1].upper() + text[1:]
    return f"{text}, {rest[:-1]} only" if rest else text


def glossary(result: "ExperimentResult", metrics: list[str]) -> list[tuple[str, str, str, str]]:
    """Rows ``(name in the report, internal name, meaning, unit)`` for ``metrics``."""
    threshold = result.experiment.baseline.service_level_threshold
    rows = []
    for metric in dict.fromkeys(metrics):
        meaning = describe_metric(metric)
        unit = result.unit(metric)
        if meaning.endswith(")") and "(" in meaning:
            meaning = meaning[: meaning.rfind("(")].rstrip()
        if unit == "fraction":
            unit = "%"
        rows.append((human_name(metric, threshold), metric, meaning, unit))
    return rows


def _inline(value: Any) -> str:
    import yaml

    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    return str(value)


def variant_changes(result: "ExperimentResult") -> list[tuple[str, str]]:
    """``(scenario, what it changes)`` for every scenario, as the config wrote it.

    The baseline says it is the baseline; a variant lists its overrides
    (``key: value``, nested blocks inline); a sweep point adds its swept values.
    Experiments built in code (no record of the config) list the keys whose
    resolved values differ from the baseline's.
    """
    exp = result.experiment
    base = exp.baseline
    rows = []
    for scenario in exp.scenarios:
        point = exp.point(scenario.name)
        parts: list[str] = []
        if point is not None:
            parts += [f"{k}: {_inline(v)}" for k, v in point.changes.items()]
            parts += [f"{k}: {_inline(v)}" for k, v in point.sweep.items()]
        elif scenario is not base:
            parts += _differences(base.model_dump(mode="json"), scenario.model_dump(mode="json"))
        if scenario is base:
            parts.insert(0, "the baseline: every difference is measured against it")
        rows.append((scenario.name, "; ".join(parts) if parts else "the base scenario as configured"))
    return rows


def _differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in b:
        if key == "name":
            continue
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out += _differences(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append(f"{prefix}{key}: {_inline(y)}")
    return out


def _listing(names: list[str], limit: int = 6) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, ... and 4 more``."""
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def summary_paragraph(result: "ExperimentResult") -> str:
    """The report's first paragraph: what was compared and what it found, with numbers and 95% CIs."""
    exp = result.experiment
    names = result.scenario_names
    baseline = names[0]
    known = set(result.metric_names())
    threshold = threshold_text(exp.baseline.service_level_threshold)
    found = {n: len([r for r in result.replications if r.scenario == n]) for n in names}
    days = min(found.values())
    text = []
    if len(names) > 1:
        others = names[1:]
        kind = "alternative" if len(others) == 1 else "alternatives"
        if days == max(found.values()):
            text.append(f"This report compares {baseline} (the baseline) with {len(others)} {kind}: "
                        f"{_listing(others)}. Each was simulated for the same {days} days with the same random "
                        "numbers (the same callers wherever arrivals are the same), so every difference below is "
                        "measured day by day against the baseline.")
        else:  # an interrupted or failed run: say what is there before any number
            missing = [n for n in names if found[n] == 0]
            counts = ", ".join(f"{n} {found[n]}" for n in names if found[n])
            text.append(f"This report compares {baseline} (the baseline) with {len(others)} {kind}, but the run is "
                        f"incomplete: simulated days found per scenario: {counts}"
                        + (f"; none yet for {_listing(missing)}" if missing else "")
                        + ". Each difference below is measured day by day over the days both scenarios have (the "
                        "same random numbers), so it can differ from the difference of two means over different "
                        "days; scenarios without days are left out. Run again with --resume to complete it.")
    else:
        text.append(f"This report describes {baseline}, simulated for {days} days.")
    if found[baseline] == 0:  # nothing to describe or compare with yet
        text.append(f"{baseline} has no simulated day yet, so there is nothing to compare with it.")
        return " ".join(text)
    if {"offered", "abandonment_rate", "service_level"} <= known:
        offered = result.estimate(baseline, "offered").mean
        ab = result.estimate(baseline, "abandonment_rate")
        sl = result.estimate(baseline, "service_level")
        lost = ab.mean * offered
        abandoned = result.estimate(baseline, "abandoned").mean if "abandoned" in known else math.nan
        if math.isfinite(abandoned):  # the mean count, not the product of two means
            balked = result.estimate(baseline, "balked").mean if "balked" in known else math.nan
            lost = abandoned + (balked if math.isfinite(balked) else 0.0)
        text.append(f"With {baseline}, about {offered:,.0f} calls arrive a day; {_pct(ab.mean)} of the calls "
                    f"(95% CI {_pct(ab.low)} to {_pct(ab.high)}; about {lost:,.0f} a day) hang up before an "
                    f"agent answers, and {_pct(sl.mean)} are answered within {threshold} "
                    f"(95% CI {_pct(sl.low)} to {_pct(sl.high)}).")
        if {"unique_callers", "caller_abandonment_rate"} <= known:  # with redials a caller may call several times
            callers = result.estimate(baseline, "unique_callers").mean
            never = result.estimate(baseline, "caller_abandonment_rate")
            if math.isfinite(callers) and math.isfinite(never.mean):
                text.append(f"Those calls come from about {callers:,.0f} callers (some call again); "
                            f"{_pct(never.mean)} of them (95% CI {_pct(never.low)} to {_pct(never.high)}) are "
                            "never answered.")
    if len(names) > 1 and "cost_total" in known and math.isfinite(result.estimate(baseline, "cost_total").mean):
        text += _cost_sentences(result, baseline)
    elif len(names) > 1 and "abandonment_rate" in known:
        text += _best_sentences(result, baseline, "abandonment_rate")
    return " ".join(text)


def _cost_sentences(result: "ExperimentResult", baseline: str) -> list[str]:
    currency = result.currency() or ""
    total = result.estimate(baseline, "cost_total")
    out = [f"Its day costs {_money(total.mean, currency)} (95% CI {_money(total.low, currency)} to "
           f"{_money(total.high, currency)}), prices as configured."]
    comparisons = [(result.comparison(n, baseline, "cost_total"), n) for n in result.scenario_names[1:]]
    comparisons = [(c, n) for c, n in comparisons if math.isfinite(c.difference)]
    too_few = [n for c, n in comparisons if c.n < 2 or not math.isfinite(c.paired_low)]
    comparisons = [(c, n) for c, n in comparisons if n not in too_few]
    if too_few:
        out.append(f"{_listing(too_few)} {'shares' if len(too_few) == 1 else 'share'} fewer than 2 days with "
                   f"{baseline}: too few to tell a difference from chance.")
    if not comparisons:
        return out
    cheaper = [(c, n) for c, n in comparisons if c.difference < 0 and c.paired_high < 0]
    dearer = [(c, n) for c, n in comparisons if c.difference > 0 and c.paired_low > 0]
    if cheaper:
        c, n = min(cheaper, key=lambda cn: cn[0].difference)
        sentence = (f"The largest saving is {n}: {_money(-c.difference, currency)} a day less "
                    f"(95% CI {_money(-c.paired_high, currency)} to {_money(-c.paired_low, currency)})")
        ab = result.comparison(n, baseline, "abandonment_rate") if "abandonment_rate" in result.metric_names() else None
        if ab is not None and math.isfinite(ab.difference):
            sentence += (f", with {_pct(result.estimate(n, 'abandonment_rate').mean)} of calls hanging up "
                         f"({100 * ab.difference:+.1f} percentage points, 95% CI {100 * ab.paired_low:+.1f} to "
                         f"{100 * ab.paired_high:+.1f})")
        out.append(sentence + ".")
    else:
        out.append(f"No scenario costs significantly less than {baseline} (95% paired CIs).")
    if dearer:
        c, n = max(dearer, key=lambda cn: cn[0].difference)
        out.append(f"The most expensive is {n}: {_money(c.difference, currency)} a day more "
                   f"(95% CI {_money(c.paired_low, currency)} to {_money(c.paired_high, currency)}).")
    unclear = [(c, n) for c, n in comparisons if (c, n) not in cheaper and (c, n) not in dearer]
    if unclear:
        days = sorted({c.n for c, _ in unclear})
        noise = f"{days[0]} days" if len(days) == 1 else f"{days[0]} to {days[-1]} days, the days each shares with it"
        out.append(f"For {_listing([n for _, n in unclear])}, the difference in cost is within the noise of {noise}: "
                   "its 95% CI includes 0.")
    return out


def _best_sentences(result: "ExperimentResult", baseline: str, metric: str) -> list[str]:
    comparisons = [(result.comparison(n, baseline, metric), n) for n in result.scenario_names[1:]]
    better = [(c, n) for c, n in comparisons if math.isfinite(c.difference) and c.n >= 2 and c.paired_high < 0]
    if not better:
        return [f"No scenario loses significantly fewer callers than {baseline} (95% paired CIs)."]
    c, n = min(better, key=lambda cn: cn[0].difference)
    return [f"{n} loses the fewest callers: {_pct(result.estimate(n, metric).mean)} hang up, "
            f"{100 * c.difference:+.1f} percentage points (95% CI {100 * c.paired_low:+.1f} to "
            f"{100 * c.paired_high:+.1f})."]
