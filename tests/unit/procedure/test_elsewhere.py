"""Criterion 8 (no untreated cord compression elsewhere), and criteria 4 and 5 with preliminary
reports and treated levels (contract §5 v3).

The default patient (T12, Frankel E and Bilsky 0 at T12 on 30 May 2024; NOW is 1 Jun 2024) gets
a second metastasis at T8; the order is a vertebroplasty at T12 (CPT 22511). CPT 63003 is a
thoracic decompression, CPT 77373 SBRT.
"""

from __future__ import annotations

import pytest

from adapter.cds.procedure import order_card
from adapter.decision import decide
from adapter.decision.orders import order_decisions
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.check import check_order
from adapter.procedure.orders import decompressed_levels, procedure_orders
from adapter.procedure.summary import summary
from tests.support.records import (
    NOW,
    SNOMED,
    VERTEBRA,
    cement_code,
    condition,
    default_patient,
    draft_orders,
    finding,
    measurement,
    order,
    patient,
    procedure,
    site,
)
from tests.unit.decision.test_wording import decisions_for, surfaces
from tests.unit.procedure.test_check import check, single, statuses

BILSKY = "epidural-spinal-cord-compression"
T8 = condition("met-t8", "C79.51", level="T8")
NOTHING_ELSEWHERE = "no metastasis or Bilsky grade recorded at another level"
STALE = "2024-04-01T09:00:00Z"  # 61 days before NOW: past the 30-day compression window


def bilsky(oid, answer, level, when="2024-05-30T09:00:00Z", **extra):
    return finding(oid, BILSKY, answer, level=level, when=when, **extra)


def preliminary(resource):
    return resource | {"status": "preliminary"}


def criterion(checked, number, level="T12"):
    lv = next(lv for lv in checked.levels if lv.level == level)
    return next(c for c in lv.criteria if c.number == number)


def with_t8(*extra, drop=()):
    return default_patient(drop=drop, extra=(T8, *extra))


def test_bilsky_3_at_another_level_is_critical_and_named():
    checked = single(with_t8(bilsky("b8", "bilsky-3", "T8")), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and statuses(checked, "T12")[5] == "met"
    assert eight.basis == ("Bilsky 3 at T8 (30 May 2024): suspected cord compression elsewhere")
    assert eight.action == "assess for decompression and radiotherapy first"
    assert checked.compression and checked.indicator == "critical"
    decisions = decide(_result(with_t8(bilsky("b8", "bilsky-3", "T8"))))
    card = order_card(order_decisions([checked])[0], decisions, "hook")
    assert "Bilsky 3 at T8 (30 May 2024): suspected cord compression elsewhere" in card.summary


def _result(resources):
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, default_terminology(), now=parse_time(NOW))


def test_a_current_low_grade_at_every_other_level_is_met():
    checked = single(with_t8(bilsky("b8", "bilsky-1b", "T8")), "T12")
    assert criterion(checked, 8).status == "met"
    assert criterion(checked, 8).basis == "Bilsky 0–1c at every other level (T8)"
    assert checked.indicator == "info"


