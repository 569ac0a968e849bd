"""GS1 numbers: the one check digit, and GTIN and SSCC checks for manifests, held to published
examples and to biip (the reference GS1 library) on generated numbers."""

from __future__ import annotations

import pytest
from biip.checksums import gs1_standard_check_digit
from biip.gtin import Gtin
from biip.sscc import Sscc
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.core.gs1 import check_digit, check_gtin, check_sscc, valid_gtin, valid_sscc
from gate.core.identifiers import decode_uncached
from gate.errors import InvalidCode

SETTINGS = settings(deadline=None, max_examples=300)
DIGITS = "0123456789"


@pytest.mark.parametrize(
    ("payload", "check"),
    [
        ("629104150021", 3),  # GS1 check digit calculation example: GTIN-13 6291041500213
        ("950110153100", 0),  # GS1 General Specifications 7.9.1 (biip doctest): 9501101531000
        ("9501234", 6),  # GS1 General Specifications 7.9.1 (biip doctest): GTIN-8 95012346
        ("0950600013435", 2),  # GS1's example GTIN 09506000134352 (GS1 Digital Link standard)
        ("10614141234567890", 8),  # EPC TDS 2.x SSCC example 106141412345678908
        ("4012345", 5),  # the compiler's old vector (tests/test_compile.py): EAN-8 40123455
        ("61414100003", 6),  # the compiler's old vector: UPC-A 614141000036
    ],
)
def test_check_digit_matches_published_examples(payload: str, check: int) -> None:
    """The GS1 mod-10 check digit of published example numbers is computed."""
    assert check == check_digit(payload)


@SETTINGS
@given(st.text(DIGITS, min_size=1, max_size=17))
def test_check_digit_equals_biip(payload: str) -> None:
    """For any digits of up to 17 (the longest GS1 key before its check digit), the check
    digit is biip's."""
    assert gs1_standard_check_digit(payload) == check_digit(payload)


VALID_GTINS = [
    ("09506000134352", "09506000134352"),  # GS1's example GTIN (GS1 Digital Link standard)
    ("9506000134352", "09506000134352"),  # the same as GTIN-13
    ("6291041500213", "06291041500213"),  # GS1 check digit calculation example
    ("036000291452", "00036000291452"),  # UPC-A (GTIN-12), the Wikipedia UPC-A example
    ("95012346", "00000095012346"),  # GTIN-8, GS1 General Specifications 7.9.1
    ("80614141123458", "80614141123458"),  # EPC TDS 2.x SGTIN example's GTIN
]


@pytest.mark.parametrize(("code", "gtin14"), VALID_GTINS)
def test_published_gtins_are_valid(code: str, gtin14: str) -> None:
    """GS1's published example GTINs of each length are valid; check_gtin pads to GTIN-14."""
    assert valid_gtin(code)
    assert gtin14 == check_gtin(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("09506000134353", "GTIN 09506000134353: check digit is 3, expected 2"),
        ("9506000134350", "GTIN 9506000134350: check digit is 0, expected 2"),
        ("95012345", "GTIN 95012345: check digit is 5, expected 6"),
        ("", "GTIN must be 8, 12, 13 or 14 digits, got '' (0 characters)"),
        ("106141412345678908", "GTIN must be 8, 12, 13 or 14 digits, got '106141412345678908'"),
        (" 9506000134352", "GTIN must be 8, 12, 13 or 14 digits"),  # 14 characters, a space
        ("950600013435a", "GTIN must be 8, 12, 13 or 14 digits"),
        # Arabic-Indic digits: str.isdigit() says yes, GS1 says no
        ("٠٩٥٠٦٠٠٠١٣٤٣٥٢", "GTIN must be 8, 12, 13 or 14 digits"),
        ("9506000134352\n", "GTIN must be 8, 12, 13 or 14 digits"),
    ],
)
def test_bad_gtins_are_refused_with_a_reason(code: str, reason: str) -> None:
    """A wrong check digit, length or character is refused, naming the number."""
    assert not valid_gtin(code)
    with pytest.raises(InvalidCode) as caught:
        check_gtin(code, field="manifest[0].contents[0].gtin")
    assert "manifest[0].contents[0].gtin" == caught.value.field
    assert caught.value.reason.startswith(reason), caught.value.reason


