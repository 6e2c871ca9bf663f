"""Criterion 3 of the procedure check (contract §5): a pathological fracture or instability at
the level — and at a level already stabilised, what is known since (§6 v3 "after the procedure").

Dated evidence can make it unmet, never met. A level treated with cement or screws is not judged
from findings older than the treatment: they described the level the treatment changed, so the
criterion is unknown until the level is re-imaged; a level fixed with screws is never re-scored
(SINS does not apply to an instrumented level), only a later collapse counts there.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from adapter.fhir.read.evidence import Evidence, on_day
from adapter.fhir.read.timing import follows
from adapter.mapping.compression import PRELIMINARY, days_of
from adapter.mapping.placement import (
    PLACE_IT,
    fractured_since,
    preliminary,
    to_confirm,
    unplaced,
)
from adapter.mapping.sins import fracture_words
from adapter.mapping.staging import Staged
from adapter.pipeline import (
    SETTLE_CONFLICTING,
    LevelResult,
    conflict_values,
    firm_total,
    in_conflict,
    recorded_unstable,
    settling_of,
)
from adapter.procedure.criteria import (
    REASSESS,
    REIMAGE,
    Criterion,
    Judge,
    cite,
    dated,
    staged_evidence,
)
from adapter.procedure.criteria import on_day as evidence_day
from adapter.procedure.treated import Prior, zone_words
from adapter.scoring import Collapse
from adapter.vocabulary import (
    SINS_ALIGNMENT,
    SINS_COLLAPSE,
    SINS_CONSULT_FROM,
    SINS_LOCATION,
    SINS_POSTEROLATERAL,
)

__all__ = ["fracture_criterion"]

_FRACTURE = frozenset({Collapse.GT_50, Collapse.LT_50})
_NO_FRACTURE = frozenset({Collapse.NONE, Collapse.NONE_GT_50_INVOLVED})
_NEOPLASTIC = "pathological fracture in neoplastic disease"
_JUDGE = Judge(3, "Pathological fracture or instability at the level")
_UNPLACED = "recorded without a level"
_ALIGNMENT = SINS_ALIGNMENT.short
_PLACE_COLLAPSE = f"collapse {_UNPLACED} — record its level (bodySite)"
_CONFIRM_COLLAPSE = "confirm the preliminary report with a final vertebral-body-collapse"


def _unplaced(at: LevelResult) -> bool:
    """Collapse recorded, but without a level that says it is this one (contract §4 v3)."""
    return unplaced(at.bases[SINS_COLLAPSE.code])


def _collapse(at: LevelResult) -> tuple[frozenset[Collapse], tuple[Evidence, ...]]:
    collapse = at.assessment.inputs.collapse
    evidence = at.bases[SINS_COLLAPSE.code].evidence
    return (collapse.values if collapse.known else frozenset()), evidence


def _conflicts(at: LevelResult) -> list[tuple[str, str, str]]:
    """The components whose findings disagree on a subluxation or bilateral involvement: each
    one's name, its values ("subluxation/normal") and how the basis says it, with its findings'
    days ("alignment conflicting at T12 (subluxation/normal, 30 May 2024)")."""
    out = []
    for spec in (SINS_ALIGNMENT, SINS_POSTEROLATERAL):
        if in_conflict(at, spec.code):
            evidence = at.bases[spec.code].evidence
            day = f", {days_of(evidence)}" if any(ev.time for ev in evidence) else ""
            values = conflict_values(at, spec.code)
            out.append(
                (spec.short, values, f"{spec.short} conflicting at {at.level} ({values}{day})")
            )
    return out


def _collapse_values(values: Collection[object]) -> str:
    """Collapse values as a finding lists them, in the order of their definition: "lt-50/none"."""
    return "/".join(str(c.value) for c in Collapse if c in values)


def _may_be_here(fracture: Staged, level: str) -> bool:
    """A fracture Condition with no vertebral level that may still be at ``level``: no site, a
    spinal region that may hold it, or a site the mappings do not know (one outside the spine,
    or a region elsewhere, is not)."""
    return not fracture.sites or any(
        site.kind in ("spinal", "unknown") and (not site.within or level in site.within)
        for site in fracture.sites
    )


def _fracture_asks(
    level: str,
    unsure: Sequence[Staged],
    unplaced_here: Sequence[Staged],
    since: str = "",
    unordered: Sequence[Staged] = (),
    maybe_after: str = "",
) -> tuple[list[str], list[str]]:
    """What to do about a pathological fracture Condition that may be at the level, which would
    meet the criterion outright — unconfirmed there, with no level (``since`` a treatment, if
    any), or there but ``unordered`` against a treatment (``maybe_after`` it) — as the summary
    says it, and as the action column does."""
    said, todo = [], []
    if unsure:
        said.append(f"unconfirmed pathological fracture at {level}{since} — confirm it")
        todo.append(f"confirm the pathological fracture at {level}")
    if unplaced_here:
        said.append(f"pathological fracture without a level{since} — record its level")
        todo.append("record the level (bodySite) of the pathological fracture")
    if confirmed := [s for s in unordered if s.confirmed]:
        said.append(f"pathological fracture at {level}{maybe_after} — re-image")
        todo.append(REIMAGE)
    if len(confirmed) < len(unordered):
        said.append(f"unconfirmed pathological fracture at {level}{maybe_after} — confirm it")
        todo.append(f"confirm the pathological fracture at {level}")
    return said, list(dict.fromkeys(todo))


def _fracture_to_settle(
    level: str,
    shown: str,
    unsure: Sequence[Staged],
    unplaced_here: Sequence[Staged],
    unordered: Sequence[Staged] = (),
    prior: Prior | None = None,
) -> Criterion:
    """No collapse and SINS 6 or less, beside a pathological fracture Condition that may be at
    the level: unconfirmed there, with no level, or there but not known to be before or after
    the level's treatment. A confirmed one there (since it) meets the criterion, so either may:
    unknown, never "no fracture" (contract §2: nothing unconfirmed or unplaced is counted as
    certain, nor dropped)."""
    why = [shown]
    if unsure:
        why.append(f"unconfirmed pathological fracture at {level}: "
                   f"{cite(staged_evidence(list(unsure), _NEOPLASTIC))}")  # fmt: skip
    if unplaced_here:
        shown_here = cite(staged_evidence(list(unplaced_here), _NEOPLASTIC))
        why.append(f"pathological fracture without a level: {shown_here}")
    maybe_after = ""
    if unordered and prior is not None:
        when = f"the {prior.treatment.dated}"
        named = cite(staged_evidence(list(unordered), _NEOPLASTIC))
        why.append(f"{named}: not known to be before or after {when}")
        maybe_after = f", maybe after the {prior.treatment.name}"
    said, todo = _fracture_asks(level, unsure, unplaced_here, "", unordered, maybe_after)
    brief = "; ".join(_fracture_asks(level, unsure, unplaced_here, "", unordered)[0])
    finding = "; ".join(said)
    return _JUDGE.unknown(
        "; ".join(why),
        action="; ".join(todo),
        finding=finding,
        short=brief if brief != finding else None,
    )


def _since(fractures: Sequence[Staged], prior: Prior | None) -> list[Staged]:
    """The fracture Conditions recorded after the treatment: an earlier one is the fracture the
    treatment treated."""
    if prior is None:
        return list(fractures)
    after = prior.treatment.time
    return [s for s in fractures if s.condition.time and follows(s.condition.time, after)]


def _unordered(fractures: Sequence[Staged], prior: Prior | None) -> list[Staged]:
    """The fracture Conditions that may come before or after the treatment (within its day,
    month or year, or untimed): neither the fracture it treated nor one since; named, not used."""
    if prior is None:
        return []
    done = prior.treatment.time
    return [
        s
        for s in fractures
        if s.condition.time is None
        or not (follows(s.condition.time, done) or follows(done, s.condition.time))
    ]


def _after_treatment(
    at: LevelResult,
    prior: Prior,
    unsure: Sequence[Staged] = (),
    since: tuple[Sequence[Staged], Sequence[Staged]] = ((), ()),
    unordered: tuple[Sequence[Staged], Sequence[Staged]] = ((), ()),
) -> Criterion:
    """``unsure``: confirmed fractures there of an unknown order against the treatment;
    ``since`` and ``unordered``: fractures since it, or of an unknown order against it, that
    may be there (unconfirmed at the level, or with no level). Each is named, and what settles
    it asked for: never "no fracture" beside one."""
    level = at.level
    collapse, evidence = _collapse(at)
    collapse_shown = f"collapse at {level}: {cite(evidence) or 'not recorded'}"
    when = f"the {prior.treatment.dated}"
    order = f"not known to be before or after {when}"
    named: list[str] = []
    if unsure:
        named.append(f"{cite(staged_evidence(list(unsure), _NEOPLASTIC))}: {order}")
    for (unconfirmed, unplaced_here), words in (
        (since, f" since {when}"),
        (unordered, f", {order}"),
    ):
        if unconfirmed:
            shown = cite(staged_evidence(list(unconfirmed), _NEOPLASTIC))
            named.append(f"unconfirmed pathological fracture at {level}{words}: {shown}")
        if unplaced_here:
            shown = cite(staged_evidence(list(unplaced_here), _NEOPLASTIC))
            named.append(f"pathological fracture without a level{words}: {shown}")
    # The summary follows "T12 already fixed on 20 May 2024": the treatment without its day.
    name = prior.treatment.name
    said, todo = _fracture_asks(level, since[0], since[1], f" since the {name}")
    again = _fracture_asks(
        level, (), unordered[1], f", maybe after the {name}", [*unsure, *unordered[0]],
        f", maybe after the {name}",
    )  # fmt: skip
    said += again[0]
    todo += [t for t in again[1] if t not in todo]
    shown = "; ".join([collapse_shown, *named])
    if prior.stale:
        sins = "SINS not applicable (fixed)" if prior.fixed else f"SINS {at.result.total}"
        if prior.zone_doubt and prior.unordered is not None:
            sins += f"; {zone_words(prior.unordered)}"
        return _JUDGE.unknown(
            f"recorded {prior.before}, not re-scored: {shown}; {sins}",
            action=REIMAGE,
            finding=prior.reimage,
        )
    if collapse and collapse <= _FRACTURE and not dated(evidence):
        after = f"{collapse_shown}, after the {prior.treatment.dated}"
        return _JUDGE.met("; ".join([after, *named]))
    action = REASSESS if dated(evidence) else REIMAGE
    basis = f"{shown}; SINS is not applicable to a level fixed with screws{on_day(prior.day)}"
    if said:  # a fracture that may be there since the screws: what settles it, never "no fracture"
        steps = [*(t for t in todo if t != action), action]
        # For a summary that follows "T12 already fixed on 20 May 2024": what, and what to do.
        asks = dict.fromkeys(
            [
                *_fracture_asks(level, since[0], since[1])[0],
                *_fracture_asks(level, (), unordered[1], "", [*unsure, *unordered[0]])[0],
            ]
        )
        # Two kinds asking different things do not fit after "T12 already fixed on …" together:
        # what they may be, and each thing to do (the detail names them).
        brief = (
            "; ".join(asks)
            if len(asks) == 1
            else _possible_fractures(
                level,
                confirm=bool(since[0] or unordered[0]),  # unconfirmed at the level
                place=bool(since[1] or unordered[1]),
                reimage=bool(unsure),  # confirmed there, maybe after the screws
            )
        )
        return _JUDGE.unknown(basis, action="; ".join(steps), finding="; ".join(said), short=brief)
    return _JUDGE.unknown(
        basis,
        action=action,
        finding=f"no fracture recorded at {level} since the fixation{on_day(prior.day)}",
    )


def _possible_fractures(level: str, *, confirm: bool, place: bool, reimage: bool) -> str:
    """Fracture Conditions of several kinds that may be at ``level``, in the fewest words:
    "possible pathological fractures at T12 — confirm, record a level"."""
    acts = [act for act, asked in (("confirm", confirm), ("record a level", place),
                                   ("re-image", reimage)) if asked]  # fmt: skip
    return f"possible pathological fractures at {level} — {', '.join(acts)}"


def _open_verdict(at: LevelResult, evidence: Sequence[Evidence]) -> Criterion | None:
    """A verdict of instability that is dated, in conflict, or recorded with no level: it keeps
    the criterion from being unmet, never makes it met, and is what to settle."""
    v, verdict = at.verdict, recorded_unstable(at)
    if v is None or verdict is None:
        return None
    level = at.level
    shown = f"collapse at {level}: {cite(evidence) or 'not recorded'}; SINS {at.result.total}"
    if v.unplaced:  # never placed at this level, in conflict or not
        action = "record the stability verdict's level"
        finding = "stability verdict, level not recorded"
    elif v.conflicting:
        action = "settle the conflicting stability verdicts"
        finding = f"stability verdicts conflict at {level}"
    else:
        age = "with no date" if v.basis.latest is None else "dated"
        action, finding = "re-assess the stability verdict", f"stability verdict at {level} {age}"
    return _JUDGE.unknown(f"{shown}; stability: {verdict}", action=action, finding=finding)


def _open_with_collapse(
    at: LevelResult,
    collapse: frozenset[Collapse],
    why: list[str],
    fractures: tuple[list[str], list[str], list[str]] = ([], [], []),
) -> Criterion:
    """The collapse recorded and current, the criterion still open: what to settle, record or
    re-assess is what keeps it open, never the collapse already in the record. A vertebral
    fracture coded since the collapse finding is re-imaging, not a conflict."""
    level, conflicts = at.level, _conflicts(at)
    basis = "; ".join([*why, *(c[2] for c in conflicts)])
    kept = at.bases[SINS_COLLAPSE.code]
    widened = at.assessment.widened
    if fractured_since(kept) and widened is not None:
        recorded = widened.recorded.get(SINS_COLLAPSE.code, collapse)
        listed = _collapse_values(recorded)
        order = "coded since" if widened.after else "not known to be older"
        fracture = fracture_words(widened.unplaced)[0]
        shown = f"collapse at {level} {listed}{evidence_day(kept.evidence)}"
        return _JUDGE.unknown(
            basis,
            action=kept.settle or REIMAGE,
            finding=f"{shown}, a {fracture} {order} — re-image",
        )
    forms, todo = _to_settle(at, collapse, dict((c[0], c[1]) for c in conflicts))
    # A fracture Condition that would meet the criterion outright is asked for first; the
    # summary's forms leave out against which treatment (the detail says it).
    head = f"SINS {at.result.total} at {level} — "
    asked, brief = fractures[0], fractures[2]
    todo = [*(t for t in fractures[1] if t not in todo), *todo]
    finding = head + "; ".join([*asked, *forms[0]])
    short, *fewer = dict.fromkeys(head + "; ".join([*brief, *form]) for form in forms[1:])
    return _JUDGE.unknown(
        basis,
        action="; ".join(todo),
        finding=finding,
        short=short if short != finding else None,
        fewer=tuple(f for f in fewer if f != finding),
    )


def _to_settle(
    at: LevelResult, collapse: frozenset[Collapse], values: dict[str, str]
) -> tuple[list[list[str]], list[str]]:
    """What keeps criterion 3 open at a level whose collapse is recorded, in the summary's
    forms and as the action column says it. The findings in conflict are settled in one clause,
    in the components' order: first when the collapse is among them (a fracture or not), else
    after what is missing (:func:`settling_of`), as the SINS card says it; where only dated
    findings keep SINS from 7 or more, re-assessing them comes before what is missing, else
    last. The summary's forms: every value; in a clause of several, only the values of what
    cement cannot treat (a subluxation, bilateral involvement: ``values``), then the
    subluxation's alone; none, as the action says it (the detail and the cement's concerns give
    them). Never "settle pain", which reads as relieving it."""
    result, bases = at.result, at.bases
    parts = [c for c in result.components if c.code != SINS_LOCATION.code]
    stale: list[str] = []
    for word, timed in (("dated", True), ("no date", False)):
        names = [
            c.spec.short
            for c in parts
            if (b := bases.get(c.code)) is not None
            and b.any_dated
            and any(ev.time is not None for ev in b.evidence) is timed
        ]
        stale += [f"re-assess {', '.join(names)} ({word})"] if names else []
    first = result.total.low >= SINS_CONSULT_FROM  # only the dated keep it from met
    between = stale if first else []
    if not result.total.certain:
        between = [*between, *settling_of(result, bases).asked]
    after = [] if first else stale
    conflicts: list[tuple[str, str, bool]] = []  # name, its values, whether cement can treat it
    for c in parts:
        b = bases.get(c.code)
        if c.code == SINS_COLLAPSE.code:
            if len(collapse) > 1:  # in conflict: a fracture or not, how much of the body
                conflicts.append(("collapse", f" ({_collapse_values(collapse)})", True))
            continue
        if not c.known or c.points.certain or b is None or b.any_dated or fractured_since(b):
            continue
        shown = f" ({values[c.spec.short]})" if c.spec.short in values else ""
        conflicts.append((c.spec.short, shown, c.spec.short not in values))
    lead = len(collapse) > 1

    def said(form: int) -> list[str]:
        """0: every value; in a clause of several, 1: those cement cannot treat, 2: the
        alignment's (a subluxation: instability); 3: none."""
        several = len(conflicts) > 1

        def kept(name: str, treats: bool) -> bool:
            if form == 3:
                return False
            if not several or form == 0:
                return True
            if form == 1:
                return not treats
            return form == 2 and name == _ALIGNMENT

        named = [name + (shown if kept(name, treats) else "") for name, shown, treats in conflicts]
        clause = [SETTLE_CONFLICTING + ", ".join(named)] if named else []
        ordered = [*clause, *between] if lead else [*between, *clause]
        return [*ordered, *after] or ["re-assess"]

    return [said(0), said(1), said(2), said(3)], said(3)


