"""Reading call records into one canonical table, skipping (and counting) bad records.

Every format is turned into a :class:`Records`: one row per call that reached the
agents' queue, with

=============  =====================================================================
``day``        the day of the call (``datetime64[D]``; NaT when the file has no dates)
``arrival``    seconds from the start of ``day`` when the call joined the agents' queue
``wait``       seconds on hold, until answered or until the caller hung up
``answered``   True if an agent answered, False if the caller abandoned
``handle``     handle (service) time in seconds; NaN when abandoned
``handle_ok``  True when ``handle`` may be used in handle-time fits (named agent,
               not an artefact)
``type``       call type (text; ``all`` when the file has none)
``priority``   priority class (integer; 0 when the file has none)
``server``     agent name (text; empty when unknown)
=============  =====================================================================

Records that are not calls to the agents (they ended in the IVR/VRU, or are
documented artefacts) are *excluded* and counted by reason; records that are
broken (wrong field count, unparseable or inconsistent times, phantom calls,
unknown outcomes, bytes that are not UTF-8, a cell over the csv module's
field limit, a date before 1900 or after 2200, a priority or time of day out
of range, a wait or handle time over a day) are *skipped* and counted by
reason. Neither ever raises: :func:`read_records` raises only when a file
cannot be opened, is not a regular file, holds more than
:data:`MAX_RECORDS_FILE_BYTES` bytes or has no usable header.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from ..model.fields import check_input_file
from .choices import FORMATS

__all__ = ["CSV_FIELDS", "FORMATS", "MAX_RECORDS_FILE_BYTES", "Records", "RecordsError", "parse_columns", "read_records"]


#: Canonical fields of the generic CSV format, and the column names used when not mapped.
CSV_FIELDS = ("date", "arrival", "answer", "end", "wait", "handle", "outcome", "type", "priority", "server")
_REQUIRED = ("arrival", "outcome")

_ANSWERED = {"answered", "served", "agent", "handled", "completed", "answer"}
_ABANDONED = {"abandoned", "abandon", "hang", "hangup", "hung_up", "lost"}
_PHANTOM = {"phantom"}


#: Largest records file read, in bytes (a year of a large centre's calls is a few hundred MB).
MAX_RECORDS_FILE_BYTES = 2_000_000_000
#: Longest cell of a CSV records file, in characters (the ``csv`` module's field limit).
MAX_CELL = 131_072
#: Range of dates accepted (the calendar pandas can hold, and then some margin).
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: Largest priority class accepted (absolute value).
MAX_PRIORITY = 1_000_000
#: Latest time of day accepted for an arrival, in seconds (clock times may run to 47:59:59).
MAX_TIME_OF_DAY = 2 * 86400.0

#: Reasons for skipping a record that the files themselves cause (see :func:`read_records`).
NOT_UTF8 = "not UTF-8 text"
FIELD_TOO_LONG = f"field too long (over {MAX_CELL:,} characters) or broken quoting"
DATE_OUT_OF_RANGE = f"date out of range (before {FIRST_YEAR} or after {LAST_YEAR})"
NUMBER_OUT_OF_RANGE = "number out of range (priority or time of day)"
ABSURD_DURATION = "absurd duration (wait or handle time over a day)"


class RecordsError(ValueError):
    """A records file that cannot be read at all (missing, no header, unknown column)."""


@dataclass
class Records:
    """Calls to the agents in canonical form, plus what was read, excluded and skipped."""

    frame: pd.DataFrame
    read: int = 0
    skipped: Counter = field(default_factory=Counter)
    excluded: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    def select_days(self, days: Iterable[np.datetime64]) -> "Records":
        keep = self.frame["day"].isin(list(days))
        return Records(self.frame[keep].reset_index(drop=True), self.read, self.skipped, self.excluded, self.files)


_COLUMNS = ["day", "arrival", "wait", "answered", "handle", "handle_ok", "type", "priority", "server"]


def _empty_rows() -> dict[str, list]:
    return {c: [] for c in _COLUMNS}


def _frame(rows: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({
        "day": pd.to_datetime(pd.Series(rows["day"], dtype="object"), errors="coerce").astype("datetime64[ns]"),
        "arrival": np.asarray(rows["arrival"], dtype=np.float64),
        "wait": np.asarray(rows["wait"], dtype=np.float64),
        "answered": np.asarray(rows["answered"], dtype=bool),
        "handle": np.asarray(rows["handle"], dtype=np.float64),
        "handle_ok": np.asarray(rows["handle_ok"], dtype=bool),
        "type": pd.Series(rows["type"], dtype="object").astype(str),
        "priority": np.asarray(rows["priority"], dtype=np.int64),
        "server": pd.Series(rows["server"], dtype="object").astype(str),
    })


# --------------------------------------------------------------------------- time parsing
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?$")


def _clock(text: str) -> float:
    """``H:MM:SS`` / ``HH:MM`` -> seconds; ValueError when malformed."""
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(text)
    h, mi, s = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0)
    if h > 47 or mi > 59 or s >= 60:
        raise ValueError(text)
    return h * 3600 + mi * 60 + s


def _time(text: str) -> tuple[Optional[_dt.date], float]:
    """A time cell: seconds (number), a clock time, or a date-time. Returns (date or None, seconds of day)."""
    t = text.strip()
    if not t:
        raise ValueError("empty")
    try:
        value = float(t)
    except ValueError:
        pass
    else:
        if not math.isfinite(value):
            raise ValueError(t)
        return None, value
    if " " in t or "T" in t:
        stamp = _dt.datetime.fromisoformat(t.replace("Z", ""))
        return stamp.date(), stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond / 1e6
    return None, _clock(t)


class _OutOfRange(ValueError):
    """A record's value that parses but lies outside what a call record can hold; ``args[0]`` is the reason."""


