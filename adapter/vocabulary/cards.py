"""What a CDS Hooks card allows, as one fact every layer reads."""

from __future__ import annotations

from typing import Literal

__all__ = ["SUMMARY_MAX", "URGENCY", "Indicator", "shorten"]

# CDS Hooks 2.0: a card's indicator, and their order from the least to the most urgent.
Indicator = Literal["info", "warning", "critical"]
URGENCY: dict[Indicator, int] = {"info": 0, "warning": 1, "critical": 2}

# CDS Hooks 2.0: a card's summary is "<140 characters".
SUMMARY_MAX = 139
_ELLIPSIS = "…"


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with "…", never mid-word.

    A single word longer than the limit (no boundary to cut at) is the only case cut inside a
    word.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - len(_ELLIPSIS) + 1]  # +1: a space right after the cut is a boundary
    cut = room.rfind(" ")
    kept = room[:cut] if cut > 0 else room[: limit - len(_ELLIPSIS)]
    return kept.rstrip(" ,;:—–-(") + _ELLIPSIS
