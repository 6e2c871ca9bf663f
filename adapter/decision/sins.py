"""SINS per level as every surface shows it (contract §4 v3, §6 v3).

Pure over a :class:`PatientResult`: for each scored level an indicator, the words of its
headline, whether SINS was assessed there, its treated state, and the order in which the levels
are shown. The indicator follows what is *certain*: critical when the level is certainly 13 or
more, warning when certainly 7 or more, otherwise info; a range that merely could reach a higher
band says so and names the findings to record. Current mechanical pain at an untreated level is
at least a warning; an unstable total that rests on dated findings is a warning to re-assess.
A level stabilised by cement or screws is shown as before the treatment (or "not applicable"
once screws are in), info, out of the worst-level choice; cement alone at a level unstable before
it stays a warning, even once re-scored; where instability is only possible, info, in words that
say what settles it. Presentation only: the outputs are not changed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from adapter.decision.unassessed import not_assessed, not_assessed_text
from adapter.fhir.read.evidence import on_day
from adapter.mapping.sins import fracture_words
from adapter.mapping.treatments import Treatment, fixation_at, latest_stabilising
from adapter.pipeline import (
    LevelResult,
    PatientResult,
    cement_settles,
    conflicts_with_cement,
    firm_total,
    in_conflict,
    mechanical_now,
    possibly_unsafe_after,
    possibly_unsafe_unordered,
    recorded_unstable,
    to_settle,
    unstable_before_earlier,
    unstable_reason,
)
from adapter.procedure.concerns import (
    Concern,
    cement_unsettled,
    cement_unstable,
    unsettled_inputs,
    unstable_after_cement,
    unstable_before_cement,
)
from adapter.procedure.treated import zone_doubt, zone_words
from adapter.scoring import Span, level_order, worst_first
from adapter.vocabulary import (
    SINS,
    SINS_ALIGNMENT,
    SINS_CONSULT,
    SINS_CONSULT_FROM,
    SINS_LOCATION,
    SINS_POSTEROLATERAL,
    SINS_SCOPE_SHORT,
    SINS_UNSTABLE_FROM,
)
from adapter.vocabulary.cards import REMISSION, SUMMARY_MAX, URGENCY, Indicator, shorten
from adapter.vocabulary.scores.sins import (
    AFTER_SCREWS,
    CEMENT_ALONE,
    CEMENT_POSSIBLE,
    DRAWN_POSSIBLE,
    DRAWN_UNSTABLE,
    NO_FIXATION,
    POSSIBLE_AFTER,
    POSSIBLE_WITH,
    SINS_OVERRIDE,
    UNFIXED,
    after_screws,
    beside_pain,
    beside_verdict,
    not_applicable,
    without_all_clear,
)

__all__ = [
    "CONSULT",
    "Indicator",
    "LevelState",
    "SinsDecision",
    "SinsLevel",
    "cement_alone_warned",
    "certain_indicator",
    "conflicting_now",
    "possibly_unstable_after",
    "recommendation",
    "sins_decision",
    "unsettled_after",
    "worse",
]

LevelState = Literal["assessed", "not-assessed", "after-treatment", "before-treatment", "fixed"]

CONSULT = SINS_CONSULT  # re-exported: the surfaces word it as the vocabulary does
_ORIGIN = {"unconfirmed": " (unconfirmed lesion)", "findings": " (level from findings only)"}
# Shown first: the worst-level candidates, then treated levels, then levels never assessed.
_GROUP: dict[LevelState, int] = {
    "assessed": 0,
    "after-treatment": 0,
    "before-treatment": 1,
    "fixed": 1,
    "not-assessed": 2,
}


def certain_indicator(total: Span) -> Indicator:
    """What a SINS total certainly is (contract §4 v3): critical when certainly 13 or more, a
    warning when certainly 7 or more, otherwise info; a level's state may raise or lower it."""
    if total.low >= SINS_UNSTABLE_FROM:
        return "critical"
    return "warning" if total.low >= SINS_CONSULT_FROM else "info"


def worse(a: Indicator, b: Indicator) -> Indicator:
    return a if URGENCY[a] >= URGENCY[b] else b


@dataclass(frozen=True, slots=True)
class SinsLevel:
    """One level as the surfaces show it.

    ``treatment`` is the stabilising treatment the level is shown against (before it, fixed by
    it, or re-assessed after it); ``consult`` whether the surgical-consultation recommendation
    applies to this level.
    """

    level: LevelResult
    state: LevelState
    indicator: Indicator
    headline: str
    treatment: Treatment | None = None
    consult: bool = False
    # The level's own "stable" verdict that NOMS goes by, where the card asks for a surgeon
    # (SINS recommends the consultation, cement alone is warned of, or findings with cement
    # alone conflict on what it cannot treat): adapter.decision.noms.stable_verdicts.
    stable_said: str | None = None
    # Findings of an unknown order against cement alone that conflict on what it cannot treat:
    # the line says what settles them, and keeps a fracture since whole (_compact).
    conflict: bool = False
    # The line whole where the headline had to leave something out to fit a summary: what a
    # list of levels in a card's detail shows.
    line: str = ""

    @property
    def name(self) -> str:
        return self.level.level

    @property
    def assessed(self) -> bool:
        """Whether any SINS finding of the level's own (beyond its location) is used."""
        return _assessed(self.level)

    @property
    def in_worst_choice(self) -> bool:
        return _GROUP[self.state] == 0

    @property
    def with_cement(self) -> str | None:
        """What cement alone at the level means, as the card says it (contract §6 v3), in the
        spine drawing's few words beside its band: :data:`DRAWN_UNSTABLE`, :data:`DRAWN_POSSIBLE`;
        None when the level has no cement alone, neither holds, its band says it already, or a
        verdict said against the cement does (its own words are drawn)."""
        t, lv = self.treatment, self.level
        if t is None or "fixation" in t.kinds or lv.result.total.low >= SINS_UNSTABLE_FROM:
            return None
        if lv.verdict is not None and lv.verdict.against_cement:
            return None
        if unstable_before_earlier(lv) is not None:  # cement alone given at an unstable level
            return DRAWN_UNSTABLE
        if self.state == "after-treatment":
            if unstable_after_cement(lv) is not None or unstable_before_cement(lv) is not None:
                return DRAWN_UNSTABLE
            return DRAWN_POSSIBLE if unsettled_after(lv) else None
        if self.state != "before-treatment" or not _assessed(lv):
            return None
        alone = _cement_alone(lv)
        if alone is None:
            return None
        return DRAWN_UNSTABLE if alone[0] == CEMENT_ALONE else DRAWN_POSSIBLE


