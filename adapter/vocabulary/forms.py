"""The three forms that record what an EHR does not hold (contract §7): which findings each asks,
and which of them are asked per spinal level.

The Questionnaires in questionnaires/ are built from this and from the finding CodeSystem
(``scripts/generate-questionnaires``); reading a QuestionnaireResponse as findings (contract §2)
reads the same shape back. An item's ``linkId`` is its finding code, so a response can be read
without its Questionnaire; per-level findings sit in a repeating group ``level`` whose first
item ``vertebra`` holds the level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapter.vocabulary import findings as finding
from adapter.vocabulary.systems import BASE

__all__ = [
    "FORMS",
    "LEVEL_GROUP",
    "LEVEL_ITEM",
    "NO_TIME",
    "RECORDED_AT",
    "FormSpec",
    "asked_twice",
    "form_of_canonical",
    "is_prefilled",
    "questionnaire_url",
]

LEVEL_GROUP = "level"  # linkId of the repeating group of per-level questions
LEVEL_ITEM = "vertebra"  # linkId (and finding code) of the group's first item: the level
# On a prefilled answer: when the finding it repeats was recorded (its clinical time). An answer
# that still carries it repeats a finding the record holds: it is not a new assessment.
RECORDED_AT = f"{BASE}/StructureDefinition/answer-recorded"
# Its value when the finding has no recorded time: still marked, or saving the form unchanged
# would write an undated finding as a new one dated at the save, outranking every timed report.
NO_TIME = "no-time"


def is_prefilled(answer: object) -> bool:
    """Whether an answer repeats, unchanged, a finding already in the record."""
    extensions = answer.get("extension") if isinstance(answer, dict) else None
    return isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == RECORDED_AT for e in extensions
    )


def asked_twice(items: Iterable[Mapping[str, Any]], asked: Iterable[str]) -> str | None:
    """The first of the ``asked`` questions that appears twice among sibling ``items`` (two
    frankel-grade items, two Bilsky items in one level group), else None: neither answer can be
    taken for the other, and extracted both would be one Observation written twice."""
    wanted = set(asked)
    links = [i.get("linkId") for i in items]
    return next((link for link in links if link in wanted and links.count(link) > 1), None)


@dataclass(frozen=True, slots=True)
class FormSpec:
    """One form: its name (the Questionnaire's id), title, purpose and the findings it asks."""

    name: str
    title: str
    description: str
    whole: tuple[str, ...]  # findings about the patient as a whole
    per_level: tuple[str, ...]  # findings asked once per spinal level
    sins_levels_only: bool = False  # offer only the levels SINS scores (not the coccyx)

    @property
    def findings(self) -> tuple[str, ...]:
        return self.whole + self.per_level


SINS_FORM = FormSpec(
    name="sins",
    title="Spinal Instability Neoplastic Score (SINS) findings",
    description="The five SINS findings a radiologist or spine surgeon reads off the imaging and "
    "the history, per spinal level with a metastasis, beside the level's location points; the "
    "running total shows what is certain and how many findings are missing.",
    whole=(),
    per_level=(
        finding.SPINAL_PAIN,
        finding.BONE_LESION_QUALITY,
        finding.SPINAL_ALIGNMENT,
        finding.VERTEBRAL_BODY_COLLAPSE,
        finding.POSTEROLATERAL_INVOLVEMENT,
        finding.SPINAL_STABILITY,  # the surgeon's verdict: NOMS's mechanical input, not SINS
    ),
    sins_levels_only=True,
)
NEUROLOGY_FORM = FormSpec(
    name="neurology",
    title="Neurology and epidural compression",
    description="The neurological grade (Frankel, or the ASIA impairment scale when Frankel is "
    "not used), ambulatory status (NESMS) and, per spinal level, the Bilsky grade of epidural "
    "spinal cord compression.",
    whole=(finding.FRANKEL_GRADE, finding.ASIA_IMPAIRMENT_SCALE, finding.AMBULATORY_STATUS),
    per_level=(finding.EPIDURAL_SPINAL_CORD_COMPRESSION,),
)
STAGING_FORM = FormSpec(
    name="staging",
    title="Staging findings for the prognosis tools",
    description="Visceral and major-organ metastases, the primary tumour's growth class, the "
    "extent of bone metastases and the counts of vertebral and extraspinal bone metastases, a "
    "pathological fracture (Bauer), the tumour's radiosensitivity and whether the patient "
    "tolerates surgery (NOMS), as the clinician assesses them (each overrides what spinemets "
    "derives from the Conditions).",
    whole=(
        finding.VISCERAL_METASTASES,
        finding.MAJOR_ORGAN_METASTASES,
        finding.TOMITA_PRIMARY_GROWTH,
        finding.BONE_METASTASIS_EXTENT,
        finding.VERTEBRAL_METASTASES_COUNT,
        finding.EXTRASPINAL_BONE_METASTASES_COUNT,
        finding.PATHOLOGICAL_FRACTURE,
        finding.RADIOSENSITIVITY,
        finding.SURGERY_TOLERANCE,
    ),
    per_level=(),
)
FORMS: dict[str, FormSpec] = {f.name: f for f in (SINS_FORM, NEUROLOGY_FORM, STAGING_FORM)}


def questionnaire_url(name: str) -> str:
    return f"{BASE}/Questionnaire/{name}"


def form_of_canonical(canonical: object) -> FormSpec | None:
    """The form a QuestionnaireResponse.questionnaire names (a ``|version`` is ignored)."""
    if not isinstance(canonical, str):
        return None
    url = canonical.split("|", 1)[0]
    for form in FORMS.values():
        if url == questionnaire_url(form.name):
            return form
    return None
