"""The New England Spinal Metastasis Score (Ghori 2015; Schoenfeld 2016): modified Bauer ≥ 3
2 points, intact ambulation 1, serum albumin ≥ 3.5 g/dL (35 g/L) 1, and the published ceiling
of 3. Whether walking with an aid counts as ambulatory is UNCONFIRMED: it spans 0–1."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from adapter.scoring.bauer import BauerInput, expand, score_bauer_modified
from adapter.scoring.possible import Possible, Span
from adapter.scoring.result import Part, ScoreResult, result_of
from adapter.vocabulary import NESMS, NESMS_UNLABELLED

__all__ = [
    "ALBUMIN_CUTOFF",
    "ALBUMIN_DOMAIN",
    "NESMS_CEILING",
    "Ambulation",
    "NesmsInput",
    "score_nesms",
]

ALBUMIN_CUTOFF = 35.0  # g/L: 3.5 g/dL
# Two representative albumins, one each side of the cut-off: an unknown albumin spans both.
ALBUMIN_DOMAIN: tuple[float, ...] = (0.0, ALBUMIN_CUTOFF)
NESMS_CEILING = 3
_BAUER_CUTOFF = 3


class Ambulation(Enum):
    INDEPENDENT = "independent"
    WITH_AID = "with-aid"
    NON_AMBULATORY = "non-ambulatory"


# Points each answer may score: walking with an aid is not settled by the sources.
_AMBULATORY = {
    Ambulation.INDEPENDENT: (1,),
    Ambulation.WITH_AID: (0, 1),
    Ambulation.NON_AMBULATORY: (0,),
}


@dataclass(frozen=True, slots=True)
class NesmsInput:
    bauer: BauerInput
    ambulation: Possible[Ambulation]
    albumin: Possible[float]  # g/L


def _points(value: int) -> int:
    return value


def _bauer_points(total: int) -> int:
    return 2 if total >= _BAUER_CUTOFF else 0


def _albumin_points(grams_per_litre: float) -> int:
    return 1 if grams_per_litre >= ALBUMIN_CUTOFF else 0


def score_nesms(inp: NesmsInput) -> ScoreResult:
    """NESMS, total 0–3 = min(sum of the points, 3); no band (none is published per value)."""
    bauer = score_bauer_modified(inp.bauer)
    totals = Possible(
        frozenset(range(bauer.total.low, bauer.total.high + 1)),
        any(c.known for c in bauer.components),
    )
    parts: tuple[Part[Any], ...] = (
        Part(totals, _bauer_points, range(5)),
        Part(expand(inp.ambulation, _AMBULATORY), _points, (0, 1)),
        Part(inp.albumin, _albumin_points, ALBUMIN_DOMAIN),
    )
    # The ceiling is monotone, so capping both ends of the independent sum is exact.
    spans = [part.possible.span(part.points) for part in parts]
    low = sum(s.low for s in spans)
    high = sum(s.high for s in spans)
    total = Span(min(low, NESMS_CEILING), min(high, NESMS_CEILING))
    return replace(result_of(NESMS, parts, total=total), unlabelled=NESMS_UNLABELLED)