def _date(text: str) -> _dt.date:
    t = text.strip()
    if re.fullmatch(r"\d{6}", t):  # YYMMDD (anonymous bank)
        return _dt.date(1900 + int(t[:2]) if int(t[:2]) > 50 else 2000 + int(t[:2]), int(t[2:4]), int(t[4:]))
    if re.fullmatch(r"\d{8}", t):
        return _dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    return _dt.date.fromisoformat(t[:10])


# --------------------------------------------------------------------------- anonymous bank
_BANK_HEADER = ("vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
                "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server")
_NO_QUEUE = "0:00:00"


def _read_bank(path: Path, rows: dict[str, list], skipped: Counter, excluded: Counter) -> int:
    """The Technion "Anonymous Bank" monthly files: 17 tab-separated fields (see SOURCE.md)."""
    n = 0
    with path.open(encoding="latin-1", newline="") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("\t")]
            if lineno == 1 and parts and parts[0].lower() == "vru+line":
                continue
            n += 1
            if len(parts) != len(_BANK_HEADER):
                skipped["wrong field count"] += 1
                continue
            rec = dict(zip(_BANK_HEADER, parts))
            outcome = rec["outcome"].upper()
            if outcome == "PHANTOM":
                skipped["phantom call"] += 1
                continue
            if outcome not in ("AGENT", "HANG"):
                skipped["unknown outcome"] += 1
                continue
            try:
                day = _date(rec["date"])
                entry, vexit = _clock(rec["vru_entry"]), _clock(rec["vru_exit"])
                queued = rec["q_start"] != _NO_QUEUE
                q_time = float(int(rec["q_time"]))
                ser_time = float(int(rec["ser_time"]))
                priority = int(rec["priority"])
                if abs(priority) > MAX_PRIORITY:
                    raise _OutOfRange(NUMBER_OUT_OF_RANGE)
                if queued:
                    _clock(rec["q_start"])
                if outcome == "AGENT":
                    _clock(rec["ser_start"])
            except _OutOfRange as exc:
                skipped[exc.args[0]] += 1
                continue
            except (ValueError, OverflowError):
                skipped["bad time or number"] += 1
                continue
            if q_time < 0 or ser_time < 0 or q_time > 86400 or ser_time > 86400:
                skipped["bad time or number"] += 1
                continue
            if vexit < entry:
                if entry >= 18 * 3600 and vexit < 6 * 3600:  # clock times carry no date: crossed midnight
                    vexit += 86400.0
                else:
                    skipped["inconsistent times (VRU exit before entry)"] += 1
                    continue
            named = rec["server"].upper() != "NO_SERVER" and rec["server"] != ""
            answered = outcome == "AGENT"
            if not queued and not (answered and named):
                excluded["VRU only (hung up before the queue)" if not answered else "NO_SERVER artefact (never queued)"] += 1
                continue
            if not queued:
                q_time = 0.0
            rows["day"].append(day)
            rows["arrival"].append(vexit)
            rows["wait"].append(q_time)
            rows["answered"].append(answered)
            rows["handle"].append(ser_time if answered else math.nan)
            rows["handle_ok"].append(answered and named)
            rows["type"].append(rec["type"] or "unknown")
            rows["priority"].append(priority)
            rows["server"].append(rec["server"] if named else "")
    return n


