"""Browser tests: the service served by uvicorn on loopback, driven by Debian's chromium through
Playwright; the browser, widths, screenshots and axe checks are ``tests/web/browser_harness.py``'s.

The tests are plain (sync) functions: Playwright's sync API cannot run inside an event loop, so the
database is seeded with ``asyncio.run`` in another thread, on an engine of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.browser_harness import CHROMIUM, DESKTOP, LAUNCH_ARGS

from interop.config import Settings
from interop.db.engine import create_engine, create_sessionmaker

T = TypeVar("T")


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    """The served app's settings (the job worker on, so the audit sequencer signs heads)."""
    return settings.model_copy(update={"run_worker": True})


@pytest.fixture
def live(live_settings: Settings, live_server_class: type[Any]) -> Iterator[Any]:
    server = live_server_class(live_settings)
    server.start()
    yield server
    server.stop()


def in_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on the test database, from a sync test."""

    async def run() -> T:
        engine = create_engine(settings, str(settings.database_url))
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    # Playwright's sync API keeps an event loop running on this thread: run ours on another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


@pytest.fixture
def page(live: Any) -> Iterator[Page]:
    """A fresh chromium for each test, started after the database and the server are up: Playwright's
    sync API keeps an event loop running on this thread, which the async database fixtures (set up
    before it, torn down after it) could not share."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(base_url=live.url, locale="es-MX", viewport=DESKTOP)
        yield context.new_page()
        context.close()
        browser.close()
