"""The AuditEvent builder: outcomes by status, URLs stripped of what may be secret, only checked
references, and events that validate as R4 whatever the caller sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapter.fhir.write.audit import (
    Caller,
    CdsCall,
    Output,
    cds_call_event,
    outcome_of,
    plain_url,
    reference_in,
    sync_write_event,
)
from adapter.fhir.write.validate import validate_r4

WHEN = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "0"), (400, "4"), (401, "4"), (413, "4"), (412, "8"), (503, "8"), (500, "12")],
)
def test_outcome_by_status(status, outcome):
    assert outcome_of(status) == outcome


def test_urls_lose_userinfo_query_and_fragment():
    url = "https://svc:hunter2@fhir.example.org:8443/r4/?_token=abc#x"
    assert plain_url(url) == "https://fhir.example.org:8443/r4"
    assert plain_url("http://[::1]:8080/fhir") == "http://[::1]:8080/fhir"


@pytest.mark.parametrize(
    ("location", "reference"),
    [
        ("Observation/12/_history/3", "Observation/12/_history/3"),
        ("https://h/fhir/RiskAssessment/ab-1/_history/1", "RiskAssessment/ab-1/_history/1"),
        ("Provenance/7", "Provenance/7"),
        ("https://h/fhir/x?password=1", None),
        ("<script>", None),
    ],
)
def test_only_a_reference_is_taken_from_a_location(location, reference):
    assert reference_in(location) == reference


def test_what_a_caller_chose_is_bounded_and_the_event_still_validates():
    call = CdsCall("spinemets-scores", "patient-view", "not-a-uuid " * 40, "p1", 200)
    caller = Caller(iss="https://ehr.example.org", sub=None, jti="j" * 300, user="a nurse, ward 3")
    event = cds_call_event(call, caller, [Output("card", "x")], recorded=WHEN, service_url=None)
    validate_r4(event)
    client, user, _ = event["agent"]
    assert client["who"]["identifier"]["value"] == "https://ehr.example.org"  # no sub: the iss
    assert len(client["policy"][0]) == 256
    assert user["who"] == {"display": "a nurse, ward 3"}  # not a reference: shown, not linked
    request = event["entity"][1]
    assert "system" not in request["what"]["identifier"]
    assert len(request["what"]["identifier"]["value"]) == 256


def test_an_unauthenticated_caller_is_said_to_be_so():
    call = CdsCall("spinemets-scores", "patient-view", "h", "p1", 200)
    event = cds_call_event(call, Caller(), [], recorded=WHEN, service_url=None)
    validate_r4(event)
    assert "not authenticated" in event["agent"][0]["who"]["display"]


def test_a_sync_write_that_only_updated_is_action_u_and_junk_outputs_are_left_out():
    outputs = [Output("resource", "Observation/1/_history/2", "updated"),
               Output("resource", "Observation", "updated")]  # fmt: skip
    event = sync_write_event("p1", "https://u:p@h/fhir", outputs, recorded=WHEN)
    validate_r4(event)
    assert event["action"] == "U" and len(event["entity"]) == 2
    assert "u:p" not in str(event)


def test_a_smart_app_user_is_the_requestor_and_a_call_without_a_hook_has_no_detail():
    call = CdsCall("smart/form/sins", None, None, "p1", 200, "C", "transaction")
    caller = Caller(user="Practitioner/dr-7", launch="https://u:p@ehr.example.org/fhir?x=1")
    outputs = [Output("resource", "Observation/3/_history/1")]
    event = cds_call_event(call, caller, outputs, recorded=WHEN, service_url=None)
    validate_r4(event)
    user, _ = event["agent"]
    assert user["who"] == {"reference": "Practitioner/dr-7"} and user["requestor"] is True
    assert user["network"]["address"] == "https://ehr.example.org/fhir"
    assert event["action"] == "C" and event["subtype"][0]["code"] == "transaction"
    request = event["entity"][1]
    assert "detail" not in request and "what" not in request
    unnamed = cds_call_event(call, Caller(launch=""), [], recorded=WHEN, service_url=None)
    validate_r4(unnamed)
    assert "did not name" in unnamed["agent"][0]["who"]["display"]
