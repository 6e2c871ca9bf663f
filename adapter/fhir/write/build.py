"""Output resources (contract §3): score Observations, RiskAssessments and one Provenance.

Resources are built as plain JSON-shaped dicts (fast, and exactly the R4 wire format) and checked
with the ``fhir.resources.R4B`` models by :func:`validate_r4`. Identifiers and fullUrls are derived
from the patient, the score, the level and the content of the inputs, so the same inputs always
give the same resources.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from adapter.fhir.read.evidence import DATED_INPUT, Basis, Evidence
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.built import Built, full_url
from adapter.fhir.write.narrative import score_headline, score_lines, with_narrative
from adapter.scoring import ComponentScore, ScoreResult, Span
from adapter.vocabulary.scores.sins import beside_signs, beside_verdict
from adapter.vocabulary.systems import (
    ASSESSMENT_SID,
    CATEGORY,
    DATA_ABSENT_REASON,
    OBSERVATION_CATEGORY,
    PROVENANCE_PARTICIPANT,
    SCORE,
    SERIES_SID,
    SNOMED,
    SOFTWARE_SID,
    VERTEBRA,
)

__all__ = [
    "LevelSite",
    "build_provenance",
    "build_risk_assessment",
    "build_score_observation",
    "provenance_narrative",
    "reference_to",
    "series_value",
]


@dataclass(frozen=True, slots=True)
class LevelSite:
    """The spinal level an output is about: vertebra code, its display, SNOMED CT where known."""

    code: str
    display: str | None
    snomed: str | None


def reference_to(patient: str) -> dict[str, str]:
    return {"reference": patient if patient.startswith("urn:") else f"Patient/{patient}"}


def _coding(system: str, code: str, display: str | None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _quantity(value: int) -> dict[str, Any]:
    # A plain count of points: a UCUM annotation code ({score}) only draws validator warnings.
    return {"value": value, "unit": "points"}


def _value(span: Span, prefix: str = "value") -> dict[str, Any]:
    if span.certain:
        return {f"{prefix}Integer": span.low}
    return {f"{prefix}Range": {"low": _quantity(span.low), "high": _quantity(span.high)}}


# Built once, shared by every output: never changed in place (test_shared_output_parts.py).
_SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]
_UNKNOWN = {"coding": [{"system": DATA_ABSENT_REASON, "code": "unknown", "display": "Unknown"}]}


def _component(score: ComponentScore) -> dict[str, Any]:
    points = score.points
    return _component_of(score.spec.code, score.spec.display, score.known, points.low, points.high)


@functools.lru_cache(maxsize=4096)  # a few hundred keys: components × their possible spans
def _component_of(code: str, display: str, known: bool, low: int, high: int) -> dict[str, Any]:
    out: dict[str, Any] = {"code": {"coding": [_coding(SCORE, code, display)]}}
    if not known:
        out["dataAbsentReason"] = _UNKNOWN
    else:
        out |= _value(Span(low, high))
    return out


def evidence_of(bases: Iterable[Basis]) -> list[Evidence]:
    """Distinct evidence, sorted: the same resources in any input order give the same output."""
    seen: dict[tuple[str, str], Evidence] = {}
    for basis in bases:
        for ev in basis.evidence:
            seen.setdefault((ev.ref.resource_type, ev.ref.reference or ""), ev)
    return [seen[key] for key in sorted(seen)]


def latest_time(evidence: Iterable[Evidence], now: ClinicalTime) -> ClinicalTime:
    """The latest clinical time among the inputs; the computation time only if none has one."""
    times = [ev.time for ev in evidence if ev.time is not None]
    return max(times) if times else now


def identifier_value(
    patient: str,
    result: ScoreResult,
    level: str | None,
    evidence: Sequence[Evidence],
    deceased: str | None = None,
    caveats: Sequence[str] = (),
) -> str:
    """Deterministic: patient, score, level, the inputs' content, the result and the caveats
    that travel with it (a later preliminary report, a conflict): a result that says more is
    another, which sync then writes. A dated input counts as dated, never by its day count,
    so the result changes once when the input crosses its window, not every day."""
    content: dict[str, Any] = {
        "patient": patient,
        "score": result.code,
        "level": level,
        "inputs": sorted(
            [ev.ref.reference or "", ev.time.text if ev.time else "", ev.summary] for ev in evidence
        ),
        "components": [[c.code, c.points.low, c.points.high, c.known] for c in result.components],
    }
    said = sorted({c for c in caveats if not c.startswith(DATED_INPUT)})
    dated = sorted({ev.ref.reference or "" for ev in evidence if ev.dated})
    if said or dated:  # absent when none: results without any keep the identifiers they had
        content["caveats"], content["dated"] = said, dated
    if deceased is not None:
        # The death is an input: a new result, whose RiskAssessment carries no recommendation
        # (absent for the living, so their results keep the values they always had).
        content["deceased"] = deceased
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return "-".join(filter(None, [result.code, level, digest[:32]]))


def series_value(resource_type: str, patient: str, score: str, level: str | None) -> str:
    """Stable across results: the one current resource of a patient's score at a level.

    A newer result of the same series replaces the older one on the FHIR server (a new version
    of the same resource), so that exactly one looks current; ``identifier_value`` tells results
    apart. docs/sync.md says why.
    """
    key = orjson.dumps([resource_type, patient, score, level])
    return "-".join(filter(None, [score, level, hashlib.sha256(key).hexdigest()[:32]]))


def _identifiers(
    resource_type: str, patient: str, score: str, level: str | None, value: str
) -> list[dict[str, str]]:
    return [
        {"system": ASSESSMENT_SID, "value": value},
        {"system": SERIES_SID, "value": series_value(resource_type, patient, score, level)},
    ]


def _refs(
    evidence: Iterable[Evidence], types: tuple[str, ...] | None = None
) -> list[dict[str, str]]:
    out = []
    for ev in evidence:
        if ev.ref.reference and (types is None or ev.ref.resource_type in types):
            out.append({"reference": ev.ref.reference})
    return out


def build_score_observation(
    *,
    patient: str,
    result: ScoreResult,
    bases: Mapping[str, Basis],
    level: LevelSite | None,
    now: ClinicalTime,
    deceased: str | None = None,
) -> Built:
    """The score's Observation: total or range, band, components, inputs (contract §3)."""
    evidence = evidence_of(bases.values())
    notes = [caveat for basis in bases.values() for caveat in basis.caveats]
    where = level.code if level else None
    value = identifier_value(patient, result, where, evidence, deceased, notes)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": _identifiers(
            "Observation", patient, result.code, level.code if level else None, value
        ),
        "status": "final",
        "category": _SURVEY,
        "code": {"coding": [_coding(SCORE, result.code, result.spec.display)]},
        "subject": reference_to(patient),
        "effectiveDateTime": latest_time(evidence, now).text,
        **_value(result.total),
    }
    if result.band is not None:
        band = result.band
        obs["interpretation"] = [{"coding": [_coding(CATEGORY, band.code, band.display)]}]
    if notes:
        obs["note"] = [{"text": note} for note in dict.fromkeys(notes)]
    method = result.spec.method
    obs["method"] = {"coding": [_coding(SCORE, method.code, method.display)], "text": method.code}
    if level is not None:
        codings = [_coding(VERTEBRA, level.code, level.display)]
        if level.snomed:
            codings.append({"system": SNOMED, "code": level.snomed})
        obs["bodySite"] = {"coding": codings, "text": level.code}
    derived = _refs(evidence, ("Observation",))
    if derived:
        obs["derivedFrom"] = derived
    obs["component"] = [_component(c) for c in result.components]
    lines = score_lines(result, level.code if level else None)
    return Built(with_narrative(obs, lines), full_url("Observation", value))


