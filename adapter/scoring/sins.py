"""SINS, the Spinal Instability Neoplastic Score, per vertebral level.

Source: Fisher CG et al., Spine 2010;35(22):E1221-9. Categories and the referral wording follow
Fisher 2010 and Fourney DR et al., J Clin Oncol 2011;29:3072: a total of 7 or more means a surgical
consultation is recommended; SINS never says "surgery indicated".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from adapter.scoring.levels import LEVELS
from adapter.scoring.possible import Possible
from adapter.scoring.result import Part, ScoreResult, result_of
from adapter.vocabulary import SINS

__all__ = [
    "Alignment",
    "BoneLesion",
    "Collapse",
    "Location",
    "Pain",
    "Posterolateral",
    "SinsInput",
    "answer_points",
    "location_of",
    "score_sins",
]


class Location(Enum):
    JUNCTIONAL = 3
    MOBILE = 2
    SEMI_RIGID = 1
    RIGID = 0


class Pain(Enum):
    MECHANICAL = "mechanical"
    NON_MECHANICAL = "non-mechanical"
    PAIN_FREE = "pain-free"


class BoneLesion(Enum):
    LYTIC = "lytic"
    MIXED = "mixed"
    BLASTIC = "blastic"


class Alignment(Enum):
    SUBLUXATION = "subluxation"
    DE_NOVO_DEFORMITY = "de-novo-deformity"
    NORMAL = "normal"


class Collapse(Enum):
    GT_50 = "gt-50"
    LT_50 = "lt-50"
    NONE_GT_50_INVOLVED = "none-gt-50-involved"
    NONE = "none"


class Posterolateral(Enum):
    BILATERAL = "bilateral"
    UNILATERAL = "unilateral"
    NONE = "none"


_PAIN = {Pain.MECHANICAL: 3, Pain.NON_MECHANICAL: 1, Pain.PAIN_FREE: 0}
_LESION = {BoneLesion.LYTIC: 2, BoneLesion.MIXED: 1, BoneLesion.BLASTIC: 0}
_ALIGNMENT = {Alignment.SUBLUXATION: 4, Alignment.DE_NOVO_DEFORMITY: 2, Alignment.NORMAL: 0}
_COLLAPSE = {
    Collapse.GT_50: 3,
    Collapse.LT_50: 2,
    Collapse.NONE_GT_50_INVOLVED: 1,
    Collapse.NONE: 0,
}
_POSTEROLATERAL = {
    Posterolateral.BILATERAL: 3,
    Posterolateral.UNILATERAL: 1,
    Posterolateral.NONE: 0,
}

_TABLES: tuple[Mapping[Any, int], ...] = (_PAIN, _LESION, _ALIGNMENT, _COLLAPSE, _POSTEROLATERAL)
_POINTS: dict[Enum, int] = {answer: points for t in _TABLES for answer, points in t.items()}


def answer_points(answer: Pain | BoneLesion | Alignment | Collapse | Posterolateral) -> int:
    """The SINS points of one finding's answer (Fisher 2010, Table 1)."""
    return _POINTS[answer]


_J, _M, _S, _R = Location.JUNCTIONAL, Location.MOBILE, Location.SEMI_RIGID, Location.RIGID
# Fisher 2010, Table 1: junctional O-C2, C7-T2, T11-L1, L5-S1; mobile C3-C6, L2-L4;
# semi-rigid T3-T10; rigid S2-S5. The coccyx is not part of the score.
_LOCATION: dict[str, Location] = {
    "occiput": _J, "C1": _J, "C2": _J,
    "C3": _M, "C4": _M, "C5": _M, "C6": _M,
    "C7": _J, "T1": _J, "T2": _J,
    **{f"T{n}": _S for n in range(3, 11)},
    "T11": _J, "T12": _J, "L1": _J,
    "L2": _M, "L3": _M, "L4": _M,
    "L5": _J, "S1": _J,
    "S2": _R, "S3": _R, "S4": _R, "S5": _R,
}  # fmt: skip


def location_of(level: str) -> Location | None:
    """SINS location class of a level, or None where SINS does not define one (coccyx)."""
    if level not in LEVELS:
        raise ValueError(f"not a spinal level: {level!r}")
    return _LOCATION.get(level)


@dataclass(frozen=True, slots=True)
class SinsInput:
    """The findings at one scored level; each a set of possible answers."""

    level: str
    pain: Possible[Pain]
    bone_lesion: Possible[BoneLesion]
    alignment: Possible[Alignment]
    collapse: Possible[Collapse]
    posterolateral: Possible[Posterolateral]


def score_sins(inp: SinsInput) -> ScoreResult:
    """SINS of one level (Fisher 2010). Raises ValueError for a level SINS does not score."""
    location = location_of(inp.level)
    if location is None:
        raise ValueError(f"SINS does not score level {inp.level}")
    return result_of(
        SINS,
        (
            Part(Possible.of(location), _location_points, Location),
            Part(inp.pain, _PAIN.__getitem__, Pain),
            Part(inp.bone_lesion, _LESION.__getitem__, BoneLesion),
            Part(inp.alignment, _ALIGNMENT.__getitem__, Alignment),
            Part(inp.collapse, _COLLAPSE.__getitem__, Collapse),
            Part(inp.posterolateral, _POSTEROLATERAL.__getitem__, Posterolateral),
        ),
    )


def _location_points(location: Location) -> int:
    return location.value
