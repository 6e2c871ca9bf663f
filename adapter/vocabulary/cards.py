"""What a CDS Hooks card allows, as one fact every layer reads: the summary is plain text of fewer
than 140 characters, the detail GitHub-Flavored Markdown. Record text enters a summary through
:func:`shorten` (:func:`adapter.vocabulary.text.one_line`) and the detail through
:func:`markdown_text`, so a record cannot forge a line, a heading, a link or raw HTML on a card."""

from __future__ import annotations

import re
from typing import Literal

from adapter.vocabulary.text import one_line

__all__ = [
    "REMISSION",
    "SUMMARY_MAX",
    "URGENCY",
    "Indicator",
    "markdown_text",
    "one_line",
    "shorten",
]

# CDS Hooks 2.0: a card's indicator, and their order from the least to the most urgent.
Indicator = Literal["info", "warning", "critical"]
URGENCY: dict[Indicator, int] = {"info": 0, "warning": 1, "critical": 2}

# A lesion in remission is still scored, and marked so wherever a card names it (contract §2 v3):
# the SINS headline and the procedure check's tumour criterion.
REMISSION = " (in remission)"

# CDS Hooks 2.0: a card's summary is "<140 characters".
SUMMARY_MAX = 139
_ELLIPSIS = "…"


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with "…", never mid-word.

    A single word longer than the limit (no boundary to cut at) is the only case cut inside a
    word.
    """
    text = one_line(text)
    if len(text) <= limit:
        return text
    room = text[: limit - len(_ELLIPSIS) + 1]  # +1: a space right after the cut is a boundary
    cut = room.rfind(" ")
    kept = room[:cut] if cut > 0 else room[: limit - len(_ELLIPSIS)]
    return kept.rstrip(" ,;:—–-(").removesuffix(_ELLIPSIS) + _ELLIPSIS  # cut before: one "…"


# Markdown's inline syntax: emphasis, code, strikethrough, links and images, raw HTML and
# autolinks, entities, table cells. Escaped with a backslash, each shows as itself.
_INLINE = re.compile(r"([\\`*_~\[\]<>|&])")
# What starts a block only at the start of a line: a heading, a list item, a setext underline.
_BLOCK = re.compile(r"^(?:([#+=-])|(\d{1,9})([.)]))")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
_EMAIL_AT = re.compile(r"@(?=[A-Za-z0-9])")
_WORD_JOINER = "\u2060"  # invisible: GFM reads no e-mail address across it


# What the escapes below or one_line act on. A text with none of it is returned as it is, which
# most card lines are: one scan of a character class and a few substring tests instead of five
# regular-expression passes, on every line of every card (tests/unit/vocabulary/test_markdown.py).
_SPECIAL = re.compile(
    "[\\\\`*_~\\[\\]<>|&@\x00-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028-\u202f\u205f"
    "\u2066-\u2069\u3000]"
)


def markdown_text(text: str) -> str:
    """Record text that reads as itself inside a GitHub-Flavored-Markdown detail, a table cell
    included: on one line, and unable to make a heading, list, link (bare URLs and e-mail
    addresses included), image, emphasis or raw HTML. The card's own Markdown goes around it."""
    if (
        _SPECIAL.search(text) is None
        and _BLOCK.match(text) is None
        and not text.startswith(" ")
        and not text.endswith(" ")
        and "  " not in text
        and "://" not in text
        and not ("." in text and _WWW.search(text))
    ):
        return text
    return _escaped(text)


def _escaped(text: str) -> str:
    text = _INLINE.sub(r"\\\1", one_line(text))
    text = _BLOCK.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)
    text = _WWW.sub(r"\1\\.", text.replace("://", "\\://"))
    return _EMAIL_AT.sub("@" + _WORD_JOINER, text)
