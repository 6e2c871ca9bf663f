"""A small HTTP/1.1 proxy that injects faults between spinemets and a real FHIR server.

One request per connection (the proxy answers with ``Connection: close``), so every fault is
exactly one request. A schedule decides, from the request's number and its bytes, what happens:

* ``None``        forward and relay the answer
* ``"drop"``      close the connection before forwarding (the server never sees it)
* ``"lost"``      forward, let the server commit, then close without answering
* ``"503"``/``"500"``  answer that status without forwarding
* ``"429"``       answer 429 with ``Retry-After: 1`` without forwarding
* ``"slow"``      wait ``slow_seconds`` (longer than the client's timeout), then forward: the
  server runs the request after the client gave up, beside the client's retry
* ``"twice"``     forward the request twice at once (two transactions for the same patient in
  flight at the server, as a client timeout, a second sync or a second replica make them) and
  relay the answer that comes first
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

Schedule = Callable[[int, bytes], str | None]


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    schedule: Schedule
    slow_seconds: float = 3.0
    seen: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)
    _server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        # Let every request in flight (slow ones, twins) reach the server and finish first.
        while self.handlers:
            await asyncio.gather(*self.handlers, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> bytes | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        length = 0
        lines = head.split(b"\r\n")
        kept = [lines[0]]
        for line in lines[1:]:
            name = line.split(b":", 1)[0].strip().lower()
            if name == b"content-length":
                length = int(line.split(b":", 1)[1])
            if name in (b"connection", b"keep-alive"):
                continue
            kept.append(line)
        body = await reader.readexactly(length) if length else b""
        head = b"\r\n".join(k for k in kept if k) + b"\r\nConnection: close\r\n\r\n"
        return head + body

    async def _forward(self, request: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        up_writer.write(request)
        await up_writer.drain()
        response = await up_reader.read()  # the upstream closes: Connection: close
        up_writer.close()
        return response

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        task.add_done_callback(self.handlers.discard)
        try:
            request = await self._read_request(reader)
            if request is None:
                return
            self.seen += 1
            fault = self.schedule(self.seen, request)
            if fault:
                self.faults[fault] = self.faults.get(fault, 0) + 1
            if fault == "drop":
                return
            if fault in ("500", "503"):
                writer.write(
                    f"HTTP/1.1 {fault} Fault\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
                return
            if fault == "429":
                writer.write(
                    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
            if fault == "slow":
                await asyncio.sleep(self.slow_seconds)
            if fault == "twice":
                both = [asyncio.ensure_future(self._forward(request)) for _ in range(2)]
                done, _ = await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
                response = done.pop().result()
                await asyncio.gather(*both)  # the twin runs on at the server meanwhile
            else:
                response = await self._forward(request)
            if fault == "lost":
                return
            writer.write(response)
            await writer.drain()
        finally:
            with contextlib.suppress(ConnectionError):
                writer.close()
