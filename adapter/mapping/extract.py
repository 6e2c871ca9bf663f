"""One patient's FHIR records → the typed inputs of every score (contract §2).

Metastasis Conditions are the staging record (none coded = none); assessments are never assumed
(missing stays missing); an explicit finding is the clinician's word and beats any derivation.
Invalid resources are reported as issues and then left out, as if absent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from adapter.fhir.evidence import Basis, Evidence
from adapter.fhir.outcome import Issue
from adapter.fhir.records import Coding, ConditionRecord, ObservationRecord
from adapter.fhir.source import PatientData
from adapter.mapping.findings import (
    COUNT_FINDINGS,
    FINDING,
    FINDING_ANSWERS,
    SINS_FINDINGS,
    Chosen,
    choose_latest,
    read_answer,
)
from adapter.mapping.sites import Site, resolve_site
from adapter.mapping.terminology import ICD10CM, LOINC, SPINEMETS, Terminology
from adapter.scoring import (
    COUNT_CAP,
    KPS_VALUES,
    Alignment,
    BoneExtent,
    BoneLesion,
    Collapse,
    Frankel,
    Growth,
    MajorOrgan,
    Pain,
    Possible,
    Posterolateral,
    PrimarySite,
    SinsInput,
    TokuhashiInput,
    TomitaInput,
    Visceral,
    bone_extent_from_counts,
    level_order,
    location_of,
)

__all__ = ["LevelAssessment", "PatientAssessment", "extract_patient", "read_observation"]

KARNOFSKY = "89243-0"
ECOG = "89247-1"
SITE_SYSTEM = f"{SPINEMETS}/CodeSystem/tokuhashi-primary-site"
# LOINC answer list LL529-9 (ECOG performance status).
_ECOG_ANSWERS = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}
# ECOG → KPS (Oken et al. 1982 / common oncology practice), as scores.md gives it.
_ECOG_KPS = {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20)}
_CURRENT_OBSERVATION = frozenset({"final", "amended", "corrected"})
_EXCLUDED_VERIFICATION = frozenset({"entered-in-error", "refuted"})
_CURRENT_CLINICAL = frozenset({"active", "recurrence", "relapse"})

E = TypeVar("E", bound=Enum)

_SETTLE = {
    "sins-pain": "record a spinal-pain finding (mechanical, non-mechanical, pain-free)",
    "sins-bone-lesion": "record bone-lesion-quality (lytic, mixed, blastic) from CT",
    "sins-alignment": "record spinal-alignment (subluxation, de-novo-deformity, normal)",
    "sins-collapse": "record vertebral-body-collapse (gt-50, lt-50, none-gt-50-involved, none)",
    "sins-posterolateral": "record posterolateral-involvement (bilateral, unilateral, none)",
    "tomita-primary-tumor": "record the primary tumour Condition, or tomita-primary-growth "
    "(slow, moderate, rapid)",
    "tomita-visceral-metastases": "record visceral-metastases (none, treatable, untreatable)",
    "tomita-bone-metastases": "record bone-metastasis Conditions with their sites, or "
    "bone-metastasis-extent (solitary, multiple)",
    "tokuhashi-general-condition": "record a Karnofsky performance status (LOINC 89243-0)",
    "tokuhashi-extraspinal-bone-metastases": "record extraspinal-bone-metastases-count",
    "tokuhashi-vertebral-metastases": "record bone-metastasis Conditions with their vertebral "
    "levels, or vertebral-metastases-count",
    "tokuhashi-major-organ-metastases": "record major-organ-metastases (none, removable, "
    "unremovable)",
    "tokuhashi-primary-site": "record the primary tumour Condition (ICD-10-CM or SNOMED CT)",
    "tokuhashi-palsy": "record a frankel-grade finding (frankel-a … frankel-e)",
}


def read_observation(codes: tuple[Coding, ...]) -> bool:
    """Whether an Observation with these codes can feed a score (the rest are not parsed)."""
    return any(
        c.system == FINDING or (c.system == LOINC and c.code in (KARNOFSKY, ECOG)) for c in codes
    )


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    level: str
    inputs: SinsInput
    basis: dict[str, Basis]


@dataclass(frozen=True, slots=True)
class PatientAssessment:
    """Every score input of one patient, with what each was derived from."""

    patient: str
    levels: tuple[LevelAssessment, ...]
    unscored: tuple[tuple[str, str], ...]
    tomita: TomitaInput
    tokuhashi: TokuhashiInput
    basis: dict[str, Basis]
    issues: tuple[Issue, ...]


@dataclass(slots=True)
class _Lesion:
    condition: ConditionRecord
    sites: list[Site]


@dataclass(slots=True)
class _Context:
    term: Terminology
    issues: list[Issue] = field(default_factory=list)
    conditions: dict[str, ConditionRecord] = field(default_factory=dict)

    def invalid(self, ref: str | None, message: str) -> None:
        self.issues.append(Issue("error", "invalid", f"{message}; resource ignored.", ref))


def _codes(record: ObservationRecord | ConditionRecord) -> Iterable[Coding]:
    return record.codes


def _is_current_condition(cond: ConditionRecord) -> bool:
    if cond.verification_status in _EXCLUDED_VERIFICATION:
        return False
    return cond.clinical_status is None or cond.clinical_status in _CURRENT_CLINICAL


def _in(ctx: _Context, value_set: str, cond: ConditionRecord) -> bool:
    return any(ctx.term.in_value_set(value_set, c.system, c.code) for c in _codes(cond))


def _condition_evidence(cond: ConditionRecord, summary: str) -> Evidence:
    code = cond.codes[0].code if cond.codes else "?"
    return Evidence(cond.ref, cond.time, f"{summary} ({code})")


def _sites_of(ctx: _Context, cond: ConditionRecord) -> list[Site] | None:
    sites = [resolve_site(concept, ctx.term) for concept in cond.body_sites]
    bad = [s for s in sites if s.kind == "invalid"]
    if bad:
        ctx.invalid(cond.ref.reference, f"{cond.ref.reference}: {bad[0].label}")
        return None
    return sites


# ---------------------------------------------------------------- findings


@dataclass(slots=True)
class _Findings:
    """Valid current findings by finding code, with the levels each applies to."""

    values: dict[str, list[tuple[ObservationRecord, Enum | int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    levels: dict[str, frozenset[str] | None] = field(default_factory=dict)  # obs ref → levels
    kps: list[tuple[ObservationRecord, int]] = field(default_factory=list)
    ecog: list[tuple[ObservationRecord, int]] = field(default_factory=list)


def _finding_code(obs: ObservationRecord) -> str | None:
    for coding in obs.codes:
        if coding.system == FINDING and (
            coding.code in FINDING_ANSWERS or coding.code in COUNT_FINDINGS
        ):
            return coding.code
    return None


def _loinc(obs: ObservationRecord) -> str | None:
    for coding in obs.codes:
        if coding.system == LOINC and coding.code in (KARNOFSKY, ECOG):
            return coding.code
    return None


def _performance(ctx: _Context, obs: ObservationRecord, code: str, found: _Findings) -> None:
    value = obs.value_number
    ref = obs.ref.reference
    if code == KARNOFSKY:
        if value is None or value != int(value) or int(value) not in KPS_VALUES:
            shown = "no value" if value is None else f"{value:g}"
            ctx.invalid(ref, f"{ref}: Karnofsky {shown} is not 10–100 in steps of 10")
            return
        found.kps.append((obs, int(value)))
        return
    if value is None:
        value = next(
            (_ECOG_ANSWERS[c.code] for c in obs.value_codes if c.code in _ECOG_ANSWERS), None
        )
    if value is None or value != int(value) or int(value) not in _ECOG_KPS:
        shown = "no value" if value is None else f"{value:g}"
        ctx.invalid(ref, f"{ref}: ECOG {shown} is not a performance grade 0–4")
        return
    found.ecog.append((obs, int(value)))


def _finding_levels(
    ctx: _Context, obs: ObservationRecord, lesion_levels: dict[str, frozenset[str]]
) -> frozenset[str] | str | None:
    """Levels a finding belongs to; None for "every level"; a string when it is invalid."""
    if obs.body_sites:
        sites = [resolve_site(c, ctx.term) for c in obs.body_sites]
        bad = [s for s in sites if s.kind == "invalid"]
        if bad:
            return bad[0].label
        return frozenset(s.level for s in sites if s.level is not None)
    levels: set[str] = set()
    for focus in obs.focus:
        levels |= lesion_levels.get(focus, frozenset())
    return frozenset(levels) if obs.focus else None


def _read_findings(
    ctx: _Context,
    observations: Iterable[ObservationRecord],
    lesion_levels: dict[str, frozenset[str]],
) -> _Findings:
    found = _Findings()
    for obs in observations:
        if obs.status not in _CURRENT_OBSERVATION:
            continue
        performance = _loinc(obs)
        if performance is not None:
            _performance(ctx, obs, performance, found)
            continue
        code = _finding_code(obs)
        if code is None:
            continue
        ref = obs.ref.reference
        answer = read_answer(code, obs)
        if isinstance(answer, str):
            ctx.invalid(ref, f"{ref}: {answer}")
            continue
        levels = _finding_levels(ctx, obs, lesion_levels)
        if isinstance(levels, str):
            ctx.invalid(ref, f"{ref}: {levels}")
            continue
        if code in SINS_FINDINGS and levels is not None and not levels:
            ctx.issues.append(
                Issue("warning", "not-supported",
                      f"{ref}: its body site names no spinal level, so it applies to none.", ref)
            )  # fmt: skip
        found.values[code].append((obs, answer))
        found.levels[_key(obs)] = levels
    return found


def _key(obs: ObservationRecord) -> str:
    return obs.ref.reference or str(id(obs))


def _describe(value: object) -> str:
    if isinstance(value, Frankel):
        return f"Frankel {value.value}"
    return value.value if isinstance(value, Enum) else str(value)


def _enum_input(
    chosen: Chosen[Enum] | None, enum: type[E], settle: str | None
) -> tuple[Possible[E], Basis]:
    if chosen is None:
        return Possible.unknown(enum), Basis(settle=settle)
    values = frozenset(v for v in chosen.values if isinstance(v, enum))
    notes = (chosen.conflict,) if chosen.conflict else ()
    return Possible(values), Basis(chosen.evidence, notes, settle if chosen.conflict else None)


def _pick(found: _Findings, code: str, at: str | None = None) -> Chosen[Enum | int] | None:
    """Latest finding of a code; at a level, that level's own findings beat level-less ones."""
    items = found.values.get(code, [])
    if at is not None and items:
        levels = found.levels
        own = [it for it in items if at in (levels[_key(it[0])] or ())]
        items = own or [it for it in items if levels[_key(it[0])] is None]
    return choose_latest(items, code, _describe)


