"""Contract v2 §2 input rules, one at a time, on the default patient of tests/support/records."""

from __future__ import annotations

import pytest

from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import extract_patient
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records
from adapter.scoring import (
    BoneExtent,
    Collapse,
    Frankel,
    Growth,
    MajorOrgan,
    Pain,
    Possible,
    Posterolateral,
    PrimarySite,
    Visceral,
    score_tokuhashi_revised,
)
from tests.support.records import (
    ATC,
    NOW,
    SINS_AT_T12,
    P,
    condition,
    default_patient,
    finding,
    measurement,
    patient,
    site,
)

LATER = "2024-07-01T09:00:00Z"  # after NOW
STALE = "2024-04-01T09:00:00Z"  # 61 days before NOW


def extract(resources):
    data = patient_records(resources, P)
    assert data is not None
    return extract_patient(data, default_terminology(), now=parse_time(NOW))


def issues(a, severity):
    return {i.resource: i.diagnostics for i in a.issues if i.severity == severity}


def level(a, name):
    return next(lv for lv in a.levels if lv.level == name)


def test_an_input_after_the_computation_time_is_reported_and_not_used():
    a = extract(default_patient(extra=(measurement("kps-late", "89243-0", 30, when=LATER),)))
    assert a.tokuhashi.kps == Possible.of(80)
    assert "after the computation time" in issues(a, "warning")["Observation/kps-late"]
    late_met = condition("met-l2", "C79.51", level="L2", onset="2024-07-01")
    a = extract(default_patient(extra=(late_met,)))
    assert [lv.level for lv in a.levels] == ["T12"]
    assert "Condition/met-l2" in issues(a, "warning")


def test_a_dated_input_is_used_and_named():
    a = extract(
        default_patient(drop=("kps",), extra=(measurement("kps", "89243-0", 60, when=STALE),))
    )
    assert a.tokuhashi.kps == Possible.of(60)
    (caveat,) = a.basis["tokuhashi-general-condition"].caveats
    assert caveat.startswith(
        "Dated input: performance status: Karnofsky 60 (Observation/kps, 2024-04-01T09:00:00Z): "
        "61 days before"
    )
    assert "(window 14 days)" in caveat


def test_the_latest_of_kps_and_ecog_is_the_performance_status():
    old_kps = measurement("kps", "89243-0", 90, when=STALE)
    a = extract(default_patient(drop=("kps",), extra=(old_kps, measurement("ecog", "89247-1", 4))))
    assert a.tokuhashi.kps == Possible.among({10, 20})
    same_time = (measurement("kps", "89243-0", 60), measurement("ecog", "89247-1", 4))
    a = extract(default_patient(drop=("kps",), extra=same_time))
    assert a.tokuhashi.kps == Possible.of(60)  # Karnofsky wins at equal times


def test_the_latest_of_frankel_and_ais_is_the_palsy_grade():
    old = finding("frankel", "frankel-grade", "frankel-e", when=STALE)
    a = extract(
        default_patient(
            drop=("frankel",), extra=(old, finding("ais", "asia-impairment-scale", "ais-c"))
        )
    )
    assert a.tokuhashi.palsy == Possible.of(Frankel.C)
    assert any("AIS grade C stands in" in c for c in a.basis["tokuhashi-palsy"].caveats)
    same = (
        finding("frankel", "frankel-grade", "frankel-e"),
        finding("ais", "asia-impairment-scale", "ais-c"),
    )
    a = extract(default_patient(drop=("frankel",), extra=same))
    assert a.tokuhashi.palsy == Possible.of(Frankel.E)


