"""How to record the inputs several scores share: one wording each, whichever score's component
asks for it (the "record …" of a range that is not settled)."""

from __future__ import annotations

__all__ = [
    "SETTLE_BONE_EXTENT",
    "SETTLE_KPS",
    "SETTLE_PRIMARY",
    "SETTLE_VISCERAL",
    "SHORT_BONE_EXTENT",
    "SHORT_VISCERAL",
]

SETTLE_BONE_EXTENT = (
    "record the bone metastases with their sites, or the bone-metastasis extent "
    "(solitary, multiple)"
)
SETTLE_KPS = "record a Karnofsky performance status (LOINC 89243-0)"
SETTLE_PRIMARY = "record the primary tumour Condition"
SETTLE_VISCERAL = "record the visceral metastases (none, treatable, untreatable)"
SHORT_BONE_EXTENT = "bone mets extent"
SHORT_VISCERAL = "visceral mets"
