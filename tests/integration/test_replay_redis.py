"""The jti replay cache on a real Redis server (tests/redis_server.py): the rule the memory and
SQLite caches follow (tests/unit/cds/test_replay.py), and two apps sharing one Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from adapter.cds.replay import RedisReplayCache
from tests.redis_server import redis_server
from tests.unit.cds import conftest as cds
from tests.unit.cds.test_replay import DISCOVERY, exercise

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
keys, secured = cds.keys, cds.secured  # the unit tier's fixtures: a key pair, an app trusting it


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


async def test_redis_follows_the_one_rule(redis_url):
    await exercise(RedisReplayCache(redis_url))


async def test_two_apps_sharing_redis_refuse_a_replay(secured, keys, tmp_path, redis_url):
    token = keys.token(DISCOVERY)
    headers = {"Authorization": f"Bearer {token}"}
    apart = [
        secured.model_copy(
            update={"state_dir": tmp_path / name, "replay_redis_url": SecretStr(redis_url)}
        )
        for name in ("a", "b")
    ]
    async with cds.client_for(apart[0]) as first, cds.client_for(apart[1]) as second:
        assert (await first.get("/cds-services", headers=headers)).status_code == 200
        assert (await second.get("/cds-services", headers=headers)).status_code == 401
