"""A Modbus TCP device for the tests (pymodbus's own server, its coils read back from its
datastore) and the config wiring of ``[[doors.outputs]]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

COILS = 32
#: The stack light's coils per door on the shared device (unit 1).
WIRING: Mapping[str, Mapping[str, int]] = {
    "D1": {"red": 0, "amber": 1, "green": 2, "buzzer": 3},
    "D2": {"red": 4, "amber": 5, "green": 6, "buzzer": 7},
}


class Plc:
    """A Modbus TCP I/O module on 127.0.0.1:``port``; every start is a fresh device with all
    coils off (as a module that lost power comes back)."""

    def __init__(self, port: int, unit: int = 1) -> None:
        self.port = port
        self.unit = unit
        self.context: ModbusServerContext | None = None
        self.server: ModbusTcpServer | None = None

    async def start(self) -> None:
        device = ModbusDeviceContext(co=ModbusSequentialDataBlock(0, [False] * (COILS + 1)))
        self.context = ModbusServerContext(devices={self.unit: device}, single=False)
        self.server = ModbusTcpServer(self.context, address=("127.0.0.1", self.port))
        await self.server.serve_forever(background=True)

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.shutdown()

    def coils(self, first: int = 0, count: int = COILS) -> list[bool]:
        assert self.context is not None
        values = self.context[self.unit].getValues(1, first, count)
        assert isinstance(values, list)
        return [bool(v) for v in values]

    def lamps(self, door: str) -> dict[str, bool]:
        """The door's lamps as the device holds them."""
        coils = self.coils()
        return {lamp: coils[n] for lamp, n in WIRING[door].items()}


def lit(
    red: bool = False, amber: bool = False, green: bool = False, buzzer: bool = False
) -> dict[str, bool]:
    return {"red": red, "amber": amber, "green": green, "buzzer": buzzer}


def wire(config: Path, door: str, toml: str) -> None:
    """Puts ``toml`` (``[[doors.outputs]]`` tables) under the ``[[doors]]`` entry ``door``."""
    text = config.read_text()
    pattern = re.compile(rf'(\[\[doors\]\]\nid = "{door}"[^\n]*\n(?:name = [^\n]*\n)?)')
    assert pattern.search(text), f"no [[doors]] entry {door} in {config}"
    config.write_text(pattern.sub(lambda m: m.group(1) + toml.strip() + "\n\n", text, count=1))


def modbus_output(door: str, port: int, **extra: object) -> str:
    keys = {"reassert_seconds": 0.2, "retry_initial": 0.05, "retry_max": 0.2, **extra}
    lines = [f"{k} = {v!r}" for k, v in {**WIRING[door], **keys}.items()]
    return "\n".join(
        [
            "[[doors.outputs]]",
            'kind = "modbus"',
            f'address = "127.0.0.1:{port}"',
            "unit = 1",
            *lines,
        ]
    )
