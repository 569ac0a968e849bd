"""Free text from outside: which characters a party name, an end use or a scan field may hold.

Text that arrives in an API body is stored, journaled, screened against denial lists and
shown to operators. A few characters do harm in each of those places while carrying no
meaning a person typed on purpose, so :func:`text_problem` refuses them, naming the field,
the character and its position:

- **Lone surrogates** (U+D800 to U+DFFF): halves of a UTF-16 pair, not characters. UTF-8
  cannot encode them, so the write to SQLite or the journal fails after the request was
  accepted (issue 11: ``"\\ud800"`` in a scan field answered 500).
- **Control characters**, C0 (U+0000 to U+001F), DEL and C1 (U+0080 to U+009F): invisible,
  they split log lines, start terminal escape sequences (ESC, CSI) and end C strings. A
  multi-line field (``multiline=True``) may hold tab, line feed and carriage return.
- **Bidirectional controls**: the embeddings, pop and overrides U+202A to U+202E and the
  isolates U+2066 to U+2069 make text display in another order than it is stored
  ("Trojan Source", CVE-2021-42574), so an operator would read one name while another
  was screened.
- **Invisible marks and separators**: the direction marks U+200E, U+200F and U+061C, and
  the soft hyphen U+00AD, zero-width space U+200B, word joiner and invisible operators
  U+2060 to U+2064 and zero-width no-break space U+FEFF. They change no letter a person
  sees, but screening reads each as a break between words (``parties.fold``), so
  "Ivan<RLM>ov" is compared as "ivan ov" and slips past an entry for "Ivanov".
- **Line and paragraph separators** U+2028 and U+2029: line breaks in disguise (they end a
  line in JavaScript and in many log viewers); a multi-line field uses line feeds.

Not refused: the zero-width joiner and non-joiner (U+200C, U+200D), which Persian, the
Indic scripts and emoji need (screening must read them as part of a word, not as a break),
and every letter, mark, digit, symbol and space of any script.

The rule is a table (:data:`_REFUSED`), read by one regular expression per mode; the test
``tests/core/test_text.py`` checks the expression against the table over every code point.

Text that was never checked (a rejected scan's code is journaled as it came, so is the path
of a refused request) is shown with the same characters escaped: :func:`escape_refused`
writes each as ``\\uXXXX``, which a JSON reader reads back as the character it was, and which
a terminal, a pager or an editor shows as what it is (attack20: a barcode's C1 CSI, U+009B,
went raw to the officer's terminal in ``gate audit export``).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["escape_refused", "text_problem"]

_INVISIBLE: Final = "it shows nothing, yet splits the words that screening compares"
_BIDI: Final = "bidirectional controls make text display in another order than it is stored"
_SURROGATE: Final = "half of a UTF-16 pair is not a character and cannot be stored as UTF-8"

#: Refused ranges, inclusive: (first, last, what it is, why it is refused). Tab, line feed
#: and carriage return are control characters too, allowed only in multi-line fields.
_REFUSED: Final = (
    (0x0000, 0x001F, "control character", "control characters are not allowed"),
    (0x007F, 0x009F, "control character", "control characters are not allowed"),
    (0x00AD, 0x00AD, "invisible character", _INVISIBLE),
    (0x061C, 0x061C, "direction mark", _INVISIBLE),
    (0x200B, 0x200B, "invisible character", _INVISIBLE),
    (0x200E, 0x200F, "direction mark", _INVISIBLE),
    (0x2028, 0x2029, "line or paragraph separator", "use a line feed, where lines are allowed"),
    (0x202A, 0x202E, "bidirectional control", _BIDI),
    (0x2060, 0x2064, "invisible character", _INVISIBLE),
    (0x2066, 0x2069, "bidirectional control", _BIDI),
    (0xD800, 0xDFFF, "lone surrogate", _SURROGATE),
    (0xFEFF, 0xFEFF, "invisible character", _INVISIBLE),
)
# The table as character classes (the test compares them code point by code point).
_SINGLE_LINE: Final = re.compile(
    r"[\x00-\x1f\x7f-\x9f\xad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069"
    r"\ud800-\udfff\ufeff]"
)
_MULTILINE: Final = re.compile(  # the same without tab, line feed and carriage return
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064"
    r"\u2066-\u2069\ud800-\udfff\ufeff]"
)


def text_problem(field: str, value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored as free text, or ``None`` when it may.

    ``field`` names the field in the reason (``consignee.name``, ``end_use``). The reason
    names the first refused character by its code point and position (0-based), e.g.
    ``"consignee.name has a bidirectional control U+202E at position 4: bidirectional
    controls make text display in another order than it is stored"``. ``multiline``
    allows tab, line feed and carriage return. Pure; raises nothing.
    """
    found = (_MULTILINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    point = ord(found.group())
    what, why = next((w, y) for lo, hi, w, y in _REFUSED if lo <= point <= hi)
    if what == "control character" and multiline:
        why = "control characters other than tab, line feed and carriage return are not allowed"
    elif chr(point) in "\t\n\r":
        why = "tabs and line breaks are not allowed in a single-line field"
    return f"{field} has a {what} U+{point:04X} at position {found.start()}: {why}"


def escape_refused(text: str) -> str:
    """``text`` with every character a single-line field refuses (``text_problem``) written
    as ``\\uXXXX``: on one line, nothing a terminal runs or a display reorders. Inside a
    JSON string the escape reads back as the character, so JSON text stays the same value.
    Pure; raises nothing."""
    if _SINGLE_LINE.search(text) is None:
        return text
    return _SINGLE_LINE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"
