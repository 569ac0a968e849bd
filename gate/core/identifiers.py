"""Scanned identifiers: GS1 element strings, plain GTINs and SSCCs, EPC tags.

A scan is only as good as its decoding. A decoder that guesses (pads a short value, skips
a character it does not know, reads a variable-length field on past the point where a
scanner dropped its separator) ties the export decision to the wrong item, and nothing
downstream can tell. Two rules hold in this file:

1. **Never guess.** A code is decoded only when the standards (GS1 General
   Specifications, EPC Tag Data Standard) give it exactly one reading. Check digits,
   field lengths, character sets, partition values, padding bits and separator placement
   are all checked. Anything else raises :class:`~gate.errors.InvalidCode`, whose reason
   names the field and what was expected; no other exception escapes for a bad code.

2. **The fast path equals the libraries.** biip (GS1) and epcpy (EPC) are the reference
   decoders; the slow path, :func:`_decode_with_libraries`, is them plus the strictness of
   rule 1. Every scan first meets a small pure-Python fast path for the shapes a dock
   sees all day: plain GTIN/SSCC digits; element strings of AIs 00, 01, 10, 17 and 21,
   raw or bracketed; SGTIN-96 and SSCC-96 hex; SGTIN and SSCC pure-identity URIs. The
   fast path only ever *accepts*. When a code is not one of its shapes, or anything about
   it is off, it returns ``None`` and the slow path decides, so every refusal is worded
   in one place. Where it accepts, its result must equal the slow path's, field for field;
   ``tests/core/test_identifiers.py`` holds it to that on generated codes.

Auto-detection reads the code's shape (:func:`_auto` is the table). One shape can honestly
read two ways: whole 16-bit words of hex digits that also parse as a GS1 element string.
Both readings are tried, and a code that decodes both ways is refused as ambiguous (the
caller passes ``kind``). SGTIN-96 and SSCC-96 never collide: an element string that starts
like them starts with AI 30 (up to 8 digits) or 31nn (6 digits), which takes ten of the
24 characters or fails, and the 14 left cannot hold AI 01 (16) or AI 00 (20). So the fast
path can skip that second reading.

The module is pure: no I/O, and not even the reference libraries at import time (biip
alone takes a quarter of a second to import and pulls in ``socket``). They load on the
first slow-path decode, or at startup through :func:`preload`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from gate.errors import InvalidCode

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from epcpy.epc_schemes.sgtin import SGTIN

__all__ = [
    "KINDS",
    "MAX_CODE_LENGTH",
    "Identifier",
    "decode",
    "decode_uncached",
    "preload",
]

#: The values ``kind`` may take: the form a caller says a code is in.
KINDS: Final = frozenset({"gs1", "gtin", "sscc", "epc", "epc_uri"})

#: Longest code accepted, in characters (a GS1 DataMatrix holds at most 2335 digits, but
#: nothing a dock decodes comes near 512; the bound keeps hostile input cheap).
MAX_CODE_LENGTH: Final = 512

_GS: Final = "\x1d"  # ASCII group separator: how scanners transmit FNC1


@dataclass(frozen=True, slots=True)
class Identifier:
    """A decoded scan.

    ``kind`` is one of ``gs1`` (element string or bracketed form), ``gtin``, ``sscc``
    (a plain SSCC-18), ``epc`` (hex tag) or ``epc_uri``; ``scheme`` is the EPC scheme for
    tags (``sgtin-96``, ...). ``key`` is the item's GTIN-14 or ``None`` for a logistics unit;
    ``sscc`` the SSCC-18 of a logistics unit. ``filter`` is the EPC filter value (0-7) of a
    hex tag or tag URI, ``None`` for every other form.
    """

    kind: str
    raw: str
    key: str | None = None
    serial: str | None = None
    sscc: str | None = None
    batch: str | None = None
    scheme: str | None = None
    filter: int | None = None


# --------------------------------------------------------------------------------------
# Public entry points


def decode(code: str, kind: str | None = None) -> Identifier:
    """Decode a scanned code, auto-detecting its form unless ``kind`` names it.

    Spaces around the code are ignored (``raw`` keeps them). Results are cached by
    ``(code, kind)``: portals report the same tag many times a second. Raises
    :class:`~gate.errors.InvalidCode` for anything that is not exactly one valid
    identifier (a refusal is cached too, and raised afresh each time).
    """
    outcome = _decode_cached(code, kind)
    if isinstance(outcome, Identifier):
        return outcome
    reason, field = outcome
    raise InvalidCode(reason, field=field)


def decode_uncached(code: str, kind: str | None = None) -> Identifier:
    """Decode like :func:`decode`, without the cache: fast path, then the libraries.

    Raises :class:`~gate.errors.InvalidCode` for a bad code.
    """
    text = _clean(code, kind)
    found = _fast(text, code, kind)
    if found is not None:
        return found
    return _slow(text, code, kind)


@lru_cache(maxsize=8192)
def _decode_cached(code: str, kind: str | None) -> Identifier | tuple[str, str]:
    # lru_cache does not keep exceptions; keep the refusal as data instead. (Re-raising
    # one cached exception object would also grow its traceback on every raise.)
    try:
        return decode_uncached(code, kind)
    except InvalidCode as exc:
        return exc.reason, exc.field


def _decode_fast(code: str, kind: str | None = None) -> Identifier | None:
    """The fast path alone: the decoded code, or ``None`` to defer to the libraries.

    Raises :class:`~gate.errors.InvalidCode` only for the checks every path shares
    (empty, overlong, bad characters, unknown ``kind``).
    """
    return _fast(_clean(code, kind), code, kind)


def _decode_with_libraries(code: str, kind: str | None = None) -> Identifier:
    """The reference path alone: biip and epcpy plus this module's strictness.

    Raises :class:`~gate.errors.InvalidCode` for a bad code.
    """
    return _slow(_clean(code, kind), code, kind)


# --------------------------------------------------------------------------------------
# Checks shared by both paths

_BAD_CHAR: Final = re.compile(r"[^\x21-\x7e\x1d]")


def _clean(code: str, kind: str | None) -> str:
    """Return ``code`` without surrounding spaces, or raise for what no form allows."""
    if kind is not None and kind not in KINDS:
        expected = ", ".join(sorted(KINDS))
        raise InvalidCode(f"unknown kind {kind!r}: expected one of {expected}", field="kind")
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidCode(
            f"code is {len(code)} characters long, at most {MAX_CODE_LENGTH} are allowed",
            field="code",
        )
    text = code.strip(" ")
    if not text.strip():  # str.strip() also takes tabs, newlines and GS
        raise InvalidCode("code is empty" if not code else "code is only whitespace", field="code")
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        char = bad.group()
        at = bad.start() + len(code) - len(code.lstrip(" "))
        if char == " ":
            what = f"space at position {at}: codes contain no spaces"
        elif char < " " or char == "\x7f":
            what = (
                f"control character U+{ord(char):04X} at position {at}: only GS (U+001D) is allowed"
            )
        else:
            what = f"non-ASCII character U+{ord(char):04X} at position {at}"
        raise InvalidCode(f"code has a {what}", field="code")
    return text


def _check_digit(payload: str) -> int:
    """GS1 mod-10 check digit of an ASCII digit string (GS1 General Specifications 7.9.1)."""
    data = payload.encode("ascii")
    weight3 = data[-1::-2]  # rightmost digit and every second one to its left
    weight1 = data[-2::-2]
    total = 3 * (sum(weight3) - 48 * len(weight3)) + sum(weight1) - 48 * len(weight1)
    return -total % 10


# --------------------------------------------------------------------------------------
# Fast path: pure Python, accept-only

_DIGITS: Final = frozenset("0123456789")
#: GS1 AI encodable character set 82 (GS1 General Specifications figure 7.11-1).
_AI82: Final = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
#: AIM symbology identifiers of symbols that carry GS1 element strings.
_GS1_SYMBOLOGIES: Final = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
_FAST_EPC_HEADERS: Final = frozenset({"30", "31"})
_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

#: EPC partition tables (TDS 2.x tables 14-2 and 14-5) for the 44-bit SGTIN and 58-bit
#: SSCC key fields: partition value -> (company prefix bits, digits, other bits, digits).
_SGTIN_PARTITIONS: Final = (
    (40, 12, 4, 1),
    (37, 11, 7, 2),
    (34, 10, 10, 3),
    (30, 9, 14, 4),
    (27, 8, 17, 5),
    (24, 7, 20, 6),
    (20, 6, 24, 7),
)
_SSCC_PARTITIONS: Final = (
    (40, 12, 18, 5),
    (37, 11, 21, 6),
    (34, 10, 24, 7),
    (30, 9, 28, 8),
    (27, 8, 31, 9),
    (24, 7, 34, 10),
    (20, 6, 38, 11),
)


def _fast(text: str, raw: str, kind: str | None) -> Identifier | None:
    first = text[0]
    if first in _DIGITS:
        size = len(text)
        if size == 24 and text[:2] in _FAST_EPC_HEADERS:
            return _fast_epc(text, raw) if kind is None or kind == "epc" else None
        if text.isdigit():  # ASCII only, _clean saw to that
            if size in (8, 12, 13, 14):
                return _fast_gtin(text, raw) if kind is None or kind == "gtin" else None
            if size == 18:
                return _fast_sscc(text, raw) if kind is None or kind == "sscc" else None
        if kind is None or kind == "gs1":
            return _fast_elements(text, 0, raw)
    elif first == "(":
        if kind is None or kind == "gs1":
            return _fast_bracketed(text, raw)
    elif first == "]" and (kind is None or kind == "gs1") and text[:3] in _GS1_SYMBOLOGIES:
        return _fast_elements(text, 3, raw)
    elif first == "u" and (kind is None or kind == "epc_uri"):
        return _fast_uri(text, raw)
    return None


def _fast_gtin(text: str, raw: str) -> Identifier | None:
    if _check_digit(text[:-1]) != ord(text[-1]) - 48:
        return None
    return Identifier(kind="gtin", raw=raw, key=text.zfill(14))


def _fast_sscc(text: str, raw: str) -> Identifier | None:
    if _check_digit(text[:-1]) != ord(text[-1]) - 48:
        return None
    return Identifier(kind="sscc", raw=raw, sscc=text)


def _date_is_valid(yymmdd: str) -> bool:
    """Whether a six-digit AI (17) date is one biip accepts, where that needs no century.

    Day 00 means the last day of the month. 29 February of year 00 depends on the century
    (2000 or 2100), which biip derives from today's date: that one is left to biip.
    """
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and year != 0
    return day <= _DAYS_IN_MONTH[month - 1]


def _fast_value(ai: str, value: str) -> bool:
    """Whether ``value`` is a valid value of fast-path AI ``ai``."""
    if ai == "01" or ai == "00":
        return (
            len(value) == (14 if ai == "01" else 18)
            and value.isdigit()
            and _check_digit(value[:-1]) == ord(value[-1]) - 48
        )
    if ai == "17":
        return len(value) == 6 and value.isdigit() and _date_is_valid(value)
    # 10 and 21: 1 to 20 characters of set 82 (strip leaves nothing iff all are in it)
    return 1 <= len(value) <= 20 and not value.strip(_AI82)


def _fast_elements(text: str, start: int, raw: str) -> Identifier | None:
    """Element string of AIs 00, 01, 10, 17, 21 from ``text[start:]``, or ``None``."""
    found: dict[str, str] = {}
    size = len(text)
    at = start
    if at < size and text[at] == _GS:
        return None  # a leading FNC1 is legal but rare: the libraries handle it
    while at < size:
        ai = text[at : at + 2]
        at += 2
        if ai == "01":
            end = at + 14
        elif ai == "00":
            end = at + 18
        elif ai == "17":
            end = at + 6
        elif ai == "10" or ai == "21":
            end = text.find(_GS, at)
            if end < 0:
                end = size
        else:
            return None
        value = text[at:end]
        if ai in found or not _fast_value(ai, value):
            return None
        found[ai] = value
        at = end
        while at < size and text[at] == _GS:
            at += 1
    return _fast_identifier(found, raw)


def _fast_bracketed(text: str, raw: str) -> Identifier | None:
    """Human-readable ``(01)...(21)...`` form of the fast-path AIs, or ``None``."""
    found: dict[str, str] = {}
    size = len(text)
    at = 0
    while at < size:
        if text[at] != "(" or text[at + 3 : at + 4] != ")":
            return None
        ai = text[at + 1 : at + 3]
        end = text.find("(", at + 4)
        if end < 0:
            end = size
        value = text[at + 4 : end]
        if ai not in _FAST_AIS or ai in found or not _fast_value(ai, value):
            return None
        found[ai] = value
        at = end
    return _fast_identifier(found, raw)


_FAST_AIS: Final = frozenset({"00", "01", "10", "17", "21"})


def _fast_identifier(found: dict[str, str], raw: str) -> Identifier | None:
    key = found.get("01")
    sscc = found.get("00")
    if key is None and sscc is None:
        return None
    return Identifier(
        kind="gs1",
        raw=raw,
        key=key,
        serial=found.get("21"),
        sscc=sscc,
        batch=found.get("10"),
    )


def _fast_epc(text: str, raw: str) -> Identifier | None:
    """SGTIN-96 (header 0x30) or SSCC-96 (0x31) from 24 hex digits, or ``None``."""
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    if len(data) != 12:  # fromhex skips spaces; _clean let none through, but be sure
        return None
    bits = int.from_bytes(data, "big")
    filter_value = (bits >> 85) & 7
    partition = (bits >> 82) & 7
    if partition == 7:
        return None
    if data[0] == 0x30:
        prefix_bits, prefix_digits, item_bits, item_digits = _SGTIN_PARTITIONS[partition]
        item = (bits >> 38) & ((1 << item_bits) - 1)
        prefix = (bits >> (38 + item_bits)) & ((1 << prefix_bits) - 1)
        if prefix >= 10**prefix_digits or item >= 10**item_digits:
            return None
        item_ref = str(item).zfill(item_digits)
        body = item_ref[0] + str(prefix).zfill(prefix_digits) + item_ref[1:]
        return Identifier(
            kind="epc",
            raw=raw,
            key=body + str(_check_digit(body)),
            serial=str(bits & 0x3F_FFFF_FFFF),  # 38 bits
            scheme="sgtin-96",
            filter=filter_value,
        )
    if bits & 0xFF_FFFF:  # SSCC-96 ends in 24 unallocated bits, zero by TDS
        return None
    prefix_bits, prefix_digits, serial_bits, serial_digits = _SSCC_PARTITIONS[partition]
    serial_ref = (bits >> 24) & ((1 << serial_bits) - 1)
    prefix = (bits >> (24 + serial_bits)) & ((1 << prefix_bits) - 1)
    if prefix >= 10**prefix_digits or serial_ref >= 10**serial_digits:
        return None
    ref = str(serial_ref).zfill(serial_digits)
    body = ref[0] + str(prefix).zfill(prefix_digits) + ref[1:]
    return Identifier(
        kind="epc",
        raw=raw,
        sscc=body + str(_check_digit(body)),
        scheme="sscc-96",
        filter=filter_value,
    )


def _fast_uri(text: str, raw: str) -> Identifier | None:
    """Pure-identity SGTIN or SSCC URI without %-escapes, or ``None``."""
    match = _FAST_URI.fullmatch(text)
    if match is None:
        return None
    scheme, prefix, reference, serial = match.groups()
    if len(prefix) + len(reference) != (13 if scheme == "sgtin" else 17):
        return None
    if (serial is None) != (scheme == "sscc"):
        return None
    body = reference[0] + prefix + reference[1:]
    number = body + str(_check_digit(body))
    if scheme == "sscc":
        return Identifier(kind="epc_uri", raw=raw, sscc=number, scheme=scheme)
    return Identifier(kind="epc_uri", raw=raw, key=number, serial=serial, scheme=scheme)


_FAST_URI: Final = re.compile(
    r"urn:epc:id:(sgtin|sscc):([0-9]{6,12})\.([0-9]+)(?:\.([A-Za-z0-9!'()*+,\-.:;=_]{1,20}))?"
)


# --------------------------------------------------------------------------------------
# Slow path: the reference libraries, with this module's strictness around them


#: AIM symbology identifiers of EAN/UPC and ITF symbols, with the digits they carry
#: (ISO/IEC 15420 transmits EAN-13, UPC-A and UPC-E as 13 digits after ``]E0``).
_GTIN_SYMBOLOGIES: Final = {"]E0": 13, "]E4": 8, "]I1": 14}
#: The ``field`` of an error in the value of these AIs.
_AI_FIELDS: Final = {"00": "sscc", "01": "gtin", "10": "batch", "17": "expiry", "21": "serial"}
#: Hex tag schemes decoded, with their length in bits (EPC TDS 2.x section 14).
_EPC_BITS: Final = {"sgtin-96": 96, "sgtin-198": 198, "sscc-96": 96}
_SUPPORTED_URI_SCHEMES: Final = ("sgtin", "sscc")
_HEX: Final = re.compile(r"[0-9A-Fa-f]+")
_NOT_HEX: Final = re.compile(r"[^0-9A-Fa-f]")

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

_PURE_URI: Final = re.compile(r"urn:epc:id:(?P<scheme>[^:]*):(?P<body>.*)", re.S)
_TAG_URI: Final = re.compile(r"urn:epc:tag:(?P<scheme>[^:]*):(?P<filter>[^.]*)\.(?P<body>.*)", re.S)
_SGTIN_BODY: Final = re.compile(r"(?P<prefix>[0-9]+)\.(?P<item>[0-9]+)\.(?P<serial>.+)", re.S)
_SSCC_BODY: Final = re.compile(r"(?P<prefix>[0-9]+)\.(?P<serial>[0-9]+)")
#: An SGTIN serial in a URI: characters of set 82, with the seven that URIs reserve
#: written as the escapes TDS 2.x section 6.3 prescribes (and no other escapes).
_URI_SERIAL: Final = re.compile(r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%(?:2[2567F]|3[CEF]))+")


def preload() -> None:
    """Import the reference libraries now, so the first unusual scan is not slow."""
    _epc_headers()
    import biip.gs1_messages  # noqa: F401


def _slow(text: str, raw: str, kind: str | None) -> Identifier:
    if kind is None:
        return _auto(text, raw)
    return _PARSERS[kind](text, raw)


def _auto(text: str, raw: str) -> Identifier:
    """Pick the form from the code's shape; the order of the tests is the table."""
    if text.startswith("urn:"):
        return _lib_epc_uri(text, raw)
    if text.startswith("]"):
        if text[:3] in _GTIN_SYMBOLOGIES:
            return _lib_gtin(text, raw)
        return _lib_gs1(text, raw)
    if text.startswith("("):
        return _lib_gs1(text, raw)
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        return _lib_gtin(text, raw)
    if text.isdigit() and len(text) == 18:
        return _lib_sscc(text, raw)
    if _tag_shaped(text):
        return _tag_or_elements(text, raw)
    if text[0] in _DIGITS:
        return _lib_gs1(text, raw)
    if text.lower().startswith(("http://", "https://")):
        raise InvalidCode("GS1 Digital Link URIs are not supported", field="code")
    raise InvalidCode(
        "not a recognised code: expected digits (GTIN, SSCC or GS1 element string), "
        "'(' (bracketed GS1), ']' (symbology identifier), hex digits (EPC tag) "
        "or 'urn:epc:' (EPC URI)",
        field="code",
    )


