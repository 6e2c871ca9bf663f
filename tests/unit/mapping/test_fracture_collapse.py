"""A vertebral fracture coded after the collapse finding a level's SINS uses (contract §2, §4 v3).

Real records often hold a fracture code (ICD-10-CM M84.58XA) and no new imaging finding: a
"collapse none" from before the fracture, read as current, made a level "stable — no surgical
consultation needed" beside it. The collapse may since be greater: it becomes the range from the
finding up, and the fracture is named with what settles it.
"""

from __future__ import annotations

import pytest

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring.sins import Alignment, Collapse, Pain
from adapter.vocabulary.scores import SINS_COLLAPSE
from tests.support.records import NOW, condition, default_patient

TERM = default_terminology()
FRACTURE = "M84.58XA"  # pathological fracture in neoplastic disease, vertebrae, initial encounter
STABLE = {  # T12 (3) + non-mechanical pain (1): SINS 4, stable
    "spinal-pain": "non-mechanical",
    "bone-lesion-quality": "blastic",
    "vertebral-body-collapse": "none",
}


def _l2(pain: str, lesion: str, alignment: str, collapse: str, posterolateral: str) -> list:
    """A metastasis at L2 and its five SINS findings (30 May)."""
    from tests.support.records import finding, site

    answers = {
        "spinal-pain": pain, "bone-lesion-quality": lesion, "spinal-alignment": alignment,
        "vertebral-body-collapse": collapse, "posterolateral-involvement": posterolateral,
    }  # fmt: skip
    findings = [finding(f"l2-{code}", code, a, level="L2") for code, a in answers.items()]
    return [condition("met-l2", "C79.51", bodySite=site("L2")), *findings]


def _cemented_fractured(*extra, sins=STABLE):
    """Cement at T12 on 30 May 09:30 (after the findings), a fracture coded at T12 on 31 May."""
    from tests.support.records import procedure

    fracture = condition("fx", FRACTURE, onset="2024-05-31", level="T12")
    return _result(fracture, procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"), *extra,
                   sins=sins)  # fmt: skip


def _result(*extra, sins=STABLE):
    data = patient_records(default_patient(sins=sins, extra=extra), "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW))


def test_a_fracture_coded_after_the_collapse_finding_widens_collapse_upwards_and_is_named():
    result = _result(condition("fx", FRACTURE, onset="2024-05-31"))  # the finding: 30 May
    (level,) = result.levels
    assert level.assessment.inputs.collapse.values == frozenset(Collapse)
    # pain (non-mechanical, 1) and alignment (normal, 0) may since be worse too: 4–13
    assert (level.result.total.low, level.result.total.high) == (4, 13)
    said = " ".join(level.bases[SINS_COLLAPSE.code].caveats)
    assert "is recorded after findings used" in said, said
    assert "re-image" in said
    card = score_cards(decide(result), "h")[0]
    assert "(stable)" not in card.summary, card.summary
    assert "no surgical consultation needed" not in (card.detail or "")


def test_a_partial_collapse_only_widens_to_what_is_greater():
    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31"),
        sins={**STABLE, "vertebral-body-collapse": "lt-50"},
    )
    assert result.levels[0].assessment.inputs.collapse.values == {Collapse.LT_50, Collapse.GT_50}


def test_a_fracture_before_the_finding_or_at_another_level_changes_nothing():
    for fracture in (
        condition("fx", FRACTURE, onset="2024-05-01"),
        condition("fx", FRACTURE, onset="2024-05-31", level="L3"),
    ):
        (level,) = _result(fracture).levels
        assert level.assessment.inputs.collapse.values == {Collapse.NONE}
        assert not any("findings used" in c for c in level.bases[SINS_COLLAPSE.code].caveats)


COMPLETE = {  # T12 (3), nothing else: SINS 3, stable, every component recorded
    "spinal-pain": "pain-free",
    "bone-lesion-quality": "blastic",
    "spinal-alignment": "normal",
    "vertebral-body-collapse": "none",
    "posterolateral-involvement": "none",
}


