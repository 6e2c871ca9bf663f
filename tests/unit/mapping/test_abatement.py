"""Contract §2 (time): a Condition is read as it was at the computation time. One that abated
after it (resolved, inactive or in remission today) was current then; one that abated on or
before it is resolved, whatever clinicalStatus is missing.

Hand-computed on the default patient of tests/support/records.py (lung primary, T12 metastasis,
KPS 80, Frankel E, computation time NOW = 1 Jun 2024): Tomita visceral none 0, bone solitary 1.
"""

from __future__ import annotations

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring import BoneExtent, MajorOrgan, Possible, Visceral
from tests.support.records import NOW, P, clinical, condition, default_patient

TERM = default_terminology()
LATER = "2024-07-01"  # a month after NOW
EARLIER = "2024-05-15"


def score(*extra):
    data = patient_records(default_patient(extra=extra), P)
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW))


def said(result, ref):
    return " ".join(i.diagnostics for i in result.issues if i.resource == ref)


def test_a_liver_metastasis_resolved_after_the_computation_time_was_present_then():
    liver = condition("liver", "C78.7", abatementDateTime=LATER, **clinical("resolved"))
    result = score(liver)
    a = result.assessment
    assert a.tomita.visceral == Possible.among({Visceral.TREATABLE, Visceral.UNTREATABLE})
    assert a.tokuhashi.major_organ == Possible.among({MajorOrgan.REMOVABLE, MajorOrgan.UNREMOVABLE})
    message = said(result, "Condition/liver")
    assert "abated 2024-07-01, after the computation time" in message
    assert "so it is used" in message


def test_a_bone_metastasis_abated_after_the_computation_time_still_counts():
    l2 = condition("met-l2", "C79.51", level="L2", **clinical("resolved"),
                   abatementPeriod={"start": LATER})  # fmt: skip
    a = score(l2).assessment
    assert a.tomita.bone == Possible.of(BoneExtent.MULTIPLE)
    assert a.tokuhashi.vertebral_count == Possible.of(2)


def test_a_metastasis_in_remission_only_after_the_computation_time_is_not_marked():
    l2 = condition("met-l2", "C79.51", level="L2", abatementDateTime=LATER,
                   **clinical("remission"))  # fmt: skip
    result = score(l2)
    assert result.assessment.tokuhashi.vertebral_count == Possible.of(2)
    assert "In remission" not in " ".join(
        result.assessment.basis["tokuhashi-vertebral-metastases"].notes
    )


def test_an_abated_condition_without_clinical_status_is_resolved():
    l2 = condition("met-l2", "C79.51", level="L2", abatementDateTime=EARLIER)
    result = score(l2)
    a = result.assessment
    assert a.tomita.bone == Possible.of(BoneExtent.SOLITARY)
    assert a.tokuhashi.vertebral_count == Possible.of(1)
    assert [lv.level for lv in a.levels] == ["T12"]
    message = said(result, "Condition/met-l2")
    assert "no clinical status, abated 2024-05-15: read as resolved, so it is not used" in message


def test_an_abatement_period_ending_before_the_computation_time_is_resolved():
    l2 = condition("met-l2", "C79.51", level="L2",
                   abatementPeriod={"start": "2024-05-01", "end": EARLIER})  # fmt: skip
    assert score(l2).assessment.tokuhashi.vertebral_count == Possible.of(1)


def test_resolved_before_the_computation_time_stays_resolved():
    l2 = condition("met-l2", "C79.51", level="L2", abatementDateTime=EARLIER,
                   **clinical("resolved"))  # fmt: skip
    result = score(l2)
    assert result.assessment.tokuhashi.vertebral_count == Possible.of(1)
    assert "clinical status resolved, so it is not used" in said(result, "Condition/met-l2")


def test_a_current_status_beside_an_earlier_abatement_is_kept_and_named():
    # "active" with an abatement before the computation time breaks FHIR's con-4: the status is
    # kept (contract §2: an explicit current status whatever the abatement says), and said, so
    # that the record can be corrected.
    l2 = condition("met-l2", "C79.51", level="L2", abatementDateTime=EARLIER,
                   **clinical("active"))  # fmt: skip
    result = score(l2)
    assert result.assessment.tokuhashi.vertebral_count == Possible.of(2)
    message = said(result, "Condition/met-l2")
    assert "clinical status active, abated 2024-05-15" in message and "check" in message
