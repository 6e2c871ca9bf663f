"""The signed-in user as the author of what the app saves (contract §7): the OpenID Connect
``id_token`` of the token response names the user (``fhirUser``); a saved form's
QuestionnaireResponse has that user as ``author`` and its finding Observations as ``performer``.
An id_token that is not for this app, expired, or names no usable user is set aside: the launch
goes on and the form is saved without an author, as it is when no id_token comes at all."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.smart_app import FHIR, app_of, client_of, launch_server, launched, save_sins

pytestmark = pytest.mark.anyio


def _saved(bundle: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    resources = [e["resource"] for e in bundle["entry"]]
    [response] = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    findings = [r for r in resources if r["resourceType"] == "Observation"]
    assert len(findings) == 2  # the two answers of SINS_AT_T8
    return response, findings


async def _save(smart, monkeypatch) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """Launch, sign in, save the SINS form at T8: the session, the response and its findings."""
    signed = await launched(smart, monkeypatch)
    assert signed.answer.status_code == 303, signed.answer.text
    saved = await save_sins(signed.client, signed.session)
    await signed.client.aclose()
    assert saved.status_code == 200, saved.text
    [(_, bundle)] = signed.written
    return signed.session, *_saved(bundle)


async def test_the_launch_asks_who_the_user_is():
    async with client_of(app_of(launch_server())) as client:
        answer = await client.get("/smart/launch", params={"iss": FHIR, "launch": "L1"})
    scope = parse_qs(urlsplit(answer.headers["location"]).query)["scope"][0].split()
    assert {"openid", "fhirUser"} <= set(scope)


async def test_the_signed_in_practitioner_authors_the_response_and_performs_the_findings(
    monkeypatch,
):
    session, response, findings = await _save(launch_server(), monkeypatch)
    assert session.user == "Practitioner/dr-1"  # relative: under the FHIR server's base
    assert response["author"] == {"reference": "Practitioner/dr-1"}
    for finding in findings:
        assert finding["performer"] == [{"reference": "Practitioner/dr-1"}]


async def test_a_user_on_another_server_is_kept_as_an_absolute_reference(monkeypatch):
    smart = launch_server()
    smart.claims = {"fhirUser": "https://directory.example/fhir/PractitionerRole/r7"}
    _, response, findings = await _save(smart, monkeypatch)
    reference = "https://directory.example/fhir/PractitionerRole/r7"
    assert response["author"] == {"reference": reference}
    assert findings[0]["performer"] == [{"reference": reference}]


async def test_a_person_is_the_user_but_no_author_fhir_allows(monkeypatch):
    smart = launch_server(user="Person/x1")
    session, response, findings = await _save(smart, monkeypatch)
    assert session.user == "Person/x1"
    assert "author" not in response and all("performer" not in f for f in findings)


async def test_without_an_id_token_the_form_is_saved_without_an_author(monkeypatch, caplog):
    smart = launch_server(user=None)
    with caplog.at_level(logging.INFO, "spinemets"):
        session, response, findings = await _save(smart, monkeypatch)
    assert session.user is None
    assert "author" not in response and all("performer" not in f for f in findings)
    assert "id_token" not in caplog.text  # nothing to set aside, nothing said


@pytest.mark.parametrize(
    ("claims", "raw"),
    [
        ({"aud": "another-app"}, None),
        ({"exp": int(time.time()) - 600}, None),
        ({"exp": None}, None),
        ({"iss": "https://elsewhere.example"}, None),
        ({"fhirUser": None}, None),
        ({"fhirUser": f"{FHIR}/Device/d1"}, None),
        ({"fhirUser": "Practitioner/has spaces"}, None),
        ({"fhirUser": "javascript:alert(1)//Practitioner/1"}, None),
        ({}, "not-a-jwt"),
    ],
)
async def test_an_unusable_id_token_gives_no_author_and_one_line(monkeypatch, caplog, claims, raw):
    smart = launch_server()
    smart.claims, smart.raw_id_token = claims, raw
    issued: list[str] = []
    original = smart._id_token

    def kept() -> str:  # the id_tokens issued, to look for them in the log
        issued.append(original())
        return issued[-1]

    monkeypatch.setattr(smart, "_id_token", kept)
    with caplog.at_level(logging.INFO, "spinemets"):
        session, response, findings = await _save(smart, monkeypatch)
    assert session.user is None
    assert "author" not in response and all("performer" not in f for f in findings)
    lines = [r for r in caplog.records if "id_token" in r.getMessage()]
    assert len(lines) == 1
    for token in [*issued, raw or "-"]:
        assert token not in caplog.text


async def test_an_id_token_expired_seconds_ago_is_still_read(monkeypatch):
    smart = launch_server()
    smart.claims = {"exp": int(time.time()) - 20}  # clocks differ a little: a minute's leeway
    session, response, _ = await _save(smart, monkeypatch)
    assert session.user == "Practitioner/dr-1" and "author" in response
