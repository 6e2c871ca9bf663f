"""A level stabilised by cement or screws is scored from the findings after the treatment once
one counts there (contract §6 v3); the earlier ones are listed, not used."""

from __future__ import annotations

import pytest

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.decision.sins import recommendation, sins_decision
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.render.patient import patient_page
from adapter.render.text import text_report
from tests.support.records import SINS_AT_T12, default_patient, finding, procedure

TERM = default_terminology()
BEFORE = "2024-05-10T09:00:00Z"  # the default findings, moved before the procedure
DONE = "2024-05-20T10:00:00Z"  # the vertebroplasty
LATER = "2024-05-30T09:00:00Z"


def score(*extra):
    old = tuple(
        finding(f"old-{code}", code, answer, level="T12", when=BEFORE)
        for code, answer in SINS_AT_T12.items()
    )
    drop = tuple(f"t12-{code}" for code in SINS_AT_T12)
    return _scored(default_patient(drop=drop, extra=old + extra))


def _scored(resources):
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))


def test_without_a_later_finding_the_findings_are_used_as_they_are():
    result = score(procedure("vp", "22511", "T12", when=DONE))
    (level,) = result.levels
    assert level.assessment.after is None
    assert level.result.total.low == level.result.total.high == 10


def test_a_later_finding_re_scores_the_level_from_findings_after_the_treatment_only():
    # Pain-free 0 after the vertebroplasty; the rest has no later finding and is missing:
    # 3 + 0 + 0–2 + 0–4 + 0–3 + 0–3 = 3–15.
    result = score(
        procedure("vp", "22511", "T12", when=DONE),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when=LATER),
    )
    (level,) = result.levels
    assert level.assessment.after is not None
    assert level.assessment.after.time.day == "20 May 2024"
    assert (level.result.total.low, level.result.total.high) == (3, 15)
    obs = level.observation.resource
    assert obs["valueRange"]["low"]["value"] == 3 and obs["valueRange"]["high"]["value"] == 15
    notes = [n["text"] for n in obs["note"]]
    assert (
        "Recorded before the vertebroplasty on 20 May 2024, not used: "
        "Bone lesion quality: Lytic (Observation/old-bone-lesion-quality, 2024-05-10T09:00:00Z)."
    ) in notes
    refs = {d["reference"] for d in obs.get("derivedFrom", [])}
    assert "Observation/new-pain" in refs and "Observation/old-spinal-pain" not in refs
    lv = sins_decision(result).levels[0]
    assert (lv.state, lv.indicator) == ("after-treatment", "info")
    assert lv.headline == (
        "SINS 3–15 at T12: could be up to 15 (unstable) — record lesion quality, alignment, "
        "collapse, posterolateral involvement"
    )


def test_a_finding_before_the_treatment_does_not_re_score():
    result = score(
        procedure("vp", "22511", "T12", when=LATER),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when=DONE),
    )
    (level,) = result.levels
    assert level.assessment.after is None
    # pain-free (0) is the latest pain, before the treatment: 10 − 3 = 7.
    assert level.result.total.low == level.result.total.high == 7


# A vertebroplasty dated by its month alone: the findings of 10 May fall inside it, so they may
# precede the cement or follow it (contract §2: a time within a period is not known to be before or
# after it). Read as after it, they asked for surgical consultation on findings the cement may
# have answered; read as before it, they would be named as pre-treatment, which is not known either.
MONTH = "2024-05"


def test_findings_in_the_month_of_a_month_dated_treatment_are_never_read_as_after_it():
    result = score(procedure("vp", "22511", "T12", when=MONTH))
    (level,) = result.levels
    assert level.assessment.after is None
    unordered = level.assessment.unordered
    assert unordered is not None and unordered.time.text == MONTH
    assert level.result.total.low == level.result.total.high == 10  # used as they are
    lv = sins_decision(result).levels[0]
    assert (lv.state, lv.indicator, lv.consult) == ("before-treatment", "info", False)
    assert lv.headline == (
        "T12 SINS 10, findings not known to be before or after vertebroplasty in May 2024: "
        "re-assess"
    )
    assert "before the vertebroplasty" not in recommendation(lv, "")
    assert recommendation(lv, "").startswith(
        "SINS from findings not known to be before or after the vertebroplasty in May 2024"
    )


