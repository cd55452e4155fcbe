"""The planner's entry point: ``queuesim run``, ``validate``, ``report`` and ``erlang``.

Exit codes: 0 success; 1 unexpected failure (a bug: please report it), also
when some replications still failed after their retries; 2 bad input (config,
option or file), with a one-line message and no traceback; 3 a result file could
not be written (disk full, permissions: the input was fine, ``--resume`` once it
is fixed); 130 interrupted (Ctrl-C; with ``--out`` every finished replication is
kept for ``--resume``); 141 the output's reader went away (``| head``), quietly, as
Unix tools do.

Each command imports what it needs inside its handler, on purpose: ``queuesim
--version``, ``--help`` and ``validate`` never import SimPy, pandas or
matplotlib, nor ``validate`` of the shipped configs numpy or scipy (``tests/test_cli.py``
checks them). These are the only imports inside functions besides the
``commands`` modules' (same reason) and ``ExperimentResult.plot``'s. A command
line that starts with a command of this module does not import the plugin
commands (:data:`PLUGIN_COMMANDS`), and ``validate`` starts numpy without BLAS
threads and runs without the garbage collector: see ``docs/speed.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Iterator, NoReturn, Optional, Sequence

from . import __version__
from .errors import ConfigError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CANNOT_WRITE = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a tool stopped by a closed pipe


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _whole_number(minimum: int, maximum: Optional[int] = None):
    """An argparse type: a whole number >= ``minimum`` (and <= ``maximum``), with a one-line error otherwise."""

    def parse(text: str) -> int:
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum:,}"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number {allowed}, got {text[:40]!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected a whole number {allowed}, got {value}")
        return value

    return parse


#: Most agents ``queuesim erlang`` computes for (as many as a config may have); answers take well under a second.
MAX_ERLANG_AGENTS = 1_000_000
#: Most lines ``queuesim erlang`` computes for (as many as a config may have).
MAX_ERLANG_LINES = 10_000_000


def _fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1, with a one-line error otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text[:40]!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text[:40]!r}")
    return value


def nonempty_path(text: str) -> Path:
    """An argparse type: a file or folder path; an empty one (which would mean the current folder) is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty one (use . for the current folder)")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot contain a NUL character")
    return Path(text)


_positive_int = _whole_number(1)
_seed = _whole_number(0)
_non_negative_int = _whole_number(0)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: queuesim run: argument --out: ... (see queuesim run --help)``."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"error: {self.prog}: {text} (see {self.prog} --help)\n")


