"""Score components from findings and staging: counts, presence, primary tumour, performance
status, palsy, and the SINS inputs of each level."""

from __future__ import annotations

from collections import defaultdict
from enum import Enum
from typing import TypeVar

from adapter.fhir.read.records import ConditionRecord
from adapter.mapping.assessment import LevelAssessment
from adapter.mapping.context import Context, condition_evidence
from adapter.mapping.evidence import Basis, Evidence
from adapter.mapping.findings import (
    FINDING,
    SINS_FINDINGS,
    choose_latest,
)
from adapter.mapping.observations import (
    ECOG_KPS,
    Findings,
    enum_input,
    finding_key,
    pick,
    pick_enum,
)
from adapter.mapping.staging import SITE_SYSTEM, Staging
from adapter.scoring import (
    COUNT_CAP,
    KPS_VALUES,
    Alignment,
    BoneLesion,
    Collapse,
    Frankel,
    Growth,
    Pain,
    Possible,
    Posterolateral,
    PrimarySite,
    SinsInput,
    level_order,
    location_of,
)
from adapter.vocabulary import (
    COMPONENTS,
    SINS_LOCATION,
    TOKUHASHI_GENERAL,
    TOKUHASHI_PALSY,
    TOKUHASHI_PRIMARY,
    TOKUHASHI_VERTEBRAL,
    TOMITA_PRIMARY,
    ComponentSpec,
)

__all__ = [
    "cast_possible",
    "coded_presence",
    "counts",
    "kps_input",
    "level_inputs",
    "levels_of",
    "palsy_input",
    "primary",
]

E = TypeVar("E", bound=Enum)


def _explicit_count(found: Findings, code: str) -> tuple[Possible[int], Basis] | None:
    """A count finding, when one was recorded: it wins over the count derived from Conditions."""
    chosen = pick(found, code)
    if chosen is None:
        return None
    values = frozenset(min(v, COUNT_CAP) for v in chosen.values if isinstance(v, int))
    return Possible(values), Basis(chosen.evidence, caveats=tuple(filter(None, [chosen.conflict])))


def counts(found: Findings, staging: Staging) -> tuple[Possible[int], Basis, Possible[int], Basis]:
    levels: set[str] = set()
    extraspinal: set[str] = set()
    unsited = unknown_level = 0
    vertebral_ev: list[Evidence] = []
    extra_ev: list[Evidence] = []
    for lesion in staging.lesions:
        cond = lesion.condition
        if not lesion.sites:
            unsited += 1
            vertebral_ev.append(condition_evidence(cond, "bone metastasis, site not recorded"))
            extra_ev.append(vertebral_ev[-1])
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                levels.add(site.level)
                vertebral_ev.append(condition_evidence(cond, f"vertebral lesion {site.level}"))
            elif site.kind == "spinal":
                unknown_level += 1
                vertebral_ev.append(condition_evidence(cond, "spinal lesion, level unknown"))
            else:
                extraspinal.add(site.key)
                extra_ev.append(condition_evidence(cond, f"extraspinal bone lesion {site.label}"))

    def capped(low: int, widen: int, floor: int) -> frozenset[int]:
        return frozenset(min(n, COUNT_CAP) for n in range(low, low + widen + 1) if n >= floor)

    explicit_v = _explicit_count(found, "vertebral-metastases-count")
    if explicit_v is not None:
        vertebral, v_basis = explicit_v
    else:
        values = capped(len(levels), unsited + unknown_level, 1)
        vertebral = Possible(values) if values else Possible.unknown(range(1, COUNT_CAP + 1))
        unplaced = unsited + unknown_level
        why = (f"{unplaced} lesion(s) without a spinal level widen the count.",)
        v_basis = Basis(tuple(vertebral_ev), caveats=why if unplaced else ())
    if not vertebral.known:
        v_basis = Basis(settle=TOKUHASHI_VERTEBRAL.settle)

    explicit_e = _explicit_count(found, "extraspinal-bone-metastases-count")
    if explicit_e is not None:
        extra, e_basis = explicit_e
    else:
        extra = Possible(capped(len(extraspinal), unsited, 0))
        derived = ("Derived from bone-metastasis Conditions (none coded = none).",)
        widened = (f"{unsited} bone metastasis(es) without a site widen the count.",)
        e_basis = Basis(tuple(extra_ev), derived, caveats=widened if unsited else ())
    return vertebral, v_basis, extra, e_basis


