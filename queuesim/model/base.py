"""The one base class of the config models (:class:`ConfigModel`)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["ConfigModel"]


def _numeric_only(annotation: Any) -> bool:
    """True if ``annotation`` accepts numbers (int or float, alone or in a tuple/list) and not booleans."""
    seen: list[Any] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if a is type(None):
            continue
        if a is bool:
            return False
        seen.append(a)
        stack.extend(typing.get_args(a))
    return any(a in (int, float) for a in seen)


class ConfigModel(BaseModel):
    """Base of every config model: unknown keys are errors, instances are immutable, and
    ``true``/``false`` given for a number is an error, not 1/0.

    YAML reads ``agents: yes`` as a boolean and pydantic would take it as 1;
    a boolean is almost always a slip. Checked on the raw values, before the
    fields are validated, also inside lists (``agents: [3, true]``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, info in cls.model_fields.items():
            value = data.get(name, data.get(info.alias) if info.alias else None)
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, bool) for v in values) and _numeric_only(info.annotation):
                shown = str(value).replace("True", "true").replace("False", "false")
                raise ValueError(f"{name} = {shown}: a boolean (true/false) is not a number; give a number")
        return data
