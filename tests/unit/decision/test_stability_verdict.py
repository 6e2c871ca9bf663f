"""A recorded stability verdict of "unstable" (finding `spinal-stability`) at a level SINS calls
stable, or could call stable: SINS is a referral tool and never overrides it. The SINS card, its
detail, the text report, the page, the RiskAssessment and the procedure check say so; "no
surgical consultation needed" is never said beside it. A "stable" verdict changes nothing here
(NOMS reads it)."""

from __future__ import annotations

import html

import pytest

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.summary import headline
from tests.support.records import (
    NOW,
    SINS_AT_T12,
    condition,
    default_patient,
    finding,
    order,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for, surfaces
from tests.unit.procedure.test_check import single, statuses

# T12 junctional 3 + pain-free 0 + lytic 2 + normal 0 + no collapse 0 + none 0 = 5 (stable).
STABLE_T12 = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none"}
NO_CONSULT = "no surgical consultation needed"


def _verdict(answer: str, level: str = "T12", when: str = "2024-05-30T09:00:00Z"):
    return finding(f"stab-{level}", "spinal-stability", answer, level=level, when=when)


def _stable_t12(*extra):
    return default_patient(sins=STABLE_T12, extra=extra)


def _unstable_t12(*extra):
    """T12 at SINS 15: 3 + mechanical 3 + lytic 2 + subluxation 4 + collapse > 50 % 3 + none 0."""
    sins = {"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50"}
    return default_patient(sins=sins, extra=extra)


def _stable_l2():
    """L2: mobile spine 2 and nothing else (SINS 2), beside T12 (SINS 5, described)."""
    l2 = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "spinal-alignment": "normal", "vertebral-body-collapse": "none",
          "posterolateral-involvement": "none"}  # fmt: skip
    return (
        condition("met-l2", "C79.51", level="L2"),
        *(finding(f"l2-{code}", code, answer, level="L2") for code, answer in l2.items()),
    )


def _risk(resources):
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    assert result.sins_risk is not None
    return result.sins_risk.resource


def _sins_card(cards):
    return next(c for c in cards if "SINS" in c.summary.split(":")[0] or c.summary[:4] == "T12 ")


def test_a_recorded_unstable_verdict_at_a_stable_level_is_said_on_the_card_as_a_warning():
    cards, text, report, page = surfaces(decisions_for(_stable_t12(_verdict("unstable"))))
    card = _sins_card(cards)
    assert card.summary == (
        "SINS 5 at T12 (stable); recorded unstable on 30 May 2024: SINS does not override it"
    )
    assert card.indicator == "warning"
    assert NO_CONSULT not in text
    assert "Recorded unstable at T12 on 30 May 2024." in card.detail
    assert "SINS does not assess neurology or epidural compression" in card.detail
    for surface in (report, page):
        assert NO_CONSULT not in surface
        assert "does not override a recorded verdict of instability" in surface


def test_without_a_verdict_or_with_a_stable_one_the_stable_card_is_unchanged():
    for extra in ((), (_verdict("stable"),)):
        cards, text, _, _ = surfaces(decisions_for(_stable_t12(*extra)))
        card = _sins_card(cards)
        assert card.summary.startswith("SINS 5 at T12 (stable): does not assess neurology")
        assert card.indicator == "info"
        assert NO_CONSULT in text


def test_a_verdict_beside_a_range_that_could_be_stable_raises_it_to_a_warning():
    resources = default_patient(
        drop=("t12-spinal-pain",), sins=STABLE_T12, extra=(_verdict("unstable"),)
    )
    cards, text, _, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards)
    assert card.summary.startswith("SINS 5–8 at T12: recorded unstable on 30 May 2024")
    assert card.indicator == "warning"
    assert NO_CONSULT not in text


def test_a_verdict_beside_a_potentially_unstable_level_is_named_after_the_consultation():
    cards, _, _, _ = surfaces(decisions_for(default_patient(extra=(_verdict("unstable"),))))
    card = _sins_card(cards)
    assert card.summary == (
        "SINS 10 at T12 (potentially unstable): surgical consultation recommended; recorded "
        "unstable on 30 May 2024"
    )
    assert card.indicator == "warning"


def test_the_risk_assessment_never_says_no_consultation_beside_a_recorded_unstable_verdict():
    plain = _risk(_stable_t12())
    risk = _risk(_stable_t12(_verdict("unstable")))
    assert NO_CONSULT in plain["mitigation"]
    assert NO_CONSULT not in risk["mitigation"]
    assert risk["mitigation"].startswith("Recorded unstable at T12 on 30 May 2024. Stable by SINS")
    assert "does not override a recorded verdict of instability" in risk["mitigation"]
    assert "recorded unstable at T12 on 30 May 2024" in risk["prediction"][0]["rationale"]
    assert NO_CONSULT not in risk["text"]["div"]
    # Another result: sync writes nothing for one it has stored.
    assert risk["identifier"][0]["value"] != plain["identifier"][0]["value"]
    assert _risk(_stable_t12(_verdict("stable")))["identifier"] == plain["identifier"]


def test_a_verdict_at_another_level_is_named_by_the_patients_risk_assessment():
    resources = _stable_t12(
        *_stable_l2(),
        _verdict("unstable", "L2"),
    )
    assert NO_CONSULT in _risk(resources[:-1])["mitigation"]
    risk = _risk(resources)
    assert "Recorded unstable at L2 on 30 May 2024." in risk["mitigation"]
    assert NO_CONSULT not in risk["mitigation"]


def test_a_verdict_before_screws_at_the_level_is_history():
    fixed = procedure("fix", "22842", "T12", when="2024-05-31T09:00:00Z")
    _, text, _, _ = surfaces(decisions_for(_stable_t12(fixed, _verdict("unstable"))))
    assert "recorded unstable" not in text


def test_criterion_3_is_met_by_a_recorded_unstable_verdict_not_unmet_by_a_stable_total():
    plain = single(_stable_t12(), "T12")
    assert statuses(plain, "T12")[3] == "unmet"
    checked = single(_stable_t12(_verdict("unstable")), "T12")
    assert statuses(checked, "T12")[3] == "met"
    criterion = next(
        c for lv in checked.levels if lv.level == "T12" for c in lv.criteria if c.number == 3
    )
    assert "recorded unstable on 30 May 2024" in criterion.basis


def test_cement_alone_at_a_level_recorded_unstable_warns_that_screws_were_combined():
    _, text, _, _ = surfaces(
        decisions_for(_stable_t12(_verdict("unstable")), [order("vp", "22510", "T12")])
    )
    assert "recorded unstable at T12" in text
    assert "the case series combined cement with pedicle screw fixation" in text


def _criterion(checked, level, number=3):
    return next(
        c for lv in checked.levels if lv.level == level for c in lv.criteria if c.number == number
    )


def test_a_verdict_after_cement_at_the_level_is_said_and_meets_criterion_3():
    # Cement on 20 May, findings and the verdict on 30 May: the vertebra judged unstable since.
    cement = procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z")
    resources = _stable_t12(cement, _verdict("unstable"))
    cards, text, report, _ = surfaces(decisions_for(resources))
    # Unstable after cement alone: what the card says of any instability found since it.
    assert _sins_card(cards).summary == (
        "T12 recorded unstable on 30 May 2024, after the vertebroplasty on 20 May 2024: no fixation "
        "recorded — consider surgical review"
    )
    assert _sins_card(cards).indicator == "warning"
    assert (
        "Recorded unstable at T12 on 30 May 2024, after the vertebroplasty on 20 May 2024."
        in _sins_card(cards).detail
    )
    assert NO_CONSULT not in text
    assert NO_CONSULT not in report
    assert NO_CONSULT not in _risk(resources)["mitigation"]
    assert statuses(single(resources, "T12", code="22842"), "T12")[3] == "met"