@dataclass(frozen=True, slots=True)
class SinsDecision:
    """Every scored level, in the order shown: the worst first."""

    levels: tuple[SinsLevel, ...]

    @property
    def first(self) -> SinsLevel | None:
        return self.levels[0] if self.levels else None

    @property
    def indicator(self) -> Indicator:
        return self.levels[0].indicator if self.levels else "info"

    def at(self, level: str) -> SinsLevel | None:
        return next((lv for lv in self.levels if lv.name == level), None)


def _assessed(lv: LevelResult) -> bool:
    return any(c.known for c in lv.result.components if c.code != SINS_LOCATION.code)


def _dated_day(lv: LevelResult) -> str:
    times = [ev.time for b in lv.bases.values() for ev in b.dated if ev.time is not None]
    return on_day(max(times).day) if times else ""


def _assessed_level(lv: LevelResult, state: LevelState, treatment: Treatment | None) -> SinsLevel:
    total = lv.result.total
    where = f"SINS {total} at {lv.level}{_ORIGIN.get(lv.assessment.origin, '')}"
    if lv.assessment.in_remission:  # contract §2 v3: still scored, marked (the summary too)
        where += REMISSION
    band = lv.result.band
    top = SINS.bands_within(total.low, total.high)[-1]
    pain = mechanical_now(lv)
    indicator = worse(certain_indicator(total), "warning" if pain else "info")
    firm = firm_total(lv.result, lv.bases)
    worded = _verdict(lv)
    verdict = worded.whole if worded is not None else None
    if worded is not None and total.low < SINS_CONSULT_FROM:
        # A surgeon's verdict of instability: SINS, a referral tool, never overrides it.
        if band is not None:
            words, line = f"{where} ({band.short_label}); {verdict}: {SINS_OVERRIDE}", ""
        else:
            # What would narrow the range (a fracture since: re-image) is kept before "SINS
            # does not override it", the range's top and the verdict's day; its age stays.
            reach = f"up to {total.high} ({top.short_label})"
            joint = f" — {SINS_OVERRIDE}; "
            words, line = _range_summary(
                f"{where}:", worded, joint, reach, _settle_forms(lv), reach_alone=False
            )
        return SinsLevel(
            lv, state, worse(indicator, "warning"), words, treatment, consult=True, line=line
        )
    if indicator == "critical" and firm.low < SINS_UNSTABLE_FROM:
        words = f"SINS {total} at {lv.level}{_dated_day(lv)} (dated) — re-assess"
        words += f"; {verdict}" if verdict is not None else ""
        return SinsLevel(lv, state, "warning", words, treatment, consult=True)
    if pain and total.low < SINS_CONSULT_FROM:
        words = (
            f"{where} with mechanical pain (a sign of instability): consider surgical consultation"
        )
        line = ""
        if band is None:
            head = f"{where} with mechanical pain (a sign of instability): could be up to "
            head += f"{total.high} ({top.short_label})"
            forms = [f"{head} — {settle}" for settle in _range_settles(lv)]
            words, line = _fitting(forms), forms[0]
        return SinsLevel(lv, state, indicator, words, treatment, consult=True, line=line)
    if band is not None:
        advice = CONSULT if total.low >= SINS_CONSULT_FROM else SINS_SCOPE_SHORT
        words = f"{where} ({band.short_label}): {advice}"
        if worded is not None:
            # Whole; then without its day, the cement's day and its order against the cement, in
            # turn (the detail gives them); its age ("(dated)") goes last.
            shorter = (worded.whole, worded.dayless, worded.daysless, worded.unordered, worded.bare)
            words = _fitting([f"{words}; {v}" for v in shorter])
        if SINS.band_of(firm.low, firm.high) is not band:
            dated = [c.spec.short for c in lv.result.components if lv.bases[c.code].any_dated]
            words += f"; rests on dated {', '.join(dated)}"
    else:
        consult = f" {CONSULT};" if total.low >= SINS_CONSULT_FROM else ""
        settles = _settle_forms(lv)
        reach = f"up to {total.high} ({top.short_label})"
        forms = [f"{where}:{consult} could be {reach} — {s}" for s in _range_settles(lv)]
        words, whole = _fitting(forms), forms[0]
        if worded is not None:
            # Before what to record, never cut: the verdict's day goes first (the detail gives
            # it), then "could be", then the range's top (the head gives both); its age stays.
            lead = f"{where}:{consult}"
            words, whole = _range_summary(lead, worded, "; ", reach, settles, reach_alone=True)
        consult_now = total.low >= SINS_CONSULT_FROM
        return SinsLevel(lv, state, indicator, words, treatment, consult=consult_now, line=whole)
    return SinsLevel(lv, state, indicator, words, treatment, consult=total.low >= SINS_CONSULT_FROM)


