"""The SINS decision per level (contract §4 v3, §6 v3), on the default patient changed one rule
at a time. SINS at T12 (junctional, 3) of the default patient: mechanical pain 3, lytic 2,
normal alignment 0, collapse < 50 % 2, no posterolateral involvement 0 → 10.
"""

from __future__ import annotations

import html
import re

import pytest

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.decision.sins import recommendation, sins_decision
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, patient_records, score_patient
from adapter.procedure.orders import procedure_orders
from adapter.render.patient import patient_page
from adapter.render.text import text_report
from tests.support.records import (
    NOW,
    SINS_AT_T12,
    condition,
    default_patient,
    draft_orders,
    finding,
    measurement,
    order,
    procedure,
    site,
)
from tests.unit.decision.test_wording import decisions_for, surfaces

TERM = default_terminology()
T12_FINDINGS = tuple(f"t12-{code}" for code in SINS_AT_T12)
DATED = "2024-03-03T09:00:00Z"  # 90 days before NOW: past the 30-day window of SINS findings


def result_of(resources, now: str = NOW) -> PatientResult:
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time(now))


def first(resources):
    decision = sins_decision(result_of(resources))
    assert decision.first is not None
    return decision.first


def t12(when: str, **answers: str) -> tuple[dict, ...]:
    findings = {**SINS_AT_T12, **answers}
    return tuple(
        finding(f"t12-{code}-{when[:10]}", code, answer, level="T12", when=when)
        for code, answer in findings.items()
    )


def test_certainly_unstable_is_critical():
    # Subluxation 4 instead of normal 0: 14.
    lv = first(default_patient(sins={"spinal-alignment": "subluxation"}))
    assert lv.indicator == "critical"
    assert lv.headline == "SINS 14 at T12 (unstable): surgical consultation recommended"


def test_certainly_potentially_unstable_is_a_warning():
    lv = first(default_patient())
    assert lv.indicator == "warning"
    assert lv.headline == "SINS 10 at T12 (potentially unstable): surgical consultation recommended"


def test_a_range_that_could_reach_a_band_stays_info_and_names_what_to_record():
    # Pain and alignment missing; blastic 0, collapse none 0: 3 + 0–3 + 0 + 0–4 + 0 + 0 = 3–10.
    resources = default_patient(
        drop=("t12-spinal-pain", "t12-spinal-alignment"),
        sins={"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"},
    )
    lv = first(resources)
    assert lv.indicator == "info"
    assert lv.headline == (
        "SINS 3–10 at T12: could be up to 10 (potentially unstable) — record pain, alignment"
    )


def test_certainly_seven_or_more_reaching_unstable_is_a_warning():
    # Alignment and posterolateral missing: 3 + 3 + 2 + 0–4 + 2 + 0–3 = 10–17.
    lv = first(default_patient(drop=("t12-spinal-alignment", "t12-posterolateral-involvement")))
    assert lv.indicator == "warning"
    assert lv.headline == (
        "SINS 10–17 at T12: surgical consultation recommended; could be up to 17 (unstable) — "
        "record alignment, posterolateral involvement"
    )


