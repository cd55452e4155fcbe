"""Config fuzzing: malformed and extreme configs either run or fail cleanly.

Every generated config goes through the real command line, in this process:
``queuesim validate CONFIG`` and, when it validates, ``queuesim run CONFIG -n 1
--executor serial -q`` with the arrivals shrunk (a short horizon) so that runs
stay small. The property: the exit code is 0 or 2; no exception escapes
``main``; an exit code 2 comes with exactly one line on stderr (``error: ...``)
and never a traceback; nothing takes longer than a few seconds.

Generators start from valid configs (the shipped ``configs/*.yaml`` and small
ones below that use every block: shifts with breaks, callbacks, announcements,
departments and transfers, costs, redials, empirical CSV files, variants,
sweeps) and apply one to three mutations at random places of the nested
mapping: delete a key, add an unknown one, rename one to a near miss, replace
a value by junk of any type (NaN, infinity, 1e308, 10**30, negative and zero
durations, bad units, unicode, deeply nested lists and mappings), duplicate a
list item (duplicate names) or empty a block. Others are whole files that are
not configs at all (empty, a list, a scalar, broken YAML, binary, YAML aliases
that expand exponentially, deeply nested brackets) and mutated CSV inputs.

CI runs a bounded number of examples (``QUEUESIM_FUZZ_EXAMPLES``, default 150);
``experiments/fuzz_configs.py`` runs the same generators for thousands.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"

#: Seconds allowed for one validate or one run of a fuzzed config.
TIME_LIMIT = 10
#: Expected calls per scenario (arrivals + backlog) above which a run is not attempted.
MAX_CALLS = 400
#: Agents per scenario above which a run is not attempted (start-up cost, not a bug).
MAX_AGENTS = 3000
#: Scenarios above which a run is not attempted.
MAX_SCENARIOS = 12

# --------------------------------------------------------------------------- base configs

_EXP = {"distribution": "exponential", "mean": "2min"}

SMALL_BASES: list[dict[str, Any]] = [
    {
        "name": "tiny",
        "seed": 1,
        "replications": 2,
        "horizon": "30min",
        "arrivals": {"rate": "2/min"},
        "handle_time": {"distribution": "exponential", "mean": "3min"},
        "patience": {"distribution": "exponential", "mean": "2min"},
        "agents": 5,
    },
    {
        "name": "day",
        "warmup": "10min",
        "service_level_threshold": "20s",
        "report_interval": "15min",
        "arrivals": {"interval": "30min", "start": "07:00", "calls": [10, 20, 15, 5], "dispersion": 0.1},
        "call_types": [
            {"name": "sales", "share": 0.6, "handle_time": {"distribution": "lognormal", "mean": "4min", "sd": "3min"},
             "patience": {"distribution": "weibull", "shape": 0.8, "mean": "5min"}},
            {"name": "service", "share": 0.4, "handle_time": {"distribution": "gamma", "shape": 2, "scale": "60s"},
             "patience": "inf"},
        ],
        "handle_time": {"distribution": "uniform", "low": "30s", "high": "2min"},
        "shifts": [
            {"name": "early", "start": "07:00", "length": "2h", "count": 4,
             "breaks": [{"start": "1h", "length": "10min"}, {"start": "90min", "length": "5min"}]},
            {"name": "late", "start": "07:30", "length": "1h30min", "count": 3},
        ],
        "shrinkage": 0.1,
        "redial": {"probability": 0.4, "delay": {"distribution": "deterministic", "value": "5min"}, "max_attempts": 3},
        "backlog": 3,
        "costs": {"currency": "EUR", "agent_per_hour": 28, "trunk_per_minute_hold": 0.02, "customer_minute": 0.3,
                  "abandoned_call": 4, "churn": {"lifetime_value": 600, "base": 0.002, "per_wait_minute": 0.003,
                                                 "abandoned": 0.03, "broken_promise": 0.08, "max": 0.5}},
        "announcements": {"kind": "generic", "first": "60s", "every": "60s", "length": "10s",
                          "hangup_probability": 0.03},
        "variants": {
            "informative": {"announcements": {"kind": "informative", "first": "0s", "every": "2min",
                                              "predictor": "queue_length",
                                              "tolerance": {"distribution": "lognormal", "mu": 5.5, "sigma": 0.8}}},
            "virtual-hold": {"callback": {"kind": "virtual_hold", "threshold": "1min", "acceptance": 0.6}},
            "scheduled": {"callback": {"kind": "scheduled", "slot_length": "15min", "slot_capacity": 3,
                                       "lead_time": "10min", "priority": "reserved", "reserved_agents": 2}},
            "web-form": {"callback": {"kind": "web_form", "contact_delay": {"distribution": "exponential", "mean": "1h"},
                                      "late_after": "8h", "follow_through": 0.7, "priority": "when_short",
                                      "short_queue": 2}},
        },
    },
    {
        "name": "depts",
        "horizon": "1h",
        "arrivals": {"rate": "3/min"},
        "groups": [
            {"name": "billing", "agents": 4, "transfer": "cold"},
            {"name": "tech", "staffing": {"interval": "30min", "start": "00:00", "agents": [2, 3]}},
        ],
        "call_types": [
            {"name": "billing", "share": 0.5, "groups": ["billing", "tech"], "overflow_after": "1min", "priority": 1,
             "misroute": None, "resolution": 0.9, "handle_time": _EXP, "patience": _EXP},
            {"name": "tech", "share": 0.5, "groups": ["tech"], "misroute": {"probability": 0.2, "to": "billing"},
             "handle_time": {"distribution": "empirical", "values": ["30s", 45, "2min"]}, "patience": _EXP},
        ],
        "transfers": {"policy": "warm", "identification_time": {"distribution": "exponential", "mean": "40s"},
                      "cold_patience": _EXP, "reexplain_time": _EXP, "warm_patience": "inf",
                      "conference_time": {"distribution": "deterministic", "value": "30s"}, "warm_limit": "5min",
                      "own_it_resolution": 0.6, "own_it_handle_factor": 1.5, "own_it_fallback": "cold"},
        "redial": {"probability": 0.3, "unresolved_probability": 0.5, "delay": _EXP, "max_attempts": 2},
        "sweep": {"shrinkage": [0, 0.2]},
        "variants": {
            "informative+virtual-hold": {
                "announcements": {"kind": "informative", "first": "0s", "every": "1min", "predictor": "head_of_line",
                                  "tolerance": {"distribution": "lognormal", "mu": 5.0, "sigma": 0.8}},
                "callback": {"kind": "virtual_hold", "threshold": "30s", "acceptance": 0.6,
                             "offer": "at_announcement"}},
            "scheduled": {"callback": {"kind": "scheduled", "slot_length": "15min", "slot_capacity": 2,
                                       "lead_time": "5min", "priority": "reserved", "reserved_agents": 1}},
            "web-form": {"callback": {"kind": "web_form", "contact_delay": _EXP, "late_after": "30min",
                                      "web_hours": [{"start": "00:20", "end": "00:40"}]}},
        },
    },
    {
        "name": "files",
        "arrivals": {"interval": "15min", "file": "profile.csv", "days": ["mon", "tue"]},
        "call_types": [
            {"name": "a", "arrivals": {"rate": "1/min"}, "handle_time": {"distribution": "empirical", "file": "aht.csv",
                                                                         "column": "seconds"}},
        ],
        "staffing": {"interval": "15min", "start": "08:00", "agents": [2, 3, 3, 2]},
    },
    {
        "name": "files2",
        "arrivals": {"interval": "15min", "file": "profile.csv"},
        "handle_time": {"distribution": "empirical", "file": "aht.csv", "column": "seconds"},
        "patience": {"distribution": "exponential", "mean": "3min"},
        "staffing": {"interval": "15min", "start": "08:00", "agents": [2, 3, 3, 2]},
        "sweep": {"shrinkage": {"from": 0, "to": 0.2, "step": 0.1}, "arrivals.dispersion": [0, 0.1]},
    },
]

PROFILE_CSV = ("date,interval_start,calls\n2024-01-01,08:00,10\n2024-01-01,08:15,12\n2024-01-02,08:00,8\n"
               "2024-01-02,08:30,4\n2024-01-03,08:00,100\n")
AHT_CSV = "id,seconds\n1,30\n2,2min\n3,45.5\n"


def shipped_bases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CONFIGS.glob("*.yaml")):
        out.append((path.name, yaml.safe_load(path.read_text(encoding="utf-8"))))
    return out


BASES: list[tuple[str, dict[str, Any]]] = shipped_bases() + [(b["name"], b) for b in SMALL_BASES]
DATA_FILES = {
    "profile.csv": PROFILE_CSV,
    "aht.csv": AHT_CSV,
    "bank-day-arrivals.csv": (CONFIGS / "bank-day-arrivals.csv").read_text(encoding="utf-8"),
}

# --------------------------------------------------------------------------- junk values

NASTY_STRINGS = [
    "", " ", "nan", "NaN", ".nan", "-nan", "inf", "-inf", "+inf", ".inf", "-.inf", "infinity", "never", "∞",
    "5 fortnights", "3 parsecs", "1e308h", "1e308", "-1e308", "1e400", "1e-400s", "5e-324", "-5min", "-0s", "0s",
    "0", "0min", "0/min", "-3/min", "95/0min", "1/0s", "nan/min", "inf/h", "1e308/ms", "1e-308/d", "1h30min",
    "1h -30min", "2h 15min 30s", "1" + "0" * 400 + "h 5min", "12:99", "25:00", "24:00", "24:01", "99:99", "-07:00",
    "07:00:61", "7:0", "abc", "ünïcødé", "名前", "\x00", "\t", "\u202e", "\U0001F4DE", "a" * 200, "mon", "funday",
    "cold", "lukewarm", "exponential", "normal", "virtual_hold", "informative", "yes", "no", "null", "~",
    "../profile.csv", "/etc/passwd", "~/x.csv", "profile.csv", "aht.csv", "nope.csv", ".", "/", "seconds",
    "{", "[1, 2", "*alias", "&anchor", "!!python/object/apply:os.system ['echo pwned']",
]
NASTY_NUMBERS = [
    0, -1, 1, 2, -0.0, 0.5, 1e-300, 5e-324, 1e308, -1e308, 1.7976931348623157e308, 10**30, -(10**30), 2**63, 2**64,
    -(2**63), 10**400, float("nan"), float("inf"), float("-inf"), 0.999999999, 1.000000001, 86400, 86401, 1e9,
]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NASTY_NUMBERS),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=12),
)
junk = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(["name", "distribution", "mean", "rate"]),
                                  st.integers(-3, 3)), children, max_size=4),
    ),
    max_leaves=12,
)


def _nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"x": value}
    return value


#: Extreme values that are often still valid somewhere: tiny and huge durations, rates, counts, probabilities.
EXTREMES = [0, 1, 2, 0.0, 1.0, 1e-3, 1e-9, 0.5, 0.999, 5000, 10**6, 1e6, 1e9, 1e15, 1e308, "1ms", "0s", "0.001s", "10h",
            "100d", "1e6h", "1e300s", "1/h", "1/d", "1e6/h", "1000/s", "1e-9/s", "00:00", "23:59", "24:00", "inf",
            "never", [], [0], [0, 0], [10**6], [1e9], "cold", "warm", "own_it", "strict", "reserved", "when_short"]

deep_junk = st.builds(_nested, st.integers(20, 400), st.sampled_from(["list", "dict"]))

NEAR_MISSES = ["agent", "handle_tme", "arival", "patince", "shift", "Name", "horizon ", "distribution_", "mean ",
               "rate", "calls", "file", "breaks", "count", "scenarios", "variants", "sweep", "seed", "kind", "to",
               "ünknown", "", "0", "__class__", "name.sub", "a..b", ".x", "x."]

# --------------------------------------------------------------------------- mutations


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, prefix + (i,)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


@st.composite
def mutated_config(draw: st.DrawFn) -> dict[str, Any] | Any:
    """A base config with one to three mutations at random places."""
    _, base = draw(st.sampled_from(BASES))
    data: Any = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(
            ["delete", "replace", "replace", "replace", "unknown", "rename", "duplicate", "empty", "wrap", "deep",
             "number", "string", "extreme", "extreme", "extreme", "extreme"]))
        if not path:  # the root
            if op in ("replace", "wrap", "deep"):
                data = draw(st.one_of(junk, deep_junk, st.just([data])))
            elif op == "unknown" and isinstance(data, dict):
                data[draw(st.sampled_from(NEAR_MISSES))] = draw(junk)
            continue
        parent, key = _get(data, path[:-1]), path[-1]
        value = parent[key]
        if op == "delete":
            del parent[key]
        elif op in ("replace",):
            parent[key] = draw(junk)
        elif op == "number":
            parent[key] = draw(st.sampled_from(NASTY_NUMBERS))
        elif op == "extreme":
            if not isinstance(value, (dict, list)) or value == [] or all(not isinstance(v, (dict, list)) for v in value):
                parent[key] = copy.deepcopy(draw(st.sampled_from(EXTREMES)))
        elif op == "string":
            parent[key] = draw(st.sampled_from(NASTY_STRINGS))
        elif op == "unknown":
            target = value if isinstance(value, dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(NEAR_MISSES))] = draw(junk)
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from(NEAR_MISSES))
            parent[new] = parent.pop(key)
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(value))
            elif isinstance(value, list) and value:
                value.append(copy.deepcopy(value[0]))
        elif op == "empty":
            parent[key] = draw(st.sampled_from([{}, [], "", None, [{}], {"": None}]))
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[value], {"value": value}, [value, value]]))
        elif op == "deep":
            parent[key] = draw(deep_junk)
    return data


RAW_TEXTS = [
    "", " \n\n", "# only a comment\n", "---\n", "...\n", "null\n", "~\n", "42\n", "3.5\n", "true\n", "'a string'\n",
    "- a\n- b\n", "[]\n", "{}\n", "[1, 2, {a: 1}]\n", "{agents: 5\n", "agents: [1, 2\n", "a: b: c\n", "\tagents: 5\n",
    "agents: 5\n  horizon: 1h\n", "agents: 5\nagents: 6\n", "---\nagents: 5\n---\nagents: 6\n", "%YAML 9.9\n---\na: 1\n",
    "!!python/object/apply:os.system ['echo pwned']\n", "a: !!python/name:os.system\n", "a: !custom 5\n",
    "? [complex, key]\n: 1\n", "*undefined_alias\n", "a: &x [*x]\n", "<<: {agents: 5}\n", "\ufeffagents: 5\n",
    "agents: 5\x00\n", "name: \udcff\n", "[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000,
    "a:\n" + "".join("  " * i + f"b{i}:\n" for i in range(1, 400)),
    # "billion laughs": aliases that expand exponentially
    "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "agents: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\nsweep: {agents: *h}\nhorizon: 1h\n",
]
RAW_BYTES = [b"\xff\xfe\x00a", b"agents: \xe9\n", bytes(range(256))]


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """The YAML text of a valid config, cut, spliced or with a character changed."""
    _, base = draw(st.sampled_from(BASES))
    text = yaml.safe_dump(base, sort_keys=False, allow_unicode=True)
    i = draw(st.integers(0, len(text)))
    op = draw(st.sampled_from(["cut", "insert", "delete", "dup"]))
    if op == "cut":
        return text[:i]
    if op == "insert":
        return text[:i] + draw(st.sampled_from([":", "-", "[", "{", "'", '"', "\t", "&", "*", "!", "#", "%", "|", ">",
                                                " ", "\n", "?", "é", "\x00"])) + text[i:]
    if op == "delete":
        j = draw(st.integers(i, min(len(text), i + 20)))
        return text[:i] + text[j:]
    j = draw(st.integers(i, min(len(text), i + 80)))
    return text[:j] + text[i:j] + text[j:]


CSV_TEXTS = [
    "", "\n", "interval_start,calls\n", "date,interval_start,calls\n2024-13-01,08:00,5\n", "a,b\n1,2\n",
    "interval_start,calls\n08:00,-5\n", "interval_start,calls\n08:00,nan\n", "interval_start,calls\n08:00,inf\n",
    "interval_start,calls\n08:00,1e308\n08:15,1e308\n", "interval_start,calls\n99:00,5\n",
    "interval_start,calls\n00:00,1\n23:59,1\n", "interval_start,calls\n08:00\n", "interval_start,calls\n08:00,5,6,7\n",
    "interval_start,calls\n-1,5\n", "interval_start,calls\n1e300,5\n", "interval_start,calls\n08:00,\x00\n",
    "interval_start,calls\n08:00," + "9" * 200000 + "\n", "id,seconds\n1,abc\n", "id,seconds\n1,-5\n", "id,seconds\n",
    "id,seconds\n1,1e400\n", "id,seconds\n1,nan\n", "id,seconds\n1,inf\n", "seconds\n\"unterminated\n",
    "\ufeffid,seconds\n1,30\n", "id;seconds\n1;30\n",
]


@dataclass
class Case:
    """One fuzzed input: the config file's content and the data files beside it."""

    config: Any  # a mapping/any data to dump as YAML, or str/bytes written as is
    files: dict[str, Any] = field(default_factory=lambda: dict(DATA_FILES))

    def text(self) -> bytes:
        if isinstance(self.config, bytes):
            return self.config
        if isinstance(self.config, str):
            return self.config.encode("utf-8", "surrogatepass")
        return yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True).encode("utf-8", "surrogatepass")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["mutated"] * 7 + ["text", "raw", "csv"]))
    if kind == "mutated":
        return Case(draw(mutated_config()))
    if kind == "text":
        return Case(draw(mutated_text()))
    if kind == "raw":
        return Case(draw(st.sampled_from(RAW_TEXTS + RAW_BYTES)))
    files = dict(DATA_FILES)
    files[draw(st.sampled_from(["profile.csv", "aht.csv"]))] = draw(st.sampled_from(CSV_TEXTS))
    name = draw(st.sampled_from(["files", "files2"]))
    return Case(copy.deepcopy(next(b for n, b in BASES if n == name)), files)


