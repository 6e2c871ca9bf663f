"""ASGI middleware: request body limits (size, time) and, for benchmarks, Server-Timing.

The size limit is enforced before the body is read: a declared ``Content-Length`` over the limit
is answered 413 at once, and a body sent without one (chunked) is counted as it arrives and
refused as soon as it passes the limit, so no more than the limit is ever buffered. A body that
trickles in slower than :attr:`Settings.body_timeout` allows is answered 408.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.cds.responses import error_response
from adapter.errors import RequestTimeoutError, TooLargeError

__all__ = ["BodyLimits", "ServerTiming"]


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses a malformed length itself
    return None


class BodyLimits:
    """Refuses request bodies over ``max_bytes`` (413) or slower than ``timeout`` seconds (408)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = TooLargeError(f"request body over {self.max_bytes} bytes")
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await error_response(too_large)(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        complete = False

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # after the body: e.g. waiting for a disconnect, not timed
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeoutError("the request body did not arrive in time") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited, send)


class ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` (benchmarks only: it discloses timing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)
