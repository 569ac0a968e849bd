"""The central office's signed callbacks: ``POST /api/v1/approvals`` and ``/licences``.

They authenticate by signature alone (Standard Webhooks over the raw body bytes: v1a by the
office's ed25519 key when ``callback_public_key`` is configured, and then only v1a; v1 with the
shared ``callback_secret`` when it is not; JSON or msgpack as the content type says; the answer
in msgpack when the office accepts it).
Order of checks, each answering with a problem and changing nothing: body size, signature
and timestamp, replay (a ``webhook-id`` seen before is answered as it was then if the body is
the same, refused if it differs), body shape, then the change itself. The webhook id is stored
in the transaction that applies the change, and kept for 30 days, so a redelivery is applied
once. Callbacks are applied one at a time.

The body is read whole before it is verified (``gate.web.bodies.read_whole``): a single read
of the stream returns what has arrived so far, and a signature over part of a body that came
in several TCP segments fails. Times are read from the docks' clock, the one the decisions use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import reprlib
import sqlite3
from collections.abc import Callable
from typing import Any

import msgpack
from aiohttp import web

from gate.config.settings import Config
from gate.core.licences import Approval, StandingLicence
from gate.core.shipment_values import Shipment
from gate.core.signatures import SignatureError, Verifier, parse_public_key, parse_secret
from gate.errors import GateError, InvalidApproval, LicenceError
from gate.web import app_keys
from gate.web.bodies import (
    Check,
    array,
    boolean,
    country,
    ident,
    ids,
    integer,
    obj,
    read_whole,
    string,
    validate,
    validate_text,
)
from gate.web.negotiation import MSGPACK, respond
from gate.web.problems import Problem
from gate.web.shipment_docs import to_doc

WEBHOOK_RETENTION_DAYS = 30
MAX_CALLBACK_BYTES = 256 * 1024
#: Times a callback may carry, in UTC: beyond these, storage (ISO text) and the arithmetic
#: on them (a review timer, an age) would overflow ``datetime``, so they are refused at the
#: door instead of failing after part of the change.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)

APPROVAL = obj(
    {
        # ``<shipment id>-r<n>@<gate id>``: 64 + 64 and the rest (gate.core.shipments).
        "request_id": (ident(160), True),
        "shipment_id": (ident(64), True),
        "decision": (string(16), True),
        "lines": (
            array(
                obj({"key": (ident(32), True), "quantity": (integer(1, 10**9), True)}),
                max_items=1000,
                optional=True,
            ),
            False,
        ),
        "licence": (
            obj({"number": (ident(64), True), "valid_until": (string(40), True)}, optional=True),
            False,
        ),
        "reason": (string(2000, optional=True), False),
        "gate_id": (ident(64), False),
    }
)

LICENCE = obj(
    {
        "number": (ident(64), True),
        "consignee": (
            obj(
                {
                    "name": (string(200), True),
                    "country": (country(), True),
                    "ids": (ids(), False),
                }
            ),
            True,
        ),
        "destination": (country(), True),
        "controls": (array(string(32), max_items=500), True),
        "quantity": (integer(0, 10**9), True),
        "valid_from": (string(40), True),
        "valid_until": (string(40), True),
        "category_1": (boolean(), False),
        "gate_id": (ident(64), False),
    }
)


def verifier(config: Config) -> Verifier:
    """What the office's callbacks are verified with: its ed25519 key alone (v1a) when one is
    configured, else the shared secret (v1). Never both: the ``whsec_`` secret sits on every
    gate of a fleet (and on whatever talks to them), while only the office holds the private
    key, so a v1 signature taken beside the key would let anyone with a gate's config sign
    approvals, licences and clearances the key was configured to keep to the office."""
    c = config.central
    if c.callback_public_key is not None:
        return Verifier(public_key=parse_public_key(c.callback_public_key))
    return Verifier(secret=parse_secret(c.callback_secret))


def _instant(text: str, field: str) -> dt.datetime:
    """The time ``text`` gives, with its offset. Raises Problem 400 if it is not an RFC 3339
    time with an offset, or falls outside EARLIEST..LATEST."""
    try:
        # RFC 3339 5.6: "T" and "Z" may be written in lower case.
        moment = dt.datetime.fromisoformat(text.upper())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = "must be an RFC 3339 time with an offset"
    else:
        try:
            utc = moment.astimezone(dt.UTC)
        except OverflowError:
            utc = None
        if utc is not None and EARLIEST <= utc < LATEST:
            return moment
        message = f"must be from {EARLIEST.year} to before {LATEST.year}"
    raise Problem(
        400,
        "invalid-fields",
        "Invalid fields",
        f"{field} {message}",
        errors=[{"field": field, "message": message}],
    )


async def _verified(request: web.Request) -> tuple[str, bytes, str]:
    """Reads and verifies a callback; returns (webhook id, raw body, body hash)."""
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        raise Problem(413, "too-large", "Request too large", "callbacks are limited to 256 KiB")
    raw = await read_whole(request, request.app[app_keys.SERVER_LIMITS].body_seconds)
    if len(raw) > MAX_CALLBACK_BYTES:
        raise Problem(413, "too-large", "Request too large", "callbacks are limited to 256 KiB")
    now = request.app[app_keys.DOCKS].clock()
    try:
        msg_id, scheme = request.app[app_keys.VERIFIER].verify(
            request.headers, raw, now.timestamp()
        )
    except SignatureError as exc:
        raise Problem(401, "bad-signature", "Signature not accepted", str(exc)) from exc
    request[app_keys.ACTOR] = f"central ({scheme})"
    return msg_id, raw, hashlib.sha256(raw).hexdigest()


async def _replayed(request: web.Request, msg_id: str, body_hash: str) -> web.Response | None:
    def read(conn: sqlite3.Connection) -> tuple[str, int, str] | None:
        row = conn.execute(
            "SELECT body_hash, status, answer FROM webhook_ids WHERE id = ?", (msg_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    seen = await request.app[app_keys.DOCKS].store.read(read)
    if seen is None:
        return None
    if seen[0] != body_hash:
        raise Problem(
            409,
            "webhook-id-reused",
            "Webhook id reused",
            f"webhook-id {msg_id} was delivered before with a different body",
        )
    answer = respond(request, json.loads(seen[2]), status=seen[1])
    answer.headers["X-Gate-Replay"] = "true"
    return answer


def _remember(
    msg_id: str, body_hash: str, status: int, answer: dict[str, Any], now: dt.datetime
) -> Callable[[sqlite3.Connection], None]:
    text = json.dumps(answer)

    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO webhook_ids (id, body_hash, status, answer, received_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (msg_id, body_hash, status, text, now.isoformat()),
        )
        conn.execute(
            "DELETE FROM webhook_ids WHERE received_at < ?",
            ((now - dt.timedelta(days=WEBHOOK_RETENTION_DAYS)).isoformat(),),
        )

    return write


def _unique(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A map of ``pairs``; raises ValueError for a key given twice. Signed bytes with two
    readings settle nothing: parsers differ on which value counts (I-JSON, RFC 7493,
    forbids it), so ``"decision"`` twice, ``denied`` then ``approved``, released the hold
    where the office's records of the same bytes could say denied (attack17)."""
    unique: dict[Any, Any] = {}
    for key, value in pairs:
        if key in unique:
            raise ValueError(f"the key {reprlib.repr(key)} is given twice")
        unique[key] = value
    return unique


