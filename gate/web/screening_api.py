"""``POST /screen``, ``GET /lists`` and ``POST/GET /clearances`` (DESIGN 2.1 and 4).

``POST /screen`` lets the WMS (or an operator) check one party before it books a shipment;
clearances already given are applied. While the lists are not loaded the answer is a 503
problem, never an empty list of hits: "no hit" must mean "screened and found nothing".

``POST /clearances`` is the central office's, signed and checked exactly like its approval
callbacks (the same verifier, the same replay store, one callback at a time): nobody at the
gate can clear a hit, so no bearer token is accepted for it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gate.core.access import Action
from gate.core.countries import ISO_3166_ALPHA2
from gate.core.screening import Hit, Party
from gate.core.screening.clearances import Clearance, cleared_ids
from gate.service.data_ages import lists_doc
from gate.service.screening import ScreeningState, ScreeningUnavailable
from gate.web import app_keys
from gate.web.bodies import Check, ident, obj, read_body, text, validate
from gate.web.callbacks import _received, _remember
from gate.web.negotiation import respond
from gate.web.problems import Problem

MAX_IDS = 20


def _country(optional: bool) -> Check:
    def check(value: Any, path: str, errors: list[dict[str, str]]) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or value not in ISO_3166_ALPHA2:
            errors.append({"field": path, "message": "must be an ISO 3166-1 alpha-2 code"})

    return check


def _ids(value: Any, path: str, errors: list[dict[str, str]]) -> None:
    """Identifiers (LEI, EORI, VAT, ...): a list of values, or an object of kind -> value."""
    if value is None:
        return
    if isinstance(value, dict) and not all(
        isinstance(key, str) and key.isprintable() for key in value
    ):
        errors.append({"field": path, "message": "must name each id's kind as text"})
        return
    values = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(values, list) or len(values) > MAX_IDS:
        errors.append(
            {"field": path, "message": f"must be a list (or object) of at most {MAX_IDS} ids"}
        )
        return
    for i, item in enumerate(values):
        if not isinstance(item, str) or not item.strip() or len(item) > 64:
            errors.append({"field": f"{path}[{i}]", "message": "must be a string of 1-64"})
        elif not item.isprintable():
            errors.append({"field": f"{path}[{i}]", "message": "must be printable text"})


def _party_shape(country_required: bool) -> Check:
    return obj(
        {
            "name": (text(200), True),
            "country": (_country(optional=not country_required), country_required),
            "ids": (_ids, False),
        }
    )


SCREEN = _party_shape(country_required=False)
CLEARANCE = obj(
    {
        "party": (_party_shape(country_required=True), True),
        "list": (ident(32), True),
        "entry": (ident(64), True),
        "version": (ident(64), True),
    }
)


def _id_values(ids: Any) -> tuple[str, ...]:
    if ids is None:
        return ()
    return tuple(ids.values() if isinstance(ids, dict) else ids)


def _screening(request: web.Request) -> ScreeningState:
    return request.app[app_keys.SCREENING]


def hit_doc(hit: Hit) -> dict[str, Any]:
    """A hit as DESIGN 4's screen answer shows it."""
    return {
        "list": hit.list,
        "entry": hit.entry,
        "version": hit.version,
        "name": hit.name,
        "score": hit.score,
        "action": hit.action,
        "explanation": hit.explanation,
    }


async def post_screen(request: web.Request) -> web.Response:
    """Screens one party {name, country?, ids?}: every hit, clearances applied."""
    request[app_keys.ACTOR] = (
        request.app[app_keys.CLIENTS].authenticate(request, Action.SCREEN).name
    )
    body = await read_body(request)
    validate(body, SCREEN)
    ids = body.get("ids")
    schemes = tuple(ids.items()) if isinstance(ids, dict) else ()
    party = Party(body["name"], body.get("country"), _id_values(ids), schemes)
    try:
        hits = _screening(request).screen(party)
    except ScreeningUnavailable as exc:
        raise Problem(503, "screening-unavailable", "Screening not available", str(exc)) from exc
    return respond(
        request,
        {
            "party": {"name": party.name, "country": party.country, "ids": body.get("ids")},
            "hits": [hit_doc(h) for h in hits],
        },
    )


async def get_lists(request: web.Request) -> web.Response:
    """Each data source: the configured screening lists (format, action, entries, names,
    published, age, max age, fresh), the gate's own denial notices, and the control list's
    Annex edition with its age (DESIGN 2.3: every age from a date inside the data)."""
    request[app_keys.ACTOR] = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    docks = request.app[app_keys.DOCKS]
    now = docks.clock()
    sources = lists_doc(docks.config, docks.policy, docks.data_dates(), now)
    reference = request.app.get(app_keys.REFERENCE)
    return respond(
        request,
        {
            "lists": [*_screening(request).status_docs(now), *sources["lists"]],
            "control_list": sources["control_list"],
            # The office's signed bundle the data comes from, and the last refusal (None:
            # local files, never refused).
            "bundle": reference.status_doc() if reference is not None else sources["bundle"],
        },
    )


async def post_clearance(request: web.Request) -> web.StreamResponse:
    """The office clears a false positive: that entry, at that version, for that party."""
    docks = request.app[app_keys.DOCKS]
    screening = _screening(request)
    async with docks.callbacks:
        received = await _received(request, CLEARANCE)
        if isinstance(received, web.Response):
            return received
        msg_id, body_hash, body = received
        if body["list"] not in screening.configs:
            raise Problem(
                400,
                "invalid-clearance",
                "Invalid clearance",
                f"no list {body['list']!r} is configured "
                f"(lists: {', '.join(screening.configs) or 'none'})",
                errors=[{"field": "list", "message": "is not a configured list"}],
            )
        party = body["party"]
        now = docks.clock()
        clearance = Clearance(
            list=body["list"],
            entry=body["entry"],
            version=body["version"],
            name=party["name"],
            country=party["country"],
            ids=cleared_ids(party.get("ids")),
            cleared_at=now,
            webhook_id=msg_id,
        )
        current = screening.entry_version(clearance.list, clearance.entry)
        answer = {
            "stored": True,
            "clearance": clearance.doc(),
            # False when the entry is not (or no longer) at this version: nothing is stopped.
            "active": current == clearance.version,
        }
        await screening.add_clearance(clearance, _remember(msg_id, body_hash, 200, answer, now))
        return respond(request, answer)


async def list_clearances(request: web.Request) -> web.Response:
    """Every clearance the office has given, oldest first, each marked active or not."""
    request[app_keys.ACTOR] = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    screening = _screening(request)
    docs = []
    for clearance in screening.book.all():
        current = screening.entry_version(clearance.list, clearance.entry)
        docs.append({**clearance.doc(), "active": current == clearance.version})
    return respond(request, {"clearances": docs})
