"""The SINS card when no level can be scored because a bone metastasis's level is not recorded
(contract §4: one card per score, with what is missing and what would settle it)."""

from __future__ import annotations

from collections.abc import Sequence

from adapter.cds.models import Card, CodingModel, Source
from adapter.decision.unplaced import UNPLACED_HEADLINE, UNPLACED_SETTLE, Unplaced
from adapter.decision.wording import shorten, without_ids
from adapter.vocabulary import SINS, SINS_SCOPE_SHORT
from adapter.vocabulary.cards import markdown_text
from adapter.vocabulary.systems import SCORE

__all__ = ["unplaced_card"]


def unplaced_card(unplaced: Unplaced, issues: Sequence[str], uuid: str) -> Card:
    """Info: nothing is known to be unstable; which metastasis has no level, what would settle
    it, and the patient's input issues (as the SINS card carries them)."""
    md = markdown_text
    said = {without_ids(issue) for issue in unplaced.issues}
    lines = [f"**{md(UNPLACED_HEADLINE)}**", "", md(f"SINS {SINS_SCOPE_SHORT}.")]
    sections = (
        ("Bone metastasis without a level", [without_ids(line) for line in unplaced.lines]),
        ("What would settle it", [UNPLACED_SETTLE]),
        ("Input issues", [i for i in issues if i not in said]),
    )
    for title, items in sections:
        if items:
            lines += ["", f"**{title}**", ""] + [f"- {md(item)}" for item in items]
    return Card(
        uuid=uuid,
        summary=shorten(unplaced.headline),
        detail="\n".join(lines),
        indicator="info",
        source=Source(
            label="spinemets", topic=CodingModel(system=SCORE, code=SINS.code, display=SINS.title)
        ),
    )
