"""Inputs beyond the scores that safety depends on (contract §4 neurology card, §5 procedure
check): palsy, epidural compression at every level, vertebral fractures by cause, coagulation
defects, antithrombotic medication and the latest INR and platelet count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapter.fhir.read.records import MedicationRecord
from adapter.mapping.context import Context
from adapter.mapping.evidence import Evidence
from adapter.mapping.findings import Bilsky, Chosen, choose_latest
from adapter.mapping.observations import Findings
from adapter.mapping.staging import Staged, Staging
from adapter.mapping.status import latest_palsy
from adapter.scoring import Frankel, level_order

__all__ = ["Safety", "safety_inputs"]

# Requests and statements of a drug the patient takes or is about to take (paused included).
_ACTIVE_MEDICATION = frozenset({"active", "on-hold", "intended"})


@dataclass(frozen=True, slots=True)
class Safety:
    palsy: Chosen[Frankel] | None
    compression: dict[str, Chosen[Bilsky]]  # each level's own latest grade, at any level
    compression_unplaced: Chosen[Bilsky] | None  # the latest grade recorded without a level
    neoplastic_fractures: tuple[Staged, ...]
    other_fractures: tuple[Staged, ...]
    coagulation: tuple[Staged, ...]
    antithrombotics: tuple[Evidence, ...]
    inr: Chosen[float] | None
    platelets: Chosen[float] | None

    @property
    def high_grade_compression(self) -> tuple[Evidence, ...]:
        """Evidence of Bilsky 2–3 at any level or without a level (the neurology card)."""
        grades = [*self.compression.values()]
        if self.compression_unplaced is not None:
            grades.append(self.compression_unplaced)
        return tuple(
            ev
            for chosen in grades
            if any(g.high_grade for g in chosen.values)
            for ev in chosen.evidence
        )

    def compression_at(self, level: str) -> Chosen[Bilsky] | None:
        """The grade at a level that is not scored: its own, else a high grade without a level."""
        own = self.compression.get(level)
        if own is not None:
            return own
        loose = self.compression_unplaced
        return loose if loose is not None and any(g.high_grade for g in loose.values) else None

    @property
    def deficit(self) -> bool:
        """Whether the latest palsy grade may be a neurological deficit (Frankel/AIS A–D)."""
        return self.palsy is not None and any(g is not Frankel.E for g in self.palsy.values)


def _compression(found: Findings) -> tuple[dict[str, Chosen[Bilsky]], Chosen[Bilsky] | None]:
    items = found.coded.get("epidural-spinal-cord-compression", [])
    levels = sorted({lv for f in items for lv in f.levels or ()}, key=level_order)
    by_level: dict[str, Chosen[Bilsky]] = {}
    for level in levels:
        chosen = choose_latest([f for f in items if f.levels and level in f.levels], "Bilsky")
        if chosen is not None:
            by_level[level] = _grades(chosen)
    loose = choose_latest([f for f in items if f.levels is None], "Bilsky")
    return by_level, _grades(loose) if loose is not None else None


def _grades(chosen: Chosen[object]) -> Chosen[Bilsky]:
    values = frozenset(v for v in chosen.values if isinstance(v, Bilsky))
    return Chosen(values, chosen.evidence, chosen.conflict)


def _antithrombotics(ctx: Context, medications: Iterable[MedicationRecord]) -> tuple[Evidence, ...]:
    found = []
    for med in medications:
        if med.status not in _ACTIVE_MEDICATION or ctx.from_future(med.ref, med.time):
            continue
        for coding in med.codes:
            if ctx.term.in_value_set("antithrombotic-medication", coding.system, coding.code):
                drug = med.name or ctx.term.display(coding.system or "", coding.code)
                summary = f"{drug or 'an antithrombotic (no name recorded)'}, {med.status}"
                found.append(Evidence(med.ref, med.time, summary))
                break
    return tuple(found)


def _lab(found: Findings, lab: str) -> Chosen[float] | None:
    return choose_latest(found.labs.get(lab, []), lab)


def safety_inputs(
    ctx: Context, found: Findings, staging: Staging, medications: Iterable[MedicationRecord]
) -> Safety:
    by_level, unplaced = _compression(found)
    return Safety(
        palsy=latest_palsy(found),
        compression=by_level,
        compression_unplaced=unplaced,
        neoplastic_fractures=tuple(staging.neoplastic_fractures),
        other_fractures=tuple(staging.other_fractures),
        coagulation=tuple(staging.coagulation),
        antithrombotics=_antithrombotics(ctx, medications),
        inr=_lab(found, "inr"),
        platelets=_lab(found, "platelets"),
    )
