"""One patient's input → the cohort record: the outcome record plus the scores at the index date.

The scores at the index date are computed as of the start of the index event: inputs with a
clinical time after it are left out, exactly as ``--now`` would leave them out (contract §2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.extract import PatientAssessment, extract_patient
from adapter.mapping.followup import extract_follow_up, index_event
from adapter.mapping.more import more_results
from adapter.mapping.outcomes import PatientOutcome, ScoreAtIndex
from adapter.mapping.terminology import Terminology
from adapter.pipeline import primary_sites
from adapter.scoring import ScoreResult, score_sins, score_tokuhashi_revised, score_tomita

__all__ = ["CohortInput", "cohort_records", "scores_at_index"]


@dataclasses.dataclass(slots=True)
class CohortInput:
    """The cohort's patients and what was reported on the way."""

    outcomes: list[PatientOutcome] = dataclasses.field(default_factory=list)
    issues: list[str] = dataclasses.field(default_factory=list)


def _worst(results: Iterable[ScoreResult]) -> ScoreResult | None:
    ordered = sorted(results, key=lambda r: (r.total.high, r.total.low), reverse=True)
    return ordered[0] if ordered else None


def scores_at_index(assessment: PatientAssessment) -> tuple[ScoreAtIndex, ...]:
    """Worst-level SINS, Tomita, revised Tokuhashi and the v3 tools' totals (low, high)."""
    results: list[tuple[str, ScoreResult | None]] = [
        ("sins", _worst(score_sins(level.inputs) for level in assessment.levels)),
        ("tomita", score_tomita(assessment.tomita)),
        ("tokuhashi-revised", score_tokuhashi_revised(assessment.tokuhashi)),
    ]
    results += [(r.code, r) for r in more_results(assessment.more, {})[0]]
    return tuple(
        ScoreAtIndex(code, result.total.low, result.total.high)
        for code, result in results
        if result is not None
    )


def cohort_records(
    patients: Iterable[PatientData], term: Terminology, *, now: ClinicalTime
) -> CohortInput:
    """Every patient with an index procedure; the others are listed in the issues."""
    found = CohortInput()
    seen: set[str] = set()
    for data in patients:
        if data.patient in seen:
            found.issues.append(f"Patient/{data.patient}: given twice; the first one is used.")
            continue
        seen.add(data.patient)
        event = index_event(term, data.procedures, now)
        if not event:
            found.issues.append(f"Patient/{data.patient}: no index procedure; left out.")
            continue
        start = min(p.time for p in event if p.time is not None)
        # The scores at the index date: computed as of the start of the index procedure.
        assessment = extract_patient(data, term, now=start)
        follow = extract_follow_up(data, term, now=now, primary_sites=primary_sites(assessment))
        assert follow.outcome is not None  # the same index event was found above
        found.outcomes.append(
            dataclasses.replace(follow.outcome, scores=scores_at_index(assessment))
        )
        found.issues += [_line(data.patient, i) for i in follow.issues]
    return found


def _line(patient: str, issue: Issue) -> str:
    text = issue.diagnostics
    return text if text.startswith("Patient/") else f"Patient/{patient}: {text}"
