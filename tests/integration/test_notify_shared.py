"""Two ``spinemets serve`` processes sharing one notification queue, as two hosts share Redis
(or two processes on one host share the SQLite file): a patient is re-synced by one process at a
time, and a process killed (SIGKILL) in the middle of a re-sync loses nothing — its claim comes
back when the lease ends and the other process completes it.

The FHIR server is the in-memory fake of the unit tests behind a real HTTP socket. Each process
reads with a token of its own, so the server sees which process each request is from, and flags
any moment when two processes have requests for one patient in flight.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import respx

from adapter.sync.notify import NotificationQueue, RedisNotificationQueue, SqliteNotificationQueue
from adapter.vocabulary.systems import ASSESSMENT_SID
from tests.integration.serve_process import clean_env, serving
from tests.redis_server import redis_server
from tests.unit.sync.fakefhir import FakeFhir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SECRET = "notify-" + "s" * 30
HEADERS = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/fhir+json"}
LEASE = 10  # seconds: the shortest lease the settings allow
VICTIM = "seed-01"  # the patient whose first re-sync is in flight when its process is killed
OTHERS = [f"seed-{n:02d}" for n in range(2, 10)]


def seed(name: str) -> list[dict]:
    bundle = json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())
    return [e["resource"] for e in bundle["entry"]]


def patient_of(method: str, path: str, body: bytes) -> str | None:
    """The patient a re-sync request is about: a read, a search by patient, a transaction."""
    url = urlsplit(path)
    if url.path.startswith("/r4/Patient/"):
        return url.path.rsplit("/", 1)[1]
    query = parse_qs(url.query)
    for name in ("patient", "subject"):
        if name in query:
            return unquote(query[name][0]).removeprefix("Patient/")
    if method == "POST":
        found = set(re.findall(rb'"Patient/([A-Za-z0-9.\-]+)"', body))
        return found.pop().decode() if len(found) == 1 else None
    return None


class SharedFhir:
    """The fake FHIR server on a socket; holds the victim's first re-sync until ``gate`` opens."""

    def __init__(self) -> None:
        self.fake = FakeFhir(respx.Router(), [r for p in [VICTIM, *OTHERS] for r in seed(p)])
        self.lock = threading.Lock()
        self.in_flight: dict[str, Counter[str]] = defaultdict(Counter)
        self.overlaps: list[str] = []
        self.first_seen: dict[tuple[str, str], float] = {}  # (patient, token) -> time
        self.gate = threading.Event()
        self.victim_held_by: str | None = None
        self.claimed_at: float | None = None

    def serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        token = handler.headers.get("authorization", "").removeprefix("Bearer ")
        patient = patient_of(handler.command, handler.path, body)
        with self.lock:
            if patient is not None:
                others = [t for t, n in self.in_flight[patient].items() if n and t != token]
                if others:
                    self.overlaps.append(f"{patient}: {token} while {others} in flight")
                self.in_flight[patient][token] += 1
                self.first_seen.setdefault((patient, token), time.time())
            hold = patient == VICTIM and not self.gate.is_set()
            if hold and self.victim_held_by is None:
                self.victim_held_by, self.claimed_at = token, time.time()
        try:
            if hold:
                self.gate.wait(60)
            time.sleep(0.05)  # every request takes a while: overlapping re-syncs would meet
            with self.lock:
                answer = self.fake.handle(
                    httpx.Request(handler.command, f"https://fhir.example.org{handler.path}",
                                  headers={"Content-Type": "application/fhir+json"}, content=body)
                )  # fmt: skip
        finally:
            if patient is not None:
                with self.lock:
                    self.in_flight[patient][token] -= 1
        return answer.status_code, answer.content

    def written(self) -> set[str]:
        """Patients with score results on the server."""
        return {
            r["subject"]["reference"].removeprefix("Patient/")
            for r in self.fake.of_type("RiskAssessment") + self.fake.of_type("Observation")
            if any(i.get("system") == ASSESSMENT_SID for i in r.get("identifier", []))
        }


@contextmanager
def listening(shared: SharedFhir) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status, content = shared.serve(self, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a killed process's connection breaks under a held answer: expected

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/r4"
    finally:
        shared.gate.set()
        server.shutdown()
        server.server_close()


def notify(base: str, patient: str) -> int:
    body = {
        "resourceType": "Observation",
        "id": "x",
        "subject": {"reference": f"Patient/{patient}"},
    }
    return httpx.post(f"{base}/fhir-notify", json=body, headers=HEADERS, timeout=10).status_code


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.1)


@pytest.mark.parametrize("store", ["redis", "sqlite"])
def test_two_processes_share_the_queue_and_a_killed_one_loses_nothing(tmp_path, store):
    shared = SharedFhir()
    with ExitStack() as stack:
        fhir = stack.enter_context(listening(shared))
        if store == "redis":
            url = stack.enter_context(redis_server(tmp_path))
            where = {"notify_redis_url": url}
            queue: NotificationQueue = RedisNotificationQueue(url, limit=100)
        else:
            where = {"notify_db": str(tmp_path / "shared.sqlite3")}
            queue = SqliteNotificationQueue(tmp_path / "shared.sqlite3", limit=100)
        processes = {}
        for name in ("host-a", "host-b"):
            env = clean_env(fhir_server=fhir, fhir_token=f"token-{name}", notify_secret=SECRET,
                            notify_lease=str(LEASE), state_dir=str(tmp_path / name), **where)  # fmt: skip
            log = tmp_path / f"{name}.log"
            processes[name] = stack.enter_context(serving(env, tmp_path, log=log))
        queue.open()
        stack.callback(queue.close)
        (a, _), (b, _) = processes["host-a"], processes["host-b"]

        assert notify(a, VICTIM) == 200
        wait_for(lambda: shared.victim_held_by is not None, 20, "the victim's re-sync")
        holder = shared.victim_held_by.removeprefix("token-")
        survivor = "host-b" if holder == "host-a" else "host-a"
        for _ in range(3):  # both processes take notifications, coalesced per patient
            for n, patient in enumerate([VICTIM, *OTHERS]):
                assert notify([a, b][n % 2], patient) == 200
        processes[holder][1].kill()  # SIGKILL: no shutdown, the claim stays leased
        processes[holder][1].wait(10)
        killed_at = time.time()
        shared.gate.set()
        for patient in OTHERS:  # news after the crash, to the survivor only
            assert notify(processes[survivor][0], patient) == 200

        wait_for(lambda: queue.size() == 0, LEASE + 40, "the queue to drain")

    assert shared.overlaps == []  # never two processes on one patient at the same time
    assert shared.written() == {VICTIM, *OTHERS}  # nothing accepted was lost
    # Killed while its lease held; the victim came back when the lease ended, to the survivor.
    assert shared.claimed_at is not None and killed_at - shared.claimed_at < LEASE
    resumed = shared.first_seen[(VICTIM, f"token-{survivor}")]
    assert resumed - shared.claimed_at >= LEASE - 1  # the claim came a moment before its read