def test_a_verdict_after_screws_at_the_level_is_said_beside_sins_not_applicable():
    fixed = procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z")
    resources = _stable_t12(fixed, _verdict("unstable"))
    cards, text, _, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards) if any(c.summary.startswith("SINS") for c in cards) else None
    summaries = [c.summary for c in cards]
    line = next(s for s in summaries if "fixed on 20 May 2024" in s)
    assert "recorded unstable on 30 May 2024" in line
    assert card is None or card.indicator == "warning"
    assert NO_CONSULT not in text
    assert NO_CONSULT not in _risk(resources)["mitigation"]


def test_stable_and_unstable_verdicts_of_the_same_time_keep_consultation_open():
    resources = _stable_t12(_verdict("stable"), finding(
        "stab-2", "spinal-stability", "unstable", level="T12", when="2024-05-30T09:00:00Z"))  # fmt: skip
    cards, text, _, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards)
    assert "stable and unstable both recorded on 30 May 2024" in card.summary
    assert card.indicator == "warning"
    assert NO_CONSULT not in text
    assert NO_CONSULT not in _risk(resources)["mitigation"]
    criterion = _criterion(single(resources, "T12"), "T12")
    assert criterion.status == "unknown"
    assert criterion.action == "settle the conflicting stability verdicts"


def test_a_dated_verdict_keeps_criterion_3_open_asking_for_the_verdict_again():
    resources = _stable_t12(_verdict("unstable", when="2022-01-10T09:00:00Z"))
    criterion = _criterion(single(resources, "T12", code="22842"), "T12")
    assert criterion.status == "unknown"
    assert criterion.finding == "stability verdict at T12 dated"
    assert criterion.action == "re-assess the stability verdict"
    cement = single(resources, "T12")
    assert any("recorded unstable at T12 (dated)" in c.finding for c in cement.concerns)


def test_a_current_verdict_is_said_beside_a_total_that_is_unstable_only_by_dated_findings():
    old = "2023-01-10T09:00:00Z"
    sins = {"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50"}  # SINS 15
    resources = default_patient(
        drop=tuple(f"t12-{code}" for code in ("spinal-pain", "bone-lesion-quality",
                                              "spinal-alignment", "vertebral-body-collapse",
                                              "posterolateral-involvement")),
        extra=(
            *(finding(f"old-{code}", code, answer, level="T12", when=old)
              for code, answer in {**SINS_AT_T12, **sins}.items()),
            _verdict("unstable"),
        ),
    )  # fmt: skip
    cards, _, _, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 30 May 2024" in _sins_card(cards).summary
    assert statuses(single(resources, "T12", code="22842"), "T12")[3] == "met"


def test_a_verdict_with_no_level_beside_two_levels_is_said_and_asks_for_its_level():
    resources = _stable_t12(
        *_stable_l2(),
        finding("stab", "spinal-stability", "unstable", when="2024-05-30T09:00:00Z"),
    )
    _, text, _, _ = surfaces(decisions_for(resources))
    assert NO_CONSULT not in text
    risk = _risk(resources)
    assert risk["mitigation"].startswith(
        "Recorded unstable on 30 May 2024, level not recorded — record its level."
    )
    assert "recorded unstable at T12" not in text  # never copied to a level


def test_the_risk_assessment_cites_the_verdict_it_quotes():
    risk = _risk(_stable_t12(_verdict("unstable")))
    assert {"reference": "Observation/stab-T12"} in risk["basis"]


def test_a_verdict_comes_before_what_to_record_in_a_card_summary():
    resources = default_patient(drop=("t12-posterolateral-involvement",),
                                extra=(_verdict("unstable"),))  # fmt: skip
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    # Whole, the verdict's day left to the detail: with it, what to record was cut ("record
    # posterolateral invol…").
    assert summary == (
        "SINS 10–13 at T12: surgical consultation recommended; recorded unstable; could be up to "
        "13 (unstable) — record posterolateral involvement"
    )


def test_a_deceased_patients_risk_assessment_is_not_a_new_result_for_words_it_does_not_show():
    def dead(resources):
        resources[0]["deceasedDateTime"] = "2024-05-31"
        return resources

    plain = _risk(dead(_stable_t12()))
    risk = _risk(dead(_stable_t12(_verdict("unstable"))))
    assert risk["identifier"] == plain["identifier"]


def test_the_page_draws_the_verdict_beside_the_band_it_is_not_overridden_by():
    _, _, _, page = surfaces(decisions_for(_stable_t12(_verdict("unstable"))))
    assert "T12 SINS 5 (stable) · recorded unstable" in page  # the drawing's aria-label
    assert "SINS 5 · stable · recorded unstable</text>" in page


def test_a_verdict_followed_by_cement_alone_is_instability_cement_did_not_fix():
    # Verdict 30 May, kyphoplasty 31 May, no screws: as SINS 18 before cement alone would be.
    kypho = procedure("k", "22513", "T12", when="2024-05-31T10:00:00Z")
    resources = _stable_t12(kypho, _verdict("unstable"))
    cards, text, _, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards)
    assert card.indicator == "warning"
    assert card.summary.startswith(
        "T12 recorded unstable on 30 May 2024, before the kyphoplasty on 31 May 2024: no fixation "
        "recorded"
    )
    assert NO_CONSULT not in text
    assert _risk(resources)["mitigation"].startswith(
        "Recorded unstable at T12 on 30 May 2024, before the kyphoplasty on 31 May 2024: no "
        "fixation recorded — consider surgical review. "
    )
    cement_again = single(resources, "T12")
    assert any("recorded unstable at T12" in c.finding for c in cement_again.concerns)


def test_a_verdict_after_cement_is_never_said_as_before_it():
    # Findings 10 May, cement 20 May, verdict 30 May.
    old = "2024-05-10T09:00:00Z"
    resources = default_patient(
        drop=tuple(f"t12-{code}" for code in SINS_AT_T12),
        extra=(
            *(finding(f"old-{code}", code, answer, level="T12", when=old)
              for code, answer in {**SINS_AT_T12, **STABLE_T12}.items()),
            procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
            _verdict("unstable"),
        ),
    )  # fmt: skip
    _, text, _, _ = surfaces(decisions_for(resources))
    assert "unstable before cement alone" not in text
    assert "recorded unstable on 30 May 2024, after the vertebroplasty on 20 May 2024" in text


def test_a_verdict_of_unknown_order_against_the_cement_is_said_so():
    cement = procedure("vp", "22511", "T12", when="2024-05-30")  # the day, no time
    _, text, _, _ = surfaces(decisions_for(_stable_t12(cement, _verdict("unstable"))))
    assert "not known to be before or after the vertebroplasty on 30 May 2024" in text
    assert "after cement on 30 May 2024" not in text


