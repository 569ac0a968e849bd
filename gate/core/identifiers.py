"""Scanned identifiers: the public decoder for GS1 element strings, plain GTINs and SSCCs, and
EPC tags.

A scan is only as good as its decoding. A decoder that guesses (pads a short value, skips
a character it does not know, reads a variable-length field on past the point where a
scanner dropped its separator) ties the export decision to the wrong item, and nothing
downstream can tell. Two rules hold for the decoder as a whole:

1. **Never guess.** A code is decoded only when the standards (GS1 General
   Specifications, EPC Tag Data Standard) give it exactly one reading. Check digits,
   field lengths, character sets, partition values, padding bits and separator placement
   are all checked. Anything else raises :class:`~gate.errors.InvalidCode`, whose reason
   names the field and what was expected; no other exception escapes for a bad code.

2. **The fast path equals the libraries.** biip (GS1) and epcpy (EPC) are the reference
   decoders; the library path, :func:`_decode_with_libraries`, is them plus the strictness
   of rule 1. Every scan first meets a small pure-Python fast path for the shapes a dock
   sees all day. The fast path only ever *accepts*. When a code is not one of its shapes,
   or anything about it is off, it returns ``None`` and the library path decides, so every
   refusal is worded in one place. Where it accepts, its result must equal the library
   path's, field for field; ``tests/core/test_identifiers.py`` holds it to that on
   generated codes.

The decoder's parts, each a module of the core:

- this module: the entry (:func:`decode` with its cache, :func:`decode_uncached`), the
  checks every path shares (:func:`_clean`) and auto-detection for the library path;
- :mod:`gate.core.identifier`: :class:`Identifier`, :data:`KINDS`, :data:`MAX_CODE_LENGTH`;
- :mod:`gate.core.identifiers_fast`: the fast path;
- :mod:`gate.core.identifiers_biip` and :mod:`gate.core.identifiers_epcpy`: the library path;
- :mod:`gate.core.gs1` and :mod:`gate.core.epc`: what the standards say (the check digit,
  AI character set, partition tables, URI grammar), with no library behind them.

Auto-detection reads the code's shape (:func:`_auto` is the table). One shape can honestly
read two ways: whole 16-bit words of hex digits that also parse as a GS1 element string.
Both readings are tried, and a code that decodes both ways is refused as ambiguous (the
caller passes ``kind``). SGTIN-96 and SSCC-96 never collide: an element string that starts
like them starts with AI 30 (up to 8 digits) or 31nn (6 digits), which takes ten of the
24 characters or fails, and the 14 left cannot hold AI 01 (16) or AI 00 (20). So the fast
path can skip that second reading.

The decoder is pure: no I/O, and not even the reference libraries at import time (biip
alone takes a quarter of a second to import and pulls in ``socket``). They load on the
first library-path decode, or at startup through :func:`preload`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from gate.core.gs1 import GTIN_LENGTHS, GTIN_SYMBOLOGIES, SSCC_LENGTH
from gate.core.identifier import KINDS, MAX_CODE_LENGTH, Identifier
from gate.core.identifiers_biip import decode_gs1, decode_gtin, decode_sscc
from gate.core.identifiers_epcpy import decode_epc_hex, decode_epc_uri, epc_headers
from gate.core.identifiers_fast import fast
from gate.errors import InvalidCode

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "KINDS",
    "MAX_CODE_LENGTH",
    "Identifier",
    "decode",
    "decode_uncached",
    "preload",
]

_DIGITS: Final = frozenset("0123456789")
_HEX: Final = re.compile(r"[0-9A-Fa-f]+")


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
    found = fast(text, code, kind)
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
    return fast(_clean(code, kind), code, kind)


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


# --------------------------------------------------------------------------------------
# Library path: auto-detection and dispatch


def preload() -> None:
    """Import the reference libraries now, so the first unusual scan is not slow."""
    epc_headers()
    import biip.gs1_messages  # noqa: F401


def _slow(text: str, raw: str, kind: str | None) -> Identifier:
    if kind is None:
        return _auto(text, raw)
    return _PARSERS[kind](text, raw)


def _auto(text: str, raw: str) -> Identifier:
    """Pick the form from the code's shape; the order of the tests is the table."""
    if text.startswith("urn:"):
        return decode_epc_uri(text, raw)
    if text.startswith("]"):
        if text[:3] in GTIN_SYMBOLOGIES:
            return decode_gtin(text, raw)
        return decode_gs1(text, raw)
    if text.startswith("("):
        return decode_gs1(text, raw)
    if text.isdigit() and len(text) in GTIN_LENGTHS:
        return decode_gtin(text, raw)
    if text.isdigit() and len(text) == SSCC_LENGTH:
        return decode_sscc(text, raw)
    if _tag_shaped(text):
        return _tag_or_elements(text, raw)
    if text[0] in _DIGITS:
        return decode_gs1(text, raw)
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
        and (_HEX.fullmatch(text) is not None or int(text[:2], 16) in epc_headers())
    )


def _tag_or_elements(text: str, raw: str) -> Identifier:
    """A word-aligned run of hex digits: an EPC tag, or an element string that looks like
    one. Both readings are tried; a code that decodes both ways is refused."""
    tag = _attempt(decode_epc_hex, text, raw)
    if text[0] not in _DIGITS:  # no AI starts with a letter
        return _settle(tag)
    elements = _attempt(decode_gs1, text, raw)
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
    if int(text[:2], 16) in epc_headers():
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


_PARSERS: Final[dict[str, Callable[[str, str], Identifier]]] = {
    "gtin": decode_gtin,
    "sscc": decode_sscc,
    "gs1": decode_gs1,
    "epc": decode_epc_hex,
    "epc_uri": decode_epc_uri,
}
