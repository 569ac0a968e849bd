"""``gate simulate``: drive doors of a running gate with realistic dock traffic.

The simulator is an outside client, nothing more: it talks to a running gate only through
the interfaces a real dock uses (DESIGN.md section 4), with the tokens of the config the gate
runs on. For each door it plays the warehouse management system and the door's readers:

1. the WMS creates a shipment: a destination and consignee (licence-exempt destinations such
   as US, JP, GB, others such as DE, IN, BR; now and then a catch-all end use or a transit
   through an embargoed country), sometimes with a manifest naming a pallet by its SSCC;
2. hand scanners read barcodes (GS1-128 and DataMatrix element strings with their symbology
   identifier and FNC1 as GS, the bracketed human-readable form, plain GTINs) and the RFID
   portal reports tags (SGTIN-96, each tag read many times in one burst), mostly ordinary
   goods, some controlled, rarely a prohibited one; a misread or a resent scan now and then;
3. the WMS seals the shipment; a cleared one is dispatched, a held or blocked one is shown
   with the lines that stop it and then cancelled, so the door is free for the next one.

Every answer of the gate is printed, one line per event, and counted for the summary. What
the gate decides is never predicted here: the simulator knows which goods are controlled only
to choose a realistic mix, and reports what the gate answered.

Traffic comes from one seeded ``random.Random``: the same seed and config give the same goods,
codes and routes (shipment and scan ids carry a run tag, so runs never collide in the gate's
database). Scans are paced at ``rate`` reads per second at each door.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import os
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import aiohttp
import msgpack

from gate.config.settings import Config, load_config
from gate.core import gs1
from gate.errors import GateError

API = "/api/v1"
GS = "\x1d"  # FNC1 as scanners transmit it inside an element string

# EPC Tag Data Standard, SGTIN-96 partition table: company prefix digits -> (partition,
# prefix bits, item reference bits). The item reference includes the GTIN's indicator digit.
_SGTIN96_PARTITIONS: dict[int, tuple[int, int, int]] = {
    12: (0, 40, 4),
    11: (1, 37, 7),
    10: (2, 34, 10),
    9: (3, 30, 14),
    8: (4, 27, 17),
    7: (5, 24, 20),
    6: (6, 20, 24),
}
SGTIN96_HEADER = 0x30
SGTIN96_MAX_SERIAL = (1 << 38) - 1
COMPANY_PREFIX_LENGTH = 7
SSCC_COMPANY_PREFIX = "4012345"  # the demo catalogue's own prefix


class SimulationFailed(GateError):
    """The simulation cannot go on: the gate is unreachable, refuses the config's tokens,
    or answers something no dock client could work with."""


# --------------------------------------------------------------------------------------
# Identifiers, encoded the way printers and tag encoders do it


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of ``body`` as a character (``gate.core.gs1`` computes it)."""
    return str(gs1.check_digit(body))


def sscc18(extension: int, company_prefix: str, serial_reference: int) -> str:
    """An SSCC-18: extension digit, company prefix, serial reference, check digit."""
    width = 16 - len(company_prefix)
    body = f"{extension}{company_prefix}{serial_reference:0{width}d}"
    if len(body) != 17:
        raise ValueError(f"serial reference {serial_reference} does not fit in {width} digits")
    return body + check_digit(body)


def sgtin96_hex(
    gtin: str,
    serial: int,
    *,
    company_prefix_length: int = COMPANY_PREFIX_LENGTH,
    filter_value: int = 1,
) -> str:
    """The SGTIN-96 EPC of one unit, as the 24 hex digits an RFID reader reports.

    ``gtin`` is a GTIN-14; the first ``company_prefix_length`` digits after its indicator
    digit are the company prefix. ``serial`` must fit in 38 bits (SGTIN-96 serials are
    numeric without leading zeros). Raises ValueError for anything that cannot be encoded.
    """
    if len(gtin) != 14 or not gtin.isdigit() or check_digit(gtin[:13]) != gtin[13]:
        raise ValueError(f"not a valid GTIN-14: {gtin!r}")
    if not 0 <= serial <= SGTIN96_MAX_SERIAL:
        raise ValueError(f"serial {serial} does not fit in SGTIN-96's 38 bits")
    if not 0 <= filter_value <= 7:
        raise ValueError(f"filter value {filter_value} is not 0-7")
    partition, prefix_bits, item_bits = _SGTIN96_PARTITIONS[company_prefix_length]
    prefix = int(gtin[1 : 1 + company_prefix_length])
    item_reference = int(gtin[0] + gtin[1 + company_prefix_length : 13])
    bits = SGTIN96_HEADER
    for value, width in (
        (filter_value, 3),
        (partition, 3),
        (prefix, prefix_bits),
        (item_reference, item_bits),
        (serial, 38),
    ):
        bits = (bits << width) | value
    return f"{bits:024X}"


