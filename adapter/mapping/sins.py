"""The SINS inputs of one scored level: the five findings placed at it, and its location.

A level stabilised by cement or screws (contract §6 v3) is scored from the findings after the
latest such treatment once any of them counts there: the earlier ones are listed, not used, and
what has no later finding is missing. Until then the findings are used as they are, and the
surfaces show the level as it was before the treatment.

"After" is certain or it is not said: a finding within the treatment's day, month or year (a
finding of 10 May beside a vertebroplasty dated "May 2024"), at its very time, or without a time
may come before or after it (contract §2). Such a finding never re-scores the level; beside a
later one it is listed, not used, and without one the level is shown from findings not known to
be before or after the treatment (``unordered``), never as before it.

A preliminary report of a finding is never scored (contract §2): until a final finding of the
same or a later time replaces it, it is what settles a missing component ("preliminary report —
confirm: …"), or a caveat beside an older final one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TypeVar

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.fhir.read.timing import ClinicalTime, follows
from adapter.mapping.context import condition_named
from adapter.mapping.findings import SINS_FINDINGS, Bilsky, Chosen
from adapter.mapping.inputs import enum_input, only
from adapter.mapping.levels import LevelOrigin, LevelPlan, may_be_at
from adapter.mapping.observations import Findings
from adapter.mapping.placement import (
    FRACTURE_SETTLES,
    PLACE_IT,
    bilsky_at,
    finding_at,
    to_confirm,
)
from adapter.mapping.safety import replaced
from adapter.mapping.staging import Staged
from adapter.mapping.treatments import Treatment, latest_stabilising
from adapter.scoring import (
    Alignment,
    BoneLesion,
    Collapse,
    Pain,
    Possible,
    Posterolateral,
    SinsInput,
)
from adapter.scoring.sins import answer_points
from adapter.vocabulary import (
    SINS_ALIGNMENT,
    SINS_BONE_LESION,
    SINS_COLLAPSE,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    ComponentSpec,
)
from adapter.vocabulary.findings import (
    BONE_LESION_QUALITY,
    POSTEROLATERAL_INVOLVEMENT,
    SPINAL_ALIGNMENT,
    SPINAL_PAIN,
    VERTEBRAL_BODY_COLLAPSE,
)

__all__ = [
    "LevelAssessment",
    "Since",
    "Widened",
    "fracture_words",
    "fractures_at",
    "level_assessment",
    "since_fracture",
]

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    """One scored level: how it is known, its SINS inputs with their basis, its Bilsky grade."""

    level: str
    origin: LevelOrigin
    note: str | None  # how the level is known, when not from a confirmed Condition
    inputs: SinsInput
    basis: dict[str, Basis]
    compression: Chosen[Bilsky] | None
    in_remission: bool = False  # every metastasis Condition at the level is in remission
    # The stabilising treatment after which the SINS findings were taken (None: all were used).
    after: Treatment | None = None
    # With ``after``: the level as its findings up to that treatment showed it, which still
    # decides whether cement alone there was unsafe (contract §6 v3).
    before: LevelAssessment | None = None
    # Preliminary reports no final finding replaces, by component code: never scored (§2).
    preliminary: Mapping[str, Chosen[object]] = field(default_factory=dict)
    # Without ``after``: the latest stabilising treatment that a finding used at the level may
    # come before or after (one within its day, month or year, or untimed): the level is then
    # shown from findings not known to be before it.
    unordered: Treatment | None = None
    # With ``unordered`` dated by its month or year alone: the treatment dated by its day inside
    # that period which every finding used follows; ``unordered`` may be it recorded again.
    again: Treatment | None = None
    # Vertebral fractures coded at the level since its stabilising treatment while the level is
    # shown from findings before it: named beside that picture, never folded into it.
    fractured_after: tuple[str, ...] = ()
    # The same for fractures not known to be before that treatment (undated, or in its period).
    fractured_unsure: tuple[str, ...] = ()
    # Whether every fracture named beside has no level (recording its level may settle it).
    fractured_unplaced: bool = False
    # The components a vertebral fracture coded since their findings widened (_since_fracture).
    widened: Widened | None = None
    # Cement alone at the level before the treatment its findings are read against, the latest
    # first, each with the level as the findings certainly before it showed it (none of an
    # unknown order against it): cement alone there was unsafe if that picture was unstable,
    # whatever came after (contract §6 v3), and a later cement must not hide it (_earlier).
    earlier: tuple[tuple[Treatment, LevelAssessment], ...] = ()

    @property
    def fracture_beside(self) -> tuple[str, str]:
        """How a fracture named beside the level's picture is called, and what settles it."""
        return fracture_words(self.fractured_unplaced)

    def fixed_fractured(self) -> str | None:
        """A level fixed with screws, re-imaged since, with a vertebral fracture coded after those
        findings (or not known to be older): they widen only a score no surface shows (SINS is
        not applicable there), so it is said beside: "vertebral fracture coded since its
        findings — re-image"; None when there is none."""
        after, widened = self.after, self.widened
        if after is None or "fixation" not in after.kinds or widened is None:
            return None
        fracture, settle = fracture_words(widened.unplaced)
        order = "coded since" if widened.after else "not known to be older than"
        return f"{fracture} {order} its findings — {settle}"

    def fractured_since(self, treatment: str) -> str | None:
        """A fracture named beside the picture from before the level's ``treatment`` ("it",
        "its treatment"): "vertebral fracture coded after it — re-image"; None without one."""
        if not (self.fractured_after or self.fractured_unsure):
            return None
        fracture, settle = self.fracture_beside
        order = "coded after" if self.fractured_after else "not known to be before"
        return f"{fracture} {order} {treatment} — {settle}"


