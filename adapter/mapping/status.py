"""Performance status and palsy: two encodings of one quantity each, competing by time
(contract §2): the latest of Karnofsky and ECOG is the performance status (Karnofsky wins at
equal times), the latest of Frankel and AIS the palsy grade (Frankel wins at equal times)."""

from __future__ import annotations

from enum import Enum

from adapter.fhir.read.evidence import Basis
from adapter.mapping.findings import Chosen, Finding, choose_latest
from adapter.mapping.inputs import caveats_of, conflict_settle
from adapter.mapping.observations import ECOG_KPS, Findings, Performance
from adapter.scoring import KPS_VALUES, Frankel, Possible
from adapter.vocabulary import TOKUHASHI_GENERAL, TOKUHASHI_PALSY
from adapter.vocabulary.findings import ASIA_IMPAIRMENT_SCALE, FRANKEL_GRADE

__all__ = ["kps_input", "latest_palsy", "palsy_input"]


def _performance(f: Finding[Performance]) -> int:
    return 1 if f.value.scale == "Karnofsky" else 0


def _shown(p: Performance) -> str:
    return f"{p.scale} {p.value}"


def kps_input(found: Findings) -> tuple[Possible[int], Basis]:
    chosen = choose_latest(found.performance, "performance status", _shown, prefer=_performance)
    if chosen is None:
        return Possible.unknown(KPS_VALUES), Basis(settle=TOKUHASHI_GENERAL.settle)
    caveats = caveats_of(chosen)
    kps = {p.value for p in chosen.values if p.scale == "Karnofsky"}
    grades = sorted(p.value for p in chosen.values if p.scale == "ECOG")
    if not grades:
        settle = conflict_settle(TOKUHASHI_GENERAL.settle) if chosen.conflict else None
        return Possible(frozenset(kps)), Basis(chosen.evidence, settle=settle, caveats=caveats)
    # An ECOG beside a Karnofsky (one with no recorded time) widens it by the KPS it stands for.
    stand_in = {v for g in grades for v in range(ECOG_KPS[g][0], ECOG_KPS[g][1] + 1, 10)}
    shown = "/".join(str(g) for g in grades)
    note = f"ECOG {shown} stands in for Karnofsky {min(stand_in)}–{max(stand_in)}."
    # A Karnofsky settles it, in conflict or not: recorded later, it outranks the ECOG grades.
    return Possible(frozenset(kps | stand_in)), Basis(
        chosen.evidence, settle=TOKUHASHI_GENERAL.settle, caveats=(note, *caveats)
    )


def _frankel_first(f: Finding[Enum | int]) -> int:
    return 1 if any(c.code == FRANKEL_GRADE for c in f.obs.codes) else 0


def _scale(f: Finding[Enum | int]) -> str:
    return "Frankel grade" if _frankel_first(f) else "AIS grade"


def _letter(value: Enum | int) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def latest_palsy(
    found: Findings, *, untimed: bool = True, alarm: bool = False
) -> Chosen[Frankel] | None:
    """The latest palsy grade, Frankel or AIS (an AIS grade read as the same Frankel letter);
    ``untimed`` as :func:`choose_latest` has it. Frankel wins at equal times (contract §2), except
    for an ``alarm`` (the neurology card, criterion 4): there an AIS grade of the same time that
    disagrees joins the values, since a deficit one scale records must raise the alarm whatever
    the other says (one form answers both at once)."""
    items = [*found.coded.get(FRANKEL_GRADE, []), *found.coded.get(ASIA_IMPAIRMENT_SCALE, [])]
    prefer = None if alarm else _frankel_first
    chosen = choose_latest(items, _scale, _letter, prefer=prefer, untimed=untimed)
    if chosen is None:
        return None
    values = frozenset(v for v in chosen.values if isinstance(v, Frankel))
    return Chosen(values, chosen.evidence, chosen.conflict)


def _outranked(found: Findings, chosen: Chosen[Frankel]) -> tuple[str, ...]:
    """An AIS grade of the same time as the Frankel grade used that says otherwise (one form
    answered both): Frankel still wins (contract §2), and the output names the conflict."""
    times = {ev.time for ev in chosen.evidence if ev.time is not None}
    clash = [
        f for f in found.coded.get(ASIA_IMPAIRMENT_SCALE, [])
        if f.obs.time in times and f.value not in chosen.values
    ]  # fmt: skip
    if not clash or not chosen.values:
        return ()
    used = "/".join(sorted(v.value for v in chosen.values))
    listed = "; ".join(f"AIS grade {_letter(f.value)} ({f.obs.ref.reference})" for f in clash)
    return (
        f"{listed} recorded at the same time disagrees with Frankel {used}: Frankel is used "
        "(it wins at equal times) — check the record.",
    )


def palsy_input(found: Findings) -> tuple[Possible[Frankel], Basis]:
    chosen = latest_palsy(found)
    if chosen is None:
        return Possible.unknown(Frankel), Basis(settle=TOKUHASHI_PALSY.settle)
    caveats = (*caveats_of(chosen), *_outranked(found, chosen))
    if any(ev.summary.startswith("AIS") for ev in chosen.evidence):
        grades = "/".join(sorted(g.value for g in chosen.values))
        caveats = (f"AIS grade {grades} stands in for Frankel {grades}.", *caveats)
    settle = conflict_settle(TOKUHASHI_PALSY.settle) if chosen.conflict else None
    return Possible(chosen.values), Basis(chosen.evidence, (), settle, caveats)