def _tag_shaped(text: str) -> bool:
    """Whole 16-bit words of hex digits, or a run of words with a known EPC header."""
    return (
        len(text) >= 24
        and len(text) % 4 == 0
        and _HEX.fullmatch(text[:2]) is not None
        and (_HEX.fullmatch(text) is not None or int(text[:2], 16) in _epc_headers())
    )


def _tag_or_elements(text: str, raw: str) -> Identifier:
    """A word-aligned run of hex digits: an EPC tag, or an element string that looks like
    one. Both readings are tried; a code that decodes both ways is refused."""
    tag = _attempt(_lib_epc_hex, text, raw)
    if text[0] not in _DIGITS:  # no AI starts with a letter
        return _settle(tag)
    elements = _attempt(_lib_gs1, text, raw)
    if isinstance(tag, Identifier) and isinstance(elements, Identifier):
        raise InvalidCode(
            f"ambiguous: reads as an EPC tag ({tag.scheme}) and as a GS1 element string; "
            "pass kind='epc' or kind='gs1'",
            field="code",
        )
    if isinstance(tag, Identifier):
        return tag
    if isinstance(elements, Identifier):
        return elements
    # Neither: say what is wrong with the more plausible reading. A known header makes it a
    # tag; otherwise no EPC scheme fits and the digits are an element string gone wrong,
    # unless they are all zeros, which is what an unprogrammed tag reports.
    if int(text[:2], 16) in _epc_headers():
        raise tag
    if not text.strip("0"):
        raise InvalidCode("EPC tag is all zeros: the tag is unprogrammed", field="epc_header")
    raise elements