def _prediction(
    result: ScoreResult, where: str = "", pending: str = "missing"
) -> tuple[dict[str, Any], str]:
    """The prediction (the band as qualitativeRisk) and the band's recommendation in words;
    ``where``: " at T12 (findings before its treatment)" when the words must say it; ``pending``
    what a range depends on ("missing", "uncertain", "missing or uncertain" inputs)."""
    if result.band is not None:
        band = result.band
        prediction = {
            "qualitativeRisk": {"coding": [_coding(CATEGORY, band.code, band.display)]},
            "rationale": f"{result.code} total {result.total}{where}: {band.label}.",
        }
        return prediction, band.wording
    if result.unlabelled is not None:  # no band is given for this total, whatever its range
        return {"rationale": f"{result.code} total {result.total}{where}: {result.unlabelled}"}, (
            result.unlabelled
        )
    labels = ", ".join(b.label for b in result.possible_bands)
    prediction = {
        "rationale": f"{result.code} total {result.total}{where} spans bands ({labels}): "
        "no category until the missing or conflicting inputs are settled."
    }
    mitigation = " / ".join(b.wording for b in result.possible_bands)
    return prediction, f"Not settled; depending on the {pending} inputs: {mitigation}"


def build_risk_assessment(
    *,
    patient: str,
    result: ScoreResult,
    observations: Sequence[Built],
    evidence: Sequence[Evidence],
    identifier: str,
    deceased: str | None = None,
    unsettled: Sequence[str] = (),
    settled: str | None = None,
    described: str | None = None,
    verdicts: str | None = None,
    fixed: str | None = None,
    others: str | None = None,
    signs: Sequence[str] = (),
    verdicts_elsewhere: bool = False,
    pending: str = "missing",
) -> Built:
    """The RiskAssessment of a score: basis, category as qualitativeRisk, band recommendation.
    ``deceased`` (the note that the record says the patient has died) replaces the
    recommendation: a deceased patient gets none (contract §4 v3). ``unsettled`` names what may
    be worse than the result described (another SINS level's range): then no category is
    settled for the patient, and the recommendation says why (contract §3); ``settled`` is what
    holds whatever they turn out to be ("Surgical consultation recommended (L2 SINS 7)");
    ``described`` names the level the result is of when that is not all the words need to say
    ("T12 (findings before its treatment)"); ``verdicts`` the recorded verdicts of instability
    a SINS total does not override ("recorded unstable at T12 on 30 May 2024"): said first;
    ``fixed`` why the level described, fixed with screws, has no recommendation of its band
    ("T12 was fixed with screws on 20 May 2024: SINS is not applicable …"): said in its place,
    after ``others``, what the levels not fixed recommend ("At L3: …"; ``verdicts_elsewhere``
    when no verdict is at those levels: theirs is not set against it); ``signs`` the signs of
    instability its total does not show ("Mechanical pain at L3 is …"), said last, beside which
    the band's words never say "no surgical consultation needed"; ``pending`` what a range
    depends on, in a word (adapter/pipeline/results.py ``pending_inputs``)."""
    coding = _coding(SCORE, result.code, result.spec.display)
    where = f" at {described}" if described else ""
    prediction, mitigation = _prediction(result, where, pending)
    if described is not None:  # its findings are from before its treatment: said first
        mitigation = f"At {described}: {mitigation}"
    headline = score_headline(result, described)
    if unsettled:
        described = described or "the level described"
        # Unsettled, the band of the level described is no category for the patient: not shown.
        headline = (
            f"{result.spec.display} at {described}: {result.total} (not settled for the patient)"
        )
        said = "; ".join(unsettled)
        prediction = {
            "rationale": f"{result.code} total {result.total} at {described}; not "
            f"settled for the patient: {said}."
        }
        mitigation = f"Not settled for the patient: {said}."
        if settled is not None:
            mitigation = f"{settled}; not settled for the patient: {said}."
    if fixed is not None:
        rationale = prediction["rationale"].removesuffix(".")
        prediction = {**prediction, "rationale": f"{rationale}; {fixed}."}
        mitigation = f"{others} {fixed}." if others else f"{fixed}."
    if verdicts is not None:
        rationale = prediction["rationale"].removesuffix(".")
        prediction = {**prediction, "rationale": f"{rationale}; {verdicts}."}
        said = verdicts[:1].upper() + verdicts[1:]
        mitigation = beside_verdict(mitigation, said, own=not verdicts_elsewhere)
    if signs:
        mitigation = beside_signs(mitigation, signs)
    if deceased is not None:
        # The band's label may itself be a strategy ("terminal care"): the total only.
        prediction = {**prediction, "rationale": f"{result.code} total {result.total}."}
    ra: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "identifier": _identifiers("RiskAssessment", patient, result.code, None, identifier),
        "status": "final",
        "method": {"coding": [coding]},
        "code": {"coding": [coding]},
        "subject": reference_to(patient),
        # The contract: the Observation's effective time (the first is the worst SINS level).
        "occurrenceDateTime": observations[0].resource["effectiveDateTime"],
        "basis": [{"reference": o.full_url} for o in observations] + _refs(evidence),
        "prediction": [prediction],
    }
    if deceased is None:
        ra["mitigation"] = mitigation
    else:
        ra["note"] = [{"text": deceased}]
    lines = [headline, mitigation if deceased is None else deceased]
    return Built(with_narrative(ra, lines), full_url("RiskAssessment", identifier))


