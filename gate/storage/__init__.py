"""Storage: the SQLite store (one writer thread, group commit), the hash-chained audit
journal and the stored shipment documents. Imports only the core, the config and errors.
"""