def test_a_verdict_with_no_level_beside_one_level_is_not_said_to_be_at_it():
    resources = _stable_t12(
        finding("stab", "spinal-stability", "unstable", when="2024-05-30T09:00:00Z")
    )
    cards, text, _, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 30 May 2024, level not recorded" in _sins_card(cards).summary
    assert "recorded unstable at T12" not in text
    assert NO_CONSULT not in text
    criterion = _criterion(single(resources, "T12", code="22842"), "T12")
    assert criterion.status == "unknown"
    assert criterion.action == "record the stability verdict's level"


def test_a_later_verdict_with_no_level_is_not_hidden_by_an_older_stable_one_at_the_level():
    resources = _stable_t12(
        *_stable_l2(),
        _verdict("stable", when="2024-05-20T09:00:00Z"),
        finding("stab", "spinal-stability", "unstable", when="2024-05-30T09:00:00Z"),
    )
    _, text, report, _ = surfaces(decisions_for(resources))
    lines = report.splitlines()
    t12 = lines[lines.index("  SINS T12: 5 — stable") + 1]
    assert t12.startswith(
        "    → Recorded unstable on 30 May 2024, level not recorded — record its level."
    )
    assert NO_CONSULT not in text


def _loose(answer, when="2024-05-30T09:00:00Z"):
    return finding(f"stab-any-{answer}", "spinal-stability", answer, when=when)


def test_a_later_stable_verdict_with_no_level_never_silences_the_levels_own_unstable_one():
    resources = _stable_t12(_verdict("unstable", when="2024-05-20T09:00:00Z"), _loose("stable"))
    cards, text, _, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 20 May 2024" in _sins_card(cards).summary
    assert _sins_card(cards).indicator == "warning"
    assert NO_CONSULT not in text
    assert statuses(single(resources, "T12", code="22842"), "T12")[3] == "met"


def test_the_levels_own_unstable_verdict_stays_certain_beside_a_later_one_with_no_level():
    resources = _stable_t12(_verdict("unstable", when="2024-05-20T09:00:00Z"), _loose("unstable"))
    cards, _, _, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 20 May 2024" in _sins_card(cards).summary
    assert statuses(single(resources, "T12", code="22842"), "T12")[3] == "met"


def test_noms_reads_the_level_as_either_beside_a_later_unstable_verdict_with_no_level():
    resources = _stable_t12(_verdict("stable", when="2024-05-20T09:00:00Z"), _loose("unstable"))
    _, _, report, _ = surfaces(decisions_for(resources))
    m = next(line for line in report.splitlines() if line.strip().startswith("M:"))
    assert "recorded unstable on 30 May 2024, level not recorded" in m
    assert "either" in m


def test_noms_says_a_verdict_with_no_level_read_at_the_only_level_has_no_level():
    _, _, report, _ = surfaces(decisions_for(_stable_t12(_loose("unstable"))))
    m = next(line for line in report.splitlines() if line.strip().startswith("M:"))
    assert "level not recorded" in m


def test_the_cement_headline_keeps_a_fracture_coded_since():
    resources = default_patient(
        drop=tuple(f"t12-{code}" for code in SINS_AT_T12),
        extra=(
            *(finding(f"old-{code}", code, answer, level="T12", when="2024-05-10T09:00:00Z")
              for code, answer in {**SINS_AT_T12, **STABLE_T12}.items()),
            _verdict("unstable", when="2024-05-15T09:00:00Z"),
            procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
            condition("fx", "M84.58XA", onset="2024-05-25", level="T12"),
        ),
    )  # fmt: skip
    card = _sins_card(surfaces(decisions_for(resources))[0])
    assert card.summary.startswith(
        "T12 recorded unstable on 15 May 2024, before the vertebroplasty"
    )
    assert "vertebral fracture coded after it" in card.summary


def test_a_verdict_with_no_level_is_never_placed_against_one_levels_cement():
    resources = _stable_t12(
        *_stable_l2(),
        procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
        _loose("unstable"),
    )
    risk = _risk(resources)
    assert risk["mitigation"].count("level not recorded") == 1
    assert "after the vertebroplasty" not in risk["mitigation"]


def test_a_dated_verdict_asks_to_be_re_assessed_in_the_detail_and_the_risk_assessment():
    resources = _stable_t12(_verdict("unstable", when="2022-01-10T09:00:00Z"))
    card = _sins_card(surfaces(decisions_for(resources))[0])
    assert "Recorded unstable at T12 on 10 Jan 2022 (dated) — re-assess it." in card.detail
    assert _risk(resources)["mitigation"].startswith(
        "Recorded unstable at T12 on 10 Jan 2022 (dated) — re-assess it."
    )


# L2: mobile 2 + mechanical 3 + lytic 2 + subluxation 4 + collapse > 50 % 3 + bilateral 3 = 17.
_UNSTABLE_L2 = {"spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
                "spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50",
                "posterolateral-involvement": "bilateral"}  # fmt: skip


def _noms_m(report, level):
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{level}:"))
    return next(line.strip() for line in lines[start:] if line.strip().startswith("M:"))


def test_a_stable_verdict_with_no_level_never_settles_noms_where_sins_says_unstable():
    resources = _stable_t12(
        condition("met-l2", "C79.51", level="L2"),
        *(finding(f"l2-{code}", code, answer, level="L2") for code, answer in _UNSTABLE_L2.items()),
        _loose("stable"),
    )
    _, _, report, _ = surfaces(decisions_for(resources))
    m = _noms_m(report, "L2")
    assert m.startswith("M: SINS 17 at L2 — unstable")
    assert "stable recorded, level not recorded" in m
    assert m.endswith("either")
    one = _unstable_t12(_loose("stable"))
    assert _noms_m(surfaces(decisions_for(one))[2], "T12").endswith("either")


def test_a_verdict_with_no_level_beside_cement_is_said_once_in_the_summary():
    cement = procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z")
    card = _sins_card(surfaces(decisions_for(_stable_t12(cement, _loose("unstable"))))[0])
    assert card.summary.count("recorded unstable") == 1


def test_a_verdict_after_cement_keeps_a_fracture_coded_since_the_findings_in_the_summary():
    resources = _stable_t12(
        procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
        _verdict("unstable"),
        condition("fx", "M84.58XA", onset="2024-05-31", level="T12"),
    )
    card = _sins_card(surfaces(decisions_for(resources))[0])
    assert card.summary.startswith("T12 recorded unstable on 30 May 2024, after the vertebroplasty")
    assert "vertebral fracture coded since — re-image" in card.summary


def test_level_less_verdicts_are_said_level_not_recorded_on_the_order_card_and_by_noms():
    resources = _stable_t12(_loose("unstable"))
    assert "stability verdict, level not recorded" in headline(single(resources, "T12"))
    assert "— either" not in _noms_m(surfaces(decisions_for(resources))[2], "T12")


def test_a_later_stable_verdict_with_no_level_never_silences_an_earlier_unstable_one():
    resources = _stable_t12(
        _loose("unstable", when="2024-05-20T09:00:00Z"),
        finding("stab-any-2", "spinal-stability", "stable", when="2024-05-30T09:00:00Z"),
    )
    cards, text, _, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 20 May 2024, level not recorded" in _sins_card(cards).summary
    assert NO_CONSULT not in text
    assert _criterion(single(resources, "T12"), "T12").status == "unknown"


