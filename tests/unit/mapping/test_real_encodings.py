"""Codes and statuses as real producers write them (contract §2): the same concept in another
spelling reads the same, never half, never silently dropped."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.records import ICD, SNOMED, condition, default_patient, measurement
from tests.unit.mapping.test_contract_v3_remission import issue, score, total

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def respelled(resources: list[dict], rid: str, system: str, code: str | None = None) -> list[dict]:
    out = copy.deepcopy(resources)
    for resource in out:
        if resource["id"] == rid:
            resource["code"]["coding"][0]["system"] = system
            if code is not None:
                resource["code"]["coding"][0]["code"] = code
    return out


@pytest.mark.parametrize(
    "system", ["https://loinc.org", "http://loinc.org/", "urn:oid:2.16.840.1.113883.6.1"]
)
def test_a_loinc_code_under_another_spelling_of_loinc_is_read(system):
    plain = default_patient(drop=("kps",), extra=(measurement("kps", "89243-0", 40),))
    assert score(respelled(plain, "kps", system)).assessment == score(plain).assessment


@pytest.mark.parametrize(
    "system",
    ["https://snomed.info/sct", "http://snomed.info/sct/731000124108",
     "http://snomed.info/sct/900000000000207008/version/20240301"],
)  # fmt: skip
def test_a_snomed_code_under_an_edition_uri_or_https_is_snomed_ct(system):
    plain = default_patient(drop=("met-t12",),
                            extra=(condition("met-t12", "94222008", level="T12", system=SNOMED),))  # fmt: skip
    assert score(respelled(plain, "met-t12", system)).assessment == score(plain).assessment


@pytest.mark.parametrize(("undotted", "dotted"), [("C787", "C78.7"), ("C7951", "C79.51")])
def test_icd10cm_written_without_its_dot_reads_as_with_it(undotted, dotted):
    liver = condition("liver", dotted)
    plain = default_patient(extra=(liver,)) if dotted == "C78.7" else default_patient()
    rid = "liver" if dotted == "C78.7" else "met-t12"
    undotted_record = respelled(plain, rid, ICD, undotted)
    a, b = score(undotted_record), score(plain)
    assert a.assessment.tomita == b.assessment.tomita
    assert a.assessment.tokuhashi == b.assessment.tokuhashi
    assert total(a, "tokuhashi-revised") == total(b, "tokuhashi-revised")
    assert [lv.level for lv in a.levels] == [lv.level for lv in b.levels]


def _met_with(**status: Any) -> list[dict]:
    return default_patient(drop=("met-t12",),
                           extra=(condition("met-t12", "C79.51", level="T12", **status),))  # fmt: skip


def _local_first(system: str, local: str, code: str) -> dict:
    return {"coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.4.698084.10002",
                        "code": local, "display": local},
                       {"system": system, "code": code}]}  # fmt: skip


def test_a_status_is_read_from_its_own_code_system_not_a_local_coding_before_it():
    eie = score(_met_with(verificationStatus=_local_first(VERIFICATION, "EIE", "entered-in-error")))
    assert eie.levels == () and not eie.metastatic
    confirmed = score(_met_with(verificationStatus=_local_first(VERIFICATION, "1", "confirmed")))
    assert confirmed.assessment == score(default_patient()).assessment
    active = score(_met_with(clinicalStatus=_local_first(CLINICAL, "A", "active")))
    assert [lv.level for lv in active.levels] == ["T12"]


@pytest.mark.parametrize(
    ("element", "words"), [("verificationStatus", "Provisional"), ("clinicalStatus", "Resolved")]
)
def test_a_status_in_words_only_is_named_never_read_as_confirmed_and_current(element, words):
    result = score(_met_with(**{element: {"text": words}}))
    said = issue(result, "Condition/met-t12")
    assert said is not None and element in said.diagnostics
    assert result.assessment != score(default_patient()).assessment


MCODE_SECONDARY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"
)
LIVER = {"coding": [{"system": SNOMED, "code": "10200004", "display": "Liver structure"}]}


def _generic_liver() -> dict:
    """mCODE's SecondaryCancerCondition: a generic code, the location in bodySite."""
    cond = condition("liver", "128462008", system=SNOMED, bodySite=[LIVER],
                     meta={"profile": [MCODE_SECONDARY]})  # fmt: skip
    cond["code"]["coding"][0]["display"] = "Metastatic malignant neoplasm (disorder)"
    return cond


