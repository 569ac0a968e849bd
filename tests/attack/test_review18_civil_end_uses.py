"""Review18 on a2bf599 (attack16's end-use readings): civil end uses it reads as WMD or
missile delivery, and a spelling it still lets through.

A corpus of 437 ordinary end-use texts a WMS sends (resale, spare parts, vehicles, labs,
pharmacy, utilities; /tmp corpus of the review, see the report) read on a2bf599^1 and on
a2bf599: 71 became WMD or missile delivery (rows 5 and 7), and in 960 generic "<product> for
<use>" texts 24 did, every one "Toyota Land Cruiser parts". Most of the 71 follow the
project's decision that a word naming a delivery system counts wherever it stands ("rocket
salad", "cruise ship", "Rocketbook", a quadcopter toy). These do not, and are fixed here:

* A delivery word that begins a word (``end_use_terms.ANYWHERE``, for "CruiseMissile") with
  no end: "cruise" began "Cruiser" (Toyota Land Cruiser, FJ Cruiser, PT Cruiser, a beach
  cruiser bicycle, a cabin cruiser: a car, a bicycle and a boat, not a cruise), and "drone"
  began dronedarone, an antiarrhythmic drug (Multaq) that pharmacy wholesalers ship.
* The missile abbreviations were strict terms, which are also read with "l" taken as "i":
  "[agsl]lcm" read "[agsi]icm" and "lacm" "iacm", so SICM (scanning ion conductance
  microscopy), AICM, GICM and IACM were cruise missiles. They are written in capitals, where
  an "I" does not look like an "L": they are read as written only (``LOOSE``, as "SLV" is).
* "unmanned" with a word or two before "air": an unmanned substation's air-insulated
  switchgear, an unmanned pumping station's air valves, an unmanned offshore platform's air
  compressors. After a gap only an aircraft noun counts ("aerial vehicle", "air vehicle",
  "aircraft", ...), not "air" or "aerial" alone (an aerial is also an antenna); and
  "remotely operated air" dampers and valves are HVAC and water plant, not aircraft.

Still let through: letters spelt out with an en or em dash ("m–i–s–s–i–l–e",
"m—i—s—s—i—l—e"), which read as a hyphen does ("m-i-s-s-i-l-e" was held), and attack16's
own new words hyphenated ("quad-copter", "multi-copter", "un-manned aircraft").
"""

from __future__ import annotations

import pytest

from gate.core.end_use import EndUse, Vocabulary

BUILT_IN = Vocabulary()


@pytest.mark.parametrize(
    "text",
    [
        "spare parts for Toyota Land Cruiser fleet",
        "Land Cruiser 200 series brake pads",
        "FJ Cruiser aftermarket accessories",
        "PT Cruiser replacement radiator",
        "beach cruiser bicycles for rental shop",
        "cabin cruiser refit",
        "Dronedarone tablets 400 mg for pharmacy wholesale",
        "SICM probe for scanning ion conductance microscopy research",
        "AICM membership conference booths",
        "IACM congress on computational mechanics",
        "GICM laboratory reagents",
        "unmanned substation air insulated switchgear",
        "unmanned pumping station air valves",
        "unmanned offshore platform air compressors",
        "unmanned telecom shelter air conditioner",
        "unmanned repeater station aerial replacement",
        "remotely operated air dampers for HVAC",
        "remotely operated air valves, water treatment plant",
    ],
)
def test_civil_end_uses_attack16_read_as_missile_delivery_stay_civil(text: str) -> None:
    """Each civil end use that a2bf599 read as WMD or missile delivery names none (a2bf599^1
    read none in any of them)."""
    assert EndUse() == BUILT_IN.read(text)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("CruiseMissile", "cruise"),
        ("cruiseship provisioning", "cruise"),
        ("DroneParts", "drone"),
        ("microdrone", "microdrone"),
        ("ALCM", "alcm"),
        ("GLCM", "glcm"),
        ("SLCMs", "slcms"),
        ("LACM", "lacm"),
        ("unmanned combat aerial vehicle programme", "unmanned combat aerial vehicle"),
        ("Unmanned Combat Air Vehicle", "unmanned combat air vehicle"),
        ("unmanned reconnaissance aircraft", "unmanned reconnaissance aircraft"),
        ("unmanned long endurance aircraft", "unmanned long endurance aircraft"),
        ("unmanned attack helicopter", "unmanned attack helicopter"),
        ("unmanned aerial photography", "unmanned aerial"),
        ("unmanned air", "unmanned air"),
        ("remotely operated aircraft", "remotely operated aircraft"),
        ("remotely operated air vehicle", "remotely operated air vehicle"),
    ],
)
def test_what_attack16_meant_is_still_held(text: str, term: str) -> None:
    """The joined words, abbreviations and spelt-out unmanned aircraft attack16 added are
    still read as WMD or missile delivery, with the term found."""
    assert term == BUILT_IN.read(text).wmd


@pytest.mark.parametrize(
    "text", ["m–i–s–s–i–l–e", "m—i—s—s—i—l—e", "d‒r‒o‒n‒e", "M−I−S−S−I−L−E", "u‐a‐v"]
)
def test_letters_spelt_out_with_any_dash_are_joined(text: str) -> None:
    """Letters spelt out with an en dash, em dash, figure dash, minus sign or Unicode hyphen
    are joined as with a hyphen ("m-i-s-s-i-l-e"): a missile, a drone, a UAV."""
    assert None is not BUILT_IN.read(text).wmd


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("quad-copter frames", "quad copter"),
        ("Multi-Copter", "multi copter"),
        ("un-manned aircraft", "un manned aircraft"),
        ("Un-manned combat air vehicle", "un manned combat air vehicle"),
    ],
)
def test_the_new_drone_words_hyphenated_are_held(text: str, term: str) -> None:
    """A quadcopter, multicopter or unmanned aircraft written with a hyphen is read as
    missile delivery as the joined word is."""
    assert term == BUILT_IN.read(text).wmd
