"""The words of a declared end use that name WMD, missile delivery or the military (DESIGN.md
2.2), in the languages and scripts a diverter writes them in; ``gate.core.end_use`` reads
text against them.

Every entry is written over *folded* text (``gate.core.parties.fold``: casefolded, accents and
other combining marks gone, punctuation turned to single spaces), so "Atomwaffenprogramm"
reads "atomwaffenprogramm", "jądrowa" "jadrowa", "ядерной" "ядернои" and "зброї" "зброі".
Arabic-script letters are read in one form (``SCRIPT_FORMS``) and so are the tables.

Three kinds of entry:

* **phrases**: a tuple of word patterns, found as a run of whole words ("arme nucleaire",
  "ядерн\\w* оруж\\w*"): scripts that separate words with spaces (Latin, Cyrillic, Hebrew);
* **anywhere**: a pattern found inside any word, for languages that build compounds
  ("Kernwaffenprogramm", "противоракетный", "Marschflugkörper");
* **spaceless**: a pattern found in the text with every space removed, for scripts written
  without spaces (Chinese, Japanese) or whose words take attached particles and prefixes and
  are spaced either way (Korean "핵 무기를", Arabic "الأسلحة", Persian "سلاح‌های هسته‌ای" with
  or without its zero-width joiners).

A word that is ordinary in civil trade counts only beside the word that makes it a weapon:
"nucléaire" and "chemisch" alone are not caught, "arme nucléaire" and "chemische Waffe" are; a
bomb word only beside a nuclear or atomic one, because "bomba química" is a chemical pump.
"""

from __future__ import annotations

import unicodedata

# --- WMD qualifiers and weapon nouns, paired ----------------------------------------------------

#: Nuclear, atomic, thermonuclear, hydrogen: paired with a weapon, warfare, bomb or warhead word.
_NUCLEAR = (
    r"nuclear\w*|nucleair\w*|nuklear\w*|nukleer\w*|jadrow\w*|atom\w*"
    r"|th?ermo(?:nuclear|nucleair|nuklear|nukleer|jadrow)\w*"
    r"|hydrogen\w*|hidrogen\w*|hidrojen\w*|idrogeno|wasserstoff\w*|wodorow\w*"
    r"|ядерн\w*|атомн\w*|термоядерн\w*|водородн\w*|воднев\w*"
    r"|nuklir|jadern\w*|jadrov\w*|πυρηνικ\w*|ατομικ\w*"
)
#: Chemical, biological, bacteriological, radiological (and NBC's abbreviations): paired with a
#: weapon or warfare word only.
_AGENT = (
    r"chemical\w*|chimique\w*|chemisch\w*|chemiczn\w*|quimic\w*|chimic\w*|kimyasal\w*"
    r"|химическ\w*|хімічн\w*"
    r"|biolog\w*|biyolojik\w*|биологическ\w*|біологічн\w*"
    r"|bacteriolog\w*|bakteriolog\w*|бактериологическ\w*|бактеріологічн\w*"
    r"|radiolog\w*|radyolojik\w*|радиологическ\w*|радіологічн\w*"
    r"|abc|nbc|nrbc|cbrne?|nbq|qbrn|рхб"
    r"|kimia|kemisk\w*|kjemisk\w*|chemick\w*|χημικ\w*|βιολογικ\w*"
)
#: Weapon, armament, warfare and munition words.
_ARMS = (
    r"weapons?|weaponry|warfare|arms|armes?|armements?|armas?|armi|armamentos?|armamenti"
    r"|waffen?|wapens?|bron|broni|bronia|uzbrojen\w*|silah\w*"
    r"|оруж\w*|вооружен\w*|збро\w*|озброєн\w*"
    r"|guerre|guerra|krieg\w*|wojn\w*|savas\w*|войн\w*|війн\w*"
    r"|munitions?|munic(?:ao|oes|ion\w*)|munizion\w*|amunic\w*|muhimmat\w*"
    r"|боеприпас\w*|боєприпас\w*|kampfstoff\w*"
    r"|vapen|vapnen|vaben|senjata|zbran\w*|οπλ\w*"
)
#: Bomb, warhead and charge words: a weapon only beside a nuclear word.
_BOMBS = (
    r"bomb\w*|бомб\w*|warheads?|ogives?|ojivas?|ogivas?|testat[ae]|glowic\w*|baslik\w*"
    r"|sprengk[oö]pf\w*|tetes?|cabezas?|заряд\w*|боезаряд\w*|боєзаряд\w*"
)
#: Words that may stand between a qualifier and its noun: "nuclear and chemical weapons".
_AND = r"and|or|und|oder|et|ou|y|o|e|i|ve|veya|ile|lub|albo|oraz|и|или|і|та|або"


