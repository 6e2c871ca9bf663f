"""The slow company of bench/overload.py, on an event loop of its own in a thread.

Slow connections that hold the service's connections as long as it lets them and reconnect when
cut off, and a ``/healthz`` probe twice a second (the notification storm is a second vegeta,
bench/overload.py). Counts only; nothing here judges.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx

SLOW_INTERVAL = 1.0  # seconds between the bytes of a slow connection


class Pressure:
    def __init__(self, host: str, port: int, *, slow: int, tokens: Iterator[str]) -> None:
        """``tokens``: a fresh JWT for each slow body, so that it is let in to trickle."""
        self.host, self.port, self.slow, self.tokens = host, port, slow, tokens
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stopping = asyncio.Event()
        self.seen: dict[str, Any] = {
            "slow_connects": 0, "slow_cut": 0,
            "slow_answers": Counter(), "health_ms": [], "health_failed": Counter(),
        }  # fmt: skip
        self.tasks: list[asyncio.Future[Any]] = []

    def start(self) -> None:
        self.thread.start()
        self.tasks.append(asyncio.run_coroutine_threadsafe(self._all(), self.loop))

    def stop(self) -> dict[str, Any]:
        self.loop.call_soon_threadsafe(self.stopping.set)
        for task in self.tasks:
            task.result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        return self.seen

    async def _all(self) -> None:
        jobs = [asyncio.create_task(self._health())]
        for n in range(self.slow):
            jobs.append(asyncio.create_task(self._slow(n)))
            if n % 100 == 99:
                await asyncio.sleep(0.2)  # the listen backlog is not the subject
        await self.stopping.wait()
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    def _head(self, body_length: int, token: str) -> bytes:
        return (f"POST /cds-services/spinemets-scores HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {body_length}\r\n\r\n"
                ).encode()  # fmt: skip

    async def _slow(self, n: int) -> None:
        """One slow client for the whole run: head (even n) or body (odd n) a byte at a time."""
        rnd = random.Random(n)
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                self.seen["slow_answers"]["connect failed"] += 1
                await asyncio.sleep(1)
                continue
            self.seen["slow_connects"] += 1
            token = next(self.tokens, "spent") if n % 2 else "-"  # a head never completes
            head = self._head(100_000, token)
            if n % 2:
                writer.write(head)
                trickle = b"{" + b" " * 99_999
            else:
                trickle = head
            await asyncio.sleep(rnd.random() * SLOW_INTERVAL)
            try:
                await self._trickle(reader, writer, trickle)
            finally:
                writer.close()
            await asyncio.sleep(SLOW_INTERVAL)  # 2,000 slow clients, not a connection flood

    async def _trickle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
    ) -> None:
        for i in range(len(data)):
            try:
                writer.write(data[i : i + 1])
                await writer.drain()
                answer = await asyncio.wait_for(reader.read(256), SLOW_INTERVAL)
            except TimeoutError:
                continue  # still held: the next byte
            except OSError:
                self.seen["slow_cut"] += 1
                return
            self.seen["slow_cut"] += 1
            status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed"
            self.seen["slow_answers"][status] += 1
            return

    async def _health(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while not self.stopping.is_set():
                start = time.perf_counter()
                try:
                    answer = await client.get(f"http://{self.host}:{self.port}/healthz")
                    if answer.status_code == 200:
                        self.seen["health_ms"].append((time.perf_counter() - start) * 1000)
                    else:
                        self.seen["health_failed"][str(answer.status_code)] += 1
                except httpx.HTTPError as exc:
                    self.seen["health_failed"][type(exc).__name__] += 1
                await asyncio.sleep(0.5)