def fracture_words(unplaced: bool) -> tuple[str, str]:
    """A vertebral fracture coded since what a level is shown from, and what settles it:
    recording its level may, only for one with no level."""
    if unplaced:
        return "vertebral fracture with no level", "re-image, or record its level"
    return "vertebral fracture", "re-image"


@dataclass(frozen=True, slots=True)
class Widened:
    """Components widened upwards by vertebral fractures coded since their findings."""

    recorded: Mapping[str, frozenset[Enum]]  # by component code: the values as recorded
    after: bool  # every such fracture is known to follow the findings (else: not known older)
    unplaced: bool  # every such fracture has no level


@dataclass(frozen=True, slots=True)
class Since:
    """A finding with vertebral fractures coded not certainly before it: its basis, the
    fractures named, and whether each is known to follow it and whether all have no level."""

    basis: Basis
    after: bool
    unplaced: bool


@dataclass(frozen=True, slots=True)
class _Sources:
    """The findings a level is scored from, and those set aside as older than its treatment."""

    found: Findings
    # With ``treatment``, those set aside as older than it; with ``unordered``, those certainly
    # before it (the picture before it, had the others come after it).
    before: Findings | None = None
    treatment: Treatment | None = None
    # With ``treatment``: the findings that may come before or after it, listed and not used.
    unsure: Findings | None = None
    # Without ``treatment``: the latest stabilising treatment a finding used may follow.
    unordered: Treatment | None = None
    # With ``unordered``: the treatment dated by its day it may be recorded again (_recorded_again).
    again: Treatment | None = None
    # The preliminary reports that stand at the level, by finding code (set by _assess).
    early: Mapping[str, Chosen[object]] = field(default_factory=dict)


def _standing(src: _Sources, finding: str, level: str, levels: int) -> Chosen[object] | None:
    """A preliminary report of the finding at the level that no final one replaces, nor is older
    than the treatment the level is scored after."""
    if not src.found.preliminary.get(finding):  # most records hold no preliminary report
        return None
    early = finding_at(Findings(coded=src.found.preliminary), finding, level, levels).chosen
    if early is None or replaced(early, finding_at(src.found, finding, level, levels).chosen):
        return None
    after = src.treatment.time if src.treatment is not None else None
    if after is not None and not all(ev.time and follows(ev.time, after) for ev in early.evidence):
        return None
    return early


def _component(
    src: _Sources, finding: str, enum: type[E], spec: ComponentSpec, level: str, levels: int
) -> tuple[Possible[E], Basis]:
    placed = finding_at(src.found, finding, level, levels)
    if placed.not_applied is not None:
        return Possible.unknown(enum), Basis(settle=PLACE_IT, caveats=(placed.not_applied,))
    early = src.early.get(finding)
    settle = to_confirm(early) if early is not None and placed.chosen is None else spec.settle
    value, basis = enum_input(only(placed.chosen, enum), enum, settle)
    if early is not None and placed.chosen is not None:
        basis = basis.plus(caveats=(f"A later {to_confirm(early)}; not used until then.",))
    if src.treatment is not None:
        when = f"{src.treatment.dated}"
        for kept, said in (
            (src.before, f"Recorded before the {when}"),
            (src.unsure, f"Not known to be before or after the {when}"),
        ):
            unused = finding_at(kept, finding, level, levels).chosen if kept else None
            if unused is not None:
                cited = "; ".join(ev.cited for ev in unused.evidence)
                basis = basis.plus(caveats=(f"{said}, not used: {cited}.",))
    return value, basis


