"""The text report (``spinemets score --format text``): what a clinician reads, rendered from the
same decisions as the cards and the page.

Order of a patient's section, most serious first: a deceased patient's line (then no
recommendation anywhere below), the neurology alert, each spine order's verdict, then the scores.
The report is a full listing of the record, so it cites resource ids beside each input (cards
never do); every date reads "3 Dec 2026".
"""

from __future__ import annotations

from adapter.decision import NEUROLOGY_ACTION, Decisions
from adapter.decision.noms import noms_view
from adapter.decision.outcome import outcome_view
from adapter.decision.unplaced import UNPLACED_HEADLINE, UNPLACED_SETTLE
from adapter.decision.wording import readable_dates
from adapter.mapping.levels import unscored_line
from adapter.render.noms import noms_text
from adapter.render.outcome import outcome_text
from adapter.report import ScoreSummary
from adapter.vocabulary.text import terminal_line

__all__ = ["text_report"]


def _head(decisions: Decisions) -> list[str]:
    lines = []
    if decisions.deceased is not None:
        lines.append(
            f"  DECEASED ({decisions.deceased.when}): no score, strategy or recommendation "
            "applies; if this is wrong, correct the record."
        )
    alert = decisions.neurology
    if alert is not None:
        lines.append(f"  ALERT [{alert.indicator}] {alert.summary}")
        if alert.critical:
            lines.append(f"    → {NEUROLOGY_ACTION}")
        lines += [f"    → {alert.steroid}"] if alert.steroid else []
        lines += [f"    - {item.indicator or 'listed'}: {item.text}" for item in alert.items]
        lines += [f"      from {src}" for src in alert.sources]
    for order in decisions.orders:
        lines.append(f"  ORDER {order.reference} [{order.indicator}] {order.listed}")
        lines += [f"    - {readable_dates(item)}" for item in order.items]
    return lines


def _summary(summary: ScoreSummary, heading: str, advice: str | None) -> list[str]:
    lines = [f"  {heading}"]
    if advice is not None:
        lines.append(f"    → {advice}")
        lines += [f"    ! {caution}" for caution in summary.cautions]
    said: set[str] = set()  # a note several components carry (a fracture since) is said once
    for comp in summary.components:
        lines.append(f"    {comp.name:<32} {comp.value:>7}")
        lines += [f"{'':8}from {src}" for src in comp.sources]
        notes = [n for n in comp.notes if n not in said]
        said.update(notes)
        lines += [f"{'':8}note: {readable_dates(note)}" for note in notes]
    if summary.missing:
        lines.append("    To settle the range:")
        lines += [f"      - {m}" for m in summary.missing]
    return lines


def text_report(decisions: Decisions) -> str:
    """What a clinician reads: the decisions first, then totals or ranges, bands, components with
    sources and gaps."""
    patient = decisions.result
    lines = [f"Patient {patient.patient}", *_head(decisions)]
    if decisions.not_scored is not None:
        lines.append(f"  {decisions.not_scored}.")
    elif decisions.unplaced is not None:
        lines.append(f"  {UNPLACED_HEADLINE}; {UNPLACED_SETTLE}.")
    elif not patient.levels:
        lines.append("  SINS: no spinal level recorded, nothing to score.")
    for label, reason in patient.assessment.unscored:
        lines.append(f"  {unscored_line(label, reason)}")
    alive = decisions.deceased is None
    scored = decisions.not_scored is None
    for summary in decisions.summaries:
        advice = decisions.advice(summary) if alive else None
        lines += _summary(summary, decisions.heading(summary), advice)
    lines += noms_text(noms_view(patient)) if alive and scored else []
    lines += outcome_text(outcome_view(patient))
    for issue in patient.issues:
        lines.append(f"  {issue.severity}: {readable_dates(issue.diagnostics)}")
    return "\n".join(terminal_line(line) for line in lines)