def test_current_mechanical_pain_is_at_least_a_warning():
    # 3 + mechanical 3 + blastic 0 + normal 0 + none 0 + none 0 = 6, certainly stable.
    quiet = {"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}
    lv = first(default_patient(sins=quiet))
    assert lv.indicator == "warning"
    assert lv.headline == (
        "SINS 6 at T12 with mechanical pain (a sign of instability): consider surgical consultation"
    )
    # Alignment missing: 6–10, info by the total, a warning by the pain.
    lv = first(default_patient(sins=quiet, drop=("t12-spinal-alignment",)))
    assert lv.indicator == "warning"
    assert "could be up to 10 (potentially unstable) — record alignment" in lv.headline


def test_dated_mechanical_pain_does_not_raise_the_indicator():
    quiet = {"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}
    pain = finding("old-pain", "spinal-pain", "mechanical", level="T12", when=DATED)
    lv = first(default_patient(sins=quiet, drop=("t12-spinal-pain",), extra=(pain,)))
    assert lv.indicator == "info"


def test_unstable_on_dated_findings_is_a_warning_to_re_assess():
    resources = default_patient(
        drop=T12_FINDINGS, extra=t12(DATED, **{"spinal-alignment": "subluxation"})
    )
    lv = first(resources)
    assert lv.indicator == "warning"
    assert lv.headline == "SINS 14 at T12 on 3 Mar 2024 (dated) — re-assess"


def test_a_level_with_location_only_is_not_assessed_and_info():
    lv = first(default_patient(drop=T12_FINDINGS))
    assert (lv.state, lv.indicator, lv.assessed) == ("not-assessed", "info", False)
    assert lv.headline == "SINS not assessed at T12"


def test_findings_without_a_level_are_named_not_called_absent():
    # Two scored levels (T8, T12); the T12 findings lose their level: they exist, but do not say
    # which level they belong to. The level must not read as if nothing were recorded.
    answers = {
        **SINS_AT_T12,  # none of these answers is an absence that holds for the whole spine
        "spinal-alignment": "subluxation",
        "vertebral-body-collapse": "gt-50",
        "posterolateral-involvement": "bilateral",
    }
    unplaced = tuple(finding(f"loose-{code}", code, answer) for code, answer in answers.items())
    resources = default_patient(
        drop=T12_FINDINGS, extra=(condition("met-t8", "C79.51", level="T8"), *unplaced)
    )
    result = result_of(resources)
    decision = sins_decision(result)
    for lv in decision.levels:
        assert lv.headline == f"SINS not assessed at {lv.name}: findings recorded without a level"
    (card, *_) = score_cards(decide(result), "h")
    assert "No SINS finding is recorded" not in (card.detail or "")
    assert "recorded without a level" in (card.detail or "")
    assert "record the level (bodySite)" in (card.detail or "")


def test_the_level_certainly_worst_comes_first_and_unassessed_levels_follow():
    # T8 (semi-rigid 1) has no finding: 1–16. T12 is certainly 10. The RiskAssessment describes
    # T12 by docs/scores.md's v3 order (highest lower bound first), and the cards lead with it.
    result = result_of(default_patient(extra=(condition("met-t8", "C79.51", level="T8"),)))
    assert result.worst[0].level == "T12"
    assert result.sins_risk is not None
    assert (
        result.sins_risk.resource["basis"][0]["reference"] == result.worst[0].observation.full_url
    )
    decision = sins_decision(result)
    assert [lv.name for lv in decision.levels] == ["T12", "T8"]
    assert decision.indicator == "warning"
    (card, *_) = score_cards(decide(result), "h")
    assert card.summary.startswith("SINS 10 at T12")
    assert "- SINS not assessed at T8" in (card.detail or "")


def test_the_highest_certain_total_comes_first():
    # L1 (junctional 3): mechanical 3, lytic 2, collapse none 0, alignment and posterolateral
    # missing: 8–15. T12 is certainly 10: T12 first although L1 could be higher.
    extra = (
        condition("met-l1", "C79.51", level="L1"),
        finding("l1-pain", "spinal-pain", "mechanical", level="L1"),
        finding("l1-lesion", "bone-lesion-quality", "lytic", level="L1"),
        finding("l1-collapse", "vertebral-body-collapse", "none", level="L1"),
    )
    decision = sins_decision(result_of(default_patient(extra=extra)))
    assert [lv.name for lv in decision.levels] == ["T12", "L1"]
    assert [lv.indicator for lv in decision.levels] == ["warning", "warning"]


VERTEBROPLASTY = "22511"
FIXATION = "22842"
AFTER = "2024-05-31T10:00:00Z"  # the day after the findings (RECENT), the day before NOW


def test_a_level_treated_with_cement_is_shown_before_the_treatment_as_info():
    result = result_of(default_patient(extra=(procedure("vp", VERTEBROPLASTY, "T12", when=AFTER),)))
    lv = sins_decision(result).levels[0]
    assert (lv.state, lv.indicator, lv.consult) == ("before-treatment", "info", False)
    assert lv.headline == "T12 before vertebroplasty on 31 May 2024: SINS 10"  # CPT 22511
    sins_card = score_cards(decide(result), "h")[0]
    assert sins_card.indicator == "info"
    assert "surgical consultation recommended" not in sins_card.summary + (sins_card.detail or "")
    # The outputs are unchanged: the level's Observation is still written from its findings.
    assert result.levels[0].observation.resource["valueInteger"] == 10


def test_cement_alone_at_an_unstable_level_stays_a_warning():
    cement = (procedure("vp", VERTEBROPLASTY, "T12", when=AFTER),)
    lv = first(default_patient(sins={"spinal-alignment": "subluxation"}, extra=cement))
    assert lv.indicator == "warning"
    assert lv.headline == (
        "T12 SINS 14 before cement on 31 May 2024: unstable before cement alone; no fixation "
        "recorded — consider surgical review"
    )
    assert len(lv.headline) < 140
    # Bilateral posterolateral involvement, blastic: 3 + 3 + 0 + 0 + 2 + 3 = 11, still a warning.
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    lv = first(default_patient(sins=bilateral, extra=cement))
    assert lv.indicator == "warning" and lv.headline.startswith("T12 SINS 11 before cement")


POSSIBLE_ALIGNMENT = (
    "Possibly unstable before cement alone: alignment conflicting at T12 (subluxation/normal, "
    "30 May 2024): settle it — subluxation would need fixation (cement cannot treat "
    "translation); no fixation recorded — consider surgical review."
)
CEMENT = procedure("vp", VERTEBROPLASTY, "T12", when=AFTER)


def test_cement_alone_where_subluxation_is_only_possible_says_possible_and_what_to_settle():
    # Normal and subluxation recorded at the same time: alignment conflicting, SINS 10–14.
    conflict = finding("t12-alignment-2", "spinal-alignment", "subluxation", level="T12")
    result = result_of(default_patient(extra=(conflict, CEMENT)))
    lv = sins_decision(result).levels[0]
    # Only possible: info, as a range that merely could reach a higher band is (contract §4
    # v3; §6 v3 keeps the warning for the certain cases), and the words say what settles it.
    assert lv.indicator == "info"
    assert lv.headline == (
        "T12 SINS 10–14 before cement on 31 May 2024: possibly unstable before cement alone — "
        "settle the conflicting alignment"
    )
    decisions = decide(result)
    sins_card = score_cards(decisions, "h")[0]
    assert sins_card.indicator == "info"
    assert sins_card.summary == lv.headline
    text = text_report(decisions)
    for said in (sins_card.detail or "", text):
        assert POSSIBLE_ALIGNMENT in said
        assert "Unstable before cement alone" not in said


def test_cement_alone_where_bilateral_involvement_is_only_possible_says_so():
    bilateral = finding("t12-pl-2", "posterolateral-involvement", "bilateral", level="T12")
    lv = first(default_patient(extra=(bilateral, CEMENT)))
    assert lv.indicator == "info"
    assert lv.headline == (
        "T12 SINS 10–13 before cement on 31 May 2024: possibly unstable before cement alone — "
        "settle the conflicting posterolateral involvement"
    )
    # Not recorded at all: either may be there.
    missing = ("t12-spinal-alignment", "t12-posterolateral-involvement")
    result = result_of(default_patient(drop=missing, extra=(CEMENT,)))
    lv = sins_decision(result).levels[0]
    assert lv.indicator == "info"
    assert lv.headline == (
        "T12 SINS 10–17 before cement on 31 May 2024: possibly unstable before cement alone — "
        "record alignment, posterolateral involvement"
    )
    detail = score_cards(decide(result), "h")[0].detail or ""
    assert "alignment not recorded at T12: record it — subluxation would need fixation" in detail
    assert "Unstable before cement alone" not in detail


def test_cement_alone_where_only_the_total_could_be_unstable_says_so():
    # Deformity 2, unilateral 1, pain not recorded: 3 + 0–3 + 2 + 2 + 2 + 1 = 10–13.
    sins = {"spinal-alignment": "de-novo-deformity", "posterolateral-involvement": "unilateral"}
    resources = default_patient(drop=("t12-spinal-pain",), sins=sins, extra=(CEMENT,))
    result = result_of(resources)
    lv = sins_decision(result).levels[0]
    assert lv.indicator == "info"
    assert lv.headline == (
        "T12 SINS 10–13 before cement on 31 May 2024: possibly unstable before cement alone — "
        "record pain"
    )
    detail = score_cards(decide(result), "h")[0].detail or ""
    assert (
        "Possibly unstable before cement alone: SINS 10–13 could be 13 or more (unstable): "
        "record pain; no fixation recorded — consider surgical review."
    ) in detail
    # Certainly below 13 whatever collapse is, normal alignment, no posterolateral involvement:
    # nothing to say about cement alone.
    low = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic"}
    lv = first(default_patient(drop=("t12-vertebral-body-collapse",), sins=low, extra=(CEMENT,)))
    assert lv.indicator == "info" and "cement alone" not in lv.headline


def test_cement_alone_with_a_fracture_since_keeps_both_in_the_summary_uncut():
    # Instability before cement alone and a fracture coded since it: the summary was cut at
    # "vertebral…", losing the fracture and its action; the advice is the detail's to give.
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12")
    lv = first(default_patient(sins={"spinal-alignment": "subluxation"}, extra=(CEMENT, fracture)))
    assert lv.indicator == "warning"
    assert lv.headline == (
        "T12 SINS 14 before cement on 31 May 2024: unstable; no fixation recorded; vertebral "
        "fracture coded after it — re-image"
    )
    # Only possibly unstable: the fracture and its action come first, what to settle after; the
    # cement's day is the detail's.
    conflicting = finding("t12-al2", "spinal-alignment", "subluxation", level="T12")
    lv = first(default_patient(extra=(conflicting, CEMENT, fracture)))
    assert lv.headline == (
        "T12 SINS 10–14 before cement: vertebral fracture coded after it — re-image; possibly "
        "unstable — settle the conflicting alignment"
    )


NO_LEVEL_FRACTURE = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z")


@pytest.mark.parametrize(
    ("sins", "cement", "fracture", "kept"),
    [
        # Findings of an unknown order against the cement: certain instability, said first.
        ({"spinal-alignment": "subluxation"}, "2024-05-30", NO_LEVEL_FRACTURE,
         (": unstable", "re-image", "record its level")),
        # A fracture with no level keeps its whole action.
        ({"spinal-alignment": "subluxation"}, AFTER, NO_LEVEL_FRACTURE,
         ("unstable; no fixation recorded", "re-image", "record its level")),
        # Of a day the cement may fall within: not known to be before it.
        ({"spinal-alignment": "subluxation"}, AFTER,
         condition("fx", "M84.58XA", onset="2024-05-31"),
         ("unstable; no fixation recorded", "not known to be before it", "record its level")),
        # Possibly unstable: the instability and what settles it are kept beside the fracture.
        ({}, AFTER, condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12"),
         ("possibly unstable", "settle the conflicting alignment", "re-image")),
        ({}, AFTER, NO_LEVEL_FRACTURE, ("possibly unstable", "re-image", "record its level")),
        # Possibly unstable, findings of an unknown order against the cement.
        ({}, "2024-05-30", NO_LEVEL_FRACTURE,
         ("findings before or after vertebroplasty", "re-image", "record its level")),
    ],
)  # fmt: skip
def test_cement_alone_and_a_fracture_since_keep_the_instability_and_the_fracture_s_action(
    sins, cement, fracture, kept
):
    extra = [procedure("vp", VERTEBROPLASTY, "T12", when=cement), fracture]
    if not sins:  # normal alignment and subluxation recorded at the same time: SINS 10–14
        extra.append(finding("t12-al2", "spinal-alignment", "subluxation", level="T12"))
    lv = first(default_patient(sins=sins, extra=tuple(extra)))
    assert lv.indicator in ("warning", "critical")
    assert not lv.headline.endswith("…"), lv.headline
    for words in kept:
        assert words in lv.headline, lv.headline


def test_a_level_fixed_with_screws_is_never_re_scored():
    later = finding("later-pain", "spinal-pain", "pain-free", level="T12", when=NOW)
    fixed = procedure("ppsf", FIXATION, "T11", "T12", "L1", when=AFTER)
    for extra in ((fixed,), (fixed, later)):
        lv = first(default_patient(sins={"spinal-alignment": "subluxation"}, extra=extra))
        assert (lv.state, lv.indicator) == ("fixed", "info")
        assert lv.headline == "T12 fixed on 31 May 2024: SINS not applicable"


def test_a_treated_level_is_left_out_of_the_worst_level_choice():
    # L1: non-mechanical 1, blastic, normal, none, none: 3 + 1 = 4, certainly stable.
    extra = (
        condition("met-l1", "C79.51", level="L1"),
        *(
            finding(f"l1-{code}", code, answer, level="L1")
            for code, answer in {
                "spinal-pain": "non-mechanical",
                "bone-lesion-quality": "blastic",
                "spinal-alignment": "normal",
                "vertebral-body-collapse": "none",
                "posterolateral-involvement": "none",
            }.items()
        ),
        procedure("vp", VERTEBROPLASTY, "T12", when=AFTER),
    )
    result = result_of(default_patient(extra=extra))
    assert result.worst[0].level == "T12"  # the RiskAssessment: docs/scores.md's order, unchanged
    decision = sins_decision(result)
    assert [lv.name for lv in decision.levels] == ["L1", "T12"]
    assert decision.first is not None
    assert decision.first.headline.startswith("SINS 4 at L1 (stable)")


def test_every_level_treated_gives_an_info_card():
    extra = (
        condition("met-l1", "C79.51", level="L1"),
        procedure("vp", VERTEBROPLASTY, "T12", "L1", when=AFTER),
    )
    result = result_of(default_patient(extra=extra))
    card = score_cards(decide(result), "h")[0]
    assert card.indicator == "info"
    assert card.summary == "T12 before vertebroplasty on 31 May 2024: SINS 10"
    assert "- L1 treated" not in (card.detail or "")
    assert "- L1 before vertebroplasty on 31 May 2024: SINS not assessed" in (card.detail or "")


def test_the_treatment_is_named_as_the_record_names_it():
    named = procedure("vp", VERTEBROPLASTY, "T12", when=AFTER, text="Percutaneous vertebroplasty")
    lv = first(default_patient(extra=(named,)))
    assert lv.headline == "T12 before vertebroplasty on 31 May 2024: SINS 10"
    kypho = procedure("kp", "22513", "T12", when=AFTER, text="Balloon kyphoplasty T12")
    lv = first(default_patient(extra=(kypho,)))
    assert lv.headline == "T12 before kyphoplasty on 31 May 2024: SINS 10"
    both = procedure("x", "22513", "T12", when=AFTER, text="Vertebroplasty or kyphoplasty")
    lv = first(default_patient(extra=(both,)))
    assert lv.headline == "T12 before vertebroplasty/kyphoplasty on 31 May 2024: SINS 10"


def findings_on_a_two_level_metastasis() -> list[dict]:
    """One metastasis Condition at T11 and T12; the T12 findings lose their bodySite and name
    that Condition as their focus: they do not say which of its levels they describe."""
    met = condition("met-multi", "C79.51", bodySite=site("T11") + site("T12"))
    out = [*default_patient(drop=("met-t12",)), met]
    for r in out:
        if r["id"].startswith("t12-"):
            r["focus"] = [{"reference": "Condition/met-multi"}]
            r.pop("bodySite")
    return out


def test_components_missing_only_for_want_of_a_level_are_said_so_on_every_surface():
    # Contract §4 v3: a finding with no level says "level not recorded", never that it is absent.
    resources = findings_on_a_two_level_metastasis()
    result = result_of(resources)
    decisions = decide(result)
    lv = sins_decision(result).first
    assert lv is not None
    assert "record pain" not in lv.headline
    assert lv.headline.endswith(
        "— record the level (bodySite) of pain, lesion quality, collapse"
    ), lv.headline
    (card, *_) = score_cards(decisions, "h")
    assert card.summary == lv.headline
    # the text report and the page list the components with what settles each: the same words
    for surface in (text_report(decisions), patient_page(decisions)):
        assert "Vertebral body collapse: record the level (bodySite) of the finding" in surface
    # the procedure check says the same of criterion 3
    found = procedure_orders(
        read_orders(draft_orders(order("vp", "22510", "T12"))), None, "order-sign", TERM
    )
    with_order = decide(result, found)
    (decision,) = with_order.orders
    assert "collapse at T12 not recorded" not in decision.summary
    assert "collapse recorded without a level — record its level (bodySite)" in decision.summary
    assert f"ORDER ServiceRequest/vp [warning] {decision.summary}" in text_report(with_order)


def test_a_finding_absent_and_others_without_a_level_are_told_apart():
    resources = [
        r
        for r in findings_on_a_two_level_metastasis()
        if r["id"] != "t12-posterolateral-involvement"
    ]
    result = result_of(resources)
    lv = sins_decision(result).first
    assert lv is not None
    assert lv.headline == (
        "SINS 3–14 at T11: could be up to 14 (unstable) — record posterolateral involvement; "
        "the level (bodySite) of pain, lesion quality, collapse"
    )
    (card, *_) = score_cards(decide(result), "h")
    assert card.summary == lv.headline  # within the limit, not cut


def bridging_fixation(*, reason: bool) -> dict:
    """Screws at T11 and L1 only, above and below the T12 metastasis; ``reason``: the Procedure
    names that metastasis as its reasonReference."""
    fixed = procedure("ppsf", FIXATION, "T11", "L1", when=AFTER)
    if reason:
        fixed["reasonReference"] = [{"reference": "Condition/met-t12"}]
    return fixed


def test_a_fixation_that_bridges_the_level_it_names_fixes_it_on_every_surface():
    # Contract §6: for an event with fixation only, the treated levels are those of §5 — the
    # levels its reasonReference names; §6 v3: a level fixed with screws is never re-scored.
    resources = default_patient(
        sins={"spinal-alignment": "subluxation"}, extra=(bridging_fixation(reason=True),)
    )
    result = result_of(resources)
    lv = sins_decision(result).levels[0]
    assert (lv.name, lv.state, lv.indicator) == ("T12", "fixed", "info")
    assert lv.headline == "T12 fixed on 31 May 2024: SINS not applicable"
    decisions = decide(result)
    cards = score_cards(decisions, "h")
    assert (cards[0].indicator, cards[0].summary) == ("info", lv.headline)
    assert "surgical consultation recommended" not in cards[0].summary + (cards[0].detail or "")
    # the outcome card already names the same treated level
    assert cards[-1].summary.startswith("After fixation at T12 on 31 May 2024")
    text = text_report(decisions)
    assert "SINS T12: 14 — as recorded before the fixation on 31 May 2024" in text
    assert "unstable" not in text.split("Tomita")[0]
    found = procedure_orders(
        read_orders(draft_orders(order("vp", "22510", "T12"))), None, "order-sign", TERM
    )
    with_order = decide(result, found)
    (decision,) = with_order.orders
    assert decision.summary.startswith("Vertebroplasty T12: T12 already fixed on 31 May 2024")
    assert "Cement alone at T12" not in text_report(with_order)


# A bone metastasis with no level recorded: T12 is then scored from its findings alone, and no
# metastasis Condition names it (what the cement rules are tested on apart from bridging).
UNPLACED_MET = condition("met-x", "C79.51")


def test_screws_around_a_metastasis_they_do_not_name_fix_it():
    # Without a reasonReference the record names T11 and L1 only, as billing-derived records
    # do; the T12 metastasis fills the gap between the screws whole, so the construct bridges
    # it (as an order of the same screws does): "unstable, surgical consultation" after the
    # surgery would misread the patient.
    resources = default_patient(
        sins={"spinal-alignment": "subluxation"}, extra=(bridging_fixation(reason=False),)
    )
    result = result_of(resources)
    lv = sins_decision(result).levels[0]
    assert (lv.name, lv.state, lv.indicator) == ("T12", "fixed", "info")
    (screws,) = [t for t in result.assessment.treatments if "fixation" in t.kinds]
    assert screws.bridged == ("T12",)
    assert screws.evidence.summary == "fixation at T11, L1 for the lesion at T12"
    assert "T12 was bridged by screws above and below it on 31 May 2024" in text_report(
        decide(result)
    )


def test_screws_placed_before_the_metastasis_began_do_not_fix_it():
    # A short-segment fixation of 2019 (a burst fracture) around T12, whose metastasis began in
    # 2024: the screws were not for the lesion, and its instability must stay said ("fixed, for
    # the lesion at T12" silenced a subluxation). A metastasis known within 90 days after the
    # screws (confirmed by the procedure's own biopsy) is still theirs.
    old = procedure("ppsf", FIXATION, "T11", "L1", when="2019-03-01T10:00:00Z")
    resources = default_patient(sins={"spinal-alignment": "subluxation"}, extra=(old,))
    result = result_of(resources)
    lv = sins_decision(result).levels[0]
    assert (lv.name, lv.state, lv.indicator) == ("T12", "assessed", "critical")
    (screws,) = [t for t in result.assessment.treatments if "fixation" in t.kinds]
    assert screws.bridged == () and "for the lesion" not in screws.evidence.summary
    biopsy = procedure("ppsf", FIXATION, "T11", "L1", when="2024-03-01T10:00:00Z")
    resources = default_patient(sins={"spinal-alignment": "subluxation"}, extra=(biopsy,))
    assert sins_decision(result_of(resources)).levels[0].state == "fixed"


def test_screws_around_a_gap_a_metastasis_fills_only_partly_do_not_fix_it():
    # Screws at T11 and L2, a metastasis at T12 and none at L1: two constructs may be recorded
    # as one Procedure; T12 is not taken as fixed, and its instability stays said.
    screws = procedure("ppsf", FIXATION, "T11", "L2", when=AFTER)
    resources = default_patient(sins={"spinal-alignment": "subluxation"}, extra=(screws,))
    lv = sins_decision(result_of(resources)).levels[0]
    assert (lv.name, lv.state, lv.indicator) == ("T12", "assessed", "critical")


def test_screws_above_and_below_cement_on_the_same_day_fix_the_cemented_level():
    # The case series' own procedure (seed: screws into the adjacent upper and lower vertebrae,
    # cement into the affected one), recorded as two Procedures with no reasonReference: the
    # cement was not alone, and T12 lies within the construct.
    cement = procedure("vp", VERTEBROPLASTY, "T12", when="2024-05-31T11:30:00Z")
    resources = default_patient(
        sins={"spinal-alignment": "subluxation"}, extra=(bridging_fixation(reason=False), cement)
    )
    result = result_of(resources)
    lv = sins_decision(result).levels[0]
    assert (lv.name, lv.state, lv.indicator) == ("T12", "fixed", "info")
    assert lv.headline == "T12 fixed on 31 May 2024: SINS not applicable"
    decisions = decide(result)
    said = text_report(decisions)
    assert "no fixation recorded" not in said and "cement alone" not in said
    assert "T12 was bridged by screws above and below it on 31 May 2024" in said
    (screws,) = [t for t in result.assessment.treatments if "fixation" in t.kinds]
    assert screws.bridged == ("T12",)
    # T12's metastasis fills the gap too (the screws bridge it whatever the cement's day).
    assert (
        screws.evidence.summary
        == "fixation at T11, L1 for the lesion at T12 around the cement at T12"
    )
    # Cement on another day keeps the screws to their own levels around a vertebra no
    # metastasis Condition names (T12 known from findings only): T12 stays cement alone.
    later = procedure("vp", VERTEBROPLASTY, "T12", when="2024-06-01T08:00:00Z")
    apart = default_patient(
        drop=("met-t12",),
        sins={"spinal-alignment": "subluxation"},
        extra=(bridging_fixation(reason=False), later, UNPLACED_MET),
    )
    lv = sins_decision(result_of(apart)).levels[0]
    assert lv.state != "fixed"
    # Cement outside the construct's span is never bridged by it.
    outside = procedure("vp", VERTEBROPLASTY, "L2", when=AFTER)
    resources = default_patient(
        sins={"spinal-alignment": "subluxation"},
        extra=(bridging_fixation(reason=False), outside, condition("met-l2", "C79.51", level="L2")),
    )
    fixed = [lv.name for lv in sins_decision(result_of(resources)).levels if lv.state == "fixed"]
    assert fixed == ["T12"]  # bridged for its metastasis; L2, outside the span, is not


def test_cement_between_two_constructs_of_one_procedure_is_not_bridged():
    # One Procedure records two short constructs (T4, T6 for T5; L2, L4 for L3): T12, cemented
    # alone the same day, lies between them but no screw is near it.
    screws = procedure("ppsf", FIXATION, "T4", "T6", "L2", "L4", when=AFTER)
    resources = default_patient(sins={"spinal-alignment": "subluxation"}, extra=(screws, CEMENT))
    lv = sins_decision(result_of(resources)).levels[0]
    assert (lv.state, lv.headline) == ("before-treatment", UNSTABLE_BEFORE_CEMENT)


def test_cement_after_the_computation_time_bridges_nothing():
    # Screws at 07:00, cement at 11:00, computed at 09:00: the cement is not used, so T12 (no
    # metastasis Condition names it: findings only) is not yet within a construct.
    screws = procedure("ppsf", FIXATION, "T11", "L1", when="2024-06-01T07:00:00Z")
    cement = procedure("vp", VERTEBROPLASTY, "T12", when="2024-06-01T11:00:00Z")
    resources = default_patient(
        drop=("met-t12",),
        sins={"spinal-alignment": "subluxation"},
        extra=(screws, cement, UNPLACED_MET),
    )
    lv = sins_decision(result_of(resources, now="2024-06-01T09:00:00Z")).levels[0]
    assert lv.state != "fixed" and lv.indicator == "critical"


def test_cement_in_two_levels_between_the_screws_is_named_in_anatomical_order():
    cement = procedure("vp", VERTEBROPLASTY, "L1", "T12", when=AFTER)
    screws = procedure("ppsf", FIXATION, "T11", "L2", when=AFTER)
    resources = default_patient(
        sins={"spinal-alignment": "subluxation"},
        extra=(screws, cement, condition("met-l1", "C79.51", level="L1")),
    )
    result = result_of(resources)
    (fixation,) = [t for t in result.assessment.treatments if "fixation" in t.kinds]
    assert fixation.bridged == ("T12", "L1")
    assert fixation.evidence.summary == (
        "fixation at T11, L2 for the lesion at T12, L1 around the cement at T12, L1"
    )
    # Cement in one of two levels between the screws, no metastasis Condition in either: the
    # other is not bridged, nor is it.
    resources = default_patient(
        drop=("met-t12",),
        sins={"spinal-alignment": "subluxation"},
        extra=(screws, CEMENT, UNPLACED_MET),
    )
    fixed = [lv.name for lv in sins_decision(result_of(resources)).levels if lv.state == "fixed"]
    assert fixed == []


UNSTABLE_BEFORE_CEMENT = (
    "T12 SINS 14 before cement on 31 May 2024: unstable before cement alone; no fixation "
    "recorded — consider surgical review"
)


def test_a_finding_after_cement_alone_does_not_erase_the_instability_before_it():
    # Contract §6 v3: once a finding is later than the treatment the level is scored from the
    # later findings only — and cement alone still stays a warning when the pre-treatment SINS
    # was certainly 13 or more (here 14, with subluxation).
    later = finding("later-pain", "spinal-pain", "pain-free", level="T12", when=NOW)
    for extra in ((CEMENT,), (CEMENT, later)):
        result = result_of(default_patient(sins={"spinal-alignment": "subluxation"}, extra=extra))
        lv = sins_decision(result).levels[0]
        assert lv.indicator == "warning"
        assert lv.headline == UNSTABLE_BEFORE_CEMENT
        decisions = decide(result)
        card = score_cards(decisions, "h")[0]
        assert (card.indicator, card.summary) == ("warning", UNSTABLE_BEFORE_CEMENT)
        said = "Unstable before cement alone; no fixation recorded — consider surgical review."
        assert said in (card.detail or "")
        assert said in text_report(decisions)
        found = procedure_orders(
            read_orders(draft_orders(order("vp2", "22510", "T12"))), None, "order-sign", TERM
        )
        (decision,) = decide(result, found).orders
        assert (
            "Cement alone at T12 (SINS 14 before the vertebroplasty on 31 May 2024, unstable): "
            "no fixation ordered or recorded there"
        ) in " ".join(c.detail for c in decision.check.concerns)
    # The later finding still re-scores the level (its pain is used, the earlier pain is not).
    result = result_of(
        default_patient(sins={"spinal-alignment": "subluxation"}, extra=(CEMENT, later))
    )
    assert sins_decision(result).levels[0].state == "after-treatment"
    assert str(result.levels[0].result.total) == "3–15"


def test_a_finding_after_cement_keeps_the_warning_for_subluxation_before_it():
    # Subluxation before the cement, whatever the total (3 + 0 + 0 + 4 + 0 + 0 = 7): a warning.
    sins = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic", "spinal-alignment":
            "subluxation", "vertebral-body-collapse": "none"}  # fmt: skip
    later = finding("later-pain", "spinal-pain", "pain-free", level="T12", when=NOW)
    lv = first(default_patient(sins=sins, extra=(CEMENT, later)))
    assert lv.indicator == "warning"
    assert lv.headline == (
        "T12 SINS 7 before cement on 31 May 2024: unstable before cement alone; no fixation "
        "recorded — consider surgical review"
    )


PRELIMINARY_AT_T12 = {
    "spinal-alignment": "subluxation",
    "vertebral-body-collapse": "gt-50",
    "posterolateral-involvement": "bilateral",
}


def preliminary_report(**final: str) -> list[dict]:
    """The T12 findings only in a preliminary report, besides any ``final`` ones (code: when)."""
    out = default_patient(drop=T12_FINDINGS)
    for code, answer in PRELIMINARY_AT_T12.items():
        early = finding(f"early-{code}", code, answer, level="T12")
        early["status"] = "preliminary"
        out.append(early)
    for code, when in final.items():
        out.append(finding(f"final-{code}", code, SINS_AT_T12[code], level="T12", when=when))
    return out


def test_preliminary_findings_are_not_scored_but_named_to_confirm_on_every_surface():
    # Contract §2: a preliminary Observation is not used for scoring; §4: each card says what
    # is missing and what would settle it — here the preliminary report, to confirm.
    result = result_of(preliminary_report())
    assert str(result.levels[0].result.total) == "3–18"  # nothing preliminary counted
    lv = sins_decision(result).levels[0]
    assert lv.indicator == "info"
    assert lv.headline == (
        "SINS not assessed at T12: preliminary report — confirm alignment, collapse, "
        "posterolateral involvement (30 May 2024)"
    )
    decisions = decide(result)
    card = score_cards(decisions, "h")[0]
    assert card.summary == lv.headline
    named = (
        "Radiographic spinal alignment: Subluxation/translation present (30 May 2024)",
        "Vertebral body collapse: More than 50% collapse (30 May 2024)",
    )
    for surface in (card.detail or "", text_report(decisions)):
        assert "preliminary report — confirm" in surface
        for said in named:
            assert said in surface
        assert "record spinal-alignment" not in surface
        assert "record vertebral-body-collapse" not in surface
    found = procedure_orders(
        read_orders(draft_orders(order("vp", "22510", "T12"))), None, "order-sign", TERM
    )
    (decision,) = decide(result, found).orders
    assert decision.indicator == "warning"
    assert "not recorded" not in decision.summary
    assert decision.summary.startswith(
        "Vertebroplasty T12: collapse at T12: preliminary report — confirm; +2 more in the card"
    )
    findings = " ".join(c.finding for c in decision.check.concerns)
    assert "alignment at T12: preliminary report (subluxation, 30 May) — confirm" in findings
    (collapse,) = (c for c in decision.check.criteria if c.number == 3)
    assert collapse.status == "unknown"
    assert "collapse at T12: preliminary report — confirm: " + named[1] in collapse.basis
    assert collapse.finding == "collapse at T12: preliminary report — confirm"
    details = " ".join(c.detail for c in decision.check.concerns)
    assert "not recorded" not in details
    assert "posterolateral involvement at T12: preliminary report — confirm" in details


def test_a_final_finding_as_recent_replaces_the_preliminary_one():
    # The final alignment of the same time is scored; the preliminary one is not named.
    result = result_of(preliminary_report(**{"spinal-alignment": "2024-05-30T09:00:00Z"}))
    basis = result.levels[0].bases["sins-alignment"]
    assert basis.evidence and basis.settle is None
    assert "preliminary" not in " ".join(basis.all_notes)


def test_the_one_sins_risk_assessment_never_settles_stable_while_another_level_may_be_unstable():
    # T12 is certainly 6 (stable); T8, with no finding, may be up to 16. The patient's one SINS
    # RiskAssessment describes T12, and must not read "stable — no surgical consultation needed"
    # for the patient (contract §3: a category only when every possible total falls in one band).
    stable = {"spinal-pain": "non-mechanical", "bone-lesion-quality": "lytic",
              "vertebral-body-collapse": "none", "spinal-alignment": "normal",
              "posterolateral-involvement": "none"}  # fmt: skip
    result = result_of(
        default_patient(sins=stable, extra=(condition("met-t8", "C79.51", level="T8"),))
    )
    assert result.worst[0].level == "T12" and str(result.worst[0].result.total) == "6"
    assert result.sins_risk is not None
    ra = result.sins_risk.resource
    assert "qualitativeRisk" not in ra["prediction"][0]
    assert "no surgical consultation needed" not in ra["mitigation"]
    assert "T8 could be up to 16 (unstable)" in ra["mitigation"]
    assert "T8 could be up to 16 (unstable)" in ra["text"]["div"]


def _t12(result: PatientResult) -> dict:
    level = result.level("T12")
    assert level is not None
    return level.observation.resource


def test_a_caveat_that_travels_with_a_result_makes_it_another_result():
    # A later preliminary MRI report of collapse > 50 % (which would make SINS 10 a 12): the
    # value is unchanged, the caveat new. Sync writes a result only when its identifier changes,
    # so the caveat must change it, or the stored result would never say "confirm".
    before = _t12(result_of(default_patient()))
    report = finding("pre", "vertebral-body-collapse", "gt-50", level="T12",
                     when="2024-06-01T08:00:00Z", status="preliminary")  # fmt: skip
    after = _t12(result_of(default_patient(extra=(report,))))
    assert after.get("valueInteger") == before.get("valueInteger")
    assert any("preliminary report" in n["text"] for n in after["note"])
    assert after["identifier"][0]["value"] != before["identifier"][0]["value"]


def test_a_dated_caveat_changes_the_result_once_not_every_day():
    # The day count in "Dated input: …: 46 days before" changes daily; whether the input is
    # dated changes once, when it crosses its window.
    resources = default_patient()
    value = {now: _t12(result_of(resources, now))["identifier"][0]["value"]
             for now in ("2024-06-01T09:00:00Z", "2024-08-01T09:00:00Z", "2024-08-02T09:00:00Z")}  # fmt: skip
    fresh, dated, dated_later = value.values()
    assert fresh != dated and dated == dated_later


def test_a_level_fixed_with_screws_is_never_the_level_that_may_be_worse():
    # T8 fixed on 1 May: its SINS does not apply (contract §6 v3), so the RiskAssessment does not
    # ask for findings there, whatever range its old findings leave.
    stable = {"spinal-pain": "non-mechanical", "bone-lesion-quality": "lytic",
              "vertebral-body-collapse": "none", "spinal-alignment": "normal",
              "posterolateral-involvement": "none"}  # fmt: skip
    fixed = procedure("fix-t8", "22842", "T8", when="2024-05-01T10:00:00Z")
    result = result_of(
        default_patient(sins=stable, extra=(condition("met-t8", "C79.51", level="T8"), fixed))
    )
    assert result.sins_risk is not None
    ra = result.sins_risk.resource
    assert "T8" not in ra.get("mitigation", "") and "qualitativeRisk" in ra["prediction"][0]


UNSTABLE_T12 = {"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50"}  # SINS 15
FIXED_T12 = (
    "T12 was fixed with screws on 20 May 2024: SINS is not applicable to an instrumented level"
)


def _l3(**changed: str) -> tuple[dict, ...]:
    answers = {**SINS_AT_T12, **changed}
    return (
        condition("met-l3", "C79.51", level="L3"),
        *(finding(f"l3-{code}", code, answer, level="L3") for code, answer in answers.items()),
    )


def _sins_risk(resources) -> dict:
    result = result_of(resources)
    assert result.sins_risk is not None
    return result.sins_risk.resource


@pytest.mark.parametrize("fixed_on", ["2024-05-20T10:00:00Z", "2024-05-31T10:00:00Z"])
def test_the_sins_risk_assessment_never_asks_for_surgery_at_a_level_fixed_with_screws(fixed_on):
    # T12, the only level, fixed with screws (findings after the fixation, or before it): the
    # card says "SINS not applicable" (contract §6 v3). The RiskAssessment written back to the
    # record describes the same level and must not recommend a surgical consultation there.
    screws = procedure("fix", "22842", "T12", when=fixed_on)
    ra = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=(screws,)))
    day = "20 May 2024" if fixed_on.startswith("2024-05-20") else "31 May 2024"
    said = f"T12 was fixed with screws on {day}: SINS is not applicable to an instrumented level"
    assert "surgical consultation recommended" not in ra["mitigation"].lower()
    assert said in ra["mitigation"] and said in ra["prediction"][0]["rationale"]
    assert said in ra["text"]["div"]
    assert "surgical consultation recommended" not in ra["text"]["div"].lower()


