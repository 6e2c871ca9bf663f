"""Prefetch states and the fallback to the client's FHIR server (respx stands in for it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.unit.cds.conftest import FHIR, patient_view, searchset, seed_resources

pytestmark = pytest.mark.anyio
TOKEN = {"access_token": "secret-token-123", "token_type": "Bearer", "expires_in": 300,
         "scope": "user/*.read", "subject": "spinemets"}  # fmt: skip


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _split(resources):
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    return conditions, observations


async def test_missing_keys_are_searched_with_paging_and_the_token(client, respx_mock):
    resources = seed_resources()
    _conditions, observations = _split(resources)
    half = len(observations) // 2
    page2 = f"{FHIR}?_getpages=abc&_getpagesoffset=200"  # HAPI's paging shape
    second = respx_mock.get(page2).respond(json=searchset(observations[half:]))
    first = respx_mock.get(f"{FHIR}/Observation", params={"_count": "200"}).respond(
        json=searchset(observations[:half], next_url=page2)
    )
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert first.called and second.called
    assert second.calls.last.request.headers["authorization"] == "Bearer secret-token-123"
    assert response.json()["cards"][0]["summary"].startswith("T12 fixed on 22 May 2024")
    assert "secret-token-123" not in response.text


async def test_a_paged_prefetch_bundle_is_completed_from_the_server(client, respx_mock):
    resources = seed_resources()
    _, observations = _split(resources)
    page2 = f"{FHIR}/Observation?page=2"
    respx_mock.get(page2).respond(json=searchset(observations[3:]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["observations"] = searchset(observations[:3], next_url=page2)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.json()["cards"][0]["summary"].startswith("T12 fixed on 22 May 2024")


async def test_operation_outcome_is_fetched_again(client, respx_mock):
    resources = seed_resources()
    conditions, _ = _split(resources)
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset(conditions))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = {"resourceType": "OperationOutcome", "issue": []}
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200 and route.called
    assert "authorization" not in route.calls.last.request.headers  # no token given: none sent


async def test_null_is_never_fetched(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = None
    await client.post("/cds-services/spinemets-scores", json=body)
    assert not route.called


LEAK = "jdbc:postgresql://db.internal:5432/ehr?password=hunter2"
FAILURES: dict[str, dict[str, Any]] = {
    **{f"status-{code}": {"status_code": code, "json": {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": LEAK}]}}
       for code in (400, 401, 403, 404, 500, 503)},
    "connection-refused": {"side_effect": httpx.ConnectError(f"refused {LEAK}")},
    "timeout": {"side_effect": httpx.ReadTimeout("slow")},
    "html-page": {"status_code": 200, "text": f"<html>{LEAK}</html>"},
    "redirect": {"status_code": 302, "headers": {"Location": "https://elsewhere.example.org/"}},
}  # fmt: skip


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_every_fhir_server_failure_is_one_and_the_same_412(
    client, respx_mock, caplog, failure
):
    """Nothing the server said, and no hint of what failed (a closed port, a status), is sent
    back: only one fixed reason. The operator finds the details in the log."""
    spec = dict(FAILURES[failure])
    route = respx_mock.get(f"{FHIR}/Observation")
    if "side_effect" in spec:
        route.mock(side_effect=spec["side_effect"])
    else:
        route.respond(**spec)
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    with caplog.at_level("WARNING", logger="spinemets.cds.prefetch"):
        response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert response.json()["issue"] == [{
        "severity": "error", "code": "incomplete",
        "diagnostics": "the data could not be read from fhirServer"}]  # fmt: skip
    assert "hunter2" not in response.text and "secret-token-123" not in response.text
    assert "fhirServer https://fhir.example.org" in caplog.text  # logged for the operator
    assert "secret-token-123" not in caplog.text


async def test_an_http_fhir_server_never_gets_the_token(client, respx_mock):
    route = respx_mock.get("http://fhir.example.org/r4/Observation").respond(json=searchset([]))
    body = patient_view(fhirServer="http://fhir.example.org/r4", fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert "https" in response.json()["issue"][0]["diagnostics"]
    assert not route.called


async def test_a_complete_prefetch_needs_no_https(client, respx_mock):
    body = patient_view(fhirServer="http://fhir.example.org/r4", fhirAuthorization=TOKEN)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200 and response.json()["cards"]


@pytest.mark.parametrize(
    ("server", "allowed"),
    [("http://127.0.0.1:8090/fhir", True), ("http://localhost:8090/fhir", True),
     ("http://[::1]:8090/fhir", True), ("http://fhir.example.org/r4", False),
     ("http://127.0.0.1.nip.io/fhir", False)],
)  # fmt: skip
async def test_http_only_to_loopback_and_only_when_configured(
    settings, respx_mock, server, allowed
):
    from tests.unit.cds.conftest import client_for

    route = respx_mock.get(f"{server}/Observation").respond(json=searchset([]))
    body = patient_view(fhirServer=server)
    del body["prefetch"]["observations"]
    async with client_for(settings) as default:
        assert (await default.post("/cds-services/spinemets-scores", json=body)).status_code == 412
    assert not route.called
    development = settings.model_copy(update={"fhir_http_loopback": True})
    async with client_for(development) as client:
        response = await client.post("/cds-services/spinemets-scores", json=body)
    assert (response.status_code == 200) is allowed
    assert route.called is allowed


async def test_a_non_ascii_token_is_a_400_not_a_500(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Observation").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR, fhirAuthorization={**TOKEN, "access_token": "tökén"})
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400
    assert "access_token" in response.json()["issue"][0]["diagnostics"]
    assert "tökén" not in response.text
    assert not route.called


async def test_unreachable_or_non_fhir_servers_are_412(client, respx_mock):
    respx_mock.get(f"{FHIR}/Observation").mock(side_effect=httpx.ConnectTimeout("slow"))
    respx_mock.get(f"{FHIR}/Condition").respond(text="<html>")
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["observations"]
    del body["prefetch"]["conditions"]
    assert (await client.post("/cds-services/spinemets-scores", json=body)).status_code == 412


async def test_next_links_to_another_origin_are_not_followed(client, respx_mock):
    evil = respx_mock.get("https://evil.example.org/steal").respond(json=searchset([]))
    respx_mock.get(f"{FHIR}/Observation").respond(
        json=searchset([], next_url="https://evil.example.org/steal")
    )
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert not evil.called


@pytest.mark.parametrize(
    "patient_id", [".", "..", "a&_include=*", "a/b", "a b", "x" * 65, "", "pätient", "a_b"]
)
async def test_patient_ids_outside_the_fhir_id_grammar_are_refused(client, respx_mock, patient_id):
    route = respx_mock.route().respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["context"]["patientId"] = patient_id
    del body["prefetch"]["conditions"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400
    assert "patientId" in response.json()["issue"][0]["diagnostics"]
    assert not route.called


async def test_a_valid_patient_id_is_used_as_is(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["context"]["patientId"] = "A-1.b" + "x" * 59
    body["prefetch"] = dict.fromkeys(body["prefetch"])  # the seed patient's data is not this one's
    del body["prefetch"]["conditions"]
    await client.post("/cds-services/spinemets-scores", json=body)
    assert route.calls.last.request.url.params["patient"] == "A-1.b" + "x" * 59


# --- a prefetch about another patient (CDS Hooks 2.0: the prefetch is for the patient in context)


def _about(resource: dict, patient: str) -> dict:
    return {**resource, "subject": {"reference": f"Patient/{patient}"}}


async def test_a_prefetch_patient_other_than_context_patient_id_is_refused(client, respx_mock):
    """Which of the two is on the clinician's screen cannot be told: nothing is scored, and the
    answer names the mismatch by key and resource id, never a patient's data."""
    route = respx_mock.route().respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    body["context"]["patientId"] = "other"
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/fhir+json")
    (issue,) = response.json()["issue"]
    assert issue["code"] == "invalid"
    said = issue["diagnostics"]
    assert "prefetch 'patient'" in said and "context.patientId" in said
    assert "Patient/seed-01" in said and "other" not in said.replace("another", "")
    assert "cards" not in response.json() and not route.called


