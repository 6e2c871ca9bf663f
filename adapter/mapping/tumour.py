"""The primary tumour (Tokuhashi site group, Tomita growth class) and the presence of visceral
and major-organ metastases, from the staging record and the explicit findings (contract §2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from adapter.fhir.read.evidence import Basis
from adapter.mapping.context import Context, condition_evidence, condition_label, condition_named
from adapter.mapping.findings import Chosen, choose_latest
from adapter.mapping.inputs import enum_input, only
from adapter.mapping.observations import Findings
from adapter.mapping.staging import Primary, Staged, Staging
from adapter.scoring import Growth, Possible, PrimarySite
from adapter.vocabulary import TOKUHASHI_PRIMARY, TOMITA_PRIMARY, ComponentSpec
from adapter.vocabulary.findings import TOKUHASHI_PRIMARY_SITE, TOMITA_PRIMARY_GROWTH
from adapter.vocabulary.systems import FINDING, PRIMARY_SITE

__all__ = ["Presence", "PrimaryInputs", "organs_disagree", "presence", "primary_inputs"]

E = TypeVar("E", bound=Enum)
F = TypeVar("F", bound=Enum)


@dataclass(frozen=True, slots=True)
class Presence(Generic[E]):
    """How one kind of metastasis is scored: the finding that assesses it, the Conditions that
    code it, and its answers."""

    finding: str
    component: ComponentSpec
    label: str
    enum: type[E]
    none: E
    present: tuple[E, E]


def presence(
    found: Findings, coded: Sequence[Staged], spec: Presence[E], unplaced: Sequence[Staged] = ()
) -> tuple[Possible[E], Basis]:
    """The finding, when recorded; else none coded → none, coded → one of the two present
    answers, coded only as unconfirmed → any of the three, coded only in remission (contract
    §2 v3) → none or the lesser present answer ("in remission — confirm"). ``unplaced``: the
    metastases the maps do not place that may be of this kind (an mCODE secondary cancer with a
    generic code and an organ bodySite, a metastasis in words only): no "none coded" while one
    is recorded — any of the three (the lesser present answer, in remission)."""
    chosen = choose_latest(found.coded.get(spec.finding, []), spec.finding)
    if chosen is not None:
        value, basis = enum_input(only(chosen, spec.enum), spec.enum, spec.component.settle)
        return value, basis.plus(caveats=_against_coded(value, coded, spec))
    if not coded and not unplaced:
        note = f"No {spec.label} metastasis Condition coded: none."
        return Possible.of(spec.none), Basis(notes=(note,))
    evidence = tuple(condition_evidence(s.condition, f"{spec.label} metastasis") for s in coded)
    evidence += tuple(
        condition_evidence(s.condition, f"possible {spec.label} metastasis") for s in unplaced
    )
    active = [s for s in coded if not s.remission]
    caveats: list[str] = []
    values: set[E] = set()
    if active:
        answers = f"either {spec.present[0].value} or {spec.present[1].value}"
        caveats.append(f"{spec.label.capitalize()} metastasis coded but not assessed: {answers}.")
        values |= set(spec.present)
        if not any(s.confirmed for s in active):
            values.add(spec.none)
            listed = ", ".join(s.status for s in active)
            caveats.append(
                f"{listed} may or may not be present: {spec.none.value} is possible too."
            )
    remitted = ", ".join(_cited(s) for s in coded if s.remission)
    if remitted and not any(s.confirmed for s in active):
        caveats.append(
            f"{spec.label.capitalize()} metastasis in remission ({remitted}) — confirm: "
            f"{spec.none.value} or {spec.present[0].value} until {spec.finding} is recorded."
        )
        values |= {spec.none, spec.present[0]}
    if unplaced:
        values |= {spec.none, spec.present[0]}
        if any(not s.remission for s in unplaced):
            values.add(spec.present[1])
        cited = "; ".join(_cited(s) for s in unplaced)
        whose = "metastases whose organs" if len(unplaced) > 1 else "a metastasis whose organ"
        caveats.append(
            f"{cited}: {whose} spinemets cannot tell — {spec.label} metastases may be present "
            f"({', '.join(v.value for v in spec.enum if v in values)})."
        )
    basis = Basis(evidence, settle=spec.component.settle, caveats=tuple(caveats))
    return Possible.among(values), basis


def _against_coded(
    value: Possible[E], coded: Sequence[Staged], spec: Presence[E]
) -> tuple[str, ...]:
    """An explicit "none" while a confirmed, active metastasis of that kind is coded: the
    finding still wins (contract §2: the clinician's assessment), and the output names it."""
    present = [s for s in coded if s.confirmed and not s.remission]
    if value.values != {spec.none} or not present:
        return ()
    # "; " between diagnoses: a code with no display beside another's display, joined by a
    # comma, reads as one diagnosis.
    cited = "; ".join(_cited(s) for s in present)
    verb = "are" if len(present) > 1 else "is"
    return (
        f"{spec.label.capitalize()} metastases recorded as {spec.none.value}, but {cited} "
        f"{verb} coded: the recorded answer is used — check the record.",
    )


def organs_disagree(visceral: Possible[E], major: Possible[F]) -> tuple[str, ...]:
    """Visceral metastases certainly none while major-organ ones (lung, liver, kidney, brain:
    visceral organs) are certainly present: each answer is used where it scores, and both
    components name the contradiction."""
    none_v = {v.value for v in visceral.values} == {"none"}
    present_m = "none" not in {v.value for v in major.values}
    if not (none_v and present_m):
        return ()
    said = "/".join(sorted(str(v.value) for v in major.values))
    return (
        f"Answers disagree: visceral metastases none but major-organ metastases {said} (the "
        "major organs are visceral) — check the record.",
    )


def _cited(staged: Staged) -> str:
    """ "Secondary malignant neoplasm of liver (Condition/x)": cards drop the reference."""
    named = condition_named(staged.condition, staged.levels)
    ref = staged.condition.ref.reference
    return f"{named} ({ref})" if ref else named


@dataclass(frozen=True, slots=True)
class PrimaryInputs:
    site: Possible[PrimarySite]
    site_basis: Basis
    growth: Possible[Growth]
    growth_basis: Basis


def _candidates(
    staging: Staging,
) -> tuple[list[Primary], bool, tuple[str, ...], tuple[str, ...]]:
    """The primaries that count, whether the metastasis links to them, the notes and the
    caveats about them."""
    linked = [p for p in staging.primaries if p.condition.ref.reference in staging.linked]
    chosen = linked or staging.primaries
    notes = ("Primary linked from the metastasis (condition-related extension).",) if linked else ()
    caveats: list[str] = []
    if dangling := _dangling(staging):
        caveats.append(
            f"The bone metastasis links to {', '.join(dangling)} as its primary, which is not "
            "among the current primary tumour Conditions read (absent, refuted or resolved)."
        )
    if len(chosen) > 1:
        caveats.append(f"{len(chosen)} primary tumour Conditions: the range covers each.")
    unconfirmed = [p for p in chosen if not p.confirmed]
    if unconfirmed and len(unconfirmed) < len(chosen):
        listed = ", ".join(Staged(p.condition, False).status for p in unconfirmed)
        caveats.append(f"{listed} may or may not be present: the range includes it.")
    elif unconfirmed:
        listed = ", ".join(Staged(p.condition, False).status for p in unconfirmed)
        caveats.append(
            f"The primary tumour is recorded only as {listed}, which may or may not be present: "
            "it may be another, so every site is possible until it is confirmed."
        )
    return chosen, bool(linked), notes, tuple(caveats)


def _dangling(staging: Staging) -> list[str]:
    """What the metastases link to as their primary that is no current primary read (at most
    three named): absent from the record, refuted or resolved. A Condition that is no tumour
    (a fracture) is a link of another kind."""
    counted = {p.condition.ref.reference for p in staging.primaries}
    return sorted(staging.linked - counted - staging.other)[:3]


def _explicit(found: Findings, code: str, kind: type[E]) -> Chosen[E] | None:
    """The clinician's explicit finding for the primary, when one was recorded: it wins."""
    return only(choose_latest(found.coded.get(code, []), code), kind)


def _growth_classes(ctx: Context, sites: set[PrimarySite]) -> tuple[set[Growth], bool]:
    """The Tomita growth classes the primary sites map to; whether one site maps to several."""
    classes: set[Growth] = set()
    ambiguous = False
    for site_group in sites:
        mapped = ctx.term.translate(PRIMARY_SITE, site_group.value, FINDING)
        found_classes = {Growth(g) for g in mapped} if mapped else set(Growth)
        ambiguous = ambiguous or len(found_classes) > 1
        classes |= found_classes
    return classes, ambiguous


def _in_remission(chosen: Sequence[Primary]) -> tuple[str, ...]:
    """The caveat that names a primary in remission (contract §2 v3): still the primary."""
    refs = [str(p.condition.ref.reference) for p in chosen if p.remission]
    if not refs:
        return ()
    return (f"Primary in remission ({', '.join(refs)}): still the patient's primary tumour.",)


_LISTED = 8
# What settles a range over the primaries recorded, step by step: single out the one that counts
# (confirm it; link the metastasis to one of several; refute those not present), name the organ
# of one whose code names no single site, or record the tool's own finding.
_CONFIRM = "confirm the primary tumour Condition"
_CONFIRM_ORGAN = "confirm the primary tumour Condition with its organ's code"
_LINK = "link the bone metastasis to its primary tumour (Condition extension condition-related)"
_CONFIRM_AND_LINK = (
    "confirm the primary tumour Condition and link the bone metastasis to it (Condition "
    "extension condition-related)"
)
_REFUTE = ("record the unconfirmed primary as refuted if it is not present",
           "record the unconfirmed primaries as refuted if they are not present")  # fmt: skip
_CONFIRM_ONE = "confirm the primary tumour Condition and record the others as refuted"
_ORGAN = "record the primary tumour's site: the organ's code"
_SITE_SETTLE = f"{_ORGAN}, or the Tokuhashi primary site"


def _singling_out(
    chosen: Sequence[Primary], linked: bool, dangling: Sequence[str] = ()
) -> list[str]:
    """What would single out the primary that counts, each step settling the range alone when
    the record is otherwise right: confirming the one recorded (with its organ's code when its
    code names no single site); among several, linking the metastasis to its own (unless it
    links to them already), refuting those not confirmed when one alone is, or confirming one
    and refuting the rest when none is and the metastasis links to them."""
    confirmed = [p for p in chosen if p.confirmed]
    if len(chosen) == 1:
        if confirmed:
            return []
        return [_CONFIRM_ORGAN if len(chosen[0].sites) > 1 else _CONFIRM]
    steps = [] if linked else [_LINK if confirmed else _CONFIRM_AND_LINK]
    if dangling and not linked:  # linked already, to a record not read: that record is the step
        steps = [
            f"send or correct the primary tumour Condition it links to ({', '.join(dangling)})"
        ]
    if len(confirmed) == 1 and len(confirmed[0].sites) == 1:  # refuted, the rest leave one site
        steps.append(_REFUTE[len(chosen) > 2])
    elif not confirmed and linked:
        steps.append(_CONFIRM_ONE)
    return steps


def _ill_defined(chosen: Sequence[Primary]) -> tuple[str, ...]:
    """A primary whose code names no single site group (C39.9 lower respiratory tract, C76.1
    thorax, C19 rectosigmoid junction): every group it may be is scored, and the output says
    which (contract §2: an ambiguous input is a range, never a guess)."""
    order = list(PrimarySite)
    out = []
    for p in chosen:
        if len(p.sites) > 1:
            groups = [s.value for s in sorted(p.sites, key=order.index)]
            either = f"{', '.join(groups[:-1])} or {groups[-1]}"
            if len(groups) > _LISTED:  # an ill-defined site (C76.8): the list would drown it
                either = f"any of {len(groups)} site groups"
            out.append(
                f"{condition_label(p.condition)} does not name one primary site: {either} — "
                "the range covers each."
            )
    return tuple(out)


def primary_inputs(ctx: Context, found: Findings, staging: Staging) -> PrimaryInputs:
    chosen, linked, notes, caveats = _candidates(staging)
    steps = _singling_out(chosen, linked, _dangling(staging))
    # Recorded but not singled out: several, or one not confirmed.
    unsure = len(chosen) > 1 or any(not p.confirmed for p in chosen)
    remission = _in_remission(chosen)
    ill_defined = _ill_defined(chosen)
    sites: set[PrimarySite] = set()
    for p in chosen:
        sites |= p.sites
    if chosen and not any(p.confirmed for p in chosen):
        sites = set(PrimarySite)  # absent or present: any site
    evidence = tuple(
        condition_evidence(
            p.condition, f"primary tumour: {', '.join(sorted(s.value for s in p.sites))}"
        )
        for p in chosen
    )
    site_pick = _explicit(found, TOKUHASHI_PRIMARY_SITE, PrimarySite)
    if site_pick is not None:
        site, site_basis = enum_input(site_pick, PrimarySite, TOKUHASHI_PRIMARY.settle)
    elif sites:
        site = Possible(frozenset(sites))
        settle = None
        if len(sites) > 1 and (steps or not ill_defined):
            organ = [_ORGAN] if ill_defined and len(chosen) > 1 else []
            settle = ", or ".join([*steps, *organ, "record the Tokuhashi primary site"])
        elif len(sites) > 1:
            settle = _SITE_SETTLE
        caveats_all = (*caveats, *ill_defined, *remission)
        site_basis = Basis(evidence, notes, settle, caveats_all, unsure and len(sites) > 1)
    else:
        site, site_basis = Possible.unknown(PrimarySite), Basis(settle=TOKUHASHI_PRIMARY.settle)

    growth_pick = _explicit(found, TOMITA_PRIMARY_GROWTH, Growth)
    if growth_pick is not None:
        growth, growth_basis = enum_input(growth_pick, Growth, TOMITA_PRIMARY.settle)
    elif sites:
        classes, ambiguous = _growth_classes(ctx, sites)
        growth = Possible(frozenset(classes))
        extra: tuple[str, ...] = ()
        if ambiguous and len(chosen) == 1 and chosen[0].confirmed:
            extra = (
                "Growth class not defined for this tumour by the sources: a range until "
                "tomita-primary-growth is recorded.",
            )
        settle = None
        if len(classes) > 1:
            record = "record the Tomita primary tumour growth (slow, moderate, rapid)"
            settle = ", or ".join([*steps, record])
        caveats_all = (*caveats, *ill_defined, *extra, *remission)
        growth_basis = Basis(evidence, notes, settle, caveats_all, unsure and len(classes) > 1)
    else:
        growth, growth_basis = Possible.unknown(Growth), Basis(settle=TOMITA_PRIMARY.settle)
    return PrimaryInputs(site, site_basis, growth, growth_basis)
