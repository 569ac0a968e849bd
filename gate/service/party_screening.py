"""What the decisions need from the live screening lists (DESIGN.md 2.1, 2.3): each party's
hits and each list's date. The core never screens: the docks call ``screened`` before every
decision that may change a party's hits (creation, a PATCH, a list reload, a clearance, the
review timer) and pass the hits in through ``Shipment.screening``; ``list_dates`` goes into
``ControlDates`` so row 12 reads each list's age like the control list's.

Fail closed. While the lists are not loaded (``ScreeningUnavailable``) a shipment keeps the
hits it had for the parties it still has (a sanctioned party stays prohibited across a
restart), and every list not loaded has no date, so row 12 (``stale_data``) holds every line:
nothing clears on a screening that did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from gate.config.lists import ListConfig
from gate.core.facts import FUTURE_SLACK, ListDate
from gate.core.hits import PartyHits
from gate.core.parties import Party
from gate.core.screening import Party as ScreenedParty
from gate.core.shipment_values import Shipment, evolve
from gate.service.screening import ScreeningState, ScreeningUnavailable
from gate.storage.shipment_codec import screening_json


def _query(party: Party) -> ScreenedParty:
    """A shipment's party as the matcher takes it: name, country, identifiers (values, and
    with their schemes for clearances)."""
    values = tuple(value for _, value in party.ids)
    return ScreenedParty(party.name, party.country, values, schemes=tuple(party.ids))


def party_hits(state: ScreeningState | None, shipment: Shipment) -> tuple[PartyHits, ...]:
    """Every party of ``shipment`` (consignee first) with its hits on the live lists,
    clearances applied. Without lists (none wired, or ``ScreeningUnavailable``), the hits the
    shipment last had for a party it still has. Raises what the matcher raises otherwise."""
    parties = shipment.context.all_parties
    if state is not None:
        try:
            return tuple(PartyHits(p, state.screen(_query(p))) for p in parties)
        except ScreeningUnavailable:
            pass
    known = {found.party: found for found in shipment.screening}
    return tuple(known.get(p, PartyHits(p)) for p in parties)


def screened(state: ScreeningState | None, shipment: Shipment) -> Shipment:
    """``shipment`` with its parties' hits as ``party_hits`` finds them (itself if unchanged)."""
    hits = party_hits(state, shipment)
    return shipment if hits == shipment.screening else evolve(shipment, screening=hits)


def hits_record(before: Shipment | None, after: Shipment) -> dict[str, Any]:
    """What a change's journal record says about the parties' hits: every party with its hits
    (DESIGN.md's ``screening``) when they are new or changed, else nothing."""
    if before is not None and before.screening == after.screening:
        return {}
    return {"screening": screening_json(after.screening)}


def list_dates(
    state: ScreeningState | None, lists: Sequence[ListConfig], now: dt.datetime
) -> tuple[ListDate, ...]:
    """Each configured list's date for row 12: its data's own date, else its configured
    ``published``; ``None`` (stale) while it is not loaded or when dated beyond
    ``FUTURE_SLACK`` ahead of ``now`` (a wrong date, not a fresh list)."""
    return list_dates_until(state, lists, now)[0]


def list_dates_until(
    state: ScreeningState | None, lists: Sequence[ListConfig], now: dt.datetime
) -> tuple[tuple[ListDate, ...], dt.datetime | None]:
    """``list_dates`` and the instant before which they stay the same for the same ``state``
    and its data (``None``: until the data changes): a date refused as too far ahead turns
    good once ``now`` is within ``FUTURE_SLACK`` of it, and nothing else here moves with
    the clock."""
    dates = []
    turns = []
    for item in lists:
        dated = None if state is None else state.published(item.name)
        if dated is not None and dated - now > FUTURE_SLACK:
            turns.append(dated - FUTURE_SLACK)
            dated = None
        dates.append(ListDate(item.name, dated, item.max_age_hours / 24))
    return tuple(dates), min(turns, default=None)
