"""The outcome summary's codes (contract §6), in the score CodeSystem: the summary code and its
fourteen components — pain and Barthel Index at each time point and their change from baseline."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MEASURE_TITLES",
    "OUTCOME",
    "OUTCOME_COMPONENTS",
    "OUTCOME_MEASURES",
    "OUTCOME_TIME_POINTS",
    "TREATED_NOT_RECORDED",
    "Concept",
    "treated_words",
]


@dataclass(frozen=True, slots=True)
class Concept:
    code: str
    display: str
    definition: str


# (code, as shown, its window in calendar days from the index date)
OUTCOME_TIME_POINTS = (
    ("baseline", "before the procedure", "days -30 to 0"),
    ("7d", "at 7 days", "days 3-14"),
    ("3mo", "at 3 months", "days 60-120"),
    ("6mo", "at 6 months", "days 150-240"),
)
# (code, title, scale)
OUTCOME_MEASURES = (
    ("pain", "Pain", "0-10, higher is worse"),
    ("barthel", "Barthel Index", "0-100, higher is more independent"),
)
# An index event whose treated level cannot be read (contract §6: never invented).
TREATED_NOT_RECORDED = "treated level not recorded"


def treated_words(treated: tuple[str, ...], procedure_levels: tuple[str, ...]) -> str:
    """The treated levels as every surface names them: the levels, or that they are not recorded
    with the procedure's own levels named as such (never counted as treated)."""
    if treated:
        return ", ".join(treated)
    if procedure_levels:
        return f"{TREATED_NOT_RECORDED} (levels of the procedure: {', '.join(procedure_levels)})"
    return TREATED_NOT_RECORDED


# Each measure as the reports and pages title it, with its range.
MEASURE_TITLES = {"pain": "Pain (0–10)", "barthel": "Barthel Index (0–100)"}
OUTCOME = Concept(
    "outcome-trajectory",
    "Outcome after the index procedure",
    "Per-patient summary of pain (0-10) and Barthel Index (0-100) before and after the index "
    "vertebral augmentation or fixation procedure, at the contract §6 time points, with the "
    "change from baseline; Observation.focus is the index Procedure.",
)


def _components() -> tuple[Concept, ...]:
    out = []
    for measure, title, scale in OUTCOME_MEASURES:
        for tp, when, window in OUTCOME_TIME_POINTS:
            definition = (
                f"{title} ({scale}) {when} ({window}), from the day of the index procedure."
            )
            out.append(Concept(f"{measure}-{tp}", f"{title} {when}", definition))
        for tp, when, window in OUTCOME_TIME_POINTS[1:]:
            out.append(
                Concept(
                    f"{measure}-{tp}-change",
                    f"{title} change from baseline {when}",
                    f"{title} {when} ({window}) minus {title} before the procedure "
                    "(negative = lower).",
                )
            )
    return tuple(out)


OUTCOME_COMPONENTS = _components()
