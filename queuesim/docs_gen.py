"""The config reference and the JSON Schema, generated from the validation models.

Both are derived from the pydantic models that validate configs (the
:class:`~queuesim.model.scenario.Scenario` and every block nested in it, every
distribution of the discriminated union, the experiment's ``seed`` and
``replications``) plus the experiment keys read by :mod:`queuesim.model.config`
(``name``, ``description``, ``variants``, ``sweep``), so the documentation
cannot drift from what is accepted: ``tests/test_docs.py`` fails when the
committed ``docs/config-reference.md`` differs from :func:`config_reference`.

::

    python -m queuesim.docs_gen                 # print the Markdown reference
    python -m queuesim.docs_gen --write         # (re)write docs/config-reference.md
    python -m queuesim.docs_gen --schema        # print the JSON Schema (as `queuesim schema`)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any, Literal, Optional, Union

import annotated_types
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .model import fields as _fields
from .model.callbacks import BaseCallback
from .model.config import EXPERIMENT_KEYS, RESOLVED_KEYS
from .model.distributions import BaseDistribution, Distribution
from .model.scenario import Scenario
from .model.spec import Experiment, ScenarioPoint
from .model.units import DURATION_UNITS

__all__ = [
    "DEFAULT_REFERENCE_PATH",
    "EXTRA_UNITS",
    "FALLBACK_DESCRIPTIONS",
    "SCHEMA_ID",
    "config_reference",
    "config_schema",
    "documented_fields",
    "main",
]

#: Where the generated reference lives in the repository.
DEFAULT_REFERENCE_PATH = Path(__file__).resolve().parent.parent / "docs" / "config-reference.md"

SCHEMA_ID = "https://queuesim.invalid/config.schema.json"

#: One-line meanings for fields whose model declares no ``description``
#: (the distributions' parameters). A test fails when an entry becomes stale
#: (the model gained a description) or when a field has neither.
FALLBACK_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Exponential", "mean"): "mean duration",
    ("Deterministic", "value"): "the duration, always the same",
    ("Lognormal", "mean"): "mean duration (give with sd)",
    ("Lognormal", "sd"): "standard deviation of the duration (give with mean)",
    ("Lognormal", "mu"): "mean of ln(duration in seconds) (give with sigma, instead of mean and sd)",
    ("Lognormal", "sigma"): "standard deviation of ln(duration in seconds) (give with mu)",
    ("Gamma", "shape"): "shape parameter (1 = exponential)",
    ("Gamma", "mean"): "mean duration (give mean or scale)",
    ("Gamma", "scale"): "scale parameter (give mean or scale); mean = shape x scale",
    ("Weibull", "shape"): "shape parameter (< 1: decreasing hazard, 1 = exponential)",
    ("Weibull", "mean"): "mean duration (give mean or scale)",
    ("Weibull", "scale"): "scale parameter (give mean or scale)",
    ("Uniform", "low"): "smallest duration",
    ("Uniform", "high"): "largest duration (greater than low)",
    ("Empirical", "values"): "durations to resample with replacement (instead of file and column)",
    ("Empirical", "file"): "CSV file with a header row, relative to the config file",
    ("Empirical", "column"): "column of the CSV holding the durations (seconds, or text with a unit)",
}

_DISCRIMINATOR_DESCRIPTION = "selects this distribution"

# --------------------------------------------------------------------------- types


@dataclass
class _Type:
    """What a field accepts, read from its annotation and constraints."""

    text: str = ""  # e.g. "duration", "list of [Shift](#shift)"
    unit: str = ""  # "s (unit text ok)", ...
    kind: str = ""  # duration | duration_inf | rate | clock | "" (for the schema patch)
    choices: tuple[Any, ...] = ()
    bounds: dict[str, float] = dc_field(default_factory=dict)  # ge / gt / le / lt
    length: dict[str, int] = dc_field(default_factory=dict)  # min / max items or characters
    models: list[type[BaseModel]] = dc_field(default_factory=list)
    distribution: bool = False
    infinite: bool = False  # 'inf' accepted (never)


_VALIDATOR_KINDS = {
    _fields._duration: "duration",
    _fields._duration_or_inf: "duration_inf",
    _fields._rate: "rate",
    _fields._clock: "clock",
}

_UNITS = {
    "duration": "s, or text: `4.5min`",
    "duration_inf": "s, or text: `4.5min`; `inf`",
    "rate": "per s, or text: `95/min`",
    "clock": "`07:30`, or s after midnight",
}

#: Units the annotations cannot tell (money and per-event probabilities).
#: A test fails when one of these keys is no longer a field.
EXTRA_UNITS: dict[tuple[str, str], str] = {
    ("CostModel", "agent_per_hour"): "currency / agent-hour",
    ("CostModel", "trunk_per_minute_hold"): "currency / minute on hold",
    ("CostModel", "trunk_per_minute_talk"): "currency / minute talking",
    ("CostModel", "customer_minute"): "currency / minute on hold",
    ("CostModel", "abandoned_call"): "currency / call",
    ("ChurnModel", "lifetime_value"): "currency / customer",
    ("ChurnModel", "per_wait_minute"): "per minute on hold",
    ("ChurnModel", "per_transfer"): "per transfer",
    ("ChurnModel", "per_message"): "per message heard",
    ("Slowdown", "per_wait_minute"): "share of the handle time per minute on hold",
    ("Slowdown", "max"): "share of the handle time",
    ("Fatigue", "per_point"): "share of the handle time per point of occupancy",
    ("Fatigue", "max"): "share of the handle time",
    ("Fatigue", "threshold"): "share of the window at work",
    ("SpeedGroup", "multiplier"): "x handle time",
    ("Neglect", "per_hour"): "per hour",
    ("Neglect", "above"): "share of agents busy",
    ("Transfers", "own_it_handle_factor"): "x handle time",
}

_TYPE_TEXT = {"duration": "duration", "duration_inf": "duration", "rate": "rate", "clock": "clock time"}


def _flat_metadata(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, FieldInfo):
            out.extend(_flat_metadata(item.metadata))
        else:
            out.append(item)
    return out


def _apply_metadata(info: _Type, metadata: list[Any]) -> None:
    for item in _flat_metadata(metadata):
        if isinstance(item, BeforeValidator) and item.func in _VALIDATOR_KINDS:
            info.kind = _VALIDATOR_KINDS[item.func]
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(item, name, None)
            if value is not None and isinstance(item, getattr(annotated_types, name.capitalize())):
                info.bounds[name] = value
        if isinstance(item, annotated_types.MinLen):
            info.length["min"] = item.min_length
        if isinstance(item, annotated_types.MaxLen):
            info.length["max"] = item.max_length


def _is_distribution(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is Union and bool(args) and all(
        isinstance(a, type) and issubclass(a, BaseDistribution) for a in args
    )


def _is_callback(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is Union and bool(args) and all(
        isinstance(a, type) and issubclass(a, BaseCallback) for a in args
    )


def _own_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The documented fields of ``model``; of a callback kind, those beyond the ones every kind has."""
    fields = _public_fields(model)
    if issubclass(model, BaseCallback) and model is not BaseCallback:
        return {k: v for k, v in fields.items() if k not in BaseCallback.model_fields}
    return fields


