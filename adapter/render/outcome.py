"""The outcome after the index procedure as the text report words it (contract §6 v3): the same
decisions as the outcome card and the page (adapter/decision/outcome.py), one line a time point."""

from __future__ import annotations

from adapter.decision.outcome import OutcomeCell, OutcomeView, day_text, follow_up_words
from adapter.decision.wording import readable_dates

__all__ = ["outcome_text"]


def _cell(cell: OutcomeCell) -> str:
    return f"{cell.text}, {cell.change}" if cell.change else cell.text


def outcome_text(view: OutcomeView | None) -> list[str]:
    """The report's lines, indented as its score sections are; none without an index procedure."""
    if view is None:
        return []
    outcome = view.outcome
    cement = f"; cement {outcome.cement_ml:g} mL" if outcome.cement_ml is not None else ""
    ended = follow_up_words(outcome)
    lines = [f"  {view.headline}", f"    Index procedure: {view.procedure}{cement}; {ended}"]
    for p in view.points:
        window = f"{day_text(p.first)} – {day_text(p.last)}"
        also = f"; also then {'; '.join(p.beside)}" if p.beside else ""
        lines.append(
            f"    {p.label} ({window}): pain {_cell(p.pain)}; Barthel {_cell(p.barthel)}{also}"
        )
    named = []
    for c in outcome.complications:
        cited = ", ".join(filter(None, (c.source, readable_dates(c.when) if c.when else None)))
        named.append(f"{c.named} ({cited})" if cited else c.named)
    said = "; ".join(named) if named else "none recorded since the index procedure"
    lines.append(f"    Complications: {said}")
    return lines
