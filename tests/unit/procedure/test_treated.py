"""An order at a level already stabilised (contract §5, §6 v3 "after the procedure"): a level
treated with cement or screws is not re-scored from findings older than the treatment. The
order names the treatment, shows the level's SINS as the patient-view card does, and criterion 3
is not met from the findings before it ("re-image"): at least a warning, never "meets". The
card and the text report render one decision.

The patient: the default one (tests/support/records.py) with its T12 findings and Bilsky grade
taken on 20 May (SINS 14: subluxation), before a completed treatment on 22 May.
"""

from __future__ import annotations

import html

from adapter.cds.procedure import order_cards
from adapter.decision import decide
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import Rules
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.orders import procedure_orders
from adapter.procedure.summary import MEETS, headline
from adapter.render.patient import patient_page
from adapter.render.text import text_report
from tests.support.records import (
    NOW,
    SINS_AT_T12,
    condition,
    default_patient,
    draft_orders,
    finding,
    order,
    procedure,
)
from tests.unit.procedure.test_check import TERM, single, statuses
from tests.unit.surface_readers import listed

BEFORE = "2024-05-20T09:00:00Z"  # the findings, two days before the treatment (22 May)
LATER = "2024-05-30T09:00:00Z"  # a re-imaging after it
PRE = {**SINS_AT_T12, "spinal-alignment": "subluxation"}  # 3 + 3 + 2 + 4 + 2 + 0 = 14
VP_DONE = procedure("vp-done", "22511", "T12")
FIXED = procedure("fx-done", "22842", "T11", "T12", "L1")
REIMAGE = "findings at T12 before the treatment on 22 May 2024 — re-image"


def patient_before(*extra: dict) -> list[dict]:
    """Every T12 finding and the Bilsky grade on 20 May, then ``extra``."""
    dropped = (*(f"t12-{code}" for code in SINS_AT_T12), "bilsky-t12")
    findings = tuple(
        finding(f"t12-{code}", code, answer, level="T12", when=BEFORE)
        for code, answer in PRE.items()
    )
    bilsky = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-0", level="T12",
                     when=BEFORE)  # fmt: skip
    return default_patient(drop=dropped, extra=(*findings, bilsky, *extra))


def criterion_3(checked):
    (lv,) = [lv for lv in checked.levels if lv.level == "T12"]
    return next(c for c in lv.criteria if c.number == 3)


def surfaces(resources, *orders):
    """The decisions, the procedure-check cards and the text report of one request."""
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time(NOW))
    found = procedure_orders(read_orders(draft_orders(*orders)), None, "order-sign", TERM)
    decisions = decide(result, found, Rules())
    return decisions, order_cards(decisions, "h"), text_report(decisions)


def test_a_vertebroplasty_at_a_level_fixed_after_its_findings_is_not_met_from_them():
    checked = single(patient_before(FIXED), "T12")
    c3 = criterion_3(checked)
    assert c3.status == "unknown"
    assert c3.finding == REIMAGE
    assert "before the fixation on 22 May 2024" in c3.basis
    assert [c.finding for c in checked.concerns] == ["T12 already fixed on 22 May 2024"]
    assert checked.indicator == "warning"
    assert MEETS not in headline(checked)


def test_a_repeat_vertebroplasty_names_the_cement_and_words_its_sins_as_before_it():
    checked = single(patient_before(VP_DONE), "T12")
    assert criterion_3(checked).status == "unknown"
    assert [c.finding for c in checked.concerns] == [
        "vertebroplasty at T12 on 22 May 2024 already recorded",
        "SINS 14 before the vertebroplasty on 22 May 2024, unstable: the case series combined "
        "cement with pedicle screw fixation",
    ]
    assert checked.indicator == "warning"


def test_a_fracture_condition_older_than_the_treatment_does_not_meet_criterion_3():
    fracture = condition("fracture", "M84.58XA", level="T12", onset="2024-05-19")
    assert criterion_3(single(patient_before(VP_DONE, fracture), "T12")).status == "unknown"
    later = condition("fracture", "M84.58XA", level="T12", onset="2024-05-25")
    assert criterion_3(single(patient_before(VP_DONE, later), "T12")).status == "met"


def test_findings_after_the_treatment_judge_the_level_and_the_treatment_is_still_named():
    again = finding("t12-collapse-again", "vertebral-body-collapse", "gt-50", level="T12",
                    when=LATER)  # fmt: skip
    checked = single(patient_before(VP_DONE, again), "T12")
    c3 = criterion_3(checked)
    assert c3.status == "met" and "30 May 2024" in c3.basis
    assert checked.concerns[0].finding == "vertebroplasty at T12 on 22 May 2024 already recorded"
    assert checked.indicator == "warning"