def shown(code: str) -> str:
    """A code as a person reads it: the invisible GS separator written ``<GS>``."""
    return code.replace(GS, "<GS>")


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
# Traffic: what happens at a door, planned ahead from the seeded generator


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
class Read:
    """One scan exactly as a reader reports it."""

    scan_id: str
    reader: str
    door: str
    code: str
    kind: str | None = None

    def body(self) -> dict[str, str]:
        scan = {
            "scan_id": self.scan_id,
            "reader": self.reader,
            "door": self.door,
            "code": self.code,
        }
        if self.kind is not None:
            scan["kind"] = self.kind
        return scan


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


# --------------------------------------------------------------------------------------
# Talking to the gate


def _api_error(method: str, path: str, status: int, doc: Any) -> SimulationFailed:
    if isinstance(doc, Mapping):
        detail = doc.get("detail") or doc.get("title") or ""
    else:
        detail = str(doc)[:200]
    text = " ".join(str(detail).split())
    return SimulationFailed(f"{method} {path} answered {status}: {text}")


class GateApi:
    """The gate's HTTP API as the WMS and the scanners use it."""

    RETRIES_WHEN_LIMITED = 5

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(
        self, method: str, path: str, token: str | None, body: Any = None
    ) -> tuple[int, Any]:
        """Sends one request; returns status and parsed body. A 429 is waited out and sent
        again. Raises SimulationFailed when the gate cannot be reached."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for _ in range(self.RETRIES_WHEN_LIMITED):
            try:
                async with self.session.request(
                    method, self.url + path, json=body, headers=headers
                ) as response:
                    if response.status == 429:
                        wait = float(response.headers.get("Retry-After", "1"))
                        await asyncio.sleep(min(wait, 5.0))
                        continue
                    if response.content_type.endswith("json"):
                        return response.status, await response.json(content_type=None)
                    return response.status, await response.text()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise SimulationFailed(
                    f"cannot reach the gate at {self.url}: {_reason(exc)}"
                ) from exc
        raise SimulationFailed(f"{method} {path}: still rate-limited after retrying")

    async def expect(
        self, method: str, path: str, token: str | None, body: Any = None, ok: int = 200
    ) -> Any:
        """Like ``call``, raising SimulationFailed for any status but ``ok``."""
        status, doc = await self.call(method, path, token, body)
        if status != ok:
            raise _api_error(method, path, status, doc)
        return doc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    return " ".join(str(exc).split()) or type(exc).__name__


class Scanner(Protocol):
    """A door's readers, sending scans to the gate over some transport."""

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        """The gate's results for ``reads``, one each, in order."""
        ...

    async def close(self) -> None: ...


class HttpScanner:
    """Scans over ``POST /api/v1/scans``: a single read alone, a portal burst as a batch."""

    def __init__(self, api: GateApi, token: str) -> None:
        self.api = api
        self.token = token

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        body: Any = reads[0].body() if len(reads) == 1 else {"scans": [r.body() for r in reads]}
        doc = await self.api.expect("POST", f"{API}/scans", self.token, body)
        results: list[dict[str, Any]] = doc["results"]
        return results

    async def close(self) -> None:
        return None