def _analyse(annotation: Any, metadata: list[Any]) -> _Type:
    info = _Type()
    _apply_metadata(info, metadata)
    info.text = _describe(annotation, info)
    if info.kind:
        info.unit = _UNITS[info.kind]
    return info


def _describe(annotation: Any, info: _Type) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner, *meta = args
        if _is_distribution(inner):
            info.distribution = True
            return "[distribution](#distributions)"
        _apply_metadata(info, meta)
        return _describe(inner, info)
    if origin is Union:
        rest = [a for a in args if a is not type(None)]
        if _is_distribution(annotation):
            info.distribution = True
            return "[distribution](#distributions)"
        if _is_callback(annotation):
            info.models.extend(args)  # one model per kind, documented together under Callback
            return "[Callback](#callback)"
        if len(rest) == 1:
            return _describe(rest[0], info)
        return " or ".join(_describe(a, info) for a in rest)
    if origin is Literal:
        info.choices = args
        return "text" if all(isinstance(a, str) for a in args) else "value"
    if origin in (tuple, list):
        item = args[0] if args else Any
        inner = _Type()
        text = _describe(item, inner)
        if inner.kind:
            info.kind = info.kind or inner.kind
            text = _TYPE_TEXT[inner.kind] + "s" if inner.kind != "clock" else "clock times"
            info.unit = _UNITS[inner.kind]
        elif text in ("integer", "number", "text", "probability"):
            text = text + "s"
        info.models.extend(inner.models)
        info.distribution = info.distribution or inner.distribution
        info.choices = info.choices or inner.choices
        inner_bounds = _bounds_text(inner)
        return f"list of {text}" + (f" ({inner_bounds})" if inner_bounds else "")
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info.models.append(annotation)
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if info.kind:
        return _TYPE_TEXT[info.kind]
    if annotation is bool:
        return "true/false"
    if annotation is int:
        return "integer"
    if annotation is float:
        if info.bounds.get("ge") == 0 and info.bounds.get("le") == 1:
            return "probability"
        return "number"
    if annotation is str:
        return "text"
    return "any"


