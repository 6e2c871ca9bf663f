"""Leases of the notification workers: short, renewed while a run goes on, ended on their own
after a crash, and never letting two workers run one patient at once (both stores)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from adapter.errors import StorageError
from adapter.mapping.terminology import default_terminology
from adapter.sync.notify.settings import NotifySettings
from adapter.sync.notify.worker import Workers
from adapter.sync.runner import Outcome

pytestmark = pytest.mark.anyio
LEASE = 0.6


@pytest.fixture
def anyio_backend():
    return "asyncio"


class FakeSync:
    """Stands in for sync_patient: takes ``seconds``, records who ran when, and overlaps."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self.runs: list[tuple[float, float | None]] = []  # start, end (None: cut off)
        self.cut_at: float | None = None

    async def __call__(self, client, term, patient, **_) -> Outcome:
        self.running += 1
        self.most = max(self.most, self.running)
        self.runs.append((time.time(), None))
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cut_at = time.time()
            raise
        finally:
            self.running -= 1
        self.runs[-1] = (self.runs[-1][0], time.time())
        return Outcome(patient, "unchanged")


def workers(queue, **extra) -> Workers:
    return Workers(queue, None, default_terminology(), concurrency=1, attempts=5, **extra)


async def until(check, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.02)


def test_the_default_lease_is_well_under_a_minute():
    assert NotifySettings().notify_lease == 30.0


async def test_a_run_longer_than_its_lease_keeps_it_and_no_one_else_runs_the_patient(
    backend, monkeypatch
):
    lease = 1.2  # renewed every 0.4 s, with 0.12 s to spare: room for a busy machine
    fake = FakeSync(seconds=3 * lease)
    monkeypatch.setattr("adapter.sync.notify.worker.sync_patient", fake)
    store = backend.open(limit=10)
    store.put("p1", time.time())
    one, two = workers(backend.open(limit=10), lease=lease), workers(store, lease=lease)
    one.start()
    two.start()
    try:
        await until(lambda: store.size() == 0)
    finally:
        await one.stop()
        await two.stop()
    assert fake.most == 1 and len(fake.runs) == 1 and fake.runs[0][1] is not None


async def test_a_crashed_workers_lease_ends_on_its_own_within_one_lease(backend, monkeypatch):
    fake = FakeSync(seconds=0.0)
    monkeypatch.setattr("adapter.sync.notify.worker.sync_patient", fake)
    store = backend.open(limit=10)
    store.put("p1", time.time())
    crashed = time.time()
    assert store.claim("killed-9", crashed, LEASE) is not None  # its owner never comes back
    alive = workers(store, lease=LEASE)
    alive.start()
    try:
        await until(lambda: store.size() == 0)
    finally:
        await alive.stop()
    (start, _), poll = fake.runs[0], 1.0
    assert crashed + LEASE <= start < crashed + LEASE + poll + 2.0  # 2 s: a busy machine


class Renewals:
    """A queue whose renewals answer ``lost`` or fail (a store gone away)."""

    def __init__(self, queue, *, fail: bool) -> None:
        self.queue, self.fail = queue, fail

    def renew(self, claim, now, lease):
        if self.fail:
            raise StorageError("notification queue: disk I/O error")
        return False

    def __getattr__(self, name):
        return getattr(self.queue, name)


@pytest.mark.parametrize("fail", [False, True], ids=["lease taken over", "store unreachable"])
async def test_a_run_whose_lease_cannot_be_kept_stops_before_the_lease_ends(
    backend, monkeypatch, caplog, fail
):
    lease = 3.0  # its tenth, the margin before the lease ends, is well above a busy loop's lag
    fake = FakeSync(seconds=10 * lease)
    monkeypatch.setattr("adapter.sync.notify.worker.sync_patient", fake)
    store = backend.open(limit=10)
    claimed = time.time()
    store.put("p1", claimed)
    caplog.set_level(logging.WARNING, "spinemets.notify")
    worker = workers(Renewals(store, fail=fail), lease=lease)
    worker.start()
    try:
        await until(lambda: "lost its lease" in caplog.text)
    finally:
        await worker.stop()
    ((_, end),) = fake.runs
    assert end is None and fake.cut_at is not None  # cut off, never finished
    assert fake.cut_at < claimed + lease  # before any other worker could have claimed it
