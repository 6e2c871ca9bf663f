"""``$populate`` and ``$extract`` on serve (contract §7): SDC Parameters in and out, the CDS
clients' JWTs, and a 4xx OperationOutcome naming the item for bad input."""

from __future__ import annotations

import pytest

from adapter.cds.routes import questionnaire as route
from adapter.cds.settings import Settings
from adapter.fhir.read.timing import parse_time
from tests.support.forms import fill, populate_rules
from tests.support.records import NOW, default_patient
from tests.unit.cds.conftest import BASE, client_for

POPULATE = "/fhir/Questionnaire/sins/$populate"
EXTRACT = "/fhir/QuestionnaireResponse/$extract"
LATER = "2024-05-31T10:00:00Z"
FHIR_JSON = {"Content-Type": "application/fhir+json"}
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(route, "now_time", lambda: parse_time(NOW))


def _record(resources=None):
    entries = [{"resource": r} for r in (default_patient() if resources is None else resources)]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueReference": {"reference": "Patient/p"}},
        {"name": "context", "part": [{"name": "name", "valueString": "patient"},
                                     {"name": "content", "resource": bundle}]}]}  # fmt: skip


def _response_in(parameters):
    return {"resourceType": "Parameters",
            "parameter": [{"name": "questionnaire-response", "resource": parameters}]}  # fmt: skip


async def _populated(client, headers=None):
    answer = await client.post(POPULATE, json=_record(), headers={**FHIR_JSON, **(headers or {})})
    assert answer.status_code == 200, answer.text
    (param,) = answer.json()["parameter"]
    assert param["name"] == "response"
    return param["resource"]


async def test_populate_and_extract_round_trip(client):
    response = await _populated(client)
    assert response["item"][0]["item"][0]["answer"][0]["valueCoding"]["code"] == "T12"
    completed = fill(response, {("T12", "spinal-pain"): "pain-free"}, authored=LATER)
    answer = await client.post(EXTRACT, json=_response_in(completed), headers=FHIR_JSON)
    assert answer.status_code == 200, answer.text
    (param,) = answer.json()["parameter"]
    assert param["name"] == "return" and param["resource"]["type"] == "transaction"
    codes = {e["resource"]["code"]["coding"][0]["code"] for e in param["resource"]["entry"]}
    assert codes == {"spinal-pain"}  # the four left as prefilled are in the record already
    bare = await client.post(EXTRACT, json=completed, headers=FHIR_JSON)  # the response alone
    assert bare.json() == answer.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [("authored", "not a date"), ("subject", {"reference": "Patient/../x"})],
)
async def test_extract_refuses_a_response_whose_copied_fields_are_not_fhir(client, field, value):
    completed = fill(
        await _populated(client), {("T12", "spinal-pain"): "pain-free"}, authored=LATER
    )
    completed[field] = value
    answer = await client.post(EXTRACT, json=_response_in(completed), headers=FHIR_JSON)
    assert 400 <= answer.status_code < 500, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["diagnostics"].startswith(f"{field}:")


async def test_populate_reads_the_record_by_the_services_rules(tmp_path, monkeypatch):
    """serve hands $populate its settings' rules, as its cards score with them."""
    used = populate_rules(monkeypatch)
    settings = Settings(state_dir=tmp_path, window_sins_days=90, inr_max=2.0)
    async with client_for(settings) as client:
        await _populated(client)
    assert used == [settings.rules]


