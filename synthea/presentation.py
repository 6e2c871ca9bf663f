"""The spinal presentation: one encounter with the baseline assessments, the levels, staging."""

from __future__ import annotations

from synthea import gmf
from synthea import vocabulary as v
from synthea.builder import Builder
from synthea.levels import add_levels, at
from synthea.observations import barthel, finding, measured, neurology, pain, performance

__all__ = ["add_presentation"]

P_EMERGENCY = 0.35
P_LEVELLESS_ALIGNMENT = 0.08  # a whole-spine "normal alignment" recorded without a level
P_LABS = 0.7
P_STAGING_FINDINGS = 0.5


def add_presentation(b: Builder, *, then: str) -> None:
    """From state ``Spine_Presentation`` to ``then``, the encounter ended."""
    primary = "Presentation_Primary"
    b.add("Presentation_ED", gmf.encounter("emergency", v.ENCOUNTER_ED, primary))
    b.add("Presentation_Clinic", gmf.encounter("ambulatory", v.ENCOUNTER_PROBLEM, primary))
    b.choose(
        "Spine_Presentation",
        [("Presentation_ED", P_EMERGENCY), ("Presentation_Clinic", 1 - P_EMERGENCY)],
    )
    b.simple(
        primary,
        conditional_transition=gmf.conditional(
            (gmf.attr_is("primary_site", "unknown"), "Diagnose_unknown"),
            (None, "After_Primary_At_Presentation"),
        ),
    )
    barthel_t0 = barthel(b, "T0", 25, 70, 0.85, then="Level_First")
    neuro = neurology(b, "T0", p_frankel=0.75, p_ais=0.1, then=barthel_t0)
    perf = performance(b, "T0", p_kps=0.45, p_ecog=0.4, kps=v.KPS_T0, then=neuro)
    b.simple("After_Primary_At_Presentation", direct_transition=pain(b, "T0", 4, 9, 0.9, perf))
    add_levels(b, start="Level_First", after="After_Levels")
    labs = _labs(b, then="End_Presentation")
    alignment = finding("spinal-alignment", "normal", category="imaging", then=labs)
    levelless = b.maybe(
        "Levelless", b.add("Levelless_Alignment", alignment), P_LEVELLESS_ALIGNMENT, labs
    )
    visceral = _visceral(b, then=_staging(b, then=levelless))
    b.simple("After_Levels", direct_transition=_extraspinal(b, then=visceral))
    b.add("End_Presentation", gmf.encounter_end(then))


def _extraspinal(b: Builder, *, then: str) -> str:
    """Each extraspinal bone independently; returns the first chooser."""
    after = then
    for site, p in reversed(v.EXTRASPINAL.items()):
        lesion = b.add(f"Extraspinal_{site}", gmf.onset(at(v.BONE_METASTASIS_SNOMED, site), after))
        after = b.maybe(f"Maybe_Extraspinal_{site}", lesion, p, after)
    return after


def _visceral(b: Builder, *, then: str) -> str:
    """Each visceral site independently; marks whether any is a major organ."""
    after = then
    for key, (coding, p, major) in reversed(v.VISCERAL.items()):
        mark = gmf.set_attribute("major_organ" if major else "visceral_other", "yes", after)
        lesion = gmf.onset(coding, b.add(f"Visceral_{key}_Mark", mark))
        after = b.maybe(f"Maybe_Visceral_{key}", b.add(f"Visceral_{key}", lesion), p, after)
    return after


def _staging(b: Builder, *, then: str) -> str:
    """Sometimes the clinician records the visceral and major-organ assessments explicitly."""
    p = P_STAGING_FINDINGS
    major = [
        (
            b.add(
                f"Major_Organ_{a}",
                finding("major-organ-metastases", a, category="imaging", then=then),
            ),
            p * w,
        )
        for a, w in (("removable", 0.2), ("unremovable", 0.8))
    ]
    b.choose("Major_Organ_Choice", [*major, (then, 1 - p)])
    b.simple(
        "Major_Organ_Finding",
        conditional_transition=gmf.conditional(
            (gmf.attr_set("major_organ"), "Major_Organ_Choice"), (None, then)
        ),
    )
    nxt = "Major_Organ_Finding"
    visceral = [
        (
            b.add(
                f"Visceral_Finding_{a}",
                finding("visceral-metastases", a, category="imaging", then=nxt),
            ),
            p * w,
        )
        for a, w in (("treatable", 0.35), ("untreatable", 0.65))
    ]
    b.choose("Visceral_Finding_Choice", [*visceral, (nxt, 1 - p)])
    any_visceral = {
        "condition_type": "Or",
        "conditions": [gmf.attr_set("major_organ"), gmf.attr_set("visceral_other")],
    }
    return b.simple(
        "Staging_Findings",
        conditional_transition=gmf.conditional(
            (any_visceral, "Visceral_Finding_Choice"), (None, then)
        ),
    )


def _labs(b: Builder, *, then: str) -> str:
    platelets = measured(v.PLATELETS, 60, 420, unit="10*3/uL", category="laboratory", then=then)
    inr = measured(
        v.INR,
        0.9,
        1.7,
        unit="{INR}",
        category="laboratory",
        decimals=1,
        then=b.add("Platelets", platelets),
    )
    return b.maybe("Labs", b.add("INR", inr), P_LABS, then)
