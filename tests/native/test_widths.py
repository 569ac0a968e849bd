"""Integer widths at the C boundary, probed at their edges (cffi does not check an argument's
width against the header: a mismatch shows only as a wrong answer at the edge)."""

from __future__ import annotations

import gc
from array import array
from pathlib import Path

import pytest

from gate.table import errors as te
from gate.table import native as lt
from tests.native.test_table import CONTROLS, build

KEY = 9506000134352
# Values just past what a GTIN-14 key may be: past 10^14, at the tag's bits (48), at the
# sign bit, and the all-ones value that marks a free slot in the file.
PAST_KEYS = [lt.MAX_KEY + 1, 2**47, 2**48, 2**48 + KEY, 2**63 - 1, 2**63, 2**64 - 1]


@pytest.fixture
def table(tmp_path: Path) -> lt.Table:
    path = tmp_path / "t.gtab"
    build(path, {KEY: ("bolt", 2), lt.MAX_KEY: ("last", 0), 0: ("zero", lt.NO_CONTROL)})
    return lt.Table.open(path)


def test_keys_past_gtin14_never_match_in_any_path(table: lt.Table) -> None:
    """Keys past 10^14 - 1 are refused by every lookup path, never matched to a real entry
    (2^48 + k must not answer for k) nor to a free slot (2^64 - 1)."""
    probe = lt.Probe(table)
    assert ("last", "zero") == (table.lookup(lt.MAX_KEY).description, table.lookup(0).description)
    for key in PAST_KEYS:
        with pytest.raises(ValueError, match="not a GTIN-14"):
            table.lookup(key)
        assert lt.SLOT_INVALID == probe.control_index(key)
    for key in (-1, -(2**63), -(2**64)):
        with pytest.raises(ValueError):
            table.lookup(key)
        assert lt.SLOT_INVALID == probe.control_index(key)
    slots = probe.lookup_packed(array("Q", [KEY, lt.MAX_KEY, *PAST_KEYS]))
    assert [lt.SLOT_INVALID] * len(PAST_KEYS) == list(slots[2:])
    assert [2, 0] == list(probe.slot_controls(slots)[:2])


def test_slot_numbers_at_their_edges(table: lt.Table) -> None:
    """Slots past the table, negative or at the int64 edges are refused or passed through as
    a miss, never read."""
    probe = lt.Probe(table)
    edges = array("q", [-1, -(2**31), -(2**31) - 1, -(2**63), table.info.slots, 2**63 - 1])
    assert [-1, -(2**31), lt.SLOT_INVALID, lt.SLOT_INVALID, lt.SLOT_INVALID, lt.SLOT_INVALID] == (
        list(probe.slot_controls(edges))
    )
    for slot in (-1, table.info.slots, 2**63 - 1, 2**64, -(2**64)):
        with pytest.raises(te.TableArgument):
            probe.entry(slot)
    free = next(s for s in range(table.info.slots) if probe.slot_controls(array("q", [s]))[0] < 0)
    with pytest.raises(te.TableNoEntry):
        probe.entry(free)


def test_the_last_control_index_and_one_past_the_format(tmp_path: Path) -> None:
    """65,535 controls fit (index 65,534 is a control, 65,535 means not listed); one more is
    TableTooBig from the builder, and nothing is written."""
    pool_rows = [(0, 5, 5, 5, 10, 0, 2)] * lt.MAX_CONTROLS
    strings = b"9.A.4Gyros"
    path = tmp_path / "t.gtab"
    lt.write_table(
        path,
        keys=array("Q", [KEY, KEY + 10]),
        desc_offsets=array("I", [0, 0]),
        desc_lengths=array("H", [5, 5]),
        controls=array("H", [lt.MAX_CONTROLS - 1, lt.NO_CONTROL]),
        control_table=pool_rows,
        strings=strings,
        build_time=0,
        source_digest=bytes(32),
    )
    table = lt.Table.open(path)
    assert lt.MAX_CONTROLS - 1 == lt.Probe(table).control_index(KEY)
    assert ("9.A.4", "Gyros") == (table.lookup(KEY).control, table.lookup(KEY).title)
    assert ("", 0) == (table.lookup(KEY + 10).control, table.lookup(KEY + 10).category)
    other = tmp_path / "too-many.gtab"
    with pytest.raises(te.TableTooBig):
        lt.write_table(
            other,
            keys=array("Q", [KEY]),
            desc_offsets=array("I", [0]),
            desc_lengths=array("H", [5]),
            controls=array("H", [0]),
            control_table=[*pool_rows, pool_rows[0]],
            strings=strings,
            build_time=0,
            source_digest=bytes(32),
        )
    assert not other.exists()