def _cement_alone(lv: LevelResult) -> tuple[str, str] | None:
    """What cement alone at the level means (§6 v3), as the headline's words and the detail's
    sentence: certain instability as certain, a possible one as possible with what settles it —
    the procedure check's facts (adapter/procedure/concerns.py); None when neither."""
    if cement_unstable(lv) is not None:
        return CEMENT_ALONE, f"{CEMENT_ALONE.capitalize()}."
    unsettled = cement_unsettled(lv)
    if not unsettled:
        return None
    said = "; ".join(c.open for c in unsettled if c.open)
    return (
        f"{CEMENT_POSSIBLE} — {cement_settles(lv)}",
        f"{CEMENT_POSSIBLE.capitalize()}: {said}; {NO_FIXATION}.",
    )


def _treated_level(lv: LevelResult, done: Sequence[Treatment]) -> SinsLevel | None:
    """A level stabilised by cement or screws, unless re-assessed after the latest of them."""
    if not done:
        return None
    fixed = fixation_at(done, lv.level)
    if fixed is not None:
        words = f"{lv.level} fixed{on_day(fixed.time.day)}: SINS not applicable"
        return _fractured(lv, SinsLevel(lv, "fixed", "info", words, fixed))
    latest = latest_stabilising(done) or done[-1]  # the one the level's findings are read against
    after = lv.assessment.after
    if after is not None:
        scored = _assessed_level(lv, "after-treatment", latest)
        if scored.indicator == "critical":
            return scored
        when = on_day(latest.time.day)
        # Instability the findings after cement alone show is said as after it, first: what is
        # found now is what a surgeon acts on (a subluxation since the cement). A total of 13 or
        # more is its band's to say (dated: "— re-assess"), as the detail says it.
        now = unstable_after_cement(lv) if lv.result.total.low < SINS_UNSTABLE_FROM else None
        if now is not None:
            head = f"{lv.level} SINS {lv.result.total}: {now} after cement"
            forms = [f"{head}{when}, unstable; {NO_FIXATION}", f"{head}, unstable; {NO_FIXATION}"]
            if (since := _since_findings(lv)) is not None:
                brief = _brief(since)
                forms = [f"{f}; {since}" for f in forms] + [
                    f"{head}, unstable; {UNFIXED}; {since}",
                    f"{head}, unstable; {UNFIXED}; {brief}",
                    f"{head}, unstable; {brief}",
                ]
            words = _fitting(forms)
            return SinsLevel(lv, "after-treatment", "warning", words, latest, True)
        if (earlier := _earlier_cement(lv)) is not None:  # given at an unstable level
            return SinsLevel(lv, "after-treatment", "warning", earlier, latest, scored.consult)
        # Cement alone at a level unstable before it stays a warning once re-scored (§6 v3).
        if lv.before is None or unstable_before_cement(lv) is None:
            if scored.indicator != "info" or lv.result.band is None:
                return scored  # a range says what it could reach, and what settles it, first
            if not possibly_unstable_after(lv):
                return scored
            # Possibly so after it (findings that conflict on what cement cannot treat): info,
            # as a possible instability is, in words that say what settles it.
            head = f"{lv.level} SINS {lv.result.total} after cement"
            settle = cement_settles(lv)
            forms = [f"{head}{d}: {POSSIBLE_AFTER} — {settle}" for d in (when, "")]
            forms += [f"{head}{d}: possibly unstable — {settle}" for d in (when, "")]
            return replace(scored, headline=_fitting(forms))
        words = f"{lv.level} SINS {lv.before.result.total} before cement{when}: {CEMENT_ALONE}"
        return SinsLevel(lv, "after-treatment", "warning", words, latest, scored.consult)
    return _fractured(lv, _before_level(lv, latest))


def unsettled_after(lv: LevelResult) -> list[Concern]:
    """What may make a level re-scored after cement alone unstable whatever its total, each with
    what settles it: the findings after it in conflict on a subluxation or a bilateral
    involvement, which cement cannot treat (the procedure check's facts). One not recorded since
    is its range's to say ("could be up to 15 (unstable) — record alignment"), as is a range
    that could reach 13."""
    t, v = lv.assessment.after, lv.verdict
    if t is None or "fixation" in t.kinds or (v is not None and v.against_cement):
        return []  # none, or certain already by a verdict said against the cement
    return [c for c in unsettled_inputs(lv, conflicts_only=True) if c.open]


def cement_alone_warned(shown: SinsLevel) -> bool:
    """Whether the card warns that the level is certainly unstable with the cement alone it was
    given (contract §6 v3), as :func:`_treated_level` words it: before it, after it, or at an
    earlier cement. A level re-scored after it at 13 or more shows its band instead (surgical
    consultation recommended), as the card does."""
    lv, t = shown.level, shown.treatment
    if t is None or "fixation" in t.kinds or shown.indicator == "info":
        return False
    if shown.state == "after-treatment":
        if lv.result.total.low >= SINS_UNSTABLE_FROM:
            return False  # the band speaks first on the card
        return (
            unstable_after_cement(lv) is not None
            or unstable_before_cement(lv) is not None
            or unstable_before_earlier(lv) is not None
        )
    if shown.state != "before-treatment":
        return False
    return unstable_before_earlier(lv) is not None or cement_unstable(lv) is not None


