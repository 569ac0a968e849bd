"""Standing licences under rules v2: never Category I unless ``category_1``; never a line held
for listed_party, catch_all, unclassified or stale_data; the consignee matched by identifier
when either side has one, else by exact normalised name and country."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.hits import PartyHits
from gate.core.identifiers import Identifier
from gate.core.licences import StandingLicence
from gate.core.parties import Party
from gate.core.rules import ControlDates
from gate.core.shipment_values import evolve
from gate.errors import LicenceError
from tests import serial_books
from tests.core.test_rules import ENTITY_HIT, FORWARDER, FRESH, NOW, OLD_LIST, POLICY

IMU_KEY = "09506000134352"
MOTOR_KEY = "04012345000019"
BOLT_KEY = "00000000000017"
TABLE = {
    IMU_KEY: Classification(IMU_KEY, "IMU", "9.A.6", 2, "", frozenset()),
    MOTOR_KEY: Classification(MOTOR_KEY, "motor", "2.A.1.a", 1, "", frozenset()),
    BOLT_KEY: Classification(BOLT_KEY, "bolt", "", 0, "", frozenset()),
}


def licence(
    *,
    name: str = "Gulf Avionics LLC",
    country: str = "AE",
    ids: tuple[tuple[str, str], ...] = (),
    category_1: bool = False,
    controls: tuple[str, ...] = ("9.A.6", "2.A.1.a"),
) -> StandingLicence:
    return StandingLicence.issued(
        "SL-1",
        consignee_name=name,
        consignee_country=country,
        destination="AE",
        controls=controls,
        quantity=100,
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=30),
        consignee_ids=ids,
        category_1=category_1,
    )


def sealed(
    key: str,
    granted: StandingLicence,
    *,
    consignee: sh.Consignee | None = None,
    end_use: str | None = None,
    parties: tuple[Party, ...] = (),
    dates: ControlDates = FRESH,
    screening: tuple[PartyHits, ...] = (),
) -> sh.Shipment:
    controls = sh.Controls(POLICY, TABLE.get, dates, (granted,))
    shipment = sh.new_shipment(
        shipment_id="S-9",
        door="D1",
        destination="AE",
        consignee=consignee or sh.Consignee("Gulf Avionics LLC", "AE"),
        now=NOW,
        end_use=end_use,
        parties=parties,
    )
    # The parties' list hits, as the shell sets them before deciding.
    shipment = evolve(shipment, screening=screening)
    scan = Identifier("gs1", "raw", key=key, serial="SN1")
    shipment = serial_books.add_scan(shipment, scan, TABLE[key], controls, NOW).shipment
    return sh.seal(shipment, controls, NOW).shipment


def test_category_1_is_covered_only_by_a_category_1_licence() -> None:
    """A licence naming a Category I code covers it only when it says ``category_1``."""
    assert sh.State.HELD == sealed(MOTOR_KEY, licence()).state
    assert sh.State.CLEARED == sealed(MOTOR_KEY, licence(category_1=True)).state


def test_category_2_is_covered_without_category_1() -> None:
    """A Category II line needs no ``category_1``: the licence covers it."""
    cleared = sealed(IMU_KEY, licence())
    assert (sh.State.CLEARED, "SL-1") == (cleared.state, cleared.lines[0].covered_by.licence)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("key", "changes", "reason"),
    [
        (IMU_KEY, {"end_use": "drone autopilot"}, "catch_all"),
        (
            IMU_KEY,
            {"parties": (FORWARDER,), "screening": (PartyHits(FORWARDER, (ENTITY_HIT,)),)},
            "listed_party",
        ),
        (IMU_KEY, {"dates": OLD_LIST}, "stale_data"),
        (BOLT_KEY, {"end_use": "military"}, "catch_all"),
    ],
    ids=["catch-all", "listed-party", "stale-data", "unlisted-catch-all"],
)
def test_holds_a_standing_licence_never_releases(
    key: str, changes: dict[str, object], reason: str
) -> None:
    """Lines held for catch_all, listed_party or stale_data need the office's own approval,
    even with a category_1 licence naming their control."""
    held = sealed(key, licence(category_1=True), **changes)  # type: ignore[arg-type]
    assert sh.State.HELD == held.state
    assert reason in held.lines[0].reasons
    assert None is held.lines[0].covered_by


@pytest.mark.parametrize(
    ("consignee", "granted", "covers"),
    [
        (sh.Consignee("GULF AVIONICS L.L.C.", "AE"), licence(), True),
        (sh.Consignee("Gulf Avionics GmbH", "DE"), licence(), False),
        (
            sh.Consignee("Gulf Avionics Trading", "AE", (("lei", "5299 00ABCDEF12345678"),)),
            licence(ids=(("lei", "529900ABCDEF12345678"),)),
            True,
        ),
        (
            sh.Consignee("Shenzhen Other Trading", "CN", (("lei", "529900ABCDEF12345678"),)),
            licence(ids=(("lei", "529900ABCDEF12345678"),)),
            False,
        ),
        (
            # Full-width digits and letters are read as ASCII, as screening reads them.
            sh.Consignee("Gulf Avionics Trading", "AE", (("vat", "ＡＥ１００－２"),)),
            licence(ids=(("vat", "AE 100.2"),)),
            True,
        ),
        (sh.Consignee("Gulf Avionics LLC", "AE"), licence(ids=(("lei", "529900X"),)), False),
        (sh.Consignee("Gulf Avionics LLC", "AE", (("vat", "AE100"),)), licence(), False),
        (
            sh.Consignee("Gulf Avionics LLC", "AE", (("vat", "AE100"),)),
            licence(ids=(("vat", "AE200"),)),
            False,
        ),
    ],
    ids=[
        "same-name-normalised",
        "other-country",
        "same-lei-other-name",
        "same-lei-other-country",
        "same-vat-full-width",
        "licence-has-id-consignee-none",
        "consignee-has-id-licence-none",
        "different-vat",
    ],
)
def test_consignee_matching(
    consignee: sh.Consignee, granted: StandingLicence, covers: bool
) -> None:
    """By identifier when either side has one (spacing and case aside), else by exact
    normalised name; the country agreeing either way: "Acme GmbH" in DE is not "Acme LLC" in
    AE, and a quoted LEI does not carry a licence to another country."""
    state = sealed(IMU_KEY, granted, consignee=consignee).state
    assert (sh.State.CLEARED if covers else sh.State.HELD) == state


def test_an_identifier_without_ascii_letters_or_digits_is_refused() -> None:
    """LEI, EORI, VAT and DUNS numbers are ASCII letters and digits: a value with none (after
    full-width forms and other scripts' digits are read as ASCII) names no party."""
    with pytest.raises(LicenceError, match="letters or digits"):
        licence(ids=(("vat", "НДС-—"),))


def test_unknown_identifier_scheme_is_refused() -> None:
    """A licence naming an identifier scheme the gate does not know is refused."""
    with pytest.raises(LicenceError, match="passport"):
        licence(ids=(("passport", "X1"),))
