"""Contract v3 §2 "remission": a primary tumour or a metastasis in remission or inactive still
counts (marked), only resolved removes it, and nothing read is dropped silently.

Hand-computed on the default patient of tests/support/records.py (lung primary, T12 metastasis,
KPS 80, Frankel E): Tomita = growth rapid 4 + visceral none 0 + bone solitary 1 = 5; revised
Tokuhashi = general 2 + extraspinal 0 → 2 + vertebral 1 → 2 + major organs none 2 + lung 0 +
Frankel E 2 = 10.
"""

from __future__ import annotations

import json

import pytest

from adapter import cli
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring import BoneExtent, Growth, MajorOrgan, Possible, PrimarySite, Span, Visceral
from adapter.vocabulary import (
    TOKUHASHI_EXTRASPINAL,
    TOKUHASHI_PRIMARY,
    TOKUHASHI_VERTEBRAL,
    TOMITA_PRIMARY,
    TOMITA_VISCERAL,
)
from tests.support.records import (
    NOW,
    P,
    bundle,
    clinical,
    condition,
    default_patient,
    finding,
)

TERM = default_terminology()


def score(resources):
    data = patient_records(resources, P)
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW))


def total(result, code):
    found = result.score(code)
    assert found is not None
    return found.result.total


def issue(result, ref):
    return next((i for i in result.issues if i.resource == ref), None)


def with_primary(status):
    return default_patient(
        drop=("primary",), extra=(condition("primary", "C34.90", **clinical(status)),)
    )


def test_a_primary_in_remission_is_still_the_primary_and_says_so():
    result = score(with_primary("remission"))
    a = result.assessment
    assert a.tokuhashi.primary_site == Possible.of(PrimarySite.LUNG)
    assert a.tomita.growth == Possible.of(Growth.RAPID)
    assert total(result, "tomita") == Span(5, 5)
    assert total(result, "tokuhashi-revised") == Span(10, 10)
    for code in (TOKUHASHI_PRIMARY.code, TOMITA_PRIMARY.code):
        assert "Primary in remission (Condition/primary)" in " ".join(a.basis[code].caveats)
    assert issue(result, "Condition/primary") is None


def test_an_inactive_primary_counts_like_one_in_remission():
    a = score(with_primary("inactive")).assessment
    assert a.tokuhashi.primary_site == Possible.of(PrimarySite.LUNG)
    assert "Primary in remission" in " ".join(a.basis[TOMITA_PRIMARY.code].caveats)


def test_a_resolved_primary_is_not_used_and_is_named():
    result = score(with_primary("resolved"))
    assert not result.assessment.tokuhashi.primary_site.certain  # no primary: missing
    found = issue(result, "Condition/primary")
    assert found is not None and found.severity == "information"
    assert (
        found.diagnostics
        == "Malignant neoplasm of bronchus and lung (Condition/primary): clinical status resolved,"
        " so it is not used."
    )


def test_a_bone_metastasis_in_remission_is_counted_and_scored_marked():
    met = condition("met-l2", "C79.51", level="L2", **clinical("remission"))
    result = score(default_patient(extra=(met,)))
    a = result.assessment
    assert [lv.level for lv in a.levels] == ["T12", "L2"]
    l2 = a.levels[1]
    assert l2.in_remission and l2.origin == "confirmed"
    assert "bone metastasis in remission (Condition/met-l2)" in (l2.note or "")
    assert not a.levels[0].in_remission
    assert a.tokuhashi.vertebral_count == Possible.of(2)
    assert a.tomita.bone == Possible.of(BoneExtent.MULTIPLE)
    # Tomita: 4 + 0 + multiple 2 = 6; Tokuhashi: vertebral 2 levels → 1, so 10 − 1 = 9.
    assert total(result, "tomita") == Span(6, 6)
    assert total(result, "tokuhashi-revised") == Span(9, 9)
    assert result.level("L2") is not None


def test_a_level_with_an_active_and_a_remitted_lesion_is_not_marked():
    old = condition("met-t12-old", "C79.51", level="T12", **clinical("inactive"))
    a = score(default_patient(extra=(old,))).assessment
    assert [lv.level for lv in a.levels] == ["T12"]
    assert not a.levels[0].in_remission
    assert a.tokuhashi.vertebral_count == Possible.of(1)


def test_a_resolved_bone_metastasis_is_removed_and_named():
    met = condition("met-l2", "C79.51", level="L2", **clinical("resolved"))
    result = score(default_patient(extra=(met,)))
    assert [lv.level for lv in result.assessment.levels] == ["T12"]
    assert result.assessment.tokuhashi.vertebral_count == Possible.of(1)
    assert (
        "at L2 (Condition/met-l2): clinical status resolved"
        in issue(result, "Condition/met-l2").diagnostics
    )


