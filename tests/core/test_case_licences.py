"""A standing licence counts units, and a case read once counts 1 on its line: a line whose
key may be more than one unit (GTIN-14 indicator 1-9) is never covered by a standing licence,
only by the office's approval (``gate.core.licences``)."""

from __future__ import annotations

import pytest

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.gs1 import groups_units
from tests.core.test_standing_licences import IMU_KEY, TABLE, licence, sealed

#: The IMU's GTIN with indicator 1: a case of IMUs.
CASE_KEY = "19506000134359"


@pytest.mark.parametrize(
    ("key", "grouped"),
    [
        ("09506000134352", False),  # a unit's GTIN-13, padded
        ("19506000134359", True),
        ("89506000134353", True),
        ("99506000134350", True),  # variable measure: a count or a weight
        ("950600013435", False),  # not padded to 14
    ],
)
def test_indicators_1_to_9_may_be_more_than_one_unit(key: str, grouped: bool) -> None:
    """A GTIN-14 key with indicator 1-9 may stand for several units; 0 (a unit's own GTIN,
    padded) and a key not padded to 14 digits do not."""
    assert grouped == groups_units(key)


def test_a_case_of_a_licensed_item_is_held_for_the_office(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The case of IMUs is Category II like the IMU; the licence covering 100 IMUs covers
    the IMU line, and leaves the case line uncovered (held, asked of the office)."""
    imu = TABLE[IMU_KEY]
    case = Classification(CASE_KEY, "Case of 10 x IMU", imu.control, 2, "", frozenset())
    monkeypatch.setitem(TABLE, CASE_KEY, case)
    unit = sealed(IMU_KEY, licence())
    held = sealed(CASE_KEY, licence())
    assert (sh.State.CLEARED, sh.State.HELD) == (unit.state, held.state)
    assert (None, ("cat2",)) == (held.lines[0].covered_by, held.lines[0].reasons)
