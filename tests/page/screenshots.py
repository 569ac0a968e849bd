"""The README's pictures of the operator's panel, taken with the headless browser the page's
tests use.

    .venv/bin/python -m tests.page.screenshots docs/img/

It starts a gate in this process over a copy of configs/ (free ports, a fake central office),
puts door 3 at STOP (a prohibited item), door 2 on HOLD (sealed, waiting for a licence) and
door 1 LOADING with a line that needs a licence, and photographs the page as an operator sees
it at the dock's 10-inch panel (``panel.png``, 1280x800: STOP and HOLD at the top) and on a
phone (``phone.png``, 400x800), both with the STOP's why opened. Everything is stopped at the
end. Needs Debian's chromium and chromium-driver, like tests/page.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tests.fake_office import Office, point_at
from tests.page.browser import Browser, start_chromium
from tests.service.harness import CONFIGS, Gate, free_port, gtin_with, start_gate, stop_gate

SHOTS = {"panel.png": (1280, 800), "phone.png": (400, 800)}


def _config(folder: Path) -> Path:
    target = folder / "configs"
    shutil.copytree(CONFIGS, target)
    path = target / "gate.toml"
    text = path.read_text()
    for section in ("http", "scanner"):
        text = re.sub(rf'(\[{section}\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    path.write_text(text)
    return path


async def _doors(gate: Gate, config: Path) -> str:
    """STOP at D3, HOLD at D2, LOADING at D1; returns the prohibited item's code."""
    cat2, cat1 = gtin_with(config, "9.A.4"), gtin_with(config, "1.E.1")
    for sid, door in (("S-1041", "D1"), ("S-1042", "D2"), ("S-1043", "D3")):
        await gate.create(sid, door)
    await gate.scan(cat2, "D1")
    await gate.scan(gtin_with(config, ""), "D1")
    await gate.scan(cat2, "D2")
    status, doc = await gate.call("POST", "/api/v1/shipments/S-1042/seal")
    assert 200 == status, doc
    await gate.scan(cat1, "D3")
    return cat1


def _shoot(url: str, item: str, out: Path, width: int, height: int) -> None:
    driver, profile = start_chromium(width, height)
    b = Browser(driver, profile, out.parent)
    try:
        b.login(url)
        b.wait_live()
        row = f'tr.line[data-key="{item}"]'
        b.wait("the STOP's line", lambda d: b.text(row))
        b.wait("the alert", lambda d: b.text("#alerts button[data-ack]"))
        b.click(f"{row} summary")
        driver.execute_script("window.scrollTo(0, 0)")
        # The STOP flashes: photograph it in its red phase.
        driver.execute_script(
            "for (const t of document.querySelectorAll('.sig-flash'))"
            " t.style.animationPlayState = 'paused';"
        )
        assert driver.save_screenshot(str(out)), f"no screenshot written to {out}"
    finally:
        b.stop()


async def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gate-shots-") as tmp:
        config = _config(Path(tmp))
        office = Office(free_port())
        point_at(config, office)
        await office.start()
        gate = await start_gate(config)
        try:
            item = await _doors(gate, config)
            for name, (width, height) in SHOTS.items():
                await asyncio.to_thread(_shoot, gate.url, item, folder / name, width, height)
                print(folder / name)
        finally:
            await stop_gate(gate)
            await office.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")))
