"""The schema of a replication file (``DIR/replications/<scenario>/rep000003.json``).

Every field is checked when a file is read, by ``queuesim report``,
``queuesim run --resume`` and :meth:`ExperimentResult.load` alike: its type,
the finiteness of every number (a JSON ``null`` stands for an undefined
metric, NaN; ``Infinity`` is never valid), the lengths of the per-interval
columns (all equal) and of the hold-time quantiles (101, non-decreasing), and
the size of the file (at most :data:`MAX_REPLICATION_FILE_BYTES`). JSON is
parsed by pydantic's parser, which refuses absurd nesting (``[[[[...``) with
an error instead of a RecursionError.

A file that fails is *damaged*: :func:`read_replication_file` raises
:class:`DamagedFile`, whose message is one line naming the file and the
first problem.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..engine import AgentTable
from ..measure.metrics import INTERVAL_COLUMNS, LINES_INTERVAL_COLUMNS, METRICS
from ..model.fields import check_input_file
from .replication import ReplicationResult, agent_table_from_json

__all__ = ["DamagedFile", "MAX_REPLICATION_FILE_BYTES", "ReplicationFile", "read_replication_file"]

#: Largest replication file read, in bytes (a million report intervals fit in about 300 MB).
MAX_REPLICATION_FILE_BYTES = 1_000_000_000
#: Number of hold-time quantiles in a replication file (0, 1, ..., 100 %).
QUANTILES = 101

Finite = Annotated[float, Field(allow_inf_nan=False)]
"""A finite number (JSON ``Infinity``/``NaN`` and 1e999 are refused)."""


class DamagedFile(ValueError):
    """A replication file that exists but does not match the schema; ``str(error)`` is one line."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: damaged replication file ({reason})")


class ReplicationFile(BaseModel):
    """A replication file as written by :meth:`ResultStore.save` (times in seconds)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: int = Field(ge=1, le=1, description="file format version")
    fingerprint: Optional[str] = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the resolved config")
    scenario: str = Field(min_length=1, max_length=10_000, description="scenario name")
    seed: int = Field(ge=0, le=2**63 - 1, description="root seed of the run")
    replication: int = Field(ge=0, le=10_000_000, description="replication number")
    runtime: Finite = Field(ge=0, description="wall-clock seconds of the simulation")
    summary: dict[str, Optional[Finite]] = Field(description="metric -> value (null: undefined)")
    intervals: Optional[dict[str, list[Optional[Finite]]]] = Field(description="per-interval columns")
    wait_quantiles: Optional[list[Finite]] = Field(description="hold-time quantiles at 0, 1, ..., 100 % (s)")
    agents: Optional[dict[str, list[Optional[Finite]]]] = Field(
        None, description="per-agent columns (staff block): one value per agent of the schedule")

    @field_validator("summary")
    @classmethod
    def _every_metric(cls, summary: dict[str, Optional[float]]) -> dict[str, Optional[float]]:
        missing = [m for m in METRICS if m not in summary]
        if missing:
            raise ValueError(f"metric {missing[0]} is missing ({len(missing)} in all)")
        return summary

    @field_validator("intervals")
    @classmethod
    def _columns(cls, intervals: Optional[dict[str, list[Optional[float]]]]) -> Optional[dict[str, list[Any]]]:
        if intervals is None:
            return None
        missing = [c for c in INTERVAL_COLUMNS if c not in intervals and c not in LINES_INTERVAL_COLUMNS]
        if missing:
            raise ValueError(f"column {missing[0]} is missing")
        lengths = {name: len(values) for name, values in intervals.items()}
        n = lengths["interval_start"]
        short = [name for name, length in lengths.items() if length != n]
        if short:
            raise ValueError(f"column {short[0]} has {lengths[short[0]]} values, interval_start has {n}")
        if any(v is None for v in intervals["interval_start"]):
            raise ValueError("interval_start has a null")
        return intervals

    @field_validator("agents")
    @classmethod
    def _agent_columns(cls, agents: Optional[dict[str, list[Optional[float]]]]) -> Optional[dict[str, list[Any]]]:
        if agents is None:
            return None
        missing = [c for c in AgentTable.COLUMNS if c not in agents]
        if missing:
            raise ValueError(f"agent column {missing[0]} is missing")
        n = len(agents["group"])
        short = [name for name, values in agents.items() if len(values) != n]
        if short:
            raise ValueError(f"agent column {short[0]} has {len(agents[short[0]])} values, group has {n}")
        return agents

    @field_validator("wait_quantiles")
    @classmethod
    def _quantiles(cls, values: Optional[list[float]]) -> Optional[list[float]]:
        if values is None:
            return None
        if len(values) != QUANTILES:
            raise ValueError(f"{len(values)} values, expected {QUANTILES}")
        if any(b < a for a, b in zip(values, values[1:])):
            raise ValueError("not in increasing order")
        return values

    @model_validator(mode="after")
    def _non_negative_quantiles(self) -> "ReplicationFile":
        if self.wait_quantiles is not None and self.wait_quantiles[0] < 0:
            raise ValueError("wait_quantiles: negative wait")
        return self

    def result(self) -> ReplicationResult:
        """The :class:`ReplicationResult` this file holds (null metrics as NaN)."""
        summary = {k: (math.nan if v is None else float(v)) for k, v in self.summary.items()}
        intervals = None
        if self.intervals is not None:
            intervals = {k: [math.nan if v is None else v for v in vals] for k, vals in self.intervals.items()}
        return ReplicationResult(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            summary=summary,
            runtime=self.runtime,
            intervals=intervals,
            wait_quantiles=None if self.wait_quantiles is None else list(self.wait_quantiles),
            agents=None if self.agents is None else agent_table_from_json(self.agents),
        )


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "json_invalid":
        message = message.replace("Invalid JSON: ", "not valid JSON: ")
    text = f"{where}: {message}" if where else message
    return repr(text)[1:-1][:300]


def read_replication_file(path: Path) -> ReplicationFile:
    """Read and check one replication file (``.result()`` gives the replication); :class:`DamagedFile` if not valid.

    ``FileNotFoundError`` passes through (a missing file is not damaged).
    """
    try:
        check_input_file(path, limit=MAX_REPLICATION_FILE_BYTES, what="replication file")
    except ValueError as exc:
        raise DamagedFile(path, str(exc).split(": ", 1)[-1]) from None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DamagedFile(path, f"unreadable: {exc.strerror or exc}") from None
    try:
        return ReplicationFile.model_validate_json(data)
    except ValidationError as exc:
        raise DamagedFile(path, _first_problem(exc)) from None
