"""What a penetration test found in the signed reference bundles: rollback protection that
lived only in TUF's ``metadata/`` folder (delete it and an older bundle passed at the next
start), and a bundle published in the future applied (negative ages). Each is now refused,
alerted and journaled, and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from gate.errors import BundleError
from gate.links.reference import repository
from gate.web import app_keys
from tests.reference.test_bundles import (
    NOW,
    Office,
    alerts,
    control_of,
    gate_at_v1,
    journaled,
)
from tests.service.harness import Gates, catalogue_rows, gtin_with, until


def _checks(gate_records: list[str]) -> list[str]:
    return [json.loads(r)["check"] for r in gate_records]


def _applied_versions(records: list[str]) -> list[int]:
    return [int(json.loads(r)["version"]) for r in records]


@pytest.mark.parametrize("lose_applied_file", [False, True], ids=["metadata", "metadata+applied"])
async def test_an_older_bundle_is_refused_after_the_metadata_folder_is_lost(
    gates: Gates,
    demo_config: Path,
    office_repo: Office,
    tmp_path: Path,
    lose_applied_file: bool,
) -> None:
    """At v2, with ``reference/metadata`` deleted (and the ``applied`` file too), the office's
    v1 served again is refused at the next start (``rollback``): the floor survives in the
    ``applied`` file and in the journal. It is alerted and journaled, and v1 is not applied."""
    gate = await gate_at_v1(gates, demo_config, office_repo)
    old = tmp_path / "repo-v1"
    shutil.copytree(office_repo.repo, old)
    office_repo.make(published=NOW)
    office_repo.publish()
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    ref = gate.config.reference
    assert ref is not None
    assert "2" == ref.applied_file.read_text().strip()
    await gates.stop(gate)

    shutil.rmtree(ref.metadata_dir)
    if lose_applied_file:
        ref.applied_file.unlink()
    office_repo.publish(old)
    gate = await gates.start()
    swap = gate.app[app_keys.REFERENCE]
    await until(lambda: journaled(gate, "reference.refused"), "the old bundle refused")
    assert ["rollback"] == [a["check"] for a in alerts(gate, "reference_refused")]
    assert ["rollback"] == _checks(journaled(gate, "reference.refused"))
    assert [1, 2] == _applied_versions(journaled(gate, "reference.applied"))
    # v2's own folder is checked against the config's root when metadata/ is gone; without
    # the ``applied`` file the journal names it (attack15: the start reads both).
    assert 2 == (swap.applied and swap.applied.version)
    assert not (ref.applied_file.exists() and "1" == ref.applied_file.read_text().strip())


async def test_a_bundle_published_in_the_future_is_refused(
    gates: Gates, demo_config: Path, office_repo: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle whose ``published`` is an hour ahead (signed by an office whose clock runs
    fast) is refused (``published``), alerted and journaled; v1 and its data stay."""
    gate = await gate_at_v1(gates, demo_config, office_repo)
    gtin = gtin_with(demo_config, "")
    before = await control_of(gate, gtin)
    office_repo.set_control(gtin, next(c for _, _, c in catalogue_rows(demo_config) if c))
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    monkeypatch.setattr(repository, "_now", lambda: ahead)
    office_repo.make(published=ahead)
    office_repo.publish()
    swap = gate.app[app_keys.REFERENCE]
    assert not await gate.app[app_keys.REFERENCE_POLLER].poll()
    assert swap.applied is not None
    assert 1 == swap.applied.version
    assert ["published"] == [a["check"] for a in alerts(gate, "reference_refused")]
    assert ["published"] == _checks(journaled(gate, "reference.refused"))
    assert [1] == _applied_versions(journaled(gate, "reference.applied"))
    assert before == await control_of(gate, gtin)
    ref = gate.config.reference
    assert ref is not None
    assert "1" == ref.applied_file.read_text().strip()


def test_make_refuses_a_published_time_beyond_the_gates_clock_skew(
    office_repo: Office,
) -> None:
    """The office's ``make`` and the gate agree: ten minutes ahead is refused, not signed."""
    with pytest.raises(BundleError, match="in the future"):
        office_repo.make(published=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    assert not (office_repo.repo / "timestamp.json").exists()
