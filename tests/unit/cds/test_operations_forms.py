"""Operating the SDC operations and the audit trail (contract §7, §8): ``$populate`` and
``$extract`` share the CDS calls' admission count and metrics, a malformed body is a 4xx never a
500, and ``/readyz`` says when the audit trail cannot be written."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapter.errors import StorageError
from tests.unit.cds.conftest import client_for, patient_view
from tests.unit.cds.test_operations import SCORES, _in_flight, _wait_for, gate  # noqa: F401

pytestmark = pytest.mark.anyio
POPULATE = "/fhir/Questionnaire/sins/$populate"
EXTRACT = "/fhir/QuestionnaireResponse/$extract"
FHIR_JSON = {"content-type": "application/fhir+json"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_the_form_operations_are_shed_with_the_cds_calls(settings, gate):  # noqa: F811
    async with client_for(settings.model_copy(update={"max_in_flight": 1})) as client:
        held = asyncio.create_task(client.post(SCORES, json=patient_view()))
        await _wait_for(lambda: _in_flight(client) == 1)
        for path in (POPULATE, EXTRACT):
            async with asyncio.timeout(1):  # refused at once, not queued behind the held call
                shed = await client.post(path, json={"resourceType": "Parameters"})
            assert shed.status_code == 503
            assert shed.headers["retry-after"] == "1"
            assert shed.json()["issue"][0]["code"] == "throttled"
        gate.set()
        assert (await held).status_code == 200
        text = (await client.get("/metrics")).text
    assert 'spinemets_cds_calls_total{service="populate",status="503"} 1.0' in text
    assert 'spinemets_cds_calls_total{service="extract",status="503"} 1.0' in text
    assert "spinemets_calls_shed_total 2.0" in text


async def test_the_form_operations_have_their_own_metrics_labels(client):
    await client.post(EXTRACT, json={"resourceType": "Parameters", "parameter": []})
    await client.post(
        "/fhir/Questionnaire/nothing/$populate",
        json={"resourceType": "Parameters", "parameter": []},
    )
    text = (await client.get("/metrics")).text
    assert 'spinemets_cds_calls_total{service="extract",status="400"} 1.0' in text
    assert 'spinemets_cds_calls_total{service="populate",status="404"} 1.0' in text
    assert "nothing" not in text  # labels come from a fixed set, never the caller


def _deep() -> str:
    return '{"resourceType": "Parameters", "x": ' + "[" * 5000 + "]" * 5000 + "}"


PARTS = {"resourceType": "Parameters", "parameter": [
    {"name": "context", "part": 5}, {"name": "subject", "valueReference": 5},
    {"name": "questionnaire-response", "resource": [1]}]}  # fmt: skip
NUMBERS = {"resourceType": "Parameters", "parameter": [
    {"name": "context", "part": [{"name": "content", "resource": {
        "resourceType": "Bundle", "entry": [5, {"resource": 7}, {"resource": {
            "resourceType": "Patient", "id": 5, "birthDate": 1}}]}}]}]}  # fmt: skip
MALFORMED = {
    "a list": "[1, 2]",
    "a number": "5",
    "NaN": '{"resourceType": "QuestionnaireResponse", "status": NaN, "item": [{"linkId": 1e400}]}',
    "resourceType an object": '{"resourceType": {"x": 1}}',
    "parameter a string": '{"resourceType": "Parameters", "parameter": "context"}',
    "parameter of numbers": '{"resourceType": "Parameters", "parameter": [1, null, true]}',
    "a part that is a number": json.dumps(PARTS),
    "a record bundle of numbers": json.dumps(NUMBERS),
    "nested beyond the parser's limit": _deep(),
    "not JSON": "{",
}


@pytest.mark.parametrize("path", [POPULATE, EXTRACT])
@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_body_is_a_4xx_never_a_500(client, caplog, path, raw):
    response = await client.post(path, content=raw, headers=FHIR_JSON)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "Traceback" not in caplog.text and "internal error" not in caplog.text


async def test_readyz_says_when_the_audit_trail_cannot_be_written(client, monkeypatch):
    state = client.app.state.spinemets

    def full():
        raise StorageError("audit trail: No space left on device")

    monkeypatch.setattr(state.audit, "check", full)
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["stores"] == "unusable"
