"""Request bodies: JSON or msgpack in, checked against a shape, field errors out.

A body is read whole before any handler runs (``body_middleware``: aiohttp enforces
``client_max_size`` while reading, the middleware a deadline, so a body trickled a byte at a
time is a 408, not a held connection), and handlers only ever see all of it: a single read of
the stream returns what has arrived so far, which on a real network is a part. It is parsed
by the content type; anything that does not fit the shape is one 400 problem listing every
field that is wrong, so nothing is half-applied.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import msgpack
from aiohttp import web
from aiohttp.typedefs import Middleware

from gate.errors import GateError
from gate.service.input_checks import check_text, storable
from gate.web.negotiation import MSGPACK
from gate.web.problems import Problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_middleware(
    seconds: float, admits: Callable[[web.Request, float], float | None] | None = None
) -> Middleware:
    """A middleware that reads each request's whole body, within ``seconds``, before its
    handler; the handler's ``request.read()`` then returns it from memory. With ``admits``
    (the request and ``seconds`` in, the seconds its body may take out, or None), a body is
    read only from a request it admits: any other is answered 401 at once and its connection
    closed, so that nobody without a credential can hold a connection open by sending a body
    slowly.

    Raises Problem 401 (not admitted), 408 (not whole in time), 413 (over
    ``client_max_size``) or 400 (the body's framing is broken).
    """

    @web.middleware
    async def read_first(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists:
            allowed = seconds if admits is None else admits(request, seconds)
            if allowed is None:
                raise Problem(
                    401,
                    "unauthorized",
                    "Unauthorized",
                    "a request with a body needs a valid bearer token, operator or session",
                    headers={"Connection": "close", "WWW-Authenticate": 'Bearer realm="gate"'},
                )
            await read_whole(request, allowed)
        return await handler(request)

    return read_first


async def read_whole(request: web.Request, seconds: float) -> bytes:
    """The request's whole body (read once; later calls return it). See ``body_middleware``."""
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError as exc:
        raise Problem(
            408,
            "body-timeout",
            "Request body too slow",
            f"the body did not arrive whole within {seconds:g} s",
            headers={"Connection": "close"},
        ) from exc
    except web.HTTPRequestEntityTooLarge as exc:
        raise Problem(
            413, "too-large", "Request too large", exc.text or "the body is too large"
        ) from exc
    except web.RequestPayloadError as exc:
        raise Problem(
            400, "malformed-body", "Malformed body", f"the body could not be read: {exc}"
        ) from exc


async def read_body(request: web.Request) -> Any:
    """The parsed body. Raises Problem 413 (too large), 415 (type), 400 (malformed)."""
    ctype = request.content_type
    if ctype not in ("application/json", MSGPACK):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send application/json or {MSGPACK}, not {ctype or 'nothing'}",
        )
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise Problem(
            413, "too-large", "Request too large", exc.text or "the body is too large"
        ) from exc
    if not raw:
        raise Problem(400, "malformed-body", "Malformed body", "the body is empty")
    try:
        if ctype == MSGPACK:
            return msgpack.unpackb(raw, raw=False, strict_map_key=True)
        return json.loads(raw)
    except (ValueError, msgpack.UnpackException, TypeError, RecursionError) as exc:
        kind = "msgpack" if ctype == MSGPACK else "JSON"
        raise Problem(
            400, "malformed-body", "Malformed body", f"the body is not valid {kind}: {exc}"
        ) from exc


Check = Callable[[Any, str, list[dict[str, str]]], None]


def _err(errors: list[dict[str, str]], path: str, message: str) -> None:
    errors.append({"field": path, "message": message})


def string(max_len: int = 256, optional: bool = False) -> Check:
    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip():
            _err(errors, path, "must be a non-empty string")
        elif len(value) > max_len:
            _err(errors, path, f"must be at most {max_len} characters")

    return check


def text(max_len: int = 256) -> Check:
    """``string`` that can also be stored: for fields that reach no other check of their
    text before they are used (a lone surrogate is refused here, naming the field)."""
    plain = string(max_len)

    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        before = len(errors)
        plain(value, path, errors)
        if len(errors) == before and not storable(value):
            _err(errors, path, "is not valid text (a lone surrogate)")

    return check


def country() -> Check:
    """A country field: text of a sensible length here; whether it is an assigned ISO 3166-1
    alpha-2 code is the core's call (``invalid-country``, naming the field and the form), so
    "Germany" is told what form the field takes rather than that it is too long."""

    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            _err(errors, path, "must be an ISO 3166-1 alpha-2 country code, such as 'DE'")

    return check


def ident(max_len: int = 64) -> Check:
    """An identifier (a licence number, a shipment or request id): a non-empty string of
    printable characters without ``|``, which the audit journal's hash preimage uses as its
    separator. Control characters, lone surrogates and bidirectional overrides are not
    printable, so they are refused too."""

    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if not isinstance(value, str) or not value.strip():
            _err(errors, path, "must be a non-empty string")
        elif len(value) > max_len:
            _err(errors, path, f"must be at most {max_len} characters")
        elif not value.isprintable() or "|" in value:
            _err(errors, path, "must be printable characters other than '|'")

    return check


