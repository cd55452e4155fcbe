"""``queuesim schema``: the JSON Schema of config files, for editors (validation, completion, hover help).

The handler imports the heavy modules it needs when it runs, so that ``queuesim --help``
stays fast (see :mod:`queuesim.cli`).
"""

from __future__ import annotations

import argparse
import sys

from ..cli import UsageError, nonempty_path

__all__ = ["register"]

NAME = "schema"


def register(subparsers: argparse._SubParsersAction) -> tuple[str, object]:
    p = subparsers.add_parser(
        NAME,
        help="print the JSON Schema of config files (for editor validation and completion)",
        description="Print a JSON Schema (draft-07) of queuesim config files, generated from the "
        "validation models: every key with its type, bounds, allowed values and description; durations, "
        "rates and clock times with units. Editors use it to check and complete YAML configs as you type "
        "(README, 'Editor support'). Rules across keys (exactly one of agents/staffing/shifts, shares "
        "summing to 1, ...) are checked by `queuesim validate`.",
        epilog="Example: queuesim schema --out queuesim.schema.json, then put "
        "'# yaml-language-server: $schema=queuesim.schema.json' on the first line of a config. "
        "Exit codes: 0 ok, 2 bad input.",
    )
    p.add_argument("--out", type=nonempty_path, metavar="FILE", help="write the schema to FILE instead of printing it")
    return NAME, _cmd_schema


def _cmd_schema(args: argparse.Namespace) -> int:
    from ..docs_gen import schema_text

    text = schema_text()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        if args.out.parent and not args.out.parent.exists():
            raise UsageError(f"--out {args.out}: folder {args.out.parent} does not exist")
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {args.out}")
    return 0
