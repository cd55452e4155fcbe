"""Progress of a run on stderr: a tqdm bar on a terminal, plain lines elsewhere.

On an interactive terminal (stderr is a TTY and ``CI`` is not set) a tqdm bar
shows replications done, the rate and the time left. Otherwise (logs, CI,
pipes) one plain line is printed at most every ``interval`` seconds and at the
end, e.g. ``[queuesim] 40/120 replications, 3.1/s, about 26 s left``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional, TextIO

__all__ = ["Progress"]


class Progress:
    """Counts finished replications out of ``total`` (``initial`` already done, e.g. on resume)."""

    def __init__(
        self,
        total: int,
        *,
        initial: int = 0,
        quiet: bool = False,
        interval: float = 10.0,
        stream: Optional[TextIO] = None,
        interactive: Optional[bool] = None,
    ) -> None:
        self.total = total
        self.done = initial
        self._initial = initial
        self._stream = stream if stream is not None else sys.stderr
        self._quiet = quiet or total <= 0
        self._interval = interval
        self._started = time.monotonic()
        self._last = self._started
        self._bar: Any = None
        if interactive is None:
            interactive = bool(getattr(self._stream, "isatty", lambda: False)()) and not os.environ.get("CI")
        if not self._quiet and interactive:
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="rep", desc="replications",
                             file=self._stream, leave=False, dynamic_ncols=True)
        elif not self._quiet and initial:
            self._line(f"{initial}/{total} replications already in the result folder")

    def _line(self, text: str) -> None:
        print(f"[queuesim] {text}", file=self._stream, flush=True)

    def update(self, n: int = 1) -> None:
        """``n`` more replications finished."""
        self.done += n
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last < self._interval:
            return
        self._last = now
        elapsed = now - self._started
        rate = (self.done - self._initial) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        tail = f", about {left:.0f} s left" if self.done < self.total and rate > 0 else ""
        self._line(f"{self.done}/{self.total} replications, {rate:.2f}/s{tail}")

    def note(self, text: str) -> None:
        """A message that does not disturb the bar (retries, failures)."""
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.write(f"[queuesim] {text}", file=self._stream)
        else:
            self._line(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
