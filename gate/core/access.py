"""Who may do what (DESIGN.md "Who may do what"), as one table.

Every client of the gate has a role: a ``scanner`` posts scans; the ``wms`` creates, seals,
dispatches and cancels shipments, screens a party (``POST /screen``) and reads everything; an
``operator`` (a person on the status page, or on the API with HTTP Basic) reads everything,
seals, removes lines, dispatches, cancels, screens a party and acknowledges an alert on the
page. Nobody at the gate can release a licence hold or clear a screening hit: only a signed
approval or clearance from the central office can, and the office is not a role here (it
proves itself by signature, ``gate.core.signatures``). The table below is the one place that
says this; the web layer asks ``may`` before a handler touches anything, and a test pins each
row to the design's sentence.

Pure: values in, values out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """A client's role, as written in the configuration (``role = "wms"``)."""

    SCANNER = "scanner"
    WMS = "wms"
    OPERATOR = "operator"


class Action(StrEnum):
    """Something a request asks the gate to do."""

    READ = "read"  # any GET of the API: items, shipments, doors, licences, status, events
    SCAN = "scan"
    CREATE = "create"
    SEAL = "seal"
    REMOVE_LINE = "remove_line"
    DISPATCH = "dispatch"
    CANCEL = "cancel"
    RELEASE_HOLD = "release_hold"  # in the table so that "nobody" is written down
    SCREEN = "screen"  # POST /screen: check a party before booking a shipment
    CLEAR_HIT = "clear_hit"  # nobody: only a signed clearance from the central office can
    #: a person at the door: goods passed without a readable tag, checked by hand (DESIGN 4)
    ACKNOWLEDGE_DOOR = "acknowledge_door"
    ACKNOWLEDGE = "acknowledge"  # an alert on the status page: "I have seen it"


#: role -> the actions it may take; one line per role of DESIGN.md.
MAY: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.SCANNER: frozenset({Action.SCAN}),
        Role.WMS: frozenset(
            {
                Action.READ,
                Action.CREATE,
                Action.SEAL,
                Action.DISPATCH,
                Action.CANCEL,
                Action.SCREEN,
            }
        ),
        Role.OPERATOR: frozenset(
            {
                Action.READ,
                Action.SEAL,
                Action.REMOVE_LINE,
                Action.DISPATCH,
                Action.CANCEL,
                Action.SCREEN,
                Action.ACKNOWLEDGE_DOOR,
                Action.ACKNOWLEDGE,
            }
        ),
    }
)


def may(role: str, action: Action) -> bool:
    """Whether a client of ``role`` may take ``action``; False for an unknown role."""
    try:
        return action in MAY[Role(role)]
    except ValueError:
        return False


def roles_for(action: Action) -> frozenset[Role]:
    """The roles that may take ``action`` (empty for ``RELEASE_HOLD``)."""
    return frozenset(role for role, actions in MAY.items() if action in actions)
