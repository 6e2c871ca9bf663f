"""A real ``spinemets serve`` read by an implementation of CDS Hooks written elsewhere: HAPI FHIR's
CDS Hooks models (hapi-fhir-server-cds-hooks 8.6.5) deserialize discovery and every service's
response to fixture requests (validator/ CdsHooksCheck), and fail on anything they reject."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.integration.interop import ROOT
from tests.integration.serve_process import clean_env, serving
from tests.unit.cds.conftest import patient_view, seed_resources

pytestmark = pytest.mark.integration

CPT = "http://www.ama-assn.org/go/cpt"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"


@pytest.fixture
def serve(tmp_path):
    with serving(clean_env(), tmp_path) as (base, _):
        yield base


def _order(rid: str, code: str, pid: str, level: str) -> dict:
    return {
        "resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order",
        "code": {"coding": [{"system": CPT, "code": code}], "text": f"Order {code}"},
        "subject": {"reference": f"Patient/{pid}"},
        "bodySite": [{"coding": [{"system": VERTEBRA, "code": level}]}],
    }  # fmt: skip


def _request(hook: str, seed: str) -> dict:
    """A fixture patient's request for a hook; order hooks carry a vertebroplasty and a
    pedicle-screw fixation order at a level of the patient's bone metastasis."""
    resources = seed_resources(seed)
    body = patient_view(resources)
    body["hook"] = hook
    if hook in ("order-select", "order-sign"):
        pid = body["context"]["patientId"]
        orders = [_order("sr-vp", "22510", pid, "L3"), _order("sr-fix", "22842", pid, "L3")]
        body["context"]["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": o} for o in orders],
        }
        if hook == "order-select":
            body["context"]["selections"] = ["ServiceRequest/sr-vp"]
    return body


def test_discovery_and_every_service_response_pass_hapi_models(serve, tmp_path):
    out = tmp_path / "cds"
    out.mkdir()
    with httpx.Client(base_url=serve, timeout=60) as client:
        discovery = client.get("/cds-services")
        assert discovery.status_code == 200
        (out / "discovery.json").write_text(discovery.text, encoding="utf-8")
        calls = 0
        for service in discovery.json()["services"]:
            for seed in ("seed-01", "seed-07"):
                response = client.post(
                    f"/cds-services/{service['id']}", json=_request(service["hook"], seed)
                )
                assert response.status_code == 200, (service["id"], response.text)
                assert response.json()["cards"], (service["id"], seed)
                name = f"{service['id']}.{service['hook']}.{seed}.json"
                (out / name).write_text(response.text, encoding="utf-8")
                calls += 1
    hooks = {s["hook"] for s in discovery.json()["services"]}
    assert {"patient-view", "order-select", "order-sign"} <= hooks
    check = subprocess.run(
        [str(ROOT / "scripts" / "validator"), "cds-hooks", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(check.stdout)
    assert check.returncode == 0, check.stdout + check.stderr[-2000:]
    assert f"{calls + 1} files, 0 failed" in check.stdout