def _words_only_liver() -> dict:
    cond = condition("liver", "X")
    cond["code"] = {"text": "Liver metastases"}
    return cond


@pytest.mark.parametrize("liver", [_generic_liver, _words_only_liver], ids=["mcode", "words"])
def test_a_metastasis_the_maps_cannot_place_leaves_visceral_metastases_open_never_none(liver):
    """A recorded metastasis that may be visceral is no "none coded": Tomita and Tokuhashi must
    not state a band as certain (contract §2: a range, never a guess)."""
    from adapter.scoring import MajorOrgan, Visceral

    result = score(default_patient(extra=(liver(),)))
    assessment = result.assessment
    assert Visceral.NONE in assessment.tomita.visceral.values
    assert {Visceral.TREATABLE, Visceral.UNTREATABLE} <= assessment.tomita.visceral.values
    assert MajorOrgan.NONE in assessment.tokuhashi.major_organ.values
    assert MajorOrgan.UNREMOVABLE in assessment.tokuhashi.major_organ.values
    said = issue(result, "Condition/liver")
    assert said is not None  # named, never dropped without a word
    notes = " ".join(assessment.basis["tomita-visceral-metastases"].caveats)
    assert "Condition/liver" in notes and "may be present" in notes


def test_a_metastasis_in_words_only_at_a_vertebra_is_named():
    cond = condition("met", "X", level="T8")
    cond["code"] = {"text": "Metastatic carcinoma to T8 vertebra"}
    result = score(default_patient(extra=(cond,)))
    said = issue(result, "Condition/met")
    assert said is not None and "no code" in said.diagnostics
    assert any("T8" in u for u in result.assessment.unread)


def _bounded(rid: str, loinc: str, value: float, unit: str, comparator: str) -> dict:
    lab = measurement(rid, loinc, value, unit)
    lab["valueQuantity"]["comparator"] = comparator
    return lab


def test_a_lab_value_given_as_a_bound_is_not_read_as_that_value():
    """Albumin "< 3.5 g/dL" is below the NESMS threshold, never at it: a bound is not the value
    (contract §2: never a silent guess)."""
    from adapter.vocabulary.scores import NESMS_ALBUMIN

    plain = score(default_patient(extra=(measurement("alb", "1751-7", 3.5, "g/dL"),)))
    bound = score(default_patient(extra=(_bounded("alb", "1751-7", 3.5, "g/dL", "<"),)))
    assert plain.score("nesms") is not None and bound.score("nesms") is not None
    points = {c.code: c.points for c in bound.score("nesms").result.components}
    assert (
        points[NESMS_ALBUMIN.code]
        != {c.code: c.points for c in plain.score("nesms").result.components}[NESMS_ALBUMIN.code]
    )
    said = issue(bound, "Observation/alb")
    assert said is not None and "<" in said.diagnostics


def test_a_period_with_only_a_start_dates_a_measurement_from_its_start():
    """A KPS over a period still open, with no issued time, was taken then, not at no time."""
    from adapter.scoring import Possible

    kps = measurement("kps", "89243-0", 80)
    kps["effectivePeriod"] = {"start": kps.pop("effectiveDateTime")}
    result = score(default_patient(drop=("kps",), extra=(kps,)))
    assert result.assessment.tokuhashi.kps == Possible.of(80)
    notes = " ".join(result.assessment.basis["tokuhashi-general-condition"].all_notes)
    assert "no time" not in notes and "Dated input" not in notes


def test_a_karnofsky_sent_as_an_answer_code_says_so():
    kps = measurement("kps", "89243-0", 80)
    del kps["valueInteger"]
    kps["valueCodeableConcept"] = {"coding": [{"system": "http://loinc.org", "code": "LA29176-7"}]}
    said = issue(score(default_patient(drop=("kps",), extra=(kps,))), "Observation/kps")
    assert (
        said is not None and "LA29176-7" in said.diagnostics and "no value" not in said.diagnostics
    )


T8_AND_T9 = [{"system": "http://spinemets.org/fhir/CodeSystem/vertebra", "code": "T8"},
             {"system": SNOMED, "code": "33766003", "display": "Structure of body of ninth thoracic vertebra"}]  # fmt: skip


