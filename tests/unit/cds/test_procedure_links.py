"""A procedure-check card that asks for a finding links the form that records it, at its level
(contract §4 v3: "appContext naming the form and level when the card asks for a finding")."""

from __future__ import annotations

import json

import pytest

from adapter.cds.settings import Settings
from tests.support.records import default_patient, order
from tests.unit.cds.conftest import BASE, client_for
from tests.unit.cds.test_procedure import SIGN, anyio_backend, body, seed_clock

# The procedure tests' fixtures: the anyio backend, and the clock pinned to the records' NOW.
__all__ = ["anyio_backend", "seed_clock"]

pytestmark = pytest.mark.anyio


async def card_links(tmp_path, resources) -> tuple[dict, list[tuple[str, dict | None]]]:
    settings = Settings(state_dir=tmp_path, public_base_url=BASE)
    async with client_for(settings) as client:
        answer = await client.post(SIGN, json=body("order-sign", [order("vp", "22510", "T12")],
                                                    resources))  # fmt: skip
    (card,) = answer.json()["cards"]
    links = [(link["label"], json.loads(link["appContext"]) if link.get("appContext") else None)
             for link in card["links"]]  # fmt: skip
    return card, links


async def test_no_frankel_grade_links_the_neurology_form(tmp_path):
    card, links = await card_links(tmp_path, default_patient(drop=("frankel",)))
    assert "no Frankel/AIS grade recorded" in card["summary"]
    assert ("Record the neurology (Frankel or AIS, Bilsky)", {"form": "neurology"}) in links


async def test_no_bilsky_grade_at_the_level_links_the_neurology_form_at_that_level(tmp_path):
    card, links = await card_links(tmp_path, default_patient(drop=("bilsky-t12",)))
    assert "no Bilsky grade at T12" in card["summary"]
    assert ("Record the neurology (Frankel or AIS, Bilsky) at T12",
            {"form": "neurology", "level": "T12"}) in links  # fmt: skip


async def test_a_card_that_asks_for_nothing_links_only_the_page(tmp_path):
    card, links = await card_links(tmp_path, default_patient())
    assert card["indicator"] == "info"
    assert links == [("Open the spinal metastasis page", None)]