def _num(x: float) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    return f"{x:,}" if isinstance(x, int) and abs(x) >= 10_000 else f"{x:g}" if isinstance(x, float) else str(x)


def _bounds_text(info: _Type) -> str:
    b = info.bounds
    parts = []
    if "ge" in b and "le" in b and b["le"] < 2**53:
        if not (info.text == "probability"):
            parts.append(f"{_num(b['ge'])} to {_num(b['le'])}")
        else:
            parts.append("0 to 1")
    else:
        if "ge" in b:
            parts.append(f">= {_num(b['ge'])}")
        if "gt" in b:
            parts.append(f"> {_num(b['gt'])}")
        if "le" in b and b["le"] < 2**53:
            parts.append(f"<= {_num(b['le'])}")
        if "lt" in b:
            parts.append(f"< {_num(b['lt'])}")
    return ", ".join(parts)


def _allowed_text(info: _Type) -> str:
    parts = []
    if info.choices:
        parts.append(", ".join(f"`{c}`" for c in info.choices))
    bounds = _bounds_text(info)
    if bounds and not info.text.startswith("list of"):
        parts.append(bounds)
    length = info.length
    if length:
        what = "items" if info.text.startswith(("list", "mapping")) else "characters"
        if what == "characters" and length.get("min") == 1 and "max" not in length:
            parts.append("not empty")
        elif "min" in length and "max" in length:
            parts.append(f"{length['min']}-{length['max']} {what}")
        elif "min" in length:
            parts.append(f"at least {length['min']} {'item' if what == 'items' and length['min'] == 1 else what}")
        else:
            parts.append(f"at most {length['max']} {what}")
    if info.infinite:
        parts.append("or `inf` (never)")
    return "; ".join(parts)


def _format_duration(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size and (seconds / size) == round(seconds / size, 6):
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _default_text(fi: FieldInfo, info: _Type) -> str:
    if fi.default_factory is not None:
        value = fi.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "all defaults"
        return "empty" if not value else f"`{value}`"
    default = fi.default
    if default is PydanticUndefined:
        return "**required**"
    if default is None:
        return "none"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, (tuple, list)):
        return "empty" if not default else f"`{list(default)}`"
    if isinstance(default, (int, float)) and info.kind in ("duration", "duration_inf"):
        return f"`{_format_duration(float(default))}`"
    if isinstance(default, (int, float)) and info.kind == "clock":
        minutes = int(round(default / 60))
        return f"`{minutes // 60:02d}:{minutes % 60:02d}`"
    if isinstance(default, float):
        return f"`{_num(default)}`"
    if isinstance(default, int):
        return f"`{_num(default)}`"
    return f"`{default}`"


def _accepts_infinite(model: type[BaseModel], name: str) -> bool:
    """True when a before-validator of ``model`` turns ``'inf'`` in field ``name`` into None."""
    decorators = model.__pydantic_decorators__
    for dec in decorators.field_validators.values():
        if name in dec.info.fields and dec.info.mode == "before":
            try:
                if getattr(model, dec.cls_var_name)("inf") is None:
                    return True
            except Exception:  # noqa: BLE001 - a validator that refuses is an answer
                pass
    for dec in decorators.model_validators.values():
        if dec.info.mode == "before":
            try:
                out = getattr(model, dec.cls_var_name)({name: "inf"})
            except Exception:  # noqa: BLE001
                continue
            if isinstance(out, dict) and name in out and out[name] is None:
                return True
    return False


def _public_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {k: v for k, v in model.model_fields.items() if not v.exclude}


def _description(model: type[BaseModel], name: str, fi: FieldInfo) -> str:
    if fi.description:
        return fi.description
    if name == "distribution" and issubclass(model, BaseDistribution):
        return _DISCRIMINATOR_DESCRIPTION
    return FALLBACK_DESCRIPTIONS.get((model.__name__, name), "")


