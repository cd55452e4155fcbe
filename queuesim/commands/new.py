"""``queuesim new``: write a commented starter config to edit.

Four kinds, each a complete config that validates and runs as written:

* ``basic``: one queue with constant demand and a variant;
* ``day``: an intraday arrival profile staffed by shifts with breaks;
* ``callbacks``: the hold loop against virtual hold and a web form, with costs;
* ``departments``: two groups, misrouted calls, cold vs warm vs own-it transfers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import UsageError, nonempty_path

__all__ = ["KINDS", "TEMPLATES", "register", "starter_config"]

NAME = "new"

_HEADER = """\
# {title}
#
# Every key is described in docs/config-reference.md. Editors that use the YAML
# language server (VS Code's YAML extension, Neovim, Helix, Zed) check and complete
# this file once the schema is saved next to it (`queuesim schema --out
# queuesim.schema.json`) and the next line reads "# yaml-..." (add the space after
# the #; as written now, the line is ignored). JetBrains IDEs: see the README.
#yaml-language-server: $schema=queuesim.schema.json
#
# Durations take units (30s, 4.5min, 8h), rates too (95/min, 5700/h); clock times
# are quoted ("07:30"). Check the file with `queuesim validate {file}`, run it with
# `queuesim run {file}` (add `--out results --report` for a report with figures).
"""

_BASIC = """\
name: baseline              # experiment name; also the name of the base scenario
seed: 1                     # same config + same seed = same numbers
replications: 10            # independent days simulated per scenario

horizon: 8h                 # calls arrive over the first 8 hours
warmup: 30min               # arrivals in the first 30 minutes are simulated, not counted
service_level_threshold: 20s  # service level = share of calls answered within 20 s

arrivals:
  rate: 95/min              # Poisson arrivals, 95 calls a minute on average
handle_time:                # talk + hold + wrap-up
  distribution: lognormal
  mean: 4min
  sd: 3min
patience:                   # how long a caller holds before hanging up (omit: forever)
  distribution: exponential
  mean: 3min
agents: 390                 # agents on duty all day (or staffing per interval, or shifts)

# Variants: the base scenario with some keys changed, simulated on the same callers
# (common random numbers), so differences are measured precisely.
variants:
  more-agents:
    agents: 400
"""

_DAY = """\
name: weekday
seed: 1
replications: 10
service_level_threshold: 20s

arrivals:
  interval: 30min           # length of the profile's intervals (must divide 24 h)
  start: "07:00"            # the first interval starts at 07:00
  # expected calls in each half hour, 07:00 to 19:00
  calls: [40, 60, 90, 110, 120, 115, 105, 100, 95, 100, 105, 100,
          95, 90, 85, 80, 75, 70, 60, 55, 45, 40, 30, 20]
  dispersion: 0.1           # day-to-day variation of the volume (coefficient of variation)
# horizon: omitted, so calls arrive until the profile ends (19:00)
handle_time: {distribution: lognormal, mean: 5min, sd: 4min}
patience: {distribution: weibull, shape: 0.8, mean: 4min}   # many hang up early

shrinkage: 0.1              # 10% of scheduled agents are unavailable (meetings, absence)
shifts:                     # or `agents: N`, or `staffing: {interval, start, agents: [...]}`
  - name: early
    start: "07:00"
    length: 8h
    count: 14               # agents on this shift
    breaks:
      - {start: 4h, length: 30min}     # break start counted from the shift's start
  - name: late
    start: "11:00"
    length: 8h
    count: 14
    breaks:
      - {start: 3h30min, length: 30min}

# Try another schedule on the same callers: the same 28 agents in three shifts.
variants:
  three-shifts:
    shifts:                 # a list replaces the base's list entirely
      - {name: early, start: "07:00", length: 8h, count: 10, breaks: [{start: 4h, length: 30min}]}
      - {name: middle, start: "08:00", length: 8h, count: 8, breaks: [{start: 3h30min, length: 30min}]}
      - {name: late, start: "11:00", length: 8h, count: 10, breaks: [{start: 4h, length: 30min}]}
"""

_CALLBACKS = """\
name: hold-loop
seed: 1
replications: 10

horizon: 8h
warmup: 30min
arrivals: {rate: 3/min}
handle_time: {distribution: lognormal, mean: 5min, sd: 4min}
patience: {distribution: weibull, shape: 0.8, mean: 5min}
agents: 15                  # short-staffed: about 15 Erlangs of work

# The baseline: "your call is important to us" every minute; each message makes
# some callers who are still waiting hang up.
announcements:
  kind: generic
  first: 60s
  every: 60s
  length: 10s
  hangup_probability: 0.03