def _pick_enum(found: _Findings, code: str, at: str | None = None) -> Chosen[Enum] | None:
    chosen = _pick(found, code, at)
    if chosen is None:
        return None
    values = frozenset(v for v in chosen.values if isinstance(v, Enum))
    return Chosen(values, chosen.evidence, chosen.conflict)


# ---------------------------------------------------------------- conditions


@dataclass(slots=True)
class _Staging:
    lesions: list[_Lesion] = field(default_factory=list)  # bone metastases and marrow primaries
    visceral: list[ConditionRecord] = field(default_factory=list)
    major: list[ConditionRecord] = field(default_factory=list)
    primaries: dict[str, tuple[ConditionRecord, frozenset[PrimarySite]]] = field(
        default_factory=dict
    )
    linked: set[str] = field(default_factory=set)


def _primary_sites(ctx: _Context, cond: ConditionRecord) -> frozenset[PrimarySite] | None:
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


def _read_staging(ctx: _Context, conditions: Iterable[ConditionRecord]) -> _Staging:
    staging = _Staging()
    for cond in conditions:
        if not cond.codes or not _is_current_condition(cond):
            continue
        bone = _in(ctx, "bone-metastasis", cond)
        sites = _primary_sites(ctx, cond)
        marrow = sites is not None and _in(ctx, "bone-marrow-primary", cond)
        if bone or marrow:
            resolved = _sites_of(ctx, cond)
            if resolved is None:
                continue
            if bone:
                staging.lesions.append(_Lesion(cond, resolved))
                staging.linked.update(cond.related_primaries)
            elif any(s.kind in ("level", "spinal") for s in resolved):
                spinal = [s for s in resolved if s.kind in ("level", "spinal")]
                staging.lesions.append(_Lesion(cond, spinal))
        if _in(ctx, "visceral-metastasis", cond):
            staging.visceral.append(cond)
        if _in(ctx, "major-organ-metastasis", cond):
            staging.major.append(cond)
        if sites is not None and not bone and cond.ref.reference:
            staging.primaries[cond.ref.reference] = (cond, sites)
        elif sites is not None and not bone:
            staging.primaries[str(id(cond))] = (cond, sites)
    return staging