def _pair(qualifier: str, noun: str) -> tuple[str]:
    """The phrase of ``qualifier`` and ``noun`` next to each other in either order ("armes
    chimiques", "chemische Waffen"), the qualifier first perhaps with a joining word after it
    ("nuclear or chemical weapons"; not "weapons and nuclear medicine")."""
    q, n, a = f"(?:{qualifier})", f"(?:{noun})", f"(?: (?:{_AND}))?"
    return (f"{q}{a} {n}|{n} {q}",)


#: Unmanned, and the words for it.
_UNMANNED = r"un ?manned|uncrewed|unpiloted|pilotless|crewless"
#: What an unmanned aircraft is called after "unmanned".
_UNMANNED_AIR = (
    r"aerial|air|aircraft|airborne|aviation|airplanes?|aeroplanes?|helicopters?|rotorcraft"
    r"|airships?|flying"
)
#: ... after "unmanned" and a word or two, or after "remotely operated": an aircraft noun, not
#: "air" or "aerial" alone (review18: an unmanned substation's air-insulated switchgear, an
#: unmanned pumping station's air valves, a repeater station's aerial, remotely operated air
#: dampers).
_AIRCRAFT = (
    r"(?:aerial|air) (?:vehicles?|systems?)|aircraft|airborne|airplanes?|aeroplanes?"
    r"|helicopters?|rotorcraft"
)

#: ... but not an aircraft that a ground vehicle or robot tows, pushes, washes or fuels: the
#: autonomous or remotely operated machine is then the tug, not the aircraft (review19).
_HANDLED = (
    r"(?! (?:tugs?|tow(?:s|ing|bars?)?|tractors?|pushbacks?|clean\w*|wash\w*|de icing|deicing"
    r"|refuel\w*))"
)
_FLYING = f"(?:{_AIRCRAFT}){_HANDLED}"

# --- whole-word phrases --------------------------------------------------------------------------

