"""gate: an export-control gate for warehouse dispatch docks.

The decision core (``gate.core``) is pure; everything that touches sockets, files,
SQLite or the compiled table lives around it.
"""

from __future__ import annotations

__version__ = "0.1.0"
