"""The cohort's patients: each one's outcome record from the pipeline, once per patient.

The scores at the index date are the pipeline's (:func:`adapter.pipeline.index_outcome`): the
same extraction, rules and worst-level choice as every other surface.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.followup import index_procedures
from adapter.mapping.terminology import Terminology
from adapter.outcomes import PatientOutcome
from adapter.pipeline import DEFAULT_SCORING, Scoring, index_outcome

__all__ = ["CohortInput", "cohort_records"]


@dataclasses.dataclass(slots=True)
class CohortInput:
    """The cohort's patients and what was reported on the way."""

    outcomes: list[PatientOutcome] = dataclasses.field(default_factory=list)
    issues: list[str] = dataclasses.field(default_factory=list)


def cohort_records(
    patients: Iterable[PatientData],
    term: Terminology,
    *,
    now: ClinicalTime,
    scoring: Scoring = DEFAULT_SCORING,
) -> CohortInput:
    """Every patient with an index procedure; the others are listed in the issues."""
    found = CohortInput()
    seen: set[str] = set()
    for data in patients:
        if data.patient in seen:
            found.issues.append(f"Patient/{data.patient}: given twice; the first one is used.")
            continue
        seen.add(data.patient)
        # Copies of one resource that differ across the inputs (source.merged_patients): which
        # holds decides the figures, so the cohort says so.
        found.issues += [_line(data.patient, i) for i in data.issues if i.code == "duplicate"]
        record = index_outcome(data, term, now=now, scoring=scoring)
        if record is None:
            found.issues.append(f"Patient/{data.patient}: no index procedure; left out.")
            # Why, when a procedure was there but cannot be placed (dated by its month alone).
            unplaced = index_procedures(data, term, now).issues
            found.issues += [_line(data.patient, i) for i in unplaced]
            continue
        outcome, issues = record
        found.outcomes.append(outcome)
        found.issues += [_line(data.patient, i) for i in issues]
    return found


def _line(patient: str, issue: Issue) -> str:
    text = issue.diagnostics
    return text if text.startswith("Patient/") else f"Patient/{patient}: {text}"