@pytest.mark.parametrize("key", ["conditions", "observations"])
async def test_a_prefetch_resource_about_another_patient_is_refused(client, key):
    """Another patient's finding is never scored as this patient's, and never dropped silently
    either: a search for this patient that returns another's resources is an integration error."""
    body = patient_view()
    bundle = body["prefetch"][key]
    first = bundle["entry"][0]["resource"]
    bundle["entry"][0]["resource"] = _about(first, "q")
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400
    said = response.json()["issue"][0]["diagnostics"]
    assert f"prefetch {key!r}" in said and f"{first['resourceType']}/{first['id']}" in said
    assert "Patient/q" in said


async def test_a_subject_written_as_an_absolute_url_is_read_as_the_record_reads_it(client):
    body = patient_view()
    entry = body["prefetch"]["conditions"]["entry"][0]
    entry["resource"]["subject"] = {"reference": "https://fhir.example.org/r4/Patient/q"}
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400
    assert "about Patient/q" in response.json()["issue"][0]["diagnostics"]


async def test_a_prefetch_about_the_patient_in_context_is_scored(client):
    body = patient_view()
    body["prefetch"]["conditions"]["entry"][0]["resource"]["subject"] = {
        "reference": "https://fhir.example.org/r4/Patient/seed-01"  # absolute: the same patient
    }
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200 and response.json()["cards"]