costs:                      # optional: price the day (all >= 0, in `currency`)
  currency: EUR
  agent_per_hour: 28
  trunk_per_minute_hold: 0.02
  customer_minute: 0.30     # value of a customer's minute on hold
  abandoned_call: 4.0
  churn: {lifetime_value: 600, per_wait_minute: 0.003, abandoned: 0.03, broken_promise: 0.08}

variants:
  virtual-hold:             # "keep your place in line, we will call you back"
    callback:
      kind: virtual_hold
      offer: at_arrival
      threshold: 1min       # offered when the predicted wait exceeds a minute
      acceptance: 0.6       # share of offered callers who accept
      answer_probability: 0.9
      dial_time: 20s        # agent time per call-back attempt before talking
  web-form:                 # "fill in the form, someone will contact you"
    callback:
      kind: web_form
      threshold: 2min
      acceptance: 0.6
      follow_through: 0.7   # share of promises the centre keeps
      contact_delay: {distribution: exponential, mean: 2h}
      late_after: 8h
"""

_DEPARTMENTS = """\
name: cold
seed: 1
replications: 10

horizon: 8h
warmup: 30min
arrivals: {rate: 4/min}
groups:                     # departments; each has agents, staffing or shifts
  - {name: billing, agents: 11}
  - {name: tech, agents: 12}
call_types:
  - name: billing
    share: 0.6
    groups: [billing]       # who serves it (home group first, then overflow groups)
    misroute: {probability: 0.2, to: tech}   # the phone menu sends 20% to tech
    handle_time: {distribution: lognormal, mean: 3.5min, sd: 2.5min}
    patience: {distribution: exponential, mean: 4min}
  - name: tech
    share: 0.4
    groups: [tech]
    misroute: {probability: 0.15, to: billing}
    handle_time: {distribution: lognormal, mean: 6min, sd: 4min}
    patience: {distribution: exponential, mean: 5min}
transfers:
  policy: cold              # cold | warm | own_it: what the wrong agent does
  identification_time: {distribution: exponential, mean: 40s}
  cold_patience: {distribution: exponential, mean: 2.5min}   # callers queued again are less patient
  reexplain_time: {distribution: exponential, mean: 1min}
  conference_time: {distribution: deterministic, value: 30s}  # warm: both agents on the line
  warm_limit: 5min          # warm: give up holding and transfer cold after this
  own_it_resolution: 0.6    # own it: the first agent solves it after all, 60% of the time

variants:
  warm: {transfers.policy: warm}      # dotted keys reach into a block
  own-it: {transfers.policy: own_it}
"""

TEMPLATES: dict[str, tuple[str, str]] = {
    "basic": ("queuesim starter: one queue, constant demand, a variant with more agents.", _BASIC),
    "day": ("queuesim starter: a weekday with an arrival profile, shifts and breaks.", _DAY),
    "callbacks": ("queuesim starter: the hold loop against virtual hold and a web form, priced.", _CALLBACKS),
    "departments": ("queuesim starter: two departments, misrouted calls, cold vs warm vs own-it transfers.",
                    _DEPARTMENTS),
}

KINDS: tuple[str, ...] = tuple(TEMPLATES)


def starter_config(kind: str = "basic", file: str = "config.yaml") -> str:
    """The commented starter config of ``kind`` (``file`` names it in the comments)."""
    if kind not in TEMPLATES:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    title, body = TEMPLATES[kind]
    return _HEADER.format(title=title, file=file) + "\n" + body


def register(subparsers: argparse._SubParsersAction) -> tuple[str, object]:
    p = subparsers.add_parser(
        NAME,
        help="write a commented starter config (basic, day, callbacks, departments)",
        description="Write a complete, commented config to start from: basic (one queue, constant demand), "
        "day (arrival profile, shifts with breaks), callbacks (hold loop vs virtual hold vs web form, with "
        "costs) or departments (two groups, misrouting, cold/warm/own-it transfers). Without FILE, print it.",
        epilog="Example: queuesim new day.yaml --kind day && queuesim run day.yaml. Exit codes: 0 ok, "
        "2 bad input (FILE exists: use --force).",
    )
    p.add_argument("file", nargs="?", type=nonempty_path, metavar="FILE", help="config file to write (default: print)")
    p.add_argument("--kind", choices=KINDS, default="basic", help="which starter (default: basic)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    return NAME, _cmd_new


def _cmd_new(args: argparse.Namespace) -> int:

    if args.file is None:
        sys.stdout.write(starter_config(args.kind))
        return 0
    path: Path = args.file
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists; choose another name or add --force to overwrite it")
    if not path.parent.exists():
        raise UsageError(f"{path}: folder {path.parent} does not exist")
    try:
        path.write_text(starter_config(args.kind, path.name), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {path} ({args.kind}); next: queuesim validate {path} && queuesim run {path}")
    return 0
