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
    assert "- Index procedure 22 May 2024 (T12, L2, L3; cement 6 mL)" in detail
    assert "- Pain 0–10: 8 (before) → 4 (7 days) → 0 (3 months) → 0 (6 months)" in detail
    assert "- Complications: none recorded" in detail


async def test_no_procedure_no_outcome_lines(client):
    resources = [r for r in seed_resources() if r["resourceType"] != "Procedure"]
    response = await client.post("/cds-services/spinemets-scores", json=patient_view(resources))
    assert all("After the procedure" not in c["detail"] for c in response.json()["cards"])