def test_the_sins_risk_assessment_of_a_level_bridged_by_screws_says_so():
    # The case series' construct: screws at T11 and L1, cement at T12, one day.
    construct = (
        procedure("fix", "22842", "T11", "L1", when="2024-05-20T10:00:00Z"),
        procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
    )
    ra = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=construct))
    assert "surgical consultation recommended" not in ra["mitigation"].lower()
    assert (
        "T12 was bridged by screws above and below it on 20 May 2024: SINS is not applicable "
        "within a construct"
    ) in ra["mitigation"]


def test_the_sins_risk_assessment_at_a_fixed_level_keeps_another_levels_consultation():
    # T12 fixed (15 before), L3 SINS 9 with no treatment: the patient still needs the
    # consultation L3 asks for, and the RiskAssessment says which level asks for it.
    screws = procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z")
    ra = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=(screws, *_l3())))
    assert ra["mitigation"] == (
        "At L3: Potentially unstable (SINS 7–12): surgical consultation recommended. "
        f"{FIXED_T12} and is not re-scored."
    )


def test_the_sins_risk_assessment_at_a_fixed_level_beside_a_stable_one_asks_for_nothing():
    # T12 fixed (15), L3 certainly stable (SINS 3): nothing recommends a consultation.
    screws = procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z")
    stable = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
              "vertebral-body-collapse": "none"}  # fmt: skip
    ra = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=(screws, *_l3(**stable))))
    assert FIXED_T12 in ra["mitigation"]
    assert "consultation recommended" not in ra["mitigation"].lower()


def test_a_fixed_level_changes_the_sins_risk_assessments_identifier():
    # Sync writes a result only when its identifier changes: an RA stored before the fixation
    # (which said "surgical consultation recommended") must be replaced by the one after it,
    # also when the findings follow the fixation.
    screws = procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z")
    before = _sins_risk(default_patient(sins=UNSTABLE_T12))
    after = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=(screws,)))
    assert before["identifier"][0]["value"] != after["identifier"][0]["value"]


def _l3_without(*codes: str, **changed: str) -> tuple[dict, ...]:
    return tuple(r for r in _l3(**changed) if r["id"] not in {f"l3-{c}" for c in codes})


SCREWS_T12 = procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z")


def test_the_sins_risk_assessment_at_a_fixed_level_says_what_another_level_may_need_first():
    # T12 fixed (15), L3 6-13 (alignment and posterolateral involvement not recorded): L3 may be
    # unstable. Measured against the fixed level's band, L3 was never worse, and the words said
    # nothing of it; they say first what L3's own RiskAssessment says, named.
    l3 = _l3_without(
        "spinal-alignment", "posterolateral-involvement", **{"spinal-pain": "pain-free"}
    )
    mitigation = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, *l3)))[
        "mitigation"
    ]
    alone = _sins_risk(default_patient(drop=("met-t12", *T12_FINDINGS), extra=l3))["mitigation"]
    assert "Not settled" in alone and "Unstable (SINS 13–18)" in alone
    assert mitigation == f"At L3: {alone} {FIXED_T12} and is not re-scored."


def test_the_sins_risk_assessment_at_a_fixed_level_names_an_unassessed_level():
    extra = (SCREWS_T12, condition("met-l3", "C79.51", level="L3"))
    mitigation = _sins_risk(default_patient(sins=UNSTABLE_T12, extra=extra))["mitigation"]
    assert mitigation.startswith("At L3: Not settled"), mitigation
    assert FIXED_T12 in mitigation


def test_a_fracture_since_the_findings_after_the_screws_is_said_by_the_risk_assessment():
    # Findings after the screws (30 May), a vertebral fracture at T12 coded on 1 June: the card
    # warns "re-image"; the RiskAssessment written back must say it too.
    fracture = condition("fx", "M84.58XA", level="T12", onset="2024-06-01T08:00:00Z")
    mitigation = _sins_risk(default_patient(extra=(SCREWS_T12, fracture)))["mitigation"]
    assert FIXED_T12 in mitigation
    assert "vertebral fracture coded since its findings — re-image" in mitigation


def test_screws_with_no_level_are_never_said_to_bridge_the_level():
    # Screws whose bodySite names no level, done for the metastasis at T12 (reasonReference):
    # the record does not say the screws went above and below it.
    screws = {**SCREWS_T12, "reasonReference": [{"reference": "Condition/met-t12"}]}
    del screws["bodySite"]
    resources = default_patient(sins=UNSTABLE_T12, extra=(screws,))
    mitigation = _sins_risk(resources)["mitigation"]
    assert "bridged" not in mitigation and FIXED_T12 in mitigation
    card = score_cards(decide(result_of(resources), ()), "h")[0]
    assert "bridged" not in (card.detail or "")


@pytest.mark.parametrize(
    ("extra", "identifier"),
    [
        (
            # Its words say cement alone since SINS 15 before it is said as the card says it.
            (procedure("vp", "22511", "T12", when="2024-05-31T10:00:00Z"),),
            "sins-T12-508f8c430faeb4ad68e91589729d7f43-b785032e",
        ),
        (
            _l3_without("spinal-alignment", "posterolateral-involvement"),
            "sins-T12-b12985b9b01c910d9550e07f4e2cff12-90ab8cd2",
        ),
    ],
)
def test_a_risk_assessment_with_no_fixed_level_keeps_its_identifier(extra, identifier):
    # Pinned: the words of a RiskAssessment with no fixed level did not change with the fixed
    # level's; a new identifier would make sync rewrite every such result on the server.
    sins = UNSTABLE_T12 if "vp" in {r["id"] for r in extra} else None
    assert _sins_risk(default_patient(sins=sins, extra=extra))["identifier"][0]["value"] == (
        identifier
    )


def _with_l1(**changed: str) -> PatientResult:
    answers = {**SINS_AT_T12, **changed}  # L1 is junctional like T12: the same answers tie
    l1 = [finding(f"l1-{code}", code, answer, level="L1") for code, answer in answers.items()]
    return result_of(default_patient(extra=(condition("met-l1", "C79.51", level="L1"), *l1)))


