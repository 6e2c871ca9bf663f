"""One patient's records → the outcome record of contract §6 (no index procedure → none).

The index event is every completed vertebroplasty, kyphoplasty or fixation Procedure (the
procedure ValueSets) on the first day such a procedure was performed, up to the computation time,
for the metastasis: a spinal operation more than :data:`BEFORE_METASTASIS` before the first bone
metastasis recorded (a degenerative fusion, an osteoporotic vertebroplasty years before) is passed
over and named. Data later than the computation time is not used (§2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.followup import AdverseEventRecord, EncounterRecord, ProcedureRecord
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime, certainly_after, day_text, parse_time
from adapter.mapping.context import Context
from adapter.mapping.measures import (
    calendar_day,
    last_day,
    moment_of,
    read_cement,
    read_measurements,
)
from adapter.mapping.observations import CURRENT_OBSERVATION
from adapter.mapping.rules import DEFAULT_RULES, Rules
from adapter.mapping.staging import Staging, condition_counts, read_staging
from adapter.mapping.terminology import Terminology
from adapter.mapping.treatments import (
    BEFORE_METASTASIS,
    TREATMENT_VALUE_SETS,
    levels_named,
    procedure_words,
    sites_said,
    treated_levels,
)
from adapter.outcomes import (
    TIME_POINTS,
    WINDOWS,
    Complication,
    Measurement,
    Moment,
    PatientOutcome,
    Trajectory,
    age_at,
    days_after,
    elapsed_days,
    select_time_points,
)
from adapter.scoring import level_order
from adapter.vocabulary.outcomes import OUTCOME_TIME_POINTS, TREATED_NOT_RECORDED

__all__ = [
    "AUGMENTATION",
    "BEFORE_METASTASIS",
    "COMPLICATIONS",
    "FIXATION",
    "FollowUp",
    "IndexEvent",
    "extract_follow_up",
    "index_event",
    "index_procedures",
]

AUGMENTATION = "vertebral-augmentation-procedure"
FIXATION = "spinal-fixation-procedure"
# Encounter types a death brings about (its certification): none means the patient was seen.
POST_MORTEM = "post-mortem-encounter"
COMPLICATIONS = (
    "cement-leakage",
    "pulmonary-cement-embolism",
    "surgical-site-infection",
    "screw-loosening",
)
_NOT_A_CONDITION = frozenset({"entered-in-error", "refuted"})
# Records that are no contact with the patient (contract §2 "What counts"): never done, or
# withdrawn.
_NO_PROCEDURE = frozenset({"entered-in-error", "not-done", "preparation"})
_NO_ENCOUNTER = frozenset({"entered-in-error", "cancelled", "planned"})


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The outcome record (None without an index procedure), its inputs and the issues."""

    outcome: PatientOutcome | None
    evidence: tuple[Evidence, ...]
    issues: tuple[Issue, ...]
    # Without an outcome: the procedures dated by a month or a year alone that leave no index
    # procedure placed (each named among ``issues`` too), for a card to say why there is none.
    blocked: tuple[ProcedureRecord, ...] = ()


def _in(term: Terminology, value_set: str, proc: ProcedureRecord) -> bool:
    return any(term.in_value_set(value_set, c.system, c.code) for c in proc.codes)


@dataclass(frozen=True, slots=True)
class IndexEvent:
    """The index procedures (none: no index procedure) and what was said choosing them."""

    procedures: tuple[ProcedureRecord, ...]
    issues: tuple[Issue, ...] = ()
    blocked: tuple[ProcedureRecord, ...] = ()  # dated by a month or year alone, it may be first


def _named(procedures: Sequence[tuple[date, ProcedureRecord]]) -> str:
    return ", ".join(
        f"{p.ref.reference or 'a Procedure without id'} ({day_text(day)})" for day, p in procedures
    )


_LESION_SETS = ("bone-metastasis", "bone-marrow-primary")


