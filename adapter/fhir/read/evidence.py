"""What each score component was derived from: input resources, times and notes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from adapter.fhir.read.records import ResourceRef
from adapter.fhir.read.timing import ClinicalTime, same_time

__all__ = ["DATED_INPUT", "UNORDERED", "Basis", "Evidence", "dated_said", "on_day", "own_times"]

# How a caveat about an input that may no longer hold begins: its day count changes every day,
# so what identifies a result is that the input is dated, never the count (fhir/write/build.py).
DATED_INPUT = "Dated input: "
# How a choice of findings that cannot be put in order is dated beside its name ("Bilsky 0/3 at
# T12 (not known which is later)"): each finding is cited with its own time where the evidence is
# listed. A list of times beside a list of grades would be read as pairs, and wrongly.
UNORDERED = "not known which is later"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One input resource used, with its clinical time and a one-line reading of it.

    ``dated`` says why the input may no longer hold at the computation time (older than its
    freshness window, or recorded with no time); None when it is current.
    """

    ref: ResourceRef
    time: ClinicalTime | None
    summary: str
    dated: str | None = None
    shown: str | None = None  # the summary with displays for codes, for card text (not hashed)

    @property
    def cited(self) -> str:
        """``shown (Observation/1, 2024-05-20)`` — how reports and cards name it: by its
        displays (contract §4 v3), the summary only when nothing displays it."""
        when = f", {self.time.text}" if self.time else ""
        return f"{self.shown or self.summary} ({self.ref.reference or 'unreferenced'}{when})"

    @property
    def dated_day(self) -> str:
        """ "20 May 2024", "20 May 2024, dated" when it may no longer hold, or "no date recorded"
        (which is why it is dated): how every surface dates an input."""
        if self.time is None:
            return "no date recorded"
        return f"{self.time.day}, dated" if self.dated else self.time.day

    @property
    def listed(self) -> str:
        """``summary — Observation/1, 20 May 2024`` — how the text report and the page list an
        input: a full record listing names the resource; then the day as :attr:`dated_day`."""
        where = self.ref.reference or "unreferenced"
        return f"{self.shown or self.summary} — {where}, {self.dated_day}"

    @property
    def said(self) -> str:
        """``summary (20 May 2024)`` — how card text names it: the day, never a resource id
        (contract §4 v3), as :attr:`dated_day`: "(20 May 2024, dated)" in one parenthesis,
        "(no date recorded)"."""
        return f"{self.shown or self.summary} ({self.dated_day})"


@dataclass(frozen=True, slots=True)
class Basis:
    """The evidence of one component, how it was read, and what would settle it.

    ``caveats`` are the notes that must travel with the result itself (conflicts, stand-ins
    such as ECOG for Karnofsky or AIS for Frankel, ambiguity, widened counts, unconfirmed or
    dated inputs); ``notes`` explain a derivation and appear in reports only.
    """

    evidence: tuple[Evidence, ...] = ()
    notes: tuple[str, ...] = ()
    settle: str | None = None
    caveats: tuple[str, ...] = ()
    # Recorded, but not singled out or not confirmed (several primary tumours, a provisional
    # one): a range over what is recorded is "uncertain", not "missing", in its RiskAssessment.
    uncertain: bool = False

    def plus(self, evidence: Iterable[Evidence] = (), caveats: Iterable[str] = ()) -> Basis:
        return Basis(
            (*self.evidence, *evidence),
            self.notes,
            self.settle,
            (*self.caveats, *caveats),
            self.uncertain,
        )

    @property
    def dated(self) -> tuple[Evidence, ...]:
        return tuple(ev for ev in self.evidence if ev.dated)

    @property
    def any_dated(self) -> bool:
        """Whether some of the evidence is dated: asked of every component of every result,
        so it stops at the first and builds nothing."""
        return any(ev.dated for ev in self.evidence)

    @property
    def all_notes(self) -> tuple[str, ...]:
        return (*self.caveats, *self.notes)

    @property
    def latest(self) -> ClinicalTime | None:
        """The latest time of its evidence; None when none is timed."""
        return max((ev.time for ev in self.evidence if ev.time is not None), default=None)


def on_day(day: str) -> str:
    """ " on 30 May 2024" after a name, " in May 2024" (a month or a year alone), ", not known
    which is later", or nothing."""
    if not day:
        return ""
    if day == UNORDERED:
        return f", {day}"
    return f" on {day}" if len(day.split()) == 3 else f" in {day}"


def dated_said(evidence: Sequence[Evidence]) -> str:
    """ "dated" when every timed input is, "partly dated" when some are (findings that cannot be
    put in order: the summary cannot say which one without a day, the evidence does), else ""."""
    timed = [ev.dated for ev in evidence if ev.time is not None]
    if not any(timed):
        return ""
    return "dated" if all(timed) else "partly dated"


def own_times(evidence: Iterable[Evidence]) -> list[ClinicalTime]:
    """The distinct times of a choice's evidence, the latest first. Several only when it holds
    findings that cannot be put in order (a year, month or day alone beside a time within it,
    findings/choose_latest)."""
    times: list[ClinicalTime] = []
    for ev in evidence:
        if ev.time is not None and not any(same_time(ev.time, t) for t in times):
            times.append(ev.time)
    return times