def test_the_sins_risk_assessment_of_tied_levels_is_another_result_when_the_tie_changes():
    # T12 and L1 tie at SINS 10: the one RiskAssessment describes both (its basis, its words).
    # When L1 leaves the tie, or its result changes within it, the RiskAssessment says something
    # else, so its identifier must change, or sync keeps the stored one naming L1 as worst.
    tied = _with_l1()
    assert [lv.level for lv in tied.worst] == ["T12", "L1"]
    alone = _with_l1(**{"spinal-pain": "pain-free"})  # L1 now 7: T12 alone is the worst
    assert [lv.level for lv in alone.worst] == ["T12"]
    other = _with_l1(**{"spinal-pain": "non-mechanical", "spinal-alignment": "de-novo-deformity"})
    assert [str(lv.result.total) for lv in other.worst] == ["10", "10"]  # still tied, other inputs
    ids = [r.sins_risk.resource["identifier"][0]["value"] for r in (tied, alone, other)
           if r.sins_risk is not None]  # fmt: skip
    assert len(set(ids)) == 3


def _cement_then(before: dict[str, str], after: dict[str, str]) -> PatientResult:
    """Findings at T12 on 10 May, cement on 22 May, findings on 25 Oct; now 1 Nov 2024."""
    old = t12("2024-05-10T09:00:00Z", **before)
    new = tuple(
        finding(f"t12-{code}-late", code, answer, level="T12", when="2024-10-25T09:00:00Z")
        for code, answer in after.items()
    )
    resources = default_patient(
        drop=T12_FINDINGS, extra=(*old, *new, procedure("vp", "22511", "T12"))
    )
    return result_of(resources, now="2024-11-01T09:00:00Z")


def test_instability_found_after_cement_is_never_put_before_it():
    """Stable before the cement (SINS 5–8), a subluxation five months after it: the card said
    "SINS 5–8 before cement: unstable before cement alone", false of the indication, and never
    said the new finding."""
    result = _cement_then(
        {"spinal-pain": "none", "bone-lesion-quality": "blastic"},
        {"spinal-alignment": "subluxation"},
    )
    lv = sins_decision(result).levels[0]
    assert (lv.indicator, lv.consult) == ("warning", True)
    assert "before cement" not in lv.headline, lv.headline
    assert lv.headline.startswith("T12 SINS ") and (
        "subluxation at T12 after cement on 22 May 2024" in lv.headline
    ), lv.headline
    assert len(lv.headline) < 140
    decisions = decide(result)
    sins_card = score_cards(decisions, "h")[0]
    for said in (sins_card.detail or "", text_report(decisions)):
        assert "Unstable before cement alone" not in said
        assert "Subluxation at T12 after the vertebroplasty on 22 May 2024" in said, said


@pytest.mark.parametrize("fractured", [False, True])
def test_instability_after_cement_keeps_its_advice_or_a_fracture_since_in_the_summary(fractured):
    # Bilateral posterolateral involvement found after cement alone (SINS 11): the summary was
    # cut at "consider…"; with a fracture since those findings it never named the fracture.
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    cement = procedure("vp", VERTEBROPLASTY, "T12", when="2024-05-20T10:00:00Z")
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12")
    lv = first(
        default_patient(sins=bilateral, extra=(cement, fracture) if fractured else (cement,))
    )
    assert lv.indicator == "warning"
    assert not lv.headline.endswith("…") and len(lv.headline) <= 139, lv.headline
    assert "bilateral posterolateral involvement at T12 after cement" in lv.headline
    assert "unstable; no fixation recorded" in lv.headline
    if fractured:
        assert "fracture coded since — re-image" in lv.headline
    else:
        assert lv.headline.endswith("— consider surgical review")


def test_a_fracture_not_known_to_be_older_than_the_findings_is_said_whole_in_the_summary():
    # "fracture not known to be older than — re-image": the findings were cut out of the phrase.
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    cement = procedure("vp", VERTEBROPLASTY, "T12", when="2024-05-20T10:00:00Z")
    fracture = condition("fx", "M84.58XA", onset="2024-05-30", level="T12")  # the findings' day
    lv = first(default_patient(sins=bilateral, extra=(cement, fracture)))
    assert "older than —" not in lv.headline, lv.headline
    assert lv.headline.endswith("fracture coded, perhaps since — re-image"), lv.headline


def test_instability_before_cement_is_still_said_as_before_it():
    result = _cement_then({"spinal-alignment": "subluxation"}, {"spinal-alignment": "normal"})
    lv = sins_decision(result).levels[0]
    assert lv.headline.startswith("T12 SINS 14 before cement on 22 May 2024: unstable before")


def test_certain_instability_after_cement_is_not_said_twice():
    unstable = {"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50",
                "posterolateral-involvement": "bilateral", "spinal-pain": "mechanical"}  # fmt: skip
    result = _cement_then({}, unstable)
    lv = sins_decision(result).levels[0]
    assert lv.indicator == "critical"
    said = recommendation(lv, "<band>")
    assert "unstable after cement alone" not in said, said


def test_instability_before_cement_beside_instability_after_it_says_why_it_was_unstable():
    """Subluxation before the cement (SINS 10) and after it: "Before the vertebroplasty: SINS
    10. Unstable then too." read as a SINS 10 called unstable, with no reason."""
    result = _cement_then(
        {
            "spinal-alignment": "subluxation",
            "spinal-pain": "none",
            "bone-lesion-quality": "blastic",
        },
        {"spinal-alignment": "subluxation"},
    )
    said = recommendation(sins_decision(result).levels[0], "<band>")
    assert "Unstable then too." not in said, said
    assert "Before the vertebroplasty: SINS 9–12; unstable then too (subluxation)." in said, said


MECHANICAL_6 = {"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}  # T12: 3 + 3
NOT_NEEDED = "no surgical consultation needed"


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param(default_patient(sins=MECHANICAL_6), id="the level described"),
        pytest.param(
            default_patient(
                sins={**MECHANICAL_6, "spinal-pain": "non-mechanical"}, extra=_l3(**MECHANICAL_6)
            ),
            id="another level",
        ),
        pytest.param(
            default_patient(sins=MECHANICAL_6, drop=("t12-posterolateral-involvement",)),
            id="a range",
        ),
    ],
)
def test_the_sins_risk_assessment_never_says_no_consultation_beside_current_mechanical_pain(
    resources,
):
    # Mechanical pain is the clinical sign of instability whatever the total: the card warns
    # "consider surgical consultation" (contract §4 v3). The RiskAssessment written back said
    # "no surgical consultation needed for instability" beside it.
    card = score_cards(decide(result_of(resources), ()), "h")[0]
    assert "mechanical pain (a sign of instability)" in card.summary
    assert "consider surgical consultation" in f"{card.summary} {card.detail}"
    mitigation = _sins_risk(resources)["mitigation"]
    level = "L3" if any(r["id"] == "met-l3" for r in resources) else "T12"
    assert NOT_NEEDED not in mitigation, mitigation
    assert (
        f"Mechanical pain at {level} is the clinical sign of instability, whatever the total: "
        "consider surgical consultation."
    ) in mitigation, mitigation
    assert "SINS does not assess neurology or epidural compression" in mitigation


def test_dated_mechanical_pain_leaves_the_stable_risk_assessment_as_it_is():
    # Pain recorded three months ago may have settled: the card does not warn for it, nor does
    # the RiskAssessment.
    dated = finding("t12-spinal-pain", "spinal-pain", "mechanical", level="T12", when=DATED)
    resources = [r for r in default_patient(sins=MECHANICAL_6) if r["id"] != "t12-spinal-pain"]
    mitigation = _sins_risk([*resources, dated])["mitigation"]
    assert "Mechanical pain" not in mitigation


def test_no_surface_says_no_consultation_needed_beside_current_mechanical_pain():
    # The card's detail, the text report and the page said "Stable (SINS 0–6): no surgical
    # consultation needed for instability." and, next, "… consider surgical consultation".
    cards, _, text, page = surfaces(decisions_for(default_patient(sins=MECHANICAL_6)))
    for where in (cards[0].detail or "", text, page):
        assert NOT_NEEDED not in where
        assert "Mechanical pain is the clinical sign of instability" in where


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param((condition("met-t8", "C79.51", level="T8"),), id="a level that may be worse"),
        pytest.param(
            (finding("stab", "spinal-stability", "unstable", level="T12"),), id="a verdict"
        ),
    ],
)
def test_the_risk_assessment_keeps_the_pain_the_card_leads_with(extra):
    resources = default_patient(sins=MECHANICAL_6, extra=extra)
    card = score_cards(decide(result_of(resources), ()), "h")[0]
    assert "Mechanical pain is the clinical sign of instability" in (card.detail or "")
    mitigation = _sins_risk(resources)["mitigation"]
    assert "Mechanical pain at T12 is the clinical sign of instability" in mitigation, mitigation
    assert NOT_NEEDED not in mitigation
    if any(r["id"] == "stab" for r in extra):
        assert "which does not override a recorded verdict of instability" in mitigation


def test_mechanical_pain_at_two_levels_is_said_as_two():
    resources = default_patient(
        sins={**MECHANICAL_6, "spinal-pain": "non-mechanical"},
        extra=(*_l3(**MECHANICAL_6), *_l4(**MECHANICAL_6)),
    )
    assert "Mechanical pain at L3 and L4 is" in _sins_risk(resources)["mitigation"]


def _l4(**changed: str) -> tuple[dict, ...]:
    return tuple(
        {**r, "id": r["id"].replace("l3", "l4"), "bodySite": site("L4")}
        if r["resourceType"] == "Observation"
        else {**r, "id": "met-l4", **{"bodySite": site("L4")}}
        for r in _l3(**changed)
    )


def _deceased(resources: list[dict]) -> list[dict]:
    return [
        {**r, "deceasedDateTime": "2024-05-31"} if r["resourceType"] == "Patient" else r
        for r in resources
    ]


@pytest.mark.parametrize(
    ("sins", "extra", "identifier"),
    [
        (MECHANICAL_6, (), "sins-T12-a04d5cc0efb2395ce7f1d3ce8638e049"),
        (UNSTABLE_T12, (SCREWS_T12,), "sins-T12-757fa491d23b35233e7c98cebdafe589"),
    ],
)
def test_a_deceased_patients_risk_assessment_keeps_its_identifier(sins, extra, identifier):
    # Pinned: a deceased patient's RiskAssessment shows no recommendation; words it does not
    # show must not make it another result (sync would rewrite it on the server).
    ra = _sins_risk(_deceased(default_patient(sins=sins, extra=extra)))
    assert "mitigation" not in ra
    assert ra["identifier"][0]["value"] == identifier


def test_a_fixed_level_beside_one_cemented_since_its_findings_recommends_nothing_for_it():
    # L3 cemented on 31 May, its findings (SINS 9) of 30 May: the card shows it as before the
    # vertebroplasty, info, with no consultation (contract §6 v3); so does the RiskAssessment.
    vp = procedure("vp", "22511", "L3", when="2024-05-31T10:00:00Z")
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, vp, *_l3()))
    assert score_cards(decide(result_of(resources), ()), "h")[0].indicator == "info"
    assert _sins_risk(resources)["mitigation"] == f"{FIXED_T12} and is not re-scored."


def test_a_fixed_level_beside_one_unstable_before_cement_alone_keeps_its_consultation():
    vp = procedure("vp", "22511", "L3", when="2024-05-31T10:00:00Z")
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, vp, *_l3(**UNSTABLE_T12)))
    mitigation = _sins_risk(resources)["mitigation"]
    assert mitigation.startswith("At L3 (findings before its treatment): Unstable"), mitigation


VERDICT_T12 = finding("stab", "spinal-stability", "unstable", level="T12")
NOT_OVERRIDDEN = "which does not override a recorded verdict of instability"
STABLE_L3 = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
             "vertebral-body-collapse": "none"}  # fmt: skip
CEMENT_L3 = procedure("vp-l3", "22511", "L3", when="2024-05-31T10:00:00Z")  # after L3's findings


def test_a_verdict_beside_current_pain_keeps_its_clause_on_every_surface():
    resources = default_patient(sins=MECHANICAL_6, extra=(VERDICT_T12,))
    cards, _, text, page = surfaces(decisions_for(resources))
    for where in (cards[0].detail or "", text, page, _sins_risk(resources)["mitigation"]):
        assert NOT_OVERRIDDEN in where
        assert NOT_NEEDED not in where


def test_a_verdict_beside_pain_at_a_level_beside_a_fixed_one_keeps_its_clause():
    verdict = finding("stab", "spinal-stability", "unstable", level="L3")
    resources = default_patient(
        sins=UNSTABLE_T12, extra=(SCREWS_T12, *_l3(**MECHANICAL_6), verdict)
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert NOT_OVERRIDDEN in mitigation and "Mechanical pain at L3" in mitigation, mitigation


@pytest.mark.parametrize("screws", [(), (SCREWS_T12,)], ids=["alone", "beside a fixed level"])
@pytest.mark.parametrize(
    ("unsafe", "said"),
    [
        ({"spinal-alignment": "subluxation"}, "Subluxation"),
        ({"posterolateral-involvement": "bilateral"}, "Bilateral posterolateral involvement"),
    ],
)
def test_a_level_unstable_before_cement_alone_is_said_so_by_the_risk_assessment(
    screws, unsafe, said
):
    # L3 SINS 5-6 before its cement, with a subluxation (or bilateral involvement): the card
    # warns "unstable before cement alone; no fixation recorded — consider surgical review"
    # (contract §6 v3); the RiskAssessment said "no surgical consultation needed" there.
    resources = default_patient(
        sins=UNSTABLE_T12 if screws else STABLE_L3,
        extra=(*screws, CEMENT_L3, *_l3(**STABLE_L3, **unsafe)),
    )
    cards = score_cards(decide(result_of(resources), ()), "h")
    assert any("unstable before cement alone" in c.summary for c in cards)
    mitigation = _sins_risk(resources)["mitigation"]
    assert NOT_NEEDED not in mitigation, mitigation
    assert (
        f"{said} at L3 before the vertebroplasty on 31 May 2024: unstable before cement alone; "
        "no fixation recorded — consider surgical review."
    ) in mitigation, mitigation


def test_a_fracture_since_the_cement_of_a_level_beside_a_fixed_one_is_said():
    fracture = condition("fx3", "M84.58XA", level="L3", onset="2024-06-01T08:00:00Z")
    resources = default_patient(
        sins=UNSTABLE_T12, extra=(SCREWS_T12, CEMENT_L3, *_l3(**STABLE_L3), fracture)
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert "L3: vertebral fracture coded after its treatment — re-image" in mitigation, mitigation


def test_pain_beside_a_level_shown_from_findings_before_its_cement_is_said():
    # L3 (SINS 9) is described, from findings before its cement: history. The card warns of
    # T12's current pain; the RiskAssessment names it too.
    resources = default_patient(sins=MECHANICAL_6, extra=(CEMENT_L3, *_l3()))
    mitigation = _sins_risk(resources)["mitigation"]
    assert mitigation.startswith("At L3 (findings before its treatment)"), mitigation
    assert "Mechanical pain at T12 is the clinical sign of instability" in mitigation


SUBLUXED_L3 = {**STABLE_L3, "spinal-alignment": "subluxation"}  # L3 SINS 6


def _l3_after(when: str = "2024-05-31T12:00:00Z", **changed: str) -> tuple[dict, ...]:
    answers = {**SINS_AT_T12, **STABLE_L3, **changed}
    return tuple(
        finding(f"l3-after-{code}", code, answer, level="L3", when=when)
        for code, answer in answers.items()
    )


CEMENTED_BEFORE_FINDINGS = procedure("vp-l3", "22511", "L3", when="2024-05-29T10:00:00Z")


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        pytest.param(
            (CEMENT_L3, *_l3(**SUBLUXED_L3), *_l3_after()),
            "Subluxation at L3 before the vertebroplasty on 31 May 2024: unstable before cement "
            "alone",
            id="subluxed before the cement, normal after",
        ),
        pytest.param(
            (CEMENTED_BEFORE_FINDINGS, *_l3(**SUBLUXED_L3)),
            "Subluxation at L3 after the vertebroplasty on 29 May 2024: unstable after cement alone",
            id="subluxed after the cement",
        ),
        pytest.param(
            (procedure("vp-l3", "22511", "L3", when="2024-05-30"), *_l3(**SUBLUXED_L3)),
            "Subluxation at L3, not known to be before or after the vertebroplasty on 30 May 2024: "
            "unstable either way",
            id="findings of unknown order",
        ),
    ],
)
@pytest.mark.parametrize("screws", [(), (SCREWS_T12,)], ids=["alone", "beside a fixed level"])
def test_cement_alone_at_an_unstable_level_is_never_beside_no_consultation_needed(
    extra, said, screws
):
    # The card warns "… cement alone; no fixation recorded — consider surgical review"; its own
    # detail, the text report, the page and the RiskAssessment said "no surgical consultation
    # needed" in the same paragraph, or called findings of unknown order "before" the cement.
    resources = default_patient(sins=UNSTABLE_T12 if screws else STABLE_L3, extra=(*screws, *extra))
    cards, _, text, page = surfaces(decisions_for(resources))
    assert any(c.indicator == "warning" and "cement" in c.summary for c in cards)
    mitigation = _sins_risk(resources)["mitigation"]
    assert NOT_NEEDED not in mitigation, mitigation
    # The text report and the page list every level (a stable T12 is "no … needed"): never in
    # the paragraph that warns of the cement.
    for where in (*(c.detail or "" for c in cards), text, page):
        for part in re.split(r"\n|<p>|</p>|<li>", where):
            assert not (NOT_NEEDED in part and "cement alone" in part), part
    assert f"{said}; no fixation recorded — consider surgical review." in mitigation, mitigation
    assert mitigation.count("consider surgical review") == 1, mitigation


