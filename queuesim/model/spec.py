"""An experiment: scenarios to compare, a seed, and how many replications.

Replication ``r`` of every scenario uses the same random streams (common
random numbers), so scenarios differ only by their policy or parameters.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, model_validator

from .base import ConfigModel
from .fields import Name
from .scenario import Scenario

__all__ = ["Experiment", "ScenarioPoint"]


class ScenarioPoint(ConfigModel):
    """Where a scenario comes from: its variant and its sweep point.

    ``variant`` is the variant's name (the experiment's name for the base
    scenario); ``sweep`` maps each swept key to its value as written in the
    config (empty without a sweep).
    """

    scenario: str = Field(min_length=1, description="scenario name")
    variant: str = Field(min_length=1, description="variant name (the base scenario's name for the base)")
    sweep: dict[str, Any] = Field(default_factory=dict, description="swept key -> value as written")
    changes: dict[str, Any] = Field(
        default_factory=dict, description="the variant's overrides of the base scenario, as written in the config"
    )


class Experiment(ConfigModel):
    """Scenarios simulated with common random numbers.

    The first scenario is the baseline for paired comparisons.
    """

    name: Name = Field("experiment", description="experiment name (printable, at most 200 bytes)")
    description: Optional[str] = Field(None, max_length=10_000, description="what the experiment compares, in words")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="root seed; same seed, same numbers")
    replications: int = Field(
        10, ge=1, le=1_000_000, description="independent replications per scenario"
    )
    scenarios: tuple[Scenario, ...] = Field(min_length=1, description="scenarios, baseline first")
    sweep_keys: tuple[str, ...] = Field((), description="keys of the sweep grid, in config order (empty: no sweep)")
    points: tuple[ScenarioPoint, ...] = Field(
        (), description="variant and sweep point of each scenario (empty for experiments built in code)"
    )

    @model_validator(mode="after")
    def _unique_names(self) -> "Experiment":
        seen: set[str] = set()
        for scenario in self.scenarios:
            if scenario.name in seen:
                raise ValueError(f"scenario name {scenario.name!r} is used twice; names must be unique")
            seen.add(scenario.name)
        for point in self.points:
            if point.scenario not in seen:
                raise ValueError(f"points: no scenario {point.scenario!r}")
        return self

    @property
    def baseline(self) -> Scenario:
        return self.scenarios[0]

    def warnings(self) -> list[str]:
        """Valid but probably unintended: scenarios that are the baseline under another name (a variant whose
        changes a ``--set`` or the base overrides), whose differences would all be 0."""
        if len(self.scenarios) < 2:
            return []
        base = self.baseline.model_dump(exclude={"name"})
        return [f"scenario {sc.name!r} is the same model as the baseline {self.baseline.name!r} (what it changes is "
                "overridden, e.g. by --set of the same key): its differences will all be 0"
                for sc in self.scenarios[1:] if sc.model_dump(exclude={"name"}) == base]

    def point(self, name: str) -> Optional[ScenarioPoint]:
        """The variant and sweep point of scenario ``name`` (None if not recorded)."""
        return next((p for p in self.points if p.scenario == name), None)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name`` (KeyError listing the names otherwise)."""
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(f"no scenario {name!r}; scenarios: {', '.join(s.name for s in self.scenarios)}")