def _parser(plugins: bool = True) -> argparse.ArgumentParser:
    """The command line; without ``plugins``, only the commands of this module (see :data:`PLUGIN_COMMANDS`)."""
    parser = _Parser(
        prog="queuesim",
        description="Simulate telephone contact centres and compare staffing, callback, "
        "transfer and announcement policies.",
        epilog="Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 a result file could not be written, 130 interrupted, "
               "141 the output's reader went away.",
    )
    parser.add_argument("--version", action="version", version=f"queuesim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="simulate an experiment config and print a table of metrics with 95%% CIs",
        description="Simulate every scenario of CONFIG (the base, each variant, at every sweep point) "
        "for N replications with common random numbers. With one scenario, print each metric's mean "
        "and 95% confidence interval; with several, print the headline comparison: one column per "
        "scenario, the mean of each headline metric and the paired difference against the first "
        "scenario with its 95% CI (--full adds every metric of every scenario). With --out, every "
        "finished replication is saved at once, so an interrupted run can be continued with --resume; "
        "--report then also writes the HTML/Markdown report.",
        epilog="Exit codes: 0 ok; 1 some replications still failed after their retries (tracebacks in "
        "DIR/failures/) or an unexpected error; 2 bad input; 3 a result file could not be written (disk full, "
        "permissions: --resume once fixed); 130 interrupted.",
    )
    run.add_argument("config", help="YAML experiment config (see README, 'Config reference')")
    run.add_argument("--replications", "-n", type=_positive_int, help="replications per scenario (default: the config's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    run.add_argument("--out", type=nonempty_path, metavar="DIR",
                     help="result folder: config.yaml, meta.json, replications/ (one JSON file per scenario and "
                     "replication), replications.csv/.parquet, summary.json, intervals.csv, failures/")
    run.add_argument("--resume", action="store_true",
                     help="with --out: keep the valid replication files of an earlier run of the same config "
                     "and simulate only the missing, partial or corrupted ones (--replications may grow)")
    run.add_argument("--overwrite", action="store_true",
                     help="with --out: delete the results of an earlier run in DIR first")
    run.add_argument("--save-calls", action="store_true", help="with --out: write every replication's call log as CSV to DIR/calls/")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key, e.g. --set agents=110 --set arrivals.rate=100/min (repeatable)")
    run.add_argument("--executor", choices=["serial", "processes", "dask"], default="processes",
                     help="where replications run: this process, worker processes on this machine, or a Dask "
                     "cluster (needs pip install 'queuesim[dask]'); the numbers are the same (default: processes)")
    run.add_argument("--workers", type=_positive_int,
                     help="worker processes for --executor processes, or for the local Dask cluster started "
                     "when --scheduler is not given (default: all cores)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="with --executor dask: address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                     "(default: start a local cluster and shut it down afterwards)")
    run.add_argument("--retries", type=_non_negative_int, default=2,
                     help="times a replication that raises is tried again before it is reported as failed (default: 2)")
    run.add_argument("--full", action="store_true",
                     help="print the full table of every metric of every scenario (default for a config with "
                     "several scenarios: only the headline comparison against the first scenario)")
    run.add_argument("--report", action="store_true",
                     help="with --out: write DIR/report.html, DIR/report.md and DIR/figures/ right after the run "
                     "(as `queuesim report DIR`)")
    run.add_argument("--quiet", "-q", action="store_true",
                     help="no progress output (default: a progress bar on a terminal, a line every 10 s otherwise "
                     "or when CI is set)")
    run.add_argument("--verbose", "-v", action="store_true",
                     help="also print what will run (scenarios, replications, seed, executor) and the time per scenario")

    validate = sub.add_parser("validate", help="check configs without running them",
                              description="Validate each CONFIG, including every variant and sweep point; "
                              "print 'ok' with the scenarios it defines, or the first problem.")
    validate.add_argument("configs", nargs="+", metavar="CONFIG", help="YAML config files")
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                          help="override a config key before checking, as for run (repeatable)")

    report = sub.add_parser(
        "report",
        help="write an HTML and a Markdown report of a result folder",
        description="Read the result folder DIR written by `queuesim run --out DIR` and write "
        "DIR/report.html (self-contained: figures embedded), DIR/report.md and the figures as PNG "
        "in DIR/figures/.",
    )
    report.add_argument("dir", type=nonempty_path, metavar="DIR", help="result folder of `queuesim run --out DIR`")
    report.add_argument("--metric", action="append", default=[], metavar="NAME",
                        help="metric to chart (repeatable; default: abandonment_rate, service_level, asa)")

    erlang = sub.add_parser(
        "erlang",
        help="Erlang C / A / X answers for one interval",
        description="Print the analytic results of Erlang C (no abandonment) and, with "
        "--patience, Erlang A (exponential patience). With --lines or --redial-probability, also "
        "Erlang X: a finite number of lines (callers finding every line busy are blocked) and "
        "redials of blocked and abandoned callers (exact without redials; with redials the standard "
        "fixed-point approximation, which treats redials as Poisson arrivals). Rates and durations "
        "need their unit (--rate 100/h, --handle-time 3min): a bare number is refused. Shares are "
        "printed in percent.",
    )
    erlang.add_argument("--rate", required=True, help="arrival rate with its unit, e.g. 95/min or 5700/h")
    erlang.add_argument("--handle-time", required=True, help="mean handle time with its unit, e.g. 1min or 240s")
    erlang.add_argument("--patience", help="mean patience (exponential) with its unit, e.g. 2min; omit for Erlang C only")
    erlang.add_argument("--agents", required=True, type=_whole_number(1, MAX_ERLANG_AGENTS),
                        help=f"number of agents (1 to {MAX_ERLANG_AGENTS:,})")
    erlang.add_argument("--threshold", default="20s", help="service-level threshold with its unit (default 20s)")
    erlang.add_argument("--lines", type=_whole_number(1, MAX_ERLANG_LINES),
                        help="Erlang X: calls that can be in the centre at once, waiting or with an agent "
                        f"(at least --agents, at most {MAX_ERLANG_LINES:,}; default unlimited)")
    erlang.add_argument("--redial-probability", type=_fraction,
                        help="Erlang X: chance that a blocked or abandoned caller calls again (0 to 1; default 0)")
    erlang.add_argument("--max-attempts", type=_whole_number(1, 50), default=3,
                        help="Erlang X: attempts per caller in all, the first included (1 to 50; default 3, "
                        "as redial.max_attempts in a config)")
    for module in _plugin_modules() if plugins else []:
        name, handler = module.register(sub)
        _COMMANDS[name] = handler
    return parser