def build_provenance(
    *,
    targets: Sequence[Built],
    evidence: Sequence[Evidence],
    now: ClinicalTime,
    version: str,
) -> Built:
    """One Provenance for a patient's computation: what was written, from which inputs, by whom."""
    key = "|".join(t.full_url for t in targets)
    prov: dict[str, Any] = {
        "resourceType": "Provenance",
        "target": [{"reference": t.full_url} for t in targets],
        "recorded": now.text,
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_PARTICIPANT, "code": "assembler"}]},
                "who": {
                    "identifier": {"system": SOFTWARE_SID, "value": "spinemets"},
                    "display": f"spinemets {version}",
                },
            }
        ],
    }
    entities = [{"role": "source", "what": ref} for ref in _refs(evidence)]
    if entities:
        prov["entity"] = entities
    return Built(provenance_narrative(prov), full_url("Provenance", key))


def provenance_narrative(provenance: dict[str, Any]) -> dict[str, Any]:
    """The Provenance with its narrative, said from what it holds ("Computed by spinemets 0.1.0
    at …: 14 outputs from 9 inputs"): rewritten whenever its targets are (a transaction)."""
    agent = provenance["agent"][0]["who"]["display"]
    said = f"Computed by {agent} at {provenance['recorded']}: {len(provenance['target'])} outputs"
    entities = provenance.get("entity", [])
    lines = [said + (f" from {len(entities)} inputs" if entities else "")]
    return with_narrative(provenance, lines)
