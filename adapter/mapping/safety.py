"""Inputs beyond the scores that safety depends on (contract §4 neurology card, §5 procedure
check): palsy, epidural compression at every level, vertebral fractures by cause, coagulation
defects, antithrombotic medication, the latest INR and platelet count, and active infections.

A preliminary palsy or Bilsky grade (contract §2 v3) is carried apart, and only when it could
raise an alarm: Frankel/AIS A–D or Bilsky 2–3, not older than every final grade of its kind (a
final grade of the same or a later time replaces it; one with no recorded time is not known to be
older, so it stands). So is a final grade with no recorded time that a
timed normal grade outranks (Frankel/AIS A–D behind E, Bilsky 2–3 behind 0–1c at its level): of
uncertain age, it may raise an alarm but never settle one (contract §4 v3); scores span both
grades (adapter/mapping/findings.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.records import MedicationRecord
from adapter.fhir.read.timing import ClinicalTime, at_or_after, same_time
from adapter.mapping.context import Context
from adapter.mapping.findings import Bilsky, Chosen, Finding, WholeSpine, choose_latest
from adapter.mapping.medicines import active_of_kind, problem_list_use, unidentified
from adapter.mapping.observations import Findings
from adapter.mapping.rules import FINDING_WINDOW
from adapter.mapping.staging import Staged, Staging
from adapter.mapping.status import latest_palsy
from adapter.scoring import Frankel, level_order
from adapter.vocabulary.findings import (
    ASIA_IMPAIRMENT_SCALE,
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    FRANKEL_GRADE,
    WHOLE_SPINE_ESCC,
)

__all__ = ["PalsyGrade", "Safety", "replaced", "safety_inputs"]


@dataclass(frozen=True, slots=True)
class PalsyGrade:
    """One final Frankel or AIS grade as recorded (the history an established deficit needs)."""

    grade: Frankel
    time: ClinicalTime | None
    scale: str  # "Frankel" or "AIS"


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
    # The latest INR or platelet Observation that could not be read (contract §2 v3: a unit
    # that does not convert), when it is at least as recent as the value read: the check names
    # it ("platelets 3 Dec 2026: unit 'g' not understood") rather than "no platelets recorded".
    inr_unread: Finding[str] | None = None
    platelets_unread: Finding[str] | None = None
    infections: tuple[Staged, ...] = ()  # sepsis, bacteraemia, spinal infection (criterion 9)
    infections_named: tuple[Staged, ...] = ()  # named in words only: criterion 9 unknown
    # Every final palsy grade, oldest first.
    palsy_history: tuple[PalsyGrade, ...] = ()
    # Preliminary reports that may alarm (A–D, Bilsky 2–3) and no final grade replaces.
    preliminary_palsy: Chosen[Frankel] | None = None
    preliminary_compression: dict[str, Chosen[Bilsky]] = field(default_factory=dict)
    preliminary_unplaced: Chosen[Bilsky] | None = None
    # Final grades with no recorded time that may alarm (A–D, Bilsky 2–3) and a timed normal
    # grade of their kind outranks: asked to be confirmed, never used to settle.
    untimed_palsy: Chosen[Frankel] | None = None
    untimed_compression: dict[str, Chosen[Bilsky]] = field(default_factory=dict)
    untimed_unplaced: Chosen[Bilsky] | None = None
    # Where a final Bilsky 2–3 with no recorded time is (None: without a level), outranked or not:
    # it may be the current grade, so nothing settles an older one there (compression.py).
    untimed_high: frozenset[str | None] = frozenset()
    # The latest final whole-spine MRI verdict (criterion 8).
    whole_spine: Chosen[WholeSpine] | None = None
    corticosteroids: tuple[Evidence, ...] = ()
    # Active medications that name no drug (no code, no name): any may be an antithrombotic.
    unidentified_medications: tuple[Evidence, ...] = ()
    # Bone metastases without a bodySite: one may be at any level (criterion 2 there is unknown).
    unsited_lesions: tuple[Staged, ...] = ()
    # Bone metastases at a spinal site, not a vertebra: any level of its region (Site.within).
    regional_lesions: tuple[Staged, ...] = ()
    # Cord compression or cauda equina syndrome, and paraplegia or quadriplegia, recorded as
    # current diagnoses (adapter/mapping/coded.py).
    coded_compression: tuple[Staged, ...] = ()
    coded_deficit: tuple[Staged, ...] = ()
    # Those older than the window of the grade they stand for (Bilsky, Frankel/AIS): said dated,
    # as the grade would be.
    dated_compression: tuple[Staged, ...] = ()
    dated_deficit: tuple[Staged, ...] = ()

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


def _compression(
    items: list[Finding[Enum | int]], name: str = "Bilsky", *, untimed: bool = True
) -> tuple[dict[str, Chosen[Bilsky]], Chosen[Bilsky] | None]:
    levels = sorted({lv for f in items for lv in f.levels or ()}, key=level_order)
    by_level: dict[str, Chosen[Bilsky]] = {}
    for level in levels:
        own = [f for f in items if f.levels and level in f.levels]
        chosen = choose_latest(own, name, untimed=untimed)
        if chosen is not None:
            by_level[level] = _grades(chosen)
    loose = choose_latest([f for f in items if f.levels is None], name, untimed=untimed)
    return by_level, _grades(loose) if loose is not None else None


def _time(chosen: Chosen[object] | None) -> ClinicalTime | None:
    return next((ev.time for ev in chosen.evidence if ev.time), None) if chosen else None


def replaced(preliminary: Chosen[object], final: Chosen[object] | None) -> bool:
    """Whether a final grade of the same or a certainly later time replaces a preliminary one: a
    preliminary report with no recorded time, or dated by the day or month the final grade's time
    falls in, is not known to be older, so it stands."""
    theirs = _time(final)
    return theirs is not None and all(
        ev.time is not None and at_or_after(theirs, ev.time) for ev in preliminary.evidence
    )


def _preliminary_compression(
    found: Findings, by_level: dict[str, Chosen[Bilsky]], loose: Chosen[Bilsky] | None
) -> tuple[dict[str, Chosen[Bilsky]], Chosen[Bilsky] | None]:
    items = found.preliminary.get(EPIDURAL_SPINAL_CORD_COMPRESSION, [])
    levels, unplaced = _compression(items, "Bilsky (preliminary report)")
    kept = {
        level: chosen
        for level, chosen in levels.items()
        if any(g.high_grade for g in chosen.values) and not replaced(chosen, by_level.get(level))
    }
    if unplaced is not None and (
        not any(g.high_grade for g in unplaced.values) or replaced(unplaced, loose)
    ):
        unplaced = None
    return kept, unplaced


def _preliminary_palsy(found: Findings, final: Chosen[Frankel] | None) -> Chosen[Frankel] | None:
    # An alarm: an AIS A–D answered beside a Frankel E on the same form is not outranked.
    chosen = latest_palsy(Findings(coded=found.preliminary), alarm=True)
    if chosen is None or all(g is Frankel.E for g in chosen.values) or replaced(chosen, final):
        return None
    evidence = tuple(
        Evidence(ev.ref, ev.time, f"{ev.summary} (preliminary report)", ev.dated)
        for ev in chosen.evidence
    )
    return Chosen(chosen.values, evidence, chosen.conflict)


def _untimed_palsy(found: Findings, final: Chosen[Frankel] | None) -> Chosen[Frankel] | None:
    if final is None or _time(final) is None or not final.values <= {Frankel.E}:
        return None
    codes = (FRANKEL_GRADE, ASIA_IMPAIRMENT_SCALE)
    alarming = {
        code: [f for f in found.coded.get(code, []) if f.obs.time is None and f.value != Frankel.E]
        for code in codes
    }
    return latest_palsy(Findings(coded=alarming))


def _untimed_compression(
    found: Findings, by_level: dict[str, Chosen[Bilsky]], loose: Chosen[Bilsky] | None
) -> tuple[dict[str, Chosen[Bilsky]], Chosen[Bilsky] | None, frozenset[str | None]]:
    items = found.coded.get(EPIDURAL_SPINAL_CORD_COMPRESSION, [])
    levels, unplaced = _compression(
        [
            f
            for f in items
            if f.obs.time is None and isinstance(f.value, Bilsky) and f.value.high_grade
        ]
    )

    def outranked(final: Chosen[Bilsky] | None) -> bool:
        if final is None or _time(final) is None:
            return False
        return not any(g.high_grade for g in final.values)

    kept = {level: chosen for level, chosen in levels.items() if outranked(by_level.get(level))}
    where = frozenset([*levels, *([None] if unplaced is not None else [])])
    return kept, unplaced if outranked(loose) else None, where


def _palsy_history(found: Findings) -> tuple[PalsyGrade, ...]:
    grades = [
        PalsyGrade(f.value, f.obs.time, "Frankel" if code == FRANKEL_GRADE else "AIS")
        for code in (FRANKEL_GRADE, ASIA_IMPAIRMENT_SCALE)
        for f in found.coded.get(code, [])
        if isinstance(f.value, Frankel)
    ]
    return tuple(sorted(grades, key=lambda g: (g.time is not None, g.time)))


def _whole_spine(found: Findings) -> Chosen[WholeSpine] | None:
    chosen = choose_latest(found.coded.get(WHOLE_SPINE_ESCC, []), "whole-spine MRI")
    if chosen is None:
        return None
    values = frozenset(v for v in chosen.values if isinstance(v, WholeSpine))
    return Chosen(values, chosen.evidence, chosen.conflict)


def _grades(chosen: Chosen[object]) -> Chosen[Bilsky]:
    values = frozenset(v for v in chosen.values if isinstance(v, Bilsky))
    return Chosen(values, chosen.evidence, chosen.conflict, chosen.unordered)


def _lab(found: Findings, lab: str) -> Chosen[float] | None:
    return choose_latest(found.labs.get(lab, []), lab)


def _when(finding: Finding[object]) -> datetime:
    """A finding's instant for ordering; one with no time ranks below every timed one."""
    time = finding.obs.time
    return time.instant if time is not None else datetime.min.replace(tzinfo=UTC)