def test_description_offsets_past_16_and_24_bits(tmp_path: Path) -> None:
    """Descriptions stored past 2^16 and 2^24 bytes into the pool come back whole."""
    rows = {KEY + 10 * i: (f"{i}" + "d" * (lt.MAX_STRING - 10), 1) for i in range(300)}
    path = tmp_path / "t.gtab"
    build(path, rows)
    table = lt.Table.open(path)
    for key, (description, _) in rows.items():
        assert description == table.lookup(key).description


@pytest.mark.parametrize(
    ("field", "value"),
    [(1, 2**16), (0, 2**32), (0, -1), (6, 3), (6, 0)],
)
def test_control_rows_out_of_their_c_range_are_a_value_error(
    tmp_path: Path, field: int, value: int
) -> None:
    """A control row value that does not fit its C field is a ValueError before the call
    (cffi would raise OverflowError, or truncate a category)."""
    row = [0, 5, 5, 5, 10, 0, 2]
    row[field] = value
    with pytest.raises(ValueError, match="out of range"):
        lt.write_table(
            tmp_path / "t.gtab",
            keys=array("Q", [KEY]),
            desc_offsets=array("I", [0]),
            desc_lengths=array("H", [5]),
            controls=array("H", [0]),
            control_table=[tuple(row)],  # type: ignore[list-item]
            strings=b"9.A.4Gyros",
            build_time=0,
            source_digest=bytes(32),
        )


@pytest.mark.parametrize("build_time", [-(2**63), 2**63 - 1])
def test_build_times_at_the_int64_edges_are_refused_by_name(
    tmp_path: Path, build_time: int
) -> None:
    """A table whose build time is no date (the int64 edges) is TableCorrupt when opened,
    not an OverflowError from datetime; one past int64 is refused before writing."""
    path = tmp_path / "t.gtab"
    args = {
        "keys": array("Q", [KEY]),
        "desc_offsets": array("I", [0]),
        "desc_lengths": array("H", [5]),
        "controls": array("H", [0]),
        "control_table": [(0, 5, 5, 5, 10, 0, 2)],
        "strings": b"9.A.4Gyros",
        "source_digest": bytes(32),
    }
    lt.write_table(path, build_time=build_time, **args)  # type: ignore[arg-type]
    with pytest.raises(te.TableCorrupt, match="build time"):
        lt.Table.open(path)
    with pytest.raises(ValueError, match="64 bits"):
        lt.write_table(path, build_time=2**63 if build_time > 0 else -(2**63) - 1, **args)  # type: ignore[arg-type]


def test_a_probe_keeps_its_table_while_it_can_use_the_tag(tmp_path: Path) -> None:
    """A probe's one-integer lookup answers from its own table after the table object is
    dropped and other tables open: the tag is never handed to another table under it."""
    mine, other = tmp_path / "mine.gtab", tmp_path / "other.gtab"
    build(mine, {KEY: ("mine", 0)})
    build(other, {KEY: ("other", len(CONTROLS) - 1)})
    control_index = lt.Probe(lt.Table.open(mine)).control_index
    gc.collect()
    # Tags are claimed lowest first: forty opens take any tag freed under the probe.
    others = [lt.Table.open(other) for _ in range(40)]
    assert 0 == control_index(KEY)
    assert len(CONTROLS) - 1 == lt.Probe(others[0]).control_index(KEY)
