"""FHIR in → extract → score → build: the one path from a patient's resources to results.

Every surface (the command line, the CDS service, sync, batch, notifications, the cohort report)
turns resources into a patient's records and results here, with the same Observation screen, the
same rules, the same worst-level choice and the same firm total. ``results`` holds what is handed
on, ``score`` one patient at one time, ``index`` the cohort's record after an index procedure.
"""

from __future__ import annotations

from adapter.pipeline.index import index_outcome, scores_at_index
from adapter.pipeline.results import (
    DEFAULT_SCORING,
    NO_SCORE_BECAUSE,
    NOT_METASTATIC,
    RECORDED_UNSTABLE,
    SETTLE_CONFLICTING,
    LevelResult,
    PatientResult,
    ScoreOutput,
    Scoring,
    Settling,
    Verdict,
    before_screws,
    cement_settles,
    conflict_values,
    conflicts_with_cement,
    firm_total,
    in_conflict,
    listed_first,
    mechanical_now,
    possibly_unsafe_after,
    possibly_unsafe_unordered,
    recorded_unstable,
    settling_of,
    to_settle,
    unstable_before_earlier,
    unstable_reason,
    unstable_unless_before,
    worst_levels,
)
from adapter.pipeline.score import (
    now_time,
    patient_records,
    primary_sites,
    read_patients,
    score_patient,
)

__all__ = [
    "DEFAULT_SCORING",
    "NOT_METASTATIC",
    "NO_SCORE_BECAUSE",
    "RECORDED_UNSTABLE",
    "SETTLE_CONFLICTING",
    "LevelResult",
    "PatientResult",
    "ScoreOutput",
    "Scoring",
    "Settling",
    "Verdict",
    "before_screws",
    "cement_settles",
    "conflict_values",
    "conflicts_with_cement",
    "firm_total",
    "in_conflict",
    "index_outcome",
    "listed_first",
    "mechanical_now",
    "now_time",
    "patient_records",
    "possibly_unsafe_after",
    "possibly_unsafe_unordered",
    "primary_sites",
    "read_patients",
    "recorded_unstable",
    "score_patient",
    "scores_at_index",
    "settling_of",
    "to_settle",
    "unstable_before_earlier",
    "unstable_reason",
    "unstable_unless_before",
    "worst_levels",
]
