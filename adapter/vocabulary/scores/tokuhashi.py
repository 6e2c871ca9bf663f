"""The revised Tokuhashi score (Tokuhashi Y et al., Spine 2005;30(19):2186) and the original
(Spine 1990;15(11):1110): one set of components, two totals and band sets."""

from __future__ import annotations

from adapter.vocabulary.scores.inputs import SETTLE_KPS
from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = [
    "TOKUHASHI_EXTRASPINAL",
    "TOKUHASHI_GENERAL",
    "TOKUHASHI_MAJOR_ORGAN",
    "TOKUHASHI_ORIGINAL",
    "TOKUHASHI_PALSY",
    "TOKUHASHI_PRIMARY",
    "TOKUHASHI_REVISED",
    "TOKUHASHI_VERTEBRAL",
]

_TOKUHASHI_BOTH = "Used by the revised (2005) and original (1990) scores."

TOKUHASHI_GENERAL = ComponentSpec(
    code="tokuhashi-general-condition",
    display="Tokuhashi general condition",
    definition="Tokuhashi parameter general condition by Karnofsky performance status: "
    f"poor (KPS 10-40) 0; moderate (KPS 50-70) 1; good (KPS 80-100) 2. {_TOKUHASHI_BOTH}",
    title="General condition (KPS)",
    short="KPS",
    settle=SETTLE_KPS,
)

TOKUHASHI_EXTRASPINAL = ComponentSpec(
    code="tokuhashi-extraspinal-bone-metastases",
    display="Tokuhashi extraspinal bone metastases",
    definition="Tokuhashi parameter number of extraspinal bone metastasis foci: 3 or "
    f"more 0; 1-2 1; none 2. {_TOKUHASHI_BOTH}",
    title="Extraspinal bone metastases",
    short="extraspinal count",
    settle="record the number of extraspinal bone metastases",
)

TOKUHASHI_VERTEBRAL = ComponentSpec(
    code="tokuhashi-vertebral-metastases",
    display="Tokuhashi metastases in the vertebral bodies",
    definition="Tokuhashi parameter number of metastases in the vertebral bodies, index "
    f"lesion included: 3 or more 0; 2 1; 1 2. {_TOKUHASHI_BOTH}",
    title="Vertebral body metastases",
    short="vertebral count",
    settle="record the bone metastases with their vertebral levels, or the number of vertebral "
    "metastases",
)

TOKUHASHI_MAJOR_ORGAN = ComponentSpec(
    code="tokuhashi-major-organ-metastases",
    display="Tokuhashi metastases to the major internal organs",
    definition="Tokuhashi parameter metastases to the major internal organs (lung, "
    f"liver, kidney, brain): unremovable 0; removable 1; none 2. {_TOKUHASHI_BOTH}",
    title="Major internal organ metastases",
    short="organ mets",
    settle="record the major internal organ metastases (none, removable, unremovable)",
)

TOKUHASHI_PRIMARY = ComponentSpec(
    code="tokuhashi-primary-site",
    display="Tokuhashi primary site of the cancer",
    definition=(
        "Tokuhashi parameter primary site of the cancer. Revised (2005): lung, osteosarcoma, "
        "stomach, bladder, oesophagus, pancreas 0; liver, gallbladder, unidentified 1; others 2; "
        "kidney, uterus 3; rectum 4; thyroid, breast, prostate, carcinoid 5. Original (1990): "
        "lung, stomach 0; kidney, liver, uterus, others, unidentified 1; thyroid, prostate, "
        "breast, rectum 2."
    ),
    title="Primary site",
    short="primary site",
    settle="record the primary tumour Condition (ICD-10-CM or SNOMED CT)",
)

TOKUHASHI_PALSY = ComponentSpec(
    code="tokuhashi-palsy",
    display="Tokuhashi palsy",
    definition="Tokuhashi parameter palsy by Frankel grade: complete (Frankel A or B) 0; "
    f"incomplete (Frankel C or D) 1; none (Frankel E) 2. {_TOKUHASHI_BOTH}",
    title="Palsy (Frankel)",
    short="Frankel grade",
    settle="record a Frankel grade (A … E)",
)


_TOKUHASHI_COMPONENTS = (
    TOKUHASHI_GENERAL,
    TOKUHASHI_EXTRASPINAL,
    TOKUHASHI_VERTEBRAL,
    TOKUHASHI_MAJOR_ORGAN,
    TOKUHASHI_PRIMARY,
    TOKUHASHI_PALSY,
)

