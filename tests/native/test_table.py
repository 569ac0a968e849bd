"""The compiled table against a Python dict as the oracle, and every bad file refused by name."""

from __future__ import annotations

import gc
import random
import struct
import weakref
from array import array
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.errors import TableError
from gate.table import errors as te
from gate.table import native as lt

# Header field offsets, from native/table.h's struct gtab_header.
VERSION_AT, FILE_SIZE_AT, ENTRIES_AT, SLOTS_AT, CONTROLS_AT = 8, 16, 24, 32, 40
CONTROLS_OFFSET_AT, STRINGS_OFFSET_AT, STRINGS_SIZE_AT, SLOTS_OFFSET_AT = 48, 56, 64, 72
BODY_CHECKSUM_AT, HEADER_CHECKSUM_AT = 120, 136

CONTROLS = [
    ("1.A.1", 1, "Complete rocket systems", ""),
    ("1.B.1", 1, "Production facilities for 1.A", "production"),
    ("2.A.1.c", 2, "Solid rocket motor cases", ""),
    ("9.A.4", 2, "Gyros", ""),
]


def build(
    path: Path,
    rows: dict[int, tuple[str, int]],
    controls: list[tuple[str, int, str, str]] = CONTROLS,
) -> None:
    """Writes a table of ``rows`` (key -> (description, control index or NO_CONTROL))."""
    pool = bytearray()
    control_table = []
    for code, category, title, flags in controls:
        parts = []
        for text in (code, title, flags):
            raw = text.encode()
            parts += [len(pool), len(raw)]
            pool += raw
        co, cl, to, tl, fo, fl = parts
        control_table.append((co, cl, to, tl, fo, fl, category))
    keys, offs, lens, ctl = array("Q"), array("I"), array("H"), array("H")
    for key, (description, control) in rows.items():
        raw = description.encode()
        keys.append(key)
        offs.append(len(pool))
        lens.append(len(raw))
        ctl.append(control)
        pool += raw
    lt.write_table(
        path,
        keys=keys,
        desc_offsets=offs,
        desc_lengths=lens,
        controls=ctl,
        control_table=control_table,
        strings=bytes(pool),
        build_time=1_700_000_000,
        source_digest=bytes(range(32)),
    )


def reseal(data: bytearray, body: bool = False) -> bytearray:
    """Recomputes the checksums, so a test can reach the checks behind them."""
    if body:
        struct.pack_into("<Q", data, BODY_CHECKSUM_AT, lt.checksum(bytes(data[lt.HEADER_SIZE :])))
    struct.pack_into("<Q", data, HEADER_CHECKSUM_AT, lt.checksum(bytes(data[:HEADER_CHECKSUM_AT])))
    return data


def expect(
    rows: dict[int, tuple[str, int]], key: int
) -> tuple[str, str, int, frozenset[str]] | None:
    if key not in rows:
        return None
    description, control = rows[key]
    if control == lt.NO_CONTROL:
        return description, "", 0, frozenset()
    code, category, _, flags = CONTROLS[control]
    return description, code, category, frozenset(f for f in flags.split(";") if f)


def seen(table: lt.Table, key: int) -> tuple[str, str, int, frozenset[str]] | None:
    c = table.lookup(key)
    return None if c is None else (c.description, c.control, c.category, c.flags)


# Keys at the edges: the smallest and largest GTIN-14 values, 32-bit edges, and values
# whose digits or bits sit at a boundary.
EDGE_KEYS = [0, 1, 9, 10, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 10**13, lt.MAX_KEY - 1]
EDGE_KEYS.append(lt.MAX_KEY)

