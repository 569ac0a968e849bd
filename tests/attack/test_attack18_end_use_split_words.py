"""Attack18: a missile or drone end use written with a space, a hyphen or a star inside the
word, a bar for its "i", a letter doubled, or joined to the word before it, slips past 2.2
on main.

A dishonest shipper declares the end use so that a person reads the word at once and the
vocabulary does not. On main (72168f4) each of these read as no end use at all: a Category
II gyro (9.A.4) to the US cleared under the general licence EU001 and could leave the dock.

* A word split once or twice at any point ("missi le", "dro ne", "mi-ssile", "miss\\ile",
  "m is si le"): only letters spelt out one by one were joined ("m i s s i l e"), and only
  "mis sile" and "war head" were phrases. Now two to four words that joined are one of the
  delivery words (``end_use_terms.SPLIT_WMD``: missile, rocket, drone, warhead, ballistic,
  quadcopter, and the same words in the main other languages) or a military word
  (``SPLIT_MILITARY``) count, written as found. Judgement: only those words, as whole words
  with their plural, so two ordinary words rarely make one ("Dodge Ram jet" would make a
  "ramjet", "oh just" the Finnish "ohjus", "ракетка для" a "ракет..."); accepted: "Rock et
  Folk" and "Miss Iles" join into "rocket" and "missiles" (the civil corpus lists them).
* A bar or an inverted exclamation mark for the "i" ("m|ssile", "m¡ssile"), as "!" was.
* A star for a letter, as a word is censored ("m*ssile", "dr*ne", "w*rhead"): read with
  each vowel in its place.
* A letter written twice or more ("misssile", "drrone", "mmissile", "roccket"): for
  missile, rocket, drone, warhead and ballistic (``end_use_terms.STUTTERED``), not their last
  letter. Found beside it: "Rockett" (a family name, "Rockett St George") was held on main,
  as a rocket that begins a word; it is not.
* Joined to the word before it, in CamelCase ("GuidedMissile", "AntiShipMissile",
  "FPVDrone", "StrikeUAV", "ArtilleryRocket", "HypersonicGlideVehicle"; attack16 read a
  delivery word that begins a joined word only): the text is also read with a space where a
  CamelCase word turns to a capital. In lower case: "missile" inside any word
  ("guidedmissile"), a drone or UAV after an attack word ("kamikazedrone"), "dirtybomb",
  "loiteringmunition". Judgement: "SkyRocket toys" is held, as toy rockets are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.end_use import Vocabulary
from tests.service.harness import Gate
from tests.service.test_party_screening import assert_held_for_catch_all, category_ii_to_us

BUILT_IN = Vocabulary()

#: Found by attacking the vocabulary on main: each read as no end use at all.
SLIPPED_WMD = [
    ("missi le", "missi le"),
    ("guidance for the dro ne fleet", "dro ne"),
    ("miss ile", "miss ile"),
    ("mi ssile", "mi ssile"),
    ("mi-ssile test range", "mi ssile"),
    ("miss\\ile", "miss ile"),
    ("m is si le", "m is si le"),
    ("roc ket motor", "roc ket"),
    ("ba llistic", "ba llistic"),
    ("quad cop ter", "quad cop ter"),
    ("mi55 ile", "miss ile"),
    ("рак ета", "рак ета"),
    ("Dro hne", "dro hne"),
    ("m|ssile", "missile"),
    ("m¡ssile", "missile"),
    ("m*ssile", "missile"),
    ("dr*ne", "drone"),
    ("r*cket", "rocket"),
    ("w*rhead", "warhead"),
    ("misssile", "misssile"),
    ("mmissile", "missile"),
    ("drrones", "drrones"),
    ("roccket", "roccket"),
    ("warrhead", "warrhead"),
    ("GuidedMissile", "missile"),
    ("guidedmissile", "missile"),
    ("AntiShipMissile", "missile"),
    ("FPVDrone", "fpvdrone"),
    ("AttackDrone", "attackdrone"),
    ("kamikazedrone", "kamikazedrone"),
    ("StrikeUAV", "strikeuav"),
    ("ArtilleryRocket", "rocket"),
    ("HypersonicGlideVehicle", "hypersonicglide"),
    ("dirtybomb", "dirtybomb"),
    ("loiteringmunition", "loiteringmunition"),
]

#: The same for the military words (row 7 only).
SLIPPED_MILITARY = [
    ("mil itary", "mil itary"),
    ("mi li tary base", "mi li tary"),
    ("we apons", "we apons"),
]

#: Ordinary words these readings must not join or fill in.
CIVIL = [
    "Dodge Ram jet black floor mats",
    "oh just a test",
    "ракетка для настольного тенниса",
    "ra ketchup",
    "M*A*S*H reruns",
    "f*cking good price",
    "A|B testing licences",
    "drop one pallet at dock 4",
    "mis sing parts",
    "dr on call kit",
    "grades M, I, R, V",
    "u av",
    "un manned substation",
    "Rockett St George homeware",
    "Mississippi barge parts",
    "McDonald's franchise kitchen",
    "iPhone repair parts",
    "PowerPoint licences",
    "JavaScript training",
    "il padrone restaurant kitchen",
]


@pytest.mark.parametrize(("text", "term"), SLIPPED_WMD)
def test_a_delivery_word_split_or_censored_names_missile_delivery(text: str, term: str) -> None:
    """Each split, barred or censored delivery word is read as WMD or missile delivery,
    reported as written."""
    assert term == BUILT_IN.read(text).wmd


@pytest.mark.parametrize(("text", "term"), SLIPPED_MILITARY)
def test_a_military_word_split_names_a_military_end_use(text: str, term: str) -> None:
    """Each split military word is read as a military end use (row 7)."""
    assert (None, term) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize("text", CIVIL)
def test_ordinary_words_are_not_joined_into_one(text: str) -> None:
    """Two ordinary words, a censored swear word and a bar between letters stay civil."""
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize(
    "end_use", ["guidance for the dro ne fleet", "m|ssile", "m*ssile", "drrone", "GuidedMissile"]
)
async def test_a_gyro_for_a_split_missile_end_use_is_held_not_dispatched(
    gate: Gate, demo_config: Path, end_use: str
) -> None:
    """A Category II gyro to the US that EU001 would clear is held for ``catch_all`` when the
    end use splits, bars or censors the word, and its dispatch is refused (on main it cleared
    and left)."""
    result = await category_ii_to_us(gate, demo_config, end_use=end_use)
    await assert_held_for_catch_all(gate, result)
