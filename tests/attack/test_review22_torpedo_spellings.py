"""Review22: torpedoes (242ea7b) as the neighbouring terms are read.

HIGH (false clears): the entry took the English word, "Torpedo"/"Torpedos", "torpille", two
Polish forms and Russian, each as a whole word. So the German compounds the German row catches
for its other weapons ("Kriegsschiff\\w*", "Kampfflugzeug\\w*") cleared: "Torpedolenkung" (the
commit's own "Torpedo-Lenkung" written as German writes it), "Schwergewichtstorpedo",
"Torpedoboot", "Torpedorohre"; so did the Polish and Czech cases other than "torpeda" and
"torpedy" (the Polish row reads stems: "wojsk\\w*", "uzbrojen\\w*"), the Nordic and Finnish
forms, Romanian "torpilă" and Greek "τορπίλη", a model number run into the word ("MK48Torpedo",
read as "MK48Missile" is), and the word in Chinese, Japanese, Korean, Arabic and Hebrew, whose
military words the vocabulary reads. A 9.A.4 gyro to the US for any of them cleared under EU001.

LOW (false holds): the civil products the commit meant to leave alone, written otherwise: the
Torpedo hub as German names it ("Torpedo-Nabe") or by its models ("Sachs Torpedo Duomatic",
"Torpedo coaster brake"), and the torpedo cigar, the lifeguard's rescue torpedo and buoy.
Left out on purpose, as the vocabulary leaves out Tomahawk and Harpoon: Italian "siluro" (also
the wels catfish of every angling shop), Turkish "torpido" (a car's glove box) and Persian
"اژدر" (also a dragon).
"""

from __future__ import annotations

import pytest

from gate.core.end_use import Vocabulary

BUILT_IN = Vocabulary()

HELD = [
    "Torpedolenkung für die Marine",
    "Schwergewichtstorpedo Ersatzteile",
    "Torpedoboote Instandsetzung",
    "Torpedorohre",
    "dostawa torped dla marynarki",
    "naprowadzanie z torpedami",
    "wyrzutnia torpedowa",
    "naváděcí systém torpéd",
    "díly torpédů",
    "torped till marinen",
    "torpeder och minor",
    "torpedoer til marinen",
    "torpedon ohjausjärjestelmä",
    "ghidare pentru torpile",
    "torpilă grea",
    "καθοδήγηση τορπίλης",
    "MK48Torpedo guidance",
    "鱼雷制导",
    "魚雷誘導装置",
    "어뢰 유도",
    "توجيه الطوربيد",
    "הנחיית טורפדו",
]

CIVIL = [
    "Torpedo-Nabe Ersatzteile für Fahrradhandel",
    "Torpedonabe Ersatzteile",
    "Torpedo-Wasserwaage für Handwerker",
    "Sachs Torpedo Duomatic hub spares",
    "Torpedo coaster brake spares for bicycle shop",
    "torpedo cigars for the humidor",
    "rescue torpedo for lifeguards",
    "torpedo buoys for the swimming pool",
    "Torpedo7 outdoor gear",
    "guida per siluro (pesca)",
    "torpido gözü kapağı",
]


@pytest.mark.parametrize("text", HELD)
def test_a_torpedo_as_the_neighbours_are_read_is_a_military_end_use(text: str) -> None:
    found = BUILT_IN.read(text)
    assert found.military is not None, (text, found)


@pytest.mark.parametrize("text", CIVIL)
def test_the_civil_torpedo_products_written_otherwise_stay_civil(text: str) -> None:
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military), text
