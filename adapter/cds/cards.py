"""A patient's scores → CDS cards (contract §4): one card per score, worst SINS level first.

Every card renders a :class:`adapter.decision.Decisions`, the one set of decisions the text report
and the page render too, so a card and ``spinemets score --format text`` never disagree. Card text
follows the wording rules of :mod:`adapter.decision.wording`: summaries cut at a word boundary,
evidence cited by reading and day, never by resource id. Suggestions carry exactly the resources the
pipeline built. Card and suggestion uuids are uuid5 of the hook instance and the score, so a
retried call gives the same uuids and feedback can be matched to what was shown.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from adapter.cds.models import Action, Card, CodingModel, Source, Suggestion
from adapter.cds.more_cards import ignored_cards, prognosis_cards, unread_cards
from adapter.cds.outcome import no_outcome_card, outcome_card
from adapter.cds.unplaced import unplaced_card
from adapter.decision import (
    NEUROLOGY_ACTION,
    Deceased,
    Decisions,
    NeurologyAlert,
    has_spinal_disease,
)
from adapter.decision.outcome import outcome_view
from adapter.decision.sins import SinsDecision, certain_indicator, recommendation
from adapter.decision.wording import HAEMATOLOGICAL_CAVEAT, shorten, without_ids
from adapter.fhir.write.built import uuid5_text
from adapter.fhir.write.references import logical_references
from adapter.pipeline import LevelResult, PatientResult
from adapter.report import ScoreSummary
from adapter.scoring import ScoreResult
from adapter.vocabulary import (
    SINS,
    SINS_CONSULT,
    SINS_CONSULT_FROM,
    SINS_SCOPE_SHORT,
)
from adapter.vocabulary.cards import Indicator, markdown_text
from adapter.vocabulary.specs import NOT_SETTLED_SHORT, TO_SETTLE_HEADING
from adapter.vocabulary.systems import SCORE

__all__ = [
    "card_uuid",
    "deceased_card",
    "has_spinal_disease",
    "neurology_card",
    "score_cards",
    "system_actions",
]

_NAMESPACE = uuid.UUID("0f5d7c1e-6a0b-5b7e-9c35-2d4c6e8a1b93").bytes


def card_uuid(hook_instance: str, key: str) -> str:
    """Deterministic per hook instance and card (or suggestion) key."""
    return uuid5_text(_NAMESPACE, f"{hook_instance}|{key}")


def _gaps(result: ScoreResult) -> str:
    missing = [c for c in result.components if not c.known]
    uncertain = [c for c in result.components if c.known and not c.points.certain]
    parts = []
    for codes, word in ((missing, "missing"), (uncertain, "uncertain")):
        if codes:
            names = [c.spec.short for c in codes[:2]]
            more = f" +{len(codes) - 2}" if len(codes) > 2 else ""
            parts.append(f"{', '.join(names)}{more} {word}")
    return "; ".join(parts)


def _advice(result: ScoreResult) -> str | None:
    if result.spec is not SINS:
        return None
    if result.total.low >= SINS_CONSULT_FROM:
        return SINS_CONSULT
    if result.total.high >= SINS_CONSULT_FROM:
        return f"surgical consultation if {SINS_CONSULT_FROM} or more"
    return SINS_SCOPE_SHORT


def headline(summary: ScoreSummary) -> str:
    """The card summary: score, total or range, level, band or gap, advice (< 140 characters).

    A SINS card never says "stable" without saying what SINS does not assess; a band that rests
    on a dated input says so.
    """
    result = summary.result
    where = f" at {summary.level}" if summary.level else ""
    text = f"{result.spec.short_title} {result.total}{where}"
    if HAEMATOLOGICAL_CAVEAT in summary.title:
        text += f" ({HAEMATOLOGICAL_CAVEAT})"
    gap = ": no label" if result.unlabelled else ": range spans bands"  # NESMS has none
    text += f" ({result.band.short_label})" if result.band else gap
    advice, gaps = _advice(result), _gaps(result)
    if result.band is not None and advice:
        text += f": {advice}"
    elif result.band is None:
        text += "".join(f", {part}" for part in (gaps, advice) if part)
    if summary.dated:
        text += f"; rests on dated {', '.join(summary.dated)}"
    return shorten(text)


def indicator(result: ScoreResult) -> Indicator:
    """SINS certainly unstable is critical, certainly 7 or more a warning (contract §4 v3); the
    SINS card adds what the level's state changes (adapter.decision.sins)."""
    return certain_indicator(result.total) if result.spec is SINS else "info"


