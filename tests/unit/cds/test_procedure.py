"""The procedure check: which orders get a card, and each criterion met, unmet or unknown."""

from __future__ import annotations

import pytest

from tests.unit.cds.conftest import patient_view, seed_resources

pytestmark = pytest.mark.anyio
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
CPT = "http://www.ama-assn.org/go/cpt"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def order(rid: str, code: str, status: str = "draft", system: str = CPT) -> dict:
    return {
        "resourceType": "ServiceRequest", "id": rid, "status": status, "intent": "order",
        "code": {"coding": [{"system": system, "code": code}], "text": f"Order {code}"},
        "subject": {"reference": "Patient/seed-01"},
    }  # fmt: skip


def medication() -> dict:  # the hook page's own example order kind
    return {
        "resourceType": "MedicationRequest", "id": "smart-MedicationRequest-103",
        "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "617993"}]},
        "subject": {"reference": "Patient/seed-01"},
    }  # fmt: skip


def order_request(hook: str, orders: list[dict], selections=None, resources=None) -> dict:
    body = patient_view(resources)
    body["hook"] = hook
    body["context"]["draftOrders"] = {
        "resourceType": "Bundle",
        "entry": [{"resource": o} for o in orders],
    }
    if selections is not None:
        body["context"]["selections"] = selections
    return body


def bilsky(grade: str, when: str = "2024-05-21T09:00:00Z", rid: str = "escc") -> dict:
    return {
        "resourceType": "Observation", "id": rid, "status": "final",
        "code": {"coding": [{"system": FINDING, "code": "epidural-spinal-cord-compression"}]},
        "valueCodeableConcept": {"coding": [{"system": FINDING, "code": grade}]},
        "subject": {"reference": "Patient/seed-01"}, "effectiveDateTime": when,
    }  # fmt: skip


async def call(client, body):
    response = await client.post("/cds-services/spinemets-procedure-check", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def statuses(card: dict) -> dict[str, str]:
    rows = [
        line.split(" | ")
        for line in card["detail"].splitlines()
        if line.startswith("| ") and "**" in line
    ]
    return {row[0].lstrip("| "): row[1].strip("*") for row in rows}


async def test_order_sign_for_vertebroplasty_checks_every_criterion(client):
    body = order_request("order-sign", [order("sr1", "22510"), medication()],
                         resources=[*seed_resources(), bilsky("bilsky-1a")])  # fmt: skip
    cards = (await call(client, body))["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert statuses(card) == {
        "Pathological fracture from metastasis": "met",
        "No neurological deficit": "met",
        "No epidural cord compression needing decompression": "met",
        "Expected survival ≥ 6 months (revised Tokuhashi ≥ 9)": "met",
        "Instability supports stabilisation (SINS ≥ 7)": "met",
    }
    assert card["indicator"] == "info"
    assert card["summary"] == "Order 22510: case-series criteria 5 met"


async def test_high_grade_compression_is_unmet_and_a_warning(client):
    body = order_request("order-sign", [order("sr1", "22842", status="active")],
                         resources=[*seed_resources(), bilsky("bilsky-2")])  # fmt: skip
    card = (await call(client, body))["cards"][0]
    assert statuses(card)["No epidural cord compression needing decompression"] == "unmet"
    assert card["indicator"] == "warning"
    assert "1 unmet" in card["summary"]


async def test_no_bilsky_grade_is_unknown(client):
    card = (await call(client, order_request("order-sign", [order("sr1", "22514")])))["cards"][0]
    assert statuses(card)["No epidural cord compression needing decompression"] == "unknown"
    assert "**Unknown:**" in card["detail"]


async def test_a_frankel_c_deficit_is_unmet(client):
    resources = seed_resources()
    for r in resources:
        if r.get("id") == "seed-01-frankel":
            r["valueCodeableConcept"] = {"coding": [{"system": FINDING, "code": "frankel-c"}]}
    card = (
        await call(
            client, order_request("order-sign", [order("sr1", "22511")], resources=resources)
        )
    )["cards"][0]
    assert statuses(card)["No neurological deficit"] == "unmet"


async def test_order_select_checks_only_the_selections(client):
    orders = [order("sr1", "22510"), order("sr2", "22513")]
    body = order_request("order-select", orders, selections=["ServiceRequest/sr2"])
    cards = (await call(client, body))["cards"]
    assert [c["summary"].split(":")[0] for c in cards] == ["Order 22513"]


async def test_other_orders_get_no_card_and_no_data_is_needed(client):
    body = order_request(
        "order-sign",
        [medication(), order("sr1", "99213"), order("sr2", "22510", status="completed")],
    )
    body.pop("prefetch")  # nothing to check: the missing prefetch does not matter
    assert await call(client, body) == {"cards": []}
    body = order_request(
        "order-select", [order("sr1", "22510")], selections=["ServiceRequest/other"]
    )
    assert await call(client, body) == {"cards": []}


@pytest.mark.parametrize(
    ("hook", "drop"), [("order-sign", "draftOrders"), ("order-select", "selections")]
)
async def test_order_context_is_required(client, hook, drop):
    body = order_request(hook, [order("sr1", "22510")], selections=["ServiceRequest/sr1"])
    body["context"].pop(drop)
    response = await client.post("/cds-services/spinemets-procedure-check", json=body)
    assert response.status_code == 400


async def test_a_neoplastic_fracture_condition_meets_the_fracture_criterion(client):
    resources = [r for r in seed_resources() if "collapse" not in r.get("id", "")]
    resources.append({
        "resourceType": "Condition", "id": "fx", "code": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M84.58XA"}]},
        "subject": {"reference": "Patient/seed-01"}, "recordedDate": "2024-05-10",
    })  # fmt: skip
    card = (
        await call(
            client, order_request("order-sign", [order("sr1", "22510")], resources=resources)
        )
    )["cards"][0]
    assert statuses(card)["Pathological fracture from metastasis"] == "met"
    assert "M84.58XA" in card["detail"]


async def test_missing_collapse_leaves_the_fracture_unknown(client):
    resources = [r for r in seed_resources() if "collapse" not in r.get("id", "")]
    card = (
        await call(
            client, order_request("order-sign", [order("sr1", "22510")], resources=resources)
        )
    )["cards"][0]
    assert statuses(card)["Pathological fracture from metastasis"] == "unknown"