def _attempt(
    parse: Callable[[str, str], Identifier], text: str, raw: str
) -> Identifier | InvalidCode:
    try:
        return parse(text, raw)
    except InvalidCode as exc:
        return exc


def _settle(outcome: Identifier | InvalidCode) -> Identifier:
    if isinstance(outcome, InvalidCode):
        raise outcome
    return outcome


# GS1 barcodes through biip ---------------------------------------------------------


def _lib_gtin(text: str, raw: str) -> Identifier:
    from biip.gtin import Gtin

    body = text
    if text.startswith("]"):
        aim = text[:3]
        length = _GTIN_SYMBOLOGIES.get(aim)
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
    if len(body) not in (8, 12, 13, 14) or not body.isdigit():
        raise InvalidCode(
            f"GTIN must be 8, 12, 13 or 14 digits, got {body!r} ({len(body)} characters)",
            field="gtin",
        )
    try:
        gtin = Gtin.parse(body)
    except Exception as exc:  # ParseError, or anything else biip trips over
        raise _number_error("01", body, str(exc)) from None
    return Identifier(kind="gtin", raw=raw, key=gtin.as_gtin_14())


def _lib_sscc(text: str, raw: str) -> Identifier:
    from biip.sscc import Sscc

    if len(text) != 18 or not text.isdigit():
        raise InvalidCode(
            f"SSCC must be 18 digits, got {text!r} ({len(text)} characters)", field="sscc"
        )
    try:
        sscc = Sscc.parse(text)
    except Exception as exc:  # ParseError, or anything else biip trips over
        raise _number_error("00", text, str(exc)) from None
    return Identifier(kind="sscc", raw=raw, sscc=sscc.value)


