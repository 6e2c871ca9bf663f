"""Pain, Barthel Index and cement volume Observations → valid values (contract §6).

Pain: LOINC 72514-3 (0–10 numeric rating), 38208-5 (pain severity, 0–10) or 38214-3 (visual
analogue scale: 0–10 cm, or 0–100 mm when the unit says mm or a unitless value exceeds 10),
normalised to 0–10; at equal distance from a nominal day they are preferred in that order.
Barthel Index: LOINC 96761-2, 0–100. Anything else in those codes is reported and not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ObservationRecord
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.context import Context
from adapter.mapping.observations import CURRENT_OBSERVATION
from adapter.outcomes import BARTHEL, OUTCOME_LOINC, PAIN_RANK, Measurement, Moment
from adapter.vocabulary.systems import FINDING, LOINC

__all__ = [
    "PMMA",
    "Cement",
    "calendar_day",
    "is_outcome_observation",
    "moment_of",
    "read_cement",
    "read_measurements",
]

VAS = "38214-3"
PMMA = "pmma-volume"
_SCORE_UNITS = frozenset({"{score}", "1", "{#}", "score", "points", "{points}"})
_ML = frozenset({"mL", "ml", "cm3"})


def calendar_day(time: ClinicalTime) -> date:
    """The day as it was recorded (the local date of the text), not the UTC date."""
    try:
        return date.fromisoformat(time.text[:10])
    except ValueError:  # a partial date (2024-05): its start
        return time.instant.date()


def last_day(time: ClinicalTime) -> date:
    """The last day a time may name: its own recorded day, or the last of its month or year
    for one written so."""
    if len(time.text) > 7:
        return calendar_day(time)
    return (time.end - timedelta(days=1)).date()


def moment_of(time: ClinicalTime) -> Moment:
    """A clinical time as the outcomes count it: its instant, its date, whether it is timed."""
    return Moment(time.instant, calendar_day(time), "T" in time.text)


def is_outcome_observation(obs: ObservationRecord) -> bool:
    return any(
        (c.system == LOINC and c.code in OUTCOME_LOINC) or (c.system == FINDING and c.code == PMMA)
        for c in obs.codes
    )


def _loinc(obs: ObservationRecord) -> str | None:
    return next((c.code for c in obs.codes if c.system == LOINC and c.code in OUTCOME_LOINC), None)


def _usable(ctx: Context, obs: ObservationRecord, now: ClinicalTime, what: str) -> bool:
    ref = obs.ref.reference
    if obs.status not in CURRENT_OBSERVATION:
        return False
    if obs.time is None:
        ctx.invalid(ref, f"{ref}: {what} without an effective time cannot be placed in time")
        return False
    return not ctx.from_future(obs.ref, obs.time, what.removeprefix("a ").capitalize())


def _pain(obs: ObservationRecord, code: str) -> float | str:
    value, unit = obs.value_number, obs.unit
    if value is None:
        return "no numeric value"
    if code == VAS:
        millimetres = unit == "mm" or (unit in (None, *_SCORE_UNITS) and value > 10)
        if unit not in (None, "mm", "cm", *_SCORE_UNITS):
            return f"a visual analogue scale in {unit!r} (cm or mm expected)"
        if millimetres:
            value = value / 10
    elif unit not in (None, *_SCORE_UNITS):
        return f"a 0–10 pain score in {unit!r}"
    if not 0 <= value <= 10:
        return f"pain {obs.value_number:g} is outside its scale"
    return value


def _barthel(obs: ObservationRecord) -> float | str:
    value = obs.value_number
    if value is None:
        return "no numeric value"
    if obs.unit not in (None, *_SCORE_UNITS):
        return f"a Barthel Index in {obs.unit!r}"
    if not 0 <= value <= 100:
        return f"Barthel Index {value:g} is not 0–100"
    if value % 5:
        # Ten items scored in steps of 5 (docs/scores.md): no total of the 100-point index.
        return (
            f"Barthel Index {value:g} is not a multiple of 5 (the 100-point index; a total of "
            "the 0–20 version is not read as one)"
        )
    return value


def read_measurements(
    ctx: Context, observations: Iterable[ObservationRecord], now: ClinicalTime
) -> tuple[dict[str, list[Measurement]], frozenset[str]]:
    """Valid pain and Barthel readings, by measure ('pain', 'barthel'), and the measures with a
    current reading that could not be read (each reason is an issue): "recorded, not read" is
    not "not recorded"."""
    out: dict[str, list[Measurement]] = {"pain": [], "barthel": []}
    unread: set[str] = set()
    early: list[tuple[str, ObservationRecord]] = []
    for obs in observations:
        code = _loinc(obs)
        if code is None:
            continue
        measure = "barthel" if code == BARTHEL else "pain"
        if obs.status == "preliminary":
            early.append((measure, obs))
            continue
        if not _usable(ctx, obs, now, _named(measure)):
            if obs.status in CURRENT_OBSERVATION:
                unread.add(measure)
            continue
        value = _barthel(obs) if measure == "barthel" else _pain(obs, code)
        if isinstance(value, str):
            ctx.invalid(obs.ref.reference, f"{obs.ref.reference}: {value}")
            unread.add(measure)
            continue
        assert obs.time is not None
        at = moment_of(obs.time)
        out[measure].append(
            Measurement(
                value=value,
                instant=at.instant,
                day=at.day,
                timed=at.timed,
                rank=PAIN_RANK.get(code, 0),
                source=obs.ref.reference,
                text=obs.time.text,
            )
        )
    for measure, obs in early:
        _preliminary(ctx, measure, obs, out[measure], unread)
    return out, frozenset(unread)


def _named(measure: str) -> str:
    return "a Barthel Index" if measure == "barthel" else "a pain score"


def _preliminary(
    ctx: Context, measure: str, obs: ObservationRecord, used: list[Measurement], unread: set[str]
) -> None:
    """A preliminary reading is not used (contract §2), but recorded: said ("confirm it"), never
    "not recorded", unless a final one at the same time or later replaces it."""
    what = _named(measure)
    if obs.time is not None and ctx.from_future(obs.ref, obs.time, f"{what} (preliminary)"):
        unread.add(measure)  # recorded, not used: never "not recorded"
        return
    at = moment_of(obs.time) if obs.time is not None else None
    # Replaced only by a final reading of its own day, taken at its time or later.
    if at is not None and any(m.day == at.day and m.instant >= at.instant for m in used):
        return
    ref = obs.ref.reference
    confirm = "confirm it (final)" if at is not None else "confirm it (final) with its time"
    message = f"{ref}: {what} in a preliminary report is not used — {confirm}"
    ctx.issues.append(Issue("warning", "business-rule", message, ref))
    unread.add(measure)


@dataclass(frozen=True, slots=True)
class Cement:
    total_ml: float | None
    used: tuple[ObservationRecord, ...]


# The most cement one index event can take: 2–8 mL fill a vertebra (the case series: 1.5–6 mL),
# so tens of millilitres cover several levels; beyond 100 mL the record is wrong.
MOST_CEMENT_ML = 100.0


def read_cement(
    ctx: Context,
    observations: Iterable[ObservationRecord],
    event: frozenset[str],
    now: ClinicalTime,
) -> Cement:
    """The sum of the cement volumes recorded for the index event's procedures."""
    used: list[ObservationRecord] = []
    total = 0.0
    for obs in observations:
        if not any(c.system == FINDING and c.code == PMMA for c in obs.codes):
            continue
        ref = obs.ref.reference
        if obs.status not in CURRENT_OBSERVATION or (obs.time is not None and obs.time > now):
            continue
        if not event & {*obs.part_of, *obs.focus}:
            message = (
                f"{ref}: cement volume not linked (partOf or focus) to a procedure of the index "
                "event; not counted."
            )
            ctx.issues.append(Issue("warning", "business-rule", message, ref))
            continue
        value = obs.value_number
        if value is None or value < 0 or obs.unit not in _ML:
            ctx.invalid(ref, f"{ref}: cement volume must be a quantity ≥ 0 in mL")
            continue
        total += value
        used.append(obs)
    if total > MOST_CEMENT_ML:  # a typo (300 for 3.00), or no number a syringe holds
        refs = ", ".join(o.ref.reference or "an Observation without id" for o in used)
        message = (
            f"{refs}: cement volumes summing to {total:g} mL for one index event — more than "
            f"{MOST_CEMENT_ML:g} mL is a data error; not counted."
        )
        ctx.issues.append(Issue("warning", "business-rule", message, used[0].ref.reference))
        return Cement(None, ())
    return Cement(total if used else None, tuple(used))
