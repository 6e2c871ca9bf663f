"""FHIR rest-hook notifications: new score inputs on the FHIR server re-score that patient.

``spinemets subscriptions create`` registers R4 Subscriptions whose channel points at
``{base}/fhir-notify`` (:mod:`.routes`); each notification queues its patient in a bounded,
persisted queue (:mod:`.queue`: SQLite on one host, :mod:`.sqlite_queue`; Redis for several,
:mod:`.redis_queue`) that a few workers drain (:mod:`.worker`), each re-sync reading,
scoring and writing one patient as ``spinemets sync`` does. The CDS app mounts
:attr:`Notifications.router` and runs :meth:`Notifications.lifespan`; nothing else is shared
with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import APIRouter

from adapter.datadirs import audit_file
from adapter.fhir.client import FhirClient
from adapter.mapping.terminology import Terminology, default_terminology
from adapter.pipeline import Scoring
from adapter.sync.audit import SyncAudit
from adapter.sync.notify.queue import Claim, NotificationQueue
from adapter.sync.notify.redis_queue import RedisNotificationQueue
from adapter.sync.notify.routes import Active, notification_router
from adapter.sync.notify.settings import NotifySettings, load_notify_settings
from adapter.sync.notify.sqlite_queue import SqliteNotificationQueue
from adapter.sync.notify.worker import Workers

__all__ = [
    "Claim",
    "NotificationQueue",
    "Notifications",
    "NotifySettings",
    "RedisNotificationQueue",
    "SqliteNotificationQueue",
    "load_notify_settings",
]


class Notifications:
    """The notification endpoint and its queue, as one feature the service mounts."""

    def __init__(self, settings: NotifySettings, *, terminology: Terminology | None = None) -> None:
        self.settings = settings
        self._term = terminology
        self._active: Active | None = None
        self.workers: Workers | None = None
        self.router: APIRouter = notification_router(lambda: self._active)

    def alive(self) -> bool:
        """The workers run (or notifications are off: nothing to be dead)."""
        return self.workers is None or self.workers.alive()

    def stats(self) -> Mapping[str, float]:
        """Notifications queued, refused (queue full), re-syncs done, failed, given up."""
        out: dict[str, float] = {}
        if self._active is not None:
            out |= self._active.counts
        if self.workers is not None:
            out |= self.workers.counts
        return out

    @classmethod
    def from_env(cls) -> Notifications:
        """From ``SPINEMETS_*``; refuses unusable settings or storage at once (exit 2)."""
        settings = load_notify_settings()
        if settings.enabled:
            probe = settings.queue()
            probe.open()
            probe.close()
        return cls(settings)

    def _audit(self, client: FhirClient) -> SyncAudit:
        """Re-syncs are sync writes: recorded in the service's audit trail."""
        settings = self.settings
        path = audit_file(settings.audit_file, settings.state_dir)
        return SyncAudit(path, client, send=settings.audit_send)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Open the queue and start the workers (what is queued from before is drained now)."""
        settings = self.settings
        if not settings.enabled or settings.notify_secret is None:
            yield
            return
        queue = settings.queue()
        await asyncio.to_thread(queue.open)
        term = self._term or default_terminology()
        try:
            async with FhirClient.connect(settings.fhir()) as client:
                workers = Workers(
                    queue,
                    client,
                    term,
                    concurrency=settings.notify_concurrency,
                    attempts=settings.notify_attempts,
                    lease=settings.notify_lease,
                    scoring=Scoring.of(settings, original=settings.original_tokuhashi),
                    audit=self._audit(client),
                )
                workers.start()
                self.workers = workers
                self._active = Active(
                    queue, settings.notify_secret.get_secret_value(), workers.wake
                )
                try:
                    yield
                finally:
                    self._active = None
                    await workers.stop()
                    self.workers = None
        finally:
            await asyncio.to_thread(queue.close)
