"""A WMD or missile end use written in another language, script or disguise is read as one
(DESIGN.md 2.2, rows 5 and 7), and ordinary words of those languages that share a stem are not.

Found by attacking a running gate: a Category II gyro to the US declared for "arme nucléaire",
"Atomwaffenprogramm", "ядерное оружие", "موشک" or "chemische Waffe" cleared under EU001.
"""

from __future__ import annotations

import pytest

from gate.core.end_use import EndUse, Vocabulary

BUILT_IN = Vocabulary()

#: (language, declared end use): each names WMD or missile delivery, and each was missed.
WMD_ELSEWHERE = [
    # French
    ("fr", "arme nucléaire"),
    ("fr", "armes chimiques et biologiques"),
    ("fr", "bombe atomique"),
    ("fr", "ogive nucléaire"),
    ("fr", "fusée porteuse"),
    ("fr", "lance-roquettes"),
    ("fr", "armes de destruction massive"),
    # German
    ("de", "Atomwaffenprogramm"),
    ("de", "für das Kernwaffenprogramm"),
    ("de", "chemische Waffe"),
    ("de", "Chemiewaffe"),
    ("de", "Biowaffen"),
    ("de", "ABC-Waffen"),
    ("de", "Atombombe"),
    ("de", "Marschflugkörper"),
    ("de", "Interkontinentalrakete"),
    ("de", "nuklearer Sprengkopf"),
    ("de", "Massenvernichtungswaffen"),
    ("de", "Lenkwaffe"),
    ("de", "Kampfdrohne"),
    ("de", "Giftgas"),
    # Dutch
    ("nl", "kernwapen"),
    ("nl", "raket"),
    # Spanish
    ("es", "arma nuclear"),
    ("es", "arma biológica"),
    ("es", "ojiva nuclear"),
    ("es", "bomba atómica"),
    ("es", "cohete"),
    ("es", "cohetería"),
    ("es", "arma de destrucción masiva"),
    ("es", "vehículo aéreo no tripulado"),
    # Portuguese
    ("pt", "arma química"),
    ("pt", "mísseis balísticos"),
    ("pt", "foguete"),
    ("pt", "foguetão"),
    ("pt", "destruição em massa"),
    # Italian
    ("it", "armi chimiche"),
    ("it", "testata nucleare"),
    ("it", "razzo"),
    ("it", "lanciamissili"),
    ("it", "armi di distruzione di massa"),
    # Polish
    ("pl", "broń jądrowa"),
    ("pl", "głowica jądrowa"),
    ("pl", "pocisk"),
    ("pl", "pocisk balistyczny"),
    ("pl", "rakieta"),
    ("pl", "broń masowego rażenia"),
    ("pl", "bezzałogowy statek powietrzny"),
    # Turkish
    ("tr", "nükleer silah"),
    ("tr", "silah nükleer"),
    ("tr", "kimyasal silahlar"),
    ("tr", "füze"),
    ("tr", "balistik füze"),
    ("tr", "roket"),
    ("tr", "kitle imha silahları"),
    ("tr", "SİHA"),
    # Russian
    ("ru", "ядерное оружие"),
    ("ru", "для ядерного оружия"),
    ("ru", "химического оружия"),
    ("ru", "ядерный заряд"),
    ("ru", "оружие массового поражения"),
    ("ru", "дроны"),
    ("ru", "БПЛА"),
    ("ru", "рак" + "e" + "та"),  # the "e" is Latin
    ("ru", "ядер\u200bное оружие"),  # a zero-width space inside a word
    ("ru", "ядерно" + "e " + "o" + "ружи" + "e"),  # "e" and "o" Latin
    # Ukrainian
    ("uk", "ядерна зброя"),
    ("uk", "хімічної зброї"),
    ("uk", "балістичний"),
    ("uk", "безпілотник"),
    ("uk", "зброя масового знищення"),
    # Arabic
    ("ar", "سلاح نووي"),
    ("ar", "أسلحة كيميائية"),
    ("ar", "الأسلحة البيولوجية"),
    ("ar", "قنبلة ذرية"),
    ("ar", "أسلحة الدمار الشامل"),
    ("ar", "رأس حربي"),
    ("ar", "طائرة بدون طيار"),
    # Persian
    ("fa", "موشک"),
    ("fa", "موشک‌های بالستیک"),
    ("fa", "سلاح هسته‌ای"),
    ("fa", "سلاح‌های شیمیایی"),
    ("fa", "بمب اتمی"),
    ("fa", "پهپاد"),
    # Hebrew
    ("he", "נשק גרעיני"),
    ("he", "טיל"),
    ("he", "הטילים"),
    ("he", "רקטות"),
    ("he", "פצצה אטומית"),
    ("he", "פצצת אטום"),
    ("he", "ראש נפץ"),
    ("he", 'כטב"ם'),
    ("he", "נשק להשמדה המונית"),
    # Chinese (simplified, traditional)
    ("zh", "氢弹"),
    ("zh", "原子弹"),
    ("zh", "大规模杀伤性武器"),
    ("zh-Hant", "導彈"),
    ("zh-Hant", "化學武器"),
    ("zh-Hant", "彈道飛彈"),
    ("zh-Hant", "無人機"),
    # Japanese
    ("ja", "核兵器"),
    ("ja", "ミサイル"),
    ("ja", "ﾐｻｲﾙ"),
    ("ja", "弾道ミサイル"),
    ("ja", "化学兵器"),
    ("ja", "ドローン"),
    # Korean
    ("ko", "핵무기"),
    ("ko", "핵 무기를"),
    ("ko", "미사일"),
    ("ko", "탄도 미사일"),
    ("ko", "화학무기"),
    ("ko", "드론"),
    # English, disguised
    ("en", "balistic"),
    ("en", "MISSlLE guidance"),
    ("en", "MlSSlLE"),
    ("en", "missi1e"),
    ("en", "m1ssi1e"),
    ("en", "nuc1ear weapons"),
    ("en", "N-weapon"),
    ("en", "mass destruction"),
    # Systems found in the attack: rocket artillery, drones named with their model number
    ("en", "MLRS"),
    ("en", "Shahed-136"),
    ("en", "Geran-2"),
    ("en", "Orlan-10"),
    # A second attack, on the fixed build: elided articles, more languages, one word
    ("fr", "l'arme nucléaire"),
    ("fr", "d'armes chimiques"),
    ("fr", "l’arme atomique"),
    ("it", "dell'arma nucleare"),
    ("fr", "l'ICBM"),
    ("sv", "kärnvapen"),
    ("sv", "kemiska vapen"),
    ("da", "atomvåben"),
    ("no", "kjernevåpen"),
    ("id", "senjata nuklir"),
    ("id", "senjata kimia"),
    ("id", "rudal balistik"),
    ("id", "peluru kendali"),
    ("cs", "jaderná zbraň"),
    ("cs", "chemické zbraně"),
    ("el", "πυρηνικά όπλα"),
    ("el", "πύραυλος"),
    ("hi", "परमाणु हथियार"),
    ("hi", "मिसाइल"),
    ("vi", "vũ khí hạt nhân"),
    ("vi", "tên lửa"),
    ("vi", "bom hạt nhân"),
    ("en", "NUCLEARWEAPON"),
]


