"""Patient-view safety (contract §4): the neurology card, the SINS caveat, strategies as published
strategies, the deceased patient, dated and unconfirmed inputs named on the card."""

from __future__ import annotations

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import (
    NOW,
    clinical,
    condition,
    default_patient,
    finding,
    measurement,
)

STALE = "2024-04-01T09:00:00Z"


def cards_for(resources):
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    return score_cards(decide(result), "hook"), result


def by_topic(cards):
    return {c.source.topic.code if c.source.topic else "safety": c for c in cards}


STABLE = {
    "spinal-pain": "pain-free",
    "bone-lesion-quality": "blastic",
    "vertebral-body-collapse": "none",
}  # SINS at T12: 3 + 0 + 0 + 0 + 0 + 0 = 3


def test_a_stable_sins_always_says_what_it_does_not_assess():
    cards, _ = cards_for(default_patient(sins=STABLE))
    sins = by_topic(cards)["sins"]
    assert "(stable)" in sins.summary
    assert "does not assess neurology or cord compression" in sins.summary
    assert "SINS does not assess neurology or epidural compression" in sins.detail
    assert sins.indicator == "info"


def test_frankel_c_with_a_stable_sins_gets_a_critical_neurology_card_first():
    resources = default_patient(
        sins=STABLE,
        drop=("frankel", "bilsky-t12"),
        extra=(
            finding("frankel", "frankel-grade", "frankel-c"),
            finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12"),
        ),
    )
    cards, _ = cards_for(resources)
    first = cards[0]
    assert first.indicator == "critical" and first.source.topic is None
    assert "Frankel/AIS C" in first.summary and "Bilsky 2–3 at T12" in first.summary
    assert "MSCC" in first.detail and "NICE NG234, 2023" in first.detail
    assert "whole-spine MRI within 24 hours" in first.detail
    assert len(first.summary) < 140
    sins = by_topic(cards)["sins"]
    assert "does not assess neurology" in sins.summary  # the stable SINS keeps its caveat


def test_compression_at_a_level_without_a_metastasis_still_alerts():
    extra = (finding("bilsky-l1", "epidural-spinal-cord-compression", "bilsky-2", level="L1"),)
    cards, result = cards_for(default_patient(extra=extra))
    assert cards[0].indicator == "critical" and "Bilsky 2–3 at L1" in cards[0].summary
    assert any("where no metastasis is recorded" in i.diagnostics for i in result.issues)


def test_a_level_less_high_grade_alerts_and_a_low_grade_does_not():
    high = finding("bilsky-x", "epidural-spinal-cord-compression", "bilsky-2")
    cards, _ = cards_for(default_patient(extra=(high,)))
    assert cards[0].indicator == "critical"
    low = finding("bilsky-x", "epidural-spinal-cord-compression", "bilsky-1c")
    cards, _ = cards_for(default_patient(extra=(low,)))
    assert all(c.indicator != "critical" for c in cards)


def test_a_deceased_patient_gets_one_info_card_and_no_recommendation():
    resources = default_patient()
    resources[0]["deceasedBoolean"] = True
    cards, _ = cards_for(resources)
    assert len(cards) == 1
    (card,) = cards
    assert card.indicator == "info" and "deceased" in card.summary
    assert "consultation" not in card.summary + (card.detail or "")


def test_a_death_after_the_computation_time_is_not_used_and_reported():
    resources = default_patient()
    resources[0]["deceasedDateTime"] = "2030-01-01"
    cards, result = cards_for(resources)
    assert len(cards) == 3 and result.assessment.deceased is None
    assert any(i.resource == "Patient/p" and "after the computation time" in i.diagnostics
               for i in result.issues)  # fmt: skip