def _lib_gs1(text: str, raw: str) -> Identifier:
    from biip.gs1_messages import GS1Message

    body = text
    aim = text[:3] if text.startswith("]") else None
    if aim is not None:
        if aim not in _GS1_SYMBOLOGIES:
            what = "a GTIN barcode" if aim in _GTIN_SYMBOLOGIES else "no GS1 data"
            raise InvalidCode(
                f"symbology identifier {aim!r} marks {what}, not a GS1 element string; "
                f"expected one of {', '.join(sorted(_GS1_SYMBOLOGIES))}",
                field="symbology",
            )
        body = text[3:]
        if not body.strip(_GS):
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
                field=_AI_FIELDS.get(element.ai.ai, "ai"),
            )

    found: dict[str, str] = {}
    key = sscc = None
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
        elif ai == "00" and element.sscc is not None:
            sscc = element.sscc.value
    if key is None and sscc is None:
        raise InvalidCode(
            "GS1 element string has neither AI (01) GTIN nor AI (00) SSCC", field="gs1"
        )
    return Identifier(
        kind="gs1", raw=raw, key=key, serial=found.get("21"), sscc=sscc, batch=found.get("10")
    )


def _check_separators(body: str, elements: Sequence[tuple[str, str, bool]]) -> None:
    """Refuse a variable-length value that runs into the next AI without a GS.

    biip reads such a value up to its maximum length and carries on with the rest, which
    is how a scanner that drops FNC1 turns ``21ABC`` + ``10XYZ`` into other data.
    """
    at = len(body) - len(body.lstrip(_GS))  # biip skips a leading FNC1
    last = len(elements) - 1
    for index, (ai, value, separator_required) in enumerate(elements):
        at += len(ai) + len(value)
        if separator_required and index < last and body[at : at + 1] != _GS:
            raise InvalidCode(
                f"AI ({ai}) value {value!r} runs into more data without a GS separator: "
                "a variable-length value ends with GS (FNC1) or at the end of the code",
                field=_AI_FIELDS.get(ai, "gs1"),
            )
        while body[at : at + 1] == _GS:
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
    return InvalidCode(f"AI ({ai}) {value!r}: {error}", field=_AI_FIELDS.get(ai, "gs1"))


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
            field=_AI_FIELDS.get(ai.ai, "ai"),
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
        field=_AI_FIELDS.get(last.ai.ai, "ai"),
    )