# --- a FHIR server's answer about another patient (the server's fault, not the client's request)

STRANGER = "stranger-7"


def _strangers(resources: list[dict], n: int) -> list[dict]:
    return [_about({**r, "id": f"foreign-{i}"}, STRANGER) for i, r in enumerate(resources[:n])]


def _notices(cards: list[dict]) -> list[dict]:
    return [c for c in cards if "another patient" in c["summary"]]


async def _scores_with_server(client) -> httpx.Response:
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    return await client.post("/cds-services/spinemets-scores", json=body)


async def test_resources_the_fhir_server_returns_about_another_patient_are_named_not_used(
    client, respx_mock, caplog
):
    """Never scored, never a 400 (the client asked rightly), never silent: the cards say the
    record may be incomplete, by type and count only, as a warning; one warning line in the log."""
    _, observations = _split(seed_resources())
    route = respx_mock.get(f"{FHIR}/Observation")
    route.respond(json=searchset(observations))
    plain = (await _scores_with_server(client)).json()["cards"]
    route.respond(json=searchset([*observations, *_strangers(observations, 2)]))
    with caplog.at_level("WARNING", logger="spinemets.cds.prefetch"):
        response = await _scores_with_server(client)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    (notice,) = _notices(cards)
    assert notice["indicator"] == "warning"
    summary = notice["summary"]
    assert summary.startswith("Record may be incomplete") and len(summary) < 140
    assert "2 Observations" in summary and "FHIR server" in summary and "not used" in summary
    assert "2 Observations" in notice["detail"]
    # the other cards are the ones of the record without the strangers: nothing of theirs used
    others = [c for c in cards if c is not notice]
    assert [(c["summary"], c["indicator"]) for c in others] == [
        (c["summary"], c["indicator"]) for c in plain
    ]
    assert not _notices(plain)
    # counts only: neither the other patient's id nor their resources' ids, anywhere
    for said in (response.text, caplog.text):
        assert STRANGER not in said and "foreign-" not in said
        assert "secret-token-123" not in said
    lines = [r for r in caplog.records if "another patient" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == "WARNING"
    assert "2 Observation" in lines[0].getMessage()
    assert "fhirServer https://fhir.example.org" in lines[0].getMessage()


async def test_strangers_on_a_page_the_server_adds_to_a_prefetch_are_counted_too(
    client, respx_mock
):
    """The prefetch's own page was the client's (checked, 400 if wrong); the pages read after it
    are the server's answer, reported like a search."""
    resources = seed_resources()
    conditions, _ = _split(resources)
    page2 = f"{FHIR}/Condition?page=2"
    respx_mock.get(page2).respond(json=searchset(_strangers(conditions, 1)))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = searchset(conditions, next_url=page2)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    (notice,) = _notices(response.json()["cards"])
    assert "1 Condition " in notice["summary"] and notice["indicator"] == "warning"


async def test_several_types_about_another_patient_are_each_counted(client, respx_mock):
    conditions, observations = _split(seed_resources())
    respx_mock.get(f"{FHIR}/Observation").respond(
        json=searchset([*observations, *_strangers(observations, 3)])
    )
    respx_mock.get(f"{FHIR}/Condition").respond(
        json=searchset([*conditions, *_strangers(conditions, 1)])
    )
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["observations"], body["prefetch"]["conditions"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    (notice,) = _notices(response.json()["cards"])
    assert "3 Observations" in notice["detail"] and "1 Condition" in notice["detail"]


async def test_a_server_that_returns_only_another_patient_s_record_is_not_silent(
    client, respx_mock
):
    """Nothing left to score is no reason for no card: the record may be elsewhere."""
    resources = seed_resources()
    foreign = [r for r in resources if r["resourceType"] != "Patient"]
    respx_mock.get(f"{FHIR}/Condition").respond(
        json=searchset(_strangers([r for r in foreign if r["resourceType"] == "Condition"], 9))
    )
    body = patient_view(fhirServer=FHIR)
    body["prefetch"] = {"patient": body["prefetch"]["patient"]} | dict.fromkeys(
        k for k in body["prefetch"] if k not in ("patient", "conditions")
    )
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    (notice,) = _notices(response.json()["cards"])
    assert notice["indicator"] == "warning" and "Condition" in notice["summary"]


async def test_the_procedure_check_names_them_too(client, respx_mock):
    from tests.support.records import draft_orders, order

    conditions, _ = _split(seed_resources())
    respx_mock.get(f"{FHIR}/Condition").respond(
        json=searchset([*conditions, *_strangers(conditions, 1)])
    )
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["conditions"]
    body["hook"] = "order-sign"
    body["context"]["draftOrders"] = draft_orders(order("vp", "22511", "L2", subject="seed-01"))
    response = await client.post("/cds-services/spinemets-procedure-check", json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    (notice,) = _notices(cards)
    assert notice["indicator"] == "warning" and "1 Condition " in notice["summary"]
    assert any(c["summary"].startswith("Vertebroplasty L2") for c in cards)


# --- a prefetch known to be partial (one page of a search, or a search the server cut short)

BILSKY_3 = {
    "resourceType": "Observation", "id": "mri-yesterday", "status": "final",
    "subject": {"reference": "Patient/seed-01"},
    "code": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding",
                         "code": "epidural-spinal-cord-compression"}]},
    "valueCodeableConcept": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding",
                                         "code": "bilsky-3"}]},
    "bodySite": [{"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/vertebra",
                              "code": "T12"}]}],
    "effectiveDateTime": "2024-05-31T09:00:00Z",
}  # fmt: skip
SERVER_SAYS = "Search truncated: only the first 200 of 812 results were returned"


