"""One patient's outcome in a few plain lines, for the patient-view card and the text report."""

from __future__ import annotations

from adapter.fhir.read.timing import day_text
from adapter.outcomes import TIME_POINTS, PatientOutcome
from adapter.vocabulary.outcomes import treated_words

__all__ = ["outcome_lines"]

_WHEN = {"baseline": "before", "7d": "7 days", "3mo": "3 months", "6mo": "6 months"}


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _trajectory(outcome: PatientOutcome, measure: str, title: str) -> str:
    trajectory = outcome.trajectory(measure)
    shown = [
        f"{_number(v)} ({_WHEN[tp]})"
        for tp in TIME_POINTS
        if (v := trajectory.value(tp)) is not None
    ]
    return f"{title}: {' → '.join(shown)}" if shown else f"{title}: not recorded"


def outcome_lines(outcome: PatientOutcome) -> list[str]:
    """The index procedure, pain and Barthel over time, complications."""
    levels = treated_words(outcome.treated_levels, outcome.procedure_levels)
    cement = f"; cement {_number(outcome.cement_ml)} mL" if outcome.cement_ml is not None else ""
    complications = sorted({c.named for c in outcome.complications})
    return [
        f"Index procedure {day_text(outcome.index_day)} ({levels}{cement})",
        _trajectory(outcome, "pain", "Pain 0–10"),
        _trajectory(outcome, "barthel", "Barthel Index"),
        "Complications: " + (", ".join(complications) if complications else "none recorded"),
    ]