# EPC tags through epcpy ----------------------------------------------------------


@lru_cache(maxsize=1)
def _epc_headers() -> dict[int, str]:
    """EPC header byte -> binary coding scheme (``0x30`` -> ``sgtin-96``), from epcpy."""
    from epcpy.utils.parsers import TAG_ENCODABLE_CLASSES

    return {
        int(header.value, 2): cls.BinaryCodingScheme[header.name].value
        for cls in TAG_ENCODABLE_CLASSES
        for header in cls.BinaryHeader
    }


def _lib_epc_hex(text: str, raw: str) -> Identifier:
    from epcpy.epc_schemes.sgtin import SGTIN
    from epcpy.epc_schemes.sscc import SSCC
    from epcpy.utils.parsers import hex_to_tag_encodable

    bad = _NOT_HEX.search(text)
    if bad is not None:
        raise InvalidCode(
            f"EPC tag is not hexadecimal: {bad.group()!r} at position {bad.start()}",
            field="epc",
        )
    if len(text) < 2:
        raise InvalidCode(f"EPC tag {text!r} is too short to hold a header", field="epc")
    header = int(text[:2], 16)
    scheme = _epc_headers().get(header)
    if scheme is None:
        raise InvalidCode(f"unknown EPC header 0x{header:02X}", field="epc_header")
    if scheme not in _EPC_BITS:
        raise InvalidCode(
            f"EPC scheme {scheme} (header 0x{header:02X}) is not supported: "
            f"expected one of {', '.join(sorted(_EPC_BITS))}",
            field="epc_scheme",
        )
    name = scheme.upper()
    size = _EPC_BITS[scheme]
    width = -(-size // 16) * 16  # tags store the EPC in whole 16-bit words
    if len(text) * 4 != width:
        raise InvalidCode(
            f"{name} tag must be {width // 4} hex digits, got {len(text)}", field="epc"
        )
    bits = int(text, 16)
    if bits & ((1 << (width - size)) - 1):
        raise InvalidCode(f"{name} tag has non-zero padding after its {size} bits", field="epc")
    if scheme == "sscc-96" and bits & 0xFF_FFFF:
        raise InvalidCode("SSCC-96 tag has non-zero unallocated bits (72-95)", field="epc")
    if scheme == "sgtin-198":
        _check_sgtin198_serial(bits >> (width - size))
    try:
        tag = hex_to_tag_encodable(text)
    except Exception as exc:  # epcpy raises ConvertException, KeyError, ValueError...
        raise _tag_error(scheme, bits, width, exc) from None
    filter_value = (bits >> (width - 11)) & 7
    if isinstance(tag, SGTIN):
        key, serial = _sgtin_key_and_serial(tag)
        return Identifier(
            kind="epc", raw=raw, key=key, serial=serial, scheme=scheme, filter=filter_value
        )
    if isinstance(tag, SSCC):
        return Identifier(
            kind="epc", raw=raw, sscc=tag.gs1_key(), scheme=scheme, filter=filter_value
        )
    raise InvalidCode(f"{name} tag decoded as {type(tag).__name__}", field="epc")


def _check_sgtin198_serial(bits: int) -> None:
    """The 140-bit serial of an SGTIN-198 holds 1-20 seven-bit characters, then zeros.

    epcpy skips zero characters wherever they are; TDS ends the string at the first one.
    """
    chars = [(bits >> shift) & 0x7F for shift in range(133, -1, -7)]
    if chars[0] == 0:
        raise InvalidCode("SGTIN-198 serial is empty", field="serial")
    if 0 in chars and any(chars[chars.index(0) :]):
        raise InvalidCode(
            "SGTIN-198 serial has characters after its terminating zero", field="serial"
        )


def _tag_error(scheme: str, bits: int, width: int, exc: Exception) -> InvalidCode:
    """InvalidCode for a tag epcpy refused, with the field values that are wrong."""
    name = scheme.upper()
    message = str(exc)
    partition = (bits >> (width - 14)) & 7
    if partition == 7:  # epcpy: "Invalid partition header 111"
        return InvalidCode(
            f"{name} partition value is {partition}, expected 0 to 6", field="epc_partition"
        )
    table = _SGTIN_PARTITIONS if scheme.startswith("sgtin") else _SSCC_PARTITIONS
    prefix_bits, prefix_digits, other_bits, other_digits = table[partition]
    prefix = (bits >> (width - 14 - prefix_bits)) & ((1 << prefix_bits) - 1)
    other = (bits >> (width - 14 - prefix_bits - other_bits)) & ((1 << other_bits) - 1)
    other_name = "item reference" if scheme.startswith("sgtin") else "serial reference"
    if message.startswith("Company prefix"):
        return InvalidCode(
            f"{name} company prefix {prefix} has more than {prefix_digits} digits "
            f"(partition {partition})",
            field="epc",
        )
    if message.startswith("Item reference"):
        return InvalidCode(
            f"{name} {other_name} {other} has more than {other_digits} digits "
            f"(partition {partition})",
            field="epc",
        )
    if scheme == "sgtin-198" and message.startswith(("Invalid EPC tag URI", "Invalid SGTIN URI")):
        return InvalidCode(
            f"{name} serial has a character outside GS1 AI character set 82", field="serial"
        )
    return InvalidCode(f"{name} tag cannot be decoded: {message or repr(exc)}", field="epc")


def _sgtin_key_and_serial(tag: SGTIN) -> tuple[str, str]:
    element_string = tag.gs1_element_string()  # "(01)<GTIN-14>(21)<serial, unescaped>"
    return tag.gtin(), element_string.split("(21)", 1)[1]


# EPC URIs through epcpy ----------------------------------------------------------


def _lib_epc_uri(text: str, raw: str) -> Identifier:
    """A pure-identity URI (``urn:epc:id:sgtin:...``) or a tag URI (``urn:epc:tag:...``)."""
    from epcpy.epc_schemes.sgtin import SGTIN
    from epcpy.epc_schemes.sscc import SSCC
    from epcpy.utils.parsers import tag_uri_to_tag_encodable

    pure = _PURE_URI.fullmatch(text)
    tagged = _TAG_URI.fullmatch(text) if pure is None else None
    if pure is None and tagged is None:
        raise InvalidCode(
            "EPC URI must be urn:epc:id:<scheme>:<fields> or "
            "urn:epc:tag:<scheme>-<bits>:<filter>.<fields>",
            field="epc_uri",
        )
    if pure is not None:
        scheme, body, filter_value = pure["scheme"], pure["body"], None
        family = scheme
        if scheme not in _SUPPORTED_URI_SCHEMES:
            raise _uri_scheme_error(scheme, family)
    else:
        assert tagged is not None
        scheme, body = tagged["scheme"], tagged["body"]
        family = scheme.split("-")[0]
        if scheme not in _EPC_BITS:
            raise _uri_scheme_error(scheme, family)
        if tagged["filter"] not in tuple("01234567"):
            raise InvalidCode(
                f"EPC filter value must be a digit 0 to 7, got {tagged['filter']!r}",
                field="epc_filter",
            )
        filter_value = int(tagged["filter"])
    if family == "sgtin":
        _check_sgtin_uri_body(body, scheme)
    else:
        _check_sscc_uri_body(body)
    try:
        tag = tag_uri_to_tag_encodable(text) if tagged is not None else None
        keyed = tag if tag is not None else (SGTIN(text) if family == "sgtin" else SSCC(text))
    except Exception as exc:  # epcpy raises ConvertException and others
        raise InvalidCode(
            f"EPC URI cannot be decoded: {exc or repr(exc)}", field="epc_uri"
        ) from None
    if isinstance(keyed, SGTIN):
        key, serial = _sgtin_key_and_serial(keyed)
        return Identifier(
            kind="epc_uri", raw=raw, key=key, serial=serial, scheme=scheme, filter=filter_value
        )
    if isinstance(keyed, SSCC):
        return Identifier(
            kind="epc_uri", raw=raw, sscc=keyed.gs1_key(), scheme=scheme, filter=filter_value
        )
    raise InvalidCode(f"EPC URI decoded as {type(keyed).__name__}", field="epc_uri")


def _uri_scheme_error(scheme: str, family: str) -> InvalidCode:
    known = family in _known_uri_schemes()
    return InvalidCode(
        f"EPC scheme {scheme} is {'not supported' if known else 'unknown'}: expected "
        "sgtin or sscc (urn:epc:id:) or sgtin-96, sgtin-198, sscc-96 (urn:epc:tag:)",
        field="epc_scheme",
    )


@lru_cache(maxsize=1)
def _known_uri_schemes() -> frozenset[str]:
    from epcpy.utils.parsers import EPC_SCHEME_IDENTIFIERS

    return frozenset(EPC_SCHEME_IDENTIFIERS)


def _check_sgtin_uri_body(body: str, scheme: str) -> None:
    """Company prefix, indicator and item reference, serial: TDS 2.x sections 6.3, 12."""
    match = _SGTIN_BODY.fullmatch(body)
    if match is None:
        raise InvalidCode(
            f"SGTIN URI body {body!r} is not <company prefix>.<item reference>.<serial>",
            field="epc_uri",
        )
    prefix, item, serial = match["prefix"], match["item"], match["serial"]
    if not 6 <= len(prefix) <= 12 or len(prefix) + len(item) != 13:
        raise InvalidCode(
            f"SGTIN company prefix ({len(prefix)} digits, 6 to 12 allowed) and "
            f"item reference ({len(item)}) must total 13 digits",
            field="epc_uri",
        )
    if _URI_SERIAL.fullmatch(serial) is None:
        raise InvalidCode(
            f"SGTIN serial {serial!r} has a character outside GS1 AI character set 82 "
            "or an escape other than %22 %25 %26 %2F %3C %3E %3F",
            field="serial",
        )
    if scheme == "sgtin-96" and (
        not serial.isdigit() or (serial[0] == "0" and serial != "0") or int(serial) >= 2**38
    ):
        raise InvalidCode(
            f"SGTIN-96 serial {serial!r} must be a number below 2^38 without leading zeros",
            field="serial",
        )


def _check_sscc_uri_body(body: str) -> None:
    match = _SSCC_BODY.fullmatch(body)
    if match is None:
        raise InvalidCode(
            f"SSCC URI body {body!r} is not <company prefix>.<serial reference>",
            field="epc_uri",
        )
    prefix, serial = match["prefix"], match["serial"]
    if not 6 <= len(prefix) <= 12 or len(prefix) + len(serial) != 17:
        raise InvalidCode(
            f"SSCC company prefix ({len(prefix)} digits, 6 to 12 allowed) and "
            f"serial reference ({len(serial)}) must total 17 digits",
            field="epc_uri",
        )


_PARSERS: Final[dict[str, Callable[[str, str], Identifier]]] = {
    "gtin": _lib_gtin,
    "sscc": _lib_sscc,
    "gs1": _lib_gs1,
    "epc": _lib_epc_hex,
    "epc_uri": _lib_epc_uri,
}