def _cut_short(bundle: dict, severity: str = "error") -> dict:
    """The searchset with the OperationOutcome entry a server adds when it cuts a search short."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": "too-costly", "diagnostics": SERVER_SAYS}],
    }
    return {**bundle, "entry": [*bundle["entry"],
                                {"resource": outcome, "search": {"mode": "outcome"}}]}  # fmt: skip


def _refused_as_partial(response: httpx.Response, key: str) -> str:
    assert response.status_code == 412, response.text[:300]
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert "cards" not in response.json()
    (issue,) = response.json()["issue"]
    assert issue["severity"] == "error" and issue["code"] == "incomplete"
    said = issue["diagnostics"]
    assert f"prefetch {key!r}" in said and "fhirServer" in said
    return said


async def test_one_page_of_a_prefetch_with_no_fhir_server_is_not_scored(client):
    """Scoring page 1 would miss yesterday's Bilsky 3 on page 2, and with it the critical cord
    compression card: a record known to be partial gets 412, never cards."""
    _, observations = _split(seed_resources())
    whole = patient_view()
    whole["prefetch"]["observations"] = searchset([*observations, BILSKY_3])
    cards = (await client.post("/cds-services/spinemets-scores", json=whole)).json()["cards"]
    assert any(c["indicator"] == "critical" and "cord compression" in c["summary"] for c in cards)
    body = patient_view()
    body["prefetch"]["observations"] = searchset(
        observations, next_url=f"{FHIR}/Observation?patient=seed-01&_page=2"
    )
    response = await client.post("/cds-services/spinemets-scores", json=body)
    said = _refused_as_partial(response, "observations")
    assert "next" in said and "_page=2" not in said


async def test_a_prefetch_search_the_server_cut_short_is_not_scored(client):
    body = patient_view()
    body["prefetch"]["conditions"] = _cut_short(body["prefetch"]["conditions"])
    response = await client.post("/cds-services/spinemets-scores", json=body)
    said = _refused_as_partial(response, "conditions")
    assert "OperationOutcome" in said
    assert "812" not in response.text and "truncated" not in response.text  # the server's words


async def test_the_procedure_check_refuses_a_partial_prefetch_too(client):
    from tests.support.records import draft_orders, order

    body = patient_view()
    body["hook"] = "order-sign"
    body["context"]["draftOrders"] = draft_orders(order("vp", "22511", "L2", subject="seed-01"))
    body["prefetch"]["observations"] = _cut_short(body["prefetch"]["observations"], "fatal")
    response = await client.post("/cds-services/spinemets-procedure-check", json=body)
    _refused_as_partial(response, "observations")


@pytest.mark.parametrize("severity", ["warning", "information"])
async def test_an_outcome_entry_that_is_no_error_leaves_the_search_whole(client, severity):
    """A server's note beside complete results (an unknown parameter ignored) is no gap."""
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view()
    body["prefetch"]["observations"] = _cut_short(body["prefetch"]["observations"], severity)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["cards"] == plain["cards"]


