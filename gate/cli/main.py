"""The ``gate`` command line. Each command exits non-zero with a one-line reason on failure."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from gate import __version__
from gate.config.settings import DEFAULT_CONFIG, Config, load_config
from gate.core.text import escape_refused
from gate.errors import GateError

log = logging.getLogger("gate")


class OneLineFormatter(logging.Formatter):
    """Each log record's message on one line, nothing in it a terminal runs or a display
    reorders: what a client, a reader or a barcode sent may be in it (an LLRP reader's error
    text with line feeds forged whole log lines, ``INFO gate: ...``, and its escapes reached
    the terminal: attack20). Line breaks, control characters, bidirectional and invisible
    marks are written as ``\\uXXXX`` (``gate.core.text.escape_refused``); a traceback still
    follows on lines of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_refused(record.message)
        return super().formatMessage(record)


def log_formatter() -> logging.Formatter:
    """Log lines as ``2024-05-01T08:30:00.123Z INFO gate.service: text`` (UTC), one line each
    (``OneLineFormatter``)."""
    formatter = OneLineFormatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    return formatter


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def cmd_compile(args: argparse.Namespace) -> int:
    from gate.table.compiler import compile_table

    if args.control_list is None or not args.catalogue or args.output is None:
        config = _config(args)
        control_list = args.control_list or config.table.control_list
        catalogues = args.catalogue or list(config.table.catalogues)
        output = args.output or config.table.path
    else:
        control_list, catalogues, output = args.control_list, args.catalogue, args.output
    result = compile_table(Path(control_list), [Path(c) for c in catalogues], Path(output))
    repeated = result.skipped_duplicates
    kept_once = f", {repeated} repeated rows kept once" if repeated else ""
    print(
        f"compiled {result.entries} entries ({result.controls} control codes{kept_once})"
        f" into {result.path} ({result.file_size} bytes, sources {result.source_digest[:12]})"
    )
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from gate.table.native import Table
    from gate.table.stream import LookupWriter

    table = Table.open(args.table if args.table else _config(args).table.path)
    # A bulk stream describes items only when asked: it costs a lookup per item.
    writer = LookupWriter(table, sys.stdout.buffer, describe=bool(args.codes) or args.describe)
    if args.codes:
        writer.write_codes(args.codes)
    else:
        writer.stream(sys.stdin.buffer)
    sys.stdout.buffer.flush()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from gate.cli.serve import serve

    config = _config(args)
    serve(config)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from gate.cli.simulate import Options, main

    doors = tuple(d.strip() for d in (args.doors or "").split(",") if d.strip())
    options = Options(
        Path(args.config),
        doors,
        args.shipments,
        args.rate,
        args.socket,
        args.seed,
        args.sensor,
        close_all=args.close_all,
    )
    return main(options)


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gate", description="Export-control gate for warehouse dispatch docks."
    )
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, run: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    def with_config(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--config", default=str(DEFAULT_CONFIG), help=f"config file (default {DEFAULT_CONFIG})"
        )

    serve = add("serve", cmd_serve, "run the gate: HTTP API, scanner socket, status page")
    with_config(serve)

    compile_ = add("compile", cmd_compile, "compile the control list and catalogues into a table")
    with_config(compile_)
    compile_.add_argument("--control-list", help="control list CSV (default: the config's)")
    compile_.add_argument(
        "--catalogue",
        action="extend",
        nargs="+",
        metavar="CSV",
        help="catalogue CSVs, one or more, the flag repeatable (default: the config's)",
    )
    compile_.add_argument("-o", "--output", help="table file to write (default: the config's)")

    lookup = add(
        "lookup",
        cmd_lookup,
        "classify codes; with none given, each line of standard input (JSON lines out)",
    )
    with_config(lookup)
    lookup.add_argument("--table", help="compiled table file (default: the config's [table] path)")
    lookup.add_argument(
        "--describe",
        action="store_true",
        help="also give each item's description when reading standard input (codes given as"
        " arguments always have it)",
    )
    lookup.add_argument("codes", nargs="*", metavar="CODE")

    # --- audit (storage, issue 4): the commands live in gate/audit_cli.py ---
    from gate.cli.audit import cmd_audit_export, cmd_audit_verify, parse_instant

    audit_help = "check or export the audit journal (opens the database read-only)"
    audit = commands.add_parser("audit", help=audit_help, description=audit_help)
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify_help = "verify the hash chain of the whole audit journal; exit 1 if it is broken"
    audit_verify = audit_commands.add_parser("verify", help=verify_help, description=verify_help)
    audit_verify.set_defaults(run=cmd_audit_verify)
    with_config(audit_verify)
    audit_verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="also check the journal against a signed checkpoint the central office kept",
    )
    export_help = "write audit records as JSON lines, in seq order"
    audit_export = audit_commands.add_parser("export", help=export_help, description=export_help)
    audit_export.set_defaults(run=cmd_audit_export)
    with_config(audit_export)
    audit_export.add_argument(
        "--from",
        dest="start",
        metavar="WHEN",
        type=parse_instant,
        help="first instant, inclusive: ISO 8601 date or date-time, UTC unless an offset is given",
    )
    audit_export.add_argument(
        "--to",
        dest="end",
        metavar="WHEN",
        type=parse_instant,
        help="end instant, exclusive (--from 2024-05-01 --to 2024-06-01 is May)",
    )
    audit_export.add_argument(
        "-o", "--output", metavar="FILE", help="file to write (default: standard output)"
    )
    # --- end audit ---

    # --- simulate: the command lives in gate/cli/simulate/ ---
    simulate = add(
        "simulate",
        cmd_simulate,
        "drive doors of a running gate with realistic scan traffic and print what it decided",
    )
    with_config(simulate)
    simulate.add_argument(
        "--doors", metavar="D1,D2", help="doors to drive, comma-separated (default: every door)"
    )
    simulate.add_argument(
        "--shipments", type=_positive(int), default=3, metavar="N", help="shipments per door (3)"
    )
    simulate.add_argument(
        "--rate",
        type=_positive(float),
        default=20.0,
        metavar="SCANS_PER_S",
        help="scans per second at each door (20)",
    )
    simulate.add_argument(
        "--socket",
        action="store_true",
        help="send scans over the msgpack scanner socket instead of HTTP",
    )
    simulate.add_argument("--seed", type=int, help="seed for the traffic (default: random)")
    simulate.add_argument(
        "--sensor",
        action="store_true",
        help="play each door's RFID portal with its motion sensor (an LLRP reader with"
        " options.gpi_port in the config): pallets pass, every second one with no readable tag",
    )
    simulate.add_argument(
        "--close-all",
        action="store_true",
        help="cancel every held or blocked shipment (default: the last one of each door is"
        " left standing for the operator, and cancelled by the next run)",
    )
    # --- end simulate ---

    from gate.cli.report import add_parser as add_report

    add_report(commands, with_config, parse_instant)

    from gate.cli.approve import add_parser as add_approve

    add_approve(commands, with_config)
    from gate.cli.bundle import add_parser as add_bundle

    add_bundle(commands, with_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    try:
        code: int = args.run(args)
        return code
    except GateError as exc:
        print(f"gate {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
