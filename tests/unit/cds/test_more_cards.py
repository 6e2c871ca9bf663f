"""The v3 prognosis tools' patient-view cards are off by default, one setting each (contract
§1 v3); their results are still computed and written."""

from __future__ import annotations

import pytest

from adapter.cds.settings import Settings, load_settings
from tests.unit.cds.conftest import client_for, patient_view

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


TITLES = {
    "bauer-original": "Bauer (1995)",
    "bauer-modified": "Modified Bauer (2008)",
    "nesms": "NESMS (2015)",
    "van-der-linden": "van der Linden (2005)",
}


async def _summaries(settings: Settings) -> list[str]:
    async with client_for(settings) as client:
        answer = await client.post("/cds-services/spinemets-scores", json=patient_view())
    assert answer.status_code == 200, answer.text
    return [card["summary"] for card in answer.json()["cards"]]


async def test_no_card_of_the_new_tools_by_default(tmp_path):
    summaries = await _summaries(Settings(state_dir=tmp_path))
    assert any(s.startswith("Tomita") for s in summaries)  # the existing cards are there
    for title in TITLES.values():
        assert not any(s.startswith(title.split(" (")[0]) for s in summaries), title


@pytest.mark.parametrize("code", sorted(TITLES))
async def test_each_setting_switches_on_its_own_card_only(tmp_path, monkeypatch, code):
    monkeypatch.setenv(f"SPINEMETS_CARD_{code.upper().replace('-', '_')}", "true")
    settings = load_settings(state_dir=tmp_path)
    assert settings.shown_cards() == {code}
    summaries = await _summaries(settings)
    shown = [t for c, t in TITLES.items() if any(s.startswith(t.split(" (")[0] + " ") or
             s.startswith(t) for s in summaries)]  # fmt: skip
    assert shown == [TITLES[code]]


def test_a_nesms_card_says_it_has_no_label_not_that_a_range_spans_bands():
    from pathlib import Path

    from adapter.cds.cards import score_cards
    from adapter.decision import decide
    from adapter.fhir.read.timing import parse_time
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import read_patients, score_patient

    more = Path(__file__).resolve().parents[3] / "fixtures" / "more"
    (data,) = read_patients(str(more / "everything-recorded.json"), [])
    result = score_patient(data, default_terminology(), now=parse_time("2025-01-01T00:00:00Z"))
    cards = score_cards(decide(result), "hook", {"nesms"})
    (nesms,) = [c for c in cards if c.source.topic is not None and c.source.topic.code == "nesms"]
    assert nesms.summary == "NESMS 3: no label" and nesms.indicator == "info"
