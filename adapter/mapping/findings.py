"""Assessment findings (contract §1 finding codes): reading them and choosing the one that counts.

The latest finding wins (effectiveDateTime, else effectivePeriod.end, else issued); findings of
the same time that disagree are all kept, so the component becomes a range and the conflict is
named. A finding with no time at all cannot be placed against a timed one: when its value differs
from the latest timed one's, the component spans both and the conflict names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.records import ObservationRecord
from adapter.fhir.read.timing import ClinicalTime, at_or_after, same_time, when_said
from adapter.scoring import (
    Alignment,
    Ambulation,
    BoneExtent,
    BoneLesion,
    Collapse,
    Fracture,
    Frankel,
    Growth,
    MajorOrgan,
    Pain,
    Posterolateral,
    PrimarySite,
    Radiosensitivity,
    Stability,
    Tolerance,
    Visceral,
)
from adapter.vocabulary.findings import (
    AMBULATORY_STATUS,
    ASIA_IMPAIRMENT_SCALE,
    BONE_LESION_QUALITY,
    BONE_METASTASIS_EXTENT,
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    EXTRASPINAL_BONE_METASTASES_COUNT,
    FRANKEL_GRADE,
    MAJOR_ORGAN_METASTASES,
    PATHOLOGICAL_FRACTURE,
    POSTEROLATERAL_INVOLVEMENT,
    RADIOSENSITIVITY,
    SPINAL_ALIGNMENT,
    SPINAL_PAIN,
    SPINAL_STABILITY,
    SURGERY_TOLERANCE,
    TOKUHASHI_PRIMARY_SITE,
    TOMITA_PRIMARY_GROWTH,
    VERTEBRAL_BODY_COLLAPSE,
    VERTEBRAL_METASTASES_COUNT,
    VISCERAL_METASTASES,
    WHOLE_SPINE_ESCC,
)
from adapter.vocabulary.systems import FINDING

__all__ = [
    "COUNT_FINDINGS",
    "FINDING_ANSWERS",
    "SINS_FINDINGS",
    "Bilsky",
    "Chosen",
    "Finding",
    "Invalid",
    "WholeSpine",
    "choose_latest",
    "describe",
    "read_answer",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Bilsky(Enum):
    """Epidural spinal cord compression grade (Bilsky et al., J Neurosurg Spine 2010)."""

    G0 = "bilsky-0"
    G1A = "bilsky-1a"
    G1B = "bilsky-1b"
    G1C = "bilsky-1c"
    G2 = "bilsky-2"
    G3 = "bilsky-3"

    @property
    def high_grade(self) -> bool:
        """Grades 2 and 3 compress the cord: the candidates for decompression."""
        return self in (Bilsky.G2, Bilsky.G3)


class WholeSpine(Enum):
    """A whole-spine MRI's verdict on epidural compression (contract §5 v3, criterion 8)."""

    NO_HIGH_GRADE = "no-high-grade"  # no level is Bilsky 2–3
    HIGH_GRADE = "high-grade"  # some level is Bilsky 2–3


def _answers(enum: type[Enum], prefix: str = "") -> dict[str, Enum]:
    return {f"{prefix}{member.value}".lower(): member for member in enum}


FINDING_ANSWERS: dict[str, dict[str, Enum]] = {
    SPINAL_PAIN: _answers(Pain),
    BONE_LESION_QUALITY: _answers(BoneLesion),
    SPINAL_ALIGNMENT: _answers(Alignment),
    VERTEBRAL_BODY_COLLAPSE: _answers(Collapse),
    POSTEROLATERAL_INVOLVEMENT: _answers(Posterolateral),
    TOMITA_PRIMARY_GROWTH: _answers(Growth),
    VISCERAL_METASTASES: _answers(Visceral),
    BONE_METASTASIS_EXTENT: _answers(BoneExtent),
    MAJOR_ORGAN_METASTASES: _answers(MajorOrgan),
    FRANKEL_GRADE: _answers(Frankel, "frankel-"),
    ASIA_IMPAIRMENT_SCALE: _answers(Frankel, "ais-"),
    TOKUHASHI_PRIMARY_SITE: _answers(PrimarySite),
    EPIDURAL_SPINAL_CORD_COMPRESSION: _answers(Bilsky),
    WHOLE_SPINE_ESCC: _answers(WholeSpine),
    # The inputs of Bauer, NESMS and NOMS (contract §1 v3, scores-more.md).
    PATHOLOGICAL_FRACTURE: _answers(Fracture),
    AMBULATORY_STATUS: _answers(Ambulation),
    RADIOSENSITIVITY: _answers(Radiosensitivity),
    SURGERY_TOLERANCE: _answers(Tolerance),
    SPINAL_STABILITY: _answers(Stability),
}
COUNT_FINDINGS: dict[str, int] = {
    EXTRASPINAL_BONE_METASTASES_COUNT: 0,
    VERTEBRAL_METASTASES_COUNT: 1,
}
# The SINS findings, in component order, with the enum of their answers.
SINS_FINDINGS: dict[str, type[Enum]] = {
    SPINAL_PAIN: Pain,
    BONE_LESION_QUALITY: BoneLesion,
    SPINAL_ALIGNMENT: Alignment,
    VERTEBRAL_BODY_COLLAPSE: Collapse,
    POSTEROLATERAL_INVOLVEMENT: Posterolateral,
}


