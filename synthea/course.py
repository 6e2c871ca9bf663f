"""After the presentation: the plan, the index procedure or radiotherapy, follow-up, death."""

from __future__ import annotations

from synthea import gmf
from synthea import vocabulary as v
from synthea.builder import Builder
from synthea.levels import at
from synthea.observations import barthel, measured, pain, performance

__all__ = ["add_course"]

PLANS = [
    ("augmentation", 0.45),
    ("fixation+augmentation", 0.25),
    ("fixation", 0.10),
    ("radiotherapy", 0.20),
]
P_DEATH = 0.28  # dies 1-14 months after the presentation (if that is before the corpus ends)
P_KYPHOPLASTY = 0.6  # else vertebroplasty
P_CEMENT_LEAKAGE, P_CEMENT_EMBOLISM = 0.08, 0.02
P_INFECTION, P_LOOSENING = 0.08, 0.06
AUGMENTED = ("augmentation", "fixation+augmentation")
FIXED = ("fixation", "fixation+augmentation")


def add_course(b: Builder, *, start: str) -> None:
    """From ``start`` (the presentation has ended) to ``Terminal``."""
    plans = [(b.add(f"Plan_{p}", gmf.set_attribute("plan", p, "Fate")), w) for p, w in PLANS]
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
    b.maybe("Fate", "Death", P_DEATH, "Route")
    b.simple(
        "Route",
        conditional_transition=gmf.conditional(
            (gmf.attr_is("plan", "radiotherapy"), "Wait_Radiotherapy"), (None, "Wait_Admission")
        ),
    )
    b.add("Wait_Radiotherapy", gmf.delay(3, 14, "days", "Radiotherapy_Course"))
    b.add("Radiotherapy_Course", gmf.encounter("ambulatory", v.ENCOUNTER_PROBLEM, "Radiotherapy"))
    b.add("Radiotherapy", gmf.procedure(v.RADIOTHERAPY, "End_Radiotherapy"))
    b.add("End_Radiotherapy", gmf.encounter_end("Wait_FU7"))
    _admission(b, then="Wait_FU7")
    _follow_up(b)


def _admission(b: Builder, *, then: str) -> None:
    """The index admission: augmentation and/or fixation at the index level, a 1-3 day stay."""
    b.add("Wait_Admission", gmf.delay(1, 14, "days", "Index_Admission"))
    b.add(
        "Index_Admission", gmf.encounter("inpatient", v.ENCOUNTER_ADMISSION, "Route_Augmentation")
    )
    for step, plans, per_level, otherwise in (
        ("Augment", AUGMENTED, "Augment_{}", "Route_Fixation"),
        ("Fix", FIXED, "Fix_{}", "Post_Operative"),
    ):
        by_level = [
            (gmf.attr_is("index_level", lv), per_level.format(lv)) for lv in v.THORACOLUMBAR
        ]
        b.simple(f"{step}_At_Level", conditional_transition=gmf.conditional(*by_level))
        route = "Route_Augmentation" if step == "Augment" else "Route_Fixation"
        b.simple(
            route,
            conditional_transition=gmf.conditional(
                (gmf.attr_in("plan", plans), f"{step}_At_Level"), (None, otherwise)
            ),
        )
    for level in v.THORACOLUMBAR:
        _procedures_at(b, level)
    b.add("Post_Operative", gmf.delay(1, 3, "days", "Cement_Complications"))
    discharge = b.add("Discharge", gmf.encounter_end(then))
    leakage = b.add("Cement_Leakage", gmf.onset(v.CEMENT_LEAKAGE, discharge))
    embolism = b.add("Cement_Embolism", gmf.onset(v.CEMENT_EMBOLISM, discharge))
    quiet = 1 - P_CEMENT_LEAKAGE - P_CEMENT_EMBOLISM
    b.simple(
        "Cement_Complications",
        complex_transition=gmf.complex_transition(
            [
                (
                    gmf.attr_in("plan", AUGMENTED),
                    [
                        (leakage, P_CEMENT_LEAKAGE),
                        (embolism, P_CEMENT_EMBOLISM),
                        (discharge, quiet),
                    ],
                ),
                (None, [(discharge, 1.0)]),
            ]
        ),
    )


