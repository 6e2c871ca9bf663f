"""The service never answers 500 to anything a client sends (contract §8): malformed resources in
the prefetch are invalid resources, a malformed request is a 400, a trailing slash is no redirect.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from adapter.cds.settings import Settings
from tests.support.records import default_patient, draft_orders, order, procedure
from tests.unit.cds.conftest import client_for, patient_view, prefetch_for, seed_resources

pytestmark = pytest.mark.anyio
SCORES = "/cds-services/spinemets-scores"
JSON = {"content-type": "application/json"}
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _observation(**fields) -> dict:
    return {
        "resourceType": "Observation", "id": "bad", "status": "final",
        "subject": {"reference": "Patient/seed-01"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}, **fields,
    }  # fmt: skip


MALFORMED = {
    "coding is a number": _observation(code={"coding": 5}),
    "resourceType is an object": {"resourceType": {"x": 1}, "id": "o"},
    "subject is a string": _observation(subject="Patient/seed-01"),
    "effective time is a number": _observation(effectiveDateTime=5, valueInteger=80),
    "a condition's code is a list": {
        "resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/seed-01"},
        "code": [1, 2], "bodySite": 5, "clinicalStatus": "active", "extension": 5,
    },
    "a procedure of numbers": {
        "resourceType": "Procedure", "id": "p", "status": "completed",
        "subject": {"reference": "Patient/seed-01"}, "code": 5, "performedPeriod": 5,
    },
    "a medication reference that is a number": {
        "resourceType": "MedicationRequest", "id": "m", "status": "active",
        "subject": {"reference": "Patient/seed-01"}, "medicationReference": 5,
    },
}  # fmt: skip


@pytest.mark.parametrize("resource", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_resource_in_the_prefetch_is_ignored(client, resource):
    body = patient_view()
    body["prefetch"]["observations"]["entry"].append({"resource": resource})
    response = await client.post(SCORES, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["cards"]  # the rest of the patient is scored


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e400", "123456789012345678901234567890"]
)
async def test_a_number_json_cannot_hold_is_an_invalid_resource(client, number):
    plain = await client.post(SCORES, json=patient_view())
    raw = json.dumps(patient_view()).replace('"valueInteger": 80', f'"valueInteger": {number}', 1)
    assert number in raw
    response = await client.post(SCORES, content=raw, headers=JSON)
    assert response.status_code == 200, response.text
    # The KPS is ignored: the prognosis cards differ from the ones the valid KPS gives.
    assert response.json() != plain.json()


async def test_nesting_beyond_the_parser_limit_is_a_400(client):
    raw = json.dumps(patient_view())[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.post(SCORES, content=raw, headers=JSON)
    assert response.status_code == 400
    assert "recursion limit" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "server", ["https://\u00e9\u0301..example/fhir", "https://xn--a.example/fhir",
               "https://fhir.example.org:99999/r4"],
)  # fmt: skip
async def test_a_fhir_server_the_client_cannot_use_is_a_400(client, server):
    body = patient_view(fhirServer=server)
    del body["prefetch"]["conditions"]  # so the server would be read
    response = await client.post(SCORES, json=body)
    assert response.status_code == 400
    assert "fhirServer is not a usable URL" in response.text


@pytest.mark.parametrize("path", ["/cds-services/", "/cds-services/spinemets-scores/"])
async def test_a_trailing_slash_is_not_redirected_to_the_callers_host(client, path):
    response = await client.post(path, json={}, headers={"host": "attacker.example"})
    assert response.status_code in (404, 405)
    assert "location" not in response.headers


# Record text that would forge a card's wording if it reached the detail's Markdown as Markdown:
# new lines, a heading, list items, emphasis, a link, an image, raw HTML, bare URLs, an e-mail
# address, an entity, a table pipe and terminal control characters.
FORGED = (
    "x\n\n---\n\n## ✅ SINS 2 at T12: stable — no referral needed\n\n- forged item\n1. forged\n"
    "> quoted **forged bold** _forged em_ ~~struck~~ `code` [Open the spine pathway]"
    "(https://evil.example/phish) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> "
    "<b>raw</b> https://evil.example/bare www.evil.example mail@evil.example &lt;b&gt; a | b"
    "\r\x1b[2J\x07\x85 end"
)
# What a reader must see instead: the same words, on one line, as written.
SHOWN = (
    "## ✅ SINS 2 at T12: stable — no referral needed - forged item 1. forged > quoted "
    "**forged bold** _forged em_ ~~struck~~ `code` [Open the spine pathway]"
    "(https://evil.example/phish)"
)
# Elements only record text could have made: no card's own Markdown uses any of them.
FORBIDDEN = re.compile(r"<(?:h[1-6]|a|img|em|del|code|pre|blockquote|ol|hr|br|b|script)\b")


def _poisoned(value: Any) -> Any:
    """Every text, display, note, name and unit of a record replaced by :data:`FORGED`."""
    words = {"text", "display", "family", "unit"}
    if isinstance(value, list):
        return [_poisoned(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {
        k: FORGED if k in words and isinstance(v, str) else _poisoned(v) for k, v in value.items()
    }
    if "given" in out:
        out["given"] = [FORGED]
    return out


def _shown_as_text(cards: list[dict]) -> str:
    """Each card's detail as GitHub renders it, checked element by element; the visible text."""
    seen = []
    for card in cards:
        summary = card["summary"]
        assert len(summary) < 140 and summary == summary.strip()
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in summary), summary
        for link in card.get("links") or []:
            assert not any(unicodedata.category(c) == "Cc" for c in link["label"])
        detail = card.get("detail") or ""
        assert not any(c != "\n" and unicodedata.category(c) == "Cc" for c in detail), detail
        rendered = cmarkgfm.github_flavored_markdown_to_html(
            detail, options=Options.CMARK_OPT_UNSAFE
        )
        assert not FORBIDDEN.search(rendered), rendered
        seen.append(html.unescape(re.sub(r"<[^>]+>", "", rendered)))
    return "\n".join(seen)


