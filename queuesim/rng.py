"""Random streams: one generator per purpose, per replication.

Common random numbers (CRN) are how queuesim compares policies fairly:
replication ``r`` of *every* scenario in an experiment sees the same arrival
times, the same handle times and the same patience for caller ``i``, so a
difference between two scenarios is the policy, not noise.

Each replication owns a :class:`numpy.random.SeedSequence` spawned from the
experiment seed; each *purpose* ("arrivals", "handle_time", "patience", ...)
gets its own child, keyed by a stable hash of the purpose's name. Adding a
new purpose (a callback policy, say) therefore never shifts the numbers any
other purpose sees, and the streams do not depend on the order in which the
engine asks for them.

>>> a = RandomStreams(seed=7, replication=0)
>>> b = RandomStreams(seed=7, replication=0)
>>> float(a["arrivals"].random()) == float(b["arrivals"].random())
True
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["RandomStreams", "validate_seed"]


def validate_seed(seed: object) -> int:
    """Return ``seed`` as an int, or raise ``ValueError`` saying what is allowed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return int(seed)


def _purpose_key(purpose: str) -> int:
    """A stable 32-bit key for a purpose name (same on every platform and run)."""
    return zlib.crc32(purpose.encode("utf-8"))


class RandomStreams:
    """Named, independent :class:`numpy.random.Generator` streams for one replication.

    ``streams["patience"]`` returns the generator for that purpose, created on
    first use and cached. Purposes may be any string; call-type specific
    streams use names such as ``"handle_time/billing"``.
    """

    __slots__ = ("seed", "replication", "_cache")

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = validate_seed(seed)
        if isinstance(replication, bool) or int(replication) != replication or replication < 0:
            raise ValueError(f"replication must be a non-negative integer, got {replication!r}")
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, purpose: str) -> np.random.SeedSequence:
        """The seed sequence behind ``purpose`` (for spawning further children)."""
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, _purpose_key(purpose))
        )

    def __getitem__(self, purpose: str) -> np.random.Generator:
        gen = self._cache.get(purpose)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(purpose)))
            self._cache[purpose] = gen
        return gen

    def __repr__(self) -> str:
        return f"RandomStreams(seed={self.seed}, replication={self.replication})"
