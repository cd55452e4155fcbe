"""What-ifs in one key: ``arrivals.volume`` scales the calls, ``shift_adjust`` changes every shift's count.

Both are off by default and then change nothing, bit for bit; set, they give
exactly the scenario one would otherwise write out by hand.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import yaml

from queuesim import Scenario, simulate
from queuesim.model.config import apply_overrides, experiment_from_dict

from .conftest import config_error, CONFIGS, make_scenario

FLAGSHIP = CONFIGS / "your-call-is-important.yaml"

PROFILE = {"interval": "30min", "start": "08:00", "calls": [40, 60, 55, 30]}

BASE = {
    "name": "t",
    "seed": 1,
    "replications": 2,
    "arrivals": dict(PROFILE),
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"},
    "shifts": [
        {"name": "early", "start": "08:00", "length": "1h", "count": 3},
        {"name": "late", "start": "09:00", "length": "1h", "count": 2},
    ],
}


_error = config_error


def _same_call_log(a: Scenario, b: Scenario, seed: int = 7) -> bool:
    x, y = simulate(a, seed=seed).calls, simulate(b, seed=seed).calls
    return len(x) == len(y) and all(
        np.array_equal(getattr(x, c), getattr(y, c), equal_nan=True) for c in x.columns
    )


# -- arrivals.volume ---------------------------------------------------------------------------

def test_volume_multiplies_the_rate_function_and_expected_calls() -> None:
    """volume 1.1 multiplies every piece of the rate (and so the expected calls) by exactly 1.1."""
    plain = make_scenario(arrivals=dict(PROFILE), horizon=None)
    more = make_scenario(arrivals={**PROFILE, "volume": 1.1}, horizon=None)
    assert math.isclose(plain.expected_arrivals(), 185.0)
    assert math.isclose(more.expected_arrivals(), 1.1 * 185.0)
    (rf_plain,), (rf_more,) = plain.rate_functions(), more.rate_functions()
    assert rf_more.grid == rf_plain.grid
    assert np.allclose(rf_more.rates, 1.1 * np.asarray(rf_plain.rates), rtol=1e-15, atol=0)
    constant = make_scenario(arrivals={"rate": "2/min", "volume": 0.5})
    assert math.isclose(constant.rate_functions()[0].rates[0], 1 / 60)


def test_volume_scales_the_simulated_arrivals() -> None:
    """1.5 x 2/min over 10 h expects 1,800 calls (Poisson, sd 42): the count is within 4.5 sd of it."""
    scenario = make_scenario(horizon="10h", arrivals={"rate": "2/min", "volume": 1.5}, agents=40)
    count = len(simulate(scenario, seed=11).calls)
    assert abs(count - 1800) < 4.5 * math.sqrt(1800), count


def test_volume_applies_to_call_types_with_their_own_arrivals() -> None:
    """Each call type's own arrivals block has its own volume."""
    scenario = make_scenario(
        arrivals=None, horizon="1h",
        call_types=[{"name": "a", "arrivals": {"rate": "1/min", "volume": 2}},
                    {"name": "b", "arrivals": {"rate": "1/min"}}],
    )
    a, b = scenario.rate_functions()
    assert math.isclose(a.total(), 120.0) and math.isclose(b.total(), 60.0)


def test_volume_one_changes_nothing_bit_for_bit() -> None:
    """An explicit volume of 1 gives the same call log as no volume at all."""
    plain = make_scenario(arrivals=dict(PROFILE), horizon=None)
    one = make_scenario(arrivals={**PROFILE, "volume": 1.0}, horizon=None)
    assert plain.rate_functions() == one.rate_functions()
    assert _same_call_log(plain, one)
    assert not _same_call_log(plain, make_scenario(arrivals={**PROFILE, "volume": 1.01}, horizon=None))


def test_volume_works_in_variants_sweeps_and_set() -> None:
    """The key is an ordinary nested key: variants, sweeps and --set reach it."""
    exp = experiment_from_dict({**BASE, "variants": {"busy": {"arrivals.volume": 1.2}}})
    assert exp.scenario("busy").arrivals.volume == 1.2 and exp.baseline.arrivals.volume == 1.0
    swept = experiment_from_dict({**BASE, "sweep": {"arrivals.volume": [0.9, 1.1]}})
    assert [s.arrivals.volume for s in swept.scenarios] == [0.9, 1.1]
    overridden = experiment_from_dict(apply_overrides(BASE, ["arrivals.volume=1.25"]))
    assert math.isclose(overridden.baseline.expected_arrivals(), 1.25 * 185.0)


