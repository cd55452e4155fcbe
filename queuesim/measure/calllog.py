"""The call log: one row per call, as numpy columns.

Columns (times in seconds from the start of the simulation):

=============  =======  ===========================================================
column         dtype    meaning
=============  =======  ===========================================================
``id``         int64    call number, in arrival order (0, 1, 2, ...)
``arrival``    float64  time the call arrived
``answer``     float64  time an agent answered; NaN if the call was not answered
``end``        float64  time the call ended: answer + handle_time, or the abandon time
``wait``       float64  time on hold: answer - arrival, or abandon time - arrival
``handle_time`` float64 time the agent spent on the call (NaN if not answered)
``patience``   float64  the caller's patience (inf for callers who never abandon)
``agent``      int64    id of the answering agent; -1 if not answered
``outcome``    int8     an :data:`OUTCOMES` code: 0 answered (live or by callback), 1 abandoned,
                        2 unserved, 3 balked (hung up on hearing the predicted wait),
                        4 unreached (took a callback or web form; never contacted),
                        5 blocked (every line busy: busy tone, never on hold; ``wait`` 0)
``call_type``  int16    index into ``type_names``
``caller``     int64    the caller (redial attempts share it); negative for the opening backlog
``attempt``    int16    1 for a first call, 2 for the first redial, ...
=============  =======  ===========================================================

With a callback option or informative announcements, three more columns:
``callback`` (0 none, 1 virtual_hold, 2 scheduled, 3 web_form), ``requested``
(time the caller accepted the callback; NaN otherwise) and ``predicted_wait``
(the centre's prediction of the caller's total wait when first told or
offered; NaN otherwise), plus ``callback_offered`` (a callback was offered)
and ``callback_due`` (scheduled slot start, or when a kept web-form promise
falls due; NaN otherwise).

With departments (``groups``), three more: ``transfers`` (times the call was
transferred), ``resolved`` (the issue was resolved by this call) and ``group``
(index of the group whose agent handled it, -1 if none); ``wait`` is then the
total hold over all legs, ``answer`` the first answer by anyone, ``end`` the end
of the last handling. For callback calls ``wait`` is the time on hold
before accepting and ``answer`` the time the agent reached the customer.

``unserved`` calls were never answered by callers who never abandon, because
no agent was left on duty; their ``wait`` runs until the centre closed (the last
agent stopped working: the end of the last duty period, or of the overtime
after it), and is 0 for callers who arrived after that.

With hold announcements, ``messages`` (int32): the recorded messages the call sat
through to the end while alone on hold (the first ends ``first + length`` into a
wait, each repeat ``every`` later; informative: the first recorded repeat after the
announcement at arrival), over all its legs.

With customer slowdown (``handle_time_slowdown``), ``slowdown`` (float64, s): the
handle time the call's wait added (included in ``handle_time``).

``CallLog.to_dataframe()`` gives a pandas DataFrame with ``outcome`` as text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ANSWERED", "ABANDONED", "BALKED", "BLOCKED", "CALLBACK_KINDS", "OUTCOMES", "UNREACHED", "UNSERVED", "CallLog"]

ANSWERED = 0
ABANDONED = 1
UNSERVED = 2
BALKED = 3
UNREACHED = 4
BLOCKED = 5
#: Outcome codes and their names, as written to files.
OUTCOMES: dict[int, str] = {
    ANSWERED: "answered",
    ABANDONED: "abandoned",
    UNSERVED: "unserved",
    BALKED: "balked",
    UNREACHED: "unreached",
    BLOCKED: "blocked",
}

#: Codes of the ``callback`` column (the callback a caller took) and their names, as written to files.
CALLBACK_KINDS: dict[int, str] = {0: "none", 1: "virtual_hold", 2: "scheduled", 3: "web_form"}


def _return_free_memory() -> None:
    """Give freed heap memory back to the operating system (glibc only; a no-op elsewhere).

    Chunks of a few hundred kB live on the C heap, whose holes glibc keeps
    unless asked: without this, concatenating a streamed log would peak at
    twice its size.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