def test_a_fracture_coded_since_a_complete_stable_record_never_leaves_it_stable():
    """Every finding recorded and low: widening the collapse alone kept "stable — no surgical
    consultation needed" and the RiskAssessment's sins-stable beside a fracture at the level. A
    fracture since the findings may have brought pain and deformity too."""
    result = _result(condition("fx", FRACTURE, onset="2024-05-31", level="T12"), sins=COMPLETE)
    (level,) = result.levels
    assert Pain.MECHANICAL in level.assessment.inputs.pain.values
    assert Alignment.DE_NOVO_DEFORMITY in level.assessment.inputs.alignment.values
    assert level.result.total.high >= 7
    card = score_cards(decide(result), "h")[0]
    assert "(stable)" not in card.summary and "re-image" in card.summary, card.summary
    assert "no surgical consultation needed" not in (card.detail or "")
    risk = result.sins_risk
    assert risk is not None and "qualitativeRisk" not in risk.resource["prediction"][0]


def test_a_fracture_after_cement_is_said_as_after_it_never_folded_into_the_score_before_it():
    from tests.support.records import procedure

    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),  # after the findings
        sins=COMPLETE,
    )
    (level,) = result.levels
    assert level.assessment.inputs.collapse.values == {Collapse.NONE}  # as before the cement
    card = score_cards(decide(result), "h")[0]
    assert "fracture" in card.summary and "after" in card.summary, card.summary
    assert card.indicator == "warning"


def test_after_cement_the_risk_assessment_settles_no_category_beside_a_later_fracture():

    result = _cemented_fractured(
        sins=COMPLETE,
    )
    risk = result.sins_risk
    assert risk is not None
    prediction = risk.resource["prediction"][0]
    assert "qualitativeRisk" not in prediction, prediction
    # the level it describes is never "another level"
    assert "another level" not in prediction["rationale"], prediction
    assert "T12: vertebral fracture coded after its treatment — re-image" in prediction["rationale"]
    assert "fracture coded after" in risk.resource["mitigation"], risk.resource["mitigation"]


def test_a_fracture_after_a_fixation_is_said_beside_the_fixed_level():
    from tests.support.records import procedure

    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        procedure("fx-op", "22842", "T12", when="2024-05-30T09:30:00Z"),
        sins=COMPLETE,
    )
    card = score_cards(decide(result), "h")[0]
    assert card.summary.startswith("T12 fixed on 30 May 2024"), card.summary
    assert "vertebral fracture coded after it — re-image" in card.summary, card.summary
    assert card.indicator == "warning"


def test_an_undated_fracture_at_a_cemented_level_is_said_beside_never_folded_into_the_score_before():
    from tests.support.records import procedure

    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    result = _result(
        undated, procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"), sins=COMPLETE
    )
    (level,) = result.levels
    assert level.assessment.inputs.alignment.values == {Alignment.NORMAL}
    card = score_cards(decide(result), "h")[0]
    assert "conflicting" not in card.summary + (card.detail or ""), card.summary
    assert "vertebral fracture coded after it" not in card.summary  # its time is not known
    assert "vertebral fracture not known to be before it — re-image" in card.summary, card.summary


def test_noms_reads_stability_as_either_beside_a_fracture_after_the_treatment():
    from adapter.render.text import text_report

    result = _cemented_fractured(
        sins=COMPLETE,
    )
    said = [line.strip() for line in text_report(decide(result)).splitlines()]
    mechanical = [line for line in said if line.startswith("M: ")]
    assert mechanical and all("— stable" not in line for line in mechanical), mechanical
    assert any("fracture" in line for line in mechanical), mechanical


def test_the_page_draws_no_band_at_a_treated_level_with_a_fracture_since():
    from adapter.render.patient import patient_body

    result = _cemented_fractured(
        sins=COMPLETE,
    )
    page = patient_body(decide(result))
    assert "SINS 3 · stable" not in page
    assert "SINS 3 before the vertebroplasty · band not settled" in page