@pytest.mark.parametrize(
    ("unit", "valid"), [("%", True), ("{score}", True), (None, True), ("mg", False)]
)
def test_karnofsky_units(unit, valid):
    kps = measurement("kps", "89243-0", 70.0, unit)
    if unit is None:
        kps["valueQuantity"] = {"value": 70}
        kps.pop("valueInteger", None)
    a = extract(default_patient(drop=("kps",), extra=(kps,)))
    assert (a.tokuhashi.kps == Possible.of(70)) is valid
    assert ("Observation/kps" in issues(a, "error")) is not valid


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "valid"),
    [("777-3", 150, "g", False), ("26515-7", 150, "10*3/uL", True), ("6301-6", 1.2, "{INR}", True),
     ("6301-6", 1.2, "mg", False), ("6301-6", -1.0, None, False)],
)  # fmt: skip
def test_lab_units(loinc, value, unit, valid):
    lab = measurement("lab", loinc, value, unit)
    if unit is None:
        lab["valueQuantity"] = {"value": value}
    a = extract(default_patient(drop=("inr", "platelets"), extra=(lab,)))
    got = a.safety.platelets if loinc in ("777-3", "26515-7") else a.safety.inr
    assert (got is not None) is valid
    assert ("Observation/lab" in issues(a, "error")) is not valid


def test_an_unconfirmed_bone_metastasis_scores_its_level_and_widens_the_counts():
    met = condition("met-l2", "C79.51", level="L2", verification="provisional")
    a = extract(default_patient(extra=(met,)))
    assert [(lv.level, lv.origin) for lv in a.levels] == [
        ("T12", "confirmed"),
        ("L2", "unconfirmed"),
    ]
    assert "known only from an unconfirmed Condition" in (level(a, "L2").note or "")
    assert a.tokuhashi.vertebral_count == Possible.among({1, 2})
    assert a.tomita.bone == Possible.among({BoneExtent.SOLITARY, BoneExtent.MULTIPLE})
    assert any("may or may not be present" in c
               for c in a.basis["tokuhashi-vertebral-metastases"].caveats)  # fmt: skip


def test_refuted_and_entered_in_error_conditions_are_ignored():
    for status in ("refuted", "entered-in-error"):
        a = extract(
            default_patient(extra=(condition("met-l2", "C79.51", level="L2", verification=status),))
        )
        assert [lv.level for lv in a.levels] == ["T12"]


def test_an_unconfirmed_visceral_metastasis_spans_none_and_present():
    a = extract(default_patient(extra=(condition("liver", "C78.7", verification="differential"),)))
    assert a.tomita.visceral == Possible.among(set(Visceral))
    assert a.tokuhashi.major_organ == Possible.among(set(MajorOrgan))


def test_an_unconfirmed_primary_alone_makes_every_site_possible():
    a = extract(
        default_patient(
            drop=("primary",), extra=(condition("primary", "C34.90", verification="provisional"),)
        )
    )
    assert a.tokuhashi.primary_site == Possible.among(set(PrimarySite))
    assert a.tokuhashi.primary_site.known
    assert a.tomita.growth == Possible.among(set(Growth))
    beside = (
        condition("primary", "C34.90"),
        condition("breast", "C50.919", verification="provisional"),
    )
    a = extract(default_patient(drop=("primary",), extra=beside))
    assert a.tokuhashi.primary_site == Possible.among({PrimarySite.LUNG, PrimarySite.BREAST})


def test_the_condition_related_extension_picks_the_primary():
    linked = condition("met-t12", "C79.51", level="T12", extension=[{
        "url": "http://hl7.org/fhir/StructureDefinition/condition-related",
        "valueReference": {"reference": "Condition/breast"}}])  # fmt: skip
    a = extract(default_patient(drop=("met-t12",), extra=(linked, condition("breast", "C50.919"))))
    assert a.tokuhashi.primary_site == Possible.of(PrimarySite.BREAST)


def test_a_finding_at_a_level_without_a_metastasis_is_reported_and_not_used():
    stray = finding("l4-pain", "spinal-pain", "mechanical", level="L4")
    a = extract(default_patient(extra=(stray,)))
    assert [lv.level for lv in a.levels] == ["T12"]
    assert "where no metastasis is recorded" in issues(a, "warning")["Observation/l4-pain"]