#: The vocabulary as DESIGN.md 2.2 names it, in English. These and ``FOREIGN`` are also read
#: with "l" and "1" taken as "i" ("MISSlLE", "missi1e"), so none of them may be a loose
#: misspelling pattern (those go in ``LOOSE``).
ENGLISH: tuple[tuple[str, ...], ...] = (
    (r"missile(?:s|ry)?",),
    (r"ballistics?|ballistically",),
    (r"rocket(?:s|ry|ries|eer|eers)?",),
    (r"cruises?",),
    (r"uavs?|ucavs?|uass?",),
    (r"drones?",),
    # An unmanned aircraft, by any of its nouns and with a word or two between (attack16:
    # "unmanned combat aerial vehicle", the UCAV spelt out), but not a ground vehicle.
    # Hyphenated as well ("un-manned aircraft", "quad-copter", "multi-copter"; review18).
    (_UNMANNED, _UNMANNED_AIR),
    (_UNMANNED, r"\w+", _AIRCRAFT),
    (_UNMANNED, r"\w+", r"\w+", _AIRCRAFT),
    (r"optionally", r"piloted|manned", r"aircraft|aerial|air|helicopters?|vehicles?"),
    (r"remotely", r"operated", _FLYING),
    # Autonomous: an aircraft noun only ("autonomous air purifier" is no aircraft; attack18),
    # and not an aircraft that is handled on the ground ("autonomous aircraft tug"; review19).
    (r"autonomous", _FLYING),
    (r"autonomous", r"\w+", _FLYING),
    # With the Romance spellings (attack18: "quadricóptero", "cuadricóptero", "quadrirotor",
    # Italian "quadricottero").
    (r"(?:quad(?:r[oi])?|cuadri|hexa|exa|esa|octo|multi)(?:copter\w*|cotter\w*|rotor\w*)"
     r"|(?:quad|hexa|octo|multi) copters?",),
    (r"rpas|rpvs?",),
    (r"remotely", r"piloted", r"aircraft|air|aerial|vehicles?"),
    (r"space|satellite|orbital", r"launch(?:es|ers?|ing)?"),
    (r"launch", r"vehicles?"),
    (r"re", r"entry"),
    (r"reentry",),
    (r"warheads?",),
    (r"icbms?|irbms?|mrbms?|srbms?|slbms?|mirvs?",),
    (r"wmds?",),
    (r"weapons?", r"of", r"mass", r"destruction"),
    (r"nuclear|chemical|biological|bacteriological|radiological|atomic|thermonuclear",
     r"weapons?|weaponry|warfare|bombs?|warheads?|munitions?|explosives?|devices?"),
    (r"bioweapons?|bioweaponry|nukes?",),
    (r"nerve", r"agents?|gas(?:es)?"),
    (r"nuclear|atomic|thermonuclear",
     r"deterren(?:t|ts|ce)|arsenals?|payloads?|strikes?|explosions?|detonations?"),
    (r"radiological", r"dispersal|dispersion", r"devices?|weapons?"),
    (r"mass", r"destruction"),
    (r"n", r"weapons?|bombs?"),
    # What a diverter writes instead (found by attacking a running gate): split words,
    # system names, agents and delivery terms.
    (r"mis", r"siles?"),
    (r"war", r"heads?"),
    # Not "a bomb calorimeter", a laboratory instrument (review19).
    (r"a|h|atom|atomic|hydrogen|dirty", r"bombs?(?! calorimet\w*)"),
    (r"bio|chem|chemo", r"weapons?|weaponry|warfare|agents?"),
    (r"scuds?|shahab|hwasong|iskander|zelzal|nodong|taepodong|musudan|ghauri"
     r"|kn\d\d|sejjil|khorramshahr|tochka|burkan|mlrs|gmlrs|himars|shahed",),
    # Fateh and Shaheen are common given names and family names (a Shaheen hospital, a Fateh
    # dental clinic; attack18): the missile only with its number.
    (r"fateh", r"\d{2,3}\w*|mobin"),
    (r"fateh", r"e", r"mobin"),
    (r"shaheen", r"(?:i{1,3}|[1-3])a?"),
    # Drones named by their model number ("Geran-2", "Orlan-10"): the name alone is a person's.
    (r"geran|orlan", r"\d{1,2}"),
    # Attack18: proper names of missile and UAV systems a shipper writes instead of the word,
    # where the name is no ordinary word, product or common name (not Tomahawk, Lancet,
    # Javelin, Stinger, Patriot, Harpoon, Trident, Taurus, Zircon, Kalibr (Czech for calibre),
    # Akinci, Anka, Nasr, Emad, Prithvi, Agni, Babur, Grad, Buk, Tor), or only with the word or
    # number that makes it one ("Bayraktar TB2", "Topol-M", "Kh-101", "BGM-109"): a number
    # from the designations in service, not any (Kawasaki's KH 250 is a motorcycle, an "AGM
    # 65 Ah" a battery).
    (r"atacms|jassm|brahmos|kinzhal|oreshnik|bulava|tsirkon|pukguksong|exocet|harop|kepd"
     r"|smerch",),
    (r"kheibar|khaibar", r"shekan|shikan"),
    (r"storm", r"shadows?"),
    (r"scalp", r"eg|naval"),
    (r"wing", r"loong"),
    (r"heron", r"tp"),
    (r"bayraktar", r"tb\d|akinci|kizilelma"),
    (r"topol", r"m"),
    (r"kh", r"(?:22|23|25|29|31|32|35|47|55|58|59|101|102|555)(?:m\d?|[a-z]{1,2})?"),
    # Not an AGM battery's capacity ("AGM 88 Ah", "AGM-84 battery"; review19).
    (r"agm", r"(?:84|86|88|114|154|158|183)[a-h]?(?! (?:ah|amps?|v|volts?|batter\w*|cells?))"),
    (r"bgm|rgm|ugm|mgm|lgm|mim|fim",
     r"(?:109|84|27|73|96|133|31|52|140|168|30|35|118|104|23|92)[a-h]?"),
    (r"kargu|mohajer|ababil|ababeel", r"\d{1,2}"),
    # Delivery terms of the MTCR annex a shipper writes instead of "missile" (attack18).
    (r"scramjets?|ramjets?",),
    # Persian "drone" written in Latin letters.
    (r"pahpads?|pehpads?",),
    (r"transporter", r"erector", r"launchers?"),
    (r"hypersonic", r"glide|vehicles?|weapons?"),
    (r"boost", r"glide", r"vehicles?|bod(?:y|ies)|weapons?|systems?"),
    (r"loitering", r"munitions?"),
    (r"kamikaze", r"drones?|uavs?"),
    (r"sarin|soman|tabun|novichok|vx|ricin|anthrax|mustard\s+gas",),
    (r"weaponi[sz](?:e|ed|ing|ation)",),
    # Found by attack5: the CBRN abbreviation and germ warfare.
    (r"cbrne?",),
    (r"germ", r"warfare|weapons?"),
    # The nuclear fuel cycle's proliferation-sensitive steps, nuclear end uses of their own
    # (EAR 744.2(a)(3): enrichment, reprocessing, isotope separation, heavy water production):
    # "for our uranium enrichment plant" must not clear. Not reactors or nuclear medicine, and
    # not an enrichment plant alone (ore and coal are enriched too).
    # Not isotopes in general (stable isotopes are separated for medicine), not low enriched
    # uranium (reactor fuel), not "weapons grade" alone (steel).
    (r"uranium|plutonium", r"enrichment|enriching|reprocessing|separations?"),
    (r"u ?23[358]|pu ?239", r"enrichment|separation"),
    (r"(?<!low )enrich(?:es|ed|ing)?", r"uranium|plutonium"),
    (r"centrifuge", r"cascades?|enrichment"),
    (r"enrichment", r"cascades?|centrifuges?"),
    (r"gas", r"centrifuges?"),
    (r"spent|irradiated|nuclear", r"fuel", r"reprocessing"),
    (r"reprocessing", r"of", r"spent|irradiated", r"(?:nuclear )?fuel"),
    (r"heavy", r"water", r"production|plants?"),
    (r"weapons?", r"grade", r"uranium|plutonium|nuclear|fissile|material"),
)  # fmt: skip

