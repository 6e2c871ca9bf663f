"""The van der Linden score (van der Linden et al., Cancer 2005, Dutch Bone Metastasis Study;
PubMed 15593360). Point values and cut-offs from a tertiary source consistent with the abstract
(scores-more.md); the 0 band's lower end (KPS 10) is UNCONFIRMED."""

from __future__ import annotations

from adapter.vocabulary.scores.inputs import (
    SETTLE_KPS,
    SETTLE_PRIMARY,
    SETTLE_VISCERAL,
    SHORT_VISCERAL,
)
from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = ["LINDEN", "LINDEN_KPS", "LINDEN_KPS_UNCONFIRMED", "LINDEN_PRIMARY", "LINDEN_VISCERAL"]

LINDEN_KPS_UNCONFIRMED = (
    "The recorded performance status may be Karnofsky 10, and the published table's lowest band "
    "reads 20-40 (KPS 10 scored 0 is UNCONFIRMED): no group is given."
)

LINDEN_KPS = ComponentSpec(
    code="van-der-linden-kps",
    display="van der Linden Karnofsky performance status",
    definition="van der Linden factor Karnofsky performance status: 80-100 2; 50-70 1; "
    "20-40 0 (KPS 10: UNCONFIRMED).",
    title="Karnofsky performance status",
    short="KPS",
    settle=SETTLE_KPS,
)
LINDEN_PRIMARY = ComponentSpec(
    code="van-der-linden-primary",
    display="van der Linden primary tumour",
    definition="van der Linden factor primary tumour: breast 3; prostate 2; lung 1; other 0.",
    title="Primary tumour",
    short="primary",
    settle=SETTLE_PRIMARY,
)
LINDEN_VISCERAL = ComponentSpec(
    code="van-der-linden-visceral-metastases",
    display="van der Linden visceral metastases",
    definition="van der Linden factor visceral metastases: absent 1; present 0.",
    title="No visceral metastases",
    short=SHORT_VISCERAL,
    settle=SETTLE_VISCERAL,
)

_SOURCE = "van der Linden 2005"

LINDEN = ScoreSpec(
    code="van-der-linden",
    display="van der Linden score total",
    definition="Total of the van der Linden score (van der Linden et al., Cancer 2005, Dutch "
    "Bone Metastasis Study): 0-6, Karnofsky performance status, primary tumour and visceral "
    "metastases. Higher is better.",
    title="van der Linden (2005)",
    short_title="van der Linden",
    source=_SOURCE,
    method=MethodSpec(
        "van-der-linden-2005",
        "van der Linden score, van der Linden et al. 2005",
        "Method: the van der Linden score of the Dutch Bone Metastasis Study, van der Linden et "
        "al., Cancer 2005 (PubMed 15593360).",
    ),
    components=(LINDEN_KPS, LINDEN_PRIMARY, LINDEN_VISCERAL),
    bands=(
        BandSpec(
            code="van-der-linden-a",
            low=0,
            high=3,
            display="van der Linden A (0-3)",
            definition="van der Linden total 0-3, group A: median overall survival 3.0 months "
            "in the derivation trial (342 patients with painful spinal metastases).",
            label="group A",
            short_label="group A",
            wording="Reported for this group (van der Linden 2005): median survival 3.0 months.",
        ),
        BandSpec(
            code="van-der-linden-b",
            low=4,
            high=5,
            display="van der Linden B (4-5)",
            definition="van der Linden total 4-5, group B: median overall survival 9.0 months "
            "in the derivation trial.",
            label="group B",
            short_label="group B",
            wording="Reported for this group (van der Linden 2005): median survival 9.0 months.",
        ),
        BandSpec(
            code="van-der-linden-c",
            low=6,
            high=6,
            display="van der Linden C (6)",
            definition="van der Linden total 6, group C: median overall survival 18.7 months "
            "in the derivation trial.",
            label="group C",
            short_label="group C",
            wording="Reported for this group (van der Linden 2005): median survival 18.7 months.",
        ),
    ),
)