def coded_presence(
    found: Findings,
    *,
    finding: str,
    component: ComponentSpec,
    coded: list[ConditionRecord],
    enum: type[E],
    none: E,
    present: tuple[E, E],
    label: str,
) -> tuple[Possible[E], Basis]:
    """Presence from metastasis Conditions (none coded = none; coded = one of the two present
    answers), unless the finding that assesses it was recorded."""
    chosen = pick_enum(found, finding)
    if chosen is not None:
        return enum_input(chosen, enum, component.settle)
    if not coded:
        note = f"No {label} metastasis Condition coded: none."
        return Possible.of(none), Basis(notes=(note,))
    evidence = tuple(condition_evidence(c, f"{label} metastasis") for c in coded)
    note = (
        f"{label.capitalize()} metastasis coded but not assessed: "
        f"either {present[0].value} or {present[1].value}."
    )
    return Possible.of(*present), Basis(evidence, settle=component.settle, caveats=(note,))


def primary(
    ctx: Context, found: Findings, staging: Staging
) -> tuple[Possible[PrimarySite], Basis, Possible[Growth], Basis]:
    candidates = staging.primaries
    linked = {ref: v for ref, v in candidates.items() if ref in staging.linked}
    chosen = linked or candidates
    sites: set[PrimarySite] = set()
    evidence = []
    for cond, cond_sites in chosen.values():
        sites |= cond_sites
        shown = ", ".join(sorted(s.value for s in cond_sites))
        evidence.append(condition_evidence(cond, f"primary tumour: {shown}"))
    notes = ("Primary linked by mCODE relatedPrimaryCancerCondition.",) if linked else ()
    caveats: tuple[str, ...] = ()
    if len(chosen) > 1:
        caveats = (f"{len(chosen)} primary tumour Conditions: the range covers each.",)

    site_pick = pick_enum(found, "tokuhashi-primary-site")
    if site_pick is not None:
        site_input, site_basis = enum_input(site_pick, PrimarySite, TOKUHASHI_PRIMARY.settle)
    elif sites:
        site_input = Possible(frozenset(sites))
        site_basis = Basis(tuple(evidence), notes, caveats=caveats)
    else:
        site_input = Possible.unknown(PrimarySite)
        site_basis = Basis(settle=TOKUHASHI_PRIMARY.settle)

    growth_pick = pick_enum(found, "tomita-primary-growth")
    if growth_pick is not None:
        growth_input, growth_basis = enum_input(growth_pick, Growth, TOMITA_PRIMARY.settle)
    elif sites:
        growth: set[Growth] = set()
        for site in sites:
            mapped = ctx.term.translate(SITE_SYSTEM, site.value, FINDING)
            growth |= {Growth(g) for g in mapped} if mapped else set(Growth)
        growth_input = Possible(frozenset(growth))
        growth_caveats = list(caveats)
        if len(growth) > 1:
            growth_caveats.append(
                "Growth class not defined for this tumour by the sources: a range until "
                "tomita-primary-growth is recorded."
            )
        settle = "record tomita-primary-growth (slow, moderate, rapid)" if len(growth) > 1 else None
        growth_basis = Basis(tuple(evidence), notes, settle, tuple(growth_caveats))
    else:
        growth_input = Possible.unknown(Growth)
        growth_basis = Basis(settle=TOMITA_PRIMARY.settle)
    return site_input, site_basis, growth_input, growth_basis