def test_the_text_report_names_the_fracture_once_a_level():
    from adapter.render.text import text_report

    result = _result(condition("fx", FRACTURE, onset="2024-05-31", level="T12"), sins=COMPLETE)
    text = text_report(decide(result))
    assert text.count("(Condition/fx, 31 May 2024)") == 1, text


def test_a_fracture_since_is_said_before_the_findings_to_record_so_a_summary_keeps_it():
    # Alignment and posterolateral involvement not recorded, and a fracture coded since the
    # findings: the summary was cut within the list of findings to record, losing "re-image".
    missing = ("t12-spinal-alignment", "t12-posterolateral-involvement")
    resources = default_patient(
        drop=missing, extra=(condition("fx", FRACTURE, onset="2024-06-01T08:00:00Z", level="T12"),)
    )
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    card = score_cards(decide(result), "h")[0]
    # In its briefest form ("fracture since: re-image") before the findings to record are cut:
    # neither is left out silently.
    assert "fracture since: re-image; record alignment" in card.summary, card.summary
    # The findings to record come after it; the detail lists each, whatever the summary keeps.
    assert "- Alignment: record the spinal alignment" in card.detail
    assert "- Posterolateral involvement: record the posterolateral involvement" in card.detail


def test_a_fracture_with_no_level_says_that_recording_its_level_would_settle_it():
    result = _result(condition("fx", FRACTURE, onset="2024-05-31"), sins=COMPLETE)
    card = score_cards(decide(result), "h")[0]
    assert card.summary.endswith(
        "fracture coded since: re-image, re-assess pain, alignment, collapse, or record its level"
    ), card.summary
    placed = _result(condition("fx", FRACTURE, onset="2024-05-31", level="T12"), sins=COMPLETE)
    assert "record its level" not in score_cards(decide(placed), "h")[0].summary


def test_a_fracture_after_cement_elsewhere_never_unsettles_a_level_firmly_worse():

    met_l2, *unstable_l2 = _l2(
        "mechanical", "lytic", "subluxation", "gt-50", "bilateral"
    )  # SINS 17
    result = _cemented_fractured(
                met_l2, *unstable_l2, sins=COMPLETE,
    )  # fmt: skip
    risk = result.sins_risk
    assert risk is not None
    coding = risk.resource["prediction"][0].get("qualitativeRisk", {}).get("coding", [{}])[0]
    assert coding.get("code") == "sins-unstable", risk.resource["prediction"]


def test_a_fracture_charted_after_cement_whose_onset_precedes_it_is_not_said_after_it():
    from tests.support.records import procedure

    charted_late = condition("fx", FRACTURE, onset="2024-05-01", level="T12",
                             recordedDate="2024-05-31")  # fmt: skip
    result = _result(
        charted_late, procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"), sins=COMPLETE
    )
    card = score_cards(decide(result), "h")[0]
    assert "coded after it" not in card.summary, card.summary


def test_the_fixed_level_s_detail_names_a_fracture_after_the_screws():
    from adapter.decision.sins import recommendation, sins_decision
    from tests.support.records import procedure

    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        procedure("fx-op", "22842", "T12", when="2024-05-30T09:30:00Z"),
        sins=COMPLETE,
    )
    said = recommendation(sins_decision(result).levels[0], "")
    assert "Since the fixation on 30 May 2024" in said, said


def test_the_order_check_says_a_fracture_widened_alignment_is_to_re_image_never_conflicting():
    """The alignment was recorded once (normal); a fracture coded since widened it. "Alignment
    conflicting" sent the clinician looking for two findings that do not exist."""
    from tests.unit.procedure.test_check import single

    fracture = condition("fx", FRACTURE, onset="2024-05-31", level="T12")
    checked = single(default_patient(sins=COMPLETE, extra=(fracture,)), "T12")
    (concern,) = checked.concerns
    said = " ".join((concern.finding, concern.detail, concern.short or "", concern.open or ""))
    assert "conflicting" not in said, said
    assert concern.finding.startswith(
        "alignment at T12 may be worse than normal (30 May), a vertebral fracture coded since: "
        "re-image before cement alone — subluxation would need fixation"
    ), concern.finding
    unplaced = condition("fx", FRACTURE, onset="2024-05-31")
    (concern,) = single(default_patient(sins=COMPLETE, extra=(unplaced,)), "T12").concerns
    assert (
        "a vertebral fracture with no level coded since: re-image, or record the fracture's "
        "level, before cement alone" in concern.finding
    ), concern.finding