TOKUHASHI_REVISED = ScoreSpec(
    code="tokuhashi-revised",
    display="Revised Tokuhashi score total",
    definition="Total of the revised Tokuhashi score (Tokuhashi et al., Spine 2005;30:2186): "
    "0-15, per patient, the sum of six parameters (primary site scored 0-5, the others 0-2).",
    title="Revised Tokuhashi (2005)",
    short_title="Revised Tokuhashi",
    source="Tokuhashi 2005",
    method=MethodSpec(
        "tokuhashi-revised-2005",
        "Revised Tokuhashi score, Tokuhashi et al. 2005",
        "Method: the revised Tokuhashi score as published by Tokuhashi et al., Spine 2005;30:2186.",
    ),
    components=_TOKUHASHI_COMPONENTS,
    bands=(
        BandSpec(
            code="tokuhashi-lt-6-months",
            low=0,
            high=8,
            display="Revised Tokuhashi 0-8: predicted survival < 6 months",
            definition="Revised Tokuhashi total 0-8: predicted survival less than 6 months; "
            "recommended treatment conservative.",
            label="predicted survival < 6 months",
            short_label="predicted survival < 6 months",
            wording="Published strategy for this band (Tokuhashi 2005): conservative treatment "
            "(predicted survival < 6 months).",
        ),
        BandSpec(
            code="tokuhashi-ge-6-months",
            low=9,
            high=11,
            display="Revised Tokuhashi 9-11: predicted survival >= 6 months",
            definition="Revised Tokuhashi total 9-11: predicted survival 6 months or more; "
            "recommended treatment palliative surgery, excisional surgery if a single lesion "
            "and no metastases to the major internal organs.",
            label="predicted survival ≥ 6 months",
            short_label="predicted survival ≥ 6 months",
            wording="Published strategy for this band (Tokuhashi 2005): palliative surgery; "
            "excisional surgery if a single lesion and no metastases to major internal organs "
            "(predicted survival ≥ 6 months).",
        ),
        BandSpec(
            code="tokuhashi-ge-12-months",
            low=12,
            high=15,
            display="Revised Tokuhashi 12-15: predicted survival >= 12 months",
            definition="Revised Tokuhashi total 12-15: predicted survival 12 months or more; "
            "recommended treatment excisional surgery.",
            label="predicted survival ≥ 12 months",
            short_label="predicted survival ≥ 12 months",
            wording="Published strategy for this band (Tokuhashi 2005): excisional surgery "
            "(predicted survival ≥ 12 months).",
            excision=True,
        ),
    ),
)

TOKUHASHI_ORIGINAL = ScoreSpec(
    code="tokuhashi-original",
    display="Original Tokuhashi score total",
    definition="Total of the original Tokuhashi score (Tokuhashi et al., Spine 1990;15:1110): "
    "0-12, per patient, the same six parameters as the revised score, each scored 0-2 (primary "
    "site in three groups).",
    title="Original Tokuhashi (1990)",
    short_title="Original Tokuhashi",
    source="Tokuhashi 1990",
    method=MethodSpec(
        "tokuhashi-original-1990",
        "Original Tokuhashi score, Tokuhashi et al. 1990",
        "Method: the original Tokuhashi score as published by Tokuhashi et al., Spine "
        "1990;15:1110.",
    ),
    components=_TOKUHASHI_COMPONENTS,
    bands=(
        BandSpec(
            code="tokuhashi-original-le-3-months",
            low=0,
            high=5,
            display="Original Tokuhashi 0-5: predicted survival <= 3 months",
            definition="Original Tokuhashi total 0-5: predicted survival 3 months or less.",
            label="predicted survival ≤ 3 months",
            short_label="predicted survival ≤ 3 months",
            wording="Predicted survival ≤ 3 months (Tokuhashi 1990).",
        ),
        BandSpec(
            code="tokuhashi-original-variable",
            low=6,
            high=8,
            display="Original Tokuhashi 6-8: predicted survival variable",
            definition="Original Tokuhashi total 6-8: predicted survival variable.",
            label="variable survival",
            short_label="variable survival",
            wording="Predicted survival variable (Tokuhashi 1990).",
        ),
        BandSpec(
            code="tokuhashi-original-ge-12-months",
            low=9,
            high=12,
            display="Original Tokuhashi 9-12: predicted survival >= 12 months",
            definition="Original Tokuhashi total 9-12: predicted survival 12 months or more.",
            label="predicted survival ≥ 12 months",
            short_label="predicted survival ≥ 12 months",
            wording="Predicted survival ≥ 12 months (Tokuhashi 1990).",
        ),
    ),
)