#: Further subcommands, each a module with ``register(subparsers) -> (name, handler)``
#: where ``handler(args) -> exit code`` (raise UsageError / ConfigError for bad input).
PLUGIN_COMMANDS: tuple[str, ...] = ("queuesim.commands.staff", "queuesim.commands.fit", "queuesim.commands.new", "queuesim.commands.schema")


def _plugin_modules() -> list:
    import importlib

    return [importlib.import_module(name) for name in PLUGIN_COMMANDS]


def _cmd_run(args: argparse.Namespace) -> int:
    from .model.config import load_config
    from .experiment.executors import DASK_MISSING, SchedulerUnreachable
    from .experiment.runner import RunInterrupted, run
    from .experiment.store import StoreError, StoreWriteError

    experiment = load_config(args.config, args.overrides)
    for flag, given in (("--save-calls", args.save_calls), ("--resume", args.resume), ("--overwrite", args.overwrite),
                        ("--report", args.report)):
        if given and args.out is None:
            raise UsageError(f"{flag} needs --out DIR (the result folder)")
    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    if args.executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UsageError(DASK_MISSING) from None
    if not args.quiet:  # after the usage checks: a refused command prints its one line only
        _print_warnings(experiment)
        _announce_long_run(experiment, args)
    if args.verbose:
        reps = args.replications or experiment.replications
        seed = experiment.seed if args.seed is None else args.seed
        names = ", ".join(sc.name for sc in experiment.scenarios)
        print(f"[queuesim] {len(experiment.scenarios)} scenario(s) x {reps} replication(s), seed {seed}, "
              f"executor {args.executor}{f' ({args.workers} workers)' if args.workers else ''}: {names}", file=sys.stderr)
    try:
        result = run(
            experiment,
            replications=args.replications,
            seed=args.seed,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            quiet=args.quiet,
            out=args.out,
            resume=args.resume,
            overwrite=args.overwrite,
            save_calls=bool(args.save_calls),
            retries=args.retries,
        )
    except StoreWriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except (StoreError, SchedulerUnreachable) as exc:
        raise UsageError(str(exc)) from None
    except RunInterrupted as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.verbose:
        for name in result.scenario_names:
            times = [r.runtime for r in result.replications if r.scenario == name]
            if times:
                print(f"[queuesim] {name}: {len(times)} replication(s), {sum(times) / len(times):.3f} s each "
                      "(simulation only)", file=sys.stderr)
    if len(result.scenario_names) == 1 or args.full:
        print(result.table(), end="")
    if len(result.scenario_names) > 1:
        if args.full:
            print()
        width = shutil.get_terminal_size((0, 0)).columns or None  # wrap columns on terminals only
        print(result.headline_table(width=width), end="")
    print(f"({len(result.replications)} replications in {result.runtime:.1f} s, seed {result.experiment.seed})")
    if args.out is not None:
        if args.report:
            from .report import write_report

            try:
                paths = write_report(args.out)
            except StoreWriteError as exc:
                print(f"error: {exc} (the results are saved; `queuesim report {args.out}` once fixed)",
                      file=sys.stderr)
                return EXIT_CANNOT_WRITE
            print(f"results and report written to {args.out}/ (open {paths[-1]})")
        else:
            print(f"results written to {args.out}/ (queuesim report {args.out} makes a report)")
    if result.failures:
        print(f"error: {len(result.failures)} replication(s) still failed after {args.retries + 1} attempt(s); "
              "their results are missing:", file=sys.stderr)
        for failure in result.failures:
            where = f" (traceback: {failure.file})" if failure.file else ""
            print(f"  {failure.scenario} replication {failure.replication}: {failure.error}{where}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _announce_long_run(experiment, args: argparse.Namespace) -> None:
    """Print the estimated duration (expected calls / measured calls per second) of a run of over a minute."""
    from .experiment import estimate
    from .experiment.executors import default_workers

    reps = args.replications or experiment.replications
    tasks = len(experiment.scenarios) * reps
    parallel = 1 if args.executor == "serial" else min(args.workers or default_workers(), tasks)
    guess = estimate.estimate_run(experiment, reps, parallel)
    if guess is not None and guess.seconds > estimate.ANNOUNCE_ABOVE:
        print(f"[queuesim] {guess.describe()}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from .experiment.store import StoreError, StoreWriteError
    from .report import write_report

    try:
        paths = write_report(args.dir, metrics=args.metric or None)
    except StoreWriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except (StoreError, KeyError) as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    for path in paths:
        print(f"wrote {path}")
    return EXIT_OK


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Within: numpy, if imported here, starts its BLAS (OpenBLAS) with one thread. For a short command that
    does no linear algebra, starting BLAS's threads is a good part of numpy's import (0.02 s on an idle
    2-core machine, 0.07 s when the other core is busy). The environment is restored on leaving."""
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = saved


def _cmd_validate(args: argparse.Namespace) -> int:
    with _one_blas_thread():
        return _validate(args)


def _validate(args: argparse.Namespace) -> int:
    from .model.config import ConfigError, load_config

    status = EXIT_OK
    for path in args.configs:
        try:
            experiment = load_config(path, args.overrides)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
        else:
            names = [s.name for s in experiment.scenarios]
            shown = ", ".join(names if len(names) <= 8 else [*names[:6], "...", names[-1]])
            sweep = f", sweep over {', '.join(experiment.sweep_keys)}" if experiment.sweep_keys else ""
            print(f"ok: {path} ({len(names)} scenario(s){sweep}: {shown})")
            _print_warnings(experiment)
    return status


def _print_warnings(experiment) -> None:
    """Valid but probably unintended settings (e.g. intervals with arrivals and no agent), once each."""
    seen: set[str] = set()
    for text in experiment.warnings():
        print(f"warning: {text}", file=sys.stderr)
    for scenario in experiment.scenarios:
        for text in scenario.warnings():
            message = text.split(": ", 1)[-1]
            if message not in seen:
                seen.add(message)
                print(f"warning: {text}", file=sys.stderr)


def _bare_number(text: str) -> bool:
    """True if ``text`` is a number without a unit (``"100"``, ``"3.5"``)."""
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in {"inf", "infinity", "nan", "-inf", "+inf"}


def _cmd_erlang(args: argparse.Namespace) -> int:
    from .analytic import erlang_a_metrics, erlang_c_metrics
    from .model.units import UnitError, parse_duration, parse_rate

    for option, value in (("--rate", args.rate), ("--handle-time", args.handle_time),
                          ("--patience", args.patience), ("--threshold", args.threshold)):
        if value is not None and _bare_number(value):
            v = value.strip()
            if option == "--rate":
                hint = f"calls per hour, minute or second, e.g. --rate {v}/h or --rate {v}/min"
            else:
                hint = f"a time unit, e.g. {option} {v}min or {option} {v}s"
            raise UsageError(f"{option} {v}: a bare number is ambiguous; give the unit: {hint}")
    try:
        rate = parse_rate(args.rate)
        handle = parse_duration(args.handle_time)
        threshold = parse_duration(args.threshold)
        patience = parse_duration(args.patience, allow_inf=True) if args.patience else math.inf
    except UnitError as exc:
        raise UsageError(str(exc)) from None
    if rate <= 0 or handle <= 0 or threshold < 0 or patience <= 0:
        raise UsageError("--rate, --handle-time and --patience must be positive, --threshold non-negative")
    erlang_x = args.lines is not None or args.redial_probability is not None
    if args.lines is not None and args.lines < args.agents:
        raise UsageError(f"--lines {args.lines}: must be at least --agents ({args.agents}): every call with an agent "
                         "holds a line")
    if (args.redial_probability or 0) > 0 and args.lines is None and not math.isfinite(patience):
        raise UsageError(f"--redial-probability {args.redial_probability:g}: callers redial after abandoning or being "
                         "blocked; give --patience or --lines")
    c = erlang_c_metrics(rate, handle, args.agents, threshold=threshold)
    print(f"offered load: {c.offered_load:.3f} Erlangs on {args.agents} agents "
          f"(rate {rate * 3600:.1f}/h, handle time {handle:.1f} s)")
    print("Erlang C (callers never abandon):")
    if not c.stable:
        print("  unstable: offered load >= agents, the queue grows without bound")
    else:
        print(f"  probability of waiting   {100 * c.p_wait:.2f} %")
        print(f"  ASA                      {c.asa:.2f} s")
        print(f"  {f'service level ({threshold:g} s)':<25}{100 * c.service_level:.2f} %")
        print(f"  occupancy                {100 * c.occupancy:.2f} %")
        print(f"  mean queue length        {c.mean_queue_length:.3f} callers")
    if math.isfinite(patience):
        a = erlang_a_metrics(rate, handle, patience, args.agents, threshold=threshold)
        print(f"Erlang A (exponential patience, mean {patience:.1f} s):")
        print(f"  probability of waiting   {100 * a.p_wait:.2f} %")
        print(f"  abandonment rate         {100 * a.p_abandon:.2f} %")
        print(f"  ASA (answered calls)     {a.asa:.2f} s")
        print(f"  mean wait (all calls)    {a.mean_wait:.2f} s")
        print(f"  {f'service level ({threshold:g} s)':<25}{100 * a.service_level:.2f} %  (abandoned calls count as misses)")
        print(f"  occupancy                {100 * a.occupancy:.2f} %")
        print(f"  mean queue length        {a.mean_queue_length:.3f} callers")
    if erlang_x:
        _print_erlang_x(args, rate, handle, patience, threshold)
    return EXIT_OK


def _print_erlang_x(args: argparse.Namespace, rate: float, handle: float, patience: float, threshold: float) -> None:
    """The Erlang X section of ``queuesim erlang``."""
    from .analytic import erlang_x_metrics

    p = args.redial_probability or 0.0
    x = erlang_x_metrics(rate, handle, patience, args.agents, args.lines, threshold,
                         redial_probability=p, max_attempts=args.max_attempts)
    lines = f"{args.lines:,} lines" if args.lines is not None else "unlimited lines"
    redials = (f"redials with probability {p:g}, up to {args.max_attempts} attempts" if p > 0 and args.max_attempts > 1
               else "no redials")
    how = "exact" if x.exact else "approximation: redials treated as Poisson arrivals"
    pat = f"mean patience {patience:.1f} s" if math.isfinite(patience) else "callers never abandon"
    print(f"Erlang X ({lines}, {redials}, {pat}; {how}):")
    print(f"  attempts                 {x.attempt_rate * 3600:.1f}/h ({x.attempts_per_caller:.3f} per caller), "
          f"offered load {x.offered_load:.3f} Erlangs")
    print(f"  blocking rate            {100 * x.p_block:.2f} %  (per attempt: every line busy)")
    print(f"  abandonment rate         {100 * x.p_abandon:.2f} %  (per attempt)")
    print(f"  probability of waiting   {100 * x.p_wait:.2f} %  (admitted and not answered at once; the simulation's "
          f"p_wait also counts blocked attempts: {100 * (x.p_wait + x.p_block):.2f} %)")
    print(f"  ASA (answered calls)     {x.asa:.2f} s")
    print(f"  mean wait (all attempts) {x.mean_wait:.2f} s  (blocked attempts wait 0)")
    print(f"  {f'service level ({threshold:g} s)':<25}{100 * x.service_level:.2f} %  (blocked and abandoned attempts count as misses)")
    print(f"  occupancy                {100 * x.occupancy:.2f} %")
    print(f"  mean queue length        {x.mean_queue_length:.3f} callers")
    print(f"  callers never answered   {100 * x.caller_p_lost:.2f} %  (per caller, over all attempts)")


_COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "report": _cmd_report, "erlang": _cmd_erlang}

#: The commands of this module: a command line that starts with one of them needs no plugin module.
_OWN_COMMANDS = frozenset(_COMMANDS)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit code (also used by the console script, with ``argv`` None)."""

    words = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(plugins=not (words and words[0] in _OWN_COMMANDS))
    args = parser.parse_args(words)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    # A validate process is short and its objects (numpy's, pydantic's, the config models) live to its end:
    # the cyclic garbage collector would only walk them, 0.01 s while importing and 0.03 s at the
    # interpreter's exit. On the command line, it runs without the collector and freezes them at the end.
    short = argv is None and args.command == "validate"
    if short:
        gc.disable()
    try:
        code = _COMMANDS[args.command](args)
        sys.stdout.flush()  # (a closed pipe shows here, not at the interpreter's exit)
    except (ConfigError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `queuesim validate configs/*.yaml | head -1`: the reader has what it wanted
        with contextlib.suppress(OSError, ValueError):  # no more writes to the closed pipe, even at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    if short:
        gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
