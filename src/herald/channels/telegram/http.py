"""The one HTTP stack for every Bot API call: JSON over a pooled aiohttp session.

Why aiohttp, and why without python-telegram-bot: a send through PTB's ``Bot`` and
its httpx transport cost about 8 ms of CPU (building Telegram objects for the request
and for the answer, httpx's pool and header handling), which capped one worker at
about 90 sends/s. Long polls and callback answers already ran on aiohttp, whose C HTTP
parser and connection pool cost a fraction of httpx's per call; so every call now
goes the same way: we write the method's JSON ourselves, POST it on one
``ClientSession`` per client, and hand Telegram's answer (``{"ok": ..., "result" |
"error_code", "description", "parameters"}``) to the error map in ``errors.py``, the
only place that decides what a refusal means. One stack also means one timeout rule,
one pool and one place that keeps the token out of errors and logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from yarl import URL

from herald.channels.telegram.errors import (
    TelegramCallError,
    TelegramReason,
    outcome_for_exception,
    refusal,
    scrub,
)
from herald.queue import Transient

DEFAULT_API_URL = "https://api.telegram.org"
# Loggers that could quote a request URL, which holds the token.
URL_LOGGERS = ("aiohttp.client", "aiohttp.internal")
_JSON_HEADERS = {"Content-Type": "application/json"}
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(params: dict[str, Any]) -> bytes:
    """A method's parameters as the JSON body the Bot API takes."""
    return _encode(params).encode()


class ScrubToken(logging.Filter):
    """Rewrites a record that quotes the token; a filter on the logger, so it runs
    before any handler (ours, pytest's, an operator's) sees the record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report, not ours
            return True
        if self._token in message:
            record.msg, record.args = scrub(message, self._token), None
        return True


class BotHttp:
    """Calls Bot API methods for one token; every failure is a ``TelegramCallError``.

    The session is opened on first use (inside the event loop) and never after
    ``close()``: a closed client fails its calls at once instead of hanging.
    """

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 10.0,
        pool_size: int = 100,
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required")
        self.token = token
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._urls: dict[str, URL] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._filter = ScrubToken(token)
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)

    def _url(self, method: str) -> URL:
        url = self._urls.get(method)
        if url is None:
            try:
                url = self._urls[method] = URL(self._base + method)
            except ValueError as exc:  # the text quotes the URL: scrubbed
                raise TelegramCallError(outcome_for_exception(exc, token=self.token)) from None
        return url

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise TelegramCallError(
                Transient(error="network: client closed", reason=TelegramReason.NETWORK)
            )
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300),
                timeout=self._timeout,
                trust_env=False,
            )
        return self._session

    async def post(
        self, method: str, body: bytes | aiohttp.FormData, *, time_limit: float | None = None
    ) -> Any:
        """POST an encoded body (JSON bytes, or a multipart form carrying files) to
        ``method``; its ``result``, or TelegramCallError.

        ``time_limit``: this call's own limit in seconds (a long poll's is its wait plus a
        margin, an upload's room for its bytes), instead of the client's.
        """
        session = self._open()
        limit = self._timeout if time_limit is None else aiohttp.ClientTimeout(total=time_limit)
        headers = _JSON_HEADERS if isinstance(body, bytes) else None
        try:
            async with session.post(
                self._url(method), data=body, headers=headers, timeout=limit
            ) as response:
                status = response.status
                raw = await response.read()
        except TelegramCallError:
            raise
        except Exception as exc:  # the cause may quote the URL: not chained
            raise TelegramCallError(outcome_for_exception(exc, token=self.token)) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if status == 200 and type(answer) is dict and answer.get("ok") is True:
            return answer.get("result")
        raise refusal(status, answer, token=self.token)

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, time_limit: float | None = None
    ) -> Any:
        return await self.post(method, encode(params or {}), time_limit=time_limit)

    @property
    def timeout(self) -> float:
        return float(self._timeout.total or 0.0)

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)
