"""What a score computation returns: per-component spans, the total span and its band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.scoring.possible import Span
from adapter.vocabulary import BandSpec, ComponentSpec, ScoreSpec

__all__ = ["ComponentScore", "ScoreResult", "result_of", "total_of"]


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """Points of one component. ``known`` is False when no input fed it (dataAbsentReason)."""

    spec: ComponentSpec
    points: Span
    known: bool

    @property
    def code(self) -> str:
        return self.spec.code


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A whole score: its spec, components, the exact total range and the band if settled."""

    spec: ScoreSpec
    components: tuple[ComponentScore, ...]
    total: Span
    band: BandSpec | None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def possible_bands(self) -> tuple[BandSpec, ...]:
        """Every band some total in the range falls into (one when the category is settled)."""
        return self.spec.bands_within(self.total.low, self.total.high)


def total_of(components: Sequence[ComponentScore]) -> Span:
    """Least and greatest total: components are independent, so both ends are attained."""
    total = Span(0, 0)
    for component in components:
        total = total + component.points
    return total


def result_of(spec: ScoreSpec, spans: Sequence[tuple[Span, bool]]) -> ScoreResult:
    """The result of a score whose components, in spec order, have these spans."""
    components = tuple(
        ComponentScore(comp, points, known)
        for comp, (points, known) in zip(spec.components, spans, strict=True)
    )
    total = total_of(components)
    return ScoreResult(spec, components, total, spec.band_of(total.low, total.high))