# --------------------------------------------------------------------------- running one case


class FuzzTimeout(BaseException):
    """Raised by the alarm when a validate or run takes too long (a BaseException so nothing swallows it)."""


@dataclass
class Outcome:
    validated: bool = False
    ran: bool = False
    failure: Optional[str] = None


def _alarm(signum: int, frame: Any) -> None:
    raise FuzzTimeout()


def _cli(argv: list[str], limit: float) -> tuple[Optional[int], str, str, Optional[str]]:
    """Run ``main(argv)``: (exit code, stdout, stderr, problem or None)."""
    from queuesim.cli import main

    out, err = io.StringIO(), io.StringIO()
    problem = None
    code = None
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except FuzzTimeout:
        problem = f"took longer than {limit:g} s"
    except SystemExit as exc:  # argparse
        problem = f"SystemExit({exc.code}) escaped main"
    except BaseException:  # noqa: BLE001 - the property: nothing escapes main
        problem = "exception escaped main:\n" + traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - start
    if problem is None:
        stderr = err.getvalue()
        if "Traceback" in stderr:
            problem = f"traceback on stderr (exit {code}):\n{stderr}"
        elif code not in (0, 2):
            problem = f"exit code {code}; stderr:\n{stderr}"
        elif code == 2:
            lines = stderr.splitlines()
            if len(lines) != 1 or not lines[0].startswith("error: ") or len(lines[0]) > 2000:
                problem = f"exit 2 needs exactly one short 'error: ...' line on stderr, got {len(lines)}:\n{stderr[:3000]}"
    if problem is not None:
        problem = f"queuesim {' '.join(argv)} ({elapsed:.1f} s): {problem}"
    return code, out.getvalue(), err.getvalue(), problem


