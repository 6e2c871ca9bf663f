"""The outcome card after the index procedure (contract §6 v3): pain and Barthel so far."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapter.cds.models import Action, Card, CodingModel, Source, Suggestion
from adapter.decision.outcome import OutcomeView, day_text
from adapter.decision.wording import shorten, without_ids
from adapter.fhir.read.followup import ProcedureRecord
from adapter.fhir.read.issues import Issue
from adapter.vocabulary.cards import SUMMARY_MAX
from adapter.vocabulary.cards import markdown_text as md
from adapter.vocabulary.systems import SCORE

__all__ = ["no_outcome_card", "outcome_card"]

_CODE = "outcome-trajectory"


def _detail(view: OutcomeView) -> str:
    outcome = view.outcome
    cement = f"; cement {outcome.cement_ml:g} mL" if outcome.cement_ml is not None else ""
    lines = [
        f"**{md(f'Index procedure: {view.procedure}{cement}')}**",
        "",
        "| Time point | Window | Pain 0–10 | Change | Barthel Index | Change | Also then |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in view.points:
        window = f"{day_text(p.first)} – {day_text(p.last)}"
        cells = (p.label, window, p.pain.text, p.pain.change or "—", p.barthel.text,
                 p.barthel.change or "—", "; ".join(p.beside) or "—")  # fmt: skip
        lines.append("| " + " | ".join(md(cell) for cell in cells) + " |")
    kinds = sorted({c.named for c in outcome.complications})
    lines += [
        "",
        "Changes are from the baseline. Complications: "
        + md(", ".join(kinds) if kinds else "none recorded")
        + ".",
    ]
    if view.notes:
        lines += ["", "**Not used, or to complete**", ""] + [f"- {md(n)}" for n in view.notes]
    return "\n".join(lines)


def outcome_card(
    view: OutcomeView, resources: Sequence[dict[str, Any]], uuid: str, record_uuid: str
) -> Card:
    """Info: the outcome so far, with a suggestion to record its summary Observation."""
    actions = [
        Action(type="create", description="Record the outcome summary Observation", resource=r)
        for r in resources
    ]
    suggestion = Suggestion(
        label="Record the outcome in the chart", uuid=record_uuid, actions=actions
    )
    return Card(
        uuid=uuid,
        summary=shorten(view.headline),
        detail=_detail(view),
        indicator="info",
        source=Source(
            label="spinemets",
            topic=CodingModel(system=SCORE, code=_CODE, display="Outcome after the procedure"),
        ),
        suggestions=[suggestion] if actions else None,
        selectionBehavior="at-most-one" if actions else None,
    )


_THEIR_DAYS = " — record their days"


def no_outcome_card(
    blocked: Sequence[ProcedureRecord], issues: Sequence[Issue], uuid: str
) -> list[Card]:
    """Info, where the outcome card would stand: a vertebroplasty or fixation dated by its month
    or year alone leaves no index procedure (contract §6: the time points are counted from its
    day), and a missing card would say nothing of why. The issues that name each, without ids
    (cards drop them, contract §4 v3); none when nothing blocked an index."""
    timed = sorted((p.time for p in blocked if p.time is not None), key=lambda t: t.instant)
    if not timed:
        return []
    days = list(dict.fromkeys(t.day for t in timed))
    if len(timed) == 1:
        summary = (
            f"No outcome trajectory: the vertebroplasty or fixation dated {days[0]} alone has no "
            "day to count the time points from — record it"
        )
    else:
        dated = " and ".join(days) if len(days) < 3 else f"{days[0]} to {days[-1]}"
        some = f"No outcome trajectory: {len(timed)} vertebroplasties or fixations dated"
        # The dates give way, never the action (each is named in the detail); shorten() below
        # cuts only a count beyond any record's.
        for line in (
            f"{some} {dated} alone have no day to count the time points from",
            f"{some} {dated} alone: no day to count time points from",
        ):
            if len(line) + len(_THEIR_DAYS) <= SUMMARY_MAX:
                break
        else:
            line = f"{some} by month or year alone: no day to count time points from"
        summary = line + _THEIR_DAYS
    refs = {p.ref.reference for p in blocked}
    said = dict.fromkeys(without_ids(i.diagnostics) for i in issues if i.resource in refs)
    lines = [f"- {md(line)}" for line in said]
    return [
        Card(
            uuid=uuid,
            summary=shorten(summary),
            detail="\n".join(lines) or None,
            indicator="info",
            source=Source(label="spinemets"),
        )
    ]
