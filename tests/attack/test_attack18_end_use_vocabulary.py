"""Attack18: missile and drone end uses written in words the vocabulary did not have.

On main (72168f4) each of these read as no end use at all, so a Category II gyro (9.A.4) to
the US cleared under the general licence EU001 and could leave the dock:

* synonyms: "crewless aircraft", "autonomous aerial vehicle", "boost-glide vehicle",
  "scramjet", "ramjet", "transporter erector launcher" (MTCR annex items);
* proper names of missile and UAV systems, written instead of the word: ATACMS, JASSM,
  BrahMos, Kinzhal, Oreshnik, Bulava, Tsirkon, Pukguksong, Exocet, Harop, KEPD, Smerch,
  Storm Shadow, SCALP EG, Wing Loong, Heron TP, Kheibar Shekan; and with the number that
  makes a name or a word one: Bayraktar TB2, Topol-M, Kh-101, AGM-158, BGM-109, MGM-140,
  Kargu-2, Mohajer-6 (Fateh-110 and Shaheen-III were held on main and still are, now by
  the name with its number). Judgement: not the names that are ordinary
  words, products or common names (Tomahawk a steak and an axe, Lancet a journal and a blood
  lancet, Javelin a sport, Stinger a car, Patriot, Harpoon, Trident, Taurus, Zircon a
  mineral, Kalibr Czech for calibre, Akinci, Anka, Nasr, Emad, Prithvi, Agni, Grad, Buk, Tor,
  Uragan a hurricane in Croatian), and not a designation's number that is a product's (a
  Kawasaki KH 250, an AGM 65 Ah battery). Fateh and Shaheen alone, held on main, are common
  names (a Shaheen hospital, a Fateh dental clinic): now only with the missile's number;
* other languages: unmanned aircraft in French ("avion sans pilote", "aéronef
  télépiloté"), Spanish and Portuguese ("aeronave no tripulada", "sin piloto"), Italian
  ("pilotaggio remoto", "quadricottero"), German ("unbemanntes Luftfahrzeug"), Dutch
  ("onbemand vliegtuig"), Czech, Slovak, Polish, Croatian, Serbian and Bulgarian
  ("bezpilotní", "bespilotna", "bezzałogowiec", "безпилотен"); missiles in Finnish
  ("ohjus"), Czech ("řízená střela"), Swedish ("kryssningsrobot"), Thai and Urdu; the
  Persian drone in Latin letters ("pahpad"); unmanned aircraft in Indonesian, Vietnamese,
  Hungarian, Romanian and Greek, a Greek rocket and the Bengali missile; and, as military
  (row 7), German armed forces, warships, combat aircraft and arms industry ("Streitkräfte",
  "Kriegsschiff", "Rüstungsindustrie", "Luftwaffe"), a national defence, and weapons named
  by kind: guided, glide and cluster bombs, JDAM, artillery, howitzers, air defence,
  anti-aircraft, anti-tank, anti-ship, anti-personnel, a main battle tank. Judgement: not
  Romanian "rachetă" (also the tennis racket) nor Swedish "robot" alone (a robot), whose
  ballistic compounds are read; not German "Rüstung" (also a knight's armour) or
  "Verteidigung" (a defence in court) alone; not the Hindi drone and rocket, which fold to
  three letters found inside other words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.end_use import Vocabulary
from tests.service.harness import Gate
from tests.service.test_party_screening import assert_held_for_catch_all, category_ii_to_us

BUILT_IN = Vocabulary()

#: Found by attacking the vocabulary on main: each read as no end use at all.
SLIPPED = [
    ("crewless aircraft", "crewless aircraft"),
    ("autonomous aerial vehicle", "autonomous aerial vehicle"),
    ("autonomous strike aircraft", "autonomous strike aircraft"),
    ("boost-glide vehicle", "boost glide vehicle"),
    ("scramjet combustor tests", "scramjet"),
    ("ramjet", "ramjet"),
    ("transporter erector launcher", "transporter erector launcher"),
    ("ATACMS", "atacms"),
    ("JASSM-ER", "jassm"),
    ("BrahMos", "brahmos"),
    ("Kinzhal", "kinzhal"),
    ("Oreshnik", "oreshnik"),
    ("Exocet", "exocet"),
    ("Harop", "harop"),
    ("Taurus KEPD 350", "kepd"),
    ("Storm Shadow", "storm shadow"),
    ("SCALP-EG", "scalp eg"),
    ("Wing Loong II", "wing loong"),
    ("Bayraktar TB2", "bayraktar tb2"),
    ("Topol-M", "topol m"),
    ("Kh-101", "kh 101"),
    ("Kh-47M2", "kh 47m2"),
    ("AGM-158B", "agm 158b"),
    ("BGM-109 Tomahawk", "bgm 109"),
    ("MGM-140", "mgm 140"),
    ("Kargu-2", "kargu 2"),
    ("Mohajer-6", "mohajer 6"),
    ("Kheibar Shekan", "kheibar shekan"),
    ("Fateh-110", "fateh 110"),
    ("Shaheen-III", "shaheen iii"),
    ("avion sans pilote", "avion sans pilote"),
    ("aéronef télépiloté", "aeronef telepilote"),
    ("aeronave no tripulada", "aeronave no tripulada"),
    ("aeronave remotamente pilotada", "aeronave remotamente pilotada"),
    ("sistema aeromobile a pilotaggio remoto", "pilotaggio remoto"),
    ("quadricottero", "quadricottero"),
    ("cuadricóptero", "cuadricoptero"),
    ("unbemanntes Luftfahrzeug", "unbemanntes luftfahrzeug"),
    ("onbemand vliegtuig", "onbemand vliegtuig"),
    ("bezpilotní letoun", "bezpilot"),
    ("bespilotna letjelica", "bespilot"),
    ("bezzałogowiec", "bezzalogowiec"),
    ("безпилотен самолет", "безпилот"),
    ("ohjus", "ohjus"),
    ("řízená střela", "rizena strela"),
    ("kryssningsrobot", "kryssningsrobot"),
    ("ขีปนาวุธ", "ขปนาวธ"),
    ("โดรน", "โดรน"),
    ("ڈرون", "ڈرون"),
    ("pahpad", "pahpad"),
    ("pesawat tanpa awak", "pesawat tanpa awak"),
    ("máy bay không người lái", "may bay khong nguoi lai"),
    ("pilóta nélküli repülőgép", "pilota nelkuli"),
    ("avion fără pilot", "avion fara pilot"),
    ("μη επανδρωμένο αεροσκάφος", "μη επανδρωμενο αεροσκαφοσ"),
    ("ρουκέτα", "ρουκετα"),
    ("ক্ষেপণাস্ত্র", "কষপণসতর"),
]

#: German armed forces, warships and arms industry, a national defence, and weapons named by
#: kind: military (row 7).
MILITARY = [
    ("Kampfflugzeug", "kampfflugzeug"),
    ("Kriegsschiff", "kriegsschiff"),
    ("Streitkräfte", "streitkrafte"),
    ("Rüstungsindustrie", "rustungsindustrie"),
    ("Luftwaffe", "luftwaffe"),
    ("défense nationale", "defense nationale"),
    ("defensa nacional", "defensa nacional"),
    ("glide bomb kit", "glide bomb"),
    ("JDAM tail kits", "jdam"),
    ("cluster bombs", "cluster bombs"),
    ("artillery shells", "artillery"),
    ("howitzer barrels", "howitzer"),
    ("air defence radar", "air defence"),
    ("anti-aircraft", "anti aircraft"),
    ("anti-tank guided", "anti tank"),
    ("anti-personnel mines", "anti personnel"),
    ("main battle tank", "main battle tank"),
]

#: Ordinary words beside them that stay civil (and the civil corpus, test_attack18_..._corpus).
CIVIL = [
    "autonomous air purifier for offices",
    "autonomous mobile robots for warehouse picking",
    "Kawasaki KH 250 spare parts",
    "AGM 65 Ah batteries for solar storage",
    "Tornado's spare parts for vacuum repair",
    "Tomahawk steaks for steakhouse",
    "Lancet journal subscription for university library",
    "blood glucose lancets for diabetes clinic",
    "Javelin 600g for athletics club",
    "Zircon stud finder for builders",
    "kalibr měřidla pro dílnu",
    "Bayraktar family restaurant supplies",
    "Topol and birch saplings for nursery",
    "Heron drainage pumps for flood relief",
    "Shaheen hospital laboratory",
    "Fateh family dental clinic",
    "fusée d'essieu pour camion",
    "rachetă de tenis pentru club",
    "robotdammsugare för hemmet",
    "bezzałogowa stacja paliw",
    "unbemannte Tankstelle Kassenautomat",
    "onbemand tankstation betaalautomaat",
    "avion de ligne maintenance",
    "Rüstung für Ritterfest",
    "Verteidigung im Strafprozess",
    "pesawat terbang komersial",
    "may bay thuong mai",
    "μη διαθέσιμο",
    "artillery plant for garden centre",
    "bath bombs for gift shop",
    "oxygen bomb calorimeter for lab",
    "anti-tamper seals",
    "anti-static bags",
]


@pytest.mark.parametrize(("text", "term"), SLIPPED)
def test_each_new_word_names_missile_delivery(text: str, term: str) -> None:
    """Each synonym, system name and foreign word is read as WMD or missile delivery."""
    assert term == BUILT_IN.read(text).wmd


@pytest.mark.parametrize(("text", "term"), MILITARY)
def test_each_new_military_word_names_a_military_end_use(text: str, term: str) -> None:
    """Each German military compound, national defence and weapon named by kind is a
    military end use (row 7), not WMD."""
    assert (None, term) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize("text", CIVIL)
def test_ordinary_words_beside_them_stay_civil(text: str) -> None:
    """The names, numbers and words that only look like them are no end use at all."""
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize(
    "end_use", ["ATACMS", "Bayraktar TB2 spares", "avion sans pilote", "glide bomb kit"]
)
async def test_a_gyro_for_a_named_missile_or_drone_is_held_not_dispatched(
    gate: Gate, demo_config: Path, end_use: str
) -> None:
    """A Category II gyro to the US that EU001 would clear is held for ``catch_all`` when the
    end use names the system, the drone in French or a glide bomb, and its dispatch is
    refused (on main it cleared and left)."""
    result = await category_ii_to_us(gate, demo_config, end_use=end_use)
    await assert_held_for_catch_all(gate, result)
