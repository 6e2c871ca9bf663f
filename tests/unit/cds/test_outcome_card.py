"""After an index procedure the patient-view card shows the outcome so far."""

from __future__ import annotations

import pytest

from tests.unit.cds.conftest import patient_view, seed_resources

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_the_card_shows_the_outcome_after_a_procedure(client, monkeypatch):
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time

    # Computed after the 6-month visit: the follow-up is in the past.
    monkeypatch.setattr(services, "now_time", lambda: parse_time("2026-11-26T00:00:00Z"))
    response = await client.post("/cds-services/spinemets-scores", json=patient_view())
    detail = response.json()["cards"][0]["detail"]
    assert "**After the procedure**" in detail
    assert "- Index procedure 2024-05-22 (T12, L2, L3; cement 6 mL)" in detail
    assert "- Pain 0–10: 8 (before) → 4 (7 days) → 0 (3 months) → 0 (6 months)" in detail
    assert "- Complications: none recorded" in detail


async def test_no_procedure_no_outcome_lines(client):
    resources = [r for r in seed_resources() if r["resourceType"] != "Procedure"]
    response = await client.post("/cds-services/spinemets-scores", json=patient_view(resources))
    assert all("After the procedure" not in c["detail"] for c in response.json()["cards"])


def _leak(patient: str) -> dict:
    return {"resourceType": "AdverseEvent", "id": "leak", "actuality": "actual",
            "subject": {"reference": f"Patient/{patient}"}, "date": "2024-05-23",
            "event": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding",
                                  "code": "cement-leakage"}]}}  # fmt: skip


@pytest.mark.parametrize("source", ["prefetch", "fhirServer"])
async def test_the_card_names_a_complication_recorded_as_an_adverse_event(
    client, monkeypatch, respx_mock, source
):
    """Contract §2 v3: AdverseEvent is part of the record on every surface, so the card no
    longer says "none recorded" where sync names a cement leakage."""
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time
    from tests.unit.cds.conftest import FHIR, searchset

    monkeypatch.setattr(services, "now_time", lambda: parse_time("2026-11-26T00:00:00Z"))
    resources = seed_resources()
    patient = next(r for r in resources if r["resourceType"] == "Patient")["id"]
    if source == "prefetch":
        body = patient_view([*resources, _leak(patient)])
    else:
        body = patient_view(resources, fhirServer=FHIR)
        del body["prefetch"]["adverseEvents"]
        route = respx_mock.get(
            f"{FHIR}/AdverseEvent", params={"subject": f"Patient/{patient}"}
        ).respond(json=searchset([_leak(patient)]))
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    detail = response.json()["cards"][0]["detail"]
    assert "- Complications: none recorded" not in detail
    assert "Complications: cement leakage" in detail
    if source == "fhirServer":
        assert route.called
