"""Browser helpers for page tests: Debian's chromium driven by Playwright, axe-core checks, and
screenshots at phone and desktop widths into one folder per test run.

The folder is ``$INTEROP_SCREENSHOT_DIR`` when set, else a fresh ``interop-screens-<UTC time>`` under the
system temporary folder; its path is printed once. Engineer s18b's helpers; the lead may fold them into
s18a's harness at merge.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("INTEROP_CHROMIUM", "/usr/bin/chromium")
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
SERIOUS = ("serious", "critical")


@cache
def screenshot_dir() -> Path:
    chosen = os.environ.get("INTEROP_SCREENSHOT_DIR")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = Path(chosen) if chosen else Path(tempfile.gettempdir()) / f"interop-screens-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/app/login")
    await page.get_by_label("Usuario").fill(username)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_role("button", name="Entrar").click()
    await page.wait_for_url(f"{base}/app/")


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (rule id and nodes)."""
    result = await Axe().run(page)
    violations: list[dict[str, Any]] = result.response.get("violations", [])
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v.get("impact") in SERIOUS
    ]


async def screenshots(page: Page, name: str) -> list[Path]:
    """The page at each width (full length), as ``<name>-phone.png`` and ``<name>-desktop.png``."""
    out = []
    for label, size in WIDTHS.items():
        await page.set_viewport_size(size)
        path = screenshot_dir() / f"{name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        out.append(path)
    await page.set_viewport_size(WIDTHS["desktop"])
    return out
