"""YAML configs -> validated :class:`~queuesim.model.spec.Experiment`.

A config file is one mapping. Experiment keys (``name``, ``seed``,
``replications``, ``variants``, ``sweep``, ``description``) sit beside the
scenario keys (``horizon``, ``arrivals``, ``agents``, ...) of the base
scenario. Each entry of ``variants`` names a scenario made from the base by
overriding keys (nested mappings are merged; dotted keys such as
``arrivals.rate`` work too). ``sweep`` is a grid over any scenario keys,
crossed with the variants (see :mod:`queuesim.model.sweep`): scenario
``<variant>[<key>=<value>,...]`` for every variant and grid point.

The *resolved* form written by ``queuesim run --out`` (``DIR/config.yaml``)
is also a config: experiment keys plus ``scenarios``, a list of complete
scenario mappings (and ``sweep_keys``/``points`` recording where each
scenario came from), with no scenario keys at the top level.

Errors are :class:`ConfigError`: one line naming the field, the value and
what is allowed. YAML is read with a ``yaml.SafeLoader`` only (nothing is
evaluated) that refuses a key given twice in one mapping; files larger than
:data:`MAX_CONFIG_BYTES` or not regular files are refused before reading.
"""

from __future__ import annotations

import copy
import difflib
import re
import reprlib
import typing
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .callbacks import CALLBACK_NAMES, Callback
from .distributions import DISTRIBUTION_NAMES
from .fields import check_input_file
from .scenario import Scenario
from .spec import Experiment
from .sweep import expand_sweep, point_name

__all__ = [
    "EXPERIMENT_KEYS",
    "MAX_CONFIG_BYTES",
    "RESOLVED_KEYS",
    "ConfigError",
    "apply_overrides",
    "check_input_file",
    "experiment_from_dict",
    "format_validation_error",
    "load_config",
    "parse_yaml",
    "read_yaml",
]

#: Keys of a config file that belong to the experiment, not to a scenario.
EXPERIMENT_KEYS: tuple[str, ...] = ("name", "description", "seed", "replications", "variants", "sweep")

#: Keys of the resolved form (``DIR/config.yaml``) besides the experiment keys.
RESOLVED_KEYS: tuple[str, ...] = ("scenarios", "sweep_keys", "points")


#: Largest config file read, in bytes (a real config is a few kB; profiles belong in CSV files).
MAX_CONFIG_BYTES = 5_000_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: reported by the mapping construction
                continue
            if first is not None:
                raise ConfigError(
                    f"duplicate key {_short_repr(key)} at line {line} (first given at line {first}); "
                    "each key may appear once per mapping"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _UniqueKeyLoader.construct_mapping)

