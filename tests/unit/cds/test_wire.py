"""The response bytes (adapter/cds/wire.py) are what pydantic's ``model_dump_json(exclude_none=True)``
writes: for every edge fixture's cards with links and system actions, and for the values orjson
and pydantic could treat differently."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from adapter.cds.cards import score_cards, system_actions
from adapter.cds.links import with_links
from adapter.cds.models import Action, Card, CdsResponse, Source
from adapter.cds.wire import response_json
from adapter.decision import decide
from adapter.fhir.read.source import patients_from_resources
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import now_time, score_patient
from tests.unit.cds.conftest import ROOT

EDGE = ROOT / "fixtures" / "edge"


def _pydantic(response: CdsResponse) -> bytes:
    return response.model_dump_json(exclude_none=True).encode()


@pytest.mark.parametrize("path", sorted(EDGE.glob("*.json")), ids=lambda p: p.stem)
def test_every_edge_case_s_response_is_the_bytes_pydantic_writes(path):
    resources = [e["resource"] for e in json.loads(path.read_text())["entry"]]
    for data in patients_from_resources(resources, []):
        result = score_patient(data, default_terminology(), now=now_time())
        decisions = decide(result)
        cards = with_links(score_cards(decisions, "h"), decisions.levels, "https://x.example")
        response = CdsResponse(cards=cards, systemActions=system_actions(result) or None)
        assert response_json(response) == _pydantic(response)


def _action(resource: dict) -> CdsResponse:
    card = Card(uuid="u", summary="s", indicator="info", source=Source(label="spinemets"))
    action = Action(type="create", description="d", resource=resource)
    return CdsResponse(cards=[card.model_copy(update={"detail": "later"})], systemActions=[action])


@pytest.mark.parametrize(
    "resource",
    [
        {"a": None, "b": [None, {"c": None}]},  # a null inside a resource is kept, as pydantic does
        {"n": [0.1, 1e-7, 1e16, 1e22, -0.0, 5e-324, 2.5, 12345.678, 2**63 + 5]},
        {"t": '\u2028\x7f\x1f\n\t"\\ é 漢 \U0001f600 </script>'},
        # a UTC time is "Z" to pydantic, "+00:00" to orjson unless told otherwise
        {"at": datetime(2024, 6, 1, 9, 0, tzinfo=UTC)},
        {"at": [datetime(2024, 6, 1, 9, 0, 0, 123456), date(2024, 6, 1), time(9, 0, 5)]},
        {"at": datetime(2024, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))},
    ],
    ids=["nulls", "numbers", "text", "utc datetime", "naive datetime, date, time", "offset"],
)
def test_values_are_written_as_pydantic_writes_them(resource):
    response = _action(resource)
    assert response_json(response) == _pydantic(response)


def test_what_orjson_cannot_write_is_left_to_pydantic():
    response = _action({"big": 2**70})
    assert response_json(response) == _pydantic(response)
    assert b"1180591620717411303424" in response_json(response)
