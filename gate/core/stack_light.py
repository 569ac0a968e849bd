"""What a door's stack light shows: the door's signal as lamps. Pure: no I/O here.

A driver at the dock looks at the light, not at a screen, so the light must never say more
than the gate knows. Two rules keep it honest, and both are in the table below, not in the
drivers that write it out:

- Green only for a cleared shipment of a gate that has loaded its state. Until the docks
  have loaded (at start) every door shows red; an idle door (no shipment) shows amber,
  never green.
- A door held because goods passed its portal without a readable tag shows amber (and the
  buzzer) over whatever its shipment says, except red: red always wins.
- A door held because a prohibited item was read after its shipment was sealed shows red
  (and the buzzer) over whatever its shipment says, until an operator acknowledges it: a
  prohibited item turns the door red at once (DESIGN 2), sealed or not.

The buzzer sounds with red (and with a held door). On a clean stop the gate writes
``STOPPED``: red on, everything else off. A device that cannot be reached shows nothing we
control; the gate then reports it (never assumes the door is green).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Lamps:
    """One door's outputs: on (True) or off."""

    red: bool = False
    amber: bool = False
    green: bool = False
    buzzer: bool = False

    def items(self) -> tuple[tuple[str, bool], ...]:
        return (
            ("red", self.red),
            ("amber", self.amber),
            ("green", self.green),
            ("buzzer", self.buzzer),
        )

    @property
    def shown(self) -> str:
        """The lamp that is lit, for documents and logs (``red``, ``amber``, ``green``)."""
        return next((name for name, on in self.items() if on and name != "buzzer"), "off")


RED: Final = Lamps(red=True, buzzer=True)
AMBER: Final = Lamps(amber=True)
GREEN: Final = Lamps(green=True)
HELD: Final = Lamps(amber=True, buzzer=True)
#: Written on a clean stop, and the start's state until the docks have loaded.
STOPPED: Final = Lamps(red=True)
NOT_LOADED: Final = STOPPED

#: The door's signal (``idle`` for a door with no shipment) -> its lamps.
SIGNAL_LAMPS: Final[Mapping[str, Lamps]] = {
    "green": GREEN,
    "amber": AMBER,
    "red": RED,
    "idle": AMBER,
}


def held_signal(signal: str, *, held: bool, prohibited_hold: bool) -> str:
    """The door's signal as its light shows it (the lamps, ``GET /doors``, scan answers, the
    MQTT door topic): red while it is held for a prohibited item, or for a signal it does not
    know (fail closed); amber while it is held over anything but red (an idle door included:
    goods passed it); else ``signal``. A held door is never green."""
    if prohibited_hold or signal not in SIGNAL_LAMPS:
        return "red"
    if held and signal != "red":
        return "amber"
    return signal


def lamps(
    signal: str | None, *, loaded: bool, held: bool = False, prohibited_hold: bool = False
) -> Lamps:
    """The lamps a door shows.

    ``signal``: the door's signal (``green``, ``amber``, ``red``, ``idle``; None = idle);
    ``loaded``: the gate has loaded its state; ``held``: goods passed without a readable tag
    and no operator has acknowledged it yet; ``prohibited_hold``: the door's hold is for a
    prohibited item read after the seal (red, whatever ``held`` and the signal say). An
    unknown signal shows red (fail closed).
    """
    if not loaded:
        return NOT_LOADED
    shown = held_signal(signal or "idle", held=held, prohibited_hold=prohibited_hold)
    if held and shown == "amber":
        return HELD  # amber with the buzzer: someone must look
    return SIGNAL_LAMPS[shown]
