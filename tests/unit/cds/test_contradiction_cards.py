"""The conflict a form's contradictory answers, or an answer against a coded Condition, make is
named on the patient-view cards too (contract §2), not only in the computed components."""

from __future__ import annotations

import pytest

from tests.support.records import condition, default_patient, finding
from tests.unit.cds.conftest import patient_view

pytestmark = pytest.mark.anyio
FORM = "2024-05-31T10:00:00Z"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the app's event loop


async def _cards(client, resources) -> dict[str, str]:
    answer = await client.post("/cds-services/spinemets-scores", json=patient_view(resources))
    assert answer.status_code == 200, answer.text
    return {c["summary"]: c.get("detail", "") for c in answer.json()["cards"]}


def _card(cards: dict[str, str], starts: str) -> str:
    return next(d for s, d in cards.items() if s.startswith(starts))


async def test_frankel_e_with_ais_a_is_named_on_the_tokuhashi_card(client):
    cards = await _cards(client, default_patient(drop=("frankel",), extra=(
        finding("f", "frankel-grade", "frankel-e", when=FORM),
        finding("ais", "asia-impairment-scale", "ais-a", when=FORM),
    )))  # fmt: skip
    assert "AIS grade A" in _card(cards, "Revised Tokuhashi")


async def test_none_against_a_coded_liver_metastasis_is_named_on_the_cards(client):
    cards = await _cards(client, default_patient(extra=(
        condition("liver", "C78.7"),
        finding("v", "visceral-metastases", "none", when=FORM),
        finding("m", "major-organ-metastases", "none", when=FORM),
    )))  # fmt: skip
    for card in ("Tomita", "Revised Tokuhashi"):
        assert "liver" in _card(cards, card) and "recorded as none" in _card(cards, card)


async def test_two_coded_visceral_metastases_are_named_apart(client):
    # C78.01 has no display: joined by ", " to the liver metastasis's display, the two read as
    # one liver diagnosis.
    cards = await _cards(client, default_patient(extra=(
        condition("lung", "C78.01"),
        condition("liver", "C78.7"),
        finding("v", "visceral-metastases", "none", when=FORM),
        finding("m", "major-organ-metastases", "none", when=FORM),
    )))  # fmt: skip
    detail = _card(cards, "Tomita")
    assert "ICD-10-CM C78.01; Secondary malignant neoplasm of liver" in detail
    assert "are coded" in detail
