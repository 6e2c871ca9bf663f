"""The neurology alert (contract §4 v3): suspected spinal cord or cauda equina compression.

Computed once per patient and rendered by the cards, the text report and the page alike. Each
item has its own indicator and wording:

- **critical**: a new or worse Frankel/AIS A–D; a current Bilsky 2–3 at any level or without
  one; a preliminary report of either ("preliminary report — confirm"); either older than its
  window (contract §2: dated evidence may raise an alarm), said dated with its date and "re-examine
  now", never as current; a cord compression, cauda equina syndrome, paraplegia or quadriplegia
  recorded as a current diagnosis that no later grade answers (adapter/mapping/coded.py),
  unconfirmed ones said so, dated ones (older than the window of the grade each stands for) said
  dated. A deficit adds the steroid prompt when no corticosteroid is active —
  for a dated one, conditional on a re-examination confirming it.
- **warning**: an established deficit (no worse than before a completed decompression or
  radiotherapy, or a coded paralysis before one) — "new or worse?"; a coded cord compression
  before a decompression or radiotherapy ("re-examine and re-image"); a grade recorded before a
  decompression from day 42 to day 120 after it ("re-image due"); a grade irradiated but not
  decompressed; an old grade a later
  Frankel/AIS E questions ("re-image"); a final Frankel/AIS A–D or Bilsky 2–3 with no recorded
  time that a timed normal grade outranks ("Frankel C with no recorded time: confirm the current
  grade") — of uncertain age, it raises an alarm but does not settle one, so it is not critical.
- **info**: a grade recorded before a decompression, until day 42 after it; a grade that asks to
  re-image or to confirm (irradiated, old with a Frankel/AIS E since, re-image due after a
  decompression, a Bilsky 2–3 with no recorded time behind a timed 0–1c) that a later final
  whole-spine MRI within its window settles ("whole-spine MRI (30 May 2024): no level
  Bilsky 2–3"), as criterion 8 of the procedure check takes it.
- listed only (raises no card): a grade recorded before a decompression, after day 120.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.decision.coded import coded_items
from adapter.decision.item import NeurologyItem
from adapter.fhir.read.evidence import UNORDERED, Evidence, dated_said, on_day, own_times
from adapter.fhir.read.timing import ClinicalTime, same_time
from adapter.mapping.compression import (
    PRELIMINARY,
    REIMAGED,
    Grade,
    clear_named,
    compression_grades,
    concern,
    day_of,
    days_of,
    reimaged,
    unplaced_compression,
    untimed_alarm,
)
from adapter.mapping.deficit import Deficit, established_deficit, latest_deficit, palsy_named
from adapter.mapping.rules import DEFAULT_RULES, Rules
from adapter.pipeline import PatientResult
from adapter.scoring import Frankel
from adapter.vocabulary.cards import SUMMARY_MAX, URGENCY, Indicator, shorten

__all__ = [
    "NEUROLOGY_ACTION",
    "STEROID_IF_CONFIRMED",
    "STEROID_PROMPT",
    "NeurologyAlert",
    "NeurologyItem",
    "neurology_alert",
]

NEUROLOGY_ACTION = (
    "Suspected metastatic spinal cord or cauda equina compression: contact the MSCC coordinator "
    "or the acute oncology / spinal team immediately; whole-spine MRI within 24 hours if not "
    "done (NICE NG234, 2023)."
)
STEROID_PROMPT = (
    "Consider dexamethasone 16 mg now (NICE NG234) unless lymphoma is suspected and not yet "
    "biopsied."
)
# A dated deficit may be old and settled: the advice waits on the re-examination (NICE NG234).
STEROID_IF_CONFIRMED = (
    "If a re-examination now confirms the deficit, consider dexamethasone 16 mg (NICE NG234) "
    "unless lymphoma is suspected and not yet biopsied."
)
_NOT_CURRENT = "not known to be current"


def _steroid_covered(corticosteroids: tuple[Evidence, ...]) -> str:
    """What stands in the steroid prompt's place when a corticosteroid is active or was given:
    an antiemetic pulse is a corticosteroid too, but may not be MSCC dosing."""
    said = "; ".join(ev.said for ev in corticosteroids)
    return (
        f"{said} — no steroid prompt; confirm the dose is adequate for cord compression "
        "(NICE NG234: dexamethasone 16 mg)."
    )


_CRITICAL = "Suspected spinal cord compression ({reasons}): contact the MSCC / spinal team now"


@dataclass(frozen=True, slots=True)
class NeurologyAlert:
    """Why a patient may have spinal cord compression, item by item, and what to do."""

    indicator: Indicator
    reasons: tuple[str, ...]  # the findings the summary names
    sources: tuple[str, ...]
    items: tuple[NeurologyItem, ...] = ()
    steroid: str | None = None  # the dexamethasone prompt, when it applies

    @property
    def critical(self) -> bool:
        return self.indicator == "critical"

    @property
    def summary(self) -> str:
        reasons = "; ".join(self.reasons)
        return _CRITICAL.format(reasons=reasons) if self.critical else reasons

    @property
    def headline(self) -> str:
        """The summary within a card summary's limit. A card's summary may be all an EHR shows:
        the reasons give way (the detail lists them all), never the action."""
        if not self.critical:
            return shorten(self.summary)
        room = SUMMARY_MAX - len(_CRITICAL.format(reasons=""))
        return _CRITICAL.format(reasons=shorten("; ".join(self.reasons), room))


def _dated(evidence: tuple[Evidence, ...], now: ClinicalTime) -> tuple[str, str] | None:
    """The latest timed input's day and "dated: 183 days before" when it is older than its
    window (contract §2), else None (an untimed one is said as such elsewhere). Findings that
    cannot be put in order are "dated" alone: no one's day or age (the sources cite each)."""
    timed = [ev for ev in evidence if ev.time is not None]
    latest = max(timed, key=lambda ev: ev.time.instant if ev.time else 0, default=None)
    if latest is None or latest.time is None or not latest.dated:
        return None
    if len(own_times(evidence)) > 1:  # "(dated) — not known to be current": nothing to add
        return "", "dated"
    days = (now.instant - latest.time.instant).days
    return latest.time.day, f"{latest.time.day}, dated: {days} days before"


