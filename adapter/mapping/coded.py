"""Cord compression and paralysis recorded as diagnoses, as they stand at the computation time
(contract §4 v3 neurology card, §5 criteria 4, 5 and 8).

EHRs record metastatic spinal cord compression as a diagnosis (ICD-10-CM G95.2-, G83.4, SNOMED
CT), and a deficit as paraplegia or quadriplegia (G82.2-, G82.5-), not as a Bilsky or Frankel
grade (ValueSets spinal-cord-compression and paraplegia-quadriplegia). A current one speaks as the
grade it stands for would — suspected compression, a neurological deficit — without ever being
read as a grade: the scores do not use it, and no Frankel grade is inferred from it.

An explicit grade is the clinician's assessment and wins over a diagnosis (contract §2): a final
Bilsky grade at the diagnosis's level (or, for one without a level, a final grade without a level
or a whole-spine MRI verdict), or a final Frankel/AIS grade, certainly of the same or a later time
leaves the diagnosis to it. A completed decompression or radiotherapy certainly after the
diagnosis, at its level when it has one, else at a spinal level (a decompression is spinal by its
code; radiotherapy codes are for any site, Treatment.spinal), makes it established: "new or
worse?", as for a grade. "Certainly": times are compared at the coarser precision of the two, so a
diagnosis recorded with a date only is not known to come before a grade or treatment timed that
day. A diagnosis with no recorded time is never outranked, as it is not known to be older; beside
a timed grade of its kind it asks to confirm the current grade, as an untimed Frankel/AIS A–D
behind a timed E does, and so does a diagnosis beside a grade of the same day (or month) that
cannot be put before or after it (contract §4 v3: evidence of uncertain age raises an alarm,
never settles one). A diagnosis older than the freshness window of the grade it stands for
(Bilsky, Frankel/AIS; adapter/mapping/safety.py) is dated, as that grade would be: it still
raises the alarm, said dated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.findings import Chosen
from adapter.mapping.safety import Safety
from adapter.mapping.staging import Staged
from adapter.mapping.treatments import Treatment
from adapter.scoring import level_order

__all__ = ["Coded", "coded_compressions", "coded_deficits"]

CodedKind = Literal["compression", "deficit"]


@dataclass(frozen=True, slots=True)
class Coded:
    """One current diagnosis of cord compression or paralysis that no later grade answers."""

    staged: Staged
    kind: CodedKind
    treatment: Treatment | None  # a completed decompression or radiotherapy after it
    # With no recorded time: the timed grade of its kind beside it, as cards say it.
    behind: str | None = None
    # Older than the window of the grade it stands for (Bilsky, Frankel/AIS).
    dated: bool = False

    @property
    def name(self) -> str:
        """The diagnosis as recorded ("Unspecified cord compression"), else its code."""
        cond = self.staged.condition
        first = cond.codes[0] if cond.codes else None
        return cond.shown_name or (first.code if first else "coded diagnosis")

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(sorted(self.staged.levels, key=level_order))

    @property
    def where(self) -> str:
        """ " at T8", or ", level not recorded" — never a level it was copied to."""
        return f" at {', '.join(self.levels)}" if self.levels else ", level not recorded"

    @property
    def time(self) -> ClinicalTime | None:
        return self.staged.condition.time

    @property
    def last_known(self) -> ClinicalTime | None:
        """When it was last known present (its recordedDate when later than its onset): what
        dates it, and what its age is said from."""
        return self.staged.condition.last_known

    @property
    def day(self) -> str:
        """ "31 May 2024"; "onset 15 Apr 2024, recorded 31 May 2024" when it was diagnosed later
        than it began, so that neither date is read as the other."""
        time, last = self.time, self.last_known
        if time is None or last is None:
            return "no date recorded"
        return time.day if last.day == time.day else f"onset {time.day}, recorded {last.day}"

    @property
    def confirmed(self) -> bool:
        return self.staged.confirmed

    @property
    def mark(self) -> str:
        """ ", provisional — confirm" for a diagnosis that may or may not be present."""
        status = self.staged.condition.verification_said
        return "" if self.confirmed else f", {status} — confirm"

    @property
    def named(self) -> str:
        """ "Unspecified cord compression at T8 (coded diagnosis, 31 May 2024)"; a paralysis
        names no level (its bodySite is not where the cord is compressed)."""
        where = self.where if self.kind == "compression" else ""
        return f"{self.name}{where} (coded diagnosis, {self.day}{self.mark})"

    @property
    def _coded(self) -> str:
        """ "coded 31 May 2024", "coded 1 Mar 1994, dated", "coded with no date": the day it was
        last known present."""
        last = self.last_known
        if last is None:
            return "coded with no date"
        return f"coded {last.day}{', dated' if self.dated else ''}"

    @property
    def short(self) -> str:
        """ "Paraplegia, complete (coded 31 May 2024)": a criterion's finding."""
        where = self.where if self.kind == "compression" else ""
        return f"{self.name}{where} ({self._coded}{self.mark})"

    @property
    def reason(self) -> str:
        """How the neurology card's summary names it: "Paraplegia, complete, coded 31 May 2024",
        "…, coded 1 Mar 1994, dated — re-examine" as a dated Frankel/AIS grade is named, "…
        compression at T8, coded 1 Mar 1994, dated — re-image" as a dated Bilsky grade is. A
        dated one says its age before "level not recorded": a summary cut short keeps the age."""
        where = self.where if self.kind == "compression" else ""
        if not self.dated:
            return f"{self.name}{where}, {self._coded}{self.mark}"
        at, unplaced = (where, "") if self.levels else ("", where)
        again = " — re-image" if self.kind == "compression" else " — re-examine"
        again = again if self.confirmed else ""  # else: "— confirm"
        return f"{self.name}{at}, {self._coded}{self.mark}{unplaced}{again}"

    @property
    def treated(self) -> str:
        """ " before decompression on 5 May 2024", or nothing."""
        done = self.treatment
        return f" before {done.dated}" if done is not None else ""

    @property
    def unsettled(self) -> str:
        """ "Paraplegia, complete (coded diagnosis) with no recorded time: confirm the current
        grade (Frankel grade: Frankel E: normal (30 May 2024))"; one coded "31 May 2024" beside a
        grade timed that day has "no time of day" to put it before or after the grade."""
        where = self.where if self.kind == "compression" else ""
        if self.time is None:
            said = f"{self.name}{where} (coded diagnosis{self.mark}) with no recorded time"
        else:
            # A timed diagnosis beside a grade with a date only: the grade's time is missing.
            missing = "order unknown" if "T" in self.time.text else "no time of day"
            said = f"{self.name}{where} (coded {self.time.day}{self.mark}, {missing})"
        return f"{said}: confirm the current grade ({self.behind})"

    @property
    def unsettled_short(self) -> str:
        """ "Paraplegia, complete (coded with no date — confirm the current grade)"."""
        where = self.where if self.kind == "compression" else ""
        return f"{self.name}{where} ({self._coded} — confirm the current grade)"

    @property
    def established(self) -> str:
        """ "established deficit (Paraplegia, incomplete since 1 May 2024) — new or worse?"."""
        return f"established deficit ({self.name} since {self.day}{self.mark}) — new or worse?"

    def answered_by(self, time: ClinicalTime | None) -> bool:
        """Whether a final grade of ``time`` certainly comes at or after this diagnosis."""
        return time is not None and self.time is not None and _after(time, self.time)

    @property
    def evidence(self) -> Evidence:
        cond = self.staged.condition
        return Evidence(cond.ref, cond.time, self.named)