def _shrink(path: Path) -> Optional[list[str]]:
    """``--set`` options that keep a run of the config small, or None if it cannot be made small."""
    from queuesim.model.config import load_config

    try:
        experiment = load_config(path)
    except Exception:  # noqa: BLE001 - validate already passed; anything odd: do not run
        return None
    scenarios = experiment.scenarios
    if len(scenarios) > MAX_SCENARIOS:
        return None
    if any(s.horizon is None for s in scenarios):
        return None

    def calls(h: float) -> float:
        return max(s.model_copy(update={"horizon": h}).expected_arrivals() + s.backlog for s in scenarios)

    horizon = min(s.horizon for s in scenarios)  # type: ignore[type-var]
    if not math.isfinite(horizon):
        return None
    # The earliest moment arrivals can happen, so a short horizon still sees some.
    starts = [rf.grid[0] for s in scenarios for rf in s.rate_functions()]
    first = min(starts) if starts else 0.0
    candidates = sorted({horizon, first + 3600.0, first + 600.0, first + 60.0, 600.0, 60.0, 1.0}, reverse=True)
    chosen = None
    for h in candidates:
        if 0 < h <= horizon and calls(h) <= MAX_CALLS:
            chosen = h
            break
    if chosen is None:
        return None
    try:
        agents = max(len(s.model_copy(update={"horizon": chosen}).duty_periods()) for s in scenarios)
    except Exception:  # noqa: BLE001
        return None
    if agents > MAX_AGENTS:
        return None
    sets = ["--set", f"horizon={chosen!r}"]
    if any(s.warmup >= chosen for s in scenarios):
        sets += ["--set", "warmup=0"]
    return sets