def _deficit_item(deficit: Deficit, patient: PatientResult) -> NeurologyItem:
    safety = patient.assessment.safety
    grades = "/".join(sorted(g.value for g in deficit.chosen.values if g.value != "E"))
    sources = tuple(ev.listed for ev in deficit.chosen.evidence)
    mark = f", {PRELIMINARY}" if deficit.preliminary else ""
    known = established_deficit(deficit, safety.palsy_history, patient.assessment.treatments)
    if known is not None:
        return NeurologyItem("warning", known.named, sources)
    stale = None if deficit.preliminary else _dated(deficit.chosen.evidence, patient.now)
    if (both := deficit.disagreement) is not None:
        # Two scales answered at once: the deficit one records is an alarm until reconciled.
        other, worst = both
        when = stale[1] if stale is not None else f"{days_of(deficit.chosen.evidence)}{mark}"
        again = "re-examine now" if stale is not None else "examine now"
        # One form answering both scales, or two records that cannot be put in order (a day
        # alone beside a time within it): either may be current, neither was "together".
        top = deficit.time
        together = top is None or all(
            same_time(ev.time, top) for ev in deficit.chosen.evidence if ev.time is not None
        )
        how = "recorded together disagree" if together else "disagree"
        when += "" if stale is not None else _partly(deficit.chosen.evidence)
        text = f"{other} and {worst} {how} ({when}) — {again} and record one grade"
        dated = ", dated" if stale is not None else _partly(deficit.chosen.evidence)
        # A preliminary report's mark already asks to confirm.
        beside = "recorded with" if together else "beside"
        reason = f"{worst} {beside} {other}" + (mark or f"{dated} — confirm")
        return NeurologyItem("critical", text, sources, reason, deficit=True, dated=bool(stale))
    if stale is not None:
        day, said = stale
        text = f"{deficit.scale} {grades} ({said}) — {_NOT_CURRENT}: re-examine now"
        reason = f"Frankel/AIS {grades}{on_day(day)}, dated — re-examine"
        return NeurologyItem("critical", text, sources, reason, deficit=True, dated=True)
    day, partly = days_of(deficit.chosen.evidence), _partly(deficit.chosen.evidence)
    if day == UNORDERED and Frankel.E in deficit.chosen.values:  # name what it competes with
        day = f"beside {deficit.scale} E, {day}"
    text = f"{deficit.scale} {grades} ({day}{partly}{mark})"
    reason = f"Frankel/AIS {grades}{partly}{mark}"
    return NeurologyItem("critical", text, sources, reason, deficit=True)


