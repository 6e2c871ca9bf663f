"""Issue 9's scenario at small scale: a burst of FHIR notifications while the FHIR server hangs
must not slow the CDS service down, and SIGTERM must not wait for that server.

Real sockets on loopback: a FHIR server that accepts connections and never answers, and a small
one that answers the CDS call's fallback reads.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adapter.cds.app import create_app
from adapter.cds.settings import Settings
from adapter.mapping.terminology import default_terminology
from adapter.sync.notify import Notifications, NotifySettings, SqliteNotificationQueue
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SECRET = "notify-" + "x" * 30
HEADERS = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/fhir+json"}


def seed(name: str = "seed-01") -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


class Hanging:
    """Accepts every connection, reads, never answers; counts the connections it holds."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            while await reader.read(65536):
                pass
        finally:
            self.open -= 1
            writer.close()


async def answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A FHIR server with seed-01: the Patient, and search Bundles by resource type."""
    resources = seed()
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            rtype = path.split("/fhir/", 1)[1].split("?")[0].split("/")[0]
            if "?" in path:
                found = [r for r in resources if r["resourceType"] == rtype]
                body = {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [{"resource": r} for r in found],
                }
            else:
                body = next(r for r in resources if r["resourceType"] == rtype)
            data = json.dumps(body).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(data), data))  # fmt: skip
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def notification(n: int) -> dict:
    return {"resourceType": "Observation", "id": f"o{n}", "subject": {"reference": f"Patient/p{n}"}}


async def scenario(tmp_path: Path) -> None:
    hanging = Hanging()
    stuck = await asyncio.start_server(hanging.handle, "127.0.0.1", 0)
    good = await asyncio.start_server(answering, "127.0.0.1", 0)
    stuck_url = f"http://127.0.0.1:{stuck.sockets[0].getsockname()[1]}/fhir"
    good_url = f"http://127.0.0.1:{good.sockets[0].getsockname()[1]}/fhir"
    settings = NotifySettings(fhir_server=stuck_url, notify_secret=SECRET, notify_db=tmp_path / "n.sqlite3",
                              notify_concurrency=2, notify_queue_limit=50, notify_timeout=3600)  # fmt: skip
    notifications = Notifications(settings, terminology=default_terminology())
    app = create_app(Settings(feedback_db=tmp_path / "f.sqlite3", fhir_timeout=5, fhir_http_loopback=True),
                     terminology=default_terminology(), extensions=[notifications])  # fmt: skip
    async with asyncio.timeout(60):  # the shutdown at the end must not wait for the hanging server
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                statuses = []
                for n in range(300):
                    answer = await client.put(
                        f"/fhir-notify/Observation/o{n}", json=notification(n), headers=HEADERS
                    )
                    statuses.append(answer.status_code)
                    assert notifications.workers is not None
                    assert notifications.workers.queue.size() <= 50  # the bound holds throughout
                assert statuses.count(200) == 50 and statuses.count(503) == 250
                while hanging.open == 0:  # the re-syncs reached the FHIR server and are stuck there
                    await asyncio.sleep(0.05)
                # Discovery and a CDS call that reads from its own fhirServer both complete.
                assert (await client.get("/cds-services")).status_code == 200
                body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                        "fhirServer": good_url, "context": {"userId": "Practitioner/x", "patientId": "seed-01"}}  # fmt: skip
                called = await client.post("/cds-services/spinemets-scores", json=body)
                assert called.status_code == 200, called.text
                assert len(called.json()["cards"]) == 4  # with the outcome card (§6 v3)
                # At most `concurrency` re-syncs, each with its five reads, hold connections.
                assert hanging.most <= 2 * 5
    for writer in hanging.writers:
        writer.close()
    for server in (stuck, good):
        server.close()
        await server.wait_closed()


def test_notifications_while_the_fhir_server_hangs_do_not_starve_cds_calls(tmp_path):
    asyncio.run(scenario(tmp_path))


def test_sigterm_returns_promptly_while_re_syncs_hang_and_the_queue_survives(tmp_path):
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(1000)  # connections are completed by the kernel, then never answered
    port = free_port()
    env = {**os.environ, "SPINEMETS_FHIR_SERVER": f"http://127.0.0.1:{hang.getsockname()[1]}/fhir",
           "SPINEMETS_NOTIFY_SECRET": SECRET, "SPINEMETS_NOTIFY_DB": str(tmp_path / "n.sqlite3"),
           "SPINEMETS_NOTIFY_TIMEOUT": "3600", "SPINEMETS_NOTIFY_QUEUE_LIMIT": "100",
           "SPINEMETS_FEEDBACK_DB": str(tmp_path / "f.sqlite3"), "SPINEMETS_ACCESS_LOG": "false"}  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "serve", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/cds-services", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            statuses = [client.post("/fhir-notify", json=notification(n), headers=HEADERS).status_code
                        for n in range(150)]  # fmt: skip
        assert statuses.count(200) == 100 and statuses.count(503) == 50
        time.sleep(1)  # the workers are now waiting on the FHIR server
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then re-raises the signal it caught: -SIGTERM is a clean exit.
        assert proc.wait(timeout=10) in (0, -signal.SIGTERM), (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
        hang.close()
    # Nothing acknowledged was lost, and nothing stays leased (the shutdown gave the leases
    # back rather than dying with them): the next start drains it all at once.
    queue = SqliteNotificationQueue(tmp_path / "n.sqlite3", limit=100)
    queue.open()
    assert queue.size() == 100
    claimed = [queue.claim("next", time.time(), 60) for _ in range(100)]
    assert all(c is not None for c in claimed)
