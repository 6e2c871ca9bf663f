"""$populate, a fill by item code, $extract, and the response read as findings (contract §2, §7)."""

from __future__ import annotations

import copy
from urllib.parse import quote

import pytest

from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.extract import ITEM_SID, extract
from adapter.questionnaire.populate import populate
from tests.support.forms import fill, sins_by_level
from tests.support.records import NOW, condition, default_patient, finding

TERM = default_terminology()
LATER = "2024-05-31T10:00:00Z"  # after the record's findings, before NOW


def _populate(name, resources):
    [data] = patients_from_resources(resources, [])
    return populate(name, data, TERM, parse_time(NOW), rules=DEFAULT_RULES)


def _answers(response, level=None):
    items = response.get("item", [])
    if level is not None:
        groups = [i for i in items if i["linkId"] == "level"]
        group = next(g for g in groups if g["item"][0]["answer"][0]["valueCoding"]["code"] == level)
        items = group["item"]
    return {i["linkId"]: i["answer"][0] for i in items if "answer" in i}


def test_populate_prefills_each_scored_level_with_its_findings_and_their_dates():
    record = default_patient(extra=(condition("met-l3", "C79.51", level="L3"),))
    response = _populate("sins", record)
    assert response["status"] == "in-progress" and response["subject"] == {"reference": "Patient/p"}
    t12 = _answers(response, "T12")
    assert t12["spinal-pain"]["valueCoding"]["code"] == "mechanical"
    assert t12["spinal-pain"]["extension"][0]["valueDateTime"] == "2024-05-30T09:00:00Z"
    assert t12["sins-location"] == {"valueInteger": 3}
    assert t12["sins-total"] == {"valueString": "10"}
    l3 = _answers(response, "L3")  # a level with no findings of its own: only its location
    assert set(l3) == {"vertebra", "sins-location", "sins-total"}
    assert l3["sins-total"] == {"valueString": "2–17 (5 missing)"}


def test_populate_neurology_and_staging_take_the_latest_finding():
    record = default_patient(
        extra=(finding("frankel-new", "frankel-grade", "frankel-d", when=LATER),
               finding("visceral", "visceral-metastases", "treatable"))
    )  # fmt: skip
    neurology = _populate("neurology", record)
    assert _answers(neurology)["frankel-grade"]["valueCoding"]["code"] == "frankel-d"
    assert (
        _answers(neurology, "T12")["epidural-spinal-cord-compression"]["valueCoding"]["code"]
        == "bilsky-0"
    )
    staging = _answers(_populate("staging", record))
    assert staging["visceral-metastases"]["valueCoding"]["code"] == "treatable"
    assert "major-organ-metastases" not in staging  # never assessed: left open


def test_a_conflict_is_left_open():
    record = default_patient(
        extra=(finding("t12-pain-2", "spinal-pain", "pain-free", level="T12",
                       when="2024-05-30T09:00:00Z"),)
    )  # fmt: skip
    assert "spinal-pain" not in _answers(_populate("sins", record), "T12")


def test_extract_writes_one_finding_observation_per_answer():
    record = default_patient(drop=("t12-spinal-pain",))
    response = fill(_populate("sins", record), {("T12", "spinal-pain"): "non-mechanical"},
                    authored=LATER)  # fmt: skip
    bundle = extract(response, TERM)
    assert bundle["type"] == "transaction"
    observations = [e["resource"] for e in bundle["entry"]]
    # the new one only: the four prefilled, unchanged, are in the record already; never the totals
    assert len(observations) == 1
    pain = next(o for o in observations if o["code"]["coding"][0]["code"] == "spinal-pain")
    assert pain["valueCodeableConcept"]["coding"][0]["code"] == "non-mechanical"
    assert pain["bodySite"]["coding"][0]["code"] == "T12"
    assert pain["derivedFrom"] == [{"reference": "QuestionnaireResponse/qr1"}]
    assert pain["performer"] == [{"reference": "Practitioner/dr"}]
    assert pain["effectiveDateTime"] == LATER and pain["status"] == "final"
    assert pain["identifier"][0]["system"] == ITEM_SID
    assert bundle["entry"][0]["request"]["method"] == "PUT"
    assert extract(response, TERM) == bundle  # the same response, the same writes