def test_a_visceral_metastasis_in_remission_ranges_over_none_and_treatable():
    liver = condition("liver", "C78.7", **clinical("remission"))  # liver: visceral and major
    result = score(default_patient(extra=(liver,)))
    a = result.assessment
    assert a.tomita.visceral == Possible.among({Visceral.NONE, Visceral.TREATABLE})
    assert a.tokuhashi.major_organ == Possible.among({MajorOrgan.NONE, MajorOrgan.REMOVABLE})
    caveats = " ".join(a.basis[TOMITA_VISCERAL.code].caveats)
    assert (
        "in remission (Secondary malignant neoplasm of liver and intrahepatic bile duct (Condition/liver)) — confirm: none or treatable"
        in caveats
    )
    # Tomita 5 + (0 or 2) = 5–7; Tokuhashi 10 − (0 or 1) = 9–10.
    assert total(result, "tomita") == Span(5, 7)
    assert total(result, "tokuhashi-revised") == Span(9, 10)


def test_an_explicit_finding_settles_a_metastasis_in_remission():
    liver = condition("liver", "C78.7", **clinical("remission"))
    none = finding("visc", "visceral-metastases", "none", when="2024-05-30T09:00:00Z")
    a = score(default_patient(extra=(liver, none))).assessment
    assert a.tomita.visceral == Possible.of(Visceral.NONE)


def test_a_current_visceral_metastasis_beside_one_in_remission_is_present():
    lung_met = condition("lung-met", "C78.00")
    liver = condition("liver", "C78.7", **clinical("remission"))
    a = score(default_patient(extra=(lung_met, liver))).assessment
    assert a.tomita.visceral == Possible.among({Visceral.TREATABLE, Visceral.UNTREATABLE})
    assert "in remission" not in " ".join(a.basis[TOMITA_VISCERAL.code].caveats)


def test_a_resolved_visceral_metastasis_is_none_and_named():
    liver = condition("liver", "C78.7", **clinical("resolved"))
    result = score(default_patient(extra=(liver,)))
    assert result.assessment.tomita.visceral == Possible.of(Visceral.NONE)
    assert issue(result, "Condition/liver") is not None


def test_conditions_read_but_not_used_are_named_with_the_reason():
    extra = (
        condition("refuted", "C79.51", level="L3", verification="refuted"),
        condition("in-situ", "D05.10"),  # a neoplasm no map places
        condition("coag", "D68.9", **clinical("inactive")),  # counts only while current
        condition("bp", "I10", **clinical("inactive")),  # nothing of ours: not named
    )
    result = score(default_patient(extra=extra))
    assert issue(result, "Condition/refuted").diagnostics == (
        "Secondary malignant neoplasm of bone at L3 (Condition/refuted): verification status "
        "refuted, so it is not used."
    )
    assert issue(result, "Condition/in-situ").diagnostics == (
        "A Condition (Condition/in-situ): neoplasm code D05.10 names no primary site or metastasis spinemets "
        "maps: not used."
    )
    assert issue(result, "Condition/coag").diagnostics == (
        # no display for D68.9 in the mappings: the code is its name
        "ICD-10-CM D68.9 (Condition/coag): clinical status inactive; only a current one is used."
    )
    assert issue(result, "Condition/bp") is None
    assert result.assessment.safety.coagulation == ()