class SocketScanner:
    """Scans over the msgpack scanner socket: one connection, answers in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.unpacker = msgpack.Unpacker(raw=False)

    @classmethod
    async def connect(cls, host: str, port: int, token: str) -> SocketScanner:
        """Opens and authenticates a connection. Raises SimulationFailed."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except (OSError, TimeoutError) as exc:
            raise SimulationFailed(
                f"cannot reach the gate's scanner socket at {host}:{port}: {_reason(exc)}"
            ) from exc
        scanner = cls(reader, writer)
        writer.write(msgpack.packb({"auth": token}))
        (answer,) = await scanner._answers(1)
        if not isinstance(answer, dict) or not answer.get("ok"):
            await scanner.close()
            raise SimulationFailed(f"the scanner socket refused the token: {answer}")
        return scanner

    async def _answers(self, count: int) -> list[Any]:
        answers: list[Any] = []
        while len(answers) < count:
            answers.extend(self.unpacker)
            if len(answers) >= count:
                break
            try:
                data = await asyncio.wait_for(self.reader.read(65536), 30)
            except (OSError, TimeoutError) as exc:
                raise SimulationFailed(f"scanner socket failed: {_reason(exc)}") from exc
            if not data:
                raise SimulationFailed("the gate closed the scanner socket")
            self.unpacker.feed(data)
        return answers

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        self.writer.write(b"".join(msgpack.packb(r.body()) for r in reads))
        answers = await self._answers(len(reads))
        for answer in answers:
            if answer.get("status") == "closed":
                raise SimulationFailed(f"the gate closed the scanner socket: {answer['error']}")
        return answers

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class Pacer:
    """Spaces reads to ``rate`` per second; a burst of n reads takes n slots."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self, reads: int) -> None:
        now = time.monotonic()
        if self.next > now:
            await asyncio.sleep(self.next - now)
        self.next = max(self.next, now) + reads * self.interval


# --------------------------------------------------------------------------------------
# Running and reporting


@dataclass(frozen=True, slots=True)
class Options:
    config: Path
    doors: tuple[str, ...] = ()  # empty: every door of the config
    shipments: int = 3
    rate: float = 20.0
    socket: bool = False
    seed: int | None = None


@dataclass(slots=True)
class Outcome:
    """What happened to one shipment, as the gate answered."""

    id: str
    door: str
    sealed: str | None = None  # the state seal answered: cleared, held or blocked
    final: str | None = None  # dispatched or cancelled, when the simulator closed it


@dataclass(slots=True)
class Report:
    """Everything the gate answered during one run, counted."""

    scans_sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)
    busy_doors: list[str] = field(default_factory=list)

    def sealed(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.sealed == state)

    def final(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.final == state)

    def summary(self, seconds: float) -> Iterator[str]:
        s = self.statuses
        others = sorted(k for k in s if k not in ("accepted", "duplicate", "rejected"))
        other = "".join(f", {s[k]} {k}" for k in others)
        rate = self.scans_sent / seconds if seconds > 0 else 0.0
        yield (
            f"summary: {self.scans_sent} scans sent in {seconds:.1f} s ({rate:.0f}/s):"
            f" {s['accepted']} accepted, {s['duplicate']} duplicate, {s['rejected']} rejected"
            + other
        )
        yield (
            f"summary: {len(self.outcomes)} shipments: {self.sealed('cleared')} cleared,"
            f" {self.sealed('held')} held, {self.sealed('blocked')} blocked;"
            f" {self.final('dispatched')} dispatched, {self.final('cancelled')} cancelled"
        )
        if self.busy_doors:
            yield f"summary: skipped busy door(s): {', '.join(self.busy_doors)}"


class Printer:
    """One line per event: door, shipment, what happened, what the gate decided."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, door: str, shipment: str, text: str) -> None:
        print(f"{door:<4}{shipment:<20} {text}", file=self.out, flush=True)


def _decision(result: Mapping[str, Any]) -> str:
    if result.get("status") == "rejected" or result.get("error"):
        return f"error: {result.get('error')}"
    decision = result.get("decision") or "-"
    reasons = result.get("reasons") or []
    return f"{decision} ({', '.join(reasons)})" if reasons else decision


