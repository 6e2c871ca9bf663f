"""The spinal presentation: one encounter with the baseline assessments, the levels, staging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthea import gmf
from synthea import vocabulary as v
from synthea.levels import add_levels, at
from synthea.observations import barthel, finding, measured, neurology, pain, performance

if TYPE_CHECKING:
    from synthea.module import Builder

__all__ = ["add_presentation"]

P_LEVELLESS_ALIGNMENT = 0.08  # a whole-spine "normal alignment" recorded without a level
P_LABS = 0.7
P_STAGING_FINDINGS = 0.5


def add_presentation(b: Builder, *, then: str) -> None:
    """From state ``Spine_Presentation`` to ``then``, the encounter ended."""
    for name, cls, coding in (
        ("Presentation_ED", "emergency", v.ENCOUNTER_ED),
        ("Presentation_Clinic", "ambulatory", v.ENCOUNTER_PROBLEM),
    ):
        b.add(
            name,
            {
                "type": "Encounter",
                "encounter_class": cls,
                "codes": [coding],
                "direct_transition": "Presentation_Primary",
            },
        )
    b.choose("Spine_Presentation", [("Presentation_ED", 0.35), ("Presentation_Clinic", 0.65)])
    b.simple(
        "Presentation_Primary",
        conditional_transition=[
            {"condition": gmf.attr_is("primary_site", "unknown"), "transition": "Diagnose_unknown"},
            {"transition": "After_Primary_At_Presentation"},
        ],
    )
    barthel_t0 = barthel(b, "T0", 25, 70, 0.85, then="Level_First")
    neuro = neurology(b, "T0", p_frankel=0.75, p_ais=0.1, then=barthel_t0)
    perf = performance(b, "T0", p_kps=0.45, p_ecog=0.4, kps=v.KPS_T0, then=neuro)
    entry = pain(b, "T0", 4, 9, 0.9, then=perf)
    b.simple("After_Primary_At_Presentation", direct_transition=entry)
    add_levels(b, start="Level_First", after="After_Levels")
    labs = _labs(b, then="End_Presentation")
    levelless = b.add(
        "Levelless_Alignment", finding("spinal-alignment", "normal", category="imaging", then=labs)
    )
    staging = _staging(b, then=b.maybe("Levelless", levelless, P_LEVELLESS_ALIGNMENT, labs))
    visceral = _visceral(b, then=staging)
    b.simple("After_Levels", direct_transition=_extraspinal(b, then=visceral))
    b.add("End_Presentation", {"type": "EncounterEnd", "direct_transition": then})


def _extraspinal(b: Builder, *, then: str) -> str:
    """Each extraspinal bone independently; returns the first chooser."""
    after = then
    for site, p in reversed(v.EXTRASPINAL.items()):
        onset = b.add(
            f"Extraspinal_{site}",
            {
                "type": "ConditionOnset",
                "codes": [at(v.BONE_METASTASIS_SNOMED, site)],
                "direct_transition": after,
            },
        )
        after = b.maybe(f"Maybe_Extraspinal_{site}", onset, p, after)
    return after


def _visceral(b: Builder, *, then: str) -> str:
    after = then
    for key, (coding, p, major) in reversed(v.VISCERAL.items()):
        mark = b.add(
            f"Visceral_{key}_Mark",
            {
                "type": "SetAttribute",
                "attribute": "major_organ" if major else "visceral_other",
                "value": "yes",
                "direct_transition": after,
            },
        )
        onset = b.add(
            f"Visceral_{key}",
            {"type": "ConditionOnset", "codes": [coding], "direct_transition": mark},
        )
        after = b.maybe(f"Maybe_Visceral_{key}", onset, p, after)
    return after


def _staging(b: Builder, *, then: str) -> str:
    """Sometimes the clinician records the visceral and major-organ assessments explicitly."""
    major = [
        (
            b.add(
                f"Major_Organ_{a}",
                finding("major-organ-metastases", a, category="imaging", then=then),
            ),
            P_STAGING_FINDINGS * w,
        )
        for a, w in (("removable", 0.2), ("unremovable", 0.8))
    ]
    b.simple(
        "Major_Organ_Finding",
        conditional_transition=[
            {"condition": gmf.attr_set("major_organ"), "transition": "Major_Organ_Choice"},
            {"transition": then},
        ],
    )
    b.choose("Major_Organ_Choice", [*major, (then, 1 - P_STAGING_FINDINGS)])
    nxt = "Major_Organ_Finding"
    visceral = [
        (
            b.add(
                f"Visceral_Finding_{a}",
                finding("visceral-metastases", a, category="imaging", then=nxt),
            ),
            P_STAGING_FINDINGS * w,
        )
        for a, w in (("treatable", 0.35), ("untreatable", 0.65))
    ]
    b.choose("Visceral_Finding_Choice", [*visceral, (nxt, 1 - P_STAGING_FINDINGS)])
    any_visceral = {
        "condition_type": "Or",
        "conditions": [gmf.attr_set("major_organ"), gmf.attr_set("visceral_other")],
    }
    return b.simple(
        "Staging_Findings",
        conditional_transition=[
            {"condition": any_visceral, "transition": "Visceral_Finding_Choice"},
            {"transition": then},
        ],
    )


def _labs(b: Builder, *, then: str) -> str:
    platelets = b.add(
        "Platelets",
        measured(v.PLATELETS, 60, 420, unit="10*3/uL", category="laboratory", then=then),
    )
    inr = b.add(
        "INR",
        measured(v.INR, 0.9, 1.7, unit="{INR}", category="laboratory", then=platelets, decimals=1),
    )
    return b.maybe("Labs", inr, P_LABS, then)
