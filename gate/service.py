"""``gate serve``: loads the table and runs the HTTP service until a signal stops it."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from gate.app import create_app
from gate.compiler import compile_table, is_stale
from gate.config import Config
from gate.lookup_table import Table, TableSlot

log = logging.getLogger("gate.service")


def load_table(config: Config) -> Table:
    """Opens the configured table, compiling it first when it is missing or older than its
    sources. Raises CompileError or TableError."""
    sources = [config.table.control_list, *config.table.catalogues]
    if is_stale(config.table.path, sources):
        result = compile_table(
            config.table.control_list, config.table.catalogues, config.table.path
        )
        log.info("compiled %s entries into %s", result.entries, result.path)
    return Table.open(config.table.path)


async def run(config: Config) -> None:
    slot = TableSlot(load_table(config))
    app = create_app(config, slot)
    runner = web.AppRunner(app, shutdown_timeout=3.0)
    await runner.setup()
    site = web.TCPSite(runner, config.http.host, config.http.port)
    await site.start()
    info = slot.current().info
    log.info(
        "gate %s serving on http://%s/ with table %s (%s entries)",
        config.gate_id,
        config.http,
        info.version,
        info.entries,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("gate %s stopping", config.gate_id)
        await runner.cleanup()


def serve(config: Config) -> None:
    asyncio.run(run(config))
