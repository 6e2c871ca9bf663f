"""The scores spinemets computes, as data: the one place each score fact is written.

One module per publication: a band cut-off, a points value or a wording is changed in that
module and nowhere else; the scoring, the cards, the reports and the score and category
CodeSystems in mappings/ (``scripts/generate-terminology``) all read it from here.
"""

from __future__ import annotations

from adapter.vocabulary.scores.bauer import (
    BAUER_FAVOURABLE,
    BAUER_MODIFIED,
    BAUER_NO_FRACTURE,
    BAUER_NO_VISCERAL,
    BAUER_NOT_LUNG,
    BAUER_ORIGINAL,
    BAUER_SOLITARY,
)
from adapter.vocabulary.scores.linden import (
    LINDEN,
    LINDEN_KPS,
    LINDEN_KPS_UNCONFIRMED,
    LINDEN_PRIMARY,
    LINDEN_VISCERAL,
)
from adapter.vocabulary.scores.nesms import (
    NESMS,
    NESMS_ALBUMIN,
    NESMS_AMBULATORY,
    NESMS_BAUER,
    NESMS_UNLABELLED,
)
from adapter.vocabulary.scores.sins import (
    SINS,
    SINS_ALIGNMENT,
    SINS_BONE_LESION,
    SINS_COLLAPSE,
    SINS_CONSULT,
    SINS_CONSULT_FROM,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    SINS_SCOPE,
    SINS_SCOPE_SHORT,
    SINS_STABLE_UNTIL,
    SINS_UNSTABLE_FROM,
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
    "BAUER_FAVOURABLE",
    "BAUER_MODIFIED",
    "BAUER_NOT_LUNG",
    "BAUER_NO_FRACTURE",
    "BAUER_NO_VISCERAL",
    "BAUER_ORIGINAL",
    "BAUER_SOLITARY",
    "COMPONENTS",
    "LINDEN",
    "LINDEN_KPS",
    "LINDEN_KPS_UNCONFIRMED",
    "LINDEN_PRIMARY",
    "LINDEN_VISCERAL",
    "MORE_SCORES",
    "NESMS",
    "NESMS_ALBUMIN",
    "NESMS_AMBULATORY",
    "NESMS_BAUER",
    "NESMS_UNLABELLED",
    "SCORES",
    "SINS",
    "SINS_ALIGNMENT",
    "SINS_BONE_LESION",
    "SINS_COLLAPSE",
    "SINS_CONSULT",
    "SINS_CONSULT_FROM",
    "SINS_LOCATION",
    "SINS_PAIN",
    "SINS_POSTEROLATERAL",
    "SINS_SCOPE",
    "SINS_SCOPE_SHORT",
    "SINS_STABLE_UNTIL",
    "SINS_UNSTABLE_FROM",
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

# The prognosis tools added in contract v3 (scores-more.md), in output order.
MORE_SCORES: tuple[ScoreSpec, ...] = (BAUER_ORIGINAL, BAUER_MODIFIED, NESMS, LINDEN)
SCORES: dict[str, ScoreSpec] = {
    s.code: s for s in (SINS, TOMITA, TOKUHASHI_REVISED, TOKUHASHI_ORIGINAL, *MORE_SCORES)
}
COMPONENTS: dict[str, ComponentSpec] = {
    c.code: c for spec in SCORES.values() for c in spec.components
}