def test_with_an_unsited_bone_metastasis_that_level_is_scored_from_findings_only():
    stray = finding("l4-pain", "spinal-pain", "mechanical", level="L4")
    unsited = condition("met-somewhere", "C79.51")
    a = extract(default_patient(extra=(stray, unsited)))
    l4 = level(a, "L4")
    assert l4.origin == "findings" and "known from findings only" in (l4.note or "")
    assert l4.inputs.pain == Possible.of(Pain.MECHANICAL)
    assert not l4.inputs.collapse.known  # T12's findings stay at T12


def test_counts_with_an_unsited_lesion_are_possible_only_together():
    a = extract(default_patient(extra=(condition("met-somewhere", "C79.51"),)))
    tok = a.tokuhashi
    assert tok.vertebral_count == Possible.among({1, 2})
    assert tok.extraspinal_count == Possible.among({0, 1})
    assert tok.count_pairs == frozenset({(2, 0), (1, 1)})
    # Both pairs give the vertebral and extraspinal components 3 points together.
    result = score_tokuhashi_revised(tok)
    assert result.total.certain


@pytest.mark.parametrize(
    ("answer", "applies"),
    [("lt-50", False), ("gt-50", False), ("none-gt-50-involved", False), ("none", True)],
)
def test_a_level_less_collapse_with_two_levels_applies_only_as_a_whole_spine_absence(
    answer, applies
):
    loose = finding("collapse", "vertebral-body-collapse", answer)
    a = extract(default_patient(drop=("t12-vertebral-body-collapse",),
                                extra=(loose, condition("met-l2", "C79.51", level="L2"))))  # fmt: skip
    for name in ("T12", "L2"):
        collapse = level(a, name).inputs.collapse
        assert collapse.known is applies
        if applies:
            assert collapse == Possible.of(Collapse.NONE)
        else:
            basis = level(a, name).basis["sins-collapse"]
            assert basis.settle == "record the level (bodySite) of the finding"
            assert any("without a level" in c for c in basis.caveats)


def test_a_level_less_finding_applies_with_one_level_and_a_levels_own_wins():
    loose = finding("collapse", "vertebral-body-collapse", "gt-50", when=NOW)
    a = extract(default_patient(drop=("t12-vertebral-body-collapse",), extra=(loose,)))
    assert level(a, "T12").inputs.collapse == Possible.of(Collapse.GT_50)
    a = extract(default_patient(extra=(loose,)))  # T12 has its own, older lt-50
    assert level(a, "T12").inputs.collapse == Possible.of(Collapse.LT_50)


def test_a_finding_whose_body_site_and_focus_disagree_is_invalid():
    bad = finding("pain-l1", "spinal-pain", "mechanical", level="L1",
                  focus=[{"reference": "Condition/met-t12"}])  # fmt: skip
    a = extract(default_patient(extra=(bad,)))
    assert "disagrees with its focus" in issues(a, "error")["Observation/pain-l1"]
    agree = finding("pain-t12", "spinal-pain", "pain-free", level="T12", when=NOW,
                    focus=[{"reference": "Condition/met-t12"}])  # fmt: skip
    a = extract(default_patient(extra=(agree,)))
    assert level(a, "T12").inputs.pain == Possible.of(Pain.PAIN_FREE)


def _multi_level(*findings):
    """No T12-only lesion: one metastasis Condition at T6 and T12, and ``findings``."""
    multi = condition("met-multi", "C79.51")
    multi["bodySite"] = [*site("T6"), *site("T12")]
    return default_patient(drop=("met-t12", "bilsky-t12", *(f"t12-{c}" for c in SINS_AT_T12)),
                           extra=(multi, *findings))  # fmt: skip


def _on_multi(oid, code, answer, **kw):
    return finding(oid, code, answer, focus=[{"reference": "Condition/met-multi"}], **kw)


