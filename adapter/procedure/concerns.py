"""Warnings about an order that are not selection criteria (contract §5 v3): a level already
stabilised by cement or screws (§6 v3), cement alone at an unstable level, a fixation whose
screws go into tumour, and an order for a level (its reasonReference) it does not reach — a
wrong-level risk. For a fixation, a level beyond the span of the levels it instruments: the
treated level stays the one the reason names (§5), but a level inside the span is bridged, not
missed. For a vertebroplasty or kyphoplasty, a level that is not ordered: cement goes only where
it is ordered, which stays the treated level. A reason Condition that names several vertebrae
(one diagnosis, as problem lists record it) is reached when any of them is: the order treats the
level of it that needs treating.

"Alone" means no fixation order at that level in the same request and no fixation completed or in
progress there (PatientAssessment.treatments, under_way). Unstable means SINS certainly 13 or more
(dated findings may raise this alarm, as §4 allows, and the text says so), or alignment
``subluxation``, or posterolateral involvement ``bilateral`` whatever the total: cement cannot treat
translation or posterior destruction; or a recorded stability verdict of "unstable", which no total
overrides. Where one of these is possible but not certain — equal-time findings conflict, or an
input is missing so the range reaches it — cement alone is a warning too, naming what to settle or
record: §5 never calls an order fit from what is not certain. At a level cemented before and not
re-imaged since, the findings are said as before that treatment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from adapter.fhir.read.evidence import on_day as on_or_in
from adapter.mapping.compression import days_of
from adapter.mapping.findings import Chosen
from adapter.mapping.placement import preliminary, to_confirm
from adapter.mapping.sins import Widened, fracture_words
from adapter.mapping.treatments import between_screws, spanned
from adapter.pipeline import (
    RECORDED_UNSTABLE,
    LevelResult,
    Verdict,
    firm_total,
    in_conflict,
    listed_first,
    recorded_unstable,
    to_settle,
    unstable_before_earlier,
    unstable_reason,
    unstable_unless_before,
)
from adapter.procedure.ask import Ask
from adapter.procedure.criteria import on_day
from adapter.procedure.orders import Order, reasons_by_level, treated_levels
from adapter.procedure.treated import Prior, prior_treatment
from adapter.procedure.tumour import metastasis_levels
from adapter.scoring import LEVELS, Alignment, Posterolateral, level_order
from adapter.vocabulary import (
    SINS_ALIGNMENT,
    SINS_POSTEROLATERAL,
    SINS_UNSTABLE_FROM,
    ComponentSpec,
)
from adapter.vocabulary.scores.sins import before_cement, unstable_after_screws

__all__ = [
    "Concern",
    "cement_unsettled",
    "cement_unstable",
    "order_concerns",
    "unsettled_inputs",
    "unstable_after_cement",
    "unstable_before_cement",
]

_COMBINED = "the case series combined cement with pedicle screw fixation"


@dataclass(frozen=True, slots=True)
class Concern:
    """A warning about the order: the finding for a summary, the detail for the card."""

    finding: str
    detail: str
    short: str | None = None  # the finding for a summary too long to hold it whole
    # What may be so but is not certain: said beside the unknown criteria, after what is unmet.
    possible: bool = False
    # A criterion's finding that repeats this one's day, and its wording right after it.
    follows: tuple[str, str] | None = None
    # What is open, said of the level rather than of the order: how the SINS card words a level
    # already cemented alone whose instability is only possible (adapter/decision/sins.py).
    open: str | None = None
    # The input in conflict as said, for a surface that says its own action (NOMS's M line).
    what: str | None = None


@dataclass(frozen=True, slots=True)
class _Unsafe:
    """A finding that rules out cement alone whatever the total, and what cement cannot treat."""

    spec: ComponentSpec
    value: Enum
    cannot: str


_SUBLUXATION = _Unsafe(SINS_ALIGNMENT, Alignment.SUBLUXATION, "translation")
_BILATERAL = _Unsafe(SINS_POSTEROLATERAL, Posterolateral.BILATERAL, "posterior destruction")


def _fixes(order: Order, level: str, ask: Ask) -> bool:
    """Whether a fixation order fixes the level: screws there, or the level it treats (its
    reasonReference, contract §5, or the request's cement between its screws) bridged by screws
    above and below — as a completed fixation counts the level it bridges
    (adapter/mapping/treatments.py). A level it names but does not reach is the wrong-level risk
    said on its own card, not a fixation here."""
    if order.kind != "fixation" or order.do_not_perform:
        return False
    if level in order.levels or level in between_screws(order.levels, ask.cemented):
        return True
    treated, _ = treated_levels(order, ask.result, ask.cemented)
    if level not in treated:
        return False
    if not order.levels:
        return True
    spans = sorted(level_order(lv) for lv in order.levels)
    return spans[0] <= level_order(level) <= spans[-1]


def _fixed(ask: Ask, level: str) -> bool:
    """A fixation at the level: ordered in the same request, in progress, or completed before."""
    ordered = any(_fixes(o, level, ask) for o in ask.others)
    a = ask.result.assessment
    done = any("fixation" in t.kinds and t.at(level) for t in (*a.treatments, *a.under_way))
    return ordered or done


def cement_unstable(at: LevelResult, prior: Prior | None = None) -> str | None:
    """Why the level is certainly too unstable for cement alone, in a few words; None when it is
    not (then :func:`cement_unsettled` says what may make it so). A level re-scored from findings
    after cement alone is still judged by those before it too: the later findings do not undo
    the instability the cement was given for (contract §6 v3)."""
    before = f" {prior.before}" if prior is not None and prior.stale else ""
    return _unstable(at, before) or unstable_before_cement(at)


def unstable_after_cement(at: LevelResult) -> str | None:
    """Why a level re-scored from findings after cement alone is certainly unstable by those
    findings ("subluxation at T12"); None when it is not, or was not re-scored after cement."""
    treatment = at.assessment.after
    if treatment is None or "fixation" in treatment.kinds:
        return None
    return _unstable(at, "")


def unstable_before_cement(at: LevelResult) -> str | None:
    """Why a level re-scored after cement alone was certainly unstable before it, by the findings
    up to it; None when it was not, or was not re-scored after cement."""
    treatment = at.assessment.after
    if at.before is None or treatment is None or "fixation" in treatment.kinds:
        return None
    return _unstable(at.before, f" before the {treatment.name}{on_or_in(treatment.time.day)}")


def _unstable_before_earlier_cement(at: LevelResult) -> str | None:
    """Why cement alone given at the level before the one it is read against was certainly
    unsafe, by the findings before it ("SINS 14 before the vertebroplasty on 20 May 2024,
    unstable"); None when it was not, or the level's own picture says so already."""
    earlier = unstable_before_earlier(at)
    if earlier is None:
        return None
    _, treatment, was = earlier
    return _unstable(was, f" before the {treatment.name}{on_or_in(treatment.time.day)}")


def _cemented_verdict(at: LevelResult) -> str | None:
    """A verdict of instability at a level cemented alone, before or after that cement:
    "recorded unstable at T12 on 30 May 2024, after the vertebroplasty on 20 May 2024"."""
    v = at.verdict
    return recorded_unstable(at, at=True) if v is not None and v.against_cement else None


def _unstable(at: LevelResult, before: str) -> str | None:
    reason = unstable_reason(at)
    if reason is not None and reason.startswith(RECORDED_UNSTABLE):  # the level before its age
        return f"{RECORDED_UNSTABLE} at {at.level}{reason.removeprefix(RECORDED_UNSTABLE)}{before}"
    if reason is None or not reason.startswith("SINS"):
        return None if reason is None else f"{reason} at {at.level}{before}"
    dated = firm_total(at.result, at.bases).low < SINS_UNSTABLE_FROM
    return f"{reason}{' (dated)' if dated else ''}{before}, unstable"


def _unsettled_input(
    at: LevelResult, unsafe: _Unsafe, values: frozenset[Enum] | None, before: str
) -> Concern:
    """An input that may hold the unsafe value: conflicting findings (``values``), or none
    recorded (None)."""
    name, where = unsafe.spec.short, f"at {at.level}{before}"
    then = f"before cement alone — {unsafe.value.value} would need fixation"
    early = at.assessment.preliminary.get(unsafe.spec.code)
    if values is None and early is not None and preliminary(at.bases[unsafe.spec.code]):
        return _reported_input(at, unsafe, early, where)
    basis = at.bases[unsafe.spec.code]
    widened = at.assessment.widened
    recorded = widened.recorded.get(unsafe.spec.code) if widened is not None else None
    if values is None:
        said, full, act = f"{name} not recorded {where}", f"{name} not recorded {where}", "record"
    elif recorded is not None and (len(recorded) == 1 or unsafe.value not in recorded):
        # Recorded once, or in conflict without the unsafe value: only the fracture may bring it.
        return _fractured_input(at, unsafe, recorded, where)
    else:
        evidence = basis.evidence
        day = f", {days_of(evidence)}" if any(ev.time for ev in evidence) else ""
        short_day = on_day(evidence).strip(" ()")
        listed = listed_first(unsafe.value, recorded or values)
        # Findings that conflict, and a fracture coded since them: the conflict is what the
        # record holds; the fracture is said beside it.
        since = (
            ""
            if widened is None or recorded is None
            else f", and a {_fracture(widened)} "
            + ("coded since" if widened.after else "not known to be older")
        )
        said = f"{name} conflicting {where} ({listed}{', ' if short_day else ''}{short_day}){since}"
        full, act = f"{name} conflicting {where} ({listed}{day}){since}", "settle"
    cannot = f"(cement cannot treat {unsafe.cannot})"
    return Concern(
        f"{said}: {act} {then}",
        f"Cement alone at {at.level}: {full}: {act} it {then} {cannot}; {_COMBINED}.",
        f"{said}: {act} before cement alone",
        possible=True,
        open=f"{full}: {act} it — {unsafe.value.value} would need fixation {cannot}",
        what=full,
    )


def _fracture(widened: Widened) -> str:
    return fracture_words(widened.unplaced)[0]


def _fractured_input(
    at: LevelResult, unsafe: _Unsafe, recorded: frozenset[Enum], where: str
) -> Concern:
    """An input recorded once and widened upwards by a vertebral fracture coded since (not a
    conflict between findings): imaging settles it, or, for a fracture with no level, its level."""
    basis = at.bases[unsafe.spec.code]
    widened = at.assessment.widened
    unplaced = widened is not None and widened.unplaced
    order = (
        "coded since"
        if widened is None or widened.after
        else "not known to be older than the finding"
    )
    fracture = f"a {fracture_words(unplaced)[0]} {order}"
    short_day = on_day(basis.evidence).strip(" ()")
    dated = f" ({short_day})" if short_day else ""
    full_day = f" ({days_of(basis.evidence)})" if any(ev.time for ev in basis.evidence) else ""
    act = "re-image, or record the fracture's level" if unplaced else "re-image"
    value = "/".join(str(v.value).replace("-", " ") for v in type(unsafe.value) if v in recorded)
    said = f"{unsafe.spec.short} {where} may be worse than {value}"
    would = f"{unsafe.value.value} would need fixation"
    cannot = f"(cement cannot treat {unsafe.cannot})"
    before = f"{act}{',' if unplaced else ''} before cement alone"
    return Concern(
        f"{said}{dated}, {fracture}: {before} — {would}",
        f"Cement alone at {at.level}: {said}{full_day}, {fracture}: {before} — {would} {cannot}; "
        f"{_COMBINED}.",
        f"{said}{dated}, {fracture}: {before}",
        possible=True,
        open=f"{said}{full_day}, {fracture}: {act} — {would} {cannot}",
    )


def _reported_input(at: LevelResult, unsafe: _Unsafe, early: Chosen[object], where: str) -> Concern:
    """An input only a preliminary report records (contract §2: not scored): confirm it."""
    name, cannot = unsafe.spec.short, f"(cement cannot treat {unsafe.cannot})"
    listed = "/".join(sorted(str(v.value) for v in early.values if isinstance(v, Enum)))
    day = on_day(early.evidence).strip(" ()")
    said = f"{name} {where}: preliminary report ({listed}{', ' if day else ''}{day}) — confirm"
    full = f"{name} {where}: {to_confirm(early)}"
    then = f"before cement alone — {unsafe.value.value} would need fixation"
    return Concern(
        f"{said} {then}",
        f"Cement alone at {at.level}: {full}: confirm it {then} {cannot}; {_COMBINED}.",
        f"{said} before cement alone",
        possible=True,
        open=f"{full}: confirm it — {unsafe.value.value} would need fixation {cannot}",
    )


def cement_unsettled(at: LevelResult, prior: Prior | None = None) -> list[Concern]:
    """What may make the level too unstable for cement alone but is not certain, each named
    with what settles it (asked when :func:`cement_unstable` finds nothing certain)."""
    before = f" {prior.before}" if prior is not None and prior.stale else ""
    out = unsettled_inputs(at, before)
    total = at.result.total
    if out or total.high < SINS_UNSTABLE_FROM:
        return [*_unless_before(at), *out]
    settle = to_settle(at.result, at.bases)
    could = f"SINS {total}{before} could be {SINS_UNSTABLE_FROM} or more (unstable): {settle}"
    return [
        *_unless_before(at),
        Concern(
            f"SINS {total} at {at.level}{before} could be unstable: {settle} before cement alone",
            f"Cement alone at {at.level}: {could} before cement alone; at {SINS_UNSTABLE_FROM} "
            f"or more {_COMBINED}.",
            possible=True,
            open=could,
        ),
    ]


def unsettled_inputs(
    at: LevelResult, before: str = "", *, conflicts_only: bool = False
) -> list[Concern]:
    """The inputs that may hold what cement cannot treat (a subluxation, a bilateral
    posterolateral involvement) but do not certainly: findings in conflict, one widened by a
    fracture since, or none recorded (with ``conflicts_only``, findings that disagree with one
    another only); ``before`` how the findings stand against a treatment (" before the
    vertebroplasty …")."""
    inputs = at.assessment.inputs
    # (the input's possible values, whether any was recorded) — a frozenset, unlike Possible, is
    # covariant, so the two enums meet as Enum
    pairs: list[tuple[_Unsafe, frozenset[Enum], bool]] = [
        (_SUBLUXATION, inputs.alignment.values, inputs.alignment.known),
        (_BILATERAL, inputs.posterolateral.values, inputs.posterolateral.known),
    ]
    out = []
    for unsafe, values, known in pairs:
        if unsafe.value not in values or values == {unsafe.value}:
            continue
        if in_conflict(at, unsafe.spec.code) or not conflicts_only:
            out.append(_unsettled_input(at, unsafe, values if known else None, before))
    return out


def _unless_before(at: LevelResult) -> list[Concern]:
    """A level unstable by its findings certainly before its cement alone, beside findings of an
    unknown order against it: possibly unstable before cement alone, their order settles it."""
    was, t = unstable_unless_before(at), at.assessment.unordered
    if was is None or t is None:
        return []
    said = before_cement(was, at.level, f"{t.name}{on_or_in(t.time.day)}")
    # Said in the detail only: the summary's "findings before or after it — re-image"
    # (criterion 3) is what settles it, and the summary has room for that alone.
    return [
        Concern(
            "",
            f"Cement alone at {at.level}: {said.open}; {_COMBINED}.",
            possible=True,
            open=said.open,
        )
    ]


def _cement_alone(ask: Ask, levels: list[str]) -> list[Concern]:
    out = []
    for level in levels:
        at = ask.result.level(level)
        if at is None or _fixed(ask, level):
            continue
        prior = prior_treatment(level, ask.result)
        why = (
            cement_unstable(at, prior)
            or _cemented_verdict(at)
            or _unstable_before_earlier_cement(at)
        )
        if why is None:
            out += cement_unsettled(at, prior)
            continue
        prefix = f"{level}: " if len(levels) > 1 and why.startswith("SINS") else ""
        out.append(
            Concern(
                f"{prefix}{why}: {_COMBINED}",
                f"Cement alone at {level} ({why}): {_no_fixation(ask, level)}; "
                f"{_COMBINED} — consider surgical review.",
            )
        )
    return out


def _no_fixation(ask: Ask, level: str) -> str:
    """How the card says that nothing fixes the level: "no fixation ordered or recorded there",
    or, beside screws recorded above and below it that are not known to be for it (its
    metastasis not recorded by a Condition with its level, or later than them), that they are
    there and not read as its fixation."""
    a = ask.result.assessment
    for t in (*a.treatments, *a.under_way):
        if "fixation" in t.kinds and level in spanned(t.levels) and level not in t.levels:
            screws = ", ".join(t.levels)
            return (
                f"screws recorded at {screws} around it are not recorded as its fixation "
                "(record it as their reasonReference if they fix it)"
            )
    return "no fixation ordered or recorded there"


_CONSTRUCT = "review the construct (levels to instrument, cement augmentation of the screws)"
# How a level is known when not from a confirmed metastasis: (summary words, detail words).
_UNSURE = {
    "unconfirmed": ("not confirmed", "recorded only by an unconfirmed Condition"),
    "findings": ("known from findings only", "known from findings only (no Condition names it)"),
}


def _screws_in_tumour(ask: Ask, instrumented: list[str]) -> list[Concern]:
    """Screws into a level with a metastasis; one that may or may not be there (an unconfirmed
    Condition, findings only: contract §2) is said as possible, never as certain."""
    tumour = [lv for lv in instrumented if lv in set(metastasis_levels(ask.result))]
    known = {lv: at.assessment.origin for lv in tumour if (at := ask.result.level(lv))}
    sure = [lv for lv in tumour if known.get(lv, "confirmed") == "confirmed"]
    out = []
    if sure:
        named = ", ".join(sure)
        out.append(
            Concern(
                f"metastasis at instrumented level {named}: screw purchase in tumour",
                f"The screws go into {named}, which carries a metastasis: screw purchase in "
                f"tumour — {_CONSTRUCT}.",
            )
        )
    for origin, (said, why) in _UNSURE.items():
        unsure = [lv for lv in tumour if known.get(lv) == origin]
        if not unsure:
            continue
        named = ", ".join(unsure)
        out.append(
            Concern(
                f"metastasis at instrumented level {named} {said}: possible screw purchase in "
                "tumour — confirm it",
                f"The screws go into {named}, where a metastasis is {why}: if it is there, screw "
                f"purchase in tumour — confirm it, then {_CONSTRUCT}.",
                possible=True,
            )
        )
    return out


def _span(levels: list[str]) -> str:
    """ "T11–L1" for consecutive levels, else "T11, L1"."""
    at = [LEVELS.index(lv) for lv in levels]
    if len(levels) > 1 and at == list(range(at[0], at[0] + len(at))):
        return f"{levels[0]}–{levels[-1]}"
    return ", ".join(levels)


def _reached(levels: list[str], *, span: bool) -> Callable[[str], bool]:
    """Whether an order at ``levels`` reaches a level: within the span of a construct (screws
    above and below bridge it), else among them."""
    if not span:
        return set(levels).__contains__
    top, bottom = level_order(levels[0]), level_order(levels[-1])
    return lambda level: top <= level_order(level) <= bottom


def _wrong_level(ask: Ask) -> list[Concern]:
    """A level the order is for (reasonReference) that its ordered levels do not reach."""
    levels = sorted(ask.order.levels, key=level_order)
    if not levels:
        return []
    fixation = ask.order.kind == "fixation"
    reaches = _reached(levels, span=fixation)
    # One diagnosis may name several vertebrae: an order reaching any of them treats it, and the
    # others are not a level it was meant for.
    unreached = {
        lv
        for each in reasons_by_level(ask.order, ask.result)
        if not any(map(reaches, each))
        for lv in each
    }
    outside = sorted(unreached, key=level_order)
    if not outside:
        return []
    target = ", ".join(outside)
    noun = "fixation" if fixation else ask.order.display.lower()
    ordered = _span(levels) if fixation else ", ".join(levels)
    word, verb = ("levels", "are") if len(levels) > 1 else ("level", "is")
    missed, before = (
        ("lies outside the construct", "surgery") if fixation
        else ("is not an ordered level", "the procedure")
    )  # fmt: skip
    return [
        Concern(
            f"{noun} for {target} but its {word} {verb} {ordered} — check the level "
            "(wrong-level risk)",
            f"The {noun} is ordered for the metastasis at {target} (its reasonReference), but "
            f"the {word} ordered {verb} {ordered}: {target} {missed} — check the level ordered "
            f"before {before} (wrong-level risk).",
        )
    ]


def _already_treated(ask: Ask, treated: list[str]) -> list[Concern]:
    """A treated level ordered again: a repeat, screws after cement, or the wrong level."""
    priors = [p for level in treated if (p := prior_treatment(level, ask.result)) is not None]
    return [_repeat(ask, p) for p in priors]


def _repeat(ask: Ask, prior: Prior) -> Concern:
    """A treated level ordered again. A verdict of instability after its screws is named in the
    summary while it fits, else the room is the other findings' (``short``); the card's line for
    the level says it with its action, once."""
    detail = prior.detail(ask.order.kind == "fixation")
    follows = (prior.reimage, prior.reimage_since) if prior.stale else None
    verdict = _unstable_after_screws(ask, prior)
    if verdict is None:
        return Concern(prior.named, detail, follows=follows)
    named = f"{prior.named}; {unstable_after_screws(verdict.freshness)}"
    return Concern(named, detail, short=prior.named, follows=follows)


def _unstable_after_screws(ask: Ask, prior: Prior) -> Verdict | None:
    """The verdict of instability recorded after the screws at an ordered level, if any."""
    if not prior.fixed:
        return None
    at = ask.result.level(prior.level)
    if at is None or at.verdict is None or not at.verdict.after_screws:
        return None
    return at.verdict


def _unplaced_priors(ask: Ask, treated: list[str]) -> list[Concern]:
    """A completed cement augmentation or fixation whose level is not recorded (no bodySite, a
    region or words only, as billing-derived records often hold): it may have been at the level
    ordered now, which is never guessed away (contract §5)."""
    where = ", ".join(treated) or "the level ordered"
    out = []
    for done in ask.result.assessment.treatments:
        if done.stabilises and not done.levels and not done.bridged:
            said = f"{done.name}{on_or_in(done.time.day)} recorded without a level"
            detail = (
                f"{said[:1].upper()}{said[1:]} ({done.evidence.ref.reference or 'a Procedure'}): "
                f"it may have been at {where} — check where it was before this order."
            )
            out.append(Concern(f"{said} — check it was not {where}", detail, short=said))
    return out


def order_concerns(ask: Ask, treated: list[str], instrumented: list[str]) -> tuple[Concern, ...]:
    if not ask.order.recognised:
        return ()
    done = [*_already_treated(ask, treated), *_unplaced_priors(ask, treated)]
    wrong = _wrong_level(ask)
    if ask.order.kind == "fixation":  # cement with it is not alone: its own screws fix the level
        return (*wrong, *done, *_screws_in_tumour(ask, instrumented))
    return (*wrong, *done, *_cement_alone(ask, treated))