def _detail(summary: ScoreSummary, extra: Sequence[tuple[str, Sequence[str]]] = ()) -> str:
    # Every piece of wording enters the Markdown through markdown_text: any may carry record text.
    md = markdown_text
    where = f" at {summary.level}" if summary.level else ""
    band = summary.band or NOT_SETTLED_SHORT
    lines = [
        f"**{md(f'{summary.title}{where}: {summary.total}')}** ({md(band)})",
        "",
        md(without_ids(summary.recommendation)),  # it may cite a fracture (decision/sins.py)
        *(f"\n**{md(without_ids(caution))}**" for caution in summary.cautions),
        "",
        "| Component | Points | Source and date |",
        "|---|---|---|",
    ]
    for comp in summary.components:
        sources = "; ".join(comp.said) or "—"
        lines.append(f"| {md(comp.name)} | {md(comp.value)} | {md(sources)} |")
    notes = dict.fromkeys(without_ids(n) for c in summary.components for n in c.notes)
    sections: list[tuple[str, Sequence[str]]] = [
        ("The band rests on dated inputs", [f"{name}: re-assess" for name in summary.dated]),
        (TO_SETTLE_HEADING, summary.missing),
        ("Notes", list(notes)),
        *extra,
    ]
    for title, items in sections:
        if items:
            lines += ["", f"**{title}**", ""] + [f"- {md(item)}" for item in items]
    return "\n".join(lines)


def _other_levels(decision: SinsDecision, result: PatientResult) -> list[str]:
    out = [lv.line or lv.headline for lv in decision.levels[1:]]
    unscored = result.assessment.unscored
    out += [f"{label}: not scored ({without_ids(reason)})" for label, reason in unscored]
    return out


def _card(
    hook_instance: str,
    summary: ScoreSummary,
    resources: Sequence[dict[str, Any]],
    extra: Sequence[tuple[str, Sequence[str]]] = (),
) -> Card:
    code = summary.result.code
    actions = [
        Action(
            type="create",
            description=f"Record the {resource['resourceType']} of {summary.title}",
            resource=resource,
        )
        for resource in resources
    ]
    suggestion = Suggestion(
        label=f"Record the {summary.title} result in the chart",
        uuid=card_uuid(hook_instance, f"{code}:record"),
        actions=actions,
    )
    return Card(
        uuid=card_uuid(hook_instance, code),
        summary=headline(summary),
        detail=_detail(summary, extra),
        indicator=indicator(summary.result),
        source=Source(
            label="spinemets",
            topic=CodingModel(system=SCORE, code=code, display=summary.result.spec.title),
        ),
        suggestions=[suggestion] if actions else None,
        selectionBehavior="at-most-one" if actions else None,
    )


def _sins_resources(levels: Sequence[LevelResult], result: PatientResult) -> list[dict[str, Any]]:
    out = [lv.observation for lv in levels]
    if result.sins_risk is not None:
        out.append(result.sins_risk)
    return logical_references(out)


def deceased_card(deceased: Deceased, hook_instance: str) -> Card:
    """The one card for a patient the record says has died: no recommendation."""
    why = deceased.heading
    return Card(
        uuid=card_uuid(hook_instance, "deceased"),
        summary=shorten(f"{why}: no score or recommendation is shown"),
        detail=(
            f"{markdown_text(why)}. spinemets shows no score, strategy or recommendation for a "
            "deceased patient. If this is wrong, correct Patient.deceased[x] in the record."
        ),
        indicator="info",
        source=Source(label="spinemets"),
    )


