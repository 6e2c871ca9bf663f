"""The text report (``spinemets score --format text``): what a clinician reads, rendered from the
same decisions as the cards and the page."""

from __future__ import annotations

from adapter.decision import NEUROLOGY_ACTION, Decisions
from adapter.report import summarise

__all__ = ["text_report"]


def text_report(decisions: Decisions) -> str:
    """What a clinician reads: totals or ranges, bands, components with sources and gaps."""
    patient = decisions.result
    lines = [f"Patient {patient.patient}"]
    if decisions.deceased:
        lines.append(f"  DECEASED: {decisions.deceased}; no recommendation applies.")
    alert = decisions.neurology
    if alert is not None and alert.critical:
        lines.append(f"  ALERT ({'; '.join(alert.reasons)}): {NEUROLOGY_ACTION}")
        lines += [f"    → {alert.steroid}"] if alert.steroid else []
        lines += [f"      from {src}" for src in alert.sources]
    elif alert is not None:
        lines.append(f"  Neurology ({alert.indicator}): {alert.summary}")
        lines += [f"      from {src}" for src in alert.sources]
    if not patient.levels:
        lines.append("  SINS: no spinal level recorded, nothing to score.")
    for label, reason in patient.assessment.unscored:
        lines.append(f"  SINS not scored at {label}: {reason}.")
    for summary in summarise(patient):
        lines.append(f"  {summary.heading}")
        lines.append(f"    → {summary.recommendation}")
        lines += [f"    ! {caution}" for caution in summary.cautions]
        for comp in summary.components:
            lines.append(f"    {comp.name:<32} {comp.value:>7}")
            lines += [f"{'':8}from {src}" for src in comp.sources]
            lines += [f"{'':8}note: {note}" for note in comp.notes]
        if summary.missing:
            lines.append("    To settle the range:")
            lines += [f"      - {m}" for m in summary.missing]
    for issue in patient.issues:
        lines.append(f"  {issue.severity}: {issue.diagnostics}")
    return "\n".join(lines)