HIGH_L3 = {**SUBLUXED_L3, "vertebral-body-collapse": "gt-50", "bone-lesion-quality": "lytic",
           "spinal-pain": "mechanical"}  # fmt: skip
CEMENT_L3_BY_DAY = procedure("vp-l3", "22511", "L3", when="2024-05-31")  # order on 31 May unknown


@pytest.mark.parametrize(
    ("earlier", "said"),
    [(HIGH_L3, "SINS 14 at L3"), (SUBLUXED_L3, "Subluxation at L3")],
    ids=["SINS 14 before", "subluxed before"],
)
@pytest.mark.parametrize("screws", [(), (SCREWS_T12,)], ids=["alone", "beside a fixed level"])
def test_findings_before_cement_alone_are_not_forgotten_beside_findings_of_unknown_order(
    earlier, said, screws
):
    # L3 was SINS 14 (or subluxed) on 30 May; its vertebroplasty is dated 31 May by its day;
    # stable findings of 31 May 12:00 may come before or after it. Had they come after it, L3
    # was unstable before cement alone (contract §6 v3), and their order would settle it. Every
    # surface gave the all-clear, and none said what L3 was on 30 May.
    resources = default_patient(
        sins=UNSTABLE_T12 if screws else STABLE_L3,
        extra=(*screws, CEMENT_L3_BY_DAY, *_l3(**earlier), *_l3_after()),
    )
    _, card_text, text, page = surfaces(decisions_for(resources))
    mitigation = _sins_risk(resources)["mitigation"]
    assert NOT_NEEDED not in mitigation, mitigation
    assert (
        f"{said} before the vertebroplasty on 31 May 2024, with findings of unknown order "
        "against it: possibly unstable before cement alone; no fixation recorded — consider "
        "surgical review."
    ) in mitigation, mitigation
    headline = next(line for line in card_text.splitlines() if "L3 SINS 2," in line)
    assert "possibly unstable" in headline, card_text
    opened = (
        f"Possibly unstable: {said if said.startswith('SINS') else said.lower()[:1] + said[1:]} "
        "before the vertebroplasty on 31 May "
        "2024, with findings of unknown order against it: unstable before cement alone if those "
        "came after it; no fixation recorded — consider surgical review."
    )
    for where in (text, page):
        assert opened in " ".join(where.split()), where
        for part in re.split(r"\n|<p>|</p>|<li>", where):
            assert not (NOT_NEEDED in part and "cement alone" in part), part


def test_noms_reads_either_at_a_level_possibly_unstable_before_cement_alone():
    # The same L3 (SINS 14 on 30 May, stable findings of an unknown order against its cement):
    # NOMS read M as "stable" from the SINS 2 of the findings it is shown from.
    resources = default_patient(
        sins=STABLE_L3, extra=(CEMENT_L3_BY_DAY, *_l3(**HIGH_L3), *_l3_after())
    )
    _, _, text, _ = surfaces(decisions_for(resources))
    m = next(
        line.strip() for line in text.splitlines() if line.strip().startswith("M: SINS 2 at L3")
    )
    assert m == (
        "M: SINS 2 at L3 — stable; SINS 14 at L3 before the vertebroplasty on 31 May 2024, with "
        "findings of unknown order against it: possibly unstable before cement alone — either"
    ), text


def test_the_procedure_check_warns_of_cement_alone_at_a_level_possibly_unstable_before_it():
    resources = default_patient(
        sins=STABLE_L3, extra=(CEMENT_L3_BY_DAY, *_l3(**SUBLUXED_L3), *_l3_after())
    )
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22511", "L3")]))
    (check,) = [c for c in cards if c.summary.startswith("Vertebroplasty L3")]
    assert check.indicator == "warning"
    assert (
        "**Warning**: Cement alone at L3: subluxation at L3 before the vertebroplasty on 31 May "
        "2024, with findings of unknown order against it: unstable before cement alone if those "
        "came after it; the case series combined cement with pedicle screw fixation."
    ) in (check.detail or ""), check.detail


def test_a_verdict_before_cement_at_a_subluxed_level_says_its_action_once():
    verdict = finding("stab", "spinal-stability", "unstable", level="L3")
    resources = default_patient(sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**SUBLUXED_L3), verdict))
    mitigation = _sins_risk(resources)["mitigation"]
    assert mitigation.count("no fixation recorded — consider surgical review") == 1, mitigation


def test_a_level_unstable_after_and_before_its_cement_says_the_action_once():
    # Subluxed before the cement and after it: the card says "… unstable then too"; the RA said
    # "no fixation recorded — consider surgical review" twice.
    resources = default_patient(
        sins=STABLE_L3,
        extra=(CEMENT_L3, *_l3(**SUBLUXED_L3), *_l3_after(**{"spinal-alignment": "subluxation"})),
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert mitigation.count("consider surgical review") == 1, mitigation
    assert (
        "Subluxation at L3 after the vertebroplasty on 31 May 2024: unstable after cement alone, "
        "and before it (subluxation); no fixation recorded — consider surgical review."
    ) in mitigation, mitigation


def test_dated_findings_of_sins_13_or_more_after_cement_alone_ask_to_re_assess():
    # Findings of 3 March (dated at the computation time) after a cement of 1 March, SINS 14:
    # the summary read "L3 SINS 14: SINS 14 (dated), unstable after cement …, unstable; …",
    # with no "re-assess" (contract §4 v3: "SINS 14 on 3 Mar (dated) — re-assess").
    dated = tuple(
        {**r, "effectiveDateTime": DATED} if r["resourceType"] == "Observation" else r
        for r in _l3(**UNSTABLE_T12)
    )
    cement = procedure("vp-l3", "22511", "L3", when="2024-03-01T10:00:00Z")
    card = score_cards(
        decide(result_of(default_patient(sins=STABLE_L3, extra=(cement, *dated))), ()), "h"
    )[0]
    assert card.indicator == "warning"
    assert "re-assess" in card.summary, card.summary
    assert card.summary.count("SINS 14") == 1, card.summary


def test_a_verdict_of_instability_recorded_after_a_levels_screws_asks_for_surgical_review():
    # T12 fixed on 20 May, recorded unstable on 30 May: the construct may not hold. Every
    # surface named the verdict and suggested nothing (contract §6 v3 is silent; a spine
    # surgeon reviews it).
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, VERDICT_T12))
    cards, _, text, page = surfaces(decisions_for(resources))
    assert cards[0].indicator == "warning"
    assert cards[0].summary == (
        "T12 fixed on 20 May 2024: SINS not applicable; recorded unstable on 30 May 2024, after "
        "its screws — consider surgical review"
    )
    said = "Recorded unstable at T12 on 30 May 2024, after its screws — consider surgical review."
    for where in (cards[0].detail or "", text, page, _sins_risk(resources)["mitigation"]):
        assert said in " ".join(where.split()), where


def test_a_verdict_recorded_before_a_levels_screws_asks_for_nothing():
    before = finding("stab", "spinal-stability", "unstable", level="T12", when="2024-05-10")
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, before))
    cards, card_text, text, _ = surfaces(decisions_for(resources))
    assert cards[0].summary == "T12 fixed on 20 May 2024: SINS not applicable"
    assert "surgical review" not in card_text + text


def test_a_verdict_at_a_fixed_level_is_not_set_against_another_levels_sins():
    # The verdict is T12's; "At L3: Stable by SINS (0–6), which does not override a recorded
    # verdict of instability" set it against L3's total. L3's words still never say "no surgical
    # consultation needed" beside it.
    resources = default_patient(
        sins=UNSTABLE_T12, extra=(SCREWS_T12, *_l3(**STABLE_L3), VERDICT_T12)
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert NOT_OVERRIDDEN not in mitigation, mitigation
    assert NOT_NEEDED not in mitigation, mitigation
    assert "At L3: Stable by SINS (0–6). SINS does not assess" in mitigation, mitigation


def _l3_unordered(earlier=HIGH_L3, *extra, after=None):
    """L3 with findings certainly before its cement (30 May), findings of an unknown order
    against it (31 May 12:00, the cement dated 31 May by its day) and ``extra``."""
    later = _l3_after(**after) if after is not None else _l3_after()
    return default_patient(
        sins=STABLE_L3, extra=(CEMENT_L3_BY_DAY, *_l3(**earlier), *later, *extra)
    )


def test_a_verdict_of_instability_against_the_cement_stays_certain_beside_findings_before_it():
    # A surgeon's "unstable" on 20 May, before the cement: certainly unstable with cement
    # alone. The detail ended "Unstable, with cement alone; …" and now read "Possibly unstable".
    verdict = finding(
        "stab", "spinal-stability", "unstable", level="L3", when="2024-05-20T09:00:00Z"
    )
    _, _, text, page = surfaces(decisions_for(_l3_unordered(HIGH_L3, verdict)))
    for where in (text, page):
        flat = " ".join(where.split())
        assert "Unstable, with cement alone; no fixation recorded — consider surgical review." in (
            flat
        ), where
        assert "Possibly unstable: SINS 14" not in flat, where


def test_what_settles_a_range_stays_said_beside_findings_before_the_cement():
    # Subluxed before the cement; the findings of unknown order reach SINS 10–13 by a
    # conflicting collapse: "settle the conflicting collapse" was lost.
    shown = {"spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
             "spinal-alignment": "de-novo-deformity", "vertebral-body-collapse": "none",
             "posterolateral-involvement": "unilateral"}  # fmt: skip
    conflict = finding("l3-conf", "vertebral-body-collapse", "gt-50", level="L3",
                       when="2024-05-31T12:00:00Z")  # fmt: skip
    resources = _l3_unordered(SUBLUXED_L3, conflict, after=shown)
    _, _, text, page = surfaces(decisions_for(resources))
    for where in (text, page):
        assert "settle the conflicting collapse" in " ".join(where.split()), where


def test_a_stable_verdict_given_after_the_findings_before_the_cement_is_read_by_noms():
    # The surgeon said "stable" an hour after the SINS 14 findings, both before the cement:
    # NOMS reads the verdict over SINS, as it does when every finding is before the cement.
    verdict = finding("stab", "spinal-stability", "stable", level="L3", when="2024-05-30T10:00:00Z")
    _, _, text, _ = surfaces(decisions_for(_l3_unordered(HIGH_L3, verdict)))
    lines = [line.strip() for line in text.splitlines()]
    paths = next(n for n, line in enumerate(lines) if line.startswith("L3: one of these paths"))
    m = next(line for line in lines[paths:] if line.startswith("M: "))
    assert m == "M: Mechanical stability of the spine: Stable (Observation/stab, 30 May 2024)", m


def test_the_order_summary_keeps_its_action_beside_findings_before_the_cement():
    cards, _, _, _ = surfaces(decisions_for(_l3_unordered(), [order("o1", "22511", "L3")]))
    (check,) = [c for c in cards if c.summary.startswith("Vertebroplasty L3")]
    assert check.summary == (
        "Vertebroplasty L3: vertebroplasty at L3 on 31 May 2024 already recorded; no Bilsky grade "
        "at L3; findings before or after it — re-image"
    )


def test_findings_a_year_before_the_cement_are_said_as_dated():
    old = default_patient(
        sins=STABLE_L3,
        extra=(
            CEMENT_L3_BY_DAY,
            condition("met-l3", "C79.51", level="L3"),
            *(
                finding(f"l3-{code}", code, answer, level="L3", when="2023-06-01T09:00:00Z")
                for code, answer in {**SINS_AT_T12, **HIGH_L3}.items()
            ),
            *_l3_after(),
        ),
    )
    assert (
        "SINS 14 (dated) at L3 before the vertebroplasty on 31 May 2024"
        in (_sins_risk(old)["mitigation"])
    )


@pytest.mark.parametrize(
    ("resources", "drawn"),
    [
        pytest.param(
            default_patient(sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**SUBLUXED_L3))),
            "L3 SINS 6 before the vertebroplasty (stable by SINS) · unstable with cement alone",
            id="subluxed before the cement",
        ),
        pytest.param(
            default_patient(
                sins=STABLE_L3,
                extra=(procedure("vp-l3", "22511", "L3", when="2024-05-30"), *_l3(**SUBLUXED_L3)),
            ),
            "L3 SINS 6 not known to be before or after the vertebroplasty (stable by SINS) · "
            "unstable with cement alone",
            id="subluxed, of unknown order",
        ),
        pytest.param(
            _l3_unordered(),
            "L3 SINS 2 not known to be before or after the vertebroplasty (stable by SINS) · possibly "
            "unstable with cement alone",
            id="SINS 14 before, stable of unknown order",
        ),
        pytest.param(
            default_patient(sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**SUBLUXED_L3), *_l3_after())),
            "L3 SINS 2 (stable by SINS) · unstable with cement alone",
            id="subluxed before, stable after",
        ),
    ],
)
def test_the_spine_drawing_never_shows_a_level_the_card_warns_of_as_only_stable(resources, drawn):
    # The card warns "unstable before cement alone; no fixation recorded — consider surgical
    # review"; the page's drawing labelled the level "· stable", its SINS band, and nothing else.
    _, _, _, page = surfaces(decisions_for(resources))
    label = html.unescape(re.search(r'aria-label="(Spine from[^"]*)"', page)[1])
    assert drawn in label, label
    shown = drawn.removeprefix("L3 ").replace(
        " (stable by SINS)", " · stable by SINS"
    )  # the box's own words
    assert shown in html.unescape(page), page


def _l1(**changed: str) -> tuple[dict, ...]:
    return (
        condition("met-l1", "C79.51", level="L1"),
        *(
            finding(f"l1-{code}", code, answer, level="L1")
            for code, answer in {**SINS_AT_T12, **changed}.items()
        ),
    )


@pytest.mark.parametrize(
    ("screws", "said"),
    [
        pytest.param(
            (procedure("fix", "22842", "T12", "L1", when="2024-05-20T10:00:00Z"),),
            "T12 and L1 were fixed with screws on 20 May 2024: SINS is not applicable to "
            "instrumented levels and is not re-scored.",
            id="one construct",
        ),
        pytest.param(
            (SCREWS_T12, procedure("fix2", "22842", "L1", when="2024-05-21T10:00:00Z")),
            "T12 was fixed with screws on 20 May 2024: SINS is not applicable to an instrumented "
            "level and is not re-scored; L1 was fixed with screws on 21 May 2024: SINS is not "
            "applicable to an instrumented level and is not re-scored.",
            id="two constructs",
        ),
    ],
)
def test_the_risk_assessment_names_every_fixed_level_tied_for_the_worst(screws, said):
    # T12 and L1 both SINS 15, both fixed: the RiskAssessment describes both (its basis cites
    # both) but said only "T12 was fixed …".
    resources = default_patient(sins=UNSTABLE_T12, extra=(*screws, *_l1(**UNSTABLE_T12)))
    assert _sins_risk(resources)["mitigation"] == said