def test_a_focus_on_a_condition_with_several_levels_places_the_finding_at_none_of_them():
    a = extract(_multi_level(_on_multi("pain", "spinal-pain", "mechanical"),
                             _on_multi("collapse", "vertebral-body-collapse", "gt-50"),
                             _on_multi("post", "posterolateral-involvement", "none")))  # fmt: skip
    assert [lv.level for lv in a.levels] == ["T6", "T12"]
    for name in ("T6", "T12"):
        assert not level(a, name).inputs.pain.known
        assert not level(a, name).inputs.collapse.known
        basis = level(a, name).basis["sins-collapse"]
        assert basis.settle == "record the level (bodySite) of the finding"
        # a whole-spine absence still applies everywhere, as one recorded without a level
        assert level(a, name).inputs.posterolateral == Possible.of(Posterolateral.NONE)


def test_a_body_site_inside_a_multi_level_focus_places_the_finding_there_and_outside_is_invalid():
    inside = _on_multi("pain-t12", "spinal-pain", "mechanical", level="T12")
    outside = _on_multi("pain-l1", "spinal-pain", "mechanical", level="L1")
    a = extract(_multi_level(inside, outside))
    assert level(a, "T12").inputs.pain == Possible.of(Pain.MECHANICAL)
    assert not level(a, "T6").inputs.pain.known
    assert "disagrees with its focus" in issues(a, "error")["Observation/pain-l1"]


@pytest.mark.parametrize(("grade", "everywhere"), [("bilsky-1a", False), ("bilsky-3", True)])
def test_a_bilsky_focused_on_several_levels_follows_the_safety_first_rule(grade, everywhere):
    a = extract(_multi_level(_on_multi("b", "epidural-spinal-cord-compression", grade)))
    assert a.safety.compression == {}  # not the own grade of any level
    assert a.safety.compression_unplaced is not None
    for name in ("T6", "T12"):
        assert (level(a, name).compression is not None) is everywhere


def test_a_medication_reference_is_resolved_against_the_input():
    medication = {"resourceType": "Medication", "id": "warf",
                  "code": {"coding": [{"system": ATC, "code": "B01AA03"}]}}  # fmt: skip
    statement = {"resourceType": "MedicationStatement", "id": "ms", "status": "active",
                 "subject": {"reference": f"Patient/{P}"},
                 "medicationReference": {"reference": "Medication/warf"}}  # fmt: skip
    a = extract(default_patient(extra=(medication, statement)))
    assert [ev.ref.reference for ev in a.safety.antithrombotics] == ["MedicationStatement/ms"]
    stopped = {**statement, "status": "completed"}
    assert not extract(default_patient(extra=(medication, stopped))).safety.antithrombotics


def test_deceased():
    a = extract([patient(deceasedDateTime="2024-05-31T10:00:00Z")])
    assert a.deceased == "Patient/p died 2024-05-31T10:00:00Z"
    assert extract([patient(deceasedBoolean=True)]).deceased == "Patient/p is recorded as deceased"
    assert extract([patient(deceasedBoolean=False)]).deceased is None


def test_a_cancer_condition_no_map_knows_is_reported_not_dropped():
    mcode = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
    unknown = condition("cancer", "363346000", system="http://snomed.info/sct",
                        meta={"profile": [mcode]})  # fmt: skip
    nodes = condition("nodes", "C77.0")  # secondary of lymph nodes: no score reads it
    a = extract(default_patient(extra=(unknown, nodes)))
    warned = issues(a, "warning")
    assert "names no primary site or metastasis" in warned["Condition/cancer"]
    assert "Condition/nodes" in warned
    assert "Condition/primary" not in warned and "Condition/met-t12" not in warned


def _at(
    code: str, display: str, cond_code: str = "363346000", system: str = "http://snomed.info/sct"
):
    """mCODE's PrimaryCancerCondition example: a malignancy code that names no site, the primary's
    location in bodySite (mCODE 4.0.0, Condition-primary-cancer-condition-breast.json)."""
    cancer = condition("cancer", cond_code, system=system)
    cancer["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": code,
                                       "display": display}]}]  # fmt: skip
    return default_patient(drop=("primary",), extra=(cancer,))


