"""Output resources (contract §3): score Observations, RiskAssessments and one Provenance.

Resources are built as plain JSON-shaped dicts (fast, and exactly the R4 wire format) and checked
with the ``fhir.resources.R4B`` models by :func:`validate_r4`. Identifiers and fullUrls are derived
from the patient, the score, the level and the content of the inputs, so the same inputs always
give the same resources.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.narrative import score_lines, with_narrative
from adapter.scoring import ComponentScore, ScoreResult, Span
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
    "Built",
    "LevelSite",
    "build_provenance",
    "build_risk_assessment",
    "build_score_observation",
    "full_url",
    "reference_to",
    "series_value",
]

_URN_NAMESPACE = uuid.UUID("5b0e7e0c-3f7a-4c52-9d0b-8f3c2a1d6e41")
_NAMESPACE_BYTES = _URN_NAMESPACE.bytes


@dataclass(frozen=True, slots=True)
class LevelSite:
    """The spinal level an output is about: vertebra code, its display, SNOMED CT where known."""

    code: str
    display: str | None
    snomed: str | None


class Built:
    """One output resource and the fullUrl it is known by in Bundles.

    :meth:`later` builds it when first read: a CDS call shows a few of the outputs the pipeline
    can give (the cards of hidden tools and the Provenance are never read there), while ``score``
    and ``sync`` write them all. The builders are pure, so when it is built changes nothing.
    """

    __slots__ = ("_made", "_make")

    def __init__(self, resource: dict[str, Any], full_url: str) -> None:
        self._made: tuple[dict[str, Any], str] | None = (resource, full_url)
        self._make: Callable[[], Built] | None = None

    @classmethod
    def later(cls, make: Callable[[], Built]) -> Built:
        built = cls.__new__(cls)
        built._made, built._make = None, make
        return built

    def _get(self) -> tuple[dict[str, Any], str]:
        made = self._made
        if made is None:
            assert self._make is not None  # one of the two is always set
            made = self._made = self._make()._get()
            self._make = None
        return made

    @property
    def resource(self) -> dict[str, Any]:
        return self._get()[0]

    @property
    def full_url(self) -> str:
        return self._get()[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Built) and self._get() == other._get()

    __hash__ = None  # type: ignore[assignment]  # holds a dict: as unhashable as the dataclass was

    def __repr__(self) -> str:
        return f"Built({self.full_url!r})" if self._made else "Built(not yet built)"


def full_url(resource_type: str, identifier: str) -> str:
    """``urn:uuid:`` + the UUIDv5 of type and identifier (RFC 4122 §4.3, as ``uuid.uuid5``).

    Computed here from the SHA-1 digest: ``uuid.UUID`` objects cost a tenth of a bulk run's
    build step, and only their text is used.
    """
    digest = bytearray(
        hashlib.sha1(  # UUIDv5 is defined on SHA-1: an id, not a security use
            _NAMESPACE_BYTES + f"{resource_type}|{identifier}".encode(), usedforsecurity=False
        ).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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


def _component(score: ComponentScore) -> dict[str, Any]:
    out: dict[str, Any] = {"code": {"coding": [_coding(SCORE, score.code, score.spec.display)]}}
    if not score.known:
        out["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "unknown", "display": "Unknown"}]
        }
    else:
        out |= _value(score.points)
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
    patient: str, result: ScoreResult, level: str | None, evidence: Sequence[Evidence]
) -> str:
    """Deterministic: patient, score, level, the inputs' content and the result."""
    content = {
        "patient": patient,
        "score": result.code,
        "level": level,
        "inputs": sorted(
            [ev.ref.reference or "", ev.time.text if ev.time else "", ev.summary] for ev in evidence
        ),
        "components": [[c.code, c.points.low, c.points.high, c.known] for c in result.components],
    }
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
) -> Built:
    """The score's Observation: total or range, band, components, inputs (contract §3)."""
    evidence = evidence_of(bases.values())
    value = identifier_value(patient, result, level.code if level else None, evidence)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": _identifiers(
            "Observation", patient, result.code, level.code if level else None, value
        ),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": [_coding(SCORE, result.code, result.spec.display)]},
        "subject": reference_to(patient),
        "effectiveDateTime": latest_time(evidence, now).text,
        **_value(result.total),
    }
    if result.band is not None:
        band = result.band
        obs["interpretation"] = [{"coding": [_coding(CATEGORY, band.code, band.display)]}]
    notes = [caveat for basis in bases.values() for caveat in basis.caveats]
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


def build_risk_assessment(
    *,
    patient: str,
    result: ScoreResult,
    observations: Sequence[Built],
    evidence: Sequence[Evidence],
    identifier: str,
) -> Built:
    """The RiskAssessment of a score: basis, category as qualitativeRisk, band recommendation."""
    coding = _coding(SCORE, result.code, result.spec.display)
    prediction: dict[str, Any]
    if result.band is not None:
        band = result.band
        prediction = {
            "qualitativeRisk": {"coding": [_coding(CATEGORY, band.code, band.display)]},
            "rationale": f"{result.code} total {result.total}: {band.label}.",
        }
        mitigation = band.wording
    elif result.unlabelled is not None:  # no band is given for this total, whatever its range
        prediction = {"rationale": f"{result.code} total {result.total}: {result.unlabelled}"}
        mitigation = result.unlabelled
    else:
        labels = ", ".join(b.label for b in result.possible_bands)
        prediction = {
            "rationale": f"{result.code} total {result.total} spans bands ({labels}): "
            "no category until the missing or conflicting inputs are settled."
        }
        mitigation = " / ".join(b.wording for b in result.possible_bands)
        mitigation = f"Not settled; depending on the missing inputs: {mitigation}"
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
        "mitigation": mitigation,
    }
    lines = [*score_lines(result, None)[:1], mitigation]
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
    said = f"Computed by spinemets {version} at {now.text}: {len(targets)} outputs"
    lines = [said + (f" from {len(entities)} inputs" if entities else "")]
    return Built(with_narrative(prov, lines), full_url("Provenance", key))