def check_case(case: Case, workdir: Path, *, limit: float = TIME_LIMIT, run: bool = True) -> Outcome:
    """Validate (and, if valid and small enough, run) one fuzzed config in ``workdir``."""
    for name, content in case.files.items():
        (workdir / name).write_text(content, encoding="utf-8")
    path = workdir / "fuzzed.yaml"
    path.write_bytes(case.text())
    outcome = Outcome()
    code, _, _, problem = _cli(["validate", str(path)], limit)
    if problem:
        outcome.failure = problem
        return outcome
    outcome.validated = code == 0
    if not outcome.validated or not run:
        return outcome
    sets = _shrink(path)
    if sets is None:
        return outcome
    code, _, _, problem = _cli(
        ["run", str(path), "-n", "1", "--executor", "serial", "-q", "--retries", "0", *sets], limit)
    outcome.ran = code == 0
    outcome.failure = problem
    return outcome


def reproducer(case: Case) -> str:
    """Text to paste into a bug report: the config and any changed data files."""
    parts = ["# fuzzed.yaml", case.text().decode("utf-8", "backslashreplace")]
    for name, content in case.files.items():
        if DATA_FILES.get(name) != content:
            parts += [f"# {name}", content[:2000]]
    return "\n".join(parts)


# --------------------------------------------------------------------------- the tests

