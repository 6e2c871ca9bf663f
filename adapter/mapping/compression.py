"""Epidural compression and palsy as they stand at the computation time (contract §5 v3).

Each level's latest Bilsky grade is read with what happened after it: a completed decompression
at its level supersedes it until a later grade exists; radiotherapy alone does not (it does not
decompress at once). A preliminary report of Bilsky 2–3 stands in for a grade until a final one
of the same or a later time replaces it; a final Bilsky 2–3 with no recorded time that the
level's timed 0–1c outranks rides on that grade, to be confirmed (contract §4 v3: evidence of
uncertain age raises an alarm, never settles one). Deficits (Frankel/AIS A–D, new or
established) are adapter/mapping/deficit.py's.

The neurology card (adapter/decision) and criteria 5 and 8 of the procedure check
(adapter/procedure) read the same :class:`Grade` and :func:`concern`, so they never disagree on
what a grade means today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from adapter.fhir.read.evidence import UNORDERED, Evidence, dated_said, on_day, own_times
from adapter.fhir.read.timing import ClinicalTime, at_or_after, certainly_after, latest_moment
from adapter.mapping.findings import Bilsky, Chosen, WholeSpine
from adapter.mapping.rules import Rules
from adapter.mapping.safety import Safety
from adapter.mapping.treatments import Treatment
from adapter.scoring import Frankel, level_order

__all__ = [
    "REIMAGED",
    "Concern",
    "Grade",
    "clear_named",
    "clear_whole_spine",
    "compression_grades",
    "concern",
    "day_of",
    "grade_at",
    "reimaged",
    "unplaced_compression",
    "untimed_alarm",
    "whole_spine_time",
]

# What a Bilsky grade means today: "compression" and "preliminary" are suspected compression;
# "decompressed" (info), "reimage-due" (warning) and "listed" follow a decompression after it;
# "irradiated" is radiotherapy alone after it; "reimage" an old grade a later Frankel/AIS E
# questions; "untimed" is Bilsky 0–1c behind which a Bilsky 2–3 with no recorded time waits to be
# confirmed; "low" is Bilsky 0–1c.
Concern = Literal[
    "compression", "preliminary", "decompressed", "reimage-due", "listed", "irradiated",
    "reimage", "untimed", "low",
]  # fmt: skip
PRELIMINARY = "preliminary report — confirm"
UNTIMED = "no recorded time — confirm"
# A normal grade with no recorded time: not the problem, but not known to be current either.
UNTIMED_NORMAL = "no recorded time — re-examine"
CONFIRM_BILSKY = "confirm the current Bilsky grade from the MRI report"


def untimed_alarm(hidden: str, timed: str, day: str) -> str:
    """ "Frankel C with no recorded time: confirm the current grade (Frankel E on 30 May 2024)",
    "(Frankel E in Mar 2024)" for a month or a year alone (the day as :func:`on_day` says it); a
    name ending in ", level not recorded" takes a comma before what follows."""
    after = ", " if "," in hidden else " "
    when = on_day(day)
    if "," in timed and when.startswith(" "):
        when = f",{when}"
    confirm = f"confirm the current grade ({timed}{when})"
    return f"{hidden}{after}with no recorded time: {confirm}"


def _bilsky(chosen: Chosen[Bilsky]) -> str:
    """ "Bilsky 3", "Bilsky 2/3": the grades, without where."""
    return f"Bilsky {'/'.join(sorted(g.value.removeprefix('bilsky-') for g in chosen.values))}"


def day_of(time: ClinicalTime | None) -> str:
    """A finding's day as every output names it, or that it has none."""
    return time.day if time else "no date recorded"


def days_of(evidence: Sequence[Evidence]) -> str:
    """A choice's day, or, when it holds findings that cannot be put in order (a year, month or
    day alone beside a time within it), that they cannot: never one finding's day given to
    another ("Frankel C/E (not known which is later)"; the evidence cites each with its own)."""
    times = own_times(evidence)
    return UNORDERED if len(times) > 1 else day_of(times[0] if times else None)


def bracketed(*parts: str) -> str:
    """ " (30 May 2024, dated)" of the parts said, or nothing."""
    said = ", ".join(p for p in parts if p)
    return f" ({said})" if said else ""