def _procedures_at(b: Builder, level: str) -> None:
    """Kyphoplasty or vertebroplasty with its cement volume; fixation over three vertebrae."""
    cement = f"Cement_{level}"
    reason = f"met_{level}"
    options = []
    for name, (cpt, text), p in (
        ("Kyphoplasty", v.KYPHOPLASTY[level[0]], P_KYPHOPLASTY),
        ("Vertebroplasty", v.VERTEBROPLASTY[level[0]], 1 - P_KYPHOPLASTY),
    ):
        coding = at({"system": v.CPT, "code": cpt, "display": text}, level)
        state = gmf.procedure(coding, cement, reason=reason, minutes=(30, 75))
        options.append((b.add(f"{name}_{level}", state), p))
    b.choose(f"Augment_{level}", options)
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
    coding = at({"system": v.CPT, "code": code, "display": text}, above, level, below)
    b.add(f"Fix_{level}", gmf.procedure(coding, "Post_Operative", reason=reason, minutes=(90, 180)))


def _visit(b: Builder, tag: str, wait: tuple[int, int], *, body: str) -> str:
    """Wait (days), then a follow-up encounter whose observations start at ``body``."""
    b.add(f"Wait_{tag}", gmf.delay(wait[0], wait[1], "days", tag))
    b.add(tag, gmf.encounter("ambulatory", v.ENCOUNTER_FOLLOW_UP, body))
    return f"End_{tag}"


def _only_after_fixation(b: Builder, name: str, entry: str, p: float, then: str) -> None:
    b.simple(
        name,
        complex_transition=gmf.complex_transition(
            [(gmf.attr_in("plan", FIXED), [(entry, p), (then, 1 - p)]), (None, [(then, 1.0)])]
        ),
    )


def _follow_up(b: Builder) -> None:
    """Visits near 7 days, 3 and 6 months; an infection or a loose screw for a few."""
    fu7 = pain(b, "FU7", 1, 6, 0.85, then=barthel(b, "FU7", 35, 80, 0.8, then="End_FU7"))
    b.add(_visit(b, "FU7", (4, 9), body=fu7), gmf.encounter_end("Infection_Check"))
    b.add("Wait_Infection", gmf.delay(3, 12, "days", "Infection_Visit"))
    b.add("Infection_Visit", gmf.encounter("ambulatory", v.ENCOUNTER_PROBLEM, "Infection"))
    b.add("Infection", gmf.onset(v.SURGICAL_SITE_INFECTION, "End_Infection_Visit"))
    b.add("End_Infection_Visit", gmf.encounter_end("Wait_FU3"))
    _only_after_fixation(b, "Infection_Check", "Wait_Infection", P_INFECTION, "Wait_FU3")
    loosening = b.add("Screw_Loosening", gmf.onset(v.SCREW_LOOSENING, "End_FU3"))
    _only_after_fixation(b, "Loosening_Check", loosening, P_LOOSENING, "End_FU3")
    kps = [(60, 0.2), (70, 0.35), (80, 0.3), (90, 0.15)]
    perf = performance(b, "FU3", p_kps=0.5, p_ecog=0.0, kps=kps, then="Loosening_Check")
    fu3 = pain(b, "FU3", 0, 5, 0.85, then=barthel(b, "FU3", 45, 95, 0.8, then=perf))
    b.add(_visit(b, "FU3", (70, 95), body=fu3), gmf.encounter_end("Wait_FU6"))
    fu6 = pain(b, "FU6", 0, 5, 0.8, then=barthel(b, "FU6", 50, 100, 0.75, then="End_FU6"))
    b.add(_visit(b, "FU6", (80, 100), body=fu6), gmf.encounter_end("Terminal"))
