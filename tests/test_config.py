"""Config loading: valid configs parse, bad configs give one clear line naming field, value and what is allowed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from queuesim import ConfigError, load_config
from queuesim.model.config import apply_overrides, experiment_from_dict

from .conftest import config_error, CONFIGS

BASE = {
    "name": "t",
    "seed": 1,
    "replications": 3,
    "horizon": "1h",
    "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"},
    "agents": 6,
}


_error = config_error


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path: Path) -> None:
    """Every config in configs/ loads without error."""
    experiment = load_config(path)
    assert experiment.scenarios


def test_contract_config_values_are_in_seconds() -> None:
    """The Erlang A example reads as the issue's contract: 8 h, 30 min warm-up, 95/min, 1 min, 2 min, 100 agents."""
    exp = load_config(CONFIGS / "erlang-a.yaml")
    sc = exp.scenarios[0]
    assert (exp.seed, exp.replications) == (7, 20)
    assert sc.horizon == 8 * 3600 and sc.warmup == 1800 and sc.service_level_threshold == 20
    assert math.isclose(sc.arrivals.rate, 95 / 60)
    assert sc.handle_time.expectation() == 60 and sc.patience.expectation() == 120
    assert sc.agents == 100 and sc.name == "erlang-a-example"


def test_unknown_key_is_named_with_a_suggestion() -> None:
    """A misspelt key is named, with the closest valid key suggested."""
    data = dict(BASE)
    data["agnets"] = data.pop("agents")
    message = _error(data)
    assert "agnets" in message and "did you mean 'agents'" in message


def test_unknown_nested_key_lists_allowed_keys() -> None:
    """An unknown key inside a block names its path and the keys allowed there."""
    message = _error({**BASE, "arrivals": {"rate": "2/min", "rat": 3}})
    assert "arrivals.rat" in message and "rate" in message


def test_missing_field_is_named() -> None:
    """A missing required key is named."""
    data = dict(BASE)
    del data["agents"]
    assert "agents: required key is missing" in _error(data)


@pytest.mark.parametrize(
    "rate, fragment",
    [("-5/min", "greater than 0"), (0, "greater than 0"), ("5/fortnight", "unknown time unit"), ("lots", "95/min")],
)
def test_bad_rates_are_named_with_value_and_rule(rate: object, fragment: str) -> None:
    """Negative, zero and unreadable rates name arrivals.rate, the value and the rule."""
    message = _error({**BASE, "arrivals": {"rate": rate}})
    assert "arrivals.rate" in message and repr(rate) in message and fragment in message


def test_bad_unit_in_duration() -> None:
    """A duration with an unknown unit lists the allowed units."""
    message = _error({**BASE, "horizon": "8 weeks"})
    assert "horizon" in message and "'8 weeks'" in message and "allowed units" in message


def test_wrong_type_for_agents() -> None:
    """agents must be a whole number."""
    message = _error({**BASE, "agents": "many"})
    assert "agents" in message and "'many'" in message and "integer" in message


def test_zero_agents_refused() -> None:
    """At least one agent is required."""
    assert "greater than or equal to 1" in _error({**BASE, "agents": 0})


def test_unknown_distribution_lists_the_known_ones() -> None:
    """An unknown distribution name lists the allowed names."""
    message = _error({**BASE, "handle_time": {"distribution": "normal", "mean": 60}})
    assert "handle_time.distribution" in message and "'normal'" in message and "exponential" in message


def test_distribution_parameter_error_is_located() -> None:
    """A bad distribution parameter names handle_time.mean and the value."""
    message = _error({**BASE, "handle_time": {"distribution": "exponential", "mean": "-1min"}})
    assert "handle_time.mean" in message and "-1min" in message


def test_warmup_longer_than_horizon_refused() -> None:
    """warmup must be shorter than the horizon."""
    assert "warmup" in _error({**BASE, "warmup": "2h"})


@pytest.mark.parametrize("value", ["inf", None, float("inf")])
def test_infinite_patience_spellings(value: object) -> None:
    """patience: inf (or null) means callers never abandon."""
    exp = experiment_from_dict({**BASE, "patience": value})
    assert exp.scenarios[0].patience is None


def test_bad_seed_and_replications() -> None:
    """seed must be >= 0 and replications >= 1."""
    assert "seed" in _error({**BASE, "seed": -1})
    assert "replications" in _error({**BASE, "replications": 0})


def test_variants_inherit_and_override() -> None:
    """A variant is the base scenario with some keys overridden (nested and dotted keys)."""
    exp = experiment_from_dict({**BASE, "variants": {"more": {"agents": 8}, "busier": {"arrivals.rate": "3/min"}}})
    names = [s.name for s in exp.scenarios]
    assert names == ["t", "more", "busier"]
    assert exp.scenario("more").agents == 8 and exp.scenario("more").arrivals == exp.baseline.arrivals
    assert math.isclose(exp.scenario("busier").arrivals.rate, 3 / 60)


def test_variant_errors_name_the_variant() -> None:
    """A bad override inside a variant names variants.<name>.<key>."""
    message = _error({**BASE, "variants": {"oops": {"agents": -2}}})
    assert "variants.oops.agents" in message


