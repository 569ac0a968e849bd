"""Makes docs/status-page.png: the status page during a demo run, as an operator sees it.

    .venv/bin/python docs/screenshot.py [--out docs/status-page.png]

What it runs, all on this machine and all stopped at the end:

- a copy of configs/ in a temporary folder, on free ports, with a small fake central office
  that takes every licence request (so the link shows healthy);
- ``gate serve`` on that copy (the same service ``make run`` starts);
- at door D3 a shipment of gyroscopes to India sealed and held for a licence, the way a WMS
  and a scanner would post it;
- ``gate simulate`` driving doors D1 and D2 with realistic scan traffic;
- headless Chromium (Debian's, as in tests/page) logged in as the demo operator at the
  10-inch panel's size, 1280x800, taking a picture every half second while the traffic runs.

It keeps the picture that shows the most at once (different signals at the doors, lines on
the page, recent scans) and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gate.config.settings import load_config  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.page.browser import Browser, start_chromium  # noqa: E402
from tests.service.harness import gtin_with  # noqa: E402


def prepare(folder: Path, office_port: int) -> Path:
    target = folder / "configs"
    shutil.copytree(ROOT / "configs", target)
    path = target / "gate.toml"
    text = path.read_text()
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = text.replace('url = "http://127.0.0.1:9090"', f'url = "http://127.0.0.1:{office_port}"')
    path.write_text(text)
    return path


async def start_office(port: int) -> web.AppRunner:
    async def take(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"accepted": True}, status=202)

    app = web.Application()
    app.router.add_post("/licence-requests", take)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url + "/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the gate did not become ready")
            await asyncio.sleep(0.2)


async def held_shipment(url: str, config_path: Path) -> None:
    """A shipment at D3 sealed and held for a licence (gyroscopes to India)."""
    config = load_config(config_path)
    wms = next(c.token for c in config.clients if c.role == "wms")
    scanner = next(c.token for c in config.clients if c.name == "scanner-door-3")
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: Any, token: str) -> Any:
            async with session.post(
                url + path, json=body, headers={"Authorization": f"Bearer {token}"}
            ) as r:
                assert r.status < 300, await r.text()
                return await r.json()

        sid = f"WMS-{int(time.time()) % 100000:05d}"
        await post(
            "/api/v1/shipments",
            {
                "id": sid,
                "door": "D3",
                "destination": "IN",
                "consignee": {"name": "Bharat Avionics Pvt Ltd", "country": "IN"},
                "end_use": "civil aircraft navigation",
            },
            wms,
        )
        codes = [gtin_with(config_path, "9.A.4"), gtin_with(config_path, "9.A.4", 1)]
        codes += [gtin_with(config_path, "", n) for n in range(3)]
        for n, code in enumerate(codes + codes[:1]):
            scan = {"scan_id": f"{sid}-{n}", "reader": "d3-hand", "door": "D3", "code": code}
            await post("/api/v1/scans", scan, scanner)
        await post(f"/api/v1/shipments/{sid}/seal", None, wms)


def score(browser: Browser) -> tuple[int, int, int]:
    """How much a picture shows: distinct door signals, active tiles, lines on the page."""
    found = browser.driver.execute_script(
        "return [Array.from(document.querySelectorAll('.tile'), t => t.className),"
        " document.querySelectorAll('tr.line').length]"
    )
    classes, lines = found[0], int(found[1])
    signals = {c.split()[-1] for c in classes} - {"sig-idle"}
    active = sum("sig-idle" not in c for c in classes)
    return (len(signals), active, min(lines, 12))


async def main(out: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory(prefix="gate-demo-") as tmp:
        folder = Path(tmp)
        office_port = free_port()
        config_path = prepare(folder, office_port)
        config = load_config(config_path)
        url = f"http://{config.http}"
        office = await start_office(office_port)
        serve = subprocess.Popen(
            [sys.executable, "-m", "gate", "serve", "--config", str(config_path)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        driver, profile = await asyncio.to_thread(start_chromium, width, height)
        browser = Browser(driver, profile, folder)
        simulate: subprocess.Popen[bytes] | None = None
        try:
            await wait_ready(url)
            await held_shipment(url, config_path)
            await browser.run(browser.login, url)
            await browser.run(browser.wait_live)
            simulate = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gate",
                    "simulate",
                    "--config",
                    str(config_path),
                    "--doors",
                    "D1,D2",
                    "--shipments",
                    "3",
                    "--rate",
                    "3",
                    "--seed",
                    "7",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            best: tuple[tuple[int, int, int], Path] | None = None
            n = 0
            while simulate.poll() is None and n < 240:
                await asyncio.sleep(0.5)
                n += 1
                value = await browser.run(score, browser)
                shot = await browser.run(browser.screenshot, f"demo-{n:03d}")
                if best is None or value > best[0]:
                    best = (value, shot)
            if best is None:
                raise SystemExit("no screenshot was taken")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(best[1], out)
            print(f"wrote {out} (signals, active doors, lines: {best[0]})")
        finally:
            if simulate is not None and simulate.poll() is None:
                simulate.terminate()
                simulate.wait(10)
            await asyncio.to_thread(browser.stop)
            serve.terminate()
            serve.wait(15)
            await office.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "status-page.png")
    parser.add_argument("--size", default="1280x800", help="viewport, WIDTHxHEIGHT (1280x800)")
    args = parser.parse_args()
    width, _, height = args.size.partition("x")
    asyncio.run(main(args.out, int(width), int(height)))