def _field_type(model: type[BaseModel], name: str, fi: FieldInfo) -> _Type:
    info = _analyse(fi.annotation, list(fi.metadata))
    info.unit = EXTRA_UNITS.get((model.__name__, name), info.unit)
    if info.distribution and _accepts_infinite(model, name):
        info.infinite = True
    return info


# --------------------------------------------------------------------------- walking the models


def _distribution_models() -> list[type[BaseModel]]:
    args = typing.get_args(Distribution)
    return list(typing.get_args(args[0]))


def _models_in_order() -> list[tuple[type[BaseModel], list[str]]]:
    """Every model nested in Scenario (depth first, in field order) with the config paths that reach it."""
    order: list[type[BaseModel]] = []
    paths: dict[type[BaseModel], list[str]] = {}

    def visit(model: type[BaseModel], prefix: str) -> None:
        for name, fi in _public_fields(model).items():
            info = _field_type(model, name, fi)
            for sub in info.models:
                path = f"{prefix}{name}" + ("[]" if info.text.startswith("list of") else "")
                first = sub not in paths
                paths.setdefault(sub, [])
                if path not in paths[sub]:
                    paths[sub].append(path)
                if first:
                    order.append(sub)
                visit(sub, path + ".")

    visit(Scenario, "")
    return [(m, paths[m]) for m in order]


def _sections() -> list[tuple[type[BaseModel], list[str]]]:
    """The models documented in their own section, in order: the callback kinds become one section,
    :class:`~queuesim.model.callbacks.BaseCallback` (each kind's own keys are subsections of it)."""
    out: list[tuple[type[BaseModel], list[str]]] = []
    for model, paths in _models_in_order():
        if issubclass(model, BaseCallback):
            if not any(m is BaseCallback for m, _ in out):
                out.append((BaseCallback, paths))
            continue
        out.append((model, paths))
    return out


def _callback_kinds() -> list[type[BaseModel]]:
    return [m for m, _ in _models_in_order() if issubclass(m, BaseCallback)]


def documented_fields() -> list[tuple[str, str, str]]:
    """(model, field, description) for every field the reference documents."""
    out = []
    models = [Scenario, *(m for m, _ in _sections()), *_callback_kinds(), *_distribution_models()]
    for model in models:
        for name, fi in _own_fields(model).items():
            if name == "distribution" and issubclass(model, BaseDistribution):
                continue  # the discriminator: the section heading
            out.append((model.__name__, name, _description(model, name, fi)))
    return out


# --------------------------------------------------------------------------- the experiment keys


@dataclass(frozen=True)
class _Key:
    name: str
    type: str
    unit: str
    default: str
    allowed: str
    meaning: str


def _experiment_keys() -> list[_Key]:
    """The experiment keys of a config file (``queuesim.model.config.EXPERIMENT_KEYS``)."""
    keys = {
        "name": _Key("name", "text", "", "none (the base scenario is then called `baseline`)", "not empty",
                     "experiment name; also the name of the base scenario"),
        "description": _Key("description", "text", "", "none", "", "free text, ignored by the simulator"),
        "variants": _Key(
            "variants", "mapping: name -> overrides", "", "none", "any scenario keys, dotted keys (`arrivals.rate`)",
            "extra scenarios: the base scenario with some keys overridden (nested mappings merge, lists are "
            "replaced); every variant uses the same random numbers as the base (common random numbers)",
        ),
        "sweep": _Key(
            "sweep", "mapping: key -> values", "", "none",
            "a list of values, or `{from, to, step}` (numbers, `to` included when on the grid); not experiment keys",
            "a grid over scenario keys (dotted keys work), crossed with the base and every variant; scenarios are "
            "named `<scenario>[<key>=<value>,...]`; the first is the baseline of paired comparisons",
        ),
    }
    for name in ("seed", "replications"):
        fi = Experiment.model_fields[name]
        info = _field_type(Experiment, name, fi)
        keys[name] = _Key(name, info.text, info.unit, _default_text(fi, info), _allowed_text(info), fi.description or "")
    missing = [k for k in EXPERIMENT_KEYS if k not in keys]
    if missing:  # pragma: no cover - guarded by tests/test_docs.py
        raise RuntimeError(f"experiment keys without documentation: {missing}")
    return [keys[k] for k in EXPERIMENT_KEYS]