EXAMPLES = int(os.environ.get("QUEUESIM_FUZZ_EXAMPLES", "150"))


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=cases())
def test_fuzzed_configs_run_or_fail_cleanly(case: Case, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every generated config exits 0 or 2 with one clean line, never a traceback or a hang."""
    workdir = tmp_path_factory.mktemp("fuzz")
    outcome = check_case(case, workdir)
    assert outcome.failure is None, f"{outcome.failure}\n--- reproducer ---\n{reproducer(case)}"


@pytest.mark.parametrize("content", RAW_TEXTS + RAW_BYTES, ids=range(len(RAW_TEXTS) + len(RAW_BYTES)))
def test_non_configs_fail_cleanly(content: str | bytes, tmp_path: Path) -> None:
    """Every file that is not a config (empty, list, scalar, broken YAML, aliases, deep nesting) exits 2 in one line."""
    case = Case(content)
    outcome = check_case(case, tmp_path)
    assert outcome.failure is None, outcome.failure
    assert not outcome.validated


_TINY = {"horizon": "1h", "arrivals": {"rate": "2/min"}, "handle_time": {"distribution": "exponential", "mean": 60},
         "agents": 3}
#: Each config once crashed or hung queuesim (found by the fuzzer); each must now exit 2 with one line.
REGRESSIONS = {
    "horizon-1e308-validate-hung": {**_TINY, "horizon": 1e308},
    "report-intervals-billions": {**_TINY, "horizon": "100d", "report_interval": "1ms"},
    "calls-expected-1e12": {**_TINY, "horizon": "1000d", "arrivals": {"rate": "1e6/s"}},
    "int-too-big-for-float-patience": {**_TINY, "call_types": [{"name": "a", "share": 1, "patience": 10**400}]},
    "int-too-big-for-float-duration": {**_TINY, "arrivals": {"interval": 10**400, "file": "profile.csv"}},
    "days-not-a-list": {**_TINY, "arrivals": {"interval": "15min", "file": "profile.csv", "days": 5.0}},
    "days-items-not-text": {**_TINY, "arrivals": {"interval": "15min", "file": "profile.csv", "days": [["mon"]]}},
    "non-text-key-in-sweep-value": {**_TINY, "sweep": {"handle_time": [{1: 2, "a": 3}]}},
    "profile-interval-tiny": {**_TINY, "arrivals": {"interval": 1e-300, "file": "profile.csv"}},
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzzer_findings_fail_cleanly(name: str, tmp_path: Path) -> None:
    outcome = check_case(Case(REGRESSIONS[name]), tmp_path, limit=5)
    assert outcome.failure is None, outcome.failure
    assert not outcome.validated


def test_huge_csv_profile_span_is_refused(tmp_path: Path) -> None:
    """A CSV profile spanning millions of intervals (1 ms intervals over a day) is refused, not expanded."""
    files = dict(DATA_FILES, **{"profile.csv": "interval_start,calls\n00:00,1\n23:59,1\n"})
    outcome = check_case(Case({**_TINY, "horizon": "1h", "arrivals": {"interval": "1ms", "file": "profile.csv"}},
                              files), tmp_path, limit=5)
    assert outcome.failure is None and not outcome.validated
