"""The flagship config, cut to its first half hour: a column per variant, the README's rows, same seed -> same table."""

from __future__ import annotations

from pathlib import Path

import queuesim as qs

from .conftest import CONFIGS

FLAGSHIP = CONFIGS / "your-call-is-important.yaml"
SHORT = ["horizon=7h30min"]  # the profile starts at 07:00: the first half hour only


def test_flagship_headline_has_every_variant_and_is_reproducible(tmp_path: Path) -> None:
    experiment = qs.load_config(FLAGSHIP, SHORT)
    assert [s.name for s in experiment.scenarios] == [
        "hold-loop", "no-message", "informative", "virtual-hold", "virtual-hold-customer-first", "scheduled-callback",
        "web-form", "web-form-kept", "retimed-shifts", "more-agents", "least-cost-schedule"]
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


def test_the_twenty_minute_hold_holds_callers_15_to_25_minutes() -> None:
    """configs/twenty-minute-hold.yaml's baseline: the 95% CI of its mean hold over its 20 days lies in [15, 25] minutes."""
    import numpy as np
    from scipy import stats

    from queuesim import load_config, simulate

    experiment = load_config(CONFIGS / "twenty-minute-hold.yaml")
    baseline = experiment.scenarios[0]
    assert baseline.name == "hold-loop"
    days = range(experiment.replications)
    waits = np.array([simulate(baseline, seed=experiment.seed, replication=r).summary["mean_wait"] for r in days])
    half = stats.t.ppf(0.975, waits.size - 1) * waits.std(ddof=1) / np.sqrt(waits.size)
    assert 15 * 60 <= waits.mean() - half and waits.mean() + half <= 25 * 60, (waits.mean() / 60, half / 60)


def test_the_robustness_study_runs_and_says_how_often_each_variant_wins(tmp_path: Path) -> None:
    """experiments/robustness.py at tiny sizes: its table (every variant) and figure, the worlds' draws within
    the stated ranges."""
    import csv
    import subprocess
    import sys

    root = CONFIGS.parent
    done = subprocess.run([sys.executable, str(root / "experiments" / "robustness.py"), "--worlds", "3",
                           "--replications", "1", "--workers", "1", "--out", str(tmp_path),
                           "--figures", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "twenty-minute-hold.md").read_text()
    for variant in ("no-message", "virtual-hold-customer-first", "web-form-kept", "more-agents"):
        assert f"| {variant} |" in table
    assert (tmp_path / "twenty-minute-hold-robustness.png").stat().st_size > 10_000
    sys.path.insert(0, str(root / "experiments"))
    try:
        from robustness import RANGES
    finally:
        sys.path.pop(0)
    rows = list(csv.DictReader(open(tmp_path / "twenty-minute-hold.csv", encoding="utf-8")))
    assert len(rows) == 3 * 9
    for key, (lo, hi) in RANGES.items():
        assert all(lo <= float(row[key]) <= hi for row in rows), key


def test_retimed_shifts_keep_the_baseline_head_count_and_paid_hours() -> None:
    """The retimed-shifts variant is a fix at the same head-count: as many agents and on-duty hours as the hold loop."""
    experiment = qs.load_config(FLAGSHIP)
    base, retimed = (next(s for s in experiment.scenarios if s.name == n) for n in ("hold-loop", "retimed-shifts"))

    def head_count_and_hours(scenario: qs.Scenario) -> tuple[int, float]:
        shifts = scenario.shifts or ()
        hours = sum(s.count * (s.length - sum(b.length for b in s.breaks)) for s in shifts) / 3600
        return sum(s.count for s in shifts), hours

    assert head_count_and_hours(retimed) == head_count_and_hours(base) == (109, 109 * 7.5)
    assert [s.start for s in retimed.shifts] != [s.start for s in base.shifts]
