"""Tomita score: prognosis and surgical strategy for spinal metastases.

Source: Tomita K et al., Spine 2001;26(3):298-306. Growth classes are assigned only where the
sources agree; ambiguous tumours arrive here as several possible classes (a range).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from adapter.scoring.possible import Possible
from adapter.scoring.result import Band, ComponentScore, ScoreResult, band_of, total_of

__all__ = [
    "TOMITA_BANDS",
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

TOMITA_BANDS = (
    Band("tomita-long-term-control", 2, 3, "long-term local control",
         "Treatment goal long-term local control: wide or marginal excision (Tomita 2–3)."),
    Band("tomita-middle-term-control", 4, 5, "middle-term local control",
         "Treatment goal middle-term local control: marginal or intralesional excision "
         "(Tomita 4–5)."),
    Band("tomita-short-term-palliation", 6, 7, "short-term palliation",
         "Treatment goal short-term palliation: palliative surgery (Tomita 6–7)."),
    Band("tomita-terminal-care", 8, 10, "terminal care",
         "Terminal care: non-operative supportive care (Tomita 8–10)."),
)  # fmt: skip


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
    components = (
        ComponentScore(
            "tomita-primary-tumor", inp.growth.span(_GROWTH.__getitem__), inp.growth.known
        ),
        ComponentScore(
            "tomita-visceral-metastases",
            inp.visceral.span(_VISCERAL.__getitem__),
            inp.visceral.known,
        ),
        ComponentScore("tomita-bone-metastases", inp.bone.span(_BONE.__getitem__), inp.bone.known),
    )
    total = total_of(components)
    return ScoreResult(
        "tomita", "tomita-2001", components, total, band_of(total, TOMITA_BANDS), TOMITA_BANDS
    )
