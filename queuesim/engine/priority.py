"""Priority classes on one pool of agents: strict priority between call types, FCFS within a type.

When the call types of a scenario without departments have different
``priority`` values, the single FCFS queue of :class:`~queuesim.engine.centre.ContactCentre`
is replaced by a :class:`PriorityQueue`: one FCFS line per priority class, and
an agent who becomes free takes the head of the highest non-empty class
(non-preemptive: a call in service is never interrupted). Types with the same
priority share one line, in order of arrival.

The class offers exactly the operations the engine uses on its ``deque``
(``append``, ``popleft``, truth value, ``[0]``, iteration, ``clear``,
``extend``), so the engine's code paths (lazy and eager abandonment, redials,
shifts, streaming of settled calls) are the same with and without priorities.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator, Sequence

__all__ = ["PriorityQueue", "PriorityTasks", "priority_ranks"]


def priority_ranks(priorities: Sequence[int]) -> list[int]:
    """Rank of each call type's priority class: 0 for the highest ``priority``, 1 for the next, ...

    >>> priority_ranks([0, 5, 0, -1])
    [1, 0, 1, 2]
    """
    levels = sorted(set(priorities), reverse=True)
    return [levels.index(p) for p in priorities]


class PriorityQueue:
    """Waiting calls (indices into the engine's call columns) in strict priority classes.

    ``rank_of_type[k]`` is the class of call type ``k`` (0 is served first);
    ``call_type`` is the engine's per-call type column (a list it appends to and
    trims in place), read when a call joins.
    """

    __slots__ = ("lines", "rank_of_type", "call_type")

    def __init__(self, rank_of_type: Sequence[int], call_type: list[int]) -> None:
        self.rank_of_type = list(rank_of_type)
        self.call_type = call_type
        self.lines: list[deque[int]] = [deque() for _ in range(max(self.rank_of_type) + 1)]

    def append(self, i: int) -> None:
        """Call ``i`` joins the end of its class's line."""
        self.lines[self.rank_of_type[self.call_type[i]]].append(i)

    def popleft(self) -> int:
        """Remove and return the call at the head of the highest non-empty class."""
        for line in self.lines:
            if line:
                return line.popleft()
        raise IndexError("pop from an empty queue")

    def __bool__(self) -> bool:
        return any(self.lines)  # (the deques' truth tested in C: asked at every freed agent with callbacks)

    def __len__(self) -> int:
        return sum(len(line) for line in self.lines)

    def __getitem__(self, index: int) -> int:
        """``queue[0]``: the earliest call still in any line (the oldest call held for the queue)."""
        if index != 0:
            raise IndexError("only the oldest waiting call ([0]) can be read")
        heads = [line[0] for line in self.lines if line]
        if not heads:
            raise IndexError("empty queue")
        return min(heads)

    def __iter__(self) -> Iterator[int]:
        """Every waiting call, class by class, each class in order of arrival."""
        for line in self.lines:
            yield from line

    def clear(self) -> None:
        for line in self.lines:
            line.clear()

    def extend(self, calls: Iterable[int]) -> None:
        for i in calls:
            self.append(i)


class PriorityTasks(PriorityQueue):
    """Pending tasks ``(call, ...)`` (a due callback attempt, a due web-form request) in priority classes of
    their call's type: the highest class first, in order of becoming due within a class."""

    __slots__ = ()

    def append(self, task: tuple) -> None:  # type: ignore[override]
        self.lines[self.rank_of_type[self.call_type[task[0]]]].append(task)