def _decoded(request: web.Request, raw: bytes) -> Any:
    """The verified body, as msgpack when it says it is (DESIGN.md 4: msgpack is accepted
    wherever JSON is), else as JSON: an office that sends no content type sends JSON. A map
    that gives a key twice is refused (``_unique``)."""
    as_msgpack = request.content_type == MSGPACK
    try:
        if as_msgpack:
            return msgpack.unpackb(raw, raw=False, strict_map_key=True, object_pairs_hook=_unique)
        return json.loads(raw, object_pairs_hook=_unique)
    except (ValueError, msgpack.UnpackException, TypeError, RecursionError) as exc:
        kind = "msgpack" if as_msgpack else "JSON"
        raise Problem(
            400, "malformed-body", "Malformed body", f"the body is not valid {kind}: {exc}"
        ) from exc


async def _received(request: web.Request, shape: Check) -> tuple[str, str, Any] | web.Response:
    """Verifies a callback and checks its body: (webhook id, body hash, body), or the answer
    given before when it is a redelivery. Raises Problem for anything wrong."""
    msg_id, raw, body_hash = await _verified(request)
    replay = await _replayed(request, msg_id, body_hash)
    if replay is not None:
        return replay
    body = _decoded(request, raw)
    validate(body, shape)
    validate_text(body, multiline=("body.reason",))
    _for_this_gate(request, body)
    return msg_id, body_hash, body


