"""How a decision's words fit a card summary (contract §4 v3, wording rules)."""

from __future__ import annotations

__all__ = ["SUMMARY_MAX", "shorten"]

SUMMARY_MAX = 139  # CDS Hooks: a summary is under 140 characters


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` if it fits, else cut at a word boundary with "…", never mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–") + "…"
