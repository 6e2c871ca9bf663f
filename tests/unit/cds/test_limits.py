"""What one request may cost: body size and time, list lengths, media type, the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import orjson
import pytest

import adapter.cds.services as services_module
from adapter.cds.feedback import FeedbackStore
from adapter.cds.offload import INLINE_MAX_BYTES
from tests.unit.cds.conftest import client_for, patient_view, searchset

pytestmark = pytest.mark.anyio
SCORES = "/cds-services/spinemets-scores"
FEEDBACK = "/cds-services/spinemets-scores/feedback"
JSON = {"content-type": "application/json"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _issue(response) -> dict:
    assert response.headers["content-type"].startswith("application/fhir+json")
    return response.json()["issue"][0]


def _item(n: int) -> dict:
    return {
        "card": f"card-{n}",
        "outcome": "overridden",
        "outcomeTimestamp": "2026-11-24T10:00:00Z",
    }


async def test_a_declared_body_over_the_limit_is_413_before_it_is_read(settings):
    small = settings.model_copy(update={"max_body_bytes": 4096})
    read = []

    async def body():
        read.append(1)
        yield b"{" + b" " * 10_000 + b"}"

    async with client_for(small) as client:
        response = await client.post(
            SCORES, content=body(), headers={**JSON, "content-length": "10002"}
        )
    assert response.status_code == 413
    assert _issue(response)["code"] == "too-costly"
    assert "4096 bytes" in _issue(response)["diagnostics"]
    assert read == []  # answered on the declared length: not one byte of the body was read


async def test_a_chunked_body_is_counted_and_cut_off_at_the_limit(settings):
    small = settings.model_copy(update={"max_body_bytes": 4096})
    sent = []

    async def chunks():
        for _ in range(1000):  # 1 MB offered, in 1 KB chunks
            sent.append(1)
            yield b" " * 1024

    async with client_for(small) as client:
        response = await client.post(SCORES, content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert len(sent) < 10  # refused as soon as the limit passed, not after the whole body


async def test_a_stalled_body_is_408(settings):
    quick = settings.model_copy(update={"body_timeout": 0.2})
    never = asyncio.Event()

    async def stalls():
        yield b'{"hook": '
        await never.wait()

    async with client_for(quick) as client:
        response = await client.post(SCORES, content=stalls(), headers=JSON)
    assert response.status_code == 408
    assert _issue(response)["code"] == "timeout"


async def test_too_many_feedback_items_is_413(settings):
    capped = settings.model_copy(update={"max_feedback_items": 10})
    async with client_for(capped) as client:
        over = await client.post(FEEDBACK, json={"feedback": [_item(n) for n in range(11)]})
        at = await client.post(FEEDBACK, json={"feedback": [_item(n) for n in range(10)]})
    assert over.status_code == 413 and "10 feedback items" in _issue(over)["diagnostics"]
    assert at.status_code == 200 and at.json() == {"stored": 10}


@pytest.mark.parametrize("where", ["userComment", "display", "an extension of the client's"])
async def test_a_feedback_text_over_the_limit_is_413_and_nothing_is_stored(settings, where):
    capped = settings.model_copy(update={"max_feedback_text": 50})
    reason: dict[str, Any] = {
        "reason": {"system": "http://example.org/r", "code": "c", "display": "x"}
    }
    item: dict[str, Any] = {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
            "overrideReason": reason}  # fmt: skip
    long = "w" * 51
    if where == "userComment":
        reason["userComment"] = long
    elif where == "display":
        reason["reason"]["display"] = long
    else:
        item["extension"] = [{"deep": [{"valueString": long}]}]
    async with client_for(capped) as client:
        over = await client.post(FEEDBACK, json={"feedback": [item]})
        item = json.loads(json.dumps(item).replace(long, "w" * 50))
        at = await client.post(FEEDBACK, json={"feedback": [item]})
    assert over.status_code == 413 and "over 50 characters" in _issue(over)["diagnostics"]
    assert at.status_code == 200 and at.json() == {"stored": 1}
    assert FeedbackStore(settings.feedback_path).counts()[0].overridden == 1


async def test_too_many_prefetch_entries_is_413(settings):
    capped = settings.model_copy(update={"max_prefetch_entries": 20})
    body = patient_view()
    body["prefetch"]["observations"] = searchset([{"resourceType": "Basic"}] * 25)
    async with client_for(capped) as client:
        response = await client.post(SCORES, json=body)
    assert response.status_code == 413
    assert "20 prefetch entries" in _issue(response)["diagnostics"]


async def test_a_10000_entry_prefetch_is_served_with_the_default_limits(client):
    body = patient_view()
    observations = body["prefetch"]["observations"]["entry"]
    filler = [{"resource": {"resourceType": "Observation", "id": f"o{n}", "status": "final",
                            "code": {"text": "unrelated"},
                            "subject": {"reference": f"Patient/{body['context']['patientId']}"}}}
              for n in range(10_000 - len(observations))]  # fmt: skip
    body["prefetch"]["observations"]["entry"] = observations + filler
    response = await client.post(SCORES, content=orjson.dumps(body), headers=JSON)
    assert response.status_code == 200
    assert response.json()["cards"][0]["summary"].startswith("T12 fixed on 22 May 2024")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None,
     "application/fhir+json", "application/jsonx"],
)  # fmt: skip
async def test_post_bodies_must_be_json(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    for url, body in ((SCORES, patient_view()), (FEEDBACK, {"feedback": [_item(1)]})):
        response = await client.post(url, content=json.dumps(body), headers=headers)
        assert response.status_code == 415
        assert _issue(response)["code"] == "not-supported"


async def test_json_with_a_charset_is_json(client):
    response = await client.post(
        SCORES, content=json.dumps(patient_view()),
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )  # fmt: skip
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"{not json", "application/json"), (b"{}", "application/json"), (b"x", "text/plain"),
     (b"", None)],
)  # fmt: skip
async def test_an_unknown_service_is_404_whatever_the_body(client, content, content_type):
    headers = {"content-type": content_type} if content_type else {}
    for url in ("/cds-services/nope", "/cds-services/nope/feedback"):
        response = await client.post(url, content=content, headers=headers)
        assert response.status_code == 404
        assert _issue(response)["code"] == "not-found"


def large_patient_view() -> dict:
    """A patient-view whose prefetch is over what is served on the server's loop: the seed
    patient and a year of daily labs the scores do not read."""
    body = patient_view()
    subject = body["prefetch"]["patient"]["id"]
    labs = [{"resourceType": "Observation", "id": f"lab{n}", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
             "subject": {"reference": f"Patient/{subject}"}, "effectiveDateTime": "2024-01-01",
             "valueQuantity": {"value": 90 + n % 40, "unit": "mg/dL"}} for n in range(365)]  # fmt: skip
    body["prefetch"]["observations"]["entry"] += [{"resource": lab} for lab in labs]
    assert len(json.dumps(body)) > INLINE_MAX_BYTES
    return body


async def test_a_call_being_scored_does_not_hold_up_other_requests(client, monkeypatch):
    """While one call with a large prefetch is inside scoring (held there by a gate), discovery
    is answered: the scoring runs off the event loop. On the loop, discovery could not run
    until it finished. (A small call with nothing to fetch is served on the loop: a few
    milliseconds, less than the hand-over to a worker.)"""
    inside, gate = threading.Event(), threading.Event()
    from adapter.pipeline import score_patient as real  # what the services imported

    def held(*args, **kwargs):
        inside.set()
        gate.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(services_module, "score_patient", held)
    call = asyncio.ensure_future(client.post(SCORES, json=large_patient_view()))
    assert await asyncio.to_thread(inside.wait, 30)
    discovery = await client.get("/cds-services")
    answered_while_scoring = not gate.is_set() and not call.done()
    gate.set()
    assert discovery.status_code == 200 and answered_while_scoring
    assert (await call).status_code == 200


async def test_a_feedback_write_that_fails_later_is_503_without_detail(client, monkeypatch):
    import sqlite3

    from adapter.cds.feedback import FeedbackStore

    def full(self):
        raise sqlite3.OperationalError("database or disk is full: /var/lib/secret/path")

    monkeypatch.setattr(FeedbackStore, "_connect", full)  # after start-up: the disk filled up
    response = await client.post(FEEDBACK, json={"feedback": [_item(1)]})
    assert response.status_code == 503
    assert "secret" not in response.text