@dataclass(frozen=True)
class CallLog:
    """Columnar record of every call of one replication (see module docstring)."""

    id: np.ndarray
    arrival: np.ndarray
    answer: np.ndarray
    end: np.ndarray
    wait: np.ndarray
    handle_time: np.ndarray
    patience: np.ndarray
    agent: np.ndarray
    outcome: np.ndarray
    call_type: np.ndarray
    caller: np.ndarray
    attempt: np.ndarray
    type_names: tuple[str, ...] = ("all",)
    callback: Optional[np.ndarray] = None
    requested: Optional[np.ndarray] = None
    predicted_wait: Optional[np.ndarray] = None
    callback_offered: Optional[np.ndarray] = None
    callback_due: Optional[np.ndarray] = None
    transfers: Optional[np.ndarray] = None
    resolved: Optional[np.ndarray] = None
    group: Optional[np.ndarray] = None
    messages: Optional[np.ndarray] = None
    slowdown: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(self.id.shape[0])

    @property
    def columns(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "type_names" and getattr(self, f.name) is not None]

    @property
    def answered(self) -> np.ndarray:
        """Boolean mask of answered calls."""
        return self.outcome == ANSWERED

    @property
    def abandoned(self) -> np.ndarray:
        """Boolean mask of abandoned calls."""
        return self.outcome == ABANDONED

    def select(self, mask: np.ndarray) -> "CallLog":
        """The calls where ``mask`` is true, as a new log."""
        return CallLog(**{name: getattr(self, name)[mask] for name in self.columns}, type_names=self.type_names)

    def by_type(self) -> "list[CallLog]":
        """The calls of each call type (in the order of :attr:`type_names`), each log in call order: one stable
        sort of the log, then a slice per type (cheaper than one :meth:`select` per type)."""
        order = np.argsort(self.call_type, kind="stable")
        bounds = np.searchsorted(self.call_type[order], np.arange(len(self.type_names) + 1)).tolist()
        names = self.columns
        columns = {name: getattr(self, name)[order] for name in names}
        return [CallLog(**{name: columns[name][lo:hi] for name in names}, type_names=self.type_names)
                for lo, hi in zip(bounds, bounds[1:])]

    @classmethod
    def concatenate(cls, logs: "list[CallLog]") -> "CallLog":
        """One log of ``logs`` (chunks of the same replication, in order).

        Empties ``logs`` as it goes, so that a chunk's memory is freed once copied.
        """
        if len(logs) == 1:
            return logs.pop()
        names = logs[0].columns
        type_names = logs[0].type_names
        parts = [{name: getattr(log, name) for name in names} for log in logs]
        logs.clear()
        shared = all(part["caller"] is part["id"] for part in parts)  # callers are calls
        columns = {}
        for name in names:  # one column at a time: peak memory is the log plus one column
            if name == "caller" and shared:
                columns[name] = columns["id"]
                continue
            columns[name] = np.concatenate([part.pop(name) for part in parts])
            _return_free_memory()
        return cls(**columns, type_names=type_names)

    def to_dataframe(self) -> "pd.DataFrame":
        """A pandas DataFrame, one row per call, ``outcome`` as text."""
        import pandas as pd  # imported here on purpose: the CLI and the engine never pay for pandas

        data = {name: getattr(self, name) for name in self.columns}
        codes = data.pop("outcome")
        types = data.pop("call_type")
        frame = pd.DataFrame(data)
        frame["outcome"] = pd.Categorical.from_codes(
            codes.astype(np.int64), categories=[OUTCOMES[k] for k in sorted(OUTCOMES)]
        )
        frame["call_type"] = pd.Categorical.from_codes(types.astype(np.int64), categories=list(self.type_names))
        if "callback" in frame:
            frame["callback"] = pd.Categorical.from_codes(
                frame["callback"].to_numpy().astype(np.int64), categories=[CALLBACK_KINDS[k] for k in sorted(CALLBACK_KINDS)]
            )
        return frame

    def to_csv(self, path: str | Path) -> None:
        """Write the log as CSV (outcome as text)."""
        self.to_dataframe().to_csv(path, index=False)

    @property
    def balked(self) -> np.ndarray:
        """Boolean mask of calls that hung up on hearing the predicted wait."""
        return self.outcome == BALKED

    @property
    def blocked(self) -> np.ndarray:
        """Boolean mask of calls blocked because every line was busy (``lines``)."""
        return self.outcome == BLOCKED

    @property
    def unreached(self) -> np.ndarray:
        """Boolean mask of callback / web-form requests never fulfilled."""
        return self.outcome == UNREACHED

    @property
    def unserved(self) -> np.ndarray:
        """Boolean mask of calls left unanswered when no agent remained."""
        return self.outcome == UNSERVED
