"""The decoder's library path for EPC tags and URIs: epcpy, with gate's strictness around it.

epcpy is the reference EPC decoder (21 schemes). Where it is lenient this module refuses:
trailing bits and padding that are not zero, SSCC-96's unallocated bits, a zero character
inside an SGTIN-198 serial, URI bodies of the wrong length; the checks themselves are the
standard's and live in :mod:`gate.core.epc`. epcpy raises a different exception type for
each fault; :func:`_tag_error` turns them into reasons that name the field and its value.

Invariants:

- Every bad code raises :class:`~gate.errors.InvalidCode`, and only that.
- epcpy is imported inside the functions, never at module import (the decoder's module
  import stays cheap and pure; ``tests/core/test_identifiers.py`` checks it).
- Only the schemes in :data:`gate.core.epc.EPC_BITS` decode; a known but other scheme is
  refused as "not supported", an unknown header as unknown.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from gate.core.epc import (
    EPC_BITS,
    PURE_URI,
    SGTIN_PARTITIONS,
    SSCC_PARTITIONS,
    SUPPORTED_URI_SCHEMES,
    TAG_URI,
    check_sgtin198_serial,
    check_sgtin_uri_body,
    check_sscc_uri_body,
)
from gate.core.identifier import Identifier
from gate.errors import InvalidCode

if TYPE_CHECKING:
    from epcpy.epc_schemes.sgtin import SGTIN

__all__ = ["decode_epc_hex", "decode_epc_uri", "epc_headers"]

_NOT_HEX: Final = re.compile(r"[^0-9A-Fa-f]")


@lru_cache(maxsize=1)
def epc_headers() -> dict[int, str]:
    """EPC header byte -> binary coding scheme (``0x30`` -> ``sgtin-96``), from epcpy."""
    from epcpy.utils.parsers import TAG_ENCODABLE_CLASSES

    return {
        int(header.value, 2): cls.BinaryCodingScheme[header.name].value
        for cls in TAG_ENCODABLE_CLASSES
        for header in cls.BinaryHeader
    }


def decode_epc_hex(text: str, raw: str) -> Identifier:
    """An SGTIN-96, SGTIN-198 or SSCC-96 tag as hex digits. Raises InvalidCode."""
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
    scheme = epc_headers().get(header)
    if scheme is None:
        raise InvalidCode(f"unknown EPC header 0x{header:02X}", field="epc_header")
    if scheme not in EPC_BITS:
        raise InvalidCode(
            f"EPC scheme {scheme} (header 0x{header:02X}) is not supported: "
            f"expected one of {', '.join(sorted(EPC_BITS))}",
            field="epc_scheme",
        )
    name = scheme.upper()
    size = EPC_BITS[scheme]
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
        check_sgtin198_serial(bits >> (width - size))
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


def _tag_error(scheme: str, bits: int, width: int, exc: Exception) -> InvalidCode:
    """InvalidCode for a tag epcpy refused, with the field values that are wrong."""
    name = scheme.upper()
    message = str(exc)
    partition = (bits >> (width - 14)) & 7
    if partition == 7:  # epcpy: "Invalid partition header 111"
        return InvalidCode(
            f"{name} partition value is {partition}, expected 0 to 6", field="epc_partition"
        )
    table = SGTIN_PARTITIONS if scheme.startswith("sgtin") else SSCC_PARTITIONS
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


def decode_epc_uri(text: str, raw: str) -> Identifier:
    """A pure-identity URI (``urn:epc:id:sgtin:...``) or a tag URI (``urn:epc:tag:...``)."""
    from epcpy.epc_schemes.sgtin import SGTIN
    from epcpy.epc_schemes.sscc import SSCC
    from epcpy.utils.parsers import tag_uri_to_tag_encodable

    pure = PURE_URI.fullmatch(text)
    tagged = TAG_URI.fullmatch(text) if pure is None else None
    if pure is None and tagged is None:
        raise InvalidCode(
            "EPC URI must be urn:epc:id:<scheme>:<fields> or "
            "urn:epc:tag:<scheme>-<bits>:<filter>.<fields>",
            field="epc_uri",
        )
    if pure is not None:
        scheme, body, filter_value = pure["scheme"], pure["body"], None
        family = scheme
        if scheme not in SUPPORTED_URI_SCHEMES:
            raise _uri_scheme_error(scheme, family)
    else:
        assert tagged is not None
        scheme, body = tagged["scheme"], tagged["body"]
        family = scheme.split("-")[0]
        if scheme not in EPC_BITS:
            raise _uri_scheme_error(scheme, family)
        if tagged["filter"] not in tuple("01234567"):
            raise InvalidCode(
                f"EPC filter value must be a digit 0 to 7, got {tagged['filter']!r}",
                field="epc_filter",
            )
        filter_value = int(tagged["filter"])
    if family == "sgtin":
        check_sgtin_uri_body(body, scheme)
    else:
        check_sscc_uri_body(body)
    try:
        tag = tag_uri_to_tag_encodable(text) if tagged is not None else None
        keyed = tag if tag is not None else (SGTIN(text) if family == "sgtin" else SSCC(text))
    except Exception as exc:  # epcpy raises ConvertException and others
        raise InvalidCode(
            f"EPC URI cannot be decoded: {str(exc) or type(exc).__name__}", field="epc_uri"
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