@dataclass(frozen=True, slots=True)
class Invalid:
    """An input value that cannot be used, and why (reported, then left out)."""

    reason: str


class Bound(str):
    """Why a lab value was not read, when it is a bound ("< 20"): the words, and the bound's
    comparator and number in the lab's unit, for a limit it may decide (criterion 7)."""

    comparator: str
    number: float

    def __new__(cls, words: str, comparator: str, number: float) -> Bound:
        made = super().__new__(cls, words)
        made.comparator, made.number = comparator, number
        return made


@dataclass(frozen=True, slots=True)
class Finding(Generic[T_co]):
    """One usable finding: its Observation, value, levels (None: recorded without a level)
    and why it is dated (None when current)."""

    obs: ObservationRecord
    value: T_co
    levels: frozenset[str] | None = None
    dated: str | None = None
    shown: str | None = None  # finding and answer by their displays, for card text


def read_answer(finding: str, obs: ObservationRecord) -> Enum | int | Invalid:
    """The finding's value, or why it is invalid."""
    if finding in COUNT_FINDINGS:
        value = obs.value_number
        minimum = COUNT_FINDINGS[finding]
        if value is None or value != int(value) or value < minimum:
            return Invalid(f"{finding} must be a whole number ≥ {minimum}, got {_show(value)}")
        return int(value)
    answers = FINDING_ANSWERS[finding]
    for coding in obs.value_codes:
        if coding.system in (FINDING, None) and coding.code.lower() in answers:
            return answers[coding.code.lower()]
    given = ", ".join(c.code for c in obs.value_codes) or "no coded value"
    return Invalid(f"{finding} answer must be one of {', '.join(answers)}; got {given}")


def _show(value: float | None) -> str:
    if value is None:
        return "no value"
    return str(int(value)) if value == int(value) else str(value)


