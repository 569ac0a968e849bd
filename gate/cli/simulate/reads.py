"""What a dock's readers report: codes encoded the way printers and tag encoders do it
(GS1 element strings, SSCC-18, SGTIN-96 EPCs) and one read as it is sent to the gate."""

from __future__ import annotations

from dataclasses import dataclass

from gate.core import gs1

GS = "\x1d"  # FNC1 as scanners transmit it inside an element string

# EPC Tag Data Standard, SGTIN-96 partition table: company prefix digits -> (partition,
# prefix bits, item reference bits). The item reference includes the GTIN's indicator digit.
_SGTIN96_PARTITIONS: dict[int, tuple[int, int, int]] = {
    12: (0, 40, 4),
    11: (1, 37, 7),
    10: (2, 34, 10),
    9: (3, 30, 14),
    8: (4, 27, 17),
    7: (5, 24, 20),
    6: (6, 20, 24),
}
SGTIN96_HEADER = 0x30
SGTIN96_MAX_SERIAL = (1 << 38) - 1
COMPANY_PREFIX_LENGTH = 7
SSCC_COMPANY_PREFIX = "4012345"  # the demo catalogue's own prefix


def check_digit(body: str) -> str:
    """The GS1 check digit of ``body`` as a character (the core owns the arithmetic)."""
    return str(gs1.check_digit(body))


def sscc18(extension: int, company_prefix: str, serial_reference: int) -> str:
    """An SSCC-18: extension digit, company prefix, serial reference, check digit."""
    width = 16 - len(company_prefix)
    body = f"{extension}{company_prefix}{serial_reference:0{width}d}"
    if len(body) != 17:
        raise ValueError(f"serial reference {serial_reference} does not fit in {width} digits")
    return body + check_digit(body)


def sgtin96_hex(
    gtin: str,
    serial: int,
    *,
    company_prefix_length: int = COMPANY_PREFIX_LENGTH,
    filter_value: int = 1,
) -> str:
    """The SGTIN-96 EPC of one unit, as the 24 hex digits an RFID reader reports.

    ``gtin`` is a GTIN-14; the first ``company_prefix_length`` digits after its indicator
    digit are the company prefix. ``serial`` must fit in 38 bits (SGTIN-96 serials are
    numeric without leading zeros). Raises ValueError for anything that cannot be encoded.
    """
    if len(gtin) != 14 or not gtin.isdigit() or check_digit(gtin[:13]) != gtin[13]:
        raise ValueError(f"not a valid GTIN-14: {gtin!r}")
    if not 0 <= serial <= SGTIN96_MAX_SERIAL:
        raise ValueError(f"serial {serial} does not fit in SGTIN-96's 38 bits")
    if not 0 <= filter_value <= 7:
        raise ValueError(f"filter value {filter_value} is not 0-7")
    partition, prefix_bits, item_bits = _SGTIN96_PARTITIONS[company_prefix_length]
    prefix = int(gtin[1 : 1 + company_prefix_length])
    item_reference = int(gtin[0] + gtin[1 + company_prefix_length : 13])
    bits = SGTIN96_HEADER
    for value, width in (
        (filter_value, 3),
        (partition, 3),
        (prefix, prefix_bits),
        (item_reference, item_bits),
        (serial, 38),
    ):
        bits = (bits << width) | value
    return f"{bits:024X}"


def shown(code: str) -> str:
    """A code as a person reads it: the invisible GS separator written ``<GS>``."""
    return code.replace(GS, "<GS>")


@dataclass(frozen=True, slots=True)
class Read:
    """One scan exactly as a reader reports it."""

    scan_id: str
    reader: str
    door: str
    code: str
    kind: str | None = None

    def body(self) -> dict[str, str]:
        scan = {
            "scan_id": self.scan_id,
            "reader": self.reader,
            "door": self.door,
            "code": self.code,
        }
        if self.kind is not None:
            scan["kind"] = self.kind
        return scan
