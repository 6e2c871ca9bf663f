"""Assessment findings (contract §1 finding codes): reading them and choosing the one that counts.

The latest finding wins (effectiveDateTime, else effectivePeriod.end, else issued); findings of
the same time that disagree are all kept, so the component becomes a range and the conflict is
named. A finding with no time at all ranks below every timed one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from adapter.fhir.read.records import ObservationRecord
from adapter.mapping.evidence import Evidence
from adapter.mapping.terminology import SPINEMETS
from adapter.scoring import (
    Alignment,
    BoneExtent,
    BoneLesion,
    Collapse,
    Frankel,
    Growth,
    MajorOrgan,
    Pain,
    Posterolateral,
    PrimarySite,
    Visceral,
)

__all__ = [
    "COUNT_FINDINGS",
    "FINDING",
    "FINDING_ANSWERS",
    "SINS_FINDINGS",
    "Chosen",
    "choose_latest",
    "read_answer",
]

FINDING = f"{SPINEMETS}/CodeSystem/finding"
T = TypeVar("T")


def _answers(enum: type[Enum], prefix: str = "") -> dict[str, Enum]:
    return {f"{prefix}{member.value}".lower(): member for member in enum}


FINDING_ANSWERS: dict[str, dict[str, Enum]] = {
    "spinal-pain": _answers(Pain),
    "bone-lesion-quality": _answers(BoneLesion),
    "spinal-alignment": _answers(Alignment),
    "vertebral-body-collapse": _answers(Collapse),
    "posterolateral-involvement": _answers(Posterolateral),
    "tomita-primary-growth": _answers(Growth),
    "visceral-metastases": _answers(Visceral),
    "bone-metastasis-extent": _answers(BoneExtent),
    "major-organ-metastases": _answers(MajorOrgan),
    "frankel-grade": _answers(Frankel, "frankel-"),
    "asia-impairment-scale": _answers(Frankel, "ais-"),
    "tokuhashi-primary-site": _answers(PrimarySite),
}
COUNT_FINDINGS: dict[str, int] = {
    "extraspinal-bone-metastases-count": 0,
    "vertebral-metastases-count": 1,
}
SINS_FINDINGS: dict[str, str] = {
    "spinal-pain": "sins-pain",
    "bone-lesion-quality": "sins-bone-lesion",
    "spinal-alignment": "sins-alignment",
    "vertebral-body-collapse": "sins-collapse",
    "posterolateral-involvement": "sins-posterolateral",
}


def read_answer(finding: str, obs: ObservationRecord) -> Enum | int | str:
    """The finding's value, or a string saying why it is invalid."""
    if finding in COUNT_FINDINGS:
        value = obs.value_number
        minimum = COUNT_FINDINGS[finding]
        if value is None or value != int(value) or value < minimum:
            return f"{finding} must be a whole number ≥ {minimum}, got {_show(value)}"
        return int(value)
    answers = FINDING_ANSWERS[finding]
    for coding in obs.value_codes:
        if coding.system in (FINDING, None) and coding.code.lower() in answers:
            return answers[coding.code.lower()]
    given = ", ".join(c.code for c in obs.value_codes) or "no coded value"
    return f"{finding} answer must be one of {', '.join(answers)}; got {given}"


def _show(value: float | None) -> str:
    if value is None:
        return "no value"
    return str(int(value)) if value == int(value) else str(value)


@dataclass(frozen=True, slots=True)
class Chosen(Generic[T]):
    """The values that count (several when equal-time findings disagree) and their evidence."""

    values: frozenset[T]
    evidence: tuple[Evidence, ...]
    conflict: str | None


def choose_latest(
    items: Sequence[tuple[ObservationRecord, T]],
    name: str,
    describe: Callable[[T], str],
) -> Chosen[T] | None:
    """Latest item(s) by clinical time; None when there are none."""
    if not items:
        return None
    timed = [it[0].time for it in items if it[0].time is not None]
    top = max(timed) if timed else None
    latest = [it for it in items if it[0].time == top]
    values = frozenset(v for _, v in latest)
    evidence = tuple(
        Evidence(obs.ref, obs.time, f"{name}: {describe(value)}") for obs, value in latest
    )
    conflict = None
    if len(values) > 1:
        when = top.text if top is not None else "no recorded time"
        listed = "; ".join(
            f"{describe(value)} ({obs.ref.reference or 'unreferenced'})" for obs, value in latest
        )
        conflict = f"Conflicting {name} findings of equal time ({when}): {listed}."
    return Chosen(values, evidence, conflict)