async def test_the_pages_after_a_prefetched_page_are_read_from_fhir_server(client, respx_mock):
    _, observations = _split(seed_resources())
    page2 = f"{FHIR}/Observation?patient=seed-01&_page=2"
    route = respx_mock.get(page2).respond(json=searchset([BILSKY_3]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["observations"] = searchset(observations, next_url=page2)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert route.called
    cards = response.json()["cards"]
    assert any(c["indicator"] == "critical" and "cord compression" in c["summary"] for c in cards)


async def test_a_prefetch_search_cut_short_is_searched_again_on_fhir_server(client, respx_mock):
    """The client's prefetch failed in part, as an OperationOutcome in its place says it failed
    whole: the search is made again on fhirServer."""
    conditions, _ = _split(seed_resources())
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset(conditions))
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = _cut_short(body["prefetch"]["conditions"])
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert route.called
    assert response.json()["cards"] == plain["cards"]


def _in_batch_response(bundle: dict) -> dict:
    """A searchset as the answer to one request of a batch (a Bundle inside a Bundle)."""
    return {"resourceType": "Bundle", "type": "batch-response",
            "entry": [{"resource": bundle, "response": {"status": "200 OK"}}]}  # fmt: skip


async def test_a_prefetch_searchset_inside_a_batch_response_is_read(client):
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view()
    body["prefetch"]["conditions"] = _in_batch_response(body["prefetch"]["conditions"])
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["cards"] == plain["cards"]


async def test_a_partial_searchset_inside_a_prefetch_batch_response_is_not_scored(client):
    _, observations = _split(seed_resources())
    page = searchset(observations, next_url=f"{FHIR}/Observation?patient=seed-01&_page=2")
    body = patient_view()
    body["prefetch"]["observations"] = _in_batch_response(page)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    said = _refused_as_partial(response, "observations")
    assert "next" in said and "_page=2" not in said


async def test_a_partial_searchset_inside_a_prefetch_is_searched_again_on_fhir_server(
    client, respx_mock
):
    conditions, _ = _split(seed_resources())
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset(conditions))
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["conditions"] = _in_batch_response(_cut_short(body["prefetch"]["conditions"]))
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    assert route.called
    assert response.json()["cards"] == plain["cards"]


async def test_a_fhir_server_search_cut_short_is_the_usual_412(client, respx_mock, caplog):
    _, observations = _split(seed_resources())
    respx_mock.get(f"{FHIR}/Observation").respond(json=_cut_short(searchset(observations)))
    body = patient_view(fhirServer=FHIR, fhirAuthorization=TOKEN)
    del body["prefetch"]["observations"]
    with caplog.at_level("WARNING", logger="spinemets.cds.prefetch"):
        response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412
    assert (
        response.json()["issue"][0]["diagnostics"] == "the data could not be read from fhirServer"
    )
    assert "812" not in response.text and "812" not in caplog.text
    assert "fhirServer https://fhir.example.org" in caplog.text