@pytest.mark.parametrize(
    ("code", "display", "sites"),
    [("80248007", "Left breast structure", {PrimarySite.BREAST}),
     ("39607008", "Lung structure", {PrimarySite.LUNG}),
     ("41216001", "Prostatic structure", {PrimarySite.PROSTATE}),
     ("9846003", "Right kidney structure", {PrimarySite.KIDNEY}),
     ("14742008", "Structure of large intestine", {PrimarySite.COLON, PrimarySite.RECTUM}),
     # The other side of each sided site the map lists: half of all breast and lung primaries.
     ("73056007", "Right breast structure", {PrimarySite.BREAST}),
     ("3341006", "Right lung structure", {PrimarySite.LUNG})],
)  # fmt: skip
def test_a_primary_coded_without_its_site_is_read_from_its_body_site(code, display, sites):
    a = extract(_at(code, display))
    assert a.tokuhashi.primary_site == Possible.among(sites)
    assert "Condition/cancer" not in issues(a, "warning")


def test_a_body_site_no_map_knows_leaves_the_primary_unread_and_named():
    a = extract(_at("12738006", "Brain structure"))
    assert "names no primary site" in issues(a, "warning")["Condition/cancer"]
    assert not a.tokuhashi.primary_site.known


def test_the_body_site_of_a_code_that_names_its_site_is_not_read():
    """A lung cancer with a breast bodySite stays a lung cancer: the code says where it arose."""
    lung = _at("80248007", "Left breast structure", "C34.90", "http://hl7.org/fhir/sid/icd-10-cm")
    a = extract(lung)
    assert a.tokuhashi.primary_site == Possible.of(PrimarySite.LUNG)


# A bone metastasis at a spinal site that names no level (contract §2: only a non-spinal bodySite
# is an extraspinal focus; snomed-vertebrae.md: a generic spinal code names no level).
SNOMED_CT = "http://snomed.info/sct"


def _sited(code: str, display: str, *extra):
    met = condition("met", "94222008", system=SNOMED_CT)
    met["bodySite"] = [{"coding": [{"system": SNOMED_CT, "code": code, "display": display}]}]
    return [
        patient(),
        condition("primary", "C34.90"),
        met,
        finding("frankel", "frankel-grade", "frankel-e"),
        measurement("kps", "89243-0", 70),
        *extra,
    ]


@pytest.mark.parametrize(
    ("code", "display"),
    [
        ("51282000", "Bone structure of spine"),
        ("421060004", "Structure of vertebral column"),
        ("54735007", "Bone structure of sacrum"),
    ],
)
def test_a_metastasis_in_the_spine_without_a_level_is_vertebral_not_extraspinal(code, display):
    a = extract(_sited(code, display))
    assert a.tokuhashi.extraspinal_count == Possible.of(0)
    assert a.tokuhashi.vertebral_count == Possible.of(1)
    assert a.tomita.bone == Possible.of(BoneExtent.SOLITARY)
    assert not a.levels
    ((label, reason),) = a.unscored
    assert label == display and "names no spinal level" in reason
    assert "record its level (bodySite)" in reason


def test_a_body_site_not_understood_counts_as_a_metastasis_without_a_site_and_is_named():
    # An unknown code is no evidence that the lesion is outside the spine: it is counted as one
    # with no bodySite (spine or elsewhere, never both) and the output names it.
    a = extract(_sited("999999003", "Some body structure"))
    assert a.tokuhashi.extraspinal_count == Possible.among({0, 1})
    assert a.tokuhashi.vertebral_count == Possible.among({1})
    said = issues(a, "warning")["Condition/met"]
    assert "Some body structure" in said and "not understood" in said


