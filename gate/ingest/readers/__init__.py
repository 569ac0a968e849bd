"""Reader adapters: warehouse hardware that does not speak the gate's API.

Fixed RFID readers speak LLRP and fixed barcode scanners send one code per line over TCP
or a serial line. Each adapter here is configured per door (``[[readers]]`` in gate.toml,
parsed by :mod:`gate.config.readers`) and feeds the one scan path, ``Docks.scans``,
through a :class:`gate.ingest.readers.base.ScanSink`: the same decisions, the same durability and
the same journal as ``POST /api/v1/scans``.

The layout (pure parts first; they take values and return values):

- ``options``  the ``[[readers]]`` tables as frozen values, with errors naming the key
- ``lines``    splitting a byte stream into bounded lines; the GS substitute
- ``dedupe``   the portal window: a tag read many times counts once, with stable scan ids
- ``health``   connected, last read, reads per second; exponential backoff with jitter
- ``base``     the ``Reader`` interface, the ``ScanSink`` and the retry loop around a session
- ``llrp``     an LLRP client of a fixed reader (llrpkit, MIT)
- ``text``     plain-text scanners: a TCP listener and a serial line (pyserial-asyncio-fast)
- ``fleet``    every configured reader: built from the config, started, stopped, reported

This package's ``__init__`` imports nothing, so loading the config does not load llrpkit.
"""
