"""The neurology alert (contract §4): suspected spinal cord or cauda equina compression.

Computed once per patient and rendered by the cards, the text report and the page alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapter.mapping.evidence import Evidence
from adapter.pipeline import PatientResult

__all__ = ["NEUROLOGY_ACTION", "NeurologyAlert", "neurology_alert"]

NEUROLOGY_ACTION = (
    "Suspected metastatic spinal cord or cauda equina compression: contact the MSCC coordinator "
    "or the acute oncology / spinal team immediately; whole-spine MRI within 24 hours if not "
    "done (NICE NG234, 2023)."
)


@dataclass(frozen=True, slots=True)
class NeurologyAlert:
    """Why a patient may have spinal cord compression: the summary reasons and their sources
    (``sources`` cite resource ids, for the text report; ``evidence`` is what cards cite)."""

    reasons: tuple[str, ...]
    sources: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    indicator: Literal["warning", "critical"] = "critical"

    @property
    def summary(self) -> str:
        """The alert in one line, as the card, the text report and the page head it."""
        return (
            f"Suspected spinal cord compression ({'; '.join(self.reasons)}): contact the MSCC / "
            "spinal team now"
        )


def neurology_alert(patient: PatientResult) -> NeurologyAlert | None:
    """A neurological deficit (Frankel/AIS A–D) or high-grade compression (Bilsky 2–3, at any
    level or without a level) in the latest record; None when neither is recorded."""
    safety = patient.assessment.safety
    reasons: list[str] = []
    evidence: list[Evidence] = []
    if safety.deficit and safety.palsy is not None:
        grades = "/".join(sorted(g.value for g in safety.palsy.values if g.value != "E"))
        reasons.append(f"Frankel/AIS {grades}")
        evidence += safety.palsy.evidence
    compression = safety.high_grade_compression
    if compression:
        levels = [lv for lv, c in safety.compression.items() if any(g.high_grade for g in c.values)]
        loose = safety.compression_unplaced
        if loose is not None and any(g.high_grade for g in loose.values):
            levels.append("level not recorded")  # never a level it was copied to
        reasons.append(f"Bilsky 2–3 at {', '.join(levels)}")
        evidence += compression
    if not reasons:
        return None
    unique = tuple(dict.fromkeys(evidence))
    return NeurologyAlert(tuple(reasons), tuple(dict.fromkeys(ev.listed for ev in unique)), unique)
