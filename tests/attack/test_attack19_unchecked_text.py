"""Attack19: text no core check reads went into the journal as it came.

The shipment body's text is checked (``gate.core.text``: control characters, bidirectional
and invisible marks, lone surrogates), but three bodies were only checked for shape:

- an operator's note on ``POST /doors/{door}/acknowledge``: ``"\\ud800"`` (JSON can carry
  it, UTF-8 cannot) failed the journal write and answered 500, and an escape sequence
  (``ESC [2J``, which clears a terminal) was journaled as it came;
- the office's approval ``reason``: an escape sequence, a right-to-left override (U+202E)
  that makes ``gate audit export``'s text show in another order than it is stored;
- the office's standing licence consignee ``name``, the same.

Now each is refused with a 400 naming the field and the character; a note and a reason may
still run over lines.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate.web import app_keys
from tests.central.test_central_link import approval, callback, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import OPERATOR, Gate, gtin_with


async def _acknowledge(gate: Gate, raw: bytes) -> tuple[int, dict[str, object]]:
    status, doc = await gate.call(
        "POST",
        "/api/v1/doors/D1/acknowledge",
        raw=raw,
        content_type="application/json",
        token=None,
        auth=OPERATOR,
    )
    return status, doc


async def test_an_operators_note_is_checked_text(gate: Gate) -> None:
    """A note with a lone surrogate or an escape sequence is a 400 and the door stays held;
    a note over two lines acknowledges the hold."""
    holds = gate.app[app_keys.HOLDS]
    assert await holds.hold("D1", "north")
    for note in ("\\ud800", "ok \\u001b[2J"):
        raw = b'{"windows": 1, "note": "' + note.encode() + b'"}'
        status, doc = await _acknowledge(gate, raw)
        assert (400, True) == (status, holds.is_held("D1")), doc
    status, doc = await _acknowledge(gate, b'{"windows": 1, "note": "checked\\nby hand"}')
    assert (200, False) == (status, holds.is_held("D1")), doc


async def test_the_offices_reason_and_licence_names_are_checked_text(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """An approval whose reason holds an escape sequence or a right-to-left override is a 400
    and the shipment stays held; a reason over two lines is applied. A licence whose
    consignee name holds an override is a 400."""
    key = office_key(demo_config)
    pushed = licence_body(5)
    pushed["consignee"]["name"] = "Acme \u202eHbmG noisicerP"
    status, doc = await callback(gate, "/api/v1/licences", pushed, key=key, msg_id="msg_l")
    assert (400, "U+202E") == (status, doc["detail"][doc["detail"].find("U+") :][:6]), doc
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"]), doc
    await office.wait_for(1)
    request_id = json.loads(office.received[-1][1])["request_id"]
    for n, reason in enumerate(("ok \x1b[2J", "denied\u202e devorppa")):
        body = approval(request_id, "EXP-1", reason=reason)
        status, doc = await callback(gate, "/api/v1/approvals", body, key=key, msg_id=f"m{n}")
        assert 400 == status, doc
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "held" == doc["state"]
    body = approval(request_id, "EXP-1", reason="checked\nagainst the end-user statement")
    status, doc = await callback(gate, "/api/v1/approvals", body, key=key, msg_id="m9")
    assert (200, "cleared") == (status, doc["shipment"]["state"]), doc
