"""The SINS inputs of one scored level: the five findings placed at it, and its location."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from adapter.mapping.evidence import Basis
from adapter.mapping.findings import Bilsky, Chosen
from adapter.mapping.inputs import enum_input, only
from adapter.mapping.levels import LevelOrigin, LevelPlan
from adapter.mapping.observations import Findings
from adapter.mapping.placement import PLACE_IT, bilsky_at, finding_at
from adapter.scoring import (
    Alignment,
    BoneLesion,
    Collapse,
    Pain,
    Possible,
    Posterolateral,
    SinsInput,
)
from adapter.vocabulary import (
    SINS_ALIGNMENT,
    SINS_BONE_LESION,
    SINS_COLLAPSE,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    ComponentSpec,
)

__all__ = ["LevelAssessment", "level_assessment"]

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    """One scored level: how it is known, its SINS inputs with their basis, its Bilsky grade."""

    level: str
    origin: LevelOrigin
    note: str | None  # how the level is known, when not from a confirmed Condition
    inputs: SinsInput
    basis: dict[str, Basis]
    compression: Chosen[Bilsky] | None
    in_remission: bool = False  # every metastasis Condition at the level is in remission


def _component(
    found: Findings, finding: str, enum: type[E], spec: ComponentSpec, level: str, levels: int
) -> tuple[Possible[E], Basis]:
    placed = finding_at(found, finding, level, levels)
    if placed.not_applied is not None:
        return Possible.unknown(enum), Basis(settle=PLACE_IT, caveats=(placed.not_applied,))
    return enum_input(only(placed.chosen, enum), enum, spec.settle)


def level_assessment(found: Findings, plan: LevelPlan, level: str) -> LevelAssessment:
    n = len(plan.origin)
    note = plan.note(level)
    basis = {
        SINS_LOCATION.code: Basis(tuple(plan.evidence[level]), caveats=(note,) if note else ())
    }
    pain, basis[SINS_PAIN.code] = _component(found, "spinal-pain", Pain, SINS_PAIN, level, n)
    lesion, basis[SINS_BONE_LESION.code] = _component(
        found, "bone-lesion-quality", BoneLesion, SINS_BONE_LESION, level, n
    )
    alignment, basis[SINS_ALIGNMENT.code] = _component(
        found, "spinal-alignment", Alignment, SINS_ALIGNMENT, level, n
    )
    collapse, basis[SINS_COLLAPSE.code] = _component(
        found, "vertebral-body-collapse", Collapse, SINS_COLLAPSE, level, n
    )
    posterolateral, basis[SINS_POSTEROLATERAL.code] = _component(
        found, "posterolateral-involvement", Posterolateral, SINS_POSTEROLATERAL, level, n
    )
    inputs = SinsInput(level, pain, lesion, alignment, collapse, posterolateral)
    return LevelAssessment(
        level,
        plan.origin[level],
        note,
        inputs,
        basis,
        bilsky_at(found, level, n),
        bool(plan.in_remission(level)),
    )