# --------------------------------------------------------------------------- generic CSV
def parse_columns(spec: Union[None, str, dict[str, str]]) -> dict[str, str]:
    """``"arrival=start,outcome=result"`` (or a dict) -> canonical field -> file column.

    Fields not mentioned are looked up under their own name (``arrival``, ``answer``,
    ``end``, ...; see :data:`CSV_FIELDS`).
    """
    if spec is None or spec == "":
        given: dict[str, str] = {}
    elif isinstance(spec, dict):
        given = dict(spec)
    else:
        given = {}
        for part in str(spec).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise RecordsError(f"--columns: expected FIELD=COLUMN, got {part.strip()!r}")
            k, v = (s.strip() for s in part.split("=", 1))
            given[k] = v
    unknown = [k for k in given if k not in CSV_FIELDS]
    if unknown:
        raise RecordsError(f"--columns: unknown field(s) {', '.join(unknown)}; known: {', '.join(CSV_FIELDS)}")
    return {f: given.get(f, f) for f in CSV_FIELDS}


def _outcome(text: str) -> Optional[str]:
    t = text.strip().lower()
    if t in _ANSWERED:
        return "answered"
    if t in _ABANDONED:
        return "abandoned"
    if t in _PHANTOM:
        return "phantom"
    return None


def _read_csv(path: Path, columns: dict[str, str], rows: dict[str, list], skipped: Counter,
              excluded: Counter) -> int:
    """Generic CSV: one row per call, times in seconds, clock times or date-times.

    ``arrival`` is when the call joined the agents' queue. The wait is
    ``answer - arrival`` for answered calls and ``end - arrival`` for abandoned ones
    (or the ``wait`` column); the handle time is ``end - answer`` (or ``handle``).
    """
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as exc:
            raise RecordsError(f"{path}: the header row is not readable CSV ({exc})") from None
        if any(_undecodable(h) for h in header):
            raise RecordsError(f"{path}: the header row is not UTF-8 text")
        if not header:
            raise RecordsError(f"{path}: empty file (expected a header row)")
        index = {f: header.index(c) for f, c in columns.items() if c in header}
        missing = [f"{f} (column {columns[f]!r})" for f in _REQUIRED if f not in index]
        if missing:
            raise RecordsError(f"{path}: missing required column(s) {', '.join(missing)}; header: {header}")
        if not ({"answer", "wait"} & index.keys()):
            raise RecordsError(f"{path}: need an 'answer' or a 'wait' column (map it with --columns)")
        if not ({"end", "handle"} & index.keys()):
            raise RecordsError(f"{path}: need an 'end' or a 'handle' column (map it with --columns)")
        n = 0
        for row in _rows(reader, skipped):
            if row is None:  # a line the csv module refused (counted by _rows)
                n += 1
                continue
            if not row or all(not c.strip() for c in row):
                continue
            n += 1
            if any(_undecodable(c) for c in row):
                skipped[NOT_UTF8] += 1
                continue
            if len(row) != len(header):
                skipped["wrong field count"] += 1
                continue
            cell = {f: row[i].strip() for f, i in index.items()}
            outcome = _outcome(cell["outcome"])
            if outcome == "phantom":
                skipped["phantom call"] += 1
                continue
            if outcome is None:
                key = cell["outcome"].strip().lower()
                if key == "unserved":
                    excluded["unserved (no agent left on duty)"] += 1
                else:
                    skipped["unknown outcome"] += 1
                continue
            try:
                day_a, arrival = _time(cell["arrival"])
                day = _date(cell["date"]) if cell.get("date") else day_a
                if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                    raise _OutOfRange(DATE_OUT_OF_RANGE)
                answered = outcome == "answered"

                def t(name: str) -> Optional[float]:
                    v = cell.get(name, "")
                    return _time(v)[1] if v else None

                answer, end, wait, handle = t("answer"), t("end"), t("wait"), t("handle")
                if answer is not None and answer < arrival - 43200:  # clock times across midnight
                    answer += 86400.0
                if end is not None and end < arrival - 43200:
                    end += 86400.0
                if wait is None:
                    wait = (answer - arrival) if answered and answer is not None else (
                        (end - arrival) if not answered and end is not None else None)
                if answered and handle is None:
                    start = answer if answer is not None else (arrival + wait if wait is not None else None)
                    handle = (end - start) if end is not None and start is not None else None
                priority_value = float(cell["priority"]) if cell.get("priority") else 0.0
                if not abs(priority_value) <= MAX_PRIORITY or not arrival <= MAX_TIME_OF_DAY:
                    raise _OutOfRange(NUMBER_OUT_OF_RANGE)
                priority = int(priority_value)
            except _OutOfRange as exc:
                skipped[exc.args[0]] += 1
                continue
            except (ValueError, OverflowError, TypeError):
                skipped["bad time or number"] += 1
                continue
            if wait is None or (answered and handle is None):
                skipped["bad time or number"] += 1
                continue
            if wait < 0 or (answered and handle < 0) or arrival < 0:
                skipped["inconsistent times (negative wait or handle)"] += 1
                continue
            if wait > 86400 or (answered and handle > 86400):
                skipped[ABSURD_DURATION] += 1
                continue
            rows["day"].append(day)
            rows["arrival"].append(arrival)
            rows["wait"].append(wait)
            rows["answered"].append(answered)
            rows["handle"].append(handle if answered else math.nan)
            rows["handle_ok"].append(answered)
            rows["type"].append(cell.get("type") or "all")
            rows["priority"].append(priority)
            rows["server"].append(cell.get("server", ""))
    return n


