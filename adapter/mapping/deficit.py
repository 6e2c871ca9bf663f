"""Neurological deficits as they stand at the computation time (contract §4 v3, §5).

The latest Frankel/AIS grade A–D (a later preliminary report wins) is a deficit; one no worse than
the grade recorded before the latest completed decompression or radiotherapy that reached the
spine (Treatment.spinal: radiotherapy to the breast treats no cord), with no better grade since,
is an established deficit, not a new one. The neurology card (adapter/decision) and
criterion 4 of the procedure check (adapter/procedure) read the same :class:`Established`, and
its words, so the cards, the text report and the page make one decision about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.fhir.read.evidence import on_day
from adapter.fhir.read.timing import ClinicalTime, at_or_after
from adapter.mapping.compression import PRELIMINARY
from adapter.mapping.findings import Chosen
from adapter.mapping.safety import PalsyGrade, Safety
from adapter.mapping.treatments import Treatment
from adapter.scoring import Frankel

__all__ = ["Deficit", "Established", "established_deficit", "latest_deficit", "palsy_named"]

_NEW_OR_WORSE = "new or worse?"


@dataclass(frozen=True, slots=True)
class Deficit:
    """The latest Frankel/AIS grade A–D (final, or a later preliminary one)."""

    worst: Frankel
    chosen: Chosen[Frankel]
    preliminary: bool

    @property
    def scale(self) -> str:
        return (
            "AIS" if all(ev.summary.startswith("AIS") for ev in self.chosen.evidence) else "Frankel"
        )

    @property
    def time(self) -> ClinicalTime | None:
        return next((ev.time for ev in self.chosen.evidence if ev.time), None)

    @property
    def disagreement(self) -> tuple[str, str] | None:
        """("Frankel E", "AIS C") when a Frankel and an AIS grade of the same time disagree:
        (the best grade recorded, the worst of the other scale where there is one). Read from the
        evidence's summaries ("AIS grade: C", "Frankel grade: E (preliminary report)")."""
        graded = set()
        for ev in self.chosen.evidence:
            scale, _, rest = ev.summary.partition(" grade: ")
            if scale in ("Frankel", "AIS") and rest[:1]:
                graded.add((scale, rest[:1]))
        scales = {scale for scale, _ in graded}
        if scales != {"Frankel", "AIS"} or len({letter for _, letter in graded}) < 2:
            return None
        best = max(graded, key=lambda g: (g[1], g[0] == "Frankel"))
        worst = [g for g in graded if g[1] == self.worst.value]
        if not worst or best[1] == self.worst.value:
            return None
        named = next((g for g in worst if g[0] != best[0]), worst[0])
        return f"{best[0]} {best[1]}", f"{named[0]} {named[1]}"


@dataclass(frozen=True, slots=True)
class Established:
    """A deficit no worse than ``reference``, the grade recorded before ``treatment`` (the latest
    completed decompression or radiotherapy)."""

    deficit: Deficit
    reference: PalsyGrade
    treatment: Treatment

    @property
    def _since(self) -> str:
        """ "Frankel D since 1 May 2024", marked when the deficit is a preliminary report."""
        deficit, day = self.deficit, self.reference.time.day if self.reference.time else ""
        mark = f", {PRELIMINARY}" if deficit.preliminary else ""
        return f"{deficit.scale} {deficit.worst.value} since {day}{mark}"

    @property
    def treated(self) -> str:
        """ "decompression at T12 on 3 May 2024": the treatment that makes the deficit known."""
        levels = self.treatment.levels
        where = f" at {', '.join(levels)}" if levels else ""
        return f"{self.treatment.name}{where}{on_day(self.treatment.time.day)}"

    @property
    def named(self) -> str:
        """The neurology card's words: "established deficit (Frankel C since 5 Nov) — new or
        worse?" (contract §4 v3)."""
        return f"established deficit ({self._since}) — {_NEW_OR_WORSE}"

    @property
    def named_with_treatment(self) -> str:
        """The same, naming the treatment, for a card about a procedure at the spine: "established
        deficit (Frankel D since 1 May 2024, decompression at T12 on 3 May 2024) — new or
        worse?"."""
        return f"established deficit ({self._since}, {self.treated}) — {_NEW_OR_WORSE}"


def latest_deficit(safety: Safety) -> Deficit | None:
    """The latest palsy grade when it may be a deficit; a later preliminary A–D wins."""
    chosen, preliminary = safety.palsy, False
    if safety.preliminary_palsy is not None:
        chosen, preliminary = safety.preliminary_palsy, True
    if chosen is None or chosen.values <= {Frankel.E}:
        return None
    worst = min((g for g in chosen.values if g is not Frankel.E), key=lambda g: g.value)
    return Deficit(worst, chosen, preliminary)


def palsy_named(chosen: Chosen[Frankel]) -> str:
    """ "Frankel C", "AIS B/C": the scale as recorded (AIS only when every grade is AIS)."""
    scale = "AIS" if all(ev.summary.startswith("AIS") for ev in chosen.evidence) else "Frankel"
    return f"{scale} {'/'.join(sorted(g.value for g in chosen.values))}"


def established_deficit(
    deficit: Deficit, history: Sequence[PalsyGrade], treatments: Sequence[Treatment]
) -> Established | None:
    """The deficit as established: no worse than the grade recorded before the latest completed
    decompression or radiotherapy, with no better grade since; None when it is new or worse."""
    timed = [g for g in history if g.time is not None]
    # Only a treatment that reached the spine can have treated the cord (Treatment.spinal).
    done = [t for t in treatments if t.kinds & {"decompression", "radiotherapy"} and t.spinal]
    if not done:
        return None
    # Certainly before it (a grade dated by the treatment's day alone may be after it).
    before = [g for g in timed if g.time is not None and at_or_after(done[-1].time, g.time)]
    if not before:
        return None  # no grade before the latest treatment: nothing to compare with
    last = before[-1].time
    reference = min((g for g in before if g.time == last), key=lambda g: g.grade.value)
    since = [g for g in timed if g.time is not None and last is not None and g.time > last]
    if deficit.worst.value < reference.grade.value:
        return None  # worse than before the treatment
    if any(g.grade.value > deficit.worst.value for g in since):
        return None  # better since, worse again now
    return Established(deficit, reference, done[-1])
