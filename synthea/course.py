"""After the presentation: the plan, the index procedure or radiotherapy, follow-up, death."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthea import gmf
from synthea import vocabulary as v
from synthea.levels import at
from synthea.observations import barthel, measured, pain, performance

if TYPE_CHECKING:
    from synthea.module import Builder

__all__ = ["add_course"]

PLANS = [
    ("augmentation", 0.45),
    ("fixation+augmentation", 0.25),
    ("fixation", 0.10),
    ("radiotherapy", 0.20),
]
P_DEATH = 0.28  # dies 1-14 months after the presentation
P_KYPHOPLASTY = 0.6  # else vertebroplasty
P_CEMENT_LEAKAGE, P_CEMENT_EMBOLISM = 0.08, 0.02
P_INFECTION, P_LOOSENING = 0.08, 0.06
AUGMENTED = ("augmentation", "fixation+augmentation")
FIXED = ("fixation", "fixation+augmentation")


def add_course(b: Builder, *, start: str) -> None:
    """From ``start`` (the presentation has ended) to ``Terminal``."""
    plans = [
        (
            b.add(
                f"Plan_{p}",
                {
                    "type": "SetAttribute",
                    "attribute": "plan",
                    "value": p,
                    "direct_transition": "Fate",
                },
            ),
            w,
        )
        for p, w in PLANS
    ]
    b.simple(
        start,
        complex_transition=gmf.complex_transition(
            [
                (gmf.attr_in("index_level", v.THORACOLUMBAR), plans),
                (None, [("Plan_radiotherapy", 1.0)]),
            ]
        ),
    )
    b.add(
        "Death",
        {
            "type": "Death",
            "range": {"low": 1, "high": 14, "unit": "months"},
            "referenced_by_attribute": "primary_cancer",
            "direct_transition": "Route",
        },
    )
    b.choose("Fate", [("Death", P_DEATH), ("Route", 1 - P_DEATH)])
    b.simple(
        "Route",
        conditional_transition=[
            {"condition": gmf.attr_is("plan", "radiotherapy"), "transition": "Wait_Radiotherapy"},
            {"transition": "Wait_Admission"},
        ],
    )
    _radiotherapy(b, then="Wait_FU7")
    _admission(b, then="Wait_FU7")
    _follow_up(b)


def _radiotherapy(b: Builder, *, then: str) -> None:
    b.add(
        "Wait_Radiotherapy",
        {
            "type": "Delay",
            "range": {"low": 3, "high": 14, "unit": "days"},
            "direct_transition": "Radiotherapy_Course",
        },
    )
    b.add(
        "Radiotherapy_Course",
        {
            "type": "Encounter",
            "encounter_class": "ambulatory",
            "codes": [v.ENCOUNTER_PROBLEM],
            "direct_transition": "Radiotherapy",
        },
    )
    b.add(
        "Radiotherapy",
        {"type": "Procedure", "codes": [v.RADIOTHERAPY], "direct_transition": "End_Radiotherapy"},
    )
    b.add("End_Radiotherapy", {"type": "EncounterEnd", "direct_transition": then})


def _admission(b: Builder, *, then: str) -> None:
    """The index admission: augmentation and/or fixation at the index level, a 1-3 day stay."""
    b.add(
        "Wait_Admission",
        {
            "type": "Delay",
            "range": {"low": 1, "high": 14, "unit": "days"},
            "direct_transition": "Index_Admission",
        },
    )
    b.add(
        "Index_Admission",
        {
            "type": "Encounter",
            "encounter_class": "inpatient",
            "codes": [v.ENCOUNTER_ADMISSION],
            "direct_transition": "Route_Augmentation",
        },
    )
    by_level = [
        {"condition": gmf.attr_is("index_level", lv), "transition": f"Augment_{lv}"}
        for lv in v.THORACOLUMBAR
    ]
    b.simple(
        "Route_Augmentation",
        conditional_transition=[
            {"condition": gmf.attr_in("plan", AUGMENTED), "transition": "Augment_At_Level"},
            {"transition": "Route_Fixation"},
        ],
    )
    b.simple("Augment_At_Level", conditional_transition=by_level)
    fix_by_level = [
        {"condition": gmf.attr_is("index_level", lv), "transition": f"Fix_{lv}"}
        for lv in v.THORACOLUMBAR
    ]
    b.simple(
        "Route_Fixation",
        conditional_transition=[
            {"condition": gmf.attr_in("plan", FIXED), "transition": "Fix_At_Level"},
            {"transition": "Post_Operative"},
        ],
    )
    b.simple("Fix_At_Level", conditional_transition=fix_by_level)
    for level in v.THORACOLUMBAR:
        _procedures_at(b, level)
    b.add(
        "Post_Operative",
        {
            "type": "Delay",
            "range": {"low": 1, "high": 3, "unit": "days"},
            "direct_transition": "Cement_Complications",
        },
    )
    discharge = b.add("Discharge", {"type": "EncounterEnd", "direct_transition": then})
    embolism = _onset(b, "Cement_Embolism", v.CEMENT_EMBOLISM, then=discharge)
    leakage = _onset(b, "Cement_Leakage", v.CEMENT_LEAKAGE, then=discharge)
    b.simple(
        "Cement_Complications",
        complex_transition=gmf.complex_transition(
            [
                (
                    gmf.attr_in("plan", AUGMENTED),
                    [
                        (leakage, P_CEMENT_LEAKAGE),
                        (embolism, P_CEMENT_EMBOLISM),
                        (discharge, 1 - P_CEMENT_LEAKAGE - P_CEMENT_EMBOLISM),
                    ],
                ),
                (None, [(discharge, 1.0)]),
            ]
        ),
    )


def _procedures_at(b: Builder, level: str) -> None:
    region = level[0]
    kypho_code, kypho_text = v.KYPHOPLASTY[region]
    vp_code, vp_text = v.VERTEBROPLASTY[region]
    cement = f"Cement_{level}"
    for name, cpt, text in (
        (f"Kyphoplasty_{level}", kypho_code, kypho_text),
        (f"Vertebroplasty_{level}", vp_code, vp_text),
    ):
        b.add(
            name,
            {
                "type": "Procedure",
                "codes": [at(_cpt(cpt, text), level)],
                "reason": f"met_{level}",
                "direct_transition": cement,
                "duration": {"low": 30, "high": 75, "unit": "minutes"},
            },
        )
    b.choose(
        f"Augment_{level}",
        [(f"Kyphoplasty_{level}", P_KYPHOPLASTY), (f"Vertebroplasty_{level}", 1 - P_KYPHOPLASTY)],
    )
    volume = {
        "system": v.FINDING,
        "code": f"pmma-volume@{level}",
        "display": "Bone cement (PMMA) volume injected",
    }
    b.add(
        cement,
        measured(
            volume, 1.5, 6.0, unit="mL", category="procedure", decimals=1, then="Route_Fixation"
        ),
    )
    index = v.LEVELS.index(level)
    above, below = v.NEIGHBOURS.get(level, (v.LEVELS[index - 1], v.LEVELS[index + 1]))
    code, text = v.FIXATION
    b.add(
        f"Fix_{level}",
        {
            "type": "Procedure",
            "codes": [at(_cpt(code, text), above, level, below)],
            "reason": f"met_{level}",
            "direct_transition": "Post_Operative",
            "duration": {"low": 90, "high": 180, "unit": "minutes"},
        },
    )


def _cpt(code: str, text: str) -> dict[str, str]:
    return {"system": v.CPT, "code": code, "display": text}


def _onset(b: Builder, name: str, coding: dict[str, str], *, then: str) -> str:
    return b.add(name, {"type": "ConditionOnset", "codes": [coding], "direct_transition": then})


def _visit(b: Builder, tag: str, wait: tuple[int, int], *, body: str) -> str:
    """Wait (days), then a follow-up encounter whose observations start at ``body``."""
    b.add(
        f"Wait_{tag}",
        {
            "type": "Delay",
            "direct_transition": tag,
            "range": {"low": wait[0], "high": wait[1], "unit": "days"},
        },
    )
    b.add(
        tag,
        {
            "type": "Encounter",
            "encounter_class": "ambulatory",
            "codes": [v.ENCOUNTER_FOLLOW_UP],
            "direct_transition": body,
        },
    )
    return f"End_{tag}"


def _follow_up(b: Builder) -> None:
    """Visits near 7 days, 3 and 6 months; an infection or a loose screw for a few."""
    end7 = _visit(
        b,
        "FU7",
        (4, 9),
        body=pain(b, "FU7", 1, 6, 0.85, then=barthel(b, "FU7", 35, 80, 0.8, then="End_FU7")),
    )
    b.add(end7, {"type": "EncounterEnd", "direct_transition": "Infection_Check"})
    b.add(
        "Wait_Infection",
        {
            "type": "Delay",
            "range": {"low": 3, "high": 12, "unit": "days"},
            "direct_transition": "Infection_Visit",
        },
    )
    b.add(
        "Infection_Visit",
        {
            "type": "Encounter",
            "encounter_class": "ambulatory",
            "codes": [v.ENCOUNTER_PROBLEM],
            "direct_transition": "Infection",
        },
    )
    _onset(b, "Infection", v.SURGICAL_SITE_INFECTION, then="End_Infection_Visit")
    b.add("End_Infection_Visit", {"type": "EncounterEnd", "direct_transition": "Wait_FU3"})
    b.simple(
        "Infection_Check",
        complex_transition=gmf.complex_transition(
            [
                (
                    gmf.attr_in("plan", FIXED),
                    [("Wait_Infection", P_INFECTION), ("Wait_FU3", 1 - P_INFECTION)],
                ),
                (None, [("Wait_FU3", 1.0)]),
            ]
        ),
    )
    loosening = _onset(b, "Screw_Loosening", v.SCREW_LOOSENING, then="End_FU3")
    b.simple(
        "Loosening_Check",
        complex_transition=gmf.complex_transition(
            [
                (
                    gmf.attr_in("plan", FIXED),
                    [(loosening, P_LOOSENING), ("End_FU3", 1 - P_LOOSENING)],
                ),
                (None, [("End_FU3", 1.0)]),
            ]
        ),
    )
    perf = performance(
        b,
        "FU3",
        p_kps=0.5,
        p_ecog=0.0,
        then="Loosening_Check",
        kps=[(60, 0.2), (70, 0.35), (80, 0.3), (90, 0.15)],
    )
    end3 = _visit(
        b,
        "FU3",
        (70, 95),
        body=pain(b, "FU3", 0, 5, 0.85, then=barthel(b, "FU3", 45, 95, 0.8, then=perf)),
    )
    b.add(end3, {"type": "EncounterEnd", "direct_transition": "Wait_FU6"})
    end6 = _visit(
        b,
        "FU6",
        (80, 100),
        body=pain(b, "FU6", 0, 5, 0.8, then=barthel(b, "FU6", 50, 100, 0.75, then="End_FU6")),
    )
    b.add(end6, {"type": "EncounterEnd", "direct_transition": "Terminal"})