def test_a_response_without_id_travels_in_the_transaction():
    response = fill(_populate("staging", default_patient()),
                    {(None, "vertebral-metastases-count"): 2}, authored=LATER)  # fmt: skip
    del response["id"]
    entries = extract(response, TERM)["entry"]
    request = entries[0]["request"]
    assert (request["method"], request["url"]) == ("POST", "QuestionnaireResponse")
    assert request["ifNoneExist"].startswith("identifier=")  # created once, however often sent
    assert entries[1]["resource"]["derivedFrom"] == [{"reference": entries[0]["fullUrl"]}]
    assert entries[1]["resource"]["valueInteger"] == 2


def test_the_response_is_read_as_the_findings_it_records_and_counted_once():
    record = default_patient(drop=("t12-spinal-pain", "t12-spinal-alignment"))
    assert sins_by_level(record, NOW) == {"T12": (7, 14)}  # pain and alignment missing
    answers: dict[tuple[str | None, str], str | int] = {
        ("T12", "spinal-pain"): "pain-free",
        ("T12", "spinal-alignment"): "subluxation",
    }
    response = fill(_populate("sins", record), answers, authored=LATER)
    extracted = [e["resource"] for e in extract(response, TERM)["entry"]]
    for i, obs in enumerate(extracted):
        obs["id"] = f"x{i}"
    # 3 location + 0 pain + 2 lytic + 4 subluxation + 2 collapse < 50 % + 0 posterolateral
    assert sins_by_level([*record, response], NOW) == {"T12": 11}
    assert sins_by_level([*record, *extracted], NOW) == {"T12": 11}
    assert sins_by_level([*record, response, *extracted], NOW) == {"T12": 11}


