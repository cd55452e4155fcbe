"""The error a user's input raises (light: the command line catches it without importing the model)."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A config that cannot be used. ``str(error)`` is one line for the user."""

    #: Longest message kept (values quoted in it are cut first; this is the last guard).
    MAX_LENGTH = 1000

    def __init__(self, message: str) -> None:
        text = " ".join(str(message).splitlines())
        if len(text) > self.MAX_LENGTH:
            text = text[: self.MAX_LENGTH - 5] + " ..."
        super().__init__(text)