# --- The prefetch templates stay within CDS Hooks' recommended subset -----------------------
# `_include` is not in it: the templates leave it out; the reads spinemets makes itself keep it,
# and a Medication a request names but nobody sent is read from fhirServer by id.

_RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
_APIXABAN = {"coding": [{"system": _RX, "code": "1364445", "display": "apixaban 5 MG Oral Tablet"}]}
CHECK = "/cds-services/spinemets-procedure-check"


def _referencing(*ids: str) -> list[dict]:
    from tests.support.records import default_patient

    requests = tuple(
        {"resourceType": "MedicationRequest", "id": f"m{n}", "status": "active", "intent": "order",
         "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-20T09:00:00Z",
         "medicationReference": {"reference": f"Medication/{mid}"}}
        for n, mid in enumerate(ids)
    )  # fmt: skip
    return default_patient(extra=requests)


def _check(resources: list[dict], **extra) -> dict:
    from tests.support.records import draft_orders, order
    from tests.unit.cds.conftest import prefetch_for

    return {
        "hook": "order-sign", "hookInstance": "c7e2d1f0-2c4b-4a8e-9d5e-0f3b1a2c4d5e",
        "context": {"userId": "Practitioner/x", "patientId": "p",
                    "draftOrders": draft_orders(order("vp", "22510", "T12"))},
        "prefetch": prefetch_for(resources), **extra,
    }  # fmt: skip


