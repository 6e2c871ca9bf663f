"""The four scores spinemets computes, as data: the one place each score fact is written.

Sources: SINS, Fisher CG et al., Spine 2010;35(22):E1221 (referral wording after Fourney DR et
al., J Clin Oncol 2011;29:3072); Tomita K et al., Spine 2001;26(3):298; revised Tokuhashi,
Tokuhashi Y et al., Spine 2005;30(19):2186; original Tokuhashi, Spine 1990;15(11):1110.
The score and category CodeSystems in mappings/ are generated from these specs.
"""

from __future__ import annotations

from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = [
    "COMPONENTS",
    "SCORES",
    "SINS",
    "SINS_ALIGNMENT",
    "SINS_BONE_LESION",
    "SINS_COLLAPSE",
    "SINS_LOCATION",
    "SINS_PAIN",
    "SINS_POSTEROLATERAL",
    "TOKUHASHI_EXTRASPINAL",
    "TOKUHASHI_GENERAL",
    "TOKUHASHI_MAJOR_ORGAN",
    "TOKUHASHI_ORIGINAL",
    "TOKUHASHI_PALSY",
    "TOKUHASHI_PRIMARY",
    "TOKUHASHI_REVISED",
    "TOKUHASHI_VERTEBRAL",
    "TOMITA",
    "TOMITA_BONE",
    "TOMITA_PRIMARY",
    "TOMITA_VISCERAL",
]

_TOKUHASHI_BOTH = "Used by the revised (2005) and original (1990) scores."

SINS_LOCATION = ComponentSpec(
    code="sins-location",
    display="SINS location",
    definition="SINS component location of the lesion: junctional (occiput-C2, C7-T2, "
    "T11-L1, L5-S1) 3; mobile (C3-C6, L2-L4) 2; semi-rigid (T3-T10) 1; rigid (S2-S5) 0.",
    title="Location",
    short="level",
    settle=None,
)

SINS_PAIN = ComponentSpec(
    code="sins-pain",
    display="SINS pain",
    definition="SINS component pain: mechanical pain (relief with recumbency and/or "
    "pain with movement or loading of the spine) 3; occasional pain, not mechanical 1; "
    "pain-free lesion 0.",
    title="Pain",
    short="pain",
    settle="record a spinal-pain finding (mechanical, non-mechanical, pain-free)",
)

SINS_BONE_LESION = ComponentSpec(
    code="sins-bone-lesion",
    display="SINS bone lesion",
    definition="SINS component bone lesion quality: lytic 2; mixed lytic/blastic 1; blastic 0.",
    title="Bone lesion",
    short="lesion quality",
    settle="record bone-lesion-quality (lytic, mixed, blastic) from CT",
)

SINS_ALIGNMENT = ComponentSpec(
    code="sins-alignment",
    display="SINS radiographic spinal alignment",
    definition="SINS component radiographic spinal alignment: subluxation/translation "
    "present 4; de novo deformity (kyphosis/scoliosis) 2; normal alignment 0.",
    title="Alignment",
    short="alignment",
    settle="record spinal-alignment (subluxation, de-novo-deformity, normal)",
)

SINS_COLLAPSE = ComponentSpec(
    code="sins-collapse",
    display="SINS vertebral body collapse",
    definition="SINS component vertebral body collapse: more than 50% collapse 3; less "
    "than 50% collapse 2; no collapse with more than 50% of the body involved 1; none of "
    "the above 0.",
    title="Vertebral body collapse",
    short="collapse",
    settle="record vertebral-body-collapse (gt-50, lt-50, none-gt-50-involved, none)",
)

SINS_POSTEROLATERAL = ComponentSpec(
    code="sins-posterolateral",
    display="SINS posterolateral involvement",
    definition="SINS component posterolateral involvement of spinal elements (facet, "
    "pedicle or costovertebral joint fracture or replacement by tumour): bilateral 3; "
    "unilateral 1; none 0.",
    title="Posterolateral involvement",
    short="posterolateral involvement",
    settle="record posterolateral-involvement (bilateral, unilateral, none)",
)

TOMITA_PRIMARY = ComponentSpec(
    code="tomita-primary-tumor",
    display="Tomita primary tumour growth",
    definition="Tomita factor primary tumour growth: slow growth 1; moderate growth 2; "
    "rapid growth 4.",
    title="Primary tumour growth",
    short="primary growth",
    settle="record the primary tumour Condition, or tomita-primary-growth (slow, moderate, rapid)",
)

TOMITA_VISCERAL = ComponentSpec(
    code="tomita-visceral-metastases",
    display="Tomita visceral metastases",
    definition="Tomita factor visceral metastases: none 0; treatable 2; untreatable 4.",
    title="Visceral metastases",
    short="visceral mets",
    settle="record visceral-metastases (none, treatable, untreatable)",
)

TOMITA_BONE = ComponentSpec(
    code="tomita-bone-metastases",
    display="Tomita bone metastases",
    definition="Tomita factor bone metastases, spinal ones included: solitary or "
    "isolated 1; multiple 2.",
    title="Bone metastases",
    short="bone mets extent",
    settle="record bone-metastasis Conditions with their sites, or "
    "bone-metastasis-extent (solitary, multiple)",
)

TOKUHASHI_GENERAL = ComponentSpec(
    code="tokuhashi-general-condition",
    display="Tokuhashi general condition",
    definition="Tokuhashi parameter general condition by Karnofsky performance status: "
    f"poor (KPS 10-40) 0; moderate (KPS 50-70) 1; good (KPS 80-100) 2. {_TOKUHASHI_BOTH}",
    title="General condition (KPS)",
    short="KPS",
    settle="record a Karnofsky performance status (LOINC 89243-0)",
)

