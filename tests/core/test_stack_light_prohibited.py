"""A door held for a prohibited item read after the seal shows red, with its buzzer, over
any signal and any other hold, once the gate has loaded; before that, the not-loaded red."""

from __future__ import annotations

import pytest

from gate.core.stack_light import NOT_LOADED, RED, lamps

SIGNALS = ["green", "amber", "red", "idle", None, "purple"]


@pytest.mark.parametrize("held", [False, True])
@pytest.mark.parametrize("signal", SIGNALS)
def test_a_prohibited_hold_is_red_over_every_signal(signal: str | None, held: bool) -> None:
    """Loaded, every signal with a prohibited hold shows the red lamps (red and buzzer)."""
    assert RED == lamps(signal, loaded=True, held=held, prohibited_hold=True)


@pytest.mark.parametrize("signal", SIGNALS)
def test_not_loaded_wins_over_a_prohibited_hold(signal: str | None) -> None:
    """Before the gate has loaded its state, a door shows the not-loaded lamps, hold or not."""
    assert NOT_LOADED == lamps(signal, loaded=False, held=True, prohibited_hold=True)
