"""FHIR rest-hook notifications through the CDS app, in-process, with an in-memory FHIR server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import respx

from adapter.cds.app import create_app
from adapter.cds.settings import Settings
from adapter.mapping.terminology import default_terminology
from adapter.sync.notify import Notifications, NotifySettings
from adapter.sync.notify.worker import Workers
from tests.unit.sync.conftest import Backend
from tests.unit.sync.fakefhir import BASE, FakeFhir, reads_patient

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]
SECRET = "s" * 32
AUTH = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/fhir+json"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def seed_resources(name: str) -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


def finding(patient: str) -> dict:
    return {
        "resourceType": "Observation",
        "id": "x1",
        "subject": {"reference": f"Patient/{patient}"},
    }


def notify_settings(backend: Backend, **extra) -> NotifySettings:
    return NotifySettings(fhir_server=BASE, notify_secret=SECRET, **backend.settings, **extra)


@asynccontextmanager
async def service(tmp_path, settings: NotifySettings):
    notifications = Notifications(settings, terminology=default_terminology())
    app = create_app(Settings(feedback_db=tmp_path / "f.sqlite3"), extensions=[notifications])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.notifications = notifications  # type: ignore[attr-defined]
            yield client


async def until(check, what: str, seconds: float = 10.0):
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.02)


def rows(backend: Backend) -> int:
    """Patients in the queue, seen through a connection of its own."""
    queue = backend.open(limit=10)
    try:
        return queue.size()
    finally:
        queue.close()


async def test_notifications_are_off_without_a_secret_even_on_loopback(tmp_path):
    settings = NotifySettings(notify_db=tmp_path / "n.sqlite3")
    assert not settings.enabled
    async with service(tmp_path, settings) as client:
        answer = await client.put("/fhir-notify/Observation/x1", json=finding("p"), headers=AUTH)
        assert answer.status_code == 404
    assert not (tmp_path / "n.sqlite3").exists()


@pytest.mark.parametrize(
    ("overrides", "status"),
    [({"Authorization": "Bearer wrong-secret-wrong-secret"}, 401), ({"Authorization": ""}, 401),
     ({"Content-Type": "application/json"}, 415), ({"Content-Type": "text/plain"}, 415)],
)  # fmt: skip
async def test_refused_notifications_store_nothing(tmp_path, backend, overrides, status):
    with respx.mock:
        FakeFhir(respx.mock, [])
        async with service(tmp_path, notify_settings(backend)) as client:
            answer = await client.put("/fhir-notify/Observation/x1", json=finding("p"),
                                      headers={**AUTH, **overrides})  # fmt: skip
            assert answer.status_code == status
            assert answer.json()["resourceType"] == "OperationOutcome"
            assert rows(backend) == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1]", json.dumps(finding("..")).encode()])
async def test_unusable_bodies_are_400(tmp_path, body):
    with respx.mock:
        FakeFhir(respx.mock, [])
        settings = notify_settings(Backend("sqlite", path=tmp_path / "n.sqlite3"))
        async with service(tmp_path, settings) as client:
            answer = await client.post("/fhir-notify", content=body, headers=AUTH)
            assert answer.status_code == 400


async def test_a_notification_is_stored_before_it_is_acknowledged(tmp_path, backend):
    with respx.mock:
        respx.route(host="fhir.example.org").mock(side_effect=httpx.ConnectError("down"))
        async with service(tmp_path, notify_settings(backend)) as client:
            answer = await client.put(
                "/fhir-notify/Observation/x1", json=finding("p1"), headers=AUTH
            )
            assert answer.status_code == 200
            assert rows(backend) == 1  # stored, seen by another connection


async def test_a_full_queue_answers_503_and_the_bound_holds(tmp_path, backend):
    with respx.mock:
        gate = asyncio.Event()

        async def hang(_):
            await gate.wait()

        respx.route(host="fhir.example.org").mock(side_effect=hang)
        settings = notify_settings(backend, notify_queue_limit=5, notify_concurrency=1)
        async with service(tmp_path, settings) as client:
            statuses = []
            for n in range(20):
                answer = await client.post("/fhir-notify", json=finding(f"p{n}"), headers=AUTH)
                statuses.append(answer.status_code)
            assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {503}
            refused = await client.post("/fhir-notify", json=finding("p19"), headers=AUTH)
            assert refused.headers["retry-after"] == "30"
            assert rows(backend) == 5
            # Already queued: coalesced, accepted even when full.
            again = await client.post("/fhir-notify", json=finding("p4"), headers=AUTH)
            assert again.status_code == 200


async def test_the_patient_is_rescored_and_a_burst_costs_at_most_two_runs(tmp_path, backend):
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
        gate = asyncio.Event()
        reads = []
        original = fhir.handle

        async def gated(request):
            if reads_patient(request, "seed-03"):
                reads.append(1)
                await gate.wait()
            return original(request)

        respx.mock.routes.clear()
        respx.route(host="fhir.example.org").mock(side_effect=gated)
        async with service(tmp_path, notify_settings(backend)) as client:
            for _ in range(10):
                answer = await client.put(
                    "/fhir-notify/Observation/x1", json=finding("seed-03"), headers=AUTH
                )
                assert answer.status_code == 200
                await asyncio.sleep(0)
            await until(lambda: reads, "the first re-sync")
            gate.set()
            await until(lambda: rows(backend) == 0, "the queue to drain")
        assert len(reads) == 2  # the run in flight, then one more for everything after it
        assert len(fhir.transactions) == 1  # the second run found nothing new to write


async def test_what_was_queued_before_a_restart_is_drained_at_start(tmp_path, backend):
    queue = backend.open(limit=10)
    queue.put("seed-03", 1.0)
    queue.put("seed-05", 2.0)
    queue.close()
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
        async with service(tmp_path, notify_settings(backend)):
            await until(lambda: rows(backend) == 0, "the queue to drain")
        subjects = {e["resource"]["subject"]["reference"] for t in fhir.transactions for e in t["entry"]
                    if "subject" in e["resource"]}  # fmt: skip
        assert subjects == {"Patient/seed-03", "Patient/seed-05"}


async def test_shutdown_does_not_wait_for_a_hanging_fhir_server(tmp_path, backend):
    with respx.mock:
        started = asyncio.Event()

        async def hang(_):
            started.set()
            await asyncio.Event().wait()  # never answers

        respx.route(host="fhir.example.org").mock(side_effect=hang)
        settings = notify_settings(backend, notify_timeout=3600)
        async with asyncio.timeout(10):  # the shutdown below would otherwise wait an hour
            async with service(tmp_path, settings) as client:
                await client.put("/fhir-notify/Observation/x1", json=finding("p1"), headers=AUTH)
                await started.wait()
    # The lease was given back: the next start re-syncs the patient at once.
    queue = backend.open(limit=10)
    assert queue.claim("next", 0.0, 60).patient == "p1"


class SlowClaims:
    """A queue whose claims wait for ``proceed``: a claim still in flight when shutdown begins."""

    def __init__(self, queue) -> None:
        self.queue = queue
        self.entered = threading.Event()
        self.proceed = threading.Event()
        self.finished = threading.Event()

    def claim(self, owner, now, lease):
        self.entered.set()
        self.proceed.wait(10)
        try:
            return self.queue.claim(owner, now, lease)
        finally:
            self.finished.set()

    def __getattr__(self, name):
        return getattr(self.queue, name)


async def test_a_claim_in_flight_at_shutdown_is_given_back_too(backend):
    queue = backend.open(limit=10)
    queue.put("p1", time.time())
    slow = SlowClaims(queue)
    workers = Workers(slow, None, default_terminology(), concurrency=1, attempts=5, lease=600)
    workers.start()
    await asyncio.to_thread(slow.entered.wait, 10)
    # The claim completes only after shutdown began: its lease must be given back all the same.
    asyncio.get_running_loop().call_later(0.2, slow.proceed.set)
    await workers.stop()
    await asyncio.to_thread(slow.finished.wait, 10)
    claim = backend.open(limit=10).claim("next", time.time(), 60)
    assert claim is not None and claim.patient == "p1"
