"""Prometheus metrics, on a registry of the app's own (tests build many apps)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from gate.links.central import CentralLink
from gate.links.epcis import EpcisLink
from gate.links.mqtt import MqttLink
from gate.service.docks import Docks
from gate.service.reference_swap import ReferenceSwap

if TYPE_CHECKING:
    from gate.ingest.outputs.lights import DoorLights
    from gate.ingest.readers.fleet import Readers
    from gate.ingest.scanner_socket import ScannerServer
    from gate.service.door_holds import DoorHolds


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "gate_http_request_seconds",
            "HTTP request latency by route",
            ["route", "method", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0),
            registry=self.registry,
        )
        self.reloads = Counter(
            "gate_table_reloads_total",
            "Table reloads by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def watch(self, docks: Docks) -> None:
        self.registry.register(_DocksCollector(docks))

    def watch_scanner(self, server: ScannerServer) -> None:
        self.registry.register(_ScannerCollector(server))

    def watch_link(self, link: CentralLink, clock: Callable[[], dt.datetime]) -> None:
        """Exports the link's health; ages are measured on ``clock`` (the docks' clock)."""
        self.registry.register(_LinkCollector(link, clock))

    def watch_epcis(self, link: EpcisLink) -> None:
        """Exports the EPCIS sender's backlog and outcomes (``gate_epcis_*``)."""
        self.registry.register(_EpcisCollector(link))

    def watch_reference(self, swap: ReferenceSwap) -> None:
        """Exports the signed reference bundle in use (the office sees its fleet's)."""
        self.registry.register(_ReferenceCollector(swap))

    def watch_mqtt(self, link: MqttLink) -> None:
        self.registry.register(_MqttCollector(link))

    def watch_readers(self, readers: Readers) -> None:
        self.registry.register(_ReadersCollector(readers))

    def watch_outputs(self, lights: DoorLights, holds: DoorHolds) -> None:
        self.registry.register(_OutputsCollector(lights, holds))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _DocksCollector(Collector):
    def __init__(self, docks: Docks) -> None:
        self.docks = docks

    def collect(self):  # type: ignore[no-untyped-def]
        states = GaugeMetricFamily(
            "gate_shipments", "Shipments in memory by state", labels=["state"]
        )
        counts: dict[str, int] = {}
        for s in self.docks.shipments.values():
            counts[s.state.value] = counts.get(s.state.value, 0) + 1
        for state, n in sorted(counts.items()):
            states.add_metric([state], n)
        yield states
        # The docks count every answered scan, whichever way it came in (one tally).
        scans = CounterMetricFamily("gate_scans", "Scans answered, by status", labels=["status"])
        for status, n in sorted(self.docks.counters.items()):
            scans.add_metric([status], n)
        yield scans
        refusals = CounterMetricFamily(
            "gate_refusals_not_journaled",
            "Refused requests over their journal budget: counted, summed up in the journal"
            " once a minute (request.rejected_summary), not journaled one by one",
            labels=["who"],
        )
        for who, n in sorted(self.docks.refusals.not_journaled.items()):
            refusals.add_metric([who], n)
        yield refusals
        decisions = CounterMetricFamily(
            "gate_scan_decisions", "Line decisions of accepted scans", labels=["decision"]
        )
        for decision, n in sorted(self.docks.decisions.items()):
            decisions.add_metric([decision], n)
        yield decisions
        table = GaugeMetricFamily("gate_table_entries", "Entries of the loaded control table")
        age = GaugeMetricFamily("gate_table_built_timestamp_seconds", "When the table was compiled")
        if self.docks.table.loaded:
            info = self.docks.table.current().info
            table.add_metric([], info.entries)
            age.add_metric([], info.built_at.timestamp())
        yield table
        yield age
        yield GaugeMetricFamily(
            "gate_ready", "1 when the gate takes changes", value=0 if self.docks.failed else 1
        )