def kps_input(found: Findings) -> tuple[Possible[int], Basis]:
    chosen = choose_latest(found.kps, "Karnofsky", str)
    if chosen is not None:
        conflict = (chosen.conflict,) if chosen.conflict else ()
        return Possible(chosen.values), Basis(chosen.evidence, caveats=conflict)
    ecog = choose_latest(found.ecog, "ECOG", str)
    if ecog is None:
        return Possible.unknown(KPS_VALUES), Basis(settle=TOKUHASHI_GENERAL.settle)
    kps: set[int] = set()
    for grade in ecog.values:
        low, high = ECOG_KPS[grade]
        kps |= set(range(low, high + 1, 10))
    grades = "/".join(str(g) for g in sorted(ecog.values))
    note = f"ECOG {grades} stands in for Karnofsky {min(kps)}–{max(kps)}."
    notes: tuple[str, ...] = (note, ecog.conflict) if ecog.conflict else (note,)
    return Possible(frozenset(kps)), Basis(
        ecog.evidence, settle=TOKUHASHI_GENERAL.settle, caveats=notes
    )


def palsy_input(found: Findings) -> tuple[Possible[Frankel], Basis]:
    frankel = pick_enum(found, "frankel-grade")
    if frankel is not None:
        return enum_input(frankel, Frankel, TOKUHASHI_PALSY.settle)
    ais = pick_enum(found, "asia-impairment-scale")
    if ais is None:
        return Possible.unknown(Frankel), Basis(settle=TOKUHASHI_PALSY.settle)
    palsy, basis = enum_input(ais, Frankel, TOKUHASHI_PALSY.settle)
    grades = "/".join(sorted(g.value for g in palsy.values))
    return palsy, basis.plus(caveats=[f"AIS grade {grades} stands in for Frankel {grades}."])


def level_inputs(found: Findings, level: str, origin: list[Evidence]) -> LevelAssessment:
    basis: dict[str, Basis] = {SINS_LOCATION.code: Basis(tuple(origin))}
    picked: dict[str, Possible[Enum]] = {}
    enums: dict[str, type[Enum]] = {
        "spinal-pain": Pain,
        "bone-lesion-quality": BoneLesion,
        "spinal-alignment": Alignment,
        "vertebral-body-collapse": Collapse,
        "posterolateral-involvement": Posterolateral,
    }
    for finding, component in SINS_FINDINGS.items():
        possible, basis[component] = enum_input(
            pick_enum(found, finding, level), enums[finding], COMPONENTS[component].settle
        )
        picked[finding] = possible
    inputs = SinsInput(
        level,
        pain=cast_possible(picked["spinal-pain"], Pain),
        bone_lesion=cast_possible(picked["bone-lesion-quality"], BoneLesion),
        alignment=cast_possible(picked["spinal-alignment"], Alignment),
        collapse=cast_possible(picked["vertebral-body-collapse"], Collapse),
        posterolateral=cast_possible(picked["posterolateral-involvement"], Posterolateral),
    )
    return LevelAssessment(level, inputs, basis)


def cast_possible(possible: Possible[Enum], enum: type[E]) -> Possible[E]:
    return Possible(frozenset(v for v in possible.values if isinstance(v, enum)), possible.known)


def levels_of(
    found: Findings, staging: Staging
) -> tuple[tuple[LevelAssessment, ...], tuple[tuple[str, str], ...]]:

    origin: dict[str, list[Evidence]] = defaultdict(list)
    unscored: list[tuple[str, str]] = []
    for lesion in staging.lesions:
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                origin[site.level].append(
                    condition_evidence(lesion.condition, f"lesion at {site.level}")
                )
            elif site.kind == "spinal":
                unscored.append(
                    (
                        site.label,
                        f"{lesion.condition.ref.reference}: {site.label}; SINS needs the level",
                    )
                )
    for code in SINS_FINDINGS:
        for obs, _ in found.values.get(code, []):
            for level in found.levels[finding_key(obs)] or ():
                origin.setdefault(level, [])
    scored = []
    for level in sorted(origin, key=level_order):
        if location_of(level) is None:
            unscored.append((level, f"SINS does not define a location score for the {level}"))
            continue
        scored.append(level_inputs(found, level, origin[level]))
    return tuple(scored), tuple(unscored)
