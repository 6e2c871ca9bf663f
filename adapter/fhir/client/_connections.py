"""HTTP/1.1 connections of spinemets' own, for the requests a :class:`FhirClient` opened by
``connect`` sends and reads whole: a sync's transactions and its group reads.

httpx's stack costs about 1 ms of CPU a request on this kind of machine (h11's parser in Python,
httpcore, an anyio cancel scope around every read and write); a first sync's whole budget is a
few ms a patient. Here a request is one write on an asyncio transport and its answer is parsed by
httptools (llhttp, in C; uvicorn's parser too): about a tenth of that (docs/performance.md, Sync).

What stays httpx's: the request (built by httpx, written with its headers in its order, so it is
byte for byte what httpx sends), the answer (an ``httpx.Response`` from its status, headers and
body, so decoding, gzip included, is httpx's), the exceptions (httpx's, so every caller maps them
as before), the TLS context (httpx's default, with the environment's CA settings: ``_tls.py``),
and everything these connections do not do. They are used only where the request would go to
httpx's own connection pool: never through a proxy the environment names, never for a streamed
or a HEAD request (:func:`takes`). HTTP/1.1 only, as spinemets' clients are; no request is sent
twice, as httpx sends none twice.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from types import FunctionType
from typing import TYPE_CHECKING, cast

import httpcore
import httptools
import httpx

from adapter.fhir.client._tls import default_tls

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Connections", "takes"]

# httpx's default, which spinemets' clients keep: an idle connection older than this is closed.
KEEPALIVE_EXPIRY = 5.0
_UNSAFE = (b"\r", b"\n", b"\0")


def takes(http: httpx.AsyncClient, request: httpx.Request) -> bool:
    """Whether the request would go to the client's own connection pool over HTTP/1.1: not to
    a proxy the environment names for its URL, not to another transport, and not while something
    hooks httpx's sending (instrumentation such as OpenTelemetry's, a test's mock), which must
    then see every request."""
    transport = http._transport_for_url(request.url)
    return (
        transport is http._transport
        and type(transport) is httpx.AsyncHTTPTransport
        and request.method != "HEAD"
        and request.url.scheme in ("http", "https")
        and _own(httpx.AsyncHTTPTransport, "httpx._transports.default")
        and _own(httpcore.AsyncConnectionPool, "httpcore._async.connection_pool")
    )


def _own(cls: type, module: str) -> bool:
    """Whether ``cls.handle_async_request`` is still its library's own function."""
    method = cls.__dict__.get("handle_async_request")
    return type(method) is FunctionType and method.__module__ == module


