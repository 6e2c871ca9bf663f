"""The SMART app's audit trail (contract §8, SECURITY.md): a sign-in, each page or form shown
(each reads the patient's record with the user's token) and each save (a write to the EHR) leave
one AuditEvent naming the user (fhirUser), the Patient and the outcome; a save names the
resources written; never a token, a name or an answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapter.errors import FhirServerError
from adapter.fhir.write.validate import validate_r4
from tests.support.smart_app import FHIR, app_of, client_of, launch_server, launched, save_sins

pytestmark = pytest.mark.anyio
USER = "Practitioner/dr-7"


class Trail:
    """The audit trail the service mounts the app with, kept in memory."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def write(self, event: dict[str, Any]) -> None:
        validate_r4(event)
        self.events.append(event)


def _user(event: dict) -> dict:
    [agent] = [a for a in event["agent"] if a["requestor"]]
    return agent["who"]


def _patients(event: dict) -> list[str]:
    return [e["what"]["reference"] for e in event["entity"] if e["role"]["code"] == "1"]


def _request(event: dict) -> str:
    [request] = [e for e in event["entity"] if e["role"]["code"] == "24"]
    return str(request["name"])


def _written(event: dict) -> list[str]:
    return [e["what"]["reference"] for e in event["entity"] if e["role"]["code"] == "4"]


async def _launched(monkeypatch) -> tuple[Any, Trail]:
    smart = launch_server(user=USER)
    trail = Trail()
    monkeypatch.setattr("tests.support.smart_app.app_of", _with(trail))
    return await launched(smart, monkeypatch), trail


def _with(trail: Trail) -> Any:
    def app(smart: Any, **options: Any) -> Any:
        made = app_of(smart, **options)
        made.state.audit_trail = trail
        return made

    return app


async def test_a_sign_in_a_page_a_form_and_a_save_each_leave_one_event(monkeypatch):
    run, trail = await _launched(monkeypatch)
    page = await run.client.get("/smart/")
    form = await run.client.get("/smart/form/sins")
    saved = await save_sins(run.client, run.session)
    await run.client.aclose()
    assert (page.status_code, form.status_code, saved.status_code) == (200, 200, 200)
    signin, page_event, form_event, save_event = trail.events
    assert [e["action"] for e in trail.events] == ["E", "R", "R", "C"]
    for event in trail.events:
        assert event["outcome"] == "0"
        assert _user(event) == {"reference": USER}
        assert _patients(event) == ["Patient/p1"]
        text = json.dumps(event)
        assert run.session.access_token not in text and run.session.csrf not in text
        assert "mechanical" not in text  # no answer of the form
    names = [_request(e) for e in (signin, page_event, form_event, save_event)]
    assert names == ["smart/callback", "smart/", "smart/form/sins", "smart/form/sins"]
    written = _written(save_event)
    assert written and all(w.split("/")[0] in ("QuestionnaireResponse", "Observation")
                           for w in written)  # fmt: skip
    assert any(w.startswith("QuestionnaireResponse/") for w in written)


async def test_refusals_and_failures_are_recorded_with_their_outcome(monkeypatch):
    run, trail = await _launched(monkeypatch)
    forged = await run.client.post("/smart/form/sins", data={"csrf": "other"})

    async def unreadable(session: Any, timeout: float) -> list[Any]:
        raise FhirServerError("the FHIR server answered 500", status=500)

    monkeypatch.setattr("adapter.smart.view.read_record", unreadable)
    failed = await run.client.get("/smart/")
    await run.client.aclose()
    assert forged.status_code == 403 and failed.status_code >= 500
    _, refused, broken = trail.events
    assert refused["outcome"] == "4" and refused["action"] == "C"
    assert broken["outcome"] == "8" and broken["action"] == "R"
    for event in (refused, broken):
        assert _user(event) == {"reference": USER} and _patients(event) == ["Patient/p1"]


async def test_a_refused_sign_in_is_recorded_and_an_anonymous_page_is_not(monkeypatch):
    smart = launch_server()
    app = app_of(smart)
    trail = Trail()
    app.state.audit_trail = trail
    async with client_of(app) as client:
        await client.get("/smart/launch", params={"iss": FHIR, "launch": smart.launch("p1")})
        refused = await client.get("/smart/callback", params={"error": "access_denied"})
        client.cookies.clear()
        anonymous = await client.get("/smart/")
    assert (refused.status_code, anonymous.status_code) == (403, 401)
    [event] = trail.events
    assert event["outcome"] == "4" and _patients(event) == []
