"""Conditions → the staging record: bone lesions and their sites, visceral and major-organ
metastases, primary tumours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from adapter.fhir.read.records import Coding, ConditionRecord, ObservationRecord
from adapter.mapping.context import Context
from adapter.mapping.sites import Site, resolve_site
from adapter.mapping.terminology import ICD10CM, SPINEMETS
from adapter.scoring import (
    PrimarySite,
)

__all__ = [
    "SITE_SYSTEM",
    "Lesion",
    "Staging",
    "coded_in",
    "is_current_condition",
    "primary_sites",
    "read_staging",
    "sites_of",
]

SITE_SYSTEM = f"{SPINEMETS}/CodeSystem/tokuhashi-primary-site"
_EXCLUDED_VERIFICATION = frozenset({"entered-in-error", "refuted"})
_CURRENT_CLINICAL = frozenset({"active", "recurrence", "relapse"})


@dataclass(slots=True)
class Lesion:
    condition: ConditionRecord
    sites: list[Site]


def _codes(record: ObservationRecord | ConditionRecord) -> Iterable[Coding]:
    return record.codes


def is_current_condition(cond: ConditionRecord) -> bool:
    if cond.verification_status in _EXCLUDED_VERIFICATION:
        return False
    return cond.clinical_status is None or cond.clinical_status in _CURRENT_CLINICAL


def coded_in(ctx: Context, value_set: str, cond: ConditionRecord) -> bool:
    return any(ctx.term.in_value_set(value_set, c.system, c.code) for c in _codes(cond))


def sites_of(ctx: Context, cond: ConditionRecord) -> list[Site] | None:
    sites = [resolve_site(concept, ctx.term) for concept in cond.body_sites]
    bad = [s for s in sites if s.kind == "invalid"]
    if bad:
        ctx.invalid(cond.ref.reference, f"{cond.ref.reference}: {bad[0].label}")
        return None
    return sites


@dataclass(slots=True)
class Staging:
    lesions: list[Lesion] = field(default_factory=list)  # bone metastases and marrow primaries
    visceral: list[ConditionRecord] = field(default_factory=list)
    major: list[ConditionRecord] = field(default_factory=list)
    primaries: dict[str, tuple[ConditionRecord, frozenset[PrimarySite]]] = field(
        default_factory=dict
    )
    linked: set[str] = field(default_factory=set)


def primary_sites(ctx: Context, cond: ConditionRecord) -> frozenset[PrimarySite] | None:
    """Tokuhashi site groups of a primary-tumour Condition; None if it is not one."""
    per_coding: list[frozenset[str]] = []
    for coding in cond.codes:
        mapped = ctx.term.translate(coding.system, coding.code, SITE_SYSTEM)
        if coding.system == ICD10CM:
            if not ctx.term.in_value_set("primary-malignancy", coding.system, coding.code):
                continue
            mapped = mapped or frozenset({PrimarySite.OTHER.value})
        if mapped:
            per_coding.append(mapped)
    if not per_coding:
        return None
    common = frozenset.intersection(*per_coding)
    codes = common or frozenset.union(*per_coding)
    return frozenset(PrimarySite(c) for c in codes if c in PrimarySite._value2member_map_)


def read_staging(ctx: Context, conditions: Iterable[ConditionRecord]) -> Staging:
    staging = Staging()
    for cond in conditions:
        if not cond.codes or not is_current_condition(cond):
            continue
        bone = coded_in(ctx, "bone-metastasis", cond)
        sites = primary_sites(ctx, cond)
        marrow = sites is not None and coded_in(ctx, "bone-marrow-primary", cond)
        if bone or marrow:
            resolved = sites_of(ctx, cond)
            if resolved is None:
                continue
            if bone:
                staging.lesions.append(Lesion(cond, resolved))
                staging.linked.update(cond.related_primaries)
            elif any(s.kind in ("level", "spinal") for s in resolved):
                spinal = [s for s in resolved if s.kind in ("level", "spinal")]
                staging.lesions.append(Lesion(cond, spinal))
        if coded_in(ctx, "visceral-metastasis", cond):
            staging.visceral.append(cond)
        if coded_in(ctx, "major-organ-metastasis", cond):
            staging.major.append(cond)
        if sites is not None and not bone and cond.ref.reference:
            staging.primaries[cond.ref.reference] = (cond, sites)
        elif sites is not None and not bone:
            staging.primaries[str(id(cond))] = (cond, sites)
    return staging