def test_a_later_stable_verdict_with_no_level_is_said_beside_the_earlier_unstable_one():
    # It may be another level's, so it never silences the "unstable"; but it is not hidden
    # either: the surgeon who recorded it may have re-assessed this level.
    resources = _stable_t12(
        _loose("unstable", when="2024-05-20T09:00:00Z"),
        finding("stab-any-2", "spinal-stability", "stable", when="2024-05-30T09:00:00Z"),
    )
    cards, _, report, _ = surfaces(decisions_for(resources))
    said = "recorded unstable on 20 May 2024, stable on 30 May 2024, level not recorded"
    assert f"R{said[1:]} — record their level." in _sins_card(cards).detail
    assert _risk(resources)["mitigation"].startswith(f"R{said[1:]} — record their level.")
    assert said in _noms_m(report, "T12")
    # The summary keeps what a card must say whole ("level not recorded"); the detail, the rest.
    assert "recorded unstable on 20 May 2024, level not recorded" in _sins_card(cards).summary


def test_a_later_stable_verdict_with_no_level_never_pushes_level_not_recorded_out_of_a_summary():
    resources = default_patient(
        extra=(
            _loose("unstable", when="2024-01-10T09:00:00Z"),
            finding("stab-any-2", "spinal-stability", "stable", when="2024-06-01T08:00:00Z"),
        )
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary.endswith("recorded unstable on 10 Jan 2024 (dated), level not recorded"), summary


def test_verdicts_one_with_no_date_are_never_both_dated_by_the_other():
    # An undated "unstable" beside a "stable" of an hour ago: neither is known to be later, so
    # they conflict; but the undated one was not recorded that day, and neither is dated.
    undated = _loose("unstable")
    del undated["effectiveDateTime"]
    stable = finding("stab-any-2", "spinal-stability", "stable", when="2024-06-01T08:00:00Z")
    mitigation = _risk(_stable_t12(undated, stable))["mitigation"]
    assert mitigation.startswith(
        "Stable and unstable both recorded, one on 1 Jun 2024, one with no date recorded, "
        "level not recorded — settle them and record their level."
    ), mitigation
    assert "(dated)" not in mitigation


def test_verdicts_some_with_no_date_keep_level_not_recorded_in_the_summary_and_count_right():
    undated = _loose("unstable")
    del undated["effectiveDateTime"]
    stable = finding("stab-any-2", "spinal-stability", "stable", when="2024-05-30T09:00:00Z")
    card = _sins_card(surfaces(decisions_for(_stable_t12(undated, stable)))[0])
    assert card.summary == (
        "SINS 5 at T12 (stable); stable and unstable both recorded, one with no date recorded, "
        "level not recorded: SINS does not override it"
    )
    # One dated, one not: "one on", never "the latest on"; two undated: counted.
    assert "one on 30 May 2024, one with no date recorded" in card.detail
    beside_consult = _sins_card(
        surfaces(decisions_for(default_patient(extra=(undated, stable))))[0]
    )
    assert beside_consult.summary.endswith(
        "surgical consultation recommended; stable and unstable both recorded, level not recorded"
    ), beside_consult.summary
    again = dict(undated, id="stab-any-3")
    mitigation = _risk(_stable_t12(undated, again, stable))["mitigation"]
    assert "one on 30 May 2024, 2 with no date recorded" in mitigation, mitigation


@pytest.mark.parametrize("conflicting", [False, True])
def test_a_level_less_verdict_is_never_cut_to_an_ellipsis_where_nothing_else_says_unstable(
    conflicting,
):
    # SINS 10 (or 10–14), cement on the findings' day, a fracture with no level since, and a
    # level-less "unstable": the verdict was cut to a bare "…" after the fracture's action.
    extra = [
        procedure("vp", "22511", "T12", when="2024-05-30"),
        condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z"),
        _loose("unstable", when="2024-05-20T09:00:00Z"),
    ]
    if conflicting:
        extra.append(finding("t12-al2", "spinal-alignment", "subluxation", level="T12"))
    summary = _sins_card(surfaces(decisions_for(default_patient(extra=tuple(extra))))[0]).summary
    assert "recorded unstable, level not recorded" in summary, summary
    assert "re-image" in summary and not summary.endswith("…"), summary
    assert "vertebroplasty" in summary or "cement" in summary, summary  # what "since" follows
    assert summary.startswith("T12 SINS 10") and "with no level" in summary, summary
    # A stable level shown before its cement keeps its score too.
    stable = _stable_t12(
        _CEMENT_31,
        condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z"),
        _loose("unstable", when="2024-05-20T09:00:00Z"),
    )
    summary = _sins_card(surfaces(decisions_for(stable))[0]).summary
    assert "SINS 5" in summary and "recorded unstable" in summary, summary
    assert "with no level" in summary and not summary.endswith("…"), summary


def test_a_summary_that_says_the_level_is_unstable_keeps_it_beside_a_level_less_verdict():
    # Bilateral involvement found after cement alone, a fracture with no level since and a
    # level-less "unstable": the summary said only the verdict, blaming it for the instability.
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    extra = (
        procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
        condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z"),
        _loose("unstable", when="2024-05-20T09:00:00Z"),
    )
    summary = _sins_card(
        surfaces(decisions_for(default_patient(sins=bilateral, extra=extra)))[0]
    ).summary
    assert "bilateral posterolateral involvement at T12 after cement, unstable" in summary, summary
    assert "recorded unstable" not in summary, summary  # the detail names the verdict


def test_conflicting_verdicts_with_no_level_are_never_placed_at_the_ordered_level():
    resources = _stable_t12(
        _loose("unstable"),
        finding("stab-any-2", "spinal-stability", "stable", when="2024-05-30T09:00:00Z"),
    )
    line = headline(single(resources, "T12"))
    assert "conflict at T12" not in line
    assert "stability verdict, level not recorded" in line


def test_instability_after_cement_with_a_fracture_since_keeps_the_action_in_the_summary():
    resources = _stable_t12(
        procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z"),
        _verdict("unstable"),
        condition("fx", "M84.58XA", onset="2024-05-31", level="T12"),
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary.endswith("— re-image")


_CEMENT_31 = procedure("vp", "22511", "T12", when="2024-05-31T10:00:00Z")


@pytest.mark.parametrize(
    ("verdict_at", "fracture", "kept"),
    [
        (None, condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12"),
         ("recorded unstable", "re-image")),
        ("2024-06-01T07:00:00Z", condition("fx", "M84.58XA", onset="2024-05-31", level="T12"),
         ("recorded unstable", "re-image")),
        ("2024-06-01T07:00:00Z", condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z"),
         ("recorded unstable", "re-image", "record its level")),
    ],
)  # fmt: skip
def test_a_verdict_with_cement_alone_and_a_fracture_since_keeps_the_fracture_s_action(
    verdict_at, fracture, kept
):
    verdict = _verdict("unstable", when=verdict_at or "")
    if verdict_at is None:
        del verdict["effectiveDateTime"]
    card = _sins_card(
        surfaces(decisions_for(default_patient(extra=(_CEMENT_31, verdict, fracture))))[0]
    )
    assert card.indicator == "warning"
    assert not card.summary.endswith("…"), card.summary
    for words in kept:
        assert words in card.summary, card.summary


def test_the_risk_assessment_joins_a_verdict_s_action_and_cement_alone_s_advice_plainly():
    dated = _verdict("unstable", when="2024-01-10T09:00:00Z")
    cement = procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z")
    mitigation = _risk(_stable_t12(dated, cement))["mitigation"]
    assert "— re-assess it; no fixation recorded — consider surgical review." in mitigation
    assert "re-assess it:" not in mitigation


@pytest.mark.parametrize("placed", [False, True])
def test_a_level_less_verdict_beside_a_fracture_is_never_cut_into_the_level_s_own(placed):
    # Cement alone at a level unstable by SINS, a fracture since and a level-less "unstable":
    # the summary, already fitted for the fracture, was cut at "…; recorded unstable…", which
    # reads as the level's own verdict.
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", **(
        {"level": "T12"} if placed else {}))  # fmt: skip
    loose = _loose("unstable", when="2024-06-01T07:00:00Z")
    summary = _sins_card(
        surfaces(
            decisions_for(default_patient(sins=bilateral, extra=(_CEMENT_31, fracture, loose)))
        )[0]
    ).summary
    assert "unstable; no fixation recorded" in summary and "re-image" in summary, summary
    assert "recorded unstable" not in summary or "level not recorded" in summary, summary


