"""The neurology card, contract v3 (§2 preliminary reports, §4 the neurology card, §5 a Bilsky
grade superseded by surgery, radiotherapy does not decompress at once).

The computation time is NOW = 1 Jun 2024, 09:00; each case changes the default patient (T12,
Frankel E and Bilsky 0 on 30 May 2024) one thing at a time. CPT 63003 is a thoracic
decompression (ValueSet spinal-decompression-procedure), CPT 77373 SBRT
(spinal-radiotherapy-procedure), RxNorm 3264 dexamethasone (corticosteroid-medication).
"""

from __future__ import annotations

from adapter.cds.cards import score_cards
from adapter.decision import STEROID_PROMPT, decide, neurology_alert
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.render.text import text_report
from adapter.scoring import Span
from tests.support.records import (
    NOW,
    condition,
    default_patient,
    finding,
    order,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for, surfaces

BILSKY = "epidural-spinal-cord-compression"
C_TIMED = finding("frankel", "frankel-grade", "frankel-c")


def result_of(resources):
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, default_terminology(), now=parse_time(NOW))


RULES = Rules()


def neurology(resources, rules=RULES):
    result = result_of(resources)
    cards = score_cards(decide(result), "hook")
    card = next((c for c in cards if c.uuid and c.source.topic is None), None)
    return card, neurology_alert(result, rules), result


def preliminary(oid, code, answer, **kw):
    return finding(oid, code, answer, **kw) | {"status": "preliminary"}


# --- preliminary reports (§2 v3) -------------------------------------------------------------


def test_a_preliminary_bilsky_3_raises_the_card_marked_confirm():
    extra = (preliminary("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-31T09:00:00Z"),)
    card, alert, _ = neurology(default_patient(extra=extra))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Bilsky 2–3 at T12, preliminary report — confirm): "
        "contact the MSCC / spinal team now"
    )
    assert "Bilsky 3 at T12 (31 May 2024, preliminary report — confirm)" in card.detail
    assert alert is not None and alert.steroid is None  # compression alone: no steroid prompt


def test_a_final_grade_of_the_same_time_replaces_a_preliminary_one():
    when = "2024-05-31T09:00:00Z"
    extra = (
        preliminary("mri", BILSKY, "bilsky-3", level="T12", when=when),
        finding("mri-final", BILSKY, "bilsky-1a", level="T12", when=when),
    )
    card, alert, _ = neurology(default_patient(drop=("bilsky-t12",), extra=extra))
    assert card is None and alert is None


def test_a_preliminary_report_older_than_the_final_grade_is_not_used():
    extra = (preliminary("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-29T09:00:00Z"),)
    card, _, _ = neurology(default_patient(extra=extra))  # the final Bilsky 0 is of 30 May
    assert card is None


def test_a_preliminary_frankel_c_is_critical_with_the_steroid_prompt_and_never_scored():
    extra = (preliminary("exam", "frankel-grade", "frankel-c", when="2024-05-31T09:00:00Z"),)
    card, alert, result = neurology(default_patient(extra=extra))
    assert card is not None and card.indicator == "critical"
    assert "(Frankel/AIS C, preliminary report — confirm)" in card.summary
    assert alert is not None and alert.steroid == STEROID_PROMPT
    assert "dexamethasone 16 mg now (NICE NG234)" in card.detail
    # Tokuhashi palsy stays Frankel E (2 points): the preliminary report is not scored.
    baseline = result_of(default_patient())
    assert (
        result.score("tokuhashi-revised").result.total
        == baseline.score("tokuhashi-revised").result.total
    )


def test_a_preliminary_frankel_e_raises_nothing():
    extra = (preliminary("exam", "frankel-grade", "frankel-e", when="2024-05-31T09:00:00Z"),)
    card, _, _ = neurology(default_patient(extra=extra))
    assert card is None


# --- a grade superseded by surgery, radiotherapy that does not decompress (§5 v3) ------------


def superseded(grade_day, surgery_day, code="63003"):
    return default_patient(
        drop=("bilsky-t12",),
        extra=(
            finding("mri", BILSKY, "bilsky-3", level="T12", when=f"{grade_day}T09:00:00Z"),
            procedure("surgery", code, "T12", when=f"{surgery_day}T09:00:00Z"),
        ),
    )