def test_noms_never_reads_a_stability_verdict_older_than_a_fracture_coded_since_as_settled():
    """A surgeon's "stable" of 30 May, a fracture coded at the level on 31 May: NOMS read the
    verdict as current ("stable"), beside a card that warns. The verdict may no longer hold."""
    from adapter.decision.noms import noms_view
    from tests.support.records import finding, procedure

    verdict = finding("sv", "spinal-stability", "stable", level="T12")  # 30 May
    fracture = condition("fx", FRACTURE, onset="2024-05-31", level="T12")
    for extra in ((), (procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),)):
        view = noms_view(_result(verdict, fracture, *extra, sins=COMPLETE))
        assert view is not None
        (t12,) = view.levels
        mechanical = t12.readings[2]
        assert "fracture" in mechanical and "either" in mechanical, mechanical
        assert "stabilise" in [p.code for p in t12.result.paths], t12.result.paths
    older = condition("fx", FRACTURE, onset="2024-05-01", level="T12")
    view = noms_view(_result(verdict, older, sins=COMPLETE))
    assert view is not None and "either" not in view.levels[0].readings[2]
    assert "stabilise" not in [p.code for p in view.levels[0].result.paths]


def test_a_fixed_level_re_imaged_after_its_screws_names_a_fracture_coded_since_those_findings():
    """Screws on 20 May, findings on 30 May, a fracture at the level on 31 May: the card said
    "T12 fixed on 20 May 2024: SINS not applicable" (info) and NOMS "fixed" (stable); the
    fracture widened only the score the card does not show."""
    from adapter.decision.noms import noms_view
    from tests.support.records import procedure

    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        procedure("fx-op", "22842", "T12", when="2024-05-20T09:30:00Z"),
        sins=COMPLETE,
    )
    card = score_cards(decide(result), "h")[0]
    assert card.summary == (
        "T12 fixed on 20 May 2024: SINS not applicable; vertebral fracture coded since its "
        "findings — re-image"
    ), card.summary
    assert card.indicator == "warning"
    view = noms_view(result)
    assert view is not None
    mechanical = view.levels[0].readings[2]
    assert "either" in mechanical and "fracture" in mechanical, mechanical
    # the fracture before the findings after the screws: the picture holds it; nothing to add
    settled = _result(
        condition("fx", FRACTURE, onset="2024-05-25", level="T12"),
        procedure("fx-op", "22842", "T12", when="2024-05-20T09:30:00Z"),
        sins=COMPLETE,
    )
    assert score_cards(decide(settled), "h")[0].summary == (
        "T12 fixed on 20 May 2024: SINS not applicable"
    )


def test_recording_the_level_is_offered_only_when_no_fracture_since_is_placed_at_the_level():
    """T12's own fracture keeps its range wide whatever level the other one is given: "or
    record its level" would promise what recording cannot settle."""
    both = _result(
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        condition("fx2", FRACTURE, onset="2024-05-31"),
        sins=COMPLETE,
    )
    summary = score_cards(decide(both), "h")[0].summary
    assert "re-image" in summary and "record its level" not in summary, summary


def test_a_fracture_with_no_level_beside_a_treated_level_is_never_said_as_the_level_s_own():
    from tests.support.records import procedure

    result = _result(
        condition("fx", FRACTURE, onset="2024-05-31"),  # no level
        procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),
        sins=COMPLETE,
    )
    card = score_cards(decide(result), "h")[0]
    assert card.summary.endswith(
        "vertebral fracture with no level coded after it — re-image, or record its level"
    ), card.summary
    risk = result.sins_risk
    assert risk is not None
    said = risk.resource["mitigation"]
    assert (
        "T12: vertebral fracture with no level coded after its treatment — re-image, or "
        "record its level" in said
    ), said


