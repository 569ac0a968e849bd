"""Free-text validation: the characters refused in names, end uses and scan fields, and the
names and texts of every script that must still pass."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.core import text
from gate.core.text import text_problem

SETTINGS = settings(deadline=None, max_examples=300)
BIDI_CONTROLS = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})
DIRECTION_MARKS = frozenset({"\u200e", "\u200f", "\u061c"})  # LRM, RLM, ALM
# soft hyphen, zero-width space, word joiner, invisible operators, zero-width no-break space
INVISIBLE = frozenset("\u00ad\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")


def refused_by_unicode(char: str, *, multiline: bool) -> bool:
    """The rule of gate/core/text.py restated with the Unicode database instead of ranges."""
    if multiline and char in "\t\n\r":
        return False
    return (
        unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
        or unicodedata.bidirectional(char) in BIDI_CONTROLS
        or char in DIRECTION_MARKS
        or char in INVISIBLE
    )


@pytest.mark.parametrize("multiline", [False, True])
def test_every_code_point_is_judged_as_the_unicode_database_says(multiline: bool) -> None:
    """Over all 1,114,112 code points, a character is refused exactly when it is a control,
    a surrogate, a line or paragraph separator, a bidirectional control, a direction mark or
    one of the invisible characters listed."""
    wrong = [
        f"U+{point:04X}"
        for point in range(sys.maxunicode + 1)
        if (text_problem("f", chr(point), multiline=multiline) is not None)
        != refused_by_unicode(chr(point), multiline=multiline)
    ]
    assert [] == wrong


def test_the_table_covers_what_the_expressions_refuse() -> None:
    """Each refused code point has a row in the table that words its reason."""
    for point in range(sys.maxunicode + 1):
        if text._SINGLE_LINE.match(chr(point)):
            assert any(lo <= point <= hi for lo, hi, _, _ in text._REFUSED), f"U+{point:04X}"


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        # issue 11, item 3: a lone surrogate in a scan field gave a 500
        ("\ud800", ["reader has a lone surrogate U+D800 at position 0", "UTF-8"]),
        ("ok\udfff", ["lone surrogate U+DFFF at position 2"]),
        # Trojan Source (Boucher and Anderson, CVE-2021-42574): RLO, RLI ... PDI
        ("ACME\u202eLTD", ["bidirectional control U+202E at position 4", "another order"]),
        ("\u2067abc\u2069", ["bidirectional control U+2067 at position 0"]),
        ("a\u202ab", ["bidirectional control U+202A at position 1"]),
        ("a\u2066b", ["bidirectional control U+2066 at position 1"]),
        ("a\u2069", ["bidirectional control U+2069 at position 1"]),
        ("Ivan\u200fov", ["direction mark U+200F at position 4", "screening compares"]),
        ("\u200eX", ["direction mark U+200E at position 0"]),
        ("x\u061c", ["direction mark U+061C at position 1"]),
        ("Ivan\u200bov", ["invisible character U+200B at position 4", "splits the words"]),
        ("Ivan\u00adov", ["invisible character U+00AD at position 4"]),
        ("\ufeffIvanov", ["invisible character U+FEFF at position 0"]),
        ("a\u2060b", ["invisible character U+2060 at position 1"]),
        ("a\x00b", ["control character U+0000 at position 1"]),
        ("\x1b[31mred", ["control character U+001B at position 0"]),
        ("a\x7f", ["control character U+007F at position 1"]),
        ("a\x9bb", ["control character U+009B at position 1"]),  # C1 CSI
        ("a\nb", ["control character U+000A at position 1", "single-line field"]),
        ("a\tb", ["control character U+0009", "single-line field"]),
        ("a\u2028b", ["line or paragraph separator U+2028 at position 1"]),
        ("a\u2029b", ["line or paragraph separator U+2029 at position 1"]),
    ],
)
def test_refused_characters_are_named_with_field_code_point_and_position(
    value: str, fragments: list[str]
) -> None:
    """Each refused character gives a reason with the field, its code point and position."""
    reason = text_problem("reader", value)
    assert reason is not None
    assert reason.startswith("reader has a ")
    assert [] == [fragment for fragment in fragments if fragment not in reason], reason


def test_the_first_refused_character_is_reported() -> None:
    """With several refused characters, the reason names the first one."""
    reason = text_problem("end_use", "ok\u202e then \x00")
    assert reason is not None
    assert "U+202E at position 2" in reason


@pytest.mark.parametrize(
    "value",
    [
        "Rheinmetall AG",
        "Müller & Söhne GmbH",  # Latin with diacritics
        'O\'Brien-Smith, Ltd. (UK) #3 / 50% "quoted"',  # ASCII punctuation
        "ООО «Ракета»",  # Cyrillic
        "شركة الصواريخ",  # Arabic, right-to-left without any control character
        "אלביט מערכות",  # Hebrew
        "می\u200cخواهم",  # Persian with a zero-width non-joiner, which it needs
        "東京精密株式会社",  # CJK
        "👩\u200d🔬 lab",  # emoji joined by a zero-width joiner, outside the BMP
        "non\u00a0breaking",  # no-break space
        "",
    ],
)
def test_names_of_every_script_pass(value: str) -> None:
    """Letters, marks, digits, punctuation and joiners of any script are not refused."""
    assert text_problem("consignee.name", value) is None


def test_multiline_fields_allow_tab_and_line_breaks_only() -> None:
    """A multi-line field takes tab, LF and CR (a browser sends CRLF) but no other control."""
    assert text_problem("end_use", "line 1\r\nline 2\tend", multiline=True) is None
    reason = text_problem("end_use", "line 1\r\n\x1b[2J", multiline=True)
    assert reason is not None
    assert "U+001B at position 8" in reason
    assert "other than tab, line feed and carriage return" in reason
    assert text_problem("end_use", "a\u2028b", multiline=True) is not None


clean_text = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters=[chr(p) for p in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
        + sorted(DIRECTION_MARKS | INVISIBLE),
    )
)
refused_chars = st.sampled_from(
    [
        chr(p)
        for lo, hi in [
            (0, 0x1F),
            (0x7F, 0x9F),
            (0x202A, 0x202E),
            (0x2066, 0x2069),
            (0xD800, 0xD801),
            (0xDFFF, 0xDFFF),
        ]
        for p in range(lo, hi + 1)
    ]
    + sorted(DIRECTION_MARKS | INVISIBLE)
    + ["\u2028", "\u2029"]
)


@SETTINGS
@given(clean_text, clean_text, refused_chars)
def test_one_refused_character_anywhere_is_found(before: str, after: str, bad: str) -> None:
    """Clean text passes; the same text with one refused character inserted is refused,
    and the reason names that character and where it is."""
    assert text_problem("f", before + after) is None
    reason = text_problem("f", before + bad + after)
    assert reason is not None
    assert f"U+{ord(bad):04X} at position {len(before)}:" in reason
