"""GS1 numbers and element strings: the check digit, GTIN and SSCC validity, the AI vocabulary.

This module holds what the GS1 General Specifications say about the numbers and strings a
dock reads, as plain functions over strings, with no reference library behind them. Two
invariants:

1. **One check digit.** :func:`check_digit` is the only implementation of the GS1 mod-10
   check digit in gate's Python code: the decoder's fast path, the manifest checks, the
   table compiler and the simulator's encoders all call it. (The C table keeps a loop of
   its own in ``native/table.c``, ``gtab_parse_gtin``, because its lookup stream never
   calls Python; it only accepts, and every line it declines is decoded here.) To check
   it by hand: weight the digits before the check digit 3, 1, 3, ... from the right, sum,
   and add what brings the sum up to a multiple of ten. For GTIN 09506000134352 the
   thirteen digits before the last give 3*(5+4+1+0+6+5+0) + (3+3+0+0+0+9) = 78, so 2.

2. **A refusal names the number and what was expected.** :func:`check_gtin` and
   :func:`check_sscc` raise :class:`~gate.errors.InvalidCode` worded exactly as the decoder
   words the same fault in a scan (``GTIN 09506000134353: check digit is 3, expected 2``),
   so a manifest line and a scan of the same wrong number read alike.

The constants below (AI character set 82, the AIM symbology identifiers, the ``field`` an
AI's error is reported under) are shared by the decoder's fast path and its library path.
"""

from __future__ import annotations

from typing import Final

from gate.errors import InvalidCode

__all__ = [
    "AI82",
    "AI_FIELDS",
    "GS",
    "GS1_SYMBOLOGIES",
    "GTIN_LENGTHS",
    "GTIN_SYMBOLOGIES",
    "SSCC_LENGTH",
    "check_digit",
    "check_gtin",
    "check_sscc",
    "expiry_is_valid",
    "valid_gtin",
    "valid_serial",
    "valid_sscc",
]

#: ASCII group separator: how scanners transmit FNC1 between element strings.
GS: Final = "\x1d"
#: GS1 AI encodable character set 82 (GS1 General Specifications figure 7.11-1).
AI82: Final = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
#: AIM symbology identifiers of symbols that carry GS1 element strings (GS1-128, GS1
#: DataMatrix, GS1 QR Code, GS1 DataBar, GS1 DotCode).
GS1_SYMBOLOGIES: Final = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
#: AIM symbology identifiers of EAN/UPC and ITF symbols, with the digits they carry
#: (ISO/IEC 15420 transmits EAN-13, UPC-A and UPC-E as 13 digits after ``]E0``).
GTIN_SYMBOLOGIES: Final = {"]E0": 13, "]E4": 8, "]I1": 14}
#: The ``field`` of an error in the value of these AIs.
AI_FIELDS: Final = {"00": "sscc", "01": "gtin", "10": "batch", "17": "expiry", "21": "serial"}
#: The lengths a GTIN may have: GTIN-8, GTIN-12 (UPC-A), GTIN-13 and GTIN-14.
GTIN_LENGTHS: Final = frozenset({8, 12, 13, 14})
#: An SSCC has 18 digits: extension, company prefix, serial reference, check digit.
SSCC_LENGTH: Final = 18

_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of ``payload`` (GS1 General Specifications 7.9.1).

    ``payload`` is the number without its check digit and must be ASCII digits: callers
    check that first (this runs on every scan). Non-ASCII text raises
    ``UnicodeEncodeError``; other non-digits give a meaningless digit.
    """
    data = payload.encode("ascii")
    weight3 = data[-1::-2]  # rightmost digit and every second one to its left
    weight1 = data[-2::-2]
    total = 3 * (sum(weight3) - 48 * len(weight3)) + sum(weight1) - 48 * len(weight1)
    return -total % 10


def valid_gtin(code: str) -> bool:
    """Whether ``code`` is a GTIN-8, -12, -13 or -14: ASCII digits of one of those lengths
    whose last digit is the check digit of the others. No spaces, no padding."""
    return (
        len(code) in GTIN_LENGTHS
        and code.isascii()
        and code.isdigit()
        and check_digit(code[:-1]) == ord(code[-1]) - 48
    )


def groups_units(gtin: str) -> bool:
    """Whether ``gtin`` (a line's GTIN-14 key) may stand for more than one unit: indicator
    digit 1 to 8, a case, tray or pack of one item (GS1 General Specifications 3.3.2), or 9,
    a variable measure item (sold by weight or count). One read of it is then an unknown
    number of units. 0 is a unit's GTIN-8, -12 or -13 padded; a case given a GTIN-13 of its
    own cannot be told from a unit by its number."""
    return len(gtin) == 14 and gtin.isdigit() and gtin[0] != "0"


def valid_serial(value: str) -> bool:
    """Whether ``value`` is a serial number as AI 21 carries it: 1 to 20 characters of set
    82 (what a scanned serial is held to; a manifest's serials must be as well, or a serial
    with a line feed reads as two in a line's ``serials_sha256``)."""
    return 1 <= len(value) <= 20 and not value.strip(AI82)


def valid_sscc(code: str) -> bool:
    """Whether ``code`` is an SSCC-18: 18 ASCII digits ending in the check digit of the others."""
    return (
        len(code) == SSCC_LENGTH
        and code.isascii()
        and code.isdigit()
        and check_digit(code[:-1]) == ord(code[-1]) - 48
    )


def check_gtin(code: str, *, field: str = "gtin") -> str:
    """Return ``code`` as a GTIN-14 (left-padded with zeros) if it is a valid GTIN.

    Raises :class:`~gate.errors.InvalidCode` with ``field`` and a reason that names the
    number: its length or characters, or its check digit and the one expected.
    """
    if len(code) not in GTIN_LENGTHS or not (code.isascii() and code.isdigit()):
        raise InvalidCode(
            f"GTIN must be 8, 12, 13 or 14 digits, got {code!r} ({len(code)} characters)",
            field=field,
        )
    _check_number("GTIN", code, field)
    return code.zfill(14)


def check_sscc(code: str, *, field: str = "sscc") -> str:
    """Return ``code`` if it is a valid SSCC-18.

    Raises :class:`~gate.errors.InvalidCode` with ``field`` and a reason that names the
    number: its length or characters, or its check digit and the one expected.
    """
    if len(code) != SSCC_LENGTH or not (code.isascii() and code.isdigit()):
        raise InvalidCode(
            f"SSCC must be 18 digits, got {code!r} ({len(code)} characters)", field=field
        )
    _check_number("SSCC", code, field)
    return code


def _check_number(what: str, code: str, field: str) -> None:
    expected = check_digit(code[:-1])
    if expected != ord(code[-1]) - 48:
        raise InvalidCode(
            f"{what} {code}: check digit is {code[-1]}, expected {expected}", field=field
        )


def expiry_is_valid(yymmdd: str) -> bool:
    """Whether a six-digit AI (17) date is valid where that needs no century.

    Day 00 means the last day of the month. 29 February of year 00 depends on the century
    (2000 or 2100), which GS1 derives from today's date: that one is refused here, so the
    caller that knows the date (biip, in the decoder) decides it.
    """
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and year != 0
    return day <= _DAYS_IN_MONTH[month - 1]
