"""python-telegram-bot's request interface on aiohttp, for the calls made in bursts.

Answering a burst of button presses is one answerCallbackQuery per press; through
httpx each call cost about 3 ms of CPU, through aiohttp about 0.6 ms (measured against
the fake Bot API, docs/benchmarks.md). Only the transport changes: python-telegram-bot
still encodes the request and turns Telegram's answers into its exceptions, which
``errors.py`` maps as for every other call.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(self, *, pool_size: int = 16, timeout: float = 10.0) -> None:
        self._pool_size = pool_size
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                trust_env=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is not None and request_data.contains_files:
            raise NetworkError("file uploads are not supported by this transport")
        await self.initialize()
        assert self._session is not None
        # A JSON body, which the Bot API accepts: cheaper to build than a form.
        body = request_data.parameters if request_data else None
        # A call's own read timeout (a long poll's is its wait plus a margin) on top of
        # the connection's; otherwise the transport's.
        seconds = read_timeout if isinstance(read_timeout, int | float) else None
        timeout = aiohttp.ClientTimeout(total=self._timeout + seconds) if seconds else None
        try:
            async with self._session.request(method, url, json=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut("Timed out") from exc
        except aiohttp.ClientError as exc:
            # The text may quote the URL, which holds the token: errors.py scrubs it.
            raise NetworkError(f"aiohttp: {exc!r}") from exc
