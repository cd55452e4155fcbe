"""Atomic file writes: a result file is either complete or absent, never half-written.

Each write goes to a temporary file in the same folder, is flushed and
fsync'ed, then renamed over the target (``os.replace`` is atomic on POSIX and
Windows for files on the same file system).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_bytes_atomic", "write_json_atomic", "write_text_atomic"]


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; results are ordinary files (0666 minus the umask)
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _clean(value: Any) -> Any:
    if hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        value = value.item()  # numpy scalar -> Python number
    elif hasattr(value, "tolist") and hasattr(value, "dtype"):
        value = value.tolist()  # numpy array -> list
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json_atomic(path: str | Path, document: Any) -> None:
    """Write ``document`` as indented JSON (NaN and infinities as null) atomically.

    numpy scalars and arrays are written as plain numbers and lists.
    """
    write_text_atomic(path, json.dumps(_clean(document), indent=2, allow_nan=False) + "\n")
