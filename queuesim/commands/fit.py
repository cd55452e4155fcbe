"""``queuesim fit``: a ready-to-run config (and a fit report) from call records.

The handler imports the heavy modules it needs when it runs, so that ``queuesim --help``
stays fast (see :mod:`queuesim.cli`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_CANNOT_WRITE, UsageError, _fraction, nonempty_path

__all__ = ["register"]

NAME = "fit"
#: Simulated days of the fitted config behind the report's observed-vs-fitted tables.
CHECK_REPLICATIONS = 5


def register(subparsers: argparse._SubParsersAction) -> tuple[str, object]:
    from ..fit.choices import FORMATS, GROUPS_CHOICES, HANDLE_CHOICES, PATIENCE_CHOICES, PRIORITIES_CHOICES, STAFFING_METHODS

    p = subparsers.add_parser(
        NAME,
        help="fit a config (arrivals, handle times, patience, staffing) from call records",
        description="Read call-by-call records and write a ready-to-run config: the arrival profile per "
        "interval averaged over the chosen days with its day-to-day over-dispersion, handle time and "
        "patience per call type (patience from censored waits: answered callers are censored), and staffing "
        "per interval reconstructed from the records. Malformed records are skipped and counted in the report.",
        epilog="Generic CSV: one row per call with a header; fields arrival (joined the queue), answer, end, "
        "outcome (answered/abandoned; phantom rows are skipped), and optionally date, wait, handle, type, priority, "
        "server. Times are seconds from the start of the day, HH:MM:SS clock times or date-times. Map other column "
        "names with --columns arrival=start_time,type=queue,... Exit codes: 0 ok, 2 bad input (options, unreadable "
        "files; bad records are skipped and counted, never an error), 3 an output file could not be written.",
    )
    p.add_argument("--records", nargs="+", required=True, metavar="FILE", help="call record files (one format)")
    p.add_argument("--format", choices=FORMATS, default="csv",
                   help="anonymous-bank (Technion 1999 monthly files) or csv (generic, see below; default)")
    p.add_argument("--columns", metavar="FIELD=COLUMN,...",
                   help="csv: column of each field when not named after it, e.g. type=call_type,server=agent")
    p.add_argument("--days", metavar="DAYS", help="weekdays to keep: a range such as sun-thu, or mon,tue,... (default all)")
    p.add_argument("--dates", metavar="FIRST:LAST", help="keep only dates in this range, e.g. 1999-01-01:1999-01-31")
    p.add_argument("--interval", default="30min", help="profile and staffing interval (default 30min)")
    p.add_argument("--hours", metavar="HH:MM-HH:MM",
                   help="opening hours to fit, e.g. 07:00-24:00 (default: intervals with answered calls on half the days)")
    p.add_argument("--patience", choices=PATIENCE_CHOICES, default="exponential",
                   help="exponential (MLE = abandonments / time on hold), weibull (censored MLE) or empirical "
                   "(Kaplan-Meier as values, keeps spikes such as a 60-s announcement); default exponential")
    p.add_argument("--handle", choices=HANDLE_CHOICES, default="lognormal",
                   help="lognormal (MLE) or empirical (1,000 quantiles); default lognormal")
    p.add_argument("--staffing", choices=STAFFING_METHODS, default="work-conserving",
                   help="how agents per interval are reconstructed (README: 'Fitting from call records'); "
                   "default work-conserving")
    p.add_argument("--groups", choices=GROUPS_CHOICES, default="auto",
                   help="auto: agent groups (skills) fitted from which agents answered which call types, each with "
                   "its staffing per interval, and the routing of each type (needs agent names in the records; "
                   "without them, one pool); none: one pool of agents (default auto)")
    p.add_argument("--priorities", choices=PRIORITIES_CHOICES, default="auto",
                   help="auto: call types split by the records' priority classes, served by strict priority "
                   "(higher class first), each class with its own patience and handle time; none: first come, "
                   "first served (default auto)")
    p.add_argument("--min-handle", metavar="DURATION",
                   help="answered calls shorter than this are left out of handle-time fits "
                   "(default 10s for anonymous-bank, 0 for csv)")
    p.add_argument("--min-type-share", type=_fraction, default=0.05,
                   help="call types below this share are merged into 'other' (default 0.05)")
    p.add_argument("--name", default=None, help="scenario name (default: the output file's stem)")
    p.add_argument("--out", required=True, type=nonempty_path, metavar="CONFIG.yaml", help="config to write")
    p.add_argument("--report", type=nonempty_path, metavar="REPORT.md", help="also write the fit report (Markdown)")
    p.add_argument("--figures", type=nonempty_path, metavar="DIR",
                   help="also write figures of fitted vs empirical distributions into DIR")
    return NAME, _cmd_fit


def _cannot_write(path: Path, exc: OSError) -> int:
    """One line on stderr for an output that cannot be written; exit code 3."""
    print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_CANNOT_WRITE


def _cmd_fit(args: argparse.Namespace) -> int:
    from ..fit import FitError, RecordsError, fit_records, write_config
    from ..model.units import UnitError

    dates = None
    if args.dates:
        if ":" not in args.dates:
            raise UsageError(f"--dates: expected FIRST:LAST such as 1999-01-01:1999-01-31, got {args.dates!r}")
        dates = tuple(args.dates.split(":", 1))
    try:
        config, report = fit_records(
            args.records, args.format, columns=args.columns, days=args.days, dates=dates, interval=args.interval,
            hours=args.hours, patience=args.patience, handle=args.handle, staffing=args.staffing,
            groups=args.groups, priorities=args.priorities,
            min_handle=args.min_handle, min_type_share=args.min_type_share, name=args.name or args.out.stem,
        )
    except (FitError, RecordsError, UnitError) as exc:
        raise UsageError(str(exc)) from None
    header = (f"# Fitted by `queuesim fit` from {', '.join(Path(f).name for f in report.files)} "
              f"({report.format}); {len(report.days_used)} days, options: "
              + ", ".join(f"{k}={v}" for k, v in report.options.items())
              + ".\n# Staffing is reconstructed from the records (they hold no schedule)"
              + ("; agent groups fitted from who answered what" if "groups" in config else "")
              + ("; priorities modelled as strict priority by class" if any("priority" in t for t in config["call_types"])
                 else "; priorities are not modelled")
              + ". See the fit report.\n")
    try:
        path = write_config(config, args.out, header=header)
    except OSError as exc:
        return _cannot_write(args.out, exc)
    print(f"records read {report.records_read}; skipped {report.skipped_total}"
          + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(report.skipped.items()))})" if report.skipped else "")
          + f"; excluded {sum(report.excluded.values())}; calls used {report.calls_used} on {len(report.days_used)} days")
    a = report.arrivals
    print(f"arrivals: {a['mean']:.0f} calls/day, dispersion {a['dispersion']:.3f}; types: "
          + ", ".join(f"{t['name']} {t['share']:.3f}" for t in config["call_types"]))
    for t in config["call_types"]:
        h, pt = report.handle[t["name"]], report.patience[t["name"]]
        print(f"  {t['name']}: handle lognormal mean {h['mean']:.0f}s sd {h['sd']:.0f}s (KS {h['ks']:.3f}); patience "
              f"exp. mean {pt['exp_mean']:.0f}s +- {pt['exp_se']:.0f}, Weibull k {pt['weib_shape']:.2f}")
    if "groups" in config:
        for g in config["groups"]:
            print(f"group {g['name']} ({args.staffing}): {g['staffing']['agents']}")
        for t in config["call_types"]:
            print(f"  {t['name']}" + (f" (priority {t['priority']})" if "priority" in t else "")
                  + f": served by {', '.join(t['groups'])}")
    else:
        print(f"staffing ({args.staffing}): {config['staffing']['agents']}")
        if any("priority" in t for t in config["call_types"]):
            print("priorities: " + ", ".join(f"{t['name']} {t['priority']}" for t in config["call_types"]))
    if args.report:
        from ..fit.fitcheck import check_tables

        report.check = check_tables(config, report, replications=CHECK_REPLICATIONS, seed=int(config["seed"]))
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(report.to_text(), encoding="utf-8")
        except OSError as exc:
            return _cannot_write(args.report, exc)
        print(f"fit report written to {args.report}")
    if args.figures:
        try:
            figures = report.plot(args.figures)
        except OSError as exc:
            return _cannot_write(args.figures, exc)
        for f in figures:
            print(f"figure written to {f}")
    print(f"config written to {path} (queuesim run {path})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main([NAME, *sys.argv[1:]]))