def test_a_finding_timed_on_the_day_of_a_treatment_dated_by_its_day_alone_does_not_re_score():
    # 15:00 on 20 May may be before or after a vertebroplasty "2024-05-20": not after it.
    result = score(
        procedure("vp", "22511", "T12", when="2024-05-20"),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when="2024-05-20T15:00:00Z"),
    )
    (level,) = result.levels
    assert level.assessment.after is None and level.assessment.unordered is not None
    assert level.result.total.low == level.result.total.high == 7  # the findings as they are
    lv = sins_decision(result).levels[0]
    assert lv.headline == (
        "T12 SINS 7, findings not known to be before or after vertebroplasty on 20 May 2024: "
        "re-assess"
    )


def test_findings_certainly_before_the_treatment_are_still_named_as_before_it():
    result = score(procedure("vp", "22511", "T12", when="2024-05-20"))
    (level,) = result.levels
    assert level.assessment.after is None and level.assessment.unordered is None
    assert sins_decision(result).levels[0].headline == (
        "T12 before vertebroplasty on 20 May 2024: SINS 10"
    )


def test_once_a_finding_certainly_follows_the_treatment_those_that_may_not_are_not_used():
    # Pain-free on 1 Jun certainly follows "May 2024"; the findings of 10 May may not.
    result = score(
        procedure("vp", "22511", "T12", when=MONTH),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when="2024-06-01"),
    )
    (level,) = result.levels
    assert level.assessment.after is not None and level.assessment.unordered is None
    assert (level.result.total.low, level.result.total.high) == (3, 15)
    notes = [n["text"] for n in level.observation.resource["note"]]
    assert (
        "Not known to be before or after the vertebroplasty in May 2024, not used: "
        "Bone lesion quality: Lytic (Observation/old-bone-lesion-quality, 2024-05-10T09:00:00Z)."
    ) in notes
    assert not any(n.startswith("Recorded before the vertebroplasty") for n in notes)


def test_an_untimed_finding_at_a_treated_level_is_not_known_to_be_before_it():
    untimed = finding("new-pain", "spinal-pain", "pain-free", level="T12")
    del untimed["effectiveDateTime"]
    result = score(procedure("vp", "22511", "T12", when=DONE), untimed)
    (level,) = result.levels
    assert level.assessment.after is None and level.assessment.unordered is not None


def test_every_surface_says_the_order_is_not_known_and_none_says_before_or_after():
    decisions = decide(score(procedure("vp", "22511", "T12", when=MONTH)))
    (card, *_) = score_cards(decisions, "h")
    text, page = text_report(decisions), patient_page(decisions)
    said = "findings not known to be before or after vertebroplasty in May 2024"
    assert (card.indicator, card.summary.startswith(f"T12 SINS 10, {said}")) == ("info", True)
    assert "SINS T12: 10 — from findings not known to be before or after the vertebroplasty" in text
    for surface in (card.summary + (card.detail or ""), text, page):
        assert "before the vertebroplasty" not in surface
        assert "after the vertebroplasty in May 2024;" not in surface
        assert "surgical consultation recommended" not in surface