def describe(value: object) -> str:
    if isinstance(value, Frankel):
        return f"Frankel {value.value}"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return _show(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Chosen(Generic[T_co]):
    """The values that count (several when equal-time findings disagree) and their evidence."""

    values: frozenset[T_co]
    evidence: tuple[Evidence, ...]
    conflict: str | None
    # The times of findings dated by a period that holds the latest time (a day alone beside a
    # time within it), copies of a latest value included: what came certainly after the choice
    # came after these too (a decompression after a grade, compression.py).
    unordered: tuple[ClinicalTime, ...] = ()

    @property
    def dated(self) -> tuple[Evidence, ...]:
        return tuple(ev for ev in self.evidence if ev.dated)


def choose_latest(
    items: Sequence[Finding[T]],
    name: str | Callable[[Finding[T]], str],
    describe_value: Callable[[T], str] = describe,
    *,
    prefer: Callable[[Finding[T]], int] | None = None,
    untimed: bool = True,
) -> Chosen[T] | None:
    """Latest finding(s) by clinical time; None when there are none.

    ``prefer`` ranks findings of equal time (the highest rank wins): how two encodings of one
    quantity compete, e.g. Karnofsky over ECOG. ``name`` may depend on the finding. A finding
    with no recorded time whose value the latest timed ones do not have cannot be placed before
    or after them (contract §2: never a guess): it joins the values and the conflict names it.
    ``untimed=False`` leaves it out, for a caller that carries such findings apart (safety).
    """
    if not items:
        return None
    if len(items) == 1:  # most findings are recorded once: nothing to compare or place
        return Chosen(frozenset((items[0].value,)), (_said(items[0], name, describe_value),), None)
    latest, top, others = _latest(items, prefer)
    seen = {f.value for f in latest}
    unplaced = [f for f in items if f.obs.time is None and f.value not in seen]
    unplaced = unplaced if untimed and top is not None else []
    # Dated by a year, a month or a day alone, within which the latest time falls: not known to
    # be older, so its value counts beside the latest (never outranked, never a tie it could
    # lose by a tie rule); a copy of a value the latest findings hold adds nothing.
    unordered = [f for f in others if f.value not in seen]
    spans = tuple(f.obs.time for f in others if f.obs.time is not None)
    if len(latest) == 1 and not unplaced and not unordered:  # one latest, none to place
        return Chosen(frozenset(seen), (_said(latest[0], name, describe_value),), None, spans)

    def named(f: Finding[T]) -> str:
        return name(f) if callable(name) else name

    def listed(found: Sequence[Finding[T]], when: str = "") -> str:
        at = f", {when}" if when else ""
        return "; ".join(
            f"{describe_value(f.value)} ({f.obs.ref.reference or 'unreferenced'}{at})"
            for f in found
        )

    def dated(found: Sequence[Finding[T]]) -> str:
        """Each with its own time as a clinician reads it."""
        return "; ".join(
            f"{describe_value(f.value)} ({f.obs.ref.reference or 'unreferenced'}, "
            f"{when_said(f.obs.time) if f.obs.time else 'no recorded time'})"
            for f in found
        )

    # The latest first: a chosen grade's time is its first timed evidence's (compression, deficit).
    chosen = [*latest, *unordered, *unplaced]
    evidence = tuple(_said(f, name, describe_value) for f in chosen)
    said = []
    if len(seen) > 1:
        when = top.text if top is not None else "no recorded time"
        said.append(
            f"Conflicting {named(latest[0])} findings of equal time ({when}): {listed(latest)}."
        )
    if unordered:
        verb = "is" if len(unordered) == 1 else "are"
        said.append(
            f"Conflicting {named(latest[0])} findings: {dated(unordered)} {verb} not known to be "
            f"before or after {dated(latest)}: either may be current."
        )
    if unplaced and top is not None:
        verb = (
            "has no recorded time, so it"
            if len(unplaced) == 1
            else "have no recorded time, so they"
        )
        said.append(
            f"Conflicting {named(latest[0])} findings: {listed(unplaced)} {verb} cannot be placed "
            f"before or after {listed(latest, top.text)}: either may be current."
        )
    return Chosen(frozenset(f.value for f in chosen), evidence, " ".join(said) or None, spans)


def _said(
    f: Finding[T], name: str | Callable[[Finding[T]], str], describe_value: Callable[[T], str]
) -> Evidence:
    summary = f"{name(f) if callable(name) else name}: {describe_value(f.value)}"
    return Evidence(f.obs.ref, f.obs.time, summary, f.dated, f.shown)


def _latest(
    items: Sequence[Finding[T]], prefer: Callable[[Finding[T]], int] | None
) -> tuple[list[Finding[T]], ClinicalTime | None, list[Finding[T]]]:
    """The findings of the latest time (all of them when none is timed), ranked by ``prefer``,
    its time, and the other timed findings no finding is certainly later than: dated by a day,
    month or year alone within which the latest time falls, or the reverse. Times are ordered as
    written (:func:`~adapter.fhir.read.timing.at_or_after`: a day alone is after an evening of the
    day before written in its zone, though not in UTC), equal only as recorded, so a day alone is
    never the tie of a time within it. Of equal instants, a time of day is the latest."""
    timed = [f for f in items if f.obs.time is not None]
    if not timed:
        latest = list(items)
        top = None
        others: list[Finding[T]] = []
    else:

        def later(g: Finding[T], f: Finding[T]) -> bool:
            a, b = g.obs.time, f.obs.time
            assert a is not None and b is not None
            return not same_time(a, b) and at_or_after(a, b)

        # What is certainly before the latest instant is outranked: the rest (most often that
        # one alone) are compared with each other.
        first = max(timed, key=lambda f: f.obs.time.instant)  # type: ignore[union-attr]
        open_ = [f for f in timed if f is first or not later(first, f)]
        maximal = [f for f in open_ if not any(later(g, f) for g in open_)]
        top_finding = max(
            maximal,
            key=lambda f: (f.obs.time.instant, "T" in f.obs.time.text),  # type: ignore[union-attr]
        )
        top = top_finding.obs.time
        assert top is not None
        latest = [f for f in maximal if same_time(f.obs.time, top)]  # type: ignore[arg-type]
        others = [f for f in maximal if not same_time(f.obs.time, top)]  # type: ignore[arg-type]
    if prefer is not None:
        best = max(prefer(f) for f in latest)
        latest = [f for f in latest if prefer(f) == best]
    return latest, top, others