#: Other languages that separate their words: French, German, Dutch, Spanish, Portuguese,
#: Italian, Polish, Turkish, Russian, Ukrainian, Hebrew. Inflections are the stem and any
#: ending (``\w*``); Hebrew words take their attached prefixes (the, and, in, to, that, as).
FOREIGN: tuple[tuple[str, ...], ...] = (
    _pair(_NUCLEAR + "|" + _AGENT, _ARMS),
    _pair(_NUCLEAR, _BOMBS),
    # Missiles and rockets. "Raketenofen" (a rocket stove) is held like "rocket salad"; the
    # racket ("ракетка", Czech "raketka") is another word and is not.
    (r"ball?ist\w*",),
    (r"misseis|missilistic\w*",),
    (r"raket(?!k)\w*|rakiet(?!k)\w*|roket\w*|pocisk\w*|fuze\w*|razz[oi]|cohete\w*|foguet\w*"
     r"|roquettes?|flugkorper\w*|lenkflugkorper\w*|lenkwaff\w*",),
    # French "fusée" is a rocket, but the stub axle of a car's steering is one too.
    # Read with the apostrophe dropped too ("fusée d'essieu" folds to "fusee dessieu").
    (r"fusees?(?! d essieux?| dessieux?| de direction| de roue)",),
    (r"lanceurs?", r"spatia\w*"),
    (r"kitle", r"imha"),
    (r"destruction", r"massive|de masse"),
    (r"destruccion|destruicao|distruzione", r"masiva|em massa|di massa|de massa"),
    (r"masowego|masowej", r"razenia|zaglady"),
    (r"massenvernichtung\w*",),
    (r"массов\w*", r"поражен\w*|уничтожен\w*"),
    (r"масов\w*", r"ураженн\w*|знищенн\w*"),
    # Drones and unmanned aircraft.
    (r"dron(?:es|y|ow|a|u|ami|om|ach|e|i|lar\w*)?|drohnen?|dronare\w*",),
    (r"aereos?|aerea|aereas|aeronaves?", r"no|nao", r"tripulad\w*"),
    # Attack18: unmanned aircraft in French, Spanish, Portuguese, Italian, German and Dutch,
    # and missiles in Finnish and Czech.
    (r"aeronefs?|avions?|aviones|avion|aeronaves?|velivol\w*|aeromobil\w*|aereos?",
     r"sans|sin|sem|senza", r"pilotes?|pilotos?|pilota|equipage|tripulacion|tripulacao"),
    (r"aeronefs?", r"telepilot\w*"),
    (r"aeronaves?", r"remotamente", r"pilotad\w*|tripulad\w*"),
    (r"pilotaggio", r"remoto"),
    (r"unbemannt\w*",
     r"luftfahrzeug\w*|fluggerat\w*|flugzeug\w*|flugsystem\w*|luftfahrtsystem\w*"),
    (r"onbemand\w*", r"vliegtui\w*|luchtvaartui\w*"),
    (r"ohjus(?:ten|ta)?|ohjuk\w*|droon\w*",),
    # The forms of "střela" only: not "řízení střelnice", running a shooting range (review19).
    (r"rizen\w*|balistick\w*|protiletadlov\w*|protilodn\w*", r"strel(?:a|y|e|u|ou|am|ach|ami)?"),
    # Finnish "miehittämätön ilma-alus", an unmanned aircraft (review19).
    (r"miehittamat\w*", r"ilma", r"alu\w*"),
    # Unmanned aircraft in Indonesian and Malay, Vietnamese, Hungarian, Romanian and Greek;
    # a Greek rocket (attack18).
    (r"pesawat", r"tanpa", r"awak|pilot"),
    (r"pesawat", r"nirawak"),
    (r"may", r"bay", r"khong", r"nguoi", r"lai"),
    (r"pilota", r"nelkuli"),
    (r"avion|avioane|aeronava|aeronave", r"fara", r"pilot"),
    (r"μη", r"επανδρωμεν\w*", r"αεροσκαφ\w*|αεροχημ\w*|ιπταμεν\w*|ελικοπτερ\w*"),
    (r"ρουκετ\w*",),
    (r"bezzalogow\w*", r"stat\w*|samolot\w*|aparat\w*|lotnicz\w*|powietrzn\w*"),
    (r"insansiz", r"hava", r"arac\w*"),
    (r"s?iha(?:lar|lari|si|sina|nin|ya)?",),
    (r"дрон\w*|бпла|мбр|зарин|рицин",),
    # Hebrew: missile, rocket, ballistic, drone, UAV (abbreviated with gershayim), warhead,
    # nuclear (chemical, ...) weapon or bomb, mass destruction.
    (r"[הובלשכ]{0,2}טיל(?:ים|י)?|[הובלשכמ]{0,2}רקט(?:ה|ות|י|ית|יים)",),
    (r"[הובלשכמ]{0,2}(?:בליסטי\w*|רחפן|רחפנים)",),
    (r"[הובלשכמ]{0,2}כטב", r"ם|מים"),
    (r"[הובלשכמ]{0,2}ראשי?", r"נפץ"),
    (r"[הובלשכמ]{0,2}(?:נשק|פצצ(?:ה|ת|ות))",
     r"ה?(?:גרעיני|כימי|ביולוגי|אטומ|אטום|רדיולוגי|בקטריולוגי|מימן)\w*"),
    (r"ל?ה?השמדה", r"המונית"),
    # Found by a second attack: Indonesian and Malay, Greek and Vietnamese missiles and
    # weapons (Swedish, Danish, Norwegian, Czech and the Greek weapon words are in the pairs).
    (r"rudal\w*",),
    (r"peluru", r"kendali"),
    (r"πυραυλ\w*|βαλλιστικ\w*",),
    (r"ten", r"lua"),
    (r"vu", r"khi", r"hat", r"nhan"),
    (r"vu", r"khi", r"hoa|sinh", r"hoc"),
    (r"bom", r"hat", r"nhan"),
    (r"bom", r"nguyen", r"tu"),
)  # fmt: skip

