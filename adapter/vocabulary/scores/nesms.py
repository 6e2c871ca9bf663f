"""The New England Spinal Metastasis Score (Ghori et al., Spine J 2015; named NESMS by
Schoenfeld et al., Spine J 2016). Total 0-3: the points add up to at most 4 and the published
model caps the score at 3. Survival per value is UNCONFIRMED, so NESMS has no bands: the total
is shown without a label (scores-more.md)."""

from __future__ import annotations

from adapter.vocabulary.specs import ComponentSpec, MethodSpec, ScoreSpec

__all__ = ["NESMS", "NESMS_ALBUMIN", "NESMS_AMBULATORY", "NESMS_BAUER", "NESMS_UNLABELLED"]

NESMS_UNLABELLED = (
    "No survival label per NESMS value is confirmed from the sources: the total is shown alone."
)

NESMS_BAUER = ComponentSpec(
    code="nesms-modified-bauer",
    display="NESMS modified Bauer score",
    definition="NESMS factor: modified Bauer score 3 or more 2; less than 3 0.",
    title="Modified Bauer ≥ 3",
    short="modified Bauer",
    settle="settle the modified Bauer score (primary, visceral metastases, bone metastases)",
)
NESMS_AMBULATORY = ComponentSpec(
    code="nesms-ambulatory",
    display="NESMS ambulatory status",
    definition="NESMS factor: ambulatory status intact (normal) 1; not 0.",
    title="Ambulatory status intact",
    short="ambulation",
    settle="record the ambulatory status (independent, with aid, non-ambulatory)",
)
NESMS_ALBUMIN = ComponentSpec(
    code="nesms-albumin",
    display="NESMS serum albumin",
    definition="NESMS factor: serum albumin 3.5 g/dL (35 g/L) or more 1; lower 0.",
    title="Serum albumin ≥ 3.5 g/dL",
    short="albumin",
    settle="record a serum albumin (LOINC 1751-7, 61151-7 or 61152-5)",
)

NESMS = ScoreSpec(
    code="nesms",
    display="New England Spinal Metastasis Score total",
    definition="Total of the New England Spinal Metastasis Score (Ghori et al., Spine J 2015; "
    "Schoenfeld et al., Spine J 2016): 0-3, modified Bauer 3 or more 2, ambulatory status "
    "intact 1, serum albumin 3.5 g/dL or more 1, capped at 3. Higher is better. No published "
    "label per value.",
    title="NESMS (2015)",
    short_title="NESMS",
    source="Ghori 2015",
    method=MethodSpec(
        "nesms-2015",
        "New England Spinal Metastasis Score, Ghori et al. 2015",
        "Method: the New England Spinal Metastasis Score as published by Ghori et al., Spine J "
        "2015, and validated by Schoenfeld et al., Spine J 2016: min(sum of the points, 3).",
    ),
    components=(NESMS_BAUER, NESMS_AMBULATORY, NESMS_ALBUMIN),
    bands=(),
)
