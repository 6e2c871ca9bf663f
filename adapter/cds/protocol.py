"""uvicorn's HTTP/1.1 protocols with a request-head timeout and, for httptools, a head size cap.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits for ever on a
client that sends a request head slowly (slowloris), and its httptools protocol buffers head
fields without bound. These subclasses close a connection whose request line and headers have
not all arrived ``header_timeout`` seconds after the connection opened or the head began, and
refuse a head over ``max_header_bytes`` (400, connection closed). h11 caps the head itself
(``h11_max_incomplete_event_size``).

uvicorn builds a protocol from its own config only, and ``--workers`` processes rebuild that
config from a pickle, so the two limits are read from the ``SPINEMETS_*`` settings of the
process, once.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["H11HeadTimeout", "HttpToolsHeadTimeout"]


@functools.cache
def _limits() -> tuple[float, int]:
    from adapter.cds.settings import load_settings

    settings = load_settings()
    return settings.header_timeout, settings.max_header_bytes


class _HeadTimeout:
    """Mixin over a uvicorn HTTP protocol: a timer while a request head is incomplete."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any
    _head_timer: asyncio.TimerHandle | None = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or bool(self.cycle.response_complete)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(_limits()[0], self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._waiting_for_head():
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class H11HeadTimeout(_HeadTimeout, H11Protocol):  # type: ignore[misc]
    """h11 with a request-head timeout."""


class HttpToolsHeadTimeout(_HeadTimeout, HttpToolsProtocol):  # type: ignore[misc]
    """httptools with a request-head timeout and a head size cap."""

    _head_bytes: int = 0

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > _limits()[1]:
            # Raised inside the parser: uvicorn answers 400 and closes the connection.
            raise ValueError("request head too large")