#: Read as written only, never with "l" taken as "i": a loose misspelling ("missle",
#: "misile", Spanish "misil", Italian "missili") would read the Polish "misie" (teddy bears),
#: and "SLV" would read "siv".
LOOSE: tuple[tuple[str, ...], ...] = (
    (r"mis{1,2}i?l(?:e|es|s|i|ista|istico|istica)?|misiles?|missils?|misil\w*|missil\w*",),
    # Not "RV" or "HGV": at a dock they are camper vans and heavy goods vehicles.
    (r"slvs?",),
    # Found by attack16: cruise and guided missiles by their abbreviations (not "MaRV", a
    # man's name, nor "TBM", "ABM" or "BMD", ordinary in other trades). Written in capitals,
    # where an "I" is no "L": read with "l" as "i" they were SICM (a microscopy), AICM, GICM
    # and IACM (review18).
    (r"[agsl]lcms?|lacms?|ascms?|asbms?|atgms?|manpads",),
)

# --- split words -------------------------------------------------------------------------------

#: The delivery and military words that count when written split into two to four words
#: ("missi le", "dro ne", "mi-ssile", "mil itary"; attack18), found as the whole of the words
#: joined, and without an open ending: every other term joined from ordinary words would
#: hold civil text ("Dodge Ram jet black" joins "ramjet", "oh just" the Finnish "ohjus",
#: "ракетка для" a "ракет\w*", a garden "rake ten" pack the German "Raketen"; checked
#: against an English word list: "rock et", "dr one" and "ball is tic" remain).
SPLIT_WMD: tuple[tuple[str, ...], ...] = (
    (
        r"missiles?|missilery|rockets?|rocketry|drones?|warheads?|ballistics?|ballistically"
        r"|(?:quad|hexa|octo|multi)(?:copters?|rotors?)"
        r"|rakete|raketa|rakiet[ay]?|roket(?:ler|leri|i)?|drohnen?|misiles?|missil[ei]|misseis"
        r"|cohetes?|foguetes?|ракет(?:а|ы|у|ои|е|ам|ами|ах|ныи|ные|ных)?"
        r"|дрон(?:ы|ов|а|ам|ами|ах|е|у|ом)?|беспилотн\w*",
    ),
)
#: Ordinary runs of words that join into a word of ``SPLIT_WMD``, written as folded: the
#: French "rock et pop" (rock and pop) and "ouzo, raki et arak", the Spanish "mis seis
#: tiendas" (my six shops) and a delivery to Ras Al Khaimah "RAK, ETA Monday" (review19).
#: Not "miss ile" or "dr one", which read as a split word first.
CIVIL_SPLITS: frozenset[str] = frozenset({"rock et", "raki et", "mis seis", "rak eta"})

#: The delivery words that count with a letter written twice or more ("misssile",
#: "drrone", "mmissile"; attack18), but not their last letter: "Rockett" is a family name.
STUTTERED: tuple[str, ...] = ("missile", "rocket", "drone", "warhead", "ballistic")
SPLIT_MILITARY: tuple[tuple[str, ...], ...] = (
    (
        r"military|militar(?:ies|ily|i[sz]ed|i[sz]ation|es|e|i|o|a|os|as)?|militaires?"
        r"|weapons?|weaponry|ammunition|munitions?",
    ),
)

# --- inside words -------------------------------------------------------------------------------

