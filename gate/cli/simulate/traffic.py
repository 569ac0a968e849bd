"""The traffic model: what happens at a door, planned ahead from one seeded generator.

The goods come from the config's own catalogues and control list (``load_assortment``);
``Traffic`` plans each shipment: its route (destination, consignee, now and then a catch-all
end use or an embargoed transit), its pallet manifest and every read at the door (barcodes
in several symbologies, portal bursts of RFID tags, the odd misread or resend).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.cli.simulate.errors import SimulationFailed
from gate.cli.simulate.reads import GS, SSCC_COMPANY_PREFIX, Read, sgtin96_hex, sscc18

# --------------------------------------------------------------------------------------
# The goods: the config's own catalogues and control list


@dataclass(frozen=True, slots=True)
class Product:
    gtin: str
    description: str
    control: str  # "" = not listed
    category: int  # 0 = not listed, 1 or 2
    production: bool  # Category I production facility or technology: never transferable


@dataclass(frozen=True, slots=True)
class Assortment:
    """The catalogue split the way a dock sees it."""

    ordinary: tuple[Product, ...]
    controlled: tuple[Product, ...]
    prohibited: tuple[Product, ...]


def load_assortment(control_list: Path, catalogues: Sequence[Path]) -> Assortment:
    """Reads the catalogues and control list a gate compiles its table from.

    Raises SimulationFailed when a file cannot be read or holds no ordinary goods.
    """
    controls: dict[str, tuple[int, bool]] = {}
    try:
        with open(control_list, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                flags = {x.strip() for x in (row.get("flags") or "").split(";")}
                controls[row["code"]] = (int(row["category"]), "production" in flags)
        products: list[Product] = []
        for path in catalogues:
            with open(path, newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    code = (row.get("control") or "").strip()
                    gtin = row["gtin"].strip().zfill(14)
                    if code:
                        category, production = controls.get(
                            code, (1 if code.startswith(("1.", "2.")) else 2, False)
                        )
                    else:
                        category, production = 0, False
                    products.append(
                        Product(gtin, row["description"].strip(), code, category, production)
                    )
    except (OSError, KeyError, ValueError) as exc:
        raise SimulationFailed(f"cannot read the catalogue or control list: {exc}") from exc
    assortment = Assortment(
        ordinary=tuple(p for p in products if not p.control),
        controlled=tuple(p for p in products if p.control and not p.production),
        prohibited=tuple(p for p in products if p.production),
    )
    if not assortment.ordinary:
        raise SimulationFailed("the catalogues hold no ordinary (unlisted) goods to load")
    return assortment


# --------------------------------------------------------------------------------------
# Routes and plans


@dataclass(frozen=True, slots=True)
class Route:
    destination: str
    consignee: str
    country: str
    end_use: str | None = None
    transit: tuple[str, ...] = ()


# Fictitious consignees. Licence-exempt for Category II (eu_general_licence in the demo
# config), then destinations that need a licence for controlled goods.
EXEMPT_ROUTES = (
    Route("US", "Hartwell Aerospace Supply Inc", "US", "civil aircraft maintenance"),
    Route("US", "Cascade Motion Components LLC", "US"),
    Route("JP", "Sakura Seimitsu Kiki K.K.", "JP", "industrial robotics"),
    Route("GB", "Pennine Fluid Power Ltd", "GB"),
    Route("CA", "Laurentian Avionics Inc", "CA", "civil aviation"),
    Route("NO", "Fjordline Marine Systems AS", "NO"),
    Route("CH", "Jura Mikrotechnik AG", "CH", "watchmaking tooling"),
    Route("AU", "Southern Cross Test Systems Pty Ltd", "AU"),
)
LICENSABLE_ROUTES = (
    Route("DE", "Rheinfeld Antriebstechnik GmbH", "DE", "industrial drives"),
    Route("DE", "Hansa Lagertechnik GmbH", "DE"),
    Route("FR", "Atelier Mécanique de la Loire SAS", "FR"),
    Route("IN", "Deccan Precision Engineering Pvt Ltd", "IN", "satellite ground equipment"),
    Route("BR", "Serra Azul Componentes Industriais Ltda", "BR"),
    Route("KR", "Hanbit Motion Co., Ltd.", "KR", "semiconductor equipment"),
    Route("IT", "Officine Meccaniche Val Seriana S.p.A.", "IT"),
    Route("PL", "Wisła Hydraulika Sp. z o.o.", "PL"),
)
CATCH_ALL_ROUTES = (
    Route("IN", "Vindhya Systems Integration Pvt Ltd", "IN", "military UAV programme"),
    Route("BR", "Planalto Sistemas de Defesa Ltda", "BR", "missile test range instrumentation"),
)
EMBARGO_TRANSIT_ROUTES = (
    Route("AE", "Gulf Horizon General Trading LLC", "AE", None, ("IR",)),
    Route("TR", "Anadolu Endüstri Tedarik A.Ş.", "TR", None, ("SY",)),
)


@dataclass(frozen=True, slots=True)
class Step:
    """One event at the door: a barcode read, a portal burst, a pallet, a misread, a resend."""

    what: str  # barcode, rfid, pallet, misread, resend
    label: str  # the code as printed
    goods: str  # what the operator would call it
    reads: tuple[Read, ...]


@dataclass(frozen=True, slots=True)
class ShipmentPlan:
    id: str
    door: str
    body: dict[str, Any]
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class _Unit:
    product: Product
    serial: int | None  # None: an unserialised carton, read by its plain GTIN


class Traffic:
    """Plans shipments for doors from a seeded generator (see the module docstring)."""

    # How often the rarer things happen; a dock's mix, not a test matrix.
    CONTROLLED_SHIPMENT = 0.35
    PROHIBITED_SHIPMENT = 0.06
    CATCH_ALL = 0.06
    EMBARGO_TRANSIT = 0.05
    EXEMPT = 0.45
    MANIFEST = 0.35
    MISREAD = 0.03
    RESEND = 0.03
    PORTAL_PASS = 0.6

    def __init__(self, assortment: Assortment, rng: random.Random, run_tag: str) -> None:
        self.assortment = assortment
        self.rng = rng
        self.run_tag = run_tag
        self._seq = 0
        self._serial = rng.randrange(10**8, 10**9)
        self._today = dt.date.today()

    def _scan_id(self) -> str:
        self._seq += 1
        return f"{self.run_tag}-{self._seq:06d}"

    def _next_serial(self) -> int:
        self._serial += self.rng.randrange(1, 40)
        return self._serial

    def _route(self) -> Route:
        draw = self.rng.random()
        if draw < self.EMBARGO_TRANSIT:
            return self.rng.choice(EMBARGO_TRANSIT_ROUTES)
        if draw < self.EMBARGO_TRANSIT + self.CATCH_ALL:
            return self.rng.choice(CATCH_ALL_ROUTES)
        if draw < self.EMBARGO_TRANSIT + self.CATCH_ALL + self.EXEMPT:
            return self.rng.choice(EXEMPT_ROUTES)
        return self.rng.choice(LICENSABLE_ROUTES)

    def _goods(self) -> list[Product]:
        a, rng = self.assortment, self.rng
        goods = rng.sample(a.ordinary, min(len(a.ordinary), rng.randint(3, 6)))
        if a.controlled and rng.random() < self.CONTROLLED_SHIPMENT:
            goods += rng.sample(a.controlled, min(len(a.controlled), rng.randint(1, 2)))
        if a.prohibited and rng.random() < self.PROHIBITED_SHIPMENT:
            goods.append(rng.choice(a.prohibited))
        rng.shuffle(goods)
        return goods

    def plan(self, door: str, number: int) -> ShipmentPlan:
        """The next shipment for ``door``: its creation body and what is read at the door."""
        rng = self.rng
        sid = f"SIM-{self.run_tag}-{door}-{number:02d}"
        route = self._route()
        body: dict[str, Any] = {
            "id": sid,
            "door": door,
            "destination": route.destination,
            "consignee": {"name": route.consignee, "country": route.country},
        }
        if route.end_use:
            body["end_use"] = route.end_use
        if route.transit:
            body["transit"] = list(route.transit)
        steps: list[Step] = []
        if rng.random() < self.MANIFEST:
            body["manifest"], pallet = self._pallet(door)
            steps.append(pallet)
        for product in self._goods():
            steps += self._load(door, product)
        if steps[0].what == "pallet" and rng.random() < 0.5:
            steps.append(steps.pop(0))  # the pallet often comes in last, on the forklift
        return ShipmentPlan(sid, door, body, tuple(steps))

    def _pallet(self, door: str) -> tuple[list[dict[str, Any]], Step]:
        rng = self.rng
        sscc = sscc18(rng.randrange(10), SSCC_COMPANY_PREFIX, rng.randrange(10**9))
        quantities = {
            p.gtin: rng.choice((12, 24, 48, 60, 100))
            for p in rng.sample(self.assortment.ordinary, 2)
        }
        contents = [{"gtin": g, "quantity": q} for g, q in quantities.items()]
        code = rng.choice((f"]C100{sscc}", f"(00){sscc}", sscc))
        goods = f"pallet of {sum(quantities.values())} cartons (manifest)"
        read = Read(self._scan_id(), f"{door.lower()}-hand-1", door, code)
        return [{"sscc": sscc, "contents": contents}], Step("pallet", code, goods, (read,))

    def _load(self, door: str, product: Product) -> list[Step]:
        """The reads one product's units cause: barcodes, portal bursts, the odd misread."""
        rng = self.rng
        serialised = product.control != "" or rng.random() < 0.7
        count = rng.randint(1, 3) if product.control else rng.randint(2, 8)
        units = [_Unit(product, self._next_serial() if serialised else None) for _ in range(count)]
        steps: list[Step] = []
        hand = f"{door.lower()}-hand-{rng.randint(1, 2)}"
        for unit in units:
            if rng.random() < self.MISREAD:
                steps.append(self._misread(door, hand, unit))
            code = self._barcode(unit)
            read = Read(self._scan_id(), hand, door, code)
            steps.append(Step("barcode", code, product.description, (read,)))
            if rng.random() < self.RESEND:
                steps.append(Step("resend", code, product.description, (read,)))
        tagged = [u for u in units if u.serial is not None]
        if tagged and rng.random() < self.PORTAL_PASS:
            steps.append(self._portal_burst(door, tagged))
        return steps

    def _barcode(self, unit: _Unit) -> str:
        rng, gtin = self.rng, unit.product.gtin
        if unit.serial is None:
            return gtin[1:] if gtin.startswith("0") and rng.random() < 0.6 else gtin
        serial, batch = str(unit.serial), f"L{rng.randint(2301, 2612)}{rng.randint(1, 99):02d}"
        expiry = (self._today + dt.timedelta(days=rng.randint(200, 900))).strftime("%y%m%d")
        return rng.choice(
            (
                f"]C101{gtin}21{serial}{GS}10{batch}",
                f"]d201{gtin}17{expiry}10{batch}{GS}21{serial}",
                f"(01){gtin}(21){serial}(10){batch}",
                f"]Q301{gtin}21{serial}",
            )
        )

    def _misread(self, door: str, hand: str, unit: _Unit) -> Step:
        gtin = unit.product.gtin
        wrong = str((int(gtin[13]) + self.rng.randint(1, 9)) % 10)
        code = gtin[:13] + wrong
        read = Read(self._scan_id(), hand, door, code)
        return Step("misread", code, unit.product.description, (read,))

    def _portal_burst(self, door: str, units: Sequence[_Unit]) -> Step:
        """A forklift through the portal: every tag on it reported many times."""
        rng = self.rng
        passing = rng.sample(list(units), rng.randint(1, min(3, len(units))))
        tags = [
            sgtin96_hex(u.product.gtin, u.serial, filter_value=rng.choice((1, 2)))
            for u in passing
            if u.serial is not None
        ]
        codes = [tag for tag in tags for _ in range(rng.randint(4, 12))]
        rng.shuffle(codes)
        reader = f"{door.lower()}-portal"
        reads = tuple(Read(self._scan_id(), reader, door, code, "epc") for code in codes)
        label = tags[0] if len(tags) == 1 else f"{tags[0]} +{len(tags) - 1} tag(s)"
        goods = passing[0].product.description
        return Step("rfid", label, goods, reads)
