"""The neurology alert (contract §4): suspected spinal cord or cauda equina compression.

Computed once per patient and rendered by the cards, the text report and the page alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.pipeline import PatientResult

__all__ = ["NEUROLOGY_ACTION", "NeurologyAlert", "neurology_alert"]

NEUROLOGY_ACTION = (
    "Suspected metastatic spinal cord or cauda equina compression: contact the MSCC coordinator "
    "or the acute oncology / spinal team immediately; whole-spine MRI within 24 hours if not "
    "done (NICE NG234, 2023)."
)


@dataclass(frozen=True, slots=True)
class NeurologyAlert:
    """Why a patient may have spinal cord compression: the summary reasons and their sources."""

    reasons: tuple[str, ...]
    sources: tuple[str, ...]


def neurology_alert(patient: PatientResult) -> NeurologyAlert | None:
    """A neurological deficit (Frankel/AIS A–D) or high-grade compression (Bilsky 2–3, at any
    level or without a level) in the latest record; None when neither is recorded."""
    safety = patient.assessment.safety
    reasons: list[str] = []
    sources: list[str] = []
    if safety.deficit and safety.palsy is not None:
        grades = "/".join(sorted(g.value for g in safety.palsy.values if g.value != "E"))
        reasons.append(f"Frankel/AIS {grades}")
        sources += [ev.cited for ev in safety.palsy.evidence]
    compression = safety.high_grade_compression
    if compression:
        levels = sorted(
            {lv for lv, c in safety.compression.items() if any(g.high_grade for g in c.values)}
        )
        where = f" at {', '.join(levels)}" if levels else ""
        reasons.append(f"Bilsky 2–3{where}")
        sources += [ev.cited for ev in compression]
    return NeurologyAlert(tuple(reasons), tuple(dict.fromkeys(sources))) if reasons else None