@pytest.mark.parametrize(("language", "text"), WMD_ELSEWHERE)
def test_a_wmd_end_use_in_another_language_or_disguise_is_read(language: str, text: str) -> None:
    """Each end use names WMD or missile delivery in its language: it is found (rows 5, 7)."""
    assert BUILT_IN.read(text).wmd is not None, language


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("arme nucléaire", "arme nucleaire"),
        ("für das Kernwaffenprogramm", "kernwaffe"),
        ("ядерного оружия", "ядерного оружия"),
        ("MISSlLE guidance", "misslle"),
        ("missi1e", "missi1e"),
    ],
)
def test_the_finding_names_the_words_as_written(text: str, term: str) -> None:
    """The operator sees the words that were caught as the text has them (folded), not the
    form the gate read them in."""
    assert term == BUILT_IN.read(text).wmd


#: Ordinary words of those languages near the weapon words: each reads as no end use at all.
ORDINARY = [
    ("sv", "kärnkraft"),  # nuclear power
    ("sv", "vapen"),  # weapon alone: military at most, no WMD
    ("sv", "kemikalier"),
    ("id", "bahan kimia"),  # chemicals
    ("el", "χημικά προϊόντα"),  # chemical products
    ("fr", "médecine nucléaire"),
    ("fr", "fusée de direction avant gauche"),  # a car's stub axle
    ("de", "Bio-Waffeln"),  # organic waffles
    ("de", "Atomuhr"),
    ("de", "chemische Industrie"),
    ("es", "bomba química dosificadora"),  # a chemical dosing pump
    ("es", "bomba de agua para central nuclear"),
    ("pt", "bomba de combustível"),
    ("it", "razzia"),
    ("pl", "pluszowe misie"),  # teddy bears
    ("pl", "fizyka jądrowa"),
    ("tr", "ihale dosyası"),  # a tender file
    ("ru", "теннисные ракетки"),  # tennis rackets
    ("ru", "икра кетовая"),  # salmon roe
    ("ru", "ядерная медицина"),
    ("ru", "бла бла"),
    ("ar", "الطب النووي"),
    ("fa", "هسته گردو"),  # walnut kernels
    ("he", "מטיל זהב"),  # a gold ingot
    ("zh", "文化武术"),  # cultural martial arts
    ("zh", "结核武汉医院"),  # a tuberculosis hospital in Wuhan
    ("zh", "核医学"),
    ("ja", "ロケットペンダント"),  # a locket pendant
    ("ko", "로켓 목걸이"),  # a locket necklace
    ("ko", "핵의학"),
    ("en", "chemical-free bath bombs"),
    ("en", "drongo figurines"),
    ("en", "Orlan family bakery"),
]


