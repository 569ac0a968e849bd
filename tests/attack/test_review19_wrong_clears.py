"""Review19: missile, drone and military end uses in the languages attack18 added that
cleared on main (82c087d), and two system names attack18 narrowed.

On main each of these read as no end use at all: a Category II gyro (9.A.4) to the US
cleared under EU001 (tests/attack/test_attack18_end_use_split_words.py shows the shape).

* Finnish missile compounds ("risteilyohjus", a cruise missile; "ohjusjärjestelmä", a
  missile system): only "ohjus" as a whole word was read. Finnish "miehittämätön ilma-alus"
  (an unmanned aircraft), the Swedish drone ("drönare"), Swedish and Dutch cruise missiles
  ("kryssningsmissil", "kruisraket").
* Military in Czech ("vojenské použití", military use) and Finnish ("sotilaskäyttöön", for
  military use), the Swedish and Finnish armed forces ("Försvarsmakten",
  "Puolustusvoimat").
* CamelCase was split only after the letters of a fixed range, which left out most of
  Latin Extended ("ZbraňDrone", "ŁódźRocket" read whole): now after any small letter.
* Attack18 read Fateh and Shaheen only with their number (common names): the Shaheen-1A and
  the Fateh-e Mobin (written with its Persian "e") cleared.
"""

from __future__ import annotations

import pytest

from gate.core.end_use import Vocabulary

BUILT_IN = Vocabulary()

WMD = [
    ("risteilyohjus", "ohjus"),
    ("ohjusjärjestelmän osat", "ohjus"),
    ("miehittämätön ilma-alus", "miehittamaton ilma alus"),
    ("drönare för övervakning", "dronare"),
    ("kryssningsmissil", "kryssningsmissil"),
    ("onderdelen voor kruisraketten", "kruisraket"),
    ("Shaheen-1A", "shaheen 1a"),
    ("Fateh-e Mobin", "fateh e mobin"),
    ("ZbraňDrone", "drone"),
    ("ŁódźRocket", "rocket"),
]

MILITARY = [
    ("vojenské použití", "vojenske"),
    ("sotilaskäyttöön", "sotilaskayttoon"),
    ("Försvarsmakten", "forsvarsmakten"),
    ("Puolustusvoimat", "puolustusvoimat"),
]


@pytest.mark.parametrize(("text", "term"), WMD)
def test_a_missile_or_drone_in_another_language_is_missile_delivery(text: str, term: str) -> None:
    """Each reads as WMD or missile delivery, reported as found."""
    assert term == BUILT_IN.read(text).wmd


@pytest.mark.parametrize(("text", "term"), MILITARY)
def test_a_military_word_in_another_language_is_a_military_end_use(text: str, term: str) -> None:
    """Each reads as a military end use (row 7), not WMD."""
    assert (None, term) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize("text", ["ohjaus ja säätö", "Shaheen hospital", "Fateh dental clinic"])
def test_the_civil_neighbours_stay_civil(text: str) -> None:
    """Finnish steering ("ohjaus") and the common names alone are no end use."""
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)
