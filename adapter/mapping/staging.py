"""Conditions → the staging record: bone lesions and their sites, visceral and major-organ
metastases, primary tumours, vertebral fractures, coagulation defects, active infections, and cord
compression or paralysis recorded as diagnoses (contract §2, §4, §5).

A Condition counts when its clinicalStatus is absent, active, recurrence or relapse, read as
of the computation time: one that abated after it was current then, one that abated by then
with no clinicalStatus is resolved. Its verificationStatus decides how: absent or confirmed →
present; provisional, differential or unconfirmed → it may or may not be present, and whatever
it feeds spans both cases; refuted or entered-in-error → ignored. A Condition timed after the
computation time is reported, unused.

A tumour Condition in ``remission`` or ``inactive`` (contract §2 v3) still counts, marked: a
primary in remission is still the primary, a bone metastasis in remission is still a lesion (a
treated lesion is still there), a visceral or major-organ one may or may not still be there.
Only ``resolved`` removes them. Nothing is dropped silently: a Condition coded in one of the
staging ValueSets, or a neoplasm, that is read but not used is reported with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from adapter.fhir.read.records import Coding, ConditionRecord
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.context import Context, condition_named
from adapter.mapping.sited_primary import sited_primary
from adapter.mapping.sites import Site, disputed_level, read_by_words, resolve_site
from adapter.mapping.unused import (
    abated_before,
    abated_yet_current,
    current_then,
    in_words,
    named,
    neoplasm,
    not_current,
    possibly_major,
    possibly_visceral,
    relevant,
    unread_at_spine,
    unused,
)
from adapter.mapping.words import names
from adapter.scoring import PrimarySite, level_order
from adapter.vocabulary.systems import ICD10CM, PRIMARY_SITE, VERTEBRA

__all__ = [
    "Lesion",
    "Primary",
    "Staged",
    "Staging",
    "at_computation_time",
    "condition_counts",
    "confirmed",
    "is_current_condition",
    "levels_named",
    "primary_sites",
    "read_staging",
]

_IGNORED_VERIFICATION = frozenset({"entered-in-error", "refuted"})
_CONFIRMED = frozenset({None, "confirmed"})
_CURRENT_CLINICAL = frozenset({None, "active", "recurrence", "relapse"})
_REMISSION = frozenset({"remission", "inactive"})  # a tumour that is treated, not gone
_ABATED = frozenset({"resolved", *_REMISSION})  # the statuses an abatement goes with (con-4)


def is_current_condition(cond: ConditionRecord) -> bool:
    """Whether a Condition counts at all (present, or possibly present)."""
    return (
        cond.verification_status not in _IGNORED_VERIFICATION
        and cond.clinical_status in _CURRENT_CLINICAL
    )


def at_computation_time(cond: ConditionRecord, now: ClinicalTime) -> ConditionRecord:
    """The Condition with the clinicalStatus it had at the computation time (contract §2, time):
    one resolved, inactive or in remission that abated after it was current then; one with an
    abatement on or before it and no clinicalStatus is resolved."""
    if cond.abatement is None:
        return cond
    if cond.abatement > now and cond.clinical_status in _ABATED:
        return cond._replace(clinical_status="active")
    if cond.abatement <= now and cond.clinical_status is None:
        return cond._replace(clinical_status="resolved")
    return cond


def confirmed(cond: ConditionRecord) -> bool:
    """Present for certain; otherwise (provisional, differential, unconfirmed) only possibly."""
    return cond.verification_status in _CONFIRMED


@dataclass(frozen=True, slots=True)
class Staged:
    """A Condition that counts, its certainty and where it is (empty: no bodySite)."""

    condition: ConditionRecord
    confirmed: bool
    sites: tuple[Site, ...] = ()
    remission: bool = False  # clinicalStatus remission or inactive: treated, still there

    @property
    def levels(self) -> frozenset[str]:
        return frozenset(s.level for s in self.sites if s.level is not None)

    @property
    def status(self) -> str:
        """How the output names an unconfirmed Condition: "Secondary malignant neoplasm of bone at
        L1 (Condition/x, provisional)" (cards drop the reference)."""
        cited = ", ".join(
            filter(None, (self.condition.ref.reference, self.condition.verification_status))
        )
        return f"{condition_named(self.condition, self.levels)} ({cited})"


