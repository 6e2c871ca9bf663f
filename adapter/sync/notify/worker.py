"""The workers that drain the notification queue: re-sync one patient each, at most
``concurrency`` at a time, over the FHIR client's own bounded connection pool.

Nothing here shares anything with the CDS calls: a FHIR server that hangs holds at most
``concurrency`` re-syncs (and their connections), while the queue absorbs the rest up to its
bound. Stopping cancels the runs in flight and gives their leases back, so shutdown never waits
for a FHIR server; the next start re-syncs those patients. It does wait for the queue calls in
flight (bounded by the store's own timeout): a claim that lands after the leases were given back
would hold its patient until the lease ends.

A lease is short (``SPINEMETS_NOTIFY_LEASE``, 30 s) and renewed every third of it while its run
goes on: a worker that crashed (``kill -9``) holds its patient for at most one lease, and a run
whose renewals do not land stops before its lease could end, so two workers never run one patient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from adapter.errors import InputError, StorageError
from adapter.fhir.client import FhirClient
from adapter.mapping.terminology import Terminology
from adapter.pipeline import DEFAULT_SCORING, Scoring, now_time
from adapter.sync.notify.queue import Claim, NotificationQueue
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import Audit, Outcome, sync_patient

__all__ = ["Workers"]

log = logging.getLogger("spinemets.notify")
T = TypeVar("T")
_POLL = 1.0  # seconds: how soon work queued by another process is seen
_MARGIN = 0.1  # of the lease: a run stops this much before its lease could end
_BACKOFF = (30.0, 120.0, 600.0, 1800.0)  # seconds before retrying a failed re-sync


class Workers:
    """``concurrency`` tasks, each claiming a patient, re-syncing it, and reporting back."""

    def __init__(
        self,
        queue: NotificationQueue,
        client: FhirClient,
        term: Terminology,
        *,
        concurrency: int,
        attempts: int,
        lease: float,
        scoring: Scoring = DEFAULT_SCORING,
        policy: RetryPolicy | None = None,
        audit: Audit | None = None,
    ) -> None:
        self.queue, self.client, self.term = queue, client, term
        self.concurrency, self.attempts, self.lease = concurrency, attempts, lease
        self.scoring, self.policy = scoring, policy or RetryPolicy()
        self.audit = audit
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # What /metrics reports: re-syncs done, failed (retried or given up), workers restarted.
        self.counts = {"done": 0, "failed": 0, "given_up": 0, "restarted": 0}
        self._calls: set[asyncio.Future[Any]] = set()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._supervised()) for _ in range(self.concurrency)]

    def alive(self) -> bool:
        """Every worker task is running."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def _supervised(self) -> None:
        """:meth:`_loop`, restarted after anything it did not expect: never a silent death."""
        while True:
            try:
                await self._loop()
            except Exception as exc:  # noqa: BLE001 - the supervisor: logged, counted, restarted
                self.counts["restarted"] += 1
                log.error("notification worker restarted after %s", type(exc).__name__)
                await asyncio.sleep(_POLL)  # a failing store is not hammered

    def wake(self) -> None:
        """New work was queued (by this process)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the runs in flight (never wait for the FHIR server); give their leases back."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        # A thread is not cancelled with its task: let its call land before giving leases back.
        await asyncio.gather(*self._calls, return_exceptions=True)
        with contextlib.suppress(StorageError):
            await asyncio.to_thread(self.queue.release, self.owner)

    async def _call(self, method: Callable[..., T], *args: object) -> T:
        """``method(*args)`` in a thread, tracked until it returns even if the caller is
        cancelled (:meth:`stop` waits for it)."""
        future = asyncio.ensure_future(asyncio.to_thread(method, *args))
        self._calls.add(future)
        future.add_done_callback(self._settled)
        return await asyncio.shield(future)

    def _settled(self, future: asyncio.Future[Any]) -> None:
        # A call whose caller was cancelled still ends; its failure (a store gone away at
        # shutdown) is marked seen here, so it never surfaces as an unretrieved exception.
        self._calls.discard(future)
        if not future.cancelled():
            future.exception()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()  # before looking: a wake-up during the look is not lost
            claimed = time.time()
            try:
                claim = await self._call(self.queue.claim, self.owner, claimed, self.lease)
            except StorageError as exc:
                log.error("%s", exc)
                claim = None
            if claim is None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_POLL):
                        await self._wake.wait()
                continue
            await self._run(claim, claimed)

    async def _run(self, claim: Claim, claimed: float) -> None:
        try:
            outcome = await self._leased(claim, claimed)
        except InputError as exc:  # an id the server refuses to read: no retry can help
            outcome = Outcome(claim.patient, "failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - a poison patient fails alone, with its retries
            outcome = Outcome(claim.patient, "failed", f"internal error ({type(exc).__name__})")
        try:
            await self._report(claim, outcome)
        except StorageError as exc:
            log.error("%s", exc)  # the lease runs out and the patient is re-synced then

    async def _leased(self, claim: Claim, claimed: float) -> Outcome:
        """The re-sync, while the lease is renewed every third of it; cut off before the lease
        could end (a tenth of it early, for clocks), so no two workers ever run one patient."""
        held = [claimed + self.lease]
        run = asyncio.create_task(
            sync_patient(
                self.client,
                self.term,
                claim.patient,
                now=now_time(),
                policy=self.policy,
                scoring=self.scoring,
                audit=self.audit,
            )
        )
        holder = asyncio.create_task(self._hold(claim, held))
        try:
            while not run.done():
                left = held[0] - self.lease * _MARGIN - time.time()
                if left <= 0 or holder.done():
                    return Outcome(claim.patient, "failed", "the re-sync lost its lease")
                await asyncio.wait(
                    {run, holder},
                    timeout=min(left, self.lease / 3),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            return run.result()
        finally:
            for task in (run, holder):
                task.cancel()
            await asyncio.gather(run, holder, return_exceptions=True)

    async def _hold(self, claim: Claim, held: list[float]) -> None:
        """Renew the lease every third of it; return when it is lost (another holds it)."""
        while True:
            await asyncio.sleep(self.lease / 3)
            asked = time.time()
            try:
                if not await self._call(self.queue.renew, claim, asked, self.lease):
                    return
            except StorageError as exc:
                log.error("%s", exc)  # the run is cut off if no renewal lands in time
                continue
            held[0] = asked + self.lease

    async def _report(self, claim: Claim, outcome: Outcome) -> None:
        if outcome.status != "failed":
            log.info("re-scored Patient/%s: %s", claim.patient, outcome.status)
            await self._call(self.queue.done, claim)
            self.counts["done"] += 1
            return
        delay = _BACKOFF[min(claim.attempts, len(_BACKOFF) - 1)]
        kept = await self._call(self.queue.failed, claim, time.time() + delay, self.attempts)
        self.counts["failed" if kept else "given_up"] += 1
        if kept:
            log.warning(
                "re-sync of Patient/%s failed (%s); retry in %.0f s",
                claim.patient,
                outcome.reason,
                delay,
            )
        else:
            log.error(
                "re-sync of Patient/%s failed %d times (%s); given up until it is notified again",
                claim.patient,
                self.attempts,
                outcome.reason,
            )
