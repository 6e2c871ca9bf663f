"""One finding of the neurology alert (adapter/decision/neurology.py), as every surface shows it."""

from __future__ import annotations

from dataclasses import dataclass

from adapter.vocabulary.cards import Indicator

__all__ = ["NeurologyItem"]


@dataclass(frozen=True, slots=True)
class NeurologyItem:
    """One finding on the card: its indicator (None: listed only), wording and sources."""

    indicator: Indicator | None
    text: str
    sources: tuple[str, ...]
    reason: str | None = None  # how a critical finding is named in the summary
    deficit: bool = False
    level: str | None = None  # a final Bilsky 2–3 at this level (the summary lists them together)
    dated: bool = False  # older than its window: raises the alarm, said dated