Lesion = Staged  # a bone metastasis, or a primary bone-marrow tumour at a vertebral level


@dataclass(frozen=True, slots=True)
class Primary:
    condition: ConditionRecord
    confirmed: bool
    sites: frozenset[PrimarySite]
    remission: bool = False


@dataclass(slots=True)
class Staging:
    lesions: list[Lesion] = field(default_factory=list)
    visceral: list[Staged] = field(default_factory=list)
    major: list[Staged] = field(default_factory=list)
    primaries: list[Primary] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)  # primaries a metastasis names as related
    # The Conditions of the record that are no tumour (a fracture), by reference: a metastasis
    # linked to one links to something other than its primary.
    other: set[str] = field(default_factory=set)
    neoplastic_fractures: list[Staged] = field(default_factory=list)
    other_fractures: list[Staged] = field(default_factory=list)
    # A pathological fracture in neoplastic disease at any site (M84.5-): Bauer's fracture item.
    pathological_fractures: list[Staged] = field(default_factory=list)
    coagulation: list[Staged] = field(default_factory=list)
    infections: list[Staged] = field(default_factory=list)  # sepsis, spinal infection (§5 v3)
    # A current Condition no listed code holds whose words name an infection (a local code, text):
    # criterion 9 cannot be met beside it, nor judged unmet on words alone.
    infections_named: list[Staged] = field(default_factory=list)
    antithrombotic_use: list[Staged] = field(default_factory=list)  # Z79.01, Z79.02 (§5)
    # Cord compression or cauda equina syndrome, and paraplegia or quadriplegia, recorded as
    # diagnoses (§4 neurology card, §5 criteria 4, 5, 8): adapter/mapping/coded.py.
    cord_compression: list[Staged] = field(default_factory=list)
    paralysis: list[Staged] = field(default_factory=list)
    # Neoplasms at a vertebra the maps do not place, named (unused.unread_at_spine).
    unread: list[str] = field(default_factory=list)
    # Metastases the maps do not place that may be visceral (unused.possibly_visceral): the
    # visceral and major-organ answers stay open while one is recorded.
    unplaced: list[Staged] = field(default_factory=list)
    # Visceral metastases that may or may not be in a major organ (unused.possibly_major).
    maybe_major: list[Staged] = field(default_factory=list)


def _coded_in(ctx: Context, value_set: str, cond: ConditionRecord) -> bool:
    return any(ctx.term.in_value_set(value_set, c.system, c.code) for c in cond.codes)


def _sites(ctx: Context, cond: ConditionRecord) -> tuple[Site, ...] | None:
    """Where the Condition is; None when a vertebra code does not exist. A bodySite the mappings
    do not know is left out and named: it is no evidence that the lesion is outside the spine,
    so a lesion with no other site counts as one without a bodySite (contract §2)."""
    names = (*cond.site_names, *(None,) * (len(cond.body_sites) - len(cond.site_names)))
    sites = tuple(
        _one_level(
            ctx, cond, concept, name, read_by_words(resolve_site(concept, ctx.term), name, ctx.term)
        )
        for concept, name in zip(cond.body_sites, names, strict=False)
    )
    bad = next((s for s in sites if s.kind == "invalid"), None)
    if bad is not None:
        ctx.invalid(cond.ref.reference, f"{cond.ref.reference}: {bad.label}")
        return None
    known = tuple(s for s in sites if s.kind != "unknown")
    kept = "its other sites are used" if known else "counted as a lesion without a site"
    for site, name in zip(sites, names, strict=False):
        if site.kind == "unknown":
            ref = cond.ref.reference
            said = f"'{name}' ({site.name})" if name else site.name
            ctx.warn(ref, f"{ref}: bodySite {said} not understood — {kept}.")
    return known


