"""A failed page login is journaled without keeping what might be a password: the typed name
is kept only when it is an operator's (the attack typed a secret into the name field and found
it in the journal, which is kept for years and exported)."""

from __future__ import annotations

import json
from pathlib import Path

from gate.storage.store import connect_readonly
from tests.service.harness import Gate
from tests.web.test_login_throttle import OPS
from tests.web.test_page_login_throttle import page_login

SECRET = "LEAKMARK-hunter2-typed-in-the-wrong-field"


def failed_logins(g: Gate) -> list[dict[str, object]]:
    conn = connect_readonly(g.config.database)
    try:
        rows = conn.execute(
            "SELECT data FROM audit WHERE kind = 'operator.login_failed' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(data) for (data,) in rows]


async def test_a_name_no_operator_has_is_not_journaled(gate: Gate, demo_config: Path) -> None:
    """A login with an unknown name records the attempt with no name; one with an
    operator's name and a wrong password records that name."""
    assert 401 == await page_login(gate, SECRET, "x")
    assert 401 == await page_login(gate, OPS[0], "wrong")
    assert [None, OPS[0]] == [row["name"] for row in failed_logins(gate)]
    conn = connect_readonly(gate.config.database)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert SECRET not in dump
