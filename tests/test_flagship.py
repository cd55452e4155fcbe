"""The flagship config, cut to its first half hour: six columns, the README's rows, same seed -> same table."""

from __future__ import annotations

from pathlib import Path

import queuesim as qs

from .conftest import CONFIGS

FLAGSHIP = CONFIGS / "your-call-is-important.yaml"
SHORT = ["horizon=7h30min"]  # the profile starts at 07:00: the first half hour only


def test_flagship_headline_has_every_variant_and_is_reproducible(tmp_path: Path) -> None:
    experiment = qs.load_config(FLAGSHIP, SHORT)
    assert [s.name for s in experiment.scenarios] == [
        "hold-loop", "informative", "virtual-hold", "scheduled-callback", "web-form", "more-agents"]
    first = qs.run(experiment, replications=3, executor="serial", out=tmp_path / "a")
    again = qs.run(experiment, replications=3, executor="processes", workers=2)
    table = first.headline_table()
    assert table == again.headline_table()  # same seed, other executor: the same table
    header = next(line for line in table.splitlines() if line.strip().startswith("metric"))
    assert header.split()[2:] == [s.name for s in experiment.scenarios]
    metrics = [r.metric for r in first.headline()]
    for name in ["mean_wait", "wait_p90", "abandonment_rate", "service_level", "cost_total", "cost_churn",
                 "callback_accepts", "balked"]:
        assert name in metrics
    assert next(r for r in first.headline() if r.metric == "cost_total").unit == "EUR"
    other_seed = qs.run(experiment, replications=3, seed=experiment.seed + 1, executor="serial")
    assert other_seed.headline_table() != table