def _unread(found: Findings, lab: str) -> Finding[str] | None:
    """The latest unreadable record of a lab, unless a value read is certainly more recent (one
    timed within the day or month an unreadable one is dated by is not)."""
    unread = found.unread.get(lab, [])
    if not unread:
        return None
    latest = max(unread, key=_when)
    time = latest.obs.time
    read = [f.obs.time for f in found.labs.get(lab, []) if f.obs.time is not None]
    if time is None:  # an unreadable record with no time: any timed value read is later
        return None if read else latest
    later = [t for t in read if at_or_after(t, time) and not same_time(t, time)]
    return None if later else latest


def _older(ctx: Context, diagnoses: Iterable[Staged], grade: str) -> tuple[Staged, ...]:
    """The timed diagnoses older than the freshness window of the grade they stand for: a
    diagnosis has no window of its own (contract §2: Conditions none), and is read as the grade.
    Its age runs from the end of when it was last known present (``ConditionRecord.last_known``)."""
    window = ctx.rules.windows.of(FINDING_WINDOW[grade])
    out = []
    for staged in diagnoses:
        last_known = staged.condition.last_known
        if last_known is not None and ctx.now.instant - last_known.end > window:
            out.append(staged)
    return tuple(out)


def safety_inputs(
    ctx: Context, found: Findings, staging: Staging, medications: Iterable[MedicationRecord]
) -> Safety:
    medications = tuple(medications)
    # The final grades that alarm or settle: an untimed one behind them is carried apart.
    by_level, unplaced = _compression(
        found.coded.get(EPIDURAL_SPINAL_CORD_COMPRESSION, []), untimed=False
    )
    palsy = latest_palsy(found, untimed=False, alarm=True)
    early_levels, early_unplaced = _preliminary_compression(found, by_level, unplaced)
    hidden_levels, hidden_unplaced, untimed_high = _untimed_compression(found, by_level, unplaced)
    return Safety(
        palsy=palsy,
        compression=by_level,
        compression_unplaced=unplaced,
        neoplastic_fractures=tuple(staging.neoplastic_fractures),
        other_fractures=tuple(staging.other_fractures),
        coagulation=tuple(staging.coagulation),
        antithrombotics=(
            *active_of_kind(ctx, medications, "antithrombotic-medication"),
            *problem_list_use(ctx, staging.antithrombotic_use),
        ),
        unidentified_medications=unidentified(ctx, medications),
        inr=_lab(found, "inr"),
        platelets=_lab(found, "platelets"),
        inr_unread=_unread(found, "inr"),
        platelets_unread=_unread(found, "platelets"),
        infections=tuple(staging.infections),
        infections_named=tuple(staging.infections_named),
        palsy_history=_palsy_history(found),
        preliminary_palsy=_preliminary_palsy(found, palsy),
        preliminary_compression=early_levels,
        preliminary_unplaced=early_unplaced,
        untimed_palsy=_untimed_palsy(found, palsy),
        untimed_compression=hidden_levels,
        untimed_unplaced=hidden_unplaced,
        untimed_high=untimed_high,
        whole_spine=_whole_spine(found),
        corticosteroids=active_of_kind(ctx, medications, "corticosteroid-medication"),
        unsited_lesions=tuple(lesion for lesion in staging.lesions if not lesion.sites),
        regional_lesions=tuple(
            lesion for lesion in staging.lesions if any(s.kind == "spinal" for s in lesion.sites)
        ),
        coded_compression=tuple(staging.cord_compression),
        coded_deficit=tuple(staging.paralysis),
        dated_compression=_older(ctx, staging.cord_compression, EPIDURAL_SPINAL_CORD_COMPRESSION),
        dated_deficit=_older(ctx, staging.paralysis, FRANKEL_GRADE),
    )