def _for_this_gate(request: web.Request, body: dict[str, Any]) -> None:
    """Refuses (409, nothing changes) a callback that names another gate. The office knows
    each request's gate (``gate_id`` in every licence request) and may bind its answer and
    its pushes to it. An approval that names none is still this gate's only if its request
    id is (``<shipment id>-r<n>@<gate id>``, checked as it is applied); a licence push that
    names none is taken by every gate that trusts the same key."""
    named = body.get("gate_id")
    own = request.app[app_keys.CONFIG].gate_id
    if named is not None and named != own:
        raise Problem(
            409,
            "wrong-gate",
            "Meant for another gate",
            f"this callback is for gate {named!r}, and this is gate {own!r}: nothing changed",
        )


async def post_approval(request: web.Request) -> web.StreamResponse:
    """The office answers a licence request: approved (with licence) or denied."""
    docks = request.app[app_keys.DOCKS]
    async with docks.callbacks:
        received = await _received(request, APPROVAL)
        if isinstance(received, web.Response):
            return received
        msg_id, body_hash, body = received
        licence = body.get("licence")
        try:
            approval = Approval(
                request_id=body["request_id"],
                shipment_id=body["shipment_id"],
                decision=body["decision"],
                lines=None
                if body.get("lines") is None
                else tuple((x["key"], x["quantity"]) for x in body["lines"]),
                licence_number=None if licence is None else licence["number"],
                valid_until=None
                if licence is None
                else _instant(licence["valid_until"], "licence.valid_until"),
                reason=body.get("reason") or "",
            )
        except InvalidApproval as exc:
            raise Problem(400, "invalid-approval", "Invalid approval", str(exc)) from exc
        if approval.shipment_id not in docks.shipments:
            raise Problem(404, "not-found", "Not found", f"no shipment {approval.shipment_id!r}")
        now = docks.clock()

        def remember(decided: Shipment) -> Callable[[sqlite3.Connection], None]:
            # The answer a redelivery will get, from the shipment the approval brought: stored
            # in the same transaction as the change.
            return _remember(msg_id, body_hash, 200, _approval_answer(approval, decided), now)

        shipment = await docks.apply_approval(approval, remember)
        return respond(request, _approval_answer(approval, shipment))


def _approval_answer(approval: Approval, shipment: Shipment) -> dict[str, Any]:
    """What the office is answered for an applied approval (and again on a redelivery)."""
    doc = to_doc(shipment)
    return {
        "applied": True,
        "request_id": approval.request_id,
        "decision": approval.decision.value,
        "shipment": {"id": doc["id"], "state": doc["state"], "signal": doc["signal"]},
    }


async def post_licence(request: web.Request) -> web.StreamResponse:
    """The office pushes (or replaces) a standing licence."""
    docks = request.app[app_keys.DOCKS]
    async with docks.callbacks:
        received = await _received(request, LICENCE)
        if isinstance(received, web.Response):
            return received
        msg_id, body_hash, body = received
        try:
            pushed = StandingLicence.issued(
                body["number"],
                consignee_name=body["consignee"]["name"],
                consignee_country=body["consignee"]["country"],
                consignee_ids=tuple(sorted((body["consignee"].get("ids") or {}).items())),
                category_1=body.get("category_1", False),
                destination=body["destination"],
                controls=body["controls"],
                quantity=body["quantity"],
                valid_from=_instant(body["valid_from"], "valid_from"),
                valid_until=_instant(body["valid_until"], "valid_until"),
                # Verified within the tolerance by ``_received``: an integer.
                signed_at=int(request.headers["webhook-timestamp"]),
            )
        except (LicenceError, GateError) as exc:
            # The field at fault, as the body names it (InvalidCountry and LicenceError say).
            field = getattr(exc, "field", None)
            errors = [{"field": field, "message": str(exc)}] if isinstance(field, str) else None
            raise Problem(
                400, "invalid-licence", "Invalid licence", str(exc), errors=errors
            ) from exc
        answer = {"stored": True, "number": pushed.number}
        await docks.push_licence(pushed, _remember(msg_id, body_hash, 200, answer, docks.clock()))
        return respond(request, answer)