def test_an_observation_derived_from_the_response_is_not_a_conflict_with_it():
    record = default_patient()
    response = fill(_populate("sins", record), {("T12", "spinal-pain"): "pain-free"},
                    authored=LATER)  # fmt: skip
    extracted = [e["resource"] for e in extract(response, TERM)["entry"]]
    [pain] = extracted  # the one answer given: the others repeat the record, not extracted
    stale = {**pain, "id": "stale", "valueCodeableConcept": {"coding": [
        {"system": "http://spinemets.org/fhir/CodeSystem/finding", "code": "mechanical"}]}}  # fmt: skip
    # Edited after extraction, it would conflict at equal time if it were counted.
    assert sins_by_level([*record, response, stale], NOW) == {"T12": 7}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda r: r | {"questionnaire": "http://example.org/Questionnaire/phq9"}, "questionnaire"),
        (lambda r: _set(r, "spinal-pain", {"valueCoding": {"code": "agonising"}}),
         "item spinal-pain: answer 'agonising' is not one of"),
        (lambda r: _set(r, "vertebra", {"valueCoding": {
            "system": "http://spinemets.org/fhir/CodeSystem/vertebra", "code": "T13"}}),
         "item vertebra: 'T13' is not a spinal level"),
        (lambda r: r | {"item": [*r["item"], {"linkId": "mood", "answer": [{"valueString": "x"}]}]},
         "item mood: not a question"),
        (lambda r: r | {"item": [*r["item"], r["item"][0]]}, "level T12 is answered twice"),
        (lambda r: {k: v for k, v in r.items() if k != "subject"}, "subject"),
        (lambda r: _set(r, "vertebra", None), "a level group with answers names no level"),
        # What the Observations copy must be valid FHIR, or nothing is written.
        (lambda r: r | {"authored": "not a date"}, "authored: 'not a date' is not a FHIR dateTime"),
        (lambda r: r | {"authored": "2024-02-30"}, "authored"),
        (lambda r: r | {"authored": "2024-06-01T10:00:00"}, "authored"),  # a time needs a zone
        (lambda r: r | {"authored": 20240601}, "authored"),
        (lambda r: r | {"authored": "9999-12-31T23:59:59-12:00"}, "authored"),  # year 10000 in UTC
        (lambda r: r | {"subject": {"reference": "Patient/../x"}}, "subject: 'Patient/../x'"),
        (lambda r: r | {"subject": {"reference": "Patient/a b"}}, "subject"),
        (lambda r: r | {"subject": {"reference": "Group/g"}}, "subject"),
        (lambda r: r | {"subject": {"reference": "https://evil.example/Patient/p"}}, "subject"),
        (lambda r: r | {"author": {"reference": "Practitioner/../../x"}}, "author"),
        (lambda r: r | {"id": "not/an id"}, "id: 'not/an id'"),
    ],
)  # fmt: skip
def test_bad_responses_are_refused_naming_the_item(change, says):
    from adapter.questionnaire.populate import QuestionnaireError

    response = fill(_populate("sins", default_patient()), {}, authored=LATER)
    with pytest.raises(QuestionnaireError, match=None) as caught:
        extract(change(response), TERM)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        {"valueCoding": {"system": "\n", "code": "lytic"}},  # found by test_hostile's fuzzing
        {"valueCoding": {"system": "urn:x", "code": "lytic\r\n\x1b[31m"}},
        {"valueCoding": {"system": "urn:x" + "y" * 5000, "code": "lytic"}},
    ],
)
def test_a_refusal_is_one_short_line_whatever_the_answer_holds(answer):
    from adapter.questionnaire.populate import QuestionnaireError

    response = _set(fill(_populate("sins", default_patient()), {}, authored=LATER),
                    "bone-lesion-quality", answer)  # fmt: skip
    with pytest.raises(QuestionnaireError) as caught:
        extract(response, TERM)
    message = str(caught.value)
    assert message.startswith("item bone-lesion-quality: answer ")
    assert message.endswith("is not one of lytic, mixed, blastic")
    assert message.isprintable() and len(message) <= 300


def _set(response, link_id, answer):
    for item in response["item"][0]["item"]:
        if item["linkId"] == link_id:
            item["answer"] = [answer] if answer is not None else []
    return response


def test_responses_are_read_only_as_what_they_are():
    from adapter.fhir.read.issues import Issue

    record = default_patient(drop=("t12-spinal-pain",))
    base = fill(_populate("sins", record), {("T12", "spinal-pain"): "pain-free"}, authored=LATER)
    other = {
        "resourceType": "QuestionnaireResponse",
        "id": "phq",
        "status": "completed",
        "questionnaire": "http://example.org/Questionnaire/phq9",
    }  # no subject: not ours
    hostile = {
        **base,
        "id": "h",
        "item": [
            {
                "linkId": "level",
                "item": [
                    {"linkId": "vertebra", "answer": 5},
                    {"linkId": "spinal-pain", "answer": "x"},
                ],
            }
        ],
    }
    in_progress = {**base, "id": "draft", "status": "in-progress"}
    loose: list[Issue] = []
    [data] = patients_from_resources([*record, other, hostile], loose)
    assert loose == [] and data.issues == []
    # 3 + pain missing (0–3) + 2 + 0 + 2 + 0: neither the other form nor the hostile one adds
    assert sins_by_level([*record, other, hostile], NOW) == {"T12": (7, 10)}
    assert sins_by_level([*record, in_progress], NOW) == {"T12": (7, 10)}  # preliminary
    assert sins_by_level([*record, base], NOW) == {"T12": 7}


def _component(resources, score, code):
    from adapter.pipeline import patient_records, score_patient

    data = patient_records(resources, "p")
    result = score_patient(data, TERM, now=parse_time(NOW)).score(score).result
    points = next(c for c in result.components if c.code == code).points
    return (points.low, points.high)


