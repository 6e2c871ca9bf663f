"""A level already stabilised when it is ordered again (contract §5, §6 v3 "after the procedure").

A completed cement augmentation or fixation at the level is named on the order's card, and the
level is not judged from findings older than it: criterion 3 is not met from them ("re-image"),
and a level fixed with screws is never re-scored (SINS does not apply to an instrumented level).
Once a SINS finding there is later than the treatment, the pipeline scores the level from the
later findings only (adapter/mapping/sins.py), and those judge it.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.fhir.read.evidence import on_day
from adapter.fhir.read.timing import follows, in_utc
from adapter.mapping.treatments import Treatment, latest_stabilising
from adapter.pipeline import LevelResult, PatientResult
from adapter.vocabulary import SINS_ALIGNMENT, SINS_BONE_LESION, SINS_COLLAPSE, SINS_POSTEROLATERAL

__all__ = ["Prior", "prior_treatment", "zone_doubt", "zone_words"]


def zone_doubt(lv: LevelResult, t: Treatment) -> bool:
    """Whether a finding used, of an order not known against a treatment dated by its day
    alone, is a time written in UTC on another day: it is unordered only because where it was
    taken may be a day behind or ahead, which the treatment's time of day would settle. (A
    treatment dated by its month or year lacks its day, not its time; a finding on its own day
    is unordered whatever the zone.)"""
    if len(t.time.text) != 10:
        return False
    return any(
        ev.time is not None
        and in_utc(ev.time)
        and ev.time.text[:10] != t.time.text
        and not follows(ev.time, t.time)
        and not follows(t.time, ev.time)
        for basis in lv.bases.values()
        for ev in basis.evidence
    )


def zone_words(t: Treatment) -> str:
    """Why such a finding's order is not known, and what settles it, as every surface says it."""
    return (
        "a finding's time written in UTC may fall on another day where it was taken: the "
        f"{t.name}'s time of day would settle the order"
    )


# The SINS components read from imaging (pain is the clinical one).
_IMAGED = (SINS_BONE_LESION, SINS_ALIGNMENT, SINS_COLLAPSE, SINS_POSTEROLATERAL)
# Criterion 3's finding right after the treatment it refers to, named with its day.
_REIMAGE_SINCE = "findings before it — re-image"
# The same when a finding used may come before or after the treatment (mapping/sins.py).
_REIMAGE_UNORDERED = "findings before or after it — re-image"


@dataclass(frozen=True, slots=True)
class Prior:
    """The stabilising treatment an ordered level had, as the patient-view card shows it: the
    latest fixation when there is one (never re-scored), else the latest cement augmentation."""

    level: str
    treatment: Treatment
    stale: bool  # no SINS finding used at the level certainly follows the treatment
    # With ``stale``: the stabilising treatment there that a finding used may come before or
    # after (within its day, month or year, or untimed), which may not be ``treatment`` (a cement
    # dated "2024" beside screws of 20 May): nothing is said to be "before" either.
    unordered: Treatment | None = None
    reimaged: bool = False  # without ``stale``: a later finding is an imaging finding
    # With ``unordered``: only because a finding in UTC may be of another day (zone_doubt).
    zone_doubt: bool = False
    # With ``stale``: a vertebral fracture coded there since the treatment (or not known to be
    # before it), which the picture from before the treatment cannot show: "vertebral fracture
    # coded after it — re-image".
    fractured: str | None = None

    @property
    def fixed(self) -> bool:
        return "fixation" in self.treatment.kinds

    @property
    def day(self) -> str:
        return self.treatment.time.day

    @property
    def before(self) -> str:
        """ "before the vertebroplasty on 22 May 2024" ("before or after" the treatment whose
        order is not known)."""
        if self.unordered is not None:
            return f"before or after the {self.unordered.dated}"
        return f"before the {self.treatment.dated}"

    @property
    def reimage(self) -> str:
        """Criterion 3's finding when no finding there certainly follows the treatment."""
        other = self.unordered
        if other is not None and other != self.treatment:
            when = f"the {other.dated}"
            return f"findings at {self.level} not known to be before or after {when} — re-image"
        order = "before or after" if other is not None else "before"
        return f"findings at {self.level} {order} the treatment{on_day(self.day)} — re-image"

    @property
    def reimage_since(self) -> str:
        """:attr:`reimage` right after the treatment it names ("it"), else in full."""
        other = self.unordered
        if other is None:
            return _REIMAGE_SINCE
        if other == self.treatment:
            return _REIMAGE_UNORDERED
        # Short enough for the summary: the level is the order's, the treatment another's.
        return f"findings before or after the {other.dated} — re-image"

    @property
    def done(self) -> str:
        """The treatment in a few words: "vertebroplasty at T12 on 22 May 2024 already recorded"."""
        if self.fixed:
            return f"{self.level} already fixed{on_day(self.day)}"
        return f"{self.treatment.name} at {self.level}{on_day(self.day)} already recorded"

    @property
    def named(self) -> str:
        """:attr:`done` for a summary, with a fracture coded since it (what it means, in the
        detail)."""
        return self.done if self.fractured is None else f"{self.done}; {self.fractured}"

    def detail(self, screws: bool) -> str:
        """What the card says of it; ``screws``: the order is a fixation, which after cement alone
        is the usual next step (the case series combined the two), not the same procedure again."""
        fractured = "" if self.fractured is None else f" {_sentence(self.fractured)}."
        if self.fixed:
            return (
                f"{self.done} ({self.treatment.evidence.summary}): SINS is not applicable to an "
                "instrumented level — check the level ordered and the construct before further "
                f"cement or screws.{fractured}"
            )
        # A later finding may be clinical (pain): a re-assessment, not always a re-imaging.
        since = "re-imaged since" if self.reimaged else "re-assessed since"
        seen = "not re-imaged since" if self.stale else since
        seen = "not known to be re-imaged since" if self.unordered is not None else seen
        named = _sentence(self.done)
        if screws:
            return (
                f"{named}, {seen}: screws after the cement at {self.level} — check the level "
                f"ordered and the cemented vertebra on current imaging.{fractured}"
            )
        if self.fractured is not None:
            fractured = (
                f"{fractured[:-1]}: the picture before the {self.treatment.name} may no "
                "longer hold — subluxation would need fixation."
            )
        return (
            f"{named}, {seen}: check the level ordered and what a repeat procedure would treat."
            f"{fractured}"
        )


def _sentence(words: str) -> str:
    return f"{words[:1].upper()}{words[1:]}"


def prior_treatment(level: str, result: PatientResult) -> Prior | None:
    """The completed cement augmentation or fixation at ``level`` up to the computation time."""
    done = [t for t in result.assessment.treatments if t.stabilises and t.at(level)]
    if not done:
        return None
    fixed = [t for t in done if "fixation" in t.kinds]
    shown = fixed[-1] if fixed else latest_stabilising(done) or done[-1]
    at = result.level(level)
    # The pipeline sets ``after`` only when a SINS finding there certainly follows every
    # stabilising treatment; otherwise the level's inputs are from before them, or of an order
    # not known (``unordered``: then nothing is said to be before the one shown either).
    stale = at is None or at.assessment.after is None
    unordered = at.assessment.unordered if stale and at is not None else None
    reimaged = at is not None and any(at.bases[spec.code].evidence for spec in _IMAGED)
    doubt = at is not None and unordered is not None and zone_doubt(at, unordered)
    fractured = at.assessment.fractured_since("it") if stale and at is not None else None
    return Prior(level, shown, stale, unordered, reimaged, doubt, fractured)