def test_a_level_without_a_grade_is_unknown_and_named():
    checked = single(with_t8(), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and eight.basis == "no Bilsky grade at T8"
    assert "whole-spine MRI verdict" in (eight.action or "")  # by display, not the finding code
    assert checked.indicator == "warning"


def test_a_patient_with_one_level_has_nothing_elsewhere():
    checked = single(default_patient(), "T12")
    assert criterion(checked, 8).status == "met"
    # What "met" rests on is said, not "no other level recorded", which reads as if the other
    # levels were looked at and found clear.
    assert criterion(checked, 8).basis == NOTHING_ELSEWHERE


def test_a_patient_with_no_spinal_metastasis_has_nothing_recorded_elsewhere():
    resources = default_patient(drop=("met-t12", "bilsky-t12"))
    checked = single(resources, "L3")
    assert criterion(checked, 8, "L3").status == "met"
    assert criterion(checked, 8, "L3").basis == NOTHING_ELSEWHERE


def test_a_recent_clear_whole_spine_mri_settles_the_other_levels():
    clear = finding("wsm", "whole-spine-escc", "no-high-grade")
    checked = single(with_t8(clear), "T12")
    assert criterion(checked, 8).status == "met"
    assert criterion(checked, 8).basis == "whole-spine MRI (30 May 2024): no level Bilsky 2–3"


def test_a_dated_clear_whole_spine_mri_settles_nothing():
    clear = finding("wsm", "whole-spine-escc", "no-high-grade", when=STALE)
    checked = single(with_t8(clear), "T12")
    assert criterion(checked, 8).status == "unknown"


def test_a_clear_whole_spine_mri_settles_a_grade_before_it_that_asks_to_re_image():
    # An irradiated Bilsky 3 asks to re-image before any procedure: a later whole-spine MRI is
    # that re-imaging. A current Bilsky 2–3 it never settles (below).
    clear = finding("wsm", "whole-spine-escc", "no-high-grade")  # 30 May
    before = bilsky("b8", "bilsky-3", "T8", when="2024-05-20T09:00:00Z")
    sbrt = procedure("sbrt", "77373", "T8", when="2024-05-22T09:00:00Z")
    assert criterion(single(with_t8(clear, before, sbrt), "T12"), 8).status == "met"
    clear = finding("wsm", "whole-spine-escc", "no-high-grade", when="2024-05-20T09:00:00Z")
    after = bilsky("b8", "bilsky-3", "T8")
    assert criterion(single(with_t8(clear, after), "T12"), 8).status == "unmet"


def test_the_order_card_and_the_neurology_card_agree_a_later_clear_mri_settles_a_re_image():
    # One decision per patient (§4 v3): criterion 8 met by the clear whole-spine MRI, the
    # neurology card says it at info — neither asks to re-image what has been re-imaged.
    clear = finding("wsm", "whole-spine-escc", "no-high-grade")  # 30 May
    irradiated = (
        bilsky("b8", "bilsky-3", "T8", when="2024-05-20T09:00:00Z"),
        procedure("sbrt", "77373", "T8", when="2024-05-22T09:00:00Z"),
    )
    old = (bilsky("b8", "bilsky-3", "T8", when=STALE),)  # and Frankel E on 30 May
    for case in (irradiated, old):
        resources = with_t8(*case, clear)
        cards, _, text, page = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
        card = next(c for c in cards if c.summary.startswith("Vertebroplasty T12"))
        neuro = next(c for c in cards if c.summary.startswith("Bilsky 3 at T8"))
        assert card.indicator == neuro.indicator == "info", neuro.summary
        assert "whole-spine MRI (30 May 2024): no level Bilsky 2–3" in neuro.summary
        assert "re-image" not in neuro.summary + text + page
        assert f"ALERT [info] {neuro.summary}" in text


# --- a whole-spine MRI verdict never replaces a Bilsky 2–3 recorded at a level (§2, §5 v3) ---
# Only a completed decompression supersedes a grade (§5 v3); "latest per level" (§2) is among the
# level's own grades. A clear verdict after a Bilsky 2–3 is a conflict in the record, never "met".

CLEAR_31 = finding("wsm", "whole-spine-escc", "no-high-grade", when="2024-05-31T09:00:00Z")
DISAGREES = "whole-spine MRI (31 May 2024): no level Bilsky 2–3 — disagrees"


def _order_and_neurology(resources, level="T12"):
    cards, _, text, _ = surfaces(decisions_for(resources, [order("o", cement_code(level), level)]))
    card = next(c for c in cards if c.summary.startswith(f"Vertebroplasty {level}"))
    neuro = next(c for c in cards if c.summary.startswith("Suspected spinal cord compression"))
    return card, neuro, text


def test_a_later_clear_whole_spine_mri_does_not_override_a_bilsky_3_at_a_level():
    for when in ("2024-05-30T09:00:00Z", "2024-05-31T09:00:00Z", "2024-05-20T09:00:00Z"):
        resources = with_t8(bilsky("b8", "bilsky-3", "T8", when=when), CLEAR_31)
        checked = single(resources, "T12")
        eight = criterion(checked, 8)
        assert eight.status == "unmet" and checked.indicator == "critical", when
        assert eight.basis.startswith("Bilsky 3 at T8 (")
        assert DISAGREES in eight.basis  # the verdict is named beside the grade, never met
        assert eight.action == "assess for decompression and radiotherapy first"
        card, neuro, text = _order_and_neurology(resources)
        assert card.indicator == neuro.indicator == "critical"
        assert "suspected cord compression elsewhere" in card.summary
        assert DISAGREES in (card.detail or "")
        assert f"ORDER ServiceRequest/o [critical] {card.summary}" in text
        assert "meets the case series" not in card.summary and "[info]" not in text


def test_a_clear_whole_spine_mri_still_settles_the_levels_without_a_grade():
    # T8 graded Bilsky 0, L2 not graded; the clear MRI settles L2 (and agrees with T8).
    l2 = condition("met-l2", "C79.51", level="L2")
    checked = single(with_t8(l2, bilsky("b8", "bilsky-0", "T8"), CLEAR_31), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "met" and checked.indicator == "info"
    assert eight.basis == "whole-spine MRI (31 May 2024): no level Bilsky 2–3"


def test_a_later_clear_whole_spine_mri_does_not_override_a_bilsky_3_without_a_level():
    # T8 has no grade of its own: the Bilsky 3 without a level counts there (§2).
    resources = with_t8(finding("mri", BILSKY, "bilsky-3"), CLEAR_31)
    eight = criterion(single(resources, "T12"), 8)
    assert eight.status == "unmet" and DISAGREES in eight.basis
    card, neuro, _ = _order_and_neurology(resources)
    assert card.indicator == neuro.indicator == "critical"


def test_a_whole_spine_mri_with_high_grade_compression_at_no_level_is_unmet():
    high = finding("wsm", "whole-spine-escc", "high-grade")
    checked = single(with_t8(high), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.basis == "whole-spine MRI (30 May 2024): Bilsky 2–3, level not recorded"


def test_a_high_grade_whole_spine_mri_the_ordered_level_accounts_for_is_not_elsewhere():
    high = finding("wsm", "whole-spine-escc", "high-grade")
    here = bilsky("bilsky-t12", "bilsky-3", "T12")  # same time: the MRI's high grade is T12's
    checked = single(with_t8(high, here, bilsky("b8", "bilsky-1a", "T8"), drop=("bilsky-t12",)),
                     "T12")  # fmt: skip
    assert criterion(checked, 8).status == "met" and criterion(checked, 5).status == "unmet"


def test_a_preliminary_bilsky_3_elsewhere_is_unmet_never_met():
    checked = single(with_t8(preliminary(bilsky("b8", "bilsky-3", "T8"))), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.finding == "Bilsky 3 at T8 (30 May 2024, preliminary — confirm)"
    # A preliminary low grade settles nothing: T8 still has no grade.
    checked = single(with_t8(preliminary(bilsky("b8", "bilsky-0", "T8"))), "T12")
    assert criterion(checked, 8).status == "unknown"


def test_a_grade_elsewhere_before_a_decompression_there_asks_to_re_image():
    grade = bilsky("b8", "bilsky-3", "T8", when="2024-05-10T09:00:00Z")
    surgery = procedure("surgery", "63003", "T8", when="2024-05-12T09:00:00Z")
    checked = single(with_t8(grade, surgery), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and checked.indicator == "warning"
    assert eight.basis == "Bilsky 3 at T8 (10 May 2024) before decompression on 12 May 2024"
    assert eight.action == "re-image before the procedure"


def test_a_grade_elsewhere_irradiated_but_not_decompressed_is_a_warning():
    grade = bilsky("b8", "bilsky-3", "T8", when="2024-05-10T09:00:00Z")
    sbrt = procedure("sbrt", "77373", "T8", when="2024-05-12T09:00:00Z")
    checked = single(with_t8(grade, sbrt), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and checked.indicator == "warning"
    assert eight.basis == "Bilsky 3 at T8 (10 May 2024) irradiated on 12 May 2024, not decompressed"
    assert eight.action == "re-image before any procedure"


def test_an_old_grade_elsewhere_with_a_later_frankel_e_asks_to_re_image():
    checked = single(with_t8(bilsky("b8", "bilsky-3", "T8", when=STALE)), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and eight.action == "re-image"
    assert checked.indicator == "warning"


def test_compression_at_an_instrumented_level_is_compression_elsewhere():
    resources = default_patient(extra=(bilsky("b-l1", "bilsky-3", "L1"),))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    assert criterion(checked, 8).status == "unmet" and checked.indicator == "critical"


def test_a_level_the_same_request_decompresses_is_info_not_critical():
    done = order("done", "63003", "T6", status="completed")  # not part of this request's plan
    records = read_orders(draft_orders(order("o", "22510", "T12"), order("d", "63003", "T8"), done))
    levels = decompressed_levels(records, default_terminology())
    assert levels == {"T8"}
    result = _result(with_t8(bilsky("b8", "bilsky-3", "T8")))
    (vertebroplasty,) = procedure_orders(records, None, "order-sign", default_terminology())
    checked = check_order(vertebroplasty, result, Rules(), decompressed=frozenset(levels))
    eight = criterion(checked, 8)
    assert eight.status == "met" and checked.indicator == "info"
    # T8 is Bilsky 3, decompressed: never among the levels said to be 0–1c.
    assert eight.basis == "Bilsky 3 at T8 (30 May 2024): decompression ordered in this request"


def test_the_met_basis_names_as_0_1c_only_the_levels_that_are():
    records = read_orders(draft_orders(order("o", "22510", "T12"), order("d", "63003", "T8")))
    levels = decompressed_levels(records, default_terminology())
    t6 = condition("met-t6", "C79.51", level="T6")
    result = _result(with_t8(bilsky("b8", "bilsky-3", "T8"), t6, bilsky("b6", "bilsky-1a", "T6")))
    (vertebroplasty,) = procedure_orders(records, None, "order-sign", default_terminology())
    checked = check_order(vertebroplasty, result, Rules(), decompressed=frozenset(levels))
    eight = criterion(checked, 8)
    assert eight.status == "met"
    assert eight.basis == (
        "Bilsky 0–1c at every other level (T6); "
        "Bilsky 3 at T8 (30 May 2024): decompression ordered in this request"
    )


ELSEWHERE_T8 = (
    "Vertebroplasty T12: Bilsky 3 at T8 (30 May 2024): suspected cord compression elsewhere — "
    "assess for decompression and radiotherapy first"
)
MEETS_T12 = "Vertebroplasty T12: meets the case series' selection criteria"


def _vertebra(level):
    return {"system": VERTEBRA, "code": level}


@pytest.mark.parametrize(
    ("sites", "levels", "line"),
    [
        # two vertebrae coded in one bodySite: FHIR's codings of one concept are alternatives, so
        # they disagree on the level; an ambiguous decompression silences no compression alarm
        ([{"coding": [_vertebra("T7"), _vertebra("T8")], "text": "T7-T8"}], set(),
         ELSEWHERE_T8),
        # ... in the second bodySite (T8 as a SNOMED CT vertebral body beside a T7): the first
        # bodySite's T6 is decompressed, the disagreeing one decompresses nothing
        ([site("T6")[0], {"coding": [_vertebra("T7"), {"system": SNOMED, "code": "77435000"}]}],
         {"T6"}, ELSEWHERE_T8),
        # two bodySites, one level each: a two-level decompression, both decompressed
        ([site("T7")[0], site("T8")[0]], {"T7", "T8"}, MEETS_T12),
        # a vertebra code and a SNOMED CT code of the same vertebra agree: decompressed
        ([{"coding": [_vertebra("T8"), {"system": SNOMED, "code": "77435000"}]}], {"T8"},
         MEETS_T12),
        # words that name another level than the code: the code's level only (never read)
        ([{"coding": [_vertebra("T6")], "text": "T8"}], {"T6"}, ELSEWHERE_T8),
    ],
)  # fmt: skip
def test_a_decompression_decompresses_each_level_its_sites_code_unambiguously(sites, levels, line):
    decompression = order("d", "63003")
    decompression["bodySite"] = sites
    records = read_orders(draft_orders(order("o", "22510", "T12"), decompression))
    decompressed = decompressed_levels(records, default_terminology())
    assert decompressed == levels
    (vertebroplasty,) = procedure_orders(records, None, "order-sign", default_terminology())
    result = _result(with_t8(bilsky("b8", "bilsky-3", "T8")))
    checked = check_order(vertebroplasty, result, Rules(), decompressed=decompressed)
    assert summary(checked) == line
    assert checked.indicator == ("critical" if line == ELSEWHERE_T8 else "info")


def test_an_order_not_to_decompress_decompresses_nothing():
    # ServiceRequest.doNotPerform: the request says T8 is *not* to be decompressed, so a
    # Bilsky 3 there stays untreated compression elsewhere.
    dont = order("d", "63003", "T8") | {"doNotPerform": True}
    records = read_orders(draft_orders(order("o", "22510", "T12"), dont))
    assert decompressed_levels(records, default_terminology()) == frozenset()


def test_the_request_s_decompression_order_is_not_itself_checked():
    (checked,) = check(with_t8(), order("o", "22510", "T12"), order("d", "63003", "T8"))
    assert checked.order.reference == "ServiceRequest/o"


# --- criteria 4 and 5 at the ordered level ---------------------------------------------------


def test_a_grade_before_a_decompression_at_the_ordered_level_is_unknown():
    grade = bilsky("bilsky-t12", "bilsky-3", "T12", when="2024-05-10T09:00:00Z")
    surgery = procedure("surgery", "63003", "T12", when="2024-05-12T09:00:00Z")
    checked = single(default_patient(drop=("bilsky-t12",), extra=(grade, surgery)), "T12")
    five = criterion(checked, 5)
    assert five.status == "unknown" and five.action == "re-image before the procedure"
    assert checked.indicator == "warning"


def test_radiotherapy_alone_at_the_ordered_level_leaves_it_unmet():
    grade = bilsky("bilsky-t12", "bilsky-3", "T12", when="2024-05-10T09:00:00Z")
    sbrt = procedure("sbrt", "77373", "T12", when="2024-05-12T09:00:00Z")
    checked = single(default_patient(drop=("bilsky-t12",), extra=(grade, sbrt)), "T12")
    five = criterion(checked, 5)
    assert five.status == "unmet" and checked.indicator == "critical"
    assert "irradiated on 12 May 2024, not decompressed" in five.basis


def test_an_old_grade_at_the_ordered_level_stays_critical_after_frankel_e():
    grade = bilsky("bilsky-t12", "bilsky-3", "T12", when=STALE)
    checked = single(default_patient(drop=("bilsky-t12",), extra=(grade,)), "T12")
    assert criterion(checked, 5).status == "unmet" and checked.indicator == "critical"


def test_a_dated_low_grade_at_the_ordered_level_is_unknown():
    grade = bilsky("bilsky-t12", "bilsky-0", "T12", when=STALE)
    checked = single(default_patient(drop=("bilsky-t12",), extra=(grade,)), "T12")
    assert criterion(checked, 5).status == "unknown"


def test_a_preliminary_bilsky_3_at_the_ordered_level_is_unmet():
    grade = preliminary(bilsky("mri", "bilsky-3", "T12", when="2024-05-31T09:00:00Z"))
    checked = single(default_patient(extra=(grade,)), "T12")
    five = criterion(checked, 5)
    assert (
        five.status == "unmet" and five.finding == "Bilsky 3 at T12 (31 May, preliminary — confirm)"
    )


def test_a_grade_without_a_level_is_never_named_at_the_ordered_level():
    loose = finding("mri", BILSKY, "bilsky-3")
    checked = single(with_t8(loose, drop=("bilsky-t12",)), "T12")
    assert criterion(checked, 5).finding == "Bilsky 3, level not recorded (30 May)"
    assert checked.indicator == "critical"


def test_a_grade_without_a_level_counts_at_another_level_without_its_own_grade():
    # T12 keeps its own Bilsky 0 (criterion 5 met there); T8 has none: the Bilsky 2 counts at T8.
    resources = with_t8(finding("mri", BILSKY, "bilsky-2"))
    checked = single(resources, "T12")
    eight = criterion(checked, 8)
    assert statuses(checked, "T12")[5] == "met"
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.finding == "Bilsky 2, level not recorded (30 May 2024)"
    assert eight.basis == (
        "Bilsky 2, level not recorded (30 May 2024): suspected cord compression elsewhere "
        "(counts at T8, which has no grade of its own)"
    )
    cards, _, text, _ = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
    card = next(c for c in cards if c.summary.startswith("Vertebroplasty T12"))
    assert card.indicator == "critical" and "compression elsewhere?" not in card.summary
    assert card.summary.startswith(
        "Vertebroplasty T12: Bilsky 2, level not recorded (30 May 2024): suspected cord "
        "compression elsewhere"
    )
    assert f"ORDER ServiceRequest/o [critical] {card.summary}" in text


def test_a_grade_without_a_level_yields_to_every_other_level_s_own_grade():
    # Every scored level has its own grade: the Bilsky 2 counts at no level, so where it is is
    # not known — here or elsewhere, never met (contract §5: never guessed).
    resources = with_t8(finding("mri", BILSKY, "bilsky-2"), bilsky("b8", "bilsky-0", "T8"))
    eight = criterion(single(resources, "T12"), 8)
    assert eight.status == "unmet"
    assert eight.basis == (
        "Bilsky 2, level not recorded (30 May 2024): suspected cord compression here or elsewhere"
    )
    # ... and at a level the same request decompresses it is named, not held against the order.
    records = read_orders(draft_orders(order("o", "22510", "T12"), order("d", "63003", "T8")))
    (vertebroplasty,) = procedure_orders(records, None, "order-sign", default_terminology())
    result = _result(with_t8(finding("mri", BILSKY, "bilsky-2")))
    checked = check_order(vertebroplasty, result, Rules(), decompressed=frozenset({"T8"}))
    assert criterion(checked, 8).status == "met" and checked.indicator == "info"


def test_a_preliminary_frankel_c_makes_criterion_4_unmet():
    exam = preliminary(finding("exam", "frankel-grade", "frankel-c", when="2024-05-31T09:00:00Z"))
    checked = single(default_patient(extra=(exam,)), "T12")
    four = criterion(checked, 4)
    assert four.status == "unmet" and four.finding == "Frankel/AIS C (preliminary — confirm)"
    # A final Frankel E of the same time replaces it.
    same = finding("frankel", "frankel-grade", "frankel-e", when="2024-05-31T09:00:00Z")
    checked = single(default_patient(drop=("frankel",), extra=(exam, same)), "T12")
    assert criterion(checked, 4).status == "met"


# --- an established deficit after a decompression (§4 v3, §5) -------------------------------
# Criterion 4 stays literal (A–D is unmet), but the neurology decision is one on every surface:
# a deficit no worse than before a completed decompression is a warning asking "new or worse?",
# never "assess for decompression" for a patient already decompressed.

ESTABLISHED = (
    "established deficit (Frankel D since 1 May 2024, decompression at T12 on 3 May 2024) — "
    "new or worse?"
)


def _decompressed(now="frankel-d"):
    """Frankel D on 1 May 2024, a decompression at T12 on 3 May, ``now`` on 30 May."""
    return default_patient(
        drop=("frankel",),
        extra=(
            finding("f0", "frankel-grade", "frankel-d", when="2024-05-01T09:00:00Z"),
            procedure("dec", "63275", "T12", when="2024-05-03T10:00:00Z"),
            finding("frankel", "frankel-grade", now),
        ),
    )


def test_an_established_deficit_after_a_decompression_asks_new_or_worse():
    resources = _decompressed()
    checked = single(resources, "T12")
    four = criterion(checked, 4)
    assert four.status == "unmet"  # literal: Frankel D is A–D (§5)
    assert not checked.compression and checked.indicator == "warning"
    assert four.finding == ESTABLISHED
    assert "decompression at T12 on 3 May 2024" in four.basis
    assert "new or worse" in (four.action or "")
    assert "assess for decompression" not in (four.action or "")
    cards, _, text, page = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
    card = next(c for c in cards if c.summary.startswith("Vertebroplasty T12"))
    neuro = next(c for c in cards if c.summary.startswith("established deficit"))
    assert card.indicator == neuro.indicator == "warning"
    assert card.summary == f"Vertebroplasty T12: {ESTABLISHED}"
    assert "assess for decompression" not in card.summary + (card.detail or "")
    assert "suspected cord compression" not in card.summary + (card.detail or "")
    assert f"ORDER ServiceRequest/o [warning] {card.summary}" in text
    assert "[critical]" not in text
    assert ESTABLISHED in page


def test_a_worse_deficit_after_a_decompression_stays_critical():
    resources = _decompressed(now="frankel-c")
    checked = single(resources, "T12")
    four = criterion(checked, 4)
    assert four.status == "unmet" and checked.indicator == "critical"
    assert four.finding == "Frankel/AIS C (30 May)"
    assert (
        four.action == "suspected cord compression: assess for decompression and radiotherapy first"
    )
    card, neuro, _ = _order_and_neurology(resources)
    assert card.indicator == neuro.indicator == "critical"


# --- final grades with no recorded time behind a timed normal grade (§2, §5 v3) ---------------


def untimed(resource):
    return {k: v for k, v in resource.items() if k != "effectiveDateTime"}


def test_an_untimed_frankel_c_makes_criterion_4_unknown_never_met():
    exam = untimed(finding("exam", "frankel-grade", "frankel-c"))
    checked = single(default_patient(extra=(exam,)), "T12")
    four = criterion(checked, 4)
    assert four.status == "unknown" and checked.indicator == "warning"
    assert four.finding == "Frankel C (no recorded time — confirm)"
    assert "latest timed grade: Frankel grade: Frankel E" in four.basis
    assert four.action == "confirm the current Frankel/AIS grade and record it with its time"


def test_an_untimed_bilsky_3_at_the_ordered_level_makes_criterion_5_unknown():
    mri = untimed(bilsky("mri", "bilsky-3", "T12"))
    checked = single(default_patient(extra=(mri,)), "T12")
    five = criterion(checked, 5)
    assert five.status == "unknown" and checked.indicator == "warning"
    assert five.finding == "Bilsky 3 at T12 (no recorded time — confirm)"
    assert "Bilsky 0" in five.basis


def test_an_untimed_bilsky_3_elsewhere_makes_criterion_8_unknown():
    grades = (bilsky("b8", "bilsky-0", "T8"), untimed(bilsky("b8-old", "bilsky-3", "T8")))
    checked = single(with_t8(*grades), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and checked.indicator == "warning"
    assert "Bilsky 3 at T8 (no recorded time — confirm)" in eight.basis
    assert eight.action == "confirm the current Bilsky grade from the MRI report"
    # Without the untimed grade, T8's timed Bilsky 0 meets it.
    checked = single(with_t8(bilsky("b8", "bilsky-0", "T8")), "T12")
    assert criterion(checked, 8).status == "met"


# --- a Bilsky 2–3 without a level that every scored level's own grade outranks (§2, §5 v3) ----
# Every bone metastasis has a level and each level its own grade, so the Bilsky 3 counts at no
# level (§2) — yet it is recorded: the compression is at the ordered level (criterion 5) or at
# another (criterion 8), critical either way, as the neurology card and the text report say
# (§4 v3: one decision per patient). Worded so that it claims no level.

LOOSE_3 = "Bilsky 3, level not recorded (30 May 2024)"
ANYWHERE = "suspected cord compression here or elsewhere"
FIRST = "assess for decompression and radiotherapy first"


def test_a_bilsky_3_without_a_level_is_critical_when_every_level_has_its_own_grade():
    # The default patient: T12, its only scored level, has its own Bilsky 0.
    resources = default_patient(extra=(finding("mri", BILSKY, "bilsky-3"),))
    checked = single(resources, "T12")
    eight = criterion(checked, 8)
    assert statuses(checked, "T12")[5] == "met"  # T12's own grade wins there (§2)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.finding == LOOSE_3 and eight.basis == f"{LOOSE_3}: {ANYWHERE}"
    assert eight.action == FIRST
    cards, _, text, page = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
    card = next(c for c in cards if c.summary.startswith("Vertebroplasty T12"))
    neuro = next(c for c in cards if c.summary.startswith("Suspected spinal cord compression"))
    assert card.indicator == neuro.indicator == "critical"
    # Too long with "here or elsewhere": "level not recorded" says it, what to do stays.
    assert card.summary == (
        f"Vertebroplasty T12: {LOOSE_3}: suspected cord compression — decompression and "
        "radiotherapy first"
    )
    assert " at T12" not in card.summary.removeprefix("Vertebroplasty T12")  # claims no level
    assert FIRST in (card.detail or "")
    assert "confirm where it is" not in card.summary + (card.detail or "")
    assert f"ORDER ServiceRequest/o [critical] {card.summary}" in text
    assert f"{LOOSE_3}: suspected cord compression — decompression" in page
    assert "confirm where it is" not in page


def test_a_bilsky_3_without_a_level_with_two_graded_levels_is_critical():
    # T12 and L2 each have their own Bilsky 0; the Bilsky 2 without a level is at one of them.
    resources = default_patient(
        extra=(condition("met-l2", "C79.51", level="L2"), bilsky("b2", "bilsky-0", "L2"),
               finding("mri", BILSKY, "bilsky-2"))
    )  # fmt: skip
    for level in ("T12", "L2"):
        checked = single(resources, level)
        eight = criterion(checked, 8, level)
        assert statuses(checked, level)[5] == "met"
        assert eight.status == "unmet" and checked.indicator == "critical", level
        assert eight.basis == f"Bilsky 2, level not recorded (30 May 2024): {ANYWHERE}"


def test_a_later_grade_at_a_level_does_not_locate_a_bilsky_3_without_a_level():
    later = finding("mri", BILSKY, "bilsky-3", when="2024-05-29T09:00:00Z")
    resources = default_patient(
        extra=(condition("met-l2", "C79.51", level="L2"), bilsky("b2", "bilsky-0", "L2"), later)
    )  # both own grades (30 May) are later than the Bilsky 3 (29 May)
    checked = single(resources, "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.finding == LOOSE_3.replace("30 May", "29 May")


def test_a_preliminary_bilsky_3_without_a_level_is_critical_and_says_preliminary():
    loose = preliminary(finding("mri", BILSKY, "bilsky-3", when="2024-05-31T09:00:00Z"))
    checked = single(default_patient(extra=(loose,)), "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.finding == "Bilsky 3, level not recorded (31 May 2024, preliminary — confirm)"


def test_an_old_bilsky_3_without_a_level_with_a_later_frankel_e_asks_to_re_image():
    # As the neurology card says it (a warning, "re-image"): §5 v3 for criterion 8.
    loose = finding("mri", BILSKY, "bilsky-3", when=STALE)
    resources = default_patient(extra=(loose,))
    checked = single(resources, "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unknown" and eight.action == "re-image"
    assert checked.indicator == "warning"
    assert eight.basis == "Bilsky 3, level not recorded (1 Apr 2024), Frankel/AIS E since"


def test_a_decompression_ordered_at_every_possible_level_makes_it_info():
    resources = default_patient(
        extra=(T8, bilsky("b8", "bilsky-0", "T8"), finding("mri", BILSKY, "bilsky-2"))
    )
    result = _result(resources)
    records = read_orders(draft_orders(order("o", "22510", "T12"), order("d", "63003", "T8")))
    (vertebroplasty,) = procedure_orders(records, None, "order-sign", default_terminology())
    # T8 decompressed, T12 not: the Bilsky 2 may be at T12.
    checked = check_order(vertebroplasty, result, Rules(), decompressed=frozenset({"T8"}))
    assert criterion(checked, 8).status == "unmet" and checked.indicator == "critical"
    # Every level it may be at is decompressed in this request: named, not held against it.
    both = frozenset({"T8", "T12"})
    checked = check_order(vertebroplasty, result, Rules(), decompressed=both)
    eight = criterion(checked, 8)
    assert eight.status == "met" and checked.indicator == "info"
    assert eight.basis == (
        "Bilsky 0–1c at every other level (T8); "
        "Bilsky 2, level not recorded (30 May 2024): decompression ordered in this request"
    )


def test_a_later_clear_whole_spine_mri_leaves_a_bilsky_3_without_a_level_critical_both_named():
    # Only surgery supersedes a grade (§5 v3): the neurology card stays critical for the Bilsky 3
    # whatever the verdict (§4), and so does the order card; the verdict is named beside it.
    loose = finding("mri", BILSKY, "bilsky-3", when="2024-05-29T09:00:00Z")
    clear = finding("wsm", "whole-spine-escc", "no-high-grade")  # 30 May: later
    resources = default_patient(extra=(loose, clear))
    checked = single(resources, "T12")
    eight = criterion(checked, 8)
    assert eight.status == "unmet" and checked.indicator == "critical"
    assert eight.basis.startswith(f"Bilsky 3, level not recorded (29 May 2024): {ANYWHERE}")
    assert "whole-spine MRI (30 May 2024): no level Bilsky 2–3 — disagrees" in eight.basis
    card, neuro, _ = _order_and_neurology(resources)
    assert neuro.indicator == card.indicator == "critical"
    assert "meets the case series" not in card.summary
    # A clear whole-spine MRI of the same time or earlier does not settle it either.
    same = finding("mri", BILSKY, "bilsky-3")
    assert criterion(single(default_patient(extra=(same, clear)), "T12"), 8).status == "unmet"


def test_an_untimed_frankel_e_is_named_as_untimed_not_as_the_problem():
    resources = default_patient(
        drop=("frankel",), extra=(untimed(finding("frankel", "frankel-grade", "frankel-e")),)
    )
    checked = single(resources, "T12")
    four = criterion(checked, 4)
    assert four.status == "unknown" and checked.indicator == "warning"
    assert four.finding == "Frankel E (no recorded time — re-examine)"
    assert "(dated)" not in four.basis and "no recorded time" in four.basis
    cards, _, text, page = surfaces(decisions_for(resources, [order("o", "22510", "T12")]))
    card = next(c for c in cards if c.summary.startswith("Vertebroplasty T12"))
    assert card.summary == "Vertebroplasty T12: Frankel E (no recorded time — re-examine)"
    assert f"ORDER ServiceRequest/o [warning] {card.summary}" in text
    assert "Frankel E (no recorded time — re-examine)" in page


# --- a Bilsky 2–3 without a level and a metastasis without a level (§2, §5 v3) ---------------
# The metastasis whose level is not recorded is a level with no grade of its own: the Bilsky 2–3
# without a level counts there (§2), so it is compression elsewhere — unmet, critical, as the
# neurology card and the text report say — not "every scored level has its own grade".


def _unlocated(metastasis):
    """Breast primary; a metastasis at L2 with its own Bilsky 0; ``metastasis`` whose level is
    not recorded; a Bilsky 3 with no level."""
    return [
        patient(), condition("pr", "C50.919"), metastasis, condition("m2", "C79.51", level="L2"),
        finding("fr", "frankel-grade", "frankel-e"), measurement("kps", "89243-0", 80),
        measurement("inr", "6301-6", 1.1, "{INR}"),
        measurement("platelets", "777-3", 200, "10*9/L"),
        bilsky("b2", "bilsky-0", "L2"), finding("b", BILSKY, "bilsky-3"),
    ]  # fmt: skip


def _text_only():
    met = condition("m1", "C79.51")
    met["bodySite"] = [{"text": "T8 vertebral body"}]  # no coding: no level read
    return met


def _lumbar_region():
    met = condition("m1", "C79.51")
    met["bodySite"] = [{"coding": [{"system": SNOMED, "code": "122496007"}]}]  # lumbar spine
    return met


UNLOCATED = {
    "no bodySite": (condition("m1", "C79.51"), "the bone metastasis with no level recorded"),
    "text-only bodySite": (_text_only(), "the bone metastasis with no level recorded"),
    "spinal region": (_lumbar_region(), "the bone metastasis recorded by spinal region only"),
}


def test_a_bilsky_3_without_a_level_counts_at_a_metastasis_without_a_level():
    for case, (metastasis, where) in UNLOCATED.items():
        resources = _unlocated(metastasis)
        checked = single(resources, "L2")
        eight = criterion(checked, 8, "L2")
        assert statuses(checked, "L2")[5] == "met", case  # L2's own Bilsky 0 wins there
        assert eight.status == "unmet" and checked.indicator == "critical", case
        assert eight.finding == "Bilsky 3, level not recorded (30 May 2024)", case
        assert eight.basis == (
            "Bilsky 3, level not recorded (30 May 2024): suspected cord compression elsewhere "
            f"(counts at {where}, which has no grade of its own)"
        ), case
        assert "confirm where it is" not in eight.basis
        card, neuro, text = _order_and_neurology(resources, "L2")
        assert card.indicator == neuro.indicator == "critical", case
        assert card.summary.startswith(
            "Vertebroplasty L2: Bilsky 3, level not recorded (30 May 2024): suspected cord "
            "compression — decompression and radiotherapy first; +"
        ), case
        assert f"ORDER ServiceRequest/o [critical] {card.summary}" in text


def test_a_low_grade_without_a_level_does_not_count_at_a_metastasis_without_a_level():
    # Only a Bilsky 2–3 without a level counts at every level without its own grade (§2).
    resources = _unlocated(condition("m1", "C79.51"))
    resources[-1] = finding("b", BILSKY, "bilsky-1a")
    eight = criterion(single(resources, "L2"), 8, "L2")
    assert eight.status != "unmet"


def test_a_metastasis_without_a_level_and_no_grade_leaves_criterion_8_unknown():
    # The only other bone metastasis has no level and nothing grades it: compression there is
    # not known (§5: never guessed), so criterion 8 is not "met, no metastasis or Bilsky grade recorded at another level".
    for case, (metastasis, where) in UNLOCATED.items():
        resources = _unlocated(metastasis)[:-1]  # no Bilsky grade without a level
        eight = criterion(single(resources, "L2"), 8, "L2")
        assert eight.status == "unknown", case
        assert eight.finding == f"no Bilsky grade at {where} — compression elsewhere?", case
    # A clear whole-spine MRI settles it, as it settles every level without a grade.
    resources = _unlocated(condition("m1", "C79.51"))[:-1]
    resources.append(finding("ws", "whole-spine-escc", "no-high-grade"))
    assert criterion(single(resources, "L2"), 8, "L2").status == "met"


# --- compression at a level the order reaches but does not treat: never "elsewhere" -----------


def _order_card(resources, spine_order):
    decisions = decisions_for(resources, [spine_order])
    (card,) = surfaces(decisions)[0][-1:]
    return decisions.orders[0].check, card


def _bilsky_3_at_t12():
    return default_patient(drop=("bilsky-t12",), extra=(bilsky("b3", "bilsky-3", "T12"),))


def test_compression_at_an_unrecognised_order_s_own_level_is_not_elsewhere():
    local = order(
        "o", "99999", "T12", system="http://hospital.example/orders",
        text="Posterior spinal fusion", category="387713003",
    )  # fmt: skip
    checked, card = _order_card(_bilsky_3_at_t12(), local)
    eight = next(c for c in checked.patient if c.number == 8)
    assert eight.status == "unmet"
    assert (
        eight.basis
        == "Bilsky 3 at T12 (30 May 2024): suspected cord compression at an ordered level"
    )
    assert card.indicator == "critical"
    assert card.summary.startswith(
        "Posterior spinal fusion T12: Bilsky 3 at T12 (30 May 2024): suspected cord compression"
    )
    # the criterion keeps its name ("… elsewhere"); no finding says the compression is elsewhere
    assert "compression elsewhere" not in card.summary
    assert "suspected cord compression elsewhere" not in (card.detail or "")


def test_compression_at_a_level_a_fixation_bridges_is_not_elsewhere():
    # Screws at T11 and L1 around the T12 metastasis, no reasonReference: the construct bridges
    # T12, which is judged (criterion 5 there), not another level.
    checked, card = _order_card(_bilsky_3_at_t12(), order("f", "22842", "T11", "L1"))
    assert (checked.levels[0].level, checked.levels[0].instrumented) == ("T12", False)
    five = next(c for c in checked.levels[0].criteria if c.number == 5)
    assert five.status == "unmet" and "Bilsky 3" in five.basis
    eight = next(c for c in checked.patient if c.number == 8)
    assert "T12" not in eight.basis  # not compression elsewhere
    assert card.indicator == "critical"
    assert card.summary.startswith(
        "Pedicle screw fixation T11, L1: Bilsky 3 at T12 (30 May): suspected cord compression — "
    )
    assert "elsewhere" not in card.summary


def test_compression_at_an_instrumented_level_is_said_at_an_ordered_level():
    resources = default_patient(extra=(bilsky("b-l1", "bilsky-3", "L1"),))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    eight = criterion(checked, 8)
    assert (
        eight.basis
        == "Bilsky 3 at L1 (30 May 2024): suspected cord compression at an ordered level"
    )
    assert "elsewhere" not in summary(checked)


def test_compression_at_an_ordered_level_and_at_another_names_both_where_they_are():
    resources = with_t8(bilsky("b8", "bilsky-3", "T8"), bilsky("b-l1", "bilsky-3", "L1"))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    eight = criterion(checked, 8)
    assert eight.basis == (
        "Bilsky 3 at L1 (30 May 2024): suspected cord compression at an ordered level; "
        "Bilsky 3 at T8 (30 May 2024): suspected cord compression elsewhere"
    )
    assert summary(checked).startswith(
        "Pedicle screw fixation T11, T12, L1: Bilsky 3 at L1 (30 May 2024): suspected cord "
        "compression — "
    )


def test_a_coded_compression_at_an_unrecognised_order_s_level_is_not_elsewhere():
    cord = condition("mscc", "G95.20", level="T12", onset="2024-05-31")
    local = order(
        "o", "99999", "T12", system="http://hospital.example/orders",
        text="Posterior spinal fusion", category="387713003",
    )  # fmt: skip
    checked, card = _order_card(default_patient(drop=("bilsky-t12",), extra=(cord,)), local)
    eight = next(c for c in checked.patient if c.number == 8)
    assert eight.basis == (
        "Unspecified cord compression at T12 (coded diagnosis, 31 May 2024): suspected cord "
        "compression at an ordered level"
    )
    assert "elsewhere" not in card.summary


def test_no_grade_at_an_unrecognised_order_s_own_level_asks_for_it_there():
    local = order(
        "o", "99999", "T12", system="http://hospital.example/orders",
        text="Posterior spinal fusion", category="387713003",
    )  # fmt: skip
    checked, card = _order_card(default_patient(drop=("bilsky-t12",)), local)
    eight = next(c for c in checked.patient if c.number == 8)
    assert eight.status == "unknown"
    assert eight.finding == "no Bilsky grade at T12"
    assert "elsewhere" not in card.summary


def test_a_grade_without_a_level_counting_only_at_the_order_s_own_level_is_not_elsewhere():
    loose = finding("mri", BILSKY, "bilsky-3")
    checked, card = _order_card(default_patient(drop=("bilsky-t12",), extra=(loose,)), _LOCAL)
    eight = next(c for c in checked.patient if c.number == 8)
    assert eight.basis == (
        "Bilsky 3, level not recorded (30 May 2024): suspected cord compression at an ordered "
        "level (counts at T12, which has no grade of its own)"
    )
    # The summary keeps the action; where the compression is, its basis says (above).
    assert card.summary.startswith(
        "Posterior spinal fusion T12: Bilsky 3, level not recorded (…): suspected cord "
        "compression — decompression and radiotherapy first"
    )
    assert "elsewhere" not in card.summary


def test_a_grade_without_a_level_counting_at_the_order_s_level_and_another_is_here_or_elsewhere():
    loose = finding("mri", BILSKY, "bilsky-3")
    checked, card = _order_card(with_t8(loose, drop=("bilsky-t12",)), _LOCAL)
    eight = next(c for c in checked.patient if c.number == 8)
    assert eight.basis == (
        "Bilsky 3, level not recorded (30 May 2024): suspected cord compression here or "
        "elsewhere (counts at T8, T12, which have no grade of their own)"
    )
    # Too long for "here or elsewhere" beside the action: the summary gives up the words, the
    # basis (above) and the detail keep them.
    assert "suspected cord compression — decompression and radiotherapy first" in card.summary
    assert "suspected cord compression here or elsewhere" in (card.detail or "")


_LOCAL = order(
    "o", "99999", "T12", system="http://hospital.example/orders",
    text="Posterior spinal fusion", category="387713003",
)  # fmt: skip
