"""The decoded scan: :class:`Identifier`, the value every decoding path returns.

It sits in a module of its own, below the decoder's parts (the fast path and the biip and
epcpy paths) and below :mod:`gate.core.identifiers`, which joins them, so that each part can
build one without importing the others. Import it from :mod:`gate.core.identifiers`.

What the decoder promises (the type does not check it, since the core and the tests also
build identifiers from plain values): it returns an ``Identifier`` only for a code with
exactly one reading, and that identifier has a ``key`` (the item's GTIN-14), an ``sscc`` or
both, each with a valid check digit; a ``content`` GTIN-14 has a valid check digit too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gate.core.frozen_init import quick_init

__all__ = ["KINDS", "MAX_CODE_LENGTH", "Identifier"]

#: The values ``kind`` may take: the form a caller says a code is in.
KINDS: Final = frozenset({"gs1", "gtin", "sscc", "epc", "epc_uri"})

#: Longest code accepted, in characters (a GS1 DataMatrix holds at most 2335 digits, but
#: nothing a dock decodes comes near 512; the bound keeps hostile input cheap).
MAX_CODE_LENGTH: Final = 512


@quick_init
@dataclass(frozen=True, slots=True)
class Identifier:
    """A decoded scan.

    ``kind`` is one of ``gs1`` (element string or bracketed form), ``gtin``, ``sscc``
    (a plain SSCC-18), ``epc`` (hex tag) or ``epc_uri``; ``scheme`` is the EPC scheme for
    tags (``sgtin-96``, ...). ``key`` is the item's GTIN-14 or ``None`` for a logistics unit;
    ``sscc`` the SSCC-18 of a logistics unit. ``filter`` is the EPC filter value (0-7) of a
    hex tag or tag URI, ``None`` for every other form. ``content`` is AI (02), the GTIN-14 of
    the trade items a logistics unit holds, and ``count`` AI (37), how many it holds, as its
    label states them: what the manifest must confirm (``gate.core.container_labels``).
    """

    kind: str
    raw: str
    key: str | None = None
    serial: str | None = None
    sscc: str | None = None
    batch: str | None = None
    scheme: str | None = None
    filter: int | None = None
    content: str | None = None
    count: int | None = None
