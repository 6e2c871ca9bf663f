"""Plain-language reading of a patient's scores, shared by the text report and CDS cards.

Wording rules (contract §4): SINS is a referral tool and never says "stable" without saying it
does not assess neurology or epidural compression; Tomita's and Tokuhashi's strategies are the
published strategy for a band, never an indication; a band that rests on a dated input says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.mapping.levels import LevelOrigin
from adapter.pipeline import LevelResult, PatientResult, firm_total
from adapter.scoring import ComponentScore, ScoreResult
from adapter.vocabulary import SINS, SINS_CONSULT_FROM, SINS_SCOPE
from adapter.vocabulary.specs import NO_LABEL, NOT_SETTLED

__all__ = [
    "ComponentLine",
    "ScoreSummary",
    "summarise",
]


@dataclass(frozen=True, slots=True)
class ComponentLine:
    name: str
    value: str
    evidence: tuple[Evidence, ...]
    notes: tuple[str, ...]
    settle: str | None

    @property
    def sources(self) -> tuple[str, ...]:
        """The inputs with resource ids: the text report and the page list the record."""
        return tuple(ev.listed for ev in self.evidence)

    @property
    def said(self) -> tuple[str, ...]:
        """The same inputs as cards cite them: no resource id. Worded when read: a card reads
        only its own score's lines."""
        return tuple(ev.said for ev in self.evidence)


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    title: str
    level: str | None
    total: str
    band: str | None
    recommendation: str
    result: ScoreResult
    bases: Mapping[str, Basis] = field(hash=False)  # the evidence of each component, by code
    cautions: tuple[str, ...] = ()  # how the level is known; a strategy that presumes one lesion
    origin: LevelOrigin | None = None  # SINS: how the level is known
    # The component lines and the dated inputs, worded when first read: a CDS call shows three
    # of a patient's nine or so summaries, the text report and the page all of them.
    _lines: tuple[ComponentLine, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _dated: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def components(self) -> tuple[ComponentLine, ...]:
        lines = self._lines
        if lines is None:
            bases = self.bases
            lines = tuple(
                _component(c, bases.get(c.code, _NO_BASIS)) for c in self.result.components
            )
            object.__setattr__(self, "_lines", lines)  # frozen: set once, as a cache
        return lines

    @property
    def missing(self) -> tuple[str, ...]:
        """What is missing or uncertain, and what would settle it."""
        return tuple(
            f"{line.name}: {line.settle}"
            for line, comp in zip(self.components, self.result.components, strict=True)
            if line.settle and not comp.points.certain
        )

    @property
    def dated(self) -> tuple[str, ...]:
        """The components with a dated input the band depends on (short names)."""
        dated = self._dated
        if dated is None:
            dated = _dated(self.result, self.bases)
            object.__setattr__(self, "_dated", dated)
        return dated

    @property
    def total_heading(self) -> str:
        """The heading without the band: "Tomita: 10" (a deceased patient's, whose band label
        would read as a strategy or a survival)."""
        where = f" {self.level}" if self.level else ""
        return f"{self.title}{where}: {self.total}"

    @property
    def heading(self) -> str:
        where = f" {self.level}" if self.level else ""
        band = self.band or (NO_LABEL if self.result.unlabelled else NOT_SETTLED)
        dated = f" (band rests on dated {', '.join(self.dated)})" if self.dated else ""
        return f"{self.title}{where}: {self.total} — {band}{dated}"


_NO_BASIS = Basis()


def _component(score: ComponentScore, basis: Basis) -> ComponentLine:
    value = str(score.points) if score.known else "missing"
    return ComponentLine(score.spec.title, value, basis.evidence, basis.all_notes, basis.settle)


def _dated(result: ScoreResult, bases: Mapping[str, Basis]) -> tuple[str, ...]:
    """The dated inputs the band depends on: without them, the band would not be settled."""
    if result.band is None:
        return ()
    firm = firm_total(result, bases)
    if result.spec.band_of(firm.low, firm.high) is result.band:
        return ()
    return tuple(
        c.spec.short
        for c in result.components
        if (basis := bases.get(c.code)) is not None and basis.any_dated
    )


def _excision_caveat(result: ScoreResult, patient: PatientResult) -> tuple[str, ...]:
    band = result.band
    vertebral = patient.assessment.tokuhashi.vertebral_count
    lesions = max(len(patient.levels), min(vertebral.values) if vertebral.known else 0)
    if band is None or not band.excision or lesions < 2:
        return ()
    return (
        f"The published strategy for this band presumes a single lesion: {lesions} vertebral "
        "lesions are recorded.",
    )


def _summary(
    result: ScoreResult,
    bases: Mapping[str, Basis],
    level: str | None,
    cautions: tuple[str, ...] = (),
    origin: LevelOrigin | None = None,
) -> ScoreSummary:
    if result.band is not None:
        recommendation = result.band.wording
    elif result.unlabelled is not None:  # no label for this total, whatever its range
        recommendation = result.unlabelled
    else:
        recommendation = "Not settled: " + " or ".join(b.label for b in result.possible_bands)
        if result.spec is SINS and result.total.low < SINS_CONSULT_FROM:
            recommendation += f". {SINS_SCOPE}."
    return ScoreSummary(
        title=result.spec.title,
        level=level,
        total=str(result.total),
        band=result.band.label if result.band else None,
        recommendation=recommendation,
        result=result,
        bases=bases,
        cautions=cautions,
        origin=origin,
    )


def _level_summary(lv: LevelResult) -> ScoreSummary:
    note = lv.assessment.note
    return _summary(lv.result, lv.bases, lv.level, (note,) if note else (), lv.assessment.origin)


def summarise(patient: PatientResult) -> list[ScoreSummary]:
    """Every score of a patient, SINS levels first (worst level first), then the prognoses."""
    worst = {lv.level for lv in patient.worst}
    levels = sorted(patient.levels, key=lambda lv: lv.level not in worst)
    out = [_level_summary(lv) for lv in levels]
    for score in patient.scores:
        out.append(
            _summary(score.result, score.bases, None, _excision_caveat(score.result, patient))
        )
    return out