class _Connection(asyncio.Protocol):
    """One connection and the answer it is reading (one at a time: no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[httpx.Response] | None = None
        self.request: httpx.Request | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.headers_done = False
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self.read_timeout: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.writable: asyncio.Future[None] | None = None

    # asyncio's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though uvloop's are not asyncio.Transport's subclasses.
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        if self.answer is None or self.answer.done():
            self._fail(httpx.RemoteProtocolError("the server sent data without a request"))
            return
        self._restart_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols"))
        except httptools.HttpParserError:
            self._fail(httpx.RemoteProtocolError("the server's answer is not HTTP/1.1"))

    def eof_received(self) -> bool:
        return False  # close our side too: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._stop_timer()
        if self.writable is not None and not self.writable.done():
            self.writable.set_exception(httpx.WriteError("the server closed the connection"))
        if self.answer is not None and not self.answer.done():
            if self.headers_done and self._until_close():
                self._finish()  # with neither a length nor chunks, the connection ends the answer
            else:
                self.answer.set_exception(
                    httpx.RemoteProtocolError("the server disconnected before its answer ended")
                )

    def pause_writing(self) -> None:
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        self.writable = None

    # httptools' callbacks

    def on_message_begin(self) -> None:
        self.headers = []
        self.body = []
        self.headers_done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:
            return  # an interim answer (100 Continue, 103 Early Hints): the final one follows
        self.reusable = self.parser.should_keep_alive()
        self._finish()

    # ours

    def _until_close(self) -> bool:
        names = {name.lower() for name, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def _finish(self) -> None:
        self._stop_timer()
        if self.answer is None or self.request is None or self.answer.done():
            self.close()  # a second answer to one request: nothing after it can be trusted
            return
        try:
            # httpx decodes the body (gzip, deflate, brotli or zstd where installed) as it would
            response = httpx.Response(
                self.status, headers=self.headers, content=b"".join(self.body), request=self.request
            )
        except httpx.HTTPError as exc:
            self.reusable = False
            self.answer.set_exception(exc)
            return
        self.answer.set_result(response)

    def _fail(self, exc: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)
        self.close()

    def _restart_timer(self) -> None:
        # httpx's read timeout: the longest wait for the next bytes, not for the whole answer
        if self.read_timeout is None:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(self.read_timeout, self._timed_out)

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _timed_out(self) -> None:
        self._fail(httpx.ReadTimeout("the server did not answer in time"))

    def close(self) -> None:
        self._stop_timer()
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    async def exchange(
        self, request: httpx.Request, head: bytes, timeouts: _Timeouts
    ) -> httpx.Response:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self.request = request
        self.reusable = False
        self.answer = loop.create_future()
        self.read_timeout = timeouts.read
        self.transport.write(head + request.content)
        if self.writable is not None:
            try:
                async with asyncio.timeout(timeouts.write):
                    await self.writable
            except TimeoutError:
                self.close()
                raise httpx.WriteTimeout("the request could not be sent in time") from None
        self._restart_timer()
        try:
            return await self.answer
        finally:
            self._stop_timer()
            self.answer = None
            self.request = None
            self.body = []


class _Timeouts:
    __slots__ = ("connect", "pool", "read", "write")

    def __init__(self, request: httpx.Request) -> None:
        given = request.extensions.get("timeout", {})
        self.connect: float | None = given.get("connect")
        self.read: float | None = given.get("read")
        self.write: float | None = given.get("write")
        self.pool: float | None = given.get("pool")


class Connections:
    """A pool of HTTP/1.1 connections: at most ``max_connections`` open at once, idle ones kept
    for :data:`KEEPALIVE_EXPIRY` seconds, one answer at a time each."""

    def __init__(
        self, max_connections: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        self._clock = clock
        self._closed = False
        self.opened = 0  # connections made, for the tests and the benchmark

    async def send(self, request: httpx.Request) -> httpx.Response:
        """The answer to ``request``, read whole; httpx's exceptions as httpx raises them."""
        if self._closed:
            raise RuntimeError("these connections are closed")
        head = _head(request)
        timeouts = _Timeouts(request)
        try:
            async with asyncio.timeout(timeouts.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection was free in time") from None
        try:
            url = request.url
            key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
            connection = self._take_idle(key) or await self._open(key, timeouts)
            try:
                response = await connection.exchange(request, head, timeouts)
            except BaseException:
                connection.close()
                raise
            if connection.reusable and not connection.closed and not self._closed:
                connection.idle_since = self._clock()
                self._idle.setdefault(key, deque()).append(connection)
            else:
                connection.close()
            return response
        finally:
            self._slots.release()

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = self._clock()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to have expired
            if not connection.closed and now - connection.idle_since < KEEPALIVE_EXPIRY:
                return connection
            connection.close()
        return None

    async def _open(self, key: tuple[str, str, int], timeouts: _Timeouts) -> _Connection:
        scheme, host, port = key
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = default_tls()  # httpx's: certifi, SSL_CERT_FILE/DIR
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeouts.connect):
                _, connection = await loop.create_connection(
                    _Connection, host, port, ssl=context, server_hostname=host if context else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("the server could not be reached in time") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(
                f"the server could not be reached ({type(exc).__name__})"
            ) from None
        self.opened += 1
        return connection

    async def aclose(self) -> None:
        """Close every idle connection; one in use closes when its answer is read."""
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run


def _head(request: httpx.Request) -> bytes:
    """The request line and headers as h11 writes them for httpx."""
    target = request.url.raw_path
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), target)]
    for name, value in request.headers.raw:
        if any(c in name or c in value for c in _UNSAFE) or b":" in name:
            raise httpx.LocalProtocolError("a header holds a character HTTP does not allow")
        lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"\r\n")
    return b"".join(lines)
