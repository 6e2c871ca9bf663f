"""The neurology card's deficits, contract v3 §4: an established deficit against a new or worse
one, after a decompression or radiotherapy, and the steroid prompt. The computation time and the
default patient are those of tests/unit/cds/test_neurology_card.py."""

from __future__ import annotations

import html

import pytest

from adapter.decision import NEUROLOGY_ACTION, STEROID_PROMPT, decide
from adapter.render.text import text_report
from tests.support.records import (
    condition,
    default_patient,
    finding,
    medication,
    order,
    procedure,
)
from tests.unit.cds.test_neurology_card import BILSKY, C_TIMED, neurology, result_of, superseded
from tests.unit.decision.test_wording import decisions_for, surfaces

# --- established deficits, the steroid prompt (§4 v3) ----------------------------------------


def deficit(before, after=(), now="frankel-c", treatment="63003"):
    """Palsy grades before a decompression at T12 on 5 May 2024, after it, and on 30 May."""
    extra = [finding("before", "frankel-grade", before, when="2024-05-01T09:00:00Z")]
    extra += [
        finding(f"after-{i}", "frankel-grade", grade, when=f"2024-05-{10 + i}T09:00:00Z")
        for i, grade in enumerate(after)
    ]
    extra += [
        finding("frankel", "frankel-grade", now),
        procedure("surgery", treatment, "T12", when="2024-05-05T09:00:00Z"),
    ]
    return default_patient(drop=("frankel",), extra=tuple(extra))


def test_a_deficit_no_worse_than_before_a_decompression_is_established():
    card, alert, _ = neurology(deficit("frankel-c"))
    assert card is not None and card.indicator == "warning"
    assert card.summary == "established deficit (Frankel C since 1 May 2024) — new or worse?"
    assert alert is not None and alert.steroid is None


def test_a_deficit_no_worse_than_before_radiotherapy_is_established_too():
    card, _, _ = neurology(deficit("frankel-b", treatment="77373"))  # B before, C now: better
    assert card is not None and card.indicator == "warning"


def test_a_worse_deficit_is_critical_with_the_steroid_prompt():
    card, _, _ = neurology(deficit("frankel-d"))
    assert card is not None and card.indicator == "critical"
    assert "Frankel/AIS C" in card.summary
    assert STEROID_PROMPT in card.detail


def test_a_deficit_back_after_a_recovery_is_new():
    card, _, _ = neurology(deficit("frankel-c", after=("frankel-e",)))
    assert card is not None and card.indicator == "critical"


def test_an_active_corticosteroid_silences_the_steroid_prompt():
    resources = default_patient(
        drop=("frankel",),
        extra=(finding("frankel", "frankel-grade", "frankel-c"), medication("dex", "3264")),
    )
    card, alert, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"
    # Never silently: the card names the drug that withheld the prompt (audit 9, #1).
    assert alert is not None and alert.steroid is not None
    assert "no steroid prompt" in alert.steroid and "dexamethasone 16 mg now" not in card.detail


# --- a grade without a level (§4 v3) ---------------------------------------------------------


def test_a_grade_without_a_level_says_level_not_recorded():
    resources = default_patient(
        extra=(
            condition("met-t8", "C79.51", level="T8"),
            finding("mri", BILSKY, "bilsky-3"),
        )
    )
    card, _, result = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "Bilsky 2–3, level not recorded" in card.summary
    assert "at T8" not in card.summary and "at T12" not in card.summary
    assert "Bilsky 3, level not recorded (30 May 2024)" in card.detail
    text = text_report(decide(result))
    assert (
        "ALERT [critical] Suspected spinal cord compression (Bilsky 2–3, level not recorded)"
        in text
    )


def test_the_text_report_shows_a_warning_without_the_mscc_action():
    result = result_of(superseded("2024-04-01", "2024-04-10"))
    text = text_report(decide(result))
    assert "ALERT [warning] Bilsky 3 at T12 before decompression on 10 Apr 2024" in text
    assert "MSCC" not in text


def test_a_deficit_with_no_grade_before_the_treatment_is_new():
    resources = default_patient(
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-c"),
            procedure("surgery", "63003", "T12", when="2024-04-10T09:00:00Z"),
        ),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "Frankel C (30 May 2024)" in card.detail