# ---------------------------------------------------------------- components


def _counts(
    found: _Findings, staging: _Staging
) -> tuple[Possible[int], Basis, Possible[int], Basis]:
    levels: set[str] = set()
    extraspinal: set[str] = set()
    unsited = unknown_level = 0
    vertebral_ev: list[Evidence] = []
    extra_ev: list[Evidence] = []
    for lesion in staging.lesions:
        cond = lesion.condition
        if not lesion.sites:
            unsited += 1
            vertebral_ev.append(_condition_evidence(cond, "bone metastasis, site not recorded"))
            extra_ev.append(vertebral_ev[-1])
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                levels.add(site.level)
                vertebral_ev.append(_condition_evidence(cond, f"vertebral lesion {site.level}"))
            elif site.kind == "spinal":
                unknown_level += 1
                vertebral_ev.append(_condition_evidence(cond, "spinal lesion, level unknown"))
            else:
                extraspinal.add(site.key)
                extra_ev.append(_condition_evidence(cond, f"extraspinal bone lesion {site.label}"))

    def capped(low: int, widen: int, floor: int) -> frozenset[int]:
        return frozenset(min(n, COUNT_CAP) for n in range(low, low + widen + 1) if n >= floor)

    vertebral: Possible[int]
    v_chosen = _pick(found, "vertebral-metastases-count")
    if v_chosen is not None:
        vertebral = Possible(
            frozenset(min(v, COUNT_CAP) for v in v_chosen.values if isinstance(v, int))
        )
        v_basis = Basis(v_chosen.evidence, tuple(filter(None, [v_chosen.conflict])))
    else:
        values = capped(len(levels), unsited + unknown_level, 1)
        vertebral = Possible(values) if values else Possible.unknown(range(1, COUNT_CAP + 1))
        notes = []
        if unsited or unknown_level:
            notes.append(
                f"{unsited + unknown_level} lesion(s) without a spinal level widen the count."
            )
        v_basis = Basis(tuple(vertebral_ev), tuple(notes))
    if not vertebral.known:
        v_basis = Basis(settle=_SETTLE["tokuhashi-vertebral-metastases"])

    e_chosen = _pick(found, "extraspinal-bone-metastases-count")
    if e_chosen is not None:
        extra = Possible(
            frozenset(min(v, COUNT_CAP) for v in e_chosen.values if isinstance(v, int))
        )
        e_basis = Basis(e_chosen.evidence, tuple(filter(None, [e_chosen.conflict])))
    else:
        extra = Possible(capped(len(extraspinal), unsited, 0))
        notes = ["Derived from bone-metastasis Conditions (none coded = none)."]
        if unsited:
            notes.append(f"{unsited} bone metastasis(es) without a site widen the count.")
        e_basis = Basis(tuple(extra_ev), tuple(notes))
    return vertebral, v_basis, extra, e_basis


