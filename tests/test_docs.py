"""docs/config-reference.md is generated from the validation models and must not be stale."""

from __future__ import annotations

import subprocess
import sys

from queuesim import docs_gen
from queuesim.model.config import EXPERIMENT_KEYS, load_config
from queuesim.model.distributions import DISTRIBUTION_NAMES
from queuesim.model.scenario import Scenario

from .conftest import ROOT

REFERENCE = ROOT / "docs" / "config-reference.md"


def test_committed_reference_is_current() -> None:
    """Fails when a model changed and docs/config-reference.md was not regenerated."""
    generated = docs_gen.config_reference()
    committed = REFERENCE.read_text(encoding="utf-8")
    assert committed == generated, (
        "docs/config-reference.md is stale: run `python -m queuesim.docs_gen --write` and commit it"
    )


def test_every_key_is_documented() -> None:
    """Every scenario key, nested key, distribution and experiment key has a row with a meaning."""
    text = docs_gen.config_reference()
    for model, name, description in docs_gen.documented_fields():
        assert description, f"{model}.{name} has no description (add Field(description=...) or a fallback)"
        assert f"| `{name}` |" in text, f"{model}.{name} missing from the reference"
    for key in EXPERIMENT_KEYS:
        assert f"| `{key}` |" in text
    for tag in DISTRIBUTION_NAMES:
        assert f"### {tag}" in text
    for key in Scenario.model_fields:
        if key not in ("name",):
            assert f"| `{key}` |" in text


def rows(section: str) -> dict[str, str]:
    """The table rows of one section of the reference, by key."""
    text = docs_gen.config_reference()
    start = text.index(f"\n{section}\n")
    body = text[start + len(section) + 2:]
    end = body.find("\n#")
    body = body if end < 0 else body[:end]
    return {line.split("|")[1].strip().strip("`"): line for line in body.splitlines() if line.startswith("| `")}


def test_reference_states_types_units_defaults_and_choices() -> None:
    scenario = rows("## Scenario keys")
    assert "duration" in scenario["warmup"] and "`0s`" in scenario["warmup"] and ">= 0" in scenario["warmup"]
    assert "`20s`" in scenario["service_level_threshold"] and "4.5min" in scenario["service_level_threshold"]
    assert "`inf`" in scenario["patience"]
    assert "1 to 1,000,000" in scenario["agents"]
    assert ">= 0, < 1" in scenario["shrinkage"]
    assert "[Shift](#shift)" in scenario["shifts"]
    arrivals = rows("### Arrivals")
    assert "rate" in arrivals["rate"] and "95/min" in arrivals["rate"] and "> 0" in arrivals["rate"]
    assert "clock time" in arrivals["start"] and "07:30" in arrivals["start"]
    assert "`mon`, `tue`" in arrivals["days"]
    callback = rows("### Callback")  # the keys every kind has, then one table per kind with its own keys
    assert "`virtual_hold`, `scheduled`, `web_form`" in callback["kind"] and "**required**" in callback["kind"]
    assert "`2min`" in callback["threshold"] and "strict" in callback["priority"]
    assert not {"slot_length", "late_after", "web_hours"} & set(callback)
    assert rows("#### kind: virtual_hold") == {}
    assert set(rows("#### kind: scheduled")) == {"slot_length", "slot_capacity", "lead_time", "neglect"}
    web_form = rows("#### kind: web_form")
    assert "`24h`" in web_form["late_after"] and "**required**" in web_form["contact_delay"]
    assert "threshold" not in web_form and "web_hours" in web_form
    assert "**required**" in rows("### Shift")["count"]
    assert "clock time" in rows("### Shift")["start"]
    assert "currency / agent-hour" in rows("### CostModel")["agent_per_hour"]
    assert "0 to 1" in rows("### Redial")["probability"]
    lognormal = rows("### lognormal")
    assert "duration" in lognormal["mean"] and "mean duration" in lognormal["mean"]
    experiment = rows("## Experiment keys")
    assert "{from, to, step}" in experiment["sweep"]


def test_infinite_patience_is_detected_from_the_validators() -> None:
    """'inf' is documented (and allowed by the schema) exactly where a validator accepts it."""
    from queuesim.model.groups import Transfers
    from queuesim.model.scenario import CallType

    assert docs_gen._accepts_infinite(Scenario, "patience")
    assert docs_gen._accepts_infinite(CallType, "patience")
    assert docs_gen._accepts_infinite(Transfers, "warm_patience")
    assert not docs_gen._accepts_infinite(Scenario, "handle_time")
    assert not docs_gen._accepts_infinite(Transfers, "cold_patience")


def test_fallbacks_and_extra_units_are_not_stale() -> None:
    """A fallback description is dropped once the model has its own; every listed field exists."""
    models = {m.__name__: m for m, _ in docs_gen._models_in_order()}
    models.update({m.__name__: m for m in docs_gen._distribution_models()})
    for (model, name) in docs_gen.FALLBACK_DESCRIPTIONS:
        assert name in models[model].model_fields, f"fallback for a field that no longer exists: {model}.{name}"
        assert not models[model].model_fields[name].description, (
            f"{model}.{name} now has its own description: remove it from FALLBACK_DESCRIPTIONS"
        )
    for (model, name) in docs_gen.EXTRA_UNITS:
        assert name in models[model].model_fields, f"unit for a field that no longer exists: {model}.{name}"


def test_documented_experiment_defaults_match_the_loader(tmp_path) -> None:
    """The experiment keys' defaults in the reference are the ones load_config applies."""
    path = tmp_path / "c.yaml"
    path.write_text("horizon: 1h\narrivals: {rate: 1/min}\nhandle_time: {distribution: exponential, mean: 1min}\nagents: 2\n")
    exp = load_config(path)
    experiment = rows("## Experiment keys")
    assert f"`{exp.scenarios[0].name}`" in experiment["name"]
    assert f"`{exp.seed}`" in experiment["seed"]
    assert f"`{exp.replications}`" in experiment["replications"]


def test_script_prints_and_writes(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-m", "queuesim.docs_gen"], capture_output=True, text=True, check=True)
    assert out.stdout == docs_gen.config_reference()
    target = tmp_path / "ref.md"
    subprocess.run([sys.executable, "-m", "queuesim.docs_gen", "--write", str(target)], check=True, capture_output=True)
    assert target.read_text(encoding="utf-8") == docs_gen.config_reference()


def test_readme_links_reference_and_tutorial() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/config-reference.md" in readme and "docs/tutorial.md" in readme