@pytest.mark.parametrize("words", [None, "T9 vertebral body"])
def test_a_metastasis_whose_body_site_names_two_levels_is_placed_at_neither(words):
    """The codings of one bodySite are one concept (FHIR): when they name T8 and T9 the lesion
    is not silently at the first (contract §2: a finding at the wrong level is a defect)."""
    met = condition(
        "met-t8", "C79.51", bodySite=[{"coding": T8_AND_T9, **({"text": words} if words else {})}]
    )
    result = score(default_patient(extra=(met,)))
    assert "T8" not in [lv.level for lv in result.levels]
    said = issue(result, "Condition/met-t8")
    assert said is not None and "T8" in said.diagnostics and "T9" in said.diagnostics


def test_a_metastasis_whose_words_name_another_level_than_its_code_is_placed_at_neither():
    met = condition("met-t8", "C79.51", level="T8")
    met["bodySite"][0]["text"] = "T9"
    result = score(default_patient(extra=(met,)))
    assert "T8" not in [lv.level for lv in result.levels]
    said = issue(result, "Condition/met-t8")
    assert said is not None and "T9" in said.diagnostics


def test_a_finding_whose_body_site_names_two_levels_is_not_used():
    from tests.support.records import finding

    pain = finding("t12-spinal-pain", "spinal-pain", "mechanical")
    pain["bodySite"] = {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/vertebra", "code": "T12"},
                                   {"system": SNOMED, "code": "33766003"}]}  # fmt: skip
    result = score(default_patient(drop=("t12-spinal-pain",), extra=(pain,)))
    said = issue(result, "Observation/t12-spinal-pain")
    assert said is not None and "T9" in said.diagnostics and "T12" in said.diagnostics
    t12 = result.level("T12")
    assert (
        t12 is not None
        and not next(c for c in t12.result.components if c.code == "sins-pain").known
    )