@dataclass(frozen=True, slots=True)
class Grade:
    """The Bilsky grade that counts at one level (or without a level) and what came after it."""

    level: str | None  # None: recorded without a level
    chosen: Chosen[Bilsky]
    preliminary: bool
    decompressed: Treatment | None  # the latest completed decompression at its level after it
    irradiated: Treatment | None  # radiotherapy at its level after it, none decompressing
    # A final Bilsky 2–3 with no recorded time that this timed 0–1c outranks.
    untimed: Chosen[Bilsky] | None = None

    @property
    def high_grade(self) -> bool:
        return any(g.high_grade for g in self.chosen.values)

    @property
    def time(self) -> ClinicalTime | None:
        return next((ev.time for ev in self.chosen.evidence if ev.time), None)

    @property
    def dated(self) -> bool:
        return any(ev.dated for ev in self.chosen.evidence)

    @property
    def brief(self) -> str:
        """How a summary dates the grade: "30 May 2024", "30 May 2024, dated"; for grades that
        cannot be put in order no day, only whether they are dated or "partly dated" (their
        evidence cites each with its own time)."""
        if self.day == UNORDERED:
            return dated_said(self.chosen.evidence)
        return ", ".join(p for p in (self.day, "dated" if self.dated else "") if p)

    @property
    def where(self) -> str:
        """ " at T8", or ", level not recorded" — never a level the grade was copied to."""
        return f" at {self.level}" if self.level else ", level not recorded"

    @property
    def named(self) -> str:
        """ "Bilsky 3 at T8", "Bilsky 2/3, level not recorded"."""
        return self._named(self.chosen)

    @property
    def untimed_named(self) -> str:
        """The untimed grade behind this one, named as :attr:`named` is ("" when none)."""
        return self._named(self.untimed) if self.untimed is not None else ""

    @property
    def untimed_behind(self) -> str:
        """ "Bilsky 3 at T8 with no recorded time (Bilsky 0 at T8 on 25 May 2024)". Without a level
        it is said once, after both, so that a card's summary holds the whole item: "Bilsky 3
        with no recorded time (Bilsky 0 on 25 May 2024), level not recorded"."""
        if self.untimed is None:
            return ""
        if self.level:
            return f"{self.untimed_named} with no recorded time ({self.named}{on_day(self.day)})"
        hidden, timed = _bilsky(self.untimed), _bilsky(self.chosen)
        return f"{hidden} with no recorded time ({timed}{on_day(self.day)}){self.where}"

    def _named(self, chosen: Chosen[Bilsky]) -> str:
        return f"{_bilsky(chosen)}{self.where}"

    @property
    def day(self) -> str:
        return days_of(self.chosen.evidence)

    @property
    def treated(self) -> str:
        """What came after the grade, as the card and the procedure check say it: " before
        decompression on 5 Nov", " irradiated on 5 Nov, not decompressed", or nothing."""
        if self.decompressed is not None:
            return f" before decompression{on_day(self.decompressed.time.day)}"
        if self.irradiated is not None:
            return f" irradiated{on_day(self.irradiated.time.day)}, not decompressed"
        return ""

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(ev.listed for ev in self.chosen.evidence)


def _after(
    treatments: Sequence[Treatment],
    level: str | None,
    times: Sequence[ClinicalTime],
    kind: str,
) -> Treatment | None:
    """The latest completed treatment of ``kind`` at ``level`` certainly at or after every one of
    ``times`` (a grade's, and those of the findings dated by a day alone within it: one dated by
    the treatment's day may be after it)."""
    if level is None or not times:
        return None
    done = [
        t
        for t in treatments
        if kind in t.kinds and t.at(level) and all(at_or_after(t.time, time) for time in times)
    ]
    return done[-1] if done else None


def _grade(
    level: str | None, chosen: Chosen[Bilsky], preliminary: bool, treatments: Sequence[Treatment]
) -> Grade:
    time = next((ev.time for ev in chosen.evidence if ev.time), None)
    times = (time, *chosen.unordered) if time is not None else ()
    decompressed = _after(treatments, level, times, "decompression")
    irradiated = None if decompressed else _after(treatments, level, times, "radiotherapy")
    return Grade(level, chosen, preliminary, decompressed, irradiated)


def _pick(
    level: str | None,
    final: Chosen[Bilsky] | None,
    early: Chosen[Bilsky] | None,
    untimed: Chosen[Bilsky] | None,
    treatments: Sequence[Treatment],
) -> Grade | None:
    """A final grade of current compression wins; else a later preliminary Bilsky 2–3; else
    the final grade, carrying any untimed Bilsky 2–3 it outranks."""
    graded = _grade(level, final, False, treatments) if final is not None else None
    if early is None or (graded and graded.high_grade and not graded.decompressed):
        return replace(graded, untimed=untimed) if graded and untimed else graded
    return _grade(level, early, True, treatments)


def compression_grades(safety: Safety, treatments: Sequence[Treatment]) -> tuple[Grade, ...]:
    """The grade of each level with one (anatomical order), then the one without a level."""
    levels = sorted({*safety.compression, *safety.preliminary_compression}, key=level_order)
    early, hidden = safety.preliminary_compression, safety.untimed_compression
    out = [
        _pick(lv, safety.compression.get(lv), early.get(lv), hidden.get(lv), treatments)
        for lv in levels
    ]
    unplaced = (safety.compression_unplaced, safety.preliminary_unplaced, safety.untimed_unplaced)
    out.append(_pick(None, *unplaced, treatments))
    return tuple(g for g in out if g is not None)


def grade_at(grades: Sequence[Grade], level: str, scored: int) -> Grade | None:
    """The grade at a level: its own, else one without a level when it is Bilsky 2–3 or the
    patient has one scored level (contract §2: safety-first for a grade without a level)."""
    own = next((g for g in grades if g.level == level), None)
    if own is not None:
        return own
    loose = next((g for g in grades if g.level is None), None)
    return loose if loose is not None and (loose.high_grade or scored == 1) else None


