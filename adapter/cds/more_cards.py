"""The v3 prognosis tools on the patient-view cards (contract §1 v3, §4 v3): their own cards only
when a setting switches each on (four more prognosis cards on every patient would drown the ones
that matter), and one line naming their results on the Tokuhashi card. Their results are computed,
written, and shown on the page and in the text report whatever the settings say."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from adapter.cds.models import Card, Source
from adapter.decision import Decisions
from adapter.decision.wording import (
    NOT_FULLY_READ,
    NOT_FULLY_READ_ADVICE,
    UNREAD_AT_SPINE,
    UNREAD_AT_SPINE_ADVICE,
    shorten,
    unvalidated,
)
from adapter.fhir.write.references import logical_references
from adapter.report import ScoreSummary
from adapter.vocabulary import MORE_SCORES
from adapter.vocabulary.cards import Indicator, markdown_text

__all__ = [
    "MORE_CARDS",
    "card_shown",
    "ignored_cards",
    "other_tools",
    "prognosis_cards",
    "unread_cards",
]

Extra = Sequence[tuple[str, Sequence[str]]]
MakeCard = Callable[[ScoreSummary, Sequence[dict[str, Any]], Extra], Card]

MORE_CARDS = frozenset(spec.code for spec in MORE_SCORES)
_WITH_OTHER_TOOLS = "tokuhashi-revised"


def card_shown(code: str, shown: Collection[str]) -> bool:
    """Whether a score's card is given: always for the first scores, when switched on for the v3
    tools."""
    return code not in MORE_CARDS or code in shown


def other_tools(decisions: Decisions, code: str) -> list[tuple[str, list[str]]]:
    """The Tokuhashi card's line naming the other prognosis tools' results ("Other tools:
    NESMS 2, modified Bauer 2–3 — see the page"); nothing on any other card."""
    if code != _WITH_OTHER_TOOLS:
        return []
    named = [
        f"{unvalidated(s.result.spec.short_title, decisions.haematological)} {s.total}"
        for s in decisions.prognosis
        if s.result.code in MORE_CARDS
    ]
    if not named:
        return []
    return [("Other tools", [f"Other tools: {', '.join(named)} — see the page"])]


def prognosis_cards(
    decisions: Decisions, shown: Collection[str], issues: Sequence[str], card: MakeCard
) -> list[Card]:
    """One card per prognosis score whose card is given, the input issues on the first."""
    out = []
    for summary, score in zip(decisions.prognosis, decisions.result.scores, strict=True):
        if not card_shown(score.result.code, shown):
            continue
        extra: list[tuple[str, Sequence[str]]] = [("Input issues", issues)] if issues else []
        extra += other_tools(decisions, score.result.code)
        out.append(card(summary, logical_references([score.observation, score.risk]), extra))
        issues = []
    return out


_LISTED = 10  # the ignored records a card lists; the rest are counted


def ignored_cards(ignored: Sequence[str], card_id: str) -> list[Card]:
    """One warning card naming the invalid records of a patient with nothing else to show: the
    ignored one may be the metastasis (contract §2: an invalid resource is reported)."""
    if not ignored:
        return []
    count = f" ({len(ignored)} record{'s' if len(ignored) > 1 else ''} ignored)"
    lines = list(ignored[:_LISTED])
    lines += [f"and {len(ignored) - _LISTED} more"] if len(ignored) > _LISTED else []
    return [_listing(card_id, f"{NOT_FULLY_READ}{count}", lines, NOT_FULLY_READ_ADVICE, "warning")]


def _listing(
    card_id: str, summary: str, lines: Sequence[str], advice: str, level: Indicator
) -> Card:
    """A card of records named one a line, then what to do about them."""
    detail = [*(f"- {markdown_text(line)}" for line in lines), "", markdown_text(advice)]
    return Card(
        uuid=card_id,
        summary=shorten(summary),
        detail="\n".join(detail),
        indicator=level,
        source=Source(label="spinemets"),
    )


def unread_cards(unread: Sequence[str], card_id: str) -> list[Card]:
    """One info card naming the cancer records at a vertebra that spinemets does not understand,
    for a patient with nothing else to show: silence would read as "no spinal disease"."""
    if not unread:
        return []
    summary = f"{unread[0]}: {UNREAD_AT_SPINE}"
    return [_listing(card_id, summary, unread, UNREAD_AT_SPINE_ADVICE, "info")]
