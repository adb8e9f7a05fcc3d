"""The one browser harness of the page tests: Debian's chromium driven by Playwright (never Playwright's
own download), axe-core checks, and screenshots at phone and desktop widths.

Screenshots go to ``test-artifacts/screenshots/`` (``INTEROP_SCREENSHOTS`` to change) as
``<name>-phone.png`` and ``<name>-desktop.png``. Two faces over the same browser, widths, folder and axe
rule: async helpers for tests on the async fixtures (``tests/web/test_units_browser.py``) and a sync
``check_page`` for the sync tests of ``tests/web/browser/`` (Playwright's sync API cannot run inside an
event loop).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe as AsyncAxe
from axe_playwright_python.sync_playwright import Axe as SyncAxe
from playwright.async_api import Browser, async_playwright
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Page as SyncPage

CHROMIUM = os.environ.get("INTEROP_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
SERIOUS = ("serious", "critical")


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("INTEROP_SCREENSHOTS", "test-artifacts/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations: rule id, impact, help text and the first nodes."""
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v.get("help", ""),
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
        if v.get("impact") in SERIOUS
    ]


# Async face --------------------------------------------------------------------------------------------


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: AsyncPage, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/app/login")
    await page.get_by_label("Usuario").fill(username)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_role("button", name="Entrar").click()
    await page.wait_for_url(f"{base}/app/")


async def serious_violations(page: AsyncPage) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    result = await AsyncAxe().run(page)
    return serious(result.response.get("violations", []))


async def screenshots(page: AsyncPage, name: str) -> list[Path]:
    """The page at each width (full length), as ``<name>-phone.png`` and ``<name>-desktop.png``."""
    out = []
    for label, size in WIDTHS.items():
        await page.set_viewport_size(size)
        path = screenshot_dir() / f"{name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        out.append(path)
    await page.set_viewport_size(DESKTOP)
    return out


# Sync face ---------------------------------------------------------------------------------------------

_sync_axe = SyncAxe()


def check_page(page: SyncPage, name: str) -> None:
    """No serious or critical axe-core violation, screenshots at desktop and phone widths, and no sideways
    scrolling on a phone."""
    bad = serious(_sync_axe.run(page).response["violations"])
    assert not bad, f"{name}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in bad)
    size: Any = page.viewport_size or DESKTOP
    page.screenshot(path=str(screenshot_dir() / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    phone = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(screenshot_dir() / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(size)
    assert phone <= PHONE["width"] + 1, f"{name}: the page scrolls sideways on a phone ({phone}px)"
