"""SINS for a bone metastasis whose level is not recorded (contract §4: one card per score, with
what is missing and what would settle it; snomed-vertebrae.md: the output says the level is
unknown). The card, the text report and the page say it in these words.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.mapping.levels import UNRECORDED, unscored_line
from adapter.pipeline import PatientResult
from adapter.scoring import LEVELS

__all__ = ["UNPLACED_HEADLINE", "UNPLACED_SETTLE", "Unplaced", "unplaced_sins"]

UNPLACED_HEADLINE = "SINS cannot be placed: level not recorded"
UNPLACED_SETTLE = (
    "record the bone metastasis's level (bodySite), or the SINS findings at its level (that "
    "level is then scored, from findings only)"
)


@dataclass(frozen=True, slots=True)
class Unplaced:
    """The lesions SINS cannot be placed at, as (where, why) — the unscored entries, resource ids
    kept: each surface drops them its own way."""

    entries: tuple[tuple[str, str], ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """ "Thoracic spine structure: the bone metastasis's bodySite names no spinal level …";
        a metastasis with no bodySite has no "where"."""
        return tuple(
            why if where == UNRECORDED else f"{where}: {why}" for where, why in self.entries
        )

    @property
    def issues(self) -> frozenset[str]:
        """The input issues that say the same (extract.findings_and_levels)."""
        return frozenset(unscored_line(where, why) for where, why in self.entries)

    @property
    def headline(self) -> str:
        return f"{UNPLACED_HEADLINE} — record the bone metastasis's level"


def unplaced_sins(result: PatientResult) -> Unplaced | None:
    """When no level is scored but a bone metastasis is recorded without a level (no bodySite, or
    a spinal one that names none): what the SINS card says instead of a score. A level SINS
    does not score (the coccyx) is not a missing level."""
    if result.levels:
        return None
    entries = tuple((lb, why) for lb, why in result.assessment.unscored if lb not in LEVELS)
    return Unplaced(entries) if entries else None