def test_a_body_site_in_words_only_is_quoted_where_the_level_is_asked_for():
    # Read as no level (docs/cds-hooks.md), but the EHR shows the clinician those words: the
    # output quotes them and asks for the level as a code, never says there is no bodySite.
    resources = _sited("0", "")
    resources[2]["bodySite"] = [{"text": "T8 vertebral body"}]
    a = extract(resources)
    ((where, reason),) = a.unscored
    assert where == "an unrecorded level" and "no bodySite" not in reason
    assert reason == (
        'the bone metastasis\'s bodySite is in words only ("T8 vertebral body", Condition/met)'
        " — record its level as a code (bodySite)"
    )


def test_a_known_extraspinal_site_is_still_an_extraspinal_focus():
    a = extract(_sited("71341001", "Bone structure of femur"))
    assert a.tokuhashi.extraspinal_count == Possible.of(1)
    assert not a.unscored and "Condition/met" not in issues(a, "warning")


@pytest.mark.parametrize(
    ("code", "display"),
    [
        ("12921003", "Pelvic structure"),
        ("37783008", "Bone structure of acetabulum"),
        ("12611008", "Bone structure of tibia"),
        ("72001000", "Bone structure of lower limb"),
    ],
)
def test_a_common_extraspinal_site_is_an_extraspinal_focus(code, display):
    # Contract §2: a non-spinal bodySite is an extraspinal focus — the pelvis is the second
    # commonest site of bone metastasis, never "no site".
    a = extract(_sited(code, display))
    assert a.tokuhashi.extraspinal_count == Possible.of(1)
    assert not a.unscored and "Condition/met" not in issues(a, "warning")


@pytest.mark.parametrize(
    "words", ["Left tibia", "Bone structure of pelvis", "pelvis", "Right proximal femur", "RIBS"]
)
def test_a_site_not_understood_whose_words_name_a_bone_outside_the_spine_is_extraspinal(words):
    # A code the maps do not know (a local code, a laterality concept) that names a non-spinal
    # bone in its words is that bone, cited by those words.
    a = extract(_sited("999999003", words))
    assert a.tokuhashi.extraspinal_count == Possible.of(1)
    assert not a.unscored and "Condition/met" not in issues(a, "warning")
    evidence = a.basis["tokuhashi-extraspinal-bone-metastases"].evidence
    assert any(f"extraspinal bone lesion {words}" in ev.said for ev in evidence)


# Contract §2 counts: distinct extraspinal bone sites. A left and a right femur are two sites; a
# femur with no side beside a left one may be that one or the other (a range), never certainly two.
LATERALITY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
LEFT = {"system": SNOMED_CT, "code": "7771000", "display": "Left"}
RIGHT = {"system": SNOMED_CT, "code": "24028007", "display": "Right"}
FEMUR = {"system": SNOMED_CT, "code": "71341001", "display": "Bone structure of femur"}
HUMERUS = {"system": SNOMED_CT, "code": "85050009", "display": "Bone structure of humerus"}
NECK_OF_FEMUR = {"system": SNOMED_CT, "code": "29627003", "display": "Structure of neck of femur"}
SHAFT_OF_FEMUR = {
    "system": SNOMED_CT,
    "code": "41111004",
    "display": "Bone structure of shaft of femur",
}
LEFT_FEMUR = {
    "system": "urn:local:sites",
    "code": "LFEM",
    "display": "Bone structure of left femur",
}
FIRST_RIB = {"system": SNOMED_CT, "code": "48535007", "display": "Bone structure of first rib"}
FIFTH_RIB = {"system": SNOMED_CT, "code": "15339008", "display": "Bone structure of fifth rib"}
SEVENTH_RIB = {"system": SNOMED_CT, "code": "24915002", "display": "Bone structure of seventh rib"}


def _bone(bone, side=None, *, how="extension", text=None):
    """A bodySite: the bone, its side as the mCODE laterality extension or a qualifier coding."""
    body = {"coding": [bone]}
    if side is not None and how == "extension":
        body["extension"] = [{"url": LATERALITY, "valueCodeableConcept": {"coding": [side]}}]
    elif side is not None:
        body["coding"] = [bone, side]
    if text is not None:
        body["text"] = text
    return body


