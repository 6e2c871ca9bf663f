"""Revised (2005) and original (1990) Tokuhashi scores: preoperative prognosis.

Sources: Tokuhashi Y et al., Spine 2005;30(19):2186-91 (revised, total 0-15) and
Tokuhashi Y et al., Spine 1990;15(11):1110-3 (original, total 0-12). Both share five parameters;
they differ in the primary-site groups and the bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from adapter.scoring.possible import Possible, Span
from adapter.scoring.result import Part, ScoreResult, result_of, sums
from adapter.vocabulary import TOKUHASHI_ORIGINAL, TOKUHASHI_REVISED, ScoreSpec

__all__ = [
    "COUNT_CAP",
    "KPS_VALUES",
    "Frankel",
    "MajorOrgan",
    "PrimarySite",
    "TokuhashiInput",
    "score_tokuhashi_original",
    "score_tokuhashi_revised",
]

KPS_VALUES: tuple[int, ...] = tuple(range(10, 101, 10))
COUNT_CAP = 3
"""Counts are kept as 0, 1, 2 or 3, where 3 stands for "3 or more": no band splits above it."""


class PrimarySite(Enum):
    LUNG = "lung"
    OSTEOSARCOMA = "osteosarcoma"
    STOMACH = "stomach"
    BLADDER = "bladder"
    ESOPHAGUS = "esophagus"
    PANCREAS = "pancreas"
    LIVER = "liver"
    GALLBLADDER = "gallbladder"
    UNIDENTIFIED = "unidentified"
    KIDNEY = "kidney"
    UTERUS = "uterus"
    RECTUM = "rectum"
    THYROID = "thyroid"
    BREAST = "breast"
    PROSTATE = "prostate"
    CARCINOID = "carcinoid"
    COLON = "colon"
    MYELOMA = "myeloma"
    LYMPHOMA = "lymphoma"
    SARCOMA = "sarcoma"
    OTHER = "other"


class MajorOrgan(Enum):
    NONE = "none"
    REMOVABLE = "removable"
    UNREMOVABLE = "unremovable"


class Frankel(Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


_S = PrimarySite
# 2005 table: lung, osteosarcoma, stomach, bladder, oesophagus, pancreas 0; liver, gallbladder,
# unidentified 1; others 2; kidney, uterus 3; rectum 4; thyroid, breast, prostate, carcinoid 5.
_SITE_REVISED = {
    _S.LUNG: 0, _S.OSTEOSARCOMA: 0, _S.STOMACH: 0, _S.BLADDER: 0, _S.ESOPHAGUS: 0, _S.PANCREAS: 0,
    _S.LIVER: 1, _S.GALLBLADDER: 1, _S.UNIDENTIFIED: 1,
    _S.COLON: 2, _S.MYELOMA: 2, _S.LYMPHOMA: 2, _S.SARCOMA: 2, _S.OTHER: 2,
    _S.KIDNEY: 3, _S.UTERUS: 3,
    _S.RECTUM: 4,
    _S.THYROID: 5, _S.BREAST: 5, _S.PROSTATE: 5, _S.CARCINOID: 5,
}  # fmt: skip
# 1990 table: lung, stomach 0; kidney, liver, uterus, others, unidentified 1;
# thyroid, prostate, breast, rectum 2.
_SITE_ORIGINAL = {site: 1 for site in PrimarySite} | {
    _S.LUNG: 0, _S.STOMACH: 0,
    _S.THYROID: 2, _S.PROSTATE: 2, _S.BREAST: 2, _S.RECTUM: 2,
}  # fmt: skip
_MAJOR = {MajorOrgan.UNREMOVABLE: 0, MajorOrgan.REMOVABLE: 1, MajorOrgan.NONE: 2}
_PALSY = {Frankel.A: 0, Frankel.B: 0, Frankel.C: 1, Frankel.D: 1, Frankel.E: 2}


@dataclass(frozen=True, slots=True)
class TokuhashiInput:
    """Karnofsky values, counts capped at COUNT_CAP, organ, site and Frankel as possible sets."""

    kps: Possible[int]
    extraspinal_count: Possible[int]
    vertebral_count: Possible[int]
    major_organ: Possible[MajorOrgan]
    primary_site: Possible[PrimarySite]
    palsy: Possible[Frankel]
    count_pairs: frozenset[tuple[int, int]] | None = None
    """The (vertebral, extraspinal) counts that are possible together, when the two counts are
    not independent (a lesion of unknown site adds to one of them, not both); None otherwise."""


def _general_condition(kps: int) -> int:
    if kps not in KPS_VALUES:
        raise ValueError(f"invalid Karnofsky score {kps}")
    return 0 if kps <= 40 else 1 if kps <= 70 else 2


def _extraspinal(count: int) -> int:
    if count < 0:
        raise ValueError(f"invalid count {count}")
    return 2 if count == 0 else 1 if count <= 2 else 0


def _vertebral(count: int) -> int:
    if count < 1:
        raise ValueError(f"invalid vertebral count {count}: the index lesion counts")
    return 2 if count == 1 else 1 if count == 2 else 0


_COUNTS = range(COUNT_CAP + 1)


def _parts(inp: TokuhashiInput, site_points: dict[PrimarySite, int]) -> tuple[Part[Any], ...]:
    return (
        Part(inp.kps, _general_condition, KPS_VALUES),
        Part(inp.extraspinal_count, _extraspinal, _COUNTS),
        Part(inp.vertebral_count, _vertebral, _COUNTS[1:]),
        Part(inp.major_organ, _MAJOR.__getitem__, MajorOrgan),
        Part(inp.primary_site, site_points.__getitem__, PrimarySite),
        Part(inp.palsy, _PALSY.__getitem__, Frankel),
    )


def _score(
    spec: ScoreSpec, inp: TokuhashiInput, site_points: dict[PrimarySite, int]
) -> ScoreResult:
    parts = _parts(inp, site_points)
    if inp.count_pairs is None:
        return result_of(spec, parts)
    # The two counts are possible only in pairs: the exact totals are over those pairs.
    pairs = frozenset(_vertebral(v) + _extraspinal(e) for v, e in inp.count_pairs)
    rest = [part.possible.scores(part.points) for i, part in enumerate(parts) if i not in (1, 2)]
    reachable = sums((pairs, *rest))
    total = Span(min(reachable), max(reachable))
    return result_of(spec, parts, total=total, reachable=reachable)


def score_tokuhashi_revised(inp: TokuhashiInput) -> ScoreResult:
    """Revised Tokuhashi score, total 0–15 (Tokuhashi 2005)."""
    return _score(TOKUHASHI_REVISED, inp, _SITE_REVISED)


def score_tokuhashi_original(inp: TokuhashiInput) -> ScoreResult:
    """Original Tokuhashi score, total 0–12 (Tokuhashi 1990)."""
    return _score(TOKUHASHI_ORIGINAL, inp, _SITE_ORIGINAL)
