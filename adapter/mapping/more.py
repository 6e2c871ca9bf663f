"""The inputs of Bauer, NESMS, van der Linden and NOMS (contract §1 v3, scores-more.md).

Most are the inputs Tomita and Tokuhashi already read (primary, visceral metastases, bone
metastases, Karnofsky); the new ones follow the same rules: an explicit finding wins, a
derivation is used only where scores-more.md gives one, and anything else stays a range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.mapping.context import Context, condition_evidence, condition_label, condition_named
from adapter.mapping.findings import Chosen, choose_latest
from adapter.mapping.inputs import caveats_of, conflict_settle, enum_input, only
from adapter.mapping.noms import (
    radiosensitivity_input,
    stability_inputs,
    tolerance_input,
    unplaced_stability,
)
from adapter.mapping.observations import Findings, Performance
from adapter.mapping.sins import LevelAssessment
from adapter.mapping.staging import Staged, Staging
from adapter.scoring import (
    ALBUMIN_DOMAIN,
    Ambulation,
    BauerInput,
    BoneExtent,
    Collapse,
    Fracture,
    Frankel,
    LindenInput,
    NesmsInput,
    Possible,
    PrimarySite,
    Radiosensitivity,
    ScoreResult,
    Stability,
    Tolerance,
    Visceral,
    score_bauer_modified,
    score_bauer_original,
    score_linden,
    score_nesms,
)
from adapter.vocabulary import (
    BAUER_FAVOURABLE,
    BAUER_NO_FRACTURE,
    BAUER_NO_VISCERAL,
    BAUER_NOT_LUNG,
    BAUER_SOLITARY,
    LINDEN_KPS,
    LINDEN_PRIMARY,
    LINDEN_VISCERAL,
    NESMS_ALBUMIN,
    NESMS_AMBULATORY,
    NESMS_BAUER,
)
from adapter.vocabulary.findings import (
    AMBULATORY_STATUS,
    PATHOLOGICAL_FRACTURE,
    TOKUHASHI_PRIMARY_SITE,
    VERTEBRAL_BODY_COLLAPSE,
)

__all__ = ["MoreInputs", "more_inputs", "more_results"]

_PRESENT_COLLAPSE = frozenset({Collapse.GT_50, Collapse.LT_50})
_NON_AMBULATORY_PALSY = frozenset({Frankel.A, Frankel.B, Frankel.C})


@dataclass(frozen=True, slots=True)
class MoreInputs:
    """The inputs of the v3 prognosis tools and the patient-wide NOMS inputs, with bases."""

    bauer: BauerInput
    nesms: NesmsInput
    linden: LindenInput
    radiosensitivity: Possible[Radiosensitivity]
    tolerance: Possible[Tolerance]
    basis: dict[str, Basis]  # by component code, and "noms-o", "noms-s"
    # A recorded spinal-stability verdict per scored level (NOMS M) where there is one.
    stability: dict[str, tuple[Possible[Stability], Basis]] = field(default_factory=dict)
    # The latest recorded with no level: at one of the scored levels, or at none.
    stability_unplaced: tuple[Possible[Stability], Basis] | None = None
    # A later "stable" with no level it passed over: said beside it, never in its place.
    stability_later_stable: Evidence | None = None
    # The levels where "stable" and "unstable" are recorded together (a recorded "unstable").
    stability_conflicts: frozenset[str] = frozenset()


def _fracture(
    found: Findings, staging: Staging, levels: Sequence[LevelAssessment]
) -> tuple[Possible[Fracture], Basis]:
    """The finding; else a confirmed M84.5- Condition or a SINS collapse at a metastatic level:
    present; else a range (an osteoporotic or traumatic fracture does not settle it)."""
    chosen = only(choose_latest(found.coded.get(PATHOLOGICAL_FRACTURE, []), "fracture"), Fracture)
    if chosen is not None:
        return enum_input(chosen, Fracture, BAUER_NO_FRACTURE.settle)
    coded = [s for s in staging.pathological_fractures if s.confirmed]
    evidence = [condition_evidence(s.condition, "pathological fracture") for s in coded]
    for lv in levels:
        collapse = lv.inputs.collapse
        if collapse.known and collapse.values <= _PRESENT_COLLAPSE:
            evidence += lv.basis["sins-collapse"].evidence
    evidence += [ev for ev in _focused_collapse(found, staging) if ev not in evidence]
    if evidence:
        note = "A pathological fracture is recorded (fracture Condition or vertebral collapse)."
        return Possible.of(Fracture.PRESENT), Basis(tuple(evidence), (note,))
    caveats = _fracture_caveats(staging.pathological_fractures, staging.other_fractures)
    return Possible.unknown(Fracture), Basis(settle=BAUER_NO_FRACTURE.settle, caveats=caveats)


def _focused_collapse(found: Findings, staging: Staging) -> tuple[Evidence, ...]:
    """A collapse focused on a lesion at several levels is at none of them for SINS (contract
    §2) but is at one of them: a metastatic level. Its latest, where none of those levels has a
    collapse of its own (which then decides there), is a fracture if it says one."""
    lesions = {s.condition.ref.reference: s.levels for s in staging.lesions}
    items = found.coded.get(VERTEBRAL_BODY_COLLAPSE, [])
    own = {lv for f in items for lv in f.levels or ()}
    spans = [frozenset(lv for ref in f.obs.focus for lv in lesions.get(ref, ())) for f in items]
    focused = [f for f, span in zip(items, spans, strict=True) if f.levels is None and span - own]
    chosen = choose_latest(focused, "vertebral collapse")
    if chosen is None or not chosen.values <= _PRESENT_COLLAPSE:
        return ()
    return chosen.evidence


def _fracture_caveats(unconfirmed: Iterable[Staged], other: Iterable[Staged]) -> tuple[str, ...]:
    out = [f"{s.status} may or may not be present: fracture or not." for s in unconfirmed]
    out += [
        f"{condition_named(s.condition, s.levels)} ({s.condition.ref.reference}): a fracture of "
        "another cause (osteoporotic or traumatic) "
        "does not say whether there is a pathological fracture."
        for s in other
    ]
    return tuple(out)


def _ambulation(
    found: Findings, palsy: Chosen[Frankel] | None
) -> tuple[Possible[Ambulation], Basis]:
    """The finding; else Frankel/AIS A–C or ECOG 4 → non-ambulatory; Frankel/AIS D–E → 0–1."""
    chosen = only(
        choose_latest(found.coded.get(AMBULATORY_STATUS, []), "ambulatory status"), Ambulation
    )
    if chosen is not None:
        return enum_input(chosen, Ambulation, NESMS_AMBULATORY.settle)
    performance = choose_latest(found.performance, "performance status", _shown)
    ecog4 = performance is not None and performance.values == {Performance("ECOG", 4)}
    if ecog4 and performance is not None:
        note = "ECOG 4 (confined to bed or chair): read as non-ambulatory."
        return Possible.of(Ambulation.NON_AMBULATORY), Basis(
            performance.evidence, (note,), caveats=caveats_of(performance)
        )
    if palsy is not None and palsy.values <= _NON_AMBULATORY_PALSY:
        grades = "/".join(sorted(g.value for g in palsy.values))
        note = f"Frankel/AIS {grades}: read as non-ambulatory."
        return Possible.of(Ambulation.NON_AMBULATORY), Basis(
            palsy.evidence, (note,), caveats=caveats_of(palsy)
        )
    if palsy is not None:
        caveat = "Ambulation not recorded; the palsy grade does not settle it: 0–1."
        return Possible.among(Ambulation), Basis(
            palsy.evidence, settle=NESMS_AMBULATORY.settle, caveats=(caveat, *caveats_of(palsy))
        )
    return Possible.unknown(Ambulation), Basis(settle=NESMS_AMBULATORY.settle)


def _shown(value: Performance) -> str:
    return f"{value.scale} {value.value}"


def _albumin(albumin: Chosen[float] | None) -> tuple[Possible[float], Basis]:
    if albumin is None:
        return Possible.unknown(ALBUMIN_DOMAIN), Basis(settle=NESMS_ALBUMIN.settle)
    settle = conflict_settle(NESMS_ALBUMIN.settle) if albumin.conflict else None
    basis = Basis(albumin.evidence, settle=settle)
    return Possible(albumin.values), basis.plus(caveats=caveats_of(albumin))


def _primary(ctx: Context, staging: Staging, found: Findings, site: Possible[PrimarySite],
             basis: Basis) -> tuple[Possible[PrimarySite], Basis]:  # fmt: skip
    """The Tokuhashi site groups, widened by 'other' for a code the Bauer and van der Linden
    tables may not mean (renal pelvis, plasmacytoma, trachea, C88): a range, not a guess."""
    if found.coded.get(TOKUHASHI_PRIMARY_SITE) or not site.known:
        return site, basis
    uncertain = [
        p.condition
        for p in staging.primaries
        if any(ctx.term.in_value_set("primary-prognosis-uncertain", c.system, c.code)
               for c in p.condition.codes)
    ]  # fmt: skip
    if not uncertain:
        return site, basis
    named = ", ".join(condition_label(c) for c in uncertain)
    caveat = (
        f"Primary {named}: grouped with a named tumour by Tokuhashi, but not certainly the "
        "tumour Bauer and van der Linden name — both are possible."
    )
    widened = Possible(site.values | {PrimarySite.OTHER})
    return widened, basis.plus(caveats=(caveat,))


def _merged(bases: Sequence[Basis], settle: str | None) -> Basis:
    """One basis for a component fed by several (NESMS's modified Bauer item)."""
    evidence = tuple(dict.fromkeys(ev for b in bases for ev in b.evidence))
    caveats = tuple(dict.fromkeys(c for b in bases for c in b.caveats))
    return Basis(evidence, (), settle if any(b.settle for b in bases) else None, caveats)


def more_inputs(
    ctx: Context,
    found: Findings,
    staging: Staging,
    levels: Sequence[LevelAssessment],
    *,
    tomita_visceral: tuple[Possible[Visceral], Basis],
    bone: tuple[Possible[BoneExtent], Basis],
    site: tuple[Possible[PrimarySite], Basis],
    kps: tuple[Possible[int], Basis],
    palsy: Chosen[Frankel] | None,
    albumin: Chosen[float] | None,
) -> MoreInputs:
    """Every input of the v3 tools, from what extraction has already read (contract §1 v3)."""
    fracture, fracture_basis = _fracture(found, staging, levels)
    primary, primary_basis = _primary(ctx, staging, found, *site)
    ambulation, ambulation_basis = _ambulation(found, palsy)
    albumin_value, albumin_basis = _albumin(albumin)
    sensitivity, sensitivity_basis = radiosensitivity_input(ctx, found, staging)
    tolerance, tolerance_basis = tolerance_input(found)
    bauer = BauerInput(fracture, tomita_visceral[0], primary, bone[0])
    unplaced = unplaced_stability(found, levels)
    stability, conflicts = stability_inputs(
        found, levels, (*staging.neoplastic_fractures, *staging.other_fractures)
    )
    return MoreInputs(
        bauer=bauer,
        nesms=NesmsInput(bauer, ambulation, albumin_value),
        linden=LindenInput(kps[0], primary, tomita_visceral[0]),
        radiosensitivity=sensitivity,
        tolerance=tolerance,
        stability=stability,
        stability_unplaced=unplaced[0],
        stability_later_stable=unplaced[1],
        stability_conflicts=conflicts,
        basis={
            BAUER_NO_FRACTURE.code: fracture_basis,
            BAUER_NO_VISCERAL.code: tomita_visceral[1],
            BAUER_NOT_LUNG.code: primary_basis,
            BAUER_FAVOURABLE.code: primary_basis,
            BAUER_SOLITARY.code: bone[1],
            NESMS_BAUER.code: _merged(
                (tomita_visceral[1], primary_basis, bone[1]), NESMS_BAUER.settle
            ),
            NESMS_AMBULATORY.code: ambulation_basis,
            NESMS_ALBUMIN.code: albumin_basis,
            LINDEN_KPS.code: kps[1],
            LINDEN_PRIMARY.code: primary_basis,
            LINDEN_VISCERAL.code: tomita_visceral[1],
            "noms-o": sensitivity_basis,
            "noms-s": tolerance_basis,
        },
    )


def more_results(
    more: MoreInputs | None, basis: Mapping[str, Basis]
) -> tuple[list[ScoreResult], dict[str, Basis]]:
    """Bauer, modified Bauer, NESMS and van der Linden in output order (contract §1 v3), and
    ``basis`` with the bases of their components added."""
    if more is None:
        return [], dict(basis)
    results = [
        score_bauer_original(more.bauer),
        score_bauer_modified(more.bauer),
        score_nesms(more.nesms),
        score_linden(more.linden),
    ]
    return results, {**basis, **more.basis}