def possibly_unstable_after(lv: LevelResult) -> list[Concern]:
    """What makes a level re-scored after cement alone, stable by SINS, possibly unstable after
    it (:func:`adapter.pipeline.possibly_unsafe_after`, as the SINS RiskAssessment reads it),
    each with what settles it: what its line on the card and the words beside a recorded
    "stable" call "possibly unstable after cement alone". NOMS reads the level as it stands
    (:func:`conflicting_now`); the detail names a conflict beside a band or range too."""
    return unsettled_after(lv) if possibly_unsafe_after(lv) else []


def conflicting_now(lv: LevelResult) -> list[Concern]:
    """What makes a level with cement alone possibly unstable as it stands, each with what
    settles it (:func:`adapter.pipeline.conflicts_with_cement`): what NOMS reads as either."""
    if not conflicts_with_cement(lv):
        return []
    return [c for c in unsettled_inputs(lv, conflicts_only=True) if c.open]


def fracture_since(lv: LevelResult) -> str | None:
    """How a vertebral fracture coded since a treated level's picture is said ("vertebral
    fracture coded after it — re-image"); None when there is none."""
    return lv.assessment.fractured_since("it") or lv.assessment.fixed_fractured()


def _fractured(lv: LevelResult, shown: SinsLevel) -> SinsLevel:
    """A fracture coded since the treatment: the picture before it may no longer hold (a
    cemented or instrumented vertebra fractured again): said in the headline, a warning."""
    said = fracture_since(lv)
    if said is None:
        return shown
    # From the level's whole line: a headline already fitted may have left out what decides
    # which of _compact's forms applies ("possibly unstable before cement alone").
    whole = f"{shown.line or shown.headline}; {said}"
    words = whole if len(whole) <= SUMMARY_MAX else _compact(shown, said)
    return replace(
        shown,
        headline=shorten(words),
        indicator=worse(shown.indicator, "warning"),
        line=whole if whole != words else "",
    )


def _since_findings(lv: LevelResult) -> str | None:
    """A fracture coded since the findings a level is scored from, as a summary says it beside
    them: "vertebral fracture coded since — re-image"; None when there is none."""
    widened = lv.assessment.widened
    if widened is None:
        return None
    fracture, settle = fracture_words(widened.unplaced)
    return f"{fracture} {'coded since' if widened.after else 'coded, perhaps since'} — {settle}"


def _brief(fracture: str) -> str:
    """A fracture's words in a summary too long for them whole: a vertebra's card, so the level
    says where ("fracture coded after it — re-image")."""
    return fracture.removeprefix("vertebral ")


def _settles(settle: str) -> tuple[str, ...]:
    """What settles a range as a summary words it: whole, then, where a fracture since asks to
    re-image, without the findings to re-assess ("fracture coded since: re-image, or record its
    level; record pain"), then the re-imaging alone, its level kept ("… re-image, or record its
    level"), then in brief ("fracture, no level: re-image", "fracture since: re-image"): the
    detail names the rest."""
    imaging, _, rest = settle.partition("; ")
    head, image, _ = imaging.partition(": re-image")
    if not image:
        return (settle,)
    unplaced = ", or record its level" if imaging.endswith(", or record its level") else ""
    brief = f"{head}{image}{unplaced}"
    # Last, in the fewest words that still say a fracture with no level is not this level's.
    least = f"fracture, no level{image}" if unplaced else f"{head.replace(' coded', '', 1)}{image}"
    if rest:  # what to record is never left out silently: cut with "…" before that
        return tuple(dict.fromkeys((settle, f"{brief}; {rest}", f"{least}; {rest}")))
    return tuple(dict.fromkeys((settle, brief, least)))


def _settle_forms(lv: LevelResult) -> tuple[str, ...]:
    """What narrows a level's range as a summary words it: whole, findings in conflict after
    the missing ones; then the missing ones alone, before anything is cut (§4 v3 names them;
    the detail names the conflict)."""
    whole = to_settle(lv.result, lv.bases)
    return tuple(dict.fromkeys((whole, to_settle(lv.result, lv.bases, conflicts=False))))


def _range_settles(lv: LevelResult) -> tuple[str, ...]:
    """:func:`_settle_forms`, then, where a fracture since asks to re-image, its briefer forms
    (:func:`_settles`): what a range's summary tries before it is cut."""
    settles = _settle_forms(lv)
    return tuple(dict.fromkeys((*settles, *_settles(settles[-1]))))


def _range_summary(
    lead: str,
    worded: _Verdict,
    joint: str,
    reach: str,
    settles: tuple[str, ...],
    *,
    reach_alone: bool,
) -> tuple[str, str]:
    """A SINS range's summary beside a verdict: ``lead`` ("SINS 10–15 at T12:" and the
    consultation), the verdict whole, then without its day, ``joint`` before "could be"
    ``reach``, then what settles the range; as room runs out "could be" and, with
    ``reach_alone``, the range's top go before what settles it is shortened (``_settles``);
    the verdict's age stays to the last."""
    aged = worded.dayless
    # The findings in conflict go (``settles``: whole, then without them) before "SINS does
    # not override it" and the range's top do.
    forms = [
        f"{lead} {v}{joint}could be {reach} — {settle}"
        for settle in settles
        for v in (worded.whole, aged)
    ]
    forms += [f"{lead} {aged}; could be {reach} — {settle}" for settle in settles]
    if reach_alone:
        forms += [f"{lead} {aged}; {reach} — {settle}" for settle in settles]
    briefer = dict.fromkeys((aged, worded.daysless, worded.unordered))
    forms += [f"{lead} {v} — {s}" for s in _settles(settles[-1]) for v in briefer]
    return _fitting(forms), forms[0]


def _fitting(forms: Sequence[str]) -> str:
    """The first of ``forms`` (the most complete first) that fits a summary; else the last, cut
    at a word."""
    return next((f for f in forms if len(f) <= SUMMARY_MAX), shorten(forms[-1]))