async def test_the_operations_need_a_clients_jwt(secured, keys):
    async with client_for(secured) as client:
        refused = await client.post(POPULATE, json=_record(), headers=FHIR_JSON)
        assert refused.status_code == 401
        token = keys.token(BASE + POPULATE)
        response = await _populated(client, {"Authorization": f"Bearer {token}"})
        completed = fill(response, {}, authored=LATER)
        refused = await client.post(EXTRACT, json=completed, headers=FHIR_JSON)
        assert refused.status_code == 401
        token = keys.token(BASE + EXTRACT)
        answer = await client.post(
            EXTRACT, json=completed, headers={**FHIR_JSON, "Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200


def _bad_answer(response):
    response["item"][0]["item"][2]["answer"] = [{"valueCoding": {"code": "agonising"}}]
    return response


def _bad_level(response):
    response["item"][0]["item"][0]["answer"] = [{"valueCoding": {"code": "T13"}}]
    return response


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda r: r | {"questionnaire": "http://example.org/Questionnaire/x"}, "questionnaire"),
        (_bad_answer, "item spinal-pain: answer 'agonising'"),
        (_bad_level, "item vertebra: 'T13' is not a spinal level"),
    ],
)
async def test_bad_responses_get_an_outcome_naming_the_item(client, change, says):
    completed = fill(await _populated(client), {}, authored=LATER)
    answer = await client.post(EXTRACT, json=_response_in(change(completed)), headers=FHIR_JSON)
    assert answer.status_code == 400
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert says in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/fhir/Questionnaire/phq9/$populate", _record(), FHIR_JSON, 404),
        (POPULATE, {"resourceType": "Parameters"}, FHIR_JSON, 400),  # no record
        (POPULATE, {"resourceType": "Patient", "id": "p"}, FHIR_JSON, 400),
        (POPULATE, _record([]), FHIR_JSON, 400),  # no patient in the record
        (EXTRACT, {"resourceType": "Parameters", "parameter": []}, FHIR_JSON, 400),
        (EXTRACT, {"resourceType": "Parameters", "parameter": [
            {"name": "questionnaire-response", "valueString": "x"}]}, FHIR_JSON, 400),
        (EXTRACT, "not a resource", FHIR_JSON, 400),
        (EXTRACT, {"resourceType": "Parameters"}, {"Content-Type": "text/plain"}, 415),
    ],
)  # fmt: skip
async def test_unusable_requests_get_4xx_never_500(client, path, body, headers, status):
    answer = await client.post(path, json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["resourceType"] == "OperationOutcome"


async def test_a_body_that_is_not_json_is_400(client):
    answer = await client.post(EXTRACT, content=b"{not json", headers=FHIR_JSON)
    assert answer.status_code == 400


async def test_populate_reads_the_record_from_the_fhir_server_named(client, respx_mock):
    from adapter.fhir.read.record_list import RECORD_LIST
    from tests.unit.cds.conftest import searchset

    server = "https://fhir.example.org/r4"
    record = default_patient()
    respx_mock.get(f"{server}/Patient/p").respond(json=record[0])
    for rtype in {s.resource_type for s in RECORD_LIST if s.params}:
        found = [r for r in record if r["resourceType"] == rtype]
        respx_mock.get(f"{server}/{rtype}").respond(json=searchset(found))
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueReference": {"reference": "Patient/p"}},
        {"name": "fhirServer", "valueUrl": server},
        {"name": "access_token", "valueString": "opaque-token"}]}  # fmt: skip
    answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
    assert answer.status_code == 200, answer.text
    response = answer.json()["parameter"][0]["resource"]
    group = response["item"][0]["item"]
    assert {i["linkId"]: i.get("answer") for i in group}["sins-total"] == [{"valueString": "10"}]
    sent = respx_mock.calls[0].request.headers["authorization"]
    assert sent == "Bearer opaque-token"


async def test_populate_names_what_the_server_returned_about_another_patient(client, respx_mock):
    """Left out, as on the cards, and said in the answer's `issues` (SDC $populate's output
    parameter): counts only, never the stranger's ids or data."""
    from adapter.fhir.read.record_list import RECORD_LIST
    from tests.unit.cds.conftest import searchset

    server = "https://fhir.example.org/r4"
    record = default_patient()
    stranger = {"resourceType": "Observation", "id": "someone-else-kps", "status": "final",
                "code": {"text": "KPS"}, "subject": {"reference": "Patient/q"}}  # fmt: skip
    respx_mock.get(f"{server}/Patient/p").respond(json=record[0])
    for rtype in {s.resource_type for s in RECORD_LIST if s.params}:
        found = [r for r in record if r["resourceType"] == rtype]
        found += [stranger] if rtype == "Observation" else []
        respx_mock.get(f"{server}/{rtype}").respond(json=searchset(found))
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueReference": {"reference": "Patient/p"}},
        {"name": "fhirServer", "valueUrl": server}]}  # fmt: skip
    answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
    assert answer.status_code == 200, answer.text
    by_name = {p["name"]: p["resource"] for p in answer.json()["parameter"]}
    assert by_name["response"]["resourceType"] == "QuestionnaireResponse"
    [issue] = by_name["issues"]["issue"]
    assert issue["severity"] == "warning" and issue["code"] == "incomplete"
    assert "1 Observation from the FHIR server was about another patient" in issue["diagnostics"]
    assert "someone-else" not in answer.text and "Patient/q" not in answer.text


async def test_populate_from_a_server_needs_the_subject(client):
    body = {"resourceType": "Parameters",
            "parameter": [{"name": "fhirServer", "valueUrl": "https://fhir.example.org/r4"}]}  # fmt: skip
    answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
    assert answer.status_code == 400 and "subject" in answer.json()["issue"][0]["diagnostics"]


