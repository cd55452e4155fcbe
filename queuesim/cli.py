"""The planner's entry point: ``queuesim run``, ``queuesim erlang``, ``queuesim validate``.

Exit codes: 0 success; 1 unexpected failure (a bug: please report it);
2 bad input (config, option or file), with a one-line message and no traceback;
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative whole number, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="queuesim",
        description="Simulate telephone contact centres and compare staffing, callback, "
        "transfer and announcement policies.",
        epilog="Exit codes: 0 ok, 1 unexpected error, 2 bad input, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"queuesim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="simulate an experiment config and print a table of metrics with 95%% CIs",
        description="Simulate every scenario of CONFIG for N replications (common random "
        "numbers) and print each metric's mean and 95%% confidence interval.",
    )
    run.add_argument("config", help="YAML experiment config (see README, 'Config reference')")
    run.add_argument("--replications", "-n", type=_positive_int, help="replications per scenario (default: the config's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    run.add_argument("--out", type=Path, help="folder for summary.json, replications.csv (and call logs)")
    run.add_argument("--save-calls", action="store_true", help="with --out: write every replication's call log as CSV")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key, e.g. --set agents=110 --set arrivals.rate=100/min (repeatable)")
    run.add_argument("--executor", choices=["serial", "processes"], default="processes",
                     help="where replications run (default: processes)")
    run.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    validate = sub.add_parser("validate", help="check configs without running them",
                              description="Validate each CONFIG; print 'ok' or the first problem.")
    validate.add_argument("configs", nargs="+", help="YAML config files")

    erlang = sub.add_parser(
        "erlang",
        help="exact Erlang C / Erlang A answers for one interval",
        description="Print the analytic results of Erlang C (no abandonment) and, with "
        "--patience, Erlang A (exponential patience).",
    )
    erlang.add_argument("--rate", required=True, help="arrival rate, e.g. 95/min or 5700/h")
    erlang.add_argument("--handle-time", required=True, help="mean handle time, e.g. 1min or 240s")
    erlang.add_argument("--patience", help="mean patience (exponential), e.g. 2min; omit for Erlang C only")
    erlang.add_argument("--agents", required=True, type=_positive_int, help="number of agents")
    erlang.add_argument("--threshold", default="20s", help="service-level threshold (default 20s)")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .experiment.runner import run

    experiment = load_config(args.config, args.overrides)
    if args.save_calls and args.out is None:
        raise UsageError("--save-calls needs --out DIR to know where to write the call logs")
    result = run(
        experiment,
        replications=args.replications,
        seed=args.seed,
        executor=args.executor,
        workers=args.workers,
        keep_calls=bool(args.save_calls),
        quiet=args.quiet,
    )
    print(result.table(), end="")
    print(f"({len(result.replications)} replications in {result.runtime:.1f} s, seed {result.experiment.seed})")
    if args.out is not None:
        _write_outputs(result, args.out, save_calls=args.save_calls)
        print(f"results written to {args.out}/")
    return EXIT_OK


def _write_outputs(result, out: Path, *, save_calls: bool) -> None:
    from .store import write_json_atomic, write_text_atomic

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create folder ({exc.strerror})") from None
    write_json_atomic(out / "summary.json", result.to_summary_json())
    write_text_atomic(out / "replications.csv", result.replications_frame().to_csv(index=False))
    if save_calls:
        calls_dir = out / "calls"
        calls_dir.mkdir(exist_ok=True)
        for rep in result.replications:
            if rep.calls is not None:
                write_text_atomic(
                    calls_dir / f"{rep.scenario}-rep{rep.replication:03d}.csv",
                    rep.calls.to_dataframe().to_csv(index=False),
                )


def _cmd_validate(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config

    status = EXIT_OK
    for path in args.configs:
        try:
            experiment = load_config(path)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
        else:
            names = ", ".join(s.name for s in experiment.scenarios)
            print(f"ok: {path} ({len(experiment.scenarios)} scenario(s): {names})")
    return status


def _cmd_erlang(args: argparse.Namespace) -> int:
    from .analytic import erlang_a_metrics, erlang_c_metrics
    from .units import UnitError, parse_duration, parse_rate

    try:
        rate = parse_rate(args.rate)
        handle = parse_duration(args.handle_time)
        threshold = parse_duration(args.threshold)
        patience = parse_duration(args.patience, allow_inf=True) if args.patience else math.inf
    except UnitError as exc:
        raise UsageError(str(exc)) from None
    if rate <= 0 or handle <= 0 or threshold < 0 or patience <= 0:
        raise UsageError("--rate, --handle-time and --patience must be positive, --threshold non-negative")
    c = erlang_c_metrics(rate, handle, args.agents, threshold=threshold)
    print(f"offered load: {c.offered_load:.3f} Erlangs on {args.agents} agents "
          f"(rate {rate * 3600:.1f}/h, handle time {handle:.1f} s)")
    print("Erlang C (callers never abandon):")
    if not c.stable:
        print("  unstable: offered load >= agents, the queue grows without bound")
    else:
        print(f"  probability of waiting   {c.p_wait:.4f}")
        print(f"  ASA                      {c.asa:.2f} s")
        print(f"  service level ({threshold:g} s)   {c.service_level:.4f}")
        print(f"  occupancy                {c.occupancy:.4f}")
        print(f"  mean queue length        {c.mean_queue_length:.3f}")
    if math.isfinite(patience):
        a = erlang_a_metrics(rate, handle, patience, args.agents, threshold=threshold)
        print(f"Erlang A (exponential patience, mean {patience:.1f} s):")
        print(f"  probability of waiting   {a.p_wait:.4f}")
        print(f"  abandonment rate         {a.p_abandon:.4f}")
        print(f"  ASA (answered calls)     {a.asa:.2f} s")
        print(f"  mean wait (all calls)    {a.mean_wait:.2f} s")
        print(f"  service level ({threshold:g} s)   {a.service_level:.4f}  (abandoned calls count as misses)")
        print(f"  occupancy                {a.occupancy:.4f}")
        print(f"  mean queue length        {a.mean_queue_length:.3f}")
    return EXIT_OK


_COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "erlang": _cmd_erlang}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit code (also used by the console script)."""
    from .config import ConfigError

    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
