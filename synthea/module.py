"""The Synthea module: a patient's course from a primary cancer to spinal metastases and after.

Each patient gets a primary tumour, then (weeks to two years later) a spinal presentation with
one or more metastatic levels and their SINS findings, Frankel/AIS, Karnofsky/ECOG, pain and
Barthel; then vertebral augmentation and/or pedicle screw fixation at the index level, or
radiotherapy; follow-up at about 7 days, 3 and 6 months; a few complications; some deaths.

Synthea cannot set ``bodySite`` or ``verificationStatus``, and keys a patient's Conditions by
code. So a coding that belongs to a site carries a *directive* in its code, which the
post-processing step (``synthea.postprocess``) turns into FHIR:
``CODE@SITE[+SITE…][;FLAG]``, e.g. ``C79.51@T11``, ``22842@T10+T11+T12``,
``94222008@L3;provisional``, ``C90.00@T7;merge``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from synthea import gmf
from synthea import vocabulary as v
from synthea.builder import Builder
from synthea.course import add_course
from synthea.presentation import add_presentation

__all__ = ["MODULE_NAME", "build_module", "module_digest"]

MODULE_NAME = "spinemets_spinal_metastases"
# Diagnoses from 2021 on; the corpus script ends the simulation on 2025-01-01.
WINDOW_START = (2021, 1, 1)
P_VAS = 0.15  # patients whose pain is recorded on a visual analogue scale in mm


def build_module() -> dict[str, Any]:
    """The module as JSON-ready data (deterministic: same code, same module)."""
    b = Builder()
    b.add("Initial", {"type": "Initial", "direct_transition": "Adult"})
    adult = {"condition_type": "Age", "operator": ">=", "quantity": 40, "unit": "years"}
    b.add("Adult", {"type": "Guard", "allow": adult, "direct_transition": "Window"})
    b.add(
        "Window",
        {
            "type": "Guard",
            "allow": gmf.on_or_after(*WINDOW_START),
            "direct_transition": "Wait_For_Diagnosis",
        },
    )
    b.add("Wait_For_Diagnosis", gmf.delay(0, 24, "months", "Pain_Scale"))
    b.add("Pain_Scale_VAS", gmf.set_attribute("pain_scale", "vas", "Choose_Primary"))
    b.maybe("Pain_Scale", "Pain_Scale_VAS", P_VAS, "Choose_Primary")
    _add_primaries(b)
    add_presentation(b, then="Choose_Plan")
    add_course(b, start="Choose_Plan")
    b.add("Terminal", {"type": "Terminal"})
    return {
        "name": MODULE_NAME,
        "remarks": [
            "Patients with spinal metastases for the spinemets test corpus: primary tumour,",
            "spinal levels with SINS findings, Frankel/AIS, Karnofsky/ECOG, index procedure,",
            "pain and Barthel over follow-up. Codes of the form CODE@SITE;FLAG are directives",
            "for the post-processing step (bodySite, verificationStatus).",
        ],
        "gmf_version": 2,
        "states": b.states,
    }


def module_digest(module: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(module, sort_keys=True).encode()).hexdigest()


def _add_primaries(b: Builder) -> None:
    """Choose the primary by sex; diagnose it at an oncology visit (or at the presentation).

    A myeloma is diagnosed level by level (``synthea.levels``), an unknown primary at the
    presentation; the others at an oncology visit weeks to two years before it.
    """
    women = [(f"Primary_{k}", w) for k, (w, _, _, _) in v.PRIMARIES.items() if w > 0]
    men = [(f"Primary_{k}", m) for k, (_, m, _, _) in v.PRIMARIES.items() if m > 0]
    female = {"condition_type": "Gender", "gender": "F"}
    b.simple(
        "Choose_Primary", complex_transition=gmf.complex_transition([(female, women), (None, men)])
    )
    for key, (_, _, group, codings) in v.PRIMARIES.items():
        then = "Spine_Presentation" if key in v.SYNCHRONOUS else "Oncology_Diagnosis"
        b.add(f"Primary_{key}", gmf.set_attribute("primary_site", key, f"Group_{key}"))
        b.add(f"Group_{key}", gmf.set_attribute("lesion_group", group, then))
        if key == "myeloma":
            continue
        after = "After_Primary_At_Presentation" if key == "unknown" else "End_Oncology_Diagnosis"
        options = [
            (b.add(f"Diagnose_{key}_{i}", gmf.onset(coding, after, assign="primary_cancer")), w)
            for i, (coding, w) in enumerate(codings)
        ]
        b.choose(f"Diagnose_{key}", options)
    b.add(
        "Oncology_Diagnosis", gmf.encounter("ambulatory", v.ENCOUNTER_PROBLEM, "Diagnose_Primary")
    )
    routes = [
        (gmf.attr_is("primary_site", k), f"Diagnose_{k}")
        for k in v.PRIMARIES
        if k not in v.SYNCHRONOUS
    ]
    b.simple("Diagnose_Primary", conditional_transition=gmf.conditional(*routes))
    b.add("End_Oncology_Diagnosis", gmf.encounter_end("Time_To_Spine"))
    b.add("Spine_Soon", gmf.delay(1, 4, "weeks", "Spine_Presentation"))
    b.add("Spine_Later", gmf.delay(2, 24, "months", "Spine_Presentation"))
    b.choose("Time_To_Spine", [("Spine_Soon", 0.2), ("Spine_Later", 0.8)])