def _split(
    found: Findings, done: Sequence[Treatment], latest: ClinicalTime
) -> tuple[Findings, Findings, Findings]:
    """The SINS findings certainly later than every treatment ``done`` (which one is the latest
    may not be known), those certainly earlier than the ``latest``, and those that may be either
    (other findings in all three)."""
    later, earlier, unsure = dict(found.coded), dict(found.coded), dict(found.coded)
    for code in SINS_FINDINGS:
        later[code], earlier[code], unsure[code] = [], [], []
        for f in found.coded.get(code, []):
            at = f.obs.time
            if at is not None and all(follows(at, t.time) for t in done):
                later[code].append(f)
            elif at is not None and follows(latest, at):
                earlier[code].append(f)
            else:
                unsure[code].append(f)
    return (
        replace(found, coded=later),
        replace(found, coded=earlier),
        replace(found, coded=unsure),
    )


def _sources(found: Findings, level: str, levels: int, treatments: Sequence[Treatment]) -> _Sources:
    """After the latest stabilising treatment at the level, once a later finding counts there."""
    done = [t for t in treatments if t.stabilises and t.at(level)]
    latest = latest_stabilising(done)
    if latest is None:
        return _Sources(found)
    later, earlier, unsure = _split(found, done, latest.time)
    if any(finding_at(later, code, level, levels).chosen for code in SINS_FINDINGS):
        return _Sources(later, earlier, latest, unsure=unsure)
    # What the level is shown from, preliminary reports included: none may be called "before".
    reports = Findings(coded=found.preliminary)
    used = [
        finding_at(f, code, level, levels).chosen
        for f in (found, reports)
        for code in SINS_FINDINGS
    ]
    evidence = [ev for c in used if c for ev in c.evidence]
    if any(ev.time is None or not follows(latest.time, ev.time) for ev in evidence):
        # Those certainly before it are the picture before the cement if the others came after
        # it: what cement alone there meant (contract §6 v3) must not be lost to their order.
        kept = any(finding_at(earlier, code, level, levels).chosen for code in SINS_FINDINGS)
        again = _recorded_again(latest, done, evidence)
        return _Sources(found, earlier if kept else None, unordered=latest, again=again)
    return _Sources(found)


def _recorded_again(
    latest: Treatment, done: Sequence[Treatment], evidence: Sequence[Evidence]
) -> Treatment | None:
    """The treatment dated by its day that ``latest``, dated by its month or year alone, may be
    recorded again (billing often dates one by its period): inside that period, and followed by
    every finding used. Only said, never assumed: the findings stay of an unknown order."""
    if len(latest.time.text) > 7:
        return None
    # Only the latest treatment dated by its day may be the one recorded again: a finding before
    # a later one is already ordered against it, and an earlier one would be a third.
    dated = [t for t in done if t is not latest and len(t.time.text) > 7]
    t = max(dated, key=lambda d: d.time.instant, default=None)
    if t is None or (
        t.augmentation and latest.augmentation and t.augmentation != latest.augmentation
    ):
        return None  # none, or another procedure by its name (a kyphoplasty, a vertebroplasty)
    inside = not follows(t.time, latest.time) and not follows(latest.time, t.time)
    if inside and all(ev.time is not None and follows(ev.time, t.time) for ev in evidence):
        return t
    return None


