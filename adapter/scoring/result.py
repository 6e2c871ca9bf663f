"""What a score computation returns: per-component spans, the total span and its band."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from adapter.scoring.possible import Possible, Span
from adapter.vocabulary import BandSpec, ComponentSpec, ScoreSpec

__all__ = ["ComponentScore", "Part", "ScoreResult", "result_of", "sums", "total_of"]

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
    published per value, or the total may rest on an UNCONFIRMED item); None otherwise.
    ``reachable`` holds the totals some combination of the inputs gives, when the range is not
    settled (two primaries scoring 0 or 5 give 8 or 13, never 9–11); None: any in the range."""

    spec: ScoreSpec
    components: tuple[ComponentScore, ...]
    total: Span
    band: BandSpec | None
    unlabelled: str | None = None
    reachable: frozenset[int] | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def possible_bands(self) -> tuple[BandSpec, ...]:
        """Every band some possible total falls into (one when the category is settled): a band
        inside the range that no combination of the inputs reaches is not offered."""
        within = self.spec.bands_within(self.total.low, self.total.high)
        reachable = self.reachable
        if reachable is None:
            return within
        return tuple(b for b in within if any(b.low <= t <= b.high for t in reachable))


def total_of(components: Sequence[ComponentScore]) -> Span:
    """Least and greatest total: components are independent, so both ends are attained."""
    low = high = 0
    for component in components:  # summed as ints: a Span made at every step cost 4x
        points = component.points
        low, high = low + points.low, high + points.high
    return Span(low, high)


def result_of(
    spec: ScoreSpec,
    parts: Sequence[Part[Any]],
    *,
    total: Span | None = None,
    reachable: frozenset[int] | None = None,
) -> ScoreResult:
    """The result of a score whose components, in spec order, have these inputs.

    ``total`` replaces the sum of the component spans when inputs are not independent, and
    ``reachable`` the totals they can give (None: any total in the range may occur).
    """
    components = tuple(
        ComponentScore(comp, part.possible.span(part.points), part.possible.known, _full_span(part))
        for comp, part in zip(spec.components, parts, strict=True)
    )
    if total is None:
        total = total_of(components)
        band = spec.band_of(total.low, total.high)
        if band is None:  # only an unsettled range lists its bands
            reachable = sums(part.possible.scores(part.points) for part in parts)
    else:
        band = spec.band_of(total.low, total.high)
    return ScoreResult(spec, components, total, band, reachable=reachable)


def sums(sets: Iterable[frozenset[int]]) -> frozenset[int]:
    """Every total of one member of each set: at most a few dozen for any score."""
    out = frozenset((0,))
    for values in sets:
        out = frozenset(t + v for t in out for v in values)
    return out


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
