"""`queuesim report DIR`: self-contained HTML, Markdown and PNG figures."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import yaml

from queuesim.cli import main

CONFIG = {
    "name": "base",
    "seed": 2,
    "replications": 3,
    "horizon": "30min",
    "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "3min"},
    "patience": {"distribution": "exponential", "mean": "2min"},
    "agents": 6,
    "variants": {"slow": {"handle_time.mean": "3.5min"}},
    "sweep": {"agents": [5, 6, 7]},
}


def test_report_from_a_sweep_run(tmp_path: Path, capsys) -> None:
    """The report embeds every figure, saves PNGs, and has the scenario and comparison tables."""
    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--save-calls", "-q", "--workers", "2"]) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    for name in ["metric-abandonment_rate.png", "wait-cdf.png", "wait-quantiles.png",
                 "compare-abandonment_rate.png", "sweep-agents.png"]:
        assert name in pngs
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(pngs)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "src=\"http" not in page and "<link" not in page  # self-contained
    assert "base[agents=5]" in page and "Paired comparisons" in page and "variance reduction" in page
    md = (out / "report.md").read_text()
    assert "| scenario | replications |" in md and "(figures/sweep-agents.png)" in md


def test_report_errors(tmp_path: Path, capsys) -> None:
    """A folder that is not a result store, or an unknown metric: exit 2 with one line."""
    assert main(["report", str(tmp_path)]) == 2
    assert "not a queuesim result folder" in capsys.readouterr().err
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({k: v for k, v in CONFIG.items() if k not in ("sweep", "variants")}))
    out = tmp_path / "o"
    assert main(["run", str(config), "--out", str(out), "-q", "--executor", "serial"]) == 0
    assert main(["report", str(out), "--metric", "happiness"]) == 2
    assert "happiness" in capsys.readouterr().err
    assert main(["report", str(out), "--metric", "occupancy"]) == 0
    assert (out / "figures" / "metric-occupancy.png").exists()
