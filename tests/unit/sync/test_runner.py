"""The runner against a mocked FHIR server: a failing patient does not stop the run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import respx

from adapter.fhir.client import FhirClient
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patients

BASE = "https://fhir.example.org/r4"
ROOT = Path(__file__).resolve().parents[3]


def seed_resources(name: str) -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


def searchset(resources):
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


@respx.mock
def test_one_patient_failing_does_not_stop_the_others():
    good = seed_resources("seed-03")
    respx.get(f"{BASE}/Patient/seed-03").mock(return_value=httpx.Response(200, json=good[0]))
    respx.get(f"{BASE}/Patient/gone").mock(
        return_value=httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
    )
    respx.get(url__regex=rf"{BASE}/Condition\?patient=seed-03.*").mock(
        return_value=httpx.Response(
            200, json=searchset([r for r in good if r["resourceType"] == "Condition"])
        )
    )
    respx.get(url__regex=rf"{BASE}/Observation\?patient=seed-03.*").mock(
        return_value=httpx.Response(
            200, json=searchset([r for r in good if r["resourceType"] == "Observation"])
        )
    )
    for rtype in ("Procedure", "Encounter"):
        respx.get(url__regex=rf"{BASE}/{rtype}\?patient=seed-03.*").mock(
            return_value=httpx.Response(
                200, json=searchset([r for r in good if r["resourceType"] == rtype])
            )
        )
    respx.get(url__regex=rf"{BASE}/AdverseEvent\?subject=Patient%2Fseed-03.*").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    respx.get(
        url__regex=rf"{BASE}/(Condition|Observation|Procedure|Encounter)\?patient=gone.*"
    ).mock(return_value=httpx.Response(200, json=searchset([])))
    respx.get(url__regex=rf"{BASE}/AdverseEvent\?subject=Patient%2Fgone.*").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    posted = []

    def answer(request):
        bundle = json.loads(request.content)
        posted.append(bundle)
        return httpx.Response(
            200,
            json={
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [{"response": {"status": "201 Created"}} for _ in bundle["entry"]],
            },
        )

    respx.post(f"{BASE}/").mock(side_effect=answer)

    async def go():
        async with httpx.AsyncClient() as http:

            async def make_client():
                return FhirClient(http, BASE)

            return await sync_patients(
                make_client,
                default_terminology(),
                ["gone", "seed-03"],
                now=parse_time("2025-01-01T00:00:00Z"),
                policy=RetryPolicy(attempts=2, base_delay=0),
            )

    summary = asyncio.run(go())
    by_patient = {o.patient: o for o in summary.outcomes}
    assert by_patient["gone"].status == "failed" and "404" in by_patient["gone"].reason
    assert by_patient["seed-03"].status == "written" and by_patient["seed-03"].created == len(
        posted[0]["entry"]
    )
    written = [e["resource"] for e in posted[0]["entry"]]
    assert any(r.get("code", {}).get("coding", [{}])[0].get("code") == "outcome-trajectory"
               for r in written)  # fmt: skip
    assert posted[0]["type"] == "transaction"
    assert all(
        e["request"]["method"] == "POST" and "ifNoneExist" in e["request"]
        for e in posted[0]["entry"]
    )
    lines = summary.lines()
    assert "written 1" in lines[0] and "failed 1" in lines[0] and "Patient/gone" in lines[1]


@respx.mock
def test_observation_search_asks_only_for_score_and_outcome_inputs():
    route = respx.get(url__regex=rf"{BASE}/Observation\?.*").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    respx.get(url__regex=rf"{BASE}/(Condition|Procedure|Encounter|AdverseEvent)\?.*").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    respx.get(f"{BASE}/Patient/p").mock(
        return_value=httpx.Response(200, json={"resourceType": "Patient", "id": "p"})
    )
    respx.post(f"{BASE}/").mock(
        return_value=httpx.Response(200, json={"resourceType": "Bundle", "entry": []})
    )

    async def go():
        async with httpx.AsyncClient() as http:

            async def make_client():
                return FhirClient(http, BASE)

            return await sync_patients(
                make_client, default_terminology(), ["p"], now=parse_time("2025-01-01T00:00:00Z")
            )

    asyncio.run(go())
    query = str(route.calls[0].request.url)
    assert "code=http%3A%2F%2Fspinemets.org%2Ffhir%2FCodeSystem%2Ffinding%7C" in query
    assert "89243-0" in query and "89247-1" in query
    assert all(code in query for code in ("72514-3", "38208-5", "38214-3", "96761-2"))