def test_findings_after_one_cement_but_within_the_month_of_another_are_not_read_as_after_both():
    # Cement on 5 May, and cement dated "May 2024" (perhaps later that month): the findings of
    # 10 May follow the first but may precede the second. Read as after "the latest" picked by
    # its first day, they asked for consultation on findings the second cement may have answered.
    result = score(
        procedure("vp1", "22511", "T12", when="2024-05-05T10:00:00Z"),
        procedure("vp2", "22511", "T12", when=MONTH),
    )
    (level,) = result.levels
    assert level.assessment.after is None
    assert level.assessment.unordered is not None
    assert level.assessment.unordered.time.text == MONTH
    lv = sins_decision(result).levels[0]
    assert (lv.indicator, lv.consult) == ("info", False)
    assert "not known to be before or after vertebroplasty in May 2024" in lv.headline


def test_preliminary_reports_within_the_treatments_month_are_never_named_as_before_it():
    prelim = tuple(
        finding(f"p-{code}", code, answer, level="T12", when=BEFORE, status="preliminary")
        for code, answer in SINS_AT_T12.items()
    )
    drop = tuple(f"t12-{code}" for code in SINS_AT_T12)
    data = patient_records(
        default_patient(drop=drop, extra=(*prelim, procedure("vp", "22511", "T12", when=MONTH))),
        "p",
    )
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))
    (level,) = result.levels
    assert level.assessment.unordered is not None
    lv = sins_decision(result).levels[0]
    assert "before vertebroplasty" not in lv.headline
    assert "not known to be before or after vertebroplasty in May 2024" in lv.headline


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        # screws dated by their month, findings inside it
        ((procedure("fx", "22842", "T12", when=MONTH),),
         "SINS T12: 10 — from findings not known to be before or after the fixation in May 2024"),
        # screws on a day, a finding certainly after them
        ((procedure("fx", "22842", "T12", when=DONE),
          finding("new-pain", "spinal-pain", "pain-free", level="T12", when=LATER)),
         "— from findings after the fixation on 20 May 2024"),
    ],
)  # fmt: skip
def test_a_fixed_levels_sins_is_said_from_the_findings_it_rests_on(extra, said):
    text = text_report(decide(score(*extra)))
    assert said in text
    assert "as recorded before the fixation" not in text


