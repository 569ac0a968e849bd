"""Attack20: text the gate journals as it came went raw to the officer's terminal.

A rejected scan is journaled with its code as it came (the decoder refuses the characters, it
does not change them), and a refused request with its path (percent-decoded). ``gate audit
export`` writes JSON lines readable as text (``ensure_ascii`` off): JSON escapes C0 controls,
but a C1 CSI (U+009B, the one-character ``ESC [``), a right-to-left override (U+202E) and a
line separator (U+2028) went to standard output as they were. So a barcode (a Data Matrix
carries any bytes; a text-tcp scanner sends them on), a scanner client, or anyone who can
reach the port (``GET /api/v1/%C2%9B...``, no token) could write ``CSI 1 A CSI 2 K`` (cursor
up, erase the line) into the export the officer reads in a terminal that honours C1
controls: the line above it, a prohibited scan's record, gone from the screen. The override
showed the rest of a line in reverse.

Now ``gate audit export`` (and a report's JSON) writes each such character as ``\\uXXXX``:
the line reads back as the same JSON value, and shows what is there.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gate.storage.store import connect_readonly
from tests.service.harness import Gate, child_env, gate_command

#: Cursor up, erase the line (C1 CSI); a right-to-left override; a line separator; DEL.
HOSTILE = ("\u009b1A\u009b2K", "AB\u202eCD", "x\u2028y", "z\u007f")
RAW = ("\u009b", "\u202e", "\u2028", "\u007f")


async def test_the_export_writes_no_terminal_control_and_reads_back_the_same(
    gate: Gate, demo_config: Path
) -> None:
    """Rejected scans whose codes hold a C1 CSI, a bidirectional override, a line separator
    and DEL, and an unauthenticated request whose path holds a CSI, are journaled as they
    came (a scan id or reader name with them is refused as checked text); ``gate audit
    export`` shows none of those characters raw, and each of its lines parses to the record
    as stored."""
    for code in HOSTILE:
        assert "rejected" == (await gate.scan(code))["status"]
    # A scan id or reader name with them is refused before it is a scan (checked text): its
    # refusal journals the scan as ASCII-escaped JSON, which shows nothing raw either.
    for name in ("scan_id", "reader"):
        answer = await gate.scan("09506000014715", **{name: "x\u009b2J\u202e"})
        assert ("rejected", name) == (answer["status"], answer["field"])
    status, _ = await gate.call("GET", "/api/v1/shipments/%C2%9B2J", token=None)
    assert 401 == status
    conn = connect_readonly(gate.config.database)
    try:
        stored = [json.loads(d) for (d,) in conn.execute("SELECT data FROM audit ORDER BY seq")]
    finally:
        conn.close()
    codes = [d.get("code") for d in stored if "code" in d]
    assert list(HOSTILE) == codes[-len(HOSTILE) :]
    assert any("\u009b2J" in str(d.get("path")) for d in stored)

    done = subprocess.run(
        gate_command("audit", "export", "--config", str(demo_config)),
        capture_output=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    shown = done.stdout.decode("utf-8")
    assert (0, []) == (done.returncode, [c for c in RAW if c in shown])
    assert stored == [json.loads(line)["data"] for line in shown.splitlines()]