def test_noms_reads_sins_beside_a_level_less_verdict_sins_already_says():
    resources = _unstable_t12(_loose("unstable"))
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert "None" not in m
    assert m.startswith("M: SINS 15 at T12 — unstable")


def test_noms_keeps_a_later_level_less_unstable_beside_an_older_own_stable_at_sins_15():
    resources = _unstable_t12(_verdict("stable", when="2024-05-25T09:00:00Z"), _loose("unstable"))
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert "Stable" in m
    assert "unstable recorded, level not recorded" in m
    assert m.endswith("either")


@pytest.mark.parametrize(
    ("verdict", "said"),
    [
        (_verdict, "unstable recorded before its fixation ("),
        (_loose, "unstable recorded before its fixation, level not recorded ("),
    ],
)
def test_noms_reads_a_verdict_before_the_screws_as_their_history_by_what_it_says(verdict, said):
    resources = _stable_t12(
        verdict("unstable", when="2024-05-15T09:00:00Z"),
        procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z"),
    )
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m.startswith("M: T12 fixed")
    assert said in m
    assert "stable recorded" not in m.replace("unstable recorded", "")
    assert not m.endswith("either")


def test_a_level_less_verdict_after_the_screws_is_said_beside_an_own_one_before_them():
    resources = _stable_t12(
        _verdict("unstable", when="2024-05-15T09:00:00Z"),
        procedure("fix", "22842", "T12", when="2024-05-20T10:00:00Z"),
        _loose("unstable"),
    )
    cards, _, report, _ = surfaces(decisions_for(resources))
    assert "recorded unstable on 30 May 2024, level not recorded" in _sins_card(cards).summary
    assert _noms_m(report, "T12").endswith("either")


def test_an_undated_verdict_is_said_once_as_undated():
    undated = _verdict("unstable")
    del undated["effectiveDateTime"]
    card = _sins_card(surfaces(decisions_for(_stable_t12(undated)))[0])
    assert "recorded unstable, no date recorded: SINS does not override it" in card.summary
    assert "(dated)" not in card.summary


def test_the_order_check_says_an_undated_verdict_has_no_date_not_that_it_is_dated():
    undated = _verdict("unstable")
    del undated["effectiveDateTime"]
    resources = _stable_t12(undated)
    criterion = _criterion(single(resources, "T12", code="22842"), "T12")
    assert criterion.status == "unknown"
    assert criterion.finding == "stability verdict at T12 with no date"
    assert criterion.action == "re-assess the stability verdict"
    cement = single(resources, "T12")
    said = "\n".join(c.finding for c in cement.concerns)
    assert "recorded unstable at T12, no date recorded" in said  # the level first, as dated
    assert "(dated)" not in said and "(dated)" not in headline(cement)


def test_conflicting_verdicts_with_no_level_ask_to_be_settled_and_placed():
    resources = _stable_t12(
        _loose("unstable"),
        finding("stab-any-2", "spinal-stability", "stable", when="2024-05-30T09:00:00Z"),
    )
    assert _risk(resources)["mitigation"].startswith(
        "Stable and unstable both recorded on 30 May 2024, level not recorded — settle them and "
        "record their level."
    )


# The level's own verdict is NOMS's M, as the framework takes the surgeon's word; SINS is named
# beside it where it reads otherwise, and findings certainly after the verdict that make SINS
# read otherwise leave M open (the verdict may not have seen them).
_OWN_M = "M: Mechanical stability of the spine: "


@pytest.mark.parametrize(
    ("patient", "verdict", "sins"),
    [
        (
            _unstable_t12,
            "stable",
            "SINS 15 at T12 — unstable: the recorded verdict is read over it",
        ),
        (_stable_t12, "unstable", "SINS 5 at T12 — stable: the recorded verdict is read over it"),
    ],
)
def test_noms_names_sins_beside_an_own_verdict_it_contradicts(patient, verdict, sins):
    m = _noms_m(surfaces(decisions_for(patient(_verdict(verdict))))[2], "T12")
    assert m == f"{_OWN_M}{verdict.capitalize()} (Observation/stab-T12, 30 May 2024); {sins}"


def test_noms_says_the_verdict_settles_a_sins_of_7_to_12():
    m = _noms_m(surfaces(decisions_for(default_patient(extra=(_verdict("stable"),))))[2], "T12")
    assert m.endswith("; SINS 10 at T12 — stable or unstable: the recorded verdict settles it")


def test_noms_reads_either_when_findings_since_the_verdict_make_sins_say_otherwise():
    resources = _unstable_t12(_verdict("stable", when="2024-05-20T09:00:00Z"))
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m == (
        f"{_OWN_M}Stable (Observation/stab-T12, 20 May 2024); SINS 15 at T12 — unstable, from "
        "findings recorded since the verdict — either"
    )
    agreeing = _stable_t12(_verdict("stable", when="2024-05-20T09:00:00Z"))
    assert _noms_m(surfaces(decisions_for(agreeing))[2], "T12") == (
        f"{_OWN_M}Stable (Observation/stab-T12, 20 May 2024)"
    )


def test_noms_reads_instability_found_after_cement_alone_as_the_sins_card_does():
    # Bilateral posterolateral involvement found after cement alone: the SINS card says the level
    # is unstable after cement; NOMS read SINS 11 alone as "stable or unstable".
    bilateral = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}
    cement = procedure("vp", "22511", "T12", when="2024-05-20T10:00:00Z")
    cards, _, report, _ = surfaces(decisions_for(default_patient(sins=bilateral, extra=(cement,))))
    assert "after cement, unstable" in _sins_card(cards).summary
    m = _noms_m(report, "T12")
    assert m == (
        "M: SINS 11 at T12 — stable or unstable; bilateral posterolateral involvement at T12 "
        "after cement — unstable"
    )


@pytest.mark.parametrize(
    ("sins", "said"),
    [
        ({}, "SINS 10 at T12 — stable or unstable: the recorded verdict settles it"),
        (STABLE_T12, "SINS 5 at T12 — stable: the recorded verdict is read over it"),
    ],
)
def test_noms_never_loosens_an_unstable_verdict_by_sins_findings_since_it(sins, said):
    # SINS 7-12 or 6 from later findings is no evidence against a surgeon's "unstable": M
    # stays unstable, so NOMS never offers radiation alone where the card says SINS does not
    # override it.
    resources = default_patient(
        sins=sins, extra=(_verdict("unstable", when="2024-05-20T09:00:00Z"),)
    )
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m == f"{_OWN_M}Unstable (Observation/stab-T12, 20 May 2024); {said}"


_BILATERAL = {"posterolateral-involvement": "bilateral", "bone-lesion-quality": "blastic"}