def _coded_presence(
    found: _Findings,
    code: str,
    coded: list[ConditionRecord],
    enum: type[E],
    none: E,
    present: tuple[E, E],
    label: str,
) -> tuple[Possible[E], Basis]:
    chosen = _pick_enum(found, code)
    if chosen is not None:
        return _enum_input(chosen, enum, _SETTLE.get(code))
    if not coded:
        note = f"No {label} metastasis Condition coded: none."
        return Possible.of(none), Basis(notes=(note,))
    evidence = tuple(_condition_evidence(c, f"{label} metastasis") for c in coded)
    note = (
        f"{label.capitalize()} metastasis coded but not assessed: "
        f"either {present[0].value} or {present[1].value}."
    )
    return Possible.of(*present), Basis(
        evidence, (note,), f"record {code} ({', '.join(e.value for e in enum)})"
    )


def _primary(
    ctx: _Context, found: _Findings, staging: _Staging
) -> tuple[Possible[PrimarySite], Basis, Possible[Growth], Basis]:
    candidates = staging.primaries
    linked = {ref: v for ref, v in candidates.items() if ref in staging.linked}
    chosen = linked or candidates
    sites: set[PrimarySite] = set()
    evidence = []
    for cond, cond_sites in chosen.values():
        sites |= cond_sites
        shown = ", ".join(sorted(s.value for s in cond_sites))
        evidence.append(_condition_evidence(cond, f"primary tumour: {shown}"))
    notes = []
    if linked:
        notes.append("Primary linked by mCODE relatedPrimaryCancerCondition.")
    if len(chosen) > 1:
        notes.append(f"{len(chosen)} primary tumour Conditions: the range covers each.")

    site_pick = _pick_enum(found, "tokuhashi-primary-site")
    if site_pick is not None:
        site_input, site_basis = _enum_input(
            site_pick, PrimarySite, _SETTLE["tokuhashi-primary-site"]
        )
    elif sites:
        site_input = Possible(frozenset(sites))
        site_basis = Basis(tuple(evidence), tuple(notes))
    else:
        site_input = Possible.unknown(PrimarySite)
        site_basis = Basis(settle=_SETTLE["tokuhashi-primary-site"])

    growth_pick = _pick_enum(found, "tomita-primary-growth")
    if growth_pick is not None:
        growth_input, growth_basis = _enum_input(
            growth_pick, Growth, _SETTLE["tomita-primary-tumor"]
        )
    elif sites:
        growth: set[Growth] = set()
        for site in sites:
            mapped = ctx.term.translate(SITE_SYSTEM, site.value, FINDING)
            growth |= {Growth(g) for g in mapped} if mapped else set(Growth)
        growth_input = Possible(frozenset(growth))
        growth_notes = list(notes)
        if len(growth) > 1:
            growth_notes.append(
                "Growth class not defined for this tumour by the sources: a range until "
                "tomita-primary-growth is recorded."
            )
        growth_basis = Basis(
            tuple(evidence), tuple(growth_notes),
            "record tomita-primary-growth (slow, moderate, rapid)" if len(growth) > 1 else None,
        )  # fmt: skip
    else:
        growth_input = Possible.unknown(Growth)
        growth_basis = Basis(settle=_SETTLE["tomita-primary-tumor"])
    return site_input, site_basis, growth_input, growth_basis


