"""The per-patient outcome summary Observation (contract §6): pain and Barthel before and after
the index procedure, with the change from baseline, written back like the scores."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.build import latest_time, reference_to, series_value
from adapter.fhir.write.built import Built, full_url
from adapter.fhir.write.narrative import with_narrative
from adapter.outcomes import MEASURES, TIME_POINTS, PatientOutcome, Trajectory
from adapter.vocabulary.outcomes import OUTCOME, OUTCOME_COMPONENTS
from adapter.vocabulary.systems import (
    ASSESSMENT_SID,
    DATA_ABSENT_REASON,
    OBSERVATION_CATEGORY,
    SCORE,
    SERIES_SID,
)

__all__ = ["OUTCOME_CODE", "build_outcome_observation", "outcome_component_codes"]

OUTCOME_CODE = OUTCOME.code
_DISPLAY = {c.code: c.display for c in (OUTCOME, *OUTCOME_COMPONENTS)}


def outcome_component_codes() -> list[str]:
    """``pain-baseline``, ``pain-7d`` … ``pain-6mo-change``, then the same for ``barthel-``."""
    codes = []
    for measure in MEASURES:
        codes += [f"{measure}-{tp}" for tp in TIME_POINTS]
        codes += [f"{measure}-{tp}-change" for tp in TIME_POINTS[1:]]
    return codes


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _component(code: str, value: float | None) -> dict[str, Any]:
    coding = {"system": SCORE, "code": code, "display": _DISPLAY[code]}
    out: dict[str, Any] = {"code": {"coding": [coding]}}
    if value is None:
        out["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "unknown", "display": "Unknown"}]
        }
    else:
        out["valueQuantity"] = {"value": _number(value), "unit": "points"}
    return out


def _values(trajectory: Trajectory, measure: str) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = [
        (f"{measure}-{tp}", trajectory.value(tp)) for tp in TIME_POINTS
    ]
    out += [(f"{measure}-{tp}-change", trajectory.change(tp)) for tp in TIME_POINTS[1:]]
    return out


def build_outcome_observation(
    outcome: PatientOutcome,
    *,
    evidence: Sequence[Evidence],
    now: ClinicalTime,
) -> Built:
    """The outcome Observation: a value per time point, or dataAbsentReason when it is empty."""
    values = [v for m in MEASURES for v in _values(outcome.trajectory(m), m)]
    chosen = [p for m in MEASURES for p in outcome.trajectory(m).points if p is not None]
    content = {
        "patient": outcome.patient,
        "procedures": list(outcome.procedures),
        "measurements": sorted([p.source or "", p.text, p.value] for p in chosen),
        "values": values,
    }
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    identifier = f"{OUTCOME_CODE}-{digest[:32]}"
    sources = sorted({p.source for p in chosen if p.source})
    timed = [e for e in evidence if e.ref.reference in set(sources) | set(outcome.procedures)]
    code = {"system": SCORE, "code": OUTCOME_CODE, "display": OUTCOME.display}
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [
            {"system": ASSESSMENT_SID, "value": identifier},
            {
                "system": SERIES_SID,
                "value": series_value("Observation", outcome.patient, OUTCOME_CODE, None),
            },
        ],
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": [code], "text": "Pain and Barthel Index after the index procedure"},
        "subject": reference_to(outcome.patient),
        "focus": [{"reference": ref} for ref in outcome.procedures],
        "effectiveDateTime": latest_time(timed, now).text,
    }
    conflicts = [f"{m} {tp}" for m in MEASURES for tp in outcome.trajectory(m).conflicts]
    if conflicts:
        obs["note"] = [{"text": f"Left empty, equal candidates disagree: {', '.join(conflicts)}."}]
    if sources:
        obs["derivedFrom"] = [{"reference": ref} for ref in sources]
    obs["component"] = [_component(c, v) for c, v in values]
    shown = "; ".join(f"{_DISPLAY[c]} {'—' if v is None else _number(v)}" for c, v in values)
    lines = [f"{code['display']}: {shown or 'no measurement yet'}"]
    return Built(with_narrative(obs, lines), full_url("Observation", identifier))
