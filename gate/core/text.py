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
- **Invisible direction marks** U+200E, U+200F and U+061C: they change no letter, but two
  names that look the same then compare different, which is how a name slips past an exact
  match against a denial list.
- **Line and paragraph separators** U+2028 and U+2029: line breaks in disguise (they end a
  line in JavaScript and in many log viewers); a multi-line field uses line feeds.

Not refused: the zero-width joiner and non-joiner (U+200C, U+200D), which Persian, the
Indic scripts and emoji need, and every letter, mark, digit, symbol and space of any script.

The rule is a table (:data:`_REFUSED`), read by one regular expression per mode; the test
``tests/core/test_text.py`` checks the expression against the table over every code point.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["text_problem"]

#: Refused ranges, inclusive: (first, last, what it is, why it is refused). Tab, line feed
#: and carriage return are control characters too, allowed only in multi-line fields.
_REFUSED: Final = (
    (0x0000, 0x001F, "control character", "control characters are not allowed"),
    (0x007F, 0x009F, "control character", "control characters are not allowed"),
    (
        0x061C,
        0x061C,
        "direction mark",
        "invisible direction marks make names that look alike compare different",
    ),
    (
        0x200E,
        0x200F,
        "direction mark",
        "invisible direction marks make names that look alike compare different",
    ),
    (0x2028, 0x2029, "line or paragraph separator", "use a line feed, where lines are allowed"),
    (
        0x202A,
        0x202E,
        "bidirectional control",
        "bidirectional controls make text display in another order than it is stored",
    ),
    (
        0x2066,
        0x2069,
        "bidirectional control",
        "bidirectional controls make text display in another order than it is stored",
    ),
    (
        0xD800,
        0xDFFF,
        "lone surrogate",
        "half of a UTF-16 pair is not a character and cannot be stored as UTF-8",
    ),
)
# The table as character classes (the test compares them code point by code point).
_SINGLE_LINE: Final = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_MULTILINE: Final = re.compile(  # the same without tab, line feed and carriage return
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
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