TOKUHASHI_EXTRASPINAL = ComponentSpec(
    code="tokuhashi-extraspinal-bone-metastases",
    display="Tokuhashi extraspinal bone metastases",
    definition="Tokuhashi parameter number of extraspinal bone metastasis foci: 3 or "
    f"more 0; 1-2 1; none 2. {_TOKUHASHI_BOTH}",
    title="Extraspinal bone metastases",
    short="extraspinal count",
    settle="record extraspinal-bone-metastases-count",
)

TOKUHASHI_VERTEBRAL = ComponentSpec(
    code="tokuhashi-vertebral-metastases",
    display="Tokuhashi metastases in the vertebral bodies",
    definition="Tokuhashi parameter number of metastases in the vertebral bodies, index "
    f"lesion included: 3 or more 0; 2 1; 1 2. {_TOKUHASHI_BOTH}",
    title="Vertebral body metastases",
    short="vertebral count",
    settle="record bone-metastasis Conditions with their vertebral levels, or "
    "vertebral-metastases-count",
)

TOKUHASHI_MAJOR_ORGAN = ComponentSpec(
    code="tokuhashi-major-organ-metastases",
    display="Tokuhashi metastases to the major internal organs",
    definition="Tokuhashi parameter metastases to the major internal organs (lung, "
    f"liver, kidney, brain): unremovable 0; removable 1; none 2. {_TOKUHASHI_BOTH}",
    title="Major internal organ metastases",
    short="organ mets",
    settle="record major-organ-metastases (none, removable, unremovable)",
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
    settle="record a frankel-grade finding (frankel-a … frankel-e)",
)

SINS = ScoreSpec(
    code="sins",
    display="Spinal Instability Neoplastic Score (SINS) total",
    definition="Total of the Spinal Instability Neoplastic Score (Fisher et al., Spine "
    "2010;35:E1221): 0-18, scored per vertebral level as the sum of location, pain, bone "
    "lesion, alignment, vertebral body collapse and posterolateral involvement.",
    title="SINS",
    short_title="SINS",
    source="Fisher 2010",
    method=MethodSpec(
        "sins-2010",
        "SINS, Fisher et al. 2010",
        "Method: the Spinal Instability Neoplastic Score as published by Fisher et al., Spine "
        "2010;35:E1221.",
    ),
    components=(
        SINS_LOCATION,
        SINS_PAIN,
        SINS_BONE_LESION,
        SINS_ALIGNMENT,
        SINS_COLLAPSE,
        SINS_POSTEROLATERAL,
    ),
    bands=(
        BandSpec(
            code="sins-stable",
            low=0,
            high=6,
            display="SINS 0-6: stable",
            definition="SINS total 0-6: stable.",
            label="stable",
            short_label="stable",
            wording="Stable lesion: no surgical consultation needed for instability (SINS 0–6).",
        ),
        BandSpec(
            code="sins-potentially-unstable",
            low=7,
            high=12,
            display="SINS 7-12: potentially unstable",
            definition="SINS total 7-12: potentially unstable (indeterminate); surgical "
            "consultation recommended.",
            label="potentially unstable (indeterminate)",
            short_label="potentially unstable",
            wording="Potentially unstable: surgical consultation recommended (SINS 7–12).",
        ),
        BandSpec(
            code="sins-unstable",
            low=13,
            high=18,
            display="SINS 13-18: unstable",
            definition="SINS total 13-18: unstable; surgical consultation recommended.",
            label="unstable",
            short_label="unstable",
            wording="Unstable: surgical consultation recommended (SINS 13–18).",
        ),
    ),
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
            wording="Treatment goal long-term local control: wide or marginal excision "
            "(Tomita 2–3).",
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
            wording="Treatment goal middle-term local control: marginal or intralesional "
            "excision (Tomita 4–5).",
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
            wording="Treatment goal short-term palliation: palliative surgery (Tomita 6–7).",
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
            wording="Terminal care: non-operative supportive care (Tomita 8–10).",
        ),
    ),
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
            wording="Predicted survival < 6 months: conservative treatment (revised Tokuhashi "
            "0–8).",
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
            wording="Predicted survival ≥ 6 months: palliative surgery; excisional surgery if a "
            "single lesion and no metastases to major internal organs (revised Tokuhashi 9–11).",
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
            wording="Predicted survival ≥ 12 months: excisional surgery (revised Tokuhashi 12–15).",
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
            wording="Predicted survival ≤ 3 months (original Tokuhashi 0–5).",
        ),
        BandSpec(
            code="tokuhashi-original-variable",
            low=6,
            high=8,
            display="Original Tokuhashi 6-8: predicted survival variable",
            definition="Original Tokuhashi total 6-8: predicted survival variable.",
            label="variable survival",
            short_label="variable survival",
            wording="Survival variable (original Tokuhashi 6–8).",
        ),
        BandSpec(
            code="tokuhashi-original-ge-12-months",
            low=9,
            high=12,
            display="Original Tokuhashi 9-12: predicted survival >= 12 months",
            definition="Original Tokuhashi total 9-12: predicted survival 12 months or more.",
            label="predicted survival ≥ 12 months",
            short_label="predicted survival ≥ 12 months",
            wording="Predicted survival ≥ 12 months (original Tokuhashi 9–12).",
        ),
    ),
)

SCORES: dict[str, ScoreSpec] = {
    s.code: s for s in (SINS, TOMITA, TOKUHASHI_REVISED, TOKUHASHI_ORIGINAL)
}
COMPONENTS: dict[str, ComponentSpec] = {
    c.code: c for spec in SCORES.values() for c in spec.components
}
