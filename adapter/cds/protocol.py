"""uvicorn's HTTP/1.1 protocols with a request-head timeout and, for httptools, a head size cap.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits for ever on a
client that sends a request head slowly (slowloris), and its httptools protocol buffers head
fields without bound. These subclasses close a connection whose request line and headers have
not all arrived ``header_timeout`` seconds after the connection opened or the head began, and
refuse a head over ``max_header_bytes`` (400, connection closed). Their 400s, this one and those
of uvicorn's parser (a malformed ``Content-Length``, a broken request line), are OperationOutcomes
like every other refusal; uvicorn's own are plain text.

uvicorn's own connection limit (``limit_concurrency``, ``SPINEMETS_MAX_CONNECTIONS``) answers a
request beyond it with a plain-text 503 whatever its path. The httptools protocol here answers it
as admission control does (an OperationOutcome ``throttled``, ``Retry-After: 1``) and lets
``/healthz``, ``/readyz`` and ``/metrics`` through: slow clients holding every connection must not
take the instance out of its load balancer's rotation.

uvicorn builds a protocol from its own config only, and ``--workers`` processes rebuild that
config from a pickle, so the two limits are read from the ``SPINEMETS_*`` settings of the
process, once.

These are private classes of uvicorn: pyproject.toml pins uvicorn to one minor version, and
tests/unit/cds/test_uvicorn_api.py fails when the methods and attributes used here change.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import h11
import httptools
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapter.cds.admission import RETRY_AFTER, UNSHED
from adapter.cds.responses import outcome

__all__ = ["H11HeadTimeout", "HttpToolsHeadTimeout"]


@functools.cache
def _limits() -> tuple[float, int]:
    from adapter.cds.settings import load_settings

    settings = load_settings()
    return settings.header_timeout, settings.max_header_bytes


_HEAD_TOO_LARGE = "Request head too large"
# uvicorn's message → the issue code and diagnostics (ours: the parser's message is not repeated)
_PARSER_REFUSALS = {_HEAD_TOO_LARGE: ("too-long", "request head too large")}


class _HeadTimeout:
    """Mixin over a uvicorn HTTP protocol: a timer while a request head is incomplete, and the
    parser's 400 as an OperationOutcome."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any
    server_state: Any
    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes: int = 0
    _head_tail: bytes = b""  # the last bytes of an incomplete head: its blank line may span reads

    def _waiting_for_head(self) -> bool:
        # An answer may go out before its request's body is read (a 401, 404, 415, a shed 503):
        # the bytes still arriving are that body, not the next request's head.
        return self.cycle is None or (bool(self.cycle.response_complete) and self._request_read())

    def _request_read(self) -> bool:
        """Whether the current request has been received whole (its body included)."""
        raise NotImplementedError

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(_limits()[0], self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _answered_early(self) -> bool:
        """Answered while its body still arrives: the rest has the head's time to come."""
        answered = self.cycle is not None and bool(self.cycle.response_complete)
        return answered and not self._request_read()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        waiting = self._waiting_for_head() or self._answered_early()
        if waiting and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def _head_in(self, data: bytes) -> int:
        """How many bytes of ``data`` belong to the head being received (up to and including the
        blank line that ends it, which may have begun in the previous read)."""
        seen = self._head_tail + data
        end = seen.find(b"\r\n\r\n")
        return len(data) if end < 0 else end + 4 - len(self._head_tail)

    def data_received(self, data: bytes) -> None:
        # Measured before the parser sees it: a whole head in one read completes at once, and
        # counted after, it would never be refused.
        if self._waiting_for_head() and self._head_bytes + self._head_in(data) > _limits()[1]:
            if not self.transport.is_closing():
                self.send_400_response(_HEAD_TOO_LARGE)
            return
        receiving = not self._waiting_for_head()
        super().data_received(data)  # type: ignore[misc]
        if not self._waiting_for_head():
            if self._answered_early():  # a body nothing reads: it may not trickle for ever
                self._arm()
            else:
                self._disarm()
            self._head_bytes, self._head_tail = 0, b""
            return
        if receiving:  # this read ended a body answered early: a head starts after it
            self._disarm()
            self._head_bytes, self._head_tail = 0, b""
            return
        self._arm()
        self._head_bytes += len(data)
        self._head_tail = (self._head_tail + data)[-3:]

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        """A head refused here, or a request uvicorn's parser refuses (a malformed
        Content-Length, a broken request line), answered as every other refusal is: an
        OperationOutcome, then the connection closed. uvicorn's own answer is plain text."""
        code, said = _PARSER_REFUSALS.get(msg, ("structure", "invalid HTTP request"))
        body = outcome(400, code, said).body
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        head += [
            b"content-type: application/fhir+json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class H11HeadTimeout(_HeadTimeout, H11Protocol):  # type: ignore[misc]
    """h11 with a request-head timeout."""

    conn: h11.Connection

    def _request_read(self) -> bool:
        return self.conn.their_state is not h11.SEND_BODY


async def _too_many_connections(scope: Scope, receive: Receive, send: Send) -> None:
    response = outcome(503, "throttled", "too many connections: retry shortly")
    response.headers["Retry-After"] = RETRY_AFTER
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _unshed(url: bytes) -> bool:
    try:
        return httptools.parse_url(url).path.decode("ascii") in UNSHED
    except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
        return False


class HttpToolsHeadTimeout(_HeadTimeout, HttpToolsProtocol):  # type: ignore[misc]
    """httptools with a request-head timeout, a head size cap, and the connection limit's 503
    as an OperationOutcome that health and metrics bypass."""

    _message_read: bool = True

    def _request_read(self) -> bool:
        return self._message_read

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._message_read = True

    def on_headers_complete(self) -> None:
        self._message_read = False
        limit, app = self.limit_concurrency, self.app
        over = limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)
        # uvicorn decides inside this method; it is given the decision already taken instead.
        self.limit_concurrency = None
        if over and not _unshed(self.url):
            self.app = _too_many_connections
        try:
            super().on_headers_complete()
        finally:
            self.limit_concurrency, self.app = limit, app
