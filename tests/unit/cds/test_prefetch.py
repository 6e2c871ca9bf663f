"""Prefetch states and the fallback to the client's FHIR server (respx stands in for it)."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cds.conftest import FHIR, patient_view, searchset, seed_resources

pytestmark = pytest.mark.anyio
TOKEN = {"access_token": "secret-token-123", "token_type": "Bearer", "expires_in": 300,
         "scope": "user/*.read", "subject": "spinemets"}  # fmt: skip


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _split(resources):
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    return conditions, observations


async def test_missing_keys_are_searched_with_paging_and_the_token(client, respx_mock):
    resources = seed_resources()
    _conditions, observations = _split(resources)
    half = len(observations) // 2
    page2 = f"{FHIR}?_getpages=abc&_getpagesoffset=200"  # HAPI's paging shape
    second = respx_mock.get(page2).respond(json=searchset(observations[half:]))
    first = respx_mock.get(f"{FHIR}/Observation", params={"_count": "200"}).respond(
        json=searchset(observations[:half], next_url=page2)
    )
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert first.called and second.called
    assert second.calls.last.request.headers["authorization"] == "Bearer secret-token-123"
    assert response.json()["cards"][0]["summary"].startswith("SINS 11 at T12")
    assert "secret-token-123" not in response.text


async def test_a_paged_prefetch_bundle_is_completed_from_the_server(client, respx_mock):
    resources = seed_resources()
    _, observations = _split(resources)
    page2 = f"{FHIR}/Observation?page=2"
    respx_mock.get(page2).respond(json=searchset(observations[3:]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["observations"] = searchset(observations[:3], next_url=page2)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.json()["cards"][0]["summary"].startswith("SINS 11 at T12")


async def test_operation_outcome_is_fetched_again(client, respx_mock):
    resources = seed_resources()
    conditions, _ = _split(resources)
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset(conditions))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = {"resourceType": "OperationOutcome", "issue": []}
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200 and route.called
    assert "authorization" not in route.calls.last.request.headers  # no token given: none sent


async def test_null_is_never_fetched(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = None
    await client.post("/cds-services/spinemets-scores", json=body)
    assert not route.called


@pytest.mark.parametrize("status", [401, 403, 404, 500, 503])
async def test_fhir_server_errors_are_412(client, respx_mock, status):
    respx_mock.get(f"{FHIR}/Observation").respond(status)
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert str(status) in response.json()["issue"][0]["diagnostics"]
    assert "secret-token-123" not in response.text


async def test_unreachable_or_non_fhir_servers_are_412(client, respx_mock):
    respx_mock.get(f"{FHIR}/Observation").mock(side_effect=httpx.ConnectTimeout("slow"))
    respx_mock.get(f"{FHIR}/Condition").respond(text="<html>")
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["observations"]
    del body["prefetch"]["conditions"]
    assert (await client.post("/cds-services/spinemets-scores", json=body)).status_code == 412


async def test_next_links_to_another_origin_are_not_followed(client, respx_mock):
    evil = respx_mock.get("https://evil.example.org/steal").respond(json=searchset([]))
    respx_mock.get(f"{FHIR}/Observation").respond(
        json=searchset([], next_url="https://evil.example.org/steal")
    )
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert not evil.called


async def test_patient_id_is_url_encoded_in_queries(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["context"]["patientId"] = "a&_include=*"
    body["prefetch"]["conditions"] = None
    del body["prefetch"]["conditions"]
    body["prefetch"]["observations"] = None
    await client.post("/cds-services/spinemets-scores", json=body)
    assert route.calls.last.request.url.params["patient"] == "a&_include=*"
    assert "_include" not in route.calls.last.request.url.params