@pytest.mark.parametrize(("language", "text"), ORDINARY)
def test_ordinary_words_sharing_a_stem_are_not_an_end_use(language: str, text: str) -> None:
    """Civil words that contain a weapon word's stem, or a civil word beside "nuclear" or
    "chemical", are neither WMD nor military."""
    assert EndUse() == BUILT_IN.read(text), language


@pytest.mark.parametrize(
    "text", ["Raketenofen", "rocket stove", "rakieta tenisowa", "raket (tennis)"]
)
def test_a_rocket_word_in_a_civil_compound_is_held_on_purpose(text: str) -> None:
    """Decision, as for "rocket salad": a word that names a rocket counts wherever it stands,
    in a compound ("Raketenofen", a rocket stove) or where it also names a racket (Polish
    "rakieta", Dutch and Turkish "raket"); only a different word ("ракетка") is let go."""
    assert BUILT_IN.read(text).wmd is not None


@pytest.mark.parametrize(
    ("text", "military"),
    [
        ("Ministry of Defence", "ministry of defence"),
        ("army procurement", "army procurement"),
        ("für die Bundeswehr", "bundeswehr"),
        ("usage militaire", "militaire"),
        ("armas de fuego", "armas"),
        ("Aerospace Force", "aerospace force"),
        ("военного назначения", "военного"),
        ("для збройних сил", "зброиних сил"),  # folded: й reads и
        ("军事用途", "军事"),
        ("استخدام عسكري", "عسكري"),
    ],
)
def test_military_wording_in_other_languages_is_military_only(text: str, military: str) -> None:
    """DESIGN.md 2.2: "military" alone triggers row 7 only. A military end use in another
    language or wording is found as military, never as WMD (row 5)."""
    assert EndUse(military=military) == BUILT_IN.read(text)


@pytest.mark.parametrize("text", ["bomb", "explosives for quarrying"])
def test_a_bomb_or_explosives_alone_is_neither_wmd_nor_military(text: str) -> None:
    """Reading of DESIGN.md 2.2: a bomb or explosives with no nuclear, chemical, biological or
    radiological word is not WMD or missile delivery, and is not "military" either (quarries
    and demolition use explosives): no finding, the rest of the rules decide."""
    assert EndUse() == BUILT_IN.read(text)
