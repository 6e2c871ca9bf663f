"""The service never answers 500 to anything a client sends (contract §8): malformed resources in
the prefetch are invalid resources, a malformed request is a 400, a trailing slash is no redirect.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.cds.conftest import patient_view

pytestmark = pytest.mark.anyio
SCORES = "/cds-services/spinemets-scores"
JSON = {"content-type": "application/json"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _observation(**fields) -> dict:
    return {
        "resourceType": "Observation", "id": "bad", "status": "final",
        "subject": {"reference": "Patient/seed-01"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}, **fields,
    }  # fmt: skip


MALFORMED = {
    "coding is a number": _observation(code={"coding": 5}),
    "resourceType is an object": {"resourceType": {"x": 1}, "id": "o"},
    "subject is a string": _observation(subject="Patient/seed-01"),
    "effective time is a number": _observation(effectiveDateTime=5, valueInteger=80),
    "a condition's code is a list": {
        "resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/seed-01"},
        "code": [1, 2], "bodySite": 5, "clinicalStatus": "active", "extension": 5,
    },
    "a procedure of numbers": {
        "resourceType": "Procedure", "id": "p", "status": "completed",
        "subject": {"reference": "Patient/seed-01"}, "code": 5, "performedPeriod": 5,
    },
    "a medication reference that is a number": {
        "resourceType": "MedicationRequest", "id": "m", "status": "active",
        "subject": {"reference": "Patient/seed-01"}, "medicationReference": 5,
    },
}  # fmt: skip


@pytest.mark.parametrize("resource", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_resource_in_the_prefetch_is_ignored(client, resource):
    body = patient_view()
    body["prefetch"]["observations"]["entry"].append({"resource": resource})
    response = await client.post(SCORES, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["cards"]  # the rest of the patient is scored


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e400", "123456789012345678901234567890"]
)
async def test_a_number_json_cannot_hold_is_an_invalid_resource(client, number):
    plain = await client.post(SCORES, json=patient_view())
    raw = json.dumps(patient_view()).replace('"valueInteger": 80', f'"valueInteger": {number}', 1)
    assert number in raw
    response = await client.post(SCORES, content=raw, headers=JSON)
    assert response.status_code == 200, response.text
    # The KPS is ignored: the prognosis cards differ from the ones the valid KPS gives.
    assert response.json() != plain.json()


async def test_nesting_beyond_the_parser_limit_is_a_400(client):
    raw = json.dumps(patient_view())[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.post(SCORES, content=raw, headers=JSON)
    assert response.status_code == 400
    assert "recursion limit" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "server", ["https://\u00e9\u0301..example/fhir", "https://xn--a.example/fhir",
               "https://fhir.example.org:99999/r4"],
)  # fmt: skip
async def test_a_fhir_server_the_client_cannot_use_is_a_400(client, server):
    body = patient_view(fhirServer=server)
    del body["prefetch"]["conditions"]  # so the server would be read
    response = await client.post(SCORES, json=body)
    assert response.status_code == 400
    assert "fhirServer is not a usable URL" in response.text


@pytest.mark.parametrize("path", ["/cds-services/", "/cds-services/spinemets-scores/"])
async def test_a_trailing_slash_is_not_redirected_to_the_callers_host(client, path):
    response = await client.post(path, json={}, headers={"host": "attacker.example"})
    assert response.status_code in (404, 405)
    assert "location" not in response.headers
