"""The compiled control table: ``native`` is the one door to the C code (cffi), ``compiler``
builds table files from CSV, ``stream`` runs ``gate lookup`` over millions of codes.
"""
