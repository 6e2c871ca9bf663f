"""The cohort's scores at the index date are the pipeline's: one extraction, one set of rules,
one worst-level choice (docs/scores.md: the highest certain total, then the highest possible)."""

from __future__ import annotations

from pathlib import Path

from adapter.cohort.records import cohort_records
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import parse_time
from adapter.mapping.followup import index_procedures
from adapter.mapping.terminology import default_terminology
from adapter.outcomes import ScoreAtIndex
from adapter.pipeline import Scoring, read_patients, score_patient

ROOT = Path(__file__).resolve().parents[3]
TERM = default_terminology()
_NOW = parse_time("2026-11-26T00:00:00Z")
assert _NOW is not None
NOW = _NOW


def _patients(name: str) -> list[PatientData]:
    return list(read_patients(str(ROOT / "fixtures" / "v3" / f"{name}.json"), []))


def test_a_certain_total_stands_before_an_unassessed_range() -> None:
    (data,) = _patients("v3-b6-worst-untreated-level")
    event = index_procedures(data, TERM, NOW).procedures
    start = min(p.time for p in event if p.time is not None)
    at_index = score_patient(data, TERM, now=start)
    totals = {lv.level: (lv.result.total.low, lv.result.total.high) for lv in at_index.levels}
    assert totals == {"T12": (10, 10), "L2": (2, 17)}  # the range reaches higher, is not certain

    (outcome,) = cohort_records([data], TERM, now=NOW).outcomes
    assert outcome.score("sins") == ScoreAtIndex("sins", 10, 10)
    assert [s.code for s in outcome.scores] == [
        "sins",
        "tomita",
        "tokuhashi-revised",
        "bauer-original",
        "bauer-modified",
        "nesms",
        "van-der-linden",
    ]


def test_the_original_tokuhashi_score_stays_out_of_the_cohort_tables() -> None:
    (data,) = _patients("v3-b6-worst-untreated-level")
    plain = cohort_records([data], TERM, now=NOW).outcomes
    with_original = cohort_records([data], TERM, now=NOW, scoring=Scoring(original=True)).outcomes
    assert plain == with_original


def test_a_primary_coded_after_the_index_date_is_still_the_patients_primary() -> None:
    # Contract §6: primary_sites is "unknown when no primary is coded"; only the scores are taken
    # at the index date. A lung primary confirmed from the vertebroplasty biopsy ten days later
    # is the patient's primary.
    from adapter.cohort.summary import cohort_summary
    from adapter.pipeline import patient_records
    from tests.support import records as r

    def cohort(primary: dict) -> dict:
        resources = [
            r.patient(),
            primary,
            r.condition("met", "C79.51", level="T12", onset="2024-01-01"),
            r.procedure("vp", "22511", "T12", when="2024-01-10T10:00:00Z"),
        ]
        data = patient_records(resources, r.P)
        assert data is not None
        found = cohort_records([data], TERM, now=NOW)
        return cohort_summary(found.outcomes, found.issues)

    late = cohort(r.condition("primary", "C34.90", onset="2024-01-20"))
    assert late["primary_sites"] == {"lung": 1}
    before = cohort(r.condition("primary", "C34.90", onset="2023-12-01"))
    assert before["primary_sites"] == {"lung": 1}
    # The scores stay those at the index date: no primary was coded then.
    (outcome,) = cohort_records(
        [patient_records([r.patient(), r.condition("primary", "C34.90", onset="2024-01-20"),
                          r.condition("met", "C79.51", level="T12", onset="2024-01-01"),
                          r.procedure("vp", "22511", "T12", when="2024-01-10T10:00:00Z")], r.P)],
        TERM, now=NOW,
    ).outcomes  # fmt: skip
    tomita = outcome.score("tomita")
    assert tomita is not None and not tomita.certain