class _Verdict(NamedTuple):
    """A recorded verdict of instability as a summary words it, from whole to bare: what a form
    leaves out, the detail gives. Its age ("(dated)", "no date recorded") outlasts its day and
    its order against the cement: a verdict that reads as current may be acted on as one."""

    whole: str  # "recorded unstable on 30 May 2024, after the vertebroplasty on 2 Jun 2024"
    cement_dayless: str  # the cement's day left out
    dayless: str  # the verdict's own day left out
    daysless: str  # both days left out
    unordered: str  # the verdict's day and its order against the cement left out
    bare: str  # "recorded unstable" (", level not recorded" kept): no day, no age, no order


def _verdict(lv: LevelResult) -> _Verdict | None:
    whole = recorded_unstable(lv)
    if whole is None:
        return None
    # The flags only leave words out: none of these is None once the whole is not.
    return _Verdict(
        whole,
        recorded_unstable(lv, cement_day=False) or whole,
        recorded_unstable(lv, verdict_day=False) or whole,
        recorded_unstable(lv, verdict_day=False, cement_day=False) or whole,
        recorded_unstable(lv, verdict_day=False, order=False) or whole,
        recorded_unstable(lv, day=False) or whole,
    )


def _verdict_fracture_forms(
    start: str, saids: Sequence[str], full: str, brief: str, tail: str
) -> list[str]:
    """A treated level's summary forms with a verdict (each of ``saids``) and a fracture since
    (``full``: with what it follows, then ``brief``), then ``tail``; "possibly unstable" without
    what settles it never outranks what the fracture follows (the treatment, or the findings)."""
    wordings = (full,) if tail == "; possibly unstable" else (full, brief)
    return [f"{start} {said}; {f}{tail}" for said in saids for f in wordings]


def _compact(shown: SinsLevel, said: str) -> str:
    """A summary with a fracture since, too long as it stands: the fracture and its action kept
    whole, the instability in brief. The most complete of these that fits; the detail gives what
    the shorter ones leave out (the cement's day, the advice, what settles a possible
    instability); the last is cut at a word."""
    full, _, picture = (shown.line or shown.headline).partition(": ")
    day = on_day(shown.treatment.time.day) if shown.treatment is not None else ""
    short = full.replace(day, "") if day else full
    brief = _brief(said)
    forms = [(full, said), (short, said), (short, brief)]
    if picture.startswith("unstable"):  # certain: before cement alone, or of an unknown order
        candidates = [f"{w}: unstable; {UNFIXED}; {f}" for w, f in forms]
        candidates.append(f"{short}: unstable; {brief}")
    elif shown.conflict:  # findings of an unknown order in conflict: the fracture kept whole
        unordered = short.replace(" not known to be before or after ", " before or after ")
        candidates = [f"{full}: {picture}; {said}"]
        candidates += [f"{w}: {POSSIBLE_WITH}; {f}" for w, f in forms]
        candidates += [f"{unordered}: {POSSIBLE_WITH}; {f}" for f in (said, brief)]
        candidates += [f"{unordered}: possibly unstable; {brief}", f"{unordered}; {brief}"]
    elif picture.startswith(CEMENT_POSSIBLE):  # possible: the fracture first, what settles after
        settle = picture.removeprefix(CEMENT_POSSIBLE)
        candidates = [f"{full}: {said}; {picture}"]
        candidates += [f"{w}: {f}; possibly unstable{settle}" for w, f in forms]
        # Then "settle alignment" for "settle the conflicting alignment"; last, cut with "…":
        # never "possibly unstable" with what settles it left out unsaid.
        compact = settle.replace(" the conflicting ", " ")
        candidates += [f"{short}: {brief}; possibly unstable{compact}"]
    else:
        candidates = [f"{w}: {picture}; {f}" if picture else f"{w}; {f}" for w, f in forms]
        # Findings of an unknown order: "re-assess" is what re-imaging leads to anyway.
        unordered = short.replace(" not known to be before or after ", " before or after ")
        if unordered != short:
            candidates += [f"{unordered}: {picture}; {brief}", f"{unordered}; {brief}"]
    return _fitting(candidates)


def _before_level(lv: LevelResult, latest: Treatment) -> SinsLevel:
    """A treated level shown from findings before its latest stabilising treatment (or of an
    unknown order against it)."""
    before = f"{lv.level} before {latest.dated}"
    if (earlier := _earlier_cement(lv)) is not None:  # cement alone given at an unstable level
        return SinsLevel(lv, "before-treatment", "warning", earlier, latest)
    if lv.assessment.unordered is not None:
        cement = _cement_alone(lv) if _assessed(lv) else None
        return _unordered_level(lv, latest, None if cement is None else cement[0] == CEMENT_ALONE)
    if not _assessed(lv):
        return SinsLevel(lv, "before-treatment", "info", f"{before}: SINS not assessed", latest)
    cement = _cement_alone(lv)
    if cement is not None:
        # Certain instability is a warning (§6 v3); a possible one stays info, as a range that
        # merely could reach a higher band does (§4 v3), in words that say what settles it.
        indicator: Indicator = "warning" if cement[0] == CEMENT_ALONE else "info"
        head = f"{lv.level} SINS {lv.result.total} before cement"
        when = on_day(latest.time.day)
        # Whole; without the cement's day (the detail gives it); then "before cement alone:
        # possibly unstable" said once: last, that is cut with "…", never shortened to a part
        # of what settles it.
        forms = [f"{head}{d}: {cement[0]}" for d in (when, "")]
        if cement[0].startswith(CEMENT_POSSIBLE):
            settle = cement[0].removeprefix(CEMENT_POSSIBLE)
            forms.append(f"{head} alone: possibly unstable{settle}")
        return SinsLevel(lv, "before-treatment", indicator, _fitting(forms), latest, line=forms[0])
    words = f"{before}: SINS {lv.result.total}"
    return SinsLevel(lv, "before-treatment", "info", words, latest)


