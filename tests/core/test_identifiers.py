"""The identifier decoder: known answers from the standards, refusals, and the fast path held
to the reference libraries (biip, epcpy) on generated codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date

import pytest
from epcpy.epc_schemes.sgtin import SGTIN, SGTINFilterValue
from epcpy.epc_schemes.sscc import SSCC, SSCCFilterValue
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.core import identifiers
from gate.core.gs1 import AI82, check_digit
from gate.core.identifiers import (
    Identifier,
    _decode_fast,
    _decode_with_libraries,
    decode,
    decode_uncached,
)
from gate.errors import InvalidCode

GS = "\x1d"
identifiers.preload()  # the first slow-path decode must not eat a hypothesis deadline
SETTINGS = settings(deadline=None, max_examples=200)

Outcome = Identifier | tuple[str, str]


def outcome(decoder: Callable[..., Identifier], code: str, kind: str | None = None) -> Outcome:
    """The decoded identifier, or the refusal as (field, reason)."""
    try:
        return decoder(code, kind)
    except InvalidCode as exc:
        return exc.field, exc.reason


def refusal(code: str, kind: str | None = None) -> InvalidCode:
    with pytest.raises(InvalidCode) as caught:
        decode_uncached(code, kind)
    return caught.value


# --------------------------------------------------------------------------------------
# Known answers


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("09506000134352", "09506000134352"),  # GTIN-14, GS1 Digital Link examples
        ("9506000134352", "09506000134352"),  # the same GTIN as GTIN-13
        ("6291041500213", "06291041500213"),  # GS1 check digit calculation example
        ("036000291452", "00036000291452"),  # UPC-A (GTIN-12), the Wikipedia UPC-A example
        ("95012346", "00000095012346"),  # GTIN-8, GS1 General Specifications 7.9.1
    ],
)
def test_plain_gtins_normalise_to_gtin14(code: str, key: str) -> None:
    """A bare GTIN-8/12/13/14 decodes to its GTIN-14 key, left-padded with zeros."""
    assert Identifier(kind="gtin", raw=code, key=key) == decode(code)


def test_plain_sscc() -> None:
    """A bare 18-digit SSCC decodes as a logistics unit (EPC TDS 2.x SSCC example)."""
    expected = Identifier(kind="sscc", raw="106141412345678908", sscc="106141412345678908")
    assert expected == decode("106141412345678908")


def test_element_string_with_symbology_identifier_and_gs() -> None:
    """A GS1-128 scan with ]C1 and GS separators yields GTIN, batch and serial."""
    code = f"]C1010950600013435210ABC123{GS}21XYZ{GS}17251231"
    expected = Identifier(kind="gs1", raw=code, key="09506000134352", serial="XYZ", batch="ABC123")
    assert expected == decode(code)


@pytest.mark.parametrize("aim", ["", "]C1", "]d2", "]Q3", "]e0", "]J1"])
def test_gs1_symbologies_are_accepted(aim: str) -> None:
    """Every AIM identifier of a GS1 symbol (GS1-128, DataMatrix, QR, DataBar, DotCode) works."""
    assert "09506000134352" == decode(f"{aim}0109506000134352").key


def test_bracketed_form_from_design() -> None:
    """The human-readable form of DESIGN.md section 3 decodes to GTIN and serial."""
    code = "(01)09506000134352(21)ABC"
    expected = Identifier(kind="gs1", raw=code, key="09506000134352", serial="ABC")
    assert expected == decode(code)


def test_sscc_element_string() -> None:
    """AI (00) gives a logistics unit without an item key."""
    code = "(00)106141412345678908"
    assert Identifier(kind="gs1", raw=code, sscc="106141412345678908") == decode(code)


def test_ean13_with_symbology_identifier() -> None:
    """]E0 marks an EAN-13 symbol: its 13 digits are a GTIN (Wikipedia's EAN-13 example)."""
    code = "]E05901234123457"
    assert Identifier(kind="gtin", raw=code, key="05901234123457") == decode(code)


def test_sgtin96_from_tds() -> None:
    """EPC TDS 2.x example: 3074257BF7194E4000001A85 = sgtin-96:3.0614141.812345.6789."""
    code = "3074257BF7194E4000001A85"
    expected = Identifier(
        kind="epc",
        raw=code,
        key="80614141123458",
        serial="6789",
        scheme="sgtin-96",
        filter=3,
    )
    assert expected == decode(code)


def test_sgtin96_lower_case_hex() -> None:
    """Hex digits may be lower case; raw keeps the code as it came."""
    code = "3074257bf7194e4000001a85"
    assert "80614141123458" == decode(code).key
    assert code == decode(code).raw


def test_sscc96_from_tds() -> None:
    """EPC TDS 2.x example: 3174257BF4499602D2000000 = sscc-96:3.0614141.1234567890."""
    code = "3174257BF4499602D2000000"
    expected = Identifier(
        kind="epc", raw=code, sscc="106141412345678908", scheme="sscc-96", filter=3
    )
    assert expected == decode(code)


def test_sgtin198() -> None:
    """An SGTIN-198 tag (13 words) decodes its alphanumeric serial, escapes undone.

    The URI is the EPC TDS 2.x SGTIN-198 example, urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb;
    the hex is what epcpy encodes for it: SGTIN(uri).hex(SGTIN_198, filter 3).
    """
    code = "3674257BF6B7A659B2C2BF100000000000000000000000000000"
    expected = Identifier(
        kind="epc",
        raw=code,
        key="70614141123451",
        serial="32a/b",
        scheme="sgtin-198",
        filter=3,
    )
    assert expected == decode(code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # EPC TDS 2.x section 6.3 pure-identity examples
        (
            "urn:epc:id:sgtin:0614141.812345.6789",
            {"key": "80614141123458", "serial": "6789", "scheme": "sgtin"},
        ),
        (
            "urn:epc:id:sscc:0614141.1234567890",
            {"sscc": "106141412345678908", "scheme": "sscc"},
        ),
        # escapes of reserved characters are undone (TDS 2.x table A-1)
        (
            "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
            {"key": "70614141123451", "serial": "32a/b", "scheme": "sgtin"},
        ),
        # tag URIs carry the binary scheme and the filter value
        (
            "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
            {"key": "80614141123458", "serial": "6789", "scheme": "sgtin-96", "filter": 3},
        ),
        (
            "urn:epc:tag:sscc-96:3.0614141.1234567890",
            {"sscc": "106141412345678908", "scheme": "sscc-96", "filter": 3},
        ),
    ],
)
def test_epc_uris(code: str, expected: dict[str, str | int]) -> None:
    """EPC pure-identity and tag URIs decode to the same keys as the tags."""
    assert Identifier(kind="epc_uri", raw=code, **expected) == decode(code)