def _undecodable(text: str) -> bool:
    """True if ``text`` holds bytes that were not UTF-8 (read with ``errors="surrogateescape"``)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _rows(reader: "csv._reader", skipped: Counter):
    """The rows of ``reader``; a row the csv module refuses (a cell over the field limit) is
    counted in ``skipped`` and yielded as None, and reading goes on with the next line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            skipped[FIELD_TOO_LONG] += 1
            yield None
            continue
        yield row


def read_records(files: Union[str, Path, Sequence[Union[str, Path]]], format: str = "csv", *,
                 columns: Union[None, str, dict[str, str]] = None) -> Records:
    """Read call records from one or more files of one ``format`` (see :data:`FORMATS`)."""
    if isinstance(files, (str, Path)):
        files = [files]
    if format not in FORMATS:
        raise RecordsError(f"unknown records format {format!r}; known: {', '.join(FORMATS)}")
    mapping = parse_columns(columns) if format == "csv" else {}
    rows, skipped, excluded = _empty_rows(), Counter(), Counter()
    read = 0
    for f in files:
        path = Path(f)
        if not path.exists():
            raise RecordsError(f"records file {str(path)!r} not found")
        try:
            check_input_file(path, limit=MAX_RECORDS_FILE_BYTES, what="records file")
        except ValueError as exc:
            raise RecordsError(str(exc)) from None
        if format == "anonymous-bank":
            read += _read_bank(path, rows, skipped, excluded)
        else:
            read += _read_csv(path, mapping, rows, skipped, excluded)
    frame = _frame(rows)
    if len(frame):
        frame = frame.sort_values(["day", "arrival"], kind="stable", na_position="first").reset_index(drop=True)
    return Records(frame, read, skipped, excluded, [str(f) for f in files])
