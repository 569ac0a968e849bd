"""A scan answer says whether the read counted a unit (``counted``): an RFID portal reports
the same tag many times, and only the first read of a serial adds a unit to its line. A
retry answers what the first delivery answered, also after a restart; a rejected answer
has no ``counted``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.cli.simulate import sgtin96_hex, sscc18
from tests.service.harness import OPERATOR, Gate, Gates, gtin_with
from tests.service.test_scan_id_reuse import lines, post, scan

#: The controlled gyro of the demo catalogue (9.A.4).
CONTROL = "9.A.4"


def counted(answers: list[dict[str, Any]]) -> list[Any]:
    """Each answer's ``counted``, or "absent" where it has none."""
    return [a.get("counted", "absent") for a in answers]


async def test_a_tag_read_again_counts_nothing(gate: Gate, demo_config: Path) -> None:
    """The same SGTIN read three times in one batch and once more in the next counts one
    unit: the first answer says 1, the re-reads 0, and the line holds 1."""
    gyro = gtin_with(demo_config, CONTROL)
    tag = sgtin96_hex(gyro, 4711)
    await gate.create()
    _, first = await post(gate, *(scan(f"t{i}", tag, kind="epc") for i in range(3)))
    _, second = await post(gate, scan("t3", tag, kind="epc"))
    assert ["accepted"] * 4 == [a["status"] for a in first + second]
    assert [1, 0, 0, 0] == counted(first + second)
    assert [1, 1, 1, 1] == [a["line"]["quantity"] for a in first + second]
    assert {gyro: 1} == await lines(gate)


async def test_unserialised_reads_count_one_each(gate: Gate, demo_config: Path) -> None:
    """A GTIN read without a serial adds a unit each time it is read."""
    plain = gtin_with(demo_config, "")
    await gate.create()
    _, answers = await post(gate, scan("u1", plain, kind="gtin"), scan("u2", plain, kind="gtin"))
    assert [1, 1] == counted(answers)
    assert {plain: 2} == await lines(gate)


async def test_a_retry_answers_the_first_count_also_after_a_restart(
    gates: Gates, demo_config: Path
) -> None:
    """A retried scan id answers the count its first delivery answered (1), not what the
    read would count now (0), before and after a restart."""
    gyro = gtin_with(demo_config, CONTROL)
    code = f"(01){gyro}(21)SN-9"
    gate = await gates.start()
    await gate.create()
    _, first = await post(gate, scan("a1", code))
    _, again = await post(gate, scan("a1", code), scan("a2", code))
    assert [1, 1, 0] == counted(first + again)
    assert ["duplicate", "accepted"] == [a["status"] for a in again]
    await gates.stop(gate)
    gate = await gates.start()
    _, restarted = await post(gate, scan("a1", code))
    assert {**first[0], "status": "duplicate", "first_status": "accepted"} == restarted[0]
    assert [1] == counted(restarted)


async def test_a_container_counts_its_contents_once(gate: Gate, demo_config: Path) -> None:
    """A manifest pallet read counts its contents (3 gyros, 2 plain units); read again it
    counts nothing, and so does a serial of it read alone. A pallet not in the manifest
    counts 1, then 0."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    pallet, stray = sscc18(3, "4012345", 1), sscc18(3, "4012345", 2)
    contents = [
        {"gtin": gyro, "quantity": 3, "serials": ["PAL-1", "PAL-2"]},
        {"gtin": plain, "quantity": 2},
    ]
    await gate.create(manifest=[{"sscc": pallet, "contents": contents}])
    _, answers = await post(
        gate,
        scan("c1", pallet, kind="sscc"),
        scan("c2", pallet, kind="sscc"),
        scan("c3", f"(01){gyro}(21)PAL-1"),
        scan("c4", stray, kind="sscc"),
        scan("c5", stray, kind="sscc"),
    )
    assert ["accepted"] * 5 == [a["status"] for a in answers]
    assert [5, 0, 0, 1, 0] == counted(answers)
    assert {gyro: 3, plain: 2, stray: 1} == await lines(gate)


async def test_a_removed_line_read_again_counts_its_unit(gate: Gate, demo_config: Path) -> None:
    """Goods unloaded and put back count again: the tag's read after the removal says 1."""
    gyro = gtin_with(demo_config, CONTROL)
    code = f"(01){gyro}(21)SN-1"
    await gate.create()
    _, before = await post(gate, scan("r1", code), scan("r2", f"(01){gyro}(21)SN-2"))
    status, _ = await gate.call(
        "POST", f"/api/v1/shipments/S1/lines/{gyro}/remove", token=None, auth=OPERATOR
    )
    assert 200 == status
    _, after = await post(gate, scan("r3", code))
    assert [1, 1, 1] == counted(before + after)
    assert {gyro: 1} == await lines(gate)


async def test_a_rejected_answer_has_no_count(gate: Gate) -> None:
    """A scan that is rejected answers without ``counted``."""
    await gate.create()
    _, answers = await post(gate, scan("x1", "not a code"))
    assert ["rejected"] == [a["status"] for a in answers]
    assert ["absent"] == counted(answers)
