"""What extraction hands to the scores: every input of one patient, with its basis."""

from __future__ import annotations

from dataclasses import dataclass

from adapter.fhir.read.issues import Issue
from adapter.mapping.evidence import Basis
from adapter.scoring import (
    SinsInput,
    TokuhashiInput,
    TomitaInput,
)

__all__ = ["LevelAssessment", "PatientAssessment"]


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    level: str
    inputs: SinsInput
    basis: dict[str, Basis]


@dataclass(frozen=True, slots=True)
class PatientAssessment:
    """Every score input of one patient, with what each was derived from."""

    patient: str
    levels: tuple[LevelAssessment, ...]
    unscored: tuple[tuple[str, str], ...]
    tomita: TomitaInput
    tokuhashi: TokuhashiInput
    basis: dict[str, Basis]
    issues: tuple[Issue, ...]
