"""The four scores spinemets computes, as data: the one place each score fact is written.

One module per publication: a band cut-off, a points value or a wording is changed in that
module and nowhere else; the scoring, the cards, the reports and the score and category
CodeSystems in mappings/ (``scripts/generate-terminology``) all read it from here.
"""

from __future__ import annotations

from adapter.vocabulary.scores.sins import (
    SINS,
    SINS_ALIGNMENT,
    SINS_BONE_LESION,
    SINS_COLLAPSE,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
)
from adapter.vocabulary.scores.tokuhashi import (
    TOKUHASHI_EXTRASPINAL,
    TOKUHASHI_GENERAL,
    TOKUHASHI_MAJOR_ORGAN,
    TOKUHASHI_ORIGINAL,
    TOKUHASHI_PALSY,
    TOKUHASHI_PRIMARY,
    TOKUHASHI_REVISED,
    TOKUHASHI_VERTEBRAL,
)
from adapter.vocabulary.scores.tomita import TOMITA, TOMITA_BONE, TOMITA_PRIMARY, TOMITA_VISCERAL
from adapter.vocabulary.specs import ComponentSpec, ScoreSpec

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

SCORES: dict[str, ScoreSpec] = {
    s.code: s for s in (SINS, TOMITA, TOKUHASHI_REVISED, TOKUHASHI_ORIGINAL)
}
COMPONENTS: dict[str, ComponentSpec] = {
    c.code: c for spec in SCORES.values() for c in spec.components
}
