"""Review19: ordinary civil end uses that attack18's readings held on main (82c087d), each
a false hold of a civil line for ``catch_all`` (row 7) that the central office must look at.

Found by reading civil texts the corpus did not have (resale in the languages attack18
added, addresses, company and product names, model numbers, words that join across a
space, CamelCase): on main each of these was held; none was before attack18 (203df2b)
except the Polish table-tennis bats.

* Two ordinary words that join into a delivery word: the French "rock et pop" (rock and
  pop) into "rocket", the Spanish "mis seis tiendas" (my six shops) into "misseis", and a
  delivery to Ras Al Khaimah "RAK, ETA Monday" into "raketa". Fix: a short list of such
  runs is not joined (``end_use_terms.CIVIL_SPLITS``); "miss ile" and "dr one" still are.
* Artillery named as a street (Artillery Lane, Artillery Row: addresses in the City of
  London and Westminster) and as a brand of consumer 3D printers (Artillery Sidewinder,
  Genius): row 7's "artillery" held them. Fix: those next words, as for the artillery plant.
* The AGM-84, -88 and -114 missiles beside an AGM battery's capacity ("AGM 114 Ah"). Fix:
  not before a battery word.
* An autonomous or remotely operated aircraft tug, pushback tractor or washing robot: the
  machine is autonomous, the aircraft is what it handles. Fix: not before those words.
* The Czech "řízení střelnice" (running a shooting range) read as "řízená střela", a guided
  missile. Fix: the forms of "střela" only.
* Held before attack18 too, and now also in CamelCase: Old Navy (a clothing retailer),
  Chicago's Navy Pier, Nike's Air Force 1 shoes ("OldNavy", "NikeAirForce"), and "a bomb
  calorimeter" (the article "a" before the instrument, which decision-rules.md says is not
  held); the Polish "rakietka" (a table-tennis bat) read as "rakieta", as the Russian
  "ракетка" is not.
"""

from __future__ import annotations

import pytest

from gate.core.end_use import Vocabulary

BUILT_IN = Vocabulary()

CIVIL = [
    "disques rock et pop pour disquaire",
    "guitares rock et blues pour magasin de musique",
    "para mis seis tiendas en Madrid",
    "RAK Ceramics tiles, delivery to RAK, ETA Monday",
    "deliver to 12 Artillery Lane, London E1",
    "Artillery Row offices, London SW1",
    "Artillery Sidewinder X2 3D printers for resale",
    "Artillery Genius Pro 3D printer spare nozzles",
    "AGM 114 Ah battery pack",
    "AGM 84 battery for caravan",
    "autonomous aircraft tug for airport ground handling",
    "autonomous aircraft pushback tractor",
    "autonomous aircraft cleaning robot",
    "remotely operated aircraft tug",
    "řízení střelnice sportovního klubu",
    "rakietki do ping-ponga dla szkoły",
    "ouzo, raki et arak pour épicerie fine",
    "Old Navy clothing for resale",
    "OldNavy kids apparel resale",
    "Navy Pier gift shop stock",
    "Nike Air Force 1 sneakers for shoe shop",
    "NikeAirForce sneakers",
    "a bomb calorimeter for the lab",
]

#: The readings these fixes must keep: the weapon named plainly beside the civil words.
HELD = [
    ("rock et launcher for rocket motors", "rocket"),
    ("roc ket motor", "roc ket"),
    ("miss ile", "miss ile"),
    ("AGM-88 HARM integration", "agm 88"),
    ("AGM 114 Hellfire", "agm 114"),
    ("autonomous aircraft for surveillance", "autonomous aircraft"),
    ("remotely operated aircraft", "remotely operated aircraft"),
    ("řízená střela", "rizena strela"),
    ("řízené střely pro armádu", "rizene strely"),
    ("rakieta balistyczna", "rakieta"),
    ("we need a bomb", "a bomb"),
]


@pytest.mark.parametrize("text", CIVIL)
def test_a_civil_end_use_is_not_held(text: str) -> None:
    """Each civil text reads as no WMD, missile-delivery or military end use."""
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize(("text", "term"), HELD)
def test_the_weapon_beside_the_civil_words_is_still_held(text: str, term: str) -> None:
    """The tightened terms still read the weapon as WMD or missile delivery."""
    assert term == BUILT_IN.read(text).wmd


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("artillery", "artillery"),
        ("Royal Artillery shells", "artillery"),
        ("spare parts for the navy", "navy"),
        ("US Air Force", "air force"),
        ("Air Force One", "air force"),
    ],
)
def test_the_armed_forces_beside_the_names_are_still_military(text: str, term: str) -> None:
    """Artillery, a navy and an air force named plainly stay a military end use."""
    assert (None, term) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)
