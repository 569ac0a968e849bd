"""A logistics unit whose label names goods (AI 01, or AI 02 with AI 37) its manifest does not
confirm is held, never cleared on the manifest: the attack read a pallet the manifest lists as
10 bearings whose label named a controlled gyro, and the gate cleared and dispatched it."""

from __future__ import annotations

import pytest

from gate.core import shipments as sh
from gate.core.container_labels import Claim, Label, claims, unconfirmed
from gate.core.identifiers import Identifier, decode
from gate.core.line_counting import counted_already
from gate.core.rules import Decision
from gate.core.shipments import State
from gate.errors import DispatchRefused
from tests import serial_books
from tests.core.test_shipments import (
    BOLT,
    CONTROLS,
    GYRO,
    NOW,
    PALLET,
    STRAY,
    TABLE,
    TOOLING,
    shipment,
)

#: A pallet the WMS lists as ten gyros.
GYROS = sh.Manifest.from_mapping({PALLET: [(GYRO, 10, [])]})
#: The attack's pallet, as the WMS lists it: ten unlisted units (bearings).
BEARINGS = sh.Manifest.from_mapping({PALLET: [(BOLT, 10, [])]})


def label(
    sscc: str, *, key: str | None = None, content: str | None = None, count: int | None = None
) -> Identifier:
    """A pallet label read: AI 00, and AI 01 (``key``) or AI 02/37 (``content``, ``count``)."""
    return Identifier("gs1", f"(00){sscc}", key=key, sscc=sscc, content=content, count=count)


def read(s: sh.Shipment, item: Identifier) -> sh.Transition:
    # The shell looks AI 01 up itself and passes the answer; a container ignores it.
    return serial_books.add_scan(s, item, TABLE.get(item.key or ""), CONTROLS, NOW)


def sealed(*items: Identifier, manifest: sh.Manifest = BEARINGS) -> sh.Shipment:
    s = shipment(manifest=manifest)
    for item in items:
        s = serial_books.carry(s, read(s, item).shipment)
    return sh.seal(s, CONTROLS, NOW).shipment


def lines(s: sh.Shipment) -> dict[str, tuple[int, str, tuple[str, ...]]]:
    return {x.key: (x.quantity, x.decision.value, x.reasons) for x in s.lines}


def test_a_label_gtin_the_manifest_does_not_list_holds_the_pallet() -> None:
    """The attack's first read, (00) pallet (01) gyro, against a manifest of 10 bearings: the
    pallet is its own line held ``unclassified`` saying what contradicted what, the gyro is
    counted and decided as a gyro (cat2), the manifest's bearings are counted as well (a
    label adds to what is held, never takes the manifest's goods away), and the shipment is
    held, its dispatch refused."""
    s = sealed(label(PALLET, key=GYRO))
    assert State.HELD == s.state
    assert {
        PALLET: (1, "licence_required", ("unclassified",)),
        GYRO: (1, "licence_required", ("cat2",)),
        BOLT: (10, "clear", ("not_listed",)),
    } == lines(s)
    pallet = s.line(PALLET)
    assert pallet is not None
    said = f"its label names GTIN {GYRO}, which its manifest does not list"
    assert f"container (SSCC) whose label contradicts its manifest: {said}" == pallet.description
    assert pallet.description == pallet.verdict.detail
    with pytest.raises(DispatchRefused):
        sh.dispatch(s, CONTROLS, NOW)


def test_a_content_gtin_and_count_the_manifest_does_not_list_hold_the_pallet() -> None:
    """The attack's second read, (00) pallet (02) gyro (37) 10: held, and the gyro line counts
    the label's 10, the bearings the manifest's 10."""
    s = sealed(label(PALLET, content=GYRO, count=10))
    assert State.HELD == s.state
    assert {
        PALLET: (1, "licence_required", ("unclassified",)),
        GYRO: (10, "licence_required", ("cat2",)),
        BOLT: (10, "clear", ("not_listed",)),
    } == lines(s)


def test_a_matching_gtin_with_another_count_holds_the_pallet() -> None:
    """(02) bearings (37) 12 where the manifest lists 10: held, the detail naming both counts;
    the bearings line counts the label's 12, not the manifest's 10."""
    s = sealed(label(PALLET, content=BOLT, count=12))
    assert State.HELD == s.state
    assert (1, "licence_required", ("unclassified",)) == lines(s)[PALLET]
    assert (12, "clear", ("not_listed",)) == lines(s)[BOLT]
    pallet = s.line(PALLET)
    assert pallet is not None
    assert f"its label counts 12 of GTIN {BOLT}, where its manifest lists 10" in (
        pallet.verdict.detail
    )


