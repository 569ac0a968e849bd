"""What the control table says about one item key."""

from __future__ import annotations

from dataclasses import dataclass

#: Category numbers as stored in the table: 0 = not listed, 1 = MTCR Category I,
#: 2 = MTCR Category II.
NOT_LISTED = 0
CATEGORY_I = 1
CATEGORY_II = 2


@dataclass(frozen=True, slots=True)
class Classification:
    """An item's entry in the compiled table.

    ``control`` is the MTCR Annex code (``"2.A.1.c"``) or ``""`` for a catalogued item that
    is not listed (``category`` 0). ``description`` is the catalogue's description of the
    product; ``title`` the control list's title of the code. ``flags`` holds the control
    list flags such as ``"production"``.
    """

    key: str
    description: str
    control: str
    category: int
    title: str
    flags: frozenset[str]

    @property
    def listed(self) -> bool:
        return self.category in (CATEGORY_I, CATEGORY_II)
