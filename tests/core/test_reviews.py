"""``Reviews``: the review timer's answer, kept between changes, against ``next_review`` worked
out for every shipment from the instant it was last decided (the oracle)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from gate.core import shipments as sh
from gate.core.licences import StandingLicence
from gate.core.review import Reviews
from gate.core.rules import ControlDates
from tests.core.test_shipments import BOLT, CONTROLS, GYRO, NOW, approve, scan, shipment

DAY = dt.timedelta(days=1)


class Oracle:
    """Works every shipment's moment out again, from the instant its value was decided or
    last reviewed, as the timer must."""

    def __init__(self) -> None:
        self.since: dict[str, tuple[sh.Shipment, dt.datetime]] = {}

    def earliest(
        self, shipments: list[sh.Shipment], controls: sh.Controls, now: dt.datetime
    ) -> dt.datetime | None:
        found, since = [], {}
        for s in shipments:  # a shipment that left the doors is forgotten: counted afresh
            kept = self.since.get(s.id)
            since[s.id] = (s, kept[1] if kept is not None and kept[0] is s else s.updated_at)
            if (t := sh.next_review(s, controls, min(since[s.id][1], now))) is not None:
                found.append(t)
        self.since = since
        return min(found, default=None)

    def reviewed(self, at: dt.datetime) -> None:
        self.since = {sid: (s, at) for sid, (s, _) in self.since.items()}


def test_reviews_answer_as_next_review_does_while_time_and_data_move() -> None:
    """Kept answers never differ from working every shipment out again: as time passes a
    due moment (due at once, until reviewed), as a shipment changes, as the licences or the
    data's dates change, and when a shipment leaves the doors."""
    stale_soon = dataclasses.replace(CONTROLS, dates=ControlDates(NOW - 89 * DAY))
    cleared = sh.seal(scan(shipment(), BOLT), stale_soon, NOW).shipment
    held = sh.seal(scan(shipment(), GYRO, "A"), stale_soon, NOW).shipment
    approved = dataclasses.replace(approve(held).shipment, id="S-2", door="D2")
    fresh = dataclasses.replace(CONTROLS, dates=ControlDates(NOW - DAY))
    licence = StandingLicence.issued(
        "SL-9",
        consignee_name="GULF AVIONICS L.L.C.",
        consignee_country="AE",
        destination="AE",
        controls=["9.A.3"],
        quantity=3,
        valid_from=NOW - DAY,
        valid_until=NOW + 3 * DAY,
    )
    licensed = dataclasses.replace(fresh, licences=(licence,))
    steps = [
        ([cleared], stale_soon, NOW),
        ([cleared], stale_soon, NOW + DAY / 2),  # the same objects, the moment still ahead
        ([cleared, approved], stale_soon, NOW + DAY / 2),  # another door's shipment
        ([cleared, approved], fresh, NOW + DAY / 2),  # new dates: the stale moment moves
        ([cleared, approved], licensed, NOW + DAY),  # a licence that serves them ends
        ([cleared, approved], dataclasses.replace(licensed, licences=(licence,)), NOW + DAY),
        ([cleared, approved], fresh, NOW + DAY),  # ... and is gone
        ([cleared, approved], fresh, NOW + 6 * DAY),
        ([cleared, approved], fresh, NOW + 8 * DAY),  # past the approval's end
        ([approved], fresh, NOW + 8 * DAY),  # the first left its door
        ([cleared], stale_soon, NOW + 2 * DAY),  # back, and past its stale moment
    ]
    reviews, oracle = Reviews(), Oracle()
    answers = []
    for shipments, controls, now in steps:
        expected = oracle.earliest(shipments, controls, now)
        assert expected == reviews.earliest(shipments, controls, now)
        answers.append(expected)
        if expected is not None and expected <= now:  # the timer decides again, then ...
            oracle.reviewed(now)
            reviews.reviewed(now)
            answers.append(oracle.earliest(shipments, controls, now))
            assert answers[-1] == reviews.earliest(shipments, controls, now)
    # The steps do reach moments, passed ones and no moment alike, so the comparisons above
    # mean something.
    assert NOW + DAY in answers
    assert NOW + 3 * DAY in answers
    assert None in answers


def test_a_moment_that_passed_before_anyone_asked_is_due_at_once() -> None:
    """A shipment decided when the data had a day left, first asked about two days later, is
    due at once (the stale moment passed meanwhile), and after a review nothing is due until
    the next moment."""
    stale_soon = dataclasses.replace(CONTROLS, dates=ControlDates(NOW - 89 * DAY))
    cleared = sh.seal(scan(shipment(), BOLT), stale_soon, NOW).shipment
    reviews = Reviews()
    assert NOW + DAY == reviews.earliest([cleared], stale_soon, NOW + 2 * DAY)
    reviews.reviewed(NOW + 2 * DAY)
    later = reviews.earliest([cleared], stale_soon, NOW + 2 * DAY)
    assert later is None or NOW + 2 * DAY < later


def test_a_shipment_value_changed_under_the_same_id_is_worked_out_again() -> None:
    """The kept answer belongs to the value it was worked out for: a new value of the same
    shipment (sealed, so now due when the data turns stale) gets its own."""
    stale_soon = dataclasses.replace(CONTROLS, dates=ControlDates(NOW - 89 * DAY))
    opened = scan(shipment(), BOLT)
    reviews = Reviews()
    first = reviews.earliest([opened], stale_soon, NOW)
    sealed = sh.seal(opened, stale_soon, NOW).shipment
    assert sh.next_review(opened, stale_soon, NOW) == first
    assert sh.next_review(sealed, stale_soon, NOW) == reviews.earliest([sealed], stale_soon, NOW)
    final = sh.cancel(sealed, NOW).shipment
    assert reviews.earliest([final], stale_soon, NOW) is None
