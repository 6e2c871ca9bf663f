"""What is said of a spine order itself before its criteria (contract §5): the procedure not
recognised, no level read from it (and none recorded for the patient to check instead), sites
not read as a level, each warning. Said once here; the procedure-check card says it in Markdown
(the record's text escaped) and the text report and the page, which hold no card, in plain
words beneath the order's line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.procedure.check import OrderCheck
from adapter.scoring import level_order
from adapter.vocabulary.text import one_line

__all__ = ["Note", "order_notes"]

_NOT_JUDGED = (
    "Not checked there: confirm the levels and record each as a vertebra code "
    "(ServiceRequest.bodySite)."
)
_CANDIDATES = "every scored level is checked as a candidate"
_NONE_SCORED = "no level is scored for this patient, so none could be checked"


@dataclass(frozen=True, slots=True)
class Note:
    """One thing said of the order: ``lead`` (bold on the card), then ``words``, whose
    ``{record}`` is text that may hold the record's own (a code, the sites' words, a warning
    that quotes them): the card escapes it in its Markdown (adapter/cds/procedure.py), plain
    words put it on one line."""

    lead: str
    words: str
    record: str = ""

    @property
    def plain(self) -> str:
        return self.lead + self.words.format(record=one_line(self.record))


def _checked(check: OrderCheck) -> str:
    """Which levels an order naming none is checked at: its reasons' (a fixation's
    reasonReference), else every scored level as a candidate, else none."""
    if by_reason := check.by_reason:
        levels = sorted({lv for each in by_reason for lv in each}, key=level_order)
        one, reasons = len(levels) == 1, "reason" if len(by_reason) == 1 else "reasons"
        noun, verb = ("level", "is") if one else ("levels", "are")
        return f"the {noun} of its {reasons} ({', '.join(levels)}) {verb} checked"
    return _CANDIDATES if check.levels else _NONE_SCORED


def _no_level(unplaced: Sequence[str], checked: str) -> Note:
    """No level read: none ordered, or sites ordered that were not read as one (named as the order
    names them, never read as a level from their words); then which levels are checked."""
    if not unplaced:
        return Note(
            "The order names no level",
            f": {checked}. Record the level to treat (ServiceRequest.bodySite).",
        )
    site = "sites were" if len(unplaced) > 1 else "site was"
    return Note(
        f"The ordered {site} not read as a level",
        f" ({{record}}): {checked}. Record the level to treat as a vertebra code "
        "(ServiceRequest.bodySite).",
        ", ".join(unplaced),
    )


def order_notes(check: OrderCheck) -> tuple[Note, ...]:
    """What is said of a judged order before its criteria, in the order the card says it."""
    order = check.order
    out: list[Note] = []
    if not order.recognised:
        words = (
            " (code {record}): the level criteria (1, 2, 3, 5, 6) were not checked; the "
            "patient-wide criteria were."
        )
        out.append(Note("Spine procedure not recognised", words, order.code))
    elif not check.level_named:
        out.append(_no_level(order.unplaced, _checked(check)))
    if order.unplaced and (check.level_named or not order.recognised):
        more = f" {_NOT_JUDGED}" if order.recognised else ""
        sites = ", ".join(order.unplaced)
        out.append(Note("", f"Ordered sites not read as a level: {{record}}.{more}", sites))
    out += [Note("Warning", ": {record}", concern.detail) for concern in check.concerns]
    return tuple(out)