# YAML 1.1 reads ``10:00`` as the base-60 number 600 (and ``1:30:00`` as 5400): an unquoted clock time in a
# config would silently become seconds. Without those two forms it stays text, which the clock-time and
# duration keys read as written. Every other implicit type (ints, floats, booleans, null, ...) is unchanged.
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(_INT, re.compile(r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""", re.X), list("-+0123456789"))
_UniqueKeyLoader.add_implicit_resolver(_FLOAT, re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X), list("-+0123456789."))


def parse_yaml(text: str) -> Any:
    """YAML text -> plain data with a SafeLoader (nothing is evaluated) that refuses duplicate keys.

    Raises ConfigError for a key given twice in one mapping (naming it and both
    lines) and ``yaml.YAMLError`` for invalid YAML.
    """
    loader = _UniqueKeyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml(path: str | Path, *, limit: Optional[int] = None) -> dict[str, Any]:
    """Read a YAML mapping safely; ConfigError if unreadable, too large, not a mapping or with a duplicate key.

    Files above ``limit`` bytes (default :data:`MAX_CONFIG_BYTES`) and
    anything but a regular file are refused before they are read.
    """
    path = Path(path)
    try:
        check_input_file(path, limit=MAX_CONFIG_BYTES if limit is None else limit, what="config file")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    try:
        data = parse_yaml(text)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply (more than {MAX_DEPTH} levels of lists and mappings)") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: the config file is empty; expected a mapping of keys such as 'arrivals', 'agents'")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys at the top level, got {type(data).__name__}")
    _check_shape(data, str(path))
    return data


#: Deepest nesting of mappings and lists in a config file (real configs need about 8).
MAX_DEPTH = 50
#: Most values a config file may hold once its YAML aliases (``*name``) are expanded.
MAX_VALUES = 1_000_000


def _check_shape(data: Any, where: str) -> None:
    """ConfigError for recursive, too deeply nested or alias-bombed YAML.

    YAML aliases let a few lines stand for billions of values (``&a [...]``,
    ``[*a, *a, ...]`` nested) or for a list containing itself (``&a [*a]``);
    validating, copying or printing them would hang or recurse forever. One
    pass over the distinct nodes (shared ones are counted, not walked again)
    finds the expanded size, the depth and any cycle.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool, tuple[Any, ...]]] = [(data, False, ())]
    while stack:
        node, done, loc = stack.pop()
        key = id(node)
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        children = [(k, c) for k, c in items if isinstance(c, (dict, list))]
        if done:
            on_path.discard(key)
            size[key] = 1 + len(node) + sum(size[id(c)] for _, c in children)
            depth[key] = 1 + max((depth[id(c)] for _, c in children), default=0)
            if depth[key] > MAX_DEPTH:
                raise ConfigError(f"{where}: nested too deeply (more than {MAX_DEPTH} levels of lists and mappings)")
            if size[key] > MAX_VALUES:
                raise ConfigError(
                    f"{where}: the YAML aliases (*name) expand to more than {MAX_VALUES:,} values; write the values out"
                )
            continue
        if key in size:
            continue
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str):
                    at = _loc_text(loc) + ": " if loc else ""
                    raise ConfigError(
                        f"{where}: {at}keys must be text, got {_short_repr(k)} ({type(k).__name__}); "
                        "put it in quotes (YAML reads yes/no/on/off as true/false and 1 as a number)"
                    )
        on_path.add(key)
        stack.append((node, True, loc))
        for k, child in children:
            if id(child) in on_path:
                raise ConfigError(f"{where}: {_loc_text(loc + (k,))}: a YAML alias (*name) refers to a list or "
                                  "mapping that contains it; configs cannot be recursive")
            if id(child) not in size:
                stack.append((child, False, loc + (k,)))