def _earlier_cement(lv: LevelResult) -> str | None:
    """The headline of a level given cement alone, before the treatment its findings are read
    against, at a level certainly unstable by the findings before it (a later cement does not
    undo it, §6 v3): as a level re-scored after that cement says it; None when none was."""
    earlier = unstable_before_earlier(lv)
    if earlier is None:
        return None
    _, t, was = earlier
    return f"{lv.level} SINS {was.result.total} before cement{on_day(t.time.day)}: {CEMENT_ALONE}"


def earlier_cement_said(lv: LevelResult) -> str | None:
    """The same, as the detail says it: "Before the vertebroplasty on 20 May 2024: SINS 14.
    Unstable before cement alone; no fixation recorded — consider surgical review."."""
    earlier = unstable_before_earlier(lv)
    if earlier is None:
        return None
    reason, t, was = earlier
    too = "" if reason.startswith("SINS") else f" ({reason})"
    return f"Before the {t.dated}: SINS {was.result.total}{too}. {CEMENT_ALONE.capitalize()}."


_UNORDERED = " findings not known to be before or after "


def _unordered_level(lv: LevelResult, latest: Treatment, unstable: bool | None) -> SinsLevel:
    """A treated level whose findings may come before or after the treatment (mapping/sins.py):
    never "before" it, never re-scored as after it. Certain instability (``unstable`` True) is a
    warning either way (after cement it is instability still, before it cement alone was unsafe);
    otherwise the findings are named as of an unknown order, to re-assess, as a level before
    treatment is, with a possible instability (False) said before the re-assessment."""
    when = on_day(latest.time.day)
    if not _assessed(lv):  # preliminary reports alone, of an order not known either
        words = f"{lv.level} SINS not assessed, reports not known to be before or after "
        return SinsLevel(lv, "before-treatment", "info", f"{words}{latest.name}{when}", latest)
    if unstable:
        words = f"{lv.level} SINS {lv.result.total}, findings before or after cement{when}: "
        return SinsLevel(
            lv, "before-treatment", "warning", words + f"unstable; {NO_FIXATION}", latest
        )
    words = f"{lv.level} SINS {lv.result.total},{_UNORDERED}"
    possibly = "possibly unstable — " if unstable is False else ""
    brief = f"{lv.level} SINS {lv.result.total}, findings before or after"
    unsafe = (SINS_ALIGNMENT.code, SINS_POSTEROLATERAL.code)
    if unstable is False and (
        possibly_unsafe_unordered(lv) or any(in_conflict(lv, code) for code in unsafe)
    ):
        # Findings in conflict on what cement cannot treat: what settles them, as the SINS
        # RiskAssessment says it; "with cement alone", then the day, go before what settles.
        then = cement_settles(lv)
        forms = [
            f"{head}{latest.name}{d}: {p} — {settle}"
            for settle in dict.fromkeys((then, then.split("; ")[0]))  # the conflict first
            for p in (POSSIBLE_WITH, "possibly unstable")
            for d in (when, "")  # the day before "not known to be"
            for head in (words, f"{brief} ")
        ]
        forms.append(f"{brief} {latest.name}: {POSSIBLE_WITH}")
        return SinsLevel(lv, "before-treatment", "info", _fitting(forms), latest, conflict=True)
    words = _fitting(
        (
            f"{words}{latest.name}{when}: {possibly}re-assess",
            f"{words}{latest.name}: {possibly}re-assess",
            f"{brief} {latest.name}{when}: {possibly}re-assess",
            f"{brief} {latest.name}: {possibly}re-assess",
        )
    )
    return SinsLevel(lv, "before-treatment", "info", words, latest)