def _bone_mets(*sites):
    mets = []
    for n, body in enumerate(sites):
        met = condition(f"met-{n}", "94222008", system=SNOMED_CT)
        met["bodySite"] = [body]
        mets.append(met)
    frankel, kps = (
        finding("frankel", "frankel-grade", "frankel-e"),
        measurement("kps", "89243-0", 70),
    )
    return [patient(), condition("primary", "C34.90"), *mets, frankel, kps]


@pytest.mark.parametrize(
    ("sites", "count"),
    [
        ((_bone(FEMUR, LEFT), _bone(FEMUR, RIGHT)), {2}),  # mCODE laterality extension
        ((_bone(FEMUR, LEFT, how="coding"), _bone(FEMUR, RIGHT, how="coding")), {2}),
        ((_bone(HUMERUS, LEFT), _bone(HUMERUS, RIGHT), _bone(FEMUR, LEFT)), {3}),
        ((_bone(FEMUR, LEFT), _bone(FEMUR, LEFT, how="coding")), {1}),  # the same left femur
        ((_bone(FEMUR), _bone(FEMUR)), {1}),  # no side on either: one femur, as recorded
        ((_bone(FEMUR), _bone(FEMUR, LEFT)), {1, 2}),  # the left one, or the right
        ((_bone(FEMUR), _bone(FEMUR, LEFT), _bone(FEMUR, RIGHT)), {2}),  # one of the two
        ((_bone(FEMUR, text="Left femur"), _bone(FEMUR, text="Right femur")), {2}),  # by words
    ],
)
def test_a_left_and_a_right_bone_are_two_extraspinal_sites(sites, count):
    a = extract(_bone_mets(*sites))
    assert a.tokuhashi.extraspinal_count == Possible.among(count)
    caveats = a.basis["tokuhashi-extraspinal-bone-metastases"].caveats
    assert any("no side recorded" in c for c in caveats) is (len(count) > 1)


@pytest.mark.parametrize(
    ("first", "second", "count"),
    [
        ("Left femur", "Right femur", {2}),
        ("Femur", "Left femur", {1, 2}),
        ("Left femur", "Left femur", {1}),
    ],
)
def test_a_local_site_code_with_a_side_in_its_words_counts_each_side(first, second, count):
    # One local code may stand for either femur: the words say which (extension bone-name).
    local = {"system": "urn:local:sites", "code": "FEM"}
    sites = ({"coding": [{**local, "display": first}]}, {"coding": [{**local, "display": second}]})
    a = extract(_bone_mets(*sites))
    assert a.tokuhashi.extraspinal_count == Possible.among(count)


def _local(*words):
    return tuple({"coding": [{"system": "urn:local:sites", "code": "B", "display": w}]}
                 for w in words)  # fmt: skip


@pytest.mark.parametrize(
    ("sites", "count"),
    [
        # Two first ribs and two other ribs are four sites, whatever sides the others have
        # (counted to Tokuhashi's cap, COUNT_CAP = 3).
        (_local("Left 1st rib", "Right 1st rib", "5th rib", "7th rib"), {3}),
        (_local("Left 1st rib", "5th rib", "7th rib"), {3}),
        (_local("Left 1st rib", "5th rib"), {2}),
        (
            (_bone(FIRST_RIB, LEFT), _bone(FIRST_RIB, RIGHT), _bone(FIFTH_RIB), _bone(SEVENTH_RIB)),
            {3},
        ),
        # A lesion added never lowers the count: three femoral sites and a left femur.
        ((_bone(FEMUR), _bone(NECK_OF_FEMUR), _bone(SHAFT_OF_FEMUR), _bone(FEMUR, LEFT)), {3}),
        ((_bone(FEMUR), _bone(NECK_OF_FEMUR), _bone(FEMUR, LEFT)), {2, 3}),
        # The same left femur written two ways is one site.
        (_local("femur, left", "Left femur"), {1}),
        (_local("Femur (left)", "LEFT FEMUR"), {1}),
        ((_bone(FEMUR, LEFT), _bone(LEFT_FEMUR)), {1}),
        # Sides as EHRs abbreviate them.
        ((_bone(FEMUR, text="L femur"), _bone(FEMUR, text="R femur")), {2}),
        ((_bone(FEMUR, text="Lt femur"), _bone(FEMUR, text="Rt. femur")), {2}),
        (_local("Femur (R)", "Femur (L)"), {2}),
        ((_bone(FEMUR, text="R/O femur lesion"), _bone(FEMUR, LEFT)), {1, 2}),  # rule out: no side
    ],
)
def test_sites_are_told_apart_by_what_they_are_and_their_side_never_by_a_shared_word(sites, count):
    a = extract(_bone_mets(*sites))
    assert a.tokuhashi.extraspinal_count == Possible.among(count)


