"""A shipment's manifest: which containers (SSCC) hold which goods (GTIN, quantity, the
serials known), checked when it is built. Pure data; ``gate.core.line_counting`` counts a
container's read from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gate.core.gs1 import check_gtin, check_sscc
from gate.errors import InvalidCode, InvalidShipment


@dataclass(frozen=True, slots=True)
class ManifestItem:
    """One content of a container: a GTIN (stored as GTIN-14), a quantity, known serials.

    ``serials`` are those of the ``quantity`` units that carry one; the rest count without.
    """

    gtin: str
    quantity: int
    serials: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        gtin = self.gtin
        try:
            check_gtin(gtin, field="manifest")
        except InvalidCode as exc:
            raise InvalidShipment(f"manifest: {exc}", field="manifest") from None
        if type(self.quantity) is not int or self.quantity < 1:
            raise InvalidShipment(
                f"manifest GTIN {gtin}: quantity must be a positive integer", field="manifest"
            )
        serials = frozenset(self.serials)
        if len(serials) > self.quantity:
            raise InvalidShipment(
                f"manifest GTIN {gtin}: {len(serials)} serials for {self.quantity} units",
                field="manifest",
            )
        object.__setattr__(self, "gtin", gtin.zfill(14))
        object.__setattr__(self, "serials", serials)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The shipment's manifest: SSCC -> contents."""

    containers: tuple[tuple[str, tuple[ManifestItem, ...]], ...] = ()
    _index: Mapping[str, tuple[ManifestItem, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index: dict[str, tuple[ManifestItem, ...]] = {}
        # A unit is in one place: one serial of a GTIN listed twice (in two containers, or
        # twice in one) is a manifest mistake, and would count that unit twice.
        units: dict[tuple[str, str], str] = {}
        for sscc, contents in self.containers:
            try:
                check_sscc(sscc, field="manifest")
            except InvalidCode as exc:
                raise InvalidShipment(f"manifest: {exc}", field="manifest") from None
            if sscc in index:
                raise InvalidShipment(f"manifest lists SSCC {sscc} twice", field="manifest")
            items = tuple(contents)
            for item in items:
                for serial in item.serials:
                    where = units.get((item.gtin, serial))
                    if where is not None:
                        raise InvalidShipment(
                            f"manifest lists GTIN {item.gtin} serial {serial!r} twice"
                            f" (in SSCC {where} and in SSCC {sscc})",
                            field="manifest",
                        )
                    units[(item.gtin, serial)] = sscc
            index[sscc] = items
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Iterable[ManifestItem | tuple[str, int, Iterable[str]]]]
    ) -> Manifest:
        """Build from ``{sscc: [(gtin, quantity, serials), ...]}``. Raises ``InvalidShipment``."""
        return cls(
            tuple(
                (
                    sscc,
                    tuple(
                        item
                        if isinstance(item, ManifestItem)
                        else ManifestItem(item[0], item[1], frozenset(item[2]))
                        for item in contents
                    ),
                )
                for sscc, contents in mapping.items()
            )
        )

    def __contains__(self, sscc: object) -> bool:
        return sscc in self._index

    def contents(self, sscc: str) -> tuple[ManifestItem, ...] | None:
        return self._index.get(sscc)