def test_the_text_report_says_primary_and_level_in_remission(tmp_path, capsys):
    met = condition("met-l2", "C79.51", level="L2", **clinical("remission"))
    resources = default_patient(drop=("primary",), extra=(
        condition("primary", "C34.90", **clinical("remission")), met))  # fmt: skip
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle(resources)))
    assert cli.main(["score", str(path), "--format", "text", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "Primary in remission (Condition/primary)" in out
    assert "bone metastasis in remission (Condition/met-l2)" in out


def test_an_extraspinal_metastasis_in_remission_is_counted_where_it_is():
    femur = condition("met-femur", "C79.51", **clinical("remission"),
                      bodySite=[{"coding": [{"system": "http://snomed.info/sct",
                                             "code": "71341001", "display": "Femur"}]}])  # fmt: skip
    result = score(default_patient(extra=(femur,)))
    a = result.assessment
    assert a.tokuhashi.extraspinal_count == Possible.of(1)
    assert a.tokuhashi.vertebral_count == Possible.of(1)
    # Tokuhashi: extraspinal 1–2 → 1, so 10 − 1 = 9; Tomita: bone multiple 2, so 4 + 0 + 2 = 6.
    assert total(result, "tokuhashi-revised") == Span(9, 9)
    assert total(result, "tomita") == Span(6, 6)
    extra = a.basis[TOKUHASHI_EXTRASPINAL.code].notes
    assert any("In remission and still counted" in n and "met-femur" in n for n in extra)
    # The lesion is named by where it is, so a card (which drops resource ids) still says which.
    assert any("the lesion outside the spine (Condition/met-femur)" in n for n in extra)
    assert not any("met-femur" in n for n in a.basis[TOKUHASHI_VERTEBRAL.code].notes)


ICD10CM_OID = "urn:oid:2.16.840.1.113883.6.90"  # ICD-10-CM by its HL7 OID (CDA-derived records)


def test_icd10cm_written_with_its_oid_is_icd10cm():
    by_oid = default_patient(
        drop=("primary", "met-t12"),
        extra=(condition("primary", "C50.911", system=ICD10CM_OID),
               condition("met-t12", "C79.51", level="T12", system=ICD10CM_OID)),
    )  # fmt: skip
    by_url = default_patient(drop=("primary",), extra=(condition("primary", "C50.911"),))
    oid, url = score(by_oid), score(by_url)
    assert oid.assessment == url.assessment
    assert [i.diagnostics for i in oid.issues] == [i.diagnostics for i in url.issues]


def test_a_snomed_ct_cancer_no_map_places_is_named_by_its_words():
    # SNOMED CT neoplasms (contract §2 v3) without the hierarchy: the record's own words say it.
    unknown = condition("cancer", "128462008", system="http://snomed.info/sct",
                        code_display="Secondary malignant neoplastic disease")  # fmt: skip
    unknown["code"]["coding"][0]["display"] = unknown.pop("code_display")
    benign = condition("wart", "57686001", system="http://snomed.info/sct")  # no words: not named
    suspected = condition("suspected", "162573006", system="http://snomed.info/sct")
    suspected["code"]["coding"][0]["display"] = "Suspected lung cancer (situation)"  # Synthea
    result = score(default_patient(extra=(unknown, benign, suspected)))
    found = issue(result, "Condition/cancer")
    assert found is not None and found.severity == "warning"
    assert "names no primary site or metastasis spinemets maps: not used" in found.diagnostics
    assert issue(result, "Condition/wart") is None
    assert issue(result, "Condition/suspected") is None


def _said_at_l2(words: str) -> dict:
    """A local-code Condition at L2 known only by its words (display and text)."""
    said = condition("said", "LOC1", level="L2", system="http://hospital.example/codes")
    said["code"]["coding"][0]["display"] = said["code"]["text"] = words
    return said


@pytest.mark.parametrize(
    "words",
    [
        "No evidence of metastatic disease",
        "Metastasis excluded on biopsy",
        "Metastatic disease - ruled out",
        "Rule out metastasis",
        "R/O bone metastasis",
        "Negative for malignancy",
        "Suspected metastasis",
        "History of breast cancer",
        "Family history of breast cancer",
        "Verdacht auf Knochenmetastase",
        "Suspicion de métastase osseuse",
        "Antécédent de cancer du sein",
    ],
)
def test_words_that_deny_or_doubt_a_cancer_do_not_name_one(words):
    result = score(default_patient(extra=(_said_at_l2(words),)))
    assert issue(result, "Condition/said") is None
    assert result.assessment.unread == ()


@pytest.mark.parametrize(
    "words",
    [
        "Mets to spine",
        "Bone mets",
        "Métastase osseuse",
        "METASTASE OSSEUSE",
        "Knochenmetastase",
        "Carcinome mammaire métastatique",
        "Metastasiertes Mammakarzinom",
    ],
)
def test_a_cancer_in_other_words_is_named(words):
    result = score(default_patient(extra=(_said_at_l2(words),)))
    found = issue(result, "Condition/said")
    assert found is not None and found.severity == "warning"
    assert found.diagnostics.startswith(f"{words} at L2 (Condition/said): cancer code LOC1 names")
    assert result.assessment.unread == (f"{words} at L2",)


def test_a_carcinoma_in_situ_is_a_neoplasm_not_a_cancer_at_the_spine():
    # Not invasive, so no cause of a spinal metastasis: named in the OperationOutcome as the
    # neoplasm it is (contract §2 v3, D00–D09 are neoplasms), never as a cancer at the vertebra.
    result = score(default_patient(extra=(_said_at_l2("Carcinoma in situ of breast"),)))
    found = issue(result, "Condition/said")
    assert found is not None and "neoplasm code LOC1" in found.diagnostics
    assert result.assessment.unread == ()
