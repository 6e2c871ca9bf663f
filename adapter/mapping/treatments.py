"""Completed spinal treatments, level by level (contract §5 v3, §6 v3).

One reading of the patient's Procedures serves every rule that asks what was done to a level:
cement augmentation and screw fixation stabilise a level (its SINS is then shown as
pre-treatment), decompression supersedes a Bilsky grade recorded before it, and radiotherapy is
named beside an order at its level but decompresses nothing at once. The codes are data: the
four procedure ValueSets in mappings/.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.followup import ProcedureRecord
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.context import Context
from adapter.mapping.sites import resolve_site
from adapter.scoring import level_order

__all__ = ["TREATMENT_VALUE_SETS", "Treatment", "TreatmentKind", "read_treatments"]

TreatmentKind = Literal["augmentation", "fixation", "decompression", "radiotherapy"]

# Which ValueSet names each kind of treatment; one procedure code may be in several.
TREATMENT_VALUE_SETS: tuple[tuple[TreatmentKind, str], ...] = (
    ("augmentation", "vertebral-augmentation-procedure"),
    ("fixation", "spinal-fixation-procedure"),
    ("decompression", "spinal-decompression-procedure"),
    ("radiotherapy", "spinal-radiotherapy-procedure"),
)

_NAMES: dict[TreatmentKind, str] = {
    "augmentation": "vertebroplasty/kyphoplasty",
    "fixation": "fixation",
    "decompression": "decompression",
    "radiotherapy": "radiotherapy",
}


@dataclass(frozen=True, slots=True)
class Treatment:
    """One completed Procedure at spinal levels: what it was, where, when, and its source."""

    kinds: frozenset[TreatmentKind]
    levels: tuple[str, ...]  # anatomical order; () when its bodySite names no level
    time: ClinicalTime
    evidence: Evidence
    displays: tuple[str, ...] = ()  # the mappings' displays of its codes ("Stereotactic body …")
    # "vertebroplasty" or "kyphoplasty" when the record's own name of the procedure says which.
    augmentation: str | None = None

    @property
    def stabilises(self) -> bool:
        return bool(self.kinds & {"augmentation", "fixation"})

    @property
    def name(self) -> str:
        """How a clinician names it: "vertebroplasty", "vertebroplasty/kyphoplasty", …"""
        return _name(self.kinds, self.augmentation)

    def at(self, level: str) -> bool:
        return level in self.levels


def _name(kinds: frozenset[TreatmentKind], augmentation: str | None) -> str:
    names = {**_NAMES, "augmentation": augmentation} if augmentation else _NAMES
    return " and ".join(names[k] for k, _ in TREATMENT_VALUE_SETS if k in kinds)


def _augmentation(proc: ProcedureRecord, displays: tuple[str, ...]) -> str | None:
    """Which cement augmentation the record names (its text or displays) or its codes mean (our
    mappings' displays: CPT 22511 is a vertebroplasty), when exactly one."""
    words = " ".join((proc.words, *displays)).lower()
    named = [word for word in ("vertebroplasty", "kyphoplasty") if word in words]
    return named[0] if len(named) == 1 else None


def _kinds(ctx: Context, proc: ProcedureRecord) -> frozenset[TreatmentKind]:
    return frozenset(
        kind
        for kind, value_set in TREATMENT_VALUE_SETS
        if any(ctx.term.in_value_set(value_set, c.system, c.code) for c in proc.codes)
    )


def read_treatments(ctx: Context, procedures: Iterable[ProcedureRecord]) -> tuple[Treatment, ...]:
    """Completed, timed spinal treatments up to the computation time, oldest first."""
    out: list[Treatment] = []
    for proc in procedures:
        if proc.status != "completed" or proc.time is None:
            continue
        kinds = _kinds(ctx, proc)
        named = " and ".join(sorted(kinds)).capitalize()
        if not kinds or ctx.from_future(proc.ref, proc.time, named):
            continue
        sites = [resolve_site(concept, ctx.term) for concept in proc.body_sites]
        levels = tuple(sorted({s.level for s in sites if s.level}, key=level_order))
        displays = tuple(
            d for c in proc.codes if c.system and (d := ctx.term.display(c.system, c.code))
        )
        augmentation = _augmentation(proc, displays) if "augmentation" in kinds else None
        summary = _name(kinds, augmentation)
        where = f" at {', '.join(levels)}" if levels else ", level not recorded"
        evidence = Evidence(proc.ref, proc.time, summary + where)
        out.append(Treatment(kinds, levels, proc.time, evidence, displays, augmentation))
    return tuple(sorted(out, key=lambda t: t.time.instant))
