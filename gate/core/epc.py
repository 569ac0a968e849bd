"""EPC tags: the binary layouts and URI grammar of the EPC Tag Data Standard (TDS 2.x).

What this module holds is the standard itself, as tables and checks over plain values, with
no reference library behind it: the partition tables that split a tag's key bits between
company prefix and reference, the lengths of the binary schemes gate decodes, the grammar
of pure-identity and tag URIs, and the checks that epcpy does not make (it skips a zero
character inside an SGTIN-198 serial and accepts URI bodies of any length). The decoder's
fast path reads tags with these tables; its library path adds these checks around epcpy.

Invariants:

- Every table row is copied from TDS 2.x with its table number, so it can be compared with
  the standard line by line; the decoder's tests hold the fast path, which uses the tables,
  to epcpy on generated tags.
- A check here raises :class:`~gate.errors.InvalidCode` naming the field at fault (``serial``,
  ``epc_uri``) and what was expected; it never returns a half-decoded value.
"""

from __future__ import annotations

import re
from typing import Final

from gate.errors import InvalidCode

__all__ = [
    "EPC_BITS",
    "PURE_URI",
    "SGTIN96_HEADER",
    "SGTIN_PARTITIONS",
    "SSCC96_HEADER",
    "SSCC_PARTITIONS",
    "SUPPORTED_URI_SCHEMES",
    "TAG_URI",
    "check_sgtin198_serial",
    "check_sgtin_uri_body",
    "check_sscc_uri_body",
]

#: Header bytes of the two 96-bit schemes a dock sees all day (TDS 2.x table 14-1).
SGTIN96_HEADER: Final = 0x30
SSCC96_HEADER: Final = 0x31

#: EPC partition tables (TDS 2.x tables 14-2 and 14-5) for the 44-bit SGTIN and 58-bit
#: SSCC key fields: partition value -> (company prefix bits, digits, other bits, digits).
SGTIN_PARTITIONS: Final = (
    (40, 12, 4, 1),
    (37, 11, 7, 2),
    (34, 10, 10, 3),
    (30, 9, 14, 4),
    (27, 8, 17, 5),
    (24, 7, 20, 6),
    (20, 6, 24, 7),
)
SSCC_PARTITIONS: Final = (
    (40, 12, 18, 5),
    (37, 11, 21, 6),
    (34, 10, 24, 7),
    (30, 9, 28, 8),
    (27, 8, 31, 9),
    (24, 7, 34, 10),
    (20, 6, 38, 11),
)

#: Hex tag schemes decoded, with their length in bits (TDS 2.x section 14).
EPC_BITS: Final = {"sgtin-96": 96, "sgtin-198": 198, "sscc-96": 96}
#: Pure-identity URI schemes decoded (``urn:epc:id:<scheme>:``).
SUPPORTED_URI_SCHEMES: Final = ("sgtin", "sscc")

PURE_URI: Final = re.compile(r"urn:epc:id:(?P<scheme>[^:]*):(?P<body>.*)", re.S)
TAG_URI: Final = re.compile(r"urn:epc:tag:(?P<scheme>[^:]*):(?P<filter>[^.]*)\.(?P<body>.*)", re.S)
_SGTIN_BODY: Final = re.compile(r"(?P<prefix>[0-9]+)\.(?P<item>[0-9]+)\.(?P<serial>.+)", re.S)
_SSCC_BODY: Final = re.compile(r"(?P<prefix>[0-9]+)\.(?P<serial>[0-9]+)")
#: An SGTIN serial in a URI: characters of set 82, with the seven that URIs reserve
#: written as the escapes TDS 2.x section 6.3 prescribes (and no other escapes).
_URI_SERIAL: Final = re.compile(r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%(?:2[2567F]|3[CEF]))+")


def check_sgtin198_serial(bits: int) -> None:
    """The 140-bit serial of an SGTIN-198 holds 1-20 seven-bit characters, then zeros.

    ``bits`` is the tag's 198 bits (padding removed). epcpy skips zero characters wherever
    they are; TDS ends the string at the first one. Raises :class:`InvalidCode` (``serial``).
    """
    chars = [(bits >> shift) & 0x7F for shift in range(133, -1, -7)]
    if chars[0] == 0:
        raise InvalidCode("SGTIN-198 serial is empty", field="serial")
    if 0 in chars and any(chars[chars.index(0) :]):
        raise InvalidCode(
            "SGTIN-198 serial has characters after its terminating zero", field="serial"
        )


def check_sgtin_uri_body(body: str, scheme: str) -> None:
    """Company prefix, indicator and item reference, serial: TDS 2.x sections 6.3, 12.

    ``scheme`` is ``sgtin`` (pure identity) or the tag URI's binary scheme; ``sgtin-96``
    also limits the serial to a number below 2^38. Raises :class:`InvalidCode`.
    """
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


def check_sscc_uri_body(body: str) -> None:
    """Company prefix and serial reference (with extension digit) totalling 17 digits.

    Raises :class:`InvalidCode` (``epc_uri``).
    """
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
