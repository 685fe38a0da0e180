"""`herald doctor` as a subprocess against real peers: what works, what does not, and
the exit code a deploy script gates on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from herald.channels.push import vapid
from tests.integration.test_cli import env, herald  # noqa: F401 (fixture)
from tests.support.fake_telegram import FakeTelegram
from tests.support.smtp import SMTPTestServer


def checks(result_stdout: str) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], c["detail"]) for c in json.loads(result_stdout)}


async def test_everything_configured_and_working(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    private, public = vapid.generate_keypair()
    assert herald("migrate", env=env, cwd=tmp_path).returncode == 0
    with SMTPTestServer(security="none", username="herald", password="s3cret-pw") as smtp:
        async with FakeTelegram() as telegram:
            extra = {
                "HERALD_TELEGRAM_BOT_TOKEN": telegram.token,
                "HERALD_TELEGRAM_API_URL": telegram.url,
                "HERALD_SMTP_HOST": smtp.host,
                "HERALD_SMTP_PORT": str(smtp.port),
                "HERALD_SMTP_SECURITY": "none",
                "HERALD_SMTP_USERNAME": "herald",
                "HERALD_SMTP_PASSWORD": "s3cret-pw",
                "HERALD_VAPID_PRIVATE_KEY": private,
                "HERALD_VAPID_PUBLIC_KEY": public,
                "HERALD_PUBLIC_URL": "https://herald.example.com",
            }
            done = await asyncio.to_thread(
                herald, "doctor", "--json", env=env, cwd=tmp_path, **extra
            )
    assert done.returncode == 0, done.stdout + done.stderr
    found = checks(done.stdout)
    assert {name: status for name, (status, _) in found.items()} == {
        "database": "ok",
        "telegram": "ok",
        "email": "ok",
        "push": "ok",
        "public url": "ok",
    }
    assert "@herald_test_bot" in found["telegram"][1]
    assert "logged in as herald" in found["email"][1]
    assert telegram.token not in done.stdout and "s3cret-pw" not in done.stdout


async def test_what_fails_is_said_and_exits_1(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    private, _ = vapid.generate_keypair()
    _, other_public = vapid.generate_keypair()
    with SMTPTestServer(security="none", username="herald", password="right") as smtp:
        async with FakeTelegram() as telegram:
            extra = {
                "HERALD_TELEGRAM_BOT_TOKEN": "123456:AAWrongTokenWrongTokenWrongToken-xyz",
                "HERALD_TELEGRAM_API_URL": telegram.url,
                "HERALD_SMTP_HOST": smtp.host,
                "HERALD_SMTP_PORT": str(smtp.port),
                "HERALD_SMTP_SECURITY": "none",
                "HERALD_SMTP_USERNAME": "herald",
                "HERALD_SMTP_PASSWORD": "wrong-password-here",
                "HERALD_VAPID_PRIVATE_KEY": private,
                "HERALD_VAPID_PUBLIC_KEY": other_public,
            }
            done = await asyncio.to_thread(
                herald, "doctor", "--json", env=env, cwd=tmp_path, **extra
            )
    assert done.returncode == 1
    found = checks(done.stdout)
    assert found["database"][0] == "fail" and "herald migrate" in found["database"][1]
    assert found["telegram"][0] == "fail" and "getMe failed" in found["telegram"][1]
    assert found["email"][0] == "fail"
    assert found["push"][0] == "fail"
    assert found["public url"][0] == "warn"
    assert "no unsubscribe or preference links" in found["public url"][1]
    assert "wrong-password-here" not in done.stdout + done.stderr
    assert "AAWrongToken" not in done.stdout + done.stderr
    table = await asyncio.to_thread(herald, "doctor", env=env, cwd=tmp_path)
    assert table.returncode == 1 and "herald doctor" in table.stdout  # the rich table