async def test_a_completed_response_in_the_prefetch_is_read_by_the_scores_service(client):
    from tests.unit.cds.conftest import patient_view, searchset

    record = default_patient(drop=("t12-spinal-pain",))
    response = fill(await _populated(client), {("T12", "spinal-pain"): "non-mechanical"},
                    authored=LATER)  # fmt: skip
    body = patient_view(record)
    body["prefetch"]["questionnaireResponses"] = searchset([response])
    answer = await client.post("/cds-services/spinemets-scores", json=body)
    assert answer.status_code == 200, answer.text
    summaries = [c["summary"] for c in answer.json()["cards"]]
    # 3 location + 1 non-mechanical + 2 lytic + 0 normal + 2 collapse < 50 % + 0 = 8
    assert any(s.startswith("SINS 8 at T12") for s in summaries), summaries


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Parameters", "parameter": 5},
        {"resourceType": "Parameters", "parameter": [{"name": "context", "part": 5}]},
        {"resourceType": "Parameters", "parameter": [{"name": "subject", "valueReference": 5},
                                                     {"name": "fhirServer", "valueUrl": 5}]},
        {"resourceType": "Parameters", "parameter": [
            {"name": "subject", "valueReference": {"reference": "Patient/p"}},
            {"name": "fhirServer", "valueUrl": "ftp://x"}]},
        {"resourceType": "Parameters", "parameter": [
            {"name": "x", "resource": {"resourceType": "Bundle", "entry": 7}}]},
    ],
)  # fmt: skip
async def test_malformed_parameters_are_400(client, body):
    answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize(
    "partial",
    [{"link": [{"relation": "next", "url": "https://fhir.example.org/r4/Observation?_page=2"}]},
     {"type": "searchset"}],
    ids=["next-link", "cut-short"],
)  # fmt: skip
async def test_populate_refuses_a_record_known_to_be_partial(client, partial):
    """A form prefilled from page 1 could offer last month's Bilsky 1 where page 2 holds
    yesterday's Bilsky 3: a partial record is refused as the services refuse it."""
    body = _record()
    bundle = body["parameter"][1]["part"][1]["resource"]
    bundle.update(partial)
    if "link" not in partial:
        issue = {"severity": "error", "code": "too-costly", "diagnostics": "cut at 200 of 812"}
        outcome = {"resourceType": "OperationOutcome", "issue": [issue]}
        bundle["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
    assert answer.status_code == 400, answer.text[:300]
    said = answer.json()["issue"][0]["diagnostics"]
    assert "partial record is not scored" in said and "812" not in said


def _flat(n: int) -> dict:
    return {"resourceType": "Parameters", "parameter": [{"name": "x"}] * n}


def _nested(depth: int) -> dict:
    part: dict = {"name": "leaf"}
    for _ in range(depth):
        part = {"name": "x", "part": [part]}
    return {"resourceType": "Parameters", "parameter": [part]}


@pytest.mark.parametrize("path", [POPULATE, EXTRACT])
async def test_more_parameters_than_the_limit_are_413(client, path):
    """SPINEMETS_MAX_PARAMETERS (1000): a 16 MB body of a million parameters once held a worker
    for 90 s, /healthz included; it is refused from its size, before the walk."""
    answer = await client.post(path, json=_flat(1001), headers=FHIR_JSON)
    assert answer.status_code == 413, answer.text[:300]
    (issue,) = answer.json()["issue"]
    assert issue["code"] == "too-costly" and "1000 parameters" in issue["diagnostics"]


async def test_the_parameter_limit_is_a_setting_and_counts_parts(tmp_path):
    async with client_for(Settings(state_dir=tmp_path, max_parameters=5)) as client:
        for body in (_flat(6), _nested(5)):  # six parameters and parts either way
            answer = await client.post(POPULATE, json=body, headers=FHIR_JSON)
            assert answer.status_code == 413, answer.text[:300]
            assert "5 parameters" in answer.json()["issue"][0]["diagnostics"]
        assert (await client.post(POPULATE, json=_record(), headers=FHIR_JSON)).status_code == 200


def test_the_walk_over_parameters_is_linear():
    """Breadth first, in order (the first subject or fhirServer found is the one used), with
    each parameter taken once: 200,000 of them in well under a second, not quadratic time."""
    import time

    parameters = [{"name": f"p{i}", "part": [{"name": f"c{i}"}]} for i in range(100_000)]
    body = {"resourceType": "Parameters", "parameter": parameters}
    start = time.perf_counter()
    walked = route._parameters(body, 10**6)
    assert time.perf_counter() - start < 2.0
    names = [name for name, _ in walked]
    assert len(names) == 200_000
    assert names[:2] == ["p0", "p1"] and names[100_000] == "c0" and names[-1] == "c99999"


async def test_a_large_body_is_parsed_off_the_event_loop(client, monkeypatch):
    """A body of megabytes takes its parse to a thread (as a CDS call's does), so /healthz and
    the other calls are answered meanwhile."""
    import threading

    threads = []
    parse = route._parsed

    def watched(raw):
        threads.append(threading.current_thread())
        return parse(raw)

    monkeypatch.setattr(route, "_parsed", watched)
    body = _record(default_patient() * 300)  # ~1 MB: the same resources, many times
    assert (await client.post(POPULATE, json=body, headers=FHIR_JSON)).status_code in (200, 400)
    assert threads and threads[0] is not threading.main_thread()


async def test_extract_names_a_questionnaire_it_does_not_know_without_echoing_it(client):
    completed = fill(await _populated(client), {}, authored=LATER)
    completed["questionnaire"] = "Q" * 100_000
    answer = await client.post(EXTRACT, json=_response_in(completed), headers=FHIR_JSON)
    assert answer.status_code == 400
    (issue,) = answer.json()["issue"]
    assert issue["diagnostics"].startswith("questionnaire: ")
    assert "QQQ" not in answer.text and len(answer.content) < 1000


# The audit trail (contract §8): each operation a client is authenticated for leaves one event.


def _events(settings: Settings) -> list[dict]:
    import json

    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


def _patients(event: dict) -> list[str]:
    return [e["what"]["reference"] for e in event["entity"] if e["role"]["code"] == "1"]


async def test_populate_and_extract_each_leave_one_audit_event_naming_client_and_patient(
    secured, keys
):
    from adapter.fhir.write.validate import validate_r4

    async with client_for(secured) as client:
        token = keys.token(BASE + POPULATE, sub="form-filler")
        response = await _populated(client, {"Authorization": f"Bearer {token}"})
        completed = fill(response, {("T12", "spinal-pain"): "pain-free"}, authored=LATER)
        token2 = keys.token(BASE + EXTRACT, sub="form-filler")
        bearer = {**FHIR_JSON, "Authorization": f"Bearer {token2}"}
        answer = await client.post(EXTRACT, json=_response_in(completed), headers=bearer)
        assert answer.status_code == 200
    populate, extract = _events(secured)
    for event, name, bearer_token in (
        (populate, "$populate", token),
        (extract, "$extract", token2),
    ):
        validate_r4(event)
        assert event["action"] == "E" and event["outcome"] == "0"
        assert _patients(event) == ["Patient/p"]
        client_agent = event["agent"][0]
        assert client_agent["who"]["identifier"]["value"] == "form-filler"
        assert client_agent["requestor"] is True
        (request,) = [e for e in event["entity"] if e["role"]["code"] == "24"]
        assert name in request["name"]
        assert bearer_token not in json_text(event)
    assert populate["entity"][1]["name"] == "fhir/Questionnaire/sins/$populate"
    assert extract["entity"][1]["name"] == "fhir/QuestionnaireResponse/$extract"


def json_text(event: dict) -> str:
    import json

    return json.dumps(event)


async def test_refused_operations_are_recorded_with_their_outcome(secured, keys):
    async with client_for(secured) as client:
        unauthenticated = await client.post(POPULATE, json=_record(), headers=FHIR_JSON)
        assert unauthenticated.status_code == 401  # no client known: nothing to record
        token = keys.token(BASE + POPULATE)
        bearer = {**FHIR_JSON, "Authorization": f"Bearer {token}"}
        missing = await client.post(POPULATE, json=_record([]), headers=bearer)
        token = keys.token(BASE + EXTRACT)
        bearer = {**FHIR_JSON, "Authorization": f"Bearer {token}"}
        broken = await client.post(EXTRACT, content=b"{not json", headers=bearer)
    assert (missing.status_code, broken.status_code) == (400, 400)
    refused_populate, refused_extract = _events(secured)
    assert refused_populate["outcome"] == refused_extract["outcome"] == "4"
    assert _patients(refused_populate) == ["Patient/p"] and _patients(refused_extract) == []


async def test_an_unknown_form_is_recorded_without_the_name_the_caller_typed(secured, keys):
    path = "/fhir/Questionnaire/zzcanary/$populate"
    async with client_for(secured) as client:
        token = keys.token(BASE + path)
        bearer = {**FHIR_JSON, "Authorization": f"Bearer {token}"}
        answer = await client.post(path, json=_record(), headers=bearer)
    assert answer.status_code == 404
    [event] = _events(secured)
    assert event["outcome"] == "4" and "zzcanary" not in json_text(event)
    assert event["entity"][0]["name"] == "fhir/Questionnaire/-/$populate"