def test_a_fixed_level_is_never_re_scored_into_criterion_3():
    # Re-imaged after the screws: no collapse, the rest as before; SINS does not apply there.
    again = finding("t12-collapse-again", "vertebral-body-collapse", "none", level="T12",
                    when=LATER)  # fmt: skip
    checked = single(patient_before(FIXED, again), "T12")
    c3 = criterion_3(checked)
    assert c3.status == "unknown"
    assert "SINS" not in (c3.finding or "")
    assert "SINS is not applicable" in c3.basis


def test_the_untreated_default_patient_still_meets_every_criterion():
    checked = single(default_patient(), "T12")
    assert statuses(checked, "T12") == dict.fromkeys(range(1, 10), "met")
    assert checked.concerns == ()


def test_the_card_shows_the_level_as_the_patient_view_does_and_the_text_agrees():
    decisions, (card,), text = surfaces(patient_before(FIXED), order("vp", "22510", "T12"))
    assert card.indicator == "warning"
    assert MEETS not in card.summary
    assert card.summary.startswith("Vertebroplasty T12: T12 already fixed on 22 May 2024")
    detail = card.detail or ""
    assert "T12 fixed on 22 May 2024: SINS not applicable" in detail
    assert "SINS at T12: 14" not in detail
    assert f"ORDER ServiceRequest/vp [warning] {listed(card.summary)}" in text
    assert "T12 was fixed with screws on 22 May 2024" in text
    assert decisions.orders[0].summary == card.summary


def test_the_card_of_a_repeat_vertebroplasty_shows_sins_before_the_cement():
    _, (card,), text = surfaces(patient_before(VP_DONE), order("vp", "22510", "T12"))
    detail = card.detail or ""
    assert card.indicator == "warning"
    assert "T12 SINS 14 before cement on 22 May 2024" in detail
    assert "SINS at T12: 14 (unstable)" not in detail
    assert "Vertebroplasty at T12 on 22 May 2024 already recorded" in detail
    assert f"ORDER ServiceRequest/vp [warning] {listed(card.summary)}" in text


def test_the_summary_names_the_treatment_day_once_and_every_surface_says_it():
    # The re-image finding follows the treatment it refers to: its day is not repeated.
    resources = patient_before(FIXED)
    decisions, (card,), text = surfaces(resources, order("vp", "22510", "T12"))
    assert card.summary == (
        "Vertebroplasty T12: T12 already fixed on 22 May 2024; findings before it — re-image"
    )
    assert f"ORDER ServiceRequest/vp [warning] {listed(card.summary)}" in text
    assert html.escape(card.summary, quote=False) in patient_page(decisions)
    # without the treatment named before it, the finding keeps its level and day
    assert criterion_3(single(resources, "T12")).finding == REIMAGE


