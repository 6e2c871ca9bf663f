"""SINS, the Spinal Instability Neoplastic Score: Fisher CG et al., Spine 2010;35(22):E1221;
referral wording after Fourney DR et al., J Clin Oncol 2011;29:3072."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec
from adapter.vocabulary.text import and_list

__all__ = [
    "AFTER_SCREWS",
    "CEMENT_ALONE",
    "CEMENT_POSSIBLE",
    "DRAWN_POSSIBLE",
    "DRAWN_UNSTABLE",
    "NO_FIXATION",
    "POSSIBLE_AFTER",
    "POSSIBLE_WITH",
    "SINS",
    "SINS_ALIGNMENT",
    "SINS_BONE_LESION",
    "SINS_COLLAPSE",
    "SINS_CONSULT",
    "SINS_CONSULT_FROM",
    "SINS_LOCATION",
    "SINS_OVERRIDE",
    "SINS_PAIN",
    "SINS_POSTEROLATERAL",
    "SINS_SCOPE",
    "SINS_SCOPE_SHORT",
    "SINS_STABLE_UNTIL",
    "SINS_UNSTABLE_FROM",
    "UNFIXED",
    "BeforeCement",
    "CementOrder",
    "after_screws",
    "before_cement",
    "beside_pain",
    "beside_signs",
    "beside_verdict",
    "mechanical_pain",
    "not_applicable",
    "possibly_with_cement",
    "stable_words",
    "unstable_after_screws",
    "unstable_with_cement",
    "without_all_clear",
]

SINS_LOCATION = ComponentSpec(
    code="sins-location",
    display="SINS location",
    definition="SINS component location of the lesion: junctional (occiput-C2, C7-T2, "
    "T11-L1, L5-S1) 3; mobile (C3-C6, L2-L4) 2; semi-rigid (T3-T10) 1; rigid (S2-S5) 0.",
    title="Location",
    short="level",
    settle=None,
)

SINS_PAIN = ComponentSpec(
    code="sins-pain",
    display="SINS pain",
    definition="SINS component pain: mechanical pain (relief with recumbency and/or "
    "pain with movement or loading of the spine) 3; occasional pain, not mechanical 1; "
    "pain-free lesion 0.",
    title="Pain",
    short="pain",
    settle="record the spinal pain character (mechanical, non-mechanical, pain-free)",
)

SINS_BONE_LESION = ComponentSpec(
    code="sins-bone-lesion",
    display="SINS bone lesion",
    definition="SINS component bone lesion quality: lytic 2; mixed lytic/blastic 1; blastic 0.",
    title="Bone lesion",
    short="lesion quality",
    settle="record the bone lesion quality (lytic, mixed, blastic) from CT",
)

SINS_ALIGNMENT = ComponentSpec(
    code="sins-alignment",
    display="SINS radiographic spinal alignment",
    definition="SINS component radiographic spinal alignment: subluxation/translation "
    "present 4; de novo deformity (kyphosis/scoliosis) 2; normal alignment 0.",
    title="Alignment",
    short="alignment",
    settle="record the spinal alignment (subluxation, de novo deformity, normal)",
)

SINS_COLLAPSE = ComponentSpec(
    code="sins-collapse",
    display="SINS vertebral body collapse",
    definition="SINS component vertebral body collapse: more than 50% collapse 3; less "
    "than 50% collapse 2; no collapse with more than 50% of the body involved 1; none of "
    "the above 0.",
    title="Vertebral body collapse",
    short="collapse",
    settle="record the vertebral body collapse (over 50 %, under 50 %, none with over 50 % of "
    "the body involved, none)",
)

SINS_POSTEROLATERAL = ComponentSpec(
    code="sins-posterolateral",
    display="SINS posterolateral involvement",
    definition="SINS component posterolateral involvement of spinal elements (facet, "
    "pedicle or costovertebral joint fracture or replacement by tumour): bilateral 3; "
    "unilateral 1; none 0.",
    title="Posterolateral involvement",
    short="posterolateral involvement",
    settle="record the posterolateral involvement (bilateral, unilateral, none)",
)


# SINS is a referral tool (Fourney 2011): what a total of 7 or more recommends, and what SINS
# does not assess, in full and as the card summaries say it.
SINS_CONSULT = "surgical consultation recommended"
SINS_SCOPE = "SINS does not assess neurology or epidural compression"
SINS_SCOPE_SHORT = "does not assess neurology or cord compression"

SINS = ScoreSpec(
    code="sins",
    display="Spinal Instability Neoplastic Score (SINS) total",
    definition="Total of the Spinal Instability Neoplastic Score (Fisher et al., Spine "
    "2010;35:E1221): 0-18, scored per vertebral level as the sum of location, pain, bone "
    "lesion, alignment, vertebral body collapse and posterolateral involvement.",
    title="SINS",
    short_title="SINS",
    source="Fisher 2010",
    method=MethodSpec(
        "sins-2010",
        "SINS, Fisher et al. 2010",
        "Method: the Spinal Instability Neoplastic Score as published by Fisher et al., Spine "
        "2010;35:E1221.",
    ),
    components=(
        SINS_LOCATION,
        SINS_PAIN,
        SINS_BONE_LESION,
        SINS_ALIGNMENT,
        SINS_COLLAPSE,
        SINS_POSTEROLATERAL,
    ),
    bands=(
        BandSpec(
            code="sins-stable",
            low=0,
            high=6,
            display="SINS 0-6: stable",
            definition="SINS total 0-6: stable.",
            label="stable",
            short_label="stable",
            wording=f"Stable (SINS 0–6): no surgical consultation needed for instability. "
            f"{SINS_SCOPE}.",
        ),
        BandSpec(
            code="sins-potentially-unstable",
            low=7,
            high=12,
            display="SINS 7-12: potentially unstable",
            definition="SINS total 7-12: potentially unstable (indeterminate); surgical "
            "consultation recommended.",
            label="potentially unstable (indeterminate)",
            short_label="potentially unstable",
            wording=f"Potentially unstable (SINS 7–12): {SINS_CONSULT}.",
        ),
        BandSpec(
            code="sins-unstable",
            low=13,
            high=18,
            display="SINS 13-18: unstable",
            definition="SINS total 13-18: unstable; surgical consultation recommended.",
            label="unstable",
            short_label="unstable",
            wording=f"Unstable (SINS 13–18): {SINS_CONSULT}.",
        ),
    ),
)

# The cut-offs every rule reads from the bands: surgical consultation is recommended from the
# potentially unstable band up (Fourney 2011), a level is unstable from the unstable band's low end.
SINS_STABLE_UNTIL = SINS.band("sins-stable").high
SINS_CONSULT_FROM = SINS.band("sins-potentially-unstable").low
SINS_UNSTABLE_FROM = SINS.band("sins-unstable").low

# A recorded stability verdict (finding `spinal-stability`, NOMS M) of "unstable": SINS is a
# referral tool for the surgeon who gives such verdicts, so a stable total never overrides one,
# and "no surgical consultation needed" is never said beside it.
SINS_OVERRIDE = "SINS does not override it"
# Instability with cement alone at the level (before or after it): what a surgeon acts on.
UNFIXED = "no fixation recorded"
NO_FIXATION = f"{UNFIXED} — consider surgical review"
CEMENT_ALONE = f"unstable before cement alone; {NO_FIXATION}"
CEMENT_POSSIBLE = "possibly unstable before cement alone"
# What cement alone at a level means, in the spine drawing's few words beside its band.
DRAWN_UNSTABLE = "unstable with cement alone"
# Findings of an unknown order against cement alone that conflict on what it cannot treat.
POSSIBLE_WITH = "possibly unstable with cement alone"
DRAWN_POSSIBLE = POSSIBLE_WITH
# Findings after cement alone that may show what it cannot treat (a subluxation, a bilateral
# posterolateral involvement, in conflict with others): said with what settles it.
POSSIBLE_AFTER = "possibly unstable after cement alone"
# A verdict of instability recorded after a level's screws: the construct may not hold. The
# contract is silent (SINS is not applicable there); a spine surgeon reviews it.
AFTER_SCREWS = "after its screws — consider surgical review"


def unstable_after_screws(freshness: str) -> str:
    """The same verdict, as an order's summary names it beside "T12 already fixed …": a repeat
    may be what the construct needs (the order's detail asks for surgical review). Its age
    (``freshness``, the verdict's: " (dated)" or "", as one certainly after the screws is timed)
    is kept, as a verdict that reads as current may be acted on as one."""
    return f"recorded unstable{freshness} after its screws"


def after_screws(verdict: str, settle: str | None = None) -> str:
    """A verdict of instability recorded after its level's screws, as the RiskAssessment and the
    detail say it: "Recorded unstable at T12 on 30 May 2024, after its screws — consider surgical
    review"; with an action of its own (``settle``, "re-assess it"), both in one sentence."""
    if settle:
        return f"{verdict}, after its screws — {settle} and consider surgical review"
    return f"{verdict}, {AFTER_SCREWS}"


_STABLE_WORDING = SINS.band("sins-stable").wording
_STABLE_BY_SINS = f"Stable by SINS (0–6). {SINS_SCOPE}."
_STABLE_BESIDE_VERDICT = (
    f"Stable by SINS (0–6), which does not override a recorded verdict of instability. "
    f"{SINS_SCOPE}."
)


def not_applicable(level: str, day: str, *, bridged: bool, more: Sequence[str] = ()) -> str:
    """Why a level fixed with screws has no SINS recommendation (contract §6 v3: never
    re-scored), as the SINS card and the RiskAssessment say it; ``day``: " on 20 May 2024" or "";
    ``more``: other levels fixed the same way that day, said with it ("T12 and L1 were …")."""
    levels = and_list([level, *more])
    was, it, an, level_s = ("were", "them", "", "levels") if more else ("was", "it", "an ", "level")
    if bridged:
        return (
            f"{levels} {was} bridged by screws above and below {it}{day}: SINS is not applicable "
            "within a construct and is not re-scored"
        )
    return (
        f"{levels} {was} fixed with screws{day}: SINS is not applicable to {an}instrumented "
        f"{level_s} and is not re-scored"
    )


def mechanical_pain(levels: str = "") -> str:
    """What current mechanical pain at a level below SINS 7 says (contract §4 v3), as the SINS
    card and the RiskAssessment say it; ``levels`` names where ("T12", "L3, L4") when needed."""
    where = f" at {levels}" if levels else ""
    return (
        f"Mechanical pain{where} is the clinical sign of instability, whatever the total: "
        "consider surgical consultation"
    )


CementOrder = Literal["before", "after", "unordered"]


def unstable_with_cement(
    reason: str,
    level: str,
    treatment: str,
    order: CementOrder = "before",
    then: str | None = None,
) -> str:
    """What makes a level certainly unstable with cement alone (contract §6 v3), said beside
    SINS words that do not show it: "Subluxation at L3 before the vertebroplasty on 31 May 2024:
    unstable before cement alone; no fixation recorded — consider surgical review"; ``order``
    of the findings against the cement, ``treatment`` "vertebroplasty on 31 May 2024"; ``then``
    what made it unstable before the cement too, for findings after it ("subluxation")."""
    what = f"{reason[:1].upper()}{reason[1:]} at {level}"
    if order == "unordered":
        return (
            f"{what}, not known to be before or after the {treatment}: unstable either way; "
            f"{NO_FIXATION}"
        )
    too = f", and before it ({then})" if then is not None else ""
    return f"{what} {order} the {treatment}: unstable {order} cement alone{too}; {NO_FIXATION}"


def possibly_with_cement(
    level: str, total: str, treatment: str, order: CementOrder, settle: str
) -> str:
    """Findings with cement alone that conflict on what it cannot treat, at a level SINS reads
    stable, said beside SINS words that do not show it: "L3 SINS 2–6 after the vertebroplasty
    on 31 May 2024: possibly unstable after cement alone — settle the conflicting alignment; no
    fixation recorded — consider surgical review"; ``order`` "after" (re-scored after it) or
    "unordered" (findings not known to be before or after it), ``settle`` what settles it."""
    if order == "unordered":
        head = f"{level} SINS {total}, findings not known to be before or after the {treatment}"
        return f"{head}: {POSSIBLE_WITH} — {settle}; {NO_FIXATION}"
    return f"{level} SINS {total} after the {treatment}: {POSSIBLE_AFTER} — {settle}; {NO_FIXATION}"


class BeforeCement(NamedTuple):
    """A level shown from findings of an unknown order against its cement alone, certainly
    unstable by the findings certainly before that cement: had the others come after it, it was
    unstable before cement alone (contract §6 v3); their order settles it. Its words, each where
    a surface says it."""

    clause: str  # "SINS 14 at L3 before the vertebroplasty on 31 May 2024, with findings …"

    @property
    def open(self) -> str:
        """What is open, as the SINS card's detail says it after "Possibly unstable:"."""
        return f"{self.clause}: unstable before cement alone if those came after it"

    @property
    def sentence(self) -> str:
        """Beside SINS words that do not show it, as the RiskAssessment says it."""
        said = f"{self.clause[:1].upper()}{self.clause[1:]}"
        return f"{said}: possibly unstable before cement alone; {NO_FIXATION}"


def before_cement(reason: str, level: str, treatment: str) -> BeforeCement:
    """``reason`` ("SINS 14", "subluxation") at ``level`` before ``treatment`` ("vertebroplasty
    on 31 May 2024"), beside findings of an unknown order against it."""
    return BeforeCement(
        f"{reason} at {level} before the {treatment}, with findings of unknown order against it"
    )


def without_all_clear(wording: str) -> str:
    """The stable band's words without "no surgical consultation needed", beside a sign of
    instability its total does not show."""
    return wording.replace(_STABLE_WORDING, _STABLE_BY_SINS)


def beside_signs(wording: str, signs: Sequence[str]) -> str:
    """A SINS recommendation beside signs of instability its total does not show (current
    mechanical pain, a subluxation before cement alone): the stable band's words lose "no
    surgical consultation needed", which the signs contradict, and the signs are said after."""
    return " ".join([without_all_clear(wording), *(f"{s}." for s in signs)])


def beside_pain(wording: str, levels: str = "") -> str:
    """:func:`beside_signs` with current mechanical pain (at ``levels``, when named)."""
    return beside_signs(wording, [mechanical_pain(levels)])


def stable_words(wording: str) -> bool:
    """Whether ``wording`` holds the stable band's words, which :func:`beside_verdict` rewords."""
    return _STABLE_WORDING in wording or _STABLE_BY_SINS in wording


def beside_verdict(wording: str, verdicts: str, *, own: bool = True) -> str:
    """A SINS recommendation beside recorded verdicts of instability ("Recorded unstable at T12
    on 30 May 2024"): they are said first, and the stable band's words lose "no surgical
    consultation needed", which they contradict; "which does not override a recorded verdict"
    only when ``own``, the words being of a level a verdict is at (a fixed level's verdict is
    never set against another level's total)."""
    if not own:
        return f"{verdicts}. {without_all_clear(wording)}"
    # Whichever came first: the verdict's clause also replaces the words beside a sign.
    stable = wording.replace(_STABLE_WORDING, _STABLE_BESIDE_VERDICT)
    return f"{verdicts}. {stable.replace(_STABLE_BY_SINS, _STABLE_BESIDE_VERDICT)}"