row_values = st.tuples(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from([*range(len(CONTROLS)), lt.NO_CONTROL]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.dictionaries(
        st.one_of(st.integers(0, lt.MAX_KEY), st.sampled_from(EDGE_KEYS)),
        row_values,
        max_size=300,
    ),
    probes=st.lists(st.integers(0, lt.MAX_KEY), max_size=50),
)
def test_table_matches_dict_oracle(
    tmp_path: Path, rows: dict[int, tuple[str, int]], probes: list[int]
) -> None:
    """Every key of a random catalogue is found with its row, and no other key is found."""
    path = tmp_path / "t.gtab"
    build(path, rows)
    table = lt.Table.open(path)
    probe = lt.Probe(table)
    assert len(rows) == table.info.entries
    for key in [*rows, *probes, *EDGE_KEYS]:
        assert expect(rows, key) == seen(table, key)
        want = rows[key][1] if key in rows else lt.SLOT_NOT_FOUND
        assert want == probe.control_index(key)
    assert lt.SLOT_INVALID == probe.control_index(lt.MAX_KEY + 1)
    assert lt.SLOT_INVALID == probe.control_index(-1)
    packed = array("Q", [*rows, *probes, *EDGE_KEYS])
    slots = probe.lookup_packed(packed)
    for key, slot in zip(packed, slots, strict=True):
        if key in rows:
            assert expect(rows, key) == (lambda c: (c.description, c.control, c.category, c.flags))(
                probe.entry(slot)
            )
        else:
            assert lt.SLOT_NOT_FOUND == slot


def test_dense_table_wraps_probes_around_the_end(tmp_path: Path) -> None:
    """A large random catalogue (probe chains that wrap past the last slot) matches the dict."""
    rng = random.Random(7)
    rows = {
        rng.randrange(0, lt.MAX_KEY + 1): (f"item {i}", i % len(CONTROLS)) for i in range(20000)
    }
    path = tmp_path / "t.gtab"
    build(path, rows)
    probe = lt.Probe(lt.Table.open(path))
    keys = array("Q", list(rows) + [rng.randrange(0, lt.MAX_KEY + 1) for _ in range(5000)])
    slots = probe.lookup_packed(keys)
    controls = probe.slot_controls(slots)
    for key, control in zip(keys, controls, strict=True):
        assert (rows[key][1] if key in rows else lt.SLOT_NOT_FOUND) == control


def test_long_descriptions_and_many_controls(tmp_path: Path) -> None:
    """Descriptions of the maximum length and control indices past 255 survive the round trip."""
    controls = [(f"3.A.{i % 90 + 1}", 2, f"title {i}", "") for i in range(700)]
    rows = {10**13 + i: ("x" * lt.MAX_STRING if i == 0 else f"d{i}", i) for i in range(700)}
    path = tmp_path / "t.gtab"
    build(path, rows, controls)
    table = lt.Table.open(path)
    assert "x" * lt.MAX_STRING == table.lookup(10**13).description
    assert "title 699" == table.lookup(10**13 + 699).title


def test_text_lookup_parses_plain_gtins_and_leaves_the_rest(tmp_path: Path) -> None:
    """Plain GTIN-8/12/13/14 lines are looked up in C; anything else is marked for decoding."""
    rows = {9506000134352: ("bolt", 2), 40123455: ("nut", lt.NO_CONTROL)}
    path = tmp_path / "t.gtab"
    build(path, rows)
    table = lt.Table.open(path)
    text = b"09506000134352\n9506000134352\r\n40123455\n09506000134353\nabc\n\n12345678901231\n"
    controls, keys = table.classify_lines(text)
    assert [
        2,
        2,
        lt.NO_CONTROL,
        lt.SLOT_INVALID,
        lt.SLOT_INVALID,
        lt.SLOT_INVALID,
        lt.SLOT_NOT_FOUND,
    ] == list(controls)
    assert [9506000134352, 9506000134352, 40123455, 0, 0, 0, 12345678901231] == list(keys)
    probe = lt.Probe(table)
    slots = probe.lookup_codes(["09506000134352", "abc", "12345678901231"])
    assert [2, lt.SLOT_INVALID, lt.SLOT_NOT_FOUND] == list(probe.slot_controls(slots))


def test_lookup_rejects_keys_outside_gtin14(tmp_path: Path) -> None:
    """A key that is no GTIN-14 value is a ValueError, not a silent miss (also when asked
    twice: the answer cache keeps only answers)."""
    path = tmp_path / "t.gtab"
    build(path, {9506000134352: ("bolt", 2)})
    table = lt.Table.open(path)
    for _ in range(2):
        with pytest.raises(ValueError, match="not a GTIN-14"):
            table.lookup(lt.MAX_KEY + 1)
    assert table.lookup("09506000134352") is table.lookup("09506000134352")


def test_layout_constants_match_the_header() -> None:
    """The cdef's struct sizes and constants agree with table.h (cffi cannot check widths)."""
    ffi = lt.ffi
    assert lt.HEADER_SIZE == ffi.sizeof("struct gtab_header") == 144
    assert 16 == ffi.sizeof("struct gtab_slot")
    assert 24 == ffi.sizeof("struct gtab_control")
    assert 10**14 - 1 == lt.MAX_KEY
    assert 0xFFFF == lt.NO_CONTROL
    assert BODY_CHECKSUM_AT == ffi.offsetof("struct gtab_header", "body_checksum")
    assert HEADER_CHECKSUM_AT == ffi.offsetof("struct gtab_header", "header_checksum")
    assert SLOTS_OFFSET_AT == ffi.offsetof("struct gtab_header", "slots_offset")


@pytest.fixture
def good(tmp_path: Path) -> bytearray:
    path = tmp_path / "good.gtab"
    build(path, {9506000134352 + i * 10: (f"item {i}", i % 4) for i in range(50)})
    return bytearray(path.read_bytes())


def refused(tmp_path: Path, data: bytes | bytearray, kind: type[TableError], text: str) -> None:
    path = tmp_path / "bad.gtab"
    path.write_bytes(bytes(data))
    with pytest.raises(kind, match=text):
        lt.Table.open(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    """An empty file is TableEmpty."""
    refused(tmp_path, b"", te.TableEmpty, "empty")


def test_truncated_anywhere_is_refused(tmp_path: Path, good: bytearray) -> None:
    """A table cut at any byte is refused (truncated, or bad magic before the magic ends)."""
    for cut in range(1, len(good)):
        path = tmp_path / "cut.gtab"
        path.write_bytes(bytes(good[:cut]))
        with pytest.raises((te.TableTruncated, te.TableBadMagic)):
            lt.Table.open(path)
    refused(tmp_path, good[: len(good) - 1], te.TableTruncated, "truncated")
    refused(tmp_path, good[:100], te.TableTruncated, "truncated")


def test_wrong_magic_is_refused(tmp_path: Path, good: bytearray) -> None:
    """A file that does not start with the magic is not a gate table."""
    good[0:4] = b"GTAX"
    refused(tmp_path, good, te.TableBadMagic, "magic")


def test_wrong_version_is_refused(tmp_path: Path, good: bytearray) -> None:
    """Another format version is refused even with a consistent header."""
    struct.pack_into("<I", good, VERSION_AT, 2)
    refused(tmp_path, reseal(good), te.TableVersionMismatch, "version")


def test_damaged_header_is_refused(tmp_path: Path, good: bytearray) -> None:
    """A header byte changed without resealing fails the header checksum."""
    good[ENTRIES_AT] ^= 1
    refused(tmp_path, good, te.TableHeaderChecksum, "header checksum")


def test_damaged_body_is_refused(tmp_path: Path, good: bytearray) -> None:
    """A body byte changed fails the body checksum when the table is verified."""
    good[-20] ^= 0x40
    refused(tmp_path, good, te.TableChecksum, "body checksum")


def test_appended_bytes_are_refused(tmp_path: Path, good: bytearray) -> None:
    """A file longer than its header says is refused."""
    refused(tmp_path, good + b"\0" * 8, te.TableOversize, "longer")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (SLOTS_AT, 10**9),
        (SLOTS_AT, 2**62),
        (SLOTS_AT, 0),
        (ENTRIES_AT, 10**6),
        (CONTROLS_AT, 70000),
        (CONTROLS_AT, 2**60),
        (CONTROLS_OFFSET_AT, 2**64 - 8),
        (STRINGS_OFFSET_AT, 2**64 - 1),
        (STRINGS_SIZE_AT, 2**63),
        (SLOTS_OFFSET_AT, 2**64 - 64),
        (SLOTS_OFFSET_AT, 64),
    ],
)
def test_counts_and_offsets_outside_the_file_are_refused(
    tmp_path: Path, good: bytearray, field: int, value: int
) -> None:
    """A count or offset that points outside the file is refused before anything is read."""
    struct.pack_into("<Q", good, field, value)
    refused(tmp_path, reseal(good, body=True), te.TableBounds, "outside")