@pytest.mark.parametrize(
    ("cement", "said"),
    [
        pytest.param(
            CEMENT_L3,
            "SINS 14 at L3 before the vertebroplasty on 31 May 2024: unstable before cement alone; "
            "no fixation recorded — consider surgical review.",
            id="before the cement",
        ),
        pytest.param(
            procedure("vp-l3", "22511", "L3", when="2024-05-30"),
            "SINS 14 at L3, not known to be before or after the vertebroplasty on 30 May 2024: "
            "unstable either way; no fixation recorded — consider surgical review.",
            id="of unknown order",
        ),
    ],
)
def test_sins_13_or_more_before_cement_alone_is_said_as_the_card_says_it(cement, said):
    # The card: "L3 SINS 14 before cement on 31 May 2024: unstable before cement alone; no
    # fixation recorded — consider surgical review". The RiskAssessment gave the band's words
    # alone, and words the same SINS 14 as cement alone only once later findings re-score L3.
    resources = default_patient(sins=STABLE_L3, extra=(cement, *_l3(**HIGH_L3)))
    cards = score_cards(decide(result_of(resources), ()), "h")
    assert "cement" in cards[0].summary and cards[0].indicator == "warning", cards[0].summary
    mitigation = _sins_risk(resources)["mitigation"]
    assert said in mitigation, mitigation
    assert mitigation.count("no fixation recorded") == 1, mitigation


@pytest.mark.parametrize(
    ("verdict_time", "screws"),
    [
        pytest.param("2024-05-20", SCREWS_T12, id="the screws' day, dated by its day"),
        pytest.param(
            "2024-05-20T15:00:00Z",
            procedure("fix", "22842", "T12", when="2024-05-20"),
            id="screws dated by their day",
        ),
        pytest.param("2024-05", SCREWS_T12, id="dated by its month"),
        pytest.param(None, SCREWS_T12, id="no date"),
    ],
)
def test_a_verdict_not_known_to_follow_the_screws_is_never_said_to(verdict_time, screws):
    # The same day's "unstable" is as likely the verdict that led to the screws: "after its
    # screws" stated a sequence the record does not hold, on every surface and in the record.
    verdict = finding("stab", "spinal-stability", "unstable", level="T12", when=verdict_time or NOW)
    if verdict_time is None:
        del verdict["effectiveDateTime"]
    resources = default_patient(sins=UNSTABLE_T12, extra=(screws, verdict))
    _, card_text, text, page = surfaces(decisions_for(resources))
    for where in (card_text, text, page, _sins_risk(resources)["mitigation"]):
        assert "after its screws" not in where, where


def test_an_old_verdict_after_the_screws_is_said_in_one_sentence():
    screws = procedure("fix", "22842", "T12", when="2023-06-01T10:00:00Z")
    verdict = finding(
        "stab", "spinal-stability", "unstable", level="T12", when="2023-09-01T09:00:00Z"
    )
    resources = default_patient(sins=UNSTABLE_T12, extra=(screws, verdict))
    _, _, text, _ = surfaces(decisions_for(resources))
    said = (
        "Recorded unstable at T12 on 1 Sep 2023 (dated), after its screws — re-assess it and "
        "consider surgical review."
    )
    assert said in _sins_risk(resources)["mitigation"]
    assert said in " ".join(text.split()), text


def test_a_verdict_after_the_screws_beside_a_fracture_since_keeps_its_action_in_the_summary():
    fracture = condition("fx", "M84.58XA", level="T12", onset="2024-06-01T08:00:00Z")
    resources = default_patient(extra=(SCREWS_T12, fracture, VERDICT_T12))
    summary = score_cards(decide(result_of(resources), ()), "h")[0].summary
    assert summary.endswith("consider surgical review") and "re-image" in summary, summary
    assert len(summary) < 140


def test_a_verdict_at_a_level_not_fixed_is_not_set_against_another_ones_sins():
    # T12 fixed; the verdict is L3's; L4 (SINS 4) is the level the words beside the fixed one
    # describe: "At L4: Stable by SINS (0–6), which does not override a recorded verdict".
    l3_verdict = finding("stab3", "spinal-stability", "unstable", level="L3")
    resources = default_patient(
        sins=UNSTABLE_T12,
        extra=(
            SCREWS_T12,
            *_l3(**STABLE_L3),
            l3_verdict,
            *_l4(**{"bone-lesion-quality": "blastic", "spinal-pain": "pain-free"}),
        ),
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert "At L4: Stable by SINS (0–6). SINS does not assess" in mitigation, mitigation
    assert NOT_NEEDED not in mitigation, mitigation


@pytest.mark.parametrize(
    ("conflict", "said"),
    [
        pytest.param(
            finding(
                "l3-after-al2",
                "spinal-alignment",
                "subluxation",
                level="L3",
                when="2024-05-31T12:00:00Z",
            ),
            "alignment conflicting at L3",
            id="alignment",
        ),
        pytest.param(
            finding(
                "l3-after-pl2",
                "posterolateral-involvement",
                "bilateral",
                level="L3",
                when="2024-05-31T12:00:00Z",
            ),
            "posterolateral involvement conflicting at L3",
            id="posterolateral involvement",
        ),
    ],
)
def test_a_level_possibly_unstable_after_cement_alone_is_never_shown_as_only_stable(conflict, said):
    # Findings after L3's cement alone disagree: a subluxation (or bilateral involvement) or not.
    # Cement cannot treat either; the card showed "SINS 2–6 at L3 (stable)" and the text "no
    # surgical consultation needed", as it does not for the same conflict before the cement.
    resources = default_patient(
        sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**STABLE_L3), *_l3_after(), conflict)
    )
    _, card_text, text, page = surfaces(decisions_for(resources))
    line = next(line for line in card_text.splitlines() if "at L3" in line or "L3 SINS" in line)
    assert "possibly unstable after cement alone" in line, card_text
    for where in (text, page):
        flat = " ".join(where.split())
        assert f"Possibly unstable after cement alone: {said}" in flat, where
        for part in re.split(r"\n|<p>|</p>|<li>", where):
            assert not (NOT_NEEDED in part and "cement alone" in part), part


def test_findings_of_an_unknown_order_in_conflict_with_cement_alone_say_what_settles_them():
    # L3 cemented on 31 May (by day), its findings that day in conflict on a subluxation: the
    # SINS card's line said "possibly unstable — re-assess" while the outcome card and the SINS
    # RiskAssessment said "possibly unstable with cement alone — settle the conflicting
    # alignment": one decision, every surface (contract §4 v3).
    conflict = finding("l3-after-al2", "spinal-alignment", "subluxation", level="L3",
                       when="2024-05-31T12:00:00Z")  # fmt: skip
    resources = default_patient(
        sins=STABLE_L3,
        extra=(CEMENT_L3_BY_DAY, condition("met-l3", "C79.51", level="L3"), *_l3_after(), conflict),
    )
    _, card_text, _, _ = surfaces(decisions_for(resources))
    line = next(line for line in card_text.splitlines() if line.startswith("- L3 SINS"))
    assert line.endswith(
        "possibly unstable with cement alone — settle the conflicting alignment"
    ), line
    assert (
        "possibly unstable with cement alone — settle the conflicting alignment"
        in _sins_risk(resources)["mitigation"]
    )


def _unordered(level: str, *extra: dict, drop: tuple[str, ...] = ()) -> list[dict]:
    """``level`` cemented on 31 May (by day), its findings that day stable but for ``drop``,
    and ``extra``: of an unknown order against the cement."""
    answers = {**SINS_AT_T12, **STABLE_L3}
    findings = tuple(
        finding(f"{level}-after-{code}", code, answer, level=level, when="2024-05-31T12:00:00Z")
        for code, answer in answers.items()
        if code not in drop
    )
    return default_patient(
        sins=STABLE_L3,
        extra=(
            procedure("vp-x", "22511", level, when="2024-05-31"),
            condition("met-x", "C79.51", level=level),
            *findings,
            *extra,
        ),
    )


def _conflict(level: str, code: str, answer: str) -> dict:
    return finding(f"{level}-{code}-2", code, answer, level=level, when="2024-05-31T12:00:00Z")


def _line(resources, level: str) -> str:
    """The level's SINS line: the card's summary where it is the worst level, else its line."""
    cards, card_text, _, _ = surfaces(decisions_for(resources))
    lines = [cards[0].summary, *card_text.splitlines()]
    return next(line for line in lines if line.removeprefix("- ").startswith(f"{level} SINS"))


_CONFLICTS = [("spinal-alignment", "subluxation"), ("posterolateral-involvement", "bilateral")]


@pytest.mark.parametrize(("code", "answer"), _CONFLICTS, ids=["alignment", "bilateral"])
def test_a_fracture_since_unordered_findings_in_conflict_keeps_its_re_imaging_on_the_line(
    code, answer
):
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="L3")
    line = _line(_unordered("L3", _conflict("L3", code, answer), fracture), "L3")
    assert "possibly unstable" in line, line
    assert line.endswith("— re-image"), line


def test_a_bilateral_conflict_with_cement_alone_is_said_whole_on_the_line():
    line = _line(_unordered("L3", _conflict("L3", "posterolateral-involvement", "bilateral")), "L3")
    assert not line.endswith("…"), line
    assert line.endswith("settle the conflicting posterolateral involvement"), line


def test_both_conflicts_with_cement_alone_say_what_settles_them_though_the_range_reaches_7():
    # Alignment and bilateral involvement both in conflict, of an unknown order against L3's
    # cement: SINS 2–9. Either alone makes cement alone unsafe; the line said only "possibly
    # unstable — re-assess", less than it says for one conflict.
    resources = _unordered(
        "L3",
        _conflict("L3", "spinal-alignment", "subluxation"),
        _conflict("L3", "posterolateral-involvement", "bilateral"),
    )
    line = _line(resources, "L3")
    assert "SINS 2–9" in line, line
    assert line.endswith("— settle the conflicting alignment, posterolateral involvement"), line


