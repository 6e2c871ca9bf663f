"""The procedure-check services (contract §4, §5) through the app: two services, one hook each;
the card per order, its indicator and wording. The criteria themselves: tests/unit/procedure."""

from __future__ import annotations

import pytest

from tests.support.records import NOW, condition, default_patient, draft_orders, finding, order
from tests.unit.cds.conftest import prefetch_for

pytestmark = pytest.mark.anyio
SIGN = "/cds-services/spinemets-procedure-check"
SELECT = "/cds-services/spinemets-procedure-check-select"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def seed_clock(monkeypatch):
    """The services compute at the time of the request: pin it to the records' NOW."""
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time

    monkeypatch.setattr(services, "now_time", lambda: parse_time(NOW))


def body(hook: str, orders, resources=None, selections=None) -> dict:
    out = {
        "hook": hook,
        "hookInstance": "c7e2d1f0-2c4b-4a8e-9d5e-0f3b1a2c4d5e",
        "context": {"userId": "Practitioner/x", "patientId": "p", "draftOrders": draft_orders(*orders)},
        "prefetch": prefetch_for(resources if resources is not None else default_patient()),
    }  # fmt: skip
    if selections is not None:
        out["context"]["selections"] = selections
    return out


async def cards(client, path: str, payload: dict) -> list[dict]:
    response = await client.post(path, json=payload)
    assert response.status_code == 200, response.text
    return response.json()["cards"]


def statuses(card: dict, level: str) -> list[str]:
    """The status column of one level's criteria table, in criterion order."""
    lines = card["detail"].splitlines()
    start = lines.index(f"**{level}**")
    rows = [ln for ln in lines[start:] if ln.startswith("| ") and "**" in ln]
    return [row.split(" | ")[2].strip("*") for row in rows[:7]]


async def test_a_vertebroplasty_meeting_every_criterion_is_info_never_indicated(client):
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22511", "T12")]))
    assert card["indicator"] == "info"
    assert (
        card["summary"]
        == "Vertebroplasty/kyphoplasty at T12: meets the case series' selection criteria"
    )
    assert statuses(card, "T12") == ["met"] * 7
    detail = card["detail"]
    assert "SINS at T12: 10 (potentially unstable (indeterminate))" in detail
    assert "not a criterion" in detail and "revised Tokuhashi 6–13" in detail
    assert "Not checked: infection, cardiopulmonary fitness, the patient's wishes." in detail
    assert "indicated" not in (card["summary"] + detail).replace("not an indication", "")


async def test_order_select_is_its_own_service_and_checks_the_selection(client):
    orders = [order("a", "22511", "T12"), order("b", "22513", "T12")]
    got = await cards(client, SELECT, body("order-select", orders, selections=["ServiceRequest/b"]))
    assert len(got) == 1
    wrong_hook = await client.post(SELECT, json=body("order-sign", orders))
    assert wrong_hook.status_code == 400


async def test_compression_at_the_level_is_critical_with_what_to_do_first(client):
    resources = default_patient(drop=("bilsky-t12",), extra=(
        finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12"),
    ))  # fmt: skip
    (card,) = await cards(
        client, SIGN, body("order-sign", [order("vp", "22511", "T12")], resources)
    )
    assert card["indicator"] == "critical"
    assert "suspected cord compression" in card["summary"]
    assert "decompression and radiotherapy first" in card["summary"]
    assert len(card["summary"]) < 140


async def test_an_order_without_a_level_asks_for_it(client):
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22511")]))
    assert card["indicator"] == "warning"
    assert "no level ordered" in card["summary"] and "record the level" in card["summary"]
    assert "**The order names no level**" in card["detail"]


async def test_a_cervical_order_is_outside_the_population_studied(client):
    resources = default_patient(extra=(condition("met-c5", "C79.51", level="C5"),))
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22511", "C5")], resources))
    assert statuses(card, "C5")[0] == "unmet" and "outside the population studied" in card["detail"]
    assert card["indicator"] == "warning"


async def test_a_deceased_patients_order_is_a_warning_to_check_identity(client):
    # contract §4 v3: "recorded as deceased on 3 Dec 2026 — check the patient's identity"
    resources = default_patient()
    resources[0]["deceasedDateTime"] = "2024-05-31"
    (card,) = await cards(
        client, SIGN, body("order-sign", [order("vp", "22511", "T12")], resources)
    )
    assert card["indicator"] == "warning"
    assert "recorded as deceased on 31 May 2024 — check the patient's identity" in card["summary"]
    assert "recommend" not in card["summary"] and "criteria" not in card["summary"]
    assert card["uuid"]


async def test_orders_this_service_does_not_check_need_no_data(client):
    payload = body("order-sign", [order("wiring", "22841", "T12"), order("x", "99213")])
    payload.pop("prefetch")
    assert await cards(client, SIGN, payload) == []


@pytest.mark.parametrize(("path", "hook", "drop"), [(SIGN, "order-sign", "draftOrders"),
                                                    (SELECT, "order-select", "selections")])  # fmt: skip
async def test_order_context_is_required(client, path, hook, drop):
    payload = body(hook, [order("vp", "22511", "T12")], selections=["ServiceRequest/vp"])
    payload["context"].pop(drop)
    assert (await client.post(path, json=payload)).status_code == 400


async def test_local_thresholds_from_the_environment_apply_to_the_check(monkeypatch, tmp_path):
    """Platelets 200 × 10⁹/L meet the consensus threshold (50) but not a local one of 250."""
    from adapter.cds.settings import load_settings
    from tests.unit.cds.conftest import client_for

    payload = body("order-sign", [order("vp", "22511", "T12")])
    monkeypatch.setenv("SPINEMETS_PLATELETS_MIN_AUGMENTATION", "250")
    async with client_for(load_settings(state_dir=tmp_path)) as local:
        (card,) = await cards(local, SIGN, payload)
    assert statuses(card, "T12")[-1] == "unmet"
    assert "(≥ 250)" in card["detail"] and card["indicator"] == "warning"


def test_an_unusable_threshold_stops_the_service_before_it_starts(monkeypatch):
    from adapter.cds.settings import load_settings
    from adapter.errors import ConfigurationError

    monkeypatch.setenv("SPINEMETS_INR_MAX", "high")
    with pytest.raises(ConfigurationError, match="SPINEMETS_INR_MAX"):
        load_settings()