class _ScannerCollector(Collector):
    def __init__(self, server: ScannerServer) -> None:
        self.server = server

    def collect(self):  # type: ignore[no-untyped-def]
        yield GaugeMetricFamily(
            "gate_scanner_connections",
            "Open scanner socket connections",
            value=len(self.server.connections),
        )
        yield CounterMetricFamily(
            "gate_scanner_connections_refused",
            "Scanner socket connections refused at the cap (none open could make room)",
            value=self.server.refused,
        )
        yield CounterMetricFamily(
            "gate_scanner_connections_evicted",
            "Scanner socket connections closed at the cap for a new one (no token, or silent)",
            value=self.server.evicted,
        )


class _LinkCollector(Collector):
    def __init__(self, link: CentralLink, clock: Callable[[], dt.datetime]) -> None:
        self.link = link
        self.clock = clock

    def collect(self):  # type: ignore[no-untyped-def]
        h = self.link.health
        now = self.clock()
        yield GaugeMetricFamily(
            "gate_central_backlog", "Licence requests not yet delivered", value=h.backlog
        )
        yield GaugeMetricFamily(
            "gate_central_oldest_pending_seconds",
            "Age of the oldest undelivered licence request",
            value=0 if h.oldest_pending is None else (now - h.oldest_pending).total_seconds(),
        )
        yield GaugeMetricFamily(
            "gate_central_last_success_timestamp_seconds",
            "When a request was last delivered (0 = never)",
            value=0 if h.last_success is None else h.last_success.timestamp(),
        )
        yield GaugeMetricFamily(
            "gate_central_unreachable_seconds",
            "How long the office has been unreachable (0 = reachable)",
            value=0 if h.unreachable_since is None else (now - h.unreachable_since).total_seconds(),
        )
        yield GaugeMetricFamily(
            "gate_central_delivered", "Requests delivered since start", value=h.delivered
        )
        yield GaugeMetricFamily(
            "gate_central_refused", "Requests refused for good since start", value=h.refused
        )


class _MqttCollector(Collector):
    """The MQTT link ([mqtt]): connected, queued, sent, dropped."""

    def __init__(self, link: MqttLink) -> None:
        self.link = link

    def collect(self):  # type: ignore[no-untyped-def]
        h = self.link.health
        yield GaugeMetricFamily(
            "gate_mqtt_connected", "1 when connected to the MQTT broker", value=int(h.connected)
        )
        yield GaugeMetricFamily(
            "gate_mqtt_backlog",
            "Messages queued for the broker, not yet acknowledged",
            value=h.backlog,
        )
        yield CounterMetricFamily(
            "gate_mqtt_sent", "Queued messages the broker acknowledged", value=h.sent
        )
        yield CounterMetricFamily(
            "gate_mqtt_dropped", "Queued messages dropped over max_queue", value=h.dropped
        )
        yield CounterMetricFamily(
            "gate_mqtt_connects", "Connections made to the broker", value=h.connects
        )


class _ReadersCollector(Collector):
    """Reader health ([[readers]]), labelled by reader, kind and door."""

    def __init__(self, readers: Readers) -> None:
        self.readers = readers

    def collect(self):  # type: ignore[no-untyped-def]
        labels = ["reader", "kind", "door"]
        connected = GaugeMetricFamily(
            "gate_reader_connected",
            "1 when the reader is connected (a listener: a scanner is connected)",
            labels=labels,
        )
        last_read = GaugeMetricFamily(
            "gate_reader_last_read_timestamp_seconds",
            "When the reader last read something (0 = never)",
            labels=labels,
        )
        rate = GaugeMetricFamily(
            "gate_reader_reads_per_second", "Raw reads per second, last 10 s", labels=labels
        )
        reads = CounterMetricFamily(
            "gate_reader_reads", "Raw reads (tag reports, lines) since start", labels=labels
        )
        scans = CounterMetricFamily(
            "gate_reader_scans",
            "Reads sent to the scan path (after the portal window), by result status",
            labels=[*labels, "status"],
        )
        connects = CounterMetricFamily(
            "gate_reader_connects", "Sessions (or scanner connections) since start", labels=labels
        )
        dropped = CounterMetricFamily(
            "gate_reader_dropped", "Reads given up while the gate refused them", labels=labels
        )
        cross = CounterMetricFamily(
            "gate_reader_cross_reads",
            "New tags another door read stronger (counted there, not here)",
            labels=labels,
        )
        weak = CounterMetricFamily(
            "gate_reader_below_min_rssi", "Reads dropped under min_rssi", labels=labels
        )
        mono = time.monotonic()
        for reader in self.readers:
            h = reader.health
            key = [h.name, h.kind, h.door]
            connected.add_metric(key, 1 if h.connected else 0)
            last_read.add_metric(key, 0 if h.last_read is None else h.last_read.timestamp())
            rate.add_metric(key, h.rate.rate(mono))
            reads.add_metric(key, h.reads)
            for status, n in sorted(h.results.items()):
                scans.add_metric([*key, status], n)
            connects.add_metric(key, h.connects)
            dropped.add_metric(key, h.dropped)
            cross.add_metric(key, h.cross_reads)
            weak.add_metric(key, sum(h.below_min_rssi.values()))
        yield from (connected, last_read, rate, reads, scans, connects, dropped, cross, weak)


