"""What the studies that run one config at several arrival rates share: their command line and their loop.

Imported by ``experiments/transfers.py`` and ``experiments/combined.py`` (run as scripts, so this folder is on
``sys.path``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterator, Sequence

import queuesim as qs


def study_arguments(description: str, argv: list[str] | None, replications: int, out: Path,
                    seed: int | None = None, rates: Sequence[float] | None = None) -> argparse.Namespace:
    """``--replications`` and ``--out`` (created), with these defaults; ``--seed`` and ``--rates`` (calls per
    minute, comma-separated) too when a default is given."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=replications)
    parser.add_argument("--out", type=Path, default=out)
    if seed is not None:
        parser.add_argument("--seed", type=int, default=seed, help=f"root seed (default {seed})")
    if rates is not None:
        parser.add_argument("--rates", type=lambda text: [float(x) for x in text.split(",")], default=list(rates),
                            help="arrival rates, calls per minute, comma-separated (default "
                            + ",".join(f"{r:g}" for r in rates) + ")")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def across_load(config: Path, rates: Sequence[float], replications: int) -> Iterator[tuple[float, "qs.ExperimentResult"]]:
    """Each arrival rate (calls per minute) with the config's result at that rate, all variants on the same
    callers (common random numbers); progress printed per rate."""
    for rate in rates:
        experiment = qs.load_config(config, [f"arrivals.rate={rate}/min"])
        yield rate, qs.run(experiment, replications=replications, executor="processes")
        print(f"rate {rate:5.1f}/min done", flush=True)
