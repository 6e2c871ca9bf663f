"""uvicorn wiring: the limits reach uvicorn, and its protocol cuts off slow and huge heads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from adapter.cds import protocol, serve
from adapter.cds.protocol import H11HeadTimeout, HttpToolsHeadTimeout

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def test_serve_hands_the_limits_and_the_workers_to_uvicorn(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEMETS_KEEP_ALIVE_TIMEOUT", "7")
    monkeypatch.setenv("SPINEMETS_MAX_HEADER_BYTES", "4096")
    monkeypatch.setenv("SPINEMETS_MAX_CONNECTIONS", "50")
    # run() exports its overrides for the worker processes: recorded here, undone after the test.
    monkeypatch.setenv("SPINEMETS_WORKERS", "1")
    monkeypatch.setenv("SPINEMETS_PORT", "8080")
    assert serve.run(port=0, workers=3) == 0
    target, options = calls[0]
    assert target == "adapter.cds.app:app_from_environment" and options["factory"] is True
    assert options["workers"] == 3 and options["http"] is HttpToolsHeadTimeout
    assert options["timeout_keep_alive"] == 7 and options["limit_concurrency"] == 50
    assert options["h11_max_incomplete_event_size"] == 4096
    assert options["log_config"]["loggers"]["spinemets"]["level"] == "INFO"
    assert os.environ["SPINEMETS_WORKERS"] == "3"  # the workers read their settings from here


async def _app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def _serving(protocol_class: type, **options: Any) -> AsyncIterator[int]:
    """uvicorn serving the test app with ``protocol_class`` on a free port, until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, http=protocol_class,
                            log_level="error", lifespan="on", **options)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), timeout=30)


@pytest.mark.parametrize("protocol_class", [HttpToolsHeadTimeout, H11HeadTimeout])
async def test_slow_and_huge_heads_are_cut_off(monkeypatch, protocol_class):
    monkeypatch.setattr(protocol, "_limits", lambda: (0.3, 1024))
    async with _serving(protocol_class) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert await _read_all(reader) == b""  # closed: the head never completed
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2048)
        assert (await _read_all(reader)).startswith(b"HTTP/1.1 400")
        writer.close()
        # A whole head over the limit in one read: the parser must never be handed it.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2048 + b"\r\n\r\n")
        refused = await _read_all(reader)
        assert refused.startswith(b"HTTP/1.1 400")
        assert _outcome(refused)["issue"][0]["diagnostics"] == "request head too large"
        writer.close()
        # Just under the limit, whole or in two reads split inside the blank line: served.
        under = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A: " + b"a" * 900
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(under + b"\r\n\r\n")
        assert (await _read_all(reader)).endswith(b"ok")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(under + b"\r\n\r")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"\n")
        assert (await _read_all(reader)).endswith(b"ok")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await _read_all(reader)).endswith(b"ok")  # a prompt request is served
        writer.close()


def _outcome(answer: bytes) -> dict:
    """The OperationOutcome of a raw HTTP answer (its head says so)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/fhir+json" in head.lower()
    assert b"connection: close" in head.lower()
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome"
    return outcome


@pytest.mark.parametrize("protocol_class", [HttpToolsHeadTimeout, H11HeadTimeout])
async def test_a_request_the_parser_refuses_gets_an_outcome(protocol_class):
    async with _serving(protocol_class) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n{}")
        refused = await _read_all(reader)
        writer.close()
        assert refused.startswith(b"HTTP/1.1 400")
        (issue,) = _outcome(refused)["issue"]
        assert issue["code"] == "structure" and "12x" not in issue["diagnostics"]


async def test_the_connection_limit_answers_an_outcome_and_lets_health_through():
    async with _serving(HttpToolsHeadTimeout, limit_concurrency=2) as port:
        _, held = await asyncio.open_connection("127.0.0.1", port)  # a slow client, say
        held.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        await asyncio.sleep(0.1)
        answers = {}
        for path in ("/cds-services/spinemets-scores", "/healthz", "/readyz", "/metrics"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            answers[path] = await _read_all(reader)
            writer.close()
        refused = answers.pop("/cds-services/spinemets-scores")
        head, _, body = refused.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 1" in head.lower()
        assert b'"code":"throttled"' in body.replace(b" ", b"")
        assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers.values())
        held.close()


@pytest.mark.parametrize("protocol_class", [HttpToolsHeadTimeout, H11HeadTimeout])
async def test_a_body_still_arriving_after_an_early_answer_is_no_next_head(
    monkeypatch, protocol_class
):
    # A call refused before its body is read (401, 404, 415, a shed 503) is answered while the
    # body still arrives: those bytes are that request's, not the next request's head, and the
    # next call on the connection is served (an EHR does not retry a 400: a card would be lost).
    monkeypatch.setattr(protocol, "_limits", lambda: (5.0, 1024))
    async with _serving(protocol_class) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b"x" * 300_000
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        await writer.drain()
        await asyncio.sleep(0.05)  # the answer goes out before the body arrives
        writer.write(body)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = await _read_all(reader)
        writer.close()
        assert answers.count(b"HTTP/1.1 200") == 2, answers[:300]
        assert b"HTTP/1.1 400" not in answers


class _Received(asyncio.Protocol):
    """Every byte a connection received, and when it ended. A StreamReader would not do here:
    the server closes with the trickled bytes unread, so the client may meet a reset, and a
    StreamReader raises that reset in place of an answer it already holds."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.data += data

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ended.done():
            self.ended.set_result(None)


@pytest.mark.parametrize("protocol_class", [HttpToolsHeadTimeout, H11HeadTimeout])
async def test_a_body_answered_early_may_not_trickle_for_ever(monkeypatch, protocol_class):
    monkeypatch.setattr(protocol, "_limits", lambda: (0.3, 1024))
    async with _serving(protocol_class) as port:
        loop = asyncio.get_running_loop()
        transport, received = await loop.create_connection(_Received, "127.0.0.1", port)
        transport.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 10)
        started = loop.time()
        for _ in range(3):  # a byte now and then keeps uvicorn's keep-alive timer from firing
            await asyncio.sleep(0.15)
            if not transport.is_closing():
                transport.write(b"x")
        await asyncio.wait_for(received.ended, timeout=30)  # the server closed the connection
        elapsed = loop.time() - started
        transport.close()
        assert bytes(received.data).startswith(b"HTTP/1.1 200")
        assert bytes(received.data).endswith(b"ok")
        assert elapsed < 2.0  # the head timeout (0.3 s), not the keep-alive one (5 s)
