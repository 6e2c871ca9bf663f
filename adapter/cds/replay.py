"""The ``jti`` replay cache: a token is accepted once, by whichever process receives it.

Three stores, one rule (record ``(iss, jti)`` until the token's ``exp`` plus leeway; a second
record of the same pair is a replay):

- :class:`MemoryReplayCache`: one process only (tests, embedded use);
- :class:`SqliteReplayCache`: every process on one host (``spinemets serve --workers N``, or
  several services sharing the state directory); the primary key makes the check atomic;
- :class:`RedisReplayCache`: every process on every host (replicas behind a load balancer);
  ``SET NX EXAT`` makes it atomic and expires the record.

A store that cannot be reached raises :class:`~adapter.errors.StorageError` (503): a replay
cache that is down fails closed, never open.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from adapter.datadirs import WriteHealth, private_file
from adapter.errors import StorageError
from adapter.extras import require

__all__ = [
    "MemoryReplayCache",
    "RedisReplayCache",
    "ReplayCache",
    "SqliteReplayCache",
]

_INSERT = "INSERT OR IGNORE INTO seen (iss, jti, until) VALUES (?, ?, ?)"
_PURGE_EVERY = 500  # inserts between two sweeps of expired records
# How a write waits while another process writes (SQLITE_BUSY): SQLite's own busy handler sleeps
# 1, 2, 5, 10 … 100 ms, far longer than a write holds the lock, and under load every call of
# every worker queued behind those sleeps. Short pauses instead, for as long in all.
_BUSY_PAUSES = (0.0001, 0.0002, 0.0005, 0.001)
_BUSY_PAUSE = 0.002  # after those
_BUSY_DEADLINE = 10.0  # seconds; then the cache counts as down (503)


class ReplayCache(Protocol):
    async def first_use(self, iss: str, jti: str, until: float) -> bool:
        """Record ``(iss, jti)`` until ``until`` (epoch seconds); False if it was recorded."""

    async def close(self) -> None: ...


class MemoryReplayCache:
    """The replay cache of one process."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = asyncio.Lock()

    async def first_use(self, iss: str, jti: str, until: float) -> bool:
        now = time.time()
        async with self._lock:
            for key in [k for k, end in self._seen.items() if end < now]:
                del self._seen[key]
            if (iss, jti) in self._seen:
                return False
            self._seen[(iss, jti)] = until
            return True

    async def close(self) -> None:
        self._seen.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    until REAL NOT NULL,
    PRIMARY KEY (iss, jti)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_until ON seen (until);
"""


class SqliteReplayCache:
    """The replay cache of every process on this host: one SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._inserts = 0
        self.health = WriteHealth(path)  # every call is refused while tokens cannot be recorded

    def open(self) -> None:
        """Create the file and table (at start-up: unusable storage fails early)."""
        try:
            private_file(self.path)
            connection = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            with connection:
                connection.executescript(_SCHEMA)
            connection.execute("PRAGMA busy_timeout=0")  # writes wait in _write, not in SQLite
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"replay cache {self.path}: {exc}") from None
        self._connection = connection

    @staticmethod
    def _write(connection: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> int:
        """Run one write in its own transaction; its row count. Waits out other writers."""
        pauses = iter(_BUSY_PAUSES)
        deadline = time.monotonic() + _BUSY_DEADLINE
        while True:
            try:
                with connection:
                    return connection.execute(sql, args).rowcount
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(next(pauses, _BUSY_PAUSE))

    def _insert(self, iss: str, jti: str, until: float) -> bool:
        with self._lock:
            try:
                first = self._record(iss, jti, until)
            except StorageError:
                self.health.failed()
                raise
            self.health.succeeded()
            return first

    def _record(self, iss: str, jti: str, until: float) -> bool:
        if self._connection is None:
            self.open()
        connection = self._connection
        assert connection is not None
        try:
            inserted = self._write(
                connection,
                _INSERT,
                (iss, jti, until),
            )
            self._inserts += 1
            if self._inserts % _PURGE_EVERY == 0:
                self._write(connection, "DELETE FROM seen WHERE until < ?", (time.time(),))
            if inserted == 1:
                return True
            # Present: a replay, unless it is an expired record not yet swept.
            row = connection.execute(
                "SELECT until FROM seen WHERE iss = ? AND jti = ?", (iss, jti)
            ).fetchone()
            if row is not None and row[0] < time.time():
                self._write(
                    connection,
                    "UPDATE seen SET until = ? WHERE iss = ? AND jti = ?",
                    (until, iss, jti),
                )
                return True
            return False
        except sqlite3.Error as exc:
            raise StorageError(f"replay cache: {exc}") from None

    def _insert_at_once(self, iss: str, jti: str, until: float) -> bool | None:
        """The common case without a thread hop: the lock free, no other process writing, a new
        pair, no sweep due. True when recorded; None for anything else (:meth:`_insert` decides,
        waiting if it must)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            connection = self._connection
            if connection is None or (self._inserts + 1) % _PURGE_EVERY == 0:
                return None
            with connection:
                cursor = connection.execute(
                    _INSERT,
                    (iss, jti, until),
                )
            if cursor.rowcount != 1:
                return None  # present: a replay or an expired record, which _insert tells apart
            self._inserts += 1
            self.health.succeeded()
            return True
        except sqlite3.Error:
            return None  # busy (another process writes) or failing: _insert waits or reports
        finally:
            self._lock.release()

    async def first_use(self, iss: str, jti: str, until: float) -> bool:
        # An insert into a WAL file costs tens of microseconds, less than the hop to a thread;
        # only a write that must wait for another process goes to one (the loop never sleeps).
        if self._insert_at_once(iss, jti, until):
            return True
        return await asyncio.to_thread(self._insert, iss, jti, until)

    async def ping(self) -> None:
        """For /readyz: StorageError when tokens are known not to be recorded (its last write
        failed, its disk nearly full); reading the file would prove nothing about writing it."""
        self.health.check("replay cache")

    async def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class RedisReplayCache:
    """The replay cache of every process on every host: one Redis server."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        require("redis", "a Redis replay cache (SPINEMETS_REPLAY_REDIS_URL)")
        import redis.asyncio as redis  # imported on demand: only replicas need it

        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)

    async def ping(self) -> None:
        """Check the server answers (at start-up)."""
        try:
            await self._redis.ping()
        except self._errors as exc:
            raise StorageError(f"replay cache (Redis): {type(exc).__name__}") from None

    async def first_use(self, iss: str, jti: str, until: float) -> bool:
        digest = hashlib.sha256(f"{iss}\0{jti}".encode()).hexdigest()
        try:
            stored = await self._redis.set(
                f"spinemets:jti:{digest}", b"1", nx=True, exat=int(until) + 1
            )
        except self._errors as exc:
            raise StorageError(f"replay cache (Redis): {type(exc).__name__}") from None
        return bool(stored)

    async def close(self) -> None:
        await self._redis.aclose()
