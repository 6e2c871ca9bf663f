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
from synthea.course import add_course
from synthea.gmf import State
from synthea.presentation import add_presentation

__all__ = ["MODULE_NAME", "Builder", "build_module", "module_digest"]

MODULE_NAME = "spinemets_spinal_metastases"
# The simulation clock: diagnoses from 2021 on, the corpus ends on 2025-01-01 (the script's -e).
WINDOW_START = (2021, 1, 1)


class Builder:
    """Collects named states; a name can be added once."""

    def __init__(self) -> None:
        self.states: dict[str, State] = {}

    def add(self, name: str, state: State) -> str:
        if name in self.states:
            raise ValueError(f"state {name} added twice")
        self.states[name] = state
        return name

    def simple(self, name: str, **transition: Any) -> str:
        return self.add(name, {"type": "Simple", **transition})

    def choose(self, name: str, options: gmf.Weighted) -> str:
        return self.simple(name, distributed_transition=gmf.distributed(options))

    def maybe(self, name: str, entry: str, p: float, then: str) -> str:
        """Go through ``entry`` with probability p, else straight on to ``then``."""
        if p >= 1:
            return self.simple(name, direct_transition=entry)
        return self.choose(name, [(entry, p), (then, 1 - p)])


def build_module() -> dict[str, Any]:
    """The module as JSON-ready data (deterministic: same code, same module)."""
    b = Builder()
    b.add("Initial", {"type": "Initial", "direct_transition": "Adult"})
    b.add(
        "Adult",
        {
            "type": "Guard",
            "direct_transition": "Window",
            "allow": {"condition_type": "Age", "operator": ">=", "quantity": 40, "unit": "years"},
        },
    )
    b.add(
        "Window",
        {
            "type": "Guard",
            "allow": gmf.on_or_after(*WINDOW_START),
            "direct_transition": "Wait_For_Diagnosis",
        },
    )
    b.add(
        "Wait_For_Diagnosis",
        {
            "type": "Delay",
            "direct_transition": "Pain_Scale",
            "range": {"low": 0, "high": 24, "unit": "months"},
        },
    )
    b.add(
        "Pain_Scale_VAS",
        {
            "type": "SetAttribute",
            "attribute": "pain_scale",
            "value": "vas",
            "direct_transition": "Choose_Primary",
        },
    )
    b.choose("Pain_Scale", [("Pain_Scale_VAS", 0.15), ("Choose_Primary", 0.85)])
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
    """Choose the primary by sex; diagnose it at an oncology visit (or at the presentation)."""
    women = [(f"Primary_{k}", w) for k, (w, _, _, _) in v.PRIMARIES.items() if w > 0]
    men = [(f"Primary_{k}", m) for k, (_, m, _, _) in v.PRIMARIES.items() if m > 0]
    b.simple(
        "Choose_Primary",
        complex_transition=gmf.complex_transition(
            [({"condition_type": "Gender", "gender": "F"}, women), (None, men)]
        ),
    )
    for key, (_, _, group, codings) in v.PRIMARIES.items():
        b.add(
            f"Primary_{key}",
            {
                "type": "SetAttribute",
                "attribute": "primary_site",
                "value": key,
                "direct_transition": f"Group_{key}",
            },
        )
        then = "Spine_Presentation" if key in v.SYNCHRONOUS else "Oncology_Diagnosis"
        b.add(
            f"Group_{key}",
            {
                "type": "SetAttribute",
                "attribute": "lesion_group",
                "value": group,
                "direct_transition": then,
            },
        )
        if key == "myeloma":
            continue  # diagnosed level by level (synthea.levels)
        options = []
        for i, (coding, weight) in enumerate(codings):
            name = b.add(
                f"Diagnose_{key}_{i}",
                {
                    "type": "ConditionOnset",
                    "codes": [coding],
                    "assign_to_attribute": "primary_cancer",
                    "direct_transition": "End_Oncology_Diagnosis"
                    if key not in v.SYNCHRONOUS
                    else "After_Primary_At_Presentation",
                },
            )
            options.append((name, weight))
        b.choose(f"Diagnose_{key}", options)
    b.add(
        "Oncology_Diagnosis",
        {
            "type": "Encounter",
            "encounter_class": "ambulatory",
            "codes": [v.ENCOUNTER_PROBLEM],
            "direct_transition": "Diagnose_Primary",
        },
    )
    routes = [
        {"condition": gmf.attr_is("primary_site", k), "transition": f"Diagnose_{k}"}
        for k in v.PRIMARIES
        if k not in v.SYNCHRONOUS
    ]
    b.simple("Diagnose_Primary", conditional_transition=routes)
    b.add("End_Oncology_Diagnosis", {"type": "EncounterEnd", "direct_transition": "Time_To_Spine"})
    b.add(
        "Spine_Soon",
        {
            "type": "Delay",
            "range": {"low": 1, "high": 4, "unit": "weeks"},
            "direct_transition": "Spine_Presentation",
        },
    )
    b.add(
        "Spine_Later",
        {
            "type": "Delay",
            "range": {"low": 2, "high": 24, "unit": "months"},
            "direct_transition": "Spine_Presentation",
        },
    )
    b.choose("Time_To_Spine", [("Spine_Soon", 0.2), ("Spine_Later", 0.8)])