def level_assessment(
    found: Findings,
    plan: LevelPlan,
    level: str,
    treatments: Sequence[Treatment] = (),
    fractures: Sequence[Staged] = (),
) -> LevelAssessment:
    """One level's SINS inputs; ``fractures``: the current vertebral fracture Conditions, any
    cause (findings older than one may no longer hold: _since_fracture)."""
    here = fractures_at(fractures, level)
    src = _sources(found, level, len(plan.origin), treatments)
    done = [t for t in treatments if t.stabilises and t.at(level)]
    latest = latest_stabilising(done)
    after: tuple[Staged, ...] = ()
    unsure: tuple[Staged, ...] = ()
    if latest is not None and src.treatment is None:
        # Shown from findings before the treatment (or of an unknown order): a fracture since
        # the treatment, or not known to be before it, is no part of that picture; it is said
        # beside it (a cemented vertebra that fractures again), never folded into it.
        after = tuple(f for f in here if _follows(f, latest.time))
        unsure = tuple(f for f in here if f not in after and not _precedes(f, latest.time))
        here = tuple(f for f in here if f not in after and f not in unsure)
    assessed = _assess(src, plan, level, here)
    assessed = replace(
        assessed,
        fractured_after=tuple(_fracture_named(f) for f in after),
        fractured_unsure=tuple(_fracture_named(f) for f in unsure),
        fractured_unplaced=bool(after or unsure) and not any(f.levels for f in (*after, *unsure)),
    )
    if len(done) > 1 and (earlier := _earlier(found, plan, level, done, latest)):
        assessed = replace(assessed, earlier=earlier)
    if src.before is None:
        return assessed
    before = _assess(_Sources(src.before), plan, level, ())
    return replace(assessed, before=before)


def _earlier(
    found: Findings,
    plan: LevelPlan,
    level: str,
    done: Sequence[Treatment],
    latest: Treatment | None,
) -> tuple[tuple[Treatment, LevelAssessment], ...]:
    """Each cement alone at the level other than ``latest`` (none where screws are, which
    SINS does not apply to), the latest first, with the level as the findings certainly before
    it showed it, where some SINS finding is certainly before it and none is of an unknown
    order against it (which might be the picture it was given at)."""
    if any("fixation" in t.kinds for t in done):
        return ()
    levels = len(plan.origin)
    out = []
    for t in sorted(done, key=lambda d: d.time.instant, reverse=True):
        if t is latest:
            continue
        _, earlier, unsure = _split(found, (t,), t.time)
        if any(finding_at(unsure, code, level, levels).chosen for code in SINS_FINDINGS):
            continue
        if any(finding_at(earlier, code, level, levels).chosen for code in SINS_FINDINGS):
            out.append((t, _assess(_Sources(earlier), plan, level, ())))
    return tuple(out)


def _began(fracture: Staged) -> ClinicalTime | None:
    """When a fracture happened as far as the record says: its onset, else when it was recorded
    (a fracture charted in October whose onset is March is no fracture after a May cement)."""
    return fracture.condition.time or fracture.condition.recorded


def _follows(fracture: Staged, time: ClinicalTime) -> bool:
    when = _began(fracture)
    return when is not None and follows(when, time)


def _precedes(fracture: Staged, time: ClinicalTime) -> bool:
    when = _began(fracture)
    return when is not None and follows(time, when)


def _fracture_named(f: Staged) -> str:
    """ "Pathological fracture of T12 vertebra (Condition/fx, 31 May 2024)": its name, else "a
    vertebral fracture" and its code, its levels, when, and whether confirmed."""
    cond = f.condition
    named = condition_named(cond, f.levels)
    named = named if cond.shown_name else f"a vertebral fracture ({named})"
    began = _began(f)
    when = began.day if began else "undated"
    return f"{named} ({cond.ref.reference}, {when}{'' if f.confirmed else ', unconfirmed'})"


def _since_fracture(
    value: Possible[E], basis: Basis, fractures: Sequence[Staged]
) -> tuple[Possible[E], Basis, Since | None]:
    """A pain, alignment or collapse finding with a vertebral fracture coded at the level (or at
    no level) not certainly before it: it may no longer hold, so it is each answer from the
    finding's up (never less: a fracture does not restore height or ease pain), and the fracture
    is named, in the same words on each component (said once). The lesion's quality and the
    posterior elements' involvement are the tumour's, not the fracture's: left as recorded."""
    if not value.known or not basis.evidence or not fractures:
        return value, basis, None
    enum = type(next(iter(value.values)))
    least = min(answer_points(v) for v in value.values)  # type: ignore[arg-type]
    wider = Possible.among(v for v in enum if answer_points(v) >= least)  # type: ignore[arg-type]
    if wider.values == value.values:  # already the highest answer: nothing can be greater
        return value, basis, None
    since = since_fracture(
        basis, fractures, "findings used: pain, alignment and collapse may since be worse"
    )
    return (value, basis, None) if since is None else (wider, since.basis, since)


