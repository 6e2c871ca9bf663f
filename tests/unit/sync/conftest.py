"""The notification queue's store as a fixture. Here it is SQLite; the integration tier runs every
test that takes ``backend`` once more on a real Redis server (tests/integration/test_notify_redis.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapter.sync.notify import NotificationQueue, RedisNotificationQueue, SqliteNotificationQueue


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


@pytest.fixture
def backend(tmp_path) -> Backend:
    return Backend("sqlite", path=tmp_path / "n.sqlite3")