def test_a_range_with_a_finding_missing_and_one_in_conflict_names_both():
    # Pain missing and alignment in conflict at T12 (SINS 3–10): "could be up to 10 — record
    # pain" alone, as if recording pain could settle a subluxation the findings disagree on.
    conflict = finding("t12-al2", "spinal-alignment", "subluxation", level="T12")
    sins = {"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}
    resources = default_patient(sins=sins, drop=("t12-spinal-pain",), extra=(conflict,))
    cards, _, _, _ = surfaces(decisions_for(resources))
    assert "record pain; settle the conflicting alignment" in cards[0].summary, cards[0].summary


def test_unordered_findings_in_conflict_with_one_missing_say_both_on_the_line_and_in_the_risk():
    # L3 alignment in conflict, lesion quality never recorded, of an unknown order against its
    # cement alone (SINS 2–8): the line said "re-assess", the RiskAssessment "record lesion
    # quality"; neither named the conflict.
    resources = _unordered(
        "L3", _conflict("L3", "spinal-alignment", "subluxation"), drop=("bone-lesion-quality",)
    )
    line = _line(resources, "L3")
    assert "settle the conflicting alignment" in line, line
    assert "settle the conflicting alignment" in _sins_risk(resources)["mitigation"]


def _at_t12(code: str, answer: str, **extra: str) -> dict:
    return finding(f"t12-{code}-2", code, answer, level="T12", **extra)


_PAIN_FREE = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none"}
_BOTH = (
    _at_t12("spinal-alignment", "subluxation"),
    _at_t12("posterolateral-involvement", "bilateral"),
)
_RANGES = {
    "two missing, two in conflict": default_patient(
        drop=("t12-bone-lesion-quality", "t12-vertebral-body-collapse"), extra=_BOTH
    ),
    "a preliminary pain, one in conflict": default_patient(
        drop=("t12-spinal-pain",),
        extra=(_at_t12("spinal-pain", "mechanical", status="preliminary"), _BOTH[1]),
    ),
    "four missing, one in conflict": default_patient(
        sins={"spinal-alignment": "normal"},
        drop=tuple(f"t12-{c}" for c in SINS_AT_T12 if c != "spinal-alignment"),
        extra=(_BOTH[0],),
    ),
    "a fracture since, two missing, two in conflict": default_patient(
        drop=("t12-spinal-pain", "t12-bone-lesion-quality"),
        extra=(condition("fx", "M84.58XA", onset="2024-05-31T08:00:00Z", level="T12"), *_BOTH),
    ),
}


@pytest.mark.parametrize("resources", _RANGES.values(), ids=_RANGES.keys())
def test_a_range_summary_drops_the_conflict_before_cutting_what_to_record(resources):
    # Findings in conflict named after the missing ones made summaries end "settle the…" or
    # cut the list of findings to record ("record pain, lesion…"), which §4 v3 asks for whole.
    cards, _, _, _ = surfaces(decisions_for(resources))
    assert not cards[0].summary.endswith("…"), cards[0].summary


def test_a_range_beside_a_verdict_keeps_sins_does_not_override_it_before_the_conflict():
    verdict = finding("stab", "spinal-stability", "unstable", level="T12")
    sins = {"bone-lesion-quality": "blastic", "vertebral-body-collapse": "none"}
    resources = default_patient(sins=sins, drop=("t12-spinal-pain",), extra=(verdict, *_BOTH))
    summary = surfaces(decisions_for(resources))[0][0].summary
    assert "SINS does not override it" in summary, summary
    assert "could be up to 13 (unstable)" in summary, summary


def test_a_possible_instability_before_cement_alone_names_the_conflict_first():
    # Cement on 31 May after the 30 May findings at T12, lesion quality missing, alignment and
    # bilateral involvement in conflict: the line stopped before the conflict cement cannot treat.
    summary = _cement_summary(*_BOTH, sins=_PAIN_FREE, drop=("t12-bone-lesion-quality",))
    # "before cement alone" may give way to the findings to record (the head says "before
    # cement"); the conflict stays first.
    assert "possibly unstable" in summary, summary
    assert (
        summary.split("possibly unstable", 1)[1]
        .split(" — ", 1)[1]
        .startswith("settle the conflicting alignment")
    ), summary


def test_another_levels_line_in_the_detail_keeps_its_conflict_whole():
    # L3 (not the worst level shown first): mechanical pain, bilateral involvement in conflict,
    # three findings missing. Its line in the card's detail was cut to a summary's length and
    # lost the conflict, which nothing else on the card names.
    l3 = (
        condition("met-l3", "C79.51", level="L3"),
        finding("l3-pain", "spinal-pain", "mechanical", level="L3"),
        _conflict("L3", "posterolateral-involvement", "none") | {"id": "l3-pl"},
        _conflict("L3", "posterolateral-involvement", "bilateral"),
    )
    _, card_text, _, _ = surfaces(decisions_for(default_patient(extra=l3)))  # T12: SINS 10
    line = next(
        line for line in card_text.splitlines() if line.startswith("- SINS") and "L3" in line
    )
    assert line.endswith("settle the conflicting posterolateral involvement"), line


def test_a_range_with_a_fracture_since_keeps_what_to_record_whole():
    resources = default_patient(
        drop=("t12-spinal-pain", "t12-bone-lesion-quality"),
        extra=(condition("fx", "M84.58XA", onset="2024-05-31T08:00:00Z"), *_BOTH),
    )
    summary = surfaces(decisions_for(resources))[0][0].summary
    assert not summary.endswith("…"), summary
    assert "record pain, lesion quality" in summary, summary


def test_a_possible_instability_before_cement_alone_fits_whole_without_the_cements_day():
    summary = _cement_summary(*_BOTH, sins=_PAIN_FREE, drop=("t12-bone-lesion-quality",))
    assert not summary.endswith("…"), summary


@pytest.mark.parametrize(
    ("sins", "drop", "missing"),
    [
        ({}, ("t12-bone-lesion-quality",), "record lesion quality"),
        ({"spinal-pain": "pain-free"},
         ("t12-bone-lesion-quality", "t12-posterolateral-involvement"),
         "record lesion quality, posterolateral involvement"),
    ],
    ids=["lesion quality", "lesion quality and posterolateral involvement"],
)  # fmt: skip
def test_a_range_beside_a_levelless_fracture_since_never_drops_what_to_record_silently(
    sins, drop, missing
):
    # "— fracture coded since: re-image, or record its level": whole-looking, with the findings
    # to record gone (§4 v3 names them), and no "…" to say something was left out.
    fracture = condition("fx", "M84.58XA", onset="2024-05-31T08:00:00Z")
    summary = surfaces(decisions_for(default_patient(sins=sins, drop=drop, extra=(fracture,))))[0][
        0
    ].summary
    assert missing in summary or summary.endswith("…"), summary


def test_another_levels_line_beside_a_verdict_keeps_its_conflict_whole():
    l3 = (
        condition("met-l3", "C79.51", level="L3"),
        finding("l3-stab", "spinal-stability", "unstable", level="L3"),
        finding("l3-bl", "bone-lesion-quality", "blastic", level="L3"),
        finding("l3-co", "vertebral-body-collapse", "none", level="L3"),
        _conflict("L3", "spinal-alignment", "normal") | {"id": "l3-al1"},
        _conflict("L3", "spinal-alignment", "subluxation"),
        _conflict("L3", "posterolateral-involvement", "none") | {"id": "l3-pl1"},
        _conflict("L3", "posterolateral-involvement", "bilateral"),
    )
    _, card_text, _, _ = surfaces(decisions_for(default_patient(extra=l3)))  # T12: SINS 10
    line = next(
        line for line in card_text.splitlines() if line.startswith("- SINS") and "L3" in line
    )
    assert "settle the conflicting alignment, posterolateral involvement" in line, line


def _cement_summary(*extra: dict, sins: dict[str, str] | None = None, drop=()) -> str:
    cement = procedure("vp", "22510", "T12", when="2024-05-31T10:00:00Z")
    resources = default_patient(sins=sins, drop=drop, extra=(*extra, cement))
    return surfaces(decisions_for(resources))[0][0].summary


def test_cement_alone_is_settled_by_what_is_missing_not_by_a_collapse_conflict():
    # Alignment and posterolateral involvement never recorded, collapse in conflict: cement
    # treats collapse, so settling it cannot say whether cement alone is enough; the missing
    # findings can. The line said only "— settle the conflicting collapse".
    summary = _cement_summary(
        _at_t12("vertebral-body-collapse", "gt-50"),
        drop=("t12-spinal-alignment", "t12-posterolateral-involvement"),
    )
    assert "record alignment, posterolateral involvement" in summary, summary


def test_cement_alone_keeps_what_to_record_beside_a_conflict_or_marks_the_cut():
    # Pain and posterolateral involvement missing, alignment in conflict: "— settle the
    # conflicting alignment" alone, the findings to record dropped with no "…".
    summary = _cement_summary(
        _at_t12("spinal-alignment", "subluxation"),
        drop=("t12-spinal-pain", "t12-posterolateral-involvement"),
    )
    assert summary.startswith("T12 SINS 7–17 before cement"), summary
    # "Alone" says no fixation was done, as the detail and the order card say.
    assert "cement alone" in summary, summary
    assert "settle the conflicting alignment" in summary, summary
    assert "record pain, posterolateral involvement" in summary or summary.endswith("…"), summary


def test_cement_alone_beside_a_fracture_of_unknown_order_keeps_what_settles_it_or_marks_the_cut():
    # Findings and cement on 30 May, a fracture the same day, alignment in conflict and
    # posterolateral involvement missing: "… — re-image; possibly unstable", nothing after.
    cement = procedure("vp", "22510", "T12", when="2024-05-30T10:00:00Z")
    resources = default_patient(
        sins={"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
              "vertebral-body-collapse": "none"},
        drop=("t12-posterolateral-involvement",),
        extra=(cement, _at_t12("spinal-alignment", "subluxation"),
               condition("fx", "M84.58XA", onset="2024-05-30", level="T12")),
    )  # fmt: skip
    summary = surfaces(decisions_for(resources))[0][0].summary
    assert "re-image" in summary, summary
    assert not summary.endswith("possibly unstable"), summary


def test_cement_alone_and_a_fracture_since_keep_the_fracture_whatever_settles_the_range():
    # Both conflicts, lesion quality missing, a fracture coded since the cement: the line was
    # "… possibly unstable — settle the conflicting alignment, posterolateral involvement;
    # record lesion quality…", the fracture and its re-imaging gone.
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12")
    summary = _cement_summary(*_BOTH, fracture, drop=("t12-bone-lesion-quality",))
    assert "fracture coded after it — re-image" in summary, summary


def test_what_settles_a_conflict_with_cement_alone_names_the_conflict_before_what_is_missing():
    # T5 (1 point), lesion quality never recorded, bilateral involvement in conflict: SINS 1–6.
    # "Record lesion quality" alone cannot settle what cement cannot treat.
    bilateral = _conflict("T5", "posterolateral-involvement", "bilateral")
    resources = _unordered("T5", bilateral, drop=("bone-lesion-quality",))
    settle = "settle the conflicting posterolateral involvement; record lesion quality"
    line = _line(resources, "T5")
    assert "SINS 1–6" in line, line
    assert settle in line or line.endswith("settle the conflicting posterolateral involvement"), (
        line
    )
    assert settle in _sins_risk(resources)["mitigation"]


def test_a_verdict_after_cement_alone_beside_a_fracture_since_stays_certain():
    # Recorded unstable after T12's cement alone, a fracture coded since: certainly unstable
    # with cement alone; the detail read "Possibly unstable after cement alone" instead.
    resources = default_patient(
        sins={"spinal-pain": "pain-free", "vertebral-body-collapse": "none"},
        extra=(
            procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
            VERDICT_T12,
            condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12"),
        ),
    )
    _, card_text, text, _ = surfaces(decisions_for(resources))
    for where in (card_text, text):
        flat = " ".join(where.split())
        assert "Unstable, with cement alone; no fixation recorded — consider surgical review." in (
            flat
        ), where
        assert "Possibly unstable after cement alone" not in flat, where


@pytest.mark.parametrize("level", ["T12", None], ids=["at the level", "with no level"])
def test_a_fracture_since_cement_alone_is_no_conflict_of_findings(level):
    # Alignment recorded once, normal, after T12's cement; a fracture coded since may make it
    # worse: that is the range's and the fracture's to say ("could be up to 13 (unstable) —
    # fracture coded since: re-image"), not "possibly unstable after cement alone".
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level=level)
    resources = default_patient(
        sins=STABLE_L3,
        extra=(procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"), fracture),
    )
    cards, card_text, text, page = surfaces(decisions_for(resources))
    assert "could be up to 13 (unstable)" in cards[0].summary, cards[0].summary
    for where in (card_text, text, page):
        assert "possibly unstable after cement alone" not in where.lower(), where


def test_a_range_after_cement_alone_keeps_its_reach_beside_a_conflict():
    # Only the alignment re-imaged after L3's cement, in conflict: the range 2–17 could reach
    # the unstable band, which the line keeps; the detail says what the conflict means.
    conflict = (
        finding("l3-a1", "spinal-alignment", "normal", level="L3", when="2024-05-31T12:00:00Z"),
        finding(
            "l3-a2", "spinal-alignment", "subluxation", level="L3", when="2024-05-31T12:00:00Z"
        ),
    )
    resources = default_patient(sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**STABLE_L3), *conflict))
    _, card_text, text, _ = surfaces(decisions_for(resources))
    line = next(line for line in card_text.splitlines() if "L3" in line and "SINS" in line)
    assert "could be up to 17 (unstable)" in line, card_text
    assert "Possibly unstable after cement alone: alignment conflicting at L3" in " ".join(
        text.split()
    ), text


def _l3_conflicting_after() -> list[dict]:
    """L3 cemented alone on 31 May, stable before it; after it, stable findings and a
    subluxation recorded beside the normal alignment at the same time."""
    conflict = finding("l3-after-al2", "spinal-alignment", "subluxation", level="L3",
                       when="2024-05-31T12:00:00Z")  # fmt: skip
    return default_patient(
        sins=STABLE_L3, extra=(CEMENT_L3, *_l3(**STABLE_L3), *_l3_after(), conflict)
    )


def test_a_settled_band_after_cement_alone_names_the_conflict_to_settle():
    resources = _l3_conflicting_after()
    _, card_text, _, _ = surfaces(decisions_for(resources))
    assert (
        "L3 SINS 2–6 after cement on 31 May 2024: possibly unstable after cement alone — settle "
        "the conflicting alignment"
    ) in card_text, card_text


def test_noms_reads_either_at_a_level_possibly_unstable_after_cement_alone():
    # The card says "possibly unstable after cement alone — settle the conflicting alignment";
    # NOMS read M as stable from the SINS 2–6 of those findings.
    resources = _l3_conflicting_after()
    _, _, text, _ = surfaces(decisions_for(resources))
    lines = [line.strip() for line in text.splitlines()]
    paths = next(n for n, line in enumerate(lines) if line.startswith("L3: "))
    m = next(line for line in lines[paths:] if line.startswith("M: "))
    assert m == (
        "M: SINS 2–6 at L3 — stable; alignment conflicting at L3 (subluxation/normal, 31 May "
        "2024), after the vertebroplasty on 31 May 2024: possibly unstable after cement alone — "
        "either"
    ), m


