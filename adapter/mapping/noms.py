"""The patient-wide and per-level inputs of the NOMS framework (scores-more.md): the tumour's
radiosensitivity (O), the clinician's word on surgery (S) and each level's recorded stability (M).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.mapping.context import Context, condition_evidence
from adapter.mapping.findings import Chosen, Finding, choose_latest
from adapter.mapping.inputs import enum_input, only
from adapter.mapping.observations import Findings
from adapter.mapping.sins import LevelAssessment, fractures_at, since_fracture
from adapter.mapping.staging import Staged, Staging
from adapter.scoring import Possible, Radiosensitivity, Stability, Tolerance
from adapter.vocabulary.findings import RADIOSENSITIVITY, SPINAL_STABILITY, SURGERY_TOLERANCE
from adapter.vocabulary.noms import NOT_CONFIRMED_PRIMARY, UNCLASSIFIED_PRIMARY

__all__ = [
    "own_stability",
    "radiosensitivity_input",
    "stability_inputs",
    "tolerance_input",
    "unplaced_stability",
]


def radiosensitivity_input(ctx: Context, found: Findings, staging: Staging) -> tuple[
    Possible[Radiosensitivity], Basis
]:  # fmt: skip
    """The finding; else each primary by the two ValueSets (neither → both); none → both."""
    chosen = only(
        choose_latest(found.coded.get(RADIOSENSITIVITY, []), RADIOSENSITIVITY),
        Radiosensitivity,
    )
    settle = "record radiosensitivity (radiosensitive, radioresistant)"
    if chosen is not None:
        return enum_input(chosen, Radiosensitivity, settle)
    values: set[Radiosensitivity] = set()
    evidence: list[Evidence] = []
    for p in staging.primaries:
        kinds = {
            kind
            for kind, vs in (
                (Radiosensitivity.RADIOSENSITIVE, "radiosensitive-primary"),
                (Radiosensitivity.RADIORESISTANT, "radioresistant-primary"),
            )
            if any(ctx.term.in_value_set(vs, c.system, c.code) for c in p.condition.codes)
        }
        values |= kinds or set(Radiosensitivity)
        word = next(iter(kinds)).value if len(kinds) == 1 else UNCLASSIFIED_PRIMARY
        head = "primary tumour"
        if not p.confirmed and p.condition.status_note is None:  # an unread status says itself
            said = NOT_CONFIRMED_PRIMARY.format(status=p.condition.verification_status)
            head = f"primary tumour ({said})"
        evidence.append(condition_evidence(p.condition, f"{head}, {word}"))
    if not values:
        return Possible.unknown(Radiosensitivity), Basis(settle=settle)
    if not all(p.confirmed for p in staging.primaries):
        values |= set(Radiosensitivity)  # an unconfirmed primary may be another tumour
    settles = None if len(values) == 1 else settle
    return Possible(frozenset(values)), Basis(tuple(evidence), settle=settles)


def tolerance_input(found: Findings) -> tuple[Possible[Tolerance], Basis]:
    """NOMS S: the clinician's word only, never derived."""
    said = choose_latest(found.coded.get(SURGERY_TOLERANCE, []), "tolerates surgery")
    return enum_input(
        only(said, Tolerance), Tolerance, "record the surgery tolerance (able, unable)"
    )


def stability_inputs(
    found: Findings, levels: Sequence[LevelAssessment], fractures: Sequence[Staged] = ()
) -> tuple[dict[str, tuple[Possible[Stability], Basis]], frozenset[str]]:
    """Each level's own verdict; one without a level only when a single level is scored. A
    verdict with a vertebral fracture coded at the level (or at no level) not certainly before
    it may no longer hold: "stable" becomes either, the fracture named (as the SINS findings it
    widens); "unstable" stays. With them, the levels where "stable" and "unstable" are recorded
    together: either already, and a recorded "unstable" whatever a fracture since widens (the
    two read alike once a fracture makes a "stable" either)."""
    items = found.coded.get(SPINAL_STABILITY, [])
    out: dict[str, tuple[Possible[Stability], Basis]] = {}
    conflicts: set[str] = set()
    for lv in levels:
        own = [f for f in items if f.levels and lv.level in f.levels]
        loose = [f for f in items if f.levels is None] if len(levels) == 1 else []
        chosen = (
            only(choose_latest(own, "spinal stability"), Stability) if own else _loose(loose)[0]
        )
        if chosen is None:
            continue
        value, basis = enum_input(chosen, Stability, None)
        if len(value.values) > 1:
            conflicts.add(lv.level)
        # A fracture cannot make an unstable spine stable: only "stable" may no longer hold;
        # beside "unstable" the fracture is named, the verdict kept.
        stable = Stability.STABLE in value.values
        what = "the stability verdict" + (": it may no longer hold" if stable else "")
        since = since_fracture(basis, fractures_at(fractures, lv.level), what)
        if since is None:
            out[lv.level] = (value, basis)
        else:
            out[lv.level] = (Possible(frozenset(Stability)) if stable else value, since.basis)
    return out, frozenset(conflicts)


def unplaced_stability(
    found: Findings, levels: Sequence[LevelAssessment]
) -> tuple[tuple[Possible[Stability], Basis] | None, Evidence | None]:
    """The latest verdict recorded with no level: at one of the scored levels, or at none, not
    known which; and a later "stable" one passed over, to be said beside it (the surgeon may
    have re-assessed this level). A later "stable" one never hides an "unstable" one: it may be
    another level's. (SINS never overrides an "unstable" one nor says it at a level; NOMS reads
    neither as a level's own.)"""
    if not levels:
        return None, None
    chosen, later = _loose(_unplaced(found))
    return (None if chosen is None else enum_input(chosen, Stability, None)), later


def _unplaced(found: Findings) -> list[Finding[Enum | int]]:
    return [f for f in found.coded.get(SPINAL_STABILITY, []) if f.levels is None]


def _loose(
    items: Sequence[Finding[Enum | int]],
) -> tuple[Chosen[Stability] | None, Evidence | None]:
    """The latest of the verdicts recorded with no level, unless it is "stable" and one of them
    says "unstable": then the latest of those (a "stable" may be another level's), with the
    "stable" passed over."""
    chosen = only(choose_latest(items, "spinal stability"), Stability)
    unstable = [f for f in items if f.value is Stability.UNSTABLE]
    if chosen is not None and chosen.values == {Stability.STABLE} and unstable:
        return only(choose_latest(unstable, "spinal stability"), Stability), chosen.evidence[-1]
    return chosen, None


def own_stability(
    read: tuple[Possible[Stability], Basis] | None,
    loose: tuple[Possible[Stability], Basis] | None,
) -> tuple[Possible[Stability], Basis] | None:
    """The verdict read at a level when it is the level's own; None when it is the one recorded
    with no level (read at the only level scored), or there is none."""
    if read is None or loose is None:
        return read
    mine = {ev.ref for ev in read[1].evidence}
    return None if {ev.ref for ev in loose[1].evidence} <= mine else read
