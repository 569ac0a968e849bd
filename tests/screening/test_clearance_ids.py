"""A clearance's identifiers: with a scheme they cover that scheme only; without, the value
under any scheme; and they read back as the office sent them."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core.hits import Hit, HitAction
from gate.core.screening import Party
from gate.core.screening.clearances import Clearance, cleared_ids, ids_doc

HIT = Hit("notices", "E-1", "v1", "Orbital Tradewinds LLC", 0.97, HitAction.LICENCE, "name")
AT = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def clearance(ids: object) -> Clearance:
    return Clearance("notices", "E-1", "v1", "Orbital", "US", cleared_ids(ids), AT)


def party(*schemes: tuple[str, str]) -> Party:
    return Party("Orbital", "US", tuple(v for _, v in schemes), schemes)


@pytest.mark.parametrize(
    ("ids", "who", "covered"),
    [
        ({"vat": "DE 123-45"}, party(("vat", "de12345")), True),
        ({"VAT": "DE12345"}, party(("vat", "DE12345")), True),  # schemes compare folded
        ({"vat": "DE12345"}, party(("lei", "DE12345")), False),  # the same value, another scheme
        ({"vat": "DE12345"}, Party("Orbital", "US", ("DE12345",)), False),  # the party's: none
        (["DE12345"], party(("lei", "DE12345")), True),  # the office named no scheme
        (["DE12345"], Party("Orbital", "US", ("DE12345",)), True),
        ({"vat": "DE12345"}, Party("Orbital", "US"), False),  # ids on one side only
        ([], Party("Orbital", "US", ("DE12345",)), False),
    ],
)
def test_a_clearance_covers_an_identifier_under_its_own_scheme(
    ids: object, who: Party, covered: bool
) -> None:
    """Which party a clearance's identifiers cover."""
    assert covered == clearance(ids).covers(HIT, who)


def test_identifiers_read_back_as_the_office_sent_them() -> None:
    """An object stays an object (schemes folded), a list stays a list."""
    assert {"vat": "DE1", "lei": "L2"} == ids_doc(cleared_ids({"VAT": "DE1", "lei": "L2"}))
    assert ["DE1", "L2"] == ids_doc(cleared_ids(["DE1", "L2"]))
    assert [] == ids_doc(cleared_ids(None))


def test_identifiers_of_another_shape_are_refused() -> None:
    """Identifiers that are neither an object nor a list, or not text, raise ValueError."""
    for bad in ("DE1", 7, {"vat": 7}, [None]):
        with pytest.raises(ValueError, match=r"identifier|ids"):
            cleared_ids(bad)