def test_a_utc_time_the_day_after_a_treatment_dated_by_its_day_says_what_settles_the_order():
    # 08:00 UTC on 21 May may still be 20 May where the film was taken (UTC-12 to UTC+14): not
    # known to follow a vertebroplasty dated "2024-05-20". The card says why, and what settles it.
    next_morning = "2024-05-21T08:00:00Z"
    films = tuple(
        finding(f"new-{code}", code, answer, level="T12", when=next_morning)
        for code, answer in SINS_AT_T12.items()
    )
    result = score(procedure("vp", "22511", "T12", when="2024-05-20"), *films)
    lv = sins_decision(result).levels[0]
    said = recommendation(lv, "")
    assert "written in UTC" in said and "the vertebroplasty's time of day" in said
    on_time = score(procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"), *films)
    assert on_time.levels[0].assessment.after is not None


def test_the_utc_sentence_is_said_only_of_a_finding_whose_order_it_explains():
    # A vertebroplasty dated by its month: its day is what is missing, never its time of day.
    films = tuple(
        finding(f"new-{code}", code, answer, level="T12", when="2024-06-01T02:00:00Z")
        for code, answer in SINS_AT_T12.items()
    )
    month = recommendation(sins_decision(score(procedure("vp", "22511", "T12", when=MONTH),
                                                *films)).levels[0], "")  # fmt: skip
    assert "time of day" not in month
    # The finding in doubt is on the treatment's own day; another, certainly before, is in UTC.
    same_day = finding("new-c", "vertebral-body-collapse", "gt-50", level="T12",
                       when="2024-05-20T15:00:00Z")  # fmt: skip
    said = recommendation(sins_decision(score(procedure("vp", "22511", "T12", when="2024-05-20"),
                                              same_day)).levels[0], "")  # fmt: skip
    assert "may fall on another day" not in said


def _films(when: str) -> tuple[dict, ...]:
    return tuple(
        finding(f"new-{code}", code, answer, level="T12", when=when)
        for code, answer in SINS_AT_T12.items()
    )


def test_a_treatment_dated_by_its_year_that_may_repeat_a_dated_one_says_what_settles_it():
    # Cement on 20 May and cement "2024" (billing, perhaps the same one): the films of 30 May
    # follow the first, and may precede the second. Not re-scored (safe), but the clinician is
    # told the likely reason and what would settle it, not left with "not known" alone.
    result = score(
        procedure("vp1", "22511", "T12", when=DONE), procedure("vp2", "22511", "T12", when="2024"),
        *_films(LATER),
    )  # fmt: skip
    lv = sins_decision(result).levels[0]
    assert (lv.indicator, lv.consult) == ("info", False)
    said = recommendation(lv, "")
    assert (
        "The vertebroplasty in 2024 may be the vertebroplasty on 20 May 2024 recorded again, "
        "which every finding used follows: its day would settle the order."
    ) in said, said
    assert "recorded again" in text_report(decide(result))


def test_no_such_sentence_when_a_finding_used_may_precede_the_dated_one():
    early = score(
        procedure("vp1", "22511", "T12", when=DONE), procedure("vp2", "22511", "T12", when="2024"),
        *_films("2024-05-15T09:00:00Z"),
    )  # fmt: skip
    said = recommendation(sins_decision(early).levels[0], "")
    assert "not known to be before or after the vertebroplasty in 2024" in said
    assert "recorded again" not in said


def test_no_recorded_again_sentence_when_a_later_dated_cement_already_orders_the_findings():
    films = _films("2024-04-01T09:00:00Z")
    result = score(
        procedure("vp1", "22511", "T12", when="2024-03-01T10:00:00Z"),
        procedure("vp2", "22511", "T12", when="2024-05-20T10:00:00Z"),
        procedure("vp3", "22511", "T12", when="2024"), *films,
    )  # fmt: skip
    assert "recorded again" not in recommendation(sins_decision(result).levels[0], "")


def test_no_recorded_again_sentence_between_a_kyphoplasty_and_a_vertebroplasty():
    result = score(
        procedure("kp", "22513", "T12", when=DONE), procedure("vp2", "22511", "T12", when="2024"),
        *_films(LATER),
    )  # fmt: skip
    assert "recorded again" not in recommendation(sins_decision(result).levels[0], "")


def test_findings_of_an_unknown_order_with_a_possible_instability_say_it_before_re_assess():
    # Alignment never recorded: SINS 10–14, which may be unstable. The summary said "re-assess"
    # alone, as for a SINS 10, and only the detail named the possible instability.
    result = _scored(
        default_patient(
            drop=("t12-spinal-alignment",), extra=(procedure("vp", "22511", "T12", when=MONTH),)
        )
    )
    lv = sins_decision(result).levels[0]
    assert (lv.state, lv.indicator) == ("before-treatment", "info")
    assert lv.headline == (
        "T12 SINS 10–14, findings not known to be before or after vertebroplasty in May 2024: "
        "possibly unstable — re-assess"
    )


def test_a_range_re_scored_after_the_treatment_ends_its_sentence_before_the_next():
    # 3 + mechanical 3 + lytic 2 + 0–4 + 0–3 + 0–3 = 8–18 after the vertebroplasty: "Not settled:
    # potentially unstable (indeterminate) or unstable" ran into "Scored from the findings after".
    result = score(
        procedure("vp", "22511", "T12", when=DONE),
        finding("new-pain", "spinal-pain", "mechanical", level="T12", when=LATER),
        finding("new-lesion", "bone-lesion-quality", "lytic", level="T12", when=LATER),
    )
    lv = sins_decision(result).levels[0]
    said = recommendation(lv, "Not settled: potentially unstable (indeterminate) or unstable")
    assert "or unstable. Scored from the findings after the vertebroplasty" in said, said
