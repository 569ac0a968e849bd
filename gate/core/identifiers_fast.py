"""The decoder's fast path: the shapes a dock sees all day, decoded in plain Python.

Portals and handhelds send a few shapes over and over: plain GTIN and SSCC digits; element
strings of AIs 00, 01, 10, 17 and 21, raw (with or without an AIM symbology identifier) or
bracketed; SGTIN-96 and SSCC-96 hex; SGTIN and SSCC pure-identity URIs without escapes.
This module decodes those 4 to 30 times faster than the reference libraries (``make bench``).

Two rules hold here (the full statement is in :mod:`gate.core.identifiers`):

- **Accept only.** Each reader returns an :class:`~gate.core.identifier.Identifier` or
  ``None``. ``None`` means "not one of my shapes, or something is off": the library path
  then decides and words the refusal, so every refusal is worded in one place. Nothing here
  raises for a bad code.
- **Equal to the libraries.** Where a reader accepts, its result equals what biip and
  epcpy give, field for field; ``tests/core/test_identifiers.py`` holds it to that on
  generated codes. A reader declines what it cannot decide alone (a leading FNC1, a
  29 February in year 00, %-escapes), rather than guess.

Input has passed ``gate.core.identifiers._clean``: non-empty, printable ASCII or GS only.
"""

from __future__ import annotations

import re
from typing import Final

from gate.core.epc import SGTIN96_HEADER, SGTIN_PARTITIONS, SSCC96_HEADER, SSCC_PARTITIONS
from gate.core.gs1 import (
    AI82,
    GS,
    GS1_SYMBOLOGIES,
    GTIN_LENGTHS,
    SSCC_LENGTH,
    check_digit,
    expiry_is_valid,
)
from gate.core.identifier import Identifier

__all__ = ["fast"]

_DIGITS: Final = frozenset("0123456789")
_FAST_EPC_HEADERS: Final = frozenset({f"{SGTIN96_HEADER:02X}", f"{SSCC96_HEADER:02X}"})
_FAST_AIS: Final = frozenset({"00", "01", "10", "17", "21"})
#: Pure-identity SGTIN and SSCC URIs whose serial needs no %-escape.
_FAST_URI: Final = re.compile(
    r"urn:epc:id:(sgtin|sscc):([0-9]{6,12})\.([0-9]+)(?:\.([A-Za-z0-9!'()*+,\-.:;=_]{1,20}))?"
)


def fast(text: str, raw: str, kind: str | None) -> Identifier | None:
    """The decoded ``text`` (``raw`` as it came), or ``None`` to defer to the libraries."""
    first = text[0]
    if first in _DIGITS:
        size = len(text)
        if size == 24 and text[:2] in _FAST_EPC_HEADERS:
            return _fast_epc(text, raw) if kind is None or kind == "epc" else None
        if text.isdigit():  # ASCII only, clean saw to that
            if size in GTIN_LENGTHS:
                return _fast_gtin(text, raw) if kind is None or kind == "gtin" else None
            if size == SSCC_LENGTH:
                return _fast_sscc(text, raw) if kind is None or kind == "sscc" else None
        if kind is None or kind == "gs1":
            return _fast_elements(text, 0, raw)
    elif first == "(":
        if kind is None or kind == "gs1":
            return _fast_bracketed(text, raw)
    elif first == "]" and (kind is None or kind == "gs1") and text[:3] in GS1_SYMBOLOGIES:
        return _fast_elements(text, 3, raw)
    elif first == "u" and (kind is None or kind == "epc_uri"):
        return _fast_uri(text, raw)
    return None


def _fast_gtin(text: str, raw: str) -> Identifier | None:
    if check_digit(text[:-1]) != ord(text[-1]) - 48:
        return None
    return Identifier(kind="gtin", raw=raw, key=text.zfill(14))


def _fast_sscc(text: str, raw: str) -> Identifier | None:
    if check_digit(text[:-1]) != ord(text[-1]) - 48:
        return None
    return Identifier(kind="sscc", raw=raw, sscc=text)


def _fast_value(ai: str, value: str) -> bool:
    """Whether ``value`` is a valid value of fast-path AI ``ai``."""
    if ai == "01" or ai == "00":
        return (
            len(value) == (14 if ai == "01" else 18)
            and value.isdigit()
            and check_digit(value[:-1]) == ord(value[-1]) - 48
        )
    if ai == "17":
        return len(value) == 6 and value.isdigit() and expiry_is_valid(value)
    # 10 and 21: 1 to 20 characters of set 82 (strip leaves nothing iff all are in it)
    return 1 <= len(value) <= 20 and not value.strip(AI82)


def _fast_elements(text: str, start: int, raw: str) -> Identifier | None:
    """Element string of AIs 00, 01, 10, 17, 21 from ``text[start:]``, or ``None``."""
    found: dict[str, str] = {}
    size = len(text)
    at = start
    if at < size and text[at] == GS:
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
            end = text.find(GS, at)
            if end < 0:
                end = size
        else:
            return None
        value = text[at:end]
        if ai in found or not _fast_value(ai, value):
            return None
        found[ai] = value
        at = end
        while at < size and text[at] == GS:
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
    if data[0] == SGTIN96_HEADER:
        prefix_bits, prefix_digits, item_bits, item_digits = SGTIN_PARTITIONS[partition]
        item = (bits >> 38) & ((1 << item_bits) - 1)
        prefix = (bits >> (38 + item_bits)) & ((1 << prefix_bits) - 1)
        if prefix >= 10**prefix_digits or item >= 10**item_digits:
            return None
        item_ref = str(item).zfill(item_digits)
        body = item_ref[0] + str(prefix).zfill(prefix_digits) + item_ref[1:]
        return Identifier(
            kind="epc",
            raw=raw,
            key=body + str(check_digit(body)),
            serial=str(bits & 0x3F_FFFF_FFFF),  # 38 bits
            scheme="sgtin-96",
            filter=filter_value,
        )
    if bits & 0xFF_FFFF:  # SSCC-96 ends in 24 unallocated bits, zero by TDS
        return None
    prefix_bits, prefix_digits, serial_bits, serial_digits = SSCC_PARTITIONS[partition]
    serial_ref = (bits >> 24) & ((1 << serial_bits) - 1)
    prefix = (bits >> (24 + serial_bits)) & ((1 << prefix_bits) - 1)
    if prefix >= 10**prefix_digits or serial_ref >= 10**serial_digits:
        return None
    ref = str(serial_ref).zfill(serial_digits)
    body = ref[0] + str(prefix).zfill(prefix_digits) + ref[1:]
    return Identifier(
        kind="epc",
        raw=raw,
        sscc=body + str(check_digit(body)),
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
    number = body + str(check_digit(body))
    if scheme == "sscc":
        return Identifier(kind="epc_uri", raw=raw, sscc=number, scheme=scheme)
    return Identifier(kind="epc_uri", raw=raw, key=number, serial=serial, scheme=scheme)