@pytest.mark.parametrize(
    "words",
    [
        "Sacrum", "Left sacral ala", "Coccyx", "Lumbar spine", "L2 vertebra", "Pelvis and S1",
        "Paravertebral rib head", "Thoracic cage", "Iliac lymph node", "Renal pelvis",
        # Parts of a vertebra beside a bone outside the spine.
        "Left rib and pedicle", "Rib and lamina", "Rib, transverse process", "Facet and rib",
        "Costovertebral junction of rib", "Costotransverse joint, rib", "Spinous process and rib",
    ],
)  # fmt: skip
def test_a_site_whose_words_may_be_spinal_or_not_bone_is_never_read_as_extraspinal(words):
    a = extract(_sited("999999003", words))
    assert a.tokuhashi.extraspinal_count == Possible.among({0, 1})  # a lesion without a site
    assert "not understood" in issues(a, "warning")["Condition/met"]


def test_a_bone_metastasis_without_a_site_says_its_level_is_not_recorded():
    unsited = [r for r in _sited("x", "x") if r["id"] != "met"]
    a = extract([*unsited, condition("met", "C79.51")])
    ((label, reason),) = a.unscored
    assert label == "an unrecorded level" and "no bodySite" in reason
    assert "record its level (bodySite)" in reason


def test_a_finding_within_a_region_sited_metastasis_is_scored_from_findings_only():
    # Contract §2: a finding where no metastasis is recorded is used when a metastasis may be
    # there; one recorded by region (thoracic spine) may be at T8, never at L2.
    t8 = finding("t8-pain", "spinal-pain", "mechanical", level="T8")
    l2 = finding("l2-pain", "spinal-pain", "mechanical", level="L2")
    a = extract(_sited("122495006", "Thoracic spine structure", t8, l2))
    assert [lv.level for lv in a.levels] == ["T8"]
    t8_level = level(a, "T8")
    assert t8_level.origin == "findings" and "known from findings only" in (t8_level.note or "")
    assert t8_level.inputs.pain == Possible.of(Pain.MECHANICAL)
    warned = issues(a, "warning")
    assert "Observation/t8-pain" not in warned
    assert "where no metastasis is recorded" in warned["Observation/l2-pain"]


def test_findings_at_one_level_for_two_metastases_without_a_level_say_the_other_may_be_elsewhere():
    # Two bone-metastasis Conditions without a level, findings at T8 only: T8 is scored from
    # findings, and both may be there (one lesion coded twice), so no other level is offered;
    # but if the second lesion is elsewhere, nothing would say so. The note does.
    unsited = [r for r in _sited("x", "x") if r["id"] != "met"]
    t8 = finding("t8-pain", "spinal-pain", "mechanical", level="T8")
    a = extract([*unsited, condition("met", "C79.51"), condition("met2", "C79.51"), t8])
    note = level(a, "T8").note or ""
    assert "known from findings only" in note
    assert (
        "2 bone-metastasis Conditions without a level may be at T8: if one is at another "
        "level, record its level (bodySite) in the EHR"
    ) in note
    one = extract([*unsited, condition("met", "C79.51"), t8])
    assert "if one is at another level" not in (level(one, "T8").note or "")
