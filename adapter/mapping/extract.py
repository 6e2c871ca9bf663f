"""One patient's FHIR records → the typed inputs of every score (contract §2).

Metastasis Conditions are the staging record (none coded = none); assessments are never assumed
(missing stays missing); an explicit finding is the clinician's word and beats any derivation.
Invalid resources are reported as issues and then left out, as if absent.
"""

from __future__ import annotations

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData
from adapter.mapping.assessment import LevelAssessment, PatientAssessment
from adapter.mapping.components import (
    coded_presence,
    counts,
    kps_input,
    levels_of,
    palsy_input,
    primary,
)
from adapter.mapping.context import Context
from adapter.mapping.evidence import Basis
from adapter.mapping.observations import (
    ECOG,
    KARNOFSKY,
    enum_input,
    pick_enum,
    read_findings,
    read_observation,
)
from adapter.mapping.staging import read_staging
from adapter.mapping.terminology import Terminology
from adapter.scoring import (
    BoneExtent,
    MajorOrgan,
    Possible,
    TokuhashiInput,
    TomitaInput,
    Visceral,
    bone_extent_from_counts,
)
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

__all__ = [
    "ECOG",
    "KARNOFSKY",
    "LevelAssessment",
    "PatientAssessment",
    "extract_patient",
    "read_observation",
]


def extract_patient(data: PatientData, term: Terminology) -> PatientAssessment:
    """All score inputs of one patient (contract §2)."""
    ctx = Context(term, list(data.issues))
    staging = read_staging(ctx, data.conditions)
    lesion_levels: dict[str, frozenset[str]] = {}
    for lesion in staging.lesions:
        if lesion.condition.ref.reference:
            lesion_levels[lesion.condition.ref.reference] = frozenset(
                s.level for s in lesion.sites if s.level is not None
            )
    found = read_findings(ctx, data.observations, lesion_levels)
    levels, unscored = levels_of(found, staging)

    vertebral, v_basis, extra, e_basis = counts(found, staging)
    site, site_basis, growth, growth_basis = primary(ctx, found, staging)
    visceral, visceral_basis = coded_presence(
        found,
        finding="visceral-metastases",
        component=TOMITA_VISCERAL,
        coded=staging.visceral,
        enum=Visceral,
        none=Visceral.NONE,
        present=(Visceral.TREATABLE, Visceral.UNTREATABLE),
        label="visceral",
    )
    major, major_basis = coded_presence(
        found,
        finding="major-organ-metastases",
        component=TOKUHASHI_MAJOR_ORGAN,
        coded=staging.major,
        enum=MajorOrgan,
        none=MajorOrgan.NONE,
        present=(MajorOrgan.REMOVABLE, MajorOrgan.UNREMOVABLE),
        label="major-organ",
    )
    extent_pick = pick_enum(found, "bone-metastasis-extent")
    if extent_pick is not None:
        bone, bone_basis = enum_input(extent_pick, BoneExtent, TOMITA_BONE.settle)
    else:
        bone = bone_extent_from_counts(vertebral, extra)
        if not vertebral.known and not bone.certain:
            bone = Possible.unknown(BoneExtent)
            bone_basis = Basis(settle=TOMITA_BONE.settle)
        else:
            bone_basis = Basis(
                (*v_basis.evidence, *e_basis.evidence),
                ("Derived from the vertebral and extraspinal counts.",),
            )
    kps, kps_basis = kps_input(found)
    palsy, palsy_basis = palsy_input(found)

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
            TOMITA_PRIMARY.code: growth_basis,
            TOMITA_VISCERAL.code: visceral_basis,
            TOMITA_BONE.code: bone_basis,
            TOKUHASHI_GENERAL.code: kps_basis,
            TOKUHASHI_EXTRASPINAL.code: e_basis,
            TOKUHASHI_VERTEBRAL.code: v_basis,
            TOKUHASHI_MAJOR_ORGAN.code: major_basis,
            TOKUHASHI_PRIMARY.code: site_basis,
            TOKUHASHI_PALSY.code: palsy_basis,
        },
        issues=tuple(ctx.issues),
    )
