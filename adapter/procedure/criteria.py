"""The case series' selection criteria at one level (contract §5, criteria 1–6).

Each criterion is met, unmet or unknown — never guessed from missing data — with its source and
date. Dated evidence can make a criterion unmet, never met: then it is unknown ("re-assess").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from adapter.mapping.evidence import Evidence
from adapter.mapping.findings import Bilsky, Chosen
from adapter.mapping.staging import Staged
from adapter.pipeline import LevelResult, PatientResult, firm_total
from adapter.scoring import LEVELS, Collapse, Frankel
from adapter.vocabulary import SINS, SINS_COLLAPSE, SINS_LOCATION

__all__ = ["REASSESS", "Criterion", "Judge", "Status", "cite", "level_criteria"]

Status = Literal["met", "unmet", "unknown"]
_THORACOLUMBAR = frozenset(LEVELS[LEVELS.index("T1") : LEVELS.index("L5") + 1])
_FRACTURE = frozenset({Collapse.GT_50, Collapse.LT_50})
_NO_FRACTURE = frozenset({Collapse.NONE, Collapse.NONE_GT_50_INVOLVED})
_CONSULT_FROM = SINS.band("sins-potentially-unstable").low
REASSESS = "re-assess: the evidence is dated"
_DECOMPRESSION = "suspected cord compression: assess for decompression and radiotherapy first"


@dataclass(frozen=True, slots=True)
class Criterion:
    number: int
    name: str
    status: Status
    basis: str  # what it rests on, with sources and dates
    action: str | None = None  # what to do about it
    finding: str | None = None  # the finding in a few words, for a card summary ("Bilsky 3")


@dataclass(frozen=True, slots=True)
class Judge:
    """One criterion, about to be judged: ``Judge(4, name).unmet(basis, action=...)``."""

    number: int
    name: str

    def met(self, basis: str) -> Criterion:
        return Criterion(self.number, self.name, "met", basis)

    def unmet(
        self, basis: str, *, action: str | None = None, finding: str | None = None
    ) -> Criterion:
        return Criterion(self.number, self.name, "unmet", basis, action, finding)

    def unknown(self, basis: str, *, action: str | None = None) -> Criterion:
        return Criterion(self.number, self.name, "unknown", basis, action)


def cite(evidence: Iterable[Evidence]) -> str:
    return "; ".join(ev.said for ev in evidence)


def _dated(evidence: Iterable[Evidence]) -> bool:
    return any(ev.dated for ev in evidence)


def level_criterion(level: str) -> Criterion:
    judge = Judge(1, "Thoracolumbar level (the case series' population)")
    if level in _THORACOLUMBAR:
        return judge.met(f"{level} is within T1–L5")
    return judge.unmet(f"{level}: outside the population studied (T1–L5)")


def tumour_criterion(level: str, at: LevelResult | None) -> Criterion:
    judge = Judge(2, "A tumour at the level")
    if at is None:
        return judge.unmet(
            f"no metastasis is recorded at {level}", action="check the level ordered"
        )
    lesions = cite(at.bases[SINS_LOCATION.code].evidence)
    if at.assessment.origin == "confirmed":
        return judge.met(lesions)
    if at.assessment.origin == "unconfirmed":
        return judge.unknown(
            f"only an unconfirmed Condition: {lesions}",
            action="confirm the metastasis at this level",
        )
    return judge.unknown(
        f"{level} is known from findings only",
        action="record the metastasis Condition with its bodySite",
    )


def _collapse(at: LevelResult) -> tuple[frozenset[Collapse], tuple[Evidence, ...]]:
    collapse = at.assessment.inputs.collapse
    evidence = at.bases[SINS_COLLAPSE.code].evidence
    return (collapse.values if collapse.known else frozenset()), evidence


def _evidence(staged: Iterable[Staged]) -> list[Evidence]:
    return [Evidence(s.condition.ref, s.condition.time, _label(s)) for s in staged]


def _label(staged: Staged) -> str:
    code = staged.condition.codes[0].code if staged.condition.codes else "?"
    status = "" if staged.confirmed else f", {staged.condition.verification_status}"
    return f"{staged.condition.name or 'Condition ' + code}{status}"


def fracture_criterion(
    level: str, at: LevelResult | None, fractures: Sequence[Staged]
) -> Criterion:
    """Met by a confirmed neoplastic fracture Condition there, an undated collapse there, or
    SINS there certainly 7 or more without dated inputs; unmet by no collapse and SINS ≤ 6."""
    judge = Judge(3, "Pathological fracture or instability at the level")
    # ICD-10-CM M84.58 is "other specified site", vertebrae included: without a vertebral
    # bodySite it cannot say the fracture is at this level.
    here = [s for s in fractures if level in s.levels]
    elsewhere = [s for s in fractures if not s.levels]
    if confirmed := [s for s in here if s.confirmed]:
        return judge.met(cite(_evidence(confirmed)))
    if at is None:
        return judge.unknown(
            f"no scored lesion at {level}", action="record the metastasis and its collapse"
        )
    collapse, evidence = _collapse(at)
    total = at.result.total
    if collapse and collapse <= _FRACTURE and not _dated(evidence):
        return judge.met(f"collapse at {level}: {cite(evidence)}")
    if firm_total(at.result, at.bases).low >= _CONSULT_FROM:
        return judge.met(f"SINS {total} at {level} (≥ {_CONSULT_FROM})")
    if collapse and collapse <= _NO_FRACTURE and total.high < _CONSULT_FROM:
        return judge.unmet(f"no collapse at {level} ({cite(evidence)}) and SINS {total}")
    why = [f"collapse at {level}: {cite(evidence) or 'not recorded'}", f"SINS {total}"]
    if here:
        why.append(f"unconfirmed pathological fracture at {level}: {cite(_evidence(here))}")
    if elsewhere:
        why.append(f"pathological fracture without a level: {cite(_evidence(elsewhere))}")
    action = REASSESS if _dated(evidence) else "record vertebral-body-collapse at the level"
    return judge.unknown("; ".join(why), action=action)


def neurology_criterion(palsy: Chosen[Frankel] | None) -> Criterion:
    judge = Judge(4, "No neurological deficit")
    if palsy is None:
        return judge.unknown(
            "no Frankel grade or AIS recorded", action="examine and record frankel-grade"
        )
    shown = cite(palsy.evidence)
    if any(g is not Frankel.E for g in palsy.values):
        grades = "/".join(sorted(g.value for g in palsy.values))
        return judge.unmet(
            f"Frankel/AIS {grades}: {shown}", action=_DECOMPRESSION, finding=f"Frankel/AIS {grades}"
        )
    if _dated(palsy.evidence):
        return judge.unknown(f"Frankel E, dated: {shown}", action=REASSESS)
    return judge.met(f"Frankel E: {shown}")


def compression_criterion(
    level: str, grade: Chosen[Bilsky] | None, *, placed: bool = True
) -> Criterion:
    """Criterion 5 at a level; ``placed`` False when the grade was recorded without a level (it
    is then named "level not recorded", never the level it was applied to)."""
    judge = Judge(5, "No epidural compression needing decompression")
    if grade is None:
        return judge.unknown(
            f"no Bilsky grade at {level}",
            action="record epidural-spinal-cord-compression (Bilsky) from MRI",
        )
    shown = cite(grade.evidence)
    if high := sorted(g.value.removeprefix("bilsky-") for g in grade.values if g.high_grade):
        return judge.unmet(
            f"high-grade compression (Bilsky 2–3): {shown}",
            action=_DECOMPRESSION,
            finding=f"Bilsky {'/'.join(high)} "
            + (f"at {level}" if placed else "(level not recorded)"),
        )
    if _dated(grade.evidence):
        return judge.unknown(f"Bilsky 0–1c, dated: {shown}", action=REASSESS)
    return judge.met(f"Bilsky 0–1c: {shown}")


def other_cause_criterion(level: str, fractures: Sequence[Staged]) -> Criterion:
    judge = Judge(6, "Fracture not from another cause")
    relevant = [s for s in fractures if level in s.levels or not s.levels]
    if not relevant:
        return judge.met("no osteoporotic or traumatic vertebral fracture recorded")
    if confirmed := [s for s in relevant if s.confirmed]:
        return judge.unmet(cite(_evidence(confirmed)), action="confirm the tumour cause (biopsy)")
    return judge.unknown(
        cite(_evidence(relevant)), action="confirm or refute the fracture's cause (biopsy)"
    )


def level_criteria(level: str, result: PatientResult, *, instrumented: bool) -> list[Criterion]:
    """Criteria 1–6 at a level; an instrumented level is not judged by 2, 3 and 5."""
    safety = result.assessment.safety
    at = result.level(level)
    out = [level_criterion(level)]
    if not instrumented:
        out.append(tumour_criterion(level, at))
        out.append(fracture_criterion(level, at, safety.neoplastic_fractures))
    out.append(neurology_criterion(safety.palsy))
    if not instrumented:
        grade = at.assessment.compression if at is not None else safety.compression_at(level)
        placed = level in safety.compression  # else the grade was recorded without a level
        out.append(compression_criterion(level, grade, placed=placed))
    out.append(other_cause_criterion(level, safety.other_fractures))
    return out