#: Found inside any word of the folded text (never across words: "икра кетовая", salmon
#: roe, holds no "ракет").
ANYWHERE: tuple[str, ...] = (
    # German and Dutch compounds ("Atomwaffenprogramm"), not a waffle ("Bio-Waffeln").
    r"(?:kern|atom|nuklear|chemie|bio|abc|nbc|massenvernichtungs|wasserstoff|neutronen"
    r"|giftgas)waffe(?!l)",
    r"atombombe|wasserstoffbombe|sprengkopf|gefechtskopf|rakete|flugkorper|lenkwaffe|drohne"
    r"|kernwapen|atoomwapen|lancia(?:razzi|missili)|giftgas|nervengas|nervenkampfstoff",
    # Russian and Ukrainian compounds ("противоракетный", "межконтинентальная").
    r"ракет(?!к)|баллистич|балістичн|беспилот|безпілот|безпилот|боеголов|боєголов",
    # Pilotless in Czech, Slovak, Polish, Croatian, Serbian and Bulgarian ("bezpilotní",
    # "bespilotna", "bezpilotowiec", "безпилотен"), a drone only; Polish "bezzałogowiec"
    # (but not "bezzałogowa stacja", an unmanned filling station); Swedish missiles (attack18).
    r"bezpilot|bespilot|bezzalogowiec|bezzalogowc|kryssningsrobot|robotvapen",
    # Finnish missile compounds ("risteilyohjus", "ohjusjärjestelmä"), Swedish and Dutch
    # cruise missiles ("kryssningsmissil", "kruisraket"; review19).
    r"ohjus|kryssningsmissil|kruisraket",
    # Scandinavian compounds ("kärnvapen", "atomvåben"), and English written as one word.
    r"(?:karn|kjerne|kerne|atom|kem|kemi|kjemi|bio)va[pb]en",
    r"(?:nuclear|chemical|biological|atomic)weapon",
    # Found by attack16: English joined into one word or written in CamelCase, which folds
    # to one word ("RocketMotor", "CruiseMissile", "UnmannedAerialVehicle"): a delivery word
    # that begins a word, or follows the prefix of a small or a counter one ("microdrone",
    # "antimissile"), never inside another word ("Crockett", "padrone"); and the phrases.
    # Not a Cruiser (a Toyota Land Cruiser, a beach cruiser bicycle, a cabin cruiser) nor
    # dronedarone, a heart drug (review18), nor the family name Rockett (attack18).
    r"(?<![^\W_])(?:anti|counter|micro|mini|nano)?"
    r"(?:missile|rocket(?!t)|drone(?!daron)|uav|ucav|warhead|icbm|slbm|cruise(?!r)|ballistic)",
    # Attack18: the same written in lower case with the delivery word last ("guidedmissile",
    # "kamikazedrone"): "missile" inside any word (no civil word holds it), a drone or UAV
    # after an attack word only ("padrone", "madrone").
    r"missile|(?:kamikaze|attack|strike|combat|suicide|killer|fpv|armed|military|recon)"
    r"(?:drone|uav)|(?:dirty|atom|hydrogen)bomb|loiteringmunition|hypersonicglide",
    r"spacelaunch|launchvehicle|reentryvehicle|unmanned(?:aerial|air|aircraft)|massdestruction"
    r"|(?:bio|chem|germ)(?:warfare|weapon)|nerve(?:agent|gas)"
    r"|(?:nuclear|chemical|biological|atomic)(?:warhead|bomb|warfare)",
)  # fmt: skip

