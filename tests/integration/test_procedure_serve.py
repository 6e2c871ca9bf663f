"""The procedure check through a real ``spinemets serve`` (contract §5): criterion by criterion,
level by level, both services, on records dated relative to the server's clock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.support.records import (
    cement_code,
    condition,
    default_patient,
    draft_orders,
    finding,
    measurement,
    order,
    shifted,
)
from tests.unit.cds.conftest import prefetch_for

pytestmark = pytest.mark.integration
SIGN = "/cds-services/spinemets-procedure-check"
SELECT = "/cds-services/spinemets-procedure-check-select"
STALE = "2024-04-01T09:00:00Z"  # 61 days before the records' NOW


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _call(base, path, hook, orders, resources, selections=None) -> list[dict]:
    body = {
        "hook": hook,
        "hookInstance": "6a1f0c2e-9b7d-4e3a-8c5f-1d2e3f4a5b6c",
        "context": {"userId": "Practitioner/x", "patientId": "p",
                    "draftOrders": draft_orders(*orders)},
        "prefetch": prefetch_for(shifted(resources, _now())),
    }  # fmt: skip
    if selections is not None:
        body["context"]["selections"] = selections
    response = httpx.post(f"{base}{path}", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["cards"]


def _statuses(card: dict, level: str) -> list[str]:
    """The status column of one level's criteria table: up to the next level's heading."""
    lines = card["detail"].splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith(f"**{level}")))
    rows = []
    for ln in lines[start + 1 :]:
        if ln.startswith("**"):
            break
        if ln.startswith("| ") and "**" in ln:
            rows.append(ln)
    return [row.split(" | ")[2].strip("*") for row in rows]


CASES = [
    # (name, order levels, changes to the default patient, criterion, status, indicator)
    ("all met", ("T12",), {}, None, "met", "info"),
    ("cervical", ("C5",), {"extra": (condition("met-c5", "C79.51", level="C5"),)}, 1, "unmet", "warning"),
    ("no tumour there", ("L4",), {}, 2, "unmet", "warning"),
    ("no fracture, stable", ("T12",), {"sins": {"spinal-pain": "pain-free",
     "bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}}, 3, "unmet", "warning"),
    ("Frankel C", ("T12",), {"drop": ("frankel",),
     "extra": (finding("frankel", "frankel-grade", "frankel-c"),)}, 4, "unmet", "critical"),
    ("Bilsky 3", ("T12",), {"drop": ("bilsky-t12",), "extra": (finding(
        "bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12"),)}, 5, "unmet", "critical"),
    ("osteoporotic", ("T12",), {"extra": (condition("osteo", "M80.08XA", level="T12"),)}, 6, "unmet", "warning"),
    ("INR 1.8", ("T12",), {"drop": ("inr",), "extra": (measurement("inr", "6301-6", 1.8),)}, 7, "unmet", "warning"),
    ("old platelets", ("T12",), {"drop": ("platelets",), "extra": (
        measurement("platelets", "777-3", 200, "10*9/L", when=STALE),)}, 7, "unknown", "warning"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "levels", "changes", "number", "status", "indicator"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_criterion_through_the_service(
    server, name, levels, changes, number, status, indicator
):
    base, _ = server
    (card,) = _call(
        base,
        SIGN,
        "order-sign",
        [order("vp", cement_code(*levels), *levels)],
        default_patient(**changes),
    )
    got = _statuses(card, levels[0])
    if number is None:
        assert got == ["met"] * 9
    else:
        assert got[number - 1] == status, card["detail"]
    assert card["indicator"] == indicator
    assert len(card["summary"]) < 140 and "indicated" not in card["summary"]


def test_each_level_is_checked_and_the_worst_decides(server):
    base, _ = server
    resources = default_patient(extra=(
        condition("met-l2", "C79.51", level="L2"),
        finding("bilsky-l2", "epidural-spinal-cord-compression", "bilsky-2", level="L2"),
    ))  # fmt: skip
    (card,) = _call(base, SIGN, "order-sign", [order("vp", "22511", "T12", "L2")], resources)
    assert _statuses(card, "T12")[4] == "met" and _statuses(card, "L2")[4] == "unmet"
    assert card["indicator"] == "critical" and "Bilsky 2 at L2" in card["summary"]


def test_fixation_judges_the_treated_level_and_lists_the_instrumented(server):
    base, _ = server
    orders = [order("ppsf", "22842", "T11", "T12", "L1", reasons=("met-t12",))]
    (card,) = _call(base, SIGN, "order-sign", orders, default_patient())
    assert _statuses(card, "T12") == ["met"] * 9
    assert "**T11 (instrumented: criteria 2, 3 and 5 not judged)**" in card["detail"]
    assert len(_statuses(card, "T11")) == 6  # 1, 4, 6, 7, 8, 9: not 2, 3 and 5


def test_order_select_is_served_under_its_own_id(server):
    base, _ = server
    orders = [order("a", "22510", "T12"), order("b", "22513", "L4")]
    cards = _call(base, SELECT, "order-select", orders, default_patient(),
                  selections=["ServiceRequest/b"])  # fmt: skip
    assert len(cards) == 1 and "L4" in cards[0]["summary"]


def test_an_unknown_service_is_404_whatever_the_body(server):
    base, _ = server
    for body in ({"hook": "order-sign"}, {}, None):
        response = httpx.post(f"{base}/cds-services/no-such-service", json=body, timeout=10)
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"
