"""The case series' selection criteria at one level (contract §5, criteria 1, 2, 5 and 6; 3 is
adapter/procedure/fracture.py's, and check.py judges them together).

Each criterion is met, unmet or unknown — never guessed from missing data — with its source and
date. Dated evidence can make a criterion unmet, never met: then it is unknown ("re-assess").
A criterion that is not met carries its ``finding``: the problem in a few words, for a summary
("No metastasis recorded at L1 (metastases: T6, T8) — check the level"), never "criterion 2 unmet".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from adapter.fhir.read.evidence import Evidence, dated_said, own_times
from adapter.fhir.read.evidence import on_day as on_or_in
from adapter.mapping.compression import CONFIRM_BILSKY, UNTIMED, Grade
from adapter.mapping.findings import Bilsky
from adapter.mapping.staging import Staged, levels_named
from adapter.pipeline import PatientResult
from adapter.procedure.tumour import absent_metastasis
from adapter.scoring import LEVELS, level_order
from adapter.vocabulary import SINS_LOCATION
from adapter.vocabulary.cards import REMISSION

__all__ = [
    "COMPRESSION_JUDGE",
    "DECOMPRESSION",
    "FIRST",
    "REASSESS",
    "REIMAGE",
    "Criterion",
    "Judge",
    "Status",
    "cite",
    "compression_criterion",
    "dated",
    "level_criterion",
    "on_day",
    "other_cause_criterion",
    "staged_evidence",
    "tumour_criterion",
]

Status = Literal["met", "unmet", "unknown"]
_THORACOLUMBAR = frozenset(LEVELS[LEVELS.index("T1") : LEVELS.index("L5") + 1])
REASSESS = "re-assess: the evidence is dated"
REIMAGE = "re-image the level before the procedure"
FIRST = "assess for decompression and radiotherapy first"
DECOMPRESSION = f"suspected cord compression: {FIRST}"
_EPIDURAL = frozenset({Bilsky.G1B, Bilsky.G1C})  # epidural tumour touching the dura or the cord


@dataclass(frozen=True, slots=True)
class Criterion:
    number: int
    name: str
    status: Status
    basis: str  # what it rests on, with sources and dates
    action: str | None = None  # what to do about it
    finding: str | None = None  # the finding in a few words, for a card summary ("Bilsky 3")
    # Criterion 4 unmet by an established deficit (contract §4 v3): unmet as §5 says, yet not
    # suspected new compression — the card warns, as the neurology card does.
    established: bool = False
    # Criterion 8 unmet by a Bilsky 2–3 that no level holds (recorded without a level, every
    # level's own grade outranking it): compression here or elsewhere, not known which.
    unplaced: bool = False
    # Criterion 8 unmet at a level the order names or bridges without treating it (an
    # instrumented level, an unrecognised order's own level): here, never "elsewhere".
    here: bool = False
    # The finding in fewer words, for a summary too long to hold it whole (the detail keeps it),
    # and then in fewer still, one form after another.
    short: str | None = None
    fewer: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judge:
    """One criterion, about to be judged: ``Judge(4, name).unmet(basis, action=...)``."""

    number: int
    name: str

    def met(self, basis: str) -> Criterion:
        return Criterion(self.number, self.name, "met", basis)

    def unmet(
        self,
        basis: str,
        *,
        action: str | None = None,
        finding: str | None = None,
        established: bool = False,
        unplaced: bool = False,
        here: bool = False,
    ) -> Criterion:
        return Criterion(
            self.number, self.name, "unmet", basis, action, finding, established, unplaced, here
        )

    def unknown(
        self,
        basis: str,
        *,
        action: str | None = None,
        finding: str | None = None,
        short: str | None = None,
        fewer: tuple[str, ...] = (),
    ) -> Criterion:
        return Criterion(
            self.number, self.name, "unknown", basis, action, finding, short=short, fewer=fewer
        )


COMPRESSION_JUDGE = Judge(5, "No epidural compression needing decompression")


def cite(evidence: Iterable[Evidence]) -> str:
    return "; ".join(ev.said for ev in evidence)


def dated(evidence: Iterable[Evidence]) -> bool:
    return any(ev.dated for ev in evidence)


def on_day(evidence: Sequence[Evidence]) -> str:
    """ " (3 Dec)" for a summary: the latest input's day, without the year when it is current
    (within its window, so this year's); " (3 Mar 2026, dated)" when it is not; each finding's
    only " (dated)" or " (partly dated)", when they cannot be put in order."""
    timed = [(ev.time, ev) for ev in evidence if ev.time is not None]
    if not timed:
        return ""
    time, latest = max(timed, key=lambda pair: pair[0].instant)
    if len(own_times(evidence)) > 1:  # never one finding's day given to another: the basis
        return f" ({said})" if (said := dated_said(evidence)) else ""  # cites each with its own
    day = time.day
    parts = day.split(" ")
    if latest.dated:
        return f" ({day}, dated)"
    return f" ({' '.join(parts[:2])})" if len(parts) == 3 else f" ({day})"


def level_criterion(level: str, *, instrumented: bool = False) -> Criterion:
    """Criterion 1. At a level that only takes screws (contract §5, instrumented) the lesion is
    not there: outside T1–L5 it is the construct, not the patient, that reaches beyond the
    levels the case series instrumented, and it is said so."""
    judge = Judge(1, "Thoracolumbar level (the case series' population)")
    if level in _THORACOLUMBAR:
        return judge.met(f"{level} is within T1–L5")
    if instrumented:
        said = f"{level}, a screw level, is outside the levels the case series treated (T1–L5)"
        return judge.unmet(said, finding=said)
    return judge.unmet(
        f"{level}: outside the population studied (T1–L5)",
        finding=f"{level} is outside the population studied (T1–L5)",
    )


def tumour_criterion(level: str, result: PatientResult) -> Criterion:
    judge = Judge(2, "A tumour at the level")
    at = result.level(level)
    if at is None:
        absent = absent_metastasis(level, result)
        verdict = judge.unknown if absent.unsited else judge.unmet
        return verdict(absent.basis, action=absent.action, finding=absent.finding)
    lesions = cite(at.bases[SINS_LOCATION.code].evidence)
    if at.assessment.in_remission:  # still a lesion (contract §2 v3), marked as the SINS card does
        lesions += REMISSION
    if at.assessment.origin == "confirmed":
        return judge.met(lesions)
    if at.assessment.origin == "unconfirmed":
        return judge.unknown(
            f"only an unconfirmed Condition: {lesions}",
            action="confirm the metastasis at this level",
            finding=f"metastasis at {level} not confirmed",
        )
    return judge.unknown(
        f"{level} is known from findings only",
        action="record the metastasis Condition with its bodySite",
        finding=f"no metastasis Condition at {level}",
    )


_OTHER_CAUSE = "osteoporotic or traumatic vertebral fracture"


def staged_evidence(staged: Iterable[Staged], what: str) -> list[Evidence]:
    return [Evidence(s.condition.ref, s.condition.time, _label(s, what)) for s in staged]


def _label(staged: Staged, what: str) -> str:
    """ "osteoporotic or traumatic vertebral fracture at T12 (provisional)": words, not codes."""
    levels = sorted(staged.levels, key=level_order)
    within = [s.name for s in staged.sites if s.kind == "spinal" and s.within]
    if levels:
        where = f" at {', '.join(levels)}"
    else:
        where = f" at {' or '.join(within)}" if within else ", level not recorded"
    status = "" if staged.confirmed else f" ({staged.condition.verification_said})"
    return f"{what}{where}{status}"


def compression_criterion(level: str, standing: Grade | None, *, cement: bool = False) -> Criterion:
    """Unmet by Bilsky 2–3 at the level (a preliminary report too, "preliminary — confirm"; an
    irradiated grade still compresses); a 0–1c with an untimed 2–3 behind it, or a grade before
    a decompression there, is unknown (confirm; re-image); for cement, Bilsky 1b–1c there is
    unknown (epidural tumour: cement may leak into the canal). A grade recorded without a level
    counts here but is said as "level not recorded"."""
    judge = COMPRESSION_JUDGE
    where = standing.where if standing is not None else f" at {level}"
    if standing is None:
        return judge.unknown(
            f"no Bilsky grade at {level}",
            action="record the epidural spinal cord compression grade (Bilsky) from MRI",
            finding=f"no Bilsky grade at {level}",
        )
    grade = standing.chosen
    shown = cite(grade.evidence)
    if standing.high_grade and standing.decompressed is not None:
        return judge.unknown(
            f"{standing.named}{standing.treated}: {shown}",
            action="re-image before the procedure",
            finding=f"{standing.named}{standing.treated} — re-image",
        )
    if standing.high_grade:
        mark = " (preliminary — confirm)" if standing.preliminary else ""
        irradiated = standing.irradiated
        after = (
            f", irradiated{on_or_in(irradiated.time.day)}, not decompressed" if irradiated else ""
        )
        return judge.unmet(
            f"high-grade compression (Bilsky 2–3){after}: {shown}",
            action=DECOMPRESSION,
            finding=_with_day(standing.named, on_day(grade.evidence), mark),
        )
    if standing.untimed is not None:
        hidden = f"{standing.untimed_named} ({UNTIMED})"
        basis = f"{hidden}: {cite(standing.untimed.evidence)}; latest timed grade: {shown}"
        return judge.unknown(basis, action=CONFIRM_BILSKY, finding=hidden)
    if cement and grade.values & _EPIDURAL:
        return judge.unknown(
            f"epidural tumour (Bilsky 1b–1c) at a cemented level: {shown}",
            action="spine team review before cement",
            finding=f"epidural tumour{where}: cement-leak risk — spine team review",
        )
    if dated(grade.evidence):
        return judge.unknown(
            f"Bilsky 0–1c, dated: {shown}", action=REASSESS, finding=f"Bilsky{where}, dated"
        )
    return judge.met(f"Bilsky 0–1c: {shown}")


def _with_day(named: str, day: str, mark: str) -> str:
    """ "Bilsky 3 at T8 (2 Dec)", "Bilsky 3 at T8 (2 Dec, preliminary — confirm)"."""
    if not mark:
        return f"{named}{day}"
    return f"{named}{day[:-1]}, preliminary — confirm)" if day else f"{named}{mark}"


def _within(staged: Staged) -> frozenset[str] | None:
    """The levels a fracture is at one of (a code naming a pair, a region); None when it has a
    level of its own or may be anywhere in the spine."""
    if staged.levels:
        return None
    bounded = [s.within for s in staged.sites if s.kind == "spinal" and s.within]
    return frozenset().union(*bounded) if bounded else None


def _one_of(within: frozenset[str]) -> str:
    """The levels a fracture may be at: "T11 or T12" (a code naming a pair), "one of C1–C7"."""
    return levels_named(within) if len(within) == 2 else f"one of {levels_named(within)}"


def other_cause_criterion(
    level: str, fractures: Sequence[Staged], *, instrumented: bool = False
) -> Criterion:
    """Met with no such fracture at the level or without one (contract §5); one recorded only
    elsewhere is named, "… at C2 (1 May 2024) — not at C3", never "none recorded". At a level
    that only takes screws the fracture is not the one treated: it is about the screws' hold,
    and the level is named."""
    judge = Judge(6, "Fracture not from another cause")
    placed = [(s, _within(s)) for s in fractures]
    relevant = [s for s, within in placed if within is None and (level in s.levels or not s.levels)]
    maybe = [(s, within) for s, within in placed if within is not None and level in within]
    if not fractures:
        return judge.met("no osteoporotic or traumatic vertebral fracture recorded")
    if not relevant and not maybe:
        return judge.met(f"{cite(staged_evidence(fractures, _OTHER_CAUSE))} — not at {level}")
    if not relevant:  # at one of several levels, this one or another: never guessed (§5)
        where = _one_of(frozenset().union(*(within for _, within in maybe)))
        return judge.unknown(
            cite(staged_evidence([s for s, _ in maybe], _OTHER_CAUSE)) + " — confirm which",
            action="confirm which vertebra is fractured, and its cause (biopsy)",
            finding=f"osteoporotic or traumatic fracture at {where} — confirm which",
        )
    confirmed = [s for s in relevant if s.confirmed]
    # A fracture recorded without a level is not said to be at this one (never guessed, §5).
    here = f"at {level}" if any(level in s.levels for s in confirmed) else "level not recorded"
    if confirmed and instrumented:
        where = f"{here}, a screw level" if here.startswith("at") else f"{here} — at {level}?"
        return judge.unmet(
            cite(staged_evidence(confirmed, _OTHER_CAUSE)),
            action="review the construct: screws into a fractured vertebra",
            finding=f"osteoporotic or traumatic fracture {where} — review the screws' hold",
        )
    if confirmed:
        where = here if here.startswith("at") else f"{here} — at {level}?"
        return judge.unmet(
            cite(staged_evidence(confirmed, _OTHER_CAUSE)),
            action="confirm the tumour cause (biopsy)",
            finding=f"osteoporotic or traumatic fracture {where} — confirm tumour cause (biopsy)",
        )
    return judge.unknown(
        cite(staged_evidence(relevant, _OTHER_CAUSE)),
        action="confirm or refute the fracture's cause (biopsy)",
        finding="possible osteoporotic or traumatic fracture — confirm its cause",
    )
