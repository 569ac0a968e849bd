"""Attack16: declared end uses a shipper writes to slip a missile or drone end use past 2.2.

A dishonest shipper (or the customer whose words the WMS forwards) declares the end use so
that a person reads it at once and the vocabulary does not: the spelt-out form of an
abbreviation the gate knows ("unmanned combat aerial vehicle" for UCAV), a term joined into
a compound or written in CamelCase ("RocketMotor", "CruiseMissile", "spacelaunch"), the
drone words of the trade ("quadcopter", "RPAS"), the cruise-missile abbreviations (ALCM,
GLCM, SLCM), letters spelt out with underscores or asterisks ("M_I_S_S_I_L_E"), symbols for
letters ("mi$$ile", "w@rhead"), small capitals or letters in circles or squares ("ᴍɪssɪʟᴇ",
"🅼🅸🆂🆂🅸🅻🅴", which NFKD leaves alone), or an invisible character the input takes inside
a word ("dro<U+034F>ne", a combining grapheme joiner; a Hangul filler, a variation selector,
a tag). On main each read as no end use at all: a Category II gyro to the US cleared under EU001 and
left the dock, a Category I guidance set was only ``cat1`` (a standing licence with
``category_1`` releases it) instead of ``wmd_end_use``, and an ordinary unlisted item
cleared ``not_listed`` where row 7's catch-all exists for exactly that.

The core tests pin each spelling and the ordinary words beside them that must stay civil;
the service tests run the real app on a real socket over the demo config (tests/service).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.end_use import Vocabulary
from tests.service.harness import Gate, gtin_with
from tests.service.test_party_screening import (
    US_CONSIGNEE,
    assert_held_for_catch_all,
    category_ii_to_us,
)

BUILT_IN = Vocabulary()

#: Found by attacking a running gate: each read as no end use on main.
SLIPPED = [
    # Spelt-out forms of the unmanned aircraft the gate knows by abbreviation.
    "unmanned combat aerial vehicle programme",
    "Unmanned Combat Air Vehicle",
    "unmanned reconnaissance aircraft",
    "unmanned helicopter for border patrol",
    "unmanned airborne system",
    "unmanned aeroplane",
    "optionally piloted aircraft",
    # Drones by the trade's own words and the ICAO abbreviation.
    "quadcopter",
    "multicopter frames",
    "octocopters",
    "RPAS",
    "RPV target",
    # Joined words and CamelCase.
    "RocketMotor test stand",
    "rocketmotors",
    "rocketengine",
    "CruiseMissile",
    "spacelaunch vehicle",
    "launchvehicle",
    "UnmannedAerialVehicle",
    "dronesystem",
    "DroneParts",
    "microdrone",
    "antimissile",
    "UAVSystem",
    "WarheadSection",
    "icbmprogram",
    "weaponsofmassdestruction",
    "biowarfare",
    "nuclearwarhead",
    # Cruise-missile and other missile abbreviations.
    "GLCM",
    "ALCM",
    "SLCM",
    "LACM",
    "ATGM",
    "MANPADS",
    # Letters spelt out with other separators.
    "M_I_S_S_I_L_E",
    "m*i*s*s*i*l*e",
    "m·i·s·s·i·l·e",
    "D+R+O+N+E",
    # Symbols for letters, as digits already were.
    "mi$$ile",
    "W@RHEAD",
    "m!ssile",
    # Small capitals, letters in circles, brackets and squares.
    "ᴍɪssɪʟᴇ",
    "ʀᴏᴄᴋᴇᴛ",
    "⒨⒤⒮⒮⒤⒧⒠",
    "🅼🅸🆂🆂🅸🅻🅴",
    "🄼🄸🅂🅂🄸🄻🄴",
    # Invisible characters the input takes: combining grapheme joiner, variation selector,
    # tag, Mongolian variation selector, Hangul filler (a letter), Khmer inherent vowel.
    "dro\u034fne",
    "rock\ufe0fet",
    "ball\U000e0041istic",
    "U\u180bAV",
    "U\u3164AV",
    "war\u17b4heads",
    # Plain English left out.
    "nerve gas",
    "nuclear deterrent",
    "nuclear arsenal",
    "nuclear payload",
    "radiological dispersal device",
    "satellite launch",
    "cruises",
]

#: Ordinary words beside those spellings that stay civil.
CIVIL = [
    "Davy Crockett memorial",
    "pocket knife",
    "madrone tree",
    "il padrone",
    "para suas peças",
    "Marv's workshop",
    "tunnel boring machine (TBM)",
    "robotic process automation (RPA)",
    "bone mineral density (BMD)",
    "unmanned ground vehicle",
    "grades M, I, R, V",
    "M; I; S",
    "US$ 500 for parts",
    "info@acme.com",
    "C++ software",
    "made in 🇩🇪 for 🇺🇸",
    "item (a)(b)(c) for civil use",
    "aerial photography",
    "nuclear medicine",
    "civil aviation",
]


@pytest.mark.parametrize("text", SLIPPED)
def test_the_spellings_that_slipped_name_wmd_or_missile_delivery(text: str) -> None:
    """Each spelling a shipper used to slip a missile, drone or WMD end use past the
    vocabulary is read as WMD or missile delivery (rows 5 and 7)."""
    assert None is not BUILT_IN.read(text).wmd


@pytest.mark.parametrize("text", CIVIL)
def test_ordinary_words_beside_them_stay_civil(text: str) -> None:
    """The ordinary words near those spellings are no end use at all."""
    found = BUILT_IN.read(text)
    assert (None, None) == (found.wmd, found.military)


@pytest.mark.parametrize(
    "end_use", ["unmanned combat aerial vehicle programme", "RocketMotor test stand", "ᴍɪssɪʟᴇ"]
)
async def test_a_gyro_for_a_disguised_missile_end_use_is_held_not_dispatched(
    gate: Gate, demo_config: Path, end_use: str
) -> None:
    """A Category II gyro to the US that EU001 would clear is held for ``catch_all`` when
    the end use names a UCAV spelt out, a rocket motor in CamelCase or a missile in small
    capitals, and its dispatch is refused (on main it cleared and left)."""
    result = await category_ii_to_us(gate, demo_config, end_use=end_use)
    await assert_held_for_catch_all(gate, result)


async def test_a_category_1_guidance_set_for_a_cruisemissile_is_prohibited(
    gate: Gate, demo_config: Path
) -> None:
    """A Category I guidance set declared for the "CruiseMissile" programme is prohibited for
    ``wmd_end_use`` (row 5), not merely ``cat1`` (which a standing licence may release)."""
    await gate.create(destination="US", consignee=US_CONSIGNEE, end_use="CruiseMissile")
    result = await gate.scan(gtin_with(demo_config, "2.A.1.d"))
    assert ("prohibited", "wmd_end_use") == (result["decision"], result["reasons"][0])
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "blocked") == (status, sealed["state"])


async def test_an_unlisted_item_for_quadcopters_is_held_for_the_catch_all(
    gate: Gate, demo_config: Path
) -> None:
    """An unlisted item declared for quadcopters is held for ``catch_all`` (row 7): on main
    it cleared ``not_listed`` and dispatched."""
    await gate.create(destination="US", consignee=US_CONSIGNEE, end_use="quadcopter assembly")
    result = await gate.scan(gtin_with(demo_config, ""))
    assert ("licence_required", "catch_all") == (result["decision"], result["reasons"][0])
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


async def test_an_invisible_character_inside_drone_does_not_clear_an_unlisted_item(
    gate: Gate, demo_config: Path
) -> None:
    """The API takes "dro<U+034F>ne" (a combining grapheme joiner shows nothing); the line
    is held for ``catch_all`` as for "drone" (on main it cleared ``not_listed``)."""
    await gate.create(destination="US", consignee=US_CONSIGNEE, end_use="dro\u034fne swarm")
    result = await gate.scan(gtin_with(demo_config, ""))
    assert ("licence_required", "catch_all") == (result["decision"], result["reasons"][0])