def _partly(evidence: tuple[Evidence, ...]) -> str:
    """ ", partly dated" for findings that cannot be put in order of which some are dated (all
    dated: the stale items say so), as the order card's rows do."""
    dated = dated_said(evidence) if len(own_times(evidence)) > 1 else ""
    return ", partly dated" if dated == "partly dated" else ""


def _grade_item(grade: Grade, patient: PatientResult, rules: Rules) -> NeurologyItem | None:
    what = concern(grade, patient.assessment.safety, patient.now, rules)
    named, sources, treated = grade.named, grade.sources, grade.treated
    if what == "low":
        return None
    if what in REIMAGED and (settled := _reimaged_item(grade, what, patient, rules)) is not None:
        return settled
    if what == "untimed" and grade.untimed is not None:
        text = untimed_alarm(grade.untimed_named, named, grade.day)
        hidden = tuple(ev.listed for ev in grade.untimed.evidence)
        return NeurologyItem("warning", text, (*hidden, *sources))
    stale = _dated(grade.chosen.evidence, patient.now) if what == "compression" else None
    if stale is not None:
        day, said = stale
        text = f"{named} ({said}) — {_NOT_CURRENT}: re-examine and re-image now"
        reason = f"Bilsky 2–3{grade.where}{on_day(day)}, dated — re-image"
        return NeurologyItem("critical", text, sources, reason, dated=True)
    if what in ("compression", "preliminary"):
        mark = f", {PRELIMINARY}" if what == "preliminary" else ""
        partly = _partly(grade.chosen.evidence)
        reason = f"Bilsky 2–3{grade.where}{partly}{mark}"
        # Named on its own when partly dated, not in "Bilsky 2–3 at T8, T12" with the others.
        level = grade.level if what == "compression" and not partly else None
        text = f"{named} ({grade.day}{partly}{mark})"
        return NeurologyItem("critical", text, sources, reason, level=level)
    texts: dict[str, tuple[Indicator | None, str]] = {
        "decompressed": ("info", f"{named} ({grade.day}){treated}"),
        "reimage-due": ("warning", f"{named}{treated} — re-image due"),
        "listed": (None, f"{named} ({grade.day}){treated}"),
        "irradiated": ("warning", f"{named}{treated} — re-image before any procedure"),
        "reimage": ("warning", f"{named} ({grade.day}), Frankel/AIS E since — re-image"),
    }
    indicator, text = texts[what]
    return NeurologyItem(indicator, text, sources)


def _reimaged_item(
    grade: Grade, what: str, patient: PatientResult, rules: Rules
) -> NeurologyItem | None:
    """A grade that asks to re-image, settled by a later clear whole-spine MRI: info, naming the
    grade, what came after it and the MRI's date (None when no such MRI settles it)."""
    safety = patient.assessment.safety
    clear = reimaged(grade, safety, patient.now, rules)
    if clear is None or safety.whole_spine is None:
        return None
    mri = tuple(ev.listed for ev in safety.whole_spine.evidence)
    if what == "untimed" and grade.untimed is not None:
        # cited: the untimed grade, the timed one that outranks it (named too) and the MRI
        hidden = tuple(ev.listed for ev in grade.untimed.evidence)
        text = f"{grade.untimed_behind} — {clear_named(clear)}"
        return NeurologyItem("info", text, (*hidden, *grade.sources, *mri))
    since = ", Frankel/AIS E since" if what == "reimage" else ""
    text = f"{grade.named} ({grade.day}){grade.treated}{since} — {clear_named(clear)}"
    return NeurologyItem("info", text, (*grade.sources, *mri))


