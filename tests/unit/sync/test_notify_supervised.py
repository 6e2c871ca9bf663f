"""A supervised notification worker never dies silently (contract §8): a poison notification
fails alone, logged and counted, and the workers carry on with the next; /readyz and /metrics
say what happened."""

from __future__ import annotations

import asyncio

import pytest
import respx

import adapter.sync.notify.worker as worker_module
from tests.unit.sync.conftest import Backend
from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_notify import (
    AUTH,
    finding,
    notify_settings,
    rows,
    seed_resources,
    service,
    until,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_a_poison_patient_fails_alone_and_the_worker_carries_on(tmp_path, monkeypatch,
                                                                      caplog):  # fmt: skip
    real = worker_module.sync_patient

    async def poisoned(client, term, patient, **kwargs):
        if patient == "poison":
            raise TypeError("an unexpected shape")
        return await real(client, term, patient, **kwargs)

    monkeypatch.setattr(worker_module, "sync_patient", poisoned)
    backend = Backend("sqlite", path=tmp_path / "n.sqlite3")
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
        async with service(tmp_path, notify_settings(backend, notify_concurrency=1)) as client:
            for patient in ("poison", "seed-03"):
                answer = await client.post("/fhir-notify", json=finding(patient), headers=AUTH)
                assert answer.status_code == 200
            workers = client.notifications.workers
            await until(lambda: workers.counts["done"] == 1, "the good patient's re-sync")
            await until(lambda: workers.counts["failed"] == 1, "the poison patient's failure")
            assert workers.alive()
            assert (await client.get("/readyz")).json()["checks"]["notifications"] == "ok"
            text = (await client.get("/metrics")).text
        assert fhir.transactions  # the good patient was written
    assert 'spinemets_notifications_total{event="queued"} 2.0' in text
    assert 'spinemets_notifications_total{event="done"} 1.0' in text
    assert 'spinemets_notifications_total{event="failed"} 1.0' in text
    assert any("internal error (TypeError)" in r.getMessage() for r in caplog.records)
    assert rows(backend) == 1  # the poison patient waits for its retry, not lost


async def test_a_worker_that_fails_outside_a_run_is_restarted(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(worker_module, "_POLL", 0.05)
    backend = Backend("sqlite", path=tmp_path / "n.sqlite3")
    with respx.mock:
        FakeFhir(respx.mock, seed_resources("seed-03"))
        async with service(tmp_path, notify_settings(backend, notify_concurrency=1)) as client:
            workers = client.notifications.workers
            real_claim = workers.queue.claim
            calls = []

            def claim(*args):
                calls.append(1)
                if len(calls) == 1:
                    raise RuntimeError("a store that misbehaves once")
                return real_claim(*args)

            monkeypatch.setattr(workers.queue, "claim", claim)
            await until(lambda: workers.counts["restarted"] == 1, "the restart")
            answer = await client.post("/fhir-notify", json=finding("seed-03"), headers=AUTH)
            assert answer.status_code == 200
            await until(lambda: workers.counts["done"] == 1, "the re-sync after the restart")
            assert workers.alive()
    assert any("restarted after RuntimeError" in r.getMessage() for r in caplog.records)


async def test_readyz_says_when_a_worker_is_dead(tmp_path):
    backend = Backend("sqlite", path=tmp_path / "n.sqlite3")
    with respx.mock:
        FakeFhir(respx.mock, [])
        async with service(tmp_path, notify_settings(backend)) as client:
            for task in client.notifications.workers._tasks:
                task.cancel()
            await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["notifications"] == "dead"
