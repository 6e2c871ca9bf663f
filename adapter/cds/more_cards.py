"""Which score cards a patient-view response carries: the v3 prognosis tools (Bauer, modified
Bauer, NESMS, van der Linden) only when their setting switches them on (contract §1 v3). Their
results are still computed, written, shown on the page and in the text report."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from adapter.pipeline import PatientResult

__all__ = ["with_cards_shown"]


def with_cards_shown(result: PatientResult, hidden: Collection[str]) -> PatientResult:
    """The result as the cards see it: the scores whose card is switched off left out."""
    if not hidden:
        return result
    return replace(result, scores=tuple(s for s in result.scores if s.result.code not in hidden))