def test_set_overrides_parse_yaml_scalars() -> None:
    """--set key=value reads numbers and strings, and dotted keys reach nested blocks."""
    data = apply_overrides(BASE, ["agents=9", "arrivals.rate=3/min", "handle_time.mean=200"])
    exp = experiment_from_dict(data)
    assert exp.baseline.agents == 9 and exp.baseline.handle_time.expectation() == 200


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    """Empty files, lists and YAML syntax errors are reported in one line."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("agents: [1, 2\n")
    for path, fragment in [(empty, "empty"), (listing, "mapping"), (broken, "YAML syntax error")]:
        with pytest.raises(ConfigError, match=fragment):
            load_config(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    """Python object tags are refused, never executed."""
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(BASE) + "x: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError):
        load_config(path)


def test_an_unquoted_clock_time_is_a_clock_time_not_base_60_seconds(tmp_path: Path) -> None:
    """YAML 1.1 reads ``10:00`` as 600 (base 60): written unquoted, a 10:00 start would silently become 00:10.
    The config reader keeps it as text, which the clock-time keys read as written; elsewhere it is an error."""
    config = tmp_path / "day.yaml"
    config.write_text("horizon: 14h\n"
                      "arrivals: {calls: [30, 30, 30, 30], interval: 30min, start: 10:00}\n"
                      "handle_time: {distribution: exponential, mean: 3min}\n"
                      "shifts: [{name: late, start: 10:00, length: 2h, count: 5}]\n")
    scenario = load_config(config).scenarios[0]
    assert scenario.arrivals.start == 36000.0
    assert [p[0] for agent in scenario.duty_periods() for p in agent] == [36000.0] * 5
    moved = load_config(config, ["arrivals.start=11:00"]).scenarios[0]
    assert moved.arrivals.start == 39600.0
    config.write_text("horizon: 1:30\narrivals: {rate: 2/min}\nhandle_time: {distribution: exponential, mean: 3min}\n"
                      "agents: 3\n")
    with pytest.raises(ConfigError, match="horizon = '1:30'"):
        load_config(config)


def test_numbers_read_as_yaml_always_did_without_base_60() -> None:
    from queuesim.model.config import parse_yaml

    text = "a: 10\nb: -3\nc: 1.5\nd: .inf\ne: -.inf\nf: 0x1f\ng: 1_000\nh: 2.5e-3\ni: true\nj: null\nk: 1e3\n"
    assert parse_yaml(text) == yaml.safe_load(text)
    assert yaml.safe_load("t: 10:00")["t"] == 600  # what the base-60 form made of it
    assert parse_yaml("t: 10:00\nu: 1:30:00\nv: 1:30.5") == {"t": "10:00", "u": "1:30:00", "v": "1:30.5"}


def test_a_set_value_with_a_key_given_twice_is_an_error_naming_the_set() -> None:
    with pytest.raises(ConfigError, match=r"^--set 'arrivals=\{rate: 1/min, rate: 2/min\}': duplicate key 'rate'"):
        apply_overrides(BASE, ["arrivals={rate: 1/min, rate: 2/min}"])
    assert apply_overrides(BASE, ["name=a: ["])["name"] == "a: ["  # not YAML: the text as it is


def test_shrinkage_rounds_shift_by_shift_and_warns_when_that_is_far_off() -> None:
    """Each shift keeps round(count x (1 - shrinkage)), halves up, so adding an agent to one shift never
    takes one from another; ten one-agent shifts keep all ten at 30% and lose all ten at 55%, which the
    config's warnings say (one ten-agent shift: no warning)."""
    def scenario(shifts: list[dict], shrinkage: float):
        return experiment_from_dict({"horizon": "8h", "arrivals": {"rate": "1/min"},
                                     "handle_time": {"distribution": "exponential", "mean": "3min"},
                                     "shifts": shifts, "shrinkage": shrinkage}).scenarios[0]

    ten_small = [{"name": f"s{k}", "start": "0:00", "length": "8h", "count": 1} for k in range(10)]
    one_big = [{"name": "all", "start": "0:00", "length": "8h", "count": 10}]
    for shrinkage, small, big in ((0.0, 10, 10), (0.3, 10, 7), (0.45, 10, 6), (0.55, 0, 5)):
        assert len(scenario(ten_small, shrinkage).duty_periods()) == small
        assert len(scenario(one_big, shrinkage).duty_periods()) == big
        assert not [w for w in scenario(one_big, shrinkage).warnings() if "shrinkage" in w]
    warned = [w for w in scenario(ten_small, 0.55).warnings() if "shrinkage" in w]
    assert warned == ["baseline: shrinkage 0.55 is rounded shift by shift: the shifts keep 0 of 10 scheduled agents "
                      "on duty, not the 4.5 their total would; shifts of few agents each lose a whole agent or none"]
    assert not [w for w in scenario(ten_small, 0.0).warnings() if "shrinkage" in w]
    mixed = [{"name": "a", "start": "0:00", "length": "8h", "count": 5},
             {"name": "b", "start": "0:00", "length": "8h", "count": 5}]
    assert len(scenario(mixed, 0.1).duty_periods()) == 10  # 4.5 rounds up on each shift


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.integers(0, 40), max_size=12), st.floats(0.0, 0.95), st.integers(0, 11))
def test_shifts_on_duty_rounds_each_shift_and_never_drops_with_one_more_agent(
        counts: list[int], shrinkage: float, more: int) -> None:
    from queuesim.model.shifts import on_duty, shifts_on_duty

    present = shifts_on_duty(counts, shrinkage)
    assert present == [on_duty(n, shrinkage) for n in counts]
    assert all(0 <= m <= n for n, m in zip(counts, present))
    if counts:
        k = more % len(counts)
        bigger = shifts_on_duty([n + (j == k) for j, n in enumerate(counts)], shrinkage)
        assert all(b >= p for b, p in zip(bigger, present))