def test_neurology_and_staging_responses_feed_tokuhashi_and_tomita():
    record = default_patient(drop=("frankel",))
    assert _component(record, "tokuhashi-revised", "tokuhashi-palsy") == (0, 2)  # missing
    neurology = fill(_populate("neurology", record), {(None, "frankel-grade"): "frankel-c"},
                     authored=LATER)  # fmt: skip
    # Tokuhashi palsy: Frankel A–B 0, C–D 1, E 2
    assert _component([*record, neurology], "tokuhashi-revised", "tokuhashi-palsy") == (1, 1)
    staging = fill(_populate("staging", record), {(None, "visceral-metastases"): "untreatable"},
                   authored=LATER)  # fmt: skip
    # Tomita visceral: none 0, treatable 2, untreatable 4
    assert _component([*record, staging], "tomita", "tomita-visceral-metastases") == (4, 4)


def test_the_response_is_the_source_in_the_outputs():
    from adapter.pipeline import patient_records, score_patient

    record = default_patient(drop=("t12-spinal-pain",))
    response = fill(_populate("sins", record), {("T12", "spinal-pain"): "pain-free"},
                    authored=LATER)  # fmt: skip
    result = score_patient(patient_records([*record, response], "p"), TERM, now=parse_time(NOW))
    source = {"reference": "QuestionnaireResponse/qr1"}
    provenance = result.provenance.resource
    assert {"what": source, "role": "source"} in provenance["entity"]
    assert source in result.sins_risk.resource["basis"]
    sins = result.levels[0].observation.resource
    assert sins["effectiveDateTime"] == LATER  # the latest input: the response's authored time
    assert source not in sins.get("derivedFrom", [])  # the score profiles keep it for Observations


def _alignment_response(status: str = "completed") -> dict:
    """qr1 at T12: subluxation (4 points), the record's own alignment dropped."""
    record = default_patient(drop=("t12-spinal-alignment",))
    response = fill(_populate("sins", record), {("T12", "spinal-alignment"): "subluxation"},
                    authored=LATER)  # fmt: skip
    return response | {"status": status}


def _cleared(response: dict, status: str) -> dict:
    out = {**response, "status": status, "authored": "2024-06-01T08:00:00Z"}
    [group] = out["item"]
    out["item"] = [{**group, "item": [i for i in group["item"]
                                      if i["linkId"] != "spinal-alignment"]}]  # fmt: skip
    return out


def _by_url(bundle: dict) -> dict[str, dict]:
    return {e["request"]["url"]: e for e in bundle["entry"]}


def test_an_amended_response_that_clears_an_answer_retracts_its_observation():
    first = _by_url(extract(_alignment_response(), TERM))
    [url] = [u for u, e in first.items() if e["resource"]["code"]["coding"][0]["code"]
             == "spinal-alignment"]  # fmt: skip
    amended = _by_url(extract(_cleared(_alignment_response(), "amended"), TERM))
    retracted = amended[url]
    assert retracted["request"]["method"] == "PUT"
    assert retracted["resource"]["status"] == "entered-in-error"
    assert retracted["resource"]["identifier"] == first[url]["resource"]["identifier"]
    assert "valueCodeableConcept" not in retracted["resource"]
    # only questions left without any answer are retracted: never a kept (prefilled) one
    kept = [e for e in amended.values() if e["resource"]["status"] != "entered-in-error"]
    assert all(e["resource"]["status"] == "amended" for e in kept)


def test_a_response_entered_in_error_retracts_every_observation_it_recorded():
    first = _by_url(extract(_alignment_response(), TERM))
    withdrawn = _by_url(extract(_alignment_response("entered-in-error"), TERM))
    assert set(first) <= set(withdrawn)
    assert {e["resource"]["status"] for e in withdrawn.values()} == {"entered-in-error"}