def _untimed_palsy_item(patient: PatientResult) -> NeurologyItem | None:
    """A final Frankel/AIS A–D with no recorded time that a timed E outranks."""
    safety = patient.assessment.safety
    hidden, timed = safety.untimed_palsy, safety.palsy
    if hidden is None or timed is None:
        return None
    day = day_of(next((ev.time for ev in timed.evidence if ev.time), None))
    text = untimed_alarm(palsy_named(hidden), palsy_named(timed), day)
    sources = tuple(ev.listed for ev in (*hidden.evidence, *timed.evidence))
    return NeurologyItem("warning", text, sources)


def _whole_spine_item(patient: PatientResult, grades: tuple[Grade, ...]) -> NeurologyItem | None:
    """A final whole-spine MRI verdict of high-grade compression that no grade at a level of the
    same or a later time accounts for: a Bilsky 2–3 whose level is not recorded."""
    verdict = patient.assessment.safety.whole_spine
    text = unplaced_compression(verdict, grades)
    if verdict is None or text is None:
        return None
    sources = tuple(ev.listed for ev in verdict.evidence)
    return NeurologyItem(
        "critical", text, sources, "Bilsky 2–3 on whole-spine MRI, level not recorded"
    )


def _items(patient: PatientResult, rules: Rules) -> list[NeurologyItem]:
    safety = patient.assessment.safety
    items: list[NeurologyItem] = []
    deficit = latest_deficit(safety)
    if deficit is not None:
        items.append(_deficit_item(deficit, patient))
    elif (untimed := _untimed_palsy_item(patient)) is not None:
        items.append(untimed)
    coded_deficit, coded_compression = coded_items(patient)
    items += coded_deficit
    grades = compression_grades(safety, patient.assessment.treatments)
    items += [item for g in grades if (item := _grade_item(g, patient, rules)) is not None]
    items += coded_compression
    whole = _whole_spine_item(patient, grades)
    return [*items, whole] if whole is not None else items


def _reasons(items: list[NeurologyItem], indicator: Indicator) -> tuple[str, ...]:
    if indicator != "critical":
        return tuple(i.text for i in items if i.indicator == indicator)
    reasons = [i.reason for i in items if i.reason and i.deficit]
    levels = [i.level for i in items if i.level]
    if levels:  # final grades at levels, named together: "Bilsky 2–3 at T8, T12"
        reasons.append(f"Bilsky 2–3 at {', '.join(levels)}")
    reasons += [i.reason for i in items if i.reason and not i.deficit and not i.level]
    return tuple(dict.fromkeys(reasons))


def neurology_alert(patient: PatientResult, rules: Rules = DEFAULT_RULES) -> NeurologyAlert | None:
    """The neurology alert; None when nothing raises a card (only listed items, or none)."""
    items = _items(patient, rules)
    top = max(
        (i.indicator for i in items),
        key=lambda i: -1 if i is None else URGENCY[i],
        default=None,
    )
    if top is None:
        return None
    sources = tuple(dict.fromkeys(s for i in items if i.indicator == top for s in i.sources))
    deficits = [i for i in items if i.deficit and i.indicator == "critical"]
    steroid = None
    covered = patient.assessment.safety.corticosteroids
    if deficits and covered:  # never silently: the drug that withholds the prompt is named
        steroid = _steroid_covered(covered)
    elif deficits:
        steroid = STEROID_IF_CONFIRMED if all(i.dated for i in deficits) else STEROID_PROMPT
    return NeurologyAlert(top, _reasons(items, top), sources, tuple(items), steroid)