def _noms_m(text: str, level: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    paths = next(n for n, line in enumerate(lines) if line.startswith(f"{level}: "))
    return next(line for line in lines[paths:] if line.startswith("M: "))


def _stable_l3(when: str) -> dict:
    return finding("stab", "spinal-stability", "stable", level="L3", when=when)


def test_noms_names_the_conflict_after_cement_alone_that_a_later_stable_verdict_settles():
    # Recorded stable at L3 after the conflicting findings: NOMS read M as "Stable (…)" with no
    # word of the conflict the card asks to settle.
    resources = [*_l3_conflicting_after(), _stable_l3("2024-05-31T13:00:00Z")]
    _, _, text, _ = surfaces(decisions_for(resources))
    assert _noms_m(text, "L3") == (
        "M: Mechanical stability of the spine: Stable (Observation/stab, 31 May 2024); SINS 2–6 "
        "at L3 — stable; alignment conflicting at L3 (subluxation/normal, 31 May 2024), after the "
        "vertebroplasty on 31 May 2024: possibly unstable after cement alone — the recorded "
        "verdict is read over it"
    )


@pytest.mark.parametrize(
    ("when", "unseen"),
    [
        ("2024-05-31T11:00:00Z", "from findings recorded since the verdict"),
        ("2024-05-31", "from findings not known to be before the verdict"),
    ],
    ids=["before the conflict", "its order unknown"],
)
def test_a_stable_verdict_that_may_not_have_seen_the_conflict_after_cement_leaves_noms_either(
    when, unseen
):
    # Recorded stable after the cement but before (or of an unknown order against) the
    # conflicting findings: NOMS read M as stable while the card said possibly unstable.
    resources = [*_l3_conflicting_after(), _stable_l3(when)]
    _, _, text, _ = surfaces(decisions_for(resources))
    m = _noms_m(text, "L3")
    assert m.endswith(f"possibly unstable after cement alone, {unseen} — either"), m


def test_the_sins_detail_names_a_stable_verdict_noms_reads_over_a_conflict_after_cement():
    resources = [*_l3_conflicting_after(), _stable_l3("2024-05-31T13:00:00Z")]
    _, card_text, text, page = surfaces(decisions_for(resources))
    # The card's line keeps its warning: a "stable" verdict changes no SINS output.
    assert "possibly unstable after cement alone — settle the conflicting alignment" in card_text
    said = (
        "Recorded stable at L3 on 31 May 2024: NOMS reads it as the level's mechanical "
        "stability; the findings after cement alone still conflict on what cement cannot treat "
        "— settle them."
    )
    assert said in " ".join(text.split()), text
    assert said in " ".join(html.unescape(page).split())


_CONFLICT_L3 = finding(
    "l3-after-al2", "spinal-alignment", "subluxation", level="L3", when="2024-05-31T12:00:00Z"
)
_STILL = "still conflict on what cement cannot treat"


@pytest.mark.parametrize(
    "extra",
    [
        (CEMENT_L3, *_l3(**SUBLUXED_L3), *_l3_after(), _CONFLICT_L3),  # unstable before cement
        (
            CEMENT_L3,
            *_l3(**STABLE_L3),
            *(f for f in _l3_after() if "collapse" not in f["id"]),  # a range: collapse unknown
            _CONFLICT_L3,
        ),
        (
            CEMENT_L3,
            *_l3(**STABLE_L3),
            *_l3_after(**{"bone-lesion-quality": "lytic"}),
            _CONFLICT_L3,
        ),
    ],
    ids=["unstable before the cement", "a range", "SINS 4–8"],
)
def test_a_stable_verdict_names_the_conflict_only_where_noms_and_the_card_do(extra):
    # The sentence "…: NOMS reads it as the level's mechanical stability; the findings after
    # cement alone still conflict …" was added where the card called the level unstable before
    # cement alone, or where SINS read either and NOMS never named the conflict.
    resources = default_patient(extra=(SCREWS_T12, *extra, _stable_l3("2024-05-31T13:00:00Z")))
    _, _, text, _ = surfaces(decisions_for(resources))
    assert _STILL not in " ".join(text.split()), text


def test_noms_and_the_detail_agree_on_a_conflict_after_cement_beside_a_stable_verdict():
    resources = [*_l3_conflicting_after(), _stable_l3("2024-05-31T13:00:00Z")]
    _, _, text, _ = surfaces(decisions_for(resources))
    m = _noms_m(text, "L3")
    assert _STILL in " ".join(text.split())
    assert "possibly unstable after cement alone — the recorded verdict is read over it" in m
    assert "settles it" not in m


def test_a_metastasis_condition_dated_after_a_stable_verdict_is_no_finding_it_did_not_see():
    # Every SINS finding at L3 is older than the surgeon's "stable"; only the metastasis
    # Condition (the location) was recorded later: NOMS read "from findings recorded since the
    # verdict — either".
    def at(when: str, tag: str, answers: dict) -> tuple:
        return tuple(
            finding(f"l3-{tag}-{code}", code, answer, level="L3", when=when)
            for code, answer in {**SINS_AT_T12, **STABLE_L3, **answers}.items()
        )

    resources = default_patient(
        extra=(
            condition("met-l3", "C79.51", level="L3", onset="2024-05-01"),
            procedure("vp-l3", "22511", "L3", when="2024-01-10T10:00:00Z"),
            *at("2024-01-09T09:00:00Z", "b", {}),
            *at("2024-01-10T12:00:00Z", "a", {}),
            finding(
                "l3-a-al2",
                "spinal-alignment",
                "subluxation",
                level="L3",
                when="2024-01-10T12:00:00Z",
            ),
            _stable_l3("2024-01-10T13:00:00Z"),
        )
    )
    _, _, text, _ = surfaces(decisions_for(resources))
    m = _noms_m(text, "L3")
    assert "recorded since the verdict" not in m, m
    assert m.endswith("the recorded verdict is read over it"), m


@pytest.mark.parametrize("screws", [(), (SCREWS_T12,)], ids=["alone", "beside a fixed level"])
def test_the_risk_assessment_gives_no_all_clear_at_a_level_possibly_unstable_after_cement(screws):
    # The card: "L3 SINS 2–6 after cement on 31 May 2024: possibly unstable after cement alone —
    # settle the conflicting alignment", its detail "consider surgical review"; the
    # RiskAssessment written back: "Stable (SINS 0–6): no surgical consultation needed".
    resources = [*_l3_conflicting_after(), *screws]
    mitigation = _sins_risk(resources)["mitigation"]
    assert (
        "L3 SINS 2–6 after the vertebroplasty on 31 May 2024: possibly unstable after cement "
        "alone — settle the conflicting alignment; no fixation recorded — consider surgical "
        "review."
    ) in mitigation, mitigation
    assert "no surgical consultation needed" not in mitigation


def _l3_conflicting_unordered() -> list[dict]:
    """As :func:`_l3_conflicting_after`, the cement dated by its day alone: the conflicting
    findings of 31 May may come before or after it."""
    by_day = procedure("vp-l3", "22511", "L3", when="2024-05-31")
    return [r for r in _l3_conflicting_after() if r.get("id") != "vp-l3"] + [by_day]


def test_noms_and_the_risk_assessment_read_a_conflict_of_unknown_order_against_cement():
    # The detail: "Possibly unstable: alignment conflicting at L3 …: settle it — subluxation
    # would need fixation …; no fixation recorded — consider surgical review"; NOMS read "SINS
    # 2–6 at L3 — stable" and the RiskAssessment "no surgical consultation needed".
    resources = _l3_conflicting_unordered()
    _, _, text, _ = surfaces(decisions_for(resources))
    assert _noms_m(text, "L3") == (
        "M: SINS 2–6 at L3 — stable; alignment conflicting at L3 (subluxation/normal, 31 May "
        "2024), not known to be before or after the vertebroplasty on 31 May 2024: possibly "
        "unstable with cement alone — either"
    )
    mitigation = _sins_risk(resources)["mitigation"]
    assert (
        "L3 SINS 2–6, findings not known to be before or after the vertebroplasty on 31 May "
        "2024: possibly unstable with cement alone — settle the conflicting alignment; no "
        "fixation recorded — consider surgical review."
    ) in mitigation, mitigation
    assert "no surgical consultation needed" not in mitigation


@pytest.mark.parametrize("conflict", [_l3_conflicting_after, _l3_conflicting_unordered],
                         ids=["after the cement", "of unknown order"])  # fmt: skip
@pytest.mark.parametrize("screws", [(), (SCREWS_T12,)], ids=["alone", "beside a fixed level"])
def test_the_risk_assessments_possible_instability_with_cement_is_one_sentence(conflict, screws):
    # Beside a fixed level the RiskAssessment left out a conflict of unknown order, and each
    # new sentence ended "consider surgical review.." in the record.
    mitigation = _sins_risk([*conflict(), *screws])["mitigation"]
    assert "L3 SINS 2–6" in mitigation, mitigation
    assert ".." not in mitigation, mitigation
    assert mitigation.count("consider surgical review") == 1, mitigation


def test_a_later_stable_verdict_is_read_over_a_conflict_of_unknown_order_against_cement():
    resources = [*_l3_conflicting_unordered(), _stable_l3("2024-05-31T13:00:00Z")]
    _, _, text, _ = surfaces(decisions_for(resources))
    m = _noms_m(text, "L3")
    assert m.endswith("possibly unstable with cement alone — the recorded verdict is read over it")


def test_noms_reads_a_conflict_after_cement_alone_at_a_level_unstable_before_it():
    # The card warns "unstable before cement alone"; NOMS reads the level as it stands, and the
    # findings since the cement conflict on a subluxation: either. A rule shared with the card
    # made it "SINS 2–6 at L3 — stable" and dropped the stabilisation path.
    resources = default_patient(extra=(CEMENT_L3, *_l3(**SUBLUXED_L3), *_l3_after(), _CONFLICT_L3))
    _, _, text, _ = surfaces(decisions_for(resources))
    m = _noms_m(text, "L3")
    assert m.endswith("possibly unstable after cement alone — either"), m


def test_the_detail_names_a_stable_verdict_noms_reads_over_a_conflict_of_unknown_order():
    resources = [*_l3_conflicting_unordered(), _stable_l3("2024-05-31T13:00:00Z")]
    _, _, text, _ = surfaces(decisions_for(resources))
    assert (
        "Recorded stable at L3 on 31 May 2024: NOMS reads it as the level's mechanical stability; "
        "the findings with cement alone still conflict on what cement cannot treat — settle them."
    ) in " ".join(text.split()), text


@pytest.mark.parametrize(
    "extra",
    [
        (CEMENT_L3, *_l3(**HIGH_L3), *_l3_after(), _CONFLICT_L3),  # and a conflict since
        (CEMENT_L3, *_l3(**HIGH_L3), *_l3_after()),
        (CEMENT_L3_BY_DAY, *_l3(**SUBLUXED_L3)),  # shown from before it
        (CEMENT_L3_BY_DAY, *_l3(**HIGH_L3)),  # SINS 14 shown from before it: its band too
        (CEMENT_L3, *_l3(**STABLE_L3), *_l3_after(**{"spinal-alignment": "subluxation"})),
    ],
    ids=[
        "SINS 14 before, a conflict since",
        "SINS 14 before",
        "subluxed before",
        "SINS 14 before, nothing since",
        "subluxed only since",
    ],
)
def test_the_detail_says_why_noms_reads_a_stable_verdict_beside_cement_alone_warned_of(extra):
    # The card warns "unstable before (or after) cement alone; … consider surgical review"; NOMS
    # reads the surgeon's later "stable" as M and leaves the stabilisation path out, and nothing
    # said why.
    resources = default_patient(extra=(*extra, _stable_l3("2024-06-01T08:00:00Z")))
    _, card_text, text, page = surfaces(decisions_for(resources))
    line = next(ln for ln in card_text.splitlines() if "L3 SINS" in ln)
    assert "no fixation recorded — consider surgical review" in line, line
    assert _noms_m(text, "L3").startswith("M: Mechanical stability of the spine: Stable")
    said = (
        "Recorded stable at L3 on 1 Jun 2024: NOMS reads it as the level's mechanical stability; "
        "the warning of cement alone still stands."
    )
    assert said in " ".join(text.split()), text
    assert said in " ".join(html.unescape(page).split())


def test_a_stable_verdict_beside_sins_13_or_more_after_cement_names_the_consultation():
    # SINS 14 after the cement: the card shows the band alone ("surgical consultation
    # recommended"), no warning of cement alone, yet the sentence said that warning still stood.
    resources = default_patient(
        extra=(
            CEMENT_L3,
            *_l3(**STABLE_L3),
            *_l3_after(**HIGH_L3),
            _stable_l3("2024-06-01T08:00:00Z"),
        )
    )
    _, card_text, text, _ = surfaces(decisions_for(resources))
    assert "SINS 14 at L3 (unstable): surgical consultation recommended" in card_text, card_text
    flat = " ".join(text.split())
    assert "the warning of cement alone still stands" not in flat
    assert (
        "Recorded stable at L3 on 1 Jun 2024: NOMS reads it as the level's mechanical stability; "
        "SINS still recommends the surgical consultation."
    ) in flat, text


def test_a_revision_order_at_a_level_recorded_unstable_after_its_screws_names_the_verdict():
    # Screws again at T12, recorded unstable after its first screws: the order card said only
    # "T12 already fixed on 20 May 2024", a repeat to check, never why it may be wanted.
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, VERDICT_T12))
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22842", "T12")]))
    (check,) = [c for c in cards if c.summary.startswith("Pedicle screw fixation T12")]
    assert "T12 already fixed on 20 May 2024; recorded unstable after its screws" in check.summary
    # Its detail's line for the level says it with its action, once.
    assert (check.detail or "").count("after its screws — consider surgical review") == 1, (
        check.detail
    )


def test_a_revision_orders_summary_says_when_the_verdict_after_its_screws_is_dated():
    # A verdict nine months old read "recorded unstable after its screws" in the order's
    # summary, as if current; the card's line says "(dated)".
    screws = procedure("fix", "22842", "T12", when="2023-06-01T10:00:00Z")
    verdict = finding(
        "stab", "spinal-stability", "unstable", level="T12", when="2023-09-01T09:00:00Z"
    )
    resources = default_patient(sins=UNSTABLE_T12, extra=(screws, verdict))
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22842", "T12")]))
    (check,) = [c for c in cards if c.summary.startswith("Pedicle screw fixation T12")]
    assert check.summary.endswith(
        "T12 already fixed on 1 Jun 2023; recorded unstable (dated) after its screws"
    ), check.summary


def test_a_revision_order_without_such_a_verdict_says_nothing_of_one():
    cards, _, _, _ = surfaces(
        decisions_for(
            default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12,)), [order("o1", "22842", "T12")]
        )
    )
    (check,) = [c for c in cards if c.summary.startswith("Pedicle screw fixation T12")]
    assert "recorded unstable" not in check.summary + (check.detail or "")


def test_a_revision_orders_summary_gives_way_to_an_unmet_criterion_and_says_the_action_once():
    # The verdict's clause pushed "osteoporotic or traumatic fracture … (biopsy)" behind "+1 more",
    # and the detail said "consider surgical review" twice (its level's line and its warning).
    fracture = condition("fx", "M48.50XA", level="T12", onset="2024-05-25T08:00:00Z")
    resources = default_patient(sins=UNSTABLE_T12, extra=(SCREWS_T12, VERDICT_T12, fracture))
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22842", "T12")]))
    (check,) = [c for c in cards if c.summary.startswith("Pedicle screw fixation T12")]
    assert "more in the card" not in check.summary, check.summary
    assert "confirm tumour cause (biopsy)" in check.summary, check.summary
    assert (check.detail or "").count("consider surgical review") == 1, check.detail


@pytest.mark.parametrize(("code", "answer"), _CONFLICTS)
def test_a_conflicting_finding_is_settled_not_recorded_on_every_surface(code, answer):
    # Findings of one time disagree: "what would settle it" told the clinician to "record the
    # spinal alignment", as if none were recorded. The notes named the conflict; the action did
    # not. Recording a later finding does settle it, as does correcting the wrong one.
    t12 = finding("t12-c2", code, answer, level="T12")
    _, card_text, text, page = surfaces(decisions_for(default_patient(extra=(t12,))))
    title = {"spinal-alignment": "Alignment", "posterolateral-involvement": "Posterolateral"}[code]
    for surface in (card_text, text, html.unescape(page)):
        said = [
            line for line in re.split(r"<li>|\n", surface) if title in line and "settle" in line
        ]
        assert said, surface
        assert all("settle the conflicting findings" in line for line in said), said
        assert not any(f"{title}: record" in line for line in re.split(r"<li>|\n", surface))


@pytest.mark.parametrize(
    ("drop", "extra", "inputs"),
    [
        (("t12-spinal-pain",), (), "missing inputs"),
        ((), (finding("t12-al2", "spinal-alignment", "subluxation", level="T12"),),
         "uncertain inputs"),
        (("t12-spinal-pain",), (finding("t12-al2", "spinal-alignment", "subluxation", level="T12"),),
         "missing or uncertain inputs"),
    ],
    ids=["missing", "in conflict", "both"],
)  # fmt: skip
def test_the_sins_risk_assessment_of_a_range_names_why_it_is_not_settled(drop, extra, inputs):
    # "Not settled; depending on the missing inputs" where nothing was missing: the findings were
    # in conflict, recorded both.
    sins = {"vertebral-body-collapse": "none", "bone-lesion-quality": "lytic",
            "spinal-pain": "pain-free"}  # fmt: skip
    risk = _sins_risk(default_patient(sins=sins, drop=drop, extra=extra))
    assert risk["mitigation"].startswith(f"Not settled; depending on the {inputs}:"), risk


def test_a_prognosis_range_from_an_unassessed_metastasis_depends_on_a_missing_input():
    # A liver metastasis coded, its treatability not recorded: what settles Tomita and Tokuhashi
    # is a finding to record. Their RiskAssessments said "depending on the uncertain inputs",
    # which names conflicts or a fracture since, not what is missing.
    result = result_of(default_patient(extra=(condition("liver", "C78.7"),)))
    said = [s.risk.resource["mitigation"] for s in result.scores
            if "Not settled" in s.risk.resource.get("mitigation", "")]  # fmt: skip
    assert said, "no range to settle"
    assert all(m.startswith("Not settled; depending on the missing inputs:") for m in said), said


_GROWTH_CONFLICT = (
    finding("g1", "tomita-primary-growth", "slow"),
    finding("g2", "tomita-primary-growth", "rapid"),
)
_EXTENT_CONFLICT = (
    finding("e1", "bone-metastasis-extent", "solitary"),
    finding("e2", "bone-metastasis-extent", "multiple"),
)


@pytest.mark.parametrize(
    ("extra", "title"),
    [
        (_GROWTH_CONFLICT, "Primary tumour growth"),
        (_EXTENT_CONFLICT, "Bone metastases"),
        ((measurement("kps2", "89243-0", 40),), "General condition (KPS)"),
    ],
    ids=["tomita growth", "bone extent", "karnofsky"],
)
def test_a_conflicting_prognosis_finding_is_settled_by_correcting_or_a_later_one(extra, title):
    # Findings of one time disagree. Tomita's growth said "… or record the primary tumour
    # Condition … again", which cannot settle it (a growth finding outranks the Condition, and
    # the Condition is recorded); two Karnofsky values at one time said nothing at all.
    _, _, text, page = surfaces(decisions_for(default_patient(extra=extra)))
    expected = (
        f"{title}: settle the conflicting findings — correct what is wrong, or record a later one"
    )
    assert expected in text, text
    assert expected in html.unescape(page)
    assert "again" not in text


def test_the_page_heads_what_settles_a_range_as_the_card_does():
    # A conflict is uncertain, not missing: the card's heading says so, the page's did not.
    t12 = finding("t12-c2", "spinal-alignment", "subluxation", level="T12")
    page = surfaces(decisions_for(default_patient(extra=(t12,))))[3]
    assert "Missing or uncertain, and what would settle it" in page
    assert "Missing, and what would settle it" not in page


def test_conflicting_ecog_grades_still_ask_for_a_karnofsky():
    # ECOG 1 and 3 at one time stand in for Karnofsky: settling them leaves the range open, a
    # Karnofsky settles it. The advice had become "settle the conflicting findings" alone, and
    # the RiskAssessments "uncertain" where the Karnofsky is missing.
    ecog = (measurement("ecog", "89247-1", 1), measurement("ecog2", "89247-1", 3))
    resources = default_patient(drop=("kps",), extra=ecog)
    _, _, text, _ = surfaces(decisions_for(resources))
    assert "General condition (KPS): record a Karnofsky performance status" in text, text
    said = [s.risk.resource["mitigation"] for s in result_of(resources).scores
            if "Not settled" in s.risk.resource.get("mitigation", "")]  # fmt: skip
    assert said and all("depending on the missing inputs" in m for m in said), said


_L3_FOUND = {"spinal-pain": "non-mechanical", "bone-lesion-quality": "lytic",
             "vertebral-body-collapse": "none", "posterolateral-involvement": "none"}  # fmt: skip


def test_the_sins_risk_assessment_says_what_every_worst_level_lacks():
    # T12 and L3 tie at 5–9: T12's alignment in conflict, L3's not recorded. The words were
    # T12's alone ("uncertain"), though recording L3's alignment is as much what settles it.
    l3 = [condition("met-l3", "C79.51", level="L3"),
          *(finding(f"l3-{c}", c, a, level="L3") for c, a in _L3_FOUND.items())]  # fmt: skip
    t12 = finding("t12-al2", "spinal-alignment", "subluxation", level="T12")
    sins = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none"}
    resources = default_patient(sins=sins, extra=(*l3, t12))
    assert len(result_of(resources).worst) == 2
    mitigation = _sins_risk(resources)["mitigation"]
    assert mitigation.startswith("Not settled; depending on the missing or uncertain inputs"), (
        mitigation
    )


def test_a_finding_only_a_preliminary_report_holds_is_uncertain_not_missing():
    early = finding("t12-p-pre", "spinal-pain", "mechanical", level="T12", status="preliminary")
    sins = {"vertebral-body-collapse": "none", "bone-lesion-quality": "lytic"}
    risk = _sins_risk(default_patient(sins=sins, drop=("t12-spinal-pain",), extra=(early,)))
    assert risk["mitigation"].startswith("Not settled; depending on the uncertain inputs:"), risk
