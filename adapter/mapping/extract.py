"""One patient's FHIR records → the typed inputs of every score and check (contract §2).

Metastasis Conditions are the staging record (none coded = none); assessments are never assumed
(missing stays missing); an explicit finding is the clinician's word and beats any derivation.
Invalid resources are reported as issues and then left out, as if absent; inputs timed after the
computation time are reported and not used; dated ones are used and named as dated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord, PatientRecord
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.assessment import LevelAssessment, PatientAssessment
from adapter.mapping.context import Context
from adapter.mapping.counts import count_inputs
from adapter.mapping.findings import SINS_FINDINGS, Finding, choose_latest
from adapter.mapping.levels import (
    PLACED_FINDINGS,
    LevelPlan,
    open_levels,
    plan_levels,
    unscored_line,
)
from adapter.mapping.more import more_inputs
from adapter.mapping.observations import (
    ALBUMIN_LOINC,
    Findings,
    read_findings,
    read_observation,
)
from adapter.mapping.responses import counted_once
from adapter.mapping.rules import DEFAULT_RULES, Rules
from adapter.mapping.safety import safety_inputs
from adapter.mapping.sins import level_assessment
from adapter.mapping.staging import (
    Staging,
    at_computation_time,
    is_current_condition,
    read_staging,
)
from adapter.mapping.status import kps_input, latest_palsy, palsy_input
from adapter.mapping.terminology import Terminology
from adapter.mapping.treatments import read_treatments, under_way
from adapter.mapping.tumour import Presence, organs_disagree, presence, primary_inputs
from adapter.mapping.unused import named
from adapter.scoring import MajorOrgan, TokuhashiInput, TomitaInput, Visceral
from adapter.vocabulary import (
    TOKUHASHI_EXTRASPINAL,
    TOKUHASHI_GENERAL,
    TOKUHASHI_MAJOR_ORGAN,
    TOKUHASHI_PALSY,
    TOKUHASHI_PRIMARY,
    TOKUHASHI_VERTEBRAL,
    TOMITA_BONE,
    TOMITA_PRIMARY,
    TOMITA_VISCERAL,
)
from adapter.vocabulary.cards import shorten
from adapter.vocabulary.findings import MAJOR_ORGAN_METASTASES, VISCERAL_METASTASES

__all__ = [
    "LevelAssessment",
    "PatientAssessment",
    "extract_patient",
    "findings_and_levels",
    "read_observation",
]

_VISCERAL = Presence(
    VISCERAL_METASTASES,
    TOMITA_VISCERAL,
    "visceral",
    Visceral,
    Visceral.NONE,
    (Visceral.TREATABLE, Visceral.UNTREATABLE),
)
_MAJOR = Presence(
    MAJOR_ORGAN_METASTASES,
    TOKUHASHI_MAJOR_ORGAN,
    "major-organ",
    MajorOrgan,
    MajorOrgan.NONE,
    (MajorOrgan.REMOVABLE, MajorOrgan.UNREMOVABLE),
)


def _deceased(ctx: Context, record: PatientRecord | None) -> str | None:
    """How the record says the patient had died by the computation time, if it does."""
    if record is None or not record.deceased:
        return None
    if record.deceased_time is None:
        return f"{record.ref.reference} is recorded as deceased"
    if ctx.from_future(record.ref, record.deceased_time, "The date of death"):
        return None
    return f"{record.ref.reference} died {record.deceased_time.text}"


def _named(cond: ConditionRecord, term: Terminology) -> ConditionRecord:
    """The Condition with a name for card text: the record's own, else our mappings' display."""
    if cond.name or not cond.codes:
        return cond
    first = cond.codes[0]
    return cond._replace(name=term.display(first.system or "", first.code, broader=True))


def _haematological(ctx: Context, conditions: Iterable[ConditionRecord]) -> bool:
    """Whether a current Condition is a haematological malignancy (its ValueSet in mappings/)."""
    return any(
        is_current_condition(at_computation_time(cond, ctx.now))
        and not ctx.from_future(cond.ref, cond.time, partial(named, ctx, cond))
        and any(
            ctx.term.in_value_set("haematological-malignancy", c.system, c.code) for c in cond.codes
        )
        for cond in conditions
    )


def _warn_unplaceable(ctx: Context, found: Findings) -> None:
    """A SINS finding whose bodySite names no spinal level applies to no level: say so."""
    for code in SINS_FINDINGS:
        for finding in found.coded.get(code, []):
            if finding.levels is not None and not finding.levels:
                ref = finding.obs.ref.reference
                words = None if finding.obs.body_sites else finding.obs.site_names[0]
                why = "names no spinal level"
                if words:
                    why = f"is in words only ({shorten(words, 60)!r}), never read as a level"
                message = f"{ref}: its body site {why}, so it applies to none."
                ctx.issues.append(Issue("warning", "not-supported", message, ref))


def findings_and_levels(
    ctx: Context, data: PatientData, staging: Staging
) -> tuple[Findings, LevelPlan]:
    """The findings, each placed at its levels, and the levels SINS is scored at (contract §2)."""
    lesion_levels = {
        lesion.condition.ref.reference: lesion.levels
        for lesion in staging.lesions
        if lesion.condition.ref.reference
    }
    found = read_findings(ctx, counted_once(data.observations, data.responses), lesion_levels)
    _warn_unplaceable(ctx, found)
    placed = [(code, f) for code in PLACED_FINDINGS for f in found.coded.get(code, []) if f.levels]
    plan = plan_levels(ctx, staging, placed)
    for label, reason in plan.unscored:
        message = unscored_line(label, reason)
        ctx.issues.append(Issue("warning", "not-supported", message))
    return found, plan


def extract_patient(
    data: PatientData, term: Terminology, *, now: ClinicalTime, rules: Rules = DEFAULT_RULES
) -> PatientAssessment:
    """All score and check inputs of one patient at computation time ``now`` (contract §2)."""
    ctx = Context(term, rules, now, list(data.issues))
    deceased = _deceased(ctx, data.record)
    conditions = [_named(c, term) for c in data.conditions]
    staging = read_staging(ctx, conditions)
    found, plan = findings_and_levels(ctx, data, staging)
    treatments = read_treatments(ctx, data.procedures, staging)
    fractures = (*staging.neoplastic_fractures, *staging.other_fractures)
    levels = tuple(
        level_assessment(found, plan, level, treatments, fractures) for level in plan.levels
    )
    counts = count_inputs(found, staging)
    primary = primary_inputs(ctx, found, staging)
    visceral, visceral_basis = presence(found, staging.visceral, _VISCERAL, staging.unplaced)
    maybe_major = [*staging.unplaced, *staging.maybe_major]
    major, major_basis = presence(found, staging.major, _MAJOR, maybe_major)
    clash = organs_disagree(visceral, major)
    visceral_basis, major_basis = (
        visceral_basis.plus(caveats=clash),
        major_basis.plus(caveats=clash),
    )
    kps, kps_basis = kps_input(found)
    palsy, palsy_basis = palsy_input(found)
    safety = safety_inputs(ctx, found, staging, data.medications)
    assessment = PatientAssessment(
        patient=data.patient,
        record=data.record,
        deceased=deceased,
        bone_lesions=bool(staging.lesions),
        levels=levels,
        unscored=tuple(plan.unscored),
        unread=tuple(staging.unread),
        tomita=TomitaInput(primary.growth, visceral, counts.bone),
        tokuhashi=TokuhashiInput(
            kps, counts.extraspinal, counts.vertebral, major, primary.site, palsy, counts.pairs
        ),
        basis={
            TOMITA_PRIMARY.code: primary.growth_basis,
            TOMITA_VISCERAL.code: visceral_basis,
            TOMITA_BONE.code: counts.bone_basis,
            TOKUHASHI_GENERAL.code: kps_basis,
            TOKUHASHI_EXTRASPINAL.code: counts.extraspinal_basis,
            TOKUHASHI_VERTEBRAL.code: counts.vertebral_basis,
            TOKUHASHI_MAJOR_ORGAN.code: major_basis,
            TOKUHASHI_PRIMARY.code: primary.site_basis,
            TOKUHASHI_PALSY.code: palsy_basis,
        },
        safety=safety,
        issues=tuple(ctx.issues),
        treatments=treatments,
        under_way=under_way(ctx, data.procedures, staging),
        albumin=choose_latest(found.labs.get("albumin", []), _albumin_method, _grams_per_litre),
        haematological=_haematological(ctx, conditions),
        stray=tuple(plan.stray),
        open_levels=open_levels(staging, plan),
    )
    return _with_more(ctx, found, staging, assessment)


def _with_more(
    ctx: Context, found: Findings, staging: Staging, a: PatientAssessment
) -> PatientAssessment:
    """The inputs of the v3 tools, from what the assessment has read (contract §1 v3)."""
    more = more_inputs(
        ctx,
        found,
        staging,
        a.levels,
        tomita_visceral=(a.tomita.visceral, a.basis[TOMITA_VISCERAL.code]),
        bone=(a.tomita.bone, a.basis[TOMITA_BONE.code]),
        site=(a.tokuhashi.primary_site, a.basis[TOKUHASHI_PRIMARY.code]),
        kps=(a.tokuhashi.kps, a.basis[TOKUHASHI_GENERAL.code]),
        palsy=latest_palsy(found),
        albumin=a.albumin,
    )
    return replace(a, more=more)


def _grams_per_litre(value: float) -> str:
    return f"{value:g} g/L"


def _albumin_method(finding: Finding[float]) -> str:
    """ "albumin", or "albumin (bromocresol green)": the method is named, never adjusted for."""
    method = next((ALBUMIN_LOINC[c.code] for c in finding.obs.codes if c.code in ALBUMIN_LOINC), "")
    return f"albumin ({method})" if method else "albumin"
