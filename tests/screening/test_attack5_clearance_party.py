"""A clearance covers the party it names and no other: a listed entity that quotes the cleared
company's public identifier, in another country or under its own listed name, is still a hit."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core.hits import Hit, HitAction
from gate.core.screening import Party
from gate.core.screening.clearances import Clearance, cleared_ids

HIT = Hit("ofac-sdn", "18782", "v1", "ROSOBORONEXPORT JSC", 0.93, HitAction.PROHIBIT, "name")
AT = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
LEI = "529900T8BM49AURSDO55"
CLEARED = Clearance(
    "ofac-sdn", "18782", "v1", "Rosoboronexport Services GmbH", "DE", cleared_ids({"lei": LEI}), AT
)


def party(name: str, country: str, lei: str | None = LEI) -> Party:
    if lei is None:
        return Party(name, country)
    return Party(name, country, (lei,), (("lei", lei),))


@pytest.mark.parametrize(
    ("who", "covered"),
    [
        (party("Rosoboronexport Services GmbH", "DE"), True),  # the company the office cleared
        (party("ROSOBORONEXPORT SERVICES", "DE"), True),  # the same name as screening folds it
        (party("Rosoboronexport", "AE"), False),  # the listed entity abroad with the LEI
        (party("Rosoboronexport Services GmbH", "AE"), False),  # another country
        (party("Rosoboronexport", "DE"), False),  # the listed name, same country, same LEI
        (party("Rosoboronexport Services GmbH", "DE", "529900AAAAAAAAAAAA00"), False),
    ],
)
def test_a_clearance_with_an_identifier_covers_only_its_party(who: Party, covered: bool) -> None:
    """An identifier alone does not carry a clearance to another name or country."""
    assert covered == CLEARED.covers(HIT, who)