#: Found in the folded text with its spaces removed.
SPACELESS: tuple[str, ...] = (
    # Chinese (simplified, traditional): missile, rocket, ballistic, warhead, nuclear,
    # atomic, hydrogen and dirty bombs, chemical, biological, germ and radiological weapons,
    # WMD, drones. "化武"/"核武" not before Wuhan (武汉), martial arts (武术), ...
    r"导弹|導彈|飞弹|飛彈|火箭|弹道|彈道|弹头|彈頭|核弹|核彈|原子弹|原子彈|氢弹|氫彈|脏弹|髒彈",
    r"(?:核|化)武(?![汉漢昌术術当當夷威陵装裝])|化学武器|化學武器|生化武器|生物武器|细菌武器"
    r"|細菌武器|放射性武器|化学战|化學戰|大规模杀伤性武器|大規模殺傷性武器|无人机|無人機",
    # Japanese: missile, rocket (not the locket pendant), ballistic, warhead, nuclear,
    # chemical, biological weapons, WMD, atomic bomb, guided missile, drone.
    r"ミサイル|ロケット(?!ペンダント|ネックレス)|弾道|弾頭|核兵器|化学兵器|生物兵器"
    r"|放射能兵器|大量破壊兵器|原子爆弾|原爆|水爆|核爆弾|誘導弾|ドローン",
    # Korean: missile, rocket (not the locket necklace), ballistic missile, warhead, nuclear
    # weapon and bomb, chemical, biological weapons, WMD, unmanned aircraft, drone.
    r"미사일|로켓(?!목걸이|펜던트)|탄도탄|탄도미사일|탄두|핵무기|핵폭탄|원자폭탄|수소폭탄"
    r"|화학무기|생물무기|생물학무기|생화학무기|대량살상무기|무인기|무인항공기|드론",
    # Arabic and Persian: missile(s), ballistic, drone ("without pilot", Persian "pahpad"),
    # warhead, mass destruction, a weapon or bomb that is nuclear, atomic, chemical, ...
    r"صاروخ|صواريخ|باليستي|بالستيك|موشك|مسيرة|بدونطيار|پهپاد|(?:راس|رووس)(?:ال)?حربي",
    r"دمار(?:ال)?شامل|كشتارجمعي",
    r"(?:سلاح|اسلحة|اسلحه|تسليح|جنگافزار|بمب|قنبلة|قنابل|كلاهك)(?:ها|هاي|ي)?(?:ال)?"
    r"(?:نوو|هسته|اتم|ذري|كيم|شيمي|بيولوژ|بيولوج|ميكروب|جرثوم|اشعاع|راديولوژ|راديولوج|پرتو)",
    # Hindi, as folding leaves it (its vowel signs go): nuclear (paramanu, nabhikiya),
    # chemical and biological weapon, atom bomb, missile (misail, prakshepastra).
    r"परमणहथयर|नभकयहथयर|रसयनकहथयर|जवकहथयर|परमणबम|मसइल|परकषपसतर",
    # Thai: missile, rocket, drone, unmanned aircraft, written as folded (its vowel signs
    # above and below fold away or to spaces: "ขีปนาวุธ" is "ขปนาวธ"); Urdu: missile, drone
    # (attack18).
    r"ขปนาวธ|จรวด|โดรน|อากาศยานไรคนขบ|میزائل|ڈرون",
    # Bengali: missile (both words), as folded.
    r"কষপণসতর|মসইল",
    # Hebrew: the abbreviation for a UAV, written with or without its gershayim.
    r"כטב(?:ם|מים)",
)  # fmt: skip

# --- military (row 7 only) ----------------------------------------------------------------------