def _kps(found: _Findings) -> tuple[Possible[int], Basis]:
    chosen = choose_latest(found.kps, "Karnofsky", str)
    if chosen is not None:
        conflict = (chosen.conflict,) if chosen.conflict else ()
        return Possible(chosen.values), Basis(chosen.evidence, conflict)
    ecog = choose_latest(found.ecog, "ECOG", str)
    if ecog is None:
        return Possible.unknown(KPS_VALUES), Basis(settle=_SETTLE["tokuhashi-general-condition"])
    kps: set[int] = set()
    for grade in ecog.values:
        low, high = _ECOG_KPS[grade]
        kps |= set(range(low, high + 1, 10))
    grades = "/".join(str(g) for g in sorted(ecog.values))
    note = f"ECOG {grades} stands in for Karnofsky {min(kps)}–{max(kps)}."
    notes: tuple[str, ...] = (note, ecog.conflict) if ecog.conflict else (note,)
    return Possible(frozenset(kps)), Basis(
        ecog.evidence, notes, _SETTLE["tokuhashi-general-condition"]
    )


def _palsy(found: _Findings) -> tuple[Possible[Frankel], Basis]:
    frankel = _pick_enum(found, "frankel-grade")
    if frankel is not None:
        return _enum_input(frankel, Frankel, _SETTLE["tokuhashi-palsy"])
    ais = _pick_enum(found, "asia-impairment-scale")
    if ais is None:
        return Possible.unknown(Frankel), Basis(settle=_SETTLE["tokuhashi-palsy"])
    palsy, basis = _enum_input(ais, Frankel, _SETTLE["tokuhashi-palsy"])
    grades = "/".join(sorted(g.value for g in palsy.values))
    return palsy, basis.plus(notes=[f"AIS grade {grades} stands in for Frankel {grades}."])


def _level_inputs(found: _Findings, level: str, origin: list[Evidence]) -> LevelAssessment:
    basis: dict[str, Basis] = {"sins-location": Basis(tuple(origin))}
    picked: dict[str, Possible[Enum]] = {}
    enums: dict[str, type[Enum]] = {
        "spinal-pain": Pain,
        "bone-lesion-quality": BoneLesion,
        "spinal-alignment": Alignment,
        "vertebral-body-collapse": Collapse,
        "posterolateral-involvement": Posterolateral,
    }
    for finding, component in SINS_FINDINGS.items():
        possible, basis[component] = _enum_input(
            _pick_enum(found, finding, level), enums[finding], _SETTLE[component]
        )
        picked[finding] = possible
    inputs = SinsInput(
        level,
        pain=_cast(picked["spinal-pain"], Pain),
        bone_lesion=_cast(picked["bone-lesion-quality"], BoneLesion),
        alignment=_cast(picked["spinal-alignment"], Alignment),
        collapse=_cast(picked["vertebral-body-collapse"], Collapse),
        posterolateral=_cast(picked["posterolateral-involvement"], Posterolateral),
    )
    return LevelAssessment(level, inputs, basis)