def _reassured(grade: Grade, palsy: Chosen[Frankel] | None, safety: Safety) -> bool:
    """A later final Frankel/AIS E (and no preliminary deficit since) after a dated grade."""
    if palsy is None or safety.preliminary_palsy is not None or grade.time is None:
        return False
    if safety.untimed_palsy is not None:
        return False  # a deficit with no recorded time (A–D) may be the current grade
    if grade.level in safety.untimed_high or None in safety.untimed_high:
        return False  # so may a Bilsky 2–3 with no recorded time at the level, or at none
    when = next((ev.time for ev in palsy.evidence if ev.time), None)
    if palsy.values != {Frankel.E} or when is None or any(ev.dated for ev in palsy.evidence):
        return False  # dated evidence may raise an alarm, never settle one (contract §4 v3)
    # Certainly after the grade and every finding of it that cannot be put in order, however a
    # date alone is read: an E timed 09:00 on the day of an MRI dated by that day alone, or an E
    # dated 2 Apr alone beside an MRI of 1 Apr 20:00-05:00, may have been examined before it.
    times = (grade.time, *grade.chosen.unordered)
    return all(certainly_after(when, t) for t in times)


def _certainly_old(grade: Grade, now: ClinicalTime, rules: Rules) -> bool:
    """Whether every finding of the grade is older than its window however a date alone is read
    (contract §5 v3: "a Bilsky 2–3 older than 30 days"): one dated finding beside a current one,
    or a month that may end yesterday, is not an old grade."""
    window = rules.windows.of("compression")
    # A copy of the grade dated by a period (left out of the evidence) is part of it too.
    times = [*(ev.time for ev in grade.chosen.evidence), *grade.chosen.unordered]
    return all(t is not None and now.instant - latest_moment(t) > window for t in times)


def concern(grade: Grade, safety: Safety, now: ClinicalTime, rules: Rules) -> Concern:
    """What a grade means today (see :data:`Concern`)."""
    if not grade.high_grade:
        return "untimed" if grade.untimed is not None else "low"
    if grade.decompressed is not None:
        days = (now.instant - grade.decompressed.time.instant).days
        if days < rules.reimage_from_days:
            return "decompressed"
        return "reimage-due" if days < rules.reimage_until_days else "listed"
    if grade.irradiated is not None:
        return "irradiated"
    if grade.preliminary:
        return "preliminary"
    if _certainly_old(grade, now, rules) and _reassured(grade, safety.palsy, safety):
        return "reimage"
    return "compression"


def whole_spine_time(verdict: Chosen[WholeSpine]) -> ClinicalTime | None:
    return next((ev.time for ev in verdict.evidence if ev.time), None)


def clear_whole_spine(safety: Safety) -> ClinicalTime | None:
    """The time of a final whole-spine MRI within its window that says no level is Bilsky 2–3
    (contract §5 v3, criterion 8); None when there is none (a dated one settles nothing)."""
    verdict = safety.whole_spine
    if verdict is None or WholeSpine.HIGH_GRADE in verdict.values:
        return None
    return None if any(ev.dated for ev in verdict.evidence) else whole_spine_time(verdict)


def clear_named(time: ClinicalTime | None) -> str:
    """ "whole-spine MRI (30 May 2024): no level Bilsky 2–3"."""
    return f"whole-spine MRI ({day_of(time)}): no level Bilsky 2–3"


# Current compression: only surgery supersedes it (contract §5 v3), never a whole-spine verdict.
_CURRENT: frozenset[Concern] = frozenset({"compression", "preliminary"})
# The grades that ask to re-image or to confirm the current grade: a later clear whole-spine MRI
# (:func:`reimaged`) is that re-imaging, for criterion 8 and the neurology card alike.
REIMAGED: frozenset[Concern] = frozenset({"irradiated", "reimage", "reimage-due", "untimed"})


def reimaged(grade: Grade, safety: Safety, now: ClinicalTime, rules: Rules) -> ClinicalTime | None:
    """The time of the clear whole-spine MRI (:func:`clear_whole_spine`) later than ``grade``
    that settles it — the re-imaging an irradiated grade, an old one a later Frankel/AIS E
    questions or one before a decompression asks for; None for a current Bilsky 2–3, which it
    never settles. Criterion 8 and the neurology card read it alike (one decision, §4 v3)."""
    clear = clear_whole_spine(safety)
    if clear is None or grade.time is None or grade.time >= clear:
        return None
    return None if concern(grade, safety, now, rules) in _CURRENT else clear


def unplaced_compression(verdict: Chosen[WholeSpine] | None, grades: Sequence[Grade]) -> str | None:
    """A whole-spine MRI verdict of high-grade compression that no grade at a level of the same or
    a later time accounts for, in words: "whole-spine MRI (3 Mar): Bilsky 2–3, level not
    recorded"; None when there is none."""
    if verdict is None or WholeSpine.HIGH_GRADE not in verdict.values:
        return None
    when = whole_spine_time(verdict)
    if any(g.high_grade and g.level and g.time and when and g.time >= when for g in grades):
        return None
    return f"whole-spine MRI ({day_of(when)}): Bilsky 2–3, level not recorded"
