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

The package, in the order a run uses it: ``reads`` (codes as printed and tagged, one read as
sent), ``traffic`` (the goods and the seeded plan of every door), ``clients`` (the HTTP API
and the scanner transports), ``driver`` (the doors driven at once), ``report`` (the lines
printed and the summary) and ``command`` (``gate simulate``).
"""

from __future__ import annotations

from gate.cli.simulate.command import main, simulate
from gate.cli.simulate.driver import Options
from gate.cli.simulate.errors import SimulationFailed
from gate.cli.simulate.reads import GS, check_digit, sgtin96_hex, sscc18
from gate.cli.simulate.report import Report

__all__ = [
    "GS",
    "Options",
    "Report",
    "SimulationFailed",
    "check_digit",
    "main",
    "sgtin96_hex",
    "simulate",
    "sscc18",
]
