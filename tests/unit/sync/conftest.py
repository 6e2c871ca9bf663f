"""The notification queue's two stores as one fixture: every contract test runs on both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from adapter.sync.notify import NotificationQueue, RedisNotificationQueue, SqliteNotificationQueue
from tests.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """One throw-away redis-server per test module (no persistence), emptied before each use."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@dataclass
class Backend:
    """One store: ``open`` gives another handle on it, as another process would have."""

    name: str
    path: Path | None = None
    url: str | None = None

    def open(self, limit: int = 3) -> NotificationQueue:
        queue: NotificationQueue
        if self.url is not None:
            queue = RedisNotificationQueue(self.url, limit=limit)
        else:
            assert self.path is not None
            queue = SqliteNotificationQueue(self.path, limit=limit)
        queue.open()
        return queue

    @property
    def settings(self) -> dict[str, Any]:
        """The SPINEMETS_NOTIFY_* settings that name this store."""
        if self.url is not None:
            return {"notify_redis_url": self.url}
        return {"notify_db": self.path}


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", path=tmp_path / "n.sqlite3")
    url = request.getfixturevalue("redis_url")
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return Backend("redis", url=url)