@pytest.mark.parametrize(
    "item",
    [
        label(PALLET),
        label(PALLET, key=BOLT),
        label(PALLET, content=BOLT),
        label(PALLET, content=BOLT, count=10),
    ],
    ids=["bare", "01", "02", "02+37"],
)
def test_a_label_the_manifest_confirms_counts_from_the_manifest(item: Identifier) -> None:
    """A bare SSCC, or a label whose GTIN (and count) the manifest confirms, counts the
    manifest's contents as before: 10 bearings, cleared, no line for the pallet."""
    s = sealed(item)
    assert State.CLEARED == s.state
    assert {BOLT: (10, "clear", ("not_listed",))} == lines(s)


def test_a_prohibited_gtin_on_the_label_blocks_and_is_what_the_scan_reports() -> None:
    """A label naming Category I production tooling blocks the shipment (as reading the
    tooling alone would), and the read's first line, the one a scan answer reports, is the
    prohibited one, not the pallet's licence_required."""
    s = shipment(manifest=BEARINGS)
    t = read(s, label(PALLET, key=TOOLING))
    assert [TOOLING, PALLET, BOLT] == [x.key for x in t.lines]
    assert Decision.PROHIBITED == t.lines[0].decision
    assert State.BLOCKED == sh.seal(t.shipment, CONTROLS, NOW).shipment.state


def test_a_label_on_a_pallet_missing_from_the_manifest_keeps_its_gtin() -> None:
    """A pallet the manifest lacks is held ``unclassified`` as before, and the GTIN its label
    names is counted and decided too: tooling on it blocks, not merely holds."""
    s = sealed(label(STRAY, key=TOOLING))
    assert State.BLOCKED == s.state
    assert (1, "licence_required", ("unclassified",)) == lines(s)[STRAY]
    assert "prohibited" == lines(s)[TOOLING][1]


def test_a_contradicting_label_read_again_counts_nothing_and_another_label_adds() -> None:
    """The same contradicting label read again adds nothing (a portal re-reads); a second,
    different contradicting label on the same pallet adds its claim to the pallet's line
    and counts its GTIN."""
    s = shipment(manifest=BEARINGS)
    first = label(PALLET, key=GYRO)
    s = serial_books.carry(s, read(s, first).shipment)
    book = serial_books.FrozenBook(serial_books.counted(s))
    assert counted_already(s, first, book)
    again = read(s, first)
    assert s.lines == again.shipment.lines
    other = label(PALLET, content=TOOLING, count=2)
    assert not counted_already(s, other, book)
    s = serial_books.carry(s, read(s, other).shipment)
    pallet = s.line(PALLET)
    assert pallet is not None
    assert (Label(GYRO, None, 0), Label(TOOLING, 2, 0)) == pallet.labels
    assert {PALLET: 1, GYRO: 1, TOOLING: 2, BOLT: 10} == {x.key: x.quantity for x in s.lines}


def test_a_count_naming_no_gtin_is_not_confirmed() -> None:
    """AI 37 without AI 02 counts nothing GS1 lets it count: the manifest cannot confirm it,
    so the pallet is held, whatever the manifest lists."""
    assert (Label(None, 10, 0),) == unconfirmed(claims(label(PALLET, count=10)), [])
    s = sealed(label(PALLET, count=10))
    assert State.HELD == s.state
    assert {
        PALLET: (1, "licence_required", ("unclassified",)),
        BOLT: (10, "clear", ("not_listed",)),
    } == lines(s)


def test_claims_read_ai_01_and_ai_02_with_37() -> None:
    """A label's claims: AI 01 alone, AI 02 with its count, nothing for a bare SSCC."""
    assert () == claims(label(PALLET))
    assert (Claim(GYRO, None),) == claims(label(PALLET, key=GYRO))
    assert (Claim(GYRO, 10),) == claims(label(PALLET, content=GYRO, count=10))


