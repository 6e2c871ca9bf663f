"""The parts every patient's outputs share are built once (adapter/fhir/write/build.py: the survey
category, each component's element): no surface that hands outputs on may change one in place,
or every later patient's outputs would carry the change."""

from __future__ import annotations

import asyncio

import orjson
import respx

from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import score_patient
from tests.unit.cds.conftest import SEED_NOW, client_for, patient_view, seed_resources
from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_runner import run


def _outputs() -> bytes:
    [data] = patients_from_resources(seed_resources(), [])
    result = score_patient(data, default_terminology(), now=parse_time(SEED_NOW))
    return orjson.dumps([b.resource for b in result.resources()])


async def _call(settings) -> dict:
    configured = settings.model_copy(update={"system_actions": True})
    async with client_for(configured) as client:
        return (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()


def test_outputs_are_the_same_after_cards_and_sync_have_handed_them_on(settings):
    before = _outputs()
    body = asyncio.run(_call(settings))
    assert {a["resource"]["resourceType"] for a in body["systemActions"]} >= {"Observation"}
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources())
        patient = next(r["id"] for r in seed_resources() if r["resourceType"] == "Patient")
        assert [o.status for o in run([patient]).outcomes] == ["written"]
        assert fhir.transactions
    assert _outputs() == before