def _cast(possible: Possible[Enum], enum: type[E]) -> Possible[E]:
    return Possible(frozenset(v for v in possible.values if isinstance(v, enum)), possible.known)


def _levels(
    found: _Findings, staging: _Staging
) -> tuple[tuple[LevelAssessment, ...], tuple[tuple[str, str], ...]]:
    origin: dict[str, list[Evidence]] = defaultdict(list)
    unscored: list[tuple[str, str]] = []
    for lesion in staging.lesions:
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                origin[site.level].append(
                    _condition_evidence(lesion.condition, f"lesion at {site.level}")
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
            for level in found.levels[_key(obs)] or ():
                origin.setdefault(level, [])
    scored = []
    for level in sorted(origin, key=level_order):
        if location_of(level) is None:
            unscored.append((level, f"SINS does not define a location score for the {level}"))
            continue
        scored.append(_level_inputs(found, level, origin[level]))
    return tuple(scored), tuple(unscored)


def extract_patient(data: PatientData, term: Terminology) -> PatientAssessment:
    """All score inputs of one patient (contract §2)."""
    ctx = _Context(term, list(data.issues))
    staging = _read_staging(ctx, data.conditions)
    lesion_levels: dict[str, frozenset[str]] = {}
    for lesion in staging.lesions:
        if lesion.condition.ref.reference:
            lesion_levels[lesion.condition.ref.reference] = frozenset(
                s.level for s in lesion.sites if s.level is not None
            )
    found = _read_findings(ctx, data.observations, lesion_levels)
    levels, unscored = _levels(found, staging)

    vertebral, v_basis, extra, e_basis = _counts(found, staging)
    site, site_basis, growth, growth_basis = _primary(ctx, found, staging)
    visceral, visceral_basis = _coded_presence(
        found, "visceral-metastases", staging.visceral, Visceral, Visceral.NONE,
        (Visceral.TREATABLE, Visceral.UNTREATABLE), "visceral",
    )  # fmt: skip
    major, major_basis = _coded_presence(
        found, "major-organ-metastases", staging.major, MajorOrgan, MajorOrgan.NONE,
        (MajorOrgan.REMOVABLE, MajorOrgan.UNREMOVABLE), "major-organ",
    )  # fmt: skip
    extent_pick = _pick_enum(found, "bone-metastasis-extent")
    if extent_pick is not None:
        bone, bone_basis = _enum_input(extent_pick, BoneExtent, _SETTLE["tomita-bone-metastases"])
    else:
        bone = bone_extent_from_counts(vertebral, extra)
        if not vertebral.known and not bone.certain:
            bone = Possible.unknown(BoneExtent)
            bone_basis = Basis(settle=_SETTLE["tomita-bone-metastases"])
        else:
            bone_basis = Basis(
                (*v_basis.evidence, *e_basis.evidence),
                ("Derived from the vertebral and extraspinal counts.",),
            )
    kps, kps_basis = _kps(found)
    palsy, palsy_basis = _palsy(found)

    for label, reason in unscored:
        ctx.issues.append(
            Issue("warning", "not-supported", f"SINS not scored at {label}: {reason}.")
        )
    return PatientAssessment(
        patient=data.patient,
        levels=levels,
        unscored=unscored,
        tomita=TomitaInput(growth, visceral, bone),
        tokuhashi=TokuhashiInput(kps, extra, vertebral, major, site, palsy),
        basis={
            "tomita-primary-tumor": growth_basis,
            "tomita-visceral-metastases": visceral_basis,
            "tomita-bone-metastases": bone_basis,
            "tokuhashi-general-condition": kps_basis,
            "tokuhashi-extraspinal-bone-metastases": e_basis,
            "tokuhashi-vertebral-metastases": v_basis,
            "tokuhashi-major-organ-metastases": major_basis,
            "tokuhashi-primary-site": site_basis,
            "tokuhashi-palsy": palsy_basis,
        },
        issues=tuple(ctx.issues),
    )