def integer(minimum: int = 1, maximum: int = 10**9) -> Check:
    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if type(value) is not int or not minimum <= value <= maximum:
            _err(errors, path, f"must be an integer from {minimum} to {maximum}")

    return check


def boolean() -> Check:
    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if type(value) is not bool:
            _err(errors, path, "must be true or false")

    return check


def array(item: Check, max_items: int = 1000, optional: bool = False) -> Check:
    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if value is None and optional:
            return
        if not isinstance(value, list):
            _err(errors, path, "must be a list")
            return
        if len(value) > max_items:
            _err(errors, path, f"must have at most {max_items} items")
            return
        for i, x in enumerate(value):
            item(x, f"{path}[{i}]", errors)

    return check


def obj(fields: dict[str, tuple[Check, bool]], optional: bool = False) -> Check:
    """An object with exactly these fields (name -> (check, required)); others are errors."""

    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dict):
            _err(errors, path or "body", "must be an object")
            return
        for name in value:
            if name not in fields:
                _err(errors, f"{path}.{name}" if path else str(name), "unknown field")
        for name, (field_check, required) in fields.items():
            where = f"{path}.{name}" if path else name
            if name not in value:
                if required:
                    _err(errors, where, "is required")
                continue
            field_check(value[name], where, errors)

    return check


def ids(max_items: int = 8) -> Check:
    """A party's identifiers: an object of scheme -> value (``{"lei": "...", "vat": "..."}``);
    which schemes are known is the core's call (``gate.core.parties.ID_SCHEMES``)."""

    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if value is None:
            return
        if not isinstance(value, dict) or len(value) > max_items:
            _err(errors, path, f"must be an object of at most {max_items} identifiers")
            return
        for scheme, text in value.items():
            if not isinstance(scheme, str) or not storable(scheme):
                _err(errors, path, "must name each identifier's scheme as text")
                return
            string(64)(text, f"{path}.{scheme}", errors)

    return check


def validate(value: Any, shape: Check) -> None:
    """Raises one Problem 400 listing every field error."""
    errors: list[dict[str, str]] = []
    shape(value, "", errors)
    if errors:
        raise Problem(
            400,
            "invalid-fields",
            "Invalid fields",
            f"{len(errors)} field(s) are wrong: "
            + "; ".join(f"{e['field']} {e['message']}" for e in errors[:5]),
            errors=errors,
        )


def validate_text(body: Any, multiline: Collection[str] = ()) -> None:
    """Raises one Problem 400 for text in ``body`` that cannot be stored or would display
    otherwise than it is stored (``check_text``: control characters, bidirectional and
    invisible marks, lone surrogates; tabs and line breaks outside the ``multiline`` paths,
    such as ``"body.note"``). For bodies no core check reads as text: an operator's note, the
    office's approval reason and licence (attack19: a lone surrogate in a note answered 500,
    an escape sequence in a reason was journaled)."""
    try:
        check_text(body, "body", GateError, multiline)
    except GateError as exc:
        raise Problem(400, "invalid-fields", "Invalid fields", str(exc)) from exc


PARTY = obj(
    {
        "role": (string(32), True),
        "name": (string(200), True),
        "country": (country(), True),
        "ids": (ids(), False),
    }
)
CONSIGNEE = obj({"name": (string(200), True), "country": (country(), True), "ids": (ids(), False)})
#: What ``PATCH /shipments/{id}`` may change before seal (DESIGN.md section 4).
AMENDABLE = {
    "parties": (array(PARTY, max_items=20, optional=True), False),
    "end_use": (string(200, optional=True), False),
    "end_use_codes": (array(string(32), max_items=20, optional=True), False),
    "transit": (array(country(), max_items=20, optional=True), False),
}
SHIPMENT_PATCH = obj(AMENDABLE)

SHIPMENT = obj(
    {
        "id": (string(64), True),
        "door": (string(64), True),
        "destination": (country(), True),
        "consignee": (CONSIGNEE, True),
        **AMENDABLE,
        "manifest": (
            array(
                obj(
                    {
                        "sscc": (string(18), True),
                        "contents": (
                            array(
                                obj(
                                    {
                                        "gtin": (string(14), True),
                                        "quantity": (integer(1, 10**7), True),
                                        "serials": (
                                            array(string(64), 100_000, optional=True),
                                            False,
                                        ),
                                    }
                                ),
                                max_items=1000,
                            ),
                            True,
                        ),
                    }
                ),
                max_items=5000,
                optional=True,
            ),
            False,
        ),
    }
)

#: ``POST /doors/{door}/acknowledge``: the count of empty windows the operator saw (the hold's
#: ``windows``); a window that came since refuses it (409, gate.service.door_holds).
DOOR_ACKNOWLEDGE = obj(
    {"windows": (integer(1, 10**9), True), "note": (string(500, optional=True), False)}
)
