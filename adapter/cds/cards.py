"""A patient's scores → CDS cards (contract §4): one card per score, worst SINS level first.

Every card renders a :class:`adapter.decision.Decisions`, the one set of decisions the text report
and the page render too, so a card and ``spinemets score --format text`` never disagree. Card text
follows the wording rules of :mod:`adapter.decision.wording`: summaries cut at a word boundary,
evidence cited by reading and day, never by resource id. Suggestions carry exactly the resources the
pipeline built. Card and suggestion uuids are uuid5 of the hook instance and the score, so a
retried call gives the same uuids and feedback can be matched to what was shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from adapter.cds.models import Action, Card, CodingModel, Source, Suggestion
from adapter.cohort.lines import outcome_lines
from adapter.decision import (
    NEUROLOGY_ACTION,
    Deceased,
    Decisions,
    NeurologyAlert,
    has_spinal_disease,
)
from adapter.decision.wording import HAEMATOLOGICAL_CAVEAT, said_all, shorten, without_ids
from adapter.fhir.write.references import logical_references
from adapter.pipeline import LevelResult, PatientResult
from adapter.report import ScoreSummary
from adapter.scoring import ScoreResult
from adapter.vocabulary import SINS
from adapter.vocabulary.systems import SCORE

__all__ = [
    "card_uuid",
    "deceased_card",
    "has_spinal_disease",
    "neurology_card",
    "score_cards",
    "system_actions",
    "table_cell",
]

_NAMESPACE = uuid.UUID("0f5d7c1e-6a0b-5b7e-9c35-2d4c6e8a1b93")
# SINS cut-offs, read from its bands: consultation from the potentially unstable band up.
_CONSULT_FROM = SINS.band("sins-potentially-unstable").low
_UNSTABLE_FROM = SINS.band("sins-unstable").low
_NOT_ASSESSED = "does not assess neurology or cord compression"

Indicator = Literal["info", "warning", "critical"]


def card_uuid(hook_instance: str, key: str) -> str:
    """Deterministic per hook instance and card (or suggestion) key."""
    return str(uuid.uuid5(_NAMESPACE, f"{hook_instance}|{key}"))


def table_cell(text: str) -> str:
    """Text safe inside a GitHub-Flavored-Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


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
    if result.total.low >= _CONSULT_FROM:
        return "surgical consultation recommended"
    if result.total.high >= _CONSULT_FROM:
        return f"surgical consultation if {_CONSULT_FROM} or more"
    return _NOT_ASSESSED


_ORIGIN = {"unconfirmed": " (unconfirmed lesion)", "findings": " (level from findings only)"}


def _where(summary: ScoreSummary) -> str:
    if not summary.level:
        return ""
    return f" at {summary.level}{_ORIGIN.get(summary.origin or '', '')}"


def headline(summary: ScoreSummary) -> str:
    """The card summary: score, total or range, level, band or gap, advice (< 140 characters).

    A SINS card never says "stable" without saying what SINS does not assess; a band that rests
    on a dated input says so.
    """
    result = summary.result
    text = f"{result.spec.short_title} {result.total}{_where(summary)}"
    if HAEMATOLOGICAL_CAVEAT in summary.title:
        text += f" ({HAEMATOLOGICAL_CAVEAT})"
    text += f" ({result.band.short_label})" if result.band else ": range spans bands"
    advice, gaps = _advice(result), _gaps(result)
    if result.band is not None and advice:
        text += f": {advice}"
    elif result.band is None:
        text += "".join(f", {part}" for part in (gaps, advice) if part)
    if summary.dated:
        text += f"; rests on dated {', '.join(summary.dated)}"
    return shorten(text)


def indicator(result: ScoreResult) -> Indicator:
    """SINS certainly unstable is critical; a SINS range reaching consultation is a warning."""
    if result.spec is not SINS:
        return "info"
    if result.total.low >= _UNSTABLE_FROM:
        return "critical"
    return "warning" if result.total.high >= _CONSULT_FROM else "info"


