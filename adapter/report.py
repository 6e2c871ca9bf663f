"""Plain-language reading of a patient's scores, shared by the text report and CDS cards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapter.mapping.evidence import Basis
from adapter.pipeline import PatientResult
from adapter.scoring import ComponentScore, ScoreResult

__all__ = ["ComponentLine", "ScoreSummary", "summarise", "text_report"]


@dataclass(frozen=True, slots=True)
class ComponentLine:
    name: str
    value: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    settle: str | None


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    title: str
    level: str | None
    total: str
    band: str | None
    recommendation: str
    components: tuple[ComponentLine, ...]
    missing: tuple[str, ...]
    result: ScoreResult

    @property
    def heading(self) -> str:
        where = f" {self.level}" if self.level else ""
        band = self.band or "category not settled: the range spans bands"
        return f"{self.title}{where}: {self.total} — {band}"


def _component(score: ComponentScore, basis: Basis) -> ComponentLine:
    value = str(score.points) if score.known else "missing"
    sources = tuple(
        f"{ev.summary} — {ev.ref.reference or 'unreferenced'}"
        + (f", {ev.time.text}" if ev.time else "")
        for ev in basis.evidence
    )
    return ComponentLine(score.spec.title, value, sources, basis.all_notes, basis.settle)


def _summary(result: ScoreResult, bases: Mapping[str, Basis], level: str | None) -> ScoreSummary:
    lines = tuple(_component(c, bases.get(c.code, Basis())) for c in result.components)
    missing = tuple(
        f"{line.name}: {line.settle}"
        for line, comp in zip(lines, result.components, strict=True)
        if line.settle and not comp.points.certain
    )
    if result.band is not None:
        recommendation = result.band.wording
    else:
        recommendation = "Not settled: " + " or ".join(b.label for b in result.possible_bands)
    return ScoreSummary(
        result.spec.title,
        level,
        str(result.total),
        result.band.label if result.band else None,
        recommendation,
        lines,
        missing,
        result,
    )


def summarise(patient: PatientResult) -> list[ScoreSummary]:
    """Every score of a patient, SINS levels first (worst level first), then the prognoses."""
    worst = {lv.assessment.level for lv in patient.worst}
    levels = sorted(patient.levels, key=lambda lv: lv.assessment.level not in worst)
    out = [_summary(lv.result, lv.assessment.basis, lv.assessment.level) for lv in levels]
    for score in patient.scores:
        out.append(_summary(score.result, patient.assessment.basis, None))
    return out


def text_report(patient: PatientResult) -> str:
    """What a clinician reads: totals or ranges, bands, components with sources and gaps."""
    lines = [f"Patient {patient.patient}"]
    if not patient.levels:
        lines.append("  SINS: no spinal level recorded, nothing to score.")
    for label, reason in patient.assessment.unscored:
        lines.append(f"  SINS not scored at {label}: {reason}.")
    for summary in summarise(patient):
        lines.append(f"  {summary.heading}")
        lines.append(f"    → {summary.recommendation}")
        for comp in summary.components:
            lines.append(f"    {comp.name:<32} {comp.value:>7}")
            lines += [f"{'':8}from {src}" for src in comp.sources]
            lines += [f"{'':8}note: {note}" for note in comp.notes]
        if summary.missing:
            lines.append("    To settle the range:")
            lines += [f"      - {m}" for m in summary.missing]
    for issue in patient.issues:
        lines.append(f"  {issue.severity}: {issue.diagnostics}")
    return "\n".join(lines)