def _level(lv: LevelResult, result: PatientResult) -> SinsLevel:
    done = [t for t in result.assessment.treatments if t.stabilises and t.at(lv.level)]
    treated = _treated_level(lv, done)
    if treated is not None:
        # A verdict of instability since the treatment (pipeline: one before it is history).
        worded, v = _verdict(lv), lv.verdict
        if worded is None or v is None:
            return treated
        if v.against_cement:  # cement alone, before or after a verdict of instability
            whole = f"{lv.level} {worded.whole}"
            cement_dayless = f"{lv.level} {worded.cement_dayless}"
            # Then the verdict's day, its age ("(dated)") and its order against the cement kept;
            # last, those go to the detail too.
            dayless = f"{lv.level} {worded.daysless}"
            # Then the order: its age kept ("no date recorded" says the order is unknown too).
            unordered = f"{lv.level} {worded.unordered}, cement alone"
            bare = f"{lv.level} {worded.bare}, cement alone"
            if (since := fracture_since(lv) or _since_findings(lv)) is not None:
                # The cement's day and the advice left to the detail; then, as in _compact,
                # "vertebral", then "no fixation recorded", before the fracture's action.
                brief = _brief(since)
                candidates: tuple[str, ...] = (
                    f"{cement_dayless}: {UNFIXED}; {since}",
                    f"{cement_dayless}: {UNFIXED}; {brief}",
                    f"{cement_dayless}; {brief}",
                    f"{dayless}: {UNFIXED}; {brief}",
                    f"{dayless}; {brief}",
                    f"{unordered}; {brief}",  # "cement alone" says there is no fixation
                    f"{bare}; {brief}",
                )
            else:
                candidates = (
                    f"{whole}: {NO_FIXATION}",
                    f"{cement_dayless}: {NO_FIXATION}",
                    f"{cement_dayless}: {UNFIXED}",
                    f"{dayless}: {UNFIXED}",
                    f"{unordered}: {NO_FIXATION}",
                    f"{bare}: {NO_FIXATION}",
                )
            words = _fitting(candidates)
            return replace(treated, headline=words, indicator="warning", consult=True)
        verdict, short = worded.whole, worded.bare
        if treated.state == "fixed" and v.after_screws:
            # Recorded after its screws: the words that ask for review outlast the verdict's day,
            # and then "SINS not applicable" (the detail says it) beside a fracture since.
            said = (worded.whole, worded.dayless, worded.bare)
            forms = [f"{treated.headline}; {w}, {AFTER_SCREWS}" for w in said]
            if (since := fracture_since(lv) or _since_findings(lv)) is not None:
                t = treated.treatment
                day = on_day(t.time.day) if t is not None else ""
                forms += [
                    f"{lv.level} fixed{d}: {_brief(since)}; {worded.bare}, {AFTER_SCREWS}"
                    for d in (day, "")
                ]
            return replace(treated, headline=_fitting(forms), indicator="warning")
        if any(said in treated.headline for said in worded):
            return treated  # said already, by the findings after the treatment (in brief)
        # An old or undated verdict keeps its age ("(dated)", "no date recorded") longest:
        # without its day, then its order too, before any form without it.
        aged = (worded.dayless, worded.unordered) if worded.unordered != short else ()
        heads = [treated.headline]
        t = treated.treatment
        if t is not None and (day := on_day(t.time.day)) in treated.headline:
            # the treatment's day goes before the verdict's words do (the detail gives it), then
            # the long form of an unknown order
            brief = treated.headline.replace(day, "", 1)
            heads.append(brief)
            unordered = brief.replace(_UNORDERED, " findings of unknown order against ", 1)
            if unordered != brief:
                heads.append(unordered)
        # Whole; then without its day, its order and the treatment's day in turn, its age last;
        # where none fits, a headline that already says "unstable" stands alone (the detail
        # names the verdict), never one cut into it; or, beside a fracture since, the verdict
        # and the fracture's action alone.
        forms = [f"{treated.headline}; {verdict}"]
        forms += [f"{head}; {said}" for said in aged for head in heads]
        if any(said in treated.headline for said in (": unstable", ", unstable")):
            forms += [f"{head}; {short}" for head in heads]
            forms.append(treated.headline)  # the level is certainly unstable: said already
        elif fracture_since(lv) is not None or _since_findings(lv) is not None:
            # Nothing else says "unstable": the verdict leads, after the level's score, and the
            # fracture with what it follows (the treatment, or the findings) and its action.
            t, a = treated.treatment, lv.assessment
            treated_since, widened = bool(a.fractured_after or a.fractured_unsure), a.widened
            if t is not None and (treated_since or lv.assessment.fixed_fractured() is not None):
                follows, perhaps = f"the {t.name}", not a.fractured_after
            else:
                follows, perhaps = "the findings", widened is not None and not widened.after
            unplaced = a.fractured_unplaced if treated_since else bool(widened and widened.unplaced)
            what, settle = fracture_words(unplaced)
            score = "fixed" if treated.state == "fixed" else f"SINS {lv.result.total}"
            since = f"{', perhaps' if perhaps else ''} since {follows} — {settle}"
            # Its age before what the fracture follows (the detail says it), then before both.
            full = f"{what.removeprefix('vertebral ')}{since}"
            brief = full.replace(f" since {follows} — ", " since — ", 1)
            # Cement alone at a level possibly unstable before it: what settles that, while it fits.
            alone = _cement_alone(lv) if treated.state == "before-treatment" else None
            possibly = alone[0] if alone and alone[0].startswith(CEMENT_POSSIBLE) else None
            tails = (
                (
                    "; possibly unstable" + possibly.removeprefix(CEMENT_POSSIBLE),
                    "; possibly unstable",
                    "",
                )
                if possibly
                else ("",)
            )

            # An old or undated verdict's age before what settles the possible instability; that
            # before the verdict's order against the cement.
            start = f"{lv.level} {score}:"
            forms += [
                f for tail in tails for f in _verdict_fracture_forms(start, aged, full, brief, tail)
            ]
            forms += [f"{head}; {short}" for head in heads]
            saids = (worded.dayless, short)
            forms += [
                f
                for tail in tails
                for f in _verdict_fracture_forms(start, saids, full, brief, tail)
            ]
        else:
            forms += [f"{head}; {short}" for head in heads]
        words = _fitting(forms)
        return replace(treated, headline=words, indicator=worse(treated.indicator, "warning"))
    if not _assessed(lv):
        if (unassessed := recorded_unstable(lv)) is not None:
            words = f"{not_assessed(lv)}; {unassessed}: {SINS_OVERRIDE}"
            return SinsLevel(lv, "not-assessed", "warning", words, consult=True)
        return SinsLevel(lv, "not-assessed", "info", not_assessed(lv))
    return _assessed_level(lv, "assessed", None)


def _order(lv: SinsLevel) -> tuple[int, int, int, int, int]:
    # The worst-level choice's own key (adapter.scoring.worst_first), after two that the
    # presentation puts first by design: the indicator, which follows what is certain without the
    # dated findings (contract §4 v3: a dated 15 is a warning and follows a certain 13), and the
    # group, since the surfaces leave treated and unassessed levels out of their worst-level
    # choice (contract §6 v3). The outputs' RiskAssessment keeps the plain choice (pipeline).
    return (
        -URGENCY[lv.indicator],
        _GROUP[lv.state],
        *worst_first(lv.level.result.total),
        level_order(lv.name),
    )