def test_a_stopped_corticosteroid_leaves_the_steroid_prompt():
    resources = default_patient(
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-c"),
            medication("dex", "3264", status="stopped"),
        ),
    )
    _, alert, _ = neurology(resources)
    assert alert is not None and alert.steroid == STEROID_PROMPT


# --- a dated deficit (§2 dated evidence, §4 v3) ----------------------------------------------

DATED_STEROID = (
    "If a re-examination now confirms the deficit, consider dexamethasone 16 mg (NICE NG234) "
    "unless lymphoma is suspected and not yet biopsied."
)


@pytest.mark.parametrize(
    ("answer", "when", "named", "item"),
    [
        # Frankel C of 1 Dec 2023: 183 days before NOW (window 14 days)
        ("frankel-c", "2023-12-01T09:00:00Z", "Frankel/AIS C on 1 Dec 2023",
         "Frankel C (1 Dec 2023, dated: 183 days before)"),
        # AIS C of 10 May 2024: 22 days before NOW
        ("ais-c", "2024-05-10T09:00:00Z", "Frankel/AIS C on 10 May 2024",
         "AIS C (10 May 2024, dated: 22 days before)"),
    ],
)  # fmt: skip
def test_a_dated_deficit_raises_the_alarm_said_dated_and_asks_to_re_examine(
    answer, when, named, item
):
    code = "frankel-grade" if answer.startswith("frankel") else "asia-impairment-scale"
    resources = default_patient(drop=("frankel",), extra=(finding("old", code, answer, when=when),))
    card, alert, _ = neurology(resources)
    # Dated evidence may raise an alarm, and the summary says it is dated, with its date.
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        f"Suspected spinal cord compression ({named}, dated — re-examine): contact the MSCC / "
        "spinal team now"
    )
    assert NEUROLOGY_ACTION in card.detail  # the MSCC pathway stays
    # The old grade is not presented as current: the detail asks to re-examine now.
    assert f"- critical: {item} — not known to be current: re-examine now" in card.detail
    # The steroid advice does not read as if the deficit were new.
    assert alert is not None and alert.steroid == DATED_STEROID
    assert STEROID_PROMPT not in card.detail and DATED_STEROID in card.detail


def test_a_dated_deficit_is_one_decision_on_every_surface():
    old = finding("old", "frankel-grade", "frankel-c", when="2023-12-01T09:00:00Z")
    decisions = decisions_for(
        default_patient(drop=("frankel",), extra=(old,)), (order("vp", "22510", "T12"),)
    )
    alert = decisions.neurology
    assert alert is not None and alert.critical and "1 Dec 2023, dated" in alert.summary
    cards, _, text, page = surfaces(decisions)
    assert [c.summary for c in cards if c.summary.startswith("Suspected")] == [alert.summary]
    assert f"ALERT [critical] {alert.summary}" in text
    assert f"    → {DATED_STEROID}" in text and STEROID_PROMPT not in text
    assert "re-examine now" in text
    assert html.escape(alert.summary, quote=False) in page and STEROID_PROMPT not in page
    # The order card: critical too, the grade said dated, and re-examine before acting on it.
    (sign,) = [c for c in cards if c.summary.startswith("Vertebroplasty")]
    assert sign.indicator == "critical"
    assert sign.summary.startswith("Vertebroplasty T12: Frankel/AIS C (1 Dec 2023, dated):")
    (row,) = [line for line in sign.detail.splitlines() if line.startswith("| 4 ")]
    assert "re-examine now: the grade is dated" in row


def test_a_current_deficit_keeps_the_steroid_prompt_as_it_was():
    resources = default_patient(drop=("frankel",), extra=(C_TIMED,))
    card, alert, _ = neurology(resources)
    assert card is not None and card.summary == (
        "Suspected spinal cord compression (Frankel/AIS C): contact the MSCC / spinal team now"
    )
    assert alert is not None and alert.steroid == STEROID_PROMPT
    assert "dated" not in card.detail and "- critical: Frankel C (30 May 2024)" in card.detail


_RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _on(medication: dict) -> list[dict]:
    request = {
        "resourceType": "MedicationRequest", "id": "dex", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-20T09:00:00Z", **medication,
    }  # fmt: skip
    return default_patient(
        drop=("frankel",), extra=(finding("frankel", "frankel-grade", "frankel-c"), request)
    )