@pytest.mark.parametrize("status", ["amended", "entered-in-error"])
def test_observations_of_a_corrected_response_no_longer_count(status):
    record = default_patient(drop=("t12-spinal-alignment",))
    response = _alignment_response()
    extracted = [
        dict(e["resource"], id=f"x{n}") for n, e in enumerate(extract(response, TERM)["entry"])
    ]
    # 3 location + 3 mechanical + 2 lytic + 4 subluxation + 2 collapse < 50 % + 0 posterolateral
    assert sins_by_level([*record, *extracted], NOW) == {"T12": 14}
    corrected = (
        _cleared(response, "amended") if status == "amended" else response | {"status": status}
    )
    # The corrected response in the record: what it no longer says does not count (alignment
    # missing: 0–4 points), even before its retractions reach the Observations.
    assert sins_by_level([*record, *extracted, corrected], NOW) == {"T12": (10, 14)}


def _response(*items: dict) -> dict:
    return {"resourceType": "QuestionnaireResponse", "id": "qr-bad", "status": "completed",
            "questionnaire": "http://spinemets.org/fhir/Questionnaire/neurology|0.1.0",
            "subject": {"reference": "Patient/p"}, "authored": LATER, "item": list(items)}  # fmt: skip


def _coded(link: str, *codes: str, system: str = "http://spinemets.org/fhir/CodeSystem/finding"):
    return {
        "linkId": link,
        "answer": [{"valueCoding": {"system": system, "code": c}} for c in codes],
    }


@pytest.mark.parametrize(
    ("items", "said"),
    [
        # Two answers to one question: Frankel E and C. Read as the first, the C (a deficit) was
        # dropped and no alarm raised; $extract refuses the same response.
        ([_coded("frankel-grade", "frankel-e", "frankel-c")], "frankel-grade: exactly one answer"),
        # A level group whose level is not answered: its findings would have no level.
        ([{"linkId": "level", "item": [_coded("epidural-spinal-cord-compression", "bilsky-3")]}],
         "a level group with answers names no level"),
        ([{"linkId": "level", "item": [
            _coded("vertebra", "T8", "T12", system="http://spinemets.org/fhir/CodeSystem/vertebra"),
            _coded("epidural-spinal-cord-compression", "bilsky-3")]}],
         "vertebra: exactly one answer"),
    ],
)  # fmt: skip
def test_a_response_extract_refuses_is_an_invalid_resource_when_read_too(items, said):
    loose: list = []
    record = [*default_patient(), _response(*items)]
    (data,) = patients_from_resources(record, loose, None)
    issues = [i.diagnostics for i in data.issues]
    assert any("QuestionnaireResponse/qr-bad is malformed" in i and said in i for i in issues)
    assert not [o for o in data.observations if o.ref.reference == "QuestionnaireResponse/qr-bad"]


@pytest.mark.parametrize(
    ("status", "said"),
    [("stopped", "is stopped: its answers are not read"),
     ("complete", "status 'complete' is not a QuestionnaireResponse status")],
)  # fmt: skip
def test_a_response_whose_answers_are_not_read_says_so(status, said):
    # A stopped form holding a Frankel C, or a status misspelt: dropped without a word, the
    # clinician would not know the answer was never read (contract §2: reported).
    loose: list = []
    response = _response(_coded("frankel-grade", "frankel-c")) | {"status": status}
    (data,) = patients_from_resources([*default_patient(), response], loose, None)
    assert any(said in i.diagnostics for i in data.issues), [i.diagnostics for i in data.issues]