# --------------------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rst_to_md(text: str) -> str:
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    text = re.sub(r"\s*\(see module docstring\)", "", text)
    return text


def _docstring(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").strip()
    paragraphs = [" ".join(line.strip() for line in p.splitlines()) for p in re.split(r"\n\s*\n", doc) if p.strip()]
    return "\n\n".join(_rst_to_md(p) for p in paragraphs)


_HEADER = "| key | type | unit | default | allowed | meaning |\n|---|---|---|---|---|---|"


def _title(model: type[BaseModel]) -> str:
    """A section's heading: the model's name (``Callback`` for the keys every callback kind has)."""
    return "Callback" if model is BaseCallback else model.__name__


def _row(key: str, type_: str, unit: str, default: str, allowed: str, meaning: str) -> str:
    return "| " + " | ".join(_cell(x) for x in (f"`{key}`", type_, unit, default, allowed, meaning)) + " |"


def _model_table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    lines = [_HEADER]
    for name, fi in _public_fields(model).items():
        if name in skip:
            continue
        info = _field_type(model, name, fi)
        default = _default_text(fi, info)
        if info.infinite and default == "none":
            default = "`inf`"
        lines.append(_row(name, info.text, info.unit, default, _allowed_text(info), _description(model, name, fi)))
    return lines


def config_reference() -> str:
    """The Markdown text of ``docs/config-reference.md``."""
    out: list[str] = [
        "# Config reference",
        "",
        "<!-- Generated by `python -m queuesim.docs_gen --write` from the validation models; do not edit by hand. -->",
        "",
        "Every key a config file accepts, generated from the models that validate it, so it",
        "cannot drift from the code. A config is one YAML mapping: the experiment keys and the",
        "keys of the base scenario side by side. `queuesim new` writes a commented starter,",
        "`queuesim validate` checks a config without running it, and `queuesim schema` prints",
        "a JSON Schema for editors ([Editor support](cli.md#editor-support-json-schema)). Unknown keys are errors, with",
        "a \"did you mean\" suggestion.",
        "",
        "**Units.** Durations are seconds as a number, or text with a unit: "
        + ", ".join(f"`{u}`" for u in ("ms", "s", "min", "h", "d"))
        + " (also `sec`, `minutes`, `hours`, ...; `\"20s\"`, `\"4.5min\"`, `\"1h30min\"`). Rates are per second as a",
        "number, or text `count/unit` (`\"95/min\"`, `\"5700/h\"`, `\"30/15min\"`). Clock times are",
        "`\"HH:MM\"` (`\"07:30\"`) or a duration from midnight; time 0 is the start of the day.",
        "Probabilities and shares are fractions from 0 to 1. A default of *none* means the key is",
        "off (or, where the meaning says so, computed from other keys).",
        "",
        "Rules that tie several keys together (give exactly one of `agents`, `staffing`, `shifts`;",
        "shares sum to 1; ...) are checked on loading and stated in each block's introduction.",
        "",
        "## Contents",
        "",
        "- [Experiment keys](#experiment-keys)",
        "- [Scenario keys](#scenario-keys)",
    ]
    models = _sections()
    for model, _ in models:
        out.append(f"- [{_title(model)}](#{_title(model).lower()})")
    out.append("- [Distributions](#distributions)")
    out.append("- [Resolved configs](#resolved-configs)")
    out += ["", "## Experiment keys", "",
            "Keys of the experiment as a whole, at the top level of a config file.", "", _HEADER]
    for key in _experiment_keys():
        out.append(_row(key.name, key.type, key.unit, key.default, key.allowed, key.meaning))
    out += [
        "",
        "```yaml",
        "variants:",
        "  more-agents: {agents: 110}",
        "  faster: {handle_time: {mean: 3.5min}}   # merged into the base's handle_time",
        "sweep:",
        "  agents: {from: 90, to: 110, step: 10}",
        "  arrivals.rate: [90/min, 95/min]",
        "```",
        "",
        "## Scenario keys",
        "",
        _docstring(Scenario),
        "",
        "The base scenario's name is the experiment's `name`.",
        "",
    ]
    out += _model_table(Scenario, skip=("name",))
    for model, paths in models:
        out += ["", f"### {_title(model)}", "", "Used at: " + ", ".join(f"`{p}`" for p in paths) + ".", ""]
        doc = _docstring(model)
        if doc:
            out += [doc, ""]
        out += _model_table(model)
        if model is BaseCallback:
            for kind in _callback_kinds():
                tag = kind.model_fields["kind"].default
                out += ["", f"#### kind: {tag}", "", _docstring(kind), ""]
                own = [n for n in _own_fields(kind) if n != "kind"]
                out += _model_table(kind, skip=tuple(n for n in _public_fields(kind) if n not in own)) if own else [
                    "No keys besides the ones every kind has."]
    out += [
        "",
        "## Distributions",
        "",
        "Handle times, patience, delays and tolerances are distributions of durations,",
        "chosen by the `distribution` key; every duration parameter accepts units:",
        "`{distribution: lognormal, mean: 4min, sd: 3min}`.",
        "",
        "| `distribution:` | parameters |",
        "|---|---|",
    ]
    dists = _distribution_models()
    for model in dists:
        tag = model.model_fields["distribution"].default
        params = ", ".join(f"`{n}`" for n in _public_fields(model) if n != "distribution")
        out.append(f"| [`{tag}`](#{tag}) | {params} |")
    for model in dists:
        tag = model.model_fields["distribution"].default
        out += ["", f"### {tag}", "", _docstring(model), ""]
        out += _model_table(model, skip=("distribution",))
    out += [
        "",
        "## Resolved configs",
        "",
        "`queuesim run --out DIR` writes `DIR/config.yaml`: the experiment keys (without",
        "`variants` and `sweep`) plus these, with no scenario keys at the top level. It is itself",
        "a valid config (`queuesim run DIR/config.yaml` reproduces the run).",
        "",
        _HEADER,
    ]
    for name in RESOLVED_KEYS:
        fi = Experiment.model_fields[name]
        info = _field_type(Experiment, name, fi)
        text = info.text.replace("[Scenario](#scenario)", "[scenario](#scenario-keys)")
        text = text.replace("[ScenarioPoint](#scenariopoint)", "ScenarioPoint")
        out.append(_row(name, text, info.unit, _default_text(fi, info), _allowed_text(info), fi.description or ""))
    out += ["", "Each entry of `points`:", "", *_model_table(ScenarioPoint)]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- JSON Schema

_NUMBER_RE = r"(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


def _ci(word: str) -> str:
    """A case-insensitive regex for ``word`` (JSON Schema regexes have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


_UNIT_RE = "(" + "|".join(_ci(u) for u in sorted(DURATION_UNITS, key=len, reverse=True)) + ")"
_INF_RE = "(" + "|".join(_ci(w) for w in ("infinity", "infinite", "inf", "never")) + ")"


def _duration_options(signed: bool, infinite: bool = False) -> str:
    sign = "[+-]?" if signed else "[+]?"
    single = rf"{sign}{_NUMBER_RE}\s*{_UNIT_RE}?"
    compound = rf"(\d+(\.\d*)?\s*{_UNIT_RE}\s*){{2,}}"
    return "|".join([single, compound] + ([_INF_RE] if infinite else []))


def _duration_pattern(signed: bool, infinite: bool = False) -> str:
    return r"^\s*(" + _duration_options(signed, infinite) + r")\s*$"


_RATE_PATTERN = rf"^\s*([+]?{_NUMBER_RE}\s*(/|per\s+)\s*({_NUMBER_RE})?\s*{_UNIT_RE}|[+]?{_NUMBER_RE})\s*$"
_CLOCK_PATTERN = r"^\s*(\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?|" + _duration_options(False) + r")\s*$"


def _number_schema(info: _Type) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "number"}
    b = info.bounds
    if "ge" in b:
        out["minimum"] = b["ge"]
    if "gt" in b:
        out["exclusiveMinimum"] = b["gt"]
    if "le" in b:
        out["maximum"] = b["le"]
    if "lt" in b:
        out["exclusiveMaximum"] = b["lt"]
    if info.kind == "clock":
        out.setdefault("minimum", 0)
    return out


def _unit_schema(info: _Type) -> list[dict[str, Any]]:
    """The ``anyOf`` branches of a duration, rate or clock time with its bounds."""
    signed = not any(k in info.bounds for k in ("ge", "gt"))
    if info.kind == "duration":
        pattern = _duration_pattern(signed)
        what = "duration: seconds, or text with a unit ('20s', '4.5min', '1h30min')"
    elif info.kind == "duration_inf":
        pattern = _duration_pattern(signed, infinite=True)
        what = "duration: seconds, text with a unit ('2min'), or 'inf'"
    elif info.kind == "rate":
        pattern = _RATE_PATTERN
        what = "rate: per second, or text such as '95/min', '5700/h'"
    else:
        pattern = _CLOCK_PATTERN
        what = "time of day: 'HH:MM' ('07:30'), or a duration from midnight ('7.5h', seconds)"
    return [_number_schema(info), {"type": "string", "pattern": pattern, "description": what}]


_GENERIC_UNIT_SCHEMAS = [
    _fields._DURATION_SCHEMA["anyOf"],
    _fields._DURATION_INF_SCHEMA["anyOf"],
    _fields._RATE_SCHEMA["anyOf"],
    _fields._CLOCK_SCHEMA["anyOf"],
]


def _patch_units(node: Any, info: _Type) -> Any:
    """Replace the generic unit schemas inside ``node`` by ones with patterns and bounds."""
    if isinstance(node, dict):
        if node.get("anyOf") in _GENERIC_UNIT_SCHEMAS:
            node = {k: v for k, v in node.items() if k != "anyOf"}
            node["anyOf"] = _unit_schema(info)
            if str(node.get("description", "")).startswith(("duration:", "rate:", "time of day:")):
                del node["description"]
            return node
        return {k: _patch_units(v, info) for k, v in node.items()}
    if isinstance(node, list):
        return [_patch_units(v, info) for v in node]
    return node


def _infinite_branch() -> dict[str, Any]:
    return {"type": "string", "pattern": rf"^\s*{_INF_RE}\s*$", "description": "never (infinite)"}


def _patch_model(defs: dict[str, Any], model: type[BaseModel]) -> None:
    schema = defs[model.__name__]
    props = schema.get("properties", {})
    for name, fi in model.model_fields.items():
        if fi.exclude:
            props.pop(name, None)
            continue
        if name not in props:
            continue
        info = _field_type(model, name, fi)
        prop = props[name]
        if info.kind:
            prop = _patch_units(prop, info)
        if info.infinite:
            branches = prop["anyOf"] if "anyOf" in prop else [dict((k, v) for k, v in prop.items() if k in ("oneOf", "$ref"))]
            prop = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf", "$ref", "discriminator")}
            prop["anyOf"] = [*branches, _infinite_branch()]
        if not prop.get("description"):
            description = _description(model, name, fi)
            if description:
                prop["description"] = description
        prop.pop("title", None)
        props[name] = prop
    if model.__doc__:
        schema["description"] = _rst_to_md(_docstring(model))


def _dotted_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every dotted key that reaches a value through mappings (not lists), e.g. ``costs.churn.base``."""
    out: list[str] = []
    for name, fi in _public_fields(model).items():
        if model is Scenario and name == "name":
            continue
        path = f"{prefix}{name}"
        if prefix:
            out.append(path)
        info = _field_type(model, name, fi)
        if info.text.startswith("list of"):
            continue
        if info.distribution:
            params = sorted({p for m in _distribution_models() for p in _public_fields(m)})
            out.extend(f"{path}.{p}" for p in params)
        for sub in info.models:
            out.extend(_dotted_paths(sub, path + "."))
    return list(dict.fromkeys(out))  # the callback kinds share most keys


def _partial(node: Any, in_items: bool = False) -> Any:
    """Override form of a schema: no required keys, except inside lists (lists are replaced)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required" and not in_items:
                continue
            if key == "$ref" and not in_items:
                out[key] = value + "Override"
            elif key == "oneOf" and not in_items:
                out["anyOf"] = _partial(value, in_items)
            elif key == "discriminator" and not in_items:
                continue
            elif key in ("items", "prefixItems"):
                out[key] = _partial(value, True)
            else:
                out[key] = _partial(value, in_items)
        return out
    if isinstance(node, list):
        return [_partial(v, in_items) for v in node]
    return node


def config_schema() -> dict[str, Any]:
    """A JSON Schema (draft-07, which editors support best) for config files, from the validation models.

    It accepts what :func:`queuesim.load_config` accepts key by key: durations
    and rates with units, clock times, ``inf`` patience, ``variants`` (partial
    scenarios; dotted keys) and ``sweep`` (lists or ``{from, to, step}``), and
    the resolved form (``scenarios``). Rules across keys (exactly one of
    ``agents``/``staffing``/``shifts``, shares summing to 1, ...) are left to
    ``queuesim validate``.
    """
    scenario = Scenario.model_json_schema(mode="validation")
    defs: dict[str, Any] = scenario.pop("$defs")
    defs["Scenario"] = scenario
    point = ScenarioPoint.model_json_schema(mode="validation")
    defs["ScenarioPoint"] = point
    for model in [Scenario, ScenarioPoint, *(m for m, _ in _models_in_order()), *_distribution_models()]:
        _patch_model(defs, model)
    defs["Scenario"]["properties"]["name"]["description"] = _description(Scenario, "name", Scenario.model_fields["name"])
    for kind in _callback_kinds():  # the loader needs `kind` to choose the model: required, no default
        definition = defs[kind.__name__]
        definition["properties"]["kind"].pop("default", None)
        definition["required"] = ["kind", *(r for r in definition.get("required", []) if r != "kind")]

    scenario_props: dict[str, Any] = {k: v for k, v in defs["Scenario"]["properties"].items() if k != "name"}
    dotted_keys = "|".join(re.escape(k) for k in _dotted_paths())
    dotted = rf"^({dotted_keys})$"

    overrides = {}
    for name in list(defs):
        overrides[name + "Override"] = _partial(defs[name])
    override = overrides.pop("ScenarioOverride")
    override["properties"].pop("name", None)
    override["patternProperties"] = {dotted: {"description": "a nested key, e.g. arrivals.rate"}}
    override["additionalProperties"] = False
    override["description"] = ("scenario keys to override in the base scenario (nested mappings merge, lists are "
                               "replaced; dotted keys such as arrivals.rate work)")
    overrides.pop("ScenarioPointOverride", None)
    defs.update(overrides)
    defs["ScenarioOverride"] = override

    experiment = Experiment.model_json_schema(mode="validation")["properties"]
    top_props: dict[str, Any] = {}
    keys = {k.name: k for k in _experiment_keys()}
    for name in EXPERIMENT_KEYS:
        description = keys[name].meaning
        if name in ("seed", "replications"):
            prop = {k: v for k, v in experiment[name].items() if k != "title"}
        elif name in ("name", "description"):
            prop = {"type": "string", **({"minLength": 1} if name == "name" else {})}
        elif name == "variants":
            prop = {
                "type": ["object", "null"],
                "additionalProperties": {"anyOf": [{"$ref": "#/$defs/ScenarioOverride"}, {"type": "null"}]},
            }
        else:  # sweep
            prop = {
                "type": ["object", "null"],
                "propertyNames": {"pattern": rf"^({'|'.join(re.escape(k) for k in scenario_props)}|{dotted_keys})$"},
                "additionalProperties": {
                    "anyOf": [
                        {"type": "array", "minItems": 1, "description": "the values to try"},
                        {
                            "type": "object",
                            "description": "a numeric range; 'to' is included when it lies on the grid",
                            "properties": {
                                "from": {"type": "number"},
                                "to": {"type": "number"},
                                "step": {"type": "number", "exclusiveMinimum": 0},
                            },
                            "required": ["from", "to", "step"],
                            "additionalProperties": False,
                        },
                    ]
                },
            }
        prop["description"] = description
        top_props[name] = prop
    top_props.update(scenario_props)
    for name in RESOLVED_KEYS:
        prop = {k: v for k, v in experiment[name].items() if k not in ("title", "default")}
        prop["description"] = "resolved configs (written by run --out): " + (Experiment.model_fields[name].description or "")
        top_props[name] = prop
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "queuesim config",
        "description": "A queuesim experiment config: experiment keys (name, seed, replications, variants, sweep) "
        "beside the keys of the base scenario. Generated from the validation models by `queuesim schema`.",
        "type": "object",
        "properties": top_props,
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The JSON Schema as indented JSON text."""
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- script


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queuesim.docs_gen",
        description="Print (or write) the config reference generated from the validation models.",
    )
    parser.add_argument("--write", nargs="?", const=str(DEFAULT_REFERENCE_PATH), metavar="PATH",
                        help=f"write the reference to PATH (default {DEFAULT_REFERENCE_PATH.name} in docs/)")
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema instead")
    args = parser.parse_args(argv)
    text = schema_text() if args.schema else config_reference()
    if args.write:
        path = Path(args.write)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