def test_the_decoder_carries_ai_02_and_ai_37() -> None:
    """``(00)...(02)...(37)10`` decodes to the SSCC with the content GTIN and the count (the
    attack's code; before, AI 02 and AI 37 were dropped), raw and bracketed alike."""
    sscc, gtin = "009506000000000019", "09506000014715"
    bracketed = decode(f"(00){sscc}(02){gtin}(37)10")
    raw = decode(f"00{sscc}02{gtin}3710")
    for item in (bracketed, raw):
        assert (sscc, None, gtin, 10) == (item.sscc, item.key, item.content, item.count)


def test_a_label_gtin_unloaded_and_put_back_counts_again() -> None:
    """The label's gyro line removed (unloaded), then the pallet read again: the gyro counts
    again from that read, the pallet's own line (still loaded) does not."""
    s = shipment(manifest=BEARINGS)
    first = label(PALLET, content=GYRO, count=3)
    s = serial_books.carry(s, read(s, first).shipment)
    s = serial_books.carry(s, sh.remove_line(s, GYRO, CONTROLS, NOW).shipment)
    book = serial_books.FrozenBook(serial_books.counted(s))
    assert not counted_already(s, first, book)
    s = read(s, first).shipment
    gyro, pallet = s.line(GYRO), s.line(PALLET)
    assert gyro is not None and pallet is not None
    assert (3, False, 1) == (gyro.quantity, gyro.removed, gyro.epoch)
    assert 1 == pallet.quantity


def test_one_gtin_named_twice_on_a_label_counts_once() -> None:
    """A label naming the same GTIN in AI 01 and AI 02 (GS1 forbids the pair) counts it once,
    at the larger of its claims (AI 02's 5, not AI 01's one unit)."""
    s = read(shipment(manifest=BEARINGS), label(PALLET, key=GYRO, content=GYRO, count=5))
    pallet = s.shipment.line(PALLET)
    assert pallet is not None
    assert {PALLET: 1, GYRO: 5, BOLT: 10} == {x.key: x.quantity for x in s.shipment.lines}
    assert (Label(GYRO, None, 0), Label(GYRO, 5, 0)) == pallet.labels


@pytest.mark.parametrize(
    "item",
    [label(PALLET, content=BOLT, count=10), label(PALLET, key=BOLT), label(PALLET, count=10)],
    ids=["02+37", "01", "37"],
)
def test_a_contradicting_label_never_takes_the_manifest_prohibited_goods_away(
    item: Identifier,
) -> None:
    """The manifest lists gyros going to an embargoed country (prohibited); a label
    naming something else (or only a count) must not turn the block into a hold the office
    could approve: the gyros are counted and block (a review found the first fix counting
    the label instead of the manifest)."""
    s = shipment(destination="KP", manifest=GYROS)
    s = serial_books.carry(s, read(s, item).shipment)
    s = sh.seal(s, CONTROLS, NOW).shipment
    assert State.BLOCKED == s.state
    assert (10, "prohibited") == lines(s)[GYRO][:2]


def test_a_label_counting_fewer_than_the_manifest_never_lowers_the_count() -> None:
    """(02) gyro (37) 1 where the manifest lists 10 gyros: the line holds the manifest's 10,
    and a bare read of the pallet afterwards adds nothing and takes nothing away."""
    s = shipment(manifest=GYROS)
    s = serial_books.carry(s, read(s, label(PALLET, content=GYRO, count=1)).shipment)
    assert 10 == lines(s)[GYRO][0]
    book = serial_books.FrozenBook(serial_books.counted(s))
    assert counted_already(s, label(PALLET), book)
    s = serial_books.carry(s, read(s, label(PALLET)).shipment)
    assert 10 == lines(s)[GYRO][0]


def test_a_label_counting_more_after_a_bare_read_tops_the_line_up_once() -> None:
    """A bare read counts the manifest's 10 gyros; a label then claiming 12 adds the 2 more
    (the larger of label and manifest), and the same label read again adds nothing."""
    s = shipment(manifest=GYROS)
    s = serial_books.carry(s, read(s, label(PALLET)).shipment)
    more = label(PALLET, content=GYRO, count=12)
    s = serial_books.carry(s, read(s, more).shipment)
    assert 12 == lines(s)[GYRO][0]
    book = serial_books.FrozenBook(serial_books.counted(s))
    assert counted_already(s, more, book)
    s = serial_books.carry(s, read(s, more).shipment)
    assert 12 == lines(s)[GYRO][0]


def test_a_count_of_zero_still_counts_one_unit() -> None:
    """A label showing a GTIN with a count of 0 still shows one is there: one unit."""
    assert 1 == Claim(GYRO, 0).units
