"""The Tomita score: Tomita K et al., Spine 2001;26(3):298."""

from __future__ import annotations

from adapter.vocabulary.scores.inputs import (
    SETTLE_BONE_EXTENT,
    SETTLE_VISCERAL,
    SHORT_BONE_EXTENT,
    SHORT_VISCERAL,
)
from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = ["TOMITA", "TOMITA_BONE", "TOMITA_PRIMARY", "TOMITA_VISCERAL"]

TOMITA_PRIMARY = ComponentSpec(
    code="tomita-primary-tumor",
    display="Tomita primary tumour growth",
    definition="Tomita factor primary tumour growth: slow growth 1; moderate growth 2; "
    "rapid growth 4.",
    title="Primary tumour growth",
    short="primary growth",
    settle="record the primary tumour Condition, or the Tomita primary tumour growth "
    "(slow, moderate, rapid)",
)

TOMITA_VISCERAL = ComponentSpec(
    code="tomita-visceral-metastases",
    display="Tomita visceral metastases",
    definition="Tomita factor visceral metastases: none 0; treatable 2; untreatable 4.",
    title="Visceral metastases",
    short=SHORT_VISCERAL,
    settle=SETTLE_VISCERAL,
)

TOMITA_BONE = ComponentSpec(
    code="tomita-bone-metastases",
    display="Tomita bone metastases",
    definition="Tomita factor bone metastases, spinal ones included: solitary or "
    "isolated 1; multiple 2.",
    title="Bone metastases",
    short=SHORT_BONE_EXTENT,
    settle=SETTLE_BONE_EXTENT,
)


TOMITA = ScoreSpec(
    code="tomita",
    display="Tomita score total",
    definition="Total of the Tomita score (Tomita et al., Spine 2001;26:298): 2-10, per "
    "patient, the sum of primary tumour growth, visceral metastases and bone metastases.",
    title="Tomita",
    short_title="Tomita",
    source="Tomita 2001",
    method=MethodSpec(
        "tomita-2001",
        "Tomita score, Tomita et al. 2001",
        "Method: the Tomita score as published by Tomita et al., Spine 2001;26:298.",
    ),
    components=(
        TOMITA_PRIMARY,
        TOMITA_VISCERAL,
        TOMITA_BONE,
    ),
    bands=(
        BandSpec(
            code="tomita-long-term-control",
            low=2,
            high=3,
            display="Tomita 2-3: long-term local control",
            definition="Tomita total 2-3: treatment goal long-term local control; surgical "
            "strategy wide or marginal excision.",
            label="long-term local control",
            short_label="long-term local control",
            wording="Published strategy for this band (Tomita 2001): treatment goal long-term "
            "local control, wide or marginal excision.",
            excision=True,
        ),
        BandSpec(
            code="tomita-middle-term-control",
            low=4,
            high=5,
            display="Tomita 4-5: middle-term local control",
            definition="Tomita total 4-5: treatment goal middle-term local control; surgical "
            "strategy marginal or intralesional excision.",
            label="middle-term local control",
            short_label="middle-term local control",
            wording="Published strategy for this band (Tomita 2001): treatment goal middle-term "
            "local control, marginal or intralesional excision.",
            excision=True,
        ),
        BandSpec(
            code="tomita-short-term-palliation",
            low=6,
            high=7,
            display="Tomita 6-7: short-term palliation",
            definition="Tomita total 6-7: treatment goal short-term palliation; surgical "
            "strategy palliative surgery.",
            label="short-term palliation",
            short_label="short-term palliation",
            wording="Published strategy for this band (Tomita 2001): treatment goal short-term "
            "palliation, palliative surgery.",
        ),
        BandSpec(
            code="tomita-terminal-care",
            low=8,
            high=10,
            display="Tomita 8-10: terminal care",
            definition="Tomita total 8-10: treatment goal terminal care; non-operative "
            "supportive care.",
            label="terminal care",
            short_label="terminal care",
            wording="Published strategy for this band (Tomita 2001): terminal care, non-operative "
            "supportive care.",
        ),
    ),
)
