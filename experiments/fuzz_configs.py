"""Long config-fuzzing run: the CI property of tests/test_fuzz_config.py, for thousands of configs.

    python experiments/fuzz_configs.py                 # 5,000 configs
    python experiments/fuzz_configs.py -n 20000 --seed 7 --out runs/fuzz

Each generated config is validated with ``queuesim validate`` and, when it is
valid and can be shrunk to a small day, run once with ``queuesim run -n 1
--executor serial``. Prints how many configs were tried, how many validated,
how many ran, and every failure (exit code other than 0/2, an exception
escaping ``main``, a traceback or more than one line on stderr, or more than
the time limit), each with a reproducer written to ``--out``. Exit code 1 if
anything failed.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.test_fuzz_config import Case, cases, check_case, reproducer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--examples", type=int, default=5000, help="configs to generate (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds allowed per validate or run (default 10)")
    parser.add_argument("--out", type=Path, default=Path("runs/fuzz"), help="folder for reproducers (default runs/fuzz)")
    args = parser.parse_args(argv)

    counts: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, Case]] = []
    slowest = [0.0, None]
    started = time.perf_counter()

    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def explore(case: Case) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
            t0 = time.perf_counter()
            outcome = check_case(case, Path(tmp), limit=args.limit)
            took = time.perf_counter() - t0
        counts["tried"] += 1
        counts["validated"] += outcome.validated
        counts["ran"] += outcome.ran
        if took > slowest[0]:
            slowest[:] = [took, case]
        if outcome.failure is not None:
            failures.append((outcome.failure, case))
        if counts["tried"] % 500 == 0:
            print(f"  {counts['tried']} tried, {counts['validated']} validated, {counts['ran']} ran, "
                  f"{len(failures)} failures ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    from hypothesis import seed as hypothesis_seed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hypothesis_seed(args.seed)(explore)()

    elapsed = time.perf_counter() - started
    print(f"configs tried: {counts['tried']}")
    print(f"validated:     {counts['validated']}")
    print(f"ran:           {counts['ran']}")
    print(f"failures:      {len(failures)}")
    print(f"time:          {elapsed:.0f} s (slowest config {slowest[0]:.2f} s)")
    if failures:
        args.out.mkdir(parents=True, exist_ok=True)
        seen: set[str] = set()
        for k, (message, case) in enumerate(failures):
            path = args.out / f"failure-{k:04d}.txt"
            path.write_text(message + "\n\n--- reproducer ---\n" + reproducer(case) + "\n", encoding="utf-8")
            head = message.strip().splitlines()[-1][:160]
            if head not in seen:
                seen.add(head)
                print(f"- {head}  (reproducer: {path})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