def test_screws_after_cement_at_the_level_are_named_as_an_escalation_not_a_repeat():
    # Fixation at T11–L1 for the T12 metastasis cemented on 22 May: still named (a warning), but
    # adding screws to a cemented level is the usual next step, not the same procedure again.
    fixation = order("fx", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    _, (card,), text = surfaces(patient_before(VP_DONE), fixation)
    detail = card.detail or ""
    assert card.indicator == "warning"
    assert "Vertebroplasty at T12 on 22 May 2024 already recorded" in detail
    assert "repeat" not in detail
    assert "screws after the cement" in detail
    assert f"ORDER ServiceRequest/fx [warning] {listed(card.summary)}" in text
    # A second vertebroplasty at the same level is still asked about as a repeat.
    _, (again,), _ = surfaces(patient_before(VP_DONE), order("vp", "22510", "T12"))
    assert "what a repeat procedure would treat" in (again.detail or "")


def test_findings_in_the_month_of_cement_dated_by_its_month_are_never_said_to_come_before_it():
    # The T12 findings of 20 May may precede the cement of "May 2024" or follow it: the order's
    # card neither calls them "before" the cement nor reads them as a re-imaging after it.
    cement = procedure("vp-done", "22511", "T12", when="2024-05")
    checked = single(patient_before(cement), "T12")
    c3 = criterion_3(checked)
    assert c3.status == "unknown"
    assert c3.finding == "findings at T12 before or after the treatment in May 2024 — re-image"
    assert [c.finding for c in checked.concerns] == [
        "vertebroplasty at T12 in May 2024 already recorded",
        "SINS 14 before or after the vertebroplasty in May 2024, unstable: the case series "
        "combined cement with pedicle screw fixation",
    ]
    assert checked.indicator == "warning"
    _, (card,), text = surfaces(patient_before(cement), order("vp", "22510", "T12"))
    detail = card.detail or ""
    assert "not known to be re-imaged since" in detail
    assert "T12 SINS 14, findings before or after cement in May 2024: unstable" in detail
    assert "before cement in May 2024" not in detail.replace("before or after cement", "")
    assert f"ORDER ServiceRequest/vp [warning] {listed(card.summary)}" in text
    screws = procedure("fx-done", "22842", "T11", "T12", "L1", when="2024-05")
    _, (card,), _ = surfaces(patient_before(screws), order("vp", "22510", "T12"))
    assert card.summary == (
        "Vertebroplasty T12: T12 already fixed in May 2024; findings before or after it — re-image"
    )


def test_a_fracture_recorded_in_the_month_of_the_cement_does_not_meet_criterion_3():
    cement = procedure("vp-done", "22511", "T12", when="2024-05")
    fracture = condition("fracture", "M84.58XA", level="T12", onset="2024-05-25")
    assert criterion_3(single(patient_before(cement, fracture), "T12")).status == "unknown"
    later = condition("fracture", "M84.58XA", level="T12", onset="2024-06-01")
    assert criterion_3(single(patient_before(cement, later), "T12")).status == "met"


def test_findings_after_cement_but_within_the_month_of_screws_are_not_after_the_screws():
    # Cement on 19 May, screws dated "May 2024"; the findings of 20 May follow the cement but may
    # precede the screws: criterion 3 is not met from them "after the fixation in May 2024".
    cement = procedure("vp-done", "22511", "T12", when="2024-05-19")
    screws = procedure("fx-done", "22842", "T11", "T12", "L1", when="2024-05")
    c3 = criterion_3(single(patient_before(cement, screws), "T12"))
    assert c3.status == "unknown"
    assert "before or after the fixation in May 2024" in c3.basis
    assert "after the fixation in May 2024" not in c3.basis.replace("before or after", "")


def test_a_later_pain_finding_is_a_re_assessment_not_a_re_imaging():
    pain = finding("t12-pain-again", "spinal-pain", "pain-free", level="T12", when=LATER)
    _, (card,), _ = surfaces(patient_before(VP_DONE, pain), order("vp", "22510", "T12"))
    detail = card.detail or ""
    assert "re-assessed since" in detail and "re-imaged since" not in detail


def test_a_fracture_within_the_month_of_the_cement_is_named_as_of_unknown_order():
    cement = procedure("vp-done", "22511", "T12", when="2024-05")
    fracture = condition("fracture", "M84.58XA", level="T12", onset="2024-05-25")
    c3 = criterion_3(single(patient_before(cement, fracture), "T12"))
    assert c3.status == "unknown"
    assert "fracture" in c3.basis.lower() and "25 May 2024" in c3.basis
    assert "not known to be before or after the vertebroplasty in May 2024" in c3.basis


def test_the_order_check_names_the_treatment_whose_order_is_not_known_not_the_fixation():
    # Screws on 20 May, cement recorded as "2024" alone; findings of 20 May follow the screws but
    # may precede the cement: the doubt is the cement's, and the words say so.
    screws = procedure("fx-done", "22842", "T11", "T12", "L1", when="2024-05-20T06:00:00Z")
    cement = procedure("vp-done", "22511", "T12", when="2024")
    c3 = criterion_3(single(patient_before(screws, cement), "T12"))
    assert "before or after the vertebroplasty in 2024" in c3.basis
    assert "before or after the fixation" not in c3.basis
    assert c3.finding == (
        "findings at T12 not known to be before or after the vertebroplasty in 2024 — re-image"
    )


def test_a_later_imaging_finding_is_a_re_imaging():
    collapse = finding("t12-collapse-again", "vertebral-body-collapse", "gt-50", level="T12",
                       when=LATER)  # fmt: skip
    _, (card,), _ = surfaces(patient_before(VP_DONE, collapse), order("vp", "22510", "T12"))
    assert "re-imaged since" in (card.detail or "")


def test_the_re_image_finding_stays_in_the_summary_when_another_treatments_order_is_unknown():
    screws = procedure("fx-done", "22842", "T11", "T12", "L1", when="2024-05-01T10:00:00Z")
    cement = procedure("vp-done", "22511", "T12", when="2024-05")
    _, (card,), _ = surfaces(patient_before(screws, cement), order("vp", "22510", "T12"))
    assert card.summary == (
        "Vertebroplasty T12: T12 already fixed on 1 May 2024; findings before or after the "
        "vertebroplasty in May 2024 — re-image"
    )


def test_the_order_check_says_why_a_next_morning_film_in_utc_is_not_known_to_follow():
    # Vertebroplasty dated 19 May alone; the T12 findings at 09:00 UTC on 20 May may still be 19
    # May where they were taken: criterion 3 says so, and what settles it.
    c3 = criterion_3(single(patient_before(procedure("vp-done", "22511", "T12",
                                                     when="2024-05-19")), "T12"))  # fmt: skip
    assert c3.status == "unknown"
    assert "written in UTC may fall on another day" in c3.basis
    assert "the vertebroplasty's time of day" in c3.basis