def _step_line(step: Step, results: Sequence[Mapping[str, Any]]) -> str:
    statuses = Counter(str(r.get("status")) for r in results)
    if len(results) == 1:
        status = next(iter(statuses))
    else:
        status = ", ".join(f"{n} {s}" for s, n in statuses.most_common())
    answered = [r for r in results if r.get("status") == "accepted"] or list(results)
    last = answered[-1] if answered else {}
    shipment = last.get("shipment") or {}
    door = last.get("door") or {}
    times = f" x{len(step.reads)}" if len(step.reads) > 1 else ""
    where = f"{shipment.get('state') or '-'}/{door.get('signal') or '-'}"
    return (
        f"{step.what + times:<9} {shown(step.label):<51} {status:<11} {_decision(last):<28}"
        f" {where:<13} {step.goods}"
    )


def _blocking_lines(doc: Mapping[str, Any]) -> list[str]:
    blocking = set(doc.get("blocking") or ())
    out = []
    for line in doc.get("lines") or ():
        if line.get("key") in blocking:
            control = line.get("control") or "unlisted"
            texts = "; ".join(line.get("reason_text") or ())
            out.append(
                f"  stops it: {line['key']} x{line.get('quantity')} {line.get('description')}"
                f" [{control}] {line.get('decision')} ({', '.join(line.get('reasons') or ())})"
                + (f": {texts}" if texts else "")
            )
    return out


