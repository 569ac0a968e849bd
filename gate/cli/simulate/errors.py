"""Why a simulation stops."""

from __future__ import annotations

from gate.errors import GateError


class SimulationFailed(GateError):
    """The simulation cannot go on: the gate is unreachable, refuses the config's tokens,
    or answers something no dock client could work with."""
