"""One-off timers for the policy and department engines.

Like the core engine's reusable ``_Due`` records (see :mod:`queuesim.engine.centre`),
a :class:`Timer` goes straight onto the environment's event heap with exactly the
key ``(now + delay, NORMAL, next eid)`` that ``Timeout(env, delay, value)`` would
get, so the order of events, and every result, is the same as with ``Timeout``.
It is for events that may be pending several at a time (a caller's patience, the
next recorded message, a callback attempt, a transfer): a slotted object with no
``__init__``, no ``__dict__`` and no call into ``Environment.schedule``.
``Environment.step`` reads ``callbacks`` and ``_ok``; the engine's callbacks read ``value``.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["Timer"]


class Timer:
    """A scheduled event that fires once: ``callbacks`` (a shared list) get it, with its ``value``."""

    __slots__ = ("callbacks", "value")
    _ok = True  # a timer never fails
    callbacks: Optional[list]
    value: Any