def test_an_unstable_verdict_older_than_a_fracture_stays_unstable():
    """A fracture cannot make an unstable spine stable: reading "unstable" as either opened the
    radiation-only paths."""
    from adapter.decision.noms import noms_view
    from tests.support.records import finding

    verdict = finding("sv", "spinal-stability", "unstable", level="T12")  # 30 May
    view = noms_view(
        _result(verdict, condition("fx", FRACTURE, onset="2024-05-31", level="T12"), sins=COMPLETE)
    )
    assert view is not None
    paths = [p.code for p in view.levels[0].result.paths]
    assert "cebrt-low" not in paths and "srs" not in paths, paths
    assert "either" not in view.levels[0].readings[2]


def test_a_verdict_beside_an_undated_fracture_never_says_it_was_coded_since():
    from adapter.decision.noms import noms_view
    from tests.support.records import finding

    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    verdict = finding("sv", "spinal-stability", "stable", level="T12")
    view = noms_view(_result(verdict, undated, sins=COMPLETE))
    assert view is not None
    mechanical = view.levels[0].readings[2]
    assert "either" in mechanical and "coded since" not in mechanical, mechanical
    assert "not known to be older than" in mechanical, mechanical


def test_the_order_check_keeps_a_real_conflict_beside_a_fracture_coded_since():
    from tests.support.records import finding
    from tests.unit.procedure.test_check import single

    both = (
        finding("al-2", "spinal-alignment", "subluxation", level="T12"),
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
    )
    (concern,) = single(default_patient(sins=COMPLETE, extra=both), "T12").concerns
    assert concern.finding.startswith(
        "alignment conflicting at T12 (subluxation/normal, 30 May), and a vertebral fracture "
        "coded since: settle before cement alone"
    ), concern.finding


def test_the_order_check_words_a_fracture_without_stray_commas_or_codes():
    from tests.unit.procedure.test_check import single

    deformed = {**COMPLETE, "spinal-alignment": "de-novo-deformity"}
    fracture = condition("fx", FRACTURE, onset="2024-05-31")
    (concern,) = single(default_patient(sins=deformed, extra=(fracture,)), "T12").concerns
    said = " ".join((concern.finding, concern.detail, concern.open or ""))
    assert ", —" not in said and "de-novo-deformity" not in said, said
    assert "may be worse than de novo deformity" in said, said


def test_cement_ordered_again_at_a_level_fractured_since_its_cement_names_the_fracture():
    """Findings 30 May 09:00, cement 09:30, a fracture at T12 on 31 May, cement ordered again:
    the card said only "vertebroplasty at T12 on 30 May 2024 already recorded"."""
    from tests.support.records import procedure
    from tests.unit.procedure.test_check import single

    records = default_patient(
        sins=COMPLETE,
        extra=(
            procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),
            condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        ),
    )
    said = [f"{c.finding} | {c.detail}" for c in single(records, "T12").concerns]
    assert any(
        "vertebral fracture coded after it — re-image |" in s
        and "subluxation would need fixation" in s
        for s in said
    ), said


def test_a_fixed_level_says_an_undated_or_unplaced_fracture_as_such():
    from tests.support.records import procedure

    screws = procedure("fx-op", "22842", "T12", when="2024-05-20T09:30:00Z")
    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    card = score_cards(decide(_result(undated, screws, sins=COMPLETE)), "h")[0]
    assert card.summary.endswith(
        "vertebral fracture not known to be older than its findings — re-image"
    ), card.summary
    unplaced = condition("fx", FRACTURE, onset="2024-05-31")
    card = score_cards(decide(_result(unplaced, screws, sins=COMPLETE)), "h")[0]
    assert card.summary.endswith(
        "vertebral fracture with no level coded since its findings — re-image, or record its level"
    ), card.summary


def _firm_l2_beside_fractured_t12(t12: dict[str, str]) -> str:
    """L2 firmly SINS 7 (untreated, current) and T12 cemented with a fracture since: the
    RiskAssessment's mitigation."""

    result = _cemented_fractured(
        *_l2("mechanical", "lytic", "normal", "none", "none"),  # SINS 2 + 3 + 2 = 7
        sins=t12,
    )
    risk = result.sins_risk
    assert risk is not None
    return str(risk.resource["mitigation"])