def _bleeding_row(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    (card,) = [c for c in response.json()["cards"] if "Vertebroplasty" in c["summary"]]
    return next(ln for ln in card["detail"].splitlines() if ln.startswith("| 7 "))


async def test_a_missing_key_is_read_from_fhir_server_with_its_include(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/MedicationRequest").respond(json=searchset([]))
    body = _check(_referencing(), fhirServer=FHIR)
    del body["prefetch"]["medicationRequests"]
    response = await client.post(CHECK, json=body)
    assert response.status_code == 200, response.text
    assert route.called
    assert route.calls.last.request.url.params["_include"] == "MedicationRequest:medication"


async def test_a_medication_named_but_not_sent_is_read_from_fhir_server(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Medication/apx").respond(
        json={"resourceType": "Medication", "id": "apx", "code": _APIXABAN}
    )
    response = await client.post(CHECK, json=_check(_referencing("apx"), fhirServer=FHIR))
    assert route.call_count == 1
    row = _bleeding_row(response)
    assert "apixaban 5 MG Oral Tablet" in row and "not identified" not in row


async def test_a_medication_the_prefetch_holds_is_not_read_again(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/Medication/apx").respond(json={})
    body = _check(_referencing("apx"), fhirServer=FHIR)
    body["prefetch"]["medicationRequests"]["entry"].append(
        {"resource": {"resourceType": "Medication", "id": "apx", "code": _APIXABAN},
         "search": {"mode": "include"}}
    )  # fmt: skip
    row = _bleeding_row(await client.post(CHECK, json=body))
    assert not route.called and "apixaban 5 MG Oral Tablet" in row


@pytest.mark.parametrize("answer", [{"status_code": 404}, {"json": {"resourceType": "Patient"}}])
async def test_a_medication_that_cannot_be_read_stays_not_identified(client, respx_mock, answer):
    respx_mock.get(f"{FHIR}/Medication/apx").respond(**answer)
    row = _bleeding_row(await client.post(CHECK, json=_check(_referencing("apx"), fhirServer=FHIR)))
    assert "**unknown**" in row and "not identified" in row  # the safe side, not a 412


async def test_without_fhir_server_a_medication_not_sent_stays_not_identified(client, respx_mock):
    route = respx_mock.route().respond(json={})
    row = _bleeding_row(await client.post(CHECK, json=_check(_referencing("apx"))))
    assert not route.called and "**unknown**" in row and "not identified" in row


async def test_medications_read_by_id_are_capped(client, respx_mock):
    route = respx_mock.get(url__regex=rf"{FHIR}/Medication/.*").respond(json={})
    ids = [f"x{n}" for n in range(60)]
    response = await client.post(CHECK, json=_check(_referencing(*ids, "x0"), fhirServer=FHIR))
    assert response.status_code == 200, response.text
    assert route.call_count == 50


# --- A key added after clients were configured is optional --------------------------------


async def test_a_missing_optional_key_without_fhir_server_is_scored_with_a_warning(client):
    body = patient_view()
    del body["prefetch"]["medicationAdministrations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards[0]["summary"].startswith("T12 fixed on 22 May 2024")  # scored all the same
    (notice,) = [c for c in cards if "medicationAdministrations" in c["detail"]]
    assert notice["indicator"] == "warning"
    assert notice["summary"].startswith("Doses given were not sent")
    assert "no fhirServer was named" in notice["detail"]
    assert "medication administration record" in notice["detail"]


async def test_a_missing_optional_key_is_read_from_fhir_server_when_named(client, respx_mock):
    route = respx_mock.get(f"{FHIR}/MedicationAdministration").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["medicationAdministrations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200 and route.called
    assert not [c for c in response.json()["cards"] if "Doses given" in c["summary"]]


async def test_a_missing_required_key_without_fhir_server_is_still_412(client):
    body = patient_view()
    del body["prefetch"]["medicationRequests"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412


async def test_an_optional_key_the_client_failed_is_still_412(client):
    body = patient_view()
    body["prefetch"]["medicationAdministrations"] = {
        "resourceType": "OperationOutcome",
        "issue": [],
    }
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412


async def test_a_medication_read_past_the_deadline_stays_not_identified(tmp_path, respx_mock):
    import asyncio

    from adapter.cds.settings import Settings
    from tests.unit.cds.conftest import client_for

    async def slow(request):
        await asyncio.sleep(3)
        return httpx.Response(200, json={"resourceType": "Medication", "id": "apx"})

    respx_mock.get(f"{FHIR}/Medication/apx").mock(side_effect=slow)
    async with client_for(Settings(state_dir=tmp_path, fhir_deadline=0.3)) as client:
        async with asyncio.timeout(2):
            response = await client.post(CHECK, json=_check(_referencing("apx"), fhirServer=FHIR))
    row = _bleeding_row(response)
    assert "**unknown**" in row and "not identified" in row


def test_only_a_relative_reference_nothing_resolves_is_read_by_id():
    from adapter.cds.medication_reads import unresolved_medications

    def request(ref: str) -> dict:
        return {"resourceType": "MedicationStatement", "medicationReference": {"reference": ref}}

    bundle = searchset([request("urn:uuid:1"), request("Medication/in-bundle")])
    bundle["entry"].append(
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Medication", "id": "u"}}
    )
    gathered = [
        bundle,
        {"resourceType": "Medication", "id": "in-bundle"},
        request("Medication/a"),
        {
            "resourceType": "MedicationAdministration",
            "medicationReference": {"reference": "Medication/b"},
        },
        request("Medication/a"),  # the same one, read once
        request("https://other.example.org/fhir/Medication/c"),  # another server's: not read
        request("Medication/d?_format=xml"),  # not an id: not read
        request("#contained"),
    ]
    assert unresolved_medications(gathered) == ["Medication/a", "Medication/b"]


def _short_of_total(bundle: dict, total: int) -> dict:
    """A searchset that says how many matched (``total``) and holds fewer, with no next link."""
    return {**bundle, "total": total}


async def test_a_prefetch_holding_fewer_than_its_total_is_not_scored(client):
    """A client that caps a search and drops its links still says how many matched: the
    Bilsky 3 may be among the rest (R4 Bundle.total: the number of matches)."""
    _, observations = _split(seed_resources())
    body = patient_view()
    body["prefetch"]["observations"] = _short_of_total(searchset(observations), 211)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    said = _refused_as_partial(response, "observations")
    assert f"holds {len(observations)} of the 211 resources it matched" in said


async def test_a_prefetch_holding_fewer_than_its_total_is_read_again_from_the_server(
    client, respx_mock
):
    _, observations = _split(seed_resources())
    route = respx_mock.get(f"{FHIR}/Observation").respond(json=searchset([*observations, BILSKY_3]))
    body = patient_view(fhirServer=FHIR)
    body["prefetch"]["observations"] = _short_of_total(searchset(observations), 211)
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert route.called and response.status_code == 200
    cards = response.json()["cards"]
    assert any(c["indicator"] == "critical" and "cord compression" in c["summary"] for c in cards)


@pytest.mark.parametrize("total", ["211", 211.5, -1, True, {"value": 211}])
async def test_a_total_that_is_no_count_is_not_read_as_whole(client, total):
    """A Bundle.total that is not a count (R4: unsignedInt, a JSON number) cannot say the search
    is whole: the Bilsky 3 may be among what it leaves out, as with a total it falls short of."""
    _, observations = _split(seed_resources())
    body = patient_view()
    body["prefetch"]["observations"] = {**searchset(observations), "total": total}
    response = await client.post("/cds-services/spinemets-scores", json=body)
    said = _refused_as_partial(response, "observations")
    assert "Bundle.total" in said and "not a count" in said


async def test_a_total_written_as_a_whole_number_is_read(client):
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view()
    entries = body["prefetch"]["observations"]["entry"]
    body["prefetch"]["observations"] = {**body["prefetch"]["observations"],
                                        "total": float(len(entries))}  # fmt: skip
    again = (await client.post("/cds-services/spinemets-scores", json=body)).json()
    assert [c["summary"] for c in again["cards"]] == [c["summary"] for c in plain["cards"]]


async def test_a_total_the_entries_reach_is_whole(client):
    plain = (await client.post("/cds-services/spinemets-scores", json=patient_view())).json()
    body = patient_view()
    entries = body["prefetch"]["observations"]["entry"]
    body["prefetch"]["observations"] = _short_of_total(
        body["prefetch"]["observations"], len(entries)
    )
    again = (await client.post("/cds-services/spinemets-scores", json=body)).json()
    assert [c["summary"] for c in again["cards"]] == [c["summary"] for c in plain["cards"]]


@pytest.mark.parametrize(
    "patient",
    [
        {"deceasedBoolean": "true"},  # malformed: whether the patient is alive cannot be read
        {"resourceType": "Observation", "status": "final"},  # not a Patient at all
    ],
    ids=["malformed", "another-resource"],
)
async def test_a_patient_key_that_holds_no_usable_patient_is_refused_as_missing(client, patient):
    """The wrong-patient and deceased guards read the Patient: a key the service cannot read as
    one is no living patient, as a missing key is not (CDS Hooks 2.0: 412)."""
    from tests.support.records import draft_orders, order

    for hook in ("patient-view", "order-sign"):
        body = patient_view()
        body["prefetch"]["patient"] = {**body["prefetch"]["patient"], **patient}
        service = "spinemets-scores"
        if hook == "order-sign":
            body["hook"], service = hook, "spinemets-procedure-check"
            body["context"]["draftOrders"] = draft_orders(
                order("vp", "22511", "L2", subject="seed-01")
            )
        response = await client.post(f"/cds-services/{service}", json=body)
        assert response.status_code == 412, (hook, response.text[:300])
        (issue,) = response.json()["issue"]
        assert "prefetch 'patient'" in issue["diagnostics"]


async def test_a_token_for_another_patient_is_refused(client, respx_mock):
    """A patient-scoped token names its patient: used to read another's record, it is the
    client's mix-up (the server may even answer), so the call is refused before any read."""
    route = respx_mock.get(f"{FHIR}/Condition").respond(json=searchset([]))
    body = patient_view(fhirServer=FHIR, fhirAuthorization={**TOKEN, "patient": "someone-else"})
    del body["prefetch"]["conditions"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 400 and not route.called
    said = response.json()["issue"][0]["diagnostics"]
    assert "fhirAuthorization.patient" in said and "context.patientId" in said
    assert "someone-else" not in said  # a value is never repeated
    same = patient_view(fhirServer=FHIR, fhirAuthorization={**TOKEN, "patient": "seed-01"})
    assert (await client.post("/cds-services/spinemets-scores", json=same)).status_code == 200


async def test_a_server_search_holding_fewer_than_its_total_is_not_scored(client, respx_mock):
    """The same gap in what fhirServer answers (a key not prefetched): never scored as whole."""
    _, observations = _split(seed_resources())
    respx_mock.get(f"{FHIR}/Observation").respond(
        json=_short_of_total(searchset(observations), 211)
    )
    body = patient_view(fhirServer=FHIR)
    del body["prefetch"]["observations"]
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 412, response.text[:300]
