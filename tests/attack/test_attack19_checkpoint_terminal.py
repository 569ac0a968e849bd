"""Attack19: a forged checkpoint file wrote its own "audit journal OK" to the officer's
terminal.

``gate audit verify --checkpoint FILE`` names the checkpoint in its one line, also when the
signature does not verify: ``checkpoint <checkpoint_id>: the signature does not verify ...``.
The id came from the file unchecked, so a file whose id was a carriage return, an erase-line
escape, ``audit journal OK: 30 records``, a line feed, ``head: record 30, hash ...`` and the
escape that hides the rest of the line (SGR 8, conceal) showed the officer two lines of a
journal that verified. The exit status was 1, but the officer reads the screen.

Now every text field of a checkpoint file must be printable (no control characters, no
bidirectional or invisible marks): such a file is refused as not a checkpoint, and nothing
of it reaches the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate.config.settings import load_config
from tests.store.test_checkpoints import gate, journal_with_checkpoint

FORGED_ID = "\r\x1b[2Kaudit journal OK: 30 records\nhead: record 30, hash " + "0" * 64 + "\x1b[8m"


async def test_a_checkpoint_with_control_characters_prints_none_of_them(
    demo_config: Path, tmp_path: Path
) -> None:
    """A checkpoint file whose id holds escapes and line breaks is refused with one line, and
    neither standard output nor standard error carries an escape or the forged text."""
    taken = await journal_with_checkpoint(load_config(demo_config).database)
    for field, value in (("checkpoint_id", FORGED_ID), ("created_at", "2026\u202e")):
        doc = {**taken.document(), field: value}
        kept = tmp_path / "checkpoint.json"
        kept.write_text(json.dumps(doc))
        done = gate("audit", "verify", "--config", str(demo_config), "--checkpoint", str(kept))
        shown = done.stdout + done.stderr
        assert (1, False, False, False) == (
            done.returncode,
            "\x1b" in shown,
            "\u202e" in shown,
            "audit journal OK" in shown,
        ), shown
