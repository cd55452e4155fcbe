"""The flagship experiment: "your call is important to us" and its alternatives, one realistic day.

Runs configs/your-call-is-important.yaml (hold-loop baseline, no message,
informative announcements, virtual hold agent- and customer-first, scheduled
callback, web form neglected and kept, more agents, a least-cost shift schedule:
the same callers in every variant) with its seed, writes the result folder and its
report, prints the headline table (text and Markdown, as pasted in the README's
"The flagship experiment") and copies the two key figures to docs/figures/.

    python experiments/flagship.py [--replications 20] [--out runs/flagship-20] [--figures docs/figures]
    python experiments/flagship.py --config configs/twenty-minute-hold.yaml   # the twenty-minute hold

``--config`` runs another config the same way (its figures are copied as ``<config name>-hold-time.png``
and ``<config name>-costs.png``).

The same seed gives the same table, bit for bit, whatever the executor or the
number of workers (common random numbers; one seed per replication).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import queuesim as qs
from queuesim.report import write_report
from queuesim.report.build import _headline, _headline_md

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = ROOT / "configs" / "your-call-is-important.yaml"
#: figure in the report -> file in docs/figures (after the config's prefix)
KEY_FIGURES = {"wait-cdf.png": "-hold-time.png", "costs.png": "-costs.png"}
#: prefix of the figures' files, by config (others: the config file's name)
PREFIX = {"your-call-is-important": "flagship"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG, help="the config (default: the flagship's)")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, help="root seed (default: the config's)")
    parser.add_argument("--out", type=Path, help="result folder (default: runs/<config name>-<replications>)")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "figures",
                        help="where the two key figures are copied (default: docs/figures)")
    args = parser.parse_args(argv)
    prefix = PREFIX.get(args.config.stem, args.config.stem)
    if args.out is None:
        args.out = ROOT / "runs" / f"{prefix}-{args.replications}"

    started = time.perf_counter()
    result = qs.run(args.config, replications=args.replications, seed=args.seed, out=args.out, overwrite=True,
                    executor="processes", quiet=True)
    write_report(args.out)
    elapsed = time.perf_counter() - started

    markdown = _headline_md(*_headline(result))
    (args.out / "headline.md").write_text(markdown + "\n", encoding="utf-8")
    (args.out / "headline.txt").write_text(result.headline_table(), encoding="utf-8")
    args.figures.mkdir(parents=True, exist_ok=True)
    for source, target in KEY_FIGURES.items():
        shutil.copyfile(args.out / "figures" / source, args.figures / (prefix + target))

    print(result.headline_table())
    print(markdown)
    print(f"\n{len(result.replications)} replications (seed {result.experiment.seed}) and the report in "
          f"{elapsed:.1f} s; results and report in {args.out}/, figures copied to "
          f"{', '.join(str(args.figures / (prefix + t)) for t in KEY_FIGURES.values())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
