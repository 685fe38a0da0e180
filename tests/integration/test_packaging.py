"""The wheel alone runs herald: built, installed without the test extra into a fresh
virtualenv, and sending a Telegram alert to the fake Bot API.

Runtime dependencies are declared exactly (pyproject.toml): a module the running code
imports but only a test dependency pulled in would fail here, and python-telegram-bot,
pywebpush and py-vapid, which only tests and benchmarks use, must not be installed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.alerts import SL_VARS
from tests.support.fake_telegram import FakeTelegram
from tests.support.ports import free_port
from tests.support.processes import herald_env, wait_ready

ROOT = Path(__file__).resolve().parents[2]


def run(*cmd: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
async def test_the_wheel_alone_serves_and_sends_to_telegram(tmp_path: Path) -> None:
    dist, venv = tmp_path / "dist", tmp_path / "venv"
    pip_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    await asyncio.to_thread(
        run, sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ROOT, env=pip_env
    )
    [wheel] = dist.glob("herald-*.whl")
    await asyncio.to_thread(run, sys.executable, "-m", "venv", venv)
    await asyncio.to_thread(run, venv / "bin" / "pip", "install", "-q", wheel, env=pip_env)
    for module in ("telegram", "pywebpush", "py_vapid", "httpx"):  # test-only
        found = run(
            venv / "bin" / "python",
            "-c",
            f"import importlib.util as u; print(u.find_spec('{module}'))",
        )
        assert found.strip() == "None", f"{module} is installed with the wheel"

    herald = venv / "bin" / "herald"
    async with FakeTelegram() as telegram:
        port = free_port()
        env = {
            **herald_env(f"sqlite:///{tmp_path / 'herald.db'}"),
            "HERALD_PORT": str(port),
            "HERALD_TELEGRAM_BOT_TOKEN": telegram.token,
            "HERALD_TELEGRAM_API_URL": telegram.url,
            "HERALD_TELEGRAM_UPDATES": "off",
        }
        env.pop("PYTHONPATH", None)  # nothing from this checkout: the wheel only
        await asyncio.to_thread(run, herald, "migrate", env=env, cwd=tmp_path)
        out = await asyncio.to_thread(
            run, herald, "keys", "create", "--role", "admin", "--name", "t", env=env, cwd=tmp_path
        )
        key = next(w for w in out.split() if w.startswith("hk_"))
        with (tmp_path / "serve.log").open("wb") as log:
            serve = subprocess.Popen(  # noqa: ASYNC220
                [herald, "serve"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            await wait_ready(port)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
            ) as client:
                put = await client.put("/api/v1/recipients/u1", json={"telegram_chat_id": 4242})
                assert put.status_code in (200, 201), put.text
                sent = await client.post(
                    "/api/v1/notifications",
                    json={
                        "recipients": ["u1"],
                        "template": "position_sl_failed",
                        "vars": SL_VARS,
                    },
                )
                assert sent.status_code == 202, sent.text
            for _ in range(200):
                if telegram.messages:
                    break
                await asyncio.sleep(0.05)
            [message] = telegram.messages
            assert message["chat"]["id"] == 4242
            assert "EURUSD" in message["text"]
        finally:
            serve.terminate()
            await asyncio.to_thread(serve.wait, 30)
