"""Inputs of the procedure check that are not score inputs: cord compression and fractures.

The case series of percutaneous pedicle screw fixation with vertebroplasty selected patients
with a pathological fracture from metastasis and excluded those whose epidural disease needed
decompression. Two records speak to that beyond the scores: the Bilsky epidural spinal cord
compression grade (finding ``epidural-spinal-cord-compression``, Bilsky et al., J Neurosurg Spine
2010) and a Condition coded as a pathological fracture in neoplastic disease of the vertebrae
(ValueSet ``neoplastic-vertebral-fracture``, ICD-10-CM M84.58). The same currency rules as the
score inputs apply (contract §2), and the latest grade wins as for every finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from adapter.fhir.read.records import ConditionRecord, ObservationRecord
from adapter.mapping.evidence import Evidence
from adapter.mapping.findings import FINDING, Chosen, choose_latest
from adapter.mapping.observations import CURRENT_OBSERVATION
from adapter.mapping.staging import is_current_condition
from adapter.mapping.terminology import Terminology

__all__ = ["ESCC_FINDING", "Bilsky", "high_grade", "latest_escc", "neoplastic_fractures"]

ESCC_FINDING = "epidural-spinal-cord-compression"
# Contract §2: only these statuses are current (the same sets as the score extraction uses).


class Bilsky(Enum):
    """Epidural spinal cord compression grade (Bilsky et al. 2010)."""

    G0 = "bilsky-0"
    G1A = "bilsky-1a"
    G1B = "bilsky-1b"
    G1C = "bilsky-1c"
    G2 = "bilsky-2"
    G3 = "bilsky-3"


def high_grade(grade: Bilsky) -> bool:
    """Grades 2 and 3 compress the cord: high-grade compression, the decompression candidates."""
    return grade in (Bilsky.G2, Bilsky.G3)


def _grade(obs: ObservationRecord) -> Bilsky | None:
    if obs.status not in CURRENT_OBSERVATION:
        return None
    if not any(c.system == FINDING and c.code == ESCC_FINDING for c in obs.codes):
        return None
    for coding in obs.value_codes:
        if coding.system in (FINDING, None):
            try:
                return Bilsky(coding.code.lower())
            except ValueError:
                continue
    return None


def latest_escc(observations: Iterable[ObservationRecord]) -> Chosen[Bilsky] | None:
    """The latest Bilsky grade(s) of a patient, at any level; None when none is recorded.

    Findings with an answer that is not a Bilsky grade are ignored here (the score extraction
    does not read this finding, so nothing else would report them either).
    """
    graded = [(obs, grade) for obs in observations if (grade := _grade(obs)) is not None]
    return choose_latest(graded, "Bilsky ESCC grade", lambda g: g.value)


def neoplastic_fractures(
    conditions: Iterable[ConditionRecord], term: Terminology
) -> tuple[Evidence, ...]:
    """Evidence of current Conditions coded as a pathological vertebral fracture in neoplasm."""
    found = []
    for cond in conditions:
        if not is_current_condition(cond):
            continue
        for coding in cond.codes:
            if term.in_value_set("neoplastic-vertebral-fracture", coding.system, coding.code):
                summary = f"pathological fracture in neoplastic disease ({coding.code})"
                found.append(Evidence(cond.ref, cond.time, summary))
                break
    return tuple(found)
