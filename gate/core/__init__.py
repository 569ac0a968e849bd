"""The pure decision core of gate.

Everything in this package takes values and returns values: no sockets, files, SQLite,
asyncio, aiohttp or the native table. The service, the CLI and the simulator call it; tests
exercise it as plain functions. ``tests/core/test_purity.py`` keeps the boundary honest.
"""