def _chosen_time(chosen: Chosen[object] | None) -> ClinicalTime | None:
    return next((ev.time for ev in chosen.evidence if ev.time), None) if chosen else None


def _after(when: ClinicalTime, time: ClinicalTime) -> bool:
    """Whether ``when`` is certainly at or after ``time``: "2024-05-31" is not known to be before
    a time of that day."""
    return when.instant >= time.end


def _answered(time: ClinicalTime | None, graded: Sequence[Chosen[object] | None]) -> bool:
    """Whether a final grade certainly of the same or a later time answers a diagnosis of
    ``time``."""
    if time is None:
        return False
    return any((when := _chosen_time(c)) is not None and _after(when, time) for c in graded)


def _behind(time: ClinicalTime | None, graded: Sequence[Chosen[object] | None]) -> str | None:
    """The timed grades of its kind that a diagnosis cannot be put before or after, as cards say
    them: all of them for a diagnosis with no recorded time, else those of its day (or month)."""
    timed = [
        c
        for c in graded
        if (when := _chosen_time(c)) is not None and (time is None or not _after(time, when))
    ]
    return "; ".join(ev.said for c in timed if c for ev in c.evidence) or None


def _treatment(staged: Staged, treatments: Sequence[Treatment]) -> Treatment | None:
    """The latest completed decompression or radiotherapy certainly after the diagnosis, at its
    level when it names one, else one that reached the spine (Treatment.spinal)."""
    time = staged.condition.time
    if time is None:
        return None
    done = [
        t
        for t in treatments
        if t.kinds & {"decompression", "radiotherapy"}
        and _after(t.time, time)
        and (any(t.at(lv) for lv in staged.levels) if staged.levels else t.spinal)
    ]
    return done[-1] if done else None


def coded_compressions(safety: Safety, treatments: Sequence[Treatment]) -> tuple[Coded, ...]:
    """The coded cord compressions a later grade does not answer, in record order."""
    out = []
    for staged in safety.coded_compression:
        own = [safety.compression.get(lv) for lv in staged.levels]
        graded: list[Chosen[object] | None] = [
            *(own if staged.levels else [safety.compression_unplaced]),
            safety.whole_spine,
        ]
        time = staged.condition.time
        if _answered(time, graded):
            continue
        treated = _treatment(staged, treatments)
        dated = staged in safety.dated_compression
        out.append(Coded(staged, "compression", treated, _behind(time, graded), dated))
    return tuple(out)


def coded_deficits(safety: Safety, treatments: Sequence[Treatment]) -> tuple[Coded, ...]:
    """The coded paraplegias and quadriplegias no later Frankel/AIS grade answers."""
    out = []
    for staged in safety.coded_deficit:
        time = staged.condition.time
        if not _answered(time, [safety.palsy]):
            treated = _treatment(staged, treatments)
            behind = _behind(time, [safety.palsy])
            dated = staged in safety.dated_deficit
            out.append(Coded(staged, "deficit", treated, behind, dated))
    return tuple(out)
