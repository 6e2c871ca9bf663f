"""The Bauer score (Bauer, Wedin, Acta Orthop Scand 1995;66:143) and the modified Bauer score
(Leithner et al., Eur Spine J 2008;17:1488): one point per favourable factor; the modified score
drops the pathological-fracture item. Per-group survival of the modified score is UNCONFIRMED
(full text not read), so its bands carry the published strategy only (scores-more.md)."""

from __future__ import annotations

from adapter.vocabulary.scores.inputs import (
    SETTLE_BONE_EXTENT,
    SETTLE_PRIMARY,
    SETTLE_VISCERAL,
    SHORT_BONE_EXTENT,
    SHORT_VISCERAL,
)
from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = [
    "BAUER_FAVOURABLE",
    "BAUER_MODIFIED",
    "BAUER_NOT_LUNG",
    "BAUER_NO_FRACTURE",
    "BAUER_NO_VISCERAL",
    "BAUER_ORIGINAL",
    "BAUER_SOLITARY",
]

BAUER_NO_FRACTURE = ComponentSpec(
    code="bauer-no-pathological-fracture",
    display="Bauer no pathological fracture",
    definition="Bauer factor (original score only): no pathological fracture 1; a "
    "pathological fracture 0.",
    title="No pathological fracture",
    short="fracture",
    settle="record whether there is a pathological fracture (present, absent)",
)
BAUER_NO_VISCERAL = ComponentSpec(
    code="bauer-no-visceral-metastases",
    display="Bauer no visceral metastases",
    definition="Bauer factor: no visceral metastases 1 (original score: no visceral or brain "
    "metastases); present 0.",
    title="No visceral metastases",
    short=SHORT_VISCERAL,
    settle=SETTLE_VISCERAL,
)
BAUER_NOT_LUNG = ComponentSpec(
    code="bauer-primary-not-lung",
    display="Bauer primary tumour is not lung cancer",
    definition="Bauer factor: the primary tumour is not lung cancer 1; lung cancer 0.",
    title="Primary not lung cancer",
    short="primary",
    settle=SETTLE_PRIMARY,
)
BAUER_FAVOURABLE = ComponentSpec(
    code="bauer-primary-favourable",
    display="Bauer primary tumour breast, kidney, lymphoma or myeloma",
    definition="Bauer factor: the primary tumour is breast, kidney, lymphoma or myeloma 1; "
    "any other 0.",
    title="Breast/kidney/lymphoma/myeloma",
    short="primary",
    settle=SETTLE_PRIMARY,
)
BAUER_SOLITARY = ComponentSpec(
    code="bauer-solitary-skeletal-metastasis",
    display="Bauer solitary skeletal metastasis",
    definition="Bauer factor: a solitary skeletal metastasis (one bone site in all) 1; more "
    "than one 0.",
    title="Solitary skeletal metastasis",
    short=SHORT_BONE_EXTENT,
    settle=SETTLE_BONE_EXTENT,
)

_ORIGINAL_SOURCE = "Bauer 1995"
_MODIFIED_SOURCE = "Leithner 2008"

BAUER_ORIGINAL = ScoreSpec(
    code="bauer-original",
    display="Bauer score total",
    definition="Total of the Bauer score (Bauer, Wedin, Acta Orthop Scand 1995;66:143): 0-5, "
    "one point each for no pathological fracture, no visceral metastases, a primary that is "
    "not lung cancer, a primary that is breast, kidney, lymphoma or myeloma, and a solitary "
    "skeletal metastasis. Higher is better.",
    title="Bauer (1995)",
    short_title="Bauer",
    source=_ORIGINAL_SOURCE,
    method=MethodSpec(
        "bauer-1995",
        "Bauer score, Bauer and Wedin 1995",
        "Method: the Bauer score as published by Bauer and Wedin, Acta Orthop Scand 1995;66:143.",
    ),
    components=(
        BAUER_NO_FRACTURE,
        BAUER_NO_VISCERAL,
        BAUER_NOT_LUNG,
        BAUER_FAVOURABLE,
        BAUER_SOLITARY,
    ),
    bands=(
        BandSpec(
            code="bauer-original-0-1",
            low=0,
            high=1,
            display="Bauer 0-1",
            definition="Bauer total 0-1: in the derivation series (241 operated patients) all "
            "died within 6 months.",
            label="group 0–1: all died within 6 months",
            short_label="all died < 6 months",
            wording="Reported for this group (Bauer 1995): all patients died within 6 months.",
        ),
        BandSpec(
            code="bauer-original-2-3",
            low=2,
            high=3,
            display="Bauer 2-3",
            definition="Bauer total 2-3: 1-year survival 0.25 in the derivation series.",
            label="group 2–3: 1-year survival 25 %",
            short_label="1-year survival 25 %",
            wording="Reported for this group (Bauer 1995): 1-year survival 25 %.",
        ),
        BandSpec(
            code="bauer-original-4-5",
            low=4,
            high=5,
            display="Bauer 4-5",
            definition="Bauer total 4-5: 1-year survival 0.50 in the derivation series.",
            label="group 4–5: 1-year survival 50 %",
            short_label="1-year survival 50 %",
            wording="Reported for this group (Bauer 1995): 1-year survival 50 %.",
        ),
    ),
)

BAUER_MODIFIED = ScoreSpec(
    code="bauer-modified",
    display="Modified Bauer score total",
    definition="Total of the modified Bauer score (Leithner et al., Eur Spine J 2008;17:1488): "
    "0-4, the Bauer score without the pathological-fracture item. Higher is better.",
    title="Modified Bauer (2008)",
    short_title="Modified Bauer",
    source=_MODIFIED_SOURCE,
    method=MethodSpec(
        "bauer-modified-2008",
        "Modified Bauer score, Leithner et al. 2008",
        "Method: the modified Bauer score as published by Leithner et al., Eur Spine J "
        "2008;17:1488 (the Bauer score without the pathological-fracture item).",
    ),
    components=(BAUER_NO_VISCERAL, BAUER_NOT_LUNG, BAUER_FAVOURABLE, BAUER_SOLITARY),
    bands=(
        BandSpec(
            code="bauer-modified-0-1",
            low=0,
            high=1,
            display="Modified Bauer 0-1: supportive care",
            definition="Modified Bauer total 0-1: supportive care, no surgery.",
            label="supportive care",
            short_label="supportive care",
            wording="Published strategy for this band (Leithner 2008): supportive care, no "
            "surgery.",
        ),
        BandSpec(
            code="bauer-modified-2",
            low=2,
            high=2,
            display="Modified Bauer 2: short-term palliation",
            definition="Modified Bauer total 2: short-term palliation, posterior surgery.",
            label="short-term palliation",
            short_label="short-term palliation",
            wording="Published strategy for this band (Leithner 2008): short-term palliation, "
            "posterior surgery.",
        ),
        BandSpec(
            code="bauer-modified-3-4",
            low=3,
            high=4,
            display="Modified Bauer 3-4: mid-term local control",
            definition="Modified Bauer total 3-4: mid-term local control, anterior and "
            "posterior surgery.",
            label="mid-term local control",
            short_label="mid-term local control",
            wording="Published strategy for this band (Leithner 2008): mid-term local control, "
            "anterior and posterior surgery.",
        ),
    ),
)
