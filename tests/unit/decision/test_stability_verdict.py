"""A recorded stability verdict of "unstable" (finding `spinal-stability`) at a level SINS calls
stable, or could call stable: SINS is a referral tool and never overrides it. The SINS card, its
detail, the text report, the page, the RiskAssessment and the procedure check say so; "no
surgical consultation needed" is never said beside it. A "stable" verdict changes nothing here
(NOMS reads it)."""

from __future__ import annotations

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import NOW, condition, default_patient, finding, order, procedure
from tests.unit.decision.test_wording import decisions_for, surfaces
from tests.unit.procedure.test_check import single, statuses

# T12 junctional 3 + pain-free 0 + lytic 2 + normal 0 + no collapse 0 + none 0 = 5 (stable).
STABLE_T12 = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none"}
NO_CONSULT = "no surgical consultation needed"


def _verdict(answer: str, level: str = "T12", when: str = "2024-05-30T09:00:00Z"):
    return finding(f"stab-{level}", "spinal-stability", answer, level=level, when=when)


def _stable_t12(*extra):
    return default_patient(sins=STABLE_T12, extra=extra)


def _risk(resources):
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    assert result.sins_risk is not None
    return result.sins_risk.resource


def _sins_card(cards):
    return next(c for c in cards if c.summary.startswith("SINS"))


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
    # L2: mobile spine 2 and nothing else (SINS 2); T12 (SINS 5) is described.
    l2 = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "spinal-alignment": "normal", "vertebral-body-collapse": "none",
          "posterolateral-involvement": "none"}  # fmt: skip
    resources = _stable_t12(
        condition("met-l2", "C79.51", level="L2"),
        *(finding(f"l2-{code}", code, answer, level="L2") for code, answer in l2.items()),
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
