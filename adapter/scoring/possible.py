"""Possible values of one score input: the building block of honest ranges.

A recorded input is a set with one member; conflicting findings of equal time, an ECOG grade
standing in for a Karnofsky score, or an ambiguous tumour class give several members; an input
nobody recorded is *unknown*: every option is possible and nothing is known about it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Possible", "Span"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Span:
    """A closed integer interval ``low..high``; certain when both ends meet."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"empty span {self.low}..{self.high}")

    @property
    def certain(self) -> bool:
        return self.low == self.high

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.certain else f"{self.low}–{self.high}"


@dataclass(frozen=True, slots=True)
class Possible(Generic[T]):
    """The values an input may take. ``known`` is False when nothing was recorded at all."""

    values: frozenset[T]
    known: bool = True

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("an input needs at least one possible value")

    @classmethod
    def of(cls, *values: T) -> Possible[T]:
        return cls(frozenset(values))

    @classmethod
    def among(cls, values: Iterable[T]) -> Possible[T]:
        return cls(frozenset(values))

    @classmethod
    def unknown(cls, domain: Iterable[T]) -> Possible[T]:
        return cls(frozenset(domain), known=False)

    @property
    def certain(self) -> bool:
        return self.known and len(self.values) == 1

    def span(self, points: Callable[[T], int]) -> Span:
        return _span(points, self.values)

    def scores(self, points: Callable[[T], int]) -> frozenset[int]:
        """Every number of points some possible value scores (the span may hold gaps)."""
        return _scores(points, self.values)


# Every patient's inputs take a few of the same value sets, scored by a handful of module-level
# points functions and tables' lookups (a bound method hashes by its table's identity, which
# the key keeps alive): each pair is scored once.
@functools.lru_cache(maxsize=4096)
def _span(points: Callable[[T], int], values: frozenset[T]) -> Span:
    scored = [points(v) for v in values]
    return Span(min(scored), max(scored))


@functools.lru_cache(maxsize=4096)
def _scores(points: Callable[[T], int], values: frozenset[T]) -> frozenset[int]:
    return frozenset(points(v) for v in values)
