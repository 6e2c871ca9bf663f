"""Pure score computations over typed inputs: no FHIR, no I/O, no clock.

Every input is a set of possible values (:class:`Possible`), so every component and total is an
exact range, and a category exists only when the whole range lies in one band.
"""

from adapter.scoring.bauer import (
    BauerInput,
    BauerPrimary,
    Fracture,
    expand,
    score_bauer_modified,
    score_bauer_original,
)
from adapter.scoring.levels import LEVELS, level_order, level_runs, worst_first
from adapter.scoring.linden import KPS_UNCONFIRMED, LindenInput, LindenPrimary, score_linden
from adapter.scoring.nesms import (
    ALBUMIN_CUTOFF,
    ALBUMIN_DOMAIN,
    NESMS_CEILING,
    Ambulation,
    NesmsInput,
    score_nesms,
)
from adapter.scoring.noms import (
    Compression,
    NomsInput,
    NomsResult,
    Radiosensitivity,
    Stability,
    Tolerance,
    noms_paths,
)
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
    "ALBUMIN_CUTOFF",
    "ALBUMIN_DOMAIN",
    "COUNT_CAP",
    "KPS_UNCONFIRMED",
    "KPS_VALUES",
    "LEVELS",
    "NESMS_CEILING",
    "Alignment",
    "Ambulation",
    "BauerInput",
    "BauerPrimary",
    "BoneExtent",
    "BoneLesion",
    "Collapse",
    "ComponentScore",
    "Compression",
    "Fracture",
    "Frankel",
    "Growth",
    "LindenInput",
    "LindenPrimary",
    "Location",
    "MajorOrgan",
    "NesmsInput",
    "NomsInput",
    "NomsResult",
    "Pain",
    "Possible",
    "Posterolateral",
    "PrimarySite",
    "Radiosensitivity",
    "ScoreResult",
    "SinsInput",
    "Span",
    "Stability",
    "TokuhashiInput",
    "Tolerance",
    "TomitaInput",
    "Visceral",
    "answer_points",
    "bone_extent_from_counts",
    "expand",
    "level_order",
    "level_runs",
    "location_of",
    "noms_paths",
    "score_bauer_modified",
    "score_bauer_original",
    "score_linden",
    "score_nesms",
    "score_sins",
    "score_tokuhashi_original",
    "score_tokuhashi_revised",
    "score_tomita",
    "worst_first",
]
