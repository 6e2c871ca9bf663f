"""Completed spinal treatments, level by level (contract §5 v3, §6 v3).

One reading of the patient's Procedures serves every rule that asks what was done to a level:
cement augmentation and screw fixation stabilise a level (its SINS is then shown as
pre-treatment), decompression supersedes a Bilsky grade recorded before it, radiotherapy is
named beside an order at its level but decompresses nothing at once, and an ablation
(radiofrequency, cryo) does neither: it is named beside the follow-up windows, as every later
spinal procedure is. The codes are data: the five procedure ValueSets in mappings/.

The treated levels (contract §6) are read here once, for the SINS surfaces and the follow-up
alike: a cement augmentation's are its bodySite levels; a fixation's those of the metastases its
reasonReference names, else its bodySite levels that carry a metastasis and the metastases that
fill a gap between its screws whole, known by its day or within 90 days after it (§5: the others
are instrumented). A fixation stabilises
its bodySite levels and the treated levels its construct spans — screws above and below bridge
the level between them; a named level outside the span is
not taken as fixed (the record disagrees with itself, and SINS there stays shown). Cement done
by the computation time on the fixation's day, filling a gap between its screws whole, is
bridged too, whatever the record names as the fixation's reason: screws into the adjacent
vertebrae and cement into the affected one is the case series' own procedure, and the two are
one index event (§6). A gap that cement or metastases leave partly empty may lie between two
constructs that one Procedure records: nothing in it is taken as fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise
from typing import Literal

from adapter.fhir.read.evidence import Evidence, on_day
from adapter.fhir.read.followup import ProcedureRecord
from adapter.fhir.read.timing import ClinicalTime, latest_moment
from adapter.mapping.context import Context
from adapter.mapping.measures import calendar_day
from adapter.mapping.sites import Site, resolve_site
from adapter.mapping.staging import Staged, Staging
from adapter.mapping.terminology import Terminology
from adapter.scoring import LEVELS, level_order
from adapter.vocabulary.cards import shorten

# How long before the first bone metastasis recorded a procedure may still be for it: the
# procedure's biopsy is often what confirms the metastasis, and the Condition is then dated from
# the histology, days or weeks later (the index procedure, adapter/mapping/followup.py; a
# metastasis bridged by screws).
BEFORE_METASTASIS = timedelta(days=90)


__all__ = [
    "BEFORE_METASTASIS",
    "TREATMENT_VALUE_SETS",
    "Treatment",
    "TreatmentKind",
    "between_screws",
    "fixation_at",
    "latest_stabilising",
    "levels_named",
    "procedure_words",
    "read_treatments",
    "sites_said",
    "spanned",
    "treated_levels",
    "under_way",
]

TreatmentKind = Literal["augmentation", "fixation", "decompression", "radiotherapy", "ablation"]

# Which ValueSet names each kind of treatment; one procedure code may be in several.
TREATMENT_VALUE_SETS: tuple[tuple[TreatmentKind, str], ...] = (
    ("augmentation", "vertebral-augmentation-procedure"),
    ("fixation", "spinal-fixation-procedure"),
    ("decompression", "spinal-decompression-procedure"),
    ("radiotherapy", "spinal-radiotherapy-procedure"),
    ("ablation", "bone-tumour-ablation-procedure"),
)

_NAMES: dict[TreatmentKind, str] = {
    "augmentation": "vertebroplasty/kyphoplasty",
    "fixation": "fixation",
    "decompression": "decompression",
    "radiotherapy": "radiotherapy",
    "ablation": "ablation",
}


@dataclass(frozen=True, slots=True)
class Treatment:
    """One completed Procedure at spinal levels: what it was, where, when, and its source."""

    kinds: frozenset[TreatmentKind]
    levels: tuple[str, ...]  # anatomical order; () when its bodySite names no level
    time: ClinicalTime
    evidence: Evidence
    # The mappings' displays of its codes ("Stereotactic body …"), then the record's own words
    # ("sbrt t8 24 gy/2": code.text and its displays, lower case).
    displays: tuple[str, ...] = ()
    # "vertebroplasty" or "kyphoplasty" when the record's own name of the procedure says which.
    augmentation: str | None = None
    # Levels it stabilises beyond its bodySite: a fixation's treated level its screws bridge.
    bridged: tuple[str, ...] = ()
    # Its bodySites say it was done outside the spine (a femur, the brain): not a course whose
    # site is unknown, which the procedure check names beside a spine order.
    outside_spine: bool = False
    # Its bodySites are coded and the maps place none at a vertebra or a spinal region (a femur in
    # codes alone, a pelvis), by their names: not known to be the metastasis's, so never taken for
    # part of a spinal procedure, and named by its sites.
    sited_elsewhere: tuple[str, ...] = ()
    # How many of the last of ``sited_elsewhere`` the maps do not read (they may be a vertebra).
    sites_not_read: int = 0

    @property
    def stabilises(self) -> bool:
        return bool(self.kinds & {"augmentation", "fixation"})

    @property
    def name(self) -> str:
        """How a clinician names it: "vertebroplasty", "vertebroplasty/kyphoplasty", …"""
        return _name(self.kinds, self.augmentation)

    @property
    def dated(self) -> str:
        """Its name and day, as every surface says it: "vertebroplasty on 20 May 2024"."""
        return f"{self.name}{on_day(self.time.day)}"

    def at(self, level: str) -> bool:
        return level in self.levels or level in self.bridged

    def bridges(self, level: str) -> bool:
        """Whether it stabilises ``level`` by screws above and below it, none in it: screws whose
        levels are not recorded are not known to be anywhere."""
        return bool(self.levels) and level in self.bridged and level not in self.levels

    @property
    def spinal(self) -> bool:
        """Whether it is known to have reached the spine: at a spinal level, or a decompression
        (spinal by its code). A radiotherapy code is a delivery code for any site: one with no
        spinal level may have been to the breast or the brain."""
        return "decompression" in self.kinds or bool(self.levels or self.bridged)


def fixation_at(done: Sequence[Treatment], level: str) -> Treatment | None:
    """The fixation with screws a level is shown against (contract §6 v3: never re-scored): the
    last of ``done`` at the level or bridging it; None when there is none."""
    found = [t for t in done if "fixation" in t.kinds and t.at(level)]
    return found[-1] if found else None


def latest_stabilising(done: Iterable[Treatment]) -> Treatment | None:
    """The stabilising treatment that may be the latest: the one whose recorded time may reach
    furthest (a cement dated "May 2024" may follow one of 20 May, and is taken as the latest);
    the later-listed on a tie. None when there is none."""
    latest: Treatment | None = None
    for t in done:
        if t.stabilises and (latest is None or latest_moment(t.time) >= latest_moment(latest.time)):
            latest = t
    return latest


def _name(kinds: frozenset[TreatmentKind], augmentation: str | None) -> str:
    names = {**_NAMES, "augmentation": augmentation} if augmentation else _NAMES
    return " and ".join(names[k] for k, _ in TREATMENT_VALUE_SETS if k in kinds)


def _augmentation(proc: ProcedureRecord, displays: tuple[str, ...]) -> str | None:
    """Which cement augmentation the record names (its text or displays) or its codes mean (our
    mappings' displays: CPT 22511 is a vertebroplasty), when exactly one."""
    words = " ".join((proc.words, *displays)).lower()
    named = [word for word in ("vertebroplasty", "kyphoplasty") if word in words]
    return named[0] if len(named) == 1 else None


def _displays(term: Terminology, proc: ProcedureRecord) -> tuple[str, ...]:
    """The mappings' displays of the procedure's codes ("Percutaneous vertebroplasty …")."""
    return tuple(d for c in proc.codes if c.system and (d := term.display(c.system, c.code)))


def _kinds_of(term: Terminology, proc: ProcedureRecord) -> frozenset[TreatmentKind]:
    return frozenset(
        kind
        for kind, value_set in TREATMENT_VALUE_SETS
        if any(term.in_value_set(value_set, c.system, c.code) for c in proc.codes)
    )


def procedure_words(term: Terminology, proc: ProcedureRecord) -> str:
    """The procedure as a clinician names it, with its levels: "vertebroplasty at T12",
    "fixation (level not recorded)" (the kinds it is coded as; "procedure" when none)."""
    kinds = _kinds_of(term, proc)
    augmentation = _augmentation(proc, _displays(term, proc)) if "augmentation" in kinds else None
    levels = levels_named(term, proc)
    said = sites_said(term, proc)
    where = f" at {', '.join(levels)}" if levels else f" ({said or 'level not recorded'})"
    return (_name(kinds, augmentation) if kinds else "procedure") + where


def sites_said(term: Terminology, proc: ProcedureRecord) -> str:
    """What a procedure's bodySites hold when they place it at no level, as the record has it:
    "vertebra code 'T13' does not exist", "Lumbar spine structure names no spinal level", "Bone
    structure of femur", "bodySite 'T12 vertebral body' in words only"; "" when it has none. Said
    where "level not recorded" would tell the clinician there is nothing to correct."""
    coded = [
        _label(proc, n, resolve_site(concept, term)) for n, concept in enumerate(proc.body_sites)
    ]
    words = [f"bodySite '{shorten(w, 60)}' in words only" for w in proc.uncoded_sites]
    return "; ".join(dict.fromkeys((*coded, *words)))


def levels_named(term: Terminology, proc: ProcedureRecord) -> tuple[str, ...]:
    """The spinal levels of a Procedure's bodySite, in anatomical order."""
    sites = [resolve_site(concept, term) for concept in proc.body_sites]
    return tuple(sorted({s.level for s in sites if s.level}, key=level_order))


def treated_levels(term: Terminology, proc: ProcedureRecord, staging: Staging) -> tuple[str, ...]:
    """The levels a completed procedure treats (contract §5, §6): its bodySite levels, except
    that a fixation (without cement) treats the levels of the metastases its reasonReference
    names, else those of its bodySite levels that carry a metastasis and the metastases that
    fill a gap between its screws whole."""
    own = levels_named(term, proc)
    kinds = _kinds_of(term, proc)
    if "fixation" not in kinds or "augmentation" in kinds:
        return own
    lesions = {les.condition.ref.reference: les for les in staging.lesions}
    reasons = [lesions[r] for r in proc.reasons if r in lesions]
    if reasons:
        levels = {lv for les in reasons for lv in les.levels}
    else:
        # Screws into a metastasis treat it; screws above and below metastases that fill the
        # gap between them whole bridge them (contract §5: the screws go into the neighbouring
        # vertebrae) — the rule an order of the same screws is checked by (procedure/orders.py).
        metastases = {lv for les in staging.lesions for lv in les.levels}
        bridged = {lv for les in staging.lesions if _theirs(les, proc) for lv in les.levels}
        levels = (set(own) & metastases) | set(between_screws(own, bridged))
    return tuple(sorted(levels, key=level_order))


def _theirs(lesion: Staged, proc: ProcedureRecord) -> bool:
    """Whether a metastasis the screws bridge may be what they were put in for: known by the
    procedure's day, or within :data:`BEFORE_METASTASIS` after it (its biopsy confirming it).
    Screws of years before it (a fracture's fixation) treat nothing of it; undated, it is not
    known to be theirs."""
    began = lesion.condition.onset or lesion.condition.recorded
    if began is None or proc.time is None:
        return False
    return calendar_day(began) <= calendar_day(proc.time) + BEFORE_METASTASIS


def spanned(own: Sequence[str]) -> frozenset[str]:
    """Every level from the first to the last of ``own`` (in anatomical order): what a
    construct with screws there spans."""
    if not own:
        return frozenset()
    top, bottom = level_order(own[0]), level_order(own[-1])
    return frozenset(lv for lv in LEVELS if top <= level_order(lv) <= bottom)


def _bridged(own: tuple[str, ...], treated: tuple[str, ...]) -> tuple[str, ...]:
    """The treated levels beyond the bodySite that the construct spans (all of them when the
    bodySite names no level: then the reason is all the record says)."""
    if not own:
        return treated
    span = spanned(own)
    return tuple(lv for lv in treated if lv not in own and lv in span)


def between_screws(screws: Sequence[str], cemented: Iterable[str]) -> tuple[str, ...]:
    """The cemented levels a construct with screws at ``screws`` bridges, in anatomical order:
    those in a gap between two screw levels that cement fills whole (screws into the adjacent
    vertebrae, cement into the affected ones, as in the case series). A gap that cement leaves
    partly empty is not taken as one construct: one Procedure may record two."""
    placed = sorted({level_order(lv) for lv in screws})
    filled = {level_order(lv) for lv in cemented}
    out = []
    for top, bottom in pairwise(placed):
        gap = range(top + 1, bottom)
        if gap and all(n in filled for n in gap):
            out += [LEVELS[n] for n in gap]
    return tuple(out)


def _treatment(
    ctx: Context, proc: ProcedureRecord, staging: Staging, kinds: frozenset[TreatmentKind]
) -> Treatment | None:
    """The Procedure as a treatment, or None when it is timed after the computation time."""
    assert proc.time is not None  # callers keep timed Procedures only
    named = " and ".join(sorted(kinds)).capitalize()
    if ctx.from_future(proc.ref, proc.time, named):
        return None
    levels = levels_named(ctx.term, proc)
    bridged = _bridged(levels, treated_levels(ctx.term, proc, staging))
    displays = _displays(ctx.term, proc) + ((proc.words,) if proc.words else ())
    augmentation = _augmentation(proc, displays) if "augmentation" in kinds else None
    summary = _name(kinds, augmentation)
    where = f" at {', '.join(levels)}" if levels else ", level not recorded"
    if bridged:
        where += f" for the lesion at {', '.join(bridged)}"
    if proc.status == "in-progress":
        where += ", in progress"
    evidence = Evidence(proc.ref, proc.time, summary + where)
    outside = not levels and _outside_spine(ctx.term, proc)
    elsewhere, unread = _not_spinal(ctx.term, proc) if not levels else ((), ())
    return Treatment(
        kinds,
        levels,
        proc.time,
        evidence,
        displays,
        augmentation,
        bridged,
        outside,
        elsewhere + unread,
        len(unread),
    )


# Words that place a radiotherapy field where no vertebra can be (the brain, a limb, a breast):
# only these, or a bone the maps place outside the spine, say a course was outside the spine.
# Any other site the maps do not know (a pelvis, the mediastinum, para-aortic nodes, the whole
# body, the craniospinal axis) may hold a vertebra, as an unknown site may (sites.py).
_NO_VERTEBRA = re.compile(
    r"^(?:(?:left|right|bilateral)\s+)?(?:(?:structure\s+of\s+)?(?:brain|skull|cranium|orbits?|eyes?|"
    r"femurs?|femoral|humerus|humeral|tibias?|tibial|fibulas?|radius|ulnas?|forearms?|hands?|"
    r"feet|foot|breasts?|larynx|laryngeal|scalp)(?:\s+structure)?|whole\s+brain|"
    r"bone\s+structure\s+of\s+(?:femur|humerus|tibia|fibula|radius|ulna))$",
    re.IGNORECASE,
)
_SPINAL_WORDS = re.compile(r"spin|vertebr|thorac|lumb|cervic|sacr|cocc|neurax", re.IGNORECASE)
# A level in words: "T12", "l1 body", "Th12", "T-12", "BWK 12" (Brustwirbel); never a bare
# "D1", which is a finger as often as a dorsal vertebra.
_LEVEL_WORDS = re.compile(r"\b(?:[CTLS]|Th|[HBL]WK)[\s-]?\d{1,2}\b", re.IGNORECASE)


def _not_spinal(
    term: Terminology, proc: ProcedureRecord
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of the procedure's bodySites when the maps place one outside the spine (a
    femur, a pelvis: a pelvic field may still reach L5, so not "outside the spine") and none in
    it, and apart those beside them that the maps do not read ("… not understood", a code that
    does not exist, words): these may be a vertebra, so the course is never placed at a level,
    but they are said. ((), ()) otherwise."""
    sites = [resolve_site(concept, term) for concept in proc.body_sites]
    kinds = {site.kind for site in sites}
    if "other" not in kinds or kinds - {"other", "unknown", "invalid"}:
        return (), ()
    # A site in words beside it is said too, unless its words may be spinal (the course may then
    # be the metastasis's: it is never named as elsewhere).
    unread_names = [
        name
        for name, site in zip(proc.site_names, sites, strict=False)
        if site.kind != "other" and name
    ]
    if any(
        _SPINAL_WORDS.search(w) or _LEVEL_WORDS.search(w)
        for w in (*proc.uncoded_sites, *unread_names)
    ):
        return (), ()
    words = [f"'{shorten(w, 60)}' in words only" for w in proc.uncoded_sites]
    known = [site.label for site in sites if site.kind == "other"]
    unread = [_label(proc, n, site) for n, site in enumerate(sites) if site.kind != "other"]
    return tuple(dict.fromkeys(known)), tuple(dict.fromkeys((*unread, *words)))


def _label(proc: ProcedureRecord, n: int, site: Site) -> str:
    """A bodySite as the outputs cite it: the maps' name; one they do not read, by the record's
    own words beside what is wrong with its code ("Hip region (SNOMED CT 99999003 not
    understood)"), never the code alone when the record names it."""
    name = proc.site_names[n] if n < len(proc.site_names) else None
    if site.kind in ("unknown", "invalid") and name:
        return f"{shorten(name, 60)} ({site.label})"
    return site.label


def _outside_spine(term: Terminology, proc: ProcedureRecord) -> bool:
    """Whether every bodySite of the procedure is outside the spine: its words name a place with
    no vertebra (the brain, a femur, a breast), whether the maps know the site or not."""
    sites = [resolve_site(concept, term) for concept in proc.body_sites]
    if not sites or any(site.kind in ("level", "spinal", "invalid") for site in sites):
        return False
    # A code the maps do not read, with no words of the record's: it may be a vertebra.
    names = (*proc.site_names, *[None] * len(sites))
    if any(site.kind == "unknown" and not names[n] for n, site in enumerate(sites)):
        return False
    # A bone the maps place outside the spine is not enough: a pelvic field reaches L5 and the
    # sacrum. Only words naming a place with no vertebra say so.
    words = [w.strip() for w in proc.site_words.split("|") if w.strip()]
    return bool(words) and all(_NO_VERTEBRA.match(w) and not _SPINAL_WORDS.search(w) for w in words)


def _day(time: ClinicalTime) -> date | None:
    """The day a time was written on, when it names one (as the index event reads it, §6)."""
    return calendar_day(time) if len(time.text) > 7 else None


def _around_cement(t: Treatment, cemented: dict[date, set[str]]) -> Treatment:
    """A fixation with the levels cemented between its screws on its day bridged too (the case
    series' construct, though the record names the screws' levels only)."""
    day = _day(t.time)
    if "fixation" not in t.kinds or day is None:
        return t
    around = between_screws(t.levels, cemented.get(day, ()))
    if not around:
        return t
    said = f"{t.evidence.summary} around the cement at {', '.join(around)}"
    bridged = tuple(sorted({*t.bridged, *around}, key=level_order))
    return replace(t, bridged=bridged, evidence=replace(t.evidence, summary=said))


def read_treatments(
    ctx: Context, procedures: Iterable[ProcedureRecord], staging: Staging
) -> tuple[Treatment, ...]:
    """Completed, timed spinal treatments up to the computation time, oldest first."""
    out: list[Treatment] = []
    for proc in procedures:
        if proc.status != "completed" or proc.time is None:
            continue
        kinds = _kinds_of(ctx.term, proc)
        if kinds and (treatment := _treatment(ctx, proc, staging, kinds)) is not None:
            out.append(treatment)
    # The levels cemented on each day known to the day, by cement done by the computation time
    # (one index event, contract §6): screws of that day above and below them fix them too.
    cemented: dict[date, set[str]] = {}
    for t in out:
        if "augmentation" in t.kinds and (day := _day(t.time)) is not None:
            cemented.setdefault(day, set()).update(t.levels)
    out = [_around_cement(t, cemented) for t in out]
    return tuple(sorted(out, key=lambda t: t.time.instant))


def under_way(
    ctx: Context, procedures: Iterable[ProcedureRecord], staging: Staging
) -> tuple[Treatment, ...]:
    """Radiotherapy courses and fixations in progress (status ``in-progress``, timed by their
    start, up to the computation time), oldest first. Kept apart from the completed treatments:
    neither supersedes a Bilsky grade, stabilises a level's findings or is an index procedure,
    but the procedure check names a course beside an order at its level (contract §5 v3: an
    mCODE course summary stays in progress until its last fraction), and screws going in at a
    level make cement ordered there not cement alone (the seed's procedure, in theatre)."""
    out: list[Treatment] = []
    for proc in procedures:
        if proc.status != "in-progress" or proc.time is None:
            continue
        kinds = _kinds_of(ctx.term, proc) & {"radiotherapy", "fixation"}
        if kinds and (treatment := _treatment(ctx, proc, staging, kinds)) is not None:
            out.append(treatment)
    return tuple(sorted(out, key=lambda t: t.time.instant))