@pytest.mark.parametrize(
    "t12",
    [COMPLETE, {**COMPLETE, "spinal-pain": "mechanical", "bone-lesion-quality": "lytic"}],
    ids=["t12-3-before-cement", "t12-8-before-cement-described"],
)
def test_the_risk_assessment_keeps_the_consultation_a_level_firmly_at_7_or_more_needs(t12):
    """Whatever T12 turns out to be, L2 needs a surgical opinion: the RiskAssessment lost it,
    whether it described L2 (T12 at 3 before its cement) or T12 (8 before its cement)."""
    said = _firm_l2_beside_fractured_t12(t12)
    assert said.startswith("Surgical consultation recommended (L2 SINS 7); not settled"), said
    assert "T12: vertebral fracture coded after its treatment" in said, said


_UNSTABLE = {
    "spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
    "spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50",
    "posterolateral-involvement": "bilateral",
}  # fmt: skip


@pytest.mark.parametrize(
    ("sins", "total"),
    [({**COMPLETE, "spinal-pain": "mechanical", "bone-lesion-quality": "lytic"}, 8),
     (_UNSTABLE, 18)],
)  # fmt: skip
def test_the_consultation_a_level_before_its_cement_holds_is_kept_and_never_read_as_current(
    sins, total
):
    """T12 at 8 (or 18) before its cement, a fracture since: "Surgical consultation recommended
    (T12 SINS 8)" read as a current score, and at 18 the RiskAssessment said only "re-image"
    where the card says "consider surgical review". A fracture can only make the level worse:
    the consultation holds, said as from the findings before the cement."""
    risk = _cemented_fractured(sins=sins).sins_risk
    assert risk is not None
    said = risk.resource["mitigation"]
    assert said.startswith(
        f"Surgical consultation recommended (T12 SINS {total}, from findings before its treatment)"
    ), said


def test_the_order_check_never_lists_a_subluxation_no_finding_recorded():
    from tests.support.records import finding
    from tests.unit.procedure.test_check import single

    both = (
        finding("al-2", "spinal-alignment", "de-novo-deformity", level="T12"),
        condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
    )
    (concern,) = single(default_patient(sins=COMPLETE, extra=both), "T12").concerns
    said = " ".join((concern.finding, concern.detail, concern.open or ""))
    assert "subluxation/" not in said and "de-novo-deformity" not in said, said
    assert concern.finding.startswith(
        "alignment at T12 may be worse than de novo deformity/normal (30 May), a vertebral "
        "fracture coded since: re-image before cement alone"
    ), concern.finding


def test_a_fixation_ordered_at_a_cemented_level_fractured_since_is_not_told_it_needs_fixation():
    from tests.support.records import procedure
    from tests.unit.procedure.test_check import single

    records = default_patient(
        sins=COMPLETE,
        extra=(
            procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),
            condition("fx", FRACTURE, onset="2024-05-31", level="T12"),
        ),
    )
    concerns = single(records, "T12", code="22842").concerns
    said = " ".join(c.finding + " " + c.detail for c in concerns)
    assert "vertebral fracture coded after it" in said, said
    assert "would need fixation" not in said, said


def test_an_unstable_verdict_beside_a_fracture_since_names_the_fracture():
    from adapter.decision.noms import noms_view
    from tests.support.records import finding

    verdict = finding("sv", "spinal-stability", "unstable", level="T12")
    view = noms_view(
        _result(verdict, condition("fx", FRACTURE, onset="2024-05-31", level="T12"), sins=COMPLETE)
    )
    assert view is not None
    mechanical = view.levels[0].readings[2]
    assert "Unstable" in mechanical and "fracture" in mechanical, mechanical
    assert "either" not in mechanical