def test_noms_reads_instability_after_cement_alone_beside_a_levels_own_verdict():
    cement = procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z")
    earlier = _verdict("unstable", when="2024-05-20T09:00:00Z")
    resources = default_patient(sins=_BILATERAL, extra=(earlier, cement))
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m == f"{_OWN_M}Unstable (Observation/stab-T12, 20 May 2024)"
    stable = default_patient(sins=_BILATERAL, extra=(_verdict("stable"), cement))
    m = _noms_m(surfaces(decisions_for(stable))[2], "T12")
    assert m == (
        f"{_OWN_M}Stable (Observation/stab-T12, 30 May 2024); SINS 11 at T12 — stable or "
        "unstable; bilateral posterolateral involvement at T12 after cement — unstable: the "
        "recorded verdict is read over it"
    )


def test_noms_reads_either_beside_a_stable_verdict_of_no_date_or_of_an_unknown_order():
    undated = _verdict("stable")
    del undated["effectiveDateTime"]
    m = _noms_m(surfaces(decisions_for(_unstable_t12(undated)))[2], "T12")
    assert m.endswith("; SINS 15 at T12 — unstable; the verdict has no date recorded — either"), m
    month = [
        {**r, "effectiveDateTime": "2024-05"} if r.get("id", "").startswith("t12-") else r
        for r in _unstable_t12(_verdict("stable", when="2024-05-20T09:00:00Z"))
    ]
    m = _noms_m(surfaces(decisions_for(month))[2], "T12")
    assert m.endswith(
        "; SINS 15 at T12 — unstable, from findings not known to be before the verdict — either"
    ), m


def test_noms_never_names_sins_beside_a_verdict_at_a_level_fixed_with_screws():
    screws = procedure("fix", "22842", "T12", when="2024-05-22T10:00:00Z")
    m = _noms_m(surfaces(decisions_for(_unstable_t12(screws, _verdict("stable"))))[2], "T12")
    assert m == f"{_OWN_M}Stable (Observation/stab-T12, 30 May 2024)"


def test_a_level_less_verdict_beside_unordered_findings_keeps_level_not_recorded_whole():
    resources = default_patient(
        drop=("t12-spinal-alignment",),
        extra=(
            procedure("vp", "22511", "T12", when="2024-05"),
            finding("stab-any", "spinal-stability", "unstable"),
        ),
    )
    card = _sins_card(surfaces(decisions_for(resources))[0])
    assert not card.summary.endswith("…"), card.summary
    assert "possibly unstable — re-assess" in card.summary
    assert card.summary.endswith("recorded unstable on 30 May 2024, level not recorded") or (
        card.summary.endswith("recorded unstable, level not recorded")
    ), card.summary


def _beside_cement(verdict_time: str | None, cement_time: str, fracture_onset: str | None) -> str:
    """The SINS card's summary of T12 with an "unstable" verdict (None: with no date), cement
    alone, and a fracture with no level (None: with no date; "absent": none); never cut."""
    verdict = _verdict("unstable", when=verdict_time or NOW)
    if verdict_time is None:
        del verdict["effectiveDateTime"]
    extra = [verdict, procedure("vp", "22511", "T12", when=cement_time)]
    if fracture_onset != "absent":
        fracture = condition("fx", "M84.58XA", onset=fracture_onset)
        extra.append(fracture if fracture_onset else condition("fx", "M84.58XA"))
    summary = _sins_card(surfaces(decisions_for(default_patient(extra=tuple(extra))))[0]).summary
    assert not summary.endswith("…") and len(summary) <= 140, summary
    return summary


@pytest.mark.parametrize("verdict_time", [None, "2024-05-20T09:00:00Z", "2024-05"])
@pytest.mark.parametrize("cement_time", ["2024-05-22T10:00:00Z", "2024-05"])
@pytest.mark.parametrize("fracture_onset", [None, "2024-05", "2024-06-01T08:00:00Z", "absent"])
def test_a_verdict_beside_cement_alone_keeps_no_fixation_and_the_fractures_action_whole(
    verdict_time, cement_time, fracture_onset
):
    # Long order wordings ("no date recorded, not known to be before or after the
    # vertebroplasty") cut the summary before "no fixation recorded" or "or record its level".
    summary = _beside_cement(verdict_time, cement_time, fracture_onset)
    assert summary.startswith("T12 recorded unstable"), summary
    if "fracture" in summary:  # the fracture's whole action, before "no fixation recorded"
        assert summary.endswith("— re-image, or record its level"), summary
    else:
        assert "no fixation recorded" in summary, summary


def test_noms_reads_either_beside_a_stable_verdict_and_sins_findings_with_no_date():
    # A finding with no date may be newer than the verdict, as a verdict with no date may be
    # older than the findings: neither settles M.
    resources = [
        {k: v for k, v in r.items() if k != "effectiveDateTime"}
        if r.get("id", "").startswith("t12-")
        else r
        for r in _unstable_t12(_verdict("stable", when="2024-05-20T09:00:00Z"))
    ]
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m.endswith(
        "; SINS 15 at T12 — unstable, from findings with no date recorded — either"
    ), m


@pytest.mark.parametrize(
    ("cement", "said"),
    [
        ("2024-05-31T10:00:00Z", "subluxation at T12 before cement alone — unstable"),
        ("2024-05", "subluxation at T12, not known to be before or after cement alone — unstable"),
    ],
)
def test_noms_reads_instability_before_cement_alone_as_the_sins_card_does(cement, said):
    # Subluxation at SINS 9 before (or of an unknown order against) cement alone: the card says
    # unstable, as cement does not reduce a subluxation; NOMS read SINS alone, "stable or unstable".
    subluxation = {"spinal-alignment": "subluxation", "bone-lesion-quality": "blastic",
                   "spinal-pain": "pain-free"}  # fmt: skip
    resources = default_patient(
        sins=subluxation, extra=(procedure("vp", "22511", "T12", when=cement),)
    )
    cards, _, report, _ = surfaces(decisions_for(resources))
    assert "unstable" in _sins_card(cards).summary
    assert _noms_m(report, "T12") == f"M: SINS 9 at T12 — stable or unstable; {said}"


@pytest.mark.parametrize(
    ("verdict_time", "order"),
    [("2024-02-28T09:00:00Z", "(dated), after the vertebroplasty"),
     ("2024-02-18T09:00:00Z", "(dated), before the vertebroplasty")],
)  # fmt: skip
def test_a_verdict_beside_cement_alone_keeps_its_order_and_age_before_its_day(verdict_time, order):
    # The shortest form, "T12 recorded unstable, cement alone", read the same for a verdict
    # before the cement and one after it: the days go first, the order and "(dated)" after.
    extra = (
        _verdict("unstable", when=verdict_time),
        procedure("vp", "22511", "T12", when="2024-02-20"),
        condition("fx", "M84.58XA", onset="2024-05"),
    )
    summary = _sins_card(surfaces(decisions_for(default_patient(extra=extra)))[0]).summary
    assert summary.startswith(f"T12 recorded unstable {order}"), summary
    assert summary.endswith("— re-image, or record its level"), summary