def _one_level(
    ctx: Context, cond: ConditionRecord, concept: tuple[Coding, ...], words: str | None, site: Site
) -> Site:
    """A bodySite read as one level, unless it settles none (:func:`disputed_level`): then the
    lesion is at one of them, not known which — a spinal site within them, as a region is — and
    named (contract §2: never a level the record does not settle)."""
    found = disputed_level(concept, site, words, ctx.term)
    if found is None:
        return site
    coded, within = found
    why = (
        "its codings name " + " and ".join(coded) if len(coded) > 1 else f"its words say {words!r}"
    )
    named = levels_named(within)
    ref = cond.ref.reference
    ctx.warn(ref, f"{ref}: bodySite {site.level} read as {named}: {why} — record the level.")
    return Site("spinal", None, f"{site.key}|{named}", named, within, named)


def primary_sites(ctx: Context, cond: ConditionRecord) -> frozenset[PrimarySite] | None:
    """Tokuhashi site groups of a primary-tumour Condition; None if it is not one."""
    per_coding: list[frozenset[str]] = []
    for coding in cond.codes:
        mapped = ctx.term.translate(coding.system, coding.code, PRIMARY_SITE)
        if coding.system == ICD10CM:
            if not ctx.term.in_value_set("primary-malignancy", coding.system, coding.code):
                continue
            mapped = mapped or frozenset({PrimarySite.OTHER.value})
        if mapped:
            per_coding.append(mapped)
    if not per_coding:
        return sited_primary(ctx, cond)  # mCODE: "malignant neoplastic disease" at its bodySite
    common = frozenset.intersection(*per_coding)
    codes = common or frozenset.union(*per_coding)
    return frozenset(PrimarySite(c) for c in codes if c in PrimarySite._value2member_map_)


def _stage_tumour(
    ctx: Context, staging: Staging, cond: ConditionRecord, certain: bool, remission: bool
) -> None:
    """Bone metastasis, primary tumour (with its vertebral levels if it is of the marrow)."""
    bone = _coded_in(ctx, "bone-metastasis", cond)
    sites = primary_sites(ctx, cond) if not bone else None
    if sites is None and not bone:
        bone = _placed_in_bone(ctx, cond)
    marrow = sites is not None and _coded_in(ctx, "bone-marrow-primary", cond)
    if bone or marrow:
        resolved = _sites(ctx, cond)
        if resolved is None:
            return
        if bone:
            staging.lesions.append(Lesion(cond, certain, resolved, remission))
            staging.linked.update(cond.related)
        elif spinal := tuple(s for s in resolved if s.kind in ("level", "spinal")):
            staging.lesions.append(Lesion(cond, certain, spinal, remission))
    if sites is not None:
        staging.primaries.append(Primary(cond, certain, sites, remission))


def _placed_in_bone(ctx: Context, cond: ConditionRecord) -> bool:
    """A metastasis whose code names no site (ValueSet metastasis-site-unnamed: mCODE's
    SecondaryCancerCondition codes 128462008 and gives the place in bodySite, contract §2) whose
    every bodySite is a bone — a vertebra, a spinal region, a bone outside the spine: a bone
    metastasis there. In an organ, or with a site in words only, it is not placed in bone (it
    may be visceral: unused.possibly_visceral)."""
    if not cond.body_sites or cond.uncoded_sites:
        return False
    if not _coded_in(ctx, "metastasis-site-unnamed", cond):
        return False
    return all(
        resolve_site(concept, ctx.term).kind in ("level", "spinal", "other")
        for concept in cond.body_sites
    )