def _first_metastasis(
    term: Terminology, conditions: Sequence[ConditionRecord], now: ClinicalTime
) -> tuple[date | None, frozenset[str]]:
    """The day by which the first bone metastasis had certainly begun (resolved ones too: it was
    there), and every bone metastasis Condition a procedure may name as its reason. A
    metastasis's onset dates it, whatever its recordedDate; with none, its recordedDate bounds
    it (it began by the day it was entered), so it can only bring earlier a day the onsets give;
    with no onset at all the day is not known (None)."""
    onsets, recorded, lesions = [], [], set()
    for cond in conditions:
        if cond.verification_status in _NOT_A_CONDITION:
            continue
        if not any(
            term.in_value_set(v, c.system, c.code) for v in _LESION_SETS for c in cond.codes
        ):
            continue
        if cond.ref.reference:
            lesions.add(cond.ref.reference)
        if cond.onset is not None and cond.onset <= now:
            onsets.append(calendar_day(cond.onset))
        elif cond.onset is None and cond.recorded is not None and cond.recorded <= now:
            recorded.append(calendar_day(cond.recorded))
    # A recordedDate is a bound from above (it began by then): it brings earlier a day the
    # onsets give, never sets one alone (its metastasis may have begun before any procedure).
    return (min(onsets + recorded) if onsets else None), frozenset(lesions)


def index_event(
    term: Terminology,
    procedures: list[ProcedureRecord],
    now: ClinicalTime,
    conditions: Sequence[ConditionRecord],
) -> IndexEvent:
    """The completed index procedures of the first day one was performed for the metastasis: one
    naming a bone metastasis as its reason always counts; another, only from
    :data:`BEFORE_METASTASIS` before the first one known by its onset. One with no date at all
    is named: it cannot place the time points, and its order is not known."""
    event = _index_event(term, procedures, now, conditions)
    undated = [
        p
        for p in procedures
        if p.status == "completed"
        and p.time is None
        and (_in(term, AUGMENTATION, p) or _in(term, FIXATION, p))
    ]
    if not undated:
        return event
    index = [(calendar_day(p.time), p) for p in event.procedures if p.time is not None]
    where = (
        f"not known to be before or after the index procedure, {_in_words(index[:1])}"
        if index
        else "an index procedure needs its day to place the time points, follow-up and survival"
    )
    said = [
        Issue(
            "warning",
            "business-rule",
            f"{p.ref.reference or 'A Procedure without id'}: a vertebroplasty or fixation with "
            f"no date: {where} — record the day it was done.",
            p.ref.reference,
        )
        for p in undated
    ]
    return replace(event, issues=(*event.issues, *said))


def _index_event(
    term: Terminology,
    procedures: list[ProcedureRecord],
    now: ClinicalTime,
    conditions: Sequence[ConditionRecord],
) -> IndexEvent:
    done = [
        p
        for p in procedures
        if p.status == "completed"
        and p.time is not None
        and p.time <= now
        and (_in(term, AUGMENTATION, p) or _in(term, FIXATION, p))
    ]
    # A date to the day is what places the time points (contract §6): a month or a year alone
    # would count them, follow-up and survival from an invented day, so such a procedure is never
    # taken; one that may come before the index blocks it (no index can be placed at all).
    partial = [p for p in done if p.time and len(p.time.text) <= 7]
    candidates = sorted(
        ((calendar_day(p.time), p) for p in done if p.time and len(p.time.text) > 7),
        key=lambda pair: pair[0],
    )
    issues: list[Issue] = []
    first_met, lesions = _first_metastasis(term, conditions, now)
    earliest = first_met - BEFORE_METASTASIS if first_met is not None else None

    def for_it(proc: ProcedureRecord) -> bool:
        return bool(set(proc.reasons) & lesions)

    def old(proc: ProcedureRecord, last: date) -> bool:
        return earliest is not None and last < earliest and not for_it(proc)

    passed = [p for p in partial if old(p, _last_of(p))]
    partial = [p for p in partial if p not in passed]
    if candidates and first_met is None:
        later = [(day, p) for day, p in candidates if day != candidates[0][0]]
        if later:
            message = (
                "No dated bone metastasis is recorded, so the first vertebroplasty or fixation "
                f"is taken as the index procedure: {_named(candidates[:1])}; later ones: "
                f"{_named(later)}. If it was not for the metastasis, record the metastasis (a "
                "Condition with its date)."
            )
            issues.append(Issue("warning", "business-rule", message))
    elif candidates and first_met is not None:
        later = [(day, p) for day, p in candidates if not old(p, day)]
        passed_full = [(day, p) for day, p in candidates if (day, p) not in later]
        if later or partial:  # an earlier operation is passed over only for a later one
            for day, proc in passed_full:
                issues.append(_passed_over(_named([(day, proc)]), first_met, proc))
            candidates = later  # none: the later one is dated by its month or year alone
        else:  # never a patient left out for a date: the first is taken, and said
            message = (
                f"{_named(candidates[:1])}: a spinal procedure before the first bone metastasis "
                f"recorded ({day_text(first_met)}), taken as the index procedure as no later one "
                "is recorded — check that it was for the metastasis."
            )
            issues.append(
                Issue("warning", "business-rule", message, candidates[0][1].ref.reference)
            )
    if first_met is not None and (candidates or partial):
        for proc in passed:  # dated by a month or a year, wholly before: as a full date is
            assert proc.time is not None
            issues.append(_passed_over(f"{proc.ref.reference} ({proc.time.day})", first_met, proc))
    elif passed:  # the only ones: none can be taken without its day, and each is said
        partial = passed
    first = candidates[0][0] if candidates else None
    # Before the index, or a year that holds it: it may be the first. Only a month that holds
    # the index day may be the same procedure recorded again, and keeps the index.
    before = [
        p
        for p in partial
        if first is None
        or _last_of(p) < first
        or (p.time and len(p.time.text) <= 4 and calendar_day(p.time) <= first)
    ]
    if before:
        said = [_undated_index(p, procedure_words(term, p), candidates[:1]) for p in before]
        return IndexEvent((), tuple(issues + said), tuple(before))
    if first is None:
        return IndexEvent((), tuple(issues))
    issues += [
        _same_month(p, candidates[:1])
        for p in partial
        if p.time is not None and calendar_day(p.time) <= first
    ]
    return IndexEvent(tuple(p for day, p in candidates if day == first), tuple(issues))


