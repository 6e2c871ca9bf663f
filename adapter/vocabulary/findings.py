"""The finding codes the code reads by name (CodeSystem-finding in mappings/ holds them all,
with their answers and definitions): each written once, so a misspelt code is an import error,
not a finding silently never read. tests/unit/vocabulary checks each is in the CodeSystem."""

from __future__ import annotations

__all__ = [
    "AMBULATORY_STATUS",
    "ASIA_IMPAIRMENT_SCALE",
    "BONE_LESION_QUALITY",
    "BONE_METASTASIS_EXTENT",
    "EPIDURAL_SPINAL_CORD_COMPRESSION",
    "EXTRASPINAL_BONE_METASTASES_COUNT",
    "FRANKEL_GRADE",
    "MAJOR_ORGAN_METASTASES",
    "PATHOLOGICAL_FRACTURE",
    "POSTEROLATERAL_INVOLVEMENT",
    "RADIOSENSITIVITY",
    "SPINAL_ALIGNMENT",
    "SPINAL_PAIN",
    "SPINAL_STABILITY",
    "SURGERY_TOLERANCE",
    "TOKUHASHI_PRIMARY_SITE",
    "TOMITA_PRIMARY_GROWTH",
    "VERTEBRAL_BODY_COLLAPSE",
    "VERTEBRAL_METASTASES_COUNT",
    "VISCERAL_METASTASES",
    "WHOLE_SPINE_ESCC",
]

AMBULATORY_STATUS = "ambulatory-status"
ASIA_IMPAIRMENT_SCALE = "asia-impairment-scale"
BONE_LESION_QUALITY = "bone-lesion-quality"
BONE_METASTASIS_EXTENT = "bone-metastasis-extent"
EPIDURAL_SPINAL_CORD_COMPRESSION = "epidural-spinal-cord-compression"
EXTRASPINAL_BONE_METASTASES_COUNT = "extraspinal-bone-metastases-count"
FRANKEL_GRADE = "frankel-grade"
MAJOR_ORGAN_METASTASES = "major-organ-metastases"
PATHOLOGICAL_FRACTURE = "pathological-fracture"
POSTEROLATERAL_INVOLVEMENT = "posterolateral-involvement"
RADIOSENSITIVITY = "radiosensitivity"
SPINAL_ALIGNMENT = "spinal-alignment"
SPINAL_PAIN = "spinal-pain"
SPINAL_STABILITY = "spinal-stability"
SURGERY_TOLERANCE = "surgery-tolerance"
TOKUHASHI_PRIMARY_SITE = "tokuhashi-primary-site"
TOMITA_PRIMARY_GROWTH = "tomita-primary-growth"
VERTEBRAL_BODY_COLLAPSE = "vertebral-body-collapse"
VERTEBRAL_METASTASES_COUNT = "vertebral-metastases-count"
VISCERAL_METASTASES = "visceral-metastases"
WHOLE_SPINE_ESCC = "whole-spine-escc"
