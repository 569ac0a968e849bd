"""Output devices: where a door's lamps are written. Each device takes the full state of its
outputs (number -> on) and writes it, or raises; the controller (``lights``) retries.

Outputs switched off are written before outputs switched on, so a light going from green to
red is dark for a moment, never green and red at once, and never green for longer than the
gate means it (a Modbus write of one contiguous run of coils is one request, so a light on
neighbouring coils changes in one step anyway).
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable, Mapping

from gate.errors import GateError


class OutputError(GateError):
    """An output device could not be written (unreachable, refused, not connected)."""


class Device(abc.ABC):
    """One output device."""

    @abc.abstractmethod
    async def write(self, states: Mapping[int, bool]) -> None:
        """Writes every output in ``states``. Raises OutputError (or OSError, TimeoutError)."""

    async def close(self) -> None:  # noqa: B027 (a hook: a device may hold no connection)
        """Drops the connection, if any (the next write connects again)."""


def runs(states: Mapping[int, bool], value: bool) -> list[tuple[int, list[bool]]]:
    """The outputs set to ``value`` as contiguous runs ``(first, [value, ...])``."""
    out: list[tuple[int, list[bool]]] = []
    for number in sorted(n for n, v in states.items() if v is value):
        if out and out[-1][0] + len(out[-1][1]) == number:
            out[-1][1].append(value)
        else:
            out.append((number, [value]))
    return out


class ModbusCoils(Device):
    """Coils of a Modbus TCP device (an I/O module or a PLC), with pymodbus's asyncio client.

    The client is made here, with its own reconnecting switched off: the controller decides
    when to try again (backoff), so a device that is away costs one failed connect per try.
    """

    def __init__(self, host: str, port: int, unit: int, timeout: float) -> None:
        self.host, self.port, self.unit, self.timeout = host, port, unit, timeout
        self._client: object | None = None
        # pymodbus logs every failed connect and request at error level with a dump of the
        # last frames; the controller logs each failure itself (loud at first, then now and
        # then), so one voice says it.
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

    async def write(self, states: Mapping[int, bool]) -> None:
        from pymodbus.client import AsyncModbusTcpClient
        from pymodbus.exceptions import ModbusException

        cancels = _Cancels()
        try:
            client = self._client
            if not isinstance(client, AsyncModbusTcpClient) or not client.connected:
                await self.close()
                client = AsyncModbusTcpClient(
                    self.host, port=self.port, timeout=self.timeout, retries=0, reconnect_delay=0
                )
                self._client = client
                connected = await client.connect()
                cancels.check()
                if not connected:
                    raise OutputError(f"cannot connect to {self.host}:{self.port}")
            for value in (False, True):
                for first, values in runs(states, value):
                    answer = await client.write_coils(first, values, device_id=self.unit)
                    cancels.check()
                    if answer.isError():
                        raise OutputError(f"unit {self.unit} refused coils {first}+: {answer}")
        except ModbusException as exc:
            await self.close()
            cancels.check()
            raise OutputError(f"{self.host}:{self.port}: {exc}") from None
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()  # type: ignore[attr-defined]


class _Cancels:
    """The running task's cancel requests when a pymodbus call began, to tell whether one
    arrived during the call and the call kept it. pymodbus turns a cancelled request into
    ``ModbusIOException`` ("Request cancelled outside pymodbus"), and its connect and
    requests wait with ``asyncio.wait_for``, which on Python 3.11 returns a result that lands
    in the same turn of the loop as the cancel (python/cpython#86296). Either way the cancel,
    a stop's or the write's own timeout's, must go on as one: taken for a failed write, the
    controller would retry the device instead of ending (a stop that never returned)."""

    def __init__(self) -> None:
        self.task = asyncio.current_task()
        self.asked = 0 if self.task is None else self.task.cancelling()

    def check(self) -> None:
        """Raises CancelledError if the task was asked to cancel since this was made."""
        if self.task is not None and self.task.cancelling() > self.asked:
            raise asyncio.CancelledError


class LlrpGpo(Device):
    """GPO ports of one of the gate's LLRP readers, written over the reader adapter's own
    session (an LLRP reader takes one client): a reader that is not connected cannot be
    written, and the controller retries until it is."""

    def __init__(self, reader: str, session: Callable[[], object | None], timeout: float) -> None:
        self.reader = reader
        self.session = session
        self.timeout = timeout

    async def write(self, states: Mapping[int, bool]) -> None:
        import llrpkit
        from llrpkit.client import check_status
        from llrpkit.protocol import messages, params

        reader = self.session()
        if not isinstance(reader, llrpkit.Reader):
            raise OutputError(f"reader {self.reader} is not connected")
        # One SET_READER_CONFIG per phase: off first, then on.
        for value in (False, True):
            ports = sorted(n for n, v in states.items() if v is value)
            if not ports:
                continue
            message = messages.SET_READER_CONFIG(
                reset_to_factory_default=False,
                gpo_write_datas=[
                    params.GPOWriteData(gpo_port_number=n, gpo_data=value) for n in ports
                ],
            )
            async with asyncio.timeout(self.timeout):
                check_status(await reader.client.transact(message))
