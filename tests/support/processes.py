"""Waiting for a real `herald serve` (or any app with /readyz) started as a subprocess."""

from __future__ import annotations

import asyncio

import httpx


async def wait_ready(port: int, seconds: float = 60) -> None:
    """Return once ``GET /readyz`` on the port answers 200; TimeoutError after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"nothing ready on port {port} after {seconds:.0f} s")
            await asyncio.sleep(0.2)
