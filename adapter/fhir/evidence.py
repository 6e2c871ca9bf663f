"""What each score component was derived from: input resources, times and notes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapter.fhir.records import ResourceRef
from adapter.fhir.timing import ClinicalTime

__all__ = ["Basis", "Evidence"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One input resource used, with its clinical time and a one-line reading of it."""

    ref: ResourceRef
    time: ClinicalTime | None
    summary: str


@dataclass(frozen=True, slots=True)
class Basis:
    """The evidence of one component, notes on how it was read, and what would settle it."""

    evidence: tuple[Evidence, ...] = ()
    notes: tuple[str, ...] = ()
    settle: str | None = None

    def plus(self, evidence: Iterable[Evidence] = (), notes: Iterable[str] = ()) -> Basis:
        return Basis((*self.evidence, *evidence), (*self.notes, *notes), self.settle)
