"""The cards' links to the patient page, a SMART app (contract §4 v3, §7).

When the public base URL is set, every card links to ``{base}/smart/launch`` (type ``smart``: the
EHR launches it with ``iss`` and ``launch``). The SINS card carries one link per level with no SINS
finding of its own, whose ``appContext`` names the form and the level, so the app opens that form
at that level; the EHR hands ``appContext`` back in the token response (CDS Hooks 2.0).
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from adapter.cds.models import Card, Link
from adapter.decision.sins import SinsDecision
from adapter.vocabulary import SINS

__all__ = ["PAGE_LABEL", "with_links"]

PAGE_LABEL = "Open the spinal metastasis page"


def _sins_links(view: SinsDecision, launch: str) -> list[Link]:
    unassessed = [lv.name for lv in view.levels if not lv.assessed]
    return [
        Link(
            label=f"Record the SINS findings at {level}",
            url=launch,
            type="smart",
            appContext=orjson.dumps({"form": "sins", "level": level}).decode(),
        )
        for level in unassessed
    ]


def with_links(cards: Sequence[Card], view: SinsDecision, base_url: str | None) -> list[Card]:
    """The cards with their links; unchanged when no public base URL is configured. ``view``: the
    decision's levels (``Decisions.levels``), read rather than decided again."""
    if base_url is None:
        return list(cards)
    launch = f"{base_url}/smart/launch"
    page = Link(label=PAGE_LABEL, url=launch, type="smart")
    out = []
    for card in cards:
        topic = card.source.topic.code if card.source.topic is not None else None
        links = _sins_links(view, launch) if topic == SINS.code else []
        out.append(card.model_copy(update={"links": [*(card.links or ()), *(links or [page])]}))
    return out