def test_a_grade_before_a_decompression_is_info_until_day_42():
    # Decompression 10 May 2024: 22 days before NOW.
    card, _, _ = neurology(superseded("2024-05-01", "2024-05-10"))
    assert card is not None and card.indicator == "info"
    assert card.summary == "Bilsky 3 at T12 (1 May 2024) before decompression on 10 May 2024"
    assert "MSCC" not in card.detail


def test_a_grade_before_a_decompression_warns_re_image_due_from_day_42():
    # Decompression 10 Apr 2024: 52 days before NOW (42 ≤ 52 < 120).
    card, _, _ = neurology(superseded("2024-04-01", "2024-04-10"))
    assert card is not None and card.indicator == "warning"
    assert card.summary == "Bilsky 3 at T12 before decompression on 10 Apr 2024 — re-image due"


def test_a_grade_before_a_decompression_is_only_listed_after_day_120():
    # Decompression 20 Jan 2024: 133 days before NOW.
    card, alert, _ = neurology(superseded("2024-01-10", "2024-01-20"))
    assert card is None and alert is None


def test_the_days_are_settings():
    rules = Rules(reimage_from_days=10, reimage_until_days=20)
    _, alert, _ = neurology(superseded("2024-05-01", "2024-05-10"), rules)  # day 22
    assert alert is None
    rules = Rules(reimage_from_days=10, reimage_until_days=30)
    _, alert, result = neurology(superseded("2024-05-01", "2024-05-10"), rules)
    assert alert is not None and alert.indicator == "warning"
    first = score_cards(decide(result, rules=rules), "hook")[0]  # the service passes its settings
    assert first.indicator == "warning" and first.summary.endswith("re-image due")


def test_radiotherapy_alone_leaves_a_warning_to_re_image():
    card, _, _ = neurology(superseded("2024-05-20", "2024-05-25", code="77373"))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Bilsky 3 at T12 irradiated on 25 May 2024, not decompressed — re-image before any "
        "procedure"
    )


