"""The jti replay cache is shared: a token accepted by one app is refused by every other."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import adapter.cds.replay as replay_module
from adapter.cds.replay import MemoryReplayCache, RedisReplayCache, SqliteReplayCache
from adapter.errors import StorageError
from tests.unit.cds.conftest import BASE, client_for

pytestmark = pytest.mark.anyio
DISCOVERY = f"{BASE}/cds-services"


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def exercise(cache) -> None:
    """The one rule every replay cache follows (Redis's in tests/integration/test_replay_redis.py)."""
    until = time.time() + 300
    jti = str(uuid.uuid4())
    assert await cache.first_use("https://a.example.org", jti, until) is True
    assert await cache.first_use("https://a.example.org", jti, until) is False
    assert await cache.first_use("https://b.example.org", jti, until) is True  # per issuer
    # An expired record does not refuse a (necessarily new) token with the same jti.
    old = str(uuid.uuid4())
    assert await cache.first_use("https://a.example.org", old, time.time() - 1) is True
    assert await cache.first_use("https://a.example.org", old, until) is True
    await cache.close()


async def test_memory_and_sqlite_follow_one_rule(tmp_path):
    sqlite = SqliteReplayCache(tmp_path / "replay.sqlite3")
    await asyncio.to_thread(sqlite.open)
    for cache in (MemoryReplayCache(), sqlite):
        await exercise(cache)


async def test_concurrent_first_uses_accept_exactly_one(tmp_path):
    paths = [tmp_path / "replay.sqlite3"] * 8
    caches = [SqliteReplayCache(p) for p in paths]  # eight connections, as eight processes
    for cache in caches:
        await asyncio.to_thread(cache.open)
    until = time.time() + 300
    results = await asyncio.gather(*(c.first_use("iss", "same", until) for c in caches))
    assert sorted(results) == [False] * 7 + [True]
    for cache in caches:
        await cache.close()


def _hold_write_lock(path, seconds: float, taken: threading.Event | None = None) -> None:
    """Another process's write in progress: the database's write lock, held for a while
    (``taken`` is set once it is held: a test must not guess how long a thread takes to start)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    if taken is not None:
        taken.set()
    time.sleep(seconds)
    other.execute("ROLLBACK")
    other.close()


async def test_a_write_waits_for_another_processs_write_then_succeeds(tmp_path):
    cache = SqliteReplayCache(tmp_path / "replay.sqlite3")
    await asyncio.to_thread(cache.open)
    taken = threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(_hold_write_lock, cache.path, 0.3, taken))
    assert await asyncio.to_thread(taken.wait, 10)  # the lock is taken
    assert await cache.first_use("iss", "waited", time.time() + 60) is True
    assert holder.done()  # it could only succeed after the other write ended
    await holder
    assert await cache.first_use("iss", "waited", time.time() + 60) is False
    await cache.close()


async def test_a_write_lock_held_past_the_deadline_is_a_storage_error(tmp_path, monkeypatch):
    monkeypatch.setattr(replay_module, "_BUSY_DEADLINE", 0.05)
    cache = SqliteReplayCache(tmp_path / "replay.sqlite3")
    await asyncio.to_thread(cache.open)
    taken = threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(_hold_write_lock, cache.path, 1.0, taken))
    assert await asyncio.to_thread(taken.wait, 10)
    with pytest.raises(StorageError, match="locked"):
        await cache.first_use("iss", "refused", time.time() + 60)  # fails closed: never accepted
    await holder
    await cache.close()


async def test_an_unreachable_redis_fails_closed():
    cache = RedisReplayCache("redis://127.0.0.1:9/0", timeout=0.5)
    with pytest.raises(StorageError, match="Redis"):
        await cache.first_use("iss", "jti", time.time() + 60)
    with pytest.raises(StorageError):
        await cache.ping()
    await cache.close()


async def test_two_apps_sharing_a_state_directory_refuse_a_replay(secured, keys):
    token = keys.token(DISCOVERY)
    headers = {"Authorization": f"Bearer {token}"}
    async with client_for(secured) as first, client_for(secured) as second:
        assert (await first.get("/cds-services", headers=headers)).status_code == 200
        assert (await second.get("/cds-services", headers=headers)).status_code == 401


async def test_a_new_token_is_recorded_without_a_thread_and_a_replay_still_refused(
    tmp_path, monkeypatch
):
    cache = SqliteReplayCache(tmp_path / "replay.sqlite3")
    await asyncio.to_thread(cache.open)
    hops: list[str] = []
    real = asyncio.to_thread

    async def counted(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        hops.append(func.__name__)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    until = time.time() + 60
    assert await cache.first_use("iss", "fresh", until) is True
    assert hops == []  # recorded on the loop: an insert into the WAL file, no waiting
    assert await cache.first_use("iss", "fresh", until) is False  # the replay, decided by _insert
    assert hops == ["_insert"]
    await cache.close()
