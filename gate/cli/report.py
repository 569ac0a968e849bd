"""``gate report``: the compliance officer's reports as CSV or JSON, read-only.

``gate report KIND [--from WHEN] [--to WHEN | --day DATE] [--format csv|json] [-o FILE]``
opens the configured database read-only (beside a running gate) and writes one report
(``gate.storage.reports``): ``dispatched``, ``holds``, ``licences``, ``screening`` or
``freshness``. CSV has a header row; JSON is ``{"report", "from", "to", "rows": [...]}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate.config.settings import load_config
from gate.errors import ConfigError

KINDS = ("dispatched", "holds", "licences", "screening", "freshness")


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (2024-05-01)") from None


def cmd_report(args: argparse.Namespace) -> int:
    """Writes the report ``args.kind`` to ``-o FILE`` or standard output."""
    from gate.cli.audit import _readonly
    from gate.storage import reports
    from gate.storage.reports import render

    kind = args.kind or args.kind_option
    if kind is None or (args.kind and args.kind_option and args.kind != args.kind_option):
        raise ConfigError(f"name one report: {', '.join(KINDS)}")
    config = load_config(args.config)
    start, end = args.start, args.end
    if args.day is not None:
        if start is not None or end is not None:
            raise ConfigError("give --day or --from/--to, not both")
        start = dt.datetime.combine(args.day, dt.time(), dt.UTC)
        end = start + dt.timedelta(days=1)
    with _readonly(config.database) as conn:
        rows = reports.run(conn, kind, start, end)
    text = render(kind, rows, args.format, start, end)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.output}: {exc.strerror}") from exc
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
    return 0


def add_parser(
    commands: Any,
    with_config: Callable[[argparse.ArgumentParser], None],
    parse_instant: Callable[[str], dt.datetime],
) -> None:
    """Adds ``gate report`` to the command line."""
    text = "the compliance officer's reports from the journal and the store (read-only)"
    sub = commands.add_parser("report", help=text, description=text)
    sub.set_defaults(run=cmd_report)
    with_config(sub)
    sub.add_argument(
        "kind",
        nargs="?",
        choices=KINDS,
        help="dispatched (what left), holds (time held and why), licences (used and left),"
        " screening (hits and how resolved), freshness (list and policy data over time)",
    )
    sub.add_argument("--kind", dest="kind_option", choices=KINDS, help="the report, as an option")
    sub.add_argument(
        "--from",
        dest="start",
        metavar="WHEN",
        type=parse_instant,
        help="first instant, inclusive: ISO 8601 date or date-time, UTC unless an offset is given",
    )
    sub.add_argument(
        "--to", dest="end", metavar="WHEN", type=parse_instant, help="end instant, exclusive"
    )
    sub.add_argument(
        "--day", metavar="DATE", type=parse_day, help="one UTC day (instead of --from/--to)"
    )
    sub.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="csv (default) or json"
    )
    sub.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
