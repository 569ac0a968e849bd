"""Attack17: a signed callback whose body names a key twice was applied with the last value.

``{"decision": "denied", ..., "decision": "approved"}`` is one body with two readings: JSON
parsers disagree on which one counts (Python's and Go's take the last, others the first or
refuse it; I-JSON, RFC 7493, forbids it), and msgpack says nothing. The gate took the last
and released the hold, where the office's own records of the same signed bytes may say
"denied". Since review17 the same holds for msgpack bodies. A signature over ambiguous bytes
settles nothing: such a body is refused now (400, nothing changes), as JSON and as msgpack.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import msgpack

from gate.core.signatures import signed_headers
from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate


async def _state(gate: Gate) -> str:
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    return str(doc["state"])


async def test_a_json_approval_naming_the_decision_twice_changes_nothing(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-DUP")
    text = '{"decision": "denied", ' + json.dumps(body)[1:]
    status, answer = await callback(
        gate, "/api/v1/approvals", text.encode(), key=office_key(demo_config)
    )
    assert 400 == status, answer
    assert "held" == await _state(gate)


async def test_a_msgpack_approval_naming_the_decision_twice_changes_nothing(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-DUP")
    body.pop("decision")
    # map16 header, then "decision": "denied", then the body's pairs, "decision": "approved".
    pairs = [("decision", "denied"), *body.items(), ("decision", "approved")]
    raw = b"\xde" + len(pairs).to_bytes(2, "big")
    raw += b"".join(msgpack.packb(k) + msgpack.packb(v) for k, v in pairs)
    headers = signed_headers("msg_dup", int(time.time()), raw, private_key=office_key(demo_config))
    headers["Content-Type"] = "application/msgpack"
    async with gate.session.post(gate.url + "/api/v1/approvals", data=raw, headers=headers) as r:
        assert 400 == r.status, await r.text()
    assert "held" == await _state(gate)
