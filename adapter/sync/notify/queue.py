"""The notification queue's contract, which both stores keep and the workers and endpoint rely on.

- :class:`~adapter.sync.notify.sqlite_queue.SqliteNotificationQueue`: one SQLite file, for every
  process on one host (``serve --workers N``);
- :class:`~adapter.sync.notify.redis_queue.RedisNotificationQueue`: one Redis server, for
  replicas on several hosts.

Either way the queue holds at most ``limit`` patients, one entry per patient (a notification for
a patient already queued raises its generation instead: a run that finds it changed runs once
more); an entry is claimed by one worker at a time, under a lease, and a worker that dies with a
claim loses nothing: the entry is due again when the lease ends. A lease is short (seconds) and
renewed while its run goes on, so a crash holds its patient for at most one lease. Every time is
the caller's (epoch seconds), so every method can be tested without a clock. Every method
blocks: call it from a worker thread (``asyncio.to_thread``). A store that fails raises
:class:`~adapter.errors.StorageError` (exit 2 at start-up, 503 on the endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Claim", "NotificationQueue"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A patient leased to ``owner``: the generation and failed attempts seen when claimed."""

    patient: str
    generation: int
    attempts: int
    owner: str


class NotificationQueue(Protocol):
    """A bounded, persisted, per-patient coalescing queue with leases."""

    limit: int

    def open(self) -> None:
        """Connect and prove the store writable; StorageError (one line) if not."""

    def close(self) -> None: ...

    def put(self, patient: str, now: float) -> bool:
        """Queue a re-sync of ``patient``; False when the queue is full (nothing stored)."""

    def claim(self, owner: str, now: float, lease: float) -> Claim | None:
        """The oldest patient due for a re-sync, leased to ``owner`` until ``now + lease``."""

    def renew(self, claim: Claim, now: float, lease: float) -> bool:
        """Extend a lease still held to ``now + lease``; False when it has ended or passed on."""

    def done(self, claim: Claim) -> None:
        """The re-sync finished: forget the patient, unless notified again meanwhile."""

    def failed(self, claim: Claim, retry_at: float, attempts: int) -> bool:
        """The re-sync failed: retry at ``retry_at``; False (and forgotten) after ``attempts``."""

    def release(self, owner: str) -> None:
        """Give back every lease of ``owner`` (shutdown): its patients are due at once."""

    def size(self) -> int:
        """Patients queued, leased or not."""
