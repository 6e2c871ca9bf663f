"""The van der Linden score (van der Linden et al., Cancer 2005; Dutch Bone Metastasis Study).

Karnofsky 80–100 2, 50–70 1, 20–40 0; breast 3, prostate 2, lung 1, other 0; no visceral
metastases 1. The tertiary source prints the 0 band as KPS 20–40: KPS 10 scores 0 there only by
extension (UNCONFIRMED), so a total that may rest on KPS 10 is given without its group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from adapter.scoring.bauer import expand
from adapter.scoring.possible import Possible
from adapter.scoring.result import Part, ScoreResult, result_of
from adapter.scoring.tokuhashi import KPS_VALUES, PrimarySite
from adapter.scoring.tomita import Visceral
from adapter.vocabulary import LINDEN, LINDEN_KPS_UNCONFIRMED

__all__ = ["KPS_UNCONFIRMED", "LindenInput", "LindenPrimary", "score_linden"]

KPS_UNCONFIRMED = 10


class LindenPrimary(Enum):
    BREAST = "breast"
    PROSTATE = "prostate"
    LUNG = "lung"
    OTHER = "other"


def _linden_primary(site: PrimarySite) -> tuple[LindenPrimary, ...]:
    if site is PrimarySite.UNIDENTIFIED:  # may be a lung cancer
        return (LindenPrimary.LUNG, LindenPrimary.OTHER)
    named = {
        PrimarySite.BREAST: LindenPrimary.BREAST,
        PrimarySite.PROSTATE: LindenPrimary.PROSTATE,
        PrimarySite.LUNG: LindenPrimary.LUNG,
    }
    return (named.get(site, LindenPrimary.OTHER),)


_PRIMARY = {site: _linden_primary(site) for site in PrimarySite}
_PRIMARY_POINTS = {
    LindenPrimary.BREAST: 3,
    LindenPrimary.PROSTATE: 2,
    LindenPrimary.LUNG: 1,
    LindenPrimary.OTHER: 0,
}


@dataclass(frozen=True, slots=True)
class LindenInput:
    kps: Possible[int]
    primary: Possible[PrimarySite]
    visceral: Possible[Visceral]


def _kps_points(kps: int) -> int:
    if kps not in KPS_VALUES:
        raise ValueError(f"invalid Karnofsky score {kps}")
    return 2 if kps >= 80 else 1 if kps >= 50 else 0


def _no_visceral(value: Visceral) -> int:
    return 1 if value is Visceral.NONE else 0


def score_linden(inp: LindenInput) -> ScoreResult:
    """van der Linden score, total 0–6; no group when the total may rest on a recorded KPS 10."""
    result = result_of(
        LINDEN,
        (
            Part(inp.kps, _kps_points, KPS_VALUES),
            Part(expand(inp.primary, _PRIMARY), _PRIMARY_POINTS.__getitem__, LindenPrimary),
            Part(inp.visceral, _no_visceral, Visceral),
        ),
    )
    # A recorded KPS 10 (or ECOG 4, KPS 10–20): the total rests on the UNCONFIRMED extension.
    # A missing KPS contributes its whole point range like any missing input.
    if inp.kps.known and KPS_UNCONFIRMED in inp.kps.values:
        return replace(result, band=None, unlabelled=LINDEN_KPS_UNCONFIRMED)
    return result