def sins_decision(result: PatientResult) -> SinsDecision:
    """Each scored level's SINS as shown: the most serious first, then the worst by what is
    certain (as the pipeline chooses the worst level); treated and unassessed levels after."""
    return SinsDecision(tuple(sorted((_level(lv, result) for lv in result.levels), key=_order)))


def _without_fractures(lv: LevelResult) -> LevelResult:
    return replace(lv, assessment=replace(lv.assessment, fractured_after=(), fractured_unsure=()))


def recommendation(lv: SinsLevel, default: str) -> str:
    """The recommendation of a level's detail: ``default`` (the band's wording) for a level
    scored as it is, otherwise what its treated or unassessed state means; a recorded verdict of
    instability first, never beside "no surgical consultation needed"."""
    text = _recommendation(lv, default)
    if lv.stable_said is not None:
        text = f"{_stopped(text)} {lv.stable_said}"
    verdict, v = recorded_unstable(lv.level, at=True, settle=True), lv.level.verdict
    if verdict is None or v is None:
        return text
    if v.after_screws:
        verdict = after_screws(recorded_unstable(lv.level, at=True) or verdict, v.settle)
    text = beside_verdict(text, verdict[:1].upper() + verdict[1:])
    if v.against_cement and NO_FIXATION not in text:
        text += f" Unstable, with cement alone; {NO_FIXATION}."
    return text


def _stopped(text: str) -> str:
    """``text`` ending in a full stop, before a sentence is added ("Not settled: … or unstable"
    has none of its own)."""
    return text if text.endswith(".") else f"{text}."


def _recommendation(lv: SinsLevel, default: str) -> str:
    t = lv.treatment
    fractures = (*lv.level.assessment.fractured_after, *lv.level.assessment.fractured_unsure)
    if lv.state in ("before-treatment", "fixed") and t is not None and fractures:
        since = "; ".join(fractures)
        shown = _recommendation(replace(lv, level=_without_fractures(lv.level)), default)
        order = "Since" if lv.level.assessment.fractured_after else "Not known to be before"
        return (
            f"{shown} {order} the {t.dated}: {since}: the level may have "
            "fractured since what is shown — re-image and re-assess it."
        )
    if lv.state == "fixed" and t is not None:
        return f"{not_applicable(lv.name, on_day(t.time.day), bridged=t.bridges(lv.name))}."
    if lv.state == "before-treatment" and t is not None and lv.level.assessment.unordered:
        text = (
            f"SINS from findings not known to be before or after the {t.name}"
            f"{on_day(t.time.day)}: not scored as after it; record new findings to re-assess the "
            "level."
        )
        if zone_doubt(lv.level, t):
            said = zone_words(t)
            text += f" {said[:1].upper()}{said[1:]}."
        if (again := lv.level.assessment.again) is not None:
            text += (
                f" The {t.dated} may be the {again.name}"
                f"{on_day(again.time.day)} recorded again, which every finding used follows: its "
                "day would settle the order."
            )
        if (earlier := earlier_cement_said(lv.level)) is not None:
            return f"{text} {earlier}"
        if cement_unstable(lv.level) is not None:
            return f"{text} Unstable, whether they came before or after it; {NO_FIXATION}."
        unsettled = "; ".join(c.open for c in cement_unsettled(lv.level) if c.open)
        return f"{text} Possibly unstable: {unsettled}; {NO_FIXATION}." if unsettled else text
    if lv.state == "before-treatment" and t is not None:
        text = (
            f"SINS as recorded before the {t.dated}: not re-scored from "
            "findings older than the treatment; record new findings to re-assess the level."
        )
        if (earlier := earlier_cement_said(lv.level)) is not None:
            return f"{text} {earlier}"
        cement = _cement_alone(lv.level) if _assessed(lv.level) else None
        return text + (f" {cement[1]}" if cement is not None else "")
    if lv.state == "not-assessed":
        return not_assessed_text(lv.level)
    text = default
    if lv.state == "after-treatment" and t is not None:
        text = _stopped(text)
        text += f" Scored from the findings after the {t.dated}; earlier ones are listed, not used."
        now = unstable_after_cement(lv.level)
        unstable = False
        if now is not None and lv.level.result.total.low < SINS_UNSTABLE_FROM:
            unstable = True
            text += (
                f" {now[:1].upper()}{now[1:]} after the {t.dated}: unstable "
                f"after cement alone; {NO_FIXATION}."
            )
        was = lv.level.before
        if was is not None and unstable_before_cement(lv.level) is not None:
            reason = unstable_reason(was)
            too = "" if reason is None or reason.startswith("SINS") else f" ({reason})"
            then = (
                f"; unstable then too{too}."
                if now is not None
                else f". {CEMENT_ALONE.capitalize()}."
            )
            text += f" Before the {t.name}: SINS {was.result.total}{then}"
            unstable = True
        if not unstable and (earlier := earlier_cement_said(lv.level)) is not None:
            text += f" {earlier}"
            unstable = True
        if not unstable and (maybe := unsettled_after(lv.level)):
            said = "; ".join(c.open for c in maybe if c.open)
            text += f" {POSSIBLE_AFTER[:1].upper()}{POSSIBLE_AFTER[1:]}: {said}; {NO_FIXATION}."
            unstable = True
        if unstable:  # with cement alone: never "no surgical consultation needed" beside it
            text = without_all_clear(text)
    if mechanical_now(lv.level) and lv.level.result.total.low < SINS_CONSULT_FROM:
        text = beside_pain(text)
    return text
