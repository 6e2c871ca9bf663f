"""Percutaneous ablation of a bone tumour (radiofrequency or cryoablation) is a spinal
treatment the record names: a later one is said beside the follow-up windows it precedes, as any
spinal procedure is (contract §6 v3). It neither stabilises a level (SINS stays scored, never
shown as pre-treatment) nor decompresses one (a Bilsky grade before it still stands)."""

from __future__ import annotations

import pytest

from adapter.decision.outcome import outcome_view
from adapter.decision.sins import sins_decision
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import CPT, ICD10PCS, default_patient, finding, procedure

TERM = default_terminology()


def _scored(*extra, now: str = "2024-06-01T09:00:00Z"):
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time(now))


@pytest.mark.parametrize(
    ("system", "code"),
    [(CPT, "20982"), (CPT, "20983"), (ICD10PCS, "0P543ZZ"), (ICD10PCS, "0Q503Z3")],
    ids=["rfa", "cryoablation", "pcs thoracic", "pcs lumbar litt"],
)
def test_an_ablation_at_a_level_is_a_treatment_that_neither_stabilises_nor_decompresses(
    system, code
):
    ablation = procedure("rfa", code, "T12", when="2024-05-31T10:00:00Z")
    ablation["code"]["coding"][0]["system"] = system
    result = _scored(ablation)
    [done] = result.assessment.treatments
    assert done.kinds == frozenset({"ablation"}) and done.levels == ("T12",)
    assert done.name == "ablation" and not done.stabilises
    # SINS at T12 is scored as before (10), not shown as before a treatment.
    [level] = sins_decision(result).levels
    assert level.state != "after-treatment" and level.level.result.total.low == 10


def test_a_bilsky_grade_before_an_ablation_still_stands():
    grade = finding("b3", "epidural-spinal-cord-compression", "bilsky-3", level="T12",
                    when="2024-05-30T09:00:00Z")  # fmt: skip
    result = _scored(grade, procedure("rfa", "20982", "T12", when="2024-05-31T10:00:00Z"))
    from adapter.decision import decide

    neurology = decide(result).neurology
    assert neurology is not None and neurology.critical
    assert "Bilsky 2–3 at T12" in neurology.headline


def test_an_ablation_after_the_index_procedure_is_named_beside_the_windows_it_precedes():
    # Vertebroplasty at T12 on 22 May 2024; RFA at T12 on 1 Aug, in the 3-month window
    # (21 Jul–19 Sep).
    result = _scored(
        procedure("vp", "22511", "T12"),
        procedure("rfa", "20982", "T12", when="2024-08-01T10:00:00Z"),
        now="2024-11-01T09:00:00Z",
    )
    view = outcome_view(result)
    assert view is not None
    three = next(p for p in view.points if p.time_point == "3mo")
    assert "ablation at T12 on 1 Aug 2024" in three.beside
    six = next(p for p in view.points if p.time_point == "6mo")
    assert "after ablation at T12 on 1 Aug 2024" in six.beside


def test_an_ablation_is_never_an_index_procedure():
    result = _scored(procedure("rfa", "20982", "T12", when="2024-05-22T10:00:00Z"))
    assert outcome_view(result) is None
