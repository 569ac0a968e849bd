"""Storage: the SQLite store (one writer thread, group commit), the hash-chained audit
journal, one module of SQL per table the docks write (``shipment_rows``, ``scan_rows``,
``licence_rows``, ``outbox_rows``), the storage codec of shipments and licences
(``shipment_codec``: codes, no prose; their API documents are the web layer's,
``gate.web.shipment_docs``). Imports only the core, the config and errors.
"""