def _detail(summary: ScoreSummary, extra: Sequence[tuple[str, Sequence[str]]] = ()) -> str:
    where = f" at {summary.level}" if summary.level else ""
    lines = [
        f"**{summary.title}{where}: {summary.total}** ({summary.band or 'category not settled'})",
        "",
        summary.recommendation,
        *(f"\n**{caution}**" for caution in summary.cautions),
        "",
        "| Component | Points | Source and date |",
        "|---|---|---|",
    ]
    for comp in summary.components:
        sources = "; ".join(comp.said) or "—"
        lines.append(f"| {table_cell(comp.name)} | {comp.value} | {table_cell(sources)} |")
    notes = dict.fromkeys(without_ids(n) for c in summary.components for n in c.notes)
    sections: list[tuple[str, Sequence[str]]] = [
        ("The band rests on dated inputs", [f"{name}: re-assess" for name in summary.dated]),
        ("Missing or uncertain, and what would settle it", summary.missing),
        ("Notes", list(notes)),
        *extra,
    ]
    for title, items in sections:
        if items:
            lines += ["", f"**{title}**", ""] + [f"- {item}" for item in items]
    return "\n".join(lines)


def _other_levels(
    worst: ScoreSummary, sins: Sequence[ScoreSummary], result: PatientResult
) -> list[str]:
    out = [
        f"{s.level}: {s.total} ({s.band or 'category not settled'})" for s in sins if s is not worst
    ]
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
            f"{why}. spinemets shows no score, strategy or recommendation for a deceased "
            "patient. If this is wrong, correct Patient.deceased[x] in the record."
        ),
        indicator="info",
        source=Source(label="spinemets"),
    )


def neurology_card(alert: NeurologyAlert, hook_instance: str) -> Card:
    """Critical: a neurological deficit or high-grade cord compression is in the record."""
    lines = [f"**{NEUROLOGY_ACTION}**", "", "**Recorded**", ""]
    lines += [f"- {source}" for source in said_all(alert.evidence)]
    lines += [
        "",
        "SINS and the prognostic scores do not assess neurology or epidural compression; a "
        "stable SINS does not exclude compression.",
    ]
    return Card(
        uuid=card_uuid(hook_instance, "neurology"),
        summary=shorten(alert.summary),
        detail="\n".join(lines),
        indicator=alert.indicator,
        source=Source(label="spinemets"),
    )


def score_cards(decisions: Decisions, hook_instance: str) -> list[Card]:
    """The neurology card when it applies, then one card per score: SINS at its worst level,
    Tomita, revised (and original) Tokuhashi. A deceased patient gets one info card only."""
    result = decisions.result
    alert = decisions.neurology
    if not decisions.spinal:
        return []
    if decisions.deceased is not None:
        return [deceased_card(decisions.deceased, hook_instance)]
    cards = [neurology_card(alert, hook_instance)] if alert is not None else []
    if not has_spinal_disease(result):
        return cards
    sins, others = decisions.sins, decisions.prognosis
    issues = [without_ids(issue.diagnostics) for issue in result.issues]
    after = [("After the procedure", outcome_lines(result.outcome))] if result.outcome else []
    if sins:
        worst = sins[0]
        extra = [
            ("Other levels", _other_levels(worst, sins, result)),
            *after,
            ("Input issues", issues),
        ]
        cards.append(_card(hook_instance, worst, _sins_resources(result.levels, result), extra))
        issues, after = [], []
    for summary, score in zip(others, result.scores, strict=True):
        extra = [*after, ("Input issues", issues)] if issues or after else []
        resources = logical_references([score.observation, score.risk])
        cards.append(_card(hook_instance, summary, resources, extra))
        issues, after = [], []
    return cards


def system_actions(result: PatientResult) -> list[Action]:
    """Create actions for every score Observation and RiskAssessment (off unless configured)."""
    resources = _sins_resources(result.levels, result)
    for score in result.scores:
        resources += logical_references([score.observation, score.risk])
    return [
        Action(type="create", description=f"Record spinemets {r['resourceType']}", resource=r)
        for r in resources
    ]