@pytest.mark.parametrize(
    "medication",
    [
        # A clinical-drug code the ValueSet does not list, named by its display.
        {"medicationCodeableConcept": {"coding": [
            {"system": _RX, "code": "197582", "display": "dexamethasone 4 MG Oral Tablet"}]}},
        # A contained Medication with the ingredient code.
        {"contained": [{"resourceType": "Medication", "id": "m1", "code": {"coding": [
            {"system": _RX, "code": "3264", "display": "dexamethasone"}]}}],
         "medicationReference": {"reference": "#m1"}},
        # Text only.
        {"medicationCodeableConcept": {"text": "dexamethasone 8 mg orally twice daily"}},
    ],
    ids=["clinical drug", "contained", "text only"],
)  # fmt: skip
def test_a_patient_on_dexamethasone_however_recorded_is_not_prompted_to_start_it(medication):
    card, alert, _ = neurology(_on(medication))
    assert card is not None and card.indicator == "critical"
    assert alert is not None and alert.steroid is not None
    assert "dexamethasone" in alert.steroid and "no steroid prompt" in alert.steroid
    assert STEROID_PROMPT not in card.detail


def test_a_topical_corticosteroid_does_not_silence_the_steroid_prompt():
    _, alert, _ = neurology(_on({"medicationCodeableConcept": {"text": "hydrocortisone 1% cream"}}))
    assert alert is not None and alert.steroid == STEROID_PROMPT


# --- what silences the prompt, said (audit 9, #1) -------------------------------------------


def test_a_negated_corticosteroid_leaves_the_steroid_prompt():
    _, alert, _ = neurology(
        _on({"medicationCodeableConcept": {"text": "no dexamethasone - diabetic"}})
    )
    assert alert is not None and alert.steroid == STEROID_PROMPT


def test_an_antiemetic_dexamethasone_is_named_where_the_prompt_would_be():
    said = "dexamethasone 12 mg PO day 1 (antiemetic, cisplatin regimen)"
    card, alert, _ = neurology(_on({"medicationCodeableConcept": {"text": said}}))
    assert card is not None and alert is not None and alert.steroid is not None
    assert said in alert.steroid and "active" in alert.steroid
    assert "confirm the dose is adequate for cord compression" in alert.steroid
    assert said in html.unescape(card.detail).replace("\\", "")
    assert STEROID_PROMPT not in card.detail


def _dose_given(when: str, **record) -> list[dict]:
    given = {
        "resourceType": "MedicationAdministration", "id": "given", "status": "completed",
        "subject": {"reference": "Patient/p"}, "effectiveDateTime": when,
        "medicationCodeableConcept": {"text": "dexamethasone 16 mg IV"}, **record,
    }  # fmt: skip
    return default_patient(
        drop=("frankel",), extra=(finding("frankel", "frankel-grade", "frankel-c"), given)
    )


def test_a_dose_given_this_morning_is_said_given_not_asked_for_again():
    card, alert, _ = neurology(_dose_given("2024-06-01T07:00:00Z"))
    assert card is not None and alert is not None and alert.steroid is not None
    assert "dexamethasone 16 mg IV" in alert.steroid and "given" in alert.steroid
    assert "07:00" in alert.steroid
    assert STEROID_PROMPT not in card.detail


def test_a_stat_request_completed_this_morning_is_a_dose_given():
    stat = {
        "resourceType": "MedicationRequest", "id": "stat", "status": "completed",
        "intent": "order", "subject": {"reference": "Patient/p"},
        "authoredOn": "2024-06-01T06:30:00Z",
        "medicationCodeableConcept": {"text": "dexamethasone 16 mg IV once (stat)"},
    }  # fmt: skip
    resources = default_patient(
        drop=("frankel",), extra=(finding("frankel", "frankel-grade", "frankel-c"), stat)
    )
    _, alert, _ = neurology(resources)
    assert alert is not None and alert.steroid is not None
    assert "dexamethasone 16 mg IV once (stat)" in alert.steroid
    assert "given (order completed at 06:30)" in alert.steroid


def test_a_dose_given_three_days_ago_leaves_the_steroid_prompt():
    _, alert, _ = neurology(_dose_given("2024-05-29T07:00:00Z"))
    assert alert is not None and alert.steroid == STEROID_PROMPT


def test_the_text_report_names_the_dose_given_as_the_card_does():
    report = text_report(decide(result_of(_dose_given("2024-06-01T07:00:00Z"))))
    assert "dexamethasone 16 mg IV" in report and STEROID_PROMPT not in report
