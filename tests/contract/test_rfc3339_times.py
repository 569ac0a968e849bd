"""The office's times are RFC 3339 (DESIGN.md 4: a licence's ``valid_from`` and
``valid_until``, an approval's ``licence.valid_until``), and RFC 3339 5.6 lets "T" and "Z" be
written in lower case: such a time is read as the upper-case one."""

from __future__ import annotations

from pathlib import Path

from tests.central.test_central_link import approval, callback, held, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import Gate


def lower(text: str) -> str:
    """``2026-12-01T10:00:00+00:00`` as ``2026-12-01t10:00:00z``."""
    return text.replace("+00:00", "Z").lower()


async def test_a_licence_with_lower_case_t_and_z_is_stored(gate: Gate, demo_config: Path) -> None:
    """A pushed licence whose times use "t" and "z" is stored with the same times."""
    body = licence_body(5, "SL-LC")
    body = {
        **body,
        "valid_from": lower(body["valid_from"]),
        "valid_until": lower(body["valid_until"]),
    }
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert (200, "SL-LC") == (status, answer.get("number")), answer


async def test_an_approval_with_lower_case_t_and_z_releases_the_hold(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """An approval whose licence runs to a time written with "t" and "z" clears the hold."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-LC")
    body["licence"]["valid_until"] = lower(body["licence"]["valid_until"])
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer.get("shipment", {}).get("state")), answer