def test_barcode_and_tag_of_one_unit_agree() -> None:
    """A GS1 barcode and the SGTIN tag of the same unit give the same key and serial."""
    barcode = decode("(01)80614141123458(21)6789")
    tag = decode("3074257BF7194E4000001A85")
    assert (barcode.key, barcode.serial) == (tag.key, tag.serial)


def test_surrounding_spaces_are_ignored() -> None:
    """Spaces around a code are dropped; raw keeps them."""
    assert Identifier(kind="gtin", raw=" 09506000134352 ", key="09506000134352") == decode(
        " 09506000134352 "
    )


def test_kind_is_honoured() -> None:
    """Naming the kind decodes a code of that kind as usual."""
    assert "gtin" == decode("09506000134352", kind="gtin").kind
    assert "sscc" == decode("106141412345678908", kind="sscc").kind
    assert "gs1" == decode("0109506000134352", kind="gs1").kind
    assert "epc" == decode("3074257BF7194E4000001A85", kind="epc").kind
    assert "epc_uri" == decode("urn:epc:id:sgtin:0614141.812345.6789", kind="epc_uri").kind


@pytest.mark.parametrize(
    ("code", "kind", "field"),
    [
        ("09506000134352", "sscc", "sscc"),
        ("106141412345678908", "gtin", "gtin"),
        ("09506000134352", "gs1", "ai"),
        ("3074257BF7194E4000001A85", "gs1", "ai"),
        ("0109506000134352", "epc", "epc_header"),
        ("3074257BF7194E4000001A85", "epc_uri", "epc_uri"),
        ("urn:epc:id:sgtin:0614141.812345.6789", "epc", "epc"),
        ("]C10109506000134352", "gtin", "symbology"),
        ("]E05901234123457", "gs1", "symbology"),
    ],
)
def test_code_of_another_kind_is_refused(code: str, kind: str, field: str) -> None:
    """A code that does not parse as the kind named is refused, never re-detected."""
    assert field == refusal(code, kind).field


