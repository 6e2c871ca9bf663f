"""The form as HTML and back, the scopes a save needs, and the cards' links to the app."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapter.cds.links import PAGE_LABEL, unstaged, with_links
from adapter.cds.models import Card, Source
from adapter.decision import decide
from adapter.errors import InputError
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate
from adapter.smart.form import ChangedUnderForm, form_html, response_from
from adapter.smart.record import missing_writes
from adapter.vocabulary.systems import FINDING
from tests.support.smart_app import posted_fields

NOW = "2026-12-01T00:00:00Z"
SNOMED = "http://snomed.info/sct"


def _record() -> list[dict]:
    """A patient with a bone metastasis at T8 (SNOMED body site) and no finding of ours."""
    return [
        {"resourceType": "Patient", "id": "p", "birthDate": "1960-05-01"},
        {"resourceType": "Condition", "id": "m", "subject": {"reference": "Patient/p"},
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
         "code": {"coding": [{"system": SNOMED, "code": "94222008"}]},
         "bodySite": [{"coding": [{"system": SNOMED, "code": "77435000"}]}],
         "onsetDateTime": "2026-10-01"},
    ]  # fmt: skip


def _result():
    data = patient_records(_record(), "p")
    assert data is not None
    return data, score_patient(data, default_terminology(), now=parse_time(NOW))


def test_the_form_offers_each_answer_and_not_known_prechecked():
    data, _ = _result()
    populated = populate("sins", data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES)
    html = form_html("sins", populated, "tok")
    assert 'id="level-T8"' in html and 'name="csrf" value="tok"' in html
    assert html.count('type="radio" name="T8|spinal-pain"') == 4
    assert 'name="T8|spinal-pain" id="T8-spinal-pain-0" value="" checked' in html


def test_a_submitted_form_is_a_response_extract_reads():
    fields = {"T8|spinal-pain": "mechanical", "T8|bone-lesion-quality": "lytic",
              "T8|spinal-alignment": ""}  # fmt: skip
    response = response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None)
    [group] = response["item"]
    total = next(i for i in group["item"] if i["linkId"] == "sins-total")
    # T8 1 + mechanical 3 + lytic 2 = 6; at most alignment 4, collapse 3, posterolateral 3 more
    assert total["answer"] == [{"valueString": "6–16 (3 missing)"}]
    found = extract(response, default_terminology())
    codes = sorted(
        e["resource"]["valueCodeableConcept"]["coding"][0]["code"]
        for e in found["entry"]
        if e["resource"]["resourceType"] == "Observation"
    )
    assert codes == ["lytic", "mechanical"]
    assert found["entry"][1]["resource"]["code"]["coding"][0]["system"] == FINDING


@pytest.mark.parametrize(
    ("fields", "levels", "says"),
    [
        ({"T8|spinal-pain": "severe"}, ["T8"], "not one of its answers"),
        ({}, ["Co1"], "not a level"),
        ({}, ["T8", "T8"], "twice"),
    ],
)
def test_a_form_with_answers_it_does_not_offer_is_refused(fields, levels, says):
    with pytest.raises(InputError, match=says):
        response_from("sins", fields, levels, patient="p", authored=NOW, author=None)


def test_the_writes_a_save_needs_are_read_from_the_scopes():
    assert missing_writes("patient/*.rs") == ["QuestionnaireResponse.c", "Observation.cu"]
    assert missing_writes("patient/*.cruds") == []
    assert missing_writes("patient/QuestionnaireResponse.c patient/Observation.cu") == []
    assert missing_writes("user/*.write") == []  # SMART v1
    assert missing_writes("patient/Observation.c patient/QuestionnaireResponse.c") == [
        "Observation.cu"
    ]


def _cards() -> list[Card]:
    from adapter.cds.models import CodingModel

    def card(code: str) -> Card:
        topic = CodingModel(system="http://spinemets.org/fhir/CodeSystem/score", code=code)
        source = Source(label="s", topic=topic)
        return Card(uuid=code, summary=code, indicator="info", source=source)

    return [card("sins"), card("tomita")]


def test_cards_link_to_the_app_only_when_the_public_base_url_is_set():
    _, result = _result()
    view = decide(result).levels
    assert all(c.links is None for c in with_links(_cards(), view, None))
    sins, tomita = with_links(_cards(), view, "https://cds.example.org")
    [link] = sins.links or []
    assert link.type == "smart" and link.url == "https://cds.example.org/smart/launch"
    assert json.loads(link.appContext or "") == {"form": "sins", "level": "T8"}
    assert [(lk.label, lk.appContext) for lk in tomita.links or []] == [(PAGE_LABEL, None)]
    order = Card(uuid="o", summary="order", indicator="warning", source=Source(label="s"))
    [checked] = with_links([order], view, "https://cds.example.org")
    assert [lk.label for lk in checked.links or []] == [PAGE_LABEL]  # a procedure-check card


STAGING = "Record the staging (visceral and bone metastases)"


def test_a_prognosis_card_staged_from_diagnoses_only_offers_the_staging_form():
    # Contract §7 v3: a card offers a way to record what was never assessed. With no staging
    # finding, Tomita's and Tokuhashi's visceral and bone counts rest on the diagnoses coded (none
    # coded = none, §2): the card offers the staging form.
    _, result = _result()
    view = decide(result).levels
    _, tomita = with_links(_cards(), view, "https://cds.example.org", unstaged(result))
    assert [(lk.label, lk.appContext) for lk in tomita.links or []] == [
        (STAGING, '{"form":"staging"}'),
        (PAGE_LABEL, None),
    ]

    def staged_by(*answers: tuple[str, str]) -> list[str]:
        found = [{
            "resourceType": "Observation", "id": code, "status": "final",
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-11-30",
            "code": {"coding": [{"system": FINDING, "code": code}]},
            "valueCodeableConcept": {"coding": [{"system": FINDING, "code": answer}]},
        } for code, answer in answers]  # fmt: skip
        data = patient_records([*_record(), *found], "p")
        assert data is not None
        result = score_patient(data, default_terminology(), now=parse_time(NOW))
        _, tomita = with_links(_cards(), decide(result).levels, "https://x.org", unstaged(result))
        return [lk.label for lk in tomita.links or []]

    # The visceral answer recorded, the bone metastases still rest on the one diagnosis coded:
    # the staging form is still offered, until every staging component Tomita takes is recorded.
    assert staged_by(("visceral-metastases", "none")) == [STAGING, PAGE_LABEL]
    recorded = staged_by(("visceral-metastases", "none"), ("bone-metastasis-extent", "solitary"))
    assert recorded == [PAGE_LABEL]


@pytest.mark.parametrize("name", ["neurology", "staging"])
def test_the_other_forms_render_and_come_back_as_responses(name):
    data, _ = _result()
    populated = populate(name, data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES)
    html = form_html(name, populated, "tok", "/prefix/smart")
    assert 'action="/prefix/smart/form/' + name + '"' in html
    if name == "neurology":
        fields = {"patient|frankel-grade": "frankel-e", "T8|epidural-spinal-cord-compression": ""}
        levels = ["T8"]
    else:
        fields = {"patient|vertebral-metastases-count": "2", "patient|visceral-metastases": ""}
        levels = []
    response = response_from(name, fields, levels, patient="p", authored=NOW, author=None)
    observations = [e for e in extract(response, default_terminology())["entry"]
                    if e["resource"]["resourceType"] == "Observation"]  # fmt: skip
    assert len(observations) == 1


def test_a_count_that_is_not_a_whole_number_is_refused():
    with pytest.raises(InputError, match="whole number"):
        response_from("staging", {"patient|vertebral-metastases-count": "-1"}, [], patient="p",
                      authored=NOW, author=None)  # fmt: skip


def _finding(oid: str, code: str, value: str, when: str, status: str = "final", *,
             at_t8: bool = True) -> dict:  # fmt: skip
    found: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": status,
             "subject": {"reference": "Patient/p"}, "effectiveDateTime": when,
             "code": {"coding": [{"system": FINDING, "code": code}]},
             "valueCodeableConcept": {"coding": [{"system": FINDING, "code": value}]}}  # fmt: skip
    if at_t8:
        found["bodySite"] = [{"coding": [{"system": SNOMED, "code": "77435000"}]}]
    return found


def _pain(value: str, when: str) -> dict:
    return _finding(f"pain-{value}", "spinal-pain", value, when)


def _populated(*extra: dict) -> dict:
    data = patient_records([*_record(), *extra], "p")
    assert data is not None
    return populate("sins", data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES)


def test_an_answer_left_as_shown_is_not_saved_when_the_record_changed_meanwhile():
    # The form showed 1 Nov's non-mechanical pain; before the save a colleague recorded
    # mechanical pain. The answer nobody touched must not come back as today's assessment and
    # outrank the newer finding (it would turn SINS 7 into a "stable" 5), nor be dropped in
    # silence (the save would say every answer repeats the record): the form is refused, the
    # change named, the record's answer in its place.
    shown = form_html("sins", _populated(_pain("non-mechanical", "2026-11-01")), "tok")
    fields = posted_fields(shown)
    assert fields["T8|spinal-pain"] == "non-mechanical"
    now = _populated(
        _pain("non-mechanical", "2026-11-01"), _pain("mechanical", "2026-11-30T10:05:00Z")
    )
    said = r"Spinal pain character at T8 \(the record now has Mechanical pain, 30 Nov 2026\)"
    with pytest.raises(ChangedUnderForm, match=said) as refused:
        response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None,
                      prefilled=now)  # fmt: skip
    again = refused.value.fields
    assert again["T8|spinal-pain"] == again["shown|T8|spinal-pain"] == "mechanical"
    response = response_from("sins", again, ["T8"], patient="p", authored=NOW, author=None,
                             prefilled=now)  # fmt: skip
    observations = [e["resource"] for e in extract(response, default_terminology())["entry"]
                    if e["resource"]["resourceType"] == "Observation"]  # fmt: skip
    assert not [o for o in observations if o["code"]["coding"][0]["code"] == "spinal-pain"]


def test_an_answer_left_as_shown_keeps_its_mark_when_the_record_did_not_change():
    populated = _populated(_pain("non-mechanical", "2026-11-01"))
    fields = posted_fields(form_html("sins", populated, "tok"))
    response = response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None,
                             prefilled=populated)  # fmt: skip
    observations = [e["resource"] for e in extract(response, default_terminology())["entry"]
                    if e["resource"]["resourceType"] == "Observation"]  # fmt: skip
    assert observations == []  # the record's finding, repeated: nothing new


def test_a_level_assessed_in_part_links_its_form_and_level():
    # T8 with pain and lesion recorded, alignment, collapse and posterolateral missing: the card
    # says "record alignment, collapse, posterolateral involvement" — its link opens that form
    # at that level (contract §4 v3), not only the generic page.
    def sins_finding(code: str, answer: str) -> dict:
        return {"resourceType": "Observation", "id": code, "status": "final",
                "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-11-30",
                "code": {"coding": [{"system": FINDING, "code": code}]},
                "bodySite": [{"coding": [{"system": SNOMED, "code": "77435000"}]}],
                "valueCodeableConcept": {"coding": [{"system": FINDING, "code": answer}]}}  # fmt: skip

    data = patient_records(
        [*_record(), sins_finding("spinal-pain", "mechanical"),
         sins_finding("bone-lesion-quality", "lytic")], "p"
    )  # fmt: skip
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    sins, _ = with_links(_cards(), decide(result).levels, "https://cds.example.org")
    contexts = [json.loads(lk.appContext) for lk in sins.links or [] if lk.appContext]
    assert {"form": "sins", "level": "T8"} in contexts
    assert any(lk.label == "Record the missing SINS findings at T8" for lk in sins.links or [])


# --- re-assessed now: a prefilled answer the clinician confirms is a new finding ---------------
# The cards ask to re-examine or re-assess a dated finding; when the answer is the same, the form
# must still be able to record it as today's assessment, or the "dated" warning never clears.

CONFIRMED = "confirmed|T8|spinal-pain"


def _spinal_pain(response: dict) -> list[dict]:
    return [
        e["resource"]
        for e in extract(response, default_terminology())["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "spinal-pain"
    ]


def test_a_prefilled_answer_offers_to_be_confirmed_now_and_a_new_one_does_not():
    html = form_html("sins", _populated(_pain("non-mechanical", "2026-11-01")), "tok")
    assert f'type="checkbox" name="{CONFIRMED}"' in html
    (label,) = [part for part in html.split("<label") if CONFIRMED in part]
    assert "assessed now" in label  # the checkbox is inside its own label
    assert 'name="confirmed|T8|spinal-alignment"' not in html  # nothing prefilled there


def test_a_prefilled_answer_confirmed_now_is_saved_as_todays_finding():
    old = _pain("non-mechanical", "2026-11-01")
    fields = posted_fields(form_html("sins", _populated(old), "tok")) | {CONFIRMED: "1"}
    response = response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None,
                             prefilled=_populated(old))  # fmt: skip
    (saved,) = _spinal_pain(response)
    assert saved["valueCodeableConcept"]["coding"][0]["code"] == "non-mechanical"
    assert saved["effectiveDateTime"] == NOW


def test_confirming_an_answer_set_to_not_known_saves_nothing():
    fields = posted_fields(
        form_html("sins", _populated(_pain("non-mechanical", "2026-11-01")), "tok")
    )
    fields |= {"T8|spinal-pain": "", CONFIRMED: "1"}
    response = response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None,
                             prefilled=_populated(_pain("non-mechanical", "2026-11-01")))  # fmt: skip
    assert _spinal_pain(response) == []


def _bilsky(oid: str, value: str, when: str, status: str = "final") -> dict:
    return _finding(oid, "epidural-spinal-cord-compression", value, when, status)


def _neurology(*extra: dict) -> dict:
    data = patient_records([*_record(), *extra], "p")
    assert data is not None
    return populate("neurology", data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES)


def test_a_question_a_newer_preliminary_report_answers_otherwise_is_left_open():
    # The form would show the April Bilsky 0 and offer to confirm it: ticked, it would replace the
    # preliminary Bilsky 3 of this morning, which the form never showed (contract §2: a final
    # finding of the same or a later time replaces a preliminary one).
    old = _bilsky("b0", "bilsky-0", "2026-10-01T09:00:00Z")
    early = _bilsky("b3", "bilsky-3", "2026-11-30T08:00:00Z", status="preliminary")
    html = form_html("neurology", _neurology(old, early), "tok")
    assert 'name="confirmed|T8|epidural-spinal-cord-compression"' not in html
    assert (
        'name="T8|epidural-spinal-cord-compression" id="T8-epidural-spinal-cord-compression-0" value="" checked'
        in html
    )
    # With no newer preliminary report the record's grade is shown, with the checkbox.
    html = form_html("neurology", _neurology(old), "tok")
    assert 'name="confirmed|T8|epidural-spinal-cord-compression"' in html


def test_a_confirmed_answer_whose_record_changed_since_the_form_was_shown_is_refused():
    # A colleague recorded mechanical pain after the form showed the old non-mechanical pain:
    # "unchanged" now speaks of a value the record no longer holds. Refused, naming the question.
    old = _pain("non-mechanical", "2026-11-01")
    fields = posted_fields(form_html("sins", _populated(old), "tok")) | {CONFIRMED: "1"}
    newer = _pain("mechanical", "2026-11-30T10:05:00Z")
    with pytest.raises(InputError, match="changed since the form was shown"):
        response_from("sins", fields, ["T8"], patient="p", authored=NOW, author=None,
                      prefilled=_populated(old, newer))  # fmt: skip


def test_the_checkbox_beside_a_prefilled_count_is_described_by_its_question():
    from adapter.questionnaire.populate import questionnaire
    from adapter.vocabulary.forms import RECORDED_AT

    item = next(i for i in questionnaire("staging")["item"] if i["type"] == "integer")
    recorded = {"url": RECORDED_AT, "valueDateTime": "2026-11-01"}
    populated = {"item": [{"linkId": item["linkId"], "answer": [{"valueInteger": 2, "extension": [recorded]}]}]}  # fmt: skip
    html = form_html("staging", populated, "tok")
    ident = f"patient-{item['linkId']}-q"
    assert f'id="{ident}"' in html
    assert f'name="confirmed|patient|{item["linkId"]}" value="1" aria-describedby="{ident}"' in html


def _frankel(oid: str, value: str, when: str, status: str = "final") -> dict:
    return _finding(oid, "frankel-grade", value, when, status, at_t8=False)


@pytest.mark.parametrize(
    ("final", "preliminary", "question"),
    [
        (_bilsky("b3", "bilsky-3", "2026-10-01T09:00:00Z"),
         _bilsky("b1", "bilsky-1a", "2026-11-30T08:00:00Z", "preliminary"),
         "T8|epidural-spinal-cord-compression"),
        (_frankel("fc", "frankel-c", "2026-10-01T09:00:00Z"),
         _frankel("fe", "frankel-e", "2026-11-30T08:00:00Z", "preliminary"),
         "patient|frankel-grade"),
    ],
)  # fmt: skip
def test_a_less_alarming_preliminary_report_never_hides_the_final_grade(
    final, preliminary, question
):
    # Confirming the final Bilsky 3 or Frankel C replaces nothing alarming: the form shows it,
    # which the cards still alarm on.
    html = form_html("neurology", _neurology(final, preliminary), "tok")
    assert f'name="confirmed|{question}"' in html


@pytest.mark.parametrize(
    ("final", "reported"),
    [
        (True, True),  # beside a final Bilsky 0: left open, the report named
        (False, True),  # no final grade: any answer replaces the report
    ],
)
def test_a_preliminary_high_grade_an_answer_would_replace_is_named(final, reported):
    from adapter.questionnaire.populate import open_reports

    extra = [_bilsky("b3", "bilsky-3", "2026-11-30T08:00:00Z", status="preliminary")]
    if final:
        extra.append(_bilsky("b0", "bilsky-0", "2026-10-01T09:00:00Z"))
    data = patient_records([*_record(), *extra], "p")
    assert data is not None
    reports = open_reports("neurology", data, default_terminology(), parse_time(NOW),
                           rules=DEFAULT_RULES)  # fmt: skip
    said = reports.get(("T8", "epidural-spinal-cord-compression"))
    assert said is not None and "Bilsky 3" in said
    html = form_html("neurology", _neurology(*extra), "tok", reports=reports)
    assert "a preliminary report in the record:" in html


def test_a_preliminary_grade_no_worse_than_nothing_is_not_named():
    from adapter.questionnaire.populate import open_reports

    low = _bilsky("b1", "bilsky-1a", "2026-11-30T08:00:00Z", status="preliminary")
    data = patient_records([*_record(), low], "p")
    assert data is not None
    assert open_reports("neurology", data, default_terminology(), parse_time(NOW),
                        rules=DEFAULT_RULES) == {}  # fmt: skip


def _asia(oid: str, value: str, when: str, status: str = "final") -> dict:
    return _finding(oid, "asia-impairment-scale", value, when, status, at_t8=False)


@pytest.mark.parametrize(
    "extra",
    [
        # a preliminary Frankel C that a later final AIS E replaced (the cards show no deficit)
        (_frankel("fc", "frankel-c", "2026-11-29T08:00:00Z", "preliminary"),
         _asia("ae", "ais-e", "2026-11-30T08:00:00Z")),
        # a preliminary Frankel D no worse than the final Frankel C
        (_frankel("fc", "frankel-c", "2026-10-01T09:00:00Z"),
         _frankel("fd", "frankel-d", "2026-11-30T08:00:00Z", "preliminary")),
    ],
)  # fmt: skip
def test_a_palsy_report_the_other_scale_answers_is_not_named_beside_either_question(extra):
    from adapter.questionnaire.populate import open_reports

    data = patient_records([*_record(), *extra], "p")
    assert data is not None
    assert open_reports("neurology", data, default_terminology(), parse_time(NOW),
                        rules=DEFAULT_RULES) == {}  # fmt: skip


def _sins_card_of(record: list[dict]) -> Card:
    """The SINS card of ``record`` with its links, as the patient-view gives them."""
    data = patient_records(record, "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    sins, _ = with_links(
        _cards(), decide(result).levels, "https://cds.example.org",
        unplaced=bool(result.assessment.open_levels),
    )  # fmt: skip
    return sins


def test_the_sins_card_of_a_metastasis_without_its_level_links_the_form_that_adds_it():
    # The card says "record the bone metastasis's level, or the SINS findings at its level": its
    # link opens the SINS form, which offers the level to add (tests/unit/smart/test_add_level.py).
    unplaced = _record()
    del unplaced[1]["bodySite"]
    sins = _sins_card_of(unplaced)
    assert [(lk.label, lk.appContext) for lk in sins.links or []] == [
        ("Record the level and its SINS findings", '{"form":"sins"}')
    ]


def test_the_sins_card_links_the_level_form_beside_a_placed_metastasis_too():
    # One metastasis at T8, another coded without a level: the card names the second, and its
    # link must offer to record it, not only the page.
    second = {**_record()[1], "id": "m2"}
    del second["bodySite"]
    sins = _sins_card_of([*_record(), second])
    contexts = [lk.appContext for lk in sins.links or []]
    assert '{"form":"sins"}' in contexts and '{"form":"sins","level":"T8"}' in contexts


def test_a_preliminary_report_without_a_level_is_named_as_such_beside_a_levels_question():
    # The card says "Bilsky 2–3, level not recorded, preliminary report — confirm"; beside T8's
    # question the form named it as if it were T8's.
    from adapter.questionnaire.populate import open_reports

    unplaced = _bilsky("b3", "bilsky-3", "2026-11-30T08:00:00Z", status="preliminary")
    del unplaced["bodySite"]
    data = patient_records([*_record(), unplaced], "p")
    assert data is not None
    reports = open_reports("neurology", data, default_terminology(), parse_time(NOW),
                           rules=DEFAULT_RULES)  # fmt: skip
    said = reports.get(("T8", "epidural-spinal-cord-compression"))
    assert said is not None and "level not recorded" in said
