"""What each score component was derived from: input resources, times and notes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapter.fhir.read.records import ResourceRef
from adapter.fhir.read.timing import ClinicalTime

__all__ = ["Basis", "Evidence"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One input resource used, with its clinical time and a one-line reading of it."""

    ref: ResourceRef
    time: ClinicalTime | None
    summary: str


@dataclass(frozen=True, slots=True)
class Basis:
    """The evidence of one component, how it was read, and what would settle it.

    ``caveats`` are the notes that must travel with the result itself (conflicts, stand-ins such
    as ECOG for Karnofsky or AIS for Frankel, ambiguity, widened counts); ``notes`` explain a
    derivation and appear in reports only.
    """

    evidence: tuple[Evidence, ...] = ()
    notes: tuple[str, ...] = ()
    settle: str | None = None

    caveats: tuple[str, ...] = ()

    def plus(self, evidence: Iterable[Evidence] = (), caveats: Iterable[str] = ()) -> Basis:
        return Basis(
            (*self.evidence, *evidence), self.notes, self.settle, (*self.caveats, *caveats)
        )

    @property
    def all_notes(self) -> tuple[str, ...]:
        return (*self.caveats, *self.notes)