async def test_record_text_cannot_forge_markdown_on_the_score_cards(tmp_path):
    resources = [_poisoned(r) for r in seed_resources()]
    resources.append({
        "resourceType": "Condition", "id": "hostile", "subject": {"reference": "Patient/seed-01"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D48.0"}],
                 "text": FORGED},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
    })  # fmt: skip
    settings = Settings(state_dir=tmp_path, public_base_url="https://spinemets.example.org")
    async with client_for(settings) as client:
        response = await client.post(SCORES, json=patient_view(resources))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert all(card.get("links") for card in cards)  # the SMART link labels are checked too
    assert SHOWN in _shown_as_text(cards)


async def test_record_text_cannot_forge_markdown_on_the_outcome_card(client):
    extra = (procedure("vp", "22511", "T12", text=FORGED),)
    resources = [_poisoned(r) for r in default_patient(extra=extra)]
    body = patient_view(resources)
    response = await client.post(SCORES, json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert any(c["source"].get("topic", {}).get("code") == "outcome-trajectory" for c in cards)
    _shown_as_text(cards)


async def test_an_orders_own_text_cannot_forge_markdown_on_its_card(client):
    orders = [
        order("vp", "22510", "T12", text=FORGED, display=FORGED),
        order("odd", "99999", text=f"Vertebroplasty {FORGED}"),
        {**order("site", "22511"), "bodySite": [{"text": FORGED}]},
        {**order("unread", "22511"), "code": {"text": f"Kyphoplasty {FORGED}"}},
    ]
    body = {
        "hook": "order-sign", "hookInstance": "c7e2d1f0-2c4b-4a8e-9d5e-0f3b1a2c4d5e",
        "context": {"userId": "Practitioner/x", "patientId": "p", "draftOrders": draft_orders(*orders)},
        "prefetch": prefetch_for([_poisoned(r) for r in default_patient()]),
    }  # fmt: skip
    response = await client.post("/cds-services/spinemets-procedure-check", json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert len(cards) == len(orders), [c["summary"] for c in cards]
    shown = _shown_as_text(cards)
    assert "[Open the spine pathway](https://evil.example/phish)" in shown
