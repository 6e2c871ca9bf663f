"""Criterion 4, no neurological deficit (contract §5): patient-wide, from the latest Frankel grade
or AIS. A–D is unmet (suspected cord compression: the card is critical), unless it is an
established deficit, no worse than before a completed decompression or radiotherapy: still unmet,
but the card warns and asks whether it is new or worse, naming the treatment, as the neurology
card does (contract §4 v3: one decision on every surface); a dated E is unknown,
and so is an E that a final A–D with no recorded time may contradict ("no recorded time —
confirm": of uncertain age, it keeps the criterion from being met but does not make it unmet), and
an E with no recorded time itself ("Frankel E (no recorded time — re-examine)"). A paraplegia or
quadriplegia recorded as a diagnosis after the latest grade, or with none, is a deficit
(adapter/procedure/coded.py): never "no Frankel grade recorded", never a Frankel grade inferred."""

from __future__ import annotations

from collections.abc import Sequence

from adapter.fhir.read.evidence import on_day as on_or_in
from adapter.mapping.coded import Coded
from adapter.mapping.compression import UNTIMED, UNTIMED_NORMAL
from adapter.mapping.deficit import Established, palsy_named
from adapter.mapping.findings import Chosen
from adapter.procedure.coded import coded_deficit
from adapter.procedure.criteria import (
    DECOMPRESSION,
    REASSESS,
    Criterion,
    Judge,
    cite,
    dated,
    on_day,
)
from adapter.scoring import Frankel

__all__ = ["neurology_criterion"]

_RE_EXAMINE = "re-examine now: the grade is dated"


_JUDGE = Judge(4, "No neurological deficit")


def _established(grades: str, shown: str, known: Established) -> Criterion:
    """Unmet as §5 says, worded as the neurology card decides: not "assess for decompression"
    for a patient already decompressed, but whether the deficit is new or worse."""
    ref = known.reference
    before = f"{ref.scale} {ref.grade.value}{on_or_in(ref.time.day)}" if ref.time else ref.scale
    return _JUDGE.unmet(
        f"Frankel/AIS {grades}: {shown}; no worse than {before}, before {known.treated}",
        action=(
            f"re-examine: is the deficit new or worse since the {known.treated}? If so, "
            "contact the MSCC / spinal team now"
        ),
        finding=known.named_with_treatment,
        established=True,
    )


def neurology_criterion(
    palsy: Chosen[Frankel] | None,
    preliminary: Chosen[Frankel] | None = None,
    untimed: Chosen[Frankel] | None = None,
    established: Established | None = None,
    coded: Sequence[Coded] = (),
) -> Criterion:
    """A later preliminary Frankel/AIS A–D makes it unmet ("preliminary — confirm"), never met;
    ``established``: the latest deficit as established (adapter/mapping/deficit.py); ``coded``:
    the paraplegias and quadriplegias recorded as diagnoses that no later grade answers."""
    judge = _JUDGE
    if preliminary is not None:
        grades = "/".join(sorted(g.value for g in preliminary.values))
        if established is not None:
            return _established(f"{grades}, preliminary — confirm", cite(preliminary.evidence),
                                established)  # fmt: skip
        return judge.unmet(
            f"Frankel/AIS {grades}, preliminary — confirm: {cite(preliminary.evidence)}",
            action=DECOMPRESSION,
            finding=f"Frankel/AIS {grades} (preliminary — confirm)",
        )
    if (from_diagnosis := coded_deficit(judge, coded, palsy)) is not None:
        return from_diagnosis
    if palsy is None:
        return judge.unknown(
            "no Frankel grade or AIS recorded",
            action="examine and record the Frankel or AIS grade",
            finding="no Frankel/AIS grade recorded",
        )
    shown = cite(palsy.evidence)
    if untimed is not None:
        hidden = f"{palsy_named(untimed)} ({UNTIMED})"
        return judge.unknown(
            f"{hidden}: {cite(untimed.evidence)}; latest timed grade: {shown}",
            action="confirm the current Frankel/AIS grade and record it with its time",
            finding=hidden,
        )
    if any(g is not Frankel.E for g in palsy.values):
        grades = "/".join(sorted(g.value for g in palsy.values))
        if established is not None:
            return _established(grades, shown, established)
        # Dated evidence may make it unmet (§2), but the old grade is not read as current.
        stale = dated(palsy.evidence) and any(ev.time for ev in palsy.evidence)
        return judge.unmet(
            f"Frankel/AIS {grades}: {shown}",
            action=f"{_RE_EXAMINE}; {DECOMPRESSION}" if stale else DECOMPRESSION,
            finding=f"Frankel/AIS {grades}{on_day(palsy.evidence)}",
        )
    if not any(ev.time for ev in palsy.evidence):
        # Named as untimed, so that the card does not read as if E itself were the problem.
        named = f"{palsy_named(palsy)} ({UNTIMED_NORMAL})"
        recorded = "; ".join(
            f"{ev.shown or ev.summary} (no date recorded)" for ev in palsy.evidence
        )
        return judge.unknown(
            f"{named}: {recorded}",
            action="re-examine and record the Frankel/AIS grade with its time",
            finding=named,
        )
    if dated(palsy.evidence):
        return judge.unknown(
            f"Frankel E, dated: {shown}",
            action=REASSESS,
            finding=f"Frankel E{on_day(palsy.evidence)}",  # " (3 Mar 2026, dated)"
        )
    return judge.met(f"Frankel E: {shown}")
