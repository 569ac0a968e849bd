"""Over HTTP, on a real gate: a pallet label the manifest does not confirm counts each GTIN
it names at the largest claim any read of it made. (00) pallet (02) battery (37) 1, then the
same pallet with (37) 50, puts 50 batteries on the line (the second answer counting 49), in
either order, also after a restart; a read after the seal claiming more holds the door."""

from __future__ import annotations

from pathlib import Path

from gate.cli.simulate import sscc18
from tests.service.harness import Gate, Gates, gtin_with
from tests.service.test_label_count import BATTERY
from tests.service.test_late_prohibited import door_hold


def pallet_label(demo_config: Path, count: int) -> str:
    """A label of a pallet no manifest lists, naming ``count`` batteries (AI 02, AI 37)."""
    battery = gtin_with(demo_config, BATTERY)
    return f"(00){sscc18(3, '4012345', 7)}(02){battery}(37){count}"


async def battery_line(gate: Gate, demo_config: Path, sid: str = "S1") -> int:
    """The quantity of the battery line of shipment ``sid``."""
    status, doc = await gate.call("GET", f"/api/v1/shipments/{sid}")
    assert 200 == status, doc
    battery = gtin_with(demo_config, BATTERY)
    return int(next(x["quantity"] for x in doc["lines"] if x["key"] == battery))


async def test_a_pallet_label_claiming_more_tops_its_gtin_up_in_either_order(
    gate: Gate, demo_config: Path
) -> None:
    """At D1 the label says 1 then 50 (the answers count 2, the pallet and a battery, then
    49), at D2 50 then 1 (51, then 0): both battery lines hold 50."""
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    one, fifty = pallet_label(demo_config, 1), pallet_label(demo_config, 50)
    up = [await gate.scan(one, "D1"), await gate.scan(fifty, "D1")]
    down = [await gate.scan(fifty, "D2"), await gate.scan(one, "D2")]
    assert [[2, 49], [51, 0]] == [[a["counted"] for a in up], [a["counted"] for a in down]]
    assert [50, 50] == [await battery_line(gate, demo_config, sid) for sid in ("S1", "S2")]


async def test_a_pallet_label_claiming_the_same_or_fewer_adds_nothing_also_after_a_restart(
    gates: Gates, demo_config: Path
) -> None:
    """The label saying 10, then (after a restart) 10, 3 and 12: the reads after the
    restart count 0, 0 and 2, and the battery line ends at 12."""
    gate = await gates.start()
    await gate.create()
    await gate.scan(pallet_label(demo_config, 10))
    await gates.stop(gate)
    gate = await gates.start()
    answers = [
        await gate.scan(pallet_label(demo_config, n), scan_id=f"after-{n}") for n in (10, 3, 12)
    ]
    assert [0, 0, 2] == [a["counted"] for a in answers]
    assert 12 == await battery_line(gate, demo_config)


async def test_a_pallet_label_read_after_the_seal_claiming_more_holds_the_door(
    gate: Gate, demo_config: Path
) -> None:
    """After the seal, the label read again saying 10 holds nothing; saying 20, it is goods
    the shipment did not count: the door is held."""
    await gate.create()
    await gate.scan(pallet_label(demo_config, 10))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status, doc
    same = await gate.scan(pallet_label(demo_config, 10))
    assert ("rejected", None) == (same["status"], await door_hold(gate))
    more = await gate.scan(pallet_label(demo_config, 20))
    assert "door D1 is held until an operator has checked the goods" in more["error"]
    assert "S1 was sealed" in (await door_hold(gate))["reason"]
