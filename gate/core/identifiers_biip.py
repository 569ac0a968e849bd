"""The decoder's library path for GS1 barcodes: biip, with gate's strictness around it.

biip is the reference GS1 parser. It is also lenient where a dock must not be: it reads a
variable-length value on past a dropped GS separator, lets a few AIs through empty, and
reads a bracketed string with stray text back as something else. This module parses with
biip, then refuses each of those, and rewords biip's messages (``Failed to match ...``)
into reasons that name the AI, the field and what was expected.

Invariants:

- Every bad code raises :class:`~gate.errors.InvalidCode`; whatever else biip raises on
  junk (``IndexError`` on ``"]"``, ...) is caught and reworded here.
- biip is imported inside the functions, never at module import: it takes a quarter of a
  second and pulls in ``socket`` (``tests/core/test_purity.py`` checks the import).
- Check digits are biip's, not :func:`gate.core.gs1.check_digit`: this path is the oracle
  the fast path is tested against, so it must not share the fast path's arithmetic.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Final

from gate.core.gs1 import (
    AI_FIELDS,
    GS,
    GS1_SYMBOLOGIES,
    GTIN_LENGTHS,
    GTIN_SYMBOLOGIES,
    SSCC_LENGTH,
    check_digit,
)
from gate.core.identifier import Identifier
from gate.errors import InvalidCode

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["decode_gs1", "decode_gtin", "decode_sscc"]

# biip's messages and AI formats, read to reword them (the refusal tests pin the wording).
_CHECK_DIGIT_ERROR: Final = re.compile(
    r"Invalid (?P<what>GTIN|SSCC|GLN) check digit for '(?P<number>\d+)': "
    r"Expected (?P<expected>\d+), got (?P<got>\d+)\."
)
_NO_AI_ERROR: Final = re.compile(
    r"Failed to get GS1 Application Identifier from (?P<rest>'.*'|\".*\")\.$", re.S
)
_PATTERN_ERROR: Final = re.compile(
    r"Failed to match (?P<data>'.*'|\".*\") with GS1 AI \((?P<ai>\d+)\) pattern", re.S
)
_DATE_ERROR: Final = re.compile(
    r"Failed to parse GS1 AI \((?P<ai>\d+)\) date/time from (?P<data>'.*'|\".*\")\.$", re.S
)
_MAX_LENGTH: Final = re.compile(r"\.\.(\d+)$")  # "N2+X..20" -> 20
_UNKNOWN_AI_ERROR: Final = re.compile(r"Unknown GS1 Application Identifier '(?P<ai>\d+)'")
#: The AIs besides (01) and (02) that name goods by a GTIN, each value opening with it:
#: (03) a made-to-order trade item, and the ITIPs, (8006) a piece of a trade item and (8026)
#: the pieces a logistic unit holds (the GTIN-14 of the whole item, then the piece and the
#: pieces' count). GS1 allows none of them beside (01) (General Specifications 4.14, invalid
#: pairs); the decoder keys only (01), so beside it each would name goods it never counts.
_NAMING_AIS: Final = {"03": "MTO GTIN", "8006": "ITIP", "8026": "ITIP"}


def decode_gtin(text: str, raw: str) -> Identifier:
    """A plain GTIN-8/12/13/14, or one after ]E0, ]E4 or ]I1. Raises InvalidCode."""
    from biip.gtin import Gtin

    body = text
    if text.startswith("]"):
        aim = text[:3]
        length = GTIN_SYMBOLOGIES.get(aim)
        if length is None:
            raise InvalidCode(
                f"symbology identifier {aim!r} does not mark a GTIN barcode; "
                "expected ]E0 (EAN-13, UPC-A, UPC-E), ]E4 (EAN-8) or ]I1 (ITF-14)",
                field="symbology",
            )
        body = text[3:]
        if len(body) != length or not body.isdigit():
            raise InvalidCode(
                f"GTIN after {aim} must be {length} digits, got {body!r}", field="gtin"
            )
    if len(body) not in GTIN_LENGTHS or not body.isdigit():
        raise InvalidCode(
            f"GTIN must be 8, 12, 13 or 14 digits, got {body!r} ({len(body)} characters)",
            field="gtin",
        )
    try:
        gtin = Gtin.parse(body)
    except Exception as exc:  # ParseError, or anything else biip trips over
        raise _number_error("01", body, str(exc)) from None
    return Identifier(kind="gtin", raw=raw, key=gtin.as_gtin_14())


def decode_sscc(text: str, raw: str) -> Identifier:
    """A plain SSCC-18. Raises InvalidCode."""
    from biip.sscc import Sscc

    if len(text) != SSCC_LENGTH or not text.isdigit():
        raise InvalidCode(
            f"SSCC must be 18 digits, got {text!r} ({len(text)} characters)", field="sscc"
        )
    try:
        sscc = Sscc.parse(text)
    except Exception as exc:  # ParseError, or anything else biip trips over
        raise _number_error("00", text, str(exc)) from None
    return Identifier(kind="sscc", raw=raw, sscc=sscc.value)


def decode_gs1(text: str, raw: str) -> Identifier:
    """A GS1 element string (raw, after a GS1 symbology identifier, or bracketed).

    Raises InvalidCode.
    """
    from biip.gs1_messages import GS1Message

    body = text
    aim = text[:3] if text.startswith("]") else None
    if aim is not None:
        if aim not in GS1_SYMBOLOGIES:
            what = "a GTIN barcode" if aim in GTIN_SYMBOLOGIES else "no GS1 data"
            raise InvalidCode(
                f"symbology identifier {aim!r} marks {what}, not a GS1 element string; "
                f"expected one of {', '.join(sorted(GS1_SYMBOLOGIES))}",
                field="symbology",
            )
        body = text[3:]
        if not body.strip(GS):
            raise InvalidCode(f"nothing follows the symbology identifier {aim}", field="gs1")
    if body.lower().startswith(("http://", "https://")):
        raise InvalidCode("GS1 Digital Link URIs are not supported", field="gs1")
    bracketed = aim is None and body.startswith("(")
    try:
        message = GS1Message.parse_hri(body) if bracketed else GS1Message.parse(body)
    except Exception as exc:  # biip raises ParseError, and IndexError and more on junk
        raise _message_error(exc, body) from None
    elements = message.element_strings
    if bracketed:
        reads_as = message.as_hri()
        if reads_as != body:
            raise InvalidCode(
                f"bracketed GS1 string {body!r} reads back as {reads_as!r}: only "
                "'(AI)value' groups with non-empty values are allowed, and a value "
                "cannot contain '('",
                field="gs1",
            )
    else:
        _check_separators(body, [(e.ai.ai, e.value, e.ai.separator_required) for e in elements])
    for element in elements:
        if not element.value:  # biip lets AI 30 and a few others through empty
            raise InvalidCode(
                f"AI ({element.ai.ai}) {element.ai.data_title} has an empty value",
                field=AI_FIELDS.get(element.ai.ai, "ai"),
            )

    found: dict[str, str] = {}
    key = sscc = content = None
    for element in elements:
        ai = element.ai.ai
        for error in (element.gtin_error, element.sscc_error, element.gln_error):
            if error:
                raise _number_error(ai, element.value, error)
        previous = found.setdefault(ai, element.value)
        if previous != element.value:
            raise InvalidCode(
                f"AI ({ai}) appears twice with different values {previous!r} and {element.value!r}",
                field="gs1",
            )
        if ai == "01" and element.gtin is not None:
            key = element.gtin.as_gtin_14()
        elif ai == "02" and element.gtin is not None:
            content = element.gtin.as_gtin_14()
        elif ai == "00" and element.sscc is not None:
            sscc = element.sscc.value
    itips = [(ai, found[ai]) for ai in _NAMING_AIS if ai in found]
    if key is None and sscc is None:
        raise InvalidCode(
            "GS1 element string has neither AI (01) GTIN nor AI (00) SSCC", field="gs1"
        )
    if key is not None and content is not None:
        # An invalid pair (GS1 General Specifications 4.14): a label naming an item (01) and
        # the items it contains (02) says two things of one unit; which goods are there?
        raise InvalidCode(
            "GS1 element string has both AI (01) GTIN and AI (02) content GTIN, which GS1"
            " does not allow together",
            field="gs1",
        )
    content = _itip_content(itips, key, content)
    # AI (37) and (30) are digits only (biip matched their N..8 format): a count the label
    # states, of the trade items in a logistic unit (37) or of a variable count item (30).
    # A label giving both is counted at the larger: never fewer units than it claims.
    counts = [int(found[ai]) for ai in ("37", "30") if ai in found]
    count = max(counts) if counts else None
    return Identifier(
        kind="gs1",
        raw=raw,
        key=key,
        serial=found.get("21"),
        sscc=sscc,
        batch=found.get("10"),
        content=content,
        count=count,
    )


def _itip_content(
    itips: Sequence[tuple[str, str]], key: str | None, content: str | None
) -> str | None:
    """The content GTIN of a logistic unit's label with its MTO GTIN and ITIP AIs ``itips``
    (``_NAMING_AIS``) read as the goods they name (a claim the manifest must confirm, as AI
    (02) is): ``content`` when there are none. Raises InvalidCode for one beside (01), a GTIN
    with a wrong check digit, or two of them or one and (02) naming different goods: which
    goods are there?"""
    named = content
    for ai, value in itips:
        if key is not None:
            raise InvalidCode(
                f"GS1 element string has both AI (01) GTIN and AI ({ai}) {_NAMING_AIS[ai]},"
                " which GS1 does not allow together",
                field="gs1",
            )
        gtin = value[:14]
        if str(check_digit(gtin[:13])) != gtin[13]:
            raise InvalidCode(
                f"GTIN {gtin} of AI ({ai}): check digit is {gtin[13]},"
                f" expected {check_digit(gtin[:13])}",
                field="gtin",
            )
        if named is not None and named != gtin:
            other = "AI (02)" if content is not None else "another AI"
            raise InvalidCode(
                f"AI ({ai}) names GTIN {gtin} and {other} names {named}: one label, two goods",
                field="gs1",
            )
        named = gtin
    return named


def _check_separators(body: str, elements: Sequence[tuple[str, str, bool]]) -> None:
    """Refuse a variable-length value that runs into the next AI without a GS.

    biip reads such a value up to its maximum length and carries on with the rest, which
    is how a scanner that drops FNC1 turns ``21ABC`` + ``10XYZ`` into other data.
    """
    at = len(body) - len(body.lstrip(GS))  # biip skips a leading FNC1
    last = len(elements) - 1
    for index, (ai, value, separator_required) in enumerate(elements):
        at += len(ai) + len(value)
        if separator_required and index < last and body[at : at + 1] != GS:
            raise InvalidCode(
                f"AI ({ai}) value {value!r} runs into more data without a GS separator: "
                "a variable-length value ends with GS (FNC1) or at the end of the code",
                field=AI_FIELDS.get(ai, "gs1"),
            )
        while body[at : at + 1] == GS:
            at += 1


def _number_error(ai: str, value: str, error: str) -> InvalidCode:
    """InvalidCode for a GTIN/SSCC/GLN that biip refused (``error`` is its message)."""
    match = _CHECK_DIGIT_ERROR.search(error)
    if match is not None:
        what = match["what"]
        return InvalidCode(
            f"{what} {match['number']}: check digit is {match['got']}, "
            f"expected {match['expected']}",
            field=what.lower(),
        )
    return InvalidCode(f"AI ({ai}) {value!r}: {error}", field=AI_FIELDS.get(ai, "gs1"))


def _message_error(exc: Exception, body: str) -> InvalidCode:
    """InvalidCode for a GS1 message ``body`` that biip could not parse."""
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    text = str(exc)
    if match := _NO_AI_ERROR.search(text):
        rest = _unrepr(match["rest"])
        overrun = _overrun(body, rest)
        if overrun is not None:
            return overrun
        return InvalidCode(f"no known GS1 Application Identifier at {rest!r}", field="ai")
    if match := _UNKNOWN_AI_ERROR.search(text):
        return InvalidCode(f"unknown GS1 Application Identifier ({match['ai']})", field="ai")
    pattern = _PATTERN_ERROR.search(text)
    date = _DATE_ERROR.search(text)
    if pattern is not None or date is not None:
        match = pattern if pattern is not None else date
        assert match is not None
        ai = GS1ApplicationIdentifier.extract(match["ai"])
        data = _unrepr(match["data"])
        data = data.removeprefix(ai.ai) if pattern is not None else data
        problem = (
            f"does not match its format {ai.format}"
            if pattern is not None
            else "is not a valid date (YYMMDD)"
        )
        return InvalidCode(
            f"AI ({ai.ai}) {ai.data_title}: {data!r} {problem}",
            field=AI_FIELDS.get(ai.ai, "ai"),
        )
    return InvalidCode(f"not a valid GS1 element string: {text}", field="gs1")


def _unrepr(shown: str) -> str:
    """The string whose ``repr()`` biip put in its message."""
    value = ast.literal_eval(shown)
    return value if isinstance(value, str) else shown


def _overrun(body: str, rest: str) -> InvalidCode | None:
    """If what precedes ``rest`` ends in a variable-length value of maximum length, the
    real fault is that value: too long, or missing the GS that should end it."""
    from biip.gs1_messages import GS1Message

    if not body.endswith(rest) or len(rest) == len(body):
        return None
    try:
        elements = GS1Message.parse(body[: len(body) - len(rest)]).element_strings
    except Exception:  # the prefix does not parse either: nothing more precise to say
        return None
    last = elements[-1] if elements else None
    limit = _MAX_LENGTH.search(last.ai.format) if last is not None else None
    if last is None or limit is None or len(last.value) != int(limit[1]):
        return None
    return InvalidCode(
        f"AI ({last.ai.ai}) {last.ai.data_title} value is longer than {limit[1]} characters "
        "or is missing the GS separator (FNC1) that ends it",
        field=AI_FIELDS.get(last.ai.ai, "ai"),
    )