@pytest.mark.parametrize(
    "status",
    [{"coding": [{"system": "http://hl7.org/fhir/condition-clinical", "code": "active"}]},  # STU3
     {"coding": [{"system": "https://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
     {"coding": [{"code": "Active", "display": "Active"}]}],
    ids=["stu3-system", "https", "no-system-capitalised"],
)  # fmt: skip
def test_fhirs_own_status_codes_are_read_under_every_spelling(status):
    result = score(_met_with(clinicalStatus=status))
    assert [lv.level for lv in result.levels] == ["T12"]
    assert result.assessment == score(default_patient()).assessment


def test_a_metastasis_whose_clinical_status_cannot_be_read_is_possibly_present_never_dropped():
    """Dropped, a liver metastasis would make visceral metastases a certain "none" (contract §2):
    a status in words only is read as possibly current, like an unconfirmed one, and named."""
    from adapter.scoring import Visceral

    liver = condition("met-liver", "C78.7", clinicalStatus={"text": "Active"})
    result = score(default_patient(extra=(liver,)))
    assert {Visceral.NONE, Visceral.TREATABLE} <= result.assessment.tomita.visceral.values
    said = issue(result, "Condition/met-liver")
    assert said is not None and "clinicalStatus" in said.diagnostics
    bone = score(_met_with(clinicalStatus={"text": "Active"}))
    assert [lv.level for lv in bone.levels] == ["T12"]  # scored, as unconfirmed


def _visceral_and_major(extra: dict, drop: tuple[str, ...] = ()):
    result = score(default_patient(drop=drop, extra=(extra,)))
    return result.assessment.tomita.visceral.values, result.assessment.tokuhashi.major_organ.values


@pytest.mark.parametrize("code", ["C80.0", "C80", "C79", "C79.9"])
def test_a_metastatic_code_that_names_no_site_keeps_both_answers_open(code):
    """C80.0 (disseminated) is read as the primary too; it still says metastases may be in
    organs (contract §2: never "none coded" while one is recorded)."""
    from adapter.scoring import MajorOrgan, Visceral

    visceral, major = _visceral_and_major(condition("x", code), drop=("primary",))
    assert {Visceral.NONE, Visceral.UNTREATABLE} <= visceral
    assert {MajorOrgan.NONE, MajorOrgan.UNREMOVABLE} <= major


@pytest.mark.parametrize("code", ["C78", "C79.3"])
def test_a_visceral_category_that_may_be_a_major_organ_keeps_the_major_organ_answer_open(code):
    from adapter.scoring import MajorOrgan, Visceral

    visceral, major = _visceral_and_major(condition("x", code))
    assert Visceral.NONE not in visceral  # visceral for certain
    assert {MajorOrgan.NONE, MajorOrgan.UNREMOVABLE} <= major


def _words(cid: str, text: str, **extra: Any) -> dict:
    cond = condition(cid, "X", **extra)
    cond["code"] = {"text": text}
    return cond


@pytest.mark.parametrize(
    "record",
    [
        _words("ln", "Metastatic carcinoma in mediastinal lymph nodes"),
        _words("skin", "Cutaneous metastasis, chest wall"),
        _words("bone", "Bone metastases"),
        _words("aml", "Secondary acute myeloid leukaemia (therapy-related)"),
        condition("ln2", "128462008", system=SNOMED, meta={"profile": [MCODE_SECONDARY]},
                  bodySite=[{"coding": [{"system": SNOMED, "code": "59441001",
                                         "display": "Structure of lymph node"}]}]),
        condition("t8", "C79.89", level="T8"),
    ],
    ids=["lymph-node-words", "skin-words", "bone-words", "secondary-aml", "mcode-lymph-node",
         "c79.89-at-t8"],
)  # fmt: skip
def test_a_metastasis_the_record_places_outside_the_organs_leaves_visceral_none(record):
    from adapter.scoring import Visceral

    visceral, _ = _visceral_and_major(record)
    assert visceral == frozenset({Visceral.NONE})


@pytest.mark.parametrize(
    "text",
    ["Metastases to bone and pancreas", "Bone and splenic metastases", "Metastatic cutaneous melanoma",
     "Metastatic osteosarcoma", "Metastatic breast cancer, node positive", "Spinal cord metastasis",
     "Intramedullary spinal cord metastasis", "Sacral plexus metastasis", "Mets to bone and ovary",
     "Metastatic Ewing sarcoma of bone", "Secondary malignant neoplasm of bone and bowel"],
)  # fmt: skip
def test_words_that_may_name_an_organ_never_settle_visceral_none(text):
    """Only words that place the metastasis in bone, a lymph node or the skin and nothing else
    may settle "none"; a primary's words ("cutaneous melanoma", "osteosarcoma") place nothing."""
    from adapter.scoring import Visceral

    visceral, _ = _visceral_and_major(_words("w", text))
    assert {Visceral.NONE, Visceral.TREATABLE} <= visceral


def test_a_metastasis_with_a_bone_and_an_organ_site_keeps_visceral_open():
    from adapter.scoring import Visceral

    sites = [{"coding": [{"system": SNOMED, "code": "71341001", "display": "Bone structure of femur"}]},
             {"coding": [{"system": SNOMED, "code": "15776009", "display": "Pancreatic structure"}]}]  # fmt: skip
    met = condition(
        "m", "128462008", system=SNOMED, bodySite=sites, meta={"profile": [MCODE_SECONDARY]}
    )
    visceral, _ = _visceral_and_major(met)
    assert {Visceral.NONE, Visceral.TREATABLE} <= visceral


ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
ICD10_GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"


@pytest.mark.parametrize("system", [ICD10_WHO, ICD10_GM])
def test_a_metastasis_coded_in_another_icd10_edition_is_named_and_keeps_visceral_open(system):
    """A liver metastasis coded C78.7 in WHO ICD-10 or ICD-10-GM (no display): it was dropped
    without a word and the output said "No visceral metastasis Condition coded: none", Tomita 2.
    The editions' codes are not read as ICD-10-CM's (their finer codes differ: ICD-10-GM's
    S22.0x name other vertebrae), but a neoplasm coded in them is named, and a metastasis that
    may be in an organ keeps the visceral and major-organ answers open."""
    from adapter.scoring import MajorOrgan, Visceral

    liver = condition("liver", "C78.7", system=system)
    visceral, major = _visceral_and_major(liver)
    assert {Visceral.NONE, Visceral.UNTREATABLE} <= visceral
    assert {MajorOrgan.NONE, MajorOrgan.UNREMOVABLE} <= major
    result = score(default_patient(extra=(liver,)))
    said = issue(result, "Condition/liver")
    assert said is not None and "C78.7" in said.diagnostics
    # A bone or skin metastasis so coded is named, and places nothing in an organ.
    bone = condition("bone", "C79.5", system=system)
    visceral, _ = _visceral_and_major(bone)
    assert visceral == {Visceral.NONE}
    assert issue(score(default_patient(extra=(bone,))), "Condition/bone") is not None


@pytest.mark.parametrize("system", [ICD10_WHO, ICD10_GM])
def test_a_primary_coded_in_another_icd10_edition_is_named_never_dropped(system):
    result = score(
        default_patient(drop=("primary",), extra=(condition("p", "C50.9", system=system),))
    )
    said = issue(result, "Condition/p")
    assert said is not None and "C50.9" in said.diagnostics


@pytest.mark.parametrize("profiled", [True, False], ids=["mcode-secondary", "code-only"])
def test_a_metastasis_whose_code_names_no_site_at_a_vertebra_is_a_bone_metastasis_there(profiled):
    """mCODE's SecondaryCancerCondition may code 128462008 (metastatic malignant neoplasm) and
    give the place in bodySite (contract §2: "mCODE SecondaryCancerCondition; bodySite the
    level"): at a vertebra it is a bone metastasis at that level. It was named as not mapped,
    and every finding at T8 was refused as "where no metastasis is recorded"."""
    meta: dict[str, Any] = {"meta": {"profile": [MCODE_SECONDARY]}} if profiled else {}
    met = condition("met", "128462008", system=SNOMED, level="T8", **meta)
    result = score(default_patient(drop=("met-t12",), extra=(met,)))
    assert [lv.level for lv in result.levels] == ["T8"]
    assert result.levels[0].assessment.origin == "confirmed"
    # In an organ it stays what it was: a metastasis that may be visceral, not one in bone.
    liver = condition("liver", "128462008", system=SNOMED, **meta)
    liver["bodySite"] = [{"coding": [{"system": SNOMED, "code": "10200004", "display": "Liver"}]}]
    result = score(default_patient(extra=(liver,)))
    assert [lv.level for lv in result.levels] == ["T12"]


def test_a_link_to_a_primary_not_in_the_record_is_named_and_not_asked_for_again():
    # The metastasis links (condition-related) to Condition/elsewhere, absent; two primaries are
    # recorded. The advice was "link the bone metastasis to its primary tumour" — it is linked.
    met = condition("met-t12", "C79.51", level="T12")
    met["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                         "valueReference": {"reference": "Condition/elsewhere"}}]  # fmt: skip
    breast = condition("breast", "C50.911")
    result = score(default_patient(drop=("met-t12",), extra=(met, breast)))
    basis = result.assessment.basis["tokuhashi-primary-site"]
    said = " ".join(basis.caveats)
    assert "Condition/elsewhere" in said and "not among" in said, said
    assert basis.settle is not None and "link the bone metastasis" not in basis.settle
    assert "Condition/elsewhere" in basis.settle


def test_a_link_to_a_condition_read_that_is_no_primary_is_not_called_a_missing_primary():
    met = condition("met-t12", "C79.51", level="T12")
    met["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                         "valueReference": {"reference": "Condition/frac"}}]  # fmt: skip
    fracture = condition("frac", "M84.58XA", level="T12")
    breast = condition("breast", "C50.911")
    result = score(default_patient(drop=("met-t12",), extra=(met, fracture, breast)))
    basis = result.assessment.basis["tokuhashi-primary-site"]
    assert "Condition/frac" not in " ".join(basis.caveats)
    assert basis.settle is not None and "link the bone metastasis" in basis.settle


@pytest.mark.parametrize("status", ["refuted", "resolved"])
def test_a_link_to_a_primary_in_the_record_but_not_counted_is_named(status):
    # Linked to a primary that is refuted or resolved: it is not the primary that counts, and
    # asking to "link the bone metastasis to its primary" again hides why.
    met = condition("met-t12", "C79.51", level="T12")
    met["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                         "valueReference": {"reference": "Condition/old"}}]  # fmt: skip
    if status == "refuted":
        old = condition("old", "C61", verification="refuted")
    else:
        old = condition("old", "C61")
        old["clinicalStatus"] = {"coding": [{"code": "resolved"}]}
    breast = condition("breast", "C50.911")
    result = score(default_patient(drop=("met-t12",), extra=(met, old, breast)))
    basis = result.assessment.basis["tokuhashi-primary-site"]
    assert "Condition/old" in " ".join(basis.caveats)
    assert basis.settle is not None and "Condition/old" in basis.settle