def fracture_criterion(
    level: str, at: LevelResult | None, fractures: Sequence[Staged], prior: Prior | None = None
) -> Criterion:
    """Met by a confirmed neoplastic fracture Condition there, an undated collapse there, or
    SINS there certainly 7 or more without dated inputs; unmet by no collapse and SINS ≤ 6. At a
    level stabilised before (``prior``), nothing older than the treatment makes it met."""
    # ICD-10-CM M84.58 is "other specified site", vertebrae included: without a vertebral
    # bodySite it cannot say the fracture is at this level.
    here = _since([s for s in fractures if level in s.levels], prior)
    elsewhere = [s for s in fractures if not s.levels]
    if confirmed := [s for s in here if s.confirmed]:
        return _JUDGE.met(cite(staged_evidence(confirmed, _NEOPLASTIC)))
    if at is None:
        return _JUDGE.unknown(
            f"no metastasis is scored at {level}, so its fracture and stability were not assessed",
            action="record the metastasis and its collapse",
            finding=f"fracture and stability at {level} not assessed",
        )
    # A recorded verdict of instability is instability (SINS never overrides it; cement or
    # screws before it do not undo it).
    v, verdict = at.verdict, recorded_unstable(at)
    certain = v is not None and v.certain and not v.basis.any_dated
    if certain and verdict is not None:
        return _JUDGE.met(f"stability at {level}: {verdict}")
    if prior is not None and (prior.stale or prior.fixed):
        at_level = [s for s in fractures if level in s.levels]
        unsure = _unordered([s for s in at_level if s.confirmed], prior)
        maybe = [s for s in elsewhere if _may_be_here(s, level)]
        since = ([s for s in here if not s.confirmed], _since(maybe, prior))
        either = (_unordered([s for s in at_level if not s.confirmed], prior),
                  _unordered(maybe, prior))  # fmt: skip
        return _after_treatment(at, prior, unsure, since, either)
    # A fracture Condition that may be at the level since its treatment, if any: with no level,
    # or there but not known to be before or after the treatment (one older is what it treated).
    maybe = [s for s in elsewhere if _may_be_here(s, level)]
    unordered: list[Staged] = []
    if prior is not None:
        unordered = _unordered([s for s in fractures if level in s.levels], prior)
        maybe = [*_since(maybe, prior), *_unordered(maybe, prior)]
    collapse, evidence = _collapse(at)
    total = at.result.total
    if collapse and collapse <= _FRACTURE and not dated(evidence):
        return _JUDGE.met(f"collapse at {level}: {cite(evidence)}")
    if firm_total(at.result, at.bases).low >= SINS_CONSULT_FROM:
        return _JUDGE.met(f"SINS {total} at {level} (≥ {SINS_CONSULT_FROM})")
    if (open_verdict := _open_verdict(at, evidence)) is not None:
        return open_verdict
    if collapse and collapse <= _NO_FRACTURE and total.high < SINS_CONSULT_FROM:
        shown = f"no collapse at {level} ({cite(evidence)}) and SINS {total}"
        unsure = [s for s in here if not s.confirmed]
        if unsure or maybe or unordered:
            return _fracture_to_settle(level, shown, unsure, maybe, unordered, prior)
        early = at.assessment.preliminary.get(SINS_COLLAPSE.code)
        if early is not None and frozenset(early.values) & _FRACTURE:
            # A later preliminary report of a collapse: not scored (contract §2), never "met"
            # (§5 v3), and never "no fracture" beside it.
            listed = _collapse_values(early.values)
            day = evidence_day(early.evidence).strip(" ()")
            said = f"{listed}, {day}" if day else listed
            return _JUDGE.unknown(
                f"{shown}; a later {to_confirm(early)}",
                action=_CONFIRM_COLLAPSE,
                finding=f"collapse at {level}: later {PRELIMINARY} ({said})",
            )
        if conflicts := _conflicts(at):
            # SINS is 6 or less whatever they say, but a subluxation or bilateral involvement is
            # what the card asks to settle: never "no instability" beside it (contract §2, §5).
            # Kept short: the cement concern names the values, and an open cord criterion
            # keeps its place in the summary.
            names = " and ".join(c[0] for c in conflicts)
            return _JUDGE.unmet(
                "; ".join([shown, *(c[2] for c in conflicts)]),
                action=f"settle the conflicting {names}",
                finding=f"no fracture at {level} (no collapse, SINS {total}, {names} conflicting)",
            )
        return _JUDGE.unmet(
            shown, finding=f"no fracture or instability at {level} (no collapse, SINS {total})"
        )
    unplaced = _unplaced(at)
    early = at.assessment.preliminary.get(SINS_COLLAPSE.code)
    reported = early if early is not None and preliminary(at.bases[SINS_COLLAPSE.code]) else None
    absent = to_confirm(reported) if reported else _UNPLACED if unplaced else "not recorded"
    why = [f"collapse at {level}: {cite(evidence) or absent}", f"SINS {total}"]
    if here:
        shown = cite(staged_evidence(here, _NEOPLASTIC))
        why.append(f"unconfirmed pathological fracture at {level}: {shown}")
    if maybe:  # one older than the level's treatment is the fracture it treated: not cited
        shown = cite(staged_evidence(maybe, _NEOPLASTIC))
        why.append(f"pathological fracture without a level: {shown}")
    if unordered and prior is not None:
        shown = cite(staged_evidence(unordered, _NEOPLASTIC))
        when = f"the {prior.treatment.dated}"
        why.append(f"{shown}: not known to be before or after {when}")
    if not evidence and unplaced:
        return _JUDGE.unknown("; ".join(why), action=PLACE_IT, finding=_PLACE_COLLAPSE)
    if not evidence and reported:
        # A preliminary report is never scored (contract §2): it is what to confirm.
        return _JUDGE.unknown(
            "; ".join(why), action=_CONFIRM_COLLAPSE, finding=f"collapse at {level}: {PRELIMINARY}"
        )
    stale = dated(evidence)
    if collapse and not stale:
        after = f", maybe after the {prior.treatment.name}" if prior is not None else ""
        asks, todo = _fracture_asks(level, here, maybe, "", unordered, after)
        brief = _fracture_asks(level, here, maybe, "", unordered)[0]
        early = at.assessment.preliminary.get(SINS_COLLAPSE.code)
        if early is not None and frozenset(early.values) & _FRACTURE:  # a later report of one
            why.append(f"a later {to_confirm(early)}")
            confirm = "confirm the later preliminary collapse report"
            asks, brief, todo = [confirm, *asks], [confirm, *brief], [_CONFIRM_COLLAPSE, *todo]
        return _open_with_collapse(at, collapse, why, (asks, todo, brief))
    action = REASSESS if stale else "record the vertebral body collapse at the level"
    finding = f"collapse at {level} dated" if stale else f"collapse at {level} not recorded"
    return _JUDGE.unknown("; ".join(why), action=action, finding=finding)