def test_a_band_resting_on_a_dated_input_says_so_in_the_summary():
    resources = default_patient(
        drop=("kps",), extra=(measurement("kps", "89243-0", 80, when=STALE),)
    )
    cards, _ = cards_for(resources)
    tokuhashi = by_topic(cards)["tokuhashi-revised"]
    # Revised Tokuhashi 10 = KPS 2 + 2 + 2 + 2 + 0 + 2; without the KPS it would be 8–10.
    assert tokuhashi.summary.endswith("rests on dated KPS")
    assert "Dated input: performance status: Karnofsky 80 (1 Apr 2024): 61 days before" in (
        tokuhashi.detail
    )


def test_an_unconfirmed_level_is_marked_on_the_card():
    resources = default_patient(extra=(
        condition("met-t11", "C79.51", level="T11", verification="provisional"),
        *(finding(f"t11-{code}", code, answer, level="T11") for code, answer in (
            ("spinal-pain", "mechanical"), ("bone-lesion-quality", "lytic"),
            ("spinal-alignment", "subluxation"), ("vertebral-body-collapse", "gt-50"),
            ("posterolateral-involvement", "bilateral"))),
    ))  # fmt: skip
    cards, result = cards_for(resources)
    sins = by_topic(cards)["sins"]
    assert sins.summary.startswith("SINS 18 at T11 (unconfirmed lesion) (unstable)")
    t11 = next(lv for lv in result.levels if lv.level == "T11")
    notes = [n["text"] for n in t11.observation.resource["note"]]
    assert any("known only from an unconfirmed Condition" in n for n in notes)


def test_a_level_in_remission_is_marked_in_the_summary_as_an_unconfirmed_one_is():
    # contract §2 v3: a bone metastasis in remission is still scored, its level marked; the
    # summary is the only line many EHRs show.
    resources = default_patient(
        drop=("met-t12",),
        sins={"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50"},
        extra=(condition("met-t12", "C79.51", level="T12", **clinical("remission")),),
    )
    cards, result = cards_for(resources)
    assert result.levels[0].assessment.in_remission
    assert by_topic(cards)["sins"].summary.startswith("SINS 15 at T12 (in remission) (unstable)")


def test_strategies_are_published_strategies_with_their_source():
    cards, _ = cards_for(default_patient())
    shown = by_topic(cards)
    assert "Published strategy for this band (Tomita 2001)" in shown["tomita"].detail
    assert "Published strategy for this band (Tokuhashi 2005)" in shown["tokuhashi-revised"].detail
    for card in cards:
        assert "indicated" not in card.summary + (card.detail or "")


def test_an_excision_strategy_for_several_lesions_is_flagged():
    # Breast primary (Tomita slow 1, Tokuhashi 5) with three vertebral lesions: revised
    # Tokuhashi 2 + 2 + 0 + 2 + 5 + 2 = 13, whose published strategy is excision.
    resources = default_patient(
        drop=("primary",),
        extra=(
            condition("primary", "C50.919"),
            condition("met-l2", "C79.51", level="L2"),
            condition("met-l3", "C79.51", level="L3"),
        ),
    )
    cards, _ = cards_for(resources)
    detail = by_topic(cards)["tokuhashi-revised"].detail
    assert "excisional surgery" in detail
    assert "presumes a single lesion: 3 vertebral lesions are recorded" in detail


def test_frankel_e_and_ais_c_recorded_together_raise_the_neurology_card():
    # One form answers both scales at once (the same time): the palsy grade scored is Frankel's
    # (contract §2), but an AIS C beside it is evidence of a deficit, and the alarm is raised until
    # the grades are reconciled (§4 v3: never a "stable" that hides a deficit).
    resources = default_patient(
        sins=STABLE,
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-e"),
            finding("ais", "asia-impairment-scale", "ais-c"),
        ),
    )
    cards, _ = cards_for(resources)
    first = cards[0]
    assert first.indicator == "critical" and first.source.topic is None
    assert "Frankel E and AIS C recorded together disagree" in first.detail
    assert "AIS C" in first.summary
    tokuhashi = by_topic(cards)["tokuhashi-revised"]  # the score still reads Frankel E
    assert "Frankel is used" in tokuhashi.detail


