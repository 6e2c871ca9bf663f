"""One patient's cohort record: the outcome after the index procedure, with the scores as they
stood at its start (contract §6); the primary tumour is the record's.

The scores at the index date are the pipeline's own scores computed as of the start of the index
event: inputs with a clinical time after it are left out, exactly as ``--now`` would leave them
out (contract §2), and the worst level is chosen as everywhere else.
"""

from __future__ import annotations

import dataclasses

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.extract import extract_patient
from adapter.mapping.followup import extract_follow_up, index_procedures
from adapter.mapping.terminology import Terminology
from adapter.outcomes import PatientOutcome, ScoreAtIndex
from adapter.pipeline.results import DEFAULT_SCORING, PatientResult, Scoring
from adapter.pipeline.score import primary_sites, score_patient
from adapter.vocabulary import TOKUHASHI_ORIGINAL

__all__ = ["index_outcome", "scores_at_index"]

_ORIGINAL = TOKUHASHI_ORIGINAL.code


def scores_at_index(result: PatientResult) -> tuple[ScoreAtIndex, ...]:
    """Worst-level SINS, Tomita, revised Tokuhashi and the v3 tools' totals (low, high)."""
    chosen = [("sins", lv.result) for lv in result.worst[:1]]
    # The cohort tables report the revised Tokuhashi score only, whatever the deployment writes.
    chosen += [(s.result.code, s.result) for s in result.scores if s.result.code != _ORIGINAL]
    return tuple(ScoreAtIndex(code, r.total.low, r.total.high) for code, r in chosen)


def index_outcome(
    data: PatientData,
    term: Terminology,
    *,
    now: ClinicalTime,
    scoring: Scoring = DEFAULT_SCORING,
) -> tuple[PatientOutcome, tuple[Issue, ...]] | None:
    """The outcome record and its issues; None when the patient has no index procedure."""
    event = index_procedures(data, term, now).procedures
    if not event:
        return None
    start = min(p.time for p in event if p.time is not None)
    at_index = score_patient(data, term, now=start, scoring=scoring)
    # The primary is the record's at the computation time (contract §6: "unknown when no primary
    # is coded"); only the scores are taken at the index date, so a primary diagnosed from the
    # procedure's biopsy still counts.
    on_record = extract_patient(data, term, now=now, rules=scoring.rules)
    follow = extract_follow_up(
        data,
        term,
        now=now,
        primary_sites=primary_sites(on_record),
        rules=scoring.rules,
    )
    assert follow.outcome is not None  # the same index event was found above
    outcome = dataclasses.replace(follow.outcome, scores=scores_at_index(at_index))
    return outcome, follow.issues