def fractures_at(fractures: Sequence[Staged], level: str) -> tuple[Staged, ...]:
    """The vertebral fractures at a level: coded at it, or at no level and possibly at it."""
    return tuple(
        f for f in fractures if level in f.levels or (not f.levels and may_be_at(f, level))
    )


def since_fracture(basis: Basis, fractures: Sequence[Staged], what: str) -> Since | None:
    """A finding with a vertebral fracture coded not certainly before it (``what`` may since
    have changed): its basis with the fracture named and what settles it; None when every
    fracture is older than the finding."""
    seen = [ev.time for ev in basis.evidence]
    later = [
        f
        for f in fractures
        if (when := _began(f)) is None or any(t is None or not follows(t, when) for t in seen)
    ]
    if not seen or not later:
        return None
    after = all(
        (when := _began(f)) is not None and all(t is not None and follows(when, t) for t in seen)
        for f in later
    )
    order = "is recorded after" if after else "is not known to be older than"
    caveat = (
        f"{'; '.join(_fracture_named(f) for f in later)} {order} {what} — re-image and "
        "re-assess the level."
    )
    # Recording a level settles the range only when no fracture is placed here already.
    unplaced = not any(f.levels for f in later)
    settle = FRACTURE_SETTLES[after, unplaced]
    return Since(
        Basis(basis.evidence, basis.notes, settle, (*basis.caveats, caveat)), after, unplaced
    )


_SPECS: Mapping[str, ComponentSpec] = {
    SPINAL_PAIN: SINS_PAIN,
    BONE_LESION_QUALITY: SINS_BONE_LESION,
    SPINAL_ALIGNMENT: SINS_ALIGNMENT,
    VERTEBRAL_BODY_COLLAPSE: SINS_COLLAPSE,
    POSTEROLATERAL_INVOLVEMENT: SINS_POSTEROLATERAL,
}


def _assess(
    src: _Sources, plan: LevelPlan, level: str, fractures: Sequence[Staged] = ()
) -> LevelAssessment:
    n = len(plan.origin)
    early = {f: c for f in _SPECS if (c := _standing(src, f, level, n)) is not None}
    src = replace(src, early=early)
    note = plan.note(level)
    basis = {
        SINS_LOCATION.code: Basis(tuple(plan.evidence[level]), caveats=(note,) if note else ())
    }
    recorded: dict[str, frozenset[Enum]] = {}
    since: list[Since] = []

    def widen(value: Possible[E], found: Basis, code: str) -> Possible[E]:
        wider, basis[code], fractured = _since_fracture(value, found, fractures)
        if fractured is not None:
            recorded[code] = frozenset(value.values)
            since.append(fractured)
        return wider

    pain = widen(*_component(src, SPINAL_PAIN, Pain, SINS_PAIN, level, n), SINS_PAIN.code)
    lesion, basis[SINS_BONE_LESION.code] = _component(
        src, BONE_LESION_QUALITY, BoneLesion, SINS_BONE_LESION, level, n
    )
    alignment = widen(
        *_component(src, SPINAL_ALIGNMENT, Alignment, SINS_ALIGNMENT, level, n),
        SINS_ALIGNMENT.code,
    )
    collapse = widen(
        *_component(src, VERTEBRAL_BODY_COLLAPSE, Collapse, SINS_COLLAPSE, level, n),
        SINS_COLLAPSE.code,
    )
    widened = (
        Widened(recorded, all(w.after for w in since), all(w.unplaced for w in since))
        if since
        else None
    )
    posterolateral, basis[SINS_POSTEROLATERAL.code] = _component(
        src, POSTEROLATERAL_INVOLVEMENT, Posterolateral, SINS_POSTEROLATERAL, level, n
    )
    inputs = SinsInput(level, pain, lesion, alignment, collapse, posterolateral)
    compression = bilsky_at(src.found, level, n)
    return LevelAssessment(
        level,
        plan.origin[level],
        note,
        inputs,
        basis,
        compression,
        bool(plan.in_remission(level)),
        src.treatment,
        preliminary={_SPECS[f].code: c for f, c in early.items()},
        unordered=src.unordered,
        again=src.again,
        widened=widened,
    )
