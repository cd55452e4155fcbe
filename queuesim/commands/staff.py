"""``queuesim staff``: agents required per interval, least-cost shifts, and a simulated check.

The handler imports the heavy modules it needs when it runs, so that ``queuesim --help``
stays fast (see :mod:`queuesim.cli`).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..cli import EXIT_CANNOT_WRITE, UsageError, _non_negative_int, _positive_int, _seed, nonempty_path

__all__ = ["register"]

NAME = "staff"


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0.5, 1), got {text!r}") from None
    if not 0.5 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a confidence level in [0.5, 1), e.g. 0.95, got {value}")
    return value


def _levels(text: str) -> list[float]:
    if text.strip().lower() in ("none", "off", "no", ""):
        return []
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected service levels such as 0.7,0.8,0.9 (or none), got {text!r}") from None
    if any(not 0.0 < x < 1.0 for x in out):
        raise argparse.ArgumentTypeError(f"service levels must be between 0 and 1 (exclusive), got {text!r}")
    return out


def register(subparsers: argparse._SubParsersAction) -> tuple[str, object]:

    p = subparsers.add_parser(
        NAME,
        help="agents required per interval (Erlang C, Erlang A, simulation) and least-cost shifts",
        description="For each interval of CONFIG's arrival profile, the fewest agents meeting every --target: "
        "by Erlang C, by Erlang A, and refined by simulating the whole day with common random numbers "
        "(a peak's backlog spills into the next intervals). With --shifts, the least-cost number of agents "
        "per shift template (integer programme, HiGHS) and a simulation of that schedule.",
        epilog="Targets: service_level>=0.8@20s, abandonment_rate<=0.05, asa<=30s, mean_wait<=1min, "
        "occupancy<=0.9 (fractions or percents; durations with units). Exit codes: 0 ok, 1 unexpected "
        "error, 2 bad input or unreachable targets.",
    )
    p.add_argument("config", help="YAML config (one scenario, or pick one with --scenario)")
    p.add_argument("--target", "-t", action="append", required=True, metavar="TARGET",
                   help="a target every interval must meet, e.g. 'service_level>=0.8@20s' (repeatable)")
    p.add_argument("--confidence", type=_confidence, default=0.95,
                   help="one-sided confidence that each interval meets each target (default 0.95; 0.5 = the mean must)")
    p.add_argument("--replications", "-n", type=_positive_int, help="replications per simulated staffing (default: the config's)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.add_argument("--scenario", help="scenario of CONFIG to staff (default: the first)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, as for run (repeatable)")
    p.add_argument("--shifts", type=nonempty_path, metavar="FILE",
                   help="YAML shift templates: a list (or shift_templates: list) of {name, start (one time or a list), "
                   "length, breaks: [{start, length}], cost_per_hour, max_agents}")
    p.add_argument("--shortage-penalty", type=float, metavar="COST",
                   help="with --shifts: cost per agent-interval left uncovered (default: 10 x the dearest shift, "
                   "so only intervals no template can cover stay short)")
    p.add_argument("--tradeoff", type=_levels, metavar="LEVELS",
                   help="with --out: service-level targets for the cost trade-off curve, e.g. 0.7,0.8,0.9 "
                   "(default 0.6,0.7,0.8,0.9,0.95 when a service-level target is given; 'none' to skip)")
    p.add_argument("--out", type=nonempty_path, metavar="DIR",
                   help="write requirements.csv, schedule.csv, verification.csv, tradeoff.csv and figures/*.png")
    p.add_argument("--executor", choices=["serial", "processes"], default="serial",
                   help="simulate replications in this process or on worker processes (default serial: one "
                   "day takes milliseconds, so process start-up rarely pays)")
    p.add_argument("--workers", type=_positive_int, help="worker processes for --executor processes")
    p.add_argument("--search", choices=["iterative", "greedy"], default="iterative",
                   help="how the simulated requirement is searched: iterative (default: re-staff every interval at "
                   "once from a model calibrated on each simulated day, a few rounds, then trim agents in batches) "
                   "or greedy (one agent at a time: slower, and no single agent can be removed from its answer)")
    p.add_argument("--max-evaluations", type=_non_negative_int, default=2000,
                   help="stop the search after simulating this many staffings (default 2000)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    return NAME, _handle


class SearchProgress:
    """Progress of the staffing search on stderr: staffings simulated, intervals still missing a target.

    A tqdm bar on a terminal (``CI`` unset); otherwise one line at most every
    ``interval`` seconds and one when the phase changes. Silent with ``quiet``.
    """

    def __init__(self, quiet: bool = False, interval: float = 10.0, stream=None, interactive=None) -> None:
        import os
        import time

        self._stream = stream if stream is not None else sys.stderr
        self._quiet = quiet
        self._interval = interval
        self._clock = time.monotonic
        self._last = self._clock()
        self._phase = ""
        self._bar = None
        if interactive is None:
            interactive = bool(getattr(self._stream, "isatty", lambda: False)()) and not os.environ.get("CI")
        if not quiet and interactive:
            from tqdm import tqdm

            self._bar = tqdm(total=None, unit=" staffings", desc="search: staffings simulated", file=self._stream,
                             leave=False, dynamic_ncols=True)

    @staticmethod
    def _state(missing: int, phase: str) -> str:
        if phase == "adding":
            return f"{missing} interval(s) still miss a target: adding agents"
        return "every interval meets the targets: removing agents where there is slack"

    def step(self, evaluations: int, missing: int, phase: str) -> None:
        """After a step of the search (``requirements(on_step=...)``)."""
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.update(evaluations - self._bar.n)
            self._bar.set_postfix_str(self._state(missing, phase))
            return
        now = self._clock()
        if phase != self._phase or now - self._last >= self._interval:
            self._phase, self._last = phase, now
            print(f"[queuesim] search: {evaluations} staffings simulated; {self._state(missing, phase)}",
                  file=self._stream, flush=True)

    def say(self, message: str) -> None:
        """A stage of the command (``progress=`` of the staffing functions)."""
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.write(f"  ... {message}", file=self._stream)
        else:
            print(f"  ... {message}", file=self._stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _requirement_table(req) -> str:
    """Agents required per interval, by method (the search's final result)."""
    from ..model.units import format_clock

    x = req.erlang_x  # with redials or lines: Erlang X, the search's starting point
    lines = [f"{'interval':>8} {'calls':>7} {'load':>6} {'erlang_c':>8} {'erlang_a':>8} "
             + (f"{'erlang_x':>8} " if x is not None else "") + f"{'simulated':>9} {'required_scheduled':>18}"]
    for k, start in enumerate(req.interval_start):
        flag = "" if req.erlang_a_check.met[k] else "*"
        lines.append(f"{format_clock(start):>8} {req.demand.calls[k]:7.1f} {req.demand.offered_load[k]:6.2f} "
                     f"{req.erlang_c[k]:8d} {str(req.erlang_a[k]) + flag:>8} "
                     + (f"{x[k]:8d} " if x is not None else "") + f"{req.simulated[k]:9d} {req.scheduled[k]:18d}")
    if x is not None:
        lines.append("(erlang_x: Erlang X, Erlang A with the scenario's redials and lines: where the search starts)")
    lines.append("(erlang_c, erlang_a, simulated: agents on duty each method requires; required_scheduled: the "
                 "simulated requirement in scheduled agents, before shrinkage; * Erlang A staffing misses a "
                 "target in this interval when the day is simulated)")
    return "\n".join(lines)


def _schedule_table(req, plan, ver) -> str:
    """Per interval: what the shifts must cover, what they cover, and whether the simulated schedule meets the targets."""
    from ..model.units import format_clock

    missed = ver.missed_targets()
    lines = [f"{'interval':>8} {'required_scheduled':>18} {'shift_coverage':>14} {'meets_targets':<13}"]
    for k, start in enumerate(req.interval_start):
        meets = "yes" if ver.check.met[k] else f"NO: {missed[k]}"
        lines.append(f"{format_clock(start):>8} {plan.required[k]:18d} {plan.coverage[k]:14.4g} {meets}")
    targets = ", ".join(str(t) for t in req.targets)
    lines.append(f"(shift_coverage: scheduled agents the chosen shifts put on duty; meets_targets: the schedule, "
                 f"simulated, meets {targets} at {ver.confidence:.0%} confidence, else the metrics it misses)")
    return "\n".join(lines)


def _parts(req) -> list:
    """``(label, requirement)`` per group with departments (label `` for group NAME``), else ``[("", req)]``."""
    parts = getattr(req, "parts", None)
    if parts is None:
        return [("", req)]
    return [(f" for group {name}", part) for name, part in parts.items()]


def _handle(args: argparse.Namespace) -> int:
    from ..model.config import load_config
    from ..staffing import StaffingError, requirements, schedule, tradeoff, verify
    from ..staffing.tradeoff import DEFAULT_LEVELS

    if args.shortage_penalty is not None and (args.shortage_penalty < 0 or not math.isfinite(args.shortage_penalty)):
        raise UsageError(f"--shortage-penalty must be a finite cost >= 0, got {args.shortage_penalty}")
    if args.shortage_penalty is not None and args.shifts is None:
        raise UsageError("--shortage-penalty needs --shifts FILE")
    experiment = load_config(args.config, args.overrides)
    if args.out is not None:  # before any simulation: an unwritable folder should not cost the search
        try:
            (args.out / "figures").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _cannot_write(args.out, exc)
    progress = SearchProgress(quiet=args.quiet)
    say = progress.say
    try:
        templates = None
        if args.shifts is not None:
            from ..staffing import load_templates

            templates = load_templates(args.shifts)  # read first: a bad file fails before any simulation
        try:
            sc = experiment.scenario(args.scenario) if args.scenario else experiment.scenarios[0]
        except KeyError as exc:
            raise UsageError(str(exc).strip("'\"")) from None
        if templates is not None:  # templates naming groups the scenario lacks fail before any simulation
            from ..staffing.simulated import home_groups
            from ..staffing.schedule import check_template_groups

            names = [g.name for g in sc.groups or ()]
            check_template_groups(templates, names, [names[g] for g in sorted(set(home_groups(sc)))] if names else ())
        cache: dict = {}  # simulated staffings, shared with the trade-off curve
        try:
            req = requirements(experiment, args.target, confidence=args.confidence, replications=args.replications,
                               seed=args.seed, scenario=sc.name, executor=args.executor, workers=args.workers,
                               max_evaluations=args.max_evaluations, progress=say, cache=cache,
                               on_step=progress.step, search=args.search)
        finally:
            progress.close()
        # each result is printed as soon as it is final
        targets = ", ".join(str(t) for t in req.targets)
        print(f"scenario: {sc.name}  targets: {targets}  ({req.replications} replications, "
              f"{req.confidence:.0%} one-sided confidence, seed {req.seed})")
        for name, part in _parts(req):
            print(f"agents required per interval{name}:")
            print(_requirement_table(part))
        print("agents required (agent-hours on duty):")
        print(req.summary(), flush=True)
        plan = ver = None
        if templates is not None:
            say("least-cost shifts (HiGHS)")
            plan = schedule(req, templates, shortage_penalty=args.shortage_penalty)
            print("shifts (least cost, HiGHS):")
            for row in plan.to_frame().itertuples():
                if row.agents:
                    group = f"{getattr(row, 'group', '')[:16]:<17}" if hasattr(row, "group") else ""
                    print(f"  {group}{row.shift:<16} {row.start:>5} {row.length:>7} x {row.agents}")
            print(plan.summary(), flush=True)
            say("simulating the schedule on replications independent of the search")
            ver = verify(experiment, plan, req.targets, confidence=args.confidence, replications=req.replications,
                         seed=req.seed, scenario=sc.name, executor=args.executor, workers=args.workers,
                         first_replication=req.replications)  # independent of the search's replications
            print("schedule simulated on replications independent of the search:")
            for name, part in _parts(req):
                if name and part.group not in plan.parts:
                    continue  # kept as configured: no shifts chosen
                group_plan = plan.parts[part.group] if name else plan
                group_ver = ver.parts[part.group] if name else ver
                print(f"group {part.group}:" if name else "", end="\n" if name else "")
                print(_schedule_table(part, group_plan, group_ver))
            print(ver.summary(), flush=True)
        curve = None
        levels = args.tradeoff
        if args.out is not None and any(t.metric == "service_level" and t.call_type is None for t in req.targets):
            if levels is None:
                levels = list(DEFAULT_LEVELS)
            if levels:
                say(f"trade-off curve over service levels {', '.join(f'{x:g}' for x in levels)}")
                curve = tradeoff(experiment, req.targets, levels, confidence=args.confidence,
                                 replications=req.replications, seed=req.seed, scenario=sc.name,
                                 templates=templates, shortage_penalty=args.shortage_penalty,
                                 executor=args.executor, workers=args.workers, cache=cache, search=args.search)
    except StaffingError as exc:
        raise UsageError(str(exc)) from None

    if curve is not None:
        print(f"trade-off (agent-hours on duty by service-level target; {curve.attrs['runtime']:.1f} s):")
        for row in curve.to_dict("records"):
            cost = f", cost {row['cost_simulated']:,.0f}" if row["cost_simulated"] == row["cost_simulated"] else ""
            plan_text = f", shifts {row['schedule_hours']:.1f} paid" if "schedule_hours" in row else ""
            print(f"  {row['service_level']:.2f}: Erlang A {row['erlang_a_hours']:.1f}, "
                  f"simulated {row['simulated_hours']:.1f}{cost}{plan_text}")
    if args.out is not None:
        try:
            written = _write(args.out, req, plan, ver, curve)
        except OSError as exc:
            return _cannot_write(args.out, exc)
        for path in written:
            print(f"wrote {path}")
    return 0


def _file_names(names: list[str]) -> dict[str, str]:
    """Each group name as part of a file name: letters (any script), digits, ``-``, ``_`` and ``.``, anything
    else ``_``; names that come out the same get their group's number (1, 2, ...) after them."""
    import re

    plain = {name: re.sub(r"[^\w.-]+", "_", name).strip(".") or "group" for name in names}
    counts: dict[str, int] = {}
    for text in plain.values():
        counts[text.lower()] = counts.get(text.lower(), 0) + 1  # case-insensitive file systems
    return {name: text if counts[text.lower()] == 1 else f"{text}-{k + 1}"
            for k, (name, text) in enumerate(plain.items())}


def _cannot_write(path: Path, exc: OSError) -> int:
    """One line on stderr for an output that cannot be written; exit code 3."""
    print(f"error: cannot write {getattr(exc, 'filename', None) or path}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_CANNOT_WRITE


def _write(out: Path, req, plan, ver, curve) -> list[Path]:
    from ..staffing.figures import requirement_figure, tradeoff_figure, verification_figure

    out.mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    written = []

    def save_csv(frame, name: str) -> None:
        path = out / name
        tmp = path.with_suffix(".csv.tmp")
        frame.to_csv(tmp, index=False)
        tmp.replace(path)
        written.append(path)

    def save_fig(fig, name: str) -> None:
        path = out / "figures" / name
        fig.savefig(path, dpi=130)
        written.append(path)

    save_csv(req.to_frame(), "requirements.csv")
    groups = getattr(req, "parts", None)
    if groups is None:
        save_fig(requirement_figure(req, plan), "requirements.png")
    else:  # one figure per group
        files = _file_names(list(groups))
        for name, part in groups.items():
            own = plan.parts.get(name) if plan is not None else None
            save_fig(requirement_figure(part, own), f"requirements-{files[name]}.png")
    if plan is not None:
        save_csv(plan.to_frame(), "schedule.csv")
        save_csv(plan.coverage_frame(), "coverage.csv")
    if ver is not None:
        save_csv(ver.to_frame(), "verification.csv")
        if groups is None:
            save_fig(verification_figure(ver), "verification.png")
        else:
            for name, part in ver.parts.items():
                bad = len(part.failing)
                title = (f"Group {name}: the schedule " + ("meets every target in every interval" if not bad else
                         f"misses a target in {bad} of {len(part.interval_start)} intervals")
                         + f" ({part.replications} replications)")
                save_fig(verification_figure(part, title=title), f"verification-{files[name]}.png")
    if curve is not None:
        save_csv(curve, "tradeoff.csv")
        save_fig(tradeoff_figure(curve), "tradeoff.png")
    return written