def test_a_verdict_beside_a_fracture_with_no_level_offers_to_record_its_level():
    from adapter.decision.noms import noms_view
    from tests.support.records import finding

    verdict = finding("sv", "spinal-stability", "stable", level="T12")
    view = noms_view(_result(verdict, condition("fx", FRACTURE, onset="2024-05-31"), sins=COMPLETE))
    assert view is not None
    assert "record the fracture's level" in view.levels[0].readings[2], view.levels[0].readings[2]


def test_an_undated_fracture_s_settle_lines_never_say_it_was_coded_since():
    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    (level,) = _result(undated, sins=COMPLETE).levels
    settle = level.bases[SINS_COLLAPSE.code].settle or ""
    assert "re-image" in settle and "coded since" not in settle, settle


def test_the_order_check_says_what_a_fracture_is_not_known_to_be_older_than():
    from tests.unit.procedure.test_check import single

    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    (concern,) = single(default_patient(sins=COMPLETE, extra=(undated,)), "T12").concerns
    assert "a vertebral fracture not known to be older than the finding: re-image" in (
        concern.finding
    ), concern.finding


def test_an_undated_fracture_is_never_said_coded_since_in_the_summary_or_a_conflict():
    from tests.support.records import finding
    from tests.unit.procedure.test_check import single

    undated = condition("fx", FRACTURE, level="T12")
    del undated["onsetDateTime"]
    summary = score_cards(decide(_result(undated, sins=COMPLETE)), "h")[0].summary
    assert "coded since" not in summary and "re-image" in summary, summary
    both = (finding("al-2", "spinal-alignment", "subluxation", level="T12"), undated)
    (concern,) = single(default_patient(sins=COMPLETE, extra=both), "T12").concerns
    assert "coded since" not in concern.finding, concern.finding
    assert "alignment conflicting at T12 (subluxation/normal, 30 May)" in concern.finding


def test_cement_again_at_a_level_fractured_since_with_no_level_reads_without_a_dangling_colon():
    from tests.support.records import procedure
    from tests.unit.procedure.test_check import single

    records = default_patient(
        sins=COMPLETE,
        extra=(
            procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),
            condition("fx", FRACTURE, onset="2024-05-31"),
        ),
    )
    said = [c.finding for c in single(records, "T12").concerns]
    assert any(s.endswith("coded after it — re-image, or record its level") for s in said), said


def test_an_unsettled_risk_assessment_names_its_level_and_never_shows_a_band_as_current():
    """T12 (SINS 8 before its cement, a fracture since) described: the narrative led with
    "SINS total: 8 (SINS 7–12: potentially unstable)", naming no level and no treatment."""
    sins8 = {**COMPLETE, "spinal-pain": "mechanical", "bone-lesion-quality": "lytic"}
    risk = _cemented_fractured(sins=sins8).sins_risk
    assert risk is not None
    rationale = risk.resource["prediction"][0]["rationale"]
    assert rationale.startswith("sins total 8 at T12 (findings before its treatment); not"), (
        rationale
    )
    narrative = risk.resource["text"]["div"]
    assert "potentially unstable" not in narrative, narrative


def test_cement_again_at_a_level_fractured_since_keeps_the_summary_short_and_the_reason_in_detail():
    from tests.support.records import procedure
    from tests.unit.procedure.test_check import single

    cement = procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z")
    fracture = condition("fx", FRACTURE, onset="2024-05-31", level="T12")
    records = default_patient(sins=COMPLETE, extra=(cement, fracture))
    (concern,) = [c for c in single(records, "T12").concerns if "already recorded" in c.finding]
    assert concern.finding.endswith("vertebral fracture coded after it — re-image"), concern.finding
    assert "subluxation would need fixation" in concern.detail, concern.detail