@pytest.mark.parametrize("cement_time", ["2024-05-22T10:00:00Z", "2024-05"])
@pytest.mark.parametrize("fracture_onset", [None, "2024-05", "absent"])
def test_an_undated_verdict_beside_cement_alone_keeps_no_date_recorded(cement_time, fracture_onset):
    # Where its order against the cement did not fit, the summary fell to "T12 recorded
    # unstable, cement alone", which reads as a current verdict with 28 characters to spare;
    # "no date recorded" says in 18 that its age and its order are unknown.
    summary = _beside_cement(None, cement_time, fracture_onset)
    assert summary.startswith("T12 recorded unstable, no date recorded"), summary


@pytest.mark.parametrize(
    "verdicts",
    [(_loose("unstable"),), (_verdict("stable", when="2024-05-20T09:00:00Z"), _loose("unstable"))],
)
def test_a_sins_range_across_bands_beside_a_level_less_verdict_is_never_cut(verdicts):
    # "SINS 10–14 at T12: surgical consultation recommended; recorded unstable on 30 May 2024,
    # level not recorded; could be up to 14 (unstable)…" lost what to record; the verdict's
    # day goes to the detail first.
    resources = default_patient(drop=("t12-spinal-alignment",), extra=verdicts)
    card = _sins_card(surfaces(decisions_for(resources))[0])
    assert not card.summary.endswith("…") and len(card.summary) <= 140, card.summary
    assert "recorded unstable" in card.summary and "level not recorded" in card.summary
    assert card.summary.endswith("— record alignment"), card.summary
    assert "Recorded unstable on 30 May 2024, level not recorded" in (card.detail or "")


def _undated(resource):
    return {k: v for k, v in resource.items() if k != "effectiveDateTime"}


@pytest.mark.parametrize(
    ("verdicts", "said"),
    [
        (
            (_undated(_loose("unstable")),),
            "recorded unstable, no date recorded, level not recorded",
        ),
        ((_loose("stable"), _loose("unstable")), "stable and unstable both recorded"),
    ],
)
def test_a_sins_range_beside_a_long_level_less_verdict_keeps_what_to_record(verdicts, said):
    # With the verdict's day gone and "could be" too, "…; up to 14 (unstable)…" was still cut
    # before what to record: the range's top goes last (the head, "SINS 10–14", gives it).
    resources = default_patient(drop=("t12-spinal-alignment",), extra=verdicts)
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert not summary.endswith("…") and len(summary) <= 140, summary
    assert summary.startswith(f"SINS 10–14 at T12: surgical consultation recommended; {said}")
    assert summary.endswith("— record alignment"), summary


def test_a_dated_level_less_verdict_keeps_its_age_beside_cement_and_a_fracture():
    # Cement before the findings, a fracture perhaps since them: the summary, which named the
    # verdict as "recorded unstable (dated), level not recorded", was replaced by one that
    # dropped "(dated)" and the consultation (which the detail does not give either).
    extra = (
        _loose("unstable", when="2023-06-01T09:00:00Z"),
        procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z"),
        condition("fx", "M84.58XA", onset="2024-05"),
    )
    summary = _sins_card(surfaces(decisions_for(default_patient(extra=extra)))[0]).summary
    assert "recorded unstable (dated), level not recorded" in summary, summary
    assert "surgical consultation recommended" in summary, summary


@pytest.mark.parametrize("fracture", [False, True])
def test_conflicting_verdicts_before_cement_are_named_once_in_the_summary(fracture):
    # Findings after the cement score the level, whose summary already names the conflict in
    # brief: it was named again, and cut ("…; stable and unstable both recorded; stable and
    # unstable both…").
    extra = [
        finding("stab-s", "spinal-stability", "stable", level="T12", when="2024-05-20T09:00:00Z"),
        finding("stab-u", "spinal-stability", "unstable", level="T12", when="2024-05-20T09:00:00Z"),
        procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z"),
    ]
    if fracture:  # with no date: not known to be older than anything
        extra.append(condition("fx", "M84.58XA"))
    card = _sins_card(surfaces(decisions_for(default_patient(extra=tuple(extra))))[0])
    assert not card.summary.endswith("…") and len(card.summary) <= 140, card.summary
    assert card.summary.count("stable and unstable both recorded") == 1, card.summary
    assert "Stable and unstable both recorded at T12 on 20 May 2024" in (card.detail or "")


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("2023-06-01T09:00:00Z", "stable and unstable both recorded (dated)"),
        (None, "stable and unstable both recorded, no date recorded"),
    ],
)
def test_conflicting_verdicts_before_cement_keep_their_age_in_the_summary(when, said):
    # Too long whole ("… on 1 Jun 2023 (dated), before the vertebroplasty on 22 May 2024"), the
    # verdicts fell to "stable and unstable both recorded", which reads as current, with 32
    # characters to spare.
    verdicts = [
        finding(f"stab-{a}", "spinal-stability", a, level="T12", when=when or NOW)
        for a in ("stable", "unstable")
    ]
    extra = [_undated(v) if when is None else v for v in verdicts]
    extra.append(procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z"))
    summary = _sins_card(surfaces(decisions_for(default_patient(extra=tuple(extra))))[0]).summary
    assert not summary.endswith("…") and len(summary) <= 140, summary
    assert said in summary and summary.count("both recorded") == 1, summary


def test_the_sins_detail_names_the_levels_own_stable_verdict_that_noms_goes_by():
    # NOMS reads a surgeon's "stable" over SINS 15 and leaves surgery out; the SINS card said
    # "surgical consultation recommended" and never named the verdict, so a reader could not see
    # why the two differ.
    cards, _, report, page = surfaces(decisions_for(_unstable_t12(_verdict("stable"))))
    card = _sins_card(cards)
    said = (
        "Recorded stable at T12 on 30 May 2024: NOMS reads it as the level's mechanical "
        "stability; SINS still recommends the surgical consultation."
    )
    assert card.summary == "SINS 15 at T12 (unstable): surgical consultation recommended"
    assert said in (card.detail or "")
    assert said in report
    assert html.escape(said) in page
    # Where SINS says stable too, there is nothing to explain.
    quiet = surfaces(decisions_for(_stable_t12(_verdict("stable"))))[0]
    assert "Recorded stable" not in (_sins_card(quiet).detail or "")


@pytest.mark.parametrize(
    "resources",
    [
        # NOMS reads either: findings since the verdict, or a verdict with no level beside it
        _unstable_t12(_verdict("stable", when="2024-05-20T09:00:00Z")),
        _unstable_t12(_verdict("stable"), _loose("unstable")),
    ],
)
def test_the_sins_detail_names_a_stable_verdict_only_where_noms_goes_by_it(resources):
    cards, _, report, _ = surfaces(decisions_for(resources))
    assert "NOMS reads it as" not in (_sins_card(cards).detail or "")
    assert "NOMS reads it as" not in report


def test_a_stable_verdict_beside_cement_alone_at_an_unstable_level_names_the_cement_warning():
    # Cement after the findings: the card recommends no consultation on findings before it, but
    # warns of cement alone given at SINS 15 ("consider surgical review"); NOMS reads the
    # surgeon's "stable" as M, and the detail says why, in the warning's words.
    resources = _unstable_t12(
        _verdict("stable"), procedure("vp", "22511", "T12", when="2024-05-31")
    )
    cards, _, report, _ = surfaces(decisions_for(resources))
    detail = _sins_card(cards).detail or ""
    said = (
        "Recorded stable at T12 on 30 May 2024: NOMS reads it as the level's mechanical "
        "stability; the warning of cement alone still stands."
    )
    assert said in detail and said in report
    assert "SINS still recommends the surgical consultation" not in detail + report


_FRACTURE_SINCE = condition("fx", "M84.58XA", onset="2024-05-31", level="T12")
_STABLE_TOO = finding(
    "stab-T12-b", "spinal-stability", "stable", level="T12", when="2024-05-30T09:00:00Z"
)


def _cement_then_fracture(cement: str) -> tuple[dict, dict]:
    """Cement at T12 (``cement``: its time), then a fracture at T12 coded on 1 Jun 08:00."""
    return (
        procedure("vp", "22511", "T12", when=cement),
        condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12"),
    )


def test_conflicting_verdicts_stay_said_beside_a_fracture_coded_since():
    # "Stable" and "unstable" both recorded at T12, then a fracture: the conflict was dropped as
    # if the fracture had only made a "stable" uncertain, and the risk assessment said "no
    # surgical consultation needed" beside a recorded "unstable".
    resources = _stable_t12(_verdict("unstable"), _STABLE_TOO, _FRACTURE_SINCE)
    cards, _, text, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards)
    assert card.indicator == "warning"
    assert card.summary == (
        "SINS 5–15 at T12: stable and unstable both recorded — fracture coded since: re-image, "
        "re-assess pain, alignment, collapse"
    )
    assert "Stable and unstable both recorded at T12 on 30 May 2024 — settle them." in text
    mitigation = _risk(resources)["mitigation"]
    assert NO_CONSULT not in mitigation
    assert "does not override a recorded verdict of instability" in mitigation