def _last_of(proc: ProcedureRecord) -> date:
    assert proc.time is not None  # the partially dated ones are dated
    return last_day(proc.time)


def _passed_over(named: str, first_met: date, proc: ProcedureRecord) -> Issue:
    message = (
        f"{named}: a spinal procedure before the first bone metastasis recorded "
        f"({day_text(first_met)}); not taken as the index procedure."
    )
    return Issue("information", "business-rule", message, proc.ref.reference)


def _in_words(procedures: Sequence[tuple[date, ProcedureRecord]]) -> str:
    """ "the vertebroplasty or fixation of 22 May 2024 (Procedure/vp)": read the same on a card,
    which drops resource ids."""
    return "; ".join(
        f"the vertebroplasty or fixation of {day_text(day)} ({p.ref.reference})"
        for day, p in procedures
    )


def _same_month(proc: ProcedureRecord, index: Sequence[tuple[date, ProcedureRecord]]) -> Issue:
    assert proc.time is not None
    message = (
        f"{proc.ref.reference or 'A Procedure without id'}: a vertebroplasty or fixation dated "
        f"{proc.time.day} alone, the month of the index procedure, {_in_words(index)}: it may "
        "be the same procedure recorded again, or an earlier one that the time points would "
        "then be counted from. Record its day, or remove the duplicate."
    )
    return Issue("warning", "business-rule", message, proc.ref.reference)


def _undated_index(
    proc: ProcedureRecord, words: str, later: Sequence[tuple[date, ProcedureRecord]] = ()
) -> Issue:
    assert proc.time is not None
    precision = "month" if len(proc.time.text) > 4 else "year"
    first = (
        f" It may be the first, before {_in_words(later)}, which is therefore not taken either:"
        " no index procedure can be placed."
        if later
        else ""
    )
    message = (
        f"{proc.ref.reference or 'A Procedure without id'}: a {words} dated "
        f"{proc.time.day} alone (its {precision}): an index procedure needs its day to place the "
        f"time points, follow-up and survival, so no time point is counted from it.{first} "
        "Record the day it was done."
    )
    return Issue("warning", "business-rule", message, proc.ref.reference)


def index_procedures(data: PatientData, term: Terminology, now: ClinicalTime) -> IndexEvent:
    """:func:`index_event` of a patient's records."""
    return index_event(term, data.procedures, now, data.conditions)