@pytest.mark.parametrize("value, fragment", [
    (0, "greater than 0"), (-1.1, "greater than 0"), ("lots", "number"), (float("inf"), "finite"),
    (1e6, "less than or equal to 1000"),
])
def test_bad_volume_is_one_line_naming_field_and_value(value: object, fragment: str) -> None:
    message = _error({**BASE, "arrivals": {**PROFILE, "volume": value}})
    assert "arrivals.volume" in message and fragment in message, message


# -- shift_adjust ------------------------------------------------------------------------------

def test_shift_adjust_add_equals_the_shifts_written_out() -> None:
    """{add: 1} is the scenario with every shift's count written one higher: same duty periods, same calls."""
    adjusted = experiment_from_dict({**BASE, "shift_adjust": {"add": 1}}).baseline
    written = copy.deepcopy(BASE)
    for shift in written["shifts"]:
        shift["count"] += 1
    by_hand = experiment_from_dict(written).baseline
    assert len(adjusted.duty_periods()) == 7
    assert adjusted.duty_periods() == by_hand.duty_periods()
    assert _same_call_log(adjusted, by_hand)
    assert [s.count for s in adjusted.shifts] == [3, 2], "the shifts as written stay in the config"


def test_shift_adjust_scale_rounds_halves_up_then_adds() -> None:
    """count -> round(count x scale) + add: 3 x 1.5 = 4.5 -> 5, 2 x 1.5 = 3; then -1."""
    scenario = experiment_from_dict({**BASE, "shift_adjust": {"scale": 1.5, "add": -1}}).baseline
    assert [s.count for s in scenario.adjusted(scenario.shifts)] == [4, 2]
    assert len(scenario.duty_periods()) == 6


def test_shift_adjust_reaches_the_shifts_of_groups() -> None:
    groups = {
        "groups": [{"name": "a", "shifts": [{"start": "08:00", "length": "2h", "count": 2}]},
                   {"name": "b", "agents": 3}],
        "call_types": [{"name": "x", "share": 1.0, "groups": ["a", "b"]}],
    }
    data = {k: v for k, v in BASE.items() if k != "shifts"} | groups
    plain = experiment_from_dict(data).baseline
    more = experiment_from_dict({**data, "shift_adjust": {"add": 2}}).baseline
    assert more.agent_groups() == [0, 0, 0, 0, 1, 1, 1]
    assert len(plain.duty_periods()) == 5


def test_shift_adjust_that_changes_nothing_changes_nothing() -> None:
    """{add: 0} and {scale: 1} give the same call log as no shift_adjust."""
    plain = experiment_from_dict(BASE).baseline
    for adjust in ({"add": 0}, {"scale": 1.0}, {}):
        same = experiment_from_dict({**BASE, "shift_adjust": adjust}).baseline
        assert same.duty_periods() == plain.duty_periods()
    assert _same_call_log(plain, experiment_from_dict({**BASE, "shift_adjust": {"add": 0}}).baseline)


@pytest.mark.parametrize("adjust, fragments", [
    ({"add": -3}, ["shift_adjust", "'late'", "-1 agents", "between 0 and 1,000,000"]),
    ({"scale": 0}, ["shift_adjust.scale", "greater than 0"]),
    ({"add": 1.5}, ["shift_adjust.add", "integer"]),
    ({"more": 1}, ["shift_adjust.more"]),
])
def test_bad_shift_adjust_is_one_line(adjust: dict, fragments: list[str]) -> None:
    message = _error({**BASE, "shift_adjust": adjust})
    for fragment in fragments:
        assert fragment in message, message


def test_shift_adjust_without_shifts_says_what_to_change() -> None:
    data = {k: v for k, v in BASE.items() if k != "shifts"} | {"agents": 4, "shift_adjust": {"add": 1}}
    message = _error(data)
    assert "shift_adjust" in message and "'agents'" in message, message


