"""The compiled control table: ``native`` is the one door to the C code (cffi), ``snapshots``
keeps the gate-owned, read-only copies the service maps, ``compiler`` builds table files from
CSV, ``stream`` runs ``gate lookup`` over millions of codes.
"""
