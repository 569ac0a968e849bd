"""``gate approve`` and ``gate callback``: sign and send the office's callbacks, as it would.

The tool an integrator uses to try the link: it builds the body of DESIGN.md's callback,
signs it with the office's key (v1a with ``--key-file``; a gate with ``central.callback_public_key``
configured takes nothing else) or else v1 with the config's ``central.callback_secret`` (a gate
with no public key configured), and POSTs it to the gate's ``/api/v1/approvals``, printing the
gate's answer. ``gate callback licences|clearances|approvals FILE`` signs and sends a body
written by hand the same way: a standing licence, a clearance of a false positive.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from gate.config.settings import load_config
from gate.core.signatures import parse_private_key, parse_secret, signed_headers
from gate.errors import GateError


class ApproveError(GateError):
    """The callback could not be built, sent, or was not accepted."""


def build_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": args.request,
        "shipment_id": args.shipment,
        "decision": "denied" if args.deny else "approved",
    }
    if args.line:
        lines = []
        for item in args.line:
            key, sep, quantity = item.partition("=")
            if not sep or not quantity.isdigit():
                raise ApproveError(f"--line {item!r}: expected KEY=QUANTITY")
            lines.append({"key": key, "quantity": int(quantity)})
        body["lines"] = lines
    if not args.deny:
        if not args.licence:
            raise ApproveError("an approval needs --licence NUMBER")
        # Default: midnight UTC 30 days on, so the same command run again the same day sends
        # the same body (reuse --webhook-id to try a redelivery).
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        until = args.valid_until or (today + dt.timedelta(days=30)).isoformat()
        body["licence"] = {"number": args.licence, "valid_until": until}
    if args.reason:
        body["reason"] = args.reason
    return body


async def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    import aiohttp  # here, not at the top: every `gate` command builds this command's parser

    timeout = aiohttp.ClientTimeout(total=15)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, data=body, headers=headers) as response:
                return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise ApproveError(f"cannot reach the gate at {url}: {exc}") from exc


def cmd_approve(args: argparse.Namespace) -> int:
    body = json.dumps(build_body(args), separators=(",", ":")).encode()
    return post_signed(args, "approvals", body)


def post_signed(args: argparse.Namespace, path: str, body: bytes) -> int:
    """Signs ``body`` as the office would (v1a with ``--key-file``, else v1 with the config's
    ``callback_secret``), POSTs it to the gate's ``/api/v1/<path>`` (or ``--url``) and prints
    the answer. Raises ApproveError when it cannot be signed or sent, or is not accepted."""
    config = load_config(args.config)
    msg_id = args.webhook_id or f"msg_{secrets.token_urlsafe(16)}"
    stamp = int(dt.datetime.now(dt.UTC).timestamp())
    if args.key_file:
        try:
            text = Path(args.key_file).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise ApproveError(f"--key-file {args.key_file}: {why}") from exc
        key = parse_private_key(text.strip())
        headers = signed_headers(msg_id, stamp, body, private_key=key)
    elif config.central.callback_public_key is not None:
        # Refused here rather than by the gate: it takes only v1a when the key is configured.
        raise ApproveError(
            "central.callback_public_key is configured, so the gate takes only callbacks signed"
            " by the office's key: give --key-file"
        )
    else:
        headers = signed_headers(
            msg_id, stamp, body, secret=parse_secret(config.central.callback_secret)
        )
    headers["Content-Type"] = "application/json"
    url = args.url or f"http://{config.http}/api/v1/{path}"
    status, text = asyncio.run(send(url, body, headers))
    print(text)
    if not 200 <= status < 300:
        try:
            detail = json.loads(text).get("detail", text)
        except (ValueError, AttributeError):
            detail = text
        raise ApproveError(f"the gate answered {status}: {_one_line(str(detail))}")
    return 0


#: The longest detail a refusal's line carries (the whole answer is on standard output).
DETAIL_CHARS = 300


def _one_line(detail: str) -> str:
    """``detail`` as one line (a proxy's HTML page, a detail of several lines: review22):
    its whitespace runs one space, cut at DETAIL_CHARS."""
    line = " ".join(detail.split())
    return line if len(line) <= DETAIL_CHARS else line[: DETAIL_CHARS - 3] + "..."


#: What ``gate callback`` sends: the office's three callbacks (README "What goes over the wire").
CALLBACKS = ("approvals", "licences", "clearances")


def cmd_callback(args: argparse.Namespace) -> int:
    """``gate callback KIND FILE``: a body written by hand (a standing licence, a clearance,
    an approval), checked to be a JSON object, signed and sent as ``gate approve`` sends."""
    try:
        text = sys.stdin.read() if args.body == "-" else Path(args.body).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not a UTF-8 text file"
        raise ApproveError(f"{args.body}: {why}") from exc
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ApproveError(f"{args.body}: not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ApproveError(f"{args.body}: a callback's body is a JSON object")
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return post_signed(args, args.kind, body)


def _signing(p: Any) -> None:
    p.add_argument(
        "--key-file",
        help="the office's whsk_ ed25519 key (v1a); without it: v1 with callback_secret,"
        " only for a gate with no callback_public_key",
    )
    p.add_argument("--webhook-id", help="message id (default: random); reuse it to test replay")


def add_parser(commands: Any, with_config: Any) -> None:
    text = "sign and send an approval or denial callback to a gate (as the central office)"
    p = commands.add_parser("approve", help=text, description=text)
    p.set_defaults(run=cmd_approve)
    with_config(p)
    p.add_argument("--request", required=True, help="the licence request_id being answered")
    p.add_argument("--shipment", required=True, help="the shipment id")
    p.add_argument("--deny", action="store_true", help="deny (final for the lines) instead")
    p.add_argument("--licence", help="licence number (approvals)")
    p.add_argument("--valid-until", help="licence end, RFC 3339 (default: midnight UTC in 30 days)")
    p.add_argument(
        "--line", action="append", metavar="KEY=QTY", help="approve only these lines/quantities"
    )
    p.add_argument("--reason", help="free text for the gate's journal")
    _signing(p)
    p.add_argument("--url", help="approvals URL (default: the config's gate)")
    text = "sign and send a callback body from a file to a gate (as the central office)"
    p = commands.add_parser("callback", help=text, description=text)
    p.set_defaults(run=cmd_callback)
    with_config(p)
    p.add_argument("kind", choices=CALLBACKS, help="the gate's endpoint: /api/v1/KIND")
    p.add_argument("body", metavar="FILE", help="the JSON body ('-': standard input)")
    _signing(p)
    p.add_argument("--url", help="the endpoint's URL (default: the config's gate)")