def _set_dotted(data: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    parts = dotted.split(".")
    if any(p == "" for p in parts):
        raise ConfigError(f"{where}: bad key {dotted!r}; use dotted keys such as 'arrivals.rate'")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: cannot set {dotted!r}: {part!r} is not a mapping")
        node = child
    node[parts[-1]] = value


def _merge(base: dict[str, Any], overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (dotted keys allowed)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise ConfigError(f"{where}: keys must be text, got {_short_repr(key)}")
        if "." in key:
            _set_dotted(out, key, copy.deepcopy(value), where)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_overrides(data: dict[str, Any], assignments: Iterable[str]) -> dict[str, Any]:
    """Apply ``--set key=value`` assignments (value read as a YAML scalar or list)."""
    out = copy.deepcopy(data)
    for assignment in assignments:
        if "=" not in assignment:
            raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. --set agents=110")
        key, _, text = assignment.partition("=")
        try:
            value = parse_yaml(text) if text.strip() else ""
        except yaml.YAMLError:  # not YAML: the text as it is (a name, a clock time)
            value = text
        except ConfigError as exc:  # YAML with a mistake in it, e.g. a key given twice in {a: 1, a: 2}
            raise ConfigError(f"--set {assignment!r}: {exc}") from None
        _set_dotted(out, key.strip(), value, f"--set {assignment!r}")
    return out


def _loc_text(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            text = str(item)
            parts.append(("." if parts else "") + (text if text.isprintable() else repr(text)))
    return "".join(parts) or "(top level)"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every pydantic model inside a type annotation (through Optional, Union, Annotated, tuple)."""
    out: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            out.append(a)
            continue
        stack.extend(arg for arg in typing.get_args(a) if arg is not None)
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Optional[type[BaseModel]]:
    """The pydantic model class that owns the last key of ``loc``, if known.

    Follows nested models, lists and discriminated unions (a distribution's
    ``exponential`` tag in the error location picks the Exponential model).
    """
    options: list[type[BaseModel]] = [model]
    for item in loc[:-1]:
        if isinstance(item, int):
            continue  # a list index: same models
        owner = next((m for m in options if str(item) in m.model_fields), None)
        if owner is not None:
            options = _models_in(owner.model_fields[str(item)].annotation)
            continue
        tagged = [m for m in options if any(f.default == item for f in m.model_fields.values())]
        if len(tagged) != 1:
            return None
        options = tagged
    return options[0] if len(options) == 1 else None


def format_validation_error(
    exc: ValidationError, *, model: type[BaseModel], prefix: tuple[Any, ...] = ()
) -> str:
    """One line naming the first problem's field, value and what is allowed."""
    errors = exc.errors(include_url=False)
    # A misspelt key shows up as "unknown" and "missing": report the unknown one,
    # which carries the suggestion.
    errors.sort(key=lambda e: e.get("type") != "extra_forbidden")
    first = errors[0]
    loc = tuple(prefix) + tuple(first.get("loc", ()))
    # Drop discriminator tags (e.g. handle_time.exponential.mean -> handle_time.mean).
    loc = tuple(item for item in loc if item not in _DISCRIMINATOR_TAGS)
    kind = first.get("type", "")
    value = first.get("input")
    where = _loc_text(loc)
    if kind == "extra_forbidden":
        owner = _model_at(model, tuple(first.get("loc", ())))
        allowed = sorted(owner.model_fields) if owner is not None else []
        key = str(loc[-1]) if loc else ""
        hint = difflib.get_close_matches(key, allowed, n=1)
        text = f"{where}: unknown key"
        if hint:
            text += f"; did you mean {hint[0]!r}?"
        other_kinds = [m.model_fields["kind"].default for m in _CALLBACK_MODELS if owner in _CALLBACK_MODELS
                       and m is not owner and key in m.model_fields]
        if other_kinds:
            text += f"; {key!r} belongs to callback kind {' and '.join(other_kinds)}, not {owner.model_fields['kind'].default}."
        if allowed:
            text += f" Allowed keys here: {', '.join(allowed)}"
    elif kind == "missing":
        text = f"{where}: required key is missing"
    elif kind == "union_tag_invalid":
        ctx = first.get("ctx", {})
        text = f"{where}.{ctx.get('discriminator', 'distribution').strip(chr(39))} = {_short_repr(ctx.get('tag'))}: must be one of {ctx.get('expected_tags')}"
    elif kind == "union_tag_not_found":
        key = str(first.get("ctx", {}).get("discriminator", "distribution")).strip(chr(39))
        text = f"{where}: needs a {key!r} key (one of {', '.join(_UNION_TAGS.get(key, ()))})"
    else:
        msg = str(first.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        if not loc:
            text = msg
        elif "input" in first and not isinstance(value, dict):
            text = f"{where} = {_short_repr(value)}: {msg}"
        else:
            text = f"{where}: {msg}"
    more = len(errors) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return text


def _short_repr(value: Any) -> str:
    """``repr(value)`` cut to a readable length (a value may be a huge or deeply nested list)."""
    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxtuple, short.maxdict = 2, 6, 6, 4
    short.maxstring, short.maxother, short.maxlong = 80, 80, 40
    return short.repr(value)


#: The tags of each discriminated union (the key that chooses the model -> its values).
_UNION_TAGS: dict[str, tuple[str, ...]] = {"distribution": DISTRIBUTION_NAMES, "kind": CALLBACK_NAMES}

#: Tags dropped from error locations (``handle_time.exponential.mean`` -> ``handle_time.mean``); ``kind``
#: also chooses announcements, so only the callback kinds, whose names no field has.
_DISCRIMINATOR_TAGS: tuple[str, ...] = (*DISTRIBUTION_NAMES, *CALLBACK_NAMES)

#: The models of the callback kinds (a key of one kind given to another is named as such).
_CALLBACK_MODELS: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(Callback)[0])


def experiment_from_dict(
    data: Mapping[str, Any], *, base_dir: str | Path | None = None, source: str = "config"
) -> Experiment:
    """Validate a config mapping into an :class:`Experiment` (ConfigError if invalid)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of config keys, got {type(data).__name__}")
    data = dict(data)
    context = {"base_dir": str(base_dir) if base_dir is not None else None}
    if "scenarios" in data:
        return _resolved_experiment(data, context=context, source=source)
    experiment_part = {k: data.pop(k) for k in EXPERIMENT_KEYS if k in data}
    variants = experiment_part.pop("variants", None) or {}
    sweep = experiment_part.pop("sweep", None)
    description = experiment_part.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"{source}: description = {_short_repr(description)}: must be text")
    try:
        grid = expand_sweep(sweep, forbidden=EXPERIMENT_KEYS)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    sweep_keys = tuple(grid[0])
    if not isinstance(variants, dict):
        raise ConfigError(f"{source}: variants = {_short_repr(variants)}: expected a mapping of variant name -> overrides")
    name = experiment_part.get("name", "baseline")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{source}: name = {_short_repr(name)}: must be a non-empty text")

    raw_scenarios: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [(name, data, ())]
    changes: dict[str, dict[str, Any]] = {}
    for variant_name, overrides in variants.items():
        if not isinstance(variant_name, str) or not variant_name.strip():
            raise ConfigError(f"{source}: variants: variant names must be non-empty text, got {_short_repr(variant_name)}")
        if not variant_name.isprintable():
            raise ConfigError(f"{source}: variants: variant name {_short_repr(variant_name)}: names must be printable "
                              "text (no line breaks, tabs, escape or other control characters)")
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, dict):
            raise ConfigError(
                f"{source}: variants.{variant_name} = {_short_repr(overrides)}: expected a mapping of keys to override"
            )
        merged = _merge(data, overrides, f"{source}: variants.{variant_name}")
        changes[variant_name] = copy.deepcopy(overrides)
        raw_scenarios.append((variant_name, merged, ("variants", variant_name)))

    scenarios = []
    points = []
    for scenario_name, raw, prefix in raw_scenarios:
        for point in grid:
            full_name = point_name(scenario_name, point)
            where = source if not point else f"{source}: sweep point {full_name}"
            raw_point = _merge(raw, point, where) if point else dict(raw)
            raw_point["name"] = full_name
            try:
                scenarios.append(Scenario.model_validate(raw_point, context=context))
            except ValidationError as exc:
                raise ConfigError(f"{where}: {format_validation_error(exc, model=Scenario, prefix=prefix)}") from None
            points.append({"scenario": full_name, "variant": scenario_name, "sweep": dict(point),
                           "changes": changes.get(scenario_name, {}) if prefix else {}})
    try:
        return Experiment.model_validate(
            {**experiment_part, "scenarios": scenarios, "sweep_keys": sweep_keys, "points": points}
        )
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_validation_error(exc, model=Experiment)}") from None


def _resolved_experiment(data: dict[str, Any], *, context: dict[str, Any], source: str) -> Experiment:
    """The resolved form: experiment keys plus a ``scenarios`` list of complete scenarios."""
    allowed = set(EXPERIMENT_KEYS) - {"variants", "sweep"} | set(RESOLVED_KEYS)
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        raise ConfigError(
            f"{source}: {extra[0]}: not allowed beside 'scenarios' (a resolved config lists complete "
            f"scenarios; allowed keys: {', '.join(sorted(allowed))})"
        )
    raw_scenarios = data["scenarios"]
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise ConfigError(f"{source}: scenarios: expected a non-empty list of scenario mappings")
    scenarios = []
    for k, raw in enumerate(raw_scenarios):
        try:
            scenarios.append(Scenario.model_validate(raw, context=context))
        except ValidationError as exc:
            raise ConfigError(
                f"{source}: {format_validation_error(exc, model=Scenario, prefix=('scenarios', k))}"
            ) from None
    body = dict(data)
    body["scenarios"] = scenarios
    try:
        return Experiment.model_validate(body)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_validation_error(exc, model=Experiment)}") from None


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Experiment:
    """Read and validate a YAML config file; ``overrides`` are ``key=value`` strings.

    Relative file paths inside the config (CSV inputs) are resolved against
    the config file's folder.
    """
    path = Path(path)
    data = apply_overrides(read_yaml(path), overrides)
    return experiment_from_dict(data, base_dir=path.resolve().parent, source=str(path))
