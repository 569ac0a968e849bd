"""Attack15: a gate killed just after it swapped in a signed bundle restarted on the bundle
before it.

``ReferencePoller`` applies a verified bundle (the swap journals ``reference.applied`` vN in
the database), and only then writes ``reference/applied`` and prunes the older bundle
folders. ``start_config`` read only that file. A gate killed between the two (kill -9, power)
came back on the previous bundle, whose folder was still there and checked out: its journal
said v2 was in use, its table and lists were v1's. With the office out of reach the gate kept
deciding on v1 (a catalogue row v2 had made controlled was "not listed" again: cleared) until
a poll reached the office; no alert said so.

The start takes the newest bundle the journal says was applied, when its folder checks out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.links.reference.poller import ReferencePoller
from gate.web import app_keys
from tests.reference.test_bundles import NOW, Office, control_of, gate_at_v1, journaled
from tests.service.harness import Gates, catalogue_rows, gtin_with


async def test_a_restart_after_a_kill_between_the_swap_and_its_file_keeps_the_new_bundle(
    gates: Gates,
    demo_config: Path,
    office_repo: Office,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gtin = gtin_with(demo_config, "")  # not listed in v1
    code = next(c for _, _, c in catalogue_rows(demo_config) if c)
    gate = await gate_at_v1(gates, demo_config, office_repo)
    assert await control_of(gate, gtin) is None
    office_repo.set_control(gtin, code)  # v2 lists it
    office_repo.make(published=NOW)
    office_repo.publish()
    # The kill: after the swap committed, before the ``applied`` file and the prune.
    monkeypatch.setattr(ReferencePoller, "_remember", lambda self, verified: None)
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    assert code == await control_of(gate, gtin)
    assert 2 == len(journaled(gate, "reference.applied"))
    await gates.stop(gate)
    monkeypatch.undo()
    await office_repo.stop()  # and the office is out of reach when it comes back

    gate = await gates.start()
    swap = gate.app[app_keys.REFERENCE]
    assert swap.applied is not None
    assert 2 == swap.applied.version
    assert code == await control_of(gate, gtin)
