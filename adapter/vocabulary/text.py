"""Record text as we print it: the characters that must never reach a reader as they are, in one
place. A card's summary and the Markdown detail (adapter/vocabulary/cards.py), the text report and
the cohort text all pass record text through here."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["and_list", "deceased_heading", "deceased_note", "one_line", "terminal_line"]

# C0 and C1 controls (ESC, CR, BEL, NEL, CSI...), line and paragraph separators, and the
# bidirectional overrides and isolates that reorder what a terminal or a page shows.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def and_list(items: Sequence[str]) -> str:
    """ "T12", "T12 and L1", "T11, T12 and L1"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def one_line(text: str) -> str:
    """Plain text on one line: control characters and line breaks become spaces, runs of
    spaces one, none at either end."""
    return " ".join(_CONTROLS.sub(" ", text).split())


def terminal_line(line: str) -> str:
    """One line of a report for a terminal: each run of control characters or line breaks inside
    it (only record text has them) one space; the line's own spacing, its columns, kept."""
    return _CONTROLS.sub(" ", line)


def deceased_heading(day: str | None) -> str:
    """How every surface names a patient the record says has died: "Deceased 3 Dec 2026"."""
    return f"Deceased {day}" if day else "Recorded as deceased (date not recorded)"


def deceased_note(day: str | None) -> str:
    """What a written RiskAssessment says in place of a recommendation (contract §4 v3: a
    deceased patient gets no recommendation anywhere)."""
    return f"{deceased_heading(day)}: no strategy or recommendation applies."
