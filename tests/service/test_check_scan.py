"""``check_scan`` takes the everyday scan in one pass and leaves the rest to
``check_scan_fully``: both must take the same scans and refuse the same ones alike."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.errors import InvalidCode
from gate.service import input_checks
from gate.service.input_checks import MAX_CODE, MAX_SCAN_NAME, check_scan, check_scan_fully


def _result(check: Any, raw: Any) -> Any:
    try:
        return check(raw)
    except InvalidCode as exc:
        return ("refused", str(exc), exc.field)


def _same(raw: Any) -> None:
    assert _result(check_scan_fully, raw) == _result(check_scan, raw)


_texts = st.one_of(
    st.sampled_from(["D1", "portal-1", "scan-1", "3034257BF7194E4000001A85", "", "a|b", "é"]),
    st.text(max_size=6),
    st.text(alphabet="ab|\ud800\x00", max_size=4),
    st.just("x" * MAX_SCAN_NAME),
    st.just("x" * (MAX_SCAN_NAME + 1)),
    st.just("9" * MAX_CODE),
    st.just("9" * (MAX_CODE + 1)),
)
_times = st.sampled_from(
    [
        "2026-11-30T01:02:03.456+00:00",
        "2026-11-30T01:02:03Z",
        "2026-11-30T01:02:03",  # no offset
        "2026-13-30T01:02:03+00:00",
        "yesterday",
        "0001-01-01T00:00:00+14:00",
        "٢٠٢٦-11-30T01:02:03+00:00",  # Arabic-Indic digits
        "2026-11-30\ud80001:02:03+00:00",  # any one character parts date and time
        "2026-11-30é01:02:03+00:00",
    ]
)


class Text(str):
    """A str subclass: JSON never makes one, a caller in process might."""


class Table(dict[str, Any]):
    """A dict subclass, likewise."""


_values = st.one_of(
    st.none(),
    _texts,
    _times,
    st.integers(),
    st.booleans(),
    _texts.map(Text),
    st.lists(st.text(max_size=2)),
)
_scans = st.one_of(
    st.fixed_dictionaries(
        {
            "scan_id": _texts,
            "reader": _texts,
            "door": _texts,
            "code": _texts,
        },
        optional={
            "kind": st.one_of(
                st.sampled_from(sorted(input_checks.SCAN_KINDS)), st.just("rfid"), _values
            ),
            "ts": st.one_of(_times, _values),
            "shipment": _values,
            "extra": _values,
        },
    ),
    st.dictionaries(
        st.sampled_from(["scan_id", "reader", "door", "code", "kind", "ts", "other"]), _values
    ),
    st.dictionaries(st.one_of(st.integers(), st.sampled_from(["door", Text("code")])), _values),
    st.builds(
        Table, st.dictionaries(st.sampled_from(["scan_id", "reader", "door", "code"]), _texts)
    ),
    _values,
)


@settings(max_examples=3000, deadline=None)
@given(_scans)
def test_the_quick_check_and_the_full_one_agree_on_every_scan(raw: Any) -> None:
    """Generated scans (missing, empty, overlong, non-text and non-ASCII fields, lone
    surrogates, ``|`` in ids, unknown kinds and fields, valid and invalid times, not even a
    dict) are taken or refused alike, with the same words and field."""
    _same(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"scan_id": "s1", "reader": "r", "door": "D1", "code": "0950600001471"},
        {
            "scan_id": "s1",
            "reader": "r",
            "door": "D1",
            "code": "urn:epc:id:sgtin:0614141.812345.6789",
            "kind": "epc_uri",
            "ts": "2026-11-30T01:02:03.456+00:00",
            "shipment": "SO-1",
        },
    ],
)
def test_the_everyday_scan_takes_the_quick_path(raw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader's usual scan never reaches the full check (the quick path is what a batch
    costs), and is taken with every field as sent."""

    def refuse(raw: Any) -> None:
        raise AssertionError("the full check ran")

    monkeypatch.setattr(input_checks, "check_scan_fully", refuse)
    scan = check_scan(raw)
    assert (raw["scan_id"], raw["code"], raw.get("ts"), raw.get("shipment")) == (
        scan.scan_id,
        scan.code,
        scan.ts,
        scan.shipment,
    )


@pytest.mark.parametrize(
    "field, value",
    [("scan_id", "scan-é"), ("reader", "lecteur-ü"), ("ts", "2026-11-30é01:02:03+00:00")],
)
def test_a_non_ascii_scan_is_checked_fully_and_still_taken(
    field: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text beyond ASCII (in any field, the time too) is not refused by the quick path, only
    left to the full check, which takes it."""
    raw = {"scan_id": "s1", "reader": "r", "door": "D1", "code": "0950600001471", field: value}
    full: list[Any] = []
    fully = input_checks.check_scan_fully

    def counted(raw: Any) -> Any:
        full.append(raw)
        return fully(raw)

    monkeypatch.setattr(input_checks, "check_scan_fully", counted)
    assert value == getattr(check_scan(raw), field)
    assert [raw] == full


def test_a_lone_surrogate_in_the_time_is_refused_by_both() -> None:
    """A time that parses but cannot be stored (a lone surrogate between date and time,
    which ``fromisoformat`` takes) is refused, on the quick path as on the full one."""
    raw = {"scan_id": "s", "reader": "r", "door": "D1", "code": "c"}
    raw["ts"] = "2026-11-30\ud80001:02:03+00:00"
    with pytest.raises(InvalidCode, match="lone surrogate"):
        check_scan(raw)
    _same(raw)


@pytest.mark.parametrize("field", ["door", "shipment"])
def test_a_door_or_shipment_longer_than_any_id_is_refused_by_both(field: str) -> None:
    """A door or shipment of 10,000 characters (attack17: no limit, so stored and journaled
    whole with the refusal) is refused naming the field; 128 characters are still taken."""
    raw = {"scan_id": "s", "reader": "r", "door": "D1", "code": "c", field: "D" * 10_000}
    with pytest.raises(InvalidCode, match=f"{field} must be at most 128") as refused:
        check_scan(raw)
    assert field == refused.value.field
    _same(raw)
    assert "D" * 128 == getattr(check_scan({**raw, field: "D" * 128}), field)
