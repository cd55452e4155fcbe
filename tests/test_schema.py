"""The JSON Schema of configs (`queuesim schema`) accepts every shipped config and rejects broken ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from queuesim.cli import main
from queuesim.commands.new import KINDS, starter_config
from queuesim.docs_gen import config_schema

from .conftest import CONFIGS


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = config_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _errors(validator: jsonschema.Draft7Validator, data: object) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))


def test_there_are_configs() -> None:
    assert len(CONFIG_FILES) >= 4


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_schema_accepts_every_shipped_config(validator, path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _errors(validator, data) == []


@pytest.mark.parametrize("kind", KINDS)
def test_schema_accepts_every_starter(validator, kind: str) -> None:
    assert _errors(validator, yaml.safe_load(starter_config(kind))) == []


def test_schema_accepts_a_resolved_config(validator, tmp_path: Path) -> None:
    """DIR/config.yaml written by `run --out` is a config too."""
    out = tmp_path / "out"
    src = tmp_path / "c.yaml"
    src.write_text(starter_config("basic").replace("horizon: 8h", "horizon: 1h").replace("rate: 95/min", "rate: 5/min")
                   .replace("agents: 390", "agents: 30").replace("agents: 400", "agents: 31"))
    assert main(["run", str(src), "-n", "1", "--executor", "serial", "--quiet", "--out", str(out)]) == 0
    assert _errors(validator, yaml.safe_load((out / "config.yaml").read_text())) == []


BASE = yaml.safe_load((CONFIGS / "erlang-a.yaml").read_text())


def _with(**changes: object) -> dict:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(_with(agnets=100), id="unknown top-level key"),
        pytest.param(_with(agents="many"), id="wrong type"),
        pytest.param(_with(agents=0), id="below minimum"),
        pytest.param(_with(horizon="8 hourz"), id="bad duration unit"),
        pytest.param(_with(warmup="-5min"), id="negative duration"),
        pytest.param(_with(arrivals={"rate": "95/mn"}), id="bad rate unit"),
        pytest.param(_with(arrivals={"rate": "95/min", "speed": 1}), id="unknown nested key"),
        pytest.param(_with(handle_time={"distribution": "exponental", "mean": "1min"}), id="unknown distribution"),
        pytest.param(_with(handle_time={"distribution": "exponential", "mean": "1min", "sd": 3}), id="foreign parameter"),
        pytest.param(_with(announcements={"kind": "loud"}), id="literal choice"),
        pytest.param(_with(shifts=[{"start": "07:00", "length": "8h"}]), id="missing required key"),
        pytest.param(_with(shrinkage=1.5), id="fraction above 1"),
        pytest.param(_with(replications=0), id="replications 0"),
        pytest.param(_with(variants={"x": {"agnets": 3}}), id="unknown key in a variant"),
        pytest.param(_with(variants={"x": {"arrivals.rte": "3/min"}}), id="bad dotted key in a variant"),
        pytest.param(_with(sweep={"seed": [1, 2]}), id="sweep over an experiment key"),
        pytest.param(_with(sweep={"agents": {"from": 90, "to": 110}}), id="sweep range without step"),
        pytest.param(_with(sweep={"agents": []}), id="empty sweep list"),
        pytest.param(_with(callback={"threshold": "1min"}), id="callback without kind"),
        pytest.param(_with(callback={"kind": "virtual_hold", "slot_length": "15min"}), id="key of another callback kind"),
        pytest.param(_with(callback={"kind": "web_form"}), id="web form without contact_delay"),
    ],
)
def test_schema_rejects_broken_configs(validator, broken: dict) -> None:
    assert _errors(validator, broken), "the schema accepted a broken config"


@pytest.mark.parametrize(
    "fine",
    [
        pytest.param(_with(patience="inf"), id="infinite patience"),
        pytest.param(_with(horizon="1h30min", warmup=0), id="compound duration"),
        pytest.param(_with(arrivals={"rate": "120 per hour"}), id="rate in words"),
        pytest.param(_with(arrivals={"rate": 1.5}), id="rate as a number"),
        pytest.param(_with(variants={"x": {"arrivals.rate": "100/min", "handle_time": {"mean": "50s"}}}),
                     id="partial nested override and dotted key"),
        pytest.param(_with(variants={"x": None}), id="empty variant"),
        pytest.param(_with(sweep={"agents": {"from": 90, "to": 110, "step": 5}, "arrivals.rate": ["90/min"]}),
                     id="sweep range and list"),
        pytest.param(_with(agents=None, staffing={"interval": "30min", "start": "07:30", "agents": [3, 4]}),
                     id="staffing with a clock time"),
    ],
)
def test_schema_accepts_valid_variations(validator, fine: dict) -> None:
    assert _errors(validator, fine) == []


def test_schema_carries_descriptions_and_defaults() -> None:
    schema = config_schema()
    props = schema["properties"]
    assert props["agents"]["description"]
    assert props["replications"]["default"] == 10
    callback = schema["$defs"]["Scenario"]["properties"]["callback"]["anyOf"][0]
    assert callback["discriminator"]["propertyName"] == "kind"
    kinds = {"virtual_hold": "VirtualHoldCallback", "scheduled": "ScheduledCallback", "web_form": "WebFormCallback"}
    assert [branch["$ref"] for branch in callback["oneOf"]] == [f"#/$defs/{name}" for name in kinds.values()]
    for kind, name in kinds.items():
        definition = schema["$defs"][name]
        assert definition["properties"]["threshold"]["default"] == 120.0  # the keys every kind has
        assert definition["properties"]["kind"]["const"] == kind and "kind" in definition["required"]
    assert "slot_length" in schema["$defs"]["ScheduledCallback"]["properties"]
    assert "slot_length" not in schema["$defs"]["WebFormCallback"]["properties"]
    assert "contact_delay" in schema["$defs"]["WebFormCallback"]["required"]
    assert "patience_infinite" not in schema["$defs"]["CallType"]["properties"]
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description in the schema"


def test_schema_command_prints_and_writes(tmp_path: Path, capsys) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(config_schema()))
    target = tmp_path / "queuesim.schema.json"
    assert main(["schema", "--out", str(target)]) == 0
    assert json.loads(target.read_text()) == printed
    assert main(["schema", "--out", str(tmp_path / "missing" / "s.json")]) == 2