def test_sscc_from_the_epc_standard_is_valid() -> None:
    """The SSCC of the EPC TDS 2.x example, 106141412345678908, is valid."""
    assert valid_sscc("106141412345678908")
    assert "106141412345678908" == check_sscc("106141412345678908")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("106141412345678907", "SSCC 106141412345678907: check digit is 7, expected 8"),
        ("10614141234567890", "SSCC must be 18 digits, got '10614141234567890' (17 characters)"),
        ("1061414123456789080", "SSCC must be 18 digits"),
        ("10614141234567890O", "SSCC must be 18 digits"),  # a letter O for a zero
        ("١٠٦١٤١٤١٢٣٤٥٦٧٨٩٠٨", "SSCC must be 18 digits"),  # Arabic-Indic digits
    ],
)
def test_bad_ssccs_are_refused_with_a_reason(code: str, reason: str) -> None:
    """A wrong SSCC check digit, length or character is refused, naming the number."""
    assert not valid_sscc(code)
    with pytest.raises(InvalidCode) as caught:
        check_sscc(code)
    assert "sscc" == caught.value.field
    assert caught.value.reason.startswith(reason), caught.value.reason


def numbers(lengths: list[int]) -> st.SearchStrategy[str]:
    """Digits of one of ``lengths`` with a valid check digit (computed by biip)."""
    return (
        st.sampled_from(lengths)
        .flatmap(lambda n: st.text(DIGITS, min_size=n - 1, max_size=n - 1))
        .map(lambda payload: payload + str(gs1_standard_check_digit(payload)))
    )


gtins = numbers([8, 12, 13, 14])
ssccs = numbers([18])


@st.composite
def one_digit_changed(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> tuple[str, str]:
    """A valid number and the same number with one digit (any, the check digit too) changed."""
    number = draw(valid)
    at = draw(st.integers(0, len(number) - 1))
    digit = draw(st.sampled_from(DIGITS.replace(number[at], "")))
    return number, number[:at] + digit + number[at + 1 :]


@SETTINGS
@given(one_digit_changed(gtins))
def test_any_valid_gtin_with_one_digit_changed_is_refused(pair: tuple[str, str]) -> None:
    """A valid GTIN passes, and changing any one of its digits makes it fail."""
    good, bad = pair
    assert valid_gtin(good)
    assert good.zfill(14) == check_gtin(good)
    assert not valid_gtin(bad)
    with pytest.raises(InvalidCode, match="check digit is"):
        check_gtin(bad)


@SETTINGS
@given(one_digit_changed(ssccs))
def test_any_valid_sscc_with_one_digit_changed_is_refused(pair: tuple[str, str]) -> None:
    """A valid SSCC passes, and changing any one of its digits makes it fail."""
    good, bad = pair
    assert valid_sscc(good)
    assert not valid_sscc(bad)
    with pytest.raises(InvalidCode, match="check digit is"):
        check_sscc(bad)


def biip_accepts(parse: type[Gtin] | type[Sscc], code: str) -> bool:
    try:
        parse.parse(code)
    except Exception:  # biip's ParseError, and anything else it trips over
        return False
    return True


@SETTINGS
@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: st.text(DIGITS, min_size=n, max_size=n)))
def test_valid_gtin_agrees_with_biip(code: str) -> None:
    """On any digits of a GTIN length, valid_gtin says what biip's Gtin.parse says."""
    assert biip_accepts(Gtin, code) == valid_gtin(code)


@SETTINGS
@given(st.text(DIGITS, min_size=18, max_size=18))
def test_valid_sscc_agrees_with_biip(code: str) -> None:
    """On any 18 digits, valid_sscc says what biip's Sscc.parse says."""
    assert biip_accepts(Sscc, code) == valid_sscc(code)


def refusal(call: object, code: str) -> tuple[str, str]:
    assert callable(call)
    with pytest.raises(InvalidCode) as caught:
        call(code)
    return caught.value.field, caught.value.reason


@SETTINGS
@given(one_digit_changed(gtins))
def test_manifest_and_scan_word_a_bad_gtin_alike(pair: tuple[str, str]) -> None:
    """check_gtin refuses a bad GTIN with the field and reason a scan of it gets."""
    _, bad = pair
    scanned = refusal(lambda code: decode_uncached(code, "gtin"), bad)
    assert scanned == refusal(check_gtin, bad)


@SETTINGS
@given(one_digit_changed(ssccs))
def test_manifest_and_scan_word_a_bad_sscc_alike(pair: tuple[str, str]) -> None:
    """check_sscc refuses a bad SSCC with the field and reason a scan of it gets."""
    _, bad = pair
    scanned = refusal(lambda code: decode_uncached(code, "sscc"), bad)
    assert scanned == refusal(check_sscc, bad)


def test_the_compiler_and_the_simulator_use_the_core_check_digit() -> None:
    """The check digit has one owner: the table compiler's is the core's function, and the
    simulator's only turns the core's answer into a character (issue 10)."""
    import inspect

    from gate.cli import simulate
    from gate.table import compiler

    assert check_digit is compiler.gtin_check_digit
    assert "gs1.check_digit(" in inspect.getsource(simulate.check_digit)
    assert "2" == simulate.check_digit("0950600013435")
