"""The journal's canonical JSON: orjson where it writes the standard library's bytes, the
standard library everywhere else. A record's hash covers its data text byte for byte, so the
fast path must never write a single byte differently, nor accept what the standard library
refuses (a NaN)."""

from __future__ import annotations

import enum
import json
import math
import random
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.errors import JournalError
from gate.storage import journal


def _standard(value: Any) -> str:
    """The module docstring's definition, as a compliance officer would recompute it."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _same_or_both_refuse(value: Any) -> None:
    try:
        expected = _standard(value)
    except (TypeError, ValueError):
        with pytest.raises(JournalError):
            journal.canonical_json(value)
        return
    assert expected == journal.canonical_json(value)


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 2


class Word(enum.StrEnum):
    HELD = "held"


def test_every_code_point_in_keys_and_values_is_written_as_the_standard_library_does() -> None:
    """Each character but the lone surrogates, in a key and in a value, comes out as the
    standard library writes it (the escapes of control characters, quotes, backslashes, and
    everything else as it is), and the keys sort the same way."""
    points = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 4096):
        chunk = points[start : start + 4096]
        value = {f"k{chr(c)}": f"a{chr(c)}b" for c in chunk}
        assert journal._orjson_exact(value)
        assert _standard(value) == journal.canonical_json(value)


def test_a_scan_record_takes_the_fast_path_and_keeps_its_bytes() -> None:
    """The records the gate writes most (a scan's data: text, numbers, nulls, a list of
    reasons, hits with scores) are written by orjson, byte for byte the standard library's."""
    data = {
        "scan_id": "D1-portal-1",
        "reader": "portal-1",
        "code": "]C101095060000147152112345\x1d10L2406",
        "status": "accepted",
        "error": None,
        "reasons": ["controlled", "no_licence"],
        "rule": 4,
        "hits": [{"entry": "SDN-1", "score": 0.9312, "name": "Hansa Lagertechnik GmbH"}],
        "nested": {"b": [1, 2.5, True, False, None], "a": ("x", -(2**63), 2**64 - 1)},
    }
    assert journal._orjson_exact(data)
    assert _standard(data) == journal.canonical_json(data)


@pytest.mark.parametrize(
    "value",
    [
        {"x": 1e-05},  # orjson: 0.00001
        {"x": 1e16},
        {"x": [1.5e300, -2.5e-300]},
        {"x": 2**64},  # beyond orjson's integers
        {"x": -(2**63) - 1},
        {"x": "\ud800"},  # a lone surrogate
        {"\udfff": 1},
        {"x": Word.HELD},
        {"x": Size.BIG},
        {"x": True, "y": [Word.HELD]},
        {1: "a"},  # a number key: the standard library writes it as text
        {"x": 0.1, "y": -0.0},
    ],
)
def test_values_orjson_writes_otherwise_or_not_at_all_come_out_as_before(value: Any) -> None:
    """Floats with an exponent, integers beyond 64 bits, lone surrogates, enum members of
    the text and number kinds and non-text keys give the standard library's text."""
    _same_or_both_refuse(value)


@pytest.mark.parametrize(
    "value",
    [
        {"x": math.nan},
        {"x": [math.inf]},
        {"x": {"y": -math.inf}},
        {"x": Colour.RED},  # orjson would write "red"
        {"x": {1, 2}},
        {"x": object()},
        {"x": 1, 2: "y"},  # text and number keys cannot be sorted together
    ],
)
def test_what_json_cannot_hold_is_refused_not_written(value: Any) -> None:
    """A NaN or infinity (orjson would write null), a plain enum member (orjson would write
    its value), a set, any other object and unsortable keys are refused: nothing that the
    standard library refused becomes a record."""
    with pytest.raises(JournalError):
        journal.canonical_json(value)


def test_nesting_deeper_than_the_fast_path_goes_is_left_to_the_standard_library() -> None:
    """A value nested past the fast path's depth is written by the standard library (the
    same text), not refused and not cut."""
    value: Any = "end"
    for depth in range(60):
        value = {"d": value} if depth % 2 else [value, depth]
    assert not journal._orjson_exact(value)
    assert _standard(value) == journal.canonical_json(value)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=600, deadline=None)
@given(_values)
def test_any_json_shaped_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    """Generated values (every JSON type, floats of every size, NaN, infinities, big
    integers, any text) come out as the standard library writes them, or are refused as it
    refuses them."""
    _same_or_both_refuse(value)


def test_random_records_are_written_alike() -> None:
    """Records shaped like the gate's (seeded, so a failure repeats) are the same text."""
    rng = random.Random(14)
    words = ["accepted", "held", "D1", "ÄÖÜ", "日本", "\x1d", "\n", '"', "\\", "é" * 3]
    for _ in range(2000):
        record = {
            rng.choice(words) + str(i): rng.choice(
                [None, rng.randint(-(10**6), 10**6), rng.random(), rng.choice(words), []]
            )
            for i in range(rng.randint(0, 12))
        }
        _same_or_both_refuse(record)