def test_a_decompression_at_another_level_supersedes_nothing():
    resources = default_patient(
        drop=("bilsky-t12",),
        extra=(
            finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-15T09:00:00Z"),
            procedure("surgery", "63003", "T8", when="2024-05-20T09:00:00Z"),
        ),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"


def test_an_old_grade_followed_by_frankel_e_is_a_warning_to_re_image():
    # Bilsky 3 of 1 Apr 2024 (61 days: dated), Frankel E of 30 May 2024.
    resources = default_patient(
        drop=("bilsky-t12",),
        extra=(finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z"),),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "warning"
    assert card.summary == "Bilsky 3 at T12 (1 Apr 2024), Frankel/AIS E since — re-image"


# --- a later clear whole-spine MRI is the re-imaging asked for (§5 v3, §4 v3 one decision) ---
# Criterion 8 takes a final whole-spine MRI within 30 days saying no level is Bilsky 2–3, later
# than a grade that asks to re-image, as settling it: the neurology card says so, at info.

CLEAR = finding("wsm", "whole-spine-escc", "no-high-grade")  # 30 May 2024
SETTLED = "whole-spine MRI (30 May 2024): no level Bilsky 2–3"


def _old_grade_then_frankel_e():
    old = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z")
    return default_patient(drop=("bilsky-t12",), extra=(old,))


def test_a_later_clear_whole_spine_mri_settles_an_irradiated_grade_at_info():
    resources = [*superseded("2024-05-20", "2024-05-25", code="77373"), CLEAR]
    card, alert, result = neurology(resources)
    assert card is not None and card.indicator == "info"
    assert card.summary == (
        f"Bilsky 3 at T12 (20 May 2024) irradiated on 25 May 2024, not decompressed — {SETTLED}"
    )
    assert "re-image" not in card.summary + card.detail and "MSCC" not in card.detail
    assert alert is not None and alert.indicator == "info"
    assert f"ALERT [info] {card.summary}" in text_report(decide(result))


def test_a_later_clear_whole_spine_mri_settles_an_old_grade_after_frankel_e_at_info():
    card, _, result = neurology([*_old_grade_then_frankel_e(), CLEAR])
    assert card is not None and card.indicator == "info"
    assert card.summary == f"Bilsky 3 at T12 (1 Apr 2024), Frankel/AIS E since — {SETTLED}"
    assert "re-image" not in card.summary + card.detail
    assert f"ALERT [info] {card.summary}" in text_report(decide(result))


def test_a_later_clear_whole_spine_mri_settles_a_re_image_due_after_decompression_at_info():
    # Decompression 10 Apr 2024 (day 52: "re-image due"); criterion 8 takes the MRI as settling.
    card, _, _ = neurology([*superseded("2024-04-01", "2024-04-10"), CLEAR])
    assert card is not None and card.indicator == "info"
    assert card.summary == (
        f"Bilsky 3 at T12 (1 Apr 2024) before decompression on 10 Apr 2024 — {SETTLED}"
    )


def test_a_clear_whole_spine_mri_settles_no_grade_it_does_not_follow_or_that_is_dated():
    earlier = finding("wsm", "whole-spine-escc", "no-high-grade", when="2024-05-15T09:00:00Z")
    card, _, _ = neurology([*superseded("2024-05-20", "2024-05-25", code="77373"), earlier])
    assert card is not None and card.indicator == "warning"
    assert card.summary.endswith("re-image before any procedure")
    dated = finding("wsm", "whole-spine-escc", "no-high-grade", when="2024-04-20T09:00:00Z")
    card, _, _ = neurology([*_old_grade_then_frankel_e(), dated])  # 42 days: past the window
    assert card is not None and card.indicator == "warning" and card.summary.endswith("re-image")
    preliminary_clear = CLEAR | {"status": "preliminary"}
    card, _, _ = neurology([*_old_grade_then_frankel_e(), preliminary_clear])
    assert card is not None and card.indicator == "warning"


def test_a_later_clear_whole_spine_mri_never_settles_a_current_bilsky_3():
    # Only surgery supersedes a grade (§5 v3): a current Bilsky 3 stays critical.
    current = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-20T09:00:00Z")
    card, _, _ = neurology(default_patient(drop=("bilsky-t12",), extra=(current, CLEAR)))
    assert card is not None and card.indicator == "critical"


def test_a_recent_grade_with_frankel_e_stays_critical():
    resources = default_patient(
        drop=("bilsky-t12",),
        extra=(finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-20T09:00:00Z"),),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "Bilsky 2–3 at T12" in card.summary


def test_an_old_grade_without_any_palsy_grade_stays_critical():
    resources = default_patient(
        drop=("bilsky-t12", "frankel"),
        extra=(finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z"),),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"


def test_an_old_grade_raises_the_alarm_said_dated_and_asks_to_re_image():
    # Bilsky 3 at T12 of 22 Apr 2024 (40 days: dated, window 30), no palsy grade: the alarm
    # stands (§4 v3), but the grade is said dated with its date, never as current compression.
    old = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-22T09:00:00Z")
    resources = default_patient(drop=("bilsky-t12", "frankel"), extra=(old,))
    card, alert, result = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Bilsky 2–3 at T12 on 22 Apr 2024, dated — "
        "re-image): contact the MSCC / spinal team now"
    )
    assert (
        "- critical: Bilsky 3 at T12 (22 Apr 2024, dated: 40 days before) — not known to be "
        "current: re-examine and re-image now"
    ) in card.detail
    assert alert is not None and alert.steroid is None  # no deficit: no steroid prompt
    text = text_report(decide(result))
    assert f"ALERT [critical] {card.summary}" in text
    # A current grade at another level is still named with the levels, the dated one apart.
    here = finding("mri-t8", BILSKY, "bilsky-2", level="T8")
    more = (old, condition("met-t8", "C79.51", level="T8"), here)
    _, alert, _ = neurology(default_patient(drop=("bilsky-t12", "frankel"), extra=more))
    assert alert is not None and alert.reasons == (
        "Bilsky 2–3 at T8",
        "Bilsky 2–3 at T12 on 22 Apr 2024, dated — re-image",
    )


def test_a_whole_spine_mri_with_high_grade_compression_is_critical():
    high = finding("wsm", "whole-spine-escc", "high-grade")
    card, _, _ = neurology(default_patient(extra=(high,)))
    assert card is not None and card.indicator == "critical"
    assert "(Bilsky 2–3 on whole-spine MRI, level not recorded)" in card.summary
    # A Bilsky 2–3 at a level of the same time accounts for it: named once, at its level.
    here = finding("bilsky-t12", BILSKY, "bilsky-3", level="T12")
    card, alert, _ = neurology(default_patient(drop=("bilsky-t12",), extra=(high, here)))
    assert alert is not None and alert.reasons == ("Bilsky 2–3 at T12",)
    # A clear one raises nothing.
    clear = finding("wsm", "whole-spine-escc", "no-high-grade")
    card, _, _ = neurology(default_patient(extra=(clear,)))
    assert card is None


def test_a_preliminary_grade_without_a_level_is_replaced_by_a_final_one():
    when = "2024-05-31T09:00:00Z"
    early = preliminary("mri", BILSKY, "bilsky-3", when=when)
    card, _, _ = neurology(default_patient(extra=(early,)))
    assert card is not None and "Bilsky 2–3, level not recorded, preliminary" in card.summary
    final = finding("mri-final", BILSKY, "bilsky-1a", when=when)
    card, _, _ = neurology(default_patient(extra=(early, final)))
    assert card is None
    low = preliminary("mri", BILSKY, "bilsky-1a", when=when)
    card, _, _ = neurology(default_patient(extra=(low,)))
    assert card is None


def test_other_preliminary_reports_are_not_used_and_a_bad_one_is_reported():
    pain = preliminary("pain", "spinal-pain", "pain-free", level="T12", when="2024-05-31T09:00:00Z")
    bad = preliminary("mri", BILSKY, "bilsky-9", level="T12", when="2024-05-31T09:00:00Z")
    _, alert, result = neurology(default_patient(extra=(pain, bad)))
    assert alert is None
    baseline = result_of(default_patient())
    assert result.levels[0].result.total == baseline.levels[0].result.total  # SINS 10
    assert any(i.resource == "Observation/mri" for i in result.issues)


# --- a final grade with no recorded time that a timed normal grade outranks (§2, §4 v3) -------


def untimed(oid, code, answer, **kw):
    res = finding(oid, code, answer, **kw)
    del res["effectiveDateTime"]
    return res


def test_an_untimed_frankel_c_behind_a_timed_frankel_e_warns_to_confirm():
    extra = (untimed("exam", "frankel-grade", "frankel-c"),)
    card, alert, result = neurology(default_patient(extra=extra))
    # Of uncertain age, it may raise an alarm but not settle one: a warning, not silence.
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Frankel C with no recorded time: confirm the current grade (Frankel E on 30 May 2024)"
    )
    assert "MSCC" not in card.summary
    assert alert is not None and alert.steroid is None
    # The text report renders the same decision.
    text = text_report(decide(result))
    assert f"ALERT [warning] {card.summary}" in text
    # It cannot be placed before or after the timed E, so Tokuhashi palsy spans both grades
    # (C: 1 point, E: 2) and the Tokuhashi card and the text report name the untimed record.
    baseline = result_of(default_patient())
    total = baseline.score("tokuhashi-revised").result.total
    assert result.score("tokuhashi-revised").result.total == Span(total.low - 1, total.high)
    tokuhashi = next(c for c in score_cards(decide(result), "hook") if "Tokuhashi" in c.summary)
    assert UNPLACED_C in (tokuhashi.detail or "")
    # The text report keeps resource ids.
    assert (
        "C (Observation/exam) has no recorded time, so it cannot be placed before or after "
        "E (Observation/frankel, 30 May 2024): either may be current."
    ) in text


UNPLACED_C = (
    "Conflicting Frankel grade findings: C has no recorded time, so it cannot be placed before or "
    "after E (30 May 2024): either may be current."
)


def test_an_untimed_frankel_e_behind_a_timed_frankel_c_widens_the_score_and_is_named():
    # The alarm stays on the timed deficit (an untimed grade never settles one), but the score
    # is no guess: palsy spans C and E, and every surface names the untimed E.
    extra = (untimed("exam", "frankel-grade", "frankel-e"),)
    resources = default_patient(drop=("frankel",), extra=(*extra, C_TIMED))
    card, _, result = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert result.score("tokuhashi-revised").result.total == Span(9, 10)
    _, card_text, text, _ = surfaces(decisions_for(resources))
    said = "E has no recorded time, so it cannot be placed before or after C (30 May 2024)"
    assert said in card_text
    assert "E (Observation/exam) has no recorded time" in text


def test_an_untimed_preliminary_frankel_c_behind_a_timed_final_e_still_raises_the_card():
    # A final grade replaces a preliminary one only when it is of the same or a later time
    # (contract §2 v3): an untimed preliminary report is not known to be older, so it stands.
    exam = untimed("exam", "frankel-grade", "frankel-c") | {"status": "preliminary"}
    resources = default_patient(extra=(exam,))
    card, alert, result = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "(Frankel/AIS C, preliminary report — confirm)" in card.summary
    assert "Frankel C (no date recorded, preliminary report — confirm)" in (card.detail or "")
    assert alert is not None and alert.steroid == STEROID_PROMPT
    decisions = decisions_for(resources, (order("vp", "22510", "T12"),))
    _, card_text, text, _ = surfaces(decisions)
    assert f"ALERT [critical] {card.summary}" in text
    # The order's criterion 4 is unmet, never met, until a final grade at least as recent.
    assert "Frankel/AIS C (preliminary — confirm)" in card_text
    # A preliminary report is never scored.
    baseline = result_of(default_patient())
    assert (
        result.score("tokuhashi-revised").result.total
        == baseline.score("tokuhashi-revised").result.total
    )


def test_an_untimed_preliminary_bilsky_3_behind_a_timed_final_bilsky_0_still_raises_the_card():
    mri = untimed("mri", BILSKY, "bilsky-3", level="T12") | {"status": "preliminary"}
    card, _, _ = neurology(default_patient(extra=(mri,)))
    assert card is not None and card.indicator == "critical"
    assert "Bilsky 2–3 at T12, preliminary report — confirm" in card.summary
    # One that agrees with the final grade, or cannot alarm, changes nothing.
    for answer in ("bilsky-0", "bilsky-1a"):
        quiet = untimed("mri", BILSKY, answer, level="T12") | {"status": "preliminary"}
        card, _, _ = neurology(default_patient(extra=(quiet,)))
        assert card is None, answer


def test_an_untimed_bilsky_3_behind_a_timed_bilsky_0_warns_to_confirm():
    extra = (untimed("mri", BILSKY, "bilsky-3", level="T12"),)
    card, _, result = neurology(default_patient(extra=extra))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Bilsky 3 at T12 with no recorded time: confirm the current grade "
        "(Bilsky 0 at T12 on 30 May 2024)"
    )
    text = text_report(decide(result))
    assert f"ALERT [warning] {card.summary}" in text
    # NOMS N still reads the timed grade, and names the untimed one beside it.
    assert "N: Bilsky 0 at T12 (30 May 2024); Bilsky 3 at T12 with no recorded time — confirm" in (
        text
    )


def _untimed_bilsky_3_at_t8(mri):
    """T8: a timed Bilsky 0 on 25 May behind which a Bilsky 3 with no recorded time waits; the
    order is at T12, so T8 is criterion 8's."""
    timed = finding("b8", BILSKY, "bilsky-0", level="T8", when="2024-05-25T09:00:00Z")
    met8 = condition("met-t8", "C79.51", level="T8")
    return default_patient(
        extra=(met8, timed, untimed("b8-old", BILSKY, "bilsky-3", level="T8"), mri)
    )


def test_a_later_clear_whole_spine_mri_settles_an_untimed_bilsky_3_as_criterion_8_does():
    # One rule (compression.reimaged) on every surface (§4 v3): the final whole-spine MRI after
    # the timed grade is the confirmation the untimed one asks for.
    resources = _untimed_bilsky_3_at_t8(CLEAR)
    cards, _, text, _ = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
    summaries = [c.summary for c in cards]
    assert "Vertebroplasty T12: meets the case series' selection criteria" in summaries
    said = f"Bilsky 3 at T8 with no recorded time (Bilsky 0 at T8 on 25 May 2024) — {SETTLED}"
    card, alert, _ = neurology(resources)
    assert card is not None and card.indicator == "info" and card.summary == said
    assert alert is not None and alert.indicator == "info"
    assert "confirm the current grade" not in card.summary + (card.detail or "")
    assert f"ALERT [info] {said}" in text
    # The timed grade the item names is cited with the untimed one and the MRI.
    cited = "\n".join(alert.sources)
    assert all(
        ref in cited for ref in ("Observation/b8-old", "Observation/b8,", "Observation/wsm,")
    )
    # An MRI before the timed grade settles nothing: the card still asks to confirm.
    earlier = finding("wsm", "whole-spine-escc", "no-high-grade", when="2024-05-20T09:00:00Z")
    card, _, _ = neurology(_untimed_bilsky_3_at_t8(earlier))
    assert card is not None and card.indicator == "warning"
    assert "confirm the current grade" in card.summary


def test_a_settled_untimed_bilsky_3_without_a_level_is_said_whole_within_the_summary():
    # Both grades without a level: the level is said once, after them, so the card's summary
    # (< 140 characters) holds the whole item, the MRI's finding included, never cut.
    timed = finding("b-nl", BILSKY, "bilsky-0", when="2024-05-25T09:00:00Z")
    resources = default_patient(extra=(timed, untimed("b-nl-old", BILSKY, "bilsky-3"), CLEAR))
    card, alert, result = neurology(resources)
    said = (
        f"Bilsky 3 with no recorded time (Bilsky 0 on 25 May 2024), level not recorded — {SETTLED}"
    )
    assert card is not None and card.indicator == "info" and card.summary == said
    assert f"- info: {said}" in (card.detail or "")
    assert f"ALERT [info] {said}" in text_report(decide(result))
    # Cited: the untimed grade, the timed one the item names, and the MRI.
    assert alert is not None
    cited = "\n".join(alert.sources)
    assert all(
        ref in cited for ref in ("Observation/b-nl-old", "Observation/b-nl,", "Observation/wsm,")
    )


def test_noms_names_an_untimed_bilsky_3_without_a_level_as_the_card_does():
    # Without the MRI, the level-less untimed grade is said in NOMS N as a clause of its own.
    timed = finding("b-nl", BILSKY, "bilsky-0", when="2024-05-25T09:00:00Z")
    resources = default_patient(
        drop=("bilsky-t12",), extra=(timed, untimed("b-nl-old", BILSKY, "bilsky-3"))
    )
    _, _, result = neurology(resources)
    text = text_report(decide(result))
    assert "Bilsky 3, level not recorded, with no recorded time — confirm" in text


def test_untimed_normal_grades_and_an_untimed_grade_alone_are_read_as_before():
    normal = (
        untimed("exam", "frankel-grade", "frankel-e"),
        untimed("mri", BILSKY, "bilsky-1a", level="T12"),
    )
    card, _, _ = neurology(default_patient(extra=normal))
    assert card is None
    # With no timed grade to outrank it, an untimed Bilsky 3 is the level's grade: critical.
    alone = (untimed("mri", BILSKY, "bilsky-3", level="T12"),)
    card, _, _ = neurology(default_patient(drop=("bilsky-t12",), extra=alone))
    assert card is not None and card.indicator == "critical"
    # A timed deficit is critical whatever untimed grades say.
    both = (
        untimed("exam0", "frankel-grade", "frankel-b"),
        finding("exam", "frankel-grade", "frankel-c", when="2024-05-31T09:00:00Z"),
    )
    card, _, _ = neurology(default_patient(extra=both))
    assert card is not None and card.indicator == "critical"


def test_an_untimed_bilsky_3_without_a_level_behind_a_timed_bilsky_0_without_one_warns():
    extra = (untimed("mri", BILSKY, "bilsky-3"), finding("mri-0", BILSKY, "bilsky-0"))
    card, _, _ = neurology(default_patient(extra=extra))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Bilsky 3, level not recorded, with no recorded time: confirm the current grade "
        "(Bilsky 0, level not recorded, on 30 May 2024)"
    )


# --- a bodySite that names two levels (contract §2: never a level the record does not settle)


def _bilsky_3_at(site: dict) -> list:
    grade = finding("bilsky-t12", BILSKY, "bilsky-3", when="2024-05-31T09:00:00Z")
    grade["bodySite"] = site
    return default_patient(drop=("bilsky-t12",), extra=(grade,))


VERTEBRA_SYSTEM = "http://spinemets.org/fhir/CodeSystem/vertebra"


def test_a_bilsky_3_whose_words_name_another_level_still_alarms_at_neither_level_settled():
    site = {"coding": [{"system": VERTEBRA_SYSTEM, "code": "T12"}], "text": "T11"}
    card, _, result = neurology(_bilsky_3_at(site))
    assert card is not None and card.indicator == "critical"  # the alarm never goes
    assert "at T12" not in card.summary
    said = [i.diagnostics for i in result.issues if i.resource == "Observation/bilsky-t12"]
    assert said and "T11" in said[0] and "T12" in said[0]


def test_a_bilsky_3_whose_codings_name_two_levels_still_alarms():
    site = {"coding": [{"system": VERTEBRA_SYSTEM, "code": "T12"},
                       {"system": "http://snomed.info/sct", "code": "33766003"}]}  # fmt: skip
    card, _, _ = neurology(_bilsky_3_at(site))
    assert card is not None and card.indicator == "critical" and "at T12" not in card.summary
