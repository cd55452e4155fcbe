"""Validated field types shared by the scenario and config models.

These are ``typing.Annotated`` types for pydantic: a field declared as
``Seconds`` accepts ``30``, ``"30s"`` or ``"0.5min"`` and holds ``30.0``.
Range checks live here too, so every model states its units and limits once.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any, Optional, Union

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from .units import UnitError, parse_clock, parse_duration, parse_rate

__all__ = [
    "ClockTime",
    "NonNegativeSeconds",
    "PositiveSeconds",
    "PositiveSecondsOrInf",
    "PositiveRate",
    "NonNegativeRate",
    "Probability",
    "Seconds",
    "ALLOW_ANY_PATH_ENV",
    "MAX_DATA_FILE_BYTES",
    "MAX_NAME_BYTES",
    "Name",
    "check_input_file",
    "input_path",
]

#: Largest CSV data file a config may name (arrival profile, empirical distribution), in bytes.
MAX_DATA_FILE_BYTES = 100_000_000


def check_input_file(path: Union[str, Path], *, limit: int, what: str) -> None:
    """ValueError (one line) for a file that is not a regular file or holds more than ``limit`` bytes.

    Checked before reading, so ``/dev/zero``, a FIFO or a 10 GB file never
    fill the memory. A missing file is left to the reader (its own message).
    """
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ValueError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path}: not a regular file (a device, pipe or socket); give a {what}")
    if info.st_size > limit:
        raise ValueError(f"{path}: {info.st_size:,} bytes; a {what} may hold at most {limit:,} bytes")


def _duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None


def _duration_or_inf(value: Any) -> float:
    if value is None:
        return math.inf
    try:
        return parse_duration(value, allow_inf=True)
    except UnitError as exc:
        raise ValueError(str(exc)) from None


def _clock(value: Any) -> float:
    try:
        return parse_clock(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None


def _rate(value: Any) -> float:
    try:
        return parse_rate(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*[A-Za-z]*\s*$"},
    ],
    "description": "duration: seconds as a number, or a string with a unit ('20s', '4.5min', '8h')",
}
_DURATION_INF_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string"},
    ],
    "description": "duration: seconds, a string with a unit ('2min'), or 'inf'",
}
_RATE_SCHEMA = {
    "anyOf": [{"type": "number"}, {"type": "string"}],
    "description": "rate: per second as a number, or a string such as '95/min', '5700/h'",
}

Seconds = Annotated[float, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA)]
"""Any finite duration in seconds (may be negative; use the constrained forms)."""

NonNegativeSeconds = Annotated[
    float, BeforeValidator(_duration), Field(ge=0), WithJsonSchema(_DURATION_SCHEMA)
]
"""A finite duration >= 0 s."""

PositiveSeconds = Annotated[
    float, BeforeValidator(_duration), Field(gt=0), WithJsonSchema(_DURATION_SCHEMA)
]
"""A finite duration > 0 s."""

PositiveSecondsOrInf = Annotated[
    float,
    BeforeValidator(_duration_or_inf),
    Field(gt=0),
    WithJsonSchema(_DURATION_INF_SCHEMA),
    PlainSerializer(lambda v: "inf" if math.isinf(v) else v, return_type=Any),
]
"""A duration > 0 s, or ``inf``."""

PositiveRate = Annotated[float, BeforeValidator(_rate), Field(gt=0), WithJsonSchema(_RATE_SCHEMA)]
"""A finite rate > 0 per second."""

NonNegativeRate = Annotated[float, BeforeValidator(_rate), Field(ge=0), WithJsonSchema(_RATE_SCHEMA)]
"""A finite rate >= 0 per second."""

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability in [0, 1]."""

_CLOCK_SCHEMA = {
    "anyOf": [{"type": "number"}, {"type": "string"}],
    "description": "time of day: 'HH:MM' (e.g. '07:30'), or a duration from midnight ('7.5h', seconds)",
}
ClockTime = Annotated[float, BeforeValidator(_clock), Field(ge=0), WithJsonSchema(_CLOCK_SCHEMA)]
"""A time of day in seconds after midnight: ``"07:30"``, ``"7.5h"`` or ``27000``."""


#: Environment variable that lets config files name any file (absolute paths, ``..`` out of the config's folder).
ALLOW_ANY_PATH_ENV = "QUEUESIM_ALLOW_ANY_PATH"


def input_path(file: str, base_dir: Optional[Union[str, Path]], field: str) -> Path:
    """The path of a data file named in a config (``arrivals.file``, an empirical ``file``).

    With ``base_dir`` (the folder of the config file), ``file`` must be a
    relative path that stays inside that folder once resolved (symbolic links
    followed): ``data/aht.csv`` is fine; ``/etc/passwd``, ``~/x.csv`` and
    ``../x.csv`` are refused with a ValueError naming ``field`` and the path,
    unless the environment variable ``QUEUESIM_ALLOW_ANY_PATH=1`` is set. A
    config someone sends you thus cannot read files outside its own folder
    into results (and the ``config.yaml`` a run writes). Without ``base_dir``
    (scenarios built in Python) the path is used as given, relative to the
    current directory.
    """
    text = str(file)
    if "\x00" in text:
        raise ValueError(f"{field} {text!r}: a file name cannot contain a NUL character")
    if base_dir is None:
        return Path(text).expanduser()
    base = Path(base_dir)
    if os.environ.get(ALLOW_ANY_PATH_ENV, "").strip() not in ("", "0"):
        path = Path(text).expanduser()
        return path if path.is_absolute() else base / path
    hint = (f"give a path relative to the config's folder, inside it (e.g. data/{Path(text).name or 'file.csv'}), "
            f"or set {ALLOW_ANY_PATH_ENV}=1 to allow any path")
    if not text.strip():
        raise ValueError(f"{field} {text!r}: empty file name")
    if Path(text).is_absolute() or text.startswith("~") or Path(text).drive:
        raise ValueError(f"{field} {text!r}: absolute paths are not allowed in configs; {hint}")
    path = base / text
    try:
        inside = path.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # e.g. a symbolic link loop
        inside = False
    if not inside:
        raise ValueError(f"{field} {text!r}: the path leads outside the config's folder; {hint}")
    return path


#: Longest name (scenario, experiment, variant, call type, group, currency), in bytes of UTF-8:
#: a name becomes part of file names, whose limit (255 bytes on most systems) counts bytes.
MAX_NAME_BYTES = 200


def _printable_name(value: str) -> str:
    if not value.isprintable():
        raise ValueError(
            "names must be printable text (no line breaks, tabs, escape or other control characters)"
        )
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise ValueError(f"name of {size} bytes (UTF-8); at most {MAX_NAME_BYTES} bytes are allowed")
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_printable_name)]
"""A non-empty name of printable characters, at most :data:`MAX_NAME_BYTES` bytes in UTF-8."""
