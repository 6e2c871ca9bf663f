"""What a score computation returns: per-component spans, the total span and its band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.scoring.possible import Span

__all__ = ["Band", "ComponentScore", "ScoreResult", "band_of", "total_of"]


@dataclass(frozen=True, slots=True)
class Band:
    """A result category: the contract's category code, its total range and what it means."""

    code: str
    low: int
    high: int
    label: str
    recommendation: str


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """Points of one component. ``known`` is False when no input fed it (dataAbsentReason)."""

    code: str
    points: Span
    known: bool


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A whole score: its code and method, components, the exact total range, the band if any."""

    code: str
    method: str
    components: tuple[ComponentScore, ...]
    total: Span
    band: Band | None
    bands: tuple[Band, ...]

    @property
    def possible_bands(self) -> tuple[Band, ...]:
        """Every band some total in the range falls into (one when the category is settled)."""
        return tuple(b for b in self.bands if b.low <= self.total.high and self.total.low <= b.high)


def total_of(components: Sequence[ComponentScore]) -> Span:
    """Least and greatest total: components are independent, so both ends are attained."""
    total = Span(0, 0)
    for component in components:
        total = total + component.points
    return total


def band_of(total: Span, bands: Sequence[Band]) -> Band | None:
    """The band holding every total of the range, or None when the range spans bands."""
    for band in bands:
        if band.low <= total.low and total.high <= band.high:
            return band
    return None