def _treated(
    ctx: Context, event: Sequence[ProcedureRecord], staging: Staging
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The treated levels (contract §6), else none and the procedures' own levels, with an issue
    asking for the treated level: a fixation's levels without a lesion are instrumented, not
    treated, so none of them is taken for the treated one."""
    augmented = [p for p in event if _in(ctx.term, AUGMENTATION, p)]
    done = augmented or event
    own = {lv for proc in done for lv in levels_named(ctx.term, proc)}
    # The one reading of a procedure's treated levels (adapter/mapping/treatments.py), which the
    # SINS surfaces use too.
    levels = {lv for proc in done for lv in treated_levels(ctx.term, proc, staging)}
    if levels:
        return tuple(sorted(levels, key=level_order)), ()
    named = tuple(sorted(own, key=level_order))
    refs = ", ".join(r for p in done if (r := p.ref.reference)) or "The index procedure"
    said = "; ".join(dict.fromkeys(w for p in done if (w := sites_said(ctx.term, p))))
    why = (
        f"no metastasis is recorded at its levels ({', '.join(named)}) and no reason names a "
        "level; a fixation's levels without a lesion are instrumented, not treated"
        if named
        else f"its bodySite places it at no level ({said})"
        if said
        else "the procedure names no level (bodySite)"
    )
    message = (
        f"{refs}: {TREATED_NOT_RECORDED}: {why}. Record the treated lesion's level "
        "(Condition.bodySite) or name it as the procedure's reasonReference (until then the "
        "cohort counts this patient under no treated level)."
    )
    ctx.issues.append(Issue("warning", "business-rule", message))
    return (), named


def _death(ctx: Context, data: PatientData, now: ClinicalTime) -> tuple[bool, ClinicalTime | None]:
    record = data.record
    if record is None or not record.deceased:
        return False, None
    if record.deceased_time is None:
        return True, None
    if ctx.from_future(record.ref, record.deceased_time, "The date of death"):
        return False, None
    return True, record.deceased_time


def _seen_until(encounter: EncounterRecord, now: ClinicalTime, died: bool) -> ClinicalTime | None:
    """When an encounter last had the patient there, up to the computation time: its end, or for
    one begun by then and ending after it (a stay under way) the computation time itself — its
    start for a patient recorded dead, whose last stay ends after the death."""
    end, start = encounter.time, encounter.start
    if end is not None and start is not None and start <= now < end:
        # Under way at T: there up to T; for a patient recorded dead, at its start only (the
        # stay a patient died in ends after the death).
        return start if died else now
    return end


def _last_contact(
    data: PatientData, term: Terminology, now: ClinicalTime, died: bool = False
) -> ClinicalTime | None:
    """The latest time of a record that counts (contract §6 "Last follow-up"); not an encounter
    a death brings about (its certification), which would place a death dated by its month."""
    times = [
        t
        for t in (
            *(
                _seen_until(e, now, died)
                for e in data.encounters
                if e.status not in _NO_ENCOUNTER and not _post_mortem(term, e)
            ),
            *(o.time for o in data.observations if o.status in CURRENT_OBSERVATION),
            *(p.time for p in data.procedures if p.status not in _NO_PROCEDURE),
            *(c.time for c in data.conditions if condition_counts(c)),
        )
        if t is not None and t <= now
    ]
    return max(times, default=None)


def _seen_after(
    ctx: Context, data: PatientData, death: ClinicalTime, now: ClinicalTime
) -> tuple[str, ClinicalTime, str] | None:
    """The latest record certainly after the recorded death that means the patient was there, if
    any: an encounter that began after it (not one the death brings about, its certification),
    or a spinal treatment performed after it. Not the stay a patient died in (it ends after the
    death), a measurement (its time may be a period's end or a report's release), another
    procedure (an autopsy) or a diagnosis (a cause of death)."""
    term = ctx.term
    seen = [
        (e.ref.reference or "an encounter without id", e.start, "encounter")
        for e in data.encounters
        if e.status not in _NO_ENCOUNTER and not _post_mortem(term, e)
    ]
    seen += [
        (p.ref.reference or "a procedure without id", p.time, "procedure")
        for p in data.procedures
        if p.status not in _NO_PROCEDURE
        and any(
            term.in_value_set(value_set, c.system, c.code)
            for _, value_set in TREATMENT_VALUE_SETS
            for c in p.codes
        )
    ]
    after = [
        (ref, t, kind)
        for ref, t, kind in seen
        if t is not None and t <= now and certainly_after(t, death)
    ]
    return max(after, key=lambda found: found[1], default=None)


def _post_mortem(term: Terminology, encounter: EncounterRecord) -> bool:
    """An encounter a death brings about (its certification): no sign the patient was there."""
    return any(term.in_value_set(POST_MORTEM, c.system, c.code) for c in encounter.codes)


def _when(time: ClinicalTime) -> str:
    """A time as a date alone is written, or a time of day in UTC: both halves on one clock."""
    if "T" not in time.text:
        return time.day
    return f"{day_text(time.instant.date())} {time.instant:%H:%M} UTC"


def _death_moment(
    ctx: Context,
    data: PatientData,
    death: ClinicalTime | None,
    index_day: date,
    last: ClinicalTime | None,
) -> Moment | None:
    """When survival ends for a death dated by its month or year alone (contract §2: never a
    guess): a period wholly before the index day stays the data error :func:`_check_death` names;
    one that holds the index day is a death at an unknown time after it (counted in deaths, left
    out of survival, as a death with no date); one after it ends at the latest of its first day
    and the last record of the patient within it, never before a contact. Each is named."""
    if death is None or len(death.text) > 7 or data.record is None:
        return moment_of(death) if death else None
    ref, patient = data.record.ref.reference, data.record.ref
    precision = "month" if len(death.text) > 4 else "year"
    said = f"{patient.reference}: died {death.day} ({precision} only)"
    end_day = death.end.date()
    if end_day <= index_day:
        return moment_of(death)  # wholly before the index day: _check_death's error
    alive = last is not None and death.instant < last.instant < death.end
    if calendar_day(death) <= index_day and not (
        alive and last is not None and calendar_day(last) > index_day
    ):
        message = (
            f"{said}, the {precision} of the index procedure on {day_text(index_day)}: when, "
            "before or after it, cannot be told. Counted in deaths, left out of survival and "
            "follow-up."
        )
        ctx.issues.append(Issue("warning", "business-rule", message, ref, "deceasedDateTime"))
        return None
    counted = last if alive and last is not None else death
    message = (
        f"{said}: survival counted to {day_text(calendar_day(counted))}, "
        + (
            "the last record of the patient in that period"
            if counted is not death
            else f"the first day of that {precision}"
        )
        + "; the death may be later."
    )
    ctx.issues.append(Issue("information", "business-rule", message, ref, "deceasedDateTime"))
    return moment_of(counted)


def _check_death(
    ctx: Context, data: PatientData, outcome: PatientOutcome, now: ClinicalTime
) -> None:
    """A death before the index date is a data error (contract §2: never a silent guess): the
    patient is left out of survival and follow-up, never given a negative time. A record of the
    patient certainly after the death is named: one of the two dates is wrong."""
    death, index = outcome.death, outcome.index
    if not outcome.died or data.record is None:
        return
    ref = data.record.ref.reference
    recorded = data.record.deceased_time
    seen = _seen_after(ctx, data, recorded, now) if recorded is not None else None
    if seen is not None and recorded is not None:
        ref, began, kind = seen
        message = (
            f"Patient/{outcome.patient}: {ref} began {_when(began)}, after the recorded "
            f"death ({_when(recorded)}): check the date of death, and whether that {kind} is "
            "the patient's."
        )
        ctx.issues.append(Issue("warning", "business-rule", message, ref, "deceasedDateTime"))
    if death is None:
        return
    on = f"on {day_text(death.day)}" + (f" {death.instant:%H:%M} UTC" if death.timed else "")
    if recorded is not None and len(recorded.text) <= 7:
        on = f"in {recorded.day}"  # "in 2023", never "on 1 Jan 2023"
    if elapsed_days(index, death) is None:
        message = (
            f"Patient/{outcome.patient}: died {on}, before the index procedure on "
            f"{day_text(index.day)}: the date of death or of the procedure is wrong. Counted in "
            "deaths, left out of survival and follow-up."
        )
        ctx.issues.append(Issue("error", "business-rule", message, ref, "deceasedDateTime"))
    elif death.timed and index.timed and death.instant < index.instant:
        message = (
            f"Patient/{outcome.patient}: died {on}, before the index procedure started "
            f"({index.instant:%H:%M} UTC) on that day: survival counted as 0 months."
        )
        ctx.issues.append(Issue("warning", "business-rule", message, ref, "deceasedDateTime"))


def _after_index(time: ClinicalTime, start: ClinicalTime) -> bool:
    """Whether a record is after the index date (contract §6): when it and the procedure are both
    timed, not before the procedure's start; else on the index day or later — a date-only record
    on the index day may well be the procedure's complication, its time is just not known."""
    if moment_of(time).timed and moment_of(start).timed:
        return time.instant >= start.instant
    return calendar_day(time) >= calendar_day(start)


def _complications(
    ctx: Context, data: PatientData, start: ClinicalTime, now: ClinicalTime
) -> list[tuple[Complication, Evidence]]:
    found = []
    records: list[ConditionRecord | AdverseEventRecord] = [
        *(c for c in data.conditions if c.verification_status not in _NOT_A_CONDITION),
        *(a for a in data.adverse_events if a.actuality in (None, "actual")),
    ]
    for rec in records:
        kinds = [
            k
            for k in COMPLICATIONS
            if any(ctx.term.in_value_set(f"complication-{k}", c.system, c.code) for c in rec.codes)
        ]
        if not kinds:
            continue
        words = " and ".join(k.replace("-", " ") for k in kinds)
        if ctx.from_future(rec.ref, rec.time, f"Complication: {words}"):
            continue
        if rec.time is not None and not _after_index(rec.time, start):
            continue  # before the index procedure: not its complication
        status = rec.verification_status if isinstance(rec, ConditionRecord) else None
        unconfirmed = status if status not in (None, "confirmed") else None
        if rec.time is None:  # named, never dropped: "none recorded" would hide it
            cited = rec.ref.reference or f"{rec.ref.resource_type} without id"
            ctx.warn(
                rec.ref.reference,
                f"{cited}: {words} with no date: not known to be after the index procedure, so "
                "not counted as one — record when it happened.",
            )
        for kind in kinds:
            text = rec.time.text if rec.time is not None else None
            evidence = Evidence(rec.ref, rec.time, f"complication: {kind}")
            complication = Complication(
                kind, rec.ref.reference, text, unconfirmed, undated=rec.time is None
            )
            found.append((complication, evidence))
    return found


def _warn_conflicts(ctx: Context, patient: str, pain: Trajectory, barthel: Trajectory) -> None:
    for measure, trajectory in (("pain", pain), ("Barthel Index", barthel)):
        for tp in trajectory.conflicts:
            message = f"Patient/{patient}: {measure} at {tp}: equal candidates disagree."
            ctx.issues.append(Issue("warning", "business-rule", message))


def _measure_evidence(data: PatientData, pain: Trajectory, barthel: Trajectory) -> list[Evidence]:
    """The Observations chosen at the time points: evidence of the outcome."""
    chosen = [m for t in (pain, barthel) for m in t.points if m is not None]
    by_ref = {o.ref.reference: o for o in data.observations}
    return [
        Evidence(by_ref[m.source].ref, by_ref[m.source].time, "outcome measurement")
        for m in chosen
        if m.source in by_ref
    ]


def _untimed(measured: bool, done: bool) -> str:
    """Which of a procedure-day measurement and its procedure lacks a time of day: the one to
    complete in the record."""
    if measured:
        return "the procedure has no time of day"
    return "the measurement has no time of day" if done else "neither has a time of day"


def _trajectories(
    ctx: Context,
    data: PatientData,
    now: ClinicalTime,
    index_day: date,
    start: ClinicalTime,
    death: ClinicalTime | None,
) -> tuple[Trajectory, Trajectory, frozenset[str]]:
    """Pain and Barthel at the contract's time points, none dated after a known death, and the
    measures recorded of which no reading is used (each reason is an issue)."""
    read, unread = read_measurements(ctx, data.observations, now)
    measures = {k: _dated_by_day(ctx, k, found) for k, found in read.items()}
    if death is not None:
        measures = {k: _before_death(ctx, k, found, death) for k, found in measures.items()}
    index = moment_of(start)
    for measure, found in measures.items():
        for m in found:
            if m.day == index_day and not (m.timed and index.timed):
                # Not before the procedure as far as can be told, and in no window after it.
                said = (
                    f"{m.source or 'A measurement'}: {_MEASURE_NAMES[measure]} {m.value:g} on the "
                    f"procedure day, and {_untimed(m.timed, index.timed)}: before or after the "
                    "procedure cannot be told; not used."
                )
                ctx.issues.append(Issue("warning", "business-rule", said, m.source))
                continue
            days = days_after(index_day, m.day)
            at_or_after = days == 0 and m.timed and index.timed and m.instant >= index.instant
            after = days > 0 or at_or_after
            early = days < WINDOWS[0].first  # before the baseline window
            if early or (after and not any(w.first <= days <= w.last for w in WINDOWS[1:])):
                ctx.issues.append(_between_windows(m, measure, days))
    pain, barthel = (
        select_time_points(
            measures[m], index_day=index_day, index_start=index.instant, index_timed=index.timed
        )
        for m in ("pain", "barthel")
    )
    used = [v for tp in TIME_POINTS if (v := barthel.value(tp)) is not None]
    if used and all(v <= _BARTHEL_SHORT_MAX for v in used):
        # Every total used also fits the 0–20 version (10 → 20: dependent → independent there,
        # "very dependent, barely changed" on the 100-point index). Read as recorded, and said.
        ctx.issues.append(Issue("warning", "business-rule", _PERHAPS_SHORT))
    # Recorded, yet no reading at a time point (another scale, its month alone, outside every
    # window …): "recorded, not used", never "not recorded".
    recorded = unread | {k for k, found in read.items() if found}
    unused = {
        k
        for k, t in (("pain", pain), ("barthel", barthel))
        if k in recorded and not any(t.value(tp) is not None for tp in TIME_POINTS)
    }
    return pain, barthel, frozenset(unused)


_MEASURE_NAMES = {"pain": "pain", "barthel": "Barthel Index"}  # as the issues name them
_BARTHEL_SHORT_MAX = 20  # the 0–20 version's highest total
_PERHAPS_SHORT = (
    "Every Barthel Index recorded is 20 or less: read as the 100-point index (very dependent). If "
    "they are totals of the 0–20 version, record each as the 100-point index (×5)."
)


def _dated_by_day(ctx: Context, measure: str, found: list[Measurement]) -> list[Measurement]:
    """The measurements dated at least to their day; each dated by its month or year alone,
    named and left out: such a period may hold days before and after the procedure, or days of
    two windows, so its time point cannot be told (contract §2: never a guess)."""
    kept = []
    for m in found:
        if len(m.text) > 7:
            kept.append(m)
            continue
        precision = "month" if len(m.text) > 4 else "year"
        when = parse_time(m.text)
        shown = when.day if when is not None else m.text
        said = (
            f"{m.source or 'A measurement'}: {_MEASURE_NAMES[measure]} {m.value:g} dated "
            f"{shown} ({precision} only): its time point cannot be told; not used."
        )
        ctx.issues.append(Issue("warning", "business-rule", said, m.source))
    return kept


def _before_death(
    ctx: Context, measure: str, found: list[Measurement], death: ClinicalTime
) -> list[Measurement]:
    """The measurements not dated after the death's day; each one that is, named: the date of
    death or of the measurement is wrong, and neither is guessed (contract §2)."""
    died = calendar_day(death)
    # Only a value a whole day past the latest moment the death could be (the end of a month
    # recorded alone; an evening death west of UTC is the next day there) is surely after it.
    latest = death.end + timedelta(days=1)
    kept = []
    for m in found:
        if m.instant < latest:
            kept.append(m)
            continue
        said = (
            f"{m.source or 'A measurement'}: {_MEASURE_NAMES[measure]} {m.value:g} on "
            f"{day_text(m.day)} is dated "
            f"after the death ({day_text(died)}): the date of death or of the measurement is "
            "wrong; not used."
        )
        ctx.issues.append(Issue("warning", "business-rule", said, m.source))
    return kept


def _between_windows(m: Measurement, measure: str, days: int) -> Issue:
    """A value no time point takes (after the procedure between windows, at its start, before
    the baseline window): named, so that a window's "no measurement" is never read as if the
    record held nothing."""
    name = _MEASURE_NAMES[measure]
    windows = "; ".join(f"{label} ({span})" for _, label, span in OUTCOME_TIME_POINTS)
    if days < 0:
        when = f"day {days}, before the baseline window"
    elif days == 0:
        when = "the procedure day, at or after its start"
    else:
        when = f"day {days} after the procedure"
    said = (
        f"{m.source or 'A measurement'}: {name} {m.value:g} on {day_text(m.day)} ({when}) is in "
        f"no time point's window ({windows}): not used as a time point."
    )
    return Issue("information", "informational", said, m.source)


# The oldest age a record can be read as: older is a data error (a birth in year 1).
_OLDEST = 120


def _age(ctx: Context, patient: str, birth: ClinicalTime | None, on: date) -> int | None:
    """The age at the index procedure when the birthDate settles it: a month or a year alone may
    name two ages, a birth after the index or an age past 120 is a data error; each is named and
    not counted (Table 4's mean is never fed a guess)."""
    if birth is None:
        return None
    first, last = calendar_day(birth), last_day(birth)
    ages = {age_at(first, on), age_at(last, on)}
    where = f"Patient/{patient}: birthDate {birth.text}"
    if first > on:
        said = f"{where} is after the index procedure ({day_text(on)}): age not counted."
    elif max(ages) > _OLDEST:
        said = f"{where} gives an age of {max(ages)} years: a data error, age not counted."
    elif len(ages) > 1:
        low, high = sorted(ages)
        said = (
            f"{where} names no day: {low} or {high} at the index procedure ({day_text(on)}); "
            "age not counted — record the day of birth."
        )
    else:
        return ages.pop()
    ctx.issues.append(Issue("warning", "business-rule", said, f"Patient/{patient}"))
    return None


def extract_follow_up(
    data: PatientData,
    term: Terminology,
    *,
    now: ClinicalTime,
    primary_sites: tuple[str, ...],
    rules: Rules = DEFAULT_RULES,
) -> FollowUp:
    """The outcome record of one patient, without the scores at the index date."""
    ctx = Context(term, rules, now)
    chosen = index_procedures(data, term, now)
    event = chosen.procedures
    if not event:
        return FollowUp(None, (), chosen.issues, chosen.blocked)
    ctx.issues.extend(chosen.issues)
    start = min(p.time for p in event if p.time is not None)
    index_day: date = calendar_day(start)
    # The staging is read for the treated levels only: its issues are the scores' to report.
    staging = read_staging(Context(term, rules, now), data.conditions)
    refs = frozenset(p.ref.reference for p in event if p.ref.reference)
    cement = read_cement(ctx, data.observations, refs, now)
    died, death = _death(ctx, data, now)
    pain, barthel, unread = _trajectories(ctx, data, now, index_day, start, death)
    last = _last_contact(data, term, now, died)
    complications = _complications(ctx, data, start, now)
    record = data.record
    birth = record.birth_date if record else None
    _warn_conflicts(ctx, data.patient, pain, barthel)
    treated, procedure_levels = _treated(ctx, event, staging)
    placed = _death_moment(ctx, data, death, index_day, last)
    partial = death if died and death is not None and len(death.text) <= 7 else None
    outcome = PatientOutcome(
        patient=data.patient,
        index_day=index_day,
        index_start=start.instant,
        procedures=tuple(sorted(refs)),
        treated_levels=treated,
        procedure_levels=procedure_levels,
        cement_ml=cement.total_ml,
        sex=record.gender if record else None,
        age_years=_age(ctx, data.patient, birth, index_day),
        primary_sites=primary_sites,
        died=died,
        death=placed,
        last_follow_up=moment_of(last) if last else None,
        pain=pain,
        barthel=barthel,
        complications=tuple(c for c, _ in complications),
        index_timed=moment_of(start).timed,
        death_recorded=partial.day if partial else None,
        death_latest=last_day(partial) if partial else None,
        unread=tuple(sorted(unread)),
    )
    _check_death(ctx, data, outcome, now)
    evidence = [Evidence(p.ref, p.time, "index procedure") for p in event]
    evidence += [Evidence(o.ref, o.time, "cement volume") for o in cement.used]
    evidence += _measure_evidence(data, pain, barthel)
    evidence += [e for _, e in complications]
    return FollowUp(outcome, tuple(evidence), tuple(ctx.issues))