def test_a_range_beside_a_verdict_keeps_what_a_fracture_since_asks():
    # SINS 5–15 (a fracture since the findings) beside a recorded "unstable": the summary said
    # the verdict and the range, never what to do about the fracture.
    summary = _sins_card(
        surfaces(decisions_for(_stable_t12(_verdict("unstable"), _FRACTURE_SINCE)))[0]
    ).summary
    assert summary == (
        "SINS 5–15 at T12: recorded unstable; could be up to 15 (unstable) — fracture coded "
        "since: re-image, re-assess pain, alignment, collapse"
    )
    # Where the fracture's whole action does not fit, its re-imaging is kept, never cut.
    resources = default_patient(
        extra=(_loose("unstable"), *_cement_then_fracture("2024-05-20T10:00:00Z"))
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary == (
        "SINS 10–15 at T12: surgical consultation recommended; recorded unstable, level not "
        "recorded — fracture coded since: re-image"
    )


def test_a_dated_verdict_beside_cement_and_a_fracture_since_keeps_its_age_in_the_summary():
    resources = _stable_t12(
        _loose("unstable", when="2023-11-01T09:00:00Z"),
        *_cement_then_fracture("2024-05-31T10:00:00Z"),
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary == (
        "T12 before vertebroplasty: SINS 5; vertebral fracture coded after it — re-image; "
        "recorded unstable (dated), level not recorded"
    )


def test_noms_keeps_the_fracture_beside_conflicting_verdicts():
    resources = _stable_t12(_verdict("unstable"), _STABLE_TOO, _FRACTURE_SINCE)
    m = _noms_m(surfaces(decisions_for(resources))[2], "T12")
    assert m.endswith(
        "— either: a vertebral fracture (ICD-10-CM M84.58XA at T12) (Condition/fx, 31 May 2024) is "
        "recorded after the stability verdict: it may no longer hold — re-image and re-assess the "
        "level."
    ), m


def test_a_fracture_with_no_level_keeps_record_its_level_in_a_verdict_s_summary():
    # "fracture coded since: re-image" alone reads as a fracture at T12.
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z")
    for verdict in (_loose("unstable"), _verdict("unstable")):
        summary = _sins_card(surfaces(decisions_for(_stable_t12(verdict, fracture)))[0]).summary
        assert "re-image" in summary and "record its level" in summary, summary
        assert not summary.endswith("…"), summary


def test_a_conflict_before_cement_alone_keeps_what_settles_the_possible_instability():
    resources = default_patient(
        drop=("t12-spinal-alignment",),
        extra=(_verdict("unstable"), _STABLE_TOO, *_cement_then_fracture("2024-05-31T10:00:00Z")),
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert "stable and unstable both recorded" in summary, summary
    assert "re-image" in summary and "possibly unstable — record alignment" in summary, summary


def test_an_old_conflict_before_cement_alone_keeps_what_settles_before_its_order():
    def old(answer):
        return finding(f"stab-{answer}", "spinal-stability", answer, level="T12",
                       when="2024-03-01T09:00:00Z")  # fmt: skip

    resources = default_patient(
        sins=STABLE_T12,
        drop=("t12-spinal-alignment",),
        extra=(old("unstable"), old("stable"), *_cement_then_fracture("2024-05-31T10:00:00Z")),
    )
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary == (
        "T12 SINS 5–9: stable and unstable both recorded (dated); fracture since the "
        "vertebroplasty — re-image; possibly unstable — record alignment"
    )


def test_an_undated_conflict_beside_a_fracture_with_no_level_keeps_re_imaging():
    def undated(answer):
        verdict = finding(f"stab-{answer}", "spinal-stability", answer, level="T12")
        del verdict["effectiveDateTime"]
        return verdict

    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z")
    resources = default_patient(extra=(undated("unstable"), undated("stable"), fracture))
    summary = _sins_card(surfaces(decisions_for(resources))[0]).summary
    assert summary == (
        "SINS 10–15 at T12: surgical consultation recommended; stable and unstable both recorded, "
        "no date recorded — fracture, no level: re-image"
    )


@pytest.mark.parametrize(("unstable_on", "stable_on"), [("2024-05", "2024-05-30T09:00:00Z"),
                                                         ("2024-05-30T09:00:00Z", "2024-05")])  # fmt: skip
def test_conflicting_verdicts_of_different_days_are_never_given_one_day(unstable_on, stable_on):
    # "Unstable" recorded in May 2024 (no day) and "stable" on 30 May: not known to be in order,
    # so a conflict; but "both recorded on 30 May 2024" dates the reading of May 2024 to a day
    # it may not be (and reads as one visit's disagreement). Each reading keeps its own.
    extra = (
        finding("stab-u", "spinal-stability", "unstable", level="T12", when=unstable_on),
        finding("stab-s", "spinal-stability", "stable", level="T12", when=stable_on),
    )
    resources = default_patient(extra=extra)
    cards, text, _, _ = surfaces(decisions_for(resources))
    card = _sins_card(cards)
    said = "both recorded"
    for where in (card.summary, card.detail or "", text, _risk(resources)["mitigation"]):
        assert said in where, where
        assert f"{said} on 30 May 2024" not in where and f"{said} at T12 on 30 May" not in where
    assert "in May 2024 (dated) and on 30 May 2024" in (card.detail or "")
    assert "in May 2024 (dated) and on 30 May 2024" in _risk(resources)["mitigation"]


def test_conflicting_verdicts_of_different_days_date_only_the_reading_that_is_dated():
    # "in May 2024 and on 30 May 2024 (dated)" read as if 30 May (two days ago) were dated.
    extra = (
        finding("stab-u", "spinal-stability", "unstable", level="T12", when="2024-05"),
        finding("stab-s", "spinal-stability", "stable", level="T12", when="2024-05-30T09:00:00Z"),
    )
    mitigation = _risk(default_patient(extra=extra))["mitigation"]
    assert "in May 2024 (dated) and on 30 May 2024 — settle them" in mitigation, mitigation