def test_flagship_more_agents_is_the_baseline_with_one_more_agent_per_shift() -> None:
    """The flagship's more-agents variant (shift_adjust) is the old one with 16 shifts written out: bit for bit."""
    data = yaml.safe_load(FLAGSHIP.read_text())
    assert data["variants"]["more-agents"] == {"shift_adjust": {"add": 1}}
    written = copy.deepcopy(data)
    written["variants"]["more-agents"] = {"shifts": [{**s, "count": s["count"] + 1} for s in data["shifts"]]}
    new = experiment_from_dict(apply_overrides(data, ["horizon=7h30min"]), base_dir=CONFIGS)
    old = experiment_from_dict(apply_overrides(written, ["horizon=7h30min"]), base_dir=CONFIGS)
    a, b = new.scenario("more-agents"), old.scenario("more-agents")
    assert len(a.duty_periods()) == len(new.baseline.duty_periods()) + 16
    assert a.duty_periods() == b.duty_periods()
    assert _same_call_log(a, b, seed=new.seed)


def test_the_new_keys_at_their_defaults_keep_a_result_folders_fingerprint() -> None:
    """A folder written before arrivals.volume and shift_adjust existed can still be resumed:
    configs/erlang-a.yaml has the fingerprint queuesim 0.1 wrote into meta.json."""
    from queuesim import load_config
    from queuesim.experiment.store import fingerprint

    plain = load_config(CONFIGS / "erlang-a.yaml")
    assert fingerprint(plain) == "59ebe9b34ea6443cbe83330af93e8ca7a591d01a16e0f309f0fe68773ad3cd2d"
    assert fingerprint(load_config(CONFIGS / "erlang-a.yaml", ["arrivals.volume=1.0"])) == fingerprint(plain)
    assert fingerprint(load_config(CONFIGS / "erlang-a.yaml", ["arrivals.volume=1.1"])) != fingerprint(plain)
    # costs.churn.per_message and handle_time_slowdown at their defaults: the folders of the flagship as it was
    # before them (no redials, no price per message, six variants, the web form never neglected) resume too
    data = yaml.safe_load(FLAGSHIP.read_text())
    del data["redial"], data["costs"]["churn"]["per_message"], data["variants"]["web-form"]["callback"]["neglect"]
    data["variants"] = {name: data["variants"][name] for name in
                        ("informative", "virtual-hold", "scheduled-callback", "web-form", "more-agents")}
    old_flagship = experiment_from_dict(data, base_dir=CONFIGS)
    assert fingerprint(old_flagship) == "b4308cf142c44aa39b2993eef1bf9a21d0ef8567a9bdb927b72376ed1ee9628d"
    assert fingerprint(experiment_from_dict(apply_overrides(data, ["costs.churn.per_message=0.001"]),
                                            base_dir=CONFIGS)) != fingerprint(old_flagship)


def test_shift_adjust_scale_rounds_exact_halves_up() -> None:
    """Halves are decided on the scale as written, not on its binary float: 50 x 1.15 = 57.5 -> 58."""
    from queuesim.model.shifts import ShiftAdjust

    assert ShiftAdjust(scale=1.15).count(50) == 58
    assert ShiftAdjust(scale=0.7).count(45) == 32
    assert ShiftAdjust(scale=0.7).count(44) == 31
    assert ShiftAdjust(scale=1.15, add=-1).count(50) == 57


def test_a_variant_overridden_back_to_the_baseline_is_flagged() -> None:
    """--set of the key a variant changes makes the variant the baseline: validate and run warn."""
    from queuesim import load_config

    plain = load_config(CONFIGS / "your-call-is-important.yaml")
    assert plain.warnings() == []
    overridden = load_config(CONFIGS / "your-call-is-important.yaml", ["shift_adjust.add=1"])
    (warning,) = overridden.warnings()
    assert "'more-agents'" in warning and "same model as the baseline" in warning and "\n" not in warning


def test_top_level_volume_scales_every_call_type_with_its_own_arrivals(tmp_path) -> None:
    """`--set arrivals.volume=1.1` on a config whose call types have their own arrivals multiplies each type's."""
    from queuesim import load_config

    exp_ = {"distribution": "exponential"}
    config = {"horizon": "1h", "agents": 3,
              "call_types": [{"name": "a", "arrivals": {"rate": "1/min", "volume": 2}, "handle_time": {**exp_, "mean": "1min"}},
                             {"name": "b", "arrivals": {"rate": "2/min"}, "handle_time": {**exp_, "mean": "1min"}}]}
    path = tmp_path / "types.yaml"
    path.write_text(yaml.safe_dump(config))
    base = load_config(path).baseline
    more = load_config(path, ["arrivals.volume=1.1"]).baseline
    assert base.expected_arrivals() == pytest.approx(240.0)
    assert more.expected_arrivals() == pytest.approx(264.0)
    assert [t.arrivals.volume for t in more.call_types] == pytest.approx([2.2, 1.1])
