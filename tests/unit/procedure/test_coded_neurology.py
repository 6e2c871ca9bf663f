"""Criteria 4, 5 and 8 with cord compression and paraplegia recorded as coded diagnoses
(ValueSets spinal-cord-compression and paraplegia-quadriplegia; contract §5): a coded deficit is
a deficit, never a Frankel grade; a coded compression is never "no compression elsewhere: met".

The default patient (T12; NOW = 1 Jun 2024) without its Frankel and Bilsky findings unless a case
keeps them; the order is a vertebroplasty at T12 (CPT 22511).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter.vocabulary.cards import SUMMARY_MAX
from tests.support.records import (
    SNOMED,
    clinical,
    condition,
    default_patient,
    finding,
    order,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for
from tests.unit.procedure.test_check import single, statuses
from tests.unit.procedure.test_elsewhere import T8, bilsky, criterion

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"

NO_GRADES = ("frankel", "bilsky-t12")
ON_31_MAY = "2024-05-31"
FIRST = "assess for decompression and radiotherapy first"


def coded(*extra, drop=NO_GRADES):
    return default_patient(drop=drop, extra=tuple(extra))


def cord(cid="mscc", code="G95.20", **kw):
    return condition(cid, code, onset=kw.pop("onset", ON_31_MAY), **kw)


def test_a_coded_paraplegia_makes_criterion_4_unmet_without_a_frankel_grade():
    checked = single(coded(cord("para", "G82.21")), "T12")
    four = criterion(checked, 4)
    assert four.status == "unmet"
    assert four.basis == (
        "Paraplegia, complete (coded diagnosis, 31 May 2024): a neurological deficit is "
        "recorded; Frankel/AIS grade not recorded (A–D)"
    )
    assert four.action == (
        "examine and record the Frankel or AIS grade; suspected cord compression: assess for "
        "decompression and radiotherapy first"
    )
    assert four.finding == "Paraplegia, complete (coded 31 May 2024)"
    assert checked.indicator == "critical"


def test_an_unconfirmed_coded_paraplegia_makes_criterion_4_unknown():
    checked = single(coded(cord("para", "G82.21", verification="provisional")), "T12")
    four = criterion(checked, 4)
    assert four.status == "unknown"
    assert four.basis == (
        "Paraplegia, complete (coded diagnosis, 31 May 2024, provisional — confirm): a "
        "neurological deficit may be recorded; Frankel/AIS grade not recorded"
    )
    assert four.action == "examine and record the Frankel or AIS grade"


def test_a_coded_paraplegia_after_a_frankel_e_makes_criterion_4_unmet():
    checked = single(coded(cord("para", "G82.21"), drop=("bilsky-t12",)), "T12")
    assert criterion(checked, 4).status == "unmet"


def test_a_frankel_grade_after_a_coded_paraplegia_is_what_criterion_4_reads():
    checked = single(coded(cord("para", "G82.21", onset="2024-05-20"), drop=()), "T12")
    assert criterion(checked, 4).status == "met"


def test_a_coded_paraplegia_before_a_decompression_is_an_established_deficit():
    surgery = procedure("surgery", "63003", "T12", when="2024-05-05T09:00:00Z")
    checked = single(coded(cord("para", "G82.22", onset="2024-05-01"), surgery), "T12")
    four = criterion(checked, 4)
    assert four.status == "unmet" and four.established
    assert four.finding == (
        "established deficit (Paraplegia, incomplete since 1 May 2024) — new or worse?"
    )


def test_a_coded_compression_without_a_level_makes_criterion_8_unmet_here_or_elsewhere():
    checked = single(coded(cord()), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and eight.action == FIRST
    assert eight.basis == (
        "Unspecified cord compression, level not recorded (coded diagnosis, 31 May 2024): "
        "suspected cord compression here or elsewhere"
    )
    assert eight.finding == "Unspecified cord compression, level not recorded (coded 31 May 2024)"
    assert checked.indicator == "critical"


def test_a_coded_compression_at_another_level_makes_criterion_8_unmet_naming_it():
    checked = single(coded(T8, cord(level="T8")), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet"
    assert eight.basis == (
        "Unspecified cord compression at T8 (coded diagnosis, 31 May 2024): suspected cord "
        "compression elsewhere"
    )
    assert checked.indicator == "critical"


def test_a_coded_compression_at_the_ordered_level_makes_criterion_5_unmet():
    checked = single(coded(cord(level="T12")), "T12")
    five = criterion(checked, 5)
    assert five.status == "unmet"
    assert five.basis == (
        "Unspecified cord compression at T12 (coded diagnosis, 31 May 2024): suspected cord "
        "compression"
    )
    assert five.finding == "Unspecified cord compression at T12 (coded 31 May 2024)"
    assert statuses(checked, "T12")[8] == "met"  # the only level: nothing elsewhere
    assert checked.indicator == "critical"


def test_an_unconfirmed_coded_compression_makes_criterion_8_unknown():
    checked = single(coded(cord(verification="differential")), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown"
    assert eight.basis == (
        "Unspecified cord compression, level not recorded (coded diagnosis, 31 May 2024, "
        "differential — confirm): cord compression here or elsewhere not excluded"
    )


def test_a_resolved_coded_compression_leaves_criterion_8_as_it_was():
    resolved = cord(**clinical("resolved"))
    checked = single(coded(resolved, drop=()), "T12")
    assert criterion(checked, 8).status == "met"


def test_the_order_card_names_the_coded_compression():
    decisions = decisions_for(coded(cord(), cord("para", "G82.21")), (order("vp", "22510", "T12"),))
    (decision,) = decisions.orders
    assert decision.indicator == "critical"
    assert "Paraplegia, complete (coded 31 May 2024)" in decision.summary


def test_a_coded_paraplegia_with_no_time_beside_a_timed_frankel_e_leaves_criterion_4_unknown():
    para = {k: v for k, v in cord("para", "G82.21").items() if k != "onsetDateTime"}
    checked = single(coded(para, drop=("bilsky-t12",)), "T12")
    four = criterion(checked, 4)
    assert four.status == "unknown"
    assert four.basis == (
        "Paraplegia, complete (coded diagnosis) with no recorded time: confirm the current grade "
        "(Frankel grade: Frankel E: normal (30 May 2024))"
    )
    assert four.finding == "Paraplegia, complete (coded with no date — confirm the current grade)"


MORNING = "2024-05-31T08:00:00Z"


def test_a_paraplegia_coded_the_day_of_a_timed_frankel_e_leaves_criterion_4_unknown():
    frankel_e = finding("frankel", "frankel-grade", "frankel-e", when=MORNING)
    checked = single(coded(frankel_e, cord("para", "G82.22")), "T12")
    four = criterion(checked, 4)
    assert four.status == "unknown"
    assert four.basis == (
        "Paraplegia, incomplete (coded 31 May 2024, no time of day): confirm the current grade "
        "(Frankel grade: Frankel E: normal (31 May 2024))"
    )
    assert four.finding == "Paraplegia, incomplete (coded 31 May 2024 — confirm the current grade)"


def test_a_compression_coded_the_day_of_a_timed_bilsky_0_leaves_criterion_5_unknown():
    grade = bilsky("bilsky-t12", "bilsky-0", "T12", when=MORNING)
    checked = single(coded(grade, cord(level="T12")), "T12")
    assert criterion(checked, 5).status == "unknown"
    assert checked.indicator != "info"


def test_a_compression_coded_the_day_of_a_decompression_leaves_criterion_5_unmet():
    surgery = procedure("surgery", "63003", "T12", when=MORNING)
    checked = single(coded(surgery, cord(level="T12")), "T12")
    assert criterion(checked, 5).status == "unmet"
    assert checked.indicator == "critical"


def breast_radiotherapy():
    rt = procedure("rt", "77412", when="2024-05-25T10:00:00Z")
    rt["bodySite"] = [{"coding": [{"system": SNOMED, "code": "80248007"}], "text": "Left breast"}]
    return rt


def test_breast_radiotherapy_leaves_a_coded_compression_with_no_level_on_the_order_card():
    orders = (order("vp", "22510", "T12"),)  # CPT 22510: cervicothoracic, as T12 is
    decisions = decisions_for(coded(cord(onset="2024-05-20"), breast_radiotherapy()), orders)
    (decision,) = decisions.orders
    assert decision.indicator == "critical"
    assert decision.summary == (
        "Vertebroplasty T12: Unspecified cord compression, level not…: suspected cord compression "
        "— decompression and radiotherapy first; +2 more"
    )
    assert criterion(single(coded(cord(onset="2024-05-20"), breast_radiotherapy()), "T12"), 8)\
        .status == "unmet"  # fmt: skip


def test_breast_radiotherapy_does_not_make_a_coded_paraplegia_established():
    para = cord("para", "G82.22", onset="2024-05-20")
    four = criterion(single(coded(para, breast_radiotherapy()), "T12"), 4)
    assert four.status == "unmet" and not four.established
    assert four.finding == "Paraplegia, incomplete (coded 20 May 2024)"


def _codes(name):
    data = json.loads((MAPPINGS / f"ValueSet-{name}.json").read_text(encoding="utf-8"))
    return [
        (include["system"], concept["code"])
        for include in data["compose"]["include"]
        for concept in include.get("concept", ())
    ]


@pytest.mark.parametrize(
    ("system", "code"), [*_codes("spinal-cord-compression"), *_codes("paraplegia-quadriplegia")]
)
def test_a_critical_order_summary_for_a_coded_diagnosis_keeps_its_action(system, code):
    diagnosis = condition("dx", code, system=system, onset=ON_31_MAY)
    decisions = decisions_for(coded(diagnosis), (order("vp", "22511", "T12"),))
    (decision,) = decisions.orders
    assert decision.indicator == "critical"
    assert len(decision.summary) <= SUMMARY_MAX
    assert "decompression and radiotherapy first" in decision.summary


def test_a_critical_order_summary_with_two_coded_diagnoses_keeps_its_action():
    decisions = decisions_for(
        coded(cord("cord", "G95.29"), cord("para", "G82.54")), (order("vp", "22511", "T12"),)
    )
    (decision,) = decisions.orders
    assert decision.indicator == "critical"
    assert len(decision.summary) <= SUMMARY_MAX
    assert decision.summary.startswith("Vertebroplasty T12: Quadriplegia, C5-C7 incomplete")
    assert "decompression and radiotherapy first" in decision.summary


def test_a_paraplegia_coded_long_ago_is_said_dated_in_criterion_4():
    four = criterion(single(coded(cord("para", "G82.21", onset="1994-03-01")), "T12"), 4)
    assert four.status == "unmet"
    assert four.finding == "Paraplegia, complete (coded 1 Mar 1994, dated)"
    assert four.action.startswith("re-examine now: the diagnosis is dated")


def test_a_compression_coded_long_ago_at_the_ordered_level_is_said_dated_in_criterion_5():
    checked = single(coded(cord(level="T12", onset="1994-03-01")), "T12")
    five = criterion(checked, 5)
    assert five.status == "unmet"  # dated evidence may make a criterion unmet, never met
    assert five.basis == (
        "Unspecified cord compression at T12 (coded diagnosis, 1 Mar 1994): suspected cord "
        "compression (dated: not known to be current)"
    )
    assert five.finding == "Unspecified cord compression at T12 (coded 1 Mar 1994, dated)"
    assert five.action == (
        "re-examine and re-image now: the diagnosis is dated — suspected cord compression: "
        "assess for decompression and radiotherapy first"
    )
    assert checked.indicator == "critical"


def test_a_compression_coded_long_ago_is_said_dated_in_criterion_8():
    checked = single(coded(cord(onset="1994-03-01")), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet"
    assert eight.basis == (
        "Unspecified cord compression, level not recorded (coded diagnosis, 1 Mar 1994): "
        "suspected cord compression here or elsewhere (dated: not known to be current)"
    )
    assert eight.finding == (
        "Unspecified cord compression, level not recorded (coded 1 Mar 1994, dated)"
    )
    assert checked.indicator == "critical"


def test_a_compression_coded_long_ago_with_a_frankel_e_since_keeps_criterion_8_unmet():
    # No level recorded: it may be at the ordered level; a Frankel E since settles nothing.
    checked = single(coded(cord(onset="1994-03-01"), drop=()), "T12")  # Frankel E on 30 May
    assert criterion(checked, 8).status == "unmet"
    assert checked.indicator == "critical"
