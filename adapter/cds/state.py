"""What the service builds once at start-up and every request reads: the typed application state.

:func:`open_state` opens it in dependency order and closes it in reverse, and fails start-up
with a :class:`~adapter.errors.ConfigurationError` (exit 2) when storage or a local JWK Set
cannot be used, rather than failing every request later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx

from adapter.cds.audit import CdsAudit
from adapter.cds.auth import Verifier
from adapter.cds.feedback import FeedbackStore
from adapter.cds.keys import KeyStore
from adapter.cds.metrics import Metrics
from adapter.cds.offload import LoopPool
from adapter.cds.replay import RedisReplayCache, ReplayCache, SqliteReplayCache
from adapter.cds.services import Deps
from adapter.cds.settings import Settings
from adapter.fhir.client import default_tls, no_cookies
from adapter.mapping.terminology import Terminology

__all__ = ["AppState", "open_replay_cache", "open_state"]


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    term: Terminology
    http: httpx.AsyncClient  # the server loop's client: JWK Sets, notifications
    verifier: Verifier
    feedback: FeedbackStore
    pool: LoopPool[Deps]  # service calls, each worker with its own client
    inline: Deps  # small calls with nothing to fetch, on the server's loop (no client used)
    audit: CdsAudit
    replay: ReplayCache | None = None  # shared with the verifier; /readyz pings a Redis one


async def open_replay_cache(settings: Settings) -> ReplayCache:
    """The replay cache every process of this deployment shares (Redis, else SQLite)."""
    if settings.replay_redis_url is not None:
        redis = RedisReplayCache(settings.replay_redis_url.get_secret_value())
        await redis.ping()
        return redis
    sqlite = SqliteReplayCache(settings.replay_path)
    await asyncio.to_thread(sqlite.open)
    return sqlite


@asynccontextmanager
async def open_state(
    settings: Settings, term: Terminology, metrics: Metrics | None = None
) -> AsyncIterator[AppState]:
    """Open storage, keys, clients and worker loops; close them all on the way out."""
    async with AsyncExitStack() as stack:
        feedback = FeedbackStore(settings.feedback_path)
        await asyncio.to_thread(feedback.initialise)
        audit = CdsAudit(settings.audit_path, settings.public_base_url)
        await asyncio.to_thread(audit.check)
        client = httpx.AsyncClient(
            follow_redirects=False, cookies=no_cookies(), verify=default_tls()
        )
        http = await stack.enter_async_context(client)
        keys = KeyStore(settings.issuers, http, timeout=settings.jwks_timeout)
        keys.load_local()
        replay: ReplayCache | None = None
        if settings.issuers:
            replay = await open_replay_cache(settings)
            stack.push_async_callback(replay.close)
        verifier = Verifier(settings.issuers, http, replay=replay, keys=keys)
        pool: LoopPool[Deps] = LoopPool(
            settings.worker_threads, lambda client: Deps(term, client, settings, metrics)
        )
        await asyncio.to_thread(pool.start)
        # Within the 20 s of graceful shutdown (serve.py), a loop still computing left behind.
        stack.push_async_callback(asyncio.to_thread, pool.stop, 5.0)
        inline = Deps(term, http, settings, metrics)
        yield AppState(settings, term, http, verifier, feedback, pool, inline, audit, replay)
