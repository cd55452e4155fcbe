"""Sweeps in configs: grids over any keys, crossed with variants, named <scenario>[key=value,...]."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from queuesim import ConfigError, load_config
from queuesim.cli import main
from queuesim.model.config import experiment_from_dict
from queuesim.experiment.store import resolved_config
from queuesim.model.sweep import expand_sweep, format_value, point_name, sweep_values

BASE = {
    "name": "base",
    "seed": 1,
    "replications": 2,
    "horizon": "30min",
    "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"},
    "agents": 6,
}


def test_range_and_list_values() -> None:
    """Ranges include `to` when on the grid; float ranges read as written."""
    assert sweep_values("agents", {"from": 90, "to": 110, "step": 5}) == [90, 95, 100, 105, 110]
    assert sweep_values("agents", {"from": 90, "to": 108, "step": 5}) == [90, 95, 100, 105]
    assert sweep_values("x", {"from": 0.1, "to": 0.3, "step": 0.1}) == [0.1, 0.2, 0.3]
    assert sweep_values("x", ["2/min", "3/min"]) == ["2/min", "3/min"]


@pytest.mark.parametrize(
    "sweep, fragment",
    [
        ({"agents": []}, "at least one value"),
        ({"agents": {"from": 1, "to": 5}}, "from, to, step"),
        ({"agents": {"from": 5, "to": 1, "step": 1}}, "must not be less than"),
        ({"agents": {"from": 1, "to": 5, "step": 0}}, "greater than 0"),
        ({"agents": {"from": "1min", "to": "5min", "step": "1min"}}, "plain numbers"),
        ({"agents": {"from": 1, "to": 10 ** 400, "step": 1}}, "plain numbers"),
        ({"seed": [1, 2]}, "cannot be swept"),
        ({"agents": 5}, "expected a list"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_bad_sweeps_are_one_line_errors(sweep: object, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        experiment_from_dict({**BASE, "sweep": sweep}, source="cfg.yaml")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_sweep_crossed_with_variants_and_names() -> None:
    """variant x grid point, first key slowest; names as written; baseline is the first."""
    exp = experiment_from_dict({
        **BASE,
        "variants": {"slow": {"handle_time.mean": "4min"}},
        "sweep": {"agents": [5, 6], "arrivals.rate": ["2/min", "3/min"]},
    })
    names = [s.name for s in exp.scenarios]
    assert names == [
        "base[agents=5,arrivals.rate=2/min]", "base[agents=5,arrivals.rate=3/min]",
        "base[agents=6,arrivals.rate=2/min]", "base[agents=6,arrivals.rate=3/min]",
        "slow[agents=5,arrivals.rate=2/min]", "slow[agents=5,arrivals.rate=3/min]",
        "slow[agents=6,arrivals.rate=2/min]", "slow[agents=6,arrivals.rate=3/min]",
    ]
    sc = exp.scenario("slow[agents=6,arrivals.rate=3/min]")
    assert sc.agents == 6 and math.isclose(sc.arrivals.rate, 3 / 60) and sc.handle_time.expectation() == 240
    assert exp.sweep_keys == ("agents", "arrivals.rate")
    point = exp.point("slow[agents=6,arrivals.rate=3/min]")
    assert point is not None and point.variant == "slow" and point.sweep == {"agents": 6, "arrivals.rate": "3/min"}


def test_sweep_point_errors_name_the_point() -> None:
    """A sweep value the scenario refuses names the sweep point and the field."""
    with pytest.raises(ConfigError) as info:
        experiment_from_dict({**BASE, "sweep": {"agents": [3, 0]}}, source="cfg.yaml")
    message = str(info.value)
    assert "base[agents=0]" in message and "agents" in message


def test_format_and_point_name() -> None:
    assert point_name("b", {}) == "b"
    assert point_name("b", {"agents": 90.0, "x": 0.25, "on": True}) == "b[agents=90,x=0.25,on=true]"
    assert format_value([1, 2]) == "[1,2]"
    assert len(expand_sweep({"a": [1, 2], "b": [3, 4, 5]})) == 6


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    """The resolved config (DIR/config.yaml) is itself a valid config giving the same experiment."""
    import yaml

    exp = experiment_from_dict({**BASE, "sweep": {"agents": [5, 6]}})
    path = tmp_path / "resolved.yaml"
    path.write_text(yaml.safe_dump(resolved_config(exp)))
    again = load_config(path)
    assert again == exp


def test_validate_reports_sweep(tmp_path: Path, capsys) -> None:
    """`queuesim validate` expands and checks every sweep point."""
    import yaml

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({**BASE, "sweep": {"agents": {"from": 5, "to": 7, "step": 1}}}))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**BASE, "sweep": {"agnets": [5]}}))
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "3 scenario(s), sweep over agents" in out and "base[agents=7]" in out
    assert main(["validate", str(bad)]) == 2
    assert "agnets" in capsys.readouterr().err
