"""gate.core.json_text against the standard library as the oracle: the same value back for
everything JSON can hold, and the standard library's own text (or error) where orjson
refuses a value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.core.json_text import dumps, dumps_bytes

_TEXT = st.text(st.characters(exclude_categories=("Cs",)))  # no lone surrogates
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


@given(_VALUES)
def test_every_json_value_decodes_to_what_the_standard_library_encodes(value: Any) -> None:
    assert json.loads(json.dumps(value)) == json.loads(dumps(value))
    assert dumps(value).encode() == dumps_bytes(value)


@given(st.dictionaries(_TEXT, _SCALARS, max_size=8))
def test_key_order_is_kept(value: dict[str, Any]) -> None:
    assert list(value) == list(json.loads(dumps(value)))


@pytest.mark.parametrize(
    "value",
    [
        {"code": "\ud800"},  # a lone surrogate: escaped, as the standard library does
        {"count": 2**70},  # beyond 64 bits
        {1: "one"},  # a key that is not text
    ],
)
def test_what_orjson_refuses_is_the_standard_librarys_text(value: Any) -> None:
    assert json.dumps(value) == dumps(value)
    assert json.dumps(value).encode() == dumps_bytes(value)


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [_Point(1), dt.datetime(2026, 1, 1), object(), {1, 2}])
def test_what_json_cannot_hold_raises_as_before(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        dumps(value)


def test_a_non_finite_float_is_null_not_the_invalid_nan() -> None:
    assert [None, None] == json.loads(dumps([math.nan, math.inf]))
    assert "NaN" in json.dumps(math.nan)
