"""What the procedure check says about an order (contract §5 v3): named orders and problems, the
most serious first; cement alone at an unstable level; screws in tumour; an epidural tumour at a
cemented level; criterion 9 (active infection); the context lines; a deceased patient's order;
an order that is not recognised. Each case changes one thing of the default patient
(tests/support/records.py: T12 metastasis, SINS 10, Frankel E and Bilsky 0 two days before NOW).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from adapter.cds.procedure import order_cards
from adapter.procedure.concerns import Concern
from adapter.procedure.summary import findings, headline, summary
from adapter.vocabulary.cards import SUMMARY_MAX
from tests.support.records import (
    CPT,
    RECENT,
    SNOMED,
    condition,
    default_patient,
    finding,
    measurement,
    order,
    patient,
    procedure,
    site,
)
from tests.unit.decision.test_wording import decisions_for, surfaces
from tests.unit.procedure.test_check import check, single, statuses
from tests.unit.surface_readers import listed

UNSTABLE = "SINS 14, unstable: the case series combined cement with pedicle screw fixation"
# T12 (junctional 3) + mechanical 3 + lytic 2 + de novo deformity 2 + collapse > 50 % 3
# + unilateral posterolateral 1 = 14.
SINS_14 = {"spinal-alignment": "de-novo-deformity", "vertebral-body-collapse": "gt-50",
           "posterolateral-involvement": "unilateral"}  # fmt: skip
INFECTION = "active infection — cement or implant contraindicated"


def test_an_order_at_a_level_without_metastasis_leads_with_it():
    resources = default_patient(extra=(condition("met-t6", "C79.51", level="T6"),
                                       condition("met-t8", "C79.51", level="T8")))  # fmt: skip
    checked = single(resources, "L1")
    assert headline(checked).startswith(
        "Vertebroplasty L1: No metastasis recorded at L1 (metastases: T6, T8, T12) — check the level"
    )


def test_the_most_serious_finding_leads_and_the_others_follow_by_name():
    resources = default_patient(drop=("inr",), extra=(measurement("inr", "6301-6", 1.8),))
    line = headline(single(resources, "L1"))
    # no metastasis at L1 first; then the INR (unmet); then what is unknown, the cord first
    assert line == (
        "Vertebroplasty L1: No metastasis recorded at L1 (metastases: T12) — check the level; "
        "INR 1.8 (above 1.5); no Bilsky grade at L1; fracture and stability at L1 not assessed"
    )
    assert not re.search(r"criteri\w* \d", line)  # never "criteria 1 unmet"


def test_two_orders_are_named_apart():
    resources = default_patient(extra=(condition("met-l2", "C79.51", level="L2"),))
    a, b = check(resources, order("a", "22510", "T12"), order("b", "22511", "L2"))
    assert headline(a).startswith("Vertebroplasty T12: ")
    assert headline(b).startswith("Vertebroplasty L2: ")


def test_compression_leads_as_suspected_cord_compression():
    resources = default_patient(drop=("frankel",), extra=(
        finding("frankel", "frankel-grade", "frankel-c"),))  # fmt: skip
    assert headline(single(resources, "T12")) == (
        "Vertebroplasty T12: Frankel/AIS C (30 May): suspected cord compression — assess "
        "for decompression and radiotherapy first"
    )


def test_cement_alone_at_sins_14_warns_that_the_case_series_added_screws():
    checked = single(default_patient(sins=SINS_14), "T12")
    assert checked.indicator == "warning"
    assert headline(checked) == f"Vertebroplasty T12: {UNSTABLE}"


def test_cement_beside_screws_in_progress_at_the_level_is_not_cement_alone():
    # The seed's procedure in theatre: the fixation is recorded in progress while the
    # vertebroplasty is ordered. A fixation in progress elsewhere leaves cement alone at T12.
    under_way = procedure("fix", "22842", "T12", when=RECENT, status="in-progress")
    checked = single(default_patient(sins=SINS_14, extra=(under_way,)), "T12")
    assert not [c for c in checked.concerns if "pedicle screw fixation" in c.finding]
    elsewhere = procedure("fix", "22842", "L2", when=RECENT, status="in-progress")
    checked = single(default_patient(sins=SINS_14, extra=(elsewhere,)), "T12")
    assert headline(checked) == f"Vertebroplasty T12: {UNSTABLE}"


@pytest.mark.parametrize(
    ("sins", "said"),
    [
        # 3 + 3 + 2 + subluxation 4 + 2 + 0 = 14: both the total and the alignment
        ({"spinal-alignment": "subluxation"}, "SINS 14, unstable"),
        # 3 + pain-free 0 + blastic 0 + 0 + 2 + bilateral 3 = 8: bilateral whatever the total
        ({"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "posterolateral-involvement": "bilateral"}, "bilateral posterolateral involvement at T12"),
    ],
)  # fmt: skip
def test_cement_alone_cannot_treat_translation_or_posterior_destruction(sins, said):
    checked = single(default_patient(sins=sins), "T12")
    assert [c.finding for c in checked.concerns] == [
        f"{said}: the case series combined cement with pedicle screw fixation"
    ]


# A second alignment finding at T12 at the same time as the default "normal" one (contract §2:
# equal-time findings that disagree make a range, and the output names the conflict).
SUBLUXATION_TOO = finding("t12-align2", "spinal-alignment", "subluxation", level="T12")
BILATERAL_TOO = finding("t12-pl2", "posterolateral-involvement", "bilateral", level="T12")
FIXATION = "the case series combined cement with pedicle screw fixation"


@pytest.mark.parametrize(
    ("drop", "sins", "extra", "said"),
    [
        # SINS 10–14: normal 0 or subluxation 4, both final, both 30 May
        ((), None, (SUBLUXATION_TOO,), "alignment conflicting at T12 (subluxation/normal, 30 May): "
         "settle before cement alone — subluxation would need fixation"),
        (("t12-spinal-alignment",), None, (),
         "alignment not recorded at T12: record before cement alone — subluxation would need "
         "fixation"),
        ((), None, (BILATERAL_TOO,), "posterolateral involvement conflicting at T12 "
         "(bilateral/none, 30 May): settle before cement alone — bilateral would need fixation"),
        # alignment and posterolateral involvement settled, pain missing: SINS 11–14
        (("t12-spinal-pain",), SINS_14, (),
         "SINS 11–14 at T12 could be unstable: record pain before cement alone"),
    ],
)  # fmt: skip
def test_cement_alone_where_instability_is_possible_but_not_certain_names_what_is_unsettled(
    drop, sins, extra, said
):
    # Contract §5: never "meets the criteria" from what is not certain; §5 v3 and §6 v3: cement
    # alone is a warning at subluxation, bilateral involvement or SINS 13 or more.
    checked = single(default_patient(drop=drop, sins=sins, extra=extra), "T12")
    assert checked.indicator == "warning"
    assert [c.finding for c in checked.concerns] == [said]
    line = f"Vertebroplasty T12: {said}"
    if len(line) > SUMMARY_MAX:  # what to do stays in the summary, why goes to the detail
        line = line.split(" — ")[0]
    assert headline(checked) == line and "meets" not in line


def test_cement_alone_at_a_conflicting_alignment_says_why_in_the_detail():
    (concern,) = single(default_patient(extra=(SUBLUXATION_TOO,)), "T12").concerns
    assert concern.detail.startswith(
        "Cement alone at T12: alignment conflicting at T12 (subluxation/normal, 30 May 2024): "
        "settle it before cement alone — subluxation would need fixation"
    )
    assert FIXATION in concern.detail


def test_both_unsettled_are_named_and_a_conflict_that_cannot_be_subluxation_is_not():
    both = single(default_patient(drop=("t12-spinal-alignment",), extra=(BILATERAL_TOO,)), "T12")
    assert [c.finding.split(":")[0] for c in both.concerns] == [
        "alignment not recorded at T12",
        "posterolateral involvement conflicting at T12 (bilateral/none, 30 May)",
    ]
    # normal or de novo deformity: SINS 10–12, never unstable — nothing to settle before cement
    deformity = finding("t12-align2", "spinal-alignment", "de-novo-deformity", level="T12")
    checked = single(default_patient(extra=(deformity,)), "T12")
    assert checked.concerns == () and checked.indicator == "info"


def test_what_is_certainly_unmet_leads_over_what_is_unsettled():
    resources = default_patient(drop=("inr",), extra=(SUBLUXATION_TOO,
                                                      measurement("inr", "6301-6", 1.8)))  # fmt: skip
    assert headline(single(resources, "T12")).startswith(
        "Vertebroplasty T12: INR 1.8 (above 1.5); alignment conflicting at T12"
    )


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_unknown_criteria_lead_over_what_is_unsettled_before_cement_alone(hook):
    # A record with no findings at all: only the metastasis at L2. A surgeon reads an unknown
    # deficit or cord compression (criteria 4, 5) before an alignment not yet recorded; then the
    # other unknown criteria; what may make cement alone unsafe comes after every criterion.
    resources = [patient(), condition("met-l2", "C79.51", level="L2")]
    (checked,) = check(resources, order("vp", "22511", "L2"), hook=hook,
                       selections=["ServiceRequest/vp"] if hook == "order-select" else None)  # fmt: skip
    assert findings(checked) == [
        "no Frankel/AIS grade recorded",
        "no Bilsky grade at L2",
        "collapse at L2 not recorded",
        "no INR recorded; no platelets recorded",
        "alignment not recorded at L2: record before cement alone — subluxation would need fixation",
        "posterolateral involvement not recorded at L2: record before cement alone — bilateral "
        "would need fixation",
    ]
    decisions = decisions_for(resources, (order("vp", "22511", "L2"),))
    (decision,) = decisions.orders
    line = decision.summary
    assert line.startswith(
        "Vertebroplasty L2: no Frankel/AIS grade recorded; no Bilsky grade at L2"
    )
    assert "cement alone" not in line.split("; +")[0]
    cards, _, text, page = surfaces(decisions)
    assert [c.summary for c in cards if c.summary.startswith("Vertebroplasty")] == [line]
    assert f"ORDER ServiceRequest/vp [warning] {listed(line)}" in text
    assert html.escape(listed(line), quote=False) in page


def test_an_unknown_criterion_leads_over_an_unsettled_alignment_where_both_are_at_the_level():
    resources = default_patient(drop=("frankel", "t12-spinal-alignment"))
    assert headline(single(resources, "T12")) == (
        "Vertebroplasty T12: no Frankel/AIS grade recorded; alignment not recorded at T12: record "
        "before cement alone"
    )


def test_cement_with_a_fixation_ordered_is_not_alone_whatever_is_unsettled():
    cement, _ = check(default_patient(extra=(SUBLUXATION_TOO,)), order("vp", "22510", "T12"),
                      order("psf", "22842", "T11", "T12", "L1"))  # fmt: skip
    assert cement.concerns == ()


def test_cement_with_a_fixation_in_the_same_request_or_done_before_is_not_alone():
    resources = default_patient(sins=SINS_14)
    cement, screws = check(resources, order("vp", "22510", "T12"),
                           order("psf", "22842", "T11", "T12", "L1"))  # fmt: skip
    assert cement.concerns == () and screws.concerns == ()
    fixed = default_patient(sins=SINS_14, extra=(procedure("done", "22842", "T11", "T12", "L1"),))
    # Not alone; the fixation itself is named (contract §6 v3: tests/unit/procedure/test_treated.py)
    assert [c.finding for c in single(fixed, "T12").concerns] == [
        "T12 already fixed on 22 May 2024"
    ]


def test_a_fixation_whose_screws_go_into_tumour_names_the_levels():
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    assert [lv.level for lv in checked.levels if lv.instrumented] == ["T11", "L1"]
    assert [c.finding for c in checked.concerns] == [
        "metastasis at instrumented level L1: screw purchase in tumour"
    ]
    assert checked.indicator == "warning"


def test_screws_into_an_unconfirmed_metastasis_say_possible():
    """A metastasis only an unconfirmed Condition records "may or may not be present" (contract
    §2): the screws may go into tumour, never said as if they certainly do."""
    unsure = condition("met-l1", "C79.51", level="L1", verification="provisional")
    cord = finding("bilsky-l1", "epidural-spinal-cord-compression", "bilsky-0", level="L1")
    resources = default_patient(extra=(unsure, cord))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    possible = (
        "metastasis at instrumented level L1 not confirmed: possible screw purchase in tumour — "
        "confirm it"
    )
    assert [c.finding for c in checked.concerns] == [possible]
    assert checked.indicator == "warning"
    assert headline(checked) == f"Pedicle screw fixation T11, T12, L1: {possible}"
    (card,) = order_cards(decisions_for(resources, [order("f", "22842", "T11", "T12", "L1",
                                                          reasons=("met-t12",))]), "h")  # fmt: skip
    assert (
        "**Warning**: The screws go into L1, where a metastasis is recorded only by an "
        "unconfirmed Condition: if it is there, screw purchase in tumour — confirm it, then "
        "review the construct (levels to instrument, cement augmentation of the screws)."
    ) in card.detail
    # beside a confirmed one, each is said as it is known
    sure = condition("met-t11", "C79.51", level="T11")
    checked = single(default_patient(extra=(unsure, cord, sure)), "T11", "T12", "L1",
                     code="22842", reasons=("met-t12",))  # fmt: skip
    assert [c.finding for c in checked.concerns] == [
        "metastasis at instrumented level T11: screw purchase in tumour",
        possible,
    ]


def test_a_fixation_for_a_level_outside_its_construct_is_a_wrong_level_risk():
    # Contract §5: the treated level is the one reasonReference names (L3), and the order's
    # bodySite levels are instrumented; L3 lies outside T11–L1, which the card must say.
    resources = default_patient(extra=(condition("met-l3", "C79.51", level="L3"),))
    fixation = order("fx", "22842", "T11", "T12", "L1", reasons=("met-l3",))
    (checked,) = check(resources, fixation)
    assert [lv.level for lv in checked.levels if not lv.instrumented] == ["L3"]
    assert [lv.level for lv in checked.levels if lv.instrumented] == ["T11", "T12", "L1"]
    wrong = "fixation for L3 but its levels are T11–L1 — check the level (wrong-level risk)"
    assert checked.concerns[0].finding == wrong
    assert "L3" in checked.concerns[0].detail and "T11–L1" in checked.concerns[0].detail
    assert checked.indicator == "warning"
    _, card_text, text, _ = surfaces(decisions_for(resources, [fixation]))
    assert f"Pedicle screw fixation T11, T12, L1: {wrong}" in card_text
    assert wrong in text
    assert f"**Warning**: {checked.concerns[0].detail}" in card_text


@pytest.mark.parametrize("levels", [("T11", "L1"), ("T10", "T11", "L1", "L2")])
def test_a_fixation_that_bridges_its_reason_level_has_no_wrong_level_concern(levels):
    # The screws go above and below the metastatic T12 and skip it: T12 lies within the
    # construct's span, bridged, not a wrong level (contract §5 v3).
    fixation = order("fx", "22842", *levels, reasons=("met-t12",))
    checked, cement = check(default_patient(), fixation, order("vp", "22510", "T12"))
    assert cement.concerns == ()  # not alone: the fixation is ordered with it
    assert [lv.level for lv in checked.levels if not lv.instrumented] == ["T12"]
    assert not any("wrong-level" in c.finding for c in checked.concerns)
    assert checked.indicator == "info"
    _, card_text, text, _ = surfaces(decisions_for(default_patient(), [fixation]))
    assert "wrong-level" not in card_text + text


def test_a_fixation_whose_reason_is_within_its_levels_has_no_wrong_level_concern():
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    checked = single(resources, "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    assert not any("wrong-level" in c.finding for c in checked.concerns)


@pytest.mark.parametrize(("code", "expected"), [("22510", "unknown"), ("22842", "met")])
def test_an_epidural_tumour_at_a_cemented_level_needs_the_spine_team(code, expected):
    grade = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-1c", level="T12")
    checked = single(default_patient(drop=("bilsky-t12",), extra=(grade,)), "T12", code=code)
    assert statuses(checked, "T12")[5] == expected
    if code == "22510":
        assert headline(checked) == (
            "Vertebroplasty T12: epidural tumour at T12: cement-leak risk — spine team review"
        )


@pytest.mark.parametrize(
    ("infection", "expected"),
    [
        (condition("sepsis", "A41.9"), "unmet"),
        (condition("sepsis", "91302008", system=SNOMED), "unmet"),
        (condition("osteo", "M46.26", level="L2"), "unmet"),  # vertebral osteomyelitis
        (condition("disc", "M46.46"), "unmet"),  # discitis
        (condition("wound", "T81.41XA"), "unmet"),  # surgical-site infection
        (condition("sepsis", "A41.9", verification="provisional"), "unknown"),
        (condition("sepsis", "A41.9", clinicalStatus={"coding": [{"code": "resolved"}]}), "met"),
        (condition("uti", "N39.0"), "met"),  # not in the ValueSet
    ],
)
def test_criterion_9_active_infection(infection, expected):
    checked = single(default_patient(extra=(infection,)), "T12")
    assert statuses(checked, "T12")[9] == expected
    if expected == "unmet":
        assert headline(checked) == f"Vertebroplasty T12: {INFECTION}"
        assert checked.indicator == "warning"


def test_radiotherapy_to_the_level_within_90_days_is_named():
    # NOW is 1 Jun 2024: 5 Mar is 88 days before, 1 Feb 121 days.
    recent = procedure("sbrt", "77373", "T12", when="2024-03-05T09:00:00Z")
    old = procedure("rt-old", "77373", "T12", when="2024-02-01T09:00:00Z")
    elsewhere = procedure("rt-l4", "77373", "L4", when="2024-05-01T09:00:00Z")
    checked = single(default_patient(extra=(recent, old, elsewhere)), "T12")
    assert checked.context == ("SBRT T12 on 5 Mar 2024 — wound and fracture risk.",)
    assert checked.indicator == "info"  # context, not a verdict


HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


@pytest.mark.parametrize(
    ("code", "system", "text", "named"),
    [
        ("G6015", HCPCS, None, "Radiotherapy"),  # IMRT delivery, hospital outpatient
        ("G6003", HCPCS, None, "Radiotherapy"),  # external beam delivery, hospital outpatient
        ("G0340", HCPCS, None, "SBRT"),  # robotic stereotactic delivery, fractions 2-5
        ("77427", CPT, None, "Radiotherapy"),  # treatment management, 5 treatments
        ("77435", CPT, None, "SBRT"),  # stereotactic body radiotherapy management
        ("33195004", SNOMED, None, "Radiotherapy"),  # what synthea/vocabulary.py writes
        ("1156506007", SNOMED, "EBRT T12 8 Gy/1", "Radiotherapy"),  # EBRT with photons
        ("1156506007", SNOMED, "SBRT T12 24 Gy/2", "SBRT"),  # the record's words say SBRT
    ],
)
def test_radiotherapy_in_hospital_codes_is_named(code, system, text, named):
    rt = procedure("rt", code, "T12", when="2024-05-06T09:00:00Z", system=system, text=text)
    checked = single(default_patient(extra=(rt,)), "T12")
    assert checked.context == (f"{named} T12 on 6 May 2024 — wound and fracture risk.",)


@pytest.mark.parametrize(
    ("code", "system"),
    [
        # CPT names these cranial: 77432 manages a cranial stereotactic course, 77371 (cobalt-60,
        # Gamma Knife) and 77372 (linear accelerator) deliver a complete course to cranial lesions
        # in one session. A vertebral bodySite on them is a coding error, not SBRT to the spine.
        ("77432", CPT),
        ("77371", CPT),
        ("77372", CPT),
        # "Radiation oncology and/or radiotherapy" takes in the specialty as well as the
        # treatment: it cannot say a dose was given at the level.
        ("108290001", SNOMED),
    ],
)
def test_a_code_that_is_not_radiotherapy_to_the_spine_is_not_named(code, system):
    rt = procedure("rt", code, "T12", when="2024-05-06T09:00:00Z", system=system)
    assert single(default_patient(extra=(rt,)), "T12").context == ()


def test_a_fixation_plans_postoperative_radiotherapy():
    checked = single(default_patient(), "T11", "T12", "L1", code="22842")
    assert checked.context == (
        "Plan postoperative radiotherapy once the wound has healed (usually 1–3 weeks).",
    )


def test_a_frankel_e_older_than_72_hours_is_re_examined_but_still_met():
    four_days = finding("frankel", "frankel-grade", "frankel-e", when="2024-05-28T09:00:00Z")
    checked = single(default_patient(drop=("frankel",), extra=(four_days,)), "T12")
    assert statuses(checked, "T12")[4] == "met"
    assert checked.context == ("Frankel/AIS E on 28 May 2024: re-examine before the procedure.",)
    assert single(default_patient(), "T12").context == ()  # two days old: within 72 hours


def test_a_deceased_patient_s_order_is_a_warning_to_check_the_identity():
    resources = default_patient()
    resources[0]["deceasedDateTime"] = "2024-05-31"
    checked = single(resources, "T12")
    assert checked.indicator == "warning" and checked.criteria == ()
    assert headline(checked) == (
        "Vertebroplasty T12: recorded as deceased on 31 May 2024 — check the patient's identity"
    )


def test_an_unrecognised_spine_order_is_judged_by_the_patient_wide_criteria():
    spinal = order("f", "X-1", "L2", "L3", system="http://hospital.example/codes",
                   text="Lumbar fusion")  # fmt: skip
    (checked,) = check(default_patient(), spinal)
    assert checked.levels == () and [c.number for c in checked.patient] == [4, 7, 8, 9]
    assert checked.indicator == "info"
    assert headline(checked) == (
        "Lumbar fusion L2, L3: spine procedure not recognised — level criteria not checked "
        "(code X-1)"
    )
    septic = default_patient(extra=(condition("sepsis", "A41.9"),))
    (checked,) = check(septic, spinal)
    assert checked.indicator == "warning" and headline(checked).endswith(INFECTION)
    palsy = default_patient(
        drop=("frankel",), extra=(finding("frankel", "frankel-grade", "frankel-b"),)
    )
    (checked,) = check(palsy, spinal)
    assert checked.indicator == "critical"
    assert headline(checked).startswith("Lumbar fusion L2, L3: Frankel/AIS B (30 May): suspected")


def test_a_wrong_level_leads_over_an_infection_and_no_level_over_what_is_unknown():
    resources = default_patient(drop=("inr",), extra=(condition("sepsis", "A41.9"),))
    assert headline(single(resources, "L1")).startswith(
        "Vertebroplasty L1: No metastasis recorded at L1 (metastases: T12) — check the level; "
        f"{INFECTION}; "
    )
    # no level ordered: every scored level is a candidate; the missing INR is only unknown
    assert headline(single(resources)) == (
        f"Vertebroplasty: {INFECTION}; no level ordered — record the level; no INR recorded"
    )


def test_a_deficit_and_compression_are_named_together_and_a_dated_grade_says_so():
    resources = default_patient(drop=("frankel", "bilsky-t12"), extra=(
        finding("frankel", "frankel-grade", "frankel-c"),
        finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12"),
    ))  # fmt: skip
    line = headline(single(resources, "T12"))
    assert line == (  # too long with "assess for": the action is kept, shorter
        "Vertebroplasty T12: Frankel/AIS C (30 May); Bilsky 3 at T12 (30 May): suspected cord "
        "compression — decompression and radiotherapy first"
    )
    assert len(line) < 140
    old = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12",
                  when="2024-04-01T09:00:00Z")  # fmt: skip
    checked = single(default_patient(drop=("bilsky-t12",), extra=(old,)), "T12")
    assert checked.indicator == "critical"  # dated evidence may raise an alarm
    assert headline(checked).startswith("Vertebroplasty T12: Bilsky 3 at T12 (1 Apr 2024, dated):")


def test_a_bilsky_grade_without_a_level_is_never_said_to_be_at_the_ordered_level():
    loose = finding("bilsky-loose", "epidural-spinal-cord-compression", "bilsky-2")
    checked = single(default_patient(drop=("bilsky-t12",), extra=(loose,)), "T12")
    assert checked.indicator == "critical"
    assert headline(checked).startswith(
        "Vertebroplasty T12: Bilsky 2, level not recorded (30 May): suspected cord compression"
    )


def test_radiotherapy_at_an_unrecognised_order_s_level_is_named_too():
    rt = procedure("ebrt", "77402", "L2", when="2024-05-01T09:00:00Z")  # external beam
    spinal = order("f", "X-1", "L2", system="http://hospital.example/codes", text="Lumbar fusion")
    (checked,) = check(default_patient(extra=(rt,)), spinal)
    assert checked.context == ("Radiotherapy L2 on 1 May 2024 — wound and fracture risk.",)


def test_an_order_whose_own_name_gives_the_level_is_not_named_twice():
    spinal = order("c", "X-1", "T12", system="http://hospital.example/codes",
                   text="Cement augmentation T12")  # fmt: skip
    (checked,) = check(default_patient(), spinal)
    assert headline(checked).startswith("Cement augmentation T12: spine procedure not recognised")


NOT_RECOGNISED = "spine procedure not recognised — level criteria not checked (code X-1)"


@pytest.mark.parametrize(
    ("text", "levels", "label"),
    [
        # a run names every level in it
        ("Posterior spinal fusion T11-L1", ("T11", "T12", "L1"), "Posterior spinal fusion T11-L1"),
        ("Posterior spinal fusion T11–12", ("T11", "T12"), "Posterior spinal fusion T11–12"),
        # a level written another way is the same level
        ("Cement augmentation Th12", ("T12",), "Cement augmentation Th12"),
        ("Cement augmentation D12", ("T12",), "Cement augmentation D12"),
        ("Cement augmentation BWK 12", ("T12",), "Cement augmentation BWK 12"),
        ("Cement augmentation of the 12th thoracic vertebra", ("T12",),
         "Cement augmentation of the 12th thoracic vertebra"),
        ("Lumbar fusion L 1", ("L1",), "Lumbar fusion L 1"),
        # a level the words do not name is still said
        ("Posterior spinal fusion T11-T12", ("T11", "T12", "L1"),
         "Posterior spinal fusion T11-T12 L1"),
        ("Cement augmentation Th12", ("T12", "L1"), "Cement augmentation Th12 L1"),
        ("Lumbar fusion", ("L1",), "Lumbar fusion L1"),
        # words that read as levels the order does not code are not taken to name its levels:
        # every coded level is said, none dropped ("T12 - 2" is no run; "T8 - 12 June" no date)
        ("Spinal fusion T12 - 2 levels", ("T11", "T12"), "Spinal fusion T12 - 2 levels T11, T12"),
        ("Spinal fusion T8 - 12 June", ("T8", "T11"), "Spinal fusion T8 - 12 June T8, T11"),
        ("Posterior spinal fusion T4-L2", ("T12", "L1"), "Posterior spinal fusion T4-L2 T12, L1"),
    ],
)  # fmt: skip
def test_a_level_the_order_s_own_words_name_however_written_is_not_repeated(text, levels, label):
    spinal = order("c", "X-1", *levels, system="http://hospital.example/codes", text=text)
    (checked,) = check(default_patient(), spinal)
    assert summary(checked) == f"{label}: {NOT_RECOGNISED}"
    cards, _, report, _ = surfaces(decisions_for(default_patient(), [spinal]))
    (card,) = (c for c in cards if c.summary.startswith(label))
    assert card.summary == f"{label}: {NOT_RECOGNISED}" and card.indicator == "info"
    assert f"ORDER ServiceRequest/c [info] {label}: {NOT_RECOGNISED}" in report


# A SNOMED CT code outside the vertebra map: the site is ordered, we cannot read it as a level.
UNMAPPED = {"system": SNOMED, "code": "123037004"}
NOT_READ = "ordered site{s} not read as a level ({sites}) — record the level as a vertebra code"


def sited(*sites):
    """A vertebroplasty whose bodySites are given as they are."""
    vp = order("o", "22511")
    vp["bodySite"] = list(sites)
    (checked,) = check(default_patient(), vp)
    return checked


@pytest.mark.parametrize(
    ("sites", "named"),
    [
        ([{"coding": [UNMAPPED], "text": "T8"}], "T8"),  # its text, never read as T8
        ([{"coding": [{**UNMAPPED, "display": "Eighth thoracic"}]}], "Eighth thoracic"),
        ([{"coding": [UNMAPPED]}], "SNOMED CT 123037004"),  # no words: the code, its system named
        ([{"text": "T8"}], "T8"),  # text only, no coding
        ([{"text": "T8"}, {"text": "T9"}], "T8, T9"),
    ],
)
def test_an_ordered_site_not_read_as_a_level_is_named_not_said_missing(sites, named):
    checked = sited(*sites)
    assert checked.order.levels == () and not checked.level_named
    assert [lv.level for lv in checked.levels] == ["T12"]  # every scored level a candidate
    assert checked.indicator == "warning"
    s = "s" if len(sites) > 1 else ""
    assert headline(checked) == f"Vertebroplasty: {NOT_READ.format(s=s, sites=named)}"


@pytest.mark.parametrize(
    ("words", "levels"),
    [("T12", {"T12"}), ("t12/l1", {"T12", "L1"}), ("T11-L1", {"T11", "T12", "L1"}),
     ("T11–12", {"T11", "T12"}), ("L4 to S1", {"L4", "L5", "S1"}), ("L1-T12", {"T12", "L1"}),
     ("Twelfth thoracic vertebra", {"T12"}), ("T13", set()), (None, set()),
     ("Th11", {"T11"}), ("TH 11", {"T11"}), ("Th11-L1", {"T11", "T12", "L1"}),
     ("D11 vertebral body", {"T11"}), ("D11-D12", {"T11", "T12"}), ("BWK 11", {"T11"}),
     ("LWK2", {"L2"}), ("HWK 5", {"C5"}), ("Lumbar vertebra 2", {"L2"}),
     ("thoracic vertebra 12", {"T12"}), ("second lumbar vertebra", {"L2"}),
     ("12th thoracic vertebra", {"T12"}), ("Structure of body of first lumbar vertebra", {"L1"}),
     ("L-2", {"L2"}), ("T 12", {"T12"}), ("T12 4th ventricle", {"T12"}),
     ("T12 (Ca lung, C34.9)", {"T12"}), ("Structure of body of thirteenth thoracic vertebra", set()),
     ("with 2 screws", set())],
)  # fmt: skip
def test_the_levels_a_site_s_words_name_are_detected_never_read(words, levels):
    from adapter.mapping.sites import levels_in_words

    assert levels_in_words(words) == levels


@pytest.mark.parametrize(
    "words", ["L2 vertebra", "Th11", "D11 vertebral body", "Lumbar vertebra 2",
              "second lumbar vertebra", "L-2", "T 11", "BWK 11"],
)  # fmt: skip
def test_a_site_coded_t12_whose_words_name_another_level_is_said(words):
    # German (Th, BWK), Italian, French and Indian (D: dorsal) and spelled-out notations name a
    # level as surely as "L2" does: a site coded T12 that they call another is no "meets" (§5).
    vp = order("o", "22510", "T12")
    vp["bodySite"][0]["text"] = words
    (checked,) = check(default_patient(), vp)
    assert checked.indicator == "warning"
    assert [c.finding for c in checked.concerns] == [
        f"ordered site coded T12 but named “{words}” — confirm the level"
    ]


def test_a_construct_whose_sites_name_its_run_is_no_conflict():
    fixation = order("f", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    for body_site in fixation["bodySite"]:
        body_site["text"] = "T11-L1"
    (checked,) = check(default_patient(), fixation)
    assert checked.order.disputed == ()
    # the same run on a vertebroplasty at T12 alone names levels nothing codes
    (alone,) = check(default_patient(), {**order("vp", "22510"), "bodySite": [
        {**fixation["bodySite"][1]}]})  # fmt: skip
    assert [c.finding for c in alone.concerns] == [
        "ordered site coded T12 but named “T11-L1” — confirm the level"
    ]
    assert alone.indicator == "warning"


def test_a_site_named_too_long_for_the_summary_keeps_what_to_do():
    line = headline(sited({"coding": [UNMAPPED], "text": "thoracic spine, " * 8}))
    assert line == (
        "Vertebroplasty: ordered site not read as a level — record the level as a vertebra code"
    )


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ((), "No metastasis recorded at L1 (metastases: T12) — check the level; no Frankel/AIS "
             "grade recorded; +3 more in the card"),
        ((condition("met-t6", "C79.51", level="T6"), condition("met-t8", "C79.51", level="T8")),
         "No metastasis recorded at L1 (metastases: T6, T8, T12) — check the level; no Frankel/AIS "
         "grade recorded; +4 more"),
    ],
)  # fmt: skip
def test_a_summary_too_long_drops_whole_findings_and_says_how_many_more(extra, said):
    # Contract §4 v3: the summary states findings; a finding cut mid-way ("no…") says nothing.
    # The findings that do not fit are left whole to the card's detail, and counted.
    resources = default_patient(drop=("inr", "platelets", "frankel"), extra=extra)
    decisions = decisions_for(resources, (order("vp", "22511", "L1"),))
    (decision,) = decisions.orders
    line = decision.summary
    assert line == f"Vertebroplasty L1: {said}"
    assert len(line) <= SUMMARY_MAX and "…" not in line
    kept = said.split("; +")[0].split("; ")
    more = int(said.split("; +")[1].split()[0])
    assert findings(decision.check)[: len(kept)] == kept
    assert len(findings(decision.check)) == len(kept) + more
    cards, _, text, page = surfaces(decisions)
    assert [c.summary for c in cards if c.summary.startswith("Vertebroplasty")] == [line]
    assert f"ORDER ServiceRequest/vp [warning] {listed(line)}" in text
    assert html.escape(listed(line), quote=False) in page


def test_a_single_finding_too_long_is_still_cut_at_a_word():
    check_ = single(default_patient(), "T12")
    long = "x " * 80
    checked = replace(check_, concerns=(Concern(long.strip(), "detail"),))
    line = summary(checked)
    assert len(line) <= SUMMARY_MAX and line.endswith("…") and "more in the card" not in line


def compressed(*extra, frankel_when="2024-05-01T09:00:00Z"):
    """Frankel/AIS D and Bilsky 2 at T9: the compression finding alone nearly fills a summary."""
    return default_patient(drop=("frankel", "platelets"), extra=(
        finding("fr", "frankel-grade", "frankel-d", when=frankel_when),
        condition("m9", "C79.51", level="T9"),
        finding("b9", "epidural-spinal-cord-compression", "bilsky-2", level="T9"),
        condition("sep", "A41.9"), *extra,
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("resources", "said"),
    [
        # Frankel D (dated), Bilsky 2 at T9, sepsis, platelets 30: what to do kept, the first
        # cord finding whole, the Bilsky, the infection and the platelets counted.
        (compressed(measurement("plt", "777-3", 30, "10*9/L")),
         "Frankel/AIS D (1 May 2024, dated): suspected cord compression — decompression and "
         "radiotherapy first; +3 more"),
        # Frankel D (current), Bilsky 2 at T9, sepsis: the Bilsky and the infection counted.
        (compressed(measurement("plt", "777-3", 200, "10*9/L"), frankel_when=RECENT),
         "Frankel/AIS D (30 May): suspected cord compression — decompression and radiotherapy "
         "first; +2 more in the card"),
    ],
)  # fmt: skip
def test_a_long_cord_finding_is_kept_whole_and_the_rest_counted(resources, said):
    # Contract §4 v3: the summary names the findings, whole, and never leaves one out silently;
    # what to do about the compression stays (the summary may be all an EHR shows): the other
    # cord findings give way and are counted with the rest.
    checked = single(resources, "T12")
    line = summary(checked)
    assert line == f"Vertebroplasty T12: {said}"
    assert len(line) <= SUMMARY_MAX and "…" not in line
    more = int(said.split("; +")[1].split()[0])
    assert len(findings(checked)) + 1 == 1 + more  # the Bilsky given way counts too


def test_a_first_finding_too_long_alone_is_cut_at_a_word_and_the_rest_counted():
    check_ = single(default_patient(), "T12")
    long = "x " * 80
    checked = replace(check_, concerns=(Concern(long.strip(), "detail"), Concern("y z", "d")))
    line = summary(checked)
    assert len(line) <= SUMMARY_MAX and line.endswith("…; +1 more in the card")
    assert line.startswith("Vertebroplasty T12: x x")


def test_findings_next_to_the_ordered_level_where_no_metastasis_is_are_named():
    # Collapse > 50 % and bilateral posterolateral involvement recorded at L1, where no
    # metastasis is; the lesion and the order are at T12: perhaps recorded at the wrong level.
    next_door = (
        finding("c1", "vertebral-body-collapse", "gt-50", level="L1"),
        finding("pl1", "posterolateral-involvement", "bilateral", level="L1"),
        finding("c4", "vertebral-body-collapse", "gt-50", level="L4"),  # not next to T12
    )
    drop = ("t12-vertebral-body-collapse", "t12-posterolateral-involvement")
    (checked,) = check(default_patient(drop=drop, extra=next_door), order("vp", "22510", "T12"))
    assert checked.context == (
        "Recorded at L1, next to T12, where no metastasis is recorded (not used): Vertebral body "
        "collapse: More than 50% collapse (30 May 2024); Posterolateral involvement of spinal "
        "elements: Bilateral (30 May 2024) — check the level.",
    )
    (card,) = order_cards(decisions_for(default_patient(drop=drop, extra=next_door),
                                        (order("vp", "22510", "T12"),)), "h")  # fmt: skip
    assert f"- {checked.context[0]}" in (card.detail or "")
    # Nothing next to the ordered level: no such line.
    (plain,) = check(default_patient(), order("vp", "22510", "T12"))
    assert plain.context == ()


# --- an order for screws and cement together ------------------------------------------------

EPIDURAL_T12 = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-1c", level="T12")
CEMENT_LEAK = "epidural tumour at T12: cement-leak risk — spine team review"


def _screws_and_cement(*levels: str, **kw) -> dict:
    """One ServiceRequest coded both as screw fixation (CPT 22842) and vertebroplasty (22510)."""
    combined = order("pc", "22842", *levels, **kw)
    combined["code"]["coding"].append({"system": CPT, "code": "22510"})
    return combined


def test_a_combined_fixation_and_cement_order_keeps_the_cement_leak_rule():
    # Contract §5 v3: Bilsky 1b–1c at a cemented level makes criterion 5 unknown. The case
    # series' own procedure (screws with vertebroplasty) cements the treated level: the rule
    # holds there, and the order is still judged as a fixation (T11 and L1 instrumented).
    resources = default_patient(drop=("bilsky-t12",), extra=(EPIDURAL_T12,))
    combined = _screws_and_cement("T11", "T12", "L1", text="PPSF T11-L1 with vertebroplasty T12")
    (checked,) = check(resources, combined)
    assert [lv.level for lv in checked.levels if not lv.instrumented] == ["T12"]
    assert [lv.level for lv in checked.levels if lv.instrumented] == ["T11", "L1"]
    assert statuses(checked, "T12")[5] == "unknown"
    assert checked.indicator == "warning"
    line = f"Pedicle screw fixation with vertebroplasty T11, T12, L1: {CEMENT_LEAK}"
    assert headline(checked) == line
    _, card_text, text, page = surfaces(decisions_for(resources, [combined]))
    assert line in card_text and line in text and html.escape(line, quote=False) in page
    assert "meets the case series" not in card_text + text


def test_a_combined_order_takes_the_stricter_platelet_threshold_and_no_cement_alone_warning():
    # Platelets 80: enough for cement alone (≥ 50), not for screws (≥ 100). SINS 14 at T12 is no
    # "cement alone" warning: the order's own screws bridge the cemented level.
    resources = default_patient(
        drop=("platelets",), sins=SINS_14,
        extra=(measurement("platelets", "777-3", 80, "10*9/L"),),
    )  # fmt: skip
    (checked,) = check(resources, _screws_and_cement("T11", "T12", "L1"))
    assert statuses(checked, "T12")[7] == "unmet"
    assert not any("cement" in c.finding for c in checked.concerns)
    assert headline(checked).startswith("Pedicle screw fixation with vertebroplasty T11, T12, L1: ")


# --- a vertebroplasty for a metastasis at another level --------------------------------------

L1_METASTASIS = (
    condition("met-l1", "C79.51", level="L1"),
    finding("bilsky-l1", "epidural-spinal-cord-compression", "bilsky-0", level="L1"),
)


@pytest.mark.parametrize(("code", "name"), [("22510", "Vertebroplasty"), ("22513", "Kyphoplasty")])
def test_a_cement_order_for_a_metastasis_at_another_level_is_a_wrong_level_risk(code, name):
    # The order says it is for the L1 metastasis (reasonReference) but names T12: one of them is
    # wrong, as for a fixation whose reason lies outside its construct (contract §5).
    resources = default_patient(extra=L1_METASTASIS)
    cement = order("v", code, "T12", reasons=("met-l1",))
    (checked,) = check(resources, cement)
    assert [lv.level for lv in checked.levels] == ["T12"]  # the cement goes where it is ordered
    wrong = f"{name.lower()} for L1 but its level is T12 — check the level (wrong-level risk)"
    assert checked.concerns[0].finding == wrong
    assert checked.concerns[0].detail == (
        f"The {name.lower()} is ordered for the metastasis at L1 (its reasonReference), but the "
        "level ordered is T12: L1 is not an ordered level — check the level ordered before the "
        "procedure (wrong-level risk)."
    )
    assert checked.indicator == "warning"
    assert headline(checked) == f"{name} T12: {wrong}"
    _, card_text, text, _ = surfaces(decisions_for(resources, [cement]))
    assert f"{name} T12: {wrong}" in card_text and wrong in text


@pytest.mark.parametrize("levels", [("L1",), ("T12", "L1")])
def test_a_cement_order_for_a_metastasis_at_an_ordered_level_has_no_wrong_level_concern(levels):
    resources = default_patient(extra=L1_METASTASIS)
    (checked,) = check(resources, order("v", "22510", *levels, reasons=("met-l1",)))
    assert not any("wrong-level" in c.finding for c in checked.concerns)


def _multilevel_metastasis(*levels: str) -> list:
    """One metastasis Condition naming several vertebrae, as problem lists often record it."""
    met = condition("met-multi", "C79.51", level=levels[0])
    met["bodySite"] = [site(level)[0] for level in levels]
    return default_patient(drop=("met-t12",), extra=(met,))


@pytest.mark.parametrize(
    ("code", "levels"),
    [("22510", ("T12",)), ("22513", ("T12",)), ("22511", ("L1", "L3")),
     ("22842", ("T11", "T12", "L1"))],
)  # fmt: skip
def test_an_order_at_one_level_of_a_multilevel_reason_is_no_wrong_level(code, levels):
    # The surgeon treats the levels of a multi-level diagnosis that need it: an order at one of
    # its levels is not for another level (contract §5).
    resources = _multilevel_metastasis("T12", "L1", "L3")
    (checked,) = check(resources, order("o", code, *levels, reasons=("met-multi",)))
    assert not any("wrong-level" in c.finding for c in checked.concerns)
    _, card_text, text, _ = surfaces(
        decisions_for(resources, [order("o", code, *levels, reasons=("met-multi",))])
    )
    assert "wrong-level" not in card_text + text


def test_an_order_at_none_of_its_reason_s_levels_is_still_a_wrong_level():
    resources = _multilevel_metastasis("L1", "L3")
    (checked,) = check(resources, order("v", "22510", "T12", reasons=("met-multi",)))
    assert checked.concerns[0].finding == (
        "vertebroplasty for L1, L3 but its level is T12 — check the level (wrong-level risk)"
    )


def test_a_reason_at_another_level_beside_one_at_the_ordered_level_is_still_named():
    # Two metastases given as the reason: the one at L1 is not reached by cement at T12.
    resources = default_patient(extra=L1_METASTASIS)
    (checked,) = check(resources, order("v", "22510", "T12", reasons=("met-t12", "met-l1")))
    assert checked.concerns[0].finding == (
        "vertebroplasty for L1 but its level is T12 — check the level (wrong-level risk)"
    )


# --- an order not to do the procedure --------------------------------------------------------


def test_a_do_not_perform_fixation_is_no_fixation_beside_cement_alone():
    # An order *not* to place screws does not make the cement beside it "not alone".
    screws = order("fx", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    screws["doNotPerform"] = True
    checked = check(default_patient(sins=SINS_14), screws, order("vp", "22510", "T12"))
    cement = next(c for c in checked if c.order.reference == "ServiceRequest/vp")
    assert [c.finding for c in cement.concerns] == [UNSTABLE]


def _bilsky_3_at_t6(*extra):
    return default_patient(extra=(
        condition("m6", "C79.51", level="T6"),
        finding("b6", "epidural-spinal-cord-compression", "bilsky-3", level="T6"),
        *extra,
    ))  # fmt: skip


@pytest.mark.parametrize(
    "ordered",
    [
        # An order's own words, 150 characters: the label must not take the whole summary.
        order("o", "22510", "T8", text="Percutaneous transpedicular cement augmentation of the "
              "vertebral body with balloon kyphoplasty and biopsy, bilateral approach, under "
              "general anaesthesia"),
        # Six levels fixed: "Bilsky 3 at…" would read as a compression at one of them.
        order("o", "22842", "T10", "T11", "T12", "L1", "L2", "L3"),
    ],
    ids=["long-text", "six-levels"],
)  # fmt: skip
def test_a_long_order_label_never_crowds_the_compression_out_of_the_summary(ordered):
    resources = _bilsky_3_at_t6(condition("m1", "C79.51", level="L1"))
    (checked,) = check(resources, ordered)
    line = summary(checked)
    assert len(line) <= SUMMARY_MAX
    assert "Bilsky 3 at T6" in line and "decompression and radiotherapy first" in line, line


def _local(cid: str, text: str | None, display: str | None = None) -> dict:
    """An active, confirmed Condition the mappings hold no code of: a local code, words."""
    coding = {"system": "urn:oid:1.2.3.4.5", "code": "LOC-77"}
    if display:
        coding["display"] = display
    concept = {"coding": [coding], **({"text": text} if text else {})}
    return condition(cid, "LOC-77", onset="2024-05-28") | {"code": concept}


@pytest.mark.parametrize(
    ("infection", "named"),
    [
        (
            _local("osteo", "Vertebral osteomyelitis L1 - on IV antibiotics"),
            "Vertebral osteomyelitis L1",
        ),
        (_local("disc", None, "Spondylodiscitis T11-T12"), "Spondylodiscitis T11-T12"),
        (_local("sepsis", "Septicaemia, Staph aureus"), "Septicaemia, Staph aureus"),
    ],
)
def test_an_infection_named_in_words_only_is_never_read_as_none_recorded(infection, named):
    # Real problem lists hold local codes and words: an infection the codes do not name is not
    # "no infection recorded" (contract §5 v3: never an absence the record does not show).
    checked = single(default_patient(extra=(infection,)), "T12")
    nine = next(c for lv in checked.levels for c in lv.criteria if c.number == 9)
    assert nine.status == "unknown" and checked.indicator != "info"
    assert named in nine.basis and "28 May 2024" in nine.basis
    assert "no sepsis" not in nine.basis


@pytest.mark.parametrize(
    "words",
    ["No evidence of osteomyelitis", "History of discitis", "Sepsis ruled out", "Osteoarthritis"],
)
def test_words_that_name_no_current_infection_leave_criterion_9_met(words):
    checked = single(default_patient(extra=(_local("note", words),)), "T12")
    assert statuses(checked, "T12")[9] == "met"


def test_criterion_9_names_the_infection_it_found():
    sepsis = condition("sepsis", "A41.9") | {
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "A41.9",
                             "display": "Sepsis, unspecified organism"}]}}  # fmt: skip
    checked = single(default_patient(extra=(sepsis,)), "T12")
    nine = next(c for lv in checked.levels for c in lv.criteria if c.number == 9)
    assert nine.status == "unmet"
    assert "Sepsis, unspecified organism" in nine.basis and "1 May 2024" in nine.basis


@pytest.mark.parametrize(
    "words",
    ["Spondylodiscitis T11-T12", "Sepsis", "Spinal infection", "Intraspinal abscess",
     "Infected spinal hardware", "Bloodstream infection", "Pott’s disease"],
)  # fmt: skip
def test_an_infection_in_words_with_no_coding_at_all_is_never_read_as_none_recorded(words):
    words_only = condition("words", "X", onset="2024-05-28") | {"code": {"text": words}}
    checked = single(default_patient(extra=(words_only,)), "T12")
    assert statuses(checked, "T12")[9] == "unknown"
