"""Operating the service (contract §8): admission control, health, metrics, JSON logs, a client
that hangs up, internal errors, and the fallback read's deadline and size cap."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import threading

import httpx
import pytest

import adapter.cds.routes.services as routes
from adapter.cds.logs import JsonFormatter, redact
from adapter.cds.services import call_service
from adapter.errors import StorageError
from tests.unit.cds.conftest import FHIR, client_for, patient_view, searchset, seed_resources

pytestmark = pytest.mark.anyio
SCORES = "/cds-services/spinemets-scores"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def gate(monkeypatch):
    """Service calls wait until the gate opens."""
    opened = asyncio.Event()
    real = call_service  # what the routes imported

    async def gated(*args):
        await opened.wait()
        return await real(*args)

    monkeypatch.setattr(routes, "call_service", gated)
    return opened


def _in_flight(client) -> float:
    return client.app.state.metrics.in_flight._value.get()


async def _wait_for(check, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


async def test_beyond_the_limit_in_flight_a_call_is_shed_at_once(settings, gate):
    async with client_for(settings.model_copy(update={"max_in_flight": 2})) as client:
        held = [asyncio.create_task(client.post(SCORES, json=patient_view())) for _ in range(2)]
        await _wait_for(lambda: _in_flight(client) == 2)
        async with asyncio.timeout(1):  # fast: refused, not queued
            shed = await client.post(SCORES, json=patient_view())
        assert shed.status_code == 503
        assert shed.headers["retry-after"] == "1"
        assert shed.json()["issue"][0]["code"] == "throttled"
        # Health and metrics are never shed.
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200
        gate.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await client.post(SCORES, json=patient_view())).status_code == 200
        text = (await client.get("/metrics")).text
    assert "spinemets_calls_shed_total 1.0" in text
    assert 'spinemets_cds_calls_total{service="spinemets-scores",status="503"} 1.0' in text
    assert 'spinemets_cds_calls_total{service="spinemets-scores",status="200"} 3.0' in text


async def test_metrics_count_calls_by_service_and_status_with_latency(client):
    await client.post(SCORES, json=patient_view())
    await client.post("/cds-services/no-such-service", json=patient_view())
    await client.get("/cds-services")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'spinemets_cds_calls_total{service="spinemets-scores",status="200"} 1.0' in text
    assert 'spinemets_cds_calls_total{service="unknown",status="404"} 1.0' in text
    assert 'spinemets_cds_calls_total{service="discovery",status="200"} 1.0' in text
    assert 'spinemets_cds_call_seconds_count{service="spinemets-scores"} 1.0' in text
    assert "no-such-service" not in text  # labels come from a fixed set, never the caller


async def test_healthz_and_readyz(client, monkeypatch):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"stores": "ok", "keys": "ok", "workers": "ok", "notifications": "ok"},
    }
    state = client.app.state.spinemets
    monkeypatch.setattr(state.pool, "alive", lambda: False)
    dead = await client.get("/readyz")
    assert dead.status_code == 503
    assert dead.json()["checks"]["workers"] == "dead"

    def broken():
        raise StorageError("feedback database: disk I/O error")

    monkeypatch.setattr(state.feedback, "initialise", broken)
    assert (await client.get("/readyz")).json()["checks"]["stores"] == "unusable"


class _Lines:
    """The spinemets loggers' records, formatted as the service writes them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    def __enter__(self):
        for name in ("spinemets", "httpx"):
            logger = logging.getLogger(name)
            logger.addHandler(self.handler)
        self.level = logging.getLogger("spinemets").level
        logging.getLogger("spinemets").setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        for name in ("spinemets", "httpx"):
            logging.getLogger(name).removeHandler(self.handler)
        logging.getLogger("spinemets").setLevel(self.level)

    def entries(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


async def test_each_log_line_is_one_json_object_with_the_hook_instance(client):
    with _Lines() as lines:
        await client.post(SCORES, json=patient_view())
    entries = lines.entries()
    access = [e for e in entries if e["logger"] == "spinemets.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == HOOK_INSTANCE
    assert access[0]["status"] == 200 and access[0]["path"] == SCORES
    assert access[0]["service"] == "spinemets-scores"


_SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
    "scheme": "http", "path": SCORES, "raw_path": SCORES.encode(), "query_string": b"",
    "root_path": "", "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
    "client": ("127.0.0.1", 1), "server": ("test", 80),
}  # fmt: skip


async def _disconnected():
    return {"type": "http.disconnect"}


async def _discard(message):
    pass


async def test_a_client_that_hangs_up_costs_one_line(client):
    with _Lines() as lines:
        await client.app({**_SCOPE, "state": {}}, _disconnected, _discard)
    assert [e["message"] for e in lines.entries()] == [
        "POST /cds-services/spinemets-scores 499 (the client hung up)"
    ]
    assert "spinemets_client_hangups_total 1.0" in (await client.get("/metrics")).text


async def _answered_call(app, raw: bytes) -> None:
    """One call as uvicorn makes it: the body, then a receive that waits until the answer is
    sent (the client's next message, were it to hang up)."""
    sent = asyncio.Event()
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        if reads == 1:
            return {"type": "http.request", "body": raw, "more_body": False}
        await sent.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            sent.set()

    await app({**_SCOPE, "state": {}}, receive, send)


async def test_a_call_leaves_nothing_for_the_garbage_collector(client):
    """Everything a call makes is freed when it is done: a reference cycle per call left ~50
    objects each to the collector, whose pauses (5–50 ms, every few seconds under load) stalled
    every call waiting behind them."""
    raw = json.dumps(patient_view()).encode()
    await _answered_call(client.app, raw)  # lazy imports and caches
    await asyncio.sleep(0)
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            await _answered_call(client.app, raw)
        await asyncio.sleep(0)  # the listeners end
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 20  # fewer than one object a call


async def test_without_access_lines_a_hang_up_still_costs_one_line(settings):
    quiet = settings.model_copy(update={"access_log": False})
    async with client_for(quiet) as client:
        with _Lines() as lines:
            await client.app({**_SCOPE, "state": {}}, _disconnected, _discard)
    assert [e["message"] for e in lines.entries()] == [
        "the client hung up before its request was read"
    ]


async def test_an_internal_error_is_a_500_outcome_and_one_line(client, monkeypatch):
    async def broken(*args):
        raise RuntimeError("patient Jane Doe, token abc")

    monkeypatch.setattr(routes, "call_service", broken)
    with _Lines() as lines:
        response = await client.post(SCORES, json=patient_view())
    assert response.status_code == 500
    assert response.json()["issue"][0]["diagnostics"] == "internal error"
    errors = [e for e in lines.entries() if e["level"] == "error"]
    assert [e["message"] for e in errors] == ["internal error: RuntimeError"]
    assert "Jane" not in lines.stream.getvalue()


def _fallback(**settings_update):
    body = patient_view(fhirServer=FHIR, fhirAuthorization={
        "access_token": "secret-token", "token_type": "Bearer", "expires_in": 300,
        "scope": "patient/*.read", "subject": "spinemets"})  # fmt: skip
    del body["prefetch"]["conditions"]
    return body


async def test_the_fallback_read_has_a_size_cap(settings, respx_mock):
    conditions = [r for r in seed_resources() if r["resourceType"] == "Condition"]
    padded = searchset(conditions)
    padded["meta"] = {"tag": [{"display": "x" * 200_000}]}
    respx_mock.get(f"{FHIR}/Condition").respond(json=padded)
    capped = settings.model_copy(update={"fhir_max_bytes": 100_000})
    with _Lines() as lines:
        async with client_for(capped) as client:
            response = await client.post(SCORES, json=_fallback())
            text = (await client.get("/metrics")).text
    assert response.status_code == 412
    assert 'spinemets_fallback_reads_total{outcome="failed"} 1.0' in text
    assert any("answers over 100000 bytes" in e["message"] for e in lines.entries())
    async with client_for(settings) as client:  # the default cap lets it through
        assert (await client.post(SCORES, json=_fallback())).status_code == 200
        text = (await client.get("/metrics")).text
    assert 'spinemets_fallback_reads_total{outcome="ok"} 1.0' in text


async def test_the_fallback_read_has_a_total_deadline(settings, respx_mock):
    async def slow(request):
        await asyncio.sleep(5)
        return httpx.Response(200, json=searchset([]))

    respx_mock.get(f"{FHIR}/Condition").mock(side_effect=slow)
    hurried = settings.model_copy(update={"fhir_deadline": 0.3})
    async with client_for(hurried) as client:
        async with asyncio.timeout(3):
            response = await client.post(SCORES, json=_fallback())
    assert response.status_code == 412


async def test_no_password_token_or_patient_search_reaches_the_log(settings, respx_mock):
    respx_mock.get(host="fhir.example.org").mock(side_effect=httpx.ConnectError("refused"))
    body = _fallback()
    body["fhirServer"] = "https://user:hunter2@fhir.example.org/r4"
    with _Lines() as lines:
        async with client_for(settings) as client:
            assert (await client.post(SCORES, json=body)).status_code == 412
    logged = lines.stream.getvalue()
    assert "fhir.example.org" in logged
    # Logged on a worker loop's thread, still with the call's request id.
    warning = next(e for e in lines.entries() if e["logger"] == "spinemets.cds.prefetch")
    assert warning["request_id"] == HOOK_INSTANCE
    for secret in ("hunter2", "secret-token", "patient=seed-01", "user:"):
        assert secret not in logged


def test_redaction():
    assert redact("GET https://u:p@h.example/r4/Condition?patient=7 done") == (
        "GET https://***@h.example/r4/Condition?… done"
    )
    assert "abc" not in redact("Authorization: Bearer abc.def.ghi")
    assert redact("sent Bearer abc.def.ghi") == "sent Bearer ***"
    assert redact("searched Observation?patient=7&_count=200") == "searched Observation?…"
    assert redact('{"access_token": "abc"}') == '{"access_token": "***"}'


async def test_a_body_still_arriving_holds_no_place_in_flight(settings):
    finish = asyncio.Event()
    raw = json.dumps(patient_view()).encode()

    async def trickle():
        yield raw[:10]
        await finish.wait()
        yield raw[10:]

    async with client_for(settings.model_copy(update={"max_in_flight": 1})) as client:
        slow = asyncio.create_task(client.post(SCORES, content=trickle(), headers={
            "content-type": "application/json", "content-length": str(len(raw))}))  # fmt: skip
        await asyncio.sleep(0.1)
        assert _in_flight(client) == 0
        assert (await client.post(SCORES, json=patient_view())).status_code == 200
        finish.set()
        assert (await slow).status_code == 200


async def test_a_client_that_hangs_up_on_a_slow_fhir_server_frees_its_place_at_once(
    settings, respx_mock
):
    """The EHR gave up after a moment; the fhirServer read would have run to its deadline and
    kept the call's place in flight, refusing the next clinician's call (503) meanwhile. The
    call is cancelled when the client goes, its read stopped, and it costs one 499 line and a
    count (docs/operations.md)."""
    read_stopped = threading.Event()

    async def hanging(request):
        try:
            await asyncio.sleep(30)
        finally:  # runs on the worker loop that reads fhirServer
            read_stopped.set()
        return httpx.Response(200, json=searchset([]))

    respx_mock.get(f"{FHIR}/Condition").mock(side_effect=hanging)
    raw = json.dumps(_fallback()).encode()
    reads = 0

    async def gives_up():
        nonlocal reads
        reads += 1
        if reads == 1:
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.sleep(0.3)  # the client waits a moment, then closes the connection
        return {"type": "http.disconnect"}

    one = settings.model_copy(update={"max_in_flight": 1, "fhir_deadline": 4, "fhir_timeout": 4})
    with _Lines() as lines:
        async with client_for(one) as client:
            scope = {**_SCOPE, "state": {}}
            hung_up = asyncio.create_task(client.app(scope, gives_up, _discard))
            await _wait_for(lambda: _in_flight(client) == 1)
            await asyncio.sleep(0.6)  # past the hang-up
            assert _in_flight(client) == 0
            assert (await client.post(SCORES, json=patient_view())).status_code == 200
            async with asyncio.timeout(1):
                await hung_up
            assert await asyncio.to_thread(read_stopped.wait, 1)
            text = (await client.get("/metrics")).text
    assert "spinemets_client_hangups_total 1.0" in text
    assert 'spinemets_cds_calls_total{service="spinemets-scores",status="499"} 1.0' in text
    access = [e["message"] for e in lines.entries() if e["logger"] == "spinemets.access"]
    assert access[0] == "POST /cds-services/spinemets-scores 499 (the client hung up)"
    assert not [e for e in lines.entries() if e["level"] == "error"]


async def test_a_hook_instance_that_is_no_uuid_never_reaches_the_logs_as_sent(client):
    """CDS Hooks makes hookInstance a UUID; a client that puts a name and a birth date there
    would have them in every log line of the call. A UUID is logged as it is; anything else
    by a digest, so that its lines still share one id."""
    sent = "Zyxwvutson Quintella 1955-03-08"
    with _Lines() as lines:
        answered = await client.post(SCORES, json=patient_view(hookInstance=sent))
    assert answered.status_code == 200  # accepted, as the EHR sent it
    entries = lines.entries()
    assert entries and not [e for e in entries if "Quintella" in json.dumps(e)]
    ids = {e.get("request_id") for e in entries if e["logger"] == "spinemets.access"}
    assert len(ids) == 1 and next(iter(ids)).startswith("sha256:")


async def test_a_hook_instance_that_is_a_uuid_is_logged_as_sent(client):
    """An EHR that logs its hookInstances in upper case finds its calls by a plain search."""
    sent = "D1577C69-DFBE-44AD-BA6D-3E05E953B2EA"
    with _Lines() as lines:
        await client.post(SCORES, json=patient_view(hookInstance=sent))
    access = [e for e in lines.entries() if e["logger"] == "spinemets.access"]
    assert [e["request_id"] for e in access] == [sent]


async def test_a_uuid_padded_with_dashes_is_logged_by_its_digest(client):
    """The UUID parser drops every dash: a "UUID" padded with thousands of them is no UUID as
    CDS Hooks sends one, and is never copied onto every log line."""
    sent = "d1577c69" + "-" * 5000 + "dfbe44adba6d3e05e953b2ea"
    with _Lines() as lines:
        await client.post(SCORES, json=patient_view(hookInstance=sent))
    ids = {e.get("request_id") for e in lines.entries() if e["logger"] == "spinemets.access"}
    assert len(ids) == 1 and next(iter(ids)).startswith("sha256:")
