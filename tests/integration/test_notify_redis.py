"""The notification queue on a real Redis server (tests/redis_server.py): every test of
tests/unit/sync that takes the ``backend`` fixture runs here once more with Redis as the store,
and what only Redis does: a read-only replica, an evicting policy, the server going away."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import pytest
import redis
import respx

from adapter.errors import StorageError
from adapter.sync.notify import RedisNotificationQueue
from tests.redis_server import redis_server
from tests.unit.sync import test_notify as notify
from tests.unit.sync import test_notify_leases as leases
from tests.unit.sync import test_notify_queue as notify_queue
from tests.unit.sync import test_notify_supervised as supervised
from tests.unit.sync.conftest import Backend
from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_notify import AUTH, finding, notify_settings, service

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """One throw-away redis-server for this module (no persistence), emptied before each use."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def backend(redis_url: str) -> Backend:
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    return Backend("redis", url=redis_url)


def _store_contract(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The module's tests that run on whichever store ``backend`` names."""
    return {
        name: test
        for name, test in vars(module).items()
        if name.startswith("test_") and "backend" in inspect.signature(test).parameters
    }


_CONTRACT = [notify, leases, notify_queue, supervised]
for _module in _CONTRACT:
    assert not _store_contract(_module).keys() & globals().keys(), _module  # no name shadowed
    globals().update(_store_contract(_module))


def test_the_store_contract_is_collected_here():
    assert sum(len(_store_contract(m)) for m in _CONTRACT) >= 20


def test_a_read_only_redis_replica_is_refused_at_open(redis_url):
    with redis.Redis.from_url(redis_url) as admin:
        admin.replicaof("127.0.0.1", 9)  # a replica refuses writes, primary or not reachable
        try:
            with pytest.raises(StorageError, match="ReadOnlyError"):
                RedisNotificationQueue(redis_url, limit=3).open()
        finally:
            admin.replicaof("NO", "ONE")


def test_an_eviction_policy_that_may_drop_entries_is_warned_about(redis_url, caplog):
    with redis.Redis.from_url(redis_url) as admin:
        admin.config_set("maxmemory-policy", "allkeys-lru")
        try:
            with caplog.at_level(logging.WARNING, logger="spinemets.notify"):
                RedisNotificationQueue(redis_url, limit=3).open()
        finally:
            admin.config_set("maxmemory-policy", "noeviction")
    assert "allkeys-lru" in caplog.text


def test_redis_going_away_is_a_storage_error_by_type_only(tmp_path):
    with redis_server(tmp_path) as url:
        queue = RedisNotificationQueue(url, limit=3, timeout=1.0)
        queue.open()
        queue.put("p", 1.0)
    with pytest.raises(StorageError, match=r"^notification queue \(Redis\): \w+$"):
        queue.put("p", 2.0)
    with pytest.raises(StorageError):
        queue.claim("w", 3.0, 60)


async def test_redis_going_away_answers_503_and_logs_no_patient(tmp_path, caplog):
    with ExitStack() as redis_running, respx.mock:
        url = redis_running.enter_context(redis_server(tmp_path))
        FakeFhir(respx.mock, [])
        backend = Backend("redis", url=url)
        async with service(tmp_path, notify_settings(backend)) as client:
            redis_running.close()  # Redis stops while the service runs
            with caplog.at_level(logging.ERROR, logger="spinemets"):
                answer = await client.put(
                    "/fhir-notify/Observation/x1", json=finding("p-secret-id"), headers=AUTH
                )
            assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
            outcome = answer.json()
            assert outcome["resourceType"] == "OperationOutcome"
            assert outcome["issue"][0]["code"] == "transient"
            assert "Redis" not in answer.text  # the cause is for the log, not the caller
    assert "notification queue (Redis): ConnectionError" in caplog.text
    assert "p-secret-id" not in caplog.text and "127.0.0.1" not in caplog.text