def test_the_neurology_form_offers_every_level_with_a_recorded_bilsky_grade():
    """A Bilsky 3 at L1, where no metastasis is coded, raises the critical alarm and blocks a
    T12 order (criterion 8); the form the card links to must let it be re-graded there."""
    from adapter.decision import decide
    from adapter.pipeline import score_patient
    from adapter.smart.form import form_html

    bilsky = finding("b-l1", "epidural-spinal-cord-compression", "bilsky-3", level="L1",
                     when="2024-05-20T09:00:00Z")  # fmt: skip
    record = default_patient(extra=(bilsky,))
    shown = _populate("neurology", record)
    groups = {g["item"][0]["answer"][0]["valueCoding"]["code"]: g for g in shown["item"]
              if g["linkId"] == "level"}  # fmt: skip
    assert list(groups) == ["T12", "L1"]
    [l1] = [i for i in groups["L1"]["item"] if i["linkId"] == "epidural-spinal-cord-compression"]
    assert l1["answer"][0]["valueCoding"]["code"] == "bilsky-3"
    assert l1["answer"][0]["extension"][0]["valueDateTime"] == "2024-05-20T09:00:00Z"
    assert 'data-question="L1|epidural-spinal-cord-compression"' in form_html(
        "neurology", shown, "token"
    )
    regraded = fill(shown, {("L1", "epidural-spinal-cord-compression"): "bilsky-0"}, authored=NOW)
    [data] = patients_from_resources([*record, regraded], [])
    assert decide(score_patient(data, TERM, now=parse_time(NOW))).neurology is None


