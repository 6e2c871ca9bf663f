"""Clients of the project's HAPI server: a browser (CORS) and a Bulk Data client ($export, then
``spinemets score`` over the NDJSON it downloads)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.conftest import load_seed_copy
from tests.integration.interop import score
from tests.unit.test_fixtures import expected_for, read_back

pytestmark = pytest.mark.integration

ORIGIN = "https://app.example.test"


def test_cors_preflight_and_response_headers(fhir_base):
    preflight = httpx.options(
        f"{fhir_base}/Observation",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    answer = httpx.get(f"{fhir_base}/metadata", headers={"Origin": ORIGIN}, timeout=30)
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    # what a Bulk Data client in a browser must read while polling
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert {"content-location", "x-progress", "retry-after", "location"} <= {
        h.strip() for h in exposed.split(",")
    }
    assert "access-control-allow-credentials" not in answer.headers


def _export(base: str, pid: str) -> list[str]:
    """Kick-off, poll, download: the NDJSON files of one patient's data.

    A system-level export narrowed by ``_typeFilter`` (Patient/Group-level export needs HAPI's
    missing-fields index, off by default: hapi/README.md)."""
    with httpx.Client(timeout=60) as http:
        kickoff = http.get(
            f"{base}/$export",
            params={
                "_type": "Patient,Condition,Observation",
                "_typeFilter": f"Patient?_id={pid},Condition?subject=Patient/{pid},"
                f"Observation?subject=Patient/{pid}",
            },
            headers={"Accept": "application/fhir+json", "Prefer": "respond-async"},
        )
        assert kickoff.status_code == 202, kickoff.text
        status_url = kickoff.headers["content-location"]
        deadline = time.monotonic() + 240
        while True:
            status = http.get(status_url, headers={"Accept": "application/json"})
            if status.status_code == 200:
                break
            assert status.status_code == 202, status.text
            assert time.monotonic() < deadline, "export did not complete within 240 s"
            time.sleep(1)
        manifest = status.json()
        assert manifest["requiresAccessToken"] in (True, False)
        assert {o["type"] for o in manifest["output"]} == {"Patient", "Condition", "Observation"}
        files = []
        for item in manifest["output"]:
            got = http.get(item["url"], headers={"Accept": "application/fhir+ndjson"})
            assert got.status_code == 200, got.text
            files.append(got.text)
        return files


def test_bulk_export_then_score_the_ndjson(fhir_base, tmp_path):
    pid = load_seed_copy(fhir_base, "seed-07")
    files = _export(fhir_base, pid)
    lines = [line for text in files for line in text.splitlines() if line.strip()]
    assert len(lines) >= 10  # the patient, its Conditions and Observations
    ndjson = tmp_path / "export.ndjson"
    ndjson.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    bundle = score(ndjson, "--original", "--now", "2025-01-01T00:00:00Z")
    got = read_back(bundle)["patients"]
    assert set(got) == {pid}
    expected = expected_for(next(p for p in _seed() if p.stem == "seed-07"))["patients"]["seed-07"]
    for key in ("tomita", "tokuhashi-revised", "tokuhashi-original"):
        assert got[pid][key] == expected[key], key
    assert got[pid]["sins"] == expected["sins"]


def _seed():
    from tests.integration.interop import ROOT

    return sorted((ROOT / "fixtures" / "seed").glob("*.json"))
