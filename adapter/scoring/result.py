"""What a score computation returns: per-component spans, the total span and its band."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from adapter.scoring.possible import Possible, Span
from adapter.vocabulary import BandSpec, ComponentSpec, ScoreSpec

__all__ = ["ComponentScore", "Part", "ScoreResult", "result_of", "total_of"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Part(Generic[T]):
    """One component's input: its possible values, how each scores, and every value it can take."""

    possible: Possible[T]
    points: Callable[[T], int]
    domain: Iterable[T]


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """Points of one component. ``known`` is False when no input fed it (dataAbsentReason);
    ``full`` is what it would span if nothing were known (to tell what a band depends on)."""

    spec: ComponentSpec
    points: Span
    known: bool
    full: Span

    @property
    def code(self) -> str:
        return self.spec.code


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A whole score: its spec, components, the exact total range and the band if settled.

    ``unlabelled`` says why a total carries no band at all, whatever its range (no label is
    published per value, or the total may rest on an UNCONFIRMED item); None otherwise."""

    spec: ScoreSpec
    components: tuple[ComponentScore, ...]
    total: Span
    band: BandSpec | None
    unlabelled: str | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def possible_bands(self) -> tuple[BandSpec, ...]:
        """Every band some total in the range falls into (one when the category is settled)."""
        return self.spec.bands_within(self.total.low, self.total.high)


def total_of(components: Sequence[ComponentScore]) -> Span:
    """Least and greatest total: components are independent, so both ends are attained."""
    low = high = 0
    for component in components:  # summed as ints: a Span made at every step cost 4x
        points = component.points
        low, high = low + points.low, high + points.high
    return Span(low, high)


def result_of(
    spec: ScoreSpec, parts: Sequence[Part[Any]], *, total: Span | None = None
) -> ScoreResult:
    """The result of a score whose components, in spec order, have these inputs.

    ``total`` replaces the sum of the component spans when inputs are not independent.
    """
    components = tuple(
        ComponentScore(comp, part.possible.span(part.points), part.possible.known, _full_span(part))
        for comp, part in zip(spec.components, parts, strict=True)
    )
    total = total or total_of(components)
    return ScoreResult(spec, components, total, spec.band_of(total.low, total.high))


def _full_span(part: Part[Any]) -> Span:
    """What the component spans over its whole domain: the same for every patient."""
    try:  # an enum, a range, a tuple: cached (asking isinstance(_, Hashable) cost as much)
        return _cached_full_span(part.points, cast(Hashable, part.domain))
    except TypeError:  # unhashable, e.g. a list
        return Possible.among(part.domain).span(part.points)


# Keyed on the points function (module-level functions and bound methods of module-level
# tables: a handful of keys) and the domain; bounded all the same.
@functools.lru_cache(maxsize=256)
def _cached_full_span(points: Callable[[Any], int], domain: Iterable[Any]) -> Span:
    return Possible.among(domain).span(points)
