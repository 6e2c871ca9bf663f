"""Pure score computations over typed inputs: no FHIR, no I/O, no clock.

Every input is a set of possible values (:class:`Possible`), so every component and total is an
exact range, and a category exists only when the whole range lies in one band.
"""

from adapter.scoring.levels import LEVELS, level_order
from adapter.scoring.possible import Possible, Span
from adapter.scoring.result import ComponentScore, ScoreResult
from adapter.scoring.sins import (
    Alignment,
    BoneLesion,
    Collapse,
    Location,
    Pain,
    Posterolateral,
    SinsInput,
    answer_points,
    location_of,
    score_sins,
)
from adapter.scoring.tokuhashi import (
    COUNT_CAP,
    KPS_VALUES,
    Frankel,
    MajorOrgan,
    PrimarySite,
    TokuhashiInput,
    score_tokuhashi_original,
    score_tokuhashi_revised,
)
from adapter.scoring.tomita import (
    BoneExtent,
    Growth,
    TomitaInput,
    Visceral,
    bone_extent_from_counts,
    score_tomita,
)

__all__ = [
    "COUNT_CAP",
    "KPS_VALUES",
    "LEVELS",
    "Alignment",
    "BoneExtent",
    "BoneLesion",
    "Collapse",
    "ComponentScore",
    "Frankel",
    "Growth",
    "Location",
    "MajorOrgan",
    "Pain",
    "Possible",
    "Posterolateral",
    "PrimarySite",
    "ScoreResult",
    "SinsInput",
    "Span",
    "TokuhashiInput",
    "TomitaInput",
    "Visceral",
    "answer_points",
    "bone_extent_from_counts",
    "level_order",
    "location_of",
    "score_sins",
    "score_tokuhashi_original",
    "score_tokuhashi_revised",
    "score_tomita",
]