def _stage_other(
    ctx: Context, staging: Staging, cond: ConditionRecord, certain: bool, remission: bool
) -> None:
    for value_set, found in (
        ("visceral-metastasis", staging.visceral),
        ("major-organ-metastasis", staging.major),
    ):
        if _coded_in(ctx, value_set, cond):
            found.append(Staged(cond, certain, remission=remission))
    if remission:
        return  # a coagulation defect or a fracture counts only while current
    if _coded_in(ctx, "coagulation-defect", cond):
        staging.coagulation.append(Staged(cond, certain))
    if _coded_in(ctx, "active-infection", cond):
        staging.infections.append(Staged(cond, certain))
    elif cond.name and names(ctx.term, "active-infection", cond.name, "condition-name"):
        staging.infections_named.append(Staged(cond, certain))
    if _coded_in(ctx, "antithrombotic-use", cond):
        staging.antithrombotic_use.append(Staged(cond, certain))
    if _coded_in(ctx, "pathological-fracture-neoplastic", cond):
        staging.pathological_fractures.append(Staged(cond, certain))
    for value_set, fractures in (
        ("neoplastic-vertebral-fracture", staging.neoplastic_fractures),
        ("other-cause-vertebral-fracture", staging.other_fractures),
    ):
        if _coded_in(ctx, value_set, cond):
            sites = _sites(ctx, cond)
            if sites is not None:
                fractures.append(Staged(cond, certain, sites or _named_by_code(ctx, cond)))
    for value_set, found in (
        ("spinal-cord-compression", staging.cord_compression),
        ("paraplegia-quadriplegia", staging.paralysis),
    ):
        if _coded_in(ctx, value_set, cond) and (sites := _sites(ctx, cond)) is not None:
            found.append(Staged(cond, certain, sites))


def levels_named(levels: Iterable[str]) -> str:
    """The levels a lesion may be at, as every output says them: "T11 or T12" (a pair), "C1–C7"
    (a run of neighbours: S12.9, the cervical spine), "C2, C5, C7" (any other set)."""
    ordered = sorted(levels, key=level_order)
    if len(ordered) <= 2:
        return " or ".join(ordered)
    at = [level_order(lv) for lv in ordered]
    run = at == list(range(at[0], at[0] + len(at)))
    return f"{ordered[0]}–{ordered[-1]}" if run else ", ".join(ordered)


def _named_by_code(ctx: Context, cond: ConditionRecord) -> tuple[Site, ...]:
    """The vertebra a fracture code names itself (ICD-10-CM S32.02-: the second lumbar), for a
    fracture recorded without a bodySite (ConceptMap in mappings/); none for most codes. A code
    naming a pair (S22.08-: T11-T12, both targets inexact) is at one of them, not at both: a
    spinal site within the pair, as a region is; a region (S12.9-: the cervical spine) is named
    by its ends, "C1–C7"."""
    for coding in cond.codes:
        levels = ctx.term.translate(coding.system, coding.code, VERTEBRA)
        if levels and len(levels) == 1:
            (level,) = levels
            return (Site("level", level, level, level),)
        if levels:
            key, named = f"{coding.system}|{coding.code}", f"{levels_named(levels)} ({coding.code})"
            return (Site("spinal", None, key, named, levels, named),)
    return ()


def _used(staging: Staging) -> int:
    return sum(
        len(found)
        for found in (
            staging.lesions,
            staging.visceral,
            staging.major,
            staging.primaries,
            staging.neoplastic_fractures,
            staging.other_fractures,
            staging.pathological_fractures,
            staging.coagulation,
            staging.infections,
            staging.infections_named,
            staging.antithrombotic_use,
            staging.cord_compression,
            staging.paralysis,
        )
    )


def condition_counts(cond: ConditionRecord) -> bool:
    """Whether a Condition is read at all (contract §2, v3): neither refuted nor entered in
    error, and current or in remission."""
    return _counts(cond) is not None


