"""Door outputs: each door's stack light (red, amber, green, a buzzer), driven from its signal.

The layout:

- ``devices``  the two kinds of output device: a Modbus TCP device's coils (pymodbus) and an
               LLRP reader's GPO ports (through the reader adapter's live llrpkit session)
- ``lights``   the controller: follows the doors, writes each device, re-asserts, reports
               health, alerts, and writes red/off when the gate stops

What each door shows is decided in the core (``gate.core.stack_light``); this package only
writes it out. This ``__init__`` imports nothing, so loading the config loads no pymodbus.
"""