class Simulation:
    """One run: every chosen door driven at once, each with its own readers."""

    def __init__(self, config: Config, options: Options, out: TextIO) -> None:
        self.config = config
        self.options = options
        self.printer = Printer(out)
        self.report = Report()
        self.doors = self._doors()
        self.wms = self._token("wms")
        self.scanner_tokens = self._scanner_tokens()
        host = _client_host(config.http.host)
        self.url = (
            f"http://[{host}]:{config.http.port}"
            if ":" in host
            else f"http://{host}:{config.http.port}"
        )
        self.scanner_address = (_client_host(config.scanner.host), config.scanner.port)

    def _doors(self) -> tuple[str, ...]:
        known = [d.id for d in self.config.doors]
        chosen = self.options.doors or tuple(known)
        unknown = [d for d in chosen if d not in known]
        if unknown:
            raise SimulationFailed(
                f"unknown door(s) {', '.join(unknown)}; the config has {', '.join(known)}"
            )
        return chosen

    def _token(self, role: str) -> str:
        client = next((c for c in self.config.clients if c.role == role), None)
        if client is None:
            raise SimulationFailed(f"the config has no {role} client")
        return client.token

    def _scanner_tokens(self) -> tuple[str, ...]:
        tokens = tuple(c.token for c in self.config.clients if c.role == "scanner")
        if not tokens:
            raise SimulationFailed("the config has no scanner client")
        return tokens

    async def run(self) -> Report:
        o = self.options
        seed = o.seed if o.seed is not None else secrets.randbits(32)
        assortment = load_assortment(self.config.table.control_list, self.config.table.catalogues)
        run_tag = time.strftime("%H%M%S") + secrets.token_hex(1)
        traffic = Traffic(assortment, random.Random(seed), run_tag)
        plans = {
            door: [traffic.plan(door, n + 1) for n in range(o.shipments)] for door in self.doors
        }
        timeout = aiohttp.ClientTimeout(total=60, connect=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            api = GateApi(session, self.url)
            await self._check_ready(api)
            via = (
                f"the scanner socket {self.scanner_address[0]}:{self.scanner_address[1]}"
                if o.socket
                else "HTTP"
            )
            print(
                f"simulating {', '.join(self.doors)} at {self.url}: {o.shipments} shipment(s)"
                f" per door, {o.rate:g} scans/s per door over {via}, seed {seed}",
                file=self.printer.out,
                flush=True,
            )
            started = time.monotonic()
            tokens = self.scanner_tokens
            try:
                # One failing door stops them all (TaskGroup cancels the others).
                async with asyncio.TaskGroup() as doors:
                    for i, door in enumerate(self.doors):
                        doors.create_task(
                            self._drive(api, door, plans[door], tokens[i % len(tokens)])
                        )
            except BaseExceptionGroup as group:
                raise _first(group) from None
            elapsed = time.monotonic() - started
        for text in self.report.summary(elapsed):
            print(text, file=self.printer.out, flush=True)
        return self.report

    async def _check_ready(self, api: GateApi) -> None:
        status, doc = await api.call("GET", "/readyz", None)
        if status != 200:
            checks = doc.get("checks") if isinstance(doc, Mapping) else doc
            raise SimulationFailed(f"the gate at {self.url} is not ready: {checks}")

    async def _scanner(self, api: GateApi, token: str) -> Scanner:
        if self.options.socket:
            host, port = self.scanner_address
            return await SocketScanner.connect(host, port, token)
        return HttpScanner(api, token)

    async def _drive(
        self, api: GateApi, door: str, plans: Sequence[ShipmentPlan], token: str
    ) -> None:
        scanner = await self._scanner(api, token)
        pacer = Pacer(self.options.rate)
        try:
            for plan in plans:
                if not await self._shipment(api, scanner, pacer, plan):
                    return
        finally:
            await scanner.close()

    async def _shipment(
        self, api: GateApi, scanner: Scanner, pacer: Pacer, plan: ShipmentPlan
    ) -> bool:
        """Runs one shipment from creation to dispatch or cancel; False if the door is busy."""
        say = self.printer.line
        door, sid = plan.door, plan.id
        status, doc = await api.call("POST", f"{API}/shipments", self.wms, plan.body)
        if status == 409 and isinstance(doc, Mapping) and doc.get("shipment"):
            say(door, "-", f"door busy: {doc.get('detail')}; leaving this door alone")
            self.report.busy_doors.append(door)
            return False
        if status != 201:
            raise _api_error("POST", f"{API}/shipments", status, doc)
        outcome = Outcome(sid, door)
        self.report.outcomes.append(outcome)
        body, consignee = plan.body, plan.body["consignee"]
        route = f"to {body['destination']}, {consignee['name']} ({consignee['country']})"
        if body.get("end_use"):
            route += f", end use {body['end_use']!r}"
        if body.get("transit"):
            route += f", via {'/'.join(body['transit'])}"
        if body.get("manifest"):
            route += f", manifest {len(body['manifest'])} pallet"
        say(door, sid, f"created {route}: {doc['state']} {doc['signal']}")

        for step in plan.steps:
            await pacer.wait(len(step.reads))
            results = await scanner.send(step.reads)
            self.report.scans_sent += len(step.reads)
            self.report.statuses.update(str(r.get("status")) for r in results)
            say(door, sid, _step_line(step, results))

        sealed = await api.expect("POST", f"{API}/shipments/{sid}/seal", self.wms)
        outcome.sealed = sealed["state"]
        requests = [r for r in sealed.get("requests") or () if r.get("status") == "pending"]
        queued = " (licence request queued to the central office)" if requests else ""
        say(door, sid, f"sealed: {sealed['state']} {sealed['signal']}{queued}")
        if sealed["state"] == "cleared":
            status, doc = await api.call("POST", f"{API}/shipments/{sid}/dispatch", self.wms)
            if status == 200:
                outcome.final = doc["state"]
                say(door, sid, f"dispatched: {doc['state']} (door {door} free)")
                return True
            if status != 409:
                raise _api_error("POST", f"{API}/shipments/{sid}/dispatch", status, doc)
            say(door, sid, f"dispatch refused: {doc.get('detail')}")
            for item in doc.get("blocking") or ():
                say(door, sid, f"  stops it: {item['key']} {item['decision']} {item['reasons']}")
        else:
            for text in _blocking_lines(sealed):
                say(door, sid, text)
        cancelled = await api.expect("POST", f"{API}/shipments/{sid}/cancel", self.wms)
        outcome.final = cancelled["state"]
        say(
            door,
            sid,
            f"{cancelled['state']} by the simulator so door {door} is free for the next shipment",
        )
        return True


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first failure in a (possibly nested) exception group."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _client_host(host: str) -> str:
    """Where a client on this machine reaches a listener bound to ``host``."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


async def simulate(options: Options, out: TextIO = sys.stdout) -> Report:
    """Runs a simulation against the gate ``options.config`` describes.

    Raises SimulationFailed (or ConfigError) with a one-line reason.
    """
    config = load_config(options.config)
    return await Simulation(config, options, out).run()


def main(options: Options) -> int:
    """The ``gate simulate`` command: 0 when the run finished."""
    asyncio.run(simulate(options))
    return 0
