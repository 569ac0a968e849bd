"""Real headless Chromium for the status page tests, driven by Selenium from a worker thread.

The gate runs in the test's event loop on a real socket; every Selenium call is blocking, so
tests call them through ``Browser.run`` (``asyncio.to_thread``) and the loop keeps serving
the page, its event stream and its fragments meanwhile.

Chromium and ChromeDriver are Debian's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``;
``.ci/run`` installs them). If either is missing the tests fail and say so: a status page
that was never opened in a browser is not tested.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = os.environ.get("GATE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GATE_CHROMEDRIVER", "/usr/bin/chromedriver")
#: Where to copy every screenshot as well (for CI artifacts or a look by hand), if set.
SCREENSHOT_COPY = os.environ.get("GATE_PAGE_SCREENSHOTS")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-GB",
)

#: How long a check may take to come true on a busy machine before the test fails.
WAIT_SECONDS = 10.0

T = TypeVar("T")


def require_chromium() -> None:
    """Fails the test (never skips) when the browser or its driver is not installed."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the status page tests need Debian's chromium "
            "and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does)",
            pytrace=False,
        )


def start_chromium(width: int = 1280, height: int = 800) -> tuple[WebDriver, Path]:
    """A fresh headless Chromium with its own profile folder (removed by ``stop``)."""
    require_chromium()
    profile = Path(tempfile.mkdtemp(prefix="gate-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # The window size includes the browser's own frame: set the page's viewport exactly.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.set_page_load_timeout(20)
    return driver, profile


class Browser:
    """One Chromium window for one test, and the page's vocabulary on top of Selenium."""

    def __init__(self, driver: WebDriver, profile: Path, shots: Path) -> None:
        self.driver = driver
        self.profile = profile
        self.shots = shots

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs a blocking Selenium call off the event loop."""
        return await asyncio.to_thread(fn, *args)

    def stop(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # --- blocking helpers (call through ``run``) -----------------------------------------

    def wait(
        self, what: str, check: Callable[[WebDriver], Any], timeout: float = WAIT_SECONDS
    ) -> Any:
        """Polls ``check`` until it returns something truthy; fails naming ``what``.

        The deadline is generous on purpose: what is checked is that a change shows without a
        reload, not how fast (speed is measured by ``make bench``, not asserted here)."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                found = check(self.driver)
                if found:
                    return found
            except (StaleElementReferenceException, NoSuchElementException, LookupError) as exc:
                last_error = exc  # a fragment was swapped in meanwhile: look again
            if time.monotonic() >= deadline:
                raise TimeoutException(f"waited {timeout} s for {what} (last error: {last_error})")
            time.sleep(0.02)

    def login(self, url: str, name: str = "ops", password: str = "demo-ops-password") -> None:
        self.driver.get(url + "/")
        self.wait("the login form", lambda d: d.find_elements(By.ID, "password"))
        self.driver.find_element(By.ID, "name").send_keys(name)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.ID, "login").click()

    def wait_live(self) -> None:
        self.wait(
            "the page's event stream to connect",
            lambda d: "conn-live" in (self.attribute("#conn", "class") or ""),
        )

    # Reads go through one script call each: a fragment swapped in between two WebDriver
    # calls would otherwise leave a stale element behind.

    def text(self, selector: str, *, inner: bool = False) -> str:
        """The text of the first element matching ``selector`` (its textContent, or what is
        shown with ``inner``), spaces folded; "" if there is none."""
        prop = "innerText" if inner else "textContent"
        found = self.driver.execute_script(
            f"const e = document.querySelector(arguments[0]); return e ? e.{prop} : ''",
            selector,
        )
        return " ".join(str(found).split())

    def attribute(self, selector: str, name: str) -> str | None:
        found = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            " return e ? e.getAttribute(arguments[1]) : null",
            selector,
            name,
        )
        return None if found is None else str(found)

    def tile(self, door: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f'.tile[data-door="{door}"]')

    def tile_text(self, door: str) -> str:
        """The tile's text as read aloud (its textContent, spaces folded)."""
        return self.text(f'.tile[data-door="{door}"]')

    def tile_class(self, door: str) -> str:
        return self.attribute(f'.tile[data-door="{door}"]', "class") or ""

    def door(self, door: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f'article.door[data-door="{door}"]')

    def door_text(self, door: str) -> str:
        return self.text(f'article.door[data-door="{door}"]', inner=True)

    def line_text(self, key: str) -> str:
        return self.text(f'tr.line[data-key="{key}"]', inner=True)

    def line_keys(self, door: str) -> list[str]:
        keys = self.driver.execute_script(
            "return Array.from(document.querySelectorAll("
            "`article.door[data-door='${arguments[0]}'] tr.line`)).map(r => r.dataset.key)",
            door,
        )
        return [str(k) for k in keys]

    def click(self, selector: str) -> None:
        """Clicks the element, looking it up again if a fragment swap replaced it."""

        def go(d: WebDriver) -> bool:
            d.find_element(By.CSS_SELECTOR, selector).click()
            return True

        self.wait(f"a click on {selector}", go)

    def click_action(self, door: str, action: str) -> None:
        self.click(f'article.door[data-door="{door}"] button[data-action="{action}"]')

    def confirm(self, yes: bool = True) -> str:
        """Answers the open confirmation dialog; returns its question."""
        dialog = self.wait(
            "the confirmation dialog",
            lambda d: (
                d.find_element(By.ID, "confirm").get_attribute("open") is not None
                and d.find_element(By.ID, "confirm")
            ),
        )
        question = str(dialog.find_element(By.ID, "confirm-title").text)
        dialog.find_element(By.ID, "confirm-yes" if yes else "confirm-no").click()
        return question

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot written to {path}"
        if SCREENSHOT_COPY:
            Path(SCREENSHOT_COPY).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SCREENSHOT_COPY) / path.name)
        return path
