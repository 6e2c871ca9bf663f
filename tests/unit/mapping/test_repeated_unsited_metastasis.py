"""Contract §2 (counts): a bone-metastasis diagnosis recorded at several visits with no bodySite
is one lesion at least and possibly more — never certainly as many lesions as records. Only
what tells them apart (a different code) makes them certainly distinct.

The records are encounter diagnoses of a prostate cancer (KPS 80, Frankel E), with no other
bone metastasis: one site is a solitary metastasis (Tomita 1, Bauer "solitary" 1), two or more
are multiple (Tomita 2, Bauer 0).
"""

from __future__ import annotations

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring import BoneExtent, Possible, Span
from adapter.vocabulary import TOMITA_BONE
from tests.support.records import (
    ICD,
    NOW,
    SNOMED,
    P,
    condition,
    finding,
    measurement,
    patient,
)

TERM = default_terminology()


def visit_diagnosis(
    cid: str, code: str = "C79.51", *, day: int, system: str = ICD, concept: dict | None = None
) -> dict:
    """The same diagnosis as an EHR records it at each visit: its own recordedDate and
    encounter, the same onset, no bodySite."""
    res = condition(
        cid,
        code,
        system=system,
        recordedDate=f"2024-05-{day:02d}",
        encounter={"reference": f"Encounter/visit-{day}"},
        category=[{"coding": [{"code": "encounter-diagnosis"}]}],
    )
    if concept is not None:
        res["code"] = concept
    return res


def score(*diagnoses):
    resources = [
        patient(),
        condition("primary", "C61"),
        finding("frankel", "frankel-grade", "frankel-e"),
        measurement("kps", "89243-0", 80),
        *diagnoses,
    ]
    data = patient_records(resources, P)
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW))


def points(result, score_code, code):
    found = result.score(score_code)
    assert found is not None
    return next(c for c in found.result.components if c.code == code).points


def test_one_diagnosis_recorded_at_four_visits_may_be_one_lesion():
    result = score(*(visit_diagnosis(f"dx-{d}", day=d) for d in (3, 10, 17, 24)))
    a = result.assessment
    assert a.tomita.bone == Possible.among({BoneExtent.SOLITARY, BoneExtent.MULTIPLE})
    assert points(result, "tomita", "tomita-bone-metastases") == Span(1, 2)
    for bauer in ("bauer-original", "bauer-modified"):
        assert points(result, bauer, "bauer-solitary-skeletal-metastasis") == Span(0, 1)
    said = " ".join(a.basis[TOMITA_BONE.code].caveats)
    assert "recorded 4 times without a site" in said


def test_the_same_code_in_another_coding_is_the_same_diagnosis():
    both = {"coding": [{"system": ICD, "code": "C79.51"}, {"system": SNOMED, "code": "94222008"}]}
    result = score(
        visit_diagnosis("dx-1", day=3, concept=both),
        visit_diagnosis("dx-2", "94222008", day=10, system=SNOMED),
    )
    assert points(result, "tomita", "tomita-bone-metastases") == Span(1, 2)


def test_different_codes_are_different_lesions():
    result = score(
        visit_diagnosis("bone-1", "C79.51", day=3),
        visit_diagnosis("bone-2", "C79.51", day=10),
        visit_diagnosis("marrow-1", "C79.52", day=3),
    )
    assert result.assessment.tomita.bone == Possible.of(BoneExtent.MULTIPLE)
    assert points(result, "bauer-modified", "bauer-solitary-skeletal-metastasis") == Span(0, 0)