def test_a_fracture_at_another_cemented_level_never_takes_away_the_consultation_one_level_holds():
    """T12 at 8 before its cement (no fracture there), L1 cemented with a fracture since: alone,
    T12's picture recommends a consultation; beside L1's fracture it lost it."""
    from tests.support.records import finding, procedure, site

    l1 = [condition("met-l1", "C79.51", bodySite=site("L1"))] + [
        finding(f"l1-{code}", code, answer, level="L1")
        for code, answer in COMPLETE.items()  # L1: 3 + 0 = 3, pain-free
    ]
    sins8 = {**COMPLETE, "spinal-pain": "mechanical", "bone-lesion-quality": "lytic"}
    result = _result(
        procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"),
        procedure("vp-l1", "22511", "L1", when="2024-05-30T09:30:00Z"),
        condition("fx", FRACTURE, onset="2024-05-31", level="L1"),
        *l1, sins=sins8,
    )  # fmt: skip
    risk = result.sins_risk
    assert risk is not None
    said = risk.resource["mitigation"]
    assert said.startswith(
        "Surgical consultation recommended (T12 SINS 8, from findings before its treatment); not"
    ), said
    assert "T12 (findings before its treatment)" in risk.resource["prediction"][0]["rationale"]


def test_a_preliminary_reading_in_the_future_is_recorded_not_used():
    from adapter.decision.outcome import outcome_view
    from tests.support.records import measurement, procedure

    later = measurement("b0", "96761-2", 60, when="2025-05-20T09:00:00Z")
    later["status"] = "preliminary"
    view = outcome_view(_result(procedure("vp", "22511", "T12"), later))
    assert view is not None and "Barthel recorded, not used" in view.headline, view.headline


def test_the_drawing_escapes_what_it_says_of_an_unbanded_level():
    from adapter.render.spine import spine_svg

    svg = spine_svg({"T12": ("3", None)}, {}, {"T12": "<b>x</b>"})
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


def test_an_unsettled_risk_assessment_is_another_result_when_its_recommendation_changes(
    monkeypatch,
):
    """Sync writes nothing for a result identifier it has stored: a consultation recommended,
    then no longer (another level's findings changed), kept the first words in the EHR."""
    from adapter.pipeline import score

    ids = []
    for settled in ("Surgical consultation recommended (T12 SINS 8)", None):
        monkeypatch.setattr(score, "_consult_settled", lambda *_a, s=settled: s)
        risk = _cemented_fractured(sins=COMPLETE).sins_risk
        assert risk is not None
        ids.append(risk.resource["identifier"][0]["value"])
    assert ids[0] != ids[1], ids


def test_a_settled_risk_assessment_from_findings_before_a_cement_says_so():
    """Findings before a cement, no fracture: the RiskAssessment kept "Potentially unstable …:
    surgical consultation recommended" as if current, with the same identifier as before the
    cement was recorded."""
    from tests.support.records import procedure

    sins8 = {**COMPLETE, "spinal-pain": "mechanical", "bone-lesion-quality": "lytic"}
    plain = _result(sins=sins8).sins_risk
    cemented = _result(procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z"), sins=sins8)
    risk = cemented.sins_risk
    assert plain is not None and risk is not None
    rationale = risk.resource["prediction"][0]["rationale"]
    assert "at T12 (findings before its treatment)" in rationale, rationale
    said = risk.resource["mitigation"]
    assert said.startswith("At T12 (findings before its treatment): Potentially unstable"), said
    assert risk.resource["identifier"][0]["value"] != plain.resource["identifier"][0]["value"]
    assert "at T12" not in plain.resource["prediction"][0]["rationale"]


def test_a_range_from_findings_before_a_cement_says_so_in_its_rationale():
    from tests.support.records import procedure

    cement = procedure("vp", "22511", "T12", when="2024-05-30T09:30:00Z")
    data = patient_records(default_patient(drop=("t12-spinal-alignment",), extra=(cement,)), "p")
    assert data is not None
    risk = score_patient(data, TERM, now=parse_time(NOW)).sins_risk
    assert risk is not None
    rationale = risk.resource["prediction"][0]["rationale"]
    assert "spans bands" in rationale and "at T12 (findings before its treatment)" in rationale, (
        rationale
    )


def test_what_settles_a_finding_beside_a_fracture_of_unknown_order_reads_as_one_sentence():
    # "a vertebral fracture with no level is coded that is not known to be older than the
    # finding": two clauses run together.
    from adapter.mapping.placement import FRACTURE_SETTLES

    for said in FRACTURE_SETTLES.values():
        assert "is coded that is" not in said, said