def _counts(cond: ConditionRecord) -> bool | None:
    """None when the Condition is left out; else whether it is in remission."""
    if cond.verification_status in _IGNORED_VERIFICATION:
        return None
    if cond.clinical_status in _CURRENT_CLINICAL:
        return False
    return True if cond.clinical_status in _REMISSION else None


def read_staging(ctx: Context, conditions: Iterable[ConditionRecord]) -> Staging:
    staging = Staging()
    for recorded in conditions:
        if recorded.ref.reference and not neoplasm(recorded):
            staging.other.add(recorded.ref.reference)
        if not recorded.codes:
            _in_words_only(ctx, staging, recorded)
            continue
        cond = at_computation_time(recorded, ctx.now)
        remission = _counts(cond)
        if remission is None:
            if cond is not recorded:
                abated_before(ctx, recorded)
            else:
                not_current(ctx, recorded)
            continue
        if ctx.from_future(cond.ref, cond.time, partial(named, ctx, cond)):
            continue
        if cond is not recorded:
            current_then(ctx, recorded)
        elif recorded.abatement is not None and recorded.abatement <= ctx.now and not remission:
            abated_yet_current(ctx, recorded)
        certain = confirmed(cond)
        before = _used(staging)
        sited = _metastases(staging)
        _stage_tumour(ctx, staging, cond, certain, remission)
        _stage_other(ctx, staging, cond, certain, remission)
        reported = any(i.resource == cond.ref.reference for i in ctx.issues)
        if (
            _used(staging) == before
            and not reported
            and (neoplasm(cond) or (remission and relevant(ctx, cond)))
        ):
            unused(ctx, cond)
            _unread(ctx, staging, cond)
        # A metastasis no map places in bone or an organ — unused, or read as the primary only
        # (C80.0, disseminated) — may be in an organ; a visceral one may be in a major organ.
        staged = Staged(cond, certain, remission=bool(remission))
        if _metastases(staging) == sited and possibly_visceral(ctx, cond):
            staging.unplaced.append(staged)
        if possibly_major(ctx, cond) and cond not in (s.condition for s in staging.major):
            staging.maybe_major.append(staged)
    return staging


def _unread(ctx: Context, staging: Staging, cond: ConditionRecord) -> None:
    """A neoplasm no map places, named on the patient-view when it is at a vertebra."""
    said = unread_at_spine(ctx, cond)
    if said is not None:
        staging.unread.append(said)


def _metastases(staging: Staging) -> int:
    """How many metastases the staging has placed: in bone, in an organ."""
    return len(staging.lesions) + len(staging.visceral) + len(staging.major)


def _infection_in_words(ctx: Context, staging: Staging, recorded: ConditionRecord) -> None:
    """A current Condition with no code whose words name an infection: criterion 9 cannot be met
    beside it (contract §5 v3), as one under a code the ValueSet does not hold."""
    cond = at_computation_time(recorded, ctx.now)
    remission = _counts(cond)
    if remission or remission is None:  # only while current, as a coded infection
        return
    if ctx.from_future(cond.ref, cond.time, partial(named, ctx, cond)):
        return
    staging.infections_named.append(Staged(cond, confirmed(cond)))


def _in_words_only(ctx: Context, staging: Staging, recorded: ConditionRecord) -> None:
    """A current Condition with no code, only words: a neoplasm by its words is named (it cannot
    be staged) and, as a metastasis, keeps the visceral answers open; anything else is none of
    spinemets' business."""
    if recorded.name and names(ctx.term, "active-infection", recorded.name, "condition-name"):
        _infection_in_words(ctx, staging, recorded)
    if not neoplasm(recorded):
        return
    cond = at_computation_time(recorded, ctx.now)
    remission = _counts(cond)
    if remission is None or ctx.from_future(cond.ref, cond.time, partial(named, ctx, cond)):
        return
    in_words(ctx, cond)
    _unread(ctx, staging, cond)
    if possibly_visceral(ctx, cond):
        staging.unplaced.append(Staged(cond, confirmed(cond), remission=remission))
