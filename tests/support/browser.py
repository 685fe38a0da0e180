"""A real browser on a real server: the app under uvicorn on loopback, and Debian's
Chromium driven by Playwright (its own browser download is never used).

Screenshots go to ``test-artifacts/screenshots`` (``HERALD_TEST_ARTIFACTS`` moves
it), for a person or CI to look at after the run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from herald.config import Settings
from herald.runtime import Runtime
from herald.web import create_app
from tests.support.ports import free_port

CHROMIUM = "/usr/bin/chromium"
# Headless, as root, and quiet: this machine's network is closed, so no background
# fetches (updates, sync, safe browsing) that would only be refused.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("HERALD_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"


@asynccontextmanager
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free loopback port, for as long as the block runs."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def live_app(settings: Settings) -> AsyncIterator[tuple[str, Runtime]]:
    """herald's app for ``settings`` under uvicorn (no worker, scheduler or polling),
    with its runtime, closed afterwards."""
    runtime = Runtime.build(settings)
    app = create_app(
        settings, runtime=runtime, run_worker=False, run_scheduler=False, poll_updates=False
    )
    try:
        async with live_server(app) as url:
            yield url, runtime
    finally:
        await runtime.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