def test_a_response_without_an_id_is_created_once_and_its_amendment_withdraws_what_it_wrote():
    """Every form the SMART app saves has no id. Extracting it twice created two responses, and
    once the server gave it an id, an amendment keyed its Observations on that id: the first
    extraction's Bilsky 3 was never withdrawn and stayed final on the server."""
    record = default_patient()
    shown = _populate("neurology", record)
    saved = fill(shown, {("T12", "epidural-spinal-cord-compression"): "bilsky-3"}, authored=NOW)
    saved.pop("id")
    first, again = extract(saved, TERM), extract(saved, TERM)
    assert first == again
    [created] = [
        e for e in first["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    identifier = created["resource"]["identifier"]  # R4: 0..1, one Identifier
    assert created["request"]["method"] == "POST"
    token = quote(f"{identifier['system']}|{identifier['value']}", safe="")
    assert created["request"]["ifNoneExist"] == f"identifier={token}"
    written = {
        e["resource"]["identifier"][0]["value"]
        for e in first["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    # The server stores it as sent, with an id; the clinician then clears the Bilsky grade.
    amended = {**created["resource"], "id": "901", "status": "amended", "authored": LATER}
    [group] = [i for i in amended["item"] if i["linkId"] == "level"]
    group["item"] = [i for i in group["item"] if i["linkId"] != "epidural-spinal-cord-compression"]
    withdrawn = [
        e["resource"]
        for e in extract(amended, TERM)["entry"]
        if e["resource"].get("status") == "entered-in-error"
    ]
    assert any(o["identifier"][0]["value"] in written for o in withdrawn), (written, withdrawn)


def _first_save():
    shown = _populate("neurology", default_patient())
    saved = fill(shown, {("T12", "epidural-spinal-cord-compression"): "bilsky-1a"}, authored=NOW)
    saved.pop("id")
    saved["status"] = "in-progress"
    return extract(saved, TERM)


def _observation_keys(bundle):
    return {
        e["resource"]["identifier"][0]["value"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }


def test_a_response_changed_after_its_first_extraction_is_a_new_response_never_the_old_one():
    """A client keeps the response from the first extraction's Bundle (it now carries the
    sid/response identifier), grades Bilsky 3 and saves it again without an id: reusing the
    identifier made the server keep the old draft, and its new findings, derived from that
    draft, were never counted: the cord-compression alarm stayed silent."""
    first = _first_save()
    kept = {
        **copy.deepcopy(first["entry"][0]["resource"]),
        "status": "completed",
        "authored": LATER,
    }
    [group] = [i for i in kept["item"] if i["linkId"] == "level"]
    [bilsky] = [i for i in group["item"] if i["linkId"] == "epidural-spinal-cord-compression"]
    bilsky["answer"][0]["valueCoding"] = {**bilsky["answer"][0]["valueCoding"], "code": "bilsky-3"}
    second = extract(kept, TERM)
    created = second["entry"][0]
    assert created["request"]["ifNoneExist"] != first["entry"][0]["request"]["ifNoneExist"]
    assert created["resource"]["identifier"] != first["entry"][0]["resource"]["identifier"]
    assert not _observation_keys(second) & _observation_keys(first)
    # Sent again unchanged, it is the same response: a retry creates nothing new.
    assert extract(copy.deepcopy(first["entry"][0]["resource"]), TERM) == first


def test_a_copied_response_identifier_never_names_another_patients_observations():
    first = _first_save()
    other = {
        **first["entry"][0]["resource"],
        "id": "q-response",
        "subject": {"reference": "Patient/q"},
    }
    assert not _observation_keys(extract(other, TERM)) & _observation_keys(first)


def test_an_id_less_response_keeps_the_identifier_its_sender_gave_it():
    """Kept as sent, and never a condition of its creation: a sender may give every version of
    a form one identifier (a draft with Bilsky 1a, then the completed form with Bilsky 3), and a
    create conditional on it kept the draft and dropped the completed form, whose findings,
    derived from the draft, were never counted."""
    own = {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.798268", "value": "FORM-2024-000123"}
    shown = _populate("neurology", default_patient())
    bundles = []
    for grade, status in (("bilsky-1a", "in-progress"), ("bilsky-3", "completed")):
        saved = fill(shown, {("T12", "epidural-spinal-cord-compression"): grade}, authored=NOW)
        saved.pop("id")
        saved |= {"identifier": own, "status": status}
        bundles.append(extract(saved, TERM))
    for bundle in bundles:
        created = bundle["entry"][0]
        assert created["resource"]["identifier"] == own
        assert "ifNoneExist" not in created["request"]
    assert not _observation_keys(bundles[0]) & _observation_keys(bundles[1])


def test_the_neurology_form_offers_the_level_of_a_coded_cord_compression_in_spinal_order():
    """A cord compression coded as a diagnosis (G95.20 at T4) raises the alarm as a Bilsky 2–3
    does, and a Bilsky grade at T4 is what answers it: the form must offer T4, and list its
    levels down the spine."""
    extra = (
        condition("scc", "G95.20", level="T4"),
        finding("b-c5", "epidural-spinal-cord-compression", "bilsky-2", level="C5",
                when="2024-05-20T09:00:00Z"),
    )  # fmt: skip
    shown = _populate("neurology", default_patient(extra=extra))
    levels = [g["item"][0]["answer"][0]["valueCoding"]["code"] for g in shown["item"]
              if g["linkId"] == "level"]  # fmt: skip
    assert levels == ["C5", "T4", "T12"]
    sins = _populate("sins", default_patient(extra=extra))
    assert [g["item"][0]["answer"][0]["valueCoding"]["code"] for g in sins["item"]
            if g["linkId"] == "level"] == ["T12"]  # fmt: skip


def _created_with_identifier(theirs: object) -> dict:
    """The create entry of an id-less neurology response that carries ``theirs`` as its identifier."""
    shown = _populate("neurology", default_patient())
    saved = fill(shown, {("T12", "epidural-spinal-cord-compression"): "bilsky-1a"}, authored=NOW)
    saved.pop("id")
    saved["identifier"] = theirs
    return extract(saved, TERM)["entry"][0]


@pytest.mark.parametrize(
    "theirs", [{"value": "FORM-2024-000123"}, {"system": "urn:oid:1.2.3", "value": "FORM-1"}]
)
def test_a_senders_identifier_with_a_value_is_kept_whatever_its_system(theirs):
    """R4 allows an identifier with a value and no system: it is the sender's all the same."""
    created = _created_with_identifier(theirs)
    assert created["resource"]["identifier"] == theirs
    assert "ifNoneExist" not in created["request"]


@pytest.mark.parametrize("theirs", [{"system": "", "value": "F-1"}, {"system": 5, "value": "F-1"}])
def test_a_senders_identifier_that_is_not_valid_fhir_is_never_written(theirs):
    created = _created_with_identifier(theirs)
    assert created["resource"]["identifier"]["system"] == "http://spinemets.org/fhir/sid/response"
