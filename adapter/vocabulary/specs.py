"""The shapes of the score vocabulary: a score, its components, its bands.

A spec holds every fact about a score that more than one module needs: codes and displays for
FHIR, titles for reports and cards, what settles a missing input, each band's range and wording.
Cut-offs are read from the bands, never typed again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "NOT_SETTLED",
    "NOT_SETTLED_SHORT",
    "NO_LABEL",
    "TO_SETTLE_HEADING",
    "BandSpec",
    "ComponentSpec",
    "MethodSpec",
    "ScoreSpec",
]

# What every output says in place of a band: for a range that spans bands, and for a total the
# publication gives no label (the short form where a line has little room: cards).
NOT_SETTLED_SHORT = "category not settled"
NOT_SETTLED = f"{NOT_SETTLED_SHORT}: the range spans bands"
NO_LABEL = "no label"
# What heads a range's missing and conflicting inputs, each with what settles it.
TO_SETTLE_HEADING = "Missing or uncertain, and what would settle it"


@dataclass(frozen=True, slots=True)
class BandSpec:
    """One result category: its code, inclusive total range and what it means.

    ``label`` names the band in a sentence ("potentially unstable"); ``short_label`` is the
    form used inside a card summary. ``wording`` is what a reader is told about the band — for
    prognostic scores the *published strategy for this band*, never an indication.
    ``excision`` marks a strategy of excising a lesion, which presumes a single lesion.
    """

    code: str
    low: int
    high: int
    display: str
    definition: str
    label: str
    short_label: str
    wording: str
    excision: bool = False

    def holds(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One component (item) of a score."""

    code: str
    display: str
    definition: str
    title: str  # in reports: "Vertebral body collapse"
    short: str  # in a 140-character card summary: "collapse"
    settle: str | None  # what the clinician records to settle it; None: never missing


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """The published version a total follows (Observation.method)."""

    code: str
    display: str
    definition: str


@dataclass(frozen=True, slots=True)
class ScoreSpec:
    """A whole score: total code, method, components in output order, bands in order."""

    code: str
    display: str
    definition: str
    title: str  # "Revised Tokuhashi (2005)"
    short_title: str  # "Revised Tokuhashi"
    source: str  # "Tokuhashi 2005": cited beside published strategies
    method: MethodSpec
    components: tuple[ComponentSpec, ...]
    bands: tuple[BandSpec, ...]

    def component(self, code: str) -> ComponentSpec:
        for spec in self.components:
            if spec.code == code:
                return spec
        raise KeyError(f"{self.code} has no component {code!r}")

    def band(self, code: str) -> BandSpec:
        for spec in self.bands:
            if spec.code == code:
                return spec
        raise KeyError(f"{self.code} has no band {code!r}")

    def band_of(self, low: int, high: int) -> BandSpec | None:
        """The band holding every total from ``low`` to ``high``; None when they span bands."""
        for spec in self.bands:
            if spec.low <= low and high <= spec.high:
                return spec
        return None

    def bands_within(self, low: int, high: int) -> tuple[BandSpec, ...]:
        """Every band some total from ``low`` to ``high`` falls into."""
        return tuple(b for b in self.bands if b.low <= high and low <= b.high)