#: "Military" alone, and its plain equivalents: armed forces, defence ministries, weapons.
MILITARY: tuple[tuple[str, ...], ...] = (
    (r"military|militaries|militarily|militari[sz]ed|militari[sz]ation|militar\w*"
     r"|militaire\w*|wojsk\w*|askeri\w*|vojensk\w*|sotila\w*|военн\w*|військов\w*|[הובלשכמ]{0,2}צבא\w*",),
    (r"armed", r"forces?"),
    (r"forces", r"armees"),
    (r"fuerzas|forcas|forze", r"armadas|armate"),
    (r"вооруженн\w*|збройн\w*", r"сил\w*"),
    (r"silahli", r"kuvvet\w*"),
    (r"ministry|ministries|department|minister|secretary", r"of", r"defen[cs]e"),
    (r"defen[cs]e", r"ministry|ministries|department|forces?|procurement"),
    (r"ministere|ministerio|ministero", r"(?:de|da|della|del)(?: la| l)?",
     r"defense|defensa|difesa|defesa"),
    (r"ministerstw\w*|министерств\w*|міністерств\w*", r"obrony|оборон\w*"),
    (r"milli", r"savunma"),
    (r"army|armies", r"procurement|contracts?|units?|bases?|depots?|use"),
    # An army plainly ("spare parts for the army", "the Army of ..."), but not the charity,
    # the knife, the surplus store or the colour. The Swiss Army is an army: only its knife
    # is not ("spare parts for the Swiss Army" cleared).
    (r"(?<!salvation )(?:army|armies)(?! surplus| green| knife| knives)",),
    # An army in the other languages, but not their Salvation Army: "Armee" (German, French
    # "armée"), "ejército", "exército", "esercito", Polish "armia", Russian and Ukrainian
    # ("армирование", reinforcing, is no army).
    (r"armee(?:n|s)?(?! du salut)|ejercitos?(?! de salvacion)|exercitos?(?! de salvacao)"
     r"|esercit[oi](?! della salvezza)|armi(?:a|i|e)(?! zbawienia)"
     r"|арми(?:я|и|ю|еи)(?! спасения)|армі(?:я|і|ю|єю)(?! спасіння)",),
    (r"aerospace|strategic", r"forces?"),
    (r"bundeswehr|verteidigungsministerium\w*|irgc|pasdaran",),
    # The Swedish and Finnish armed forces (review19).
    (r"forsvarsmakt\w*|puolustusvoim\w*",),
    # German armed forces, warships, combat aircraft and the arms industry (attack18); not
    # "Rüstung" alone (a knight's armour) nor "Verteidigung" (a defence in court).
    (r"streitkraft\w*|kriegsschiff\w*|kampfflugzeug\w*|kampfjets?|luftwaffe|bundesmarine"
     r"|rustungs\w*",),
    (r"defense|defensa|difesa|defesa", r"nationale|nacional|nazionale"),
    # Weapons named by kind rather than as weapons (attack18): guided and cluster bombs (a
    # bath bomb and a bomb calorimeter are not), artillery (not the artillery plant, a
    # houseplant, nor the artillery fungus), howitzers, air defence, anti-aircraft, anti-tank,
    # anti-ship and anti-personnel, a main battle tank.
    (r"guided|glide|gliding|smart|cluster|aerial|aircraft", r"bombs?"),
    # Nor the streets named after an artillery ground (Artillery Lane, Row, Place) and the
    # Artillery brand of 3D printers (Sidewinder, Genius, Hornet; review19).
    (r"jdams?|howitzers?|artillery(?! plants?| fung\w*| ferns?| lane| row| place| square"
     r"| street| road| mansions| sidewinder| genius| hornet)",),
    (r"air", r"defen[cs]es?"),
    # Torpedoes (a leftover of attack18, 2026-12-01), in the languages above: not the
    # torpedo level (a spirit level), the torpedo heater (a forced-air space heater), the
    # Torpedo hub of a bicycle, nor a torpedo bag or torpedo grass. Review22: as the rows
    # above read their words, inside German and Nordic compounds ("Torpedolenkung",
    # "Schwergewichtstorpedo", "torpedobåt") and in every case of the Polish, Czech, Nordic
    # and Finnish word ("torped", "torpedami", "torpédů", "torpeder", "torpedon"), Romanian
    # "torpilă" and Greek; the hub by its German name and models (Torpedo-Nabe, Sachs Torpedo
    # Duomatic, coaster brake), the torpedo cigar and the lifeguard's rescue torpedo and buoy
    # are civil. Not Italian "siluro" (also the wels catfish), Turkish "torpido" (a car's
    # glove box) nor Persian "اژدر" (also a dragon).
    (r"(?<!sachs )(?<!rescue )[^\W\d_]*torped"
     r"(?!o(?:nabe|wasserwaag|level|hub|heater|bag|grass|bottle))[^\W\d_]*"
     r"(?! levels?| heaters?| hubs?| bags?| grass| bottles?| naben?| wasserwaagen?| duomatic"
     r"| coaster| cigars?| buoys?)"
     r"|torpill?[ae]\w*|τορπιλ\w*|торпед\w*|[הובלשכמ]{0,2}טורפד\w*",),
    (r"anti", r"aircraft|tanks?|ships?|armou?r|personnel"),
    (r"antiaircraft|antitank|antiship|antipersonnel",),
    (r"main", r"battle", r"tanks?"),
    # Found by attack5: the services and forces named plainly ("for the US Air Force").
    # Not Old Navy (a clothing retailer), Chicago's Navy Pier, nor Nike's Air Force 1 shoes,
    # also read from CamelCase ("OldNavy", "NikeAirForce"; review19).
    (r"paramilitar\w*|(?<!old )navy(?!\s+blue| pier)|navies|naval|warships?|ammunition|troops",),
    (r"(?<!nike )air|special", r"forces?"),
    (r"combat|fighter", r"aircraft|jets?|planes?"),
    (r"weapons?|weaponry|weaponi[sz]ed|munitions?|armes?|armas|armi|waffen?|bron|broni|silah\w*"
     r"|оруж\w*|збро\w*|[הובלשכמ]{0,2}נשק",),
)  # fmt: skip

#: Military in Chinese, Japanese, Korean, Arabic and Persian, found with spaces removed.
MILITARY_SPACELESS: tuple[str, ...] = (
    r"军事|軍事|军用|軍用|武器|兵器|解放军|解放軍|自衛隊|군사|군용|국방부"
    r"|عسكري|سلاح|اسلحة|اسلحه|جنگافزار",
    # Torpedoes (review22): Chinese, Japanese, Korean, Arabic.
    r"鱼雷|魚雷|어뢰|طوربيد",
)

# --- one form for Arabic-script letters ---------------------------------------------------------

#: Arabic and Persian spellings of one letter read as one: the Persian yeh and kaf as the
#: Arabic ones, alef maksura as yeh, alef wasla as alef; the tatweel (a stretching stroke)
#: dropped. "Ta marbuta" stays: it is written in the tables as it is in Arabic text.
SCRIPT_FORMS = str.maketrans(
    {"ی": "ي", "ى": "ي", "ې": "ي", "ک": "ك", "ڪ": "ك", "ٱ": "ا", "ۀ": "ه", "ـ": None}
)


def script_form(pattern: str) -> str:
    """``pattern`` in the form folded text has: compatibility forms and composed letters split
    (NFKD: Hangul syllables into their letters, half-width kana to full-width), combining marks
    dropped (Japanese voicing marks, Arabic vowels and hamza), Arabic-script letters in one
    form. Regular-expression syntax is ASCII and unchanged."""
    decomposed = unicodedata.normalize("NFKD", pattern)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return kept.translate(SCRIPT_FORMS)