def neurology_card(alert: NeurologyAlert, hook_instance: str) -> Card:
    """Critical for a new or worse deficit or current high-grade compression (the MSCC action,
    and the steroid prompt for a deficit); a warning or info card for what only needs review."""
    md = markdown_text
    lines = [f"**{md(NEUROLOGY_ACTION)}**", ""] if alert.critical else []
    if alert.steroid:
        lines += [f"**{md(alert.steroid)}**", ""]
    lines += ["**Recorded**", ""]
    # Each item names its finding, level and date; card text carries no resource ids.
    said = (f"{item.indicator or 'listed'}: {item.text}" for item in alert.items)
    lines += [f"- {md(line)}" for line in said]
    lines += [
        "",
        "SINS and the prognostic scores do not assess neurology or epidural compression; a "
        "stable SINS does not exclude compression.",
    ]
    return Card(
        uuid=card_uuid(hook_instance, "neurology"),
        summary=alert.headline,
        detail="\n".join(lines),
        indicator=alert.indicator,
        source=Source(label="spinemets"),
    )


def score_cards(
    decisions: Decisions, hook_instance: str, shown: Collection[str] = ()
) -> list[Card]:
    """The neurology card when it applies, then one card per score (SINS at its worst level, Tomita,
    Tokuhashi, the v3 tools named in ``shown``); after an index procedure, the outcome card. A
    deceased patient gets one info card only."""
    result = decisions.result
    alert = decisions.neurology
    if not decisions.spinal and result.outcome is None:
        if decisions.deceased is not None:
            return []
        ignored = [without_ids(i.diagnostics) for i in result.issues if i.severity == "error"]
        return [
            *unread_cards(result.assessment.unread, card_uuid(hook_instance, "unread")),
            *ignored_cards(ignored, card_uuid(hook_instance, "ignored")),
            *_no_outcome(result, hook_instance),
        ]
    if decisions.deceased is not None:
        return [deceased_card(decisions.deceased, hook_instance)]
    cards = [neurology_card(alert, hook_instance)] if alert is not None else []
    if has_spinal_disease(result):
        cards += _scores(decisions, hook_instance, shown)
    view = outcome_view(result)
    if view is not None:
        built = result.outcome_observation
        resources = logical_references([built]) if built is not None else []
        ids = card_uuid(hook_instance, "outcome"), card_uuid(hook_instance, "outcome:record")
        cards.append(outcome_card(view, resources, *ids))
    return cards + _no_outcome(result, hook_instance)


def _no_outcome(result: PatientResult, hook_instance: str) -> list[Card]:
    uuid = card_uuid(hook_instance, "outcome")  # in the outcome card's place, never beside it
    return no_outcome_card(result.outcome_blocked, result.outcome_issues, uuid)


def _scores(decisions: Decisions, hook_instance: str, shown: Collection[str]) -> list[Card]:
    result = decisions.result
    sins = decisions.sins
    issues = [without_ids(issue.diagnostics) for issue in result.issues]
    cards = []
    decision = decisions.levels
    if decision.first is not None:
        cards.append(_sins_card(hook_instance, decision, sins, result, issues))
    elif decisions.unplaced is not None:
        cards.append(unplaced_card(decisions.unplaced, issues, card_uuid(hook_instance, SINS.code)))
    issues = [] if cards else issues  # the SINS card carries them, else the first other card
    cards += prognosis_cards(decisions, shown, issues, functools.partial(_card, hook_instance))
    return cards


def _sins_card(
    hook_instance: str,
    decision: SinsDecision,
    summaries: Sequence[ScoreSummary],
    result: PatientResult,
    issues: Sequence[str],
) -> Card:
    """One SINS card: the worst level's words and indicator (contract §4 v3), the others listed."""
    first = decision.levels[0]
    summary = next(s for s in summaries if s.level == first.name)
    summary = replace(summary, recommendation=recommendation(first, summary.recommendation))
    extra = [("Other levels", _other_levels(decision, result)), ("Input issues", issues)]
    card = _card(hook_instance, summary, _sins_resources(result.levels, result), extra)
    return card.model_copy(
        update={"summary": shorten(first.headline), "indicator": decision.indicator}
    )


def system_actions(result: PatientResult) -> list[Action]:
    """Create actions for every score Observation and RiskAssessment (off unless configured)."""
    resources = _sins_resources(result.levels, result)
    for score in result.scores:
        resources += logical_references([score.observation, score.risk])
    return [
        Action(type="create", description=f"Record spinemets {r['resourceType']}", resource=r)
        for r in resources
    ]
