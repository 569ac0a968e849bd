"""The door driver: every chosen door driven at once, each shipment from creation to
dispatch or cancel, with the door's own scanner connection.

What a run leaves behind, so that a demo has something to show and the next run a free dock:

- by default the last shipment of each door, when it is held or blocked, is left standing for
  the operator (the page shows it with its reasons); every other held or blocked shipment is
  cancelled so the door takes the next one. ``close_all`` (``--close-all``) cancels them all,
  as the simulator always did before;
- a run first cancels what an earlier run left at its doors (a shipment of the simulator's,
  ``SIM-`` ids, not yet final); a door busy with anyone else's shipment is left alone;
- interrupted (Ctrl-C), a run cancels every shipment of its own not yet final, then prints
  its summary.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from gate.cli.simulate.clients import (
    API,
    GateApi,
    HttpScanner,
    Pacer,
    Scanner,
    SocketScanner,
    api_error,
)
from gate.cli.simulate.errors import SimulationFailed
from gate.cli.simulate.report import Outcome, Printer, Report, blocking_lines, step_line
from gate.cli.simulate.sensor import NOTE, Portals
from gate.cli.simulate.traffic import ShipmentPlan, Traffic, load_assortment
from gate.config.settings import Config


@dataclass(frozen=True, slots=True)
class Options:
    config: Path
    doors: tuple[str, ...] = ()  # empty: every door of the config
    shipments: int = 3
    rate: float = 20.0
    socket: bool = False
    seed: int | None = None
    sensor: bool = False  # play each door's portal and motion sensor (sensor.py)
    close_all: bool = False  # cancel every held or blocked shipment (leave none standing)


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
        self.portals = Portals(config, self.doors, self.wms) if options.sensor else None

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

    def _scanner_tokens(self) -> dict[str, str]:
        """Door -> the token of a scanner client that may scan there (the first bound to the
        door, else the first bound to none), spreading doors over unbound clients."""
        scanners = [c for c in self.config.clients if c.role == "scanner"]
        if not scanners:
            raise SimulationFailed("the config has no scanner client")
        free = [c.token for c in scanners if c.doors is None]
        tokens: dict[str, str] = {}
        for i, door in enumerate(self.doors):
            bound = [c.token for c in scanners if c.doors is not None and door in c.doors]
            if bound:
                tokens[door] = bound[0]
            elif free:
                tokens[door] = free[i % len(free)]
            else:
                raise SimulationFailed(f"no scanner client of the config may scan at {door}")
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
                if self.portals is not None:
                    await self.portals.start()
                    await self.portals.connected(api)
                    for door, hold in (await self.portals.back(api)).items():
                        self.printer.line(
                            door,
                            "-",
                            f"door {door} was held: {hold['reason']} (the simulator's portal was"
                            " not there); the operator checked the trailer by hand and"
                            " acknowledged",
                        )
                # After the portals are back: a cancel's hold is acknowledged at once, and the
                # gate refuses that while a door's portal is down (the run before stopped it).
                await self._free_doors(api, "SIM-", "left by an earlier run")
                # One failing door stops them all (TaskGroup cancels the others).
                async with asyncio.TaskGroup() as doors:
                    for door in self.doors:
                        doors.create_task(self._drive(api, door, plans[door], tokens[door]))
            except BaseExceptionGroup as group:
                raise _first(group) from None
            except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task
                self.report.interrupted = True
                await self._cancel_own(api, f"SIM-{run_tag}-")
                self._summary(time.monotonic() - started)
                raise
            finally:
                if self.portals is not None:
                    await self.portals.stop()
            elapsed = time.monotonic() - started
        self._summary(elapsed)
        return self.report

    def _summary(self, elapsed: float) -> None:
        for text in self.report.summary(elapsed):
            print(text, file=self.printer.out, flush=True)

    async def _free_doors(self, api: GateApi, prefix: str, why: str) -> None:
        """Cancels the simulator's shipments (ids starting with ``prefix``) standing at the
        chosen doors, so that each is free; anyone else's shipment is left alone."""
        for door in self.doors:
            status, doc = await api.call("GET", f"{API}/doors/{door}", self.wms)
            if status != 200 or not isinstance(doc, Mapping):
                continue
            standing = doc.get("shipment") or {}
            sid = str(standing.get("id") or "")
            if sid.startswith(prefix) and standing.get("state") not in _FINAL:
                await self._cancel(api, door, sid, why)

    async def _cancel_own(self, api: GateApi, prefix: str) -> None:
        """After an interrupt: cancels this run's shipments not yet final, those it knows
        of and any its doors show (one created while the interrupt came)."""
        for outcome in self.report.outcomes:
            if outcome.final is None:
                await self._cancel(api, outcome.door, outcome.id, "interrupted")
        await self._free_doors(api, prefix, "interrupted")

    async def _cancel(self, api: GateApi, door: str, sid: str, why: str) -> None:
        status, doc = await api.call("POST", f"{API}/shipments/{sid}/cancel", self.wms)
        if status == 200:
            for outcome in self.report.outcomes:
                if outcome.id == sid:
                    outcome.final, outcome.left = "cancelled", False
            self.printer.line(door, sid, f"cancelled by the simulator ({why}): door {door} free")
            if why != "interrupted":  # an interrupted run leaves a held door to a person
                await self._unloaded(api, door, sid)
        elif status != 409:  # 409: already final
            self.printer.line(door, sid, f"could not cancel ({why}): {status} {doc}")

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
            for n, plan in enumerate(plans):
                last = n == len(plans) - 1
                if not await self._shipment(api, scanner, pacer, plan, last=last):
                    return
        finally:
            await scanner.close()

    async def _shipment(
        self, api: GateApi, scanner: Scanner, pacer: Pacer, plan: ShipmentPlan, *, last: bool
    ) -> bool:
        """Runs one shipment from creation to dispatch or cancel (or, the ``last`` of its
        door held or blocked, to the operator); False if the door is busy."""
        say = self.printer.line
        door, sid = plan.door, plan.id
        status, doc = await api.call("POST", f"{API}/shipments", self.wms, plan.body)
        if status == 409 and isinstance(doc, Mapping) and doc.get("shipment"):
            say(door, "-", f"door busy: {doc.get('detail')}; leaving this door alone")
            self.report.busy_doors.append(door)
            return False
        if status != 201:
            raise api_error("POST", f"{API}/shipments", status, doc)
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
            self.report.units += sum(
                r.get("counted") or 0 for r in results if r.get("status") == "accepted"
            )
            say(door, sid, step_line(step, results))

        held = await self._portal(api, plan) if self.portals is not None else False
        sealed = await api.expect("POST", f"{API}/shipments/{sid}/seal", self.wms)
        outcome.sealed = sealed["state"]
        requests = [r for r in sealed.get("requests") or () if r.get("status") == "pending"]
        queued = " (licence request queued to the central office)" if requests else ""
        say(door, sid, f"sealed: {sealed['state']} {sealed['signal']}{queued}")
        if held:
            await self._release(api, plan, sealed["state"] == "cleared")
        if sealed["state"] == "cleared":
            status, doc = await api.call("POST", f"{API}/shipments/{sid}/dispatch", self.wms)
            if status == 200:
                outcome.final = doc["state"]
                say(door, sid, f"dispatched: {doc['state']} (door {door} free)")
                return True
            if status != 409:
                raise api_error("POST", f"{API}/shipments/{sid}/dispatch", status, doc)
            say(door, sid, f"dispatch refused: {doc.get('detail')}")
            for item in doc.get("blocking") or ():
                say(door, sid, f"  stops it: {item['key']} {item['decision']} {item['reasons']}")
        else:
            for text in blocking_lines(sealed):
                say(door, sid, text)
            if last and not self.options.close_all:
                outcome.left = True
                say(door, sid, f"left for the operator: {sealed['state']} at door {door}")
                return True
        cancelled = await api.expect("POST", f"{API}/shipments/{sid}/cancel", self.wms)
        outcome.final = cancelled["state"]
        say(
            door,
            sid,
            f"{cancelled['state']} by the simulator so door {door} is free for the next shipment",
        )
        await self._unloaded(api, door, sid)
        return True

    async def _unloaded(self, api: GateApi, door: str, sid: str) -> None:
        """After the simulator cancelled a shipment with controlled goods loaded, the gate
        holds its door until an operator confirms they were unloaded (a cancel is not an
        unloading): the simulated dock unloads them and its operator (the config's first)
        acknowledges, so the next shipment can leave; without an operator the door is left
        held for a person."""
        hold = (await api.expect("GET", f"{API}/doors/{door}", self.wms)).get("hold")
        if not hold:
            return
        if not self.config.operators:
            self.printer.line(door, sid, f"door {door} held: {hold['reason']}; left for a person")
            return
        operator = self.config.operators[0]
        auth = aiohttp.encode_basic_auth(operator.name, operator.password)
        path = f"{API}/doors/{door}/acknowledge"
        body = {"windows": hold.get("windows", 0), "note": NOTE + "the simulated dock unloaded"}
        async with api.session.post(
            api.url + path, headers={"Authorization": auth}, json=body
        ) as response:
            if response.status != 200:
                raise api_error("POST", path, response.status, await response.text())
        self.printer.line(
            door, sid, f"unloaded; the operator acknowledged door {door} ({hold['reason']})"
        )

    async def _portal(self, api: GateApi, plan: ShipmentPlan) -> bool:
        """A pallet passes the door's portal and sensor; True when the door was held."""
        assert self.portals is not None
        say, door, sid = self.printer.line, plan.door, plan.id
        unreadable = int(sid.rsplit("-", 1)[-1]) % 2 == 0 if sid[-1:].isdigit() else False
        tags = sorted({r.code for s in plan.steps if s.what == "rfid" for r in s.reads})[:3]
        if not unreadable and not tags:
            return False
        shown = "a pallet with no readable tag" if unreadable else f"a pallet ({len(tags)} tag(s))"
        doc = await self.portals.pass_goods(api, door, [] if unreadable else tags)
        hold = doc.get("hold")
        if hold:
            say(
                door,
                sid,
                f"sensor: {shown} passed; door held: {hold['reason']}, light {doc['light']}",
            )
        else:
            say(door, sid, f"sensor: {shown} passed the portal; light {doc['light']}")
        return bool(hold)

    async def _release(self, api: GateApi, plan: ShipmentPlan, cleared: bool) -> None:
        """A held door: dispatch is refused until the operator acknowledges the hold."""
        assert self.portals is not None
        say, door, sid = self.printer.line, plan.door, plan.id
        if cleared:
            status, doc = await api.call("POST", f"{API}/shipments/{sid}/dispatch", self.wms)
            detail = doc.get("detail") if isinstance(doc, Mapping) else doc
            say(door, sid, f"dispatch answered {status}: {detail}")
        await self.portals.acknowledge(api, door)
        say(door, sid, f"the operator checked the goods by hand and acknowledged door {door}")


_FINAL = ("dispatched", "cancelled")


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
