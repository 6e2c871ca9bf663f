"""The Bauer score (Bauer, Wedin 1995) and the modified Bauer score (Leithner 2008).

One point per favourable factor; the modified score is the original without the
pathological-fracture item, so the two totals differ only through that item. The primary
tumour arrives as Tokuhashi site groups; an unidentified primary may be lung or not and is not
one of the favourable tumours (how Bauer scored it is UNCONFIRMED, so it stays a range).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from adapter.scoring.possible import Possible
from adapter.scoring.result import Part, ScoreResult, result_of
from adapter.scoring.tokuhashi import PrimarySite
from adapter.scoring.tomita import BoneExtent, Visceral
from adapter.vocabulary import BAUER_MODIFIED, BAUER_ORIGINAL

__all__ = [
    "BauerInput",
    "BauerPrimary",
    "Fracture",
    "expand",
    "score_bauer_modified",
    "score_bauer_original",
]

T = TypeVar("T")
U = TypeVar("U")


class Fracture(Enum):
    PRESENT = "present"
    ABSENT = "absent"


class BauerPrimary(Enum):
    """What the Bauer items ask of the primary: lung, one of the four favourable tumours, other."""

    LUNG = "lung"
    FAVOURABLE = "favourable"
    OTHER = "other"


_S = PrimarySite
_FAVOURABLE = frozenset({_S.BREAST, _S.KIDNEY, _S.LYMPHOMA, _S.MYELOMA})


def _bauer_primary(site: PrimarySite) -> frozenset[BauerPrimary]:
    if site is _S.LUNG:
        return frozenset({BauerPrimary.LUNG})
    if site in _FAVOURABLE:
        return frozenset({BauerPrimary.FAVOURABLE})
    if site is _S.UNIDENTIFIED:  # may be a lung cancer; not known to be favourable
        return frozenset({BauerPrimary.LUNG, BauerPrimary.OTHER})
    return frozenset({BauerPrimary.OTHER})


_PRIMARY: Mapping[PrimarySite, frozenset[BauerPrimary]] = {s: _bauer_primary(s) for s in _S}


def expand(possible: Possible[T], table: Mapping[T, Iterable[U]]) -> Possible[U]:
    """The values of another domain that the possible values stand for (known stays known)."""
    return Possible(frozenset(u for v in possible.values for u in table[v]), possible.known)


@dataclass(frozen=True, slots=True)
class BauerInput:
    fracture: Possible[Fracture]
    visceral: Possible[Visceral]
    primary: Possible[PrimarySite]
    bone: Possible[BoneExtent]


def _no_fracture(value: Fracture) -> int:
    return 1 if value is Fracture.ABSENT else 0


def _no_visceral(value: Visceral) -> int:
    return 1 if value is Visceral.NONE else 0


def _not_lung(value: BauerPrimary) -> int:
    return 0 if value is BauerPrimary.LUNG else 1


def _favourable(value: BauerPrimary) -> int:
    return 1 if value is BauerPrimary.FAVOURABLE else 0


def _solitary(value: BoneExtent) -> int:
    return 1 if value is BoneExtent.SOLITARY else 0


def _shared_parts(
    inp: BauerInput,
) -> tuple[Part[Visceral], Part[BauerPrimary], Part[BauerPrimary], Part[BoneExtent]]:
    # Both primary items read one input; their points rise together (lung 0+0, other 1+0,
    # favourable 1+1), so the sum of their spans is the exact range of their sum.
    primary = expand(inp.primary, _PRIMARY)
    return (
        Part(inp.visceral, _no_visceral, Visceral),
        Part(primary, _not_lung, BauerPrimary),
        Part(primary, _favourable, BauerPrimary),
        Part(inp.bone, _solitary, BoneExtent),
    )


def score_bauer_original(inp: BauerInput) -> ScoreResult:
    """Bauer score, total 0–5 (Bauer and Wedin 1995)."""
    return result_of(
        BAUER_ORIGINAL, (Part(inp.fracture, _no_fracture, Fracture), *_shared_parts(inp))
    )


def score_bauer_modified(inp: BauerInput) -> ScoreResult:
    """Modified Bauer score, total 0–4 (Leithner 2008): without the fracture item."""
    return result_of(BAUER_MODIFIED, _shared_parts(inp))