def test_corrupt_entry_is_refused_by_verify_and_by_lookup(tmp_path: Path, good: bytearray) -> None:
    """A slot whose control index is out of range is refused by verify and by its lookup."""
    slots_offset = struct.unpack_from("<Q", good, SLOTS_OFFSET_AT)[0]
    slot_count = struct.unpack_from("<Q", good, SLOTS_AT)[0]
    for i in range(slot_count):
        at = slots_offset + 16 * i
        key = struct.unpack_from("<Q", good, at)[0]
        if key != 2**64 - 1:
            struct.pack_into("<H", good, at + 14, 999)
            break
    reseal(good, body=True)
    refused(tmp_path, good, te.TableCorrupt, "corrupt")
    path = tmp_path / "bad.gtab"
    table = lt.Table.open(path, verify=False)
    with pytest.raises(te.TableCorrupt):
        table.lookup(key)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path with no file is TableUnreadable, with the system's reason."""
    with pytest.raises(te.TableUnreadable, match="No such file"):
        lt.Table.open(tmp_path / "nope.gtab")


def test_swap_keeps_old_table_until_released(tmp_path: Path) -> None:
    """A swapped-out table keeps answering its readers and is freed when the last one lets go."""
    old_path, new_path = tmp_path / "old.gtab", tmp_path / "new.gtab"
    build(old_path, {9506000134352: ("old", 0)})
    build(new_path, {9506000134352: ("new", 2)})
    slot = lt.TableSlot(lt.Table.open(old_path))
    reader = slot.current()
    released = weakref.ref(reader)
    slot.swap(lt.Table.open(new_path))
    assert "new" == slot.current().lookup(9506000134352).description
    # Each open table answers its own single lookups (the one-integer call carries its tag).
    assert (0, 2) == (
        lt.Probe(reader).control_index(9506000134352),
        lt.Probe(slot.current()).control_index(9506000134352),
    )
    assert "old" == reader.lookup(9506000134352).description
    del reader
    gc.collect()
    assert released() is None
    assert "new" == slot.current().lookup(9506000134352).description