class _EpcisCollector(Collector):
    def __init__(self, link: EpcisLink) -> None:
        self.link = link

    def collect(self):  # type: ignore[no-untyped-def]
        h = self.link.health
        now = h.clock()
        yield GaugeMetricFamily(
            "gate_epcis_backlog", "EPCIS documents not yet captured", value=h.backlog
        )
        yield GaugeMetricFamily(
            "gate_epcis_unreachable_seconds",
            "How long the EPCIS repository has been unreachable (0 = reachable)",
            value=0 if h.unreachable_since is None else (now - h.unreachable_since).total_seconds(),
        )
        yield GaugeMetricFamily(
            "gate_epcis_delivered", "EPCIS documents captured since start", value=h.delivered
        )
        yield GaugeMetricFamily(
            "gate_epcis_refused", "EPCIS documents refused for good since start", value=h.refused
        )


class _ReferenceCollector(Collector):
    def __init__(self, swap: ReferenceSwap) -> None:
        self.swap = swap

    def collect(self):  # type: ignore[no-untyped-def]
        bundle = self.swap.applied
        version = GaugeMetricFamily(
            "gate_reference_bundle_version",
            "Version of the office's signed reference bundle in use (0: local files)",
        )
        version.add_metric([], 0 if bundle is None else bundle.version)
        yield version
        published = GaugeMetricFamily(
            "gate_reference_bundle_published_timestamp_seconds",
            "Publication time of the bundle in use (its data's age), Unix seconds",
        )
        if bundle is not None:
            published.add_metric([], bundle.published.timestamp())
        yield published
        outcomes = CounterMetricFamily(
            "gate_reference_bundles", "Bundles applied and refused", labels=["outcome"]
        )
        for outcome, n in sorted(self.swap.outcomes.items()):
            outcomes.add_metric([outcome], n)
        yield outcomes


class _OutputsCollector(Collector):
    """Door output devices ([[doors.outputs]]), labelled by device and kind."""

    def __init__(self, lights: DoorLights, holds: DoorHolds) -> None:
        self.lights = lights
        self.holds = holds

    def collect(self):  # type: ignore[no-untyped-def]
        labels = ["device", "kind"]
        up = GaugeMetricFamily(
            "gate_output_reachable", "1 when the last write to the device succeeded", labels=labels
        )
        writes = CounterMetricFamily("gate_output_writes", "Writes that succeeded", labels=labels)
        failures = CounterMetricFamily("gate_output_failures", "Writes that failed", labels=labels)
        for output in self.lights.outputs:
            h = output.health
            key = [h.device, h.kind]
            up.add_metric(key, 1 if h.state == "ok" else 0)
            writes.add_metric(key, h.writes)
            failures.add_metric(key, h.failures_total)
        yield from (up, writes, failures)
        held = GaugeMetricFamily(
            "gate_door_held",
            "1 while the door is held (goods passed without a readable tag or while its portal"
            " reader was down, or an item read after the seal), not yet acknowledged",
            labels=["door"],
        )
        for door in self.holds.docks.doors:
            held.add_metric([door], 1 if self.holds.is_held(door) else 0)
        yield held
