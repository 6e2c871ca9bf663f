"""What extraction hands to the scores and the checks: every input of one patient and its basis."""

from __future__ import annotations

from dataclasses import dataclass

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import PatientRecord
from adapter.mapping.findings import Chosen
from adapter.mapping.more import MoreInputs
from adapter.mapping.safety import Safety
from adapter.mapping.sins import LevelAssessment
from adapter.mapping.treatments import Treatment
from adapter.scoring import TokuhashiInput, TomitaInput

__all__ = ["LevelAssessment", "PatientAssessment"]


@dataclass(frozen=True, slots=True)
class PatientAssessment:
    """Every score input of one patient, with what each was derived from.

    ``deceased`` is how the record says the patient had died by the computation time (None
    when it does not). ``albumin`` is the latest serum albumin in g/L (contract §1 v3), for the
    prognosis tools that use it; None when none was recorded.
    """

    patient: str
    record: PatientRecord | None
    deceased: str | None
    levels: tuple[LevelAssessment, ...]
    unscored: tuple[tuple[str, str], ...]
    tomita: TomitaInput
    tokuhashi: TokuhashiInput
    basis: dict[str, Basis]
    safety: Safety
    issues: tuple[Issue, ...]
    # Completed spinal treatments, oldest first (contract §5 v3, §6 v3).
    treatments: tuple[Treatment, ...] = ()
    # Radiotherapy courses and fixations in progress, oldest first: a course is named beside an
    # order at its level, screws going in make cement there not cement alone; nothing else.
    under_way: tuple[Treatment, ...] = ()
    albumin: Chosen[float] | None = None
    # The inputs of Bauer, NESMS, van der Linden and NOMS (contract §1 v3).
    more: MoreInputs | None = None
    # A current myeloma, plasmacytoma, lymphoma or leukaemia (contract §4 v3): the prognosis
    # tools were not validated for it.
    haematological: bool = False
    # A bone metastasis (or a marrow primary at a vertebral level) that counts (contract §2):
    # without one there is nothing these scores are about; sync writes nothing then.
    bone_lesions: bool = False
    # Findings at a level where no metastasis is recorded, not used to score a level: (level,
    # finding code, finding).
    stray: tuple[tuple[str, str, Evidence], ...] = ()
    # Neoplasm Conditions at a vertebra that no map places ("Secondary malignant neoplastic
    # disease at L2"): named on the patient-view even when no score is computed (§2 v3).
    unread: tuple[str, ...] = ()
    # The levels where a bone metastasis recorded without a level may be: a finding there places
    # it (contract §2), so a form offers them to be recorded at; () when every one has its level.
    open_levels: tuple[str, ...] = ()