def test_frankel_e_and_ais_e_recorded_together_raise_nothing():
    resources = default_patient(
        sins=STABLE,
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-e"),
            finding("ais", "asia-impairment-scale", "ais-e"),
        ),
    )
    cards, _ = cards_for(resources)
    assert all(c.source.topic is not None for c in cards)  # no neurology card


def test_a_record_whose_only_metastasis_is_malformed_gets_a_card_naming_it():
    # The SINS 14 rests on the T12 metastasis; a Condition that cannot be read leaves the patient
    # looking like one without spinal disease. Silence would read as "nothing to say".
    resources = default_patient(sins={"vertebral-body-collapse": "gt-50"})
    for resource in resources:
        if resource["id"] == "met-t12":
            resource["code"]["coding"] = resource["code"]["coding"][0]  # one Coding, not a list
    cards, _ = cards_for(resources)
    (card,) = cards
    assert card.indicator == "warning"
    assert card.summary.startswith("Record not fully read")
    assert "Condition is malformed (code.coding: not a list of JSON objects)" in card.detail


def test_a_patient_with_no_spinal_disease_and_a_clean_record_gets_no_card():
    resources = [r for r in default_patient() if r["id"] not in ("met-t12",)]
    resources = [r for r in resources if not r["id"].startswith("t12-")]
    cards, _ = cards_for(resources)
    assert cards == []


def test_resources_whose_subject_names_no_patient_are_named_not_dropped():
    # A subject given only as an identifier: the resources cannot be placed with the patient.
    resources = default_patient(sins={"vertebral-body-collapse": "gt-50"})
    for resource in resources:
        if "subject" in resource:
            resource["subject"] = {"identifier": {"system": "urn:mrn", "value": "123"}}
    cards, _ = cards_for(resources)
    (card,) = cards
    assert card.indicator == "warning" and card.summary.startswith("Record not fully read")
    assert "Condition has no Patient subject; ignored." in card.detail
    assert "- and " in card.detail  # more than ten: counted, not all listed


def test_two_copies_of_the_patient_that_disagree_on_death_are_read_as_deceased_and_named():
    # A stale copy (alive) riding in another search beside the current one (died 3 Dec): which
    # is read last must not decide whether recommendations are shown for a dead patient.
    resources = default_patient()
    current = next(r for r in resources if r["resourceType"] == "Patient")
    died = {**current, "deceasedDateTime": "2024-05-30"}
    for first, second in ((died, current), (current, died)):
        ordered = [first, *[r for r in resources if r is not current], second]
        _, result = cards_for(ordered)
        assert result.assessment.deceased, (first, second)
        assert any("disagree" in i.diagnostics for i in result.issues)


def test_a_preliminary_frankel_e_and_ais_c_recorded_together_raise_the_neurology_card():
    # The same form, saved as a preliminary report: the alarm a preliminary AIS C alone raises
    # must not be silenced by the Frankel E answered beside it.
    resources = default_patient(
        sins=STABLE,
        drop=("frankel",),
        extra=(
            finding("frankel-old", "frankel-grade", "frankel-e", when=STALE),
            finding("frankel", "frankel-grade", "frankel-e", status="preliminary"),
            finding("ais", "asia-impairment-scale", "ais-c", status="preliminary"),
        ),
    )
    cards, _ = cards_for(resources)
    first = cards[0]
    assert first.indicator == "critical" and first.source.topic is None
    assert "Frankel E and AIS C recorded together disagree" in first.detail
    assert "preliminary" in first.detail


def test_three_grades_name_the_one_that_disagrees():
    resources = default_patient(
        sins=STABLE,
        drop=("frankel",),
        extra=(
            finding("fe", "frankel-grade", "frankel-e"),
            finding("fc", "frankel-grade", "frankel-c"),
            finding("ais", "asia-impairment-scale", "ais-c"),
        ),
    )
    cards, _ = cards_for(resources)
    assert "Frankel E and AIS C recorded together disagree" in cards[0].detail
