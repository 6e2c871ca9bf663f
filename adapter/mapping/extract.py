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
    SETTLE,
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
        found, "visceral-metastases", staging.visceral, Visceral, Visceral.NONE,
        (Visceral.TREATABLE, Visceral.UNTREATABLE), "visceral",
    )  # fmt: skip
    major, major_basis = coded_presence(
        found, "major-organ-metastases", staging.major, MajorOrgan, MajorOrgan.NONE,
        (MajorOrgan.REMOVABLE, MajorOrgan.UNREMOVABLE), "major-organ",
    )  # fmt: skip
    extent_pick = pick_enum(found, "bone-metastasis-extent")
    if extent_pick is not None:
        bone, bone_basis = enum_input(extent_pick, BoneExtent, SETTLE["tomita-bone-metastases"])
    else:
        bone = bone_extent_from_counts(vertebral, extra)
        if not vertebral.known and not bone.certain:
            bone = Possible.unknown(BoneExtent)
            bone_basis = Basis(settle=SETTLE["tomita-bone-metastases"])
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