def test_ambiguous_code_is_refused() -> None:
    """Hex digits that decode both as an SGTIN-198 and as an element string are refused.

    Found by a depth-first search over element layouts, pruned on the SGTIN-198 fields:
    (3634)752746 (01)98772286856477 (3633)675193 (13)451117 (21)B28800, which is also an
    SGTIN-198 with a 20-character serial. Naming the kind settles it.
    """
    code = "3634752746019877228685647736336751931345111721B28800"
    error = refusal(code)
    assert "code" == error.field
    assert "ambiguous" in error.reason
    assert "sgtin-198" == decode(code, kind="epc").scheme
    assert "98772286856477" == decode(code, kind="gs1").key


def test_cache_returns_equal_results_and_fresh_refusals() -> None:
    """decode caches by code; a cached refusal is raised as a new exception each time."""
    assert decode("09506000134352") is decode("09506000134352")
    with pytest.raises(InvalidCode) as first:
        decode("09506000134353")
    with pytest.raises(InvalidCode) as second:
        decode("09506000134353")
    assert first.value is not second.value
    assert first.value.reason == second.value.reason


def test_import_loads_neither_library() -> None:
    """Importing the module leaves biip, epcpy and socket unloaded until a slow decode."""
    probe = (
        "import sys, gate.core.identifiers as m; "
        "m.decode('09506000134352'); m.decode('3074257BF7194E4000001A85'); "
        "print(sorted({'biip', 'epcpy', 'socket'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "[]" == result.stdout.strip()


# --------------------------------------------------------------------------------------
# Refusals: every one a clear InvalidCode naming the field


@pytest.mark.parametrize(
    ("code", "kind", "field", "fragments"),
    [
        # text no form allows
        ("", None, "code", ["empty"]),
        ("   ", None, "code", ["only whitespace"]),
        ("\t\r\n", None, "code", ["only whitespace"]),
        (GS, None, "code", ["only whitespace"]),
        ("09506000134352\r", None, "code", ["control character U+000D", "position 14"]),
        ("0950600\x0013435", None, "code", ["control character U+0000", "position 7"]),
        ("0950600013435\u0662", None, "code", ["non-ASCII character U+0662"]),
        ("0950600 0134352", None, "code", ["space at position 7"]),
        ("1" * 513, None, "code", ["513 characters", "at most 512"]),
        ("hello", None, "code", ["not a recognised code"]),
        ("https://id.gs1.org/01/09506000134352", None, "code", ["Digital Link"]),
        ("09506000134352", "barcode", "kind", ["unknown kind 'barcode'"]),
        # check digits
        ("09506000134353", None, "gtin", ["GTIN 09506000134353", "is 3, expected 2"]),
        ("9506000134353", None, "gtin", ["GTIN 9506000134353", "is 3, expected 2"]),
        ("106141412345678907", None, "sscc", ["SSCC 106141412345678907", "expected 8"]),
        ("]C10109506000134353", None, "gtin", ["GTIN 09506000134353", "expected 2"]),
        ("(01)09506000134353(21)A", None, "gtin", ["GTIN 09506000134353", "expected 2"]),
        ("(00)106141412345678907", None, "sscc", ["SSCC 106141412345678907", "expected 8"]),
        ("]E05901234123458", None, "gtin", ["GTIN 5901234123458", "expected 7"]),
        # lengths
        ("095060001343", "gtin", "gtin", ["check digit"]),  # 12 digits, a valid length
        ("0950600013435", "sscc", "sscc", ["18 digits"]),
        ("106141412345678908", "gtin", "gtin", ["8, 12, 13 or 14 digits"]),
        ("]E0590123412345", None, "gtin", ["after ]E0 must be 13 digits"]),
        ("01095060001343", "gs1", "gtin", ["AI (01)", "format N2+N14"]),
        ("(01)0950600013435", None, "gtin", ["AI (01)", "format N2+N14"]),
        ("00106141412345678", "gs1", "sscc", ["AI (00)", "format N2+N18"]),
        ("0109506000134352" + "21" + "S" * 21, None, "serial", ["longer than 20"]),
        ("0109506000134352" + "10" + "B" * 21 + GS + "21S", None, "batch", ["longer than 20"]),
        (
            "0109506000134352" + "21" + "S" * 20 + "10XYZ",
            None,
            "serial",
            ["without a GS separator"],
        ),
        ("0109506000134352" + "30" + GS + "10X", None, "ai", ["AI (30)", "empty value"]),
        ("(01)09506000134352(21)", None, "gs1", ["reads back as"]),
        ("(01)09506000134352(21)AB(C", None, "gs1", ["reads back as", "cannot contain '('"]),
        # dates
        ("010950600013435217251301", None, "expiry", ["AI (17)", "format N2+N6"]),
        ("010950600013435217250230", None, "expiry", ["AI (17)", "not a valid date"]),
        # message structure
        ("10ABC", None, "gs1", ["neither AI (01) GTIN nor AI (00) SSCC"]),
        ("(10)ABC(21)1", None, "gs1", ["neither AI (01) GTIN nor AI (00) SSCC"]),
        (
            "0109506000134352" + "0109501101531000",
            None,
            "gs1",
            ["AI (01) appears twice", "'09506000134352'", "'09501101531000'"],
        ),
        ("0109506000134352" + "21A#", None, "ai", ["no known GS1 Application Identifier"]),
        ("(01)09506000134352(9999)X", None, "ai", ["unknown GS1 Application Identifier"]),
        ("]C1", None, "gs1", ["nothing follows"]),
        # symbology identifiers
        ("]", None, "symbology", ["']'"]),
        ("]C00109506000134352", None, "symbology", ["']C0'", "no GS1 data"]),
        ("]X10109506000134352", None, "symbology", ["']X1'"]),
        # EPC tags
        ("3074257BF7194E4000001AZZ", None, "epc", ["not hexadecimal", "'Z' at position 22"]),
        ("3074257BF7194E4000001A8", "epc", "epc", ["must be 24 hex digits, got 23"]),
        ("3074257BF7194E4000001A8500", "epc", "epc", ["must be 24 hex digits, got 26"]),
        ("FF74257BF7194E4000001A85", None, "epc_header", ["unknown EPC header 0xFF"]),
        ("E2801160600002084E7C1BC3", None, "epc_header", ["unknown EPC header 0xE2"]),
        ("000000000000000000000000", None, "epc_header", ["all zeros", "unprogrammed"]),
        ("3374257BF7194E4000001A85", None, "epc_scheme", ["grai-96", "not supported"]),
        ("307C257BF7194E4000001A85", None, "epc_partition", ["partition value is 7"]),
        (
            "307BD0900000014000000001",
            None,
            "epc",
            ["company prefix 1000000 has more than 6 digits"],
        ),
        (
            "3074257BF7D0900000000001",
            None,
            "epc",
            ["item reference 1000000 has more than 6 digits"],
        ),
        ("3174257BF4499602D2000001", None, "epc", ["unallocated bits"]),
        (
            "3674257BF6B7A659B2C2BF100000000000000000000000000001",
            None,
            "epc",
            ["non-zero padding"],
        ),
        (
            "3674257BF6B7A659B2C2BF100000400000000000000000000000",
            None,
            "serial",
            ["after its terminating zero"],
        ),
        ("3674257BF6000000000000000000000000000000000000000000", None, "serial", ["empty"]),
        (  # the example's first serial character "3" (0x33) turned into a space (0x20)
            "3674257BF6B7A65032C2BF100000000000000000000000000000",
            None,
            "serial",
            ["outside GS1 AI character set 82"],
        ),
        ("317C257BF4499602D2000000", None, "epc_partition", ["SSCC-96 partition value is 7"]),
        (
            "3674257BF6B7A659B2C2BF1000000000000000000000000000",
            "epc",
            "epc",
            ["must be 52 hex digits, got 50"],
        ),
        # EPC URIs
        ("urn:epc:id:grai:0614141.12345.400", None, "epc_scheme", ["grai", "not supported"]),
        ("urn:epc:id:nonsense:1.2", None, "epc_scheme", ["nonsense", "unknown"]),
        ("urn:epc:idpat:sgtin:0614141.812345.*", None, "epc_uri", ["urn:epc:id:"]),
        ("urn:epc:id:sgtin:0614141.81234.6789", None, "epc_uri", ["must total 13 digits"]),
        ("urn:epc:id:sgtin:06141.8123456.6789", None, "epc_uri", ["6 to 12 allowed"]),
        ("urn:epc:id:sgtin:0614141.812345", None, "epc_uri", ["<serial>"]),
        ("urn:epc:id:sgtin:0614141.812345.%41", None, "serial", ["escape other than"]),
        ("urn:epc:id:sgtin:0614141.812345.a%2fb", None, "serial", ["escape other than"]),
        ("urn:epc:id:sgtin:0614141.812345." + "9" * 21, None, "epc_uri", ["serial"]),
        ("urn:epc:id:sscc:0614141.123456789", None, "epc_uri", ["must total 17 digits"]),
        ("urn:epc:tag:sgtin-96:8.0614141.812345.6789", None, "epc_filter", ["0 to 7"]),
        ("urn:epc:tag:sgtin-96:3.0614141.812345.06789", None, "serial", ["leading zeros"]),
        (f"urn:epc:tag:sgtin-96:3.0614141.812345.{2**38}", None, "serial", ["below 2^38"]),
        ("urn:epc:tag:grai-96:3.0614141.12345.400", None, "epc_scheme", ["not supported"]),
    ],
)
def test_bad_codes_are_refused_with_a_reason(
    code: str, kind: str | None, field: str, fragments: list[str]
) -> None:
    """Each kind of bad code raises InvalidCode naming the field and saying what is wrong."""
    error = refusal(code, kind)
    assert field == error.field, error.reason
    assert [] == [fragment for fragment in fragments if fragment not in error.reason], error.reason
    assert (error.field, error.reason) == outcome(_decode_with_libraries, code, kind)


def test_bad_codes_are_refused_by_decode_too() -> None:
    """The cached entry point raises InvalidCode for a bad code, like the uncached one."""
    with pytest.raises(InvalidCode, match="expected 2"):
        decode("09506000134353")


# --------------------------------------------------------------------------------------
# The fast path equals the libraries, on generated codes

DIGITS = "0123456789"


def with_check_digit(payload: str) -> str:
    return payload + str(check_digit(payload))


def numbers(length: int) -> st.SearchStrategy[str]:
    """GS1 numbers of ``length`` digits with a valid check digit."""
    return st.text(alphabet=DIGITS, min_size=length - 1, max_size=length - 1).map(with_check_digit)


gtins = st.sampled_from([8, 12, 13, 14]).flatmap(numbers)
gtin14s = numbers(14)
ssccs = numbers(18)
values = st.text(alphabet=AI82, min_size=1, max_size=20)
bracketable_values = st.text(alphabet=AI82.replace("(", ""), min_size=1, max_size=20)
# biip puts a two-digit year in a century by today's date, so stay inside 2001-2049 (year
# 00, whose 29 February depends on that, is tested on its own)
expiries = st.dates(date(2001, 1, 1), date(2049, 12, 31)).map(
    lambda d: d.strftime("%y%m%d")
) | st.dates(date(2001, 1, 1), date(2049, 12, 31)).map(lambda d: d.strftime("%y%m00"))


def assert_fast_equals_libraries(code: str, kind: str | None = None) -> None:
    fast = _decode_fast(code, kind)
    assert fast is not None, f"fast path declined {code!r}"
    assert _decode_with_libraries(code, kind) == fast


@SETTINGS
@given(gtins)
def test_fast_plain_gtin_equals_biip(code: str) -> None:
    """Plain GTINs of every length decode identically on the fast path and through biip."""
    assert_fast_equals_libraries(code)
    assert_fast_equals_libraries(code, "gtin")


@SETTINGS
@given(ssccs)
def test_fast_plain_sscc_equals_biip(code: str) -> None:
    """Plain SSCCs decode identically on the fast path and through biip."""
    assert_fast_equals_libraries(code)


@st.composite
def element_lists(draw: st.DrawFn) -> list[tuple[str, str]]:
    """AIs 01 and/or 00 with optional 10, 21, 17, in any order."""
    chosen = draw(st.sampled_from([["01"], ["00"], ["01", "00"]]).map(list)) + draw(
        st.lists(st.sampled_from(["10", "21", "17"]), unique=True)
    )
    order = draw(st.permutations(chosen))
    make = {"01": gtin14s, "00": ssccs, "10": values, "21": values, "17": expiries}
    return [(ai, draw(make[ai])) for ai in order]


@st.composite
def element_strings(draw: st.DrawFn) -> str:
    """Raw element strings, with or without a GS1 symbology identifier; GS after every
    variable-length value but the last, and sometimes after fixed ones and at the end."""
    aim = draw(st.sampled_from(["", "]C1", "]d2", "]Q3", "]e0", "]J1"]))
    elements = draw(element_lists())
    parts = []
    for index, (ai, value) in enumerate(elements):
        last = index == len(elements) - 1
        needs_gs = ai in ("10", "21") and not last
        parts.append(ai + value + (GS if needs_gs or (not last and draw(st.booleans())) else ""))
    return aim + "".join(parts) + (GS if draw(st.booleans()) else "")


@SETTINGS
@given(element_strings())
def test_fast_element_string_equals_biip(code: str) -> None:
    """Element strings of AIs 00, 01, 10, 17, 21 decode identically on both paths."""
    assert_fast_equals_libraries(code)


def test_century_dependent_date_is_left_to_biip() -> None:
    """29 February of year 00 depends on biip's century window: the fast path declines it."""
    code = "0109506000134352" + "17000229"
    assert _decode_fast(code) is None
    assert outcome(_decode_with_libraries, code) == outcome(decode_uncached, code)


@st.composite
def bracketed_strings(draw: st.DrawFn) -> str:
    """The bracketed form; values cannot contain '(' there."""
    elements = [
        (ai, draw(bracketable_values) if ai in ("10", "21") else value)
        for ai, value in draw(element_lists())
    ]
    return "".join(f"({ai}){value}" for ai, value in elements)


@SETTINGS
@given(bracketed_strings())
def test_fast_bracketed_equals_biip(code: str) -> None:
    """The bracketed form of the fast-path AIs decodes identically on both paths."""
    assert_fast_equals_libraries(code)


company_prefixes = st.integers(6, 12).flatmap(
    lambda length: st.text(alphabet=DIGITS, min_size=length, max_size=length)
)


@st.composite
def sgtin_uris(draw: st.DrawFn, serials: st.SearchStrategy[str]) -> str:
    prefix = draw(company_prefixes)
    reference = draw(st.text(alphabet=DIGITS, min_size=13 - len(prefix), max_size=13 - len(prefix)))
    return f"urn:epc:id:sgtin:{prefix}.{reference}.{draw(serials)}"


@st.composite
def sscc_uris(draw: st.DrawFn) -> str:
    prefix = draw(company_prefixes)
    reference = draw(st.text(alphabet=DIGITS, min_size=17 - len(prefix), max_size=17 - len(prefix)))
    return f"urn:epc:id:sscc:{prefix}.{reference}"


sgtin96_serials = st.integers(0, 2**38 - 1).map(str)
filters = st.integers(0, 7).map(str)


@SETTINGS
@given(sgtin_uris(sgtin96_serials), filters)
def test_fast_sgtin96_equals_epcpy(uri: str, filter_value: str) -> None:
    """SGTIN-96 tags encoded by epcpy decode identically on both paths, to the URI's GTIN."""
    sgtin = SGTIN(uri)
    code = sgtin.hex(
        binary_coding_scheme=SGTIN.BinaryCodingScheme.SGTIN_96,
        filter_value=SGTINFilterValue(filter_value),
    )
    assert_fast_equals_libraries(code)
    decoded = decode_uncached(code)
    assert (sgtin.gtin(), int(filter_value)) == (decoded.key, decoded.filter)


@SETTINGS
@given(sscc_uris(), filters)
def test_fast_sscc96_equals_epcpy(uri: str, filter_value: str) -> None:
    """SSCC-96 tags encoded by epcpy decode identically on both paths, to the URI's SSCC."""
    sscc = SSCC(uri)
    code = sscc.hex(filter_value=SSCCFilterValue(filter_value))
    assert_fast_equals_libraries(code)
    assert sscc.gs1_key() == decode_uncached(code).sscc


@SETTINGS
@given(st.sampled_from([0x30, 0x31]), st.integers(0, 2**88 - 1), st.booleans())
def test_any_96_bit_tag_is_decided_alike(header: int, rest: int, clear_tail: bool) -> None:
    """Any 96 bits under an SGTIN-96 or SSCC-96 header get the same outcome on both paths,
    and the fast path accepts every such tag the libraries accept."""
    if clear_tail:  # give SSCC-96 a chance: its last 24 bits must be zero
        rest &= ~0xFF_FFFF
    code = f"{header << 88 | rest:024X}"
    reference = outcome(_decode_with_libraries, code)
    assert reference == outcome(decode_uncached, code)
    if isinstance(reference, Identifier):
        assert reference == _decode_fast(code)


# set 82 without the characters a URI must escape (" % & / < > ?)
uri_serials = st.text(alphabet=[c for c in AI82 if c not in '"%&/<>?'], min_size=1, max_size=20)


@SETTINGS
@given(st.one_of(sgtin_uris(uri_serials), sscc_uris()))
def test_fast_pure_identity_uri_equals_epcpy(uri: str) -> None:
    """SGTIN and SSCC pure-identity URIs decode identically on both paths."""
    assert_fast_equals_libraries(uri)


def break_check_digit(number: str, wrong: int) -> str:
    check = int(number[-1])
    return number[:-1] + str((check + 1 + wrong % 9) % 10)


@SETTINGS
@given(gtin14s, st.integers(0, 8), st.sampled_from(["plain", "raw", "bracketed", "]C1"]))
def test_bad_gtin_check_digit_is_refused_alike(gtin: str, wrong: int, form: str) -> None:
    """A wrong GTIN check digit is refused, with the same reason on both paths."""
    bad = break_check_digit(gtin, wrong)
    code = {
        "plain": bad,
        "raw": f"01{bad}21S",
        "bracketed": f"(01){bad}(21)S",
        "]C1": f"]C101{bad}",
    }[form]
    assert _decode_fast(code) is None
    expected = ("gtin", f"GTIN {bad}: check digit is {bad[-1]}, expected {gtin[-1]}")
    assert expected == outcome(_decode_with_libraries, code)
    assert expected == outcome(decode_uncached, code)


@SETTINGS
@given(ssccs, st.integers(0, 8), st.sampled_from(["plain", "raw", "bracketed"]))
def test_bad_sscc_check_digit_is_refused_alike(sscc: str, wrong: int, form: str) -> None:
    """A wrong SSCC check digit is refused, with the same reason on both paths."""
    bad = break_check_digit(sscc, wrong)
    code = {"plain": bad, "raw": f"00{bad}", "bracketed": f"(00){bad}"}[form]
    assert _decode_fast(code) is None
    expected = ("sscc", f"SSCC {bad}: check digit is {bad[-1]}, expected {sscc[-1]}")
    assert expected == outcome(_decode_with_libraries, code)
    assert expected == outcome(decode_uncached, code)


near_codes = st.text(
    alphabet=DIGITS + "ABCDEF" + "()]" + GS + "Cd1QX" + "%:.urnepcidsgt", max_size=60
)


@SETTINGS
@given(near_codes, st.sampled_from([None, "gs1", "gtin", "sscc", "epc", "epc_uri"]))
def test_arbitrary_text_gets_the_same_outcome(code: str, kind: str | None) -> None:
    """Whatever the text, decode and the libraries agree, and only InvalidCode escapes."""
    assert outcome(_decode_with_libraries, code, kind) == outcome(decode_uncached, code, kind)


def sgtin96_hex(uri: str) -> str:
    return str(
        SGTIN(uri).hex(
            binary_coding_scheme=SGTIN.BinaryCodingScheme.SGTIN_96,
            filter_value=SGTINFilterValue.ALL_OTHERS,
        )
    )


valid_codes = st.one_of(
    gtins,
    ssccs,
    element_strings(),
    bracketed_strings(),
    sgtin_uris(sgtin96_serials),
    sgtin_uris(sgtin96_serials).map(sgtin96_hex),
    sscc_uris(),
    sscc_uris().map(lambda uri: str(SSCC(uri).hex(filter_value=SSCCFilterValue.ALL_OTHERS))),
)
edit_characters = DIGITS + "ABCDEFabcdef()]%:." + GS + "#"


@st.composite
def mutated_codes(draw: st.DrawFn) -> str:
    """A valid code with up to three characters replaced, inserted or deleted."""
    code = draw(valid_codes)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(code)))
        char = draw(st.sampled_from(edit_characters))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "insert":
            code = code[:at] + char + code[at:]
        elif edit == "replace":
            code = code[:at] + char + code[at + 1 :]
        else:
            code = code[:at] + code[at + 1 :]
    return code


@SETTINGS
@given(mutated_codes(), st.sampled_from([None, None, "gs1", "gtin", "sscc", "epc", "epc_uri"]))
def test_damaged_codes_get_the_same_outcome(code: str, kind: str | None) -> None:
    """Valid codes with a few characters changed get the same outcome on both paths."""
    assert outcome(_decode_with_libraries, code, kind) == outcome(decode_uncached, code, kind)


def test_a_uri_the_epc_library_cannot_convert_is_refused_with_a_reason() -> None:
    """A serial starting with an escape (a GS1 '/' as %2F) is one epcpy raises an exception
    without a message for: refused, and the reason still says something (it was empty)."""
    error = refusal("urn:epc:id:sgtin:9506000.001471.%2F7", kind="epc_uri")
    assert "epc_uri" == error.field
    assert error.reason.startswith("EPC URI cannot be decoded: ")
    assert error.reason.removeprefix("EPC URI cannot be decoded: ").strip()
