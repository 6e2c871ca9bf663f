"""Tomita score: prognosis and surgical strategy for spinal metastases.

Source: Tomita K et al., Spine 2001;26(3):298-306. Growth classes are assigned only where the
sources agree; ambiguous tumours arrive here as several possible classes (a range).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from adapter.scoring.possible import Possible
from adapter.scoring.result import ScoreResult, result_of
from adapter.vocabulary import TOMITA

__all__ = [
    "BoneExtent",
    "Growth",
    "TomitaInput",
    "Visceral",
    "bone_extent_from_counts",
    "score_tomita",
]


class Growth(Enum):
    SLOW = "slow"
    MODERATE = "moderate"
    RAPID = "rapid"


class Visceral(Enum):
    NONE = "none"
    TREATABLE = "treatable"
    UNTREATABLE = "untreatable"


class BoneExtent(Enum):
    SOLITARY = "solitary"
    MULTIPLE = "multiple"


_GROWTH = {Growth.SLOW: 1, Growth.MODERATE: 2, Growth.RAPID: 4}
_VISCERAL = {Visceral.NONE: 0, Visceral.TREATABLE: 2, Visceral.UNTREATABLE: 4}
_BONE = {BoneExtent.SOLITARY: 1, BoneExtent.MULTIPLE: 2}


@dataclass(frozen=True, slots=True)
class TomitaInput:
    growth: Possible[Growth]
    visceral: Possible[Visceral]
    bone: Possible[BoneExtent]


def bone_extent_from_counts(
    vertebral: Possible[int], extraspinal: Possible[int]
) -> Possible[BoneExtent]:
    """Solitary when the vertebral and extraspinal counts add up to one, else multiple.

    Counts are capped at 3 ("3 or more"); a sum of 0 cannot be a bone-metastasis patient and is
    read as solitary at least, since Tomita counts the lesion being assessed.
    """
    sums = {v + e for v in vertebral.values for e in extraspinal.values}
    extents = {BoneExtent.SOLITARY if s <= 1 else BoneExtent.MULTIPLE for s in sums}
    return Possible(frozenset(extents), vertebral.known or extraspinal.known)


def score_tomita(inp: TomitaInput) -> ScoreResult:
    """Tomita score, total 2–10 (Tomita 2001)."""
    return result_of(
        TOMITA,
        (
            (inp.growth.span(_GROWTH.__getitem__), inp.growth.known),
            (inp.visceral.span(_VISCERAL.__getitem__), inp.visceral.known),
            (inp.bone.span(_BONE.__getitem__), inp.bone.known),
        ),
    )
